// Unit tests: bounded input. An over-long device rule list and an over-long root.path are
// refused by the spec parser in one short line; damaged text is made printable.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "base/text.hpp"
#include "cgroup/device_bpf.hpp"
#include "spec_error_of.hpp"

using namespace vcrun;
using nlohmann::json;

namespace {

json base() { return test::minimal_spec(); }

std::string with_rules(size_t n) {
  json rules = json::array();
  for (size_t i = 0; i < n; ++i)
    rules.push_back({{"allow", i % 2 == 0}, {"type", "c"}, {"major", 10}, {"minor", i}, {"access", "rw"}});
  return json{{"linux", {{"resources", {{"devices", rules}}}}}}.dump();
}

}  // namespace

TEST_CASE("linux.resources.devices holds at most kMaxDeviceRules rules", "[unit]") {
  const size_t cap = cgroup::kMaxDeviceRules;
  CHECK(test::spec_error_of(base(), with_rules(cap)) == "<accepted>");
  CHECK(test::spec_error_of(base(), with_rules(cap + 1)) ==
        "linux.resources.devices: has " + std::to_string(cap + 1) + " rules, more than " + std::to_string(cap) +
            " (each is verified by the kernel as part of one BPF program)");
  CHECK(test::spec_error_of(base(), with_rules(1000)).rfind("linux.resources.devices: has 1000 rules", 0) == 0);
}

TEST_CASE("a root.path longer than a path can be is refused, cut", "[unit]") {
  std::string huge = "/" + std::string(1 << 20, 'a');
  auto err = test::spec_error_of(base(), json{{"root", {{"path", huge}}}}.dump());
  CHECK(err.rfind("root.path: is 1048577 bytes long, more than a path can be (4095), starting \"/aaa", 0) == 0);
  CHECK(err.size() < 200);
  std::string fits = "/" + std::string(4094, 'a');  // 4095 bytes: the kernel's limit
  CHECK(test::spec_error_of(base(), json{{"root", {{"path", fits}}}}.dump()) == "<accepted>");
  CHECK(test::spec_error_of(base(), json{{"root", {{"path", fits + "a"}}}}.dump()).rfind("root.path: is 4096", 0) == 0);
}

TEST_CASE("printable keeps valid UTF-8 and escapes everything else", "[unit]") {
  CHECK(printable("plain /path") == "plain /path");
  CHECK(printable("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  CHECK(printable("last read: '\xff'") == "last read: '\\xff'");
  CHECK(printable("\xc3") == "\\xc3");                       // truncated sequence
  CHECK(printable("\xc0\xaf") == "\\xc0\\xaf");              // overlong '/'
  CHECK(printable("\xed\xa0\x80") == "\\xed\\xa0\\x80");     // surrogate
  CHECK(printable("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
  CHECK(printable(std::string("a\nb\x01\x7f", 5)) == "a\\x0ab\\x01\\x7f");
  CHECK(printable(std::string("\0", 1)) == "\\x00");
  // Whatever the bytes, the result is valid UTF-8: a JSON dump of it never throws.
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  CHECK_NOTHROW(json(printable(all + all)).dump());
}
