// `vcrun events [--stats] [--interval 5s] ID`: runc's event stream, one JSON object per
// line: {"type":"stats","id":...,"data":{cpu,memory,pids,blkio,...}} every interval and
// {"type":"oom","id":...} whenever the OOM killer kills in the container's cgroup, until
// the container stops. --stats prints one stats event and exits.
#include <chrono>
#include <cstdlib>
#include <iostream>

#include "command.hpp"
#include "vcrun/error.hpp"
#include "vcrun/runtime.hpp"

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

Registrar events_verb(78, "events", [](CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("events", "stream a container's stats and OOM events as JSON lines (runc's format)");
  auto id = std::make_shared<std::string>();
  auto once = std::make_shared<bool>(false);
  auto interval = std::make_shared<std::string>("5s");
  cmd->add_option("id", *id, "container id")->required();
  cmd->add_flag("--stats", *once, "print the container's stats once and exit");
  cmd->add_option("--interval", *interval, "time between stats events (default 5s)");
  cmd->callback([&g, id, once, interval] {
    // One object per line, flushed: a stream for pipes.
    Runtime(g.root).events(*id, parse_interval(*interval), *once,
                           [](const std::string& line) { std::cout << line << std::endl; });
  });
});

}  // namespace

}  // namespace vcrun::cli
