// IPv4 addresses and subnets as text ("10.217.0.5", "10.217.0.0/16"): parsing and the
// arithmetic of address allocation. Pure: no kernel object.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace vcrun::net {

// An address in host byte order.
struct Ipv4 {
  uint32_t value = 0;
  bool operator==(const Ipv4&) const = default;
};

struct Ipv4Net {
  Ipv4 base;           // host bits zero
  unsigned prefix = 0; // 0..32

  uint32_t mask() const { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }
  bool contains(Ipv4 a) const { return (a.value & mask()) == base.value; }
  bool overlaps(const Ipv4Net& o) const;
  Ipv4 gateway() const { return {base.value + 1}; }         // the bridge's address
  Ipv4 broadcast() const { return {base.value | ~mask()}; }
  // The addresses a container may have: after the gateway, before the broadcast.
  bool assignable(Ipv4 a) const {
    return contains(a) && a.value > gateway().value && a.value < broadcast().value;
  }
};

// The subnet of `vcrun.network.subnet` when none is given: a /16 of 10/8 that no common
// tool takes by default (docker 172.17/16, podman 10.88/16, libvirt 192.168.122/24, k8s
// pods 10.244/16 and services 10.96/12).
inline constexpr const char* kDefaultSubnet = "10.217.0.0/16";
inline constexpr const char* kDefaultBridge = "vcrun0";

// Dotted quad only (inet_pton's form); nullopt when `text` is not one.
std::optional<Ipv4> parse_ipv4(const std::string& text);
// "A.B.C.D/N"; nullopt when malformed. `why` gets the reason ("host bits set", ...).
std::optional<Ipv4Net> parse_ipv4_net(const std::string& text, std::string* why = nullptr);

std::string to_string(Ipv4 a);
std::string to_string(const Ipv4Net& n);

}  // namespace vcrun::net
