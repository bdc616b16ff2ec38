// process.terminal: pty creation in the container, the console socket, and the foreground
// proxy.
#include "runtime/process/console.hpp"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "base/fd_passing.hpp"
#include "base/idle_memory.hpp"
#include "runtime/process/forward.hpp"
#include "vcrun/error.hpp"

namespace vcrun::console {

UniqueFd open_in_container(const Process& process) {
  UniqueFd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) throw_errno("process.terminal: open /dev/ptmx");
  if (::unlockpt(master.get()) != 0) throw_errno("process.terminal: unlockpt");
  // TIOCGPTPEER opens the slave through the master: no path lookup in /dev/pts.
  UniqueFd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY));
  if (!slave) throw_errno("process.terminal: open pty slave");
  if (::fchown(slave.get(), process.user.uid, static_cast<gid_t>(-1)) != 0)
    throw_errno("process.terminal: chown the pty to process.user.uid");
  termios tio;
  if (::tcgetattr(slave.get(), &tio) != 0) throw_errno("process.terminal: tcgetattr");
  tio.c_oflag &= ~static_cast<tcflag_t>(ONLCR);
  if (::tcsetattr(slave.get(), TCSANOW, &tio) != 0) throw_errno("process.terminal: tcsetattr");
  if (process.console_size) {
    winsize ws{};
    ws.ws_row = static_cast<unsigned short>(process.console_size->height);
    ws.ws_col = static_cast<unsigned short>(process.console_size->width);
    if (::ioctl(slave.get(), TIOCSWINSZ, &ws) != 0)
      throw_errno("process.consoleSize: TIOCSWINSZ");
  }
  if (::setsid() < 0) throw_errno("process.terminal: setsid");
  if (::ioctl(slave.get(), TIOCSCTTY, 0) != 0) throw_errno("process.terminal: TIOCSCTTY");
  for (int fd = 0; fd < 3; ++fd)
    if (::dup2(slave.get(), fd) < 0) throw_errno("process.terminal: dup2");
  return master;
}

void send_to_console_socket(const std::string& path, int master) {
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) {
    int err = errno;
    throw SpecError("CreateOptions.console_socket", std::string("socket: ") + std::strerror(err), err);
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw SpecError("CreateOptions.console_socket", "path too long");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    throw SpecError("CreateOptions.console_socket", "connect " + path + ": " + std::strerror(err), err);
  }
  fdpass::send_fd(sock.get(), master, "terminal fd");
}

namespace {

// Restores the terminal mode of stdin on scope exit.
class RawMode {
 public:
  RawMode() {
    if (!::isatty(STDIN_FILENO) || ::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    // The container's pty sends "\n" alone (ONLCR off): this terminal adds the "\r".
    raw.c_oflag = saved_.c_oflag;
    active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawMode() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  RawMode(const RawMode&) = delete;
  RawMode& operator=(const RawMode&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

void copy_window_size(int master) {
  winsize ws;
  if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) ::ioctl(master, TIOCSWINSZ, &ws);
}

// Copies what is readable from `from` to `to`; false at EOF or error of `from`.
bool pump(int from, int to) {
  char buf[16384];
  ssize_t n = ::read(from, buf, sizeof buf);
  if (n <= 0) return n < 0 && (errno == EINTR || errno == EAGAIN);
  for (ssize_t off = 0; off < n;) {
    ssize_t w = ::write(to, buf + off, static_cast<size_t>(n - off));
    if (w < 0) {
      if (errno == EINTR) continue;
      return true;  // the reader went away: drop output, keep the container's side going
    }
    off += w;
  }
  return true;
}

}  // namespace

int proxy_and_wait(pid_t pid, int master, const sigset_t& set) {
  UniqueFd sigfd(::signalfd(-1, &set, SFD_CLOEXEC));
  if (!sigfd) throw_errno("signalfd");
  RawMode raw;
  copy_window_size(master);
  bool stdin_open = true, master_open = true, released = false;
  int status = -1;
  while (master_open || status < 0) {
    pollfd fds[3] = {{sigfd.get(), POLLIN, 0},
                     {master_open ? master : -1, POLLIN, 0},
                     {stdin_open && master_open ? STDIN_FILENO : -1, POLLIN, 0}};
    int timeout = status >= 0 ? 100 : released ? -1 : kIdleAfterMs;
    if (::poll(fds, 3, timeout) == 0) {
      if (status >= 0) break;  // exited, output drained
      release_idle_memory();   // a quiet container: the proxy waits for long
      released = true;
      continue;
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo si;
      if (::read(sigfd.get(), &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGWINCH) copy_window_size(master);
        else if (si.ssi_signo != SIGCHLD) ::kill(pid, static_cast<int>(si.ssi_signo));
      }
    }
    if (status < 0) {
      int st;
      if (::waitpid(pid, &st, WNOHANG) == pid)
        status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) master_open = pump(master, STDOUT_FILENO);
    if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) stdin_open = pump(STDIN_FILENO, master);
  }
  if (status < 0) {
    int st;
    ::waitpid(pid, &st, 0);
    status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  return status;
}

}  // namespace vcrun::console
