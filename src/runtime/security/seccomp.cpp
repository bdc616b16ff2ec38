// SeccompProgram: compiles an OCI linux.seccomp section with libseccomp into raw BPF and
// loads it with the bare seccomp(2) syscall in the container's init.
#include "base/text.hpp"
#include "runtime/security/seccomp.hpp"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

#include "base/fd.hpp"
#include "runtime/security/seccomp_enosys.hpp"
#include "vcrun/error.hpp"

namespace vcrun::security {

namespace {

struct FilterDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Filter = std::unique_ptr<void, FilterDeleter>;

// ERRNO and TRACE carry a 16-bit value; the kernel returns -value to the caller.
uint32_t to_scmp_action(SeccompAction a, std::optional<uint32_t> ret, const std::string& field) {
  if (ret && *ret > 0xffff)
    throw SpecError(field, "errnoRet " + std::to_string(*ret) + " does not fit in 16 bits");
  switch (a) {
    case SeccompAction::kill_thread: return SCMP_ACT_KILL_THREAD;
    case SeccompAction::kill_process: return SCMP_ACT_KILL_PROCESS;
    case SeccompAction::trap: return SCMP_ACT_TRAP;
    case SeccompAction::errno_ret: return SCMP_ACT_ERRNO(ret.value_or(EPERM));
    case SeccompAction::trace: return SCMP_ACT_TRACE(ret.value_or(EPERM));
    case SeccompAction::allow: return SCMP_ACT_ALLOW;
    case SeccompAction::log: return SCMP_ACT_LOG;
    // The listener fd goes to the seccomp agent at linux.seccomp.listenerPath
    // (seccomp_listener.hpp), which answers for the container's whole life.
    case SeccompAction::notify: return SCMP_ACT_NOTIFY;
  }
  throw SpecError(field, "unknown seccomp action");
}

scmp_compare to_scmp_op(SeccompOp op) {
  switch (op) {
    case SeccompOp::ne: return SCMP_CMP_NE;
    case SeccompOp::lt: return SCMP_CMP_LT;
    case SeccompOp::le: return SCMP_CMP_LE;
    case SeccompOp::eq: return SCMP_CMP_EQ;
    case SeccompOp::ge: return SCMP_CMP_GE;
    case SeccompOp::gt: return SCMP_CMP_GT;
    case SeccompOp::masked_eq: return SCMP_CMP_MASKED_EQ;
  }
  return SCMP_CMP_EQ;
}

// "SCMP_ARCH_X86_64" -> libseccomp's token ("x86_64"), which it resolves.
uint32_t resolve_arch(const std::string& name, const std::string& field) {
  static const std::string prefix = "SCMP_ARCH_";
  uint32_t token = 0;
  if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0) {
    std::string lower = name.substr(prefix.size());
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    token = seccomp_arch_resolve_name(lower.c_str());
  }
  if (token == 0) throw SpecError(field, "unknown architecture " + quoted(name));
  return token;
}

constexpr std::pair<const char*, unsigned> kFlags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    // Only meaningful with a notify listener: applied when the filter has one (the kernel
    // refuses it without), ignored otherwise.
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

unsigned resolve_flag(const std::string& name, const std::string& field) {
  for (const auto& [flag, value] : kFlags)
    if (name == flag) return value;
  throw SpecError(field, "unknown seccomp flag " + quoted(name));
}

// Syscall names are lower-case identifiers; anything else is a typo or an injection, not
// a syscall some other architecture might know.
bool well_formed(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::islower(c) || std::isdigit(c) || c == '_';
  });
}

std::vector<scmp_arg_cmp> conditions(const SeccompRule& rule, const std::string& field) {
  std::vector<scmp_arg_cmp> out;
  for (size_t k = 0; k < rule.args.size(); ++k) {
    const SeccompArg& a = rule.args[k];
    if (a.index > 5) throw SpecError(indexed(field + ".args", k) + ".index", "must be between 0 and 5");
    // OCI's masked_eq: value is the mask, valueTwo the datum; libseccomp wants
    // (arg & datum_a) == datum_b, so the order carries over unchanged.
    out.push_back(scmp_arg_cmp{a.index, to_scmp_op(a.op), a.value, a.value_two});
  }
  return out;
}

