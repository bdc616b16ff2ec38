// resolv.conf for bridge containers (resolv_conf.hpp).
#include "runtime/spec/resolv_conf.hpp"

#include <sstream>

#include "base/fs_util.hpp"

namespace vcrun::spec_detail {

namespace {

bool is_loopback(const std::string& addr) { return addr.starts_with("127.") || addr == "::1"; }

}  // namespace

bool usable(const std::string& text) {
  std::istringstream in(text);
  std::string key, addr;
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    if (words >> key >> addr && key == "nameserver" && !is_loopback(addr)) return true;
  }
  return false;
}

std::string bridge_resolv_conf(const std::string& host, const std::string& upstream) {
  for (const std::string* path : {&host, &upstream})
    if (auto text = read_file_if_exists(*path); text && usable(*text)) return *path;
  return "";
}

}  // namespace vcrun::spec_detail
