// rootfs::setup: builds the container's root filesystem and pivots into it, top to bottom.
#include "runtime/rootfs.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/fd.hpp"
#include "runtime/fs_util.hpp"
#include "runtime/mount_api.hpp"
#include "runtime/mount_options.hpp"
#include "runtime/rootfs_steps.hpp"
#include "vcrun/error.hpp"

namespace vcrun::rootfs {

namespace {

UniqueFd open_dir(const std::string& path, const std::string& what) {
  UniqueFd fd(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_errno(what + " \"" + path + "\"");
  return fd;
}

// Everything below changes mounts; in the host's namespace that would rearrange the host.
void require_own_mount_namespace() {
  struct stat self {}, init {};
  if (::stat("/proc/self/ns/mnt", &self) != 0 || ::stat("/proc/1/ns/mnt", &init) != 0)
    return;  // cannot tell (no /proc, or pid 1 not inspectable from a user namespace)
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

// Step 2, quick mode: host "/" as the read-only lower layer, the writes in a tmpfs that
// lives and dies with this mount namespace.
void mount_host_overlay(const ContainerSpec& spec, const Plan& plan) {
  UniqueFd scratch_dir = open_dir(plan.scratch_dir, "scratch dir");
  UniqueFd scratch = mountapi::new_filesystem("tmpfs", "tmpfs", {"mode=0700"}, {},
                                              MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
  mountapi::attach(scratch.get(), scratch_dir.get());
  // The upper's root directory becomes the container's "/": same mode as the host's.
  if (::mkdirat(scratch.get(), "upper", 0755) != 0) throw_errno("mkdir upper in scratch dir");
  if (::mkdirat(scratch.get(), "work", 0700) != 0) throw_errno("mkdir work in scratch dir");

  std::vector<std::string> data{"lowerdir=/", "upperdir=" + plan.scratch_dir + "/upper",
                                "workdir=" + plan.scratch_dir + "/work"};
  // In a user namespace overlay cannot write trusted.* xattrs; it uses user.* instead.
  if (!in_initial_user_namespace()) data.push_back("userxattr");
  UniqueFd target = open_dir(spec.root.path, "root.path");
  UniqueFd overlay = mountapi::new_filesystem("overlay", "overlay", data, {}, 0);
  mountapi::attach(overlay.get(), target.get());
}

// Step 2, bundle mode: pivot_root needs the new root to be a mount point.
void bind_root_onto_itself(const ContainerSpec& spec) {
  UniqueFd target = open_dir(spec.root.path, "root.path");
  UniqueFd tree = mountapi::clone_tree(target.get(), "", true);
  mountapi::attach(tree.get(), target.get());
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

void setup(const ContainerSpec& spec, const Plan& plan) {
  require_own_mount_namespace();
  isolate_from_host(spec);

  if (plan.host_overlay)
    mount_host_overlay(spec, plan);
  else
    bind_root_onto_itself(spec);
  // Opened after step 2 so that it is the root of the new mount, not the directory below.
  UniqueFd root = open_dir(spec.root.path, "root.path");

  mount_dev_tmpfs(spec, root.get());
  mount_spec_mounts(spec, root.get());
  populate_dev(spec, root.get());

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
