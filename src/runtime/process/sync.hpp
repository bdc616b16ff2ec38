// The parent<->init synchronisation channel: a SOCK_SEQPACKET pair carrying short
// messages, so each message arrives whole and a dead peer reads as EOF.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "base/fd.hpp"

namespace vcrun::sync {

// [0] for the parent, [1] for the child; both close-on-exec.
std::pair<UniqueFd, UniqueFd> make_pair();
// Sends one message; false when the peer is gone (no SIGPIPE).
bool send(int fd, const std::string& msg);
// Receives one message; nullopt on EOF (peer closed or exec'd).
std::optional<std::string> receive(int fd);

// Throws the init's error report when `msg` is one: kErrorPrefix + message as Error,
// kExecErrorPrefix + "<status>:" + message as ExecError.
void throw_if_error(const std::optional<std::string>& msg);

// Messages.
inline constexpr const char* kGo = "go";        // parent -> init: "go <init's host pid>",
                                                // maps/cgroup done
inline constexpr const char* kReady = "ready";  // init -> parent: root built, waiting
inline constexpr const char* kStart = "start";  // parent -> init: exec now (run only)
inline constexpr const char* kErrorPrefix = "error:";  // init -> parent: setup failed
inline constexpr const char* kExecErrorPrefix = "exec-error:";  // the command: 126 or 127

}  // namespace vcrun::sync
