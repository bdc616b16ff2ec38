// `vcrun events [--stats] [--interval 5s] ID`: runc's event stream, one JSON object per
// line: {"type":"stats","id":...,"data":{cpu,memory,pids,blkio,...}} every interval and
// {"type":"oom","id":...} whenever the OOM killer kills in the container's cgroup, until
// the container stops. --stats prints one stats event and exits.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "cgroup/stats.hpp"
#include "command.hpp"
#include "runtime/state/state.hpp"
#include "vcrun/error.hpp"

namespace vcrun::cli {

namespace {

using namespace std::chrono;

// A Go-style duration as runc takes it: "5s", "500ms", "1m30s", "2h"; a bare number is
// seconds. Must be > 0.
milliseconds parse_interval(const std::string& text) {
  static const std::pair<const char*, double> units[] = {{"ns", 1e-6}, {"us", 1e-3}, {"ms", 1},   {"s", 1e3},
                                                         {"m", 60e3},  {"h", 3600e3}};
  double total = 0;
  const char* p = text.c_str();
  if (*p == 0) throw SpecError("--interval", "expected a duration like 5s or 500ms");
  while (*p) {
    char* end = nullptr;
    double v = std::strtod(p, &end);
    if (end == p) throw SpecError("--interval", "expected a duration like 5s or 500ms, got \"" + text + "\"");
    p = end;
    if (*p == 0 && total == 0) return milliseconds(static_cast<int64_t>(v * 1e3));
    bool matched = false;
    for (const auto& [name, ms] : units) {
      std::string u = name;
      if (std::string(p).rfind(u, 0) == 0 && !(u == "m" && p[1] == 's')) {
        total += v * ms;
        p += u.size();
        matched = true;
        break;
      }
    }
    if (!matched) throw SpecError("--interval", "unknown unit in \"" + text + "\" (use ms, s, m or h)");
  }
  if (total < 1) throw SpecError("--interval", "must be at least 1ms, got \"" + text + "\"");
  return milliseconds(static_cast<int64_t>(total));
}

void emit(const std::string& type, const std::string& id, const nlohmann::json* data) {
  nlohmann::ordered_json e = {{"type", type}, {"id", id}};  // runc's order
  if (data) e["data"] = *data;
  std::cout << e.dump() << std::endl;  // one object per line, flushed: a stream for pipes
}

Registrar events_verb(78, "events", [](CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("events", "stream a container's stats and OOM events as JSON lines (runc's format)");
  auto id = std::make_shared<std::string>();
  auto once = std::make_shared<bool>(false);
  auto interval = std::make_shared<std::string>("5s");
  cmd->add_option("id", *id, "container id")->required();
  cmd->add_flag("--stats", *once, "print the container's stats once and exit");
  cmd->add_option("--interval", *interval, "time between stats events (default 5s)");
  cmd->callback([&g, id, once, interval] {
    auto every = parse_interval(*interval);
    state::Store store(g.root);
    state::Store::validate_id(*id);
    auto st = store.load(*id);
    if (state::current_status(st) == state::Status::stopped)
      throw Error("container " + *id + " is not running", EINVAL);
    if (st.cgroup_path.empty()) throw Error("container " + *id + " has no cgroup", ENOENT);
    const std::string& cg = st.cgroup_path;
    if (*once) {
      auto data = cgroup::runc_stats(cg);
      emit("stats", *id, &data);
      return;
    }
    // memory.events is polled (a tenth of a second apart, or the interval if shorter):
    // every increase of oom_kill is one "oom" event, as runc reports them.
    uint64_t ooms = cgroup::oom_kill_count(cg).value_or(0);
    auto tick = std::min<milliseconds>(every, milliseconds(100));
    auto next = steady_clock::now() + every;
    for (;;) {
      std::this_thread::sleep_for(tick);
      if (auto now_ooms = cgroup::oom_kill_count(cg); now_ooms && *now_ooms > ooms) {
        for (; ooms < *now_ooms; ++ooms) emit("oom", *id, nullptr);
      }
      if (state::current_status(st) == state::Status::stopped) break;
      if (steady_clock::now() >= next) {
        auto data = cgroup::runc_stats(cg);
        emit("stats", *id, &data);
        next += every;
      }
    }
  });
});

}  // namespace

}  // namespace vcrun::cli
