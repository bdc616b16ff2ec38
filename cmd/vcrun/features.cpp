// `vcrun features`: the OCI runtime features document (runtime-spec features.md).
#include <iostream>

#include "command.hpp"
#include "vcrun/runtime.hpp"

namespace vcrun::cli {

namespace {

Registrar features_verb(90, "features", [](CLI::App& app, GlobalOptions&) {
  auto* cmd = app.add_subcommand("features", "print what this vcrun supports (OCI features JSON)");
  cmd->callback([] { std::cout << features_json() << "\n"; });
});

}  // namespace

}  // namespace vcrun::cli
