// Checking a teardown record against what the container's id and --root give, before
// delete acts on it (a record is a file on disk, and delete runs as root), and handing
// delete the container as the store vouches for it (teardown::Subject).
#pragma once

#include <string>

#include "runtime/state/state.hpp"
#include "runtime/teardown/undo.hpp"

namespace vcrun::state {

// linux.cgroupsPath of the config.json stored in the container's state directory; "" when
// it has none or cannot be read (a warning says so).
std::string stored_cgroups_path(const Store& store, const std::string& id);

// The entries of st.teardown that name only what the container can own: its cgroup (vcrun's
// <parent>/<cgroup name>, or the cgroup its stored linux.cgroupsPath gives, and not one
// another container of the store holds), that cgroup's made parents, its hooks cgroup
// (vcrun-hooks/<cgroup name>), bridge links in this network namespace's lease directory
// with the veth their address names, and net classes in that same directory. Any other entry is
// dropped with a one-line warning, never acted on. Whatever the record says, the result
// also holds what the id and root derive: vcrun's default cgroup (when the config has no
// linux.cgroupsPath) and the hooks cgroup, so an empty or truncated list still leaves
// nothing behind (undoing what does not exist is a no-op).
teardown::Record checked_teardown(const Store& store, const ContainerState& st);

// The container as delete undoes it (teardown::undo): checked_teardown's record and what
// the id, root and st give. It refers to `store` and `st`, which must outlive it.
teardown::Subject delete_subject(const Store& store, const ContainerState& st);
// A container whose state.json cannot be read, for teardown::undo_unreadable: its id and
// root, and its stored config's linux.cgroupsPath (read when asked). It refers to `store`.
teardown::Subject unreadable_subject(const Store& store, const std::string& id);

}  // namespace vcrun::state
