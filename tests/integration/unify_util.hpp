// Helpers shared by the unify integration tests: scratch trees, files, inodes, the verb.
#pragma once

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "support/harness.hpp"

namespace vcrun::test::unify_util {

namespace fs = std::filesystem;

inline fs::path fresh_dir(const std::string& tag) {
  fs::path p = fs::path(work_dir()) / "unify" / unique_id(tag);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

inline void write_text(const fs::path& p, const std::string& text, mode_t mode = 0644) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::trunc) << text;
  REQUIRE(::chmod(p.c_str(), mode) == 0);
}

inline std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline struct stat lstat_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st;
}

inline bool same_inode(const fs::path& a, const fs::path& b) {
  auto x = lstat_of(a), y = lstat_of(b);
  return x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

inline nlohmann::json unify_json(std::vector<std::string> args) {
  args.insert(args.begin(), {"unify", "--format", "json"});
  auto r = run_vcrun(args);
  INFO(r.err);
  REQUIRE(r.status == 0);
  return nlohmann::json::parse(r.out);
}

// Every path below `root` (symlinks not followed) with what a container could see of it.
inline std::map<std::string, std::string> snapshot(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (auto& e : fs::recursive_directory_iterator(root)) {
    struct stat st = lstat_of(e.path());
    std::string v = std::to_string(st.st_ino) + ":" + std::to_string(st.st_nlink) + ":" +
                    std::to_string(st.st_mode) + ":" + std::to_string(st.st_ctim.tv_nsec);
    if (S_ISREG(st.st_mode)) v += ":" + read_text(e.path());
    out[e.path().string()] = v;
  }
  return out;
}

}  // namespace vcrun::test::unify_util
