// `vcrun exec`: run a command inside a running container.
#include "command.hpp"
#include "vcrun/runtime.hpp"

namespace vcrun::cli {

namespace {

Registrar exec_verb(35, "exec", [](CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand(
      "exec", "run a command in a running container: exec [flags] ID CMD... or exec --process FILE ID");
  // As runc: the flags come before the id, and everything after it is the command
  // (`exec box sh -c 'exit 42'`). vcrun also drops one "--" right after the id (its
  // documented `exec ID -- CMD`), which runc would try to execute.
  cmd->positionals_at_end();
  auto id = std::make_shared<std::string>();
  auto opts = std::make_shared<ExecOptions>();
  cmd->add_option("id", *id, "container id")->required();
  cmd->add_option("-p,--process", opts->process_file,
                  "an OCI process JSON file: the process to start (flags still apply on top)");
  cmd->add_option("-e,--env", opts->env, "environment KEY=VALUE")->allow_extra_args(false);
  cmd->add_option("--cwd", opts->cwd, "working directory inside the container");
  cmd->add_option("-u,--user", opts->user, "UID[:GID] to run as");
  cmd->add_option("--pid-file", opts->pid_file, "write the process's pid here");
  cmd->add_flag("-d,--detach", opts->detach, "do not wait for the process");
  cmd->add_flag("-t,--tty", opts->tty, "give the process a new pseudo-terminal");
  cmd->add_option("--console-socket", opts->console_socket,
                  "send the terminal's master to this unix socket (with a terminal)");
  cmd->add_option("--preserve-fds", opts->preserve_fds,
                  "pass the caller's fds 3 .. N+2 to the process");
  cmd->add_option("-c,--cap", opts->caps, "add a capability (CAP_*) to the process")
      ->allow_extra_args(false);
  cmd->add_option("-g,--additional-gids", opts->additional_gids, "add a supplementary GID")
      ->allow_extra_args(false);
  cmd->add_flag("--no-new-privs", opts->no_new_privs, "set no_new_privs for the process");
  cmd->add_option("--cgroup", opts->cgroup,
                  "run the process in this existing sub-cgroup of the container's: [CONTROLLER:]PATH")
      ->allow_extra_args(false);
  cmd->add_option("--apparmor", opts->apparmor_profile, "the process's AppArmor profile");
  cmd->add_option("--process-label", opts->process_label, "the process's SELinux label");
  cmd->add_flag("--ignore-paused", opts->ignore_paused,
                "exec into a paused container anyway (the process starts once it is resumed)");
  cmd->add_option("command", opts->args, "the command (default with --process: its args)");
  cmd->callback([&g, id, opts] {
    if (!opts->args.empty() && opts->args.front() == "--") opts->args.erase(opts->args.begin());
    set_exit_status(Runtime(g.root).exec(*id, *opts));
  });
});

}  // namespace

}  // namespace vcrun::cli
