// config.json "linux.resources" → vcrun::Resources (devices cgroup rules, memory, cpu, pids,
// blockIO, hugepages, unified). Ranges are checked by validate_spec.
#include "runtime/spec/json.hpp"

namespace vcrun::spec_detail {

namespace {

DeviceRule parse_device_rule(const Node& n) {
  DeviceRule r;
  r.allow = n.require("allow").boolean();
  if (auto t = n.get("type")) {
    std::string s = t->str();
    if (s.size() != 1) t->fail("unknown device type \"" + s + "\"");
    r.type = s[0];
  }
  if (auto m = n.get("major")) r.major = m->i64();
  if (auto m = n.get("minor")) r.minor = m->i64();
  if (auto a = n.get("access")) r.access = a->str();
  return r;
}

MemoryResources parse_memory(const Node& n) {
  MemoryResources m;
  if (auto v = n.get("limit")) m.limit = v->i64();
  if (auto v = n.get("reservation")) m.reservation = v->i64();
  if (auto v = n.get("swap")) m.swap = v->i64();
  if (auto v = n.get("kernel")) m.kernel = v->i64();
  if (auto v = n.get("kernelTCP")) m.kernel_tcp = v->i64();
  if (auto v = n.get("swappiness")) m.swappiness = v->u64();
  if (auto v = n.get("disableOOMKiller")) m.disable_oom_killer = v->boolean();
  if (auto v = n.get("useHierarchy")) m.use_hierarchy = v->boolean();
  if (auto v = n.get("checkBeforeUpdate")) m.check_before_update = v->boolean();
  return m;
}

CpuResources parse_cpu(const Node& n) {
  CpuResources c;
  if (auto v = n.get("shares")) c.shares = v->u64();
  if (auto v = n.get("quota")) c.quota = v->i64();
  if (auto v = n.get("burst")) c.burst = v->u64();
  if (auto v = n.get("period")) c.period = v->u64();
  if (auto v = n.get("realtimeRuntime")) c.realtime_runtime = v->i64();
  if (auto v = n.get("realtimePeriod")) c.realtime_period = v->u64();
  if (auto v = n.get("cpus")) c.cpus = v->str();
  if (auto v = n.get("mems")) c.mems = v->str();
  // The spec types idle as int64 (0 or 1); accept a boolean as well.
  if (auto v = n.get("idle")) {
    if (v->raw().is_boolean()) {
      c.idle = v->boolean();
    } else {
      int64_t i = v->i64();
      if (i != 0 && i != 1) v->fail("must be 0 or 1");
      c.idle = i == 1;
    }
  }
  return c;
}

// blkio weights are uint16 in the spec; anything above 1000 is out of the OCI range anyway.
uint16_t weight(const Node& n) {
  uint64_t v = n.u64();
  if (v > 1000) n.fail("must be between 10 and 1000");
  return static_cast<uint16_t>(v);
}

ThrottleDevice parse_throttle(const Node& n) {
  ThrottleDevice t;
  t.major = n.require("major").i64();
  t.minor = n.require("minor").i64();
  t.rate = n.require("rate").u64();
  return t;
}

BlockIoResources parse_block_io(const Node& n) {
  BlockIoResources b;
  if (auto v = n.get("weight")) b.weight = weight(*v);
  if (auto v = n.get("leafWeight")) b.leaf_weight = weight(*v);
  if (auto l = n.get("weightDevice")) {
    for (const auto& e : l->elements()) {
      WeightDevice w;
      w.major = e.require("major").i64();
      w.minor = e.require("minor").i64();
      if (auto v = e.get("weight")) w.weight = weight(*v);
      if (auto v = e.get("leafWeight")) w.leaf_weight = weight(*v);
      b.weight_device.push_back(w);
    }
  }
  auto throttle = [&](const char* key, std::vector<ThrottleDevice>& out) {
    if (auto l = n.get(key))
      for (const auto& e : l->elements()) out.push_back(parse_throttle(e));
  };
  throttle("throttleReadBpsDevice", b.throttle_read_bps);
  throttle("throttleWriteBpsDevice", b.throttle_write_bps);
  throttle("throttleReadIOPSDevice", b.throttle_read_iops);
  throttle("throttleWriteIOPSDevice", b.throttle_write_iops);
  return b;
}

}  // namespace

Resources parse_resources(const Node& n) {
  Resources r;
  if (auto d = n.get("devices"))
    for (const auto& e : d->elements()) r.devices.push_back(parse_device_rule(e));
  if (auto m = n.get("memory")) r.memory = parse_memory(*m);
  if (auto c = n.get("cpu")) r.cpu = parse_cpu(*c);
  if (auto p = n.get("pids")) {
    if (auto l = p->get("limit")) r.pids_limit = l->i64();
  }
  if (auto b = n.get("blockIO")) r.block_io = parse_block_io(*b);
  if (auto h = n.get("hugepageLimits")) {
    for (const auto& e : h->elements()) {
      HugepageLimit l;
      l.page_size = e.require("pageSize").str();
      l.limit = e.require("limit").u64();
      r.hugepage_limits.push_back(l);
    }
  }
  if (auto u = n.get("unified")) r.unified = u->string_map();
  return r;
}

}  // namespace vcrun::spec_detail
