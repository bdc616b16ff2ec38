// protect_self_exe: keeps container processes from reaching the vcrun binary (and any other
// host object) through /proc/<pid>/{exe,fd,map_files,mem} of a vcrun process that runs in
// the container's namespaces (the init before execve, `vcrun exec`): CVE-2019-5736 class.
#pragma once

namespace vcrun::security {

// Marks the process non-dumpable (PR_SET_DUMPABLE 0) until execve; called by every vcrun
// process that enters a container's namespaces. Why that suffices: docs/architecture.md.
void protect_self_exe();

}  // namespace vcrun::security
