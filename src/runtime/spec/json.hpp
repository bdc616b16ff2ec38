// Typed, path-aware reading of config.json values for the spec parser (internal).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "vcrun/error.hpp"
#include "vcrun/spec.hpp"

namespace vcrun::spec_detail {

// A JSON value plus its path from the document root ("linux.namespaces[2].type"), so every
// type error names the field exactly the way a user would look it up in config.json.
class Node {
 public:
  Node(const nlohmann::json& j, std::string path) : j_(&j), path_(std::move(path)) {}

  const nlohmann::json& raw() const { return *j_; }
  const std::string& path() const { return path_; }

  [[noreturn]] void fail(const std::string& reason) const { throw SpecError(path_, reason); }

  // Object member `key`. Missing and JSON null are the same: Go-based OCI tools emit null
  // for unset slices and pointers. Throws when this node is not an object.
  std::optional<Node> get(const char* key) const;
  Node require(const char* key) const;  // "<path>.<key>: is required" when absent

  // Array elements, each with its "[i]" path. Throws when this node is not an array.
  std::vector<Node> elements() const;

  void expect_object() const;
  std::string str() const;  // strings with NUL bytes are rejected: syscalls would cut them
  bool boolean() const;
  double number() const;
  int64_t i64() const;
  uint64_t u64() const;
  uint32_t u32() const;
  std::vector<std::string> strings() const;
  std::map<std::string, std::string> string_map() const;

 private:
  std::string child_path(const std::string& key) const;
  const nlohmann::json* j_;
  std::string path_;
};

// "linux" section and its parts (spec_parse_linux.cpp, spec_parse_resources.cpp).
Linux parse_linux(const Node& n);
Resources parse_resources(const Node& n);
Seccomp parse_seccomp(const Node& n);

// The canonical config.json name of an action or operator (the first the parser accepts
// for it: SCMP_ACT_KILL for kill_thread), for the serialiser.
const char* seccomp_action_name(SeccompAction a);
const char* seccomp_operator_name(SeccompOp op);

// Test seam: while a log is installed (on this thread), Node::get and Node::require record
// every object member the parser asks for, present or not, so the serialiser's round-trip
// test can prove its fixture holds every field the parser reads. Returns the previous log.
struct KeyAccess {
  std::string path;  // "linux.namespaces[2].path"
  bool present;
};
std::vector<KeyAccess>* record_key_accesses(std::vector<KeyAccess>* log);

// Resolves `p` against the absolute directory `base` unless already absolute, lexically.
std::string resolve_path(const std::string& base, const std::string& p);

// The names the parser accepts (for `vcrun features`): hook points, namespace types, and
// the seccomp actions and operators it can apply.
std::vector<std::string> hook_point_names();
std::vector<std::string> namespace_type_names();
std::vector<std::string> seccomp_action_names();
std::vector<std::string> seccomp_operator_names();

}  // namespace vcrun::spec_detail
