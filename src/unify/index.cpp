// The incremental index's file format and its lookups.
#include "unify/index.hpp"

#include <xxhash.h>

#include <algorithm>
#include <cstring>

#include "vcrun/error.hpp"

namespace vcrun::unify {

namespace {

constexpr char kMagic[8] = {'V', 'C', 'R', 'U', 'N', 'U', 'X', '1'};
constexpr uint32_t kVersion = 1;

struct Record {
  uint64_t dev, ino, size;
  int64_t ctime_ns, mtime_ns;
  uint64_t hash;
  uint32_t age, pad;
};
static_assert(sizeof(Record) == 56);

template <typename T>
void append(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

template <typename T>
T take(const std::string& in, size_t& at) {
  T v;
  std::memcpy(&v, in.data() + at, sizeof v);
  at += sizeof v;
  return v;
}

}  // namespace

std::optional<uint64_t> Index::lookup(uint64_t dev, uint64_t ino, uint64_t size, int64_t ctime_ns,
                                      int64_t mtime_ns) const {
  auto it = entries_.find({dev, ino});
  if (it == entries_.end()) return std::nullopt;
  const IndexEntry& e = it->second;
  if (e.size != size || e.ctime_ns != ctime_ns || e.mtime_ns != mtime_ns) return std::nullopt;
  return e.hash;
}

void Index::put(const IndexEntry& e) {
  IndexEntry copy = e;
  copy.age = 0;
  entries_[{e.dev, e.ino}] = copy;
  seen_[{e.dev, e.ino}] = true;
}

void Index::erase(uint64_t dev, uint64_t ino) {
  entries_.erase({dev, ino});
  seen_.erase({dev, ino});
}

void Index::age_unseen() {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (!seen_.count(it->first) && ++it->second.age > kIndexMaxAge)
      it = entries_.erase(it);
    else
      ++it;
  }
  seen_.clear();
}

std::vector<IndexEntry> Index::entries() const {
  std::vector<IndexEntry> out;
  out.reserve(entries_.size());
  for (const auto& [k, e] : entries_) out.push_back(e);
  std::sort(out.begin(), out.end(), [](const IndexEntry& a, const IndexEntry& b) {
    return a.dev != b.dev ? a.dev < b.dev : a.ino < b.ino;
  });
  return out;
}

std::string Index::encode() const {
  std::string out(kMagic, sizeof kMagic);
  append(out, kVersion);
  append(out, static_cast<uint32_t>(sizeof(Record)));
  auto list = entries();
  append(out, static_cast<uint64_t>(list.size()));
  out.reserve(out.size() + list.size() * sizeof(Record) + 8);
  for (const auto& e : list)
    append(out, Record{e.dev, e.ino, e.size, e.ctime_ns, e.mtime_ns, e.hash, e.age, 0});
  append(out, static_cast<uint64_t>(XXH3_64bits(out.data(), out.size())));
  return out;
}

Index Index::decode(const std::string& bytes, const std::string& what) {
  constexpr size_t header = sizeof kMagic + 4 + 4 + 8;
  if (bytes.size() < header + 8 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw Error(what + ": not a vcrun unify index");
  size_t at = sizeof kMagic;
  auto version = take<uint32_t>(bytes, at);
  auto record = take<uint32_t>(bytes, at);
  auto count = take<uint64_t>(bytes, at);
  if (version != kVersion || record != sizeof(Record))
    throw Error(what + ": index version " + std::to_string(version) + " is not " +
                std::to_string(kVersion));
  if (count > (bytes.size() - header - 8) / sizeof(Record) ||
      header + count * sizeof(Record) + 8 != bytes.size())
    throw Error(what + ": index size does not match its entry count");
  size_t body = bytes.size() - 8;
  size_t sum_at = body;
  if (take<uint64_t>(bytes, sum_at) != XXH3_64bits(bytes.data(), body))
    throw Error(what + ": index checksum mismatch");
  Index idx;
  for (uint64_t i = 0; i < count; ++i) {
    auto r = take<Record>(bytes, at);
    idx.entries_[{r.dev, r.ino}] = IndexEntry{r.dev, r.ino, r.size, r.ctime_ns, r.mtime_ns, r.hash, r.age};
  }
  return idx;
}

}  // namespace vcrun::unify
