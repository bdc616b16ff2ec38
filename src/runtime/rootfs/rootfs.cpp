// rootfs::setup: builds the container's root filesystem and pivots into it, top to bottom.
#include "runtime/rootfs/rootfs.hpp"

#include <fcntl.h>
#include <limits.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <sstream>
#include <vector>

#include "base/dir_fd.hpp"
#include "base/fd.hpp"
#include "base/fs_util.hpp"
#include "base/text.hpp"
#include "runtime/rootfs/cow_root.hpp"
#include "runtime/rootfs/mount_api.hpp"
#include "runtime/rootfs/mount_options.hpp"
#include "runtime/rootfs/paths.hpp"
#include "runtime/rootfs/steps.hpp"
#include "vcrun/error.hpp"

namespace vcrun::rootfs {

namespace {

UniqueFd open_dir(const std::string& path, const std::string& what) {
  UniqueFd fd(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_errno(what + " " + quoted(path));  // cut: a path may be megabytes long
  return fd;
}

// Everything below changes mounts; in the host's namespace that would rearrange the host,
// in the runtime's own (a joined /proc/self/ns/mnt) its caller's. The launch refuses both
// before clone (refuse_changes_to_own_namespace); this is the last line.
void require_own_mount_namespace(const Plan& plan) {
  struct stat self {}, init {};
  if (::stat("/proc/self/ns/mnt", &self) != 0)
    return;  // cannot tell (no /proc)
  if (plan.runtime_mnt_ino != 0 && self.st_ino == plan.runtime_mnt_ino &&
      self.st_dev == plan.runtime_mnt_dev)
    throw Error("rootfs setup: refusing to run in vcrun's own mount namespace", EINVAL);
  if (::stat("/proc/1/ns/mnt", &init) != 0)
    return;  // pid 1 not inspectable (from a user namespace)
  if (self.st_ino == init.st_ino && self.st_dev == init.st_dev)
    throw Error("rootfs setup: refusing to run in the host's mount namespace", EINVAL);
}

unsigned long root_propagation(const ContainerSpec& spec, bool& recursive) {
  unsigned long flag = 0;
  recursive = false;
  const std::string& word = spec.linux.rootfs_propagation;
  if (!word.empty() && !mounts::parse_propagation(word, flag, recursive))
    throw SpecError("linux.rootfsPropagation", "unknown propagation \"" + word + "\"");
  return flag;
}

// Step 1. A cloned mount namespace keeps its mounts in the host's peer groups: without
// this, every mount below would also appear on the host. "slave" keeps receiving the host's
// mount events (when the spec asks for it); anything else is cut off completely.
void isolate_from_host(const ContainerSpec& spec) {
  bool rec = false;
  unsigned long flag = root_propagation(spec, rec) == MS_SLAVE ? MS_SLAVE : MS_PRIVATE;
  if (::mount(nullptr, "/", nullptr, MS_REC | flag, nullptr) != 0)
    throw_errno(std::string("make / recursively ") + (flag == MS_SLAVE ? "slave" : "private"));
}

// An overlay option value: the kernel splits lowerdir at ':' and takes '\\' as escape.
std::string overlay_path(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == ':' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// Step 2, overlay roots (quick mode's host root): the root is an overlay of plan.overlay's
// layers; a private upper lives on a tmpfs mounted in this mount namespace only.
void mount_overlay_root(const ContainerSpec& spec, const Overlay& o) {
  std::string upper = o.upper, work = o.work;
  UniqueFd upper_fd, work_fd;  // held until the overlay is mounted
  if (o.upper_fd) {
    upper_fd = reopen_upper_layer(o.upper, o.upper_fd->get());
    work_fd = reopen_upper_layer(o.work, o.work_fd->get());
    upper = proc_fd_path(upper_fd.get());
    work = proc_fd_path(work_fd.get());
  }
  if (upper.empty()) {
    UniqueFd scratch_dir = open_dir(o.scratch, "scratch dir");
    UniqueFd scratch = mountapi::new_filesystem("tmpfs", "tmpfs", {"mode=0700"}, {},
                                                MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
    mountapi::attach(scratch.get(), scratch_dir.get());
    // The upper's root directory becomes the container's "/": same mode as the host's.
    if (::mkdirat(scratch.get(), "upper", 0755) != 0) throw_errno("mkdir upper in scratch dir");
    if (::mkdirat(scratch.get(), "work", 0700) != 0) throw_errno("mkdir work in scratch dir");
    upper = o.scratch + "/upper";
    work = o.scratch + "/work";
  }
  std::string lowers;
  for (const auto& l : o.lowers) {
    if (!lowers.empty()) lowers += ':';
    lowers += overlay_path(l);
  }
  std::vector<std::string> data{"lowerdir=" + lowers, "upperdir=" + overlay_path(upper),
                                "workdir=" + overlay_path(work)};
  // In a user namespace overlay cannot write trusted.* xattrs; it uses user.* instead.
  if (!in_initial_user_namespace()) data.push_back("userxattr");
  UniqueFd target = open_dir(spec.root.path, "root.path");
  UniqueFd overlay = mountapi::new_filesystem("overlay", "overlay", data, {}, 0);
  mountapi::attach(overlay.get(), target.get());
}

// Step 2, bundle mode: pivot_root needs the new root to be a mount point. The root's
// flags are the spec's (only root.readonly, applied in step 7), not those of the host
// mount the bundle sits on: an image unpacked on a nosuid,nodev /tmp or /var keeps its
// setuid binaries and device nodes working, as with crun (podman's default runtime; runc
// keeps the host mount's flags). In a user namespace the kernel locks them: kept then.
void bind_root_onto_itself(const ContainerSpec& spec) {
  UniqueFd target = open_dir(spec.root.path, "root.path");
  UniqueFd tree = mountapi::clone_tree(target.get(), "", true);
  mounts::AttrChange plain;
  plain.clr = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
  try {
    mountapi::set_attr(tree.get(), plain, false);
  } catch (const Error& e) {
    if (e.code() != EPERM) throw e.with_context("root.path: clear the host mount's nosuid/nodev/noexec");
    spdlog::debug("root.path: the host mount's nosuid/nodev/noexec are locked, kept");
  }
  mountapi::attach(tree.get(), target.get());
}

// A read-only /dev tmpfs from the spec was mounted writable so populate_dev could fill it.
void make_dev_readonly_if_asked(const ContainerSpec& spec, int root_fd) {
  for (const auto& m : spec.mounts) {
    if (paths::clean_path(m.destination) != "/dev" || m.type != "tmpfs") continue;
    auto o = mounts::parse_mount_options(m.options);
    if (!(o.attr.set & MOUNT_ATTR_RDONLY)) continue;
    UniqueFd dev = paths::open_in_root(root_fd, "/dev", O_PATH | O_DIRECTORY);
    mounts::AttrChange ro;
    ro.set = MOUNT_ATTR_RDONLY;
    mountapi::set_attr(dev.get(), ro, false);
  }
}

// Step 5. pivot_root(".", ".") stacks the old root on top of the new one at "."; detaching
// it leaves the container's tree only. The old root is never reachable again (no chroot,
// which a process with CAP_SYS_CHROOT could escape).
void enter_root(int root_fd) {
  if (::fchdir(root_fd) != 0) throw_errno("chdir into the new root");
  if (::syscall(SYS_pivot_root, ".", ".") != 0) throw_errno("pivot_root");
  if (::umount2(".", MNT_DETACH) != 0) throw_errno("detach the old root");
  if (::chdir("/") != 0) throw_errno("chdir /");
}

// Mount points from /proc/self/mountinfo (field 5, octal escapes such as \040 undone).
std::vector<std::string> mount_points() {
  std::vector<std::string> out;
  std::istringstream in(read_file("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, dev, root, point;
    if (!(f >> id >> parent >> dev >> root >> point)) continue;
    std::string plain;
    for (size_t i = 0; i < point.size(); ++i) {
      if (point[i] == '\\' && i + 3 < point.size()) {
        plain += static_cast<char>(std::stoi(point.substr(i + 1, 3), nullptr, 8));
        i += 3;
      } else {
        plain += point[i];
      }
    }
    out.push_back(plain);
  }
  return out;
}

bool is_under(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path == dir || (path.rfind(dir, 0) == 0 && path.size() > dir.size() && path[dir.size()] == '/');
}

// Step 5 with --no-pivot (runc's msMoveRoot): for a root on an initramfs, which
// pivot_root refuses. The trade-off: the old root is never detached, only covered by the
// container's root, which is a chroot. ".." cannot lead there (stepping onto the covered
// "/" descends back into the container's root: the escape probe's chroot walk-out stays
// inside), but anything that reaches the mount namespace's own root does see it: setns
// into the namespace (CAP_SYS_ADMIN), an fd leaked from outside. To leave as little there
// as possible, every other mount of this private namespace is detached first (the host's
// /proc, /sys, /dev, /home...; runc only detaches proc and sysfs); mounts the kernel
// keeps locked (in a user namespace) are covered with an empty read-only tmpfs. Only the
// mounts that hold the root (its ancestors) stay. pivot_root stays the default.
void enter_root_without_pivot(int root_fd) {
  // Where the root is mounted, as mountinfo spells it (symlinks in root.path resolved).
  char buf[PATH_MAX + 1];
  std::string fd_link = "/proc/self/fd/" + std::to_string(root_fd);
  ssize_t n = ::readlink(fd_link.c_str(), buf, PATH_MAX);
  if (n <= 0) throw_errno("root without pivot_root: locate the new root");
  const std::string root_path(buf, static_cast<size_t>(n));
  auto points = mount_points();
  // Deepest first, so a parent's detach does not hide a child that still needs one.
  std::sort(points.begin(), points.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const auto& p : points) {
    if (p == "/" || is_under(p, root_path) || is_under(root_path, p)) continue;
    if (::umount2(p.c_str(), MNT_DETACH) == 0 || errno == EINVAL || errno == ENOENT) continue;
    if (errno != EPERM ||
        ::mount("tmpfs", p.c_str(), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") != 0)
      throw_errno("root without pivot_root: detach \"" + p + "\"");
  }
  if (::fchdir(root_fd) != 0) throw_errno("chdir into the new root");
  if (::mount(".", "/", nullptr, MS_MOVE, nullptr) != 0) throw_errno("root without pivot_root: move the root onto /");
  if (::chroot(".") != 0) throw_errno("root without pivot_root: chroot into the new root");
  if (::chdir("/") != 0) throw_errno("chdir /");
}

// Step 7: only the root mount itself, as runc does: /proc, /dev, /tmp... keep their flags.
// mount_setattr changes the read-only bit alone, so nosuid/nodev/noexec stay as they are.
void make_root_readonly(int root_fd) {
  mounts::AttrChange ro;
  ro.set = MOUNT_ATTR_RDONLY;
  try {
    mountapi::set_attr(root_fd, ro, false);
  } catch (const Error& e) {
    throw e.with_context("root.readonly: remount / read-only");
  }
}

// Step 8.
void apply_root_propagation(const ContainerSpec& spec, int root_fd) {
  bool rec = false;
  unsigned long flag = root_propagation(spec, rec);
  try {
    mountapi::set_propagation(root_fd, flag, rec);
  } catch (const Error& e) {
    throw e.with_context("linux.rootfsPropagation \"" + spec.linux.rootfs_propagation + "\"");
  }
}

}  // namespace

bool in_initial_user_namespace() {
  try {
    return read_file("/proc/self/uid_map").find("4294967295") != std::string::npos;
  } catch (const Error&) {
    return true;
  }
}

void setup(const ContainerSpec& spec, const Plan& plan,
           const std::function<void()>& before_pivot) {
  require_own_mount_namespace(plan);
  isolate_from_host(spec);

  // A unified root.path always comes with an overlay: launch plans it (cow_root.hpp).
  if (plan.overlay)
    mount_overlay_root(spec, *plan.overlay);
  else
    bind_root_onto_itself(spec);
  // Opened after step 2 so that it is the root of the new mount, not the directory below.
  UniqueFd root = open_dir(spec.root.path, "root.path");

  mount_dev_tmpfs(spec, root.get());
  mount_spec_mounts(spec, root.get(), plan.bind_trees);
  populate_dev(spec, root.get());
  make_dev_readonly_if_asked(spec, root.get());
  if (before_pivot) {
    // As runc: the createContainer hooks start in the new root (a hook that writes
    // ./lib/x.so is writing into the container), still named by the runtime's paths.
    if (::fchdir(root.get()) != 0) throw_errno("chdir into the new root");
    before_pivot();
  }

  if (plan.no_pivot)
    enter_root_without_pivot(root.get());
  else
    enter_root(root.get());
  root = open_dir("/", "new root");

  mask_paths(spec, root.get());
  make_readonly_paths(spec, root.get());
  if (spec.root.readonly) make_root_readonly(root.get());
  apply_root_propagation(spec, root.get());
  spdlog::debug("rootfs ready: {} mounts, root {}", spec.mounts.size(),
                spec.root.readonly ? "read-only" : "writable");
}

}  // namespace vcrun::rootfs
