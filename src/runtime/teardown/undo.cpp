// Undoing a container from its teardown record (record.hpp), entry by entry in reverse.
#include "runtime/teardown/undo.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <exception>
#include <variant>

#include <spdlog/spdlog.h>

#include "cgroup/container_cgroup.hpp"
#include "net/policy/bridge.hpp"
#include "net/policy/shaping.hpp"

namespace vcrun::teardown {

namespace {

// One overload per kind of Made: a kind without one does not compile.
struct Undo {
  const std::string& holder;  // the container's cgroup name, which its leases hold
  const bool init_gone;       // the init has exited (and was reaped): its namespaces are going away
  void operator()(const cgroup::MadeCgroup& c) const { cgroup::destroy(c.path, c.created); }
  void operator()(const cgroup::MadeCgroupDirs& d) const { cgroup::remove_made_dirs(d.dirs); }
  void operator()(const cgroup::MadeHooksCgroup& h) const { cgroup::destroy(h.path); }
  void operator()(const net::ShapeAttachment& c) const { net::detach_shaping(c, holder); }
  void operator()(const net::BridgeAttachment& b) const { net::detach_bridge(b, holder, init_gone); }
};

template <class T>
bool has(const Record& r) {
  for (const auto& m : r.made)
    if (std::holds_alternative<T>(m)) return true;
  return false;
}

}  // namespace

void undo(const Subject& s, const std::function<void()>& poststop) {
  const Record& made = s.made;
  const bool has_cgroup = has<cgroup::MadeCgroup>(made);
  // With a cgroup, undoing it kills every process in it; without one only the init is ours.
  // Whether the init lives is read only when it matters: to kill it, or for a bridge link.
  const bool alive = s.pid > 0 && (!has_cgroup || has<net::BridgeAttachment>(made)) && s.init_alive();
  if (!has_cgroup && alive) ::kill(s.pid, SIGKILL);
  std::exception_ptr first;
  const Undo each{s.holder, s.pid > 0 && !alive};
  auto undo_one = [&](const Made& m) {
    try {
      std::visit(each, m);
    } catch (const std::exception& e) {
      spdlog::warn("{}: {}", s.id, e.what());
      if (!first) first = std::current_exception();
    }
  };
  // The hooks cgroup outlives the rest until the poststop hooks have run in it; it lies
  // outside the other entries' directories, so the order among them is kept.
  for (auto it = made.made.rbegin(); it != made.made.rend(); ++it)
    if (!std::holds_alternative<cgroup::MadeHooksCgroup>(*it)) undo_one(*it);
  if (poststop) poststop();
  for (const auto& m : made.made)
    if (std::holds_alternative<cgroup::MadeHooksCgroup>(m)) undo_one(m);
  // The init is our child only when this process launched it: reap it if so.
  if (s.pid > 0) ::waitpid(s.pid, nullptr, WNOHANG);
  s.remove_state();
  if (first) std::rethrow_exception(first);
}

}  // namespace vcrun::teardown
