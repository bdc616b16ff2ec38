// Published ports as text, docker's "[HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp]": parsing and
// printing (vcrun/net_values.hpp).
#include <netinet/in.h>

#include <charconv>

#include "base/text.hpp"
#include "net/values/parse_count.hpp"
#include "vcrun/error.hpp"
#include "vcrun/net_values.hpp"

namespace vcrun {

namespace {

std::optional<uint16_t> parse_port(const std::string& text) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v == 0 || v > 65535)
    return std::nullopt;
  return static_cast<uint16_t>(v);
}

std::vector<std::string> split_colons(const std::string& s) {
  std::vector<std::string> parts(1);
  for (char c : s) {
    if (c == ':') parts.emplace_back();
    else parts.back() += c;
  }
  return parts;
}

}  // namespace

PublishedPort parse_published(const std::string& text, const std::string& field) {
  ++net_values_detail::parses.published;
  auto fail = [&](const std::string& why) -> PublishedPort {
    throw SpecError(field, why + ", got " + quoted(text));
  };
  PublishedPort p;
  p.proto = IPPROTO_TCP;
  std::string spec = text;
  if (auto slash = spec.rfind('/'); slash != std::string::npos) {
    std::string proto = spec.substr(slash + 1);
    if (proto == "udp") p.proto = IPPROTO_UDP;
    else if (proto != "tcp") return fail("the protocol must be tcp or udp");
    spec.resize(slash);
  }
  std::vector<std::string> parts = split_colons(spec);
  if (parts.size() != 2 && parts.size() != 3) return fail("must be [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp]");
  auto hp = parse_port(parts[parts.size() - 2]), cp = parse_port(parts.back());
  if (!hp || !cp) return fail("ports must be numbers from 1 to 65535");
  p.host_port = *hp;
  p.container_port = *cp;
  if (parts.size() == 3) {
    p.host_ip = net_values_detail::ipv4_of(parts[0]);  // part of this value: not a parse of its own
    if (!p.host_ip) return fail("the host address must be an IPv4 address");
    if ((p.host_ip->value >> 24) == 127) return fail("a loopback host address is not forwarded to a container");
    if (p.host_ip->value == 0) p.host_ip.reset();  // 0.0.0.0: every local address
  }
  return p;
}

std::string to_string(const PublishedPort& p) {
  std::string text = p.host_ip ? to_string(*p.host_ip) + ":" : "";
  // tcp is the default, so its suffix is left out (as written most often).
  return text + std::to_string(p.host_port) + ":" + std::to_string(p.container_port) +
         (p.proto == IPPROTO_UDP ? "/udp" : "");
}

std::string host_port_name(const PublishedPort& p) {
  return std::string(p.proto == IPPROTO_UDP ? "udp/" : "tcp/") + std::to_string(p.host_port);
}

}  // namespace vcrun
