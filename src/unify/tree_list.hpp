// The list of trees an index's runs marked unified: "<index>.trees" beside the index file,
// one canonical path a line. The mark says whether a path lies IN a unified tree (its
// ancestors are looked up); this list says, with no walk, whether a path HOLDS one, so the
// runtime can refuse a writable bind or root of a parent directory of unified trees.
#pragma once

#include <string>
#include <vector>

#include "unify/index_file.hpp"

namespace vcrun::unify {

inline constexpr const char* kTreeListSuffix = ".trees";

// One absolute path a line; other lines (empty, relative) are left out. Sorted, unique.
std::vector<std::string> decode_tree_list(const std::string& text);
std::string encode_tree_list(std::vector<std::string> trees);

// Adds the canonical `trees` to `index`'s list, under an flock of the index's directory
// (two runs never lose each other's trees), written atomically; entries whose tree no
// longer carries the mark are dropped. Called before the first mark: a tree is never
// marked without being listed. Throws Error naming the list file.
void register_trees(const IndexFile& index, const std::vector<std::string>& trees);

// The listed trees beside the index `index_path` that are, or lie below, the directory
// `path` (canonicalized here, and only when there is a list: every container start asks;
// by path, or by inode along each tree's parent chain: `path` may be another mount of a
// parent) and still carry the mark. A missing index directory, list or `path`: none.
std::vector<std::string> listed_trees_within(const std::string& index_path, const std::string& path);

}  // namespace vcrun::unify
