// Quick mode: the default spec plus command-line flags.
#include "vcrun/quick.hpp"

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "vcrun/error.hpp"
#include "vcrun/spec.hpp"

namespace vcrun {

namespace {

nlohmann::json volume_mount(const std::string& flag) {
  auto first = flag.find(':');
  if (first == std::string::npos || first == 0)
    throw SpecError("-v " + flag, "must be SRC:DST[:ro|rw]");
  auto second = flag.find(':', first + 1);
  std::string src = flag.substr(0, first);
  std::string dst = flag.substr(first + 1, second == std::string::npos ? second
                                                                       : second - first - 1);
  std::string mode = second == std::string::npos ? "rw" : flag.substr(second + 1);
  if (src[0] != '/') throw SpecError("-v " + flag, "source must be an absolute path");
  if (dst.empty() || dst[0] != '/') throw SpecError("-v " + flag, "destination must be absolute");
  if (mode != "ro" && mode != "rw") throw SpecError("-v " + flag, "mode must be ro or rw");
  struct stat st;
  if (::stat(src.c_str(), &st) != 0) throw SpecError("-v " + flag, "source does not exist");
  return {{"destination", dst},
          {"type", "bind"},
          {"source", src},
          {"options", {"rbind", mode, "nosuid", "nodev"}}};
}

// The resource flags land in the config's JSON (linux.resources and the "vcrun"
// object), so the stored config.json says everything the container was given.
void add_resource_flags(nlohmann::json& config, const ResourceFlags& flags) {
  if (flags.empty()) return;
  ContainerSpec parsed;
  apply_resource_flags(parsed, flags);
  nlohmann::json r = nlohmann::json::object();
  if (const auto& res = parsed.linux.resources) {
    if (const auto& cpu = res->cpu) {
      if (cpu->quota) r["cpu"]["quota"] = *cpu->quota;
      if (cpu->period) r["cpu"]["period"] = *cpu->period;
      if (!cpu->cpus.empty()) r["cpu"]["cpus"] = cpu->cpus;
    }
    if (const auto& mem = res->memory) {
      if (mem->limit) r["memory"]["limit"] = *mem->limit;
      if (mem->reservation) r["memory"]["reservation"] = *mem->reservation;
    }
    if (res->pids_limit) r["pids"]["limit"] = *res->pids_limit;
    if (res->block_io && res->block_io->weight) r["blockIO"]["weight"] = *res->block_io->weight;
  }
  if (!r.empty()) config["linux"]["resources"] = r;
  const auto& x = parsed.vcrun;
  if (x.cpu_reservation) config["vcrun"]["cpu"]["reservation"] = *x.cpu_reservation;
  if (x.cpu_share) config["vcrun"]["cpu"]["share"] = *x.cpu_share;
}

// podman's default capabilities (containers/common pkg/config DefaultCapabilities):
// Docker's set without NET_RAW, MKNOD and AUDIT_WRITE. A job container rarely needs raw
// sockets, device nodes or audit records; ping works without NET_RAW through ICMP
// datagram sockets, opened by ping_group_range below.
const char* const kQuickCapabilities[] = {
    "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",       "CAP_NET_BIND_SERVICE",
    "CAP_SETFCAP", "CAP_SETGID",      "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT",
};

void set_quick_security(nlohmann::json& config) {
  auto caps = nlohmann::json::array();
  for (const char* c : kQuickCapabilities) caps.push_back(c);
  config["process"]["capabilities"] = {{"bounding", caps}, {"effective", caps}, {"permitted", caps}};
  // Every group may open ICMP datagram ("unprivileged ping") sockets in the container's
  // own network namespace: Docker's value (podman/buildah open it to group 0 only, "0 0";
  // the wider range also lets a quick job run as a non-root user ping). The sysctl is per
  // network namespace: never written when the container shares one.
  bool own_netns = false;
  for (const auto& ns : config["linux"]["namespaces"])
    if (ns.value("type", "") == "network" && ns.value("path", "").empty()) own_netns = true;
  if (own_netns) config["linux"]["sysctl"]["net.ipv4.ping_group_range"] = "0 2147483647";
}

}  // namespace

std::string quick_config(const std::string& id, const QuickOptions& q,
                         const std::string& root_path) {
  if (q.args.empty()) throw SpecError("command", "give the command to run after --");
  auto config = nlohmann::json::parse(default_spec_json());
  auto& process = config["process"];
  process["args"] = q.args;
  for (const auto& kv : q.env) {
    if (kv.find('=') == std::string::npos || kv[0] == '=')
      throw SpecError("-e " + kv, "must be KEY=VALUE");
    process["env"].push_back(kv);
  }
  if (!q.cwd.empty()) process["cwd"] = q.cwd;
  process["terminal"] = q.terminal;
  // A quick container is a build or job environment: a writable root.
  config["root"] = {{"path", q.rootfs.empty() ? root_path : q.rootfs}, {"readonly", false}};
  config["hostname"] = q.hostname.empty() ? id : q.hostname;
  for (const auto& v : q.volumes) config["mounts"].push_back(volume_mount(v));
  add_resource_flags(config, q.resources);
  set_quick_security(config);
  if (q.init) config["vcrun"]["init"] = true;
  return config.dump(2);
}

}  // namespace vcrun
