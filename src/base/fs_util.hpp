// Small file helpers that throw vcrun::Error naming the path.
#pragma once

#include <optional>
#include <string>

namespace vcrun {

std::string read_file(const std::string& path);
// The same for a file someone else provides (a bundle's config.json): opened without
// blocking and read only when it is a regular file, so a FIFO or a device planted there
// fails at once ("open P: not a regular file") instead of hanging or feeding forever.
std::string read_regular_file(const std::string& path);
// The same, but nullopt when the file does not exist (other errors still throw).
std::optional<std::string> read_file_if_exists(const std::string& path);
// The same, but nullopt on any failure: for readers that show what is there (a cgroup
// file of a controller that is not enabled, or of a cgroup removed meanwhile).
std::optional<std::string> try_read_file(const std::string& path);
// Writes `data` to an existing file (cgroup, proc and sysfs knobs): no create, no truncate.
void write_existing(const std::string& path, const std::string& data);
// Writes `data` to `path` atomically: temp file in the same directory, then rename, so a
// reader or a killed writer never sees a partial file. No fsync: what vcrun writes this
// way describes processes that cannot outlive the kernel, so durability across a power
// loss buys nothing, and an fsync costs 2-8 ms per write on a disk-backed --root (a
// third of a container start); on the default tmpfs /run it is a no-op anyway. The temp
// file has a fresh random name made O_EXCL|O_NOFOLLOW through a descriptor of the
// directory, which the rename goes through too: a writer of the directory (--pid-file's)
// cannot have vcrun write into anything but its own new file.
void write_file_atomic(const std::string& path, const std::string& data, unsigned mode = 0644);
// mkdir -p with `mode` for created components; existing directories are fine.
void make_dirs(const std::string& path, unsigned mode = 0755);

// True when `path` names something stat(2) can reach (a symlink: its target).
bool exists(const std::string& path);

// Lexical: true when the absolute path `inner` is `outer` or below it ("/a/b" is within
// "/a" and "/a/", "/ab" is not; everything absolute is within "/"). No file system access:
// callers pass canonical paths.
bool path_within(const std::string& inner, const std::string& outer);

}  // namespace vcrun
