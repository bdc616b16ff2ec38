// Planning and preparing copy-on-write roots over unified trees (docs/unify.md).
#include "runtime/rootfs/cow_root.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

#include "base/dir_fd.hpp"
#include "base/fs_util.hpp"
#include "base/text.hpp"
#include "runtime/rootfs/mount_options.hpp"
#include "vcrun/error.hpp"
#include "vcrun/unify.hpp"

namespace vcrun::rootfs {

namespace {

namespace fs = std::filesystem;

std::string canonical_or_lexical(const std::string& p) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(p, ec);
  return (ec ? fs::path(p).lexically_normal() : c).string();
}

// The upper's directory `dir` must lie outside every one of `places` (name, path) and hold
// none of them. With `host_root`, the first place is quick mode's lower "/", which holds
// every path: only an upper of "/" itself overlaps it.
void refuse_overlap(const std::string& field, const std::string& dir,
                    const std::vector<std::pair<std::string, std::string>>& places, bool host_root) {
  std::string udir = canonical_or_lexical(dir);
  for (size_t i = 0; i < places.size(); ++i) {
    const auto& [name, path] = places[i];
    std::string place = canonical_or_lexical(path);
    bool inside = path_within(udir, place) && !(host_root && i == 0);
    if (inside || path_within(place, udir))
      throw SpecError(field, vcrun::quoted(dir) + " overlaps " + name + " " + vcrun::quoted(path) +
                                 ": the upper must lie outside every layer");
  }
}

void require_dir(const std::string& field, const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) throw SpecError(field, vcrun::quoted(path) + ": " + std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) throw SpecError(field, vcrun::quoted(path) + " is not a directory");
}

uint32_t container_root_on_host(const std::vector<IdMapping>& maps, uint32_t fallback) {
  for (const auto& m : maps)
    if (m.container_id == 0) return m.host_id;
  return fallback;
}

bool new_user_namespace(const ContainerSpec& spec) {
  return std::any_of(spec.linux.namespaces.begin(), spec.linux.namespaces.end(), [](const Namespace& n) {
    return n.type == NamespaceType::user && n.path.empty();
  });
}

}  // namespace

std::string default_upper_dir(const std::string& bundle, const std::string& id) {
  return bundle + "/vcrun-upper/" + id;
}

std::optional<Overlay> plan_cow_root(const ContainerSpec& spec, const std::string& bundle,
                                     const std::string& id, const std::string& scratch) {
  const VcrunExtensions& x = spec.vcrun;
  std::vector<std::string> layers{spec.root.path};
  layers.insert(layers.end(), x.lowers.begin(), x.lowers.end());
  // root.path itself is checked where it always was (a missing one: nullopt here).
  for (size_t i = 0; i < x.lowers.size(); ++i) require_dir(indexed("vcrun.lowers", i), x.lowers[i]);
  bool unified = std::any_of(layers.begin(), layers.end(),
                             [](const std::string& l) { return unified_tree_of(l).has_value(); });
  if (!unified && x.lowers.empty() && x.upper.empty()) {
    // Used directly, a root that holds a unified tree writes into the tree's shared inodes.
    if (auto tree = unified_tree_within(spec.root.path))
      throw SpecError("root.path", vcrun::quoted(spec.root.path) + " holds the unified tree " + vcrun::quoted(*tree) +
                                       " (vcrun unify), whose files other containers share: a root used without "
                                       "an overlay would change them for all; use the tree itself as the root");
    return std::nullopt;
  }

  Overlay o;
  o.lowers = layers;
  std::string dir = x.upper.empty() && !bundle.empty() ? default_upper_dir(bundle, id) : x.upper;
  if (dir.empty()) {
    o.scratch = scratch;  // quick mode without --upper: thrown away with the container
    return o;
  }
  std::string field = x.upper.empty() ? "vcrun.upper (default " + vcrun::quoted(dir) + ")" : "vcrun.upper";
  std::vector<std::pair<std::string, std::string>> named;
  for (size_t i = 0; i < layers.size(); ++i)
    named.emplace_back(i == 0 ? "root.path" : indexed("vcrun.lowers", i - 1), layers[i]);
  refuse_overlap(field, dir, named, false);
  o.upper = dir + "/upper";
  o.work = dir + "/work";
  return o;
}

void check_host_overlay_upper(const std::string& upper, const std::string& state_dir) {
  refuse_overlap("vcrun.upper", upper, {{"the host root (quick mode's lower)", "/"}, {"the container's state directory", state_dir}},
                 true);
}

