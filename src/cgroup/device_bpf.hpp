// The cgroup v2 device controller: a BPF_PROG_TYPE_CGROUP_DEVICE program generated from
// linux.resources.devices + the default allow list, loaded with bpf() and attached to the
// container's cgroup. Generation is pure (unit-tested); loading needs root.
#pragma once

#include <linux/bpf.h>

#include <string>
#include <vector>

#include "base/fd.hpp"
#include "vcrun/spec.hpp"

namespace vcrun::cgroup {

// The most linux.resources.devices rules a container may have: a bound on the program's
// size and on the verifier's work (linear in the rules: at this cap ~3,400 instructions,
// a few ms; tests/security/test_devices_bounds.cpp measures it). runc's, podman's and
// docker's lists have fewer than 30.
inline constexpr size_t kMaxDeviceRules = 256;

// The rules that always apply after the spec's own, as runc and crun do: mknod of any
// device (opening is what matters), /dev/null zero full random urandom tty console ptmx
// and the pts devices.
std::vector<DeviceRule> default_device_rules();

// The effective rule list: spec.linux.resources.devices, then the defaults. The last
// matching rule decides; no match denies. A linux.devices node gets no rule of its own:
// it is created, and opened only as these rules allow.
std::vector<DeviceRule> effective_device_rules(const ContainerSpec& spec);

// Pure: the program for `rules`. An allow rule matches a request whose access bits are all
// in the rule's access; a deny rule matches a request sharing any access bit with it. The
// last catch-all rule (type "a", no numbers, "rwm") decides every request the rules after
// it do not, so nothing before it is emitted (the verifier refuses unreachable code).
std::vector<bpf_insn> generate_device_program(const std::vector<DeviceRule>& rules);

// Pure: what the generated program decides, evaluated in C++ (for tests and `vcrun` debug
// output): type 'c'/'b', access a subset of "rwm".
bool device_allowed(const std::vector<DeviceRule>& rules, char type, int64_t major, int64_t minor,
                    const std::string& access);

// Pure: whether `rules` decide exactly as default_device_rules() alone do. Rules before the
// last deny-all rule never decide (last match wins, and deny-all matches every request),
// so runc's usual [{"allow": false, "access": "rwm"}] prefix is still the default policy.
bool is_default_device_policy(const std::vector<DeviceRule>& rules);

// Makes the default policy's program the one the cgroup directory `parent_fd` hands down
// to every child that has no program of its own (BPF_F_ALLOW_OVERRIDE: a child with its own
// program replaces it, ancestors' BPF_F_ALLOW_MULTI programs still apply). Loads and
// attaches it only when the parent does not carry it already, so containers with the
// default policy start without a program load and verification (~0.3 ms each). Returns
// false, changing nothing, when the parent holds programs vcrun did not put there.
bool ensure_inherited_default_program(int parent_fd, const std::string& parent_path);

// Loads the program without attaching it: the kernel verifier's verdict (tests use it).
// Throws Error with the verifier log on failure; `what` names the cgroup in the message.
UniqueFd load_device_program(const std::vector<bpf_insn>& program, const std::string& what);

// Loads the program and attaches it to the cgroup directory `cgroup_fd` (BPF_F_ALLOW_MULTI,
// so programs of ancestors keep applying). Throws Error with the verifier log on failure.
// The attachment lives as long as the cgroup: rmdir releases it.
void attach_device_program(int cgroup_fd, const std::vector<bpf_insn>& program,
                           const std::string& cgroup_path);

}  // namespace vcrun::cgroup
