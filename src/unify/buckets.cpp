// Grouping for unify: candidates that may be identical, narrowed step by step.
#include "unify/buckets.hpp"

#include <map>
#include <utility>

namespace vcrun::unify {

std::vector<std::vector<size_t>> size_buckets(const std::vector<Candidate>& inodes,
                                              uint64_t min_size) {
  std::map<std::pair<uint64_t, uint64_t>, size_t> slot;
  std::vector<std::vector<size_t>> groups;
  for (size_t i = 0; i < inodes.size(); ++i) {
    if (inodes[i].size < min_size) continue;
    auto [it, fresh] = slot.try_emplace({inodes[i].dev, inodes[i].size}, groups.size());
    if (fresh) groups.emplace_back();
    groups[it->second].push_back(i);
  }
  std::vector<std::vector<size_t>> out;
  for (auto& g : groups)
    if (g.size() >= 2) out.push_back(std::move(g));
  return out;
}

std::vector<std::vector<size_t>> split_by_key(const std::vector<size_t>& group,
                                              const std::function<uint64_t(size_t)>& key) {
  std::map<uint64_t, size_t> slot;
  std::vector<std::vector<size_t>> classes;
  for (size_t i : group) {
    auto [it, fresh] = slot.try_emplace(key(i), classes.size());
    if (fresh) classes.emplace_back();
    classes[it->second].push_back(i);
  }
  std::vector<std::vector<size_t>> out;
  for (auto& c : classes)
    if (c.size() >= 2) out.push_back(std::move(c));
  return out;
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
  std::vector<std::vector<size_t>> out;
  for (auto& c : classes)
    if (c.size() >= 2) out.push_back(std::move(c));
  return out;
}

}  // namespace vcrun::unify
