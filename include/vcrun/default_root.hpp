// The state root when none is given (`--root`): its own header, so that the state store
// shares the API's constant without including the whole API.
#pragma once

namespace vcrun {

// Containers of this root keep the cgroup name `vcrun/<id>`; those of any other root get
// `vcrun/<id>@<root tag>` (state::Store::cgroup_name).
inline constexpr const char* kDefaultRoot = "/run/vcrun";

}  // namespace vcrun
