// Address leases of bridge subnets. A bridge, its veths and vcrun's nftables table belong to
// a network namespace, not to a state root, so the leases do too: every vcrun process of
// the machine, whatever its --root, shares <kLeaseBase>/<network namespace>/. Under it,
// <bridge>/ has one file per leased address (named by it, holding the holder: the
// container's cgroup name, unique across roots), the bridge's subnet, and a mark when vcrun
// created the bridge. All under one lock, <parent of the directory>/.lock.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/fd.hpp"
#include "net/values/ipv4.hpp"

namespace vcrun::net {

// Where vcrun keeps the leases of every network namespace (tmpfs: gone at boot, as the
// links are).
inline constexpr const char* kLeaseBase = "/run/vcrun-net";

// The lease directory of the caller's network namespace: <base>/<its cookie>
// (SO_NETNS_COOKIE, never reused while the machine runs; the namespace's inode number on
// kernels before 5.14).
std::string netns_lease_dir(const std::string& base = kLeaseBase);

// The container id of a holder (its cgroup name without the "@<root hash>" of a non-default
// --root), for messages.
std::string holder_id(const std::string& holder);

class Leases {
 public:
  // Creates `dir` (and its parent) when missing and takes the parent's lock (flock,
  // exclusive) until destruction.
  explicit Leases(std::string dir);
  // Removes the directory when no bridge has leases left, then unlocks.
  ~Leases();
  Leases(const Leases&) = delete;
  Leases& operator=(const Leases&) = delete;

  // The container holding `ip` on `bridge`; nullopt when free.
  std::optional<std::string> holder(const std::string& bridge, Ipv4 ip) const;
  // The lowest assignable address of `subnet` no container holds, preferring one for which
  // `busy` is false (a previous holder's link not gone yet); Error when all are held.
  Ipv4 first_free(const std::string& bridge, const Ipv4Net& subnet,
                  const std::function<bool(Ipv4)>& busy = {}) const;
  // Records `ip` as `id`'s (the file is created exclusively).
  void take(const std::string& bridge, Ipv4 ip, const std::string& id);
  // Frees `ip` if `id` holds it (or its file is empty: `id`'s take was killed mid-write).
  void release(const std::string& bridge, Ipv4 ip, const std::string& id);
  // A host port published to a container on `bridge` ("tcp/8080", held as the file
  // port-tcp-8080 beside the addresses), taken and freed as addresses are.
  std::optional<std::string> port_holder(const std::string& bridge, const std::string& port) const;
  void take_port(const std::string& bridge, const std::string& port, const std::string& id);
  // Frees every port of `bridge` that `id` holds.
  void release_ports(const std::string& bridge, const std::string& id);
  // Removes what a writer killed between its temporary file and the rename left in the
  // directory of `bridge` (the subnet, the mark): kept with the bridge, it would stay.
  void remove_temporaries(const std::string& bridge);
  // How many addresses of `bridge` are leased.
  size_t count(const std::string& bridge) const;

  // The subnet the bridge's leases are from; nullopt before the first.
  std::optional<std::string> subnet(const std::string& bridge) const;
  void set_subnet(const std::string& bridge, const std::string& subnet);
  // Marks that vcrun created the bridge (before creating it): the kept bridge is vcrun's
  // to remove by hand (docs/network.md).
  void mark_made_bridge(const std::string& bridge);
  // Forgets the bridge (its subnet and mark); call with no leases left. (Bridge mode keeps
  // a bridge, and so its directory, after its last lease: docs/network.md.)
  void forget(const std::string& bridge);
  // Whether any bridge has a directory left.
  bool any_bridge() const;
  // The bridges that have a directory (leases, a subnet or a mark).
  std::vector<std::string> bridges() const;
  const std::string& dir() const { return dir_; }
  // Every (bridge, address) leased to `id`.
  std::vector<std::pair<std::string, Ipv4>> held_by(const std::string& id) const;

 private:
  std::string path(const std::string& bridge, const std::string& name = "") const;
  void take_file(const std::string& bridge, const std::string& name, const std::string& id);
  std::string dir_;
  UniqueFd lock_;
};

}  // namespace vcrun::net
