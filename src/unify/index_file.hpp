// Where unify keeps its state: the index file's directory, opened once, and the files in it
// (the index, the list of unified trees), read and replaced through that directory's fd.
#pragma once

#include <optional>
#include <string>

#include "base/dir_fd.hpp"
#include "base/fd.hpp"
#include "unify/index.hpp"

namespace vcrun::unify {

// Reads the regular file `name` in `dir_fd`: opened O_NONBLOCK | O_NOFOLLOW (a FIFO planted
// there must not hang the run, a symlink must not redirect it), then fstat must say S_ISREG.
// nullopt when it does not exist; throws Error naming `what` otherwise.
std::optional<std::string> read_regular_at(int dir_fd, const std::string& name, const std::string& what);

// Replaces `name` in `dir_fd` by `data` atomically: "<name>.tmp", fsync, rename.
void replace_at(int dir_fd, const std::string& name, const std::string& data, const std::string& what);

class IndexFile {
 public:
  // Opens the directory of the index `path`. It must exist, as --log's: a mistyped --index
  // is an error, not a new directory tree. Only the default index's own directory
  // (/var/lib/vcrun, vcrun's) is made when missing: one level, 0700, its parent must exist.
  // Throws Error naming --index.
  static IndexFile open(const std::string& path);

  const std::string& path() const { return path_; }
  const std::string& name() const { return name_; }
  const std::string& dir_path() const { return dir_path_; }  // canonical
  int dir_fd() const { return dir_.get(); }

  // A missing file is an empty index, a damaged one too (with a warning: it is a cache);
  // anything but a regular file is an Error.
  Index load() const;
  void save(const Index& index) const;

 private:
  std::string path_, name_, dir_path_;
  UniqueFd dir_;
};

}  // namespace vcrun::unify
