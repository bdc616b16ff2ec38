// Text for error messages: echoed input, quoted and cut short; field names with an index.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vcrun {

// Echoed input longer than this is cut to it (a 1 MB path would otherwise be the message).
inline constexpr size_t kEchoLimit = 200;

// "s" in double quotes; input longer than kEchoLimit bytes keeps its first kEchoLimit
// bytes and says how long it was: "abc..." (1048576 bytes).
std::string quoted(std::string_view s);

// `s` with every byte that is not part of valid UTF-8, and every control character,
// written as \xNN: text read from a damaged file (a state.json of random bytes, echoed by
// a JSON parser's error) stays printable and encodable in a JSON log line.
std::string printable(std::string_view s);

// "field[i]", the JSON path of an array element.
std::string indexed(std::string_view field, size_t i);

}  // namespace vcrun
