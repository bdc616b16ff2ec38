// libFuzzer target: config.json text -> vcrun::parse_spec -> vcrun::validate_spec.
//
// A vcrun::Error (SpecError, ...) is the expected answer to a bad config. Everything else
// is a finding: a crash or sanitizer report (libFuzzer and ASan/UBSan report those), or an
// exception of another type escaping the parser (a raw nlohmann or std exception), which
// is reported here and aborts. With VCRUN_FUZZ_STRICT_MESSAGES=1 in the environment an
// error message must also be one line (no '\n') and shorter than kMaxMessage bytes: vcrun
// prints it as a single log line.
#include <sys/stat.h>

#include <cerrno>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <typeinfo>

#include "vcrun/error.hpp"
#include "vcrun/spec.hpp"

namespace {

constexpr size_t kMaxMessage = 4096;

std::string& bundle_dir() {
  static std::string dir;
  return dir;
}

bool strict_messages() {
  static const bool strict = [] {
    const char* env = std::getenv("VCRUN_FUZZ_STRICT_MESSAGES");
    return env && std::strcmp(env, "1") == 0;
  }();
  return strict;
}

[[noreturn]] void finding(const char* kind, const std::string& detail) {
  std::fprintf(stderr, "\n==vcrun-fuzz== FINDING: %s\n==vcrun-fuzz== %s\n", kind, detail.c_str());
  std::fflush(stderr);
  std::abort();  // libFuzzer saves the input as a crash-* artifact
}

void check_message(const char* what) {
  if (!strict_messages()) return;
  size_t len = std::strlen(what);
  if (std::memchr(what, '\n', len))
    finding("vcrun::Error message spans lines",
            "message (" + std::to_string(len) + " bytes): " + std::string(what, std::min(len, kMaxMessage)));
  if (len >= kMaxMessage)
    finding("vcrun::Error message too long",
            std::to_string(len) + " bytes, begins: " + std::string(what, 300));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // A fixed, empty bundle directory that relative paths resolve against. One path for
  // every run (parallel jobs share it): a finding aborts, so a per-run one would be left.
  bundle_dir() = "/tmp/vcrun-config-fuzzer-bundle";
  if (::mkdir(bundle_dir().c_str(), 0755) != 0 && errno != EEXIST) {
    std::perror(bundle_dir().c_str());
    std::exit(2);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    vcrun::ContainerSpec spec = vcrun::parse_spec(text, bundle_dir());
    vcrun::validate_spec(spec);  // parse_spec validates too; a second pass must agree
  } catch (const vcrun::Error& e) {
    check_message(e.what());
  } catch (const std::exception& e) {
    finding("an exception that is not a vcrun::Error escaped",
            std::string("type ") + typeid(e).name() + ": " + e.what());
  } catch (...) {
    finding("an exception that is not a std::exception escaped", "(unknown type)");
  }
  return 0;
}
