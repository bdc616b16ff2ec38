// The CLI's one table from the fields the library names in its errors to vcrun's flags.
#pragma once

#include <functional>
#include <string_view>

#include "vcrun/error.hpp"

namespace vcrun::cli {

// Whether the user typed the flag `name` ("--cpus", "-v") on this command line.
using FlagGiven = std::function<bool(std::string_view name)>;

// `e` as the user should read it: a field the user set with a flag is named by that flag
// ("linux.resources.pids.limit" -> "--pids" or "--pids-limit", whichever was given); a
// field of a bundle's config.json (no flag of it given) keeps its path. The reason, the
// value and the errno are kept, so the message is the library's with the name replaced.
SpecError with_flag_names(const SpecError& e, const FlagGiven& given);

// `text` (any error's message) with the options it names (`ExecOptions.ignore_paused`,
// `<Struct>.<member>` of vcrun/runtime.hpp) named by their flags.
std::string options_as_flags(std::string text);

}  // namespace vcrun::cli
