// Address leases of bridge subnets, shared by every vcrun process of one state root: under
// <dir>/<bridge>/ one file per leased address (named by it, holding the container id), the
// bridge's subnet, and a mark when vcrun created the bridge. Held under <dir>/lock.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/fd.hpp"
#include "netfilter/ipv4.hpp"

namespace vcrun::net {

class Leases {
 public:
  // Creates `dir` when missing and takes its lock (flock, exclusive) until destruction.
  explicit Leases(std::string dir);

  // The container holding `ip` on `bridge`; nullopt when free.
  std::optional<std::string> holder(const std::string& bridge, Ipv4 ip) const;
  // The lowest assignable address of `subnet` no container holds; Error when all are.
  Ipv4 first_free(const std::string& bridge, const Ipv4Net& subnet) const;
  // Records `ip` as `id`'s (the file is created exclusively).
  void take(const std::string& bridge, Ipv4 ip, const std::string& id);
  // Frees `ip` if `id` holds it (or its file is empty: `id`'s take was killed mid-write).
  void release(const std::string& bridge, Ipv4 ip, const std::string& id);
  // How many addresses of `bridge` are leased.
  size_t count(const std::string& bridge) const;

  // The subnet the bridge's leases are from; nullopt before the first.
  std::optional<std::string> subnet(const std::string& bridge) const;
  void set_subnet(const std::string& bridge, const std::string& subnet);
  // Whether vcrun created the bridge (marked before creating it).
  bool made_bridge(const std::string& bridge) const;
  void mark_made_bridge(const std::string& bridge);
  // Forgets the bridge (its subnet and mark); call with no leases left.
  void forget(const std::string& bridge);
  // Whether any bridge has a directory left.
  bool any_bridge() const;
  // Every (bridge, address) leased to `id`.
  std::vector<std::pair<std::string, Ipv4>> held_by(const std::string& id) const;

 private:
  std::string path(const std::string& bridge, const std::string& name = "") const;
  std::string dir_;
  UniqueFd lock_;
};

}  // namespace vcrun::net
