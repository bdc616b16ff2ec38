// Handing a seccomp notify listener to the agent at linux.seccomp.listenerPath.
#include "runtime/security/seccomp_listener.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include <nlohmann/json.hpp>

#include "base/fd.hpp"
#include "base/fd_passing.hpp"
#include "vcrun/error.hpp"

namespace vcrun::security {

std::string container_process_state(pid_t pid, const std::string& metadata,
                                     const std::string& state_json) {
  nlohmann::ordered_json j = {{"ociVersion", kOciVersion}, {"fds", {"seccompFd"}}, {"pid", pid}};
  if (!metadata.empty()) j["metadata"] = metadata;
  j["state"] = nlohmann::ordered_json::parse(state_json);
  return j.dump();
}

void send_to_seccomp_agent(const Seccomp& profile, int listener_fd, pid_t pid,
                           const std::string& state_json) {
  const std::string field = "linux.seccomp.listenerPath";
  const std::string& path = profile.listener_path;
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) throw_errno(field + ": socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw SpecError(field, "path too long");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw_errno(field + ": cannot reach the seccomp agent at " + path);
  try {
    fdpass::send_fd(sock.get(), listener_fd, "seccomp listener fd",
                    container_process_state(pid, profile.listener_metadata, state_json));
  } catch (const Error& e) {
    throw e.with_context(field);
  }
}

}  // namespace vcrun::security
