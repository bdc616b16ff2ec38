// Grouping for unify: candidates that may be identical, narrowed step by step.
#include "unify/buckets.hpp"

#include <map>
#include <utility>

namespace vcrun::unify {

namespace {

// The classes of members with equal `key_of(i)`, in order of their first member, members
// in input order; classes of one dropped. The one shape behind every split by a key.
template <typename Members, typename KeyOf>
std::vector<std::vector<size_t>> group_by(const Members& members, KeyOf key_of) {
  using Key = decltype(key_of(size_t{}));
  std::map<Key, size_t> slot;
  std::vector<std::vector<size_t>> classes;
  for (size_t i : members) {
    auto [it, fresh] = slot.try_emplace(key_of(i), classes.size());
    if (fresh) classes.emplace_back();
    classes[it->second].push_back(i);
  }
  return pairs_only(std::move(classes));
}

}  // namespace

std::vector<std::vector<size_t>> pairs_only(std::vector<std::vector<size_t>> classes) {
  std::vector<std::vector<size_t>> out;
  for (auto& c : classes)
    if (c.size() >= 2) out.push_back(std::move(c));
  return out;
}

std::vector<std::vector<size_t>> size_buckets(const std::vector<Candidate>& inodes,
                                              uint64_t min_size) {
  std::vector<size_t> members;
  for (size_t i = 0; i < inodes.size(); ++i)
    if (inodes[i].size >= min_size) members.push_back(i);
  return group_by(members, [&](size_t i) { return std::pair{inodes[i].dev, inodes[i].size}; });
}

std::vector<std::vector<size_t>> split_by_key(const std::vector<size_t>& group,
                                              const std::function<uint64_t(size_t)>& key) {
  return group_by(group, key);
}

std::vector<std::vector<size_t>> split_by_equal(const std::vector<size_t>& group,
                                                const std::function<bool(size_t, size_t)>& equal) {
  std::vector<std::vector<size_t>> classes;
  for (size_t i : group) {
    bool placed = false;
    for (auto& c : classes) {
      if (equal(c.front(), i)) {
        c.push_back(i);
        placed = true;
        break;
      }
    }
    if (!placed) classes.push_back({i});
  }
  return pairs_only(std::move(classes));
}

}  // namespace vcrun::unify