bool repeats_an_index(const std::vector<scmp_arg_cmp>& conds) {
  for (size_t i = 0; i < conds.size(); ++i)
    for (size_t j = i + 1; j < conds.size(); ++j)
      if (conds[i].arg == conds[j].arg) return true;
  return false;
}

void add_rule(scmp_filter_ctx ctx, uint32_t action, int nr, const std::vector<scmp_arg_cmp>& conds,
              const std::string& field, const std::string& name) {
  auto add = [&](const scmp_arg_cmp* c, unsigned n) {
    int rc = seccomp_rule_add_array(ctx, action, nr, n, c);
    if (rc < 0)
      throw Error(field + ": cannot add a rule for syscall " + quoted(name) + ": " +
                      std::strerror(-rc),
                  -rc);
  };
  // libseccomp refuses two comparisons on one argument in a rule (EINVAL). Like runc, such
  // a rule means "any of these": one rule per condition.
  if (repeats_an_index(conds)) {
    for (const auto& c : conds) add(&c, 1);
  } else {
    add(conds.data(), static_cast<unsigned>(conds.size()));
  }
}

std::vector<sock_filter> export_bpf(scmp_filter_ctx ctx) {
  UniqueFd mem(static_cast<int>(::syscall(SYS_memfd_create, "vcrun-seccomp", MFD_CLOEXEC)));
  if (!mem) throw_errno("seccomp: memfd_create");
  int rc = seccomp_export_bpf(ctx, mem.get());
  if (rc < 0) throw Error(std::string("seccomp: exporting the filter: ") + std::strerror(-rc), -rc);
  struct stat st{};
  if (::fstat(mem.get(), &st) != 0) throw_errno("seccomp: fstat");
  if (st.st_size <= 0 || st.st_size % sizeof(sock_filter) != 0)
    throw Error("seccomp: exported filter has a bad size " + std::to_string(st.st_size));
  std::vector<sock_filter> code(st.st_size / sizeof(sock_filter));
  size_t done = 0, want = st.st_size;
  while (done < want) {
    ssize_t n = ::pread(mem.get(), reinterpret_cast<char*>(code.data()) + done, want - done, done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw_errno("seccomp: reading the exported filter");
    done += n;
  }
  return code;
}

// runc's rule for its ENOSYS stub: only a filter that refuses what it does not name, and
// whose refusal is not ENOSYS already, gets one; the last number is taken over every name
// the profile gives, whatever its rule's action, on each architecture of the filter.
// `native_last`: the native one, which compile() found while it resolved the names.
std::vector<LastSyscall> last_syscalls(const Seccomp& profile, const std::vector<uint32_t>& arches,
                                       int native_last) {
  if (profile.default_action == SeccompAction::allow || profile.default_action == SeccompAction::log)
    return {};
  if (profile.default_action == SeccompAction::errno_ret && profile.default_errno_ret == ENOSYS) return {};
  std::vector<LastSyscall> out;
  for (uint32_t arch : arches) {
    if (std::any_of(out.begin(), out.end(), [&](const LastSyscall& l) { return l.audit_arch == arch; })) continue;
    int last = arch == arches.front() ? native_last : -1;
    if (arch != arches.front())
      for (const auto& rule : profile.syscalls)
        for (const auto& name : rule.names)
          if (well_formed(name)) last = std::max(last, seccomp_syscall_resolve_name_arch(arch, name.c_str()));
    if (last >= 0) out.push_back({arch, static_cast<uint32_t>(last)});
  }
  return out;
}

}  // namespace

