// vcrun::ContainerSpec: the validated container description every module reads.
// Built from an OCI runtime-spec config.json (1.0-1.2) plus vcrun's "vcrun" extension
// object, or from quick-mode CLI flags. Code after parse/validate trusts its content.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vcrun/net_values.hpp"

namespace vcrun {

// The runtime-spec version vcrun implements: `vcrun spec` writes it, `features` reports it
// as ociVersionMax, and the seccomp agent's message carries it.
inline constexpr const char* kOciVersion = "1.2.0";

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<uint32_t> umask;
  std::vector<uint32_t> additional_gids;
  bool operator==(const User&) const = default;
};

struct Rlimit {
  int resource = 0;  // RLIMIT_* value, parsed from "RLIMIT_NOFILE" etc.
  std::string name;  // the OCI name, for messages
  uint64_t soft = 0;
  uint64_t hard = 0;
  bool operator==(const Rlimit&) const = default;
};

// Capability names as in the OCI spec ("CAP_CHOWN"), validated against libcap-ng.
struct Capabilities {
  std::vector<std::string> bounding, effective, inheritable, permitted, ambient;
  bool operator==(const Capabilities&) const = default;
};

struct ConsoleSize {
  uint32_t height = 0, width = 0;  // rows, columns
  bool operator==(const ConsoleSize&) const = default;
};

struct Process {
  bool terminal = false;
  std::optional<ConsoleSize> console_size;  // the pty's initial size (process.consoleSize)
  std::vector<std::string> args;
  std::vector<std::string> env;  // "KEY=VALUE"
  std::string cwd = "/";
  User user;
  std::vector<Rlimit> rlimits;
  std::optional<Capabilities> capabilities;  // absent: no capabilities at all
  bool no_new_privileges = false;
  std::optional<int> oom_score_adj;
  // LSM labels: parsed so wrong types are refused, never applied (see runtime/security/lsm.hpp).
  std::string apparmor_profile, selinux_label;
  bool operator==(const Process&) const = default;
};

struct Root {
  std::string path;  // absolute after parsing (relative paths resolved against the bundle)
  bool readonly = false;
  bool operator==(const Root&) const = default;
};

struct Mount {
  std::string destination;  // absolute path inside the container
  std::string type;         // "bind", "proc", "tmpfs", ... ("bind" when options hold bind/rbind)
  std::string source;       // absolute host path for binds (resolved against the bundle)
  std::vector<std::string> options;
  bool operator==(const Mount&) const = default;
};

struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout;  // seconds
  bool operator==(const Hook&) const = default;
};

struct Hooks {
  std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart,
      poststop;
  bool operator==(const Hooks&) const = default;
};

enum class NamespaceType { pid, network, mount, ipc, uts, user, cgroup, time };

struct Namespace {
  NamespaceType type;
  std::string path;  // empty: create a new one; otherwise join this one
  bool operator==(const Namespace&) const = default;
};

struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
  bool operator==(const IdMapping&) const = default;
};

// linux.devices: a device node to create inside the container.
struct DeviceNode {
  std::string path;
  char type = 'c';  // 'c', 'b', 'u', 'p'
  int64_t major = 0, minor = 0;
  std::optional<uint32_t> file_mode;
  std::optional<uint32_t> uid, gid;
  bool operator==(const DeviceNode&) const = default;
};

// linux.resources.devices: an allow/deny rule for the device controller.
struct DeviceRule {
  bool allow = false;
  char type = 'a';        // 'a', 'c', 'b'
  int64_t major = -1;     // -1: any
  int64_t minor = -1;     // -1: any
  std::string access = "rwm";
  bool operator==(const DeviceRule&) const = default;
};

struct MemoryResources {
  std::optional<int64_t> limit, reservation, swap, kernel, kernel_tcp;
  std::optional<uint64_t> swappiness;
  std::optional<bool> disable_oom_killer, use_hierarchy, check_before_update;
  bool operator==(const MemoryResources&) const = default;
};

struct CpuResources {
  std::optional<uint64_t> shares;
  std::optional<int64_t> quota;
  std::optional<uint64_t> burst, period;
  std::optional<int64_t> realtime_runtime;
  std::optional<uint64_t> realtime_period;
  std::string cpus, mems;
  std::optional<bool> idle;
  bool operator==(const CpuResources&) const = default;
};

