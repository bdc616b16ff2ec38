// One file descriptor passed over a unix socket (SCM_RIGHTS): the pty master and the
// seccomp listener from the init to the runtime, and from the runtime to a console socket
// or a seccomp agent.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/fd.hpp"

namespace vcrun::fdpass {

// Sends `payload` (non-empty) with `fd` attached, as one message on a SOCK_SEQPACKET
// socket; on a stream socket the rest of a long payload follows the part that carries
// the fd. `what` names the fd in errors ("send terminal fd: ...").
void send_fd(int sock, int fd, const std::string& what, std::string_view payload = "c");

// Receives one message and returns the fd it carries (close-on-exec). A message without
// one goes to `on_text` first, which throws the peer's report when it is one (the
// init's sync::throw_if_error), and is otherwise an error; EOF means the peer died
// before handing over `what`.
using TextHandler = void (*)(const std::optional<std::string>&);
UniqueFd receive_fd(int sock, const std::string& what, TextHandler on_text = nullptr);

}  // namespace vcrun::fdpass
