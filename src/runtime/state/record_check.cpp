// The teardown record checked entry by entry against the container's id and root.
#include "runtime/state/record_check.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <variant>

#include "base/fs_util.hpp"
#include "cgroup/hierarchy.hpp"
#include "cgroup/hooks_cgroup.hpp"
#include "net/policy/bridge.hpp"
#include "net/values/ipv4.hpp"
#include "net/state/leases.hpp"
#include "vcrun/error.hpp"

namespace vcrun::state {

namespace {

// A link name the kernel would accept, which no path trick can hide in.
bool plain_ifname(const std::string& n) {
  if (n.empty() || n.size() > 15 || n == "." || n == "..") return false;
  for (char c : n)
    if (c == '/' || c == ':' || c <= ' ' || c == 0x7f) return false;
  return true;
}

// The host end of a bridge link is named after its address.
std::string veth_of(const std::string& ip) {
  auto a = net::parse_ipv4(ip);
  return a ? net::veth_name(*a) : "";
}

// True when another container of the store records `path` as its cgroup.
bool held_by_another(const Store& store, const std::string& id, const std::string& path) {
  for (const auto& other : store.list()) {
    if (other == id) continue;
    try {
      if (store.load(other).cgroup_path == path) return true;
    } catch (const std::exception&) {
      // Unreadable: its own default cgroup is all it could claim, and that is not `path`.
    }
  }
  return false;
}

struct Expected {
  std::string cgroup;  // "" when there is no cgroup2 hierarchy
  bool own_parent = true;
  std::string hooks;
};

// What the id and root give. `with_config`: read the stored config's linux.cgroupsPath (a
// JSON parse) for the cgroup; without, vcrun's default cgroup, which is this id's alone
// whatever the config says: delete of an ordinary record never parses the config.
Expected expected_of(const Store& store, const std::string& id, bool with_config) {
  Expected e;
  std::string cgroups_path = with_config ? stored_cgroups_path(store, id) : "";
  e.own_parent = cgroups_path.empty();
  try {
    e.cgroup = cgroup::container_dir(cgroups_path, store.cgroup_name(id));
    e.hooks = cgroup::hooks_dir(store.cgroup_name(id));
  } catch (const Error& err) {
    spdlog::debug("container {}: no cgroup to derive: {}", id, err.what());
  }
  return e;
}

}  // namespace

std::string stored_cgroups_path(const Store& store, const std::string& id) {
  try {
    auto text = read_file_if_exists(store.dir(id) + "/config.json");
    if (!text) return "";
    auto j = nlohmann::json::parse(*text);
    auto linux = j.find("linux");
    if (linux != j.end() && linux->is_object()) {
      auto path = linux->find("cgroupsPath");
      if (path != linux->end() && path->is_string()) return path->get<std::string>();
    }
  } catch (const std::exception& e) {
    spdlog::warn("container {}: config.json unreadable ({}): looking for its cgroup under vcrun's default parent only",
                 id, e.what());
  }
  return "";
}

teardown::Record checked_teardown(const Store& store, const ContainerState& st) {
  const std::string& id = st.id;
  const Expected by_default = expected_of(store, id, false);
  std::optional<Expected> configured;  // read only when the record or its absence needs it
  auto from_config = [&]() -> const Expected& {
    if (!configured) configured = expected_of(store, id, true);
    return *configured;
  };
  auto skip = [&](const std::string& what, const std::string& why) {
    spdlog::warn("container {}: teardown record: not removing {}: {}", id, what, why);
  };
  std::optional<std::string> lease_dir;  // bridge links and net classes: this network namespace's
  auto leases = [&]() -> const std::string& {
    if (!lease_dir) {
      try {
        lease_dir = net::netns_lease_dir();
      } catch (const Error&) {
        lease_dir = "";
      }
    }
    return *lease_dir;
  };
  teardown::Record out;
  bool has_cgroup = false, has_hooks = false;
  for (const auto& m : st.teardown.made) {
    if (const auto* c = std::get_if<cgroup::MadeCgroup>(&m)) {
      const Expected& want = !by_default.cgroup.empty() && c->path == by_default.cgroup ? by_default : from_config();
      if (c->path != want.cgroup || want.cgroup.empty()) {
        skip("cgroup " + c->path, "the container's cgroup is " + (want.cgroup.empty() ? "none" : want.cgroup));
      } else if (!want.own_parent && held_by_another(store, id, c->path)) {
        skip("cgroup " + c->path, "another container of this root holds it");
      } else {
        // Only vcrun's own parent's cgroup is vcrun's to remove whatever the record says.
        out.made.push_back(cgroup::MadeCgroup{c->path, want.own_parent || c->created});
        has_cgroup = true;
      }
    } else if (const auto* d = std::get_if<cgroup::MadeCgroupDirs>(&m)) {
      cgroup::MadeCgroupDirs kept;
      const Expected& want = from_config();
      for (const auto& dir : d->dirs) {
        // A linux.cgroupsPath's made directories: the cgroup itself and its ancestors.
        if (!want.own_parent && !want.cgroup.empty() && path_within(want.cgroup, dir) &&
            dir.find("/..") == std::string::npos && dir.find("/./") == std::string::npos)
          kept.dirs.push_back(dir);
        else
          skip("cgroup directory " + dir, "not the container's linux.cgroupsPath or above it");
      }
      if (!kept.dirs.empty()) out.made.emplace_back(std::move(kept));
    } else if (const auto* h = std::get_if<cgroup::MadeHooksCgroup>(&m)) {
      if (h->path != by_default.hooks || by_default.hooks.empty()) {
        skip("hooks cgroup " + h->path, "the container's is " + (by_default.hooks.empty() ? "none" : by_default.hooks));
      } else {
        out.made.push_back(m);
        has_hooks = true;
      }
    } else if (const auto* b = std::get_if<net::BridgeAttachment>(&m)) {
      if (b->leases != leases())
        skip("bridge link " + b->veth, "its leases " + b->leases + " are not this network namespace's");
      else if (!plain_ifname(b->bridge) || b->veth != veth_of(b->ip))
        skip("bridge link " + b->veth, "bridge " + b->bridge + " / address " + b->ip + " do not name it");
      else
        out.made.push_back(m);
    } else if (const auto* n = std::get_if<net::ShapeAttachment>(&m)) {
      // The class ledger lives beside the leases (net/policy/shaping.cpp).
      if (n->root != leases() || !plain_ifname(n->device))
        skip("net class on " + n->device, "its ledger " + n->root + " is not this network namespace's");
      else
        out.made.push_back(m);
    }
  }
  // What the id and root give, whatever the record says (first: undone last, as launch made them).
  if (!has_cgroup && from_config().own_parent && !by_default.cgroup.empty())
    out.made.insert(out.made.begin(), cgroup::MadeCgroup{by_default.cgroup, true});
  if (!has_hooks && !by_default.hooks.empty()) out.made.push_back(cgroup::MadeHooksCgroup{by_default.hooks});
  return out;
}

teardown::Subject delete_subject(const Store& store, const ContainerState& st) {
  teardown::Subject s;
  s.id = st.id;
  s.holder = store.cgroup_name(st.id);
  s.pid = st.pid;
  s.made = checked_teardown(store, st);
  s.init_alive = [&st] { return init_alive(st); };
  s.remove_state = [&store, &st] { store.remove(st.id); };
  return s;
}

teardown::Subject unreadable_subject(const Store& store, const std::string& id) {
  teardown::Subject s;
  s.id = id;
  s.holder = store.cgroup_name(id);
  s.remove_state = [&store, id] { store.remove(id); };
  s.cgroups_path = stored_cgroups_path(store, id);
  return s;
}

}  // namespace vcrun::state
