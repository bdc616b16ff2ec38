// cgroup v2's flat keyed files (cgroup/flat_keyed.hpp).
#include "cgroup/flat_keyed.hpp"

#include <algorithm>
#include <charconv>

namespace vcrun::cgroup {

namespace {

// Takes the first line off `text` and splits it at its first space: {key, value}.
std::pair<std::string_view, std::string_view> next_pair(std::string_view& text) {
  std::string_view line = text.substr(0, text.find('\n'));
  text.remove_prefix(std::min(text.size(), line.size() + 1));
  size_t space = line.find(' ');
  if (space == std::string_view::npos) return {line, {}};
  return {line.substr(0, space), line.substr(space + 1)};
}

std::optional<uint64_t> number(std::string_view value) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end == value.data()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<std::string_view> flat_key(std::string_view text, std::string_view key) {
  while (!text.empty()) {
    auto [k, v] = next_pair(text);
    if (k == key && v.data() != nullptr) return v;
  }
  return std::nullopt;
}

std::optional<uint64_t> flat_number(std::string_view text, std::string_view key) {
  auto value = flat_key(text, key);
  return value ? number(*value) : std::nullopt;
}

std::map<std::string, uint64_t> parse_flat_keyed(std::string_view text) {
  std::map<std::string, uint64_t> out;
  while (!text.empty()) {
    auto [k, v] = next_pair(text);
    if (auto n = number(v); n && !k.empty()) out[std::string(k)] = *n;
  }
  return out;
}

}  // namespace vcrun::cgroup
