// Integration: SCMP_ACT_NOTIFY with linux.seccomp.listenerPath. A seccomp agent in this
// process receives the OCI ContainerProcessState with the listener fd, and answers the
// container's mkdir calls; the container's output shows the answers arrived.
#include <catch2/catch.hpp>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "support/harness.hpp"

using namespace vcrun::test;
using nlohmann::json;

namespace {

// Listens on a unix socket; each connection brings one message and one listener fd, whose
// notifications it answers: the n-th with errors[n] (0: a faked success), ENOTSUP once
// the list is used up.
class Agent {
 public:
  Agent(const std::string& tag, std::vector<int> errors)
      : path_(work_dir() + "/agent-" + tag + ".sock"), errors_(std::move(errors)) {
    std::filesystem::remove(path_);
    sock_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    if (sock_ < 0 || ::bind(sock_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(sock_, 4) != 0)
      throw std::runtime_error("agent: cannot listen on " + path_);
    thread_ = std::thread([this] { serve(); });
  }
  ~Agent() {
    stop_ = true;
    thread_.join();
    ::close(sock_);
    for (int fd : listeners_) ::close(fd);
    std::filesystem::remove(path_);
  }
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  const std::string& path() const { return path_; }
  std::vector<json> messages() {
    std::lock_guard<std::mutex> lock(mutex_);
    return messages_;
  }
  std::vector<int> syscalls() {
    std::lock_guard<std::mutex> lock(mutex_);
    return syscalls_;
  }

 private:
  void serve() {
    while (!stop_) {
      std::vector<pollfd> fds = {{sock_, POLLIN, 0}};
      for (int fd : listeners_) fds.push_back({fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 100) <= 0) continue;
      if (fds[0].revents & POLLIN) accept_one();
      for (size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents & POLLIN) answer(fds[i].fd);
        else if (fds[i].revents & (POLLHUP | POLLERR)) forget(fds[i].fd);
      }
    }
  }

  // The runtime sends the JSON with the fd and closes: read to EOF.
  void accept_one() {
    int conn = ::accept4(sock_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) return;
    auto [text, fd] = receive_fd_message(conn);
    ::close(conn);
    std::lock_guard<std::mutex> lock(mutex_);
    json j = json::parse(text, nullptr, false);
    j["(fd received)"] = fd >= 0;
    messages_.push_back(j);
    if (fd >= 0) listeners_.push_back(fd);
  }

  void answer(int listener) {
    seccomp_notif req{};
    if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) return;
    seccomp_notif_resp resp{};
    resp.id = req.id;
    std::lock_guard<std::mutex> lock(mutex_);
    size_t n = syscalls_.size();
    syscalls_.push_back(req.data.nr);
    int err = n < errors_.size() ? errors_[n] : ENOTSUP;
    resp.error = -err;
    resp.val = 0;
    ::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  }

  void forget(int listener) {
    std::erase(listeners_, listener);
    ::close(listener);
  }

