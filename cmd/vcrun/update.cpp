// `vcrun update ID [flags] [--resources FILE]`: change a running container's limits.
// Takes runc's flags (--cpu-share, --cpu-quota, --memory-swap, ...; podman runs
// `update --resources FILE ID`) beside vcrun's own (--cpu-reserve, --cpu-fair-share, ...).
#include <iostream>
#include <iterator>
#include <utility>

#include "command.hpp"
#include "resource_flags.hpp"
#include "vcrun/error.hpp"
#include "vcrun/quick.hpp"
#include "vcrun/runtime.hpp"

namespace vcrun::cli {

namespace {

// The fields of `spec` an update can change (devices are not among them).
ResourceUpdate update_of(ContainerSpec spec) {
  ResourceUpdate u;
  u.resources = std::move(spec.linux.resources);
  u.cpu_reservation = spec.vcrun.cpu_reservation;
  u.cpu_share = spec.vcrun.cpu_share;
  u.bind_allow = std::move(spec.vcrun.bind_allow);
  u.net_rate = spec.vcrun.network.rate;
  u.net_ceil = spec.vcrun.network.ceil;
  u.net_share = spec.vcrun.network.share;
  return u;
}

Registrar update_verb(80, "update", [](CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("update", "change the resource limits, bind allowlist or egress class of a running container");
  auto id = std::make_shared<std::string>();
  auto flags = std::make_shared<ResourceFlags>();
  auto resources = std::make_shared<std::string>();
  cmd->add_option("id", *id, "container id")->required();
  add_resource_flag_options(*cmd, *flags);
  add_runc_update_options(*cmd, *flags);
  cmd->add_option("-r,--resources", *resources,
                  "OCI LinuxResources JSON file (\"-\": stdin), applied before the flags");
  cmd->callback([&g, id, flags, resources] {
    // The file through the spec parser and the flags over it, as in a config.json: each
    // value parsed once, here.
    ContainerSpec spec;
    if (!resources->empty()) {
      // "-": fd 0 itself; /dev/stdin may be missing (minimal /dev without /proc links).
      std::string text = *resources == "-" ? std::string(std::istreambuf_iterator<char>(std::cin), {})
                                           : read_config_file(*resources);
      spec.linux.resources = parse_resources_json(text);
    }
    apply_resource_flags(spec, *flags);
    if (resources->empty() && flags->empty()) throw Error("update: nothing to change (see --help)", EINVAL);
    Runtime(g.root).update(*id, update_of(std::move(spec)));
  });
});

}  // namespace

}  // namespace vcrun::cli
