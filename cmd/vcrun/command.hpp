// Verb registration for the vcrun CLI: each cmd/vcrun/<verb>.cpp registers itself.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "vcrun/runtime.hpp"

namespace vcrun::cli {

struct GlobalOptions {
  std::string root = vcrun::kDefaultRoot;
  std::string log;
  std::string log_format = "text";
  bool debug = false;
  bool double_dash = false;  // argv has "--": what follows is a command (quick mode)
  // The command line, for a verb that builds only the options it can match; set only when
  // argv names that verb (for --help and unknown verbs every verb builds all of its options).
  int argc = 0;
  char** argv = nullptr;
};

// A verb's setup adds its subcommand to `app`; its callback stores the exit status with
// set_exit_status. Errors are thrown as vcrun::Error and reported once by main.
using Setup = std::function<void(CLI::App& app, GlobalOptions& global)>;

struct Registrar {
  // `order` sorts verbs in --help; `verb` is the subcommand's name, which `setup` adds.
  Registrar(int order, std::string verb, Setup setup);
};

void set_exit_status(int status);

}  // namespace vcrun::cli
