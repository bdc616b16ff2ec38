// The file cache of the compiled built-in seccomp profile (seccomp_cache.hpp).
#include "runtime/security/seccomp_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <random>

#include <spdlog/spdlog.h>

#include "base/fd.hpp"

namespace vcrun::security {

namespace {

constexpr const char* kFile = ".seccomp-default.bpf";
constexpr const char* kMagic = "vcrun-seccomp-cache 1\n";  // bump when the format changes
constexpr off_t kMaxFile = 1 << 20;

void put(std::string& s, const std::string& field) {
  s += std::to_string(field.size());
  s += ':';
  s += field;
  s += ' ';
}

void put(std::string& s, uint64_t v) {
  s += std::to_string(v);
  s += ' ';
}

void put_ret(std::string& s, const std::optional<uint32_t>& r) {
  if (r) put(s, *r);
  else s += "- ";
}

bool read_all(int fd, std::string& out, size_t size) {
  out.resize(size);
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, out.data() + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += n;
  }
  char extra;
  return ::read(fd, &extra, 1) == 0;
}

bool write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += n;
  }
  return true;
}

// The entry's bytes: key length, flags, listener, instruction count; the key; the code.
std::string encode(const std::string& key, const SeccompProgram& p) {
  std::string s = kMagic;
  s += std::to_string(key.size()) + " " + std::to_string(p.requested_flags()) + " " +
       (p.notifies() ? "1" : "0") + " " + std::to_string(p.code().size()) + "\n";
  s += key;
  s.append(reinterpret_cast<const char*>(p.code().data()), p.code().size() * sizeof(sock_filter));
  return s;
}

std::optional<SeccompProgram> decode(const std::string& key, const std::string& data) {
  const size_t magic = std::strlen(kMagic);
  if (data.compare(0, magic, kMagic) != 0) return std::nullopt;
  size_t eol = data.find('\n', magic);
  if (eol == std::string::npos) return std::nullopt;
  unsigned long long key_size = 0, flags = 0, listener = 0, count = 0;
  if (std::sscanf(data.c_str() + magic, "%llu %llu %llu %llu", &key_size, &flags, &listener, &count) != 4)
    return std::nullopt;
  size_t body = eol + 1;
  if (key_size != key.size() || count == 0 || count > BPF_MAXINSNS || listener > 1 ||
      data.size() != body + key_size + count * sizeof(sock_filter) || data.compare(body, key_size, key) != 0)
    return std::nullopt;
  std::vector<sock_filter> code(count);
  std::memcpy(code.data(), data.data() + body + key_size, count * sizeof(sock_filter));
  return SeccompProgram::from_compiled(std::move(code), static_cast<unsigned>(flags), listener == 1);
}

std::optional<SeccompProgram> load(int dir, const std::string& key) {
  UniqueFd fd(::openat(dir, kFile, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return std::nullopt;
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid() ||
      (st.st_mode & (S_IWGRP | S_IWOTH)) || st.st_size > kMaxFile)
    return std::nullopt;
  std::string data;
  if (!read_all(fd.get(), data, static_cast<size_t>(st.st_size))) return std::nullopt;
  return decode(key, data);
}

void store(int dir, const std::string& key, const SeccompProgram& p) {
  std::random_device rd;
  std::string tmp = std::string(kFile) + "." + std::to_string(::getpid()) + "." + std::to_string(rd());
  UniqueFd fd(::openat(dir, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) {
    spdlog::debug("seccomp cache: cannot create {}: {}", tmp, std::strerror(errno));
    return;
  }
  bool ok = write_all(fd.get(), encode(key, p));
  fd.reset();
  if (!ok || ::renameat(dir, tmp.c_str(), dir, kFile) != 0) {
    spdlog::debug("seccomp cache: cannot write {}: {}", kFile, std::strerror(errno));
    ::unlinkat(dir, tmp.c_str(), 0);
  }
}

}  // namespace

std::string seccomp_cache_key(const Seccomp& p) {
  std::string s;
  // The binary: libseccomp is linked in, and compile() may change from one build to the next.
  struct stat exe{};
  if (::stat("/proc/self/exe", &exe) != 0) return {};
  s += "exe ";
  for (uint64_t v : {uint64_t(exe.st_dev), uint64_t(exe.st_ino), uint64_t(exe.st_size),
                     uint64_t(exe.st_mtim.tv_sec), uint64_t(exe.st_mtim.tv_nsec)})
    put(s, v);
  // The kernel: libseccomp picks its API level (which actions and flags it may emit) from
  // what the running kernel supports, and a persistent --root outlives a reboot.
  struct utsname uts{};
  if (::uname(&uts) != 0) return {};
  s += "\nkernel ";
  put(s, std::string(uts.release));
  put(s, std::string(uts.version));
  s += "\ndefault ";
  put(s, static_cast<uint64_t>(p.default_action));
  put_ret(s, p.default_errno_ret);
  s += "\narchitectures ";
  for (const auto& a : p.architectures) put(s, a);
  s += "\nflags ";
  for (const auto& f : p.flags) put(s, f);
  for (const auto& r : p.syscalls) {
    s += "\nrule ";
    put(s, static_cast<uint64_t>(r.action));
    put_ret(s, r.errno_ret);
    put(s, r.names.size());
    for (const auto& n : r.names) put(s, n);
    for (const auto& a : r.args) {
      put(s, a.index);
      put(s, static_cast<uint64_t>(a.op));
      put(s, a.value);
      put(s, a.value_two);
    }
  }
  s += '\n';
  return s;
}

SeccompProgram compile_cached(const Seccomp& profile, const std::string& dir) {
  std::string key = seccomp_cache_key(profile);
  UniqueFd dfd(key.empty() ? -1 : ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd) {
    if (auto cached = load(dfd.get(), key)) {
      spdlog::debug("seccomp: {} BPF instructions from {}/{}", cached->size(), dir, kFile);
      return std::move(*cached);
    }
  }
  SeccompProgram p = SeccompProgram::compile(profile);
  if (dfd && p.skipped() == 0) store(dfd.get(), key, p);
  return p;
}

}  // namespace vcrun::security
