// Locating the cgroup2 hierarchy, our place in it, and enabling controllers down a path.
#include "cgroup/hierarchy.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <mutex>
#include <sstream>

#include <spdlog/spdlog.h>

#include "base/cpu_list.hpp"
#include "base/fs_util.hpp"
#include "vcrun/error.hpp"

namespace vcrun::cgroup {

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mountinfo(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    bool octal = s[i] == '\\' && i + 3 < s.size();
    if (octal)
      for (size_t k = 1; k <= 3; ++k) octal = octal && s[i + k] >= '0' && s[i + k] <= '7';
    if (octal) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::string> split_ws(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

std::set<std::string> read_word_set(const std::string& path) {
  std::set<std::string> out;
  std::istringstream in(read_file(path));
  std::string w;
  while (in >> w) out.insert(w);
  return out;
}

// statmount(2) (Linux 6.8), declared here because Debian 12's uapi headers predate it.
constexpr long kSysStatmount = 457;
constexpr unsigned kStatxMntIdUnique = 0x4000;
constexpr uint64_t kStatmountMntRoot = 0x8, kStatmountMntPoint = 0x10;
struct MntIdReq {  // MNT_ID_REQ_SIZE_VER0
  uint32_t size, spare;
  uint64_t mnt_id, param;
};
struct Statmount {  // the fixed part; the strings follow at offsets into str
  uint32_t size, spare1;
  uint64_t mask;
  uint32_t sb_dev_major, sb_dev_minor;
  uint64_t sb_magic;
  uint32_t sb_flags, fs_type;
  uint64_t mnt_id, mnt_parent_id;
  uint32_t mnt_id_old, mnt_parent_id_old;
  uint64_t mnt_attr, mnt_propagation, mnt_peer_group, mnt_master, propagate_from;
  uint32_t mnt_root, mnt_point;
  uint64_t spare2[50];
};
static_assert(sizeof(Statmount) == 512);

bool is_dir(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool has_delegate_xattr(const std::string& dir) {
  char buf[8];
  for (const char* name : {"trusted.delegate", "user.delegate"}) {
    ssize_t n = ::getxattr(dir.c_str(), name, buf, sizeof buf);
    if (n > 0 && buf[0] == '1') return true;
  }
  return false;
}

}  // namespace

// Three syscalls instead of parsing all of /proc/self/mountinfo (42 us with 21 mounts
// here, and linear in the mount count).
std::optional<Mount2> statmount_cgroup2(const char* path) {
  struct statfs fs {};
  if (::statfs(path, &fs) != 0 || fs.f_type != CGROUP2_SUPER_MAGIC) return std::nullopt;
  struct statx stx {};
  if (::statx(AT_FDCWD, path, AT_NO_AUTOMOUNT, kStatxMntIdUnique, &stx) != 0 ||
      !(stx.stx_mask & kStatxMntIdUnique))
    return std::nullopt;
  MntIdReq req{sizeof(MntIdReq), 0, stx.stx_mnt_id, kStatmountMntRoot | kStatmountMntPoint};
  alignas(Statmount) char buf[sizeof(Statmount) + 2 * 4096];
  if (::syscall(kSysStatmount, &req, buf, sizeof buf, 0) != 0) return std::nullopt;
  Statmount sm;
  std::memcpy(&sm, buf, sizeof sm);
  if ((sm.mask & (kStatmountMntRoot | kStatmountMntPoint)) !=
      (kStatmountMntRoot | kStatmountMntPoint))
    return std::nullopt;
  const char* str = buf + sizeof(Statmount);
  Mount2 m{str + sm.mnt_point, str + sm.mnt_root};
  if (m.mount_point != path) return std::nullopt;  // path is inside a mount, not its root
  return m;
}

std::optional<Mount2> find_cgroup2_mount(const std::string& mountinfo) {
  std::optional<Mount2> best;
  std::istringstream in(mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    auto f = split_ws(line);
    // id parent maj:min root mountpoint opts [optional...] - fstype source superopts
    size_t sep = 0;
    for (size_t i = 6; i < f.size(); ++i)
      if (f[i] == "-") {
        sep = i;
        break;
      }
    if (sep == 0 || sep + 1 >= f.size() || f[sep + 1] != "cgroup2") continue;
    Mount2 m{unescape_mountinfo(f[4]), unescape_mountinfo(f[3])};
    auto score = [](const Mount2& x) {
      return (x.root == "/" ? 2 : 0) + (x.mount_point == "/sys/fs/cgroup" ? 1 : 0);
    };
    // Later mounts over the same point hide earlier ones, so ties go to the later line.
    if (!best || score(m) >= score(*best)) best = m;
  }
  return best;
}

std::optional<std::string> own_cgroup_v2_path(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  return std::nullopt;
}

const Mount2& cgroup2_mount() {
  static std::once_flag once;
  static std::optional<Mount2> mount;
  std::call_once(once, [] {
    // The usual places first (pure v2, then a hybrid host's), each taken only when it is
    // what the scan would prefer anyway: a mount of the hierarchy's root.
    for (const char* path : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
      mount = statmount_cgroup2(path);
      if (mount && mount->root == "/") return;
    }
    mount = find_cgroup2_mount(read_file("/proc/self/mountinfo"));
  });
  if (!mount) throw Error("no cgroup2 hierarchy is mounted (looked in /proc/self/mountinfo)", ENOENT);
  return *mount;
}

std::pair<unsigned, uint64_t> level_and_id(const std::string& dir) {
  struct stat sb;
  if (::stat(dir.c_str(), &sb) != 0) throw_errno("stat " + dir);
  const auto& m = cgroup2_mount();
  std::string path = m.root + "/" + (dir.size() > m.mount_point.size() ? dir.substr(m.mount_point.size()) : "");
  unsigned level = 0;
  for (size_t i = 0; i < path.size();) {
    size_t next = path.find('/', i);
    if (next == std::string::npos) next = path.size();
    if (next > i) ++level;
    i = next + 1;
  }
  return {level, static_cast<uint64_t>(sb.st_ino)};
}

std::string own_cgroup_dir() {
  const Mount2& m = cgroup2_mount();
  auto p = own_cgroup_v2_path(read_file("/proc/self/cgroup"));
  if (!p) throw Error("this process is not in a cgroup v2 hierarchy (/proc/self/cgroup)", ENOENT);
  std::string rel = *p;
  // Paths outside the mount's root (a cgroup namespace boundary) show up as "/../x".
  if (m.root != "/" && rel.rfind(m.root, 0) == 0) rel = rel.substr(m.root.size());
  if (rel.find("/..") != std::string::npos) return m.mount_point;
  if (rel == "/" || rel.empty()) return m.mount_point;
  return m.mount_point + rel;
}

std::set<std::string> controllers_of(const std::string& dir) {
  return read_word_set(dir + "/cgroup.controllers");
}

std::set<std::string> subtree_control_of(const std::string& dir) {
  return read_word_set(dir + "/cgroup.subtree_control");
}

std::string default_parent_dir() {
  const Mount2& m = cgroup2_mount();
  std::string own = own_cgroup_dir();
  if (own != m.mount_point && has_delegate_xattr(own)) return own + "/vcrun";
  return m.mount_point + "/vcrun";
}

std::string container_dir(const std::string& cgroups_path, const std::string& name) {
  if (cgroups_path.empty()) return default_parent_dir() + "/" + name;
  const std::string field = "linux.cgroupsPath";
  if (cgroups_path.find(':') != std::string::npos && cgroups_path[0] != '/')
    throw SpecError(field, "\"" + cgroups_path +
                               "\" looks like a systemd slice:prefix:name path; vcrun manages "
                               "cgroupfs directly and needs a path");
  std::istringstream parts(cgroups_path);
  std::string part, clean;
  while (std::getline(parts, part, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") throw SpecError(field, "must not contain \"..\"");
    clean += "/" + part;
  }
  if (clean.empty()) throw SpecError(field, "must name a cgroup below the hierarchy root");
  const Mount2& m = cgroup2_mount();
  if (cgroups_path[0] == '/') return m.mount_point + clean;
  std::string own = own_cgroup_dir();
  return own + clean;
}

std::string missing_controller_message(const std::string& field, const std::string& controller) {
  return field + ": the " + controller + " controller is not available in the cgroup v2 hierarchy at " +
         cgroup2_mount().mount_point;
}

std::vector<std::string> missing_ancestors(const std::string& dir) {
  const std::string& mp = cgroup2_mount().mount_point;
  std::vector<std::string> out;
  if (dir.rfind(mp + "/", 0) != 0) return out;
  for (size_t pos = dir.find('/', mp.size() + 1); pos != std::string::npos; pos = dir.find('/', pos + 1))
    if (!is_dir(dir.substr(0, pos))) out.push_back(dir.substr(0, pos));
  return out;
}

std::vector<std::string> prepare_path(const std::string& dir, const std::vector<ControllerNeed>& required,
                                      const std::set<std::string>& wanted) {
  const std::string& mp = cgroup2_mount().mount_point;
  if (dir.rfind(mp + "/", 0) != 0)
    throw Error("cgroup " + dir + " is not below the cgroup2 mount " + mp, EINVAL);

  // Refuse before creating anything: the root lists every controller the kernel offers.
  auto at_root = controllers_of(mp);
  for (const auto& need : required)
    if (!at_root.count(need.controller))
      throw Error(missing_controller_message(need.field, need.controller), EOPNOTSUPP);

  std::vector<std::string> ancestors;  // mount point .. parent of dir
  for (size_t pos = mp.size(); pos != std::string::npos; pos = dir.find('/', pos + 1))
    ancestors.push_back(dir.substr(0, pos));

  std::vector<std::string> made;
  for (const auto& a : ancestors) {
    // The mount point is there (statmount or mountinfo found it), and its controllers were
    // just read: neither is looked up again.
    const bool root = a.size() == mp.size();
    if (!root && !is_dir(a)) {
      if (::mkdir(a.c_str(), 0755) == 0)
        made.push_back(a);
      else if (errno != EEXIST)
        throw_errno("create cgroup " + a);
    }
    auto available = root ? at_root : controllers_of(a);
    auto enabled = subtree_control_of(a);
    for (const auto& need : required) {
      if (enabled.count(need.controller)) continue;
      if (!available.count(need.controller))
        throw Error(need.field + ": the " + need.controller + " controller is not delegated to " + a,
                    EOPNOTSUPP);
      try {
        write_existing(a + "/cgroup.subtree_control", "+" + need.controller);
      } catch (const Error& e) {
        throw Error(need.field + ": cannot enable the " + need.controller + " controller in " + a +
                        (e.code() == EBUSY ? " (it has processes of its own)" : "") + ": " + e.what(),
                    e.code());
      }
      enabled.insert(need.controller);
    }
    for (const auto& c : wanted) {
      if (enabled.count(c) || !available.count(c)) continue;
      try {
        write_existing(a + "/cgroup.subtree_control", "+" + c);
      } catch (const Error& e) {
        spdlog::debug("cgroup: not enabling {} in {}: {}", c, a, e.what());
      }
    }
  }
  return made;
}

unsigned cpus_available(const std::string& parent_dir) {
  // Without the cpuset controller the file is absent: the common case, so no exception.
  if (auto list = read_file_if_exists(parent_dir + "/cpuset.cpus.effective")) {
    if (unsigned n = cpu_list::count(cpu_list::parse_lenient(*list)); n > 0) return n;
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
    return static_cast<unsigned>(CPU_COUNT(&set));
  long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<unsigned>(n) : 1;
}

}  // namespace vcrun::cgroup
