// A SAX pass over a JSON text that remembers the path to the value being parsed.
#include "runtime/spec/json_overflow.hpp"

#include <vector>

#include <nlohmann/json.hpp>

namespace vcrun {

namespace {

using json = nlohmann::json;

class PathTracker : public nlohmann::json_sax<json> {
 public:
  explicit PathTracker(std::string root) : root_(std::move(root)) {}

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override {
    frames_.push_back({false, 0, ""});
    return true;
  }
  bool key(string_t& k) override {
    frames_.back().key = k;
    return true;
  }
  bool end_object() override {
    frames_.pop_back();
    return value();
  }
  bool start_array(std::size_t) override {
    frames_.push_back({true, 0, ""});
    return true;
  }
  bool end_array() override {
    frames_.pop_back();
    return value();
  }
  bool parse_error(std::size_t, const std::string& token, const nlohmann::detail::exception& e) override {
    if (e.id == 406) found_ = JsonOverflow{path(), token};
    return false;
  }

  const std::optional<JsonOverflow>& found() const { return found_; }

 private:
  struct Frame {
    bool array;
    size_t index;
    std::string key;
  };

  // A value is complete: the next one in an array has the next index.
  bool value() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
    return true;
  }

  std::string path() const {
    std::string p = root_;
    for (const auto& f : frames_) {
      if (f.array) {
        // Appended piece by piece: "[" + std::string&& trips GCC 12's false -Wrestrict at -O3.
        p += '[';
        p += std::to_string(f.index);
        p += ']';
      } else {
        if (!p.empty()) p += '.';
        p += f.key;
      }
    }
    return p;
  }

  std::string root_;
  std::vector<Frame> frames_;
  std::optional<JsonOverflow> found_;
};

}  // namespace

std::optional<JsonOverflow> find_json_overflow(const std::string& text, const std::string& root) {
  PathTracker tracker(root);
  json::sax_parse(text, &tracker);
  return tracker.found();
}

}  // namespace vcrun
