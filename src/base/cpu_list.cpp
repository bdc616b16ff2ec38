// Parsing "0-3,8,10-11" lists, strictly (specs, flags) or leniently (kernel files).
#include "base/cpu_list.hpp"

namespace vcrun::cpu_list {

namespace {

constexpr size_t kMaxDigits = 7;

// A number of 1..kMaxDigits digits, the whole of `s`.
std::optional<unsigned> number(std::string_view s) {
  if (s.empty() || s.size() > kMaxDigits) return std::nullopt;
  unsigned n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<unsigned>(c - '0');
  }
  return n;
}

// "N" or "N-M" with N <= M.
std::optional<Range> item(std::string_view s) {
  size_t dash = s.find('-');
  auto first = number(s.substr(0, dash));
  if (!first) return std::nullopt;
  if (dash == std::string_view::npos) return Range{*first, *first};
  auto last = number(s.substr(dash + 1));
  if (!last || *last < *first) return std::nullopt;
  return Range{*first, *last};
}

std::string_view trim(std::string_view s) {
  const char* space = " \t\n";
  size_t b = s.find_first_not_of(space);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(space) - b + 1);
}

// Calls f(item text) for each comma-separated item of `text` (none for "").
template <typename F>
void for_each_item(std::string_view text, F f) {
  if (text.empty()) return;
  for (;;) {
    size_t comma = text.find(',');
    f(text.substr(0, comma));
    if (comma == std::string_view::npos) return;
    text.remove_prefix(comma + 1);
  }
}

}  // namespace

std::optional<std::vector<Range>> parse(std::string_view text) {
  std::vector<Range> out;
  bool ok = true;
  for_each_item(text, [&](std::string_view s) {
    if (!ok) return;
    if (auto r = item(s))
      out.push_back(*r);
    else
      ok = false;
  });
  if (!ok) return std::nullopt;
  return out;
}

std::vector<Range> parse_lenient(std::string_view text) {
  std::vector<Range> out;
  for_each_item(trim(text), [&](std::string_view s) {
    if (auto r = item(trim(s))) out.push_back(*r);
  });
  return out;
}

unsigned count(const std::vector<Range>& ranges) {
  unsigned n = 0;
  for (const Range& r : ranges) n += r.last - r.first + 1;
  return n;
}

}  // namespace vcrun::cpu_list
