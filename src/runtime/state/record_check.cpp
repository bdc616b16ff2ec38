// The teardown record checked entry by entry against the container's id and root.
#include "runtime/state/record_check.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <variant>

#include "base/fs_util.hpp"
#include "cgroup/hierarchy.hpp"
#include "cgroup/hooks_cgroup.hpp"
#include "netfilter/bridge.hpp"
#include "netfilter/ipv4.hpp"
#include "netfilter/leases.hpp"
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

Expected expected_of(const Store& store, const std::string& id) {
  Expected e;
  std::string cgroups_path = stored_cgroups_path(store, id);
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

Teardown checked_teardown(const Store& store, const ContainerState& st) {
  const std::string& id = st.id;
  const Expected want = expected_of(store, id);
  auto skip = [&](const std::string& what, const std::string& why) {
    spdlog::warn("container {}: teardown record: not removing {}: {}", id, what, why);
  };
  std::string lease_dir;  // bridge links and net classes: this network namespace's
  try {
    lease_dir = net::netns_lease_dir();
  } catch (const Error&) {
  }
  Teardown out;
  bool has_cgroup = false, has_hooks = false;
  for (const auto& m : st.teardown.made) {
    if (const auto* c = std::get_if<MadeCgroup>(&m)) {
      if (c->path != want.cgroup || want.cgroup.empty()) {
        skip("cgroup " + c->path, "the container's cgroup is " + (want.cgroup.empty() ? "none" : want.cgroup));
      } else if (!want.own_parent && held_by_another(store, id, c->path)) {
        skip("cgroup " + c->path, "another container of this root holds it");
      } else {
        // Only vcrun's own parent's cgroup is vcrun's to remove whatever the record says.
        out.made.push_back(MadeCgroup{c->path, want.own_parent || c->created});
        has_cgroup = true;
      }
    } else if (const auto* d = std::get_if<MadeCgroupDirs>(&m)) {
      MadeCgroupDirs kept;
      for (const auto& dir : d->dirs) {
        // A linux.cgroupsPath's made directories: the cgroup itself and its ancestors.
        if (!want.own_parent && !want.cgroup.empty() && path_within(want.cgroup, dir) &&
            dir.find("/..") == std::string::npos && dir.find("/./") == std::string::npos)
          kept.dirs.push_back(dir);
        else
          skip("cgroup directory " + dir, "not the container's linux.cgroupsPath or above it");
      }
      if (!kept.dirs.empty()) out.made.emplace_back(std::move(kept));
    } else if (const auto* h = std::get_if<MadeHooksCgroup>(&m)) {
      if (h->path != want.hooks || want.hooks.empty()) {
        skip("hooks cgroup " + h->path, "the container's is " + (want.hooks.empty() ? "none" : want.hooks));
      } else {
        out.made.push_back(m);
        has_hooks = true;
      }
    } else if (const auto* b = std::get_if<MadeBridgeLink>(&m)) {
      if (b->leases != lease_dir)
        skip("bridge link " + b->veth, "its leases " + b->leases + " are not this network namespace's");
      else if (!plain_ifname(b->bridge) || b->veth != veth_of(b->ip))
        skip("bridge link " + b->veth, "bridge " + b->bridge + " / address " + b->ip + " do not name it");
      else
        out.made.push_back(m);
    } else if (const auto* n = std::get_if<MadeNetClass>(&m)) {
      // The class ledger lives beside the leases (netfilter/shaping.cpp).
      if (n->root != lease_dir || !plain_ifname(n->device))
        skip("net class on " + n->device, "its ledger " + n->root + " is not this network namespace's");
      else
        out.made.push_back(m);
    }
  }
  // What the id and root give, whatever the record says (first: undone last, as launch made them).
  if (!has_cgroup && want.own_parent && !want.cgroup.empty())
    out.made.insert(out.made.begin(), MadeCgroup{want.cgroup, true});
  if (!has_hooks && !want.hooks.empty()) out.made.push_back(MadeHooksCgroup{want.hooks});
  return out;
}

}  // namespace vcrun::state