const char* action_name(SeccompAction a) {
  switch (a) {
    case SeccompAction::kill_thread: return "SCMP_ACT_KILL_THREAD";
    case SeccompAction::kill_process: return "SCMP_ACT_KILL_PROCESS";
    case SeccompAction::trap: return "SCMP_ACT_TRAP";
    case SeccompAction::errno_ret: return "SCMP_ACT_ERRNO";
    case SeccompAction::trace: return "SCMP_ACT_TRACE";
    case SeccompAction::allow: return "SCMP_ACT_ALLOW";
    case SeccompAction::log: return "SCMP_ACT_LOG";
    case SeccompAction::notify: return "SCMP_ACT_NOTIFY";
  }
  return "?";
}

SeccompProgram SeccompProgram::compile(const Seccomp& profile) {
  const uint32_t default_action =
      to_scmp_action(profile.default_action, profile.default_errno_ret, "linux.seccomp.defaultAction");
  Filter filter(seccomp_init(default_action));
  if (!filter) throw Error("linux.seccomp: libseccomp cannot create a filter");
  scmp_filter_ctx ctx = filter.get();
  // A binary tree of syscall numbers: a deny list of ~60 names then costs ~7 comparisons
  // per syscall instead of ~60 (the profile must stay within a few % of native).
  if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0)
    spdlog::debug("seccomp: libseccomp has no binary-tree optimisation, using a linear filter");

  SeccompProgram program;
  for (size_t i = 0; i < profile.flags.size(); ++i)
    program.flags_ |= resolve_flag(profile.flags[i], indexed("linux.seccomp.flags", i));

  std::vector<uint32_t> arches = {seccomp_arch_native()};
  for (size_t i = 0; i < profile.architectures.size(); ++i) {
    std::string field = indexed("linux.seccomp.architectures", i);
    arches.push_back(resolve_arch(profile.architectures[i], field));
    int rc = seccomp_arch_add(ctx, arches.back());
    if (rc < 0 && rc != -EEXIST)  // the native arch is always present
      throw Error(field + ": " + std::strerror(-rc), -rc);
  }

  // Names this kernel or libseccomp does not know are skipped (a profile may be written
  // for newer kernels); the first few are named, the rest counted.
  constexpr size_t kUnknownWarnings = 10;
  size_t unknown = 0;
  int native_last = -1;  // the highest syscall number the profile names, natively
  for (size_t i = 0; i < profile.syscalls.size(); ++i) {
    const SeccompRule& rule = profile.syscalls[i];
    std::string field = indexed("linux.seccomp.syscalls", i);
    uint32_t action = to_scmp_action(rule.action, rule.errno_ret, field + ".action");
    std::vector<scmp_arg_cmp> conds = conditions(rule, field);
    if (rule.names.empty()) throw SpecError(field + ".names", "must be a non-empty array");
    // A name repeated in one rule is added once: libseccomp merges each add into the
    // syscall's existing rules, so repeats made compiling quadratic in the list's length.
    std::unordered_set<std::string_view> seen;
    for (size_t j = 0; j < rule.names.size(); ++j) {
      const std::string& name = rule.names[j];
      if (!seen.insert(name).second) continue;
      std::string name_field = indexed(field + ".names", j);
      if (!well_formed(name))
        throw SpecError(name_field, "malformed syscall name " + quoted(name));
      int nr = seccomp_syscall_resolve_name(name.c_str());
      native_last = std::max(native_last, nr);
      if (nr == __NR_SCMP_ERROR) {
        if (++unknown <= kUnknownWarnings)
          spdlog::warn("{}: unknown syscall {} skipped", name_field, quoted(name));
        continue;
      }
      // A rule whose action is the default action changes nothing and libseccomp
      // rejects it (EACCES); profiles written for several runtimes contain such rules.
      if (action == default_action) continue;
      add_rule(ctx, action, nr, conds, name_field, name);
      if (rule.action == SeccompAction::notify) program.listener_ = true;
    }
  }
  program.skipped_ = unknown;
  if (unknown > kUnknownWarnings)
    spdlog::warn("linux.seccomp.syscalls: {} more unknown syscalls skipped", unknown - kUnknownWarnings);
  program.code_ = enosys_prologue(last_syscalls(profile, arches, native_last));
  std::vector<sock_filter> filter_code = export_bpf(ctx);
  program.code_.insert(program.code_.end(), filter_code.begin(), filter_code.end());
  if (program.code_.size() > BPF_MAXINSNS)
    throw Error("linux.seccomp: the filter has " + std::to_string(program.code_.size()) +
                " instructions, more than the kernel's limit of " + std::to_string(BPF_MAXINSNS));
  spdlog::debug("seccomp: compiled {} BPF instructions, flags {:#x}", program.code_.size(),
                program.flags());
  return program;
}

