// config.json → ContainerSpec: the top level (process, root, mounts, hooks, annotations,
// vcrun's extension object), load_spec and namespace names. Linux parts: spec_parse_linux.cpp.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <limits>

#include "base/fd.hpp"
#include "base/fs_util.hpp"
#include "base/text.hpp"
#include "runtime/spec/json.hpp"
#include "runtime/spec/json_overflow.hpp"
#include "runtime/spec/validate.hpp"
#include "vcrun/net_values.hpp"
#include "vcrun/spec.hpp"

namespace vcrun {

using spec_detail::Node;

namespace {

struct RlimitName {
  const char* name;
  int resource;
};

constexpr RlimitName kRlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
};

// Values that must fit an int (oomScoreAdj, hook timeouts) are range-checked here so the
// narrowing is safe; the semantic range is checked again by validate_spec.
int small_int(const Node& n, const char* range_msg) {
  int64_t v = n.i64();
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
    n.fail(range_msg);
  return static_cast<int>(v);
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

User parse_user(const Node& n) {
  User u;
  u.uid = n.require("uid").u32();
  u.gid = n.require("gid").u32();
  if (auto m = n.get("umask")) u.umask = m->u32();
  if (auto g = n.get("additionalGids"))
    for (const auto& e : g->elements()) u.additional_gids.push_back(e.u32());
  return u;
}

Rlimit parse_rlimit(const Node& n) {
  Rlimit r;
  Node type = n.require("type");
  r.name = type.str();
  auto it = std::find_if(std::begin(kRlimits), std::end(kRlimits),
                         [&](const RlimitName& k) { return r.name == k.name; });
  if (it == std::end(kRlimits)) type.fail("unknown rlimit \"" + r.name + "\"");
  r.resource = it->resource;
  r.soft = n.require("soft").u64();
  r.hard = n.require("hard").u64();
  return r;
}

// Names are upper-cased so "cap_chown" and "CAP_CHOWN" compare equal downstream; whether
// a name exists is checked (with libcap-ng) by validate_spec, which quick mode also runs.
Capabilities parse_capabilities(const Node& n) {
  Capabilities c;
  auto set = [&](const char* key, std::vector<std::string>& out) {
    if (auto s = n.get(key))
      for (auto& name : s->strings()) out.push_back(upper(std::move(name)));
  };
  set("bounding", c.bounding);
  set("effective", c.effective);
  set("inheritable", c.inheritable);
  set("permitted", c.permitted);
  set("ambient", c.ambient);
  return c;
}

Process parse_process(const Node& n) {
  Process p;
  auto args = n.get("args");
  if (!args || !args->raw().is_array() || args->raw().empty())
    throw SpecError(n.path() + ".args", "must be a non-empty array");
  p.args = args->strings();
  if (auto t = n.get("terminal")) p.terminal = t->boolean();
  if (auto c = n.get("consoleSize")) {
    constexpr uint32_t kMax = 0xffff;  // struct winsize holds unsigned shorts
    ConsoleSize size{c->require("height").u32(), c->require("width").u32()};
    if (size.height > kMax) c->require("height").fail("must be at most 65535");
    if (size.width > kMax) c->require("width").fail("must be at most 65535");
    p.console_size = size;
  }
  if (auto e = n.get("env")) p.env = e->strings();
  p.cwd = n.require("cwd").str();
  if (auto u = n.get("user")) p.user = parse_user(*u);
  if (auto r = n.get("rlimits"))
    for (const auto& e : r->elements()) p.rlimits.push_back(parse_rlimit(e));
  if (auto c = n.get("capabilities")) p.capabilities = parse_capabilities(*c);
  if (auto v = n.get("noNewPrivileges")) p.no_new_privileges = v->boolean();
  if (auto v = n.get("oomScoreAdj"))
    p.oom_score_adj = small_int(*v, "must be between -1000 and 1000");
  if (auto v = n.get("apparmorProfile")) p.apparmor_profile = v->str();
  if (auto v = n.get("selinuxLabel")) p.selinux_label = v->str();
  return p;
}

bool has_bind_option(const std::vector<std::string>& options) {
  return std::any_of(options.begin(), options.end(),
                     [](const std::string& o) { return o == "bind" || o == "rbind"; });
}

Mount parse_mount(const Node& n, const std::string& bundle) {
  Mount m;
  m.destination = n.require("destination").str();
  if (auto t = n.get("type")) m.type = t->str();
  if (auto s = n.get("source")) m.source = s->str();
  if (auto o = n.get("options")) m.options = o->strings();
  bool bind = has_bind_option(m.options);
  if (bind && (m.type.empty() || m.type == "none")) m.type = "bind";
  // Only bind sources are host paths; "proc", "tmpfs"... are labels and stay untouched.
  if ((bind || m.type == "bind") && !m.source.empty())
    m.source = spec_detail::resolve_path(bundle, m.source);
  return m;
}

Hook parse_hook(const Node& n) {
  Hook h;
  h.path = n.require("path").str();
  if (auto a = n.get("args")) h.args = a->strings();
  if (auto e = n.get("env")) h.env = e->strings();
  if (auto t = n.get("timeout")) h.timeout = small_int(*t, "must be greater than 0");
  return h;
}

// The OCI hook points, in the order the lifecycle runs them.
constexpr std::pair<const char*, std::vector<Hook> Hooks::*> kHookPoints[] = {
    {"prestart", &Hooks::prestart},
    {"createRuntime", &Hooks::create_runtime},
    {"createContainer", &Hooks::create_container},
    {"startContainer", &Hooks::start_container},
    {"poststart", &Hooks::poststart},
    {"poststop", &Hooks::poststop},
};

Hooks parse_hooks(const Node& n) {
  Hooks h;
  for (const auto& [key, member] : kHookPoints)
    if (auto l = n.get(key))
      for (const auto& e : l->elements()) (h.*member).push_back(parse_hook(e));
  return h;
}

NetworkSpec parse_network(const Node& n) {
  NetworkSpec net;
  if (auto m = n.get("mode")) {
    std::string mode = m->str();
    if (mode == "bridge") net.mode = NetworkMode::bridge;
    else if (mode != "none") m->fail("must be \"none\" or \"bridge\", got \"" + mode + "\"");
  }
  // Each value is parsed here, once; validate_network checks how they fit together.
  if (auto v = n.get("ip")) {
    net.ip = parse_ipv4(v->str());
    if (!net.ip) v->fail("must be an IPv4 address, got " + vcrun::quoted(v->str()));
  }
  if (auto v = n.get("bridge")) net.bridge = v->str();
  if (auto v = n.get("subnet")) {
    std::string why;
    net.subnet = parse_ipv4_net(v->str(), &why);
    if (!net.subnet) v->fail(why + ", got " + vcrun::quoted(v->str()));
  }
  if (auto v = n.get("publish"))
    for (const auto& e : v->elements()) net.publish.push_back(parse_published(e.str(), e.path()));
  auto rate = [](const Node& v) {
    if (!v.raw().is_string()) v.fail("must be a string with a unit, like \"10mbit\"");
    std::string why;
    auto bits = parse_rate(v.str(), &why);
    if (!bits) v.fail(why + ", got \"" + v.str() + "\"");
    return *bits;
  };
  if (auto v = n.get("rate")) net.rate = rate(*v);
  if (auto v = n.get("ceil")) net.ceil = rate(*v);
  if (auto v = n.get("share")) net.share = v->number();
  if (auto v = n.get("egress")) net.egress = v->str();
  if (auto v = n.get("linkRate")) net.link_rate = rate(*v);
  return net;
}

VcrunExtensions parse_extensions(const Node& n) {
  VcrunExtensions x;
  if (auto cpu = n.get("cpu")) {
    if (auto r = cpu->get("reservation")) x.cpu_reservation = r->number();
    if (auto s = cpu->get("share")) x.cpu_share = s->number();
  }
  if (auto mem = n.get("memory")) {
    if (auto h = mem->get("high")) x.memory_high = h->i64();
    if (auto m = mem->get("min")) x.memory_min = m->i64();
  }
  if (auto i = n.get("init")) x.init = i->boolean();
  if (auto sc = n.get("seccomp")) {
    if (sc->str() != "default") sc->fail("must be \"default\" (the built-in profile)");
    x.default_seccomp = true;
  }
  if (auto net = n.get("network")) {
    x.network = parse_network(*net);
    if (auto b = net->get("bindAllow")) x.bind_allow = parse_bind_allow(b->strings(), b->path());
  }
  if (auto l = n.get("lowers")) {
    x.lowers = l->strings();
    for (const auto& e : l->elements())
      if (e.str().empty()) e.fail("must not be empty");
  }
  if (auto u = n.get("upper")) {
    x.upper = u->str();
    if (x.upper.empty()) u->fail("must not be empty");
  }
  return x;
}

// Any 1.x is accepted: minor versions only add optional fields, which we may ignore.
void check_version(const Node& n, const std::string& v) {
  if (v.empty()) n.fail("must not be empty");
  if (v.size() < 2 || v[0] != '1' || v[1] != '.')
    n.fail("unsupported version \"" + v + "\" (vcrun supports 1.x)");
}

}  // namespace

std::vector<std::string> spec_detail::hook_point_names() {
  std::vector<std::string> names;
  for (const auto& point : kHookPoints) names.emplace_back(point.first);
  return names;
}

const char* network_mode_name(NetworkMode m) {
  switch (m) {
    case NetworkMode::host: return "host";
    case NetworkMode::bridge: return "bridge";
    case NetworkMode::none: break;
  }
  return "none";
}

const char* namespace_name(NamespaceType t) {
  switch (t) {
    case NamespaceType::pid: return "pid";
    case NamespaceType::network: return "network";
    case NamespaceType::mount: return "mount";
    case NamespaceType::ipc: return "ipc";
    case NamespaceType::uts: return "uts";
    case NamespaceType::user: return "user";
    case NamespaceType::cgroup: return "cgroup";
    case NamespaceType::time: return "time";
  }
  return "unknown";
}

namespace {

// A JSON object from `text`; parse errors become SpecError(`what`, ...) with line/column.
nlohmann::json parse_object(const std::string& text, const std::string& what) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix: users need line/column.
    std::string msg = e.what();
    if (auto pos = msg.find("] "); msg.starts_with("[json.exception") && pos != std::string::npos)
      msg = msg.substr(pos + 2);
    // "last read" echoes the offending token, which can be an entire huge string.
    if (msg.size() > 300) msg = msg.substr(0, 300) + "...";
    throw SpecError(what, "invalid JSON: " + msg);
  } catch (const nlohmann::json::out_of_range& e) {
    // A number beyond a double ("uid": 1e999): named by its field.
    auto at = find_json_overflow(text, what == "config.json" ? "" : what);
    if (!at) throw SpecError(what, "invalid JSON: a number is out of range");
    throw SpecError(at->field.empty() ? what : at->field,
                    "the number " + at->token.substr(0, 40) + " is out of range");
  }
  if (!doc.is_object()) throw SpecError(what, "must be a JSON object");
  return doc;
}

}  // namespace

