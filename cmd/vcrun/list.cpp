// `vcrun list` and `vcrun ps`: the spectator view of containers and their processes.
#include <algorithm>
#include <iostream>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "vcrun/error.hpp"
#include "vcrun/runtime.hpp"

namespace vcrun::cli {

namespace {

// Columns as runc's tabwriter lays them out (minimum width 12, three spaces of padding;
// the last column unpadded), so scripts that cut runc's table read vcrun's too.
void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(rows[0].size(), 12);
  for (const auto& row : rows)
    for (size_t i = 0; i + 1 < row.size(); ++i) width[i] = std::max(width[i], row[i].size() + 3);
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i)
      line += i + 1 < row.size() ? row[i] + std::string(width[i] - row[i].size(), ' ') : row[i];
    std::cout << line << "\n";
  }
}

Registrar list_verb(70, "list", [](CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("list", "list containers");
  auto format = std::make_shared<std::string>("table");
  auto quiet = std::make_shared<bool>(false);
  cmd->add_option("-f,--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->add_flag("-q,--quiet", *quiet, "print only the container ids");
  cmd->callback([&g, format, quiet] {
    auto list = Runtime(g.root).list();
    if (*quiet) {
      for (const auto& c : list) std::cout << c.id << "\n";
      return;
    }
    if (*format == "json") {
      // runc's fields and order (its `state` document plus owner).
      auto out = nlohmann::ordered_json::array();
      for (const auto& c : list) {
        nlohmann::ordered_json j = {{"ociVersion", c.oci_version}, {"id", c.id}, {"pid", c.pid},
                                    {"status", c.status}, {"bundle", c.bundle},
                                    {"rootfs", c.rootfs}, {"created", c.created}};
        if (!c.annotations.empty()) j["annotations"] = c.annotations;
        j["owner"] = c.owner;
        out.push_back(std::move(j));
      }
      std::cout << out.dump() << "\n";
      return;
    }
    std::vector<std::vector<std::string>> rows = {{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
    for (const auto& c : list)
      rows.push_back({c.id, std::to_string(c.pid), c.status, c.bundle, c.created, c.owner});
    print_table(rows);
  });
});

Registrar ps_verb(75, "ps", [](CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand(
      "ps", "the host's `ps` (default: ps -ef) filtered to a container's processes: ps [flags] ID [PS-ARGS...]");
  // As runc: everything after the id goes to ps (a "--" right after it is dropped).
  cmd->positionals_at_end();
  auto id = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("table");
  auto ps_args = std::make_shared<std::vector<std::string>>();
  cmd->add_option("-f,--format", *format, "table (ps's) or json (the pids)")
      ->check(CLI::IsMember({"table", "json"}));
  cmd->add_option("id", *id, "container id")->required();
  cmd->add_option("ps-args", *ps_args, "arguments for ps (default: -ef)");
  cmd->callback([&g, id, format, ps_args] {
    auto pids = Runtime(g.root).processes(*id);
    if (*format == "json") {
      std::cout << nlohmann::json(pids).dump() << "\n";
      return;
    }
    if (!ps_args->empty() && ps_args->front() == "--") ps_args->erase(ps_args->begin());
    std::cout << Runtime(g.root).ps_table(*id, *ps_args);
  });
});

}  // namespace

}  // namespace vcrun::cli
