// `vcrun spec`: write a runnable default config.json (runc's, or vcrun's stricter one).
#include <fcntl.h>
#include <unistd.h>

#include <iostream>

#include "command.hpp"
#include "vcrun/error.hpp"
#include "vcrun/spec.hpp"

namespace vcrun::cli {

namespace {

Registrar spec_verb(5, "spec", [](CLI::App& app, GlobalOptions&) {
  auto* cmd = app.add_subcommand("spec", "write a default config.json into the bundle directory");
  auto bundle = std::make_shared<std::string>(".");
  auto to_stdout = std::make_shared<bool>(false);
  auto rootless = std::make_shared<bool>(false);
  auto secure = std::make_shared<bool>(false);
  cmd->add_option("-b,--bundle", *bundle, "bundle directory (default: .)");
  cmd->add_flag("--stdout", *to_stdout, "print instead of writing config.json");
  cmd->add_flag("--rootless", *rootless,
                "a spec for a user namespace mapping root to the caller (as runc spec --rootless)");
  cmd->add_flag("--secure", *secure,
                "vcrun's stricter default: its seccomp profile, a cgroup namespace, no terminal");
  cmd->callback([bundle, to_stdout, rootless, secure] {
    if (*secure && *rootless) throw SpecError("--secure", "cannot be combined with --rootless");
    std::string json = *secure ? default_spec_json() : runc_spec_json(*rootless);
    if (*to_stdout) {
      std::cout << json;
      return;
    }
    write_config_file(*bundle + "/config.json", json);
  });
});

}  // namespace

}  // namespace vcrun::cli
