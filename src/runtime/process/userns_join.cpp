// The init of a container that joins a user namespace: see userns_join.hpp.
#include "runtime/process/userns_join.hpp"

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>
#include <string>

#include "base/fs_util.hpp"
#include "runtime/process/clone.hpp"
#include "runtime/process/sync.hpp"
#include "runtime/security/self_protect.hpp"
#include "vcrun/error.hpp"

namespace vcrun::userns {

namespace {

constexpr const char* kPidPrefix = "pid ";

// In the helper: joins, clones the init and returns its pid; throws on failure. Never
// returns in the init.
pid_t join_and_clone(int user_ns, int pid_ns, const JoinFields& fields, uint64_t new_flags, int cgroup_fd,
                     int report_fd, const std::function<void()>& init) {
  // From the setns on, root of the joined namespace has CAP_SYS_PTRACE over this process
  // unless it is non-dumpable, and it holds the runtime's descriptors.
  security::protect_self_exe();
  if (::setns(user_ns, CLONE_NEWUSER) != 0) throw_errno(fields.user + ": setns user");
  if (pid_ns >= 0 && ::setns(pid_ns, CLONE_NEWPID) != 0) throw_errno(fields.pid + ": setns pid");
  pid_t pid = clone_sibling_into(new_flags, cgroup_fd);
  if (pid == 0) {
    ::close(report_fd);
    init();
    ::_exit(127);
  }
  return pid;
}

std::vector<IdMapping> read_id_map(const std::string& path) {
  std::vector<IdMapping> maps;
  std::istringstream in(read_file(path));
  IdMapping m;
  while (in >> m.container_id >> m.host_id >> m.size) maps.push_back(m);
  return maps;
}

}  // namespace

pid_t clone_init(int user_ns, int pid_ns, const JoinFields& fields, uint64_t new_flags, int cgroup_fd,
                 const std::function<void()>& init) {
  auto [report, helper_end] = sync::make_pair();
  pid_t helper = clone_into(0, -1);
  if (helper == 0) {
    report.reset();
    std::string msg;
    try {
      pid_t pid = join_and_clone(user_ns, pid_ns, fields, new_flags, cgroup_fd, helper_end.get(), init);
      msg = kPidPrefix + std::to_string(pid);
    } catch (const std::exception& e) {
      msg = sync::kErrorPrefix + std::string(e.what());
    }
    ::_exit(sync::send(helper_end.get(), msg) ? 0 : 1);
  }
  helper_end.reset();
  auto msg = sync::receive(report.get());
  while (::waitpid(helper, nullptr, 0) < 0 && errno == EINTR) {
  }
  sync::throw_if_error(msg);
  if (!msg || msg->rfind(kPidPrefix, 0) != 0)
    throw Error(fields.user + ": the process joining the user namespace died");
  return static_cast<pid_t>(std::stol(msg->substr(std::string(kPidPrefix).size())));
}

std::vector<IdMapping> uid_map_of(pid_t pid) {
  return read_id_map("/proc/" + std::to_string(pid) + "/uid_map");
}

std::vector<IdMapping> gid_map_of(pid_t pid) {
  return read_id_map("/proc/" + std::to_string(pid) + "/gid_map");
}

}  // namespace vcrun::userns
