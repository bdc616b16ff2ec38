// Quick mode: a container config built from command-line flags instead of a bundle.
#pragma once

#include <string>
#include <vector>

#include "cgroup/quick_flags.hpp"

namespace vcrun {

struct QuickOptions {
  std::vector<std::string> args;
  std::string rootfs;    // empty: the host's "/" under a private overlay
  std::string hostname;  // empty: the container id
  std::string cwd;
  std::vector<std::string> env;      // KEY=VALUE
  std::vector<std::string> volumes;  // SRC:DST[:ro]
  bool init = false;
  bool terminal = false;
  cgroup::QuickResourceFlags resources;  // --memory, --cpus, --cpu-reserve, ...
};

// The config.json of a quick-mode container: the default spec (`vcrun spec`) with the
// flags applied. `root_path` is where the root is mounted when rootfs is empty.
// Flag errors are SpecErrors naming the flag (`-v`, `-e`, ...).
std::string quick_config(const std::string& id, const QuickOptions& q,
                         const std::string& root_path);

}  // namespace vcrun
