// Undoing a container from its teardown record (runtime/state/teardown.hpp).
#include "runtime/teardown.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <exception>
#include <string>
#include <variant>

#include <spdlog/spdlog.h>

#include "cgroup/container_cgroup.hpp"
#include "net/policy/bridge.hpp"
#include "net/policy/shaping.hpp"
#include "runtime/state/record_check.hpp"

namespace vcrun {

namespace {

struct Undo {
  const std::string holder;  // the container's cgroup name, which its leases hold
  const bool init_gone;      // the init has exited (and was reaped): its namespaces are going away
  void operator()(const state::MadeCgroup& c) const { cgroup::destroy(c.path, c.created); }
  void operator()(const state::MadeCgroupDirs& d) const { cgroup::remove_made_dirs(d.dirs); }
  void operator()(const state::MadeHooksCgroup& h) const { cgroup::destroy(h.path); }
  void operator()(const state::MadeNetClass& c) const { net::detach_shaping({c.root, c.device, c.minor}, holder); }
  void operator()(const state::MadeBridgeLink& b) const {
    net::detach_bridge({b.leases, b.bridge, b.subnet, b.ip, b.veth, b.published}, holder, init_gone);
  }
};

bool has_cgroup(const state::Teardown& t) {
  for (const auto& m : t.made)
    if (std::holds_alternative<state::MadeCgroup>(m)) return true;
  return false;
}

bool has_bridge_link(const state::Teardown& t) {
  for (const auto& m : t.made)
    if (std::holds_alternative<state::MadeBridgeLink>(m)) return true;
  return false;
}

}  // namespace

void tear_down(const state::Store& store, const state::ContainerState& st,
               const std::function<void()>& poststop) {
  // Only what the container's id and root give is acted on, whatever the record says.
  const state::Teardown made = state::checked_teardown(store, st);
  // With a cgroup, undoing it kills every process in it; without one only the init is ours.
  // Whether the init lives is read only when it matters: to kill it, or for a bridge link.
  const bool alive = st.pid > 0 && (!has_cgroup(made) || has_bridge_link(made)) && state::init_alive(st);
  if (!has_cgroup(made) && alive) ::kill(st.pid, SIGKILL);
  std::exception_ptr first;
  auto undo = [&](const state::Made& m) {
    try {
      std::visit(Undo{store.cgroup_name(st.id), st.pid > 0 && !alive}, m);
    } catch (const std::exception& e) {
      spdlog::warn("{}: {}", st.id, e.what());
      if (!first) first = std::current_exception();
    }
  };
  // The hooks cgroup outlives the rest until the poststop hooks have run in it; it lies
  // outside the other entries' directories, so the order among them is kept.
  for (auto it = made.made.rbegin(); it != made.made.rend(); ++it)
    if (!std::holds_alternative<state::MadeHooksCgroup>(*it)) undo(*it);
  if (poststop) poststop();
  for (const auto& m : made.made)
    if (std::holds_alternative<state::MadeHooksCgroup>(m)) undo(m);
  // The init is our child only when this process launched it: reap it if so.
  if (st.pid > 0) ::waitpid(st.pid, nullptr, WNOHANG);
  store.remove(st.id);
  if (first) std::rethrow_exception(first);
}

}  // namespace vcrun
