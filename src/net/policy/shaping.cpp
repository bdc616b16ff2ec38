// A container's HTB class: ledger, admission, tree and tags (shaping.hpp).
#include "net/policy/shaping.hpp"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <vector>

#include "base/fs_util.hpp"
#include "base/text.hpp"
#include "net/kernel.hpp"
#include "net/policy/htb_planner.hpp"
#include "net/state/leases.hpp"
#include "net/system_kernel.hpp"
#include "net/values/rate.hpp"
#include "vcrun/error.hpp"

namespace vcrun::net {

namespace {

namespace fs = std::filesystem;

// Errors name the spec's path; the command line maps it to its flag.
constexpr char kEgressField[] = "vcrun.network.egress";
constexpr char kLinkRateField[] = "vcrun.network.linkRate";

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%x", v);
  return buf;
}

// One class of the ledger: its holder and what it asked for.
struct Entry {
  std::string id;
  HtbDemand demand;
};

std::string entry_text(const std::string& id, const HtbDemand& d) {
  char share[32];
  std::snprintf(share, sizeof share, "%.17g", d.share);
  return id + " " + std::to_string(d.rate) + " " + share + " " + std::to_string(d.ceil);
}

// Where the ledgers of the namespace whose lease directory is `root` live.
std::string shaping_dir(const std::string& root) { return root + ".shaping"; }

// The class ledger of one device, read while the lease lock is held.
struct Ledger {
  std::string dir;
  explicit Ledger(const std::string& root, const std::string& device) : dir(shaping_dir(root) + "/" + device) {}

  std::string file(uint32_t minor) const { return dir + "/" + hex(minor); }

  std::map<uint32_t, Entry> classes() const {
    std::map<uint32_t, Entry> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      std::string name = e.path().filename().string();
      char* end = nullptr;
      unsigned long minor = std::strtoul(name.c_str(), &end, 16);
      if (name.empty() || *end || minor < net::kHtbFirstLeafMinor || minor > 0xffff) continue;
      std::string text = read_file_if_exists(e.path().string()).value_or("");
      Entry entry;
      size_t space = text.find(' ');
      entry.id = text.substr(0, space);
      if (space != std::string::npos) {
        const char* p = text.c_str() + space;
        char* end = nullptr;
        entry.demand.rate = std::strtoull(p, &end, 10);
        entry.demand.share = std::strtod(end, &end);
        entry.demand.ceil = std::strtoull(end, &end, 10);
      }
      entry.demand.minor = static_cast<uint32_t>(minor);
      out[static_cast<uint32_t>(minor)] = entry;
    }
    return out;
  }

  std::optional<uint64_t> link_rate() const {
    auto text = read_file_if_exists(dir + "/link-rate");
    if (!text || text->empty()) return std::nullopt;
    return std::strtoull(text->c_str(), nullptr, 10);
  }
  bool made_qdisc() const { return exists(dir + "/made-qdisc"); }
};

// The ledger's demands in minor order, as the planner takes them.
std::vector<HtbDemand> demands(const std::map<uint32_t, Entry>& classes) {
  std::vector<HtbDemand> out;
  out.reserve(classes.size());
  for (const auto& [minor, e] : classes) out.push_back(e.demand);
  return out;
}

// Sets every class of the ledger to its planned parameters (`created`: that one is new).
void rebalance(Kernel& k, unsigned ifindex, const Ledger& ledger, uint64_t link, uint32_t created = 0) {
  for (const auto& c : plan_htb(demands(ledger.classes()), link)) {
    try {
      k.set_htb_class(ifindex, c, c.minor == created);
    } catch (const Error& e) {
      if (c.minor == created && e.code() == EEXIST) {
        k.set_htb_class(ifindex, c, false);  // left by a create killed before its record
      } else if (e.code() != ENOENT) {
        throw;  // ENOENT: a ledger file whose create was killed before its class
      }
    }
  }
}

uint64_t resolve_link_rate(Kernel& k, const Ledger& ledger, const ShapeRequest& req, const std::string& device,
                           bool tree_exists) {
  auto existing = tree_exists ? ledger.link_rate() : std::nullopt;
  if (existing) {
    if (req.link_rate && *req.link_rate != *existing)
      throw SpecError(kLinkRateField, rate_text(*req.link_rate) + " differs from the " + rate_text(*existing) +
                                               " that " + device + " is shaped at");
    return *existing;
  }
  if (req.link_rate) return *req.link_rate;
  if (auto speed = k.link_speed(device)) return *speed;
  throw SpecError(kLinkRateField, "the link speed of " + device + " is unknown: give the link rate to shape at");
}

void remove_if_held(const std::string& path, const std::string& id) {
  auto text = read_file_if_exists(path);
  if (!text) return;
  std::string holder = text->substr(0, text->find(' '));
  if (holder == id || holder.empty()) ::unlink(path.c_str());
}

}  // namespace

ShapeAttachment attach_shaping(const ShapeRequest& req, const std::function<void(const ShapeAttachment&)>& record) {
  SystemKernel kernel;
  return attach_shaping(kernel, netns_lease_dir(), req, record);
}

