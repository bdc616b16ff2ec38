// The pure grouping steps of unify: size buckets, then splits by hash and by metadata.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace vcrun::unify {

// One inode as the grouping sees it.
struct Candidate {
  uint64_t dev = 0;
  uint64_t size = 0;
};

// `classes` without those of fewer than two members, order kept.
std::vector<std::vector<size_t>> pairs_only(std::vector<std::vector<size_t>> classes);

// Indices into `inodes` grouped by (dev, size); only groups of two or more, and only sizes
// >= min_size (so size 0 only with min_size 0). Groups and members keep input order.
std::vector<std::vector<size_t>> size_buckets(const std::vector<Candidate>& inodes,
                                              uint64_t min_size);

// `group` split into the classes of `key` (members with equal keys), classes of one
// dropped; classes ordered by first member.
std::vector<std::vector<size_t>> split_by_key(const std::vector<size_t>& group,
                                              const std::function<uint64_t(size_t)>& key);

// The same for an equivalence given as a predicate (metadata, compared pairwise against
// each class's first member).
std::vector<std::vector<size_t>> split_by_equal(const std::vector<size_t>& group,
                                                const std::function<bool(size_t, size_t)>& equal);

}  // namespace vcrun::unify
