// The flags `create` and `run` share about what the container process inherits.
#pragma once

#include <CLI/CLI.hpp>

#include "vcrun/runtime.hpp"

namespace vcrun::cli {

inline void add_inheritance_options(CLI::App& cmd, CreateOptions& opts) {
  cmd.add_option("--preserve-fds", opts.preserve_fds,
                 "pass the caller's fds 3 .. N+2 to the container process");
  cmd.add_flag_callback("--no-new-keyring", [&opts] { opts.new_keyring = false; },
                        "keep the caller's session keyring instead of a new empty one");
  cmd.add_flag("--no-pivot", opts.no_pivot,
               "move the root onto / and chroot instead of pivot_root (roots on an initramfs; weaker)");
}

}  // namespace vcrun::cli
