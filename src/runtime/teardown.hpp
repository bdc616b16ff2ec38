// Undoing a container: its init, what its teardown record lists, and its state directory.
#pragma once

#include <functional>

#include "runtime/state/state.hpp"

namespace vcrun {

// Kills what is left of the container, undoes the entries of st.teardown that pass
// state::checked_teardown (plus what the id and root derive) in reverse order
// and removes the state directory. Idempotent: what is gone already is skipped. An entry
// that cannot be undone is reported (a warning naming it) and the rest still goes; the
// first such error is rethrown at the end, once the state directory is removed.
// `poststop` (the poststop hooks) runs once the container's processes are gone and before
// the hooks cgroup goes, so that what those hooks leave running goes too.
void tear_down(const state::Store& store, const state::ContainerState& st,
               const std::function<void()>& poststop = {});

}  // namespace vcrun
