// IPv4 and IPv6 address text and subnet arithmetic (vcrun/net_values.hpp), and the parse
// counters of this folder.
#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

#include "net/values/parse_count.hpp"
#include "vcrun/net_values.hpp"

namespace vcrun {

NetValueParses net_values_detail::parses;

NetValueParses net_value_parses() { return net_values_detail::parses; }

std::optional<Ipv4> net_values_detail::ipv4_of(const std::string& text) {
  in_addr a{};
  if (::inet_pton(AF_INET, text.c_str(), &a) != 1) return std::nullopt;
  return Ipv4{ntohl(a.s_addr)};
}

bool Ipv4Net::overlaps(const Ipv4Net& o) const {
  unsigned p = prefix < o.prefix ? prefix : o.prefix;
  Ipv4Net wider{{0}, p};
  return (base.value & wider.mask()) == (o.base.value & wider.mask());
}

std::optional<Ipv4> parse_ipv4(const std::string& text) {
  ++net_values_detail::parses.ipv4;
  return net_values_detail::ipv4_of(text);
}

std::optional<Ipv4Net> parse_ipv4_net(const std::string& text, std::string* why) {
  auto fail = [&](const char* reason) -> std::optional<Ipv4Net> {
    if (why) *why = reason;
    return std::nullopt;
  };
  ++net_values_detail::parses.ipv4_net;
  auto slash = text.find('/');
  if (slash == std::string::npos) return fail("must be an IPv4 subnet A.B.C.D/N");
  auto addr = net_values_detail::ipv4_of(text.substr(0, slash));
  if (!addr) return fail("must be an IPv4 subnet A.B.C.D/N");
  unsigned prefix = 0;
  const char* first = text.data() + slash + 1;
  const char* last = text.data() + text.size();
  auto [end, ec] = std::from_chars(first, last, prefix);
  if (first == last || ec != std::errc() || end != last || prefix > 32)
    return fail("must be an IPv4 subnet A.B.C.D/N with N from 0 to 32");
  Ipv4Net net{*addr, prefix};
  if ((addr->value & net.mask()) != addr->value) return fail("has bits set after the prefix length");
  return net;
}

std::string to_string(Ipv4 a) {
  in_addr n{htonl(a.value)};
  char buf[INET_ADDRSTRLEN];
  return ::inet_ntop(AF_INET, &n, buf, sizeof buf);
}

std::string to_string(const Ipv4Net& n) { return to_string(n.base) + "/" + std::to_string(n.prefix); }

std::string to_string(const Ipv6& a) {
  in6_addr n{};
  std::copy(a.bytes.begin(), a.bytes.end(), n.s6_addr);
  char buf[INET6_ADDRSTRLEN];
  return ::inet_ntop(AF_INET6, &n, buf, sizeof buf);
}

}  // namespace vcrun
