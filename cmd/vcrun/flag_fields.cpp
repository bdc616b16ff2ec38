// The CLI's one table from the fields the library names in its errors to vcrun's flags.
#include "flag_fields.hpp"

#include <array>
#include <cctype>
#include <string>

namespace vcrun::cli {

namespace {

// A spec field may also come from a bundle's config.json (or `update --resources FILE`):
// it is renamed only when one of its flags was given. An API option (vcrun/runtime.hpp's
// structs) has no other source than its flag.
enum class Source { spec, option };
// "field[2]": a flag given once per entry keeps the index (`--cap[1]`, as the second
// --cap); a flag holding the whole list in one value (--bind-allow A,B) drops it.
enum class Index { keep, drop };

struct FlagField {
  std::string_view field;
  std::array<std::string_view, 2> flags;  // the first one given names the field; "" ends
  Source source;
  Index index = Index::keep;
};

constexpr FlagField kTable[] = {
    // Resources (run and update; update also takes runc's names for the same fields).
    {"vcrun.cpu.reservation", {"--cpu-reserve"}, Source::spec},
    {"vcrun.cpu.share", {"--cpu-fair-share"}, Source::spec},
    {"linux.resources.cpu.quota", {"--cpus", "--cpu-quota"}, Source::spec},
    {"linux.resources.cpu.period", {"--cpu-period"}, Source::spec},
    {"linux.resources.cpu.shares", {"--cpu-share"}, Source::spec},
    {"linux.resources.cpu.cpus", {"--cpuset", "--cpuset-cpus"}, Source::spec},
    {"linux.resources.cpu.mems", {"--cpuset-mems"}, Source::spec},
    {"linux.resources.memory.limit", {"--memory"}, Source::spec},
    {"linux.resources.memory.reservation", {"--memory-reserve", "--memory-reservation"}, Source::spec},
    {"linux.resources.memory.swap", {"--memory-swap"}, Source::spec},
    {"linux.resources.pids.limit", {"--pids", "--pids-limit"}, Source::spec},
    {"linux.resources.blockIO.weight", {"--io-weight", "--blkio-weight"}, Source::spec},
    // Network (quick mode; the shaping ones and --bind-allow also in update).
    {"vcrun.network.mode", {"--net"}, Source::spec},
    {"vcrun.network.ip", {"--ip"}, Source::spec},
    {"vcrun.network.publish", {"--publish"}, Source::spec, Index::drop},
    {"vcrun.network.bindAllow", {"--bind-allow"}, Source::spec, Index::drop},
    {"vcrun.network.rate", {"--net-rate"}, Source::spec},
    {"vcrun.network.ceil", {"--net-ceil"}, Source::spec},
    {"vcrun.network.share", {"--net-share"}, Source::spec},
    {"vcrun.network.egress", {"--net-egress"}, Source::spec},
    {"vcrun.network.linkRate", {"--net-link-rate"}, Source::spec},
    // A flag's own value, before it is a spec field: each member is one flag's, so a
    // malformed value names the flag typed even where two flags set one field.
    {"ResourceFlags.cpu_reserve", {"--cpu-reserve"}, Source::option},
    {"ResourceFlags.cpu_fair_share", {"--cpu-fair-share"}, Source::option},
    {"ResourceFlags.cpus", {"--cpus"}, Source::option},
    {"ResourceFlags.cpu_quota", {"--cpu-quota"}, Source::option},
    {"ResourceFlags.cpu_period", {"--cpu-period"}, Source::option},
    {"ResourceFlags.cpu_shares", {"--cpu-share"}, Source::option},
    {"ResourceFlags.cpuset", {"--cpuset"}, Source::option},
    {"ResourceFlags.cpuset_cpus", {"--cpuset-cpus"}, Source::option},
    {"ResourceFlags.cpuset_mems", {"--cpuset-mems"}, Source::option},
    {"ResourceFlags.memory", {"--memory"}, Source::option},
    {"ResourceFlags.memory_reserve", {"--memory-reserve"}, Source::option},
    {"ResourceFlags.memory_reservation", {"--memory-reservation"}, Source::option},
    {"ResourceFlags.memory_swap", {"--memory-swap"}, Source::option},
    {"ResourceFlags.pids", {"--pids"}, Source::option},
    {"ResourceFlags.pids_limit", {"--pids-limit"}, Source::option},
    {"ResourceFlags.io_weight", {"--io-weight"}, Source::option},
    {"ResourceFlags.blkio_weight", {"--blkio-weight"}, Source::option},
    {"ResourceFlags.bind_allow", {"--bind-allow"}, Source::option},
    {"ResourceFlags.net_rate", {"--net-rate"}, Source::option},
    {"ResourceFlags.net_ceil", {"--net-ceil"}, Source::option},
    {"ResourceFlags.net_share", {"--net-share"}, Source::option},
    // Options that are no spec field.
    {"Runtime.root", {"--root"}, Source::option},
    {"CreateOptions.console_socket", {"--console-socket"}, Source::option},
    {"CreateOptions.preserve_fds", {"--preserve-fds"}, Source::option},
    {"QuickOptions.volumes", {"-v"}, Source::option},
    {"QuickOptions.env", {"-e"}, Source::option},
    {"ExecOptions.process_file", {"--process"}, Source::option},
    {"ExecOptions.user", {"--user"}, Source::option},
    {"ExecOptions.additional_gids", {"--additional-gids"}, Source::option},
    {"ExecOptions.caps", {"--cap"}, Source::option},
    {"ExecOptions.tty", {"--tty"}, Source::option},
    {"ExecOptions.cgroup", {"--cgroup"}, Source::option},
    {"ExecOptions.detach", {"--detach"}, Source::option},
    {"ExecOptions.ignore_paused", {"--ignore-paused"}, Source::option},
    {"CreateOptions.detach", {"--detach"}, Source::option},
    {"CreateOptions.new_keyring=false", {"--no-new-keyring"}, Source::option},
    {"Runtime.remove.force", {"--force"}, Source::option},
    {"UnifyOptions.index_path", {"--index"}, Source::option},
};

// The entry naming `field` itself or one of its entries ("field[3]"), and what follows it.
const FlagField* entry_of(std::string_view field, std::string_view& rest) {
  for (const auto& e : kTable) {
    if (field.substr(0, e.field.size()) != e.field) continue;
    rest = field.substr(e.field.size());
    if (rest.empty() || rest[0] == '[') return &e;
  }
  return nullptr;
}

// The flag naming `e`'s spec field in the reason of an error the command line caused: the
// one given, or (quick mode, where no bundle gives fields) its first; "" to keep the path.
std::string_view flag_for(const FlagField& e, const FlagGiven& given) {
  for (std::string_view f : e.flags)
    if (!f.empty() && given(f)) return f;
  return given("--bundle") ? std::string_view() : e.flags[0];
}

// Whether `text` holds the whole name `name` at `at`: not part of a longer name on
// either side ("XRuntime.root", "vcrun.network.rateX").
bool whole_name_at(const std::string& text, size_t at, std::string_view name) {
  auto name_char = [&](size_t i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    return std::isalnum(c) || c == '.' || c == '_';
  };
  size_t end = at + name.size();
  return (at == 0 || !name_char(at - 1)) && (end >= text.size() || !name_char(end));
}

// A reason naming other fields ("is below vcrun.network.rate 20mbit", "needs
// vcrun.network.mode bridge") speaks the same vocabulary as its field: flags.
std::string reason_with_flag_names(std::string reason, const FlagGiven& given) {
  for (const auto& e : kTable) {
    if (e.source != Source::spec) continue;
    for (size_t at = reason.find(e.field); at != std::string::npos; at = reason.find(e.field, at + 1)) {
      // Whole names only: "vcrun.network.rate" is not the start of "vcrun.network.rateX".
      if (!whole_name_at(reason, at, e.field)) continue;
      std::string_view flag = flag_for(e, given);
      if (!flag.empty()) reason.replace(at, e.field.size(), flag);
    }
  }
  return reason;
}

}  // namespace

std::string options_as_flags(std::string text) {
  for (const auto& e : kTable) {
    if (e.source != Source::option) continue;
    for (size_t at = text.find(e.field); at != std::string::npos; at = text.find(e.field, at + 1))
      if (whole_name_at(text, at, e.field)) text.replace(at, e.field.size(), e.flags[0]);
  }
  return text;
}

SpecError with_flag_names(const SpecError& e_in, const FlagGiven& given) {
  // Options named in the reason are always the CLI's flags: they have no other source.
  const SpecError e(e_in.field(), e_in.value(), options_as_flags(e_in.reason()), e_in.code());
  std::string_view rest;
  const FlagField* entry = entry_of(e.field(), rest);
  if (entry == nullptr) return e;
  std::string_view flag;
  for (std::string_view f : entry->flags)
    if (!f.empty() && given(f)) {
      flag = f;
      break;
    }
  if (flag.empty()) {
    if (entry->source == Source::spec) return e;
    flag = entry->flags[0];
  }
  if (entry->index == Index::drop && !rest.empty()) {
    auto close = rest.find(']');
    rest = close == std::string_view::npos ? std::string_view() : rest.substr(close + 1);
  }
  return SpecError(std::string(flag) + std::string(rest), e.value(), reason_with_flag_names(e.reason(), given),
                   e.code());
}

}  // namespace vcrun::cli
