// Walking the trees unify was given: every regular file, its directory and its stat.
#pragma once

#include <sys/types.h>

#include <ctime>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "base/fd.hpp"

namespace vcrun::unify {

// A stat time in nanoseconds, as the scan records it and the later checks compare it.
inline int64_t ns(const struct timespec& t) { return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec; }

struct Tree {
  std::string path;  // as given, for messages
  std::string real;  // canonical, read back from the fd
  UniqueFd fd;       // O_RDONLY | O_DIRECTORY root, every later open resolves beneath it
  dev_t dev = 0;
};

struct DirEntry {
  uint32_t tree = 0;
  std::string rel;  // "" for the tree root, else "a/b"
};

struct FileEntry {
  uint32_t dir = 0;
  std::string name;
  uint64_t dev = 0, ino = 0, size = 0, blocks = 0, nlink = 0;
  int64_t ctime_ns = 0, mtime_ns = 0;
};

struct ScanResult {
  std::vector<DirEntry> dirs;
  std::vector<FileEntry> files;
  uint64_t temporaries_removed = 0;
};

// Opens each dir as a Tree without following any symlink on the way (openat2
// RESOLVE_NO_SYMLINKS: a DIR that is or passes through one is refused, since its target
// is not what was named). Refuses "/" and a tree that is or holds `index_dir` (the
// canonical directory of the index: the run would link its own state). Throws Error
// naming the dir.
std::vector<Tree> open_trees(const std::vector<std::string>& dirs, const std::string& index_dir);

// Walks every tree without following symlinks or entering another file system (a
// directory reached twice, as with nested or repeated trees, is walked once). Regular
// files only; symlinks, devices, fifos and sockets are left out. Leftover temporaries
// (kTempName) are removed unless `dry_run`. `seen` counts files as they are found.
ScanResult scan_trees(const std::vector<Tree>& trees, bool dry_run, std::atomic<uint64_t>& seen);

// "tree/rel/name" for messages.
std::string display_path(const std::vector<Tree>& trees, const ScanResult& s, const FileEntry& f);
// "rel/name" beneath the tree's root.
std::string rel_path(const ScanResult& s, const FileEntry& f);

}  // namespace vcrun::unify
