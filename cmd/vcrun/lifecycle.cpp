// The OCI lifecycle verbs: create, start, state, kill, delete (runc/crun-compatible).
#include <csignal>
#include <cstring>
#include <iostream>

#include "bundle.hpp"
#include "command.hpp"
#include "create_flags.hpp"
#include "vcrun/error.hpp"
#include "vcrun/runtime.hpp"

namespace vcrun::cli {

namespace {


int parse_signal(const std::string& text) {
  if (!text.empty() && std::isdigit(static_cast<unsigned char>(text[0]))) {
    int n = text.size() <= 3 && text.find_first_not_of("0123456789") == std::string::npos
                ? std::stoi(text)
                : -1;
    // 0 sends nothing and only checks that the container's process exists (kill(2)).
    if (n >= 0 && n < NSIG) return n;
  } else {
    std::string name = text.rfind("SIG", 0) == 0 ? text.substr(3) : text;
    for (int sig = 1; sig < NSIG; ++sig) {
      const char* abbrev = sigabbrev_np(sig);
      if (abbrev && strcasecmp(abbrev, name.c_str()) == 0) return sig;
    }
  }
  throw SpecError("signal", "unknown signal \"" + text + "\"");
}

Registrar create_verb(10, "create", [](CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("create", "create a container from an OCI bundle");
  auto id = std::make_shared<std::string>();
  auto opts = std::make_shared<CreateOptions>();
  cmd->add_option("id", *id, "container id")->required();
  cmd->add_option("-b,--bundle", opts->bundle, "bundle directory (default: .)");
  cmd->add_option("--pid-file", opts->pid_file, "write the init's pid here");
  cmd->add_option("--console-socket", opts->console_socket,
                  "unix socket that receives the pty master (process.terminal)");
  add_inheritance_options(*cmd, *opts);
  cmd->callback([&g, id, opts] {
    opts->bundle = absolute_bundle(opts->bundle);
    Runtime(g.root).create(*id, read_bundle_config(opts->bundle), *opts);
  });
});

Registrar start_verb(20, "start", [](CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("start", "start a created container");
  auto id = std::make_shared<std::string>();
  cmd->add_option("id", *id, "container id")->required();
  cmd->callback([&g, id] { Runtime(g.root).start(*id); });
});

Registrar state_verb(40, "state", [](CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("state", "print a container's OCI state");
  auto id = std::make_shared<std::string>();
  cmd->add_option("id", *id, "container id")->required();
  cmd->callback([&g, id] { std::cout << Runtime(g.root).state_json(*id) << "\n"; });
});

Registrar kill_verb(50, "kill", [](CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("kill", "send a signal to a container's init (or all)");
  auto id = std::make_shared<std::string>();
  auto sig = std::make_shared<std::string>("TERM");
  auto all = std::make_shared<bool>(false);
  cmd->add_option("id", *id, "container id")->required();
  cmd->add_option("signal", *sig, "signal name or number (default TERM)");
  cmd->add_flag("-a,--all", *all, "signal every process of the container");
  cmd->callback([&g, id, sig, all] { Runtime(g.root).kill(*id, parse_signal(*sig), *all); });
});

Registrar delete_verb(60, "delete", [](CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("delete", "delete a container and everything it holds");
  auto id = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  cmd->add_option("id", *id, "container id")->required();
  cmd->add_flag("-f,--force", *force, "kill it first if it is still running");
  cmd->callback([&g, id, force] { Runtime(g.root).remove(*id, *force); });
});

}  // namespace

}  // namespace vcrun::cli
