// `vcrun run`: create + start (+ wait), from a bundle or in quick mode from flags.
#include <unistd.h>

#include <algorithm>
#include <random>
#include <string_view>

#include "bundle.hpp"
#include "command.hpp"
#include "create_flags.hpp"
#include "resource_flags.hpp"
#include "vcrun/error.hpp"
#include "vcrun/quick.hpp"
#include "vcrun/runtime.hpp"

namespace vcrun::cli {

namespace {

std::string random_id() {
  std::random_device rd;
  char buf[32];
  std::snprintf(buf, sizeof buf, "run-%08x%04x", rd(), rd() & 0xffff);
  return buf;
}

// Bundle mode: a quick-mode flag would be silently ignored (the bundle's config.json says
// everything), so it is refused, naming the flag.
void refuse_quick_flags(const std::vector<CLI::Option*>& options, size_t first, size_t end) {
  for (size_t i = first; i < end && i < options.size(); ++i) {
    if (options[i]->count() == 0) continue;
    std::string name = options[i]->get_name();
    std::string where = name == "--net" ? "linux.namespaces and vcrun.network"
                        : name == "--ip" ? "vcrun.network.ip"
                        : name == "--bind-allow" ? "vcrun.network.bindAllow"
                                                 : "";
    throw SpecError(name, "is for quick mode (a bundle's config.json says it" + (where.empty() ? "" : " in " + where) + ")");
  }
}

// True when every option word of argv is a global option or one of run's bundle-mode flags
// (`run --rm -b DIR ID`, as container managers call it): no quick-mode flag can then match,
// so those are not built. Building them was two thirds of run's CLI cost, as CLI11 compares
// each new option's names with every earlier one's. Any other option word (--help, a quick
// flag, a short cluster such as -dt) builds them all, with their --help and their errors.
bool bundle_flags_only(const GlobalOptions& g) {
  if (g.argv == nullptr || g.double_dash) return false;
  static constexpr std::string_view kKnown[] = {
      "--root", "--log", "--log-format", "--debug", "--systemd-cgroup",         // global
      "-b", "--bundle", "--pid-file", "-d", "--detach", "--console-socket", "--rm", "--keep",
      "--preserve-fds", "--no-new-keyring", "--no-pivot"};                          // inheritance
  for (int i = 1; i < g.argc; ++i) {
    std::string_view a = g.argv[i];
    if (a.empty() || a[0] != '-') continue;
    if (a.starts_with("--")) a = a.substr(0, a.find('='));  // --bundle=DIR
    if (std::find(std::begin(kKnown), std::end(kKnown), a) == std::end(kKnown)) return false;
  }
  return true;
}

struct RunFlags {
  std::string id;
  bool detach = false, rm = false, keep = false;
  QuickOptions quick;
  CreateOptions create;  // --bundle, --pid-file, --console-socket and the inheritance flags
};

Registrar run_verb(30, "run", [](CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand(
      "run", "run a container: `run ID --bundle DIR`, or quick mode `run --rm [flags] -- CMD...`");
  auto f = std::make_shared<RunFlags>();
  cmd->add_option("args", f->quick.args,
                  "bundle mode: the container id; quick mode: the command, after --");
  cmd->add_option("-b,--bundle", f->create.bundle, "OCI bundle directory");
  cmd->add_option("--pid-file", f->create.pid_file, "write the init's pid here");
  cmd->add_flag("-d,--detach", f->detach, "return once the container runs");
  cmd->add_option("--console-socket", f->create.console_socket,
                  "unix socket that receives the pty master (process.terminal, --detach)");
  cmd->add_flag("--rm", f->rm, "quick mode: delete the container when it exits");
  cmd->add_flag("--keep", f->keep,
                "bundle mode: keep the stopped container (by default, as runc, it is deleted)");
  // From here to --init: quick mode's flags, refused in bundle mode (its config.json says it all).
  const size_t first_quick = cmd->get_options().size();
  if (!bundle_flags_only(g)) {
    cmd->add_flag("-t,--tty", f->quick.terminal, "quick mode: give the command a pseudo-terminal");
    cmd->add_option("--name", f->id, "container id (quick mode; default run-<random>)");
    cmd->add_option("--rootfs", f->quick.rootfs,
                    "root filesystem directory (default: the host's / under a private overlay)");
    cmd->add_option("--upper", f->quick.upper,
                    "quick mode: keep the root's writes in DIR (DIR/upper, DIR/work) instead of a "
                    "private tmpfs; a unified --rootfs always runs under such an overlay");
    cmd->add_option("--hostname", f->quick.hostname, "hostname (default: the id)");
    cmd->add_option("-e,--env", f->quick.env, "environment KEY=VALUE")->allow_extra_args(false);
    cmd->add_option("-v,--volume", f->quick.volumes, "bind mount SRC:DST[:ro]")
        ->allow_extra_args(false);
    cmd->add_option("-w,--cwd", f->quick.cwd, "working directory");
    cmd->add_option("--net", f->quick.net,
                    "quick mode: none (own network namespace, loopback only; the default), host (the "
                    "caller's) or bridge (a veth to the host bridge vcrun0, an address, NAT)")
        ->group("Network");
    cmd->add_option("--ip", f->quick.ip, "quick mode, --net bridge: the container's IPv4 address (default: the next free one)")
        ->group("Network");
    cmd->add_option("--net-egress", f->quick.net_egress,
                    "quick mode, with --net-rate/--net-ceil/--net-share: the device to shape (default: the default route's)")
        ->group("Network");
    cmd->add_option("--net-link-rate", f->quick.net_link_rate,
                    "quick mode: the egress device's rate that reservations are admitted against (default: its speed)")
        ->group("Network");
    cmd->add_option("-p,--publish", f->quick.publish,
                    "quick mode, --net bridge: forward a host port, [HOSTIP:]HOSTPORT:PORT[/tcp|/udp] (repeatable)")
        ->allow_extra_args(false)
        ->group("Network");
    add_resource_flag_options(*cmd, f->quick.resources);
    cmd->add_flag("--init", f->quick.init, "run a minimal init as PID 1 (reaps, forwards signals)");
  }
  const size_t end_quick = cmd->get_options().size();
  add_inheritance_options(*cmd, f->create);
  cmd->callback([&g, f, cmd, first_quick, end_quick] {
    CreateOptions& opts = f->create;
    std::string config;
    if (!g.double_dash) {
      if (f->quick.args.size() != 1)
        throw SpecError("id", "give one container id (or a command after --)");
      f->id = f->quick.args[0];
      refuse_quick_flags(cmd->get_options(), first_quick, end_quick);
      opts.bundle = absolute_bundle(opts.bundle);
      config = read_bundle_config(opts.bundle);
    } else {
      if (!opts.bundle.empty()) throw SpecError("--bundle", "cannot be combined with a command");
      if (f->id.empty()) f->id = random_id();
      opts.quick = true;
      opts.host_overlay = f->quick.rootfs.empty();
      if (!opts.host_overlay) f->quick.rootfs = absolute_bundle(f->quick.rootfs);
      config = quick_config(f->id, f->quick, g.root + "/" + f->id + "/rootfs");
    }
    if (f->rm && f->detach) throw SpecError("--rm", "cannot be combined with --detach");
    if (f->keep && f->rm) throw SpecError("--keep", "cannot be combined with --rm");
    if (f->keep && opts.quick) throw SpecError("--keep", "is for bundle mode (quick mode keeps without --rm)");
    // A bundle's container goes when its process exits unless --keep, as with runc; a
    // detached one stays (stopped) for the caller's `delete`. Quick mode keeps it unless --rm.
    bool remove = opts.quick ? f->rm : !f->keep;
    set_exit_status(Runtime(g.root).run(f->id, config, opts, f->detach, remove));
  });
});

}  // namespace

}  // namespace vcrun::cli