  std::string path_;
  std::vector<int> errors_;
  int sock_ = -1;
  std::vector<int> listeners_;  // touched by the agent thread only, until it is joined
  std::mutex mutex_;
  std::vector<json> messages_;
  std::vector<int> syscalls_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

json notify_mkdir(const std::string& listener_path) {
  json seccomp = {{"defaultAction", "SCMP_ACT_ALLOW"},
                  {"listenerMetadata", "agent-test-metadata"},
                  {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_NOTIFY"}}}}};
  if (!listener_path.empty()) seccomp["listenerPath"] = listener_path;
  return seccomp;
}

bool listed(const std::string& id) {
  return run_vcrun({"list", "-q"}).out.find(id) != std::string::npos;
}

bool is_mkdir(int nr) { return nr == SYS_mkdir || nr == SYS_mkdirat; }

}  // namespace

TEST_CASE("seccomp notify: the agent gets the listener and its answers reach the container",
          "[integration][seccomp][notify]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  // With the built-in init too: its fork and signal setup run under the filter.
  const bool builtin_init = GENERATE(false, true);
  CAPTURE(builtin_init);
  Agent agent(builtin_init ? "run-init" : "run", {ENOTSUP, 0});
  auto id = unique_id("notify");
  auto config = default_config(
      {"sh", "-c",
       "mkdir /x; echo x=$?; test -d /x || echo no-x; mkdir /y && echo y=ok; "
       "test -d /y || echo no-y"});
  config["linux"]["seccomp"] = notify_mkdir(agent.path());
  if (builtin_init) config["vcrun"]["init"] = true;
  auto bundle = make_bundle(id, config);
  auto r = run_vcrun({"run", id, "--bundle", bundle});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.status == 0);
  // The first mkdir got the agent's ENOTSUP, the second a success that created nothing.
  CHECK(r.err.find("not supported") != std::string::npos);
  CHECK(r.out.find("x=1\nno-x\ny=ok\nno-y\n") != std::string::npos);

  auto messages = agent.messages();
  REQUIRE(messages.size() == 1);
  const json& m = messages[0];
  INFO("message: " << m.dump());
  CHECK(m["(fd received)"] == true);
  CHECK(m["ociVersion"].is_string());
  CHECK(m["fds"] == json::array({"seccompFd"}));
  CHECK(m["metadata"] == "agent-test-metadata");
  CHECK(m["pid"].is_number_integer());
  CHECK(m["pid"].get<int>() > 0);
  CHECK(m["state"]["id"] == id);
  CHECK(m["state"]["status"] == "creating");
  CHECK(m["state"]["pid"] == m["pid"]);
  CHECK(m["state"]["bundle"] == bundle);
  auto calls = agent.syscalls();
  CHECK(calls.size() == 2);
  CHECK(std::all_of(calls.begin(), calls.end(), is_mkdir));
}

TEST_CASE("seccomp notify: create hands the init's listener over, exec its process's own",
          "[integration][seccomp][notify]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  Agent agent("exec", {});
  auto id = unique_id("notifyexec");
  auto config = default_config({"sleep", "60"});
  config["linux"]["seccomp"] = notify_mkdir(agent.path());
  auto bundle = make_bundle(id, config);
  auto create = run_vcrun_detached({"create", id, "--bundle", bundle});
  REQUIRE(create.status == 0);
  REQUIRE(run_vcrun({"start", id}).status == 0);
  auto state = json::parse(run_vcrun({"state", id}).out);
  auto exec = run_vcrun({"exec", id, "sh", "-c", "mkdir /z; echo z=$?"});
  run_vcrun({"delete", "--force", id});
  INFO("exec stdout: " << exec.out << "\nexec stderr: " << exec.err);
  CHECK(exec.status == 0);
  CHECK(exec.out == "z=1\n");
  CHECK(exec.err.find("not supported") != std::string::npos);

  auto messages = agent.messages();
  REQUIRE(messages.size() == 2);
  INFO("create's message: " << messages[0].dump() << "\nexec's message: " << messages[1].dump());
  CHECK(messages[0]["state"]["status"] == "creating");
  CHECK(messages[0]["pid"] == state["pid"]);
  // As runc: the exec'd process's own pid, the container's state with its init's pid.
  CHECK(messages[1]["(fd received)"] == true);
  CHECK(messages[1]["state"]["status"] == "running");
  CHECK(messages[1]["state"]["pid"] == state["pid"]);
  CHECK(messages[1]["pid"] != state["pid"]);
  CHECK(messages[1]["metadata"] == "agent-test-metadata");
  auto calls = agent.syscalls();
  CHECK(calls.size() == 1);
  CHECK(std::all_of(calls.begin(), calls.end(), is_mkdir));
}

TEST_CASE("seccomp notify: without listenerPath create fails naming it and creates nothing",
          "[integration][seccomp][notify]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  auto id = unique_id("notifynopath");
  auto config = default_config({"true"});
  config["linux"]["seccomp"] = notify_mkdir("");
  auto bundle = make_bundle(id, config);
  auto r = run_vcrun_detached({"create", id, "--bundle", bundle});
  INFO("stderr: " << r.err);
  CHECK(r.status != 0);
  CHECK(r.err.find("linux.seccomp.listenerPath: is required by SCMP_ACT_NOTIFY") !=
        std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_FALSE(listed(id));
  CHECK_FALSE(std::filesystem::exists(runtime_root() + "/" + id));
}

TEST_CASE("seccomp notify: with nobody at listenerPath create fails naming it and leaves nothing",
          "[integration][seccomp][notify]") {
  if (!is_root()) {
    WARN("SKIP: needs root");
    return;
  }
  auto id = unique_id("notifynobody");
  std::string nobody = work_dir() + "/agent-nobody.sock";
  std::filesystem::remove(nobody);
  auto config = default_config({"true"});
  config["linux"]["seccomp"] = notify_mkdir(nobody);
  auto bundle = make_bundle(id, config);
  auto r = run_vcrun_detached({"create", id, "--bundle", bundle});
  INFO("stderr: " << r.err);
  CHECK(r.status != 0);
  CHECK(r.err.find("linux.seccomp.listenerPath: cannot reach the seccomp agent at " + nobody) !=
        std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_FALSE(listed(id));
  CHECK_FALSE(std::filesystem::exists(runtime_root() + "/" + id));
}
