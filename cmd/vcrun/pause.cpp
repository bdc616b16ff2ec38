// `vcrun pause ID` / `vcrun resume ID`: the cgroup v2 freezer.
#include "command.hpp"
#include "vcrun/runtime.hpp"

namespace vcrun::cli {

namespace {

Registrar pause_verb(82, "pause", [](CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("pause", "freeze every process of a container");
  auto id = std::make_shared<std::string>();
  cmd->add_option("id", *id, "container id")->required();
  cmd->callback([&g, id] { Runtime(g.root).pause(*id); });
});

Registrar resume_verb(83, "resume", [](CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("resume", "thaw a paused container");
  auto id = std::make_shared<std::string>();
  cmd->add_option("id", *id, "container id")->required();
  cmd->callback([&g, id] { Runtime(g.root).resume(*id); });
});

}  // namespace

}  // namespace vcrun::cli