SeccompProgram SeccompProgram::from_compiled(std::vector<sock_filter> code, unsigned flags, bool listener) {
  SeccompProgram p;
  p.code_ = std::move(code);
  p.flags_ = flags;
  p.listener_ = listener;
  return p;
}

unsigned SeccompProgram::flags() const {
  if (!listener_) return flags_ & ~static_cast<unsigned>(SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
  unsigned f = flags_ | SECCOMP_FILTER_FLAG_NEW_LISTENER;
  // The kernel returns either the listener fd or a thread id: with both, a thread that
  // cannot be synchronised must read as ESRCH instead.
  if (f & SECCOMP_FILTER_FLAG_TSYNC) f |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  return f;
}

UniqueFd SeccompProgram::load() const {
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(code_.size());
  prog.filter = const_cast<sock_filter*>(code_.data());
  const unsigned flags = this->flags();
  long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (listener_ && rc >= 0) return UniqueFd(static_cast<int>(rc));  // close-on-exec
  if (rc == 0) return UniqueFd();
  int err = errno;
  if (rc > 0)  // TSYNC: the id of a thread that could not be synchronised
    throw Error("seccomp: thread " + std::to_string(rc) + " cannot take the filter (TSYNC)", EBUSY);
  if (err == EACCES)
    throw Error(
        "seccomp: loading the filter needs no_new_privs or CAP_SYS_ADMIN (set "
        "process.noNewPrivileges, or load the filter before capabilities are dropped)",
        err);
  if (err == ESRCH && (flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH))
    throw Error("seccomp: a thread cannot take the filter (TSYNC)", err);
  if (err == EINVAL && flags != 0)
    throw Error("seccomp: the kernel rejected the filter flags " + std::to_string(flags), err);
  throw_errno("seccomp: loading the filter", err);
}

bool known_seccomp_flag(const std::string& name) {
  return std::any_of(std::begin(kFlags), std::end(kFlags),
                     [&](const auto& entry) { return name == entry.first; });
}

SeccompFeatures seccomp_features() {
  SeccompFeatures f;
  for (const auto& [flag, value] : kFlags) {
    f.known_flags.emplace_back(flag);
    // WAIT_KILLABLE_RECV exists only with a listener (EINVAL alone).
    unsigned probe = value;
    if (value & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) probe |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, probe, nullptr) != 0 && errno == EFAULT)
      f.supported_flags.emplace_back(flag);
  }
  for (const char* arch : {"x86", "x86_64", "x32", "arm", "aarch64", "loongarch64", "m68k",
                           "mips", "mips64", "mips64n32", "mipsel", "mipsel64", "mipsel64n32",
                           "ppc", "ppc64", "ppc64le", "riscv64", "s390", "s390x", "parisc",
                           "parisc64", "sh", "sheb"}) {
    // Only those a filter of this machine can hold (libseccomp refuses to mix endianness).
    uint32_t token = seccomp_arch_resolve_name(arch);
    Filter ctx(seccomp_init(SCMP_ACT_ALLOW));
    if (token == 0 || !ctx) continue;
    int rc = seccomp_arch_add(ctx.get(), token);
    if (rc < 0 && rc != -EEXIST) continue;
    std::string name = std::string("SCMP_ARCH_") + arch;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    f.archs.push_back(name);
  }
  return f;
}

}  // namespace vcrun::security
