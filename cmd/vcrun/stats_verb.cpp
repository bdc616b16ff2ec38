// `vcrun stats [ID...] [--format table|json]`: CPU, memory, pids, io per container.
#include <iostream>

#include "command.hpp"
#include "stats_format.hpp"
#include "vcrun/runtime.hpp"

namespace vcrun::cli {

namespace {

Registrar stats_verb(77, "stats", [](CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("stats", "resource usage of containers (all when no id is given)");
  auto ids = std::make_shared<std::vector<std::string>>();
  auto format = std::make_shared<std::string>("table");
  cmd->add_option("id", *ids, "container ids");
  cmd->add_option("-f,--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->callback([&g, ids, format] {
    std::cout << format_stats(Runtime(g.root).stats(*ids), *format);
  });
});

}  // namespace

}  // namespace vcrun::cli
