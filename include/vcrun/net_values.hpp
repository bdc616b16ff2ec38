// Network values as the spec stores them and the network and cgroup modules take them:
// IPv4 addresses and subnets, IPv6 addresses, link rates, published ports, the bind
// allowlist. Plain types with their parse and format functions (src/net/values/); text is
// parsed once, where it enters (config.json or a flag), and written back canonically.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vcrun {

// An IPv4 address in host byte order.
struct Ipv4 {
  uint32_t value = 0;
  bool operator==(const Ipv4&) const = default;
};

struct Ipv4Net {
  Ipv4 base;            // host bits zero
  unsigned prefix = 0;  // 0..32

  uint32_t mask() const { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }
  bool contains(Ipv4 a) const { return (a.value & mask()) == base.value; }
  bool overlaps(const Ipv4Net& o) const;
  Ipv4 gateway() const { return {base.value + 1}; }  // the bridge's address
  Ipv4 broadcast() const { return {base.value | ~mask()}; }
  // The addresses a container may have: after the gateway, before the broadcast.
  bool assignable(Ipv4 a) const {
    return contains(a) && a.value > gateway().value && a.value < broadcast().value;
  }
  bool operator==(const Ipv4Net&) const = default;
};

// An IPv6 address in network byte order (in6_addr's bytes).
struct Ipv6 {
  std::array<uint8_t, 16> bytes{};
  bool operator==(const Ipv6&) const = default;
};

// A host port forwarded to a container port (bridge mode's publish).
struct PublishedPort {
  uint8_t proto = 0;            // IPPROTO_TCP or IPPROTO_UDP
  std::optional<Ipv4> host_ip;  // only connections to this address; none: any local one
  uint16_t host_port = 0, container_port = 0;
  bool operator==(const PublishedPort&) const = default;
};

// The addresses a container may bind. IPv4-mapped IPv6 literals count as their IPv4
// address, so the order kept is per family: v4.front() replaces 0.0.0.0, v6.front() ::.
struct BindAllowList {
  std::vector<Ipv4> v4;
  std::vector<Ipv6> v6;
  bool operator==(const BindAllowList&) const = default;
};

// More would only slow the verifier down (each IPv6 entry is four compares).
inline constexpr size_t kMaxBindAllow = 256;

// The subnet of `vcrun.network.subnet` when none is given: a /16 of 10/8 that no common
// tool takes by default (docker 172.17/16, podman 10.88/16, libvirt 192.168.122/24, k8s
// pods 10.244/16 and services 10.96/12).
inline constexpr const char* kDefaultSubnet = "10.217.0.0/16";
inline constexpr Ipv4Net kDefaultSubnetNet{{0x0ad90000}, 16};  // kDefaultSubnet, parsed
inline constexpr const char* kDefaultBridge = "vcrun0";

// Dotted quad only (inet_pton's form); nullopt when `text` is not one.
std::optional<Ipv4> parse_ipv4(const std::string& text);
// "A.B.C.D/N"; nullopt when malformed. `why` gets the reason ("host bits set", ...).
std::optional<Ipv4Net> parse_ipv4_net(const std::string& text, std::string* why = nullptr);

// Bits per second from `text`: a decimal number and a unit, case-insensitive: bit, kbit,
// mbit, gbit, tbit (powers of 1000), kibit, mibit, gibit, tibit (powers of 1024), and the
// same with bps for bytes per second (bps, kbps, mbps, ..., kibps, ...). A number without
// a unit, an unknown unit, zero and values past 2^64 bits/s are refused: nullopt, with the
// reason in `why`.
std::optional<uint64_t> parse_rate(const std::string& text, std::string* why = nullptr);

// "[HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp]" (docker's form; tcp by default). A loopback
// HOSTIP is refused: the kernel does not route 127/8 to another namespace. Throws SpecError
// naming `field`.
PublishedPort parse_published(const std::string& text, const std::string& field);

// The list of `addresses`, each an IPv4 or IPv6 literal (inet_pton's forms). The wildcard
// addresses are refused: they are what gets rewritten, not an address a container can own.
// Throws SpecError naming `field`[i] (or `field` itself when `indexed` is false) and the entry.
BindAllowList parse_bind_allow(const std::vector<std::string>& addresses, const std::string& field,
                               bool indexed = true);

std::string to_string(Ipv4 a);
std::string to_string(const Ipv4Net& n);
std::string to_string(const Ipv6& a);
// "100mbit", "1500kbit", "12345bit": the shortest exact decimal-unit form of `bits`.
std::string rate_text(uint64_t bits_per_second);
// "[HOSTIP:]HOSTPORT:CONTAINERPORT[/udp]", which parse_published reads back as `p`.
std::string to_string(const PublishedPort& p);
// "tcp/8080" (how leases and errors name a host port).
std::string host_port_name(const PublishedPort& p);
// The list as text: the IPv4 addresses, then the IPv6 ones; parse_bind_allow reads it back
// as `list`.
std::vector<std::string> to_strings(const BindAllowList& list);

// How many times each parser above ran in this process (parse_ipv4 counts its direct
// calls only). A test hook: plain counters, no cost worth a switch.
struct NetValueParses {
  unsigned long ipv4 = 0, ipv4_net = 0, rate = 0, published = 0, bind_allow = 0;
  bool operator==(const NetValueParses&) const = default;
};
NetValueParses net_value_parses();

}  // namespace vcrun
