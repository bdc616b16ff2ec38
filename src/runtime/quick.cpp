// Quick mode: the default spec with command-line flags applied, as a ContainerSpec
// serialised once (runtime/spec/serialize.hpp) into the container's config.json.
#include "vcrun/quick.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <iterator>

#include <spdlog/spdlog.h>

#include "base/text.hpp"
#include "runtime/spec/network.hpp"
#include "runtime/spec/resolv_conf.hpp"
#include "runtime/spec/resource_flags.hpp"
#include "runtime/spec/serialize.hpp"
#include "vcrun/error.hpp"
#include "vcrun/net_values.hpp"
#include "vcrun/spec.hpp"

namespace vcrun {

namespace {

Mount volume_mount(const std::string& volume) {
  auto refuse = [&](const char* reason) { return SpecError("QuickOptions.volumes", volume, reason, EINVAL); };
  auto first = volume.find(':');
  if (first == std::string::npos || first == 0)
    throw refuse("must be SRC:DST[:ro|rw]");
  auto second = volume.find(':', first + 1);
  std::string src = volume.substr(0, first);
  std::string dst = volume.substr(first + 1, second == std::string::npos ? second
                                                                       : second - first - 1);
  std::string mode = second == std::string::npos ? "rw" : volume.substr(second + 1);
  if (src[0] != '/') throw refuse("source must be an absolute path");
  if (dst.empty() || dst[0] != '/') throw refuse("destination must be absolute");
  if (mode != "ro" && mode != "rw") throw refuse("mode must be ro or rw");
  struct stat st;
  if (::stat(src.c_str(), &st) != 0) throw refuse("source does not exist");
  return Mount{dst, "bind", src, {"rbind", mode, "nosuid", "nodev"}};
}

// podman's default capabilities (containers/common pkg/config DefaultCapabilities):
// Docker's set without NET_RAW, MKNOD and AUDIT_WRITE. A job container rarely needs raw
// sockets, device nodes or audit records; ping works without NET_RAW through ICMP
// datagram sockets, opened by ping_group_range below.
const char* const kQuickCapabilities[] = {
    "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",       "CAP_NET_BIND_SERVICE",
    "CAP_SETFCAP", "CAP_SETGID",      "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT",
};

void set_quick_security(ContainerSpec& spec) {
  std::vector<std::string> caps(std::begin(kQuickCapabilities), std::end(kQuickCapabilities));
  Capabilities c;
  c.bounding = c.effective = c.permitted = caps;
  spec.process.capabilities = c;
  // Every group may open ICMP datagram ("unprivileged ping") sockets in the container's
  // own network namespace: Docker's value (podman/buildah open it to group 0 only, "0 0";
  // the wider range also lets a quick job run as a non-root user ping). The sysctl is per
  // network namespace: never written when the container shares one.
  bool own_netns = std::any_of(spec.linux.namespaces.begin(), spec.linux.namespaces.end(),
                               [](const Namespace& ns) {
                                 return ns.type == NamespaceType::network && ns.path.empty();
                               });
  if (own_netns) spec.linux.sysctl["net.ipv4.ping_group_range"] = "0 2147483647";
}

// Bridge mode: names resolve as on the host. The container's network namespace does not
// share the host's loopback, so when the host's nameservers are all there (a local stub
// resolver), systemd-resolved's list of its upstreams is bound over /etc/resolv.conf,
// read-only (a bind of the host's file). A --rootfs tree gets the host's file so bound
// too; the host overlay root has it already. A -v onto /etc/resolv.conf wins.
void set_bridge_resolv_conf(ContainerSpec& spec, bool host_root) {
  for (const auto& m : spec.mounts)
    if (m.destination == "/etc/resolv.conf") return;
  std::string conf = spec_detail::bridge_resolv_conf();
  if (conf.empty()) {
    spdlog::warn("bridge mode: the host's /etc/resolv.conf names no nameserver the container can reach (loopback only); "
                 "names will not resolve in it");
    return;
  }
  if (host_root && conf == "/etc/resolv.conf") return;
  spec.mounts.push_back(Mount{"/etc/resolv.conf", "bind", conf, {"rbind", "ro", "nosuid", "nodev", "noexec"}});
}

// --net: "none" (the default spec's own network namespace, loopback only), "host" (the
// caller's, shared: no network entry in linux.namespaces, as OCI says it) or "bridge" (its
// own, on a host bridge: vcrun.network), with --ip for bridge's address. Each value is
// parsed here, once, and errors name the spec path the flag sets (cmd/ names the flag).
void set_network_mode(ContainerSpec& spec, const QuickOptions& q) {
  const std::string& mode = q.net;
  if (!q.ip.empty() && mode != "bridge") throw SpecError("vcrun.network.ip", "needs vcrun.network.mode bridge");
  if (!q.publish.empty() && mode != "bridge")
    throw SpecError("vcrun.network.publish", "needs vcrun.network.mode bridge");
  auto& n = spec.vcrun.network;
  if (!q.net_egress.empty()) n.egress = q.net_egress;
  if (!q.net_link_rate.empty()) n.link_rate = parse_rate_flag("vcrun.network.linkRate", q.net_link_rate);
  if (mode == "bridge") {
    n.mode = NetworkMode::bridge;
    if (!q.ip.empty()) {
      n.ip = parse_ipv4(q.ip);
      if (!n.ip) throw SpecError("vcrun.network.ip", "must be an IPv4 address, got " + vcrun::quoted(q.ip));
    }
    for (size_t i = 0; i < q.publish.size(); ++i)
      n.publish.push_back(parse_published(q.publish[i], indexed("vcrun.network.publish", i)));
  } else if (mode == "host") {
    n.mode = NetworkMode::host;
    auto& ns = spec.linux.namespaces;
    ns.erase(std::remove_if(ns.begin(), ns.end(), [](const Namespace& x) { return x.type == NamespaceType::network; }),
             ns.end());
  } else if (!mode.empty() && mode != "none") {
    throw SpecError("vcrun.network.mode", "expected none, host or bridge, got " + vcrun::quoted(mode));
  }
  // Before the rest of the spec is built, so a network error is the one reported first.
  spec_detail::validate_network(n, spec.linux);
}

// A relative root (a relative --root) is the current directory's, as parse_spec resolves a
// root without a bundle.
std::string absolute_root(const std::string& path) {
  std::string s = std::filesystem::absolute(path).lexically_normal().string();
  if (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

std::string quick_config(const std::string& id, const QuickOptions& q,
                         const std::string& root_path) {
  if (q.args.empty()) throw SpecError("command", "give the command to run after --");
  ContainerSpec spec = parse_spec(default_spec_json(), "/");
  Process& process = spec.process;
  process.args = q.args;
  for (const auto& kv : q.env) {
    if (kv.find('=') == std::string::npos || kv[0] == '=')
      throw SpecError("QuickOptions.env", kv, "must be KEY=VALUE", EINVAL);
    process.env.push_back(kv);
  }
  if (!q.cwd.empty()) process.cwd = q.cwd;
  process.terminal = q.terminal;
  // A quick container is a build or job environment: a writable root.
  spec.root = Root{absolute_root(q.rootfs.empty() ? root_path : q.rootfs), false};
  spec.hostname = q.hostname.empty() ? id : q.hostname;
  for (const auto& v : q.volumes) spec.mounts.push_back(volume_mount(v));
  // linux.resources and the "vcrun" object: the stored config.json says everything the
  // container was given.
  apply_resource_flags(spec, q.resources);
  set_network_mode(spec, q);
  if (spec.vcrun.network.mode == NetworkMode::bridge) set_bridge_resolv_conf(spec, q.rootfs.empty());
  set_quick_security(spec);
  if (q.init) spec.vcrun.init = true;
  if (!q.upper.empty()) spec.vcrun.upper = absolute_root(q.upper);
  validate_spec(spec);
  return serialize_spec(spec).dump(2);
}

}  // namespace vcrun
