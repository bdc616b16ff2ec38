// ContainerSpec → config.json, section by section in the order of the parser's files
// (parse.cpp, parse_linux.cpp, parse_resources.cpp), with the same key names.
#include "runtime/spec/serialize.hpp"

#include "vcrun/net_values.hpp"
#include "runtime/spec/json.hpp"

namespace vcrun {

namespace {

using nlohmann::json;

// Writes `key` only when the value is set / non-empty: what the parser reads as absent
// comes out absent.
template <class T>
void put(json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

void put(json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}

template <class T>
void put(json& j, const char* key, const std::vector<T>& v) {
  if (!v.empty()) j[key] = v;
}

void put(json& j, const char* key, const std::map<std::string, std::string>& v) {
  if (!v.empty()) j[key] = v;
}

void put_true(json& j, const char* key, bool v) {
  if (v) j[key] = true;
}

// Lists of objects: each element through `one`, the key left out when the list is empty.
template <class T, class F>
void put_each(json& j, const char* key, const std::vector<T>& v, F one) {
  if (v.empty()) return;
  json a = json::array();
  for (const auto& e : v) a.push_back(one(e));
  j[key] = std::move(a);
}

json user_json(const User& u) {
  json j = {{"uid", u.uid}, {"gid", u.gid}};
  put(j, "umask", u.umask);
  put(j, "additionalGids", u.additional_gids);
  return j;
}

json capabilities_json(const Capabilities& c) {
  json j = json::object();
  put(j, "bounding", c.bounding);
  put(j, "effective", c.effective);
  put(j, "inheritable", c.inheritable);
  put(j, "permitted", c.permitted);
  put(j, "ambient", c.ambient);
  return j;
}

json process_json(const Process& p) {
  json j;
  j["terminal"] = p.terminal;
  if (p.console_size)
    j["consoleSize"] = {{"height", p.console_size->height}, {"width", p.console_size->width}};
  j["user"] = user_json(p.user);
  j["args"] = p.args;
  put(j, "env", p.env);
  j["cwd"] = p.cwd;
  put_each(j, "rlimits", p.rlimits, [](const Rlimit& r) {
    return json{{"type", r.name}, {"hard", r.hard}, {"soft", r.soft}};
  });
  if (p.capabilities) j["capabilities"] = capabilities_json(*p.capabilities);
  put_true(j, "noNewPrivileges", p.no_new_privileges);
  put(j, "oomScoreAdj", p.oom_score_adj);
  put(j, "apparmorProfile", p.apparmor_profile);
  put(j, "selinuxLabel", p.selinux_label);
  return j;
}

json mount_json(const Mount& m) {
  json j = {{"destination", m.destination}};
  put(j, "type", m.type);
  put(j, "source", m.source);
  put(j, "options", m.options);
  return j;
}

json hook_json(const Hook& h) {
  json j = {{"path", h.path}};
  put(j, "args", h.args);
  put(j, "env", h.env);
  put(j, "timeout", h.timeout);
  return j;
}

json hooks_json(const Hooks& h) {
  json j = json::object();
  put_each(j, "prestart", h.prestart, hook_json);
  put_each(j, "createRuntime", h.create_runtime, hook_json);
  put_each(j, "createContainer", h.create_container, hook_json);
  put_each(j, "startContainer", h.start_container, hook_json);
  put_each(j, "poststart", h.poststart, hook_json);
  put_each(j, "poststop", h.poststop, hook_json);
  return j;
}

// linux.resources (parse_resources.cpp).

json device_rule_json(const DeviceRule& d) {
  // type and access always: the parser's defaults ('a', "rwm") are not the empty values.
  json j = {{"allow", d.allow}, {"type", std::string(1, d.type)}, {"access", d.access}};
  if (d.major != -1) j["major"] = d.major;
  if (d.minor != -1) j["minor"] = d.minor;
  return j;
}

json memory_json(const MemoryResources& m) {
  json j = json::object();
  put(j, "limit", m.limit);
  put(j, "reservation", m.reservation);
  put(j, "swap", m.swap);
  put(j, "kernel", m.kernel);
  put(j, "kernelTCP", m.kernel_tcp);
  put(j, "swappiness", m.swappiness);
  put(j, "disableOOMKiller", m.disable_oom_killer);
  put(j, "useHierarchy", m.use_hierarchy);
  put(j, "checkBeforeUpdate", m.check_before_update);
  return j;
}

json cpu_json(const CpuResources& c) {
  json j = json::object();
  put(j, "shares", c.shares);
  put(j, "quota", c.quota);
  put(j, "burst", c.burst);
  put(j, "period", c.period);
  put(j, "realtimeRuntime", c.realtime_runtime);
  put(j, "realtimePeriod", c.realtime_period);
  put(j, "cpus", c.cpus);
  put(j, "mems", c.mems);
  if (c.idle) j["idle"] = *c.idle ? 1 : 0;  // the spec's type is int64
  return j;
}

json throttle_json(const ThrottleDevice& t) {
  return {{"major", t.major}, {"minor", t.minor}, {"rate", t.rate}};
}

json block_io_json(const BlockIoResources& b) {
  json j = json::object();
  put(j, "weight", b.weight);
  put(j, "leafWeight", b.leaf_weight);
  put_each(j, "weightDevice", b.weight_device, [](const WeightDevice& w) {
    json d = {{"major", w.major}, {"minor", w.minor}};
    put(d, "weight", w.weight);
    put(d, "leafWeight", w.leaf_weight);
    return d;
  });
  put_each(j, "throttleReadBpsDevice", b.throttle_read_bps, throttle_json);
  put_each(j, "throttleWriteBpsDevice", b.throttle_write_bps, throttle_json);
  put_each(j, "throttleReadIOPSDevice", b.throttle_read_iops, throttle_json);
  put_each(j, "throttleWriteIOPSDevice", b.throttle_write_iops, throttle_json);
  return j;
}

json resources_json(const Resources& r) {
  json j = json::object();
  put_each(j, "devices", r.devices, device_rule_json);
  if (r.memory) j["memory"] = memory_json(*r.memory);
  if (r.cpu) j["cpu"] = cpu_json(*r.cpu);
  if (r.pids_limit) j["pids"] = {{"limit", *r.pids_limit}};
  if (r.block_io) j["blockIO"] = block_io_json(*r.block_io);
  put_each(j, "hugepageLimits", r.hugepage_limits, [](const HugepageLimit& h) {
    return json{{"pageSize", h.page_size}, {"limit", h.limit}};
  });
  put(j, "unified", r.unified);
  return j;
}

// The rest of linux (parse_linux.cpp).

json seccomp_json(const Seccomp& s) {
  json j = {{"defaultAction", spec_detail::seccomp_action_name(s.default_action)}};
  put(j, "defaultErrnoRet", s.default_errno_ret);
  put(j, "architectures", s.architectures);
  put(j, "flags", s.flags);
  put_each(j, "syscalls", s.syscalls, [](const SeccompRule& r) {
    json rule = {{"names", r.names}, {"action", spec_detail::seccomp_action_name(r.action)}};
    put(rule, "errnoRet", r.errno_ret);
    put_each(rule, "args", r.args, [](const SeccompArg& a) {
      json arg = {{"index", a.index},
                  {"value", a.value},
                  {"op", spec_detail::seccomp_operator_name(a.op)}};
      if (a.value_two != 0) arg["valueTwo"] = a.value_two;
      return arg;
    });
    return rule;
  });
  put(j, "listenerPath", s.listener_path);
  put(j, "listenerMetadata", s.listener_metadata);
  return j;
}

json device_json(const DeviceNode& d) {
  json j = {{"path", d.path}, {"type", std::string(1, d.type)}};
  // The parser reads no numbers for pipes.
  if (d.type != 'p') {
    j["major"] = d.major;
    j["minor"] = d.minor;
  }
  put(j, "fileMode", d.file_mode);
  put(j, "uid", d.uid);
  put(j, "gid", d.gid);
  return j;
}

json mapping_json(const IdMapping& m) {
  return {{"containerID", m.container_id}, {"hostID", m.host_id}, {"size", m.size}};
}

json linux_json(const Linux& l) {
  json j = json::object();
  put_each(j, "namespaces", l.namespaces, [](const Namespace& ns) {
    json n = {{"type", namespace_name(ns.type)}};
    put(n, "path", ns.path);
    return n;
  });
  put_each(j, "uidMappings", l.uid_mappings, mapping_json);
  put_each(j, "gidMappings", l.gid_mappings, mapping_json);
  put(j, "sysctl", l.sysctl);
  if (l.resources) j["resources"] = resources_json(*l.resources);
  put(j, "cgroupsPath", l.cgroups_path);
  put_each(j, "devices", l.devices, device_json);
  put(j, "maskedPaths", l.masked_paths);
  put(j, "readonlyPaths", l.readonly_paths);
  if (l.seccomp) j["seccomp"] = seccomp_json(*l.seccomp);
  put(j, "rootfsPropagation", l.rootfs_propagation);
  put(j, "mountLabel", l.mount_label);
  return j;
}

json extensions_json(const VcrunExtensions& x) {
  json j = json::object();
  if (x.cpu_reservation) j["cpu"]["reservation"] = *x.cpu_reservation;
  if (x.cpu_share) j["cpu"]["share"] = *x.cpu_share;
  if (x.memory_high) j["memory"]["high"] = *x.memory_high;
  if (x.memory_min) j["memory"]["min"] = *x.memory_min;
  put_true(j, "init", x.init);
  if (x.default_seccomp) j["seccomp"] = "default";
  if (x.bind_allow) j["network"]["bindAllow"] = to_strings(*x.bind_allow);
  // Only bridge is written as a mode: none and host follow from linux.namespaces.
  NetworkSpec values = x.network;
  values.mode = NetworkMode::none;
  if (x.network.mode == NetworkMode::bridge || values != NetworkSpec{}) {
    json& n = j["network"];
    if (x.network.mode == NetworkMode::bridge) n["mode"] = "bridge";
    if (x.network.ip) n["ip"] = to_string(*x.network.ip);
    put(n, "bridge", x.network.bridge);
    if (x.network.subnet) n["subnet"] = to_string(*x.network.subnet);
    for (const auto& p : x.network.publish) n["publish"].push_back(to_string(p));
    if (x.network.rate) n["rate"] = rate_text(*x.network.rate);
    if (x.network.ceil) n["ceil"] = rate_text(*x.network.ceil);
    if (x.network.share) n["share"] = *x.network.share;
    put(n, "egress", x.network.egress);
    if (x.network.link_rate) n["linkRate"] = rate_text(*x.network.link_rate);
  }
  if (!x.lowers.empty()) j["lowers"] = x.lowers;
  if (!x.upper.empty()) j["upper"] = x.upper;
  return j;
}

}  // namespace

json serialize_spec(const ContainerSpec& spec) {
  json j;
  j["ociVersion"] = spec.oci_version;
  j["process"] = process_json(spec.process);
  j["root"] = {{"path", spec.root.path}, {"readonly", spec.root.readonly}};
  put(j, "hostname", spec.hostname);
  put(j, "domainname", spec.domainname);
  put_each(j, "mounts", spec.mounts, mount_json);
  if (json h = hooks_json(spec.hooks); !h.empty()) j["hooks"] = std::move(h);
  put(j, "annotations", spec.annotations);
  j["linux"] = linux_json(spec.linux);
  if (json x = extensions_json(spec.vcrun); !x.empty()) j["vcrun"] = std::move(x);
  return j;
}

}  // namespace vcrun
