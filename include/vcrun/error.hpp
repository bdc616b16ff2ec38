// vcrun::Error: the one error type crossing module boundaries (errno + message + context).
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>

namespace vcrun {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, int err = 0)
      : std::runtime_error(message), errno_(err) {}

  // errno of the failing call, 0 when the error is not a system error.
  int code() const noexcept { return errno_; }

  // Returns a copy whose message is prefixed with "context: ".
  Error with_context(const std::string& context) const {
    return Error(context + ": " + what(), errno_);
  }

 private:
  int errno_;
};

// `text` as one line of bounded length: control characters escaped (a newline in an echoed
// env entry or path becomes "\n"), and a text over 1000 bytes cut there with its length.
std::string message_line(const std::string& text);

// An input validation error: "<field>: <reason>", always one line (message_line).
//
// `field` is a path, never a command-line flag: the library does not know how its input
// was typed. Spec fields are named by their config.json path, as the spec parser names
// them ("linux.resources.memory.limit", "vcrun.cpu.reservation", "mounts[2].source");
// inputs that are not spec fields by the public API's option, "<Struct>.<member>" of
// vcrun/runtime.hpp, vcrun/quick.hpp or vcrun/unify.hpp ("ExecOptions.user",
// "QuickOptions.volumes"); an option that create and exec share by CreateOptions's name;
// the state root by "Runtime.root". An index stays on the path ("ExecOptions.caps[0]").
// A reason (and any Error's message) names other inputs the same way, never by a flag
// ("with ExecOptions.detach needs CreateOptions.console_socket"; a parameter as
// "Runtime.remove.force"). A CLI turns the paths of the flags its user typed into those
// flags' names (cmd/vcrun's flag table); a field read from a bundle's config.json keeps
// its path.
//
// An error about one value of an option carries that value: "<field> <value>: <reason>"
// ("QuickOptions.volumes /a:b: mode must be ro or rw"). `err` keeps a system error's
// errno (a console socket that refuses the connection), EINVAL otherwise.
class SpecError : public Error {
 public:
  SpecError(const std::string& field, const std::string& reason, int err = EINVAL)
      : SpecError(field, std::string(), reason, err) {}
  SpecError(const std::string& field, const std::string& value, const std::string& reason, int err)
      : Error(message_line(field + (value.empty() ? "" : " " + value) + ": " + reason), err),
        field_(field),
        value_(value),
        reason_(reason) {}

  const std::string& field() const noexcept { return field_; }
  const std::string& value() const noexcept { return value_; }
  const std::string& reason() const noexcept { return reason_; }

  // The same error about the same input named `field` (a CLI's flag name).
  SpecError renamed(const std::string& field) const { return SpecError(field, value_, reason_, code()); }

 private:
  std::string field_, value_, reason_;
};

// The container's process could not be executed: its command is missing (exit status
// 127) or not executable (126), the statuses shells, podman and docker use. The message
// keeps runc's wording ("executable file not found in $PATH", strerror text), which
// podman matches to choose the same statuses.
class ExecError : public Error {
 public:
  ExecError(const std::string& message, int exit_status)
      : Error(message), exit_status_(exit_status) {}
  int exit_status() const noexcept { return exit_status_; }

 private:
  int exit_status_;
};

// Throws Error("<what>: <strerror(errno)>", errno) using the current errno.
[[noreturn]] void throw_errno(const std::string& what);
// Same with an explicit error number.
[[noreturn]] void throw_errno(const std::string& what, int err);

}  // namespace vcrun
