// Which resolv.conf a quick-mode bridge container gets. It has a network namespace of its
// own, so a nameserver on the host's loopback (a local stub such as systemd-resolved's
// 127.0.0.53 or dnsmasq's 127.0.1.1) is out of its reach.
#pragma once

#include <string>

namespace vcrun::spec_detail {

// Whether `text` (resolv.conf syntax) names a nameserver that is not a loopback address
// (127.0.0.0/8, ::1): one another network namespace can reach.
bool usable(const std::string& text);

// The file to bind over the container's /etc/resolv.conf: `host` when a nameserver it names
// is reachable from another network namespace; else `upstream` (systemd-resolved's list of
// the servers its stub forwards to) when that one is; else "" (nothing usable: the caller
// warns and keeps the root's file).
std::string bridge_resolv_conf(const std::string& host = "/etc/resolv.conf",
                               const std::string& upstream = "/run/systemd/resolve/resolv.conf");

}  // namespace vcrun::spec_detail
