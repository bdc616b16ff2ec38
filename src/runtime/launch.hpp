// Launching a container's init: everything `create` and `run` share, from the state
// directory to an init that has built the root and waits to exec.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "base/fd.hpp"
#include "net/policy/bridge.hpp"
#include "runtime/state/state.hpp"
#include "vcrun/runtime.hpp"
#include "vcrun/spec.hpp"

namespace vcrun {

struct Launched {
  state::ContainerState state;
  UniqueFd sync;  // parent's end of the sync channel
  UniqueFd console;  // pty master of a foreground process.terminal run
};

// Creates the state dir, cgroup and init; returns once the init reported "ready".
// `use_fifo`: the init waits on exec.fifo (create/start); otherwise on kStart (run).
// With process.terminal the pty master goes to opts.console_socket when given, else it
// is returned in Launched::console (foreground run only).
// On failure everything created so far is removed again and the error is rethrown.
// `before_clone` runs right before the init is cloned (run blocks its signals there).
Launched launch(const state::Store& store, const std::string& id, const std::string& config_json,
                const ContainerSpec& spec, const CreateOptions& opts, bool use_fifo,
                const std::function<void()>& before_clone = {});

std::string now_rfc3339();

// Bridge mode's request for the container whose cgroup name is `holder`: the spec's typed
// values as they are, parsed once where they entered the spec (a unit test counts).
net::BridgeRequest bridge_request(const NetworkSpec& n, const std::string& holder);

}  // namespace vcrun
