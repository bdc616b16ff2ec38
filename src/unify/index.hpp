// unify's incremental index: the content hash of each inode seen, valid while its
// dev/inode/size/ctime/mtime are unchanged, so a rerun hashes only new or changed files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace vcrun::unify {

struct IndexEntry {
  uint64_t dev = 0, ino = 0, size = 0;
  int64_t ctime_ns = 0, mtime_ns = 0;
  uint64_t hash = 0;
  uint32_t age = 0;  // runs since the inode was last seen
  bool operator==(const IndexEntry&) const = default;
};

// Entries unseen for more runs than this are dropped when the index is saved.
inline constexpr uint32_t kIndexMaxAge = 8;

// The index file: "VCRUNUX1", u32 version (1), u32 entry size (56), u64 count, the
// entries (native byte order: the index never leaves the machine whose st_dev it keys
// on), then the XXH3-64 of everything before it. A hash it supplies only nominates a
// candidate: files are byte-compared before any link, so a stale or forged index can make
// unify miss a link, never make a wrong one.
class Index {
 public:
  // nullopt: not indexed, or the inode changed since (ctime also moves on a write, chmod,
  // chown, xattr change or link count change).
  std::optional<uint64_t> lookup(uint64_t dev, uint64_t ino, uint64_t size, int64_t ctime_ns,
                                 int64_t mtime_ns) const;
  // Records (or refreshes) an entry, age 0.
  void put(const IndexEntry& e);
  void erase(uint64_t dev, uint64_t ino);
  // Every entry not put since the last age_unseen() gets one run older; too old ones go.
  void age_unseen();
  size_t size() const { return entries_.size(); }
  std::vector<IndexEntry> entries() const;

  std::string encode() const;
  // Throws Error("<what>: ...") on a bad magic, version, size or checksum.
  static Index decode(const std::string& bytes, const std::string& what);
  // Loaded and saved through IndexFile (index_file.hpp).

 private:
  struct Key {
    uint64_t dev, ino;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const { return k.dev * 0x9e3779b97f4a7c15ULL ^ k.ino; }
  };
  std::unordered_map<Key, IndexEntry, KeyHash> entries_;
  std::unordered_map<Key, bool, KeyHash> seen_;
};

}  // namespace vcrun::unify
