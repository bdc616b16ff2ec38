// The bind allowlist: cgroup sock_addr BPF programs (bind4, bind6) that refuse a bind to an
// address outside a container's list with EPERM and turn a bind to the wildcard address into
// a bind to the container's first address. Generation is pure (unit-tested); loading and
// attaching need root.
#pragma once

#include <linux/bpf.h>
#include <netinet/in.h>

#include <cstddef>
#include <string>
#include <vector>

#include "base/fd.hpp"
#include "vcrun/net_values.hpp"

namespace vcrun::cgroup {

// The list (vcrun/net_values.hpp), parsed where it entered the spec.
using vcrun::BindAllowList;

// Pure: the BPF_CGROUP_INET4_BIND program for `list`: 0.0.0.0 -> v4.front(), an address in
// v4 allowed, anything else refused (return 0: the kernel fails the bind with EPERM). The
// port is never looked at. An empty v4 refuses every IPv4 bind.
std::vector<bpf_insn> generate_bind4_program(const BindAllowList& list);

// Pure: the BPF_CGROUP_INET6_BIND program: an address in v6 allowed; :: -> v6.front(), or
// when v6 is empty ::ffff:v4.front() (a dual-stack socket then serves the container's IPv4
// address); IPv4-mapped addresses are judged by v4 as bind4 does (::ffff:0.0.0.0 ->
// ::ffff:v4.front()); anything else refused.
std::vector<bpf_insn> generate_bind6_program(const BindAllowList& list);

// Pure: BPF_CGROUP_INET4_POST_BIND / INET6_POST_BIND (BPF_PROG_TYPE_CGROUP_SOCK): the
// address a TCP or UDP bind ended with must be in the list (IPv4-mapped ones in v4),
// whatever rewrote it after bind4/bind6 (an ancestor cgroup's program runs after ours);
// return 0 undoes the bind and fails it with EPERM.
std::vector<bpf_insn> generate_post_bind4_program(const BindAllowList& list);
std::vector<bpf_insn> generate_post_bind6_program(const BindAllowList& list);

// Pure: BPF_CGROUP_UDP4_SENDMSG / UDP6_SENDMSG: the source a UDP datagram asks for
// (msg_src_ip4 / msg_src_ip6: the bound address, or the IP_PKTINFO / IPV6_PKTINFO source of
// this sendmsg) must be in the list; unspecified (routing picks, as for a connect) passes.
// Refused: sendmsg fails with EPERM, nothing is sent.
std::vector<bpf_insn> generate_sendmsg4_program(const BindAllowList& list);
std::vector<bpf_insn> generate_sendmsg6_program(const BindAllowList& list);

// Pure: BPF_CGROUP_INET_SOCK_CREATE: only the AF_INET / AF_INET6 sockets whose bind and
// send run the hooks above may be created: TCP and MPTCP streams, UDP and UDP-Lite
// datagrams. The rest is refused with EPERM: raw and ICMP datagram ("ping") sockets bind
// through their own bind (raw_bind, ping_bind: no cgroup bind or post-bind hook) and send
// from an IP_PKTINFO source or a header of their own (IP_HDRINCL) without any hook; SCTP,
// L2TP/IP and the like have binds of their own too. In a container with a list they cannot exist.
std::vector<bpf_insn> generate_sock_create_program();

// Every program of a list, loaded (verified), not attached yet.
struct BindPrograms {
  UniqueFd bind4, bind6, post_bind4, post_bind6, sendmsg4, sendmsg6, sock_create;
};

// Loads the programs for `list` (all seven: bind4/6, post_bind4/6, sendmsg4/6, sock_create). Throws Error naming vcrun.network.bindAllow with the
// verifier log on failure; `cgroup_path` names the container's cgroup in messages.
BindPrograms load_bind_allow(const BindAllowList& list, const std::string& cgroup_path);

// Attaches all the programs to the cgroup directory `cgroup_fd` (BPF_F_ALLOW_MULTI: programs of
// ancestors keep applying, and a bind must pass all). Programs this function attached
// before are replaced in place (BPF_F_REPLACE), so a live update never leaves the cgroup
// without a list. The attachment lives as long as the cgroup (rmdir releases it), whoever
// holds the fds; cgroup::destroy detaches them from a cgroup that outlives the container.
// Throws Error naming vcrun.network.bindAllow.
void attach_bind_allow(int cgroup_fd, const BindPrograms& programs, const std::string& cgroup_path);


// Loads one program without attaching it: the verifier's verdict (tests use it).
UniqueFd load_bind_program(const std::vector<bpf_insn>& program, bpf_attach_type type, const std::string& what);

}  // namespace vcrun::cgroup
