// `vcrun ps`: the host's ps, filtered to the processes of one container.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <sstream>

#include "base/fd.hpp"
#include "vcrun/error.hpp"
#include "vcrun/runtime.hpp"

extern char** environ;

namespace vcrun {

namespace {

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

}  // namespace

std::string Runtime::ps_table(const std::string& id, std::vector<std::string> ps_args) {
  auto pids = processes(id);
  if (ps_args.empty()) ps_args = {"-ef"};
  auto [out, status] = run_ps(ps_args);
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
  if (title.fail()) throw Error("ps: its output has no PID column (ps " + ps_args.front() + " ...)");
  std::string table = header + "\n";
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string field;
    for (size_t i = 0; i <= pid_column && fields >> field; ++i) {
    }
    pid_t pid = 0;
    if (std::from_chars(field.data(), field.data() + field.size(), pid).ec != std::errc{} || !fields)
      continue;
    if (std::find(pids.begin(), pids.end(), pid) != pids.end()) table += line + "\n";
  }
  return table;
}

}  // namespace vcrun
