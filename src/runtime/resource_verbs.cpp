// The verbs of vcrun::Runtime that act on a running container's cgroup: update (limits and
// the bind allowlist), pause, resume, stats, events. Each resolves the id through the
// state store, then hands the cgroup path to the cgroup (or net) module.
#include <fcntl.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>
#include <variant>

#include <nlohmann/json.hpp>

#include "base/fd.hpp"
#include "cgroup/freezer.hpp"
#include "cgroup/stats.hpp"
#include "cgroup/update.hpp"
#include "cgroup/bind_allow.hpp"
#include "net/policy/shaping.hpp"
#include "runtime/state/state.hpp"
#include "vcrun/error.hpp"
#include "vcrun/runtime.hpp"

namespace vcrun {

namespace {

// A container whose cgroup a verb may act on: created, running or paused, with a cgroup.
state::ContainerState live(const state::Store& store, const std::string& id, const char* verb) {
  state::Store::validate_id(id);
  auto st = store.load(id);
  auto status = state::current_status(st);
  if (status == state::Status::stopped || status == state::Status::creating)
    throw Error(std::string("cannot ") + verb + " container " + id + ": it is " + state::status_name(status),
                EINVAL);
  if (st.cgroup_path.empty()) throw Error("container " + id + " has no cgroup", ENOENT);
  return st;
}

}  // namespace

void Runtime::update(const std::string& id, const ResourceUpdate& changes) {
  state::Store store(root_);
  auto lock = store.lock(id);
  auto st = live(store, id, "update");
  // A new bind allowlist is verified before any limit changes, attached after: a refused
  // update changes nothing.
  std::optional<cgroup::BindPrograms> binds;
  if (changes.bind_allow) binds = cgroup::load_bind_allow(*changes.bind_allow, st.cgroup_path);
  // Egress shaping first: its admission may refuse, and then nothing has changed.
  bool shaped = changes.net_rate || changes.net_ceil || changes.net_share;
  if (shaped) {
    const net::ShapeAttachment* c = teardown::net_class(st.teardown);
    if (!c)
      throw SpecError(changes.net_rate   ? "vcrun.network.rate"
                      : changes.net_ceil ? "vcrun.network.ceil"
                                         : "vcrun.network.share",
                      "container " + id + " has no HTB class (give it one when creating it)");
    net::update_shaping(*c, store.cgroup_name(id), {changes.net_rate, changes.net_ceil, changes.net_share});
  }
  // The cgroup's limits, as the cgroup module reads them: the spec fields they come from.
  ContainerSpec limits;
  limits.linux.resources = changes.resources;
  if (limits.linux.resources) limits.linux.resources->devices.clear();  // a live container's stay
  limits.vcrun.cpu_reservation = changes.cpu_reservation;
  limits.vcrun.cpu_share = changes.cpu_share;
  // The cgroup's files change unless the update was network-only (allowlist, class).
  bool network_only = (binds || shaped) && limits == ContainerSpec{};
  if (!network_only) cgroup::update_container(id, st.cgroup_path, limits);
  if (binds) {
    UniqueFd cg(::open(st.cgroup_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!cg) throw_errno("open cgroup " + st.cgroup_path);
    cgroup::attach_bind_allow(cg.get(), *binds, st.cgroup_path);
  }
}

void Runtime::pause(const std::string& id) {
  state::Store store(root_);
  auto lock = store.lock(id);
  auto st = live(store, id, "pause");
  if (state::current_status(st) == state::Status::paused)
    throw Error("container " + id + " is already paused", EINVAL);
  cgroup::set_frozen(st.cgroup_path, true);
}

void Runtime::resume(const std::string& id) {
  state::Store store(root_);
  auto lock = store.lock(id);
  auto st = live(store, id, "resume");
  if (state::current_status(st) != state::Status::paused)
    throw Error("container " + id + " is not paused", EINVAL);
  cgroup::set_frozen(st.cgroup_path, false);
}

std::vector<ContainerStats> Runtime::stats(std::vector<std::string> ids) {
  state::Store store(root_);
  if (ids.empty()) ids = store.list();
  std::vector<std::pair<std::string, std::string>> targets;
  std::vector<std::optional<net::ShapeAttachment>> classes;
  for (const auto& id : ids) {
    state::Store::validate_id(id);
    auto st = store.load(id);
    targets.emplace_back(id, st.cgroup_path);
    classes.emplace_back();
    if (const auto* c = teardown::net_class(st.teardown)) classes.back() = *c;
  }
  auto stats = cgroup::sample_stats(targets);
  for (size_t i = 0; i < stats.size() && i < classes.size(); ++i) {
    if (!classes[i]) continue;
    try {
      stats[i].network = net::shaping_counters(*classes[i]);
    } catch (const Error&) {
      // The class is unreadable from here (another network namespace): stats go on without it.
    }
  }
  return stats;
}

void Runtime::events(const std::string& id, std::chrono::milliseconds interval, bool once,
                     const std::function<void(const std::string&)>& emit) {
  state::Store store(root_);
  state::Store::validate_id(id);
  auto st = store.load(id);
  if (state::current_status(st) == state::Status::stopped)
    throw Error("container " + id + " is not running", EINVAL);
  if (st.cgroup_path.empty()) throw Error("container " + id + " has no cgroup", ENOENT);
  const std::string& cg = st.cgroup_path;
  auto event = [&](const char* type, const nlohmann::json* data) {
    nlohmann::ordered_json e = {{"type", type}, {"id", id}};  // runc's order
    if (data) e["data"] = *data;
    emit(e.dump());
  };
  auto stats_event = [&] {
    auto data = cgroup::runc_stats(cg);
    event("stats", &data);
  };
  if (once) return stats_event();
  // memory.events is polled (a tenth of a second apart, or the interval if shorter):
  // every increase of oom_kill is one "oom" event, as runc reports them.
  using std::chrono::steady_clock;
  uint64_t ooms = cgroup::oom_kill_count(cg).value_or(0);
  auto tick = std::min<std::chrono::milliseconds>(interval, std::chrono::milliseconds(100));
  auto next = steady_clock::now() + interval;
  for (;;) {
    std::this_thread::sleep_for(tick);
    if (auto now_ooms = cgroup::oom_kill_count(cg); now_ooms && *now_ooms > ooms)
      for (; ooms < *now_ooms; ++ooms) event("oom", nullptr);
    if (state::current_status(st) == state::Status::stopped) break;
    if (steady_clock::now() >= next) {
      stats_event();
      next += interval;
    }
  }
}

}  // namespace vcrun
