// --preserve-fds N (runc/crun semantics): the caller's descriptors 3 .. N+2 reach the
// container process, for systemd socket activation and containerd's extra files.
#pragma once

namespace vcrun {

// Refuses N unless every fd in 3 .. N+2 is open and inheritable. An fd vcrun opened itself
// is always close-on-exec, and a gap could later be filled by one: either would hand a
// runtime descriptor to the container (the CVE-2024-21626 class). Call before anything is
// created. Throws SpecError("CreateOptions.preserve_fds", ...).
void check_preserved_fds(unsigned count);

// In the container's init right after clone: closes every descriptor above count+2 that
// is not close-on-exec. Those are the caller's (vcrun's own are all close-on-exec): a
// client's lock or pipe must not stay held by a created-but-not-started container.
void close_inherited_fds(unsigned count);
// In the process about to execve: every fd above count+2 close-on-exec (the checked range
// is inheritable already). Throws on failure.
void close_unpreserved_fds_on_exec(unsigned count);

// In a process that keeps running beside the container process (the built-in init):
// closes 3 .. count+2, so only the container process holds the caller's descriptors. Uses
// only close(2): the caller runs under the container's seccomp filter.
void close_preserved_fds(unsigned count);

}  // namespace vcrun
