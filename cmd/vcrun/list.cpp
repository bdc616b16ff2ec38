// `vcrun list` and `vcrun ps`: the spectator view of containers and their processes.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "base/fd.hpp"
#include "vcrun/error.hpp"
#include "vcrun/runtime.hpp"

extern char** environ;

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

// Runs the host's `ps` with args; its stdout and stderr together, and its exit status.
std::pair<std::string, int> run_ps(const std::vector<std::string>& args) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw_errno("pipe");
  UniqueFd rd(p[0]), wr(p[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, wr.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, wr.get(), 2);
  std::vector<char*> argv{const_cast<char*>("ps")};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid;
  int rc = ::posix_spawnp(&pid, "ps", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw_errno("run ps", rc);
  wr.reset();
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(rd.get(), buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read ps output");
    out.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)};
}

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
    if (ps_args->empty()) *ps_args = {"-ef"};
    auto [out, status] = run_ps(*ps_args);
    if (status != 0) {
      while (!out.empty() && out.back() == '\n') out.pop_back();
      throw Error("ps exited with status " + std::to_string(status) + ": " + out);
    }
    std::istringstream lines(out);
    std::string header;
    std::getline(lines, header);
    std::istringstream title(header);
    size_t pid_column = 0;
    for (std::string field; title >> field; ++pid_column)
      if (field == "PID") break;
    if (title.fail()) throw Error("ps: its output has no PID column (ps " + ps_args->front() + " ...)");
    std::cout << header << "\n";
    for (std::string line; std::getline(lines, line);) {
      std::istringstream fields(line);
      std::string field;
      for (size_t i = 0; i <= pid_column && fields >> field; ++i) {
      }
      pid_t pid = 0;
      if (std::from_chars(field.data(), field.data() + field.size(), pid).ec != std::errc{} || !fields)
        continue;
      if (std::find(pids.begin(), pids.end(), pid) != pids.end()) std::cout << line << "\n";
    }
  });
});

}  // namespace

}  // namespace vcrun::cli
