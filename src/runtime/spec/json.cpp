// Typed, path-aware accessors over nlohmann::json used by the config.json parser.
#include "runtime/spec/json.hpp"

#include <filesystem>
#include <limits>
#include <utility>

namespace vcrun::spec_detail {

std::string Node::child_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

void Node::expect_object() const {
  if (!j_->is_object()) fail("must be an object");
}

namespace {
thread_local std::vector<KeyAccess>* key_log = nullptr;
}  // namespace

std::vector<KeyAccess>* record_key_accesses(std::vector<KeyAccess>* log) {
  std::swap(log, key_log);
  return log;
}

std::optional<Node> Node::get(const char* key) const {
  expect_object();
  auto it = j_->find(key);
  bool present = it != j_->end() && !it->is_null();
  if (key_log) key_log->push_back({child_path(key), present});
  if (!present) return std::nullopt;
  return Node(*it, child_path(key));
}

Node Node::require(const char* key) const {
  auto n = get(key);
  if (!n) throw SpecError(child_path(key), "is required");
  return *n;
}

std::vector<Node> Node::elements() const {
  if (!j_->is_array()) fail("must be an array");
  std::vector<Node> out;
  out.reserve(j_->size());
  for (size_t i = 0; i < j_->size(); ++i)
    out.emplace_back((*j_)[i], path_ + "[" + std::to_string(i) + "]");
  return out;
}

std::string Node::str() const {
  if (!j_->is_string()) fail("must be a string");
  const auto& s = j_->get_ref<const std::string&>();
  if (s.find('\0') != std::string::npos) fail("must not contain NUL bytes");
  return s;
}

bool Node::boolean() const {
  if (!j_->is_boolean()) fail("must be a boolean");
  return j_->get<bool>();
}

double Node::number() const {
  if (!j_->is_number()) fail("must be a number");
  return j_->get<double>();
}

int64_t Node::i64() const {
  if (!j_->is_number_integer()) fail("must be an integer");
  if (j_->is_number_unsigned() &&
      j_->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    fail("is out of range (must fit a signed 64-bit integer)");
  return j_->get<int64_t>();
}

uint64_t Node::u64() const {
  if (!j_->is_number_integer()) fail("must be an integer");
  if (!j_->is_number_unsigned() && j_->get<int64_t>() < 0) fail("must be a non-negative integer");
  return j_->get<uint64_t>();
}

uint32_t Node::u32() const {
  uint64_t v = u64();
  if (v > std::numeric_limits<uint32_t>::max()) fail("must be at most 4294967295");
  return static_cast<uint32_t>(v);
}

std::vector<std::string> Node::strings() const {
  std::vector<std::string> out;
  for (const auto& e : elements()) out.push_back(e.str());
  return out;
}

std::map<std::string, std::string> Node::string_map() const {
  expect_object();
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : j_->items())
    out.emplace(k, Node(v, path_ + "[\"" + k + "\"]").str());
  return out;
}

std::string resolve_path(const std::string& base, const std::string& p) {
  std::filesystem::path full =
      (!p.empty() && p.front() == '/') ? std::filesystem::path(p) : std::filesystem::path(base) / p;
  std::string s = full.lexically_normal().string();
  if (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace vcrun::spec_detail