void make_upper_dirs(Overlay& o, const ContainerSpec& spec) {
  if (o.upper.empty()) return;
  struct stat top;
  if (::stat(o.lowers.front().c_str(), &top) != 0) throw_errno("stat " + vcrun::quoted(o.lowers.front()));
  uid_t uid = top.st_uid;
  gid_t gid = top.st_gid;
  if (new_user_namespace(spec)) {
    uid = container_root_on_host(spec.linux.uid_mappings, uid);
    gid = container_root_on_host(spec.linux.gid_mappings, gid);
  }
  // Everything below goes through descriptors: a writer of a directory on the way (the
  // parent of --upper DIR, say) can swap a name for a symlink at any moment, and a
  // check by path followed by a chmod or mkdir by path would then act on its target.
  std::string parent = fs::path(o.upper).parent_path().string();
  // Directories above it (<bundle>/vcrun-upper) only need to be crossed, also by a
  // container root in a user namespace: 0711; the container's own one is 0700.
  // Only a directory made here is vcrun's to chmod and chown: an existing one given as
  // vcrun.upper or --upper (/home, /var/tmp, ...) keeps its mode and owner.
  DirFd dir = open_dir_chain(parent, 0711, true, "vcrun.upper");
  if (dir.made && ::fchmod(dir.fd.get(), 0700) != 0) throw_errno("vcrun.upper: chmod " + parent);
  DirFd subs[2];
  const std::pair<std::string, unsigned> wanted[2] = {{"upper", top.st_mode & 07777}, {"work", 0700u}};
  for (int i = 0; i < 2; ++i) {
    const auto& [name, mode] = wanted[i];
    subs[i] = make_dir_at(dir.fd.get(), name, 0700, "vcrun.upper", parent + "/" + name);
    if (!subs[i].made) continue;  // the container's earlier changes: kept
    if (::fchown(subs[i].fd.get(), uid, gid) != 0) throw_errno("vcrun.upper: chown " + parent + "/" + name);
    if (::fchmod(subs[i].fd.get(), mode) != 0) throw_errno("vcrun.upper: chmod " + parent + "/" + name);
  }
  // The parent too, so that a container root in a user namespace can reach them.
  if (dir.made && new_user_namespace(spec) && ::fchown(dir.fd.get(), uid, gid) != 0)
    throw_errno("vcrun.upper: chown " + parent);
  // The overlay is mounted (by the init, before it execs) only where these still are: a
  // name swapped since cannot redirect it.
  o.upper_fd = std::make_shared<const UniqueFd>(std::move(subs[0].fd));
  o.work_fd = std::make_shared<const UniqueFd>(std::move(subs[1].fd));
}

UniqueFd reopen_upper_layer(const std::string& path, int verified_fd) {
  // The runtime's descriptor belongs to its own mount namespace, whose mounts overlay
  // cannot use from this one: the same name is opened here (still no symlinks) and must
  // lead to the very directory the runtime made or checked.
  DirFd again = open_dir_chain(path, 0, false, "vcrun.upper");
  struct stat verified {}, here {};
  if (::fstat(verified_fd, &verified) != 0 || ::fstat(again.fd.get(), &here) != 0)
    throw_errno("vcrun.upper: stat " + path);
  if (verified.st_dev != here.st_dev || verified.st_ino != here.st_ino)
    throw Error("vcrun.upper: " + path + " was replaced while the container started: refusing it", ESTALE);
  return std::move(again.fd);
}

void refuse_writable_unified_binds(const ContainerSpec& spec) {
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const Mount& m = spec.mounts[i];
    if (m.source.empty()) continue;
    auto opts = mounts::parse_mount_options(m.options);
    if ((m.type != "bind" && !opts.bind) || ((opts.attr.set | opts.recursive_attr.set) & MOUNT_ATTR_RDONLY))
      continue;  // only a writable bind needs the (syscall-costly) unified-tree lookup
    auto field = indexed("mounts", i) + ".source";
    if (auto tree = unified_tree_of(m.source))
      throw SpecError(field, vcrun::quoted(m.source) + " is in the unified tree " + vcrun::quoted(*tree) +
                                 " (vcrun unify), whose files other containers share: a writable bind "
                                 "would change them for all; add \"ro\"");
    // A parent of unified trees reaches the same inodes one level down.
    if (auto tree = unified_tree_within(m.source))
      throw SpecError(field, vcrun::quoted(m.source) + " holds the unified tree " + vcrun::quoted(*tree) +
                                 " (vcrun unify), whose files other containers share: a writable bind "
                                 "would change them for all; add \"ro\"");
  }
}

}  // namespace vcrun::rootfs
