// `vcrun update ID [flags] [--resources FILE]`: change a running container's limits.
// Takes runc's flags (--cpu-share, --cpu-quota, --memory-swap, ...; podman runs
// `update --resources FILE ID`) beside vcrun's own (--cpu-reserve, --cpu-fair-share, ...).
#include <iostream>
#include <iterator>

#include "cgroup/container_ops.hpp"
#include "cgroup/quick_flags_cli.hpp"
#include "cgroup/update.hpp"
#include "command.hpp"
#include "base/fs_util.hpp"
#include "vcrun/error.hpp"

namespace vcrun::cli {

namespace {

Registrar update_verb(80, "update", [](CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("update", "change the resource limits of a running container");
  auto id = std::make_shared<std::string>();
  auto flags = std::make_shared<cgroup::QuickResourceFlags>();
  auto resources = std::make_shared<std::string>();
  cmd->add_option("id", *id, "container id")->required();
  cgroup::add_quick_flag_options(*cmd, *flags);
  cgroup::add_runc_update_options(*cmd, *flags);
  cmd->add_option("-r,--resources", *resources,
                  "OCI LinuxResources JSON file (\"-\": stdin), applied before the flags");
  cmd->callback([&g, id, flags, resources] {
    ContainerSpec changes;
    if (!resources->empty()) {
      // "-": fd 0 itself; /dev/stdin may be missing (minimal /dev without /proc links).
      std::string text = *resources == "-" ? std::string(std::istreambuf_iterator<char>(std::cin), {})
                                           : read_file(*resources);
      cgroup::load_resources_json(changes, text);
    }
    cgroup::apply_quick_flags(changes, *flags);
    if (resources->empty() && flags->empty()) throw Error("update: nothing to change (see --help)", EINVAL);
    cgroup::update_by_id(g.root, *id, changes);
  });
});

}  // namespace

}  // namespace vcrun::cli
