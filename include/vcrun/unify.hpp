// `vcrun unify`: identical files across root filesystem trees become one inode (paper
// §3.4), and the query the runtime asks before using a tree as a container's root.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace vcrun {

// Where the incremental index lives unless UnifyOptions::index_path says otherwise.
inline constexpr const char* kDefaultUnifyIndex = "/var/lib/vcrun/unify.index";

// The index `vcrun unify` uses by default and whose list of unified trees the runtime
// reads: $VCRUN_UNIFY_INDEX when set (an absolute path), else kDefaultUnifyIndex.
std::string unify_index_path();

// Counters of a run; also what the progress callback sees while it runs.
struct UnifyReport {
  uint64_t files_scanned = 0;      // regular files seen (every path, links included)
  uint64_t files_hashed = 0;       // inodes read to hash them this run
  uint64_t index_hits = 0;         // inodes whose hash came from the index instead
  uint64_t links_made = 0;         // paths replaced by a link to an identical inode
  uint64_t inodes_saved = 0;       // inodes that lost their last link
  uint64_t bytes_saved = 0;        // their allocated blocks (what du counts)
  uint64_t temporaries_removed = 0;  // leftovers of an interrupted run
  double seconds = 0;
  bool dry_run = false;
  std::string phase;  // "scan", "hash", "compare", "link", "done"
};

struct UnifyOptions {
  std::vector<std::string> dirs;
  bool dry_run = false;     // decide everything, change nothing (no link, index or mark)
  unsigned jobs = 0;        // hashing and comparing threads; 0: one per CPU
  uint64_t min_size = 1;    // smaller files are left alone; 0 includes empty files
  // The index file; its directory must exist. Beside it, "<index>.trees" lists every tree
  // marked (unify_index_path()'s list is the one the runtime reads). Empty: neither.
  std::string index_path = kDefaultUnifyIndex;
  // Called from the calling thread about ten times a second while the run lasts.
  std::function<void(const UnifyReport&)> progress;
};

// Links identical regular files (same content, mode, owner, xattrs; mtime not compared)
// found in and across `dirs` to one inode, crash-safe; marks each dir as unified before
// changing anything. Throws Error naming the dir or file on failure.
UnifyReport unify_trees(const UnifyOptions& opts);

// The unified tree `path` is, or lies in (the nearest marked ancestor), or nullopt.
std::optional<std::string> unified_tree_of(const std::string& path);

// A unified tree that `path` is or holds, as listed beside unify_index_path() (no walk:
// a tree marked by a run with another --index is not known), or nullopt.
std::optional<std::string> unified_tree_within(const std::string& path);

}  // namespace vcrun
