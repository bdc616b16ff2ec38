// Undoing a container: its init, what its teardown record lists and its state directory;
// or, when its record cannot be read, what its id and config say it would have made.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "runtime/teardown/record.hpp"

namespace vcrun::teardown {

// A container as delete finds it. The state store fills it in (state::delete_subject,
// state::unreadable_subject in runtime/state/record_check.hpp): the store holds the record,
// so it sits below this room, and this room reads no store.
struct Subject {
  std::string id;
  std::string holder;  // its cgroup name, which its leases and HTB classes name
  pid_t pid = 0;       // its init; 0: none was started, or the record is unreadable
  Record made;         // the record, checked against what the id and root give
  std::function<bool()> init_alive;  // whether `pid` is still the init: read only when it matters
  std::function<void()> remove_state;  // removes the state directory
  // No record (undo_unreadable): linux.cgroupsPath of the stored config.json, "" when none.
  std::string cgroups_path;
};

// Kills what is left of the container, undoes the entries of s.made in reverse order and
// removes the state directory. Idempotent: what is gone already is skipped. An entry that
// cannot be undone is reported (a warning naming it) and the rest still goes; the first such
// error is rethrown at the end, once the state directory is removed. `poststop` (the
// poststop hooks) runs once the container's processes are gone and before the hooks cgroup
// goes, so that what those hooks leave running goes too.
void undo(const Subject& s, const std::function<void()>& poststop = {});

// `delete --force` of a container whose state.json cannot be read (truncated, corrupt): what
// it left is found from what else is on disk instead of being orphaned. Kills every process
// in the cgroup the container would have had (config.json's linux.cgroupsPath, else vcrun's
// default parent plus id) and removes that cgroup when it is vcrun's default one; a
// linux.cgroupsPath cgroup is emptied and kept, as vcrun cannot tell whether it made it.
// Then the hooks cgroup, the HTB classes and leases the holder has (their ledgers name it),
// and the state directory. Throws (leaving the state directory) when the processes cannot
// be killed.
void undo_unreadable(const Subject& s, const std::string& why);

}  // namespace vcrun::teardown
