// `vcrun features`: what this vcrun accepts and applies, from the tables the parser and the
// mechanisms use themselves, so the document cannot drift from the code.
#include <seccomp.h>

#include <nlohmann/json.hpp>

#include "runtime/rootfs/mount_options.hpp"
#include "runtime/security/capabilities.hpp"
#include "runtime/security/seccomp.hpp"
#include "runtime/spec/json.hpp"
#include "vcrun/runtime.hpp"

namespace vcrun {

std::string features_json() {
  using nlohmann::json;
  auto seccomp = security::seccomp_features();
  const scmp_version* lib = seccomp_version();
  json doc = {
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", kOciVersion},
      {"hooks", spec_detail::hook_point_names()},
      {"mountOptions", mounts::known_mount_options()},
      {"linux",
       {{"namespaces", spec_detail::namespace_type_names()},
        {"capabilities", security::known_capabilities()},
        // cgroup v2 only, through cgroupfs (no systemd driver, no v1, no rdma controller).
        {"cgroup",
         {{"v1", false}, {"v2", true}, {"systemd", false}, {"systemdUser", false}, {"rdma", false}}},
        {"seccomp",
         {{"enabled", true},
          {"actions", spec_detail::seccomp_action_names()},
          {"operators", spec_detail::seccomp_operator_names()},
          {"archs", seccomp.archs},
          {"knownFlags", seccomp.known_flags},
          {"supportedFlags", seccomp.supported_flags}}},
        {"apparmor", {{"enabled", false}}},
        {"selinux", {{"enabled", false}}},
        {"intelRdt", {{"enabled", false}}},
        {"mountExtensions", {{"idmap", {{"enabled", false}}}}}}},
      {"annotations",
       {{"io.github.seccomp.libseccomp.version",
         std::to_string(lib->major) + "." + std::to_string(lib->minor) + "." +
             std::to_string(lib->micro)},
        {"org.opencontainers.runtime-spec.features.vcrun.version", VCRUN_VERSION}}},
  };
  return doc.dump(2);
}

}  // namespace vcrun
