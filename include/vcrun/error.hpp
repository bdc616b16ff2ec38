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

// A spec/input validation error: "<json path>: <reason>", always one line (message_line).
class SpecError : public Error {
 public:
  SpecError(const std::string& field, const std::string& reason)
      : Error(message_line(field + ": " + reason), EINVAL) {}
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