struct WeightDevice {
  int64_t major = 0, minor = 0;
  std::optional<uint16_t> weight, leaf_weight;
  bool operator==(const WeightDevice&) const = default;
};

struct ThrottleDevice {
  int64_t major = 0, minor = 0;
  uint64_t rate = 0;
  bool operator==(const ThrottleDevice&) const = default;
};

struct BlockIoResources {
  std::optional<uint16_t> weight, leaf_weight;
  std::vector<WeightDevice> weight_device;
  std::vector<ThrottleDevice> throttle_read_bps, throttle_write_bps, throttle_read_iops,
      throttle_write_iops;
  bool operator==(const BlockIoResources&) const = default;
};

struct HugepageLimit {
  std::string page_size;  // "2MB"
  uint64_t limit = 0;
  bool operator==(const HugepageLimit&) const = default;
};

struct Resources {
  std::vector<DeviceRule> devices;
  std::optional<MemoryResources> memory;
  std::optional<CpuResources> cpu;
  std::optional<int64_t> pids_limit;
  std::optional<BlockIoResources> block_io;
  std::vector<HugepageLimit> hugepage_limits;
  std::map<std::string, std::string> unified;
  bool operator==(const Resources&) const = default;
};

enum class SeccompAction { kill_thread, kill_process, trap, errno_ret, trace, allow, log, notify };
enum class SeccompOp { ne, lt, le, eq, ge, gt, masked_eq };

struct SeccompArg {
  unsigned index = 0;
  uint64_t value = 0, value_two = 0;
  SeccompOp op = SeccompOp::eq;
  bool operator==(const SeccompArg&) const = default;
};

struct SeccompRule {
  std::vector<std::string> names;
  SeccompAction action = SeccompAction::allow;
  std::optional<uint32_t> errno_ret;
  std::vector<SeccompArg> args;
  bool operator==(const SeccompRule&) const = default;
};

struct Seccomp {
  SeccompAction default_action = SeccompAction::allow;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;  // "SCMP_ARCH_X86_64", ...
  std::vector<std::string> flags;          // "SECCOMP_FILTER_FLAG_LOG", ...
  std::vector<SeccompRule> syscalls;
  // SCMP_ACT_NOTIFY: the unix socket of the seccomp agent that receives the listener fd
  // with the container process state (OCI ContainerProcessState), and an opaque string
  // passed on to it as "metadata".
  std::string listener_path;
  std::string listener_metadata;
  bool operator==(const Seccomp&) const = default;
};

struct Linux {
  std::vector<Namespace> namespaces;
  std::vector<IdMapping> uid_mappings, gid_mappings;
  std::map<std::string, std::string> sysctl;
  std::optional<Resources> resources;
  std::string cgroups_path;
  std::vector<DeviceNode> devices;
  std::vector<std::string> masked_paths, readonly_paths;
  std::optional<Seccomp> seccomp;
  std::string rootfs_propagation;  // "", "private", "slave", "shared", "unbindable"
  std::string mount_label;         // SELinux; parsed, never applied (see runtime/security/lsm.hpp)
  bool operator==(const Linux&) const = default;
};

// vcrun.network: how the container reaches the network. `none` (the default): a network
// namespace of its own (new, or joined by path), no link vcrun makes. `host`: the caller's
// network namespace, shared: no network entry in linux.namespaces, as OCI says it (the
// parser sets it from that; config.json has no "host" of its own). `bridge`: its own new
// network namespace with a veth pair to a host bridge, an address from the bridge's subnet,
// a default route and outbound NAT.
enum class NetworkMode { none, host, bridge };

struct NetworkSpec {
  NetworkMode mode = NetworkMode::none;
  std::optional<Ipv4> ip;        // bridge: the container's address; none: the next free one
  std::string bridge;            // bridge: the host bridge's name; "": "vcrun0"
  std::optional<Ipv4Net> subnet; // bridge: the bridge's subnet; none: 10.217.0.0/16
  // bridge: host ports forwarded to the container ("[HOSTIP:]HOSTPORT:PORT[/tcp|/udp]" in JSON)
  std::vector<PublishedPort> publish;
  // Egress shaping (host and bridge mode; docs/network.md): an HTB class on the egress
  // device. Rates in bits per second; JSON gives them as tc writes them ("10mbit").
  std::optional<uint64_t> rate;       // the reservation
  std::optional<uint64_t> ceil;       // the most it may send; default: link rate (share > 0) or rate
  std::optional<double> share;        // its weight for what reservations leave; default 1
  std::string egress;                 // the device; "": the default route's
  std::optional<uint64_t> link_rate;  // what admission checks against; default: the device's speed
  bool shaped() const { return rate || ceil || share; }
  bool operator==(const NetworkSpec&) const = default;
};

