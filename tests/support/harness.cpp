// Test support: busybox rootfs, bundles, running the vcrun binary and capturing output.
#include "support/harness.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>

namespace fs = std::filesystem;

namespace vcrun::test {

std::string vcrun_binary() {
  const char* env = std::getenv("VCRUN_BINARY");
  return env && *env ? env : VCRUN_BINARY;
}

std::string work_dir() {
  static std::string dir = [] {
    const char* env = std::getenv("VCRUN_TEST_WORKDIR");
    std::string d = (env && *env ? env : VCRUN_TEST_WORKDIR) + std::string("/") +
                    std::to_string(::getpid());
    fs::create_directories(d);
    static const std::string* at_exit = new std::string(d);
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(*at_exit, ec);
    });
    return d;
  }();
  return dir;
}

bool state_dir_exists(const std::string& id) {
  struct stat st;
  return ::stat((runtime_root() + "/" + id).c_str(), &st) == 0;
}

std::string runtime_root() {
  static std::string root = [] {
    // Under /run (not the build tree) like a real runtime root; unique per test process.
    std::string r = "/run/vcrun-test-" + std::to_string(::getpid());
    fs::create_directories(r);
    // Leave nothing on the host: an empty root goes at exit (one with state left in it
    // stays, for the failing test to be looked at).
    // (A heap copy: the static string itself is destroyed before this handler runs.)
    static const std::string* at_exit = new std::string(r);
    std::atexit([] { ::rmdir(at_exit->c_str()); });
    return r;
  }();
  return root;
}

static void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

std::string busybox_rootfs() {
  static std::once_flag once;
  static std::string path = work_dir() + "/busybox-rootfs";
  std::call_once(once, [] {
    fs::path root(path);
    for (const char* d : {"bin", "sbin", "etc", "proc", "sys", "dev", "tmp", "root", "usr/bin",
                          "usr/sbin", "var"})
      fs::create_directories(root / d);
    fs::permissions(root / "tmp", fs::perms::all | fs::perms::sticky_bit);
    const char* busybox = "/bin/busybox";
    if (!fs::exists(busybox)) throw std::runtime_error("busybox-static is not installed");
    fs::copy_file(busybox, root / "bin/busybox", fs::copy_options::overwrite_existing);
    auto list = run({busybox, "--list-full"});
    size_t start = 0;
    while (start < list.out.size()) {
      size_t end = list.out.find('\n', start);
      std::string applet = list.out.substr(start, end - start);
      start = end == std::string::npos ? list.out.size() : end + 1;
      if (applet.empty() || applet == "bin/busybox") continue;
      fs::path link = root / applet;
      fs::create_directories(link.parent_path());
      std::error_code ec;
      fs::create_symlink("/bin/busybox", link, ec);
    }
    write_text(root / "etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
    write_text(root / "etc/group", "root:x:0:\nnogroup:x:65534:\n");
    write_text(root / "etc/hostname", "busybox\n");
  });
  return path;
}

std::string make_bundle(const std::string& name, const nlohmann::json& config) {
  fs::path bundle = fs::path(work_dir()) / "bundles" / name;
  fs::remove_all(bundle);
  fs::create_directories(bundle);
  // A private copy (hard links for files, copied symlinks) so tests may change it.
  fs::copy(busybox_rootfs(), bundle / "rootfs",
           fs::copy_options::recursive | fs::copy_options::create_hard_links |
               fs::copy_options::copy_symlinks);
  write_text(bundle / "config.json", config.dump(2));
  return bundle.string();
}

nlohmann::json default_config(const std::vector<std::string>& args) {
  auto spec = run({vcrun_binary(), "spec", "--secure", "--stdout"});
  if (spec.status != 0) throw std::runtime_error("vcrun spec failed: " + spec.err);
  auto config = nlohmann::json::parse(spec.out);
  config["process"]["args"] = args;
  config["root"]["path"] = "rootfs";
  return config;
}

// Reads both pipes until EOF, then waits.
Result run(const std::vector<std::string>& argv, const std::string& stdin_data) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC))
    throw std::runtime_error("pipe");
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork");
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  auto old = ::signal(SIGPIPE, SIG_IGN);
  if (!stdin_data.empty()) (void)!::write(in[1], stdin_data.data(), stdin_data.size());
  ::signal(SIGPIPE, old);
  ::close(in[1]);
  Result r;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[4096];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      } else {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status;
  ::waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

Result run_vcrun(const std::vector<std::string>& args, const std::string& stdin_data) {
  std::vector<std::string> argv = {vcrun_binary(), "--root", runtime_root()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, stdin_data);
}

Result run_vcrun_detached(const std::vector<std::string>& args) {
  static std::atomic<int> n{0};
  std::string base = work_dir() + "/detached-" + std::to_string(n++);
  // Built before fork: runtime_root() must be evaluated in this process, not the child.
  std::vector<std::string> argv = {vcrun_binary(), "--root", runtime_root()};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork");
  if (pid == 0) {
    int out = ::open((base + ".out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open((base + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> cargs;
    for (const auto& a : argv) cargs.push_back(const_cast<char*>(a.c_str()));
    cargs.push_back(nullptr);
    ::execv(cargs[0], cargs.data());
    ::_exit(127);
  }
  int status;
  ::waitpid(pid, &status, 0);
  Result r;
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  auto slurp = [](const std::string& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  return r;
}

RunningContainer::RunningContainer(const std::string& tag) : id(unique_id(tag)) {
  auto bundle = make_bundle(id, default_config({"sleep", "60"}));
  auto r = run_vcrun_detached({"run", "--detach", id, "--bundle", bundle});
  if (r.status != 0) throw std::runtime_error("run --detach failed: " + r.err);
}

RunningContainer::~RunningContainer() { run_vcrun({"delete", "--force", id}); }

nlohmann::json RunningContainer::state() const {
  return nlohmann::json::parse(run_vcrun({"state", id}).out);
}

std::string unique_id(const std::string& tag) {
  static std::atomic<int> n{0};
  return "t" + std::to_string(::getpid()) + "-" + std::to_string(n++) + "-" + tag;
}

bool is_root() { return ::geteuid() == 0; }

FdMessage receive_fd_message(int conn) {
  FdMessage m;
  for (;;) {
    char buf[8192];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    if (n <= 0) break;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
        std::memcpy(&m.fd, CMSG_DATA(c), sizeof m.fd);
    m.text.append(buf, static_cast<size_t>(n));
  }
  return m;
}

bool process_alive(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return false;
  char state = stat[close + 2];
  return state != 'Z' && state != 'X';
}

}  // namespace vcrun::test
