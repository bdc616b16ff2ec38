// Giving back what a process that will sleep for long holds resident without need.
#pragma once

namespace vcrun {

// Returns the free heap to the kernel and drops the mappings of the read-only file-backed
// segments (code, constants) of the executable and its shared libraries from this
// process's page tables. Nothing is lost: those pages stay in the page cache for the other
// processes that map them, and a page touched again is mapped back by a minor fault.
// Writable segments (data, RELRO, bss) and the stack are left alone.
void release_idle_memory();

}  // namespace vcrun
