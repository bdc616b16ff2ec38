// OCI / mount(8) option words -> mount attributes, superblock flags, data and propagation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vcrun::mounts {

// A set/clear pair of MOUNT_ATTR_* bits (the new mount API's per-mount flags, which is what
// vcrun mounts with: see mount_api.hpp). `clr` also holds MOUNT_ATTR__ATIME when an atime
// word was given, because the three atime modes are one field, not independent bits.
struct AttrChange {
  uint64_t set = 0;
  uint64_t clr = 0;
  bool empty() const { return set == 0 && clr == 0; }
};

struct MountOptions {
  AttrChange attr;            // ro/rw, nosuid/suid, nodev/dev, noexec/exec, atime words
  AttrChange recursive_attr;  // the "r" forms (rro, rnosuid, ...): applied to every submount
  // Superblock flags, passed to fsconfig as flags for a new filesystem: sync, async,
  // dirsync, mand, nomand, lazytime, nolazytime. Meaningless for binds.
  std::vector<std::string> sb_flags;
  // Words vcrun does not know (e.g. "mode=755", "size=65536k", "newinstance"): handed to
  // the filesystem one by one, in order, "key" or "key=value".
  std::vector<std::string> data;
  bool bind = false;       // "bind" or "rbind"
  bool recursive = false;  // "rbind"
  bool remount = false;    // change an existing mount instead of creating one
  bool tmpcopyup = false;  // a new tmpfs starts with a copy of what the mount point held
  // MS_SHARED / MS_SLAVE / MS_PRIVATE / MS_UNBINDABLE, 0 = leave as is.
  unsigned long propagation = 0;
  bool propagation_recursive = false;  // the r-form: rshared, rslave, ...
  std::vector<std::string> ignored;    // recognised but without effect here (defaults)

  // "mode=755,size=65536k": the data words joined, as mount(2) would take them.
  std::string data_string() const;
};

// Parses OCI mount options in order; a later word overrides an earlier one (ro,rw -> rw).
// Never fails: unknown words become data for the filesystem, which judges them.
MountOptions parse_mount_options(const std::vector<std::string>& words);

// Every word parse_mount_options gives a meaning (not handed on as filesystem data), with
// the "r" forms: what `vcrun features` reports as mountOptions.
std::vector<std::string> known_mount_options();

// Parses a propagation word ("private", "rslave", ...). Returns false when `word` is not one.
bool parse_propagation(const std::string& word, unsigned long& flag, bool& recursive);

}  // namespace vcrun::mounts
