// The cgroup v2 device controller: a BPF_PROG_TYPE_CGROUP_DEVICE program generated from
// linux.resources.devices + the default allow list, loaded with bpf() and attached to the
// container's cgroup. Generation is pure (unit-tested); loading needs root.
#pragma once

#include <linux/bpf.h>

#include <string>
#include <vector>

#include "vcrun/spec.hpp"

namespace vcrun::cgroup {

// The rules that always apply after the spec's own, as runc and crun do: mknod of any
// device (opening is what matters), /dev/null zero full random urandom tty console ptmx
// and the pts devices.
std::vector<DeviceRule> default_device_rules();

// The effective rule list: spec.linux.resources.devices, then an allow rule for each
// linux.devices node, then the defaults. The last matching rule decides; no match denies.
std::vector<DeviceRule> effective_device_rules(const ContainerSpec& spec);

// Pure: the program for `rules`. An allow rule matches a request whose access bits are all
// in the rule's access; a deny rule matches a request sharing any access bit with it.
std::vector<bpf_insn> generate_device_program(const std::vector<DeviceRule>& rules);

// Pure: what the generated program decides, evaluated in C++ (for tests and `vcrun` debug
// output): type 'c'/'b', access a subset of "rwm".
bool device_allowed(const std::vector<DeviceRule>& rules, char type, int64_t major, int64_t minor,
                    const std::string& access);

// Loads the program and attaches it to the cgroup directory `cgroup_fd` (BPF_F_ALLOW_MULTI,
// so programs of ancestors keep applying). Throws Error with the verifier log on failure.
// The attachment lives as long as the cgroup: rmdir releases it.
void attach_device_program(int cgroup_fd, const std::vector<bpf_insn>& program,
                           const std::string& cgroup_path);

}  // namespace vcrun::cgroup