Process parse_process_json(const std::string& json_text) {
  nlohmann::json doc = parse_object(json_text, "process");
  Process p = parse_process(Node(doc, "process"));
  validate_process(p);
  return p;
}

std::string read_config_file(const std::string& path) { return read_file(path); }

std::string read_bundle_config(const std::string& bundle) { return read_regular_file(bundle + "/config.json"); }

void write_config_file(const std::string& path, const std::string& text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd) throw_errno("create " + path);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw_errno("write " + path);
}

Resources parse_resources_json(const std::string& json_text) {
  nlohmann::json doc = parse_object(json_text, "resources");
  Resources r = spec_detail::parse_resources(Node(doc, "resources"));
  spec_detail::validate_resources(r);
  return r;
}

ContainerSpec parse_spec(const std::string& json_text, const std::string& bundle) {
  nlohmann::json doc = parse_object(json_text, "config.json");
  std::string base = std::filesystem::absolute(bundle.empty() ? "." : bundle).string();

  Node top(doc, "");
  ContainerSpec spec;
  Node version = top.require("ociVersion");
  spec.oci_version = version.str();
  check_version(version, spec.oci_version);

  spec.process = parse_process(top.require("process"));

  Node root = top.require("root");
  spec.root.path = root.require("path").str();
  if (spec.root.path.empty()) throw SpecError("root.path", "must not be empty");
  spec.root.path = spec_detail::resolve_path(base, spec.root.path);
  if (auto ro = root.get("readonly")) spec.root.readonly = ro->boolean();

  if (auto h = top.get("hostname")) spec.hostname = h->str();
  if (auto d = top.get("domainname")) spec.domainname = d->str();
  if (auto m = top.get("mounts"))
    for (const auto& e : m->elements()) spec.mounts.push_back(parse_mount(e, base));
  if (auto h = top.get("hooks")) spec.hooks = parse_hooks(*h);
  if (auto a = top.get("annotations")) spec.annotations = a->string_map();
  if (auto l = top.get("linux")) spec.linux = spec_detail::parse_linux(*l);
  if (auto x = top.get("vcrun")) spec.vcrun = parse_extensions(*x);
  for (auto& l : spec.vcrun.lowers) l = spec_detail::resolve_path(base, l);
  if (!spec.vcrun.upper.empty()) spec.vcrun.upper = spec_detail::resolve_path(base, spec.vcrun.upper);
  // No network namespace: the caller's is shared. Bridge mode without one is refused below.
  if (spec.vcrun.network.mode == NetworkMode::none && !spec.has_namespace(NamespaceType::network))
    spec.vcrun.network.mode = NetworkMode::host;

  validate_spec(spec);
  return spec;
}

ContainerSpec load_spec(const std::string& bundle) {
  std::string dir = std::filesystem::absolute(bundle.empty() ? "." : bundle).lexically_normal();
  if (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  std::string text;
  try {
    text = read_bundle_config(dir);
  } catch (const Error& e) {
    throw Error(std::string("config.json: cannot read: ") + e.what(), e.code());
  }
  return parse_spec(text, dir);
}

}  // namespace vcrun
