// The bind allowlist as text, IPv4 and IPv6 literals: parsing and printing (vcrun/net_values.hpp).
#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "base/text.hpp"
#include "net/values/parse_count.hpp"
#include "vcrun/error.hpp"
#include "vcrun/net_values.hpp"

namespace vcrun {

BindAllowList parse_bind_allow(const std::vector<std::string>& addresses, const std::string& field, bool indexed) {
  ++net_values_detail::parses.bind_allow;
  if (addresses.size() > kMaxBindAllow)
    throw SpecError(field, "at most " + std::to_string(kMaxBindAllow) + " addresses, got " +
                               std::to_string(addresses.size()));
  BindAllowList list;
  for (size_t i = 0; i < addresses.size(); ++i) {
    const std::string& text = addresses[i];
    std::string where = indexed ? vcrun::indexed(field, i) : field;
    in_addr a4{};
    in6_addr a6{};
    if (::inet_pton(AF_INET, text.c_str(), &a4) == 1) {
      if (a4.s_addr == htonl(INADDR_ANY))
        throw SpecError(where, "the wildcard address 0.0.0.0 cannot be allowed: a bind to it is rewritten to the "
                               "first IPv4 address of the list");
      list.v4.push_back(Ipv4{ntohl(a4.s_addr)});
    } else if (::inet_pton(AF_INET6, text.c_str(), &a6) == 1) {
      if (IN6_IS_ADDR_V4MAPPED(&a6)) {
        std::memcpy(&a4.s_addr, a6.s6_addr + 12, 4);
        if (a4.s_addr == htonl(INADDR_ANY))
          throw SpecError(where, "the wildcard address " + quoted(text) + " cannot be allowed");
        list.v4.push_back(Ipv4{ntohl(a4.s_addr)});
      } else {
        if (IN6_IS_ADDR_UNSPECIFIED(&a6))
          throw SpecError(where, "the wildcard address :: cannot be allowed: a bind to it is rewritten to the "
                                 "first IPv6 address of the list");
        Ipv6 v6;
        std::copy(std::begin(a6.s6_addr), std::end(a6.s6_addr), v6.bytes.begin());
        list.v6.push_back(v6);
      }
    } else {
      throw SpecError(where, "expected an IPv4 or IPv6 address, got " + quoted(text));
    }
  }
  return list;
}

std::vector<std::string> to_strings(const BindAllowList& list) {
  std::vector<std::string> out;
  out.reserve(list.v4.size() + list.v6.size());
  for (const auto& a : list.v4) out.push_back(to_string(a));
  for (const auto& a : list.v6) out.push_back(to_string(a));
  return out;
}

}  // namespace vcrun
