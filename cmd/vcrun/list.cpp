// `vcrun list` and `vcrun ps`: the spectator view of containers and their processes.
#include <iostream>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "vcrun/runtime.hpp"

namespace vcrun::cli {

namespace {

Registrar list_verb(70, "list", [](CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("list", "list containers");
  auto format = std::make_shared<std::string>("table");
  cmd->add_option("-f,--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->callback([&g, format] {
    auto list = Runtime(g.root).list();
    if (*format == "json") {
      auto out = nlohmann::json::array();
      for (const auto& c : list)
        out.push_back({{"id", c.id}, {"pid", c.pid}, {"status", c.status},
                       {"bundle", c.bundle}, {"created", c.created}});
      std::cout << out.dump(2) << "\n";
      return;
    }
    std::printf("%-24s %-8s %-10s %-32s %s\n", "ID", "PID", "STATUS", "CREATED", "BUNDLE");
    for (const auto& c : list)
      std::printf("%-24s %-8d %-10s %-32s %s\n", c.id.c_str(), c.pid, c.status.c_str(),
                  c.created.c_str(), c.bundle.c_str());
  });
});

Registrar ps_verb(75, "ps", [](CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("ps", "list the host pids of a container's processes");
  auto id = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("table");
  cmd->add_option("id", *id, "container id")->required();
  cmd->add_option("-f,--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->callback([&g, id, format] {
    auto pids = Runtime(g.root).processes(*id);
    if (*format == "json") {
      std::cout << nlohmann::json(pids).dump() << "\n";
      return;
    }
    std::cout << "PID\n";
    for (pid_t p : pids) std::cout << p << "\n";
  });
});

}  // namespace

}  // namespace vcrun::cli
