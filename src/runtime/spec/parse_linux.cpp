// config.json "linux" section → vcrun::Linux: namespaces, id mappings, sysctls, device
// nodes, masked/readonly paths, seccomp. linux.resources lives in spec_parse_resources.cpp.
#include <algorithm>
#include <utility>

#include "runtime/spec/json.hpp"

namespace vcrun::spec_detail {

namespace {

constexpr std::pair<const char*, NamespaceType> kNamespaces[] = {
    {"pid", NamespaceType::pid},       {"network", NamespaceType::network},
    {"mount", NamespaceType::mount},   {"ipc", NamespaceType::ipc},
    {"uts", NamespaceType::uts},       {"user", NamespaceType::user},
    {"cgroup", NamespaceType::cgroup}, {"time", NamespaceType::time},
};

constexpr std::pair<const char*, SeccompAction> kActions[] = {
    {"SCMP_ACT_KILL", SeccompAction::kill_thread},
    {"SCMP_ACT_KILL_THREAD", SeccompAction::kill_thread},
    {"SCMP_ACT_KILL_PROCESS", SeccompAction::kill_process},
    {"SCMP_ACT_TRAP", SeccompAction::trap},
    {"SCMP_ACT_ERRNO", SeccompAction::errno_ret},
    {"SCMP_ACT_TRACE", SeccompAction::trace},
    {"SCMP_ACT_ALLOW", SeccompAction::allow},
    {"SCMP_ACT_LOG", SeccompAction::log},
    {"SCMP_ACT_NOTIFY", SeccompAction::notify},
};

constexpr std::pair<const char*, SeccompOp> kOps[] = {
    {"SCMP_CMP_NE", SeccompOp::ne}, {"SCMP_CMP_LT", SeccompOp::lt},
    {"SCMP_CMP_LE", SeccompOp::le}, {"SCMP_CMP_EQ", SeccompOp::eq},
    {"SCMP_CMP_GE", SeccompOp::ge}, {"SCMP_CMP_GT", SeccompOp::gt},
    {"SCMP_CMP_MASKED_EQ", SeccompOp::masked_eq},
};

template <class T, size_t N>
std::vector<std::string> names_of(const std::pair<const char*, T> (&table)[N]) {
  std::vector<std::string> names;
  for (const auto& entry : table) names.emplace_back(entry.first);
  return names;
}

template <class T, size_t N>
const char* name_of(const std::pair<const char*, T> (&table)[N], T value) {
  for (const auto& entry : table)
    if (entry.second == value) return entry.first;
  return "unknown";
}

// Looks a string field up in one of the tables above; `what` names the kind for the error.
template <class T, size_t N>
T lookup(const Node& n, const std::pair<const char*, T> (&table)[N], const char* what) {
  std::string s = n.str();
  for (const auto& [name, value] : table)
    if (s == name) return value;
  n.fail(std::string("unknown ") + what + " \"" + s + "\"");
}

// One-letter type fields ("c", "b", ...): the allowed set is checked by validate_spec so
// quick-mode specs get the same message.
char type_char(const Node& n, const char* what) {
  std::string s = n.str();
  if (s.size() != 1) n.fail(std::string("unknown ") + what + " \"" + s + "\"");
  return s[0];
}

Namespace parse_namespace(const Node& n) {
  Namespace ns{};
  ns.type = lookup(n.require("type"), kNamespaces, "namespace type");
  if (auto p = n.get("path")) ns.path = p->str();
  return ns;
}

IdMapping parse_mapping(const Node& n) {
  IdMapping m;
  m.container_id = n.require("containerID").u32();
  m.host_id = n.require("hostID").u32();
  m.size = n.require("size").u32();
  return m;
}

DeviceNode parse_device(const Node& n) {
  DeviceNode d;
  d.path = n.require("path").str();
  d.type = type_char(n.require("type"), "device type");
  // Pipes have no device numbers; every other node needs both (OCI).
  if (d.type != 'p') {
    d.major = n.require("major").i64();
    d.minor = n.require("minor").i64();
  }
  if (auto m = n.get("fileMode")) d.file_mode = m->u32();
  if (auto u = n.get("uid")) d.uid = u->u32();
  if (auto g = n.get("gid")) d.gid = g->u32();
  return d;
}

SeccompArg parse_seccomp_arg(const Node& n) {
  SeccompArg a;
  Node index = n.require("index");
  uint64_t i = index.u64();
  if (i > 5) index.fail("must be between 0 and 5");
  a.index = static_cast<unsigned>(i);
  a.value = n.require("value").u64();
  if (auto v = n.get("valueTwo")) a.value_two = v->u64();
  a.op = lookup(n.require("op"), kOps, "seccomp operator");
  return a;
}

SeccompRule parse_seccomp_rule(const Node& n) {
  SeccompRule r;
  // Syscall names are resolved by the security module (it knows the target arches).
  r.names = n.require("names").strings();
  r.action = lookup(n.require("action"), kActions, "seccomp action");
  if (auto e = n.get("errnoRet")) r.errno_ret = e->u32();
  if (auto a = n.get("args"))
    for (const auto& e : a->elements()) r.args.push_back(parse_seccomp_arg(e));
  return r;
}

}  // namespace

std::vector<std::string> namespace_type_names() { return names_of(kNamespaces); }

std::vector<std::string> seccomp_action_names() { return names_of(kActions); }

std::vector<std::string> seccomp_operator_names() { return names_of(kOps); }

const char* seccomp_action_name(SeccompAction a) { return name_of(kActions, a); }

const char* seccomp_operator_name(SeccompOp op) { return name_of(kOps, op); }

Seccomp parse_seccomp(const Node& n) {
  Seccomp s;
  s.default_action = lookup(n.require("defaultAction"), kActions, "seccomp action");
  if (auto e = n.get("defaultErrnoRet")) s.default_errno_ret = e->u32();
  if (auto a = n.get("architectures")) s.architectures = a->strings();
  if (auto f = n.get("flags")) s.flags = f->strings();
  if (auto l = n.get("syscalls"))
    for (const auto& e : l->elements()) s.syscalls.push_back(parse_seccomp_rule(e));
  if (auto p = n.get("listenerPath")) s.listener_path = p->str();
  if (auto m = n.get("listenerMetadata")) s.listener_metadata = m->str();
  return s;
}

Linux parse_linux(const Node& n) {
  Linux l;
  if (auto ns = n.get("namespaces"))
    for (const auto& e : ns->elements()) l.namespaces.push_back(parse_namespace(e));
  if (auto m = n.get("uidMappings"))
    for (const auto& e : m->elements()) l.uid_mappings.push_back(parse_mapping(e));
  if (auto m = n.get("gidMappings"))
    for (const auto& e : m->elements()) l.gid_mappings.push_back(parse_mapping(e));
  if (auto s = n.get("sysctl")) l.sysctl = s->string_map();
  if (auto r = n.get("resources")) l.resources = parse_resources(*r);
  if (auto c = n.get("cgroupsPath")) l.cgroups_path = c->str();
  if (auto d = n.get("devices"))
    for (const auto& e : d->elements()) l.devices.push_back(parse_device(e));
  if (auto m = n.get("maskedPaths")) l.masked_paths = m->strings();
  if (auto r = n.get("readonlyPaths")) l.readonly_paths = r->strings();
  if (auto s = n.get("seccomp")) l.seccomp = parse_seccomp(*s);
  if (auto p = n.get("rootfsPropagation")) l.rootfs_propagation = p->str();
  if (auto m = n.get("mountLabel")) l.mount_label = m->str();
  return l;
}

}  // namespace vcrun::spec_detail