const char* network_mode_name(NetworkMode m);  // "none", "host", "bridge"

// vcrun's own fields, from the top-level "vcrun" object of config.json (OCI tools ignore
// it) or from quick-mode flags. They express what OCI cannot (docs/design.md).
struct VcrunExtensions {
  std::optional<double> cpu_reservation;  // fraction of all containers' CPU, 0..1
  std::optional<double> cpu_share;        // relative weight, >= 0 (default 1)
  std::optional<int64_t> memory_high;     // bytes
  std::optional<int64_t> memory_min;      // bytes
  bool init = false;                      // built-in minimal init as PID 1
  bool default_seccomp = false;           // "seccomp": "default": the built-in profile
                                          // when linux.seccomp is absent
  // "network": {"bindAllow": [...]}: the IPv4/IPv6 addresses the container may bind; a bind
  // to the wildcard address becomes one to the first of its family. Absent: no list (any
  // address); empty: no address at all.
  std::optional<BindAllowList> bind_allow;
  NetworkSpec network;                    // "network": {"mode", "ip", "bridge", "subnet", "rate", ...}
  // A copy-on-write root (docs/unify.md): "lowers", read-only layers below root.path
  // (uppermost first); "upper", the persistent directory holding the overlay's upper/ and
  // work/ (default <bundle>/vcrun-upper/<id> when the root is an overlay).
  std::vector<std::string> lowers;
  std::string upper;
  bool operator==(const VcrunExtensions&) const = default;
};

struct ContainerSpec {
  std::string oci_version;
  Process process;
  Root root;
  std::string hostname, domainname;
  std::vector<Mount> mounts;
  Hooks hooks;
  std::map<std::string, std::string> annotations;
  Linux linux;
  VcrunExtensions vcrun;

  // Member-wise, like every struct above (= default): a field added later is compared
  // without anyone listing it, which the serialiser's round-trip test relies on.
  bool operator==(const ContainerSpec&) const = default;

  bool has_namespace(NamespaceType t) const {
    for (const auto& ns : linux.namespaces)
      if (ns.type == t) return true;
    return false;
  }
};

// Parses and validates config.json text. `bundle` is the bundle directory: relative
// root.path and bind sources are resolved against it. Throws SpecError naming the JSON path.
ContainerSpec parse_spec(const std::string& json_text, const std::string& bundle);

// The text of a config file (config.json, a resources or process file); Error naming the
// path when it cannot be read.
std::string read_config_file(const std::string& path);
// The config.json of the bundle directory `bundle`; it must be a regular file (a FIFO or
// device in a hostile bundle fails at once). Error naming the path otherwise.
std::string read_bundle_config(const std::string& bundle);

// Creates `path` with `text` (mode 0644), never over an existing file (as `runc spec`).
void write_config_file(const std::string& path, const std::string& text);

// Reads <bundle>/config.json and parses it.
ContainerSpec load_spec(const std::string& bundle);

// Parses and validates an OCI process object on its own (`exec --process FILE`, as runc and
// crun take it); errors name "process.<field>" like in a config.json.
Process parse_process_json(const std::string& json_text);

// Parses and validates an OCI LinuxResources object on its own (what `runc update
// --resources` reads); errors name "resources.<field>".
Resources parse_resources_json(const std::string& json_text);

// vcrun's stricter config.json (`vcrun spec --secure`, and quick mode's base): a runnable
// default (busybox-style rootfs "rootfs", `sh`, the default namespaces, mounts,
// masked/readonly paths, capabilities, vcrun's seccomp profile).
std::string default_spec_json();
// What `runc spec` (`--rootless`: `runc spec --rootless`) writes, which `vcrun spec` prints.
std::string runc_spec_json(bool rootless);

// Semantic checks shared by every way of building a spec (ids of namespaces, ranges,
// absolute paths...). parse_spec calls it; quick mode calls it on its built spec.
void validate_spec(const ContainerSpec& spec);
void validate_process(const Process& process);  // the process part of validate_spec

const char* namespace_name(NamespaceType t);  // "pid", "network", ...

}  // namespace vcrun
