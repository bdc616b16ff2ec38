// Text for error messages (base/text.hpp).
#include "base/text.hpp"

namespace vcrun {

// Built by appending: `"\"" + std::string&&` trips GCC 12's false -Wrestrict at -O3 (GCC
// bug 105329).
std::string quoted(std::string_view s) {
  std::string q = "\"";
  if (s.size() <= kEchoLimit) {
    q += s;
    q += '"';
    return q;
  }
  q += s.substr(0, kEchoLimit);
  q += "...\" (";
  q += std::to_string(s.size());
  q += " bytes)";
  return q;
}

namespace {

// Length of the valid UTF-8 sequence at the start of `s` (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF); 0 when it does not start with one.
size_t utf8_sequence(std::string_view s) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c = b(0);
  if (c < 0x80) return 1;
  size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (n == 0 || s.size() < n) return 0;
  for (size_t i = 1; i < n; ++i)
    if ((b(i) & 0xc0) != 0x80) return 0;
  if (c == 0xe0 && b(1) < 0xa0) return 0;   // overlong
  if (c == 0xed && b(1) > 0x9f) return 0;   // surrogate
  if (c == 0xf0 && b(1) < 0x90) return 0;   // overlong
  if (c == 0xf4 && b(1) > 0x8f) return 0;   // above U+10FFFF
  return n;
}

}  // namespace

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  while (!s.empty()) {
    size_t n = utf8_sequence(s);
    auto c = static_cast<unsigned char>(s[0]);
    if (n == 0 || (n == 1 && (c < 0x20 || c == 0x7f))) {
      static const char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
      n = 1;
    } else {
      out += s.substr(0, n);
    }
    s.remove_prefix(n);
  }
  return out;
}

std::string indexed(std::string_view field, size_t i) {
  std::string out(field);
  out += '[';
  out += std::to_string(i);
  out += ']';
  return out;
}

}  // namespace vcrun
