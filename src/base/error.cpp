// Construction of system errors with their strerror text.
#include "vcrun/error.hpp"

#include <cstring>

namespace vcrun {

void throw_errno(const std::string& what) { throw_errno(what, errno); }

void throw_errno(const std::string& what, int err) {
  throw Error(what + ": " + std::strerror(err), err);
}

}  // namespace vcrun
