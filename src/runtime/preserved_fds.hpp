// --preserve-fds N (runc/crun semantics): the caller's descriptors 3 .. N+2 reach the
// container process, for systemd socket activation and containerd's extra files.
#pragma once

namespace vcrun {

// Refuses N unless every fd in 3 .. N+2 is open and inheritable. An fd vcrun opened itself
// is always close-on-exec, and a gap could later be filled by one: either would hand a
// runtime descriptor to the container (the CVE-2024-21626 class). Call before anything is
// created. Throws SpecError("--preserve-fds", ...).
void check_preserved_fds(unsigned count);

// In the process about to execve: every fd above count+2 close-on-exec (the checked range
// is inheritable already). Throws on failure.
void close_unpreserved_fds_on_exec(unsigned count);

// In a process that keeps running beside the container process (the built-in init):
// closes 3 .. count+2, so only the container process holds the caller's descriptors.
void close_preserved_fds(unsigned count);

}  // namespace vcrun
