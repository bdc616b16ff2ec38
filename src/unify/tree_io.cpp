// Opening beneath a tree root, hashing, byte comparison and the link-then-rename step.
#include "unify/tree_io.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "base/openat2.hpp"
#include "vcrun/error.hpp"

namespace vcrun::unify {

namespace {

constexpr size_t kChunk = 256 * 1024;

// pread until `len` bytes or EOF; returns the count read.
size_t read_at(int fd, char* buf, size_t len, uint64_t off, const std::string& what) {
  size_t got = 0;
  while (got < len) {
    ssize_t n = ::pread(fd, buf + got, len - got, static_cast<off_t>(off + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read " + what);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  return got;
}

// One streaming XXH3 state per worker thread, reset for each file.
XXH3_state_t* thread_state(const std::string& what) {
  thread_local std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(), XXH3_freeState);
  if (!state) throw Error("hash " + what + ": out of memory", ENOMEM);
  XXH3_64bits_reset(state.get());
  return state.get();
}

}  // namespace

UniqueFd open_beneath(int root_fd, const std::string& rel, int flags) {
  return openat2_fd(root_fd, rel.empty() ? "." : rel.c_str(), static_cast<uint64_t>(flags | O_NOFOLLOW),
                    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS);
}

uint64_t hash_file(int fd, const std::string& what) {
  XXH3_state_t* state = thread_state(what);
  thread_local std::vector<char> buf(kChunk);  // one per worker, not a fresh zeroed one per file
  uint64_t off = 0;
  for (;;) {
    size_t n = read_at(fd, buf.data(), buf.size(), off, what);
    if (n == 0) break;
    XXH3_64bits_update(state, buf.data(), n);
    off += n;
    if (n < buf.size()) break;
  }
  return XXH3_64bits_digest(state);
}

bool Reference::load(int fd, uint64_t size, const std::string& what) {
  fd_ = fd;
  size_ = size;
  kept_.clear();
  if (size > kKeptMax) {
    hash_ = hash_file(fd, what);
    // Its size is checked by the caller's fstat; a file that grew meanwhile fails it.
    return true;
  }
  // One byte more than expected tells a file that grew since the scan.
  kept_.resize(size + 1);
  size_t n = read_at(fd, kept_.data(), kept_.size(), 0, what);
  kept_.resize(n);
  if (n != size) return false;
  hash_ = XXH3_64bits(kept_.data(), kept_.size());
  return true;
}

bool Reference::hash_and_compare(int fd, uint64_t& hash, const std::string& what) {
  XXH3_state_t* state = thread_state(what);
  thread_local std::vector<char> buf(kChunk), ref(kChunk);
  bool kept = size_ <= kKeptMax;
  bool equal = true;
  uint64_t off = 0;
  for (;;) {
    size_t n = read_at(fd, buf.data(), buf.size(), off, what);
    if (n == 0) break;
    XXH3_64bits_update(state, buf.data(), n);
    if (equal) {
      if (off + n > size_) {
        equal = false;
      } else if (kept) {
        equal = std::memcmp(buf.data(), kept_.data() + off, n) == 0;
      } else {
        size_t m = read_at(fd_, ref.data(), n, off, what);
        equal = m == n && std::memcmp(buf.data(), ref.data(), n) == 0;
      }
    }
    off += n;
    if (n < buf.size()) break;
  }
  hash = XXH3_64bits_digest(state);
  return equal && off == size_;
}

bool same_bytes(int a, int b, uint64_t size, const std::string& what) {
  thread_local std::vector<char> x(kChunk), y(kChunk);
  uint64_t off = 0;
  for (;;) {
    size_t n = read_at(a, x.data(), x.size(), off, what);
    size_t m = read_at(b, y.data(), y.size(), off, what);
    if (n != m || std::memcmp(x.data(), y.data(), n) != 0) return false;
    off += n;
    if (n < x.size()) return off == size;
  }
}

void replace_with_link(int target_fd, int dir_fd, const std::string& name, const std::string& what) {
  // AT_EMPTY_PATH links exactly the inode that was compared (needs CAP_DAC_READ_SEARCH);
  // without it, the same through the fd's magic link. A leftover temporary (the scan
  // removes them; one may appear if another run was killed meanwhile) is replaced.
  auto link_temp = [&] {
    if (::linkat(target_fd, "", dir_fd, kTempName, AT_EMPTY_PATH) == 0) return 0;
    if (errno != EPERM && errno != ENOENT) return -1;
    std::string proc = "/proc/self/fd/" + std::to_string(target_fd);
    return ::linkat(AT_FDCWD, proc.c_str(), dir_fd, kTempName, AT_SYMLINK_FOLLOW);
  };
  if (link_temp() != 0) {
    if (errno != EEXIST) throw_errno("link beside " + what);
    if (::unlinkat(dir_fd, kTempName, 0) != 0 && errno != ENOENT)
      throw_errno("remove " + std::string(kTempName) + " beside " + what);
    if (link_temp() != 0) throw_errno("link beside " + what);
  }
  if (::renameat(dir_fd, kTempName, dir_fd, name.c_str()) != 0) {
    int err = errno;
    ::unlinkat(dir_fd, kTempName, 0);
    throw_errno("rename over " + what, err);
  }
}

}  // namespace vcrun::unify