ShapeAttachment attach_shaping(Kernel& k, const std::string& leases, const ShapeRequest& req,
                               const std::function<void(const ShapeAttachment&)>& record) {
  Leases lock(leases);
  std::optional<Egress> dev;
  if (req.egress.empty()) {
    dev = k.default_route_device();
    if (!dev) throw SpecError(kEgressField, "there is no default route: name the device to shape");
  } else {
    dev = k.egress_device(req.egress);
    if (!dev) throw SpecError(kEgressField, "no link named " + vcrun::quoted(req.egress));
  }
  Ledger ledger(leases, dev->name);
  auto root = k.root_qdisc(dev->index);
  bool ours = root && root->handle == net::kHtbMajor << 16 && root->kind == "htb";
  if (root && root->handle != 0 && !ours) {
    char handle[16];
    std::snprintf(handle, sizeof handle, "%x:", root->handle >> 16);
    throw SpecError(kEgressField, dev->name + " has a root qdisc vcrun did not make (" + root->kind + " " +
                                          handle + ")");
  }
  uint64_t link = resolve_link_rate(k, ledger, req, dev->name, ours);
  auto held = ledger.classes();
  admit_htb(demands(held), req.rate, req.ceil, dev->name, link, 0);
  uint32_t minor = net::kHtbFirstLeafMinor;
  while (held.count(minor)) ++minor;
  if (minor > 0xffff) throw Error(dev->name + ": every HTB class id is in use", ENOSPC);

  ShapeAttachment a{leases, dev->name, minor};
  record(a);

  make_dirs(ledger.dir, 0700);
  {
    std::string p = ledger.file(minor);
    UniqueFd fd(::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) throw_errno("ledger " + p);
    std::string text = entry_text(req.id, {minor, req.rate.value_or(0), req.ceil.value_or(0), req.share});
    if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) throw_errno("write " + p);
  }
  if (!ours) {
    write_file_atomic(ledger.dir + "/made-qdisc", "", 0600);
    write_file_atomic(ledger.dir + "/link-rate", std::to_string(link), 0600);
    k.create_htb_root(dev->index, link / 8, htb_default_rate(link) / 8);
  }
  rebalance(k, dev->index, ledger, link, minor);
  uint32_t classid = net::htb_handle(minor);
  if (!req.veth.empty()) k.tag_veth(req.id, req.veth, classid);
  else k.tag_cgroup(req.id, req.cgroup_level, req.cgroup_id, classid);
  return a;
}

void detach_shaping(const ShapeAttachment& a, const std::string& id) {
  SystemKernel kernel;
  detach_shaping(kernel, a, id);
}

void detach_shaping(Kernel& k, const ShapeAttachment& a, const std::string& id) {
  Leases lock(a.root);
  k.untag(id);
  Ledger ledger(a.root, a.device);
  auto dev = k.egress_device(a.device);
  auto held = ledger.classes();
  auto mine = held.find(a.minor);
  // Saved before the ledger file was made: killed in between, another container may hold
  // the class by now.
  if (mine == held.end() || mine->second.id == id || mine->second.id.empty()) {
    if (dev) k.delete_htb_class(dev->index, a.minor);
    remove_if_held(ledger.file(a.minor), id);
  }
  if (!ledger.classes().empty()) {
    if (auto link = ledger.link_rate(); dev && link) rebalance(k, dev->index, ledger, *link);
  } else {
    if (dev && ledger.made_qdisc()) k.delete_htb_root(dev->index);
    std::error_code ec;
    fs::remove_all(ledger.dir, ec);
  }
  std::error_code ec;
  bool any = false;
  for (const auto& e : fs::directory_iterator(shaping_dir(a.root), ec))
    if (e.is_directory()) any = true;
  if (!any) {
    k.remove_chains();
    k.remove_table_if_unused();
    fs::remove(shaping_dir(a.root), ec);
  }
}

void detach_all_shaping(const std::string& id) {
  SystemKernel kernel;
  const std::string leases = netns_lease_dir();
  std::vector<ShapeAttachment> held;
  {
    Leases lock(leases);
    std::error_code ec;
    for (const auto& d : fs::directory_iterator(shaping_dir(leases), ec))
      for (const auto& [minor, e] : Ledger(leases, d.path().filename().string()).classes())
        if (e.id == id) held.push_back({leases, d.path().filename().string(), minor});
  }
  for (const auto& a : held) detach_shaping(kernel, a, id);
}

void update_shaping(const ShapeAttachment& a, const std::string& id, const ShapeChange& change) {
  SystemKernel kernel;
  update_shaping(kernel, a, id, change);
}

void update_shaping(Kernel& k, const ShapeAttachment& a, const std::string& id, const ShapeChange& change) {
  Leases lock(a.root);
  Ledger ledger(a.root, a.device);
  auto dev = k.egress_device(a.device);
  auto link = ledger.link_rate();
  auto classes = ledger.classes();
  auto mine = classes.find(a.minor);
  if (!dev || !link || mine == classes.end() || mine->second.id != id)
    throw Error("the HTB class of " + id + " on " + a.device + " is gone", ENOENT);
  HtbDemand d = updated_demand(mine->second.demand, change.rate, change.ceil, change.share);
  admit_htb(demands(classes), d.rate ? std::optional(d.rate) : std::nullopt,
            d.ceil ? std::optional(d.ceil) : std::nullopt, a.device, *link, a.minor);
  write_file_atomic(ledger.file(a.minor), entry_text(id, d), 0600);
  rebalance(k, dev->index, ledger, *link);
}

std::optional<NetClassStats> shaping_counters(const ShapeAttachment& a) {
  SystemKernel k;
  auto dev = k.egress_device(a.device);
  if (!dev) return std::nullopt;
  auto c = k.htb_class_counters(dev->index, a.minor);
  if (!c) return std::nullopt;
  return NetClassStats{a.device, net::htb_handle(a.minor), c->bytes, c->packets, c->drops, c->overlimits};
}

}  // namespace vcrun::net
