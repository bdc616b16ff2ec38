// protect_self_exe: keeps container processes from reaching the vcrun binary (and any other
// host object) through /proc/<pid>/{exe,fd,map_files,mem} of a vcrun process that runs in
// the container's namespaces (the init before execve, `vcrun exec`): CVE-2019-5736 class.
#pragma once

namespace vcrun::security {

// Marks the process non-dumpable (PR_SET_DUMPABLE 0). Called by every vcrun process that
// will enter a container's namespaces (the init right after clone, `exec` before setns),
// so programs embedding the library are covered too; it lasts until execve of the
// container program, which gets a fresh mm. Cost: one prctl (< 1 µs), no re-exec, no copy.
//
// Why this holds (measured on kernel 6.18, see tests/security/): /proc/<pid>/exe and
// friends are gated by ptrace_may_access(PTRACE_MODE_READ_FSCREDS). For a non-dumpable
// target that needs CAP_SYS_PTRACE in the target's mm user namespace — the host's — which
// a container never has unless its spec grants CAP_SYS_PTRACE without a user namespace
// (and such a container can ptrace vcrun exec anyway: a sealed memfd would not save it).
// Without it, a vcrun process that has already dropped to the container's capabilities is
// reachable: the runc attack opens /proc/<pid>/exe O_PATH, waits for exit (writes give
// ETXTBSY while the binary runs, still true on 6.18) and reopens it for writing.
void protect_self_exe();

// True when the calling process is non-dumpable (for tests and a startup self-check).
bool self_exe_protected();

}  // namespace vcrun::security
