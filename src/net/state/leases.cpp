// Address leases as files under a flock (leases.hpp).
#include "net/state/leases.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>

#include "base/fs_util.hpp"
#include "vcrun/error.hpp"

namespace vcrun::net {

std::string netns_lease_dir(const std::string& base) {
  UniqueFd s(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) throw_errno("socket");
  uint64_t cookie = 0;
  socklen_t len = sizeof cookie;
  if (::getsockopt(s.get(), SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) == 0) return base + "/" + std::to_string(cookie);
  struct stat st {};
  if (::stat("/proc/self/ns/net", &st) != 0) throw_errno("stat /proc/self/ns/net");
  return base + "/ino-" + std::to_string(st.st_ino);
}

std::string holder_id(const std::string& holder) { return holder.substr(0, holder.find('@')); }

Leases::Leases(std::string dir) : dir_(std::move(dir)) {
  std::string parent = std::filesystem::path(dir_).parent_path().string();
  make_dirs(parent, 0700);
  std::string lock = parent + "/.lock";
  lock_.reset(::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock_) throw_errno("open " + lock);
  while (::flock(lock_.get(), LOCK_EX) != 0)
    if (errno != EINTR) throw_errno("lock " + lock);
  make_dirs(dir_, 0700);
}

Leases::~Leases() {
  if (!any_bridge()) ::rmdir(dir_.c_str());  // still under the lock
}

std::string Leases::path(const std::string& bridge, const std::string& name) const {
  return dir_ + "/" + bridge + (name.empty() ? "" : "/" + name);
}

std::optional<std::string> Leases::holder(const std::string& bridge, Ipv4 ip) const {
  return read_file_if_exists(path(bridge, to_string(ip)));
}

Ipv4 Leases::first_free(const std::string& bridge, const Ipv4Net& subnet,
                        const std::function<bool(Ipv4)>& busy) const {
  std::optional<Ipv4> fallback;
  for (uint32_t a = subnet.gateway().value + 1; a < subnet.broadcast().value; ++a) {
    if (exists(path(bridge, to_string(Ipv4{a})))) continue;
    if (!busy || !busy(Ipv4{a})) return Ipv4{a};
    if (!fallback) fallback = Ipv4{a};
  }
  if (fallback) return *fallback;
  throw Error("bridge " + bridge + ": every address of " + to_string(subnet) + " is leased", EADDRNOTAVAIL);
}

namespace {

std::string port_file(std::string port) {
  for (char& c : port)
    if (c == '/') c = '-';
  return "port-" + port;
}

}  // namespace

std::optional<std::string> Leases::port_holder(const std::string& bridge, const std::string& port) const {
  return read_file_if_exists(path(bridge, port_file(port)));
}

void Leases::take_port(const std::string& bridge, const std::string& port, const std::string& id) {
  take_file(bridge, port_file(port), id);
}

void Leases::release_ports(const std::string& bridge, const std::string& id) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(path(bridge), ec)) {
    std::string name = e.path().filename().string();
    if (name.starts_with("port-") && read_file_if_exists(e.path().string()) == id) ::unlink(e.path().c_str());
  }
}

void Leases::remove_temporaries(const std::string& bridge) {
  // Every writer holds the lock, as the caller does: a temporary file seen now is a dead one.
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(path(bridge), ec))
    if (e.path().filename().string().find(".tmp.") != std::string::npos) ::unlink(e.path().c_str());
}

void Leases::take(const std::string& bridge, Ipv4 ip, const std::string& id) { take_file(bridge, to_string(ip), id); }

void Leases::take_file(const std::string& bridge, const std::string& name, const std::string& id) {
  make_dirs(path(bridge), 0700);
  std::string p = path(bridge, name);
  UniqueFd fd(::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) throw_errno("lease " + p);
  if (::write(fd.get(), id.data(), id.size()) != static_cast<ssize_t>(id.size())) throw_errno("write " + p);
}

void Leases::release(const std::string& bridge, Ipv4 ip, const std::string& id) {
  // Empty: a take() killed between its create and its write. Only the container whose
  // record names this address can have made it (anyone else saw it taken), and that
  // container is the one releasing it now.
  auto held = holder(bridge, ip);
  if (held && (*held == id || held->empty())) ::unlink(path(bridge, to_string(ip)).c_str());
}

size_t Leases::count(const std::string& bridge) const {
  size_t n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(path(bridge), ec))
    if (parse_ipv4(e.path().filename().string())) ++n;
  return n;
}

std::optional<std::string> Leases::subnet(const std::string& bridge) const {
  return read_file_if_exists(path(bridge, "subnet"));
}

void Leases::set_subnet(const std::string& bridge, const std::string& subnet) {
  make_dirs(path(bridge), 0700);
  write_file_atomic(path(bridge, "subnet"), subnet, 0600);
}

void Leases::mark_made_bridge(const std::string& bridge) {
  make_dirs(path(bridge), 0700);
  write_file_atomic(path(bridge, "made-bridge"), "", 0600);
}

void Leases::forget(const std::string& bridge) {
  std::error_code ec;
  std::filesystem::remove_all(path(bridge), ec);
  if (ec) throw Error("remove " + path(bridge) + ": " + ec.message(), ec.value());
}

std::vector<std::string> Leases::bridges() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir_, ec))
    if (e.is_directory()) out.push_back(e.path().filename().string());
  return out;
}

bool Leases::any_bridge() const {
  std::error_code ec;  // the directory itself is gone after forget() took the last bridge
  for (const auto& e : std::filesystem::directory_iterator(dir_, ec))
    if (e.is_directory()) return true;
  return false;
}

std::vector<std::pair<std::string, Ipv4>> Leases::held_by(const std::string& id) const {
  std::vector<std::pair<std::string, Ipv4>> held;
  for (const auto& b : std::filesystem::directory_iterator(dir_)) {
    if (!b.is_directory()) continue;
    std::string bridge = b.path().filename().string();
    for (const auto& e : std::filesystem::directory_iterator(b.path()))
      if (auto ip = parse_ipv4(e.path().filename().string()); ip && holder(bridge, *ip) == id)
        held.emplace_back(bridge, *ip);
  }
  return held;
}

}  // namespace vcrun::net
