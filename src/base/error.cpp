// Construction of system errors with their strerror text; error messages as one line.
#include "vcrun/error.hpp"

#include <cstdio>
#include <cstring>

namespace vcrun {

void throw_errno(const std::string& what) { throw_errno(what, errno); }

void throw_errno(const std::string& what, int err) {
  throw Error(what + ": " + std::strerror(err), err);
}

std::string message_line(const std::string& text) {
  constexpr size_t kLimit = 1000;
  std::string out;
  for (char c : text) {
    if (out.size() >= kLimit) {
      out += "... (message cut, ";
      out += std::to_string(text.size());
      out += " bytes)";
      break;
    }
    auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace vcrun
