// Device rule lists for the device-policy tests of every lane: seeded random lists (the
// property tests) and the list podman passes. Header only; no vcrun binary needed.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "vcrun/spec.hpp"

namespace vcrun::test {

// Majors and minors the random rules and the probes draw from (-1: wildcard). Small sets,
// so that rules overlap and shadow each other often.
inline const std::vector<int64_t>& rule_majors() {
  static const std::vector<int64_t> v = {-1, 1, 5, 8, 10, 136, 240};
  return v;
}
inline const std::vector<int64_t>& rule_minors() {
  static const std::vector<int64_t> v = {-1, 0, 1, 3, 200};
  return v;
}

// A reproducible random rule list for `seed`: 0-12 rules of random allow/deny, type a/c/b,
// wildcard or fixed numbers and a non-empty subset of "rwm"; about half the lists also hold
// a catch-all rule (a *:* rwm, allow or deny) at a random position.
inline std::vector<DeviceRule> random_device_rules(uint32_t seed) {
  std::mt19937 rng(seed);
  auto pick = [&](size_t n) { return static_cast<size_t>(std::uniform_int_distribution<size_t>(0, n - 1)(rng)); };
  static const char* accesses[] = {"r", "w", "m", "rw", "rm", "wm", "rwm"};
  std::vector<DeviceRule> rules(pick(13));
  for (auto& r : rules) {
    r.allow = pick(2) == 1;
    r.type = "acb"[pick(3)];
    r.major = rule_majors()[pick(rule_majors().size())];
    r.minor = rule_minors()[pick(rule_minors().size())];
    r.access = accesses[pick(7)];
  }
  if (pick(2) == 1) {
    DeviceRule all{pick(2) == 1, 'a', -1, -1, "rwm"};
    rules.insert(rules.begin() + static_cast<long>(pick(rules.size() + 1)), all);
  }
  return rules;
}

// The list podman 4 passes in linux.resources.devices for a default container: deny all,
// mknod of anything, the standard nodes, tun.
inline std::vector<DeviceRule> podman_device_rules() {
  return {
      DeviceRule{false, 'a', -1, -1, "rwm"}, DeviceRule{true, 'c', -1, -1, "m"},
      DeviceRule{true, 'b', -1, -1, "m"},    DeviceRule{true, 'c', 1, 3, "rwm"},
      DeviceRule{true, 'c', 1, 8, "rwm"},    DeviceRule{true, 'c', 1, 7, "rwm"},
      DeviceRule{true, 'c', 5, 0, "rwm"},    DeviceRule{true, 'c', 1, 5, "rwm"},
      DeviceRule{true, 'c', 1, 9, "rwm"},    DeviceRule{true, 'c', 5, 1, "rwm"},
      DeviceRule{true, 'c', 136, -1, "rwm"}, DeviceRule{true, 'c', 5, 2, "rwm"},
      DeviceRule{true, 'c', 10, 200, "rwm"},
  };
}

}  // namespace vcrun::test
