// HTB qdisc and classes over rtnetlink (RTM_NEWQDISC, RTM_NEWTCLASS, ...) built with libmnl.
#include "net/objects/htb.hpp"

#include <errno.h>
#include <linux/gen_stats.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include <algorithm>
#include <cstring>

#include "vcrun/error.hpp"

namespace vcrun::net {

namespace {

tcmsg* put_tcmsg(nlmsghdr* h, unsigned ifindex, uint32_t handle, uint32_t parent) {
  auto* tc = static_cast<tcmsg*>(mnl_nlmsg_put_extra_header(h, sizeof(tcmsg)));
  tc->tcm_family = AF_UNSPEC;
  tc->tcm_ifindex = static_cast<int>(ifindex);
  tc->tcm_handle = handle;
  tc->tcm_parent = parent;
  return tc;
}

std::string str_attr(const nlattr* a) {
  const auto* text = static_cast<const char*>(mnl_attr_get_payload(a));
  return std::string(text, ::strnlen(text, mnl_attr_get_payload_len(a)));
}

// The time to send `bytes` at `rate` bytes/s, in the kernel's psched ticks (64 ns).
uint32_t ticks(uint64_t bytes, uint64_t rate) {
  double ns = static_cast<double>(bytes) * 1e9 / static_cast<double>(rate);
  return static_cast<uint32_t>(std::min(ns / 64.0, 4294967295.0));
}

// tc's default burst: what the rate sends in a millisecond (HZ 1000), plus an MTU-sized frame.
uint64_t burst(uint64_t rate) { return rate / 1000 + 1600; }

tc_ratespec ratespec(uint64_t rate) {
  tc_ratespec r{};
  r.linklayer = TC_LINKLAYER_ETHERNET;  // the kernel computes times itself: no rate table
  r.rate = rate >= 0xffffffffULL ? 0xffffffffU : static_cast<uint32_t>(rate);
  return r;
}

void put_class(nlmsghdr* h, uint64_t rate, uint64_t ceil, uint32_t quantum) {
  mnl_attr_put_strz(h, TCA_KIND, "htb");
  nlattr* opts = mnl_attr_nest_start(h, TCA_OPTIONS);
  tc_htb_opt o{};
  o.rate = ratespec(rate);
  o.ceil = ratespec(ceil);
  o.buffer = ticks(burst(rate), rate);
  o.cbuffer = ticks(burst(ceil), ceil);
  o.quantum = quantum;
  mnl_attr_put(h, TCA_HTB_PARMS, sizeof o, &o);
  if (rate >= 0xffffffffULL) mnl_attr_put_u64(h, TCA_HTB_RATE64, rate);
  if (ceil >= 0xffffffffULL) mnl_attr_put_u64(h, TCA_HTB_CEIL64, ceil);
  mnl_attr_nest_end(h, opts);
}

void new_class(Socket& nl, unsigned ifindex, uint32_t minor, uint32_t parent, uint64_t rate, uint64_t ceil,
               uint32_t quantum, bool create) {
  Message m;
  nlmsghdr* h = m.header(RTM_NEWTCLASS, create ? NLM_F_CREATE | NLM_F_EXCL : 0);
  put_tcmsg(h, ifindex, htb_handle(minor), parent);
  put_class(h, rate, ceil, quantum);
  char id[16];
  std::snprintf(id, sizeof id, "%x:%x", kHtbMajor, minor);
  nl.request(h, std::string(create ? "create" : "change") + " HTB class " + id);
}

}  // namespace

std::optional<RootQdisc> root_qdisc(Socket& nl, unsigned ifindex) {
  Message m;
  nlmsghdr* h = m.header(RTM_GETQDISC, 0);
  put_tcmsg(h, ifindex, 0, 0);
  std::optional<RootQdisc> root;
  nl.query(h, true, [&](const nlmsghdr* reply) {
    if (reply->nlmsg_type != RTM_NEWQDISC) return;
    const auto* tc = static_cast<const tcmsg*>(mnl_nlmsg_get_payload(reply));
    if (static_cast<unsigned>(tc->tcm_ifindex) != ifindex || tc->tcm_parent != TC_H_ROOT) return;
    RootQdisc q{tc->tcm_handle, ""};
    for_each_attr(reply, sizeof(tcmsg), [&](const nlattr* a) {
      if (mnl_attr_get_type(a) == TCA_KIND) q.kind = str_attr(a);
    });
    root = q;
  }, "list qdiscs");
  return root;
}

void create_htb_root(Socket& nl, unsigned ifindex, uint64_t link_bytes, uint64_t default_bytes) {
  Message m;
  nlmsghdr* h = m.header(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL);
  put_tcmsg(h, ifindex, kHtbMajor << 16, TC_H_ROOT);
  mnl_attr_put_strz(h, TCA_KIND, "htb");
  nlattr* opts = mnl_attr_nest_start(h, TCA_OPTIONS);
  tc_htb_glob g{};
  g.version = TC_HTB_PROTOVER;
  g.rate2quantum = 10;
  g.defcls = kHtbDefaultMinor;
  mnl_attr_put(h, TCA_HTB_INIT, sizeof g, &g);
  mnl_attr_nest_end(h, opts);
  nl.request(h, "create the HTB root qdisc");
  new_class(nl, ifindex, kHtbRootMinor, TC_H_ROOT, link_bytes, link_bytes, 200000, true);
  new_class(nl, ifindex, kHtbDefaultMinor, htb_handle(kHtbRootMinor), default_bytes, link_bytes, 12000, true);
}

bool delete_htb_root(Socket& nl, unsigned ifindex) {
  auto root = root_qdisc(nl, ifindex);
  if (!root || root->handle != kHtbMajor << 16 || root->kind != "htb") return false;
  Message m;
  nlmsghdr* h = m.header(RTM_DELQDISC, 0);
  put_tcmsg(h, ifindex, kHtbMajor << 16, TC_H_ROOT);
  try {
    nl.request(h, "delete the HTB root qdisc");
  } catch (const Error& e) {
    if (e.code() == ENOENT || e.code() == EINVAL) return false;
    throw;
  }
  return true;
}

void set_htb_class(Socket& nl, unsigned ifindex, const HtbClass& c, bool create) {
  new_class(nl, ifindex, c.minor, htb_handle(kHtbRootMinor), c.rate_bytes, c.ceil_bytes, c.quantum, create);
}

bool delete_htb_class(Socket& nl, unsigned ifindex, uint32_t minor) {
  Message m;
  nlmsghdr* h = m.header(RTM_DELTCLASS, 0);
  put_tcmsg(h, ifindex, htb_handle(minor), htb_handle(kHtbRootMinor));
  try {
    nl.request(h, "delete HTB class");
  } catch (const Error& e) {
    if (e.code() == ENOENT || e.code() == EINVAL || e.code() == ENODEV) return false;
    throw;
  }
  return true;
}

std::optional<ClassCounters> htb_class_counters(Socket& nl, unsigned ifindex, uint32_t minor) {
  Message m;
  nlmsghdr* h = m.header(RTM_GETTCLASS, 0);
  put_tcmsg(h, ifindex, 0, 0);
  std::optional<ClassCounters> found;
  nl.query(h, true, [&](const nlmsghdr* reply) {
    if (reply->nlmsg_type != RTM_NEWTCLASS) return;
    const auto* tc = static_cast<const tcmsg*>(mnl_nlmsg_get_payload(reply));
    if (static_cast<unsigned>(tc->tcm_ifindex) != ifindex || tc->tcm_handle != htb_handle(minor)) return;
    ClassCounters c;
    for_each_attr(reply, sizeof(tcmsg), [&](const nlattr* a) {
      if (mnl_attr_get_type(a) != TCA_STATS2) return;
      for_each_nested(a, [&](const nlattr* s) {
        size_t len = mnl_attr_get_payload_len(s);
        const void* p = mnl_attr_get_payload(s);
        switch (mnl_attr_get_type(s)) {
          case TCA_STATS_BASIC: {
            gnet_stats_basic b{};
            std::memcpy(&b, p, std::min(len, sizeof b));
            c.bytes = b.bytes;
            if (!c.packets) c.packets = b.packets;
            break;
          }
          case TCA_STATS_PKT64:
            if (len >= sizeof(uint64_t)) std::memcpy(&c.packets, p, sizeof(uint64_t));
            break;
          case TCA_STATS_QUEUE: {
            gnet_stats_queue q{};
            std::memcpy(&q, p, std::min(len, sizeof q));
            c.drops = q.drops;
            c.overlimits = q.overlimits;
            break;
          }
          default: break;
        }
      });
    });
    found = c;
  }, "list HTB classes");
  return found;
}

}  // namespace vcrun::net
