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

std::string indexed(std::string_view field, size_t i) {
  std::string out(field);
  out += '[';
  out += std::to_string(i);
  out += ']';
  return out;
}

}  // namespace vcrun
