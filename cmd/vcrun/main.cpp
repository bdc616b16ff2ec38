// vcrun's entry point: global flags, logging, verb dispatch, and the one place where an
// error becomes a message and an exit status.
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <seccomp.h>
#include <unistd.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "flag_fields.hpp"
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

// `vcrun --version` (-v), with nothing else than global options: CLI11 prints the version
// from the flag's callback, before it looks at subcommands, so none is built.
bool version_only(int argc, char** argv) {
  bool version = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--root" || a == "--log" || a == "--log-format") {
      ++i;
      continue;
    }
    if (a == "-v" || a == "--version")
      version = true;
    else if (a != "--debug" && a != "--systemd-cgroup")
      return false;
  }
  return version;
}

int g_exit_status = 0;
bool g_log_ready = false;  // --log's file is open: errors go there as well

// %* in a pattern: the message as the inside of a JSON string (valid in logrus's quoted
// text values as well), so a quote or newline in a message cannot break a log line.
class EscapedMessage : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    // Invalid UTF-8 (bytes echoed from a damaged file) would make dump() throw, and spdlog
    // print "[*** LOG ERROR ***]" instead of the message: such bytes become U+FFFD.
    std::string text = nlohmann::json(std::string(msg.payload.data(), msg.payload.size()))
                           .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(text.data() + 1, text.data() + text.size() - 1);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<EscapedMessage>();
  }
};

// The version lines, in runc's form.
std::string version_text() {
  const scmp_version* seccomp = seccomp_version();
  return std::string("vcrun version ") + VCRUN_VERSION + "\ncommit: " + VCRUN_COMMIT +
         "\nspec: 1.2.0\nlibseccomp: " + std::to_string(seccomp->major) + "." +
         std::to_string(seccomp->minor) + "." + std::to_string(seccomp->micro);
}

// --log's file, opened once by vcrun and written through that descriptor only: its
// directory may be writable by someone else, who could swap the name for a symlink (to a
// file vcrun would then append to as root), a FIFO (blocking every verb) or a second name
// of another file. Made here, never a directory above it.
int open_log(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
  if (fd < 0 && errno == ELOOP) throw vcrun::Error("--log: " + path + " is a symbolic link: refusing it", ELOOP);
  if (fd < 0) vcrun::throw_errno("--log: open " + path);
  struct stat st {};
  std::string bad = ::fstat(fd, &st) != 0 ? "cannot be examined"
                    : !S_ISREG(st.st_mode) ? "is not a regular file"
                    : st.st_nlink > 1      ? "has more than one name (a hard link)"
                                           : "";
  if (!bad.empty()) {
    ::close(fd);
    throw vcrun::Error("--log: " + path + " " + bad + ": refusing it", EINVAL);
  }
  return fd;
}

// The log sink over that descriptor: one write(2) per line (O_APPEND keeps the lines of
// concurrent vcrun processes whole), unbuffered, so a line is there before any exec or exit.
class LogFdSink : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 public:
  explicit LogFdSink(int fd) : fd_(fd) {}
  ~LogFdSink() override { ::close(fd_); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    const char* p = buf.data();
    size_t n = buf.size();
    while (n > 0) {
      ssize_t w = ::write(fd_, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return;  // a full disk must not turn a log line into a failed verb
      p += w;
      n -= static_cast<size_t>(w);
    }
  }
  void flush_() override {}

 private:
  int fd_;
};

void setup_logging(const GlobalOptions& g) {
  std::shared_ptr<spdlog::logger> logger;
  if (g.log.empty()) {
    logger = std::make_shared<spdlog::logger>("vcrun",
                                              std::make_shared<spdlog::sinks::stderr_sink_st>());
  } else {
    logger = std::make_shared<spdlog::logger>("vcrun", std::make_shared<LogFdSink>(open_log(g.log)));
  }
  // runc's (logrus's) formats, which its clients parse (containerd's shim reads the last
  // "error" line of a --log-format json file), with sub-second times.
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<EscapedMessage>('*');
  if (g.log_format == "json")
    formatter->set_pattern(R"({"level":"%l","msg":"%*","time":"%Y-%m-%dT%H:%M:%S.%fZ"})");
  else
    formatter->set_pattern(R"(time="%Y-%m-%dT%H:%M:%S.%fZ" level=%l msg="%*")");
  logger->set_formatter(std::move(formatter));
  logger->set_level(g.debug ? spdlog::level::debug : spdlog::level::warn);
  spdlog::set_default_logger(logger);
  g_log_ready = true;
}

// Whether `name` is an option the command line gave, to the verb or before it (--root).
FlagGiven given_in(const CLI::App& app) {
  return [&app](std::string_view name) {
    auto given = [&](const CLI::App& a) {
      const CLI::Option* o = a.get_option_no_throw(std::string(name));
      return o != nullptr && o->count() > 0;
    };
    if (given(app)) return true;
    for (const CLI::App* sub : app.get_subcommands())
      if (given(*sub)) return true;
    return false;
  };
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
  app.set_version_flag("-v,--version", version_text());
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
  // As runc and crun: an unknown verb is an error, whatever else the line holds (-h too).
  if (!verb.empty() && !known) {
    std::cerr << "vcrun: " << vcrun::message_line("unknown command \"" + verb + "\"") << " (see --help)\n";
    return 1;
  }
  // runc's `exec` exits 255 when it fails itself, so that a caller tells that from the
  // command's own status; its other verbs, and a command line that does not parse, exit 1.
  const int failed = verb == "exec" ? 255 : 1;
  if (known) {
    global.argc = argc;
    global.argv = argv;
  }
  if (!version_only(argc, argv))
    for (auto& v : verbs)
      if (!known || v.name == verb) v.setup(app, global);
  app.parse_complete_callback([&] { setup_logging(global); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::cerr << "vcrun: " << vcrun::message_line(e.what()) << " (see --help)\n";
    return 1;
  } catch (const vcrun::Error& caught) {
    // The library names fields; the user typed flags.
    auto spec_error = dynamic_cast<const vcrun::SpecError*>(&caught);
    const vcrun::Error e = spec_error ? vcrun::Error(with_flag_names(*spec_error, given_in(app)))
                                      : vcrun::Error(options_as_flags(caught.what()), caught.code());
    // A client that gave --log (conmon, containerd's shim) reads the error from there.
    if (!global.log.empty() && g_log_ready) spdlog::error("{}", e.what());
    std::cerr << "vcrun: " << vcrun::message_line(e.what()) << "\n";
    auto exec_error = dynamic_cast<const vcrun::ExecError*>(&caught);
    return exec_error && verb != "exec" ? exec_error->exit_status() : failed;
  } catch (const std::exception& e) {
    std::cerr << "vcrun: " << vcrun::message_line(e.what()) << "\n";
    return failed;
  }
  return g_exit_status;
}
