// vcrun's entry point: global flags, logging, verb dispatch, and the one place where an
// error becomes a message and an exit status.
#include <fcntl.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>

#include "command.hpp"
#include "vcrun/error.hpp"

namespace vcrun::cli {

namespace {

struct Verb {
  int order;
  std::string name;
  Setup setup;
};

std::vector<Verb>& registry() {
  static std::vector<Verb> r;
  return r;
}

// The verb argv names: its first word that is neither a global option nor the value of
// one. Only that verb's subcommand is built (building all of them was a fifth of a
// `vcrun` process's user time); without a known verb all are, for --help and errors.
std::string verb_of(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") return "";
    if (a == "--root" || a == "--log" || a == "--log-format") {
      ++i;
      continue;
    }
    if (!a.empty() && a[0] != '-') return std::string(a);
  }
  return "";
}

int g_exit_status = 0;

void setup_logging(const GlobalOptions& g) {
  std::shared_ptr<spdlog::logger> logger;
  if (g.log.empty()) {
    logger = std::make_shared<spdlog::logger>("vcrun",
                                              std::make_shared<spdlog::sinks::stderr_sink_st>());
  } else {
    // spdlog opens the file without O_CLOEXEC; no fd of vcrun may outlive an exec.
    spdlog::file_event_handlers handlers;
    handlers.after_open = [](const spdlog::filename_t&, std::FILE* f) {
      ::fcntl(::fileno(f), F_SETFD, FD_CLOEXEC);
    };
    logger = std::make_shared<spdlog::logger>(
        "vcrun", std::make_shared<spdlog::sinks::basic_file_sink_st>(g.log, false, handlers));
  }
  if (g.log_format == "json")
    logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","msg":"%v"})",
                        spdlog::pattern_time_type::utc);
  else
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%f %l vcrun[%P]: %v");
  logger->set_level(g.debug ? spdlog::level::debug : spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

}  // namespace

Registrar::Registrar(int order, std::string verb, Setup setup) {
  registry().push_back(Verb{order, std::move(verb), std::move(setup)});
}

void set_exit_status(int status) { g_exit_status = status; }

}  // namespace vcrun::cli

int main(int argc, char** argv) {
  using namespace vcrun::cli;
  CLI::App app{"vcrun: a daemonless container runtime with VServer-style resource guarantees",
               "vcrun"};
  app.set_version_flag("--version", std::string("vcrun ") + VCRUN_VERSION);
  app.require_subcommand(1);
  GlobalOptions global;
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) == "--") global.double_dash = true;
  app.add_option("--root", global.root, "runtime state directory")->capture_default_str();
  app.add_option("--log", global.log, "log file (default: stderr)");
  app.add_option("--log-format", global.log_format, "log format")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--debug", global.debug, "debug logging");
  // Accepted for runc/crun compatibility with tools that pass it.
  bool systemd_cgroup = false;
  app.add_flag("--systemd-cgroup", systemd_cgroup, "ignored (vcrun manages cgroupfs itself)");

  auto& verbs = registry();
  std::sort(verbs.begin(), verbs.end(), [](const auto& a, const auto& b) { return a.order < b.order; });
  std::string verb = verb_of(argc, argv);
  bool known = std::any_of(verbs.begin(), verbs.end(), [&](const auto& v) { return v.name == verb; });
  for (auto& v : verbs)
    if (!known || v.name == verb) v.setup(app, global);
  app.parse_complete_callback([&] { setup_logging(global); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::cerr << "vcrun: " << e.what() << " (see --help)\n";
    return e.get_exit_code();
  } catch (const vcrun::Error& e) {
    spdlog::debug("error: {}", e.what());
    std::cerr << "vcrun: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "vcrun: " << e.what() << "\n";
    return 1;
  }
  return g_exit_status;
}
