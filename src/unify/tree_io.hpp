// File access inside a tree that a symlink swapped in mid-run cannot redirect: every
// open resolves beneath the tree's root fd, without symlinks and without leaving its file
// system; and the crash-safe replacement of a path by a link.
#pragma once

#include <cstdint>
#include <string>

#include "base/fd.hpp"

namespace vcrun::unify {

// The one temporary name a run uses per directory; any file by this name is a leftover
// extra link of an interrupted run (its target still has another name), removed on sight.
inline constexpr const char* kTempName = ".vcrun-unify.tmp";

// openat2(root_fd, rel, flags | O_NOFOLLOW | O_CLOEXEC) with RESOLVE_BENEATH,
// RESOLVE_NO_SYMLINKS and RESOLVE_NO_XDEV ("" opens the root itself), EAGAIN retried a
// bounded number of times (base/openat2). Invalid fd and errno set on failure.
UniqueFd open_beneath(int root_fd, const std::string& rel, int flags);

// XXH3-64 of the whole file (pread from 0, so the fd's offset does not matter).
uint64_t hash_file(int fd, const std::string& what);

// True when both files hold exactly `size` identical bytes.
bool same_bytes(int a, int b, uint64_t size, const std::string& what);

// The first file of a size bucket, read once: its hash, and its bytes kept in memory (up
// to kKeptMax; a larger one is read again from `fd`, which must stay open) so that every
// other file of the bucket is read once to get both its own hash and whether it is
// byte-identical. Hashing so costs no read of its own, and a bucket of identical files
// (the common case across near-identical trees) needs no second pass to compare.
class Reference {
 public:
  static constexpr uint64_t kKeptMax = 64 << 20;

  // Reads the file open as `fd`; false when it does not hold exactly `size` bytes.
  bool load(int fd, uint64_t size, const std::string& what);
  uint64_t hash() const { return hash_; }

  // Reads the file open as `fd` whole: its XXH3-64 into `hash`; true when it holds exactly
  // the reference's bytes.
  bool hash_and_compare(int fd, uint64_t& hash, const std::string& what);

 private:
  int fd_ = -1;
  uint64_t size_ = 0, hash_ = 0;
  std::string kept_;  // the whole content when size_ <= kKeptMax
};

// Replaces `name` in `dir_fd` by a link to the inode open as `target_fd` (O_PATH is
// enough): link to kTempName in the same directory, then rename over `name`. At any
// instant `name` holds either its old inode or the new one.
void replace_with_link(int target_fd, int dir_fd, const std::string& name, const std::string& what);

}  // namespace vcrun::unify
