// libFuzzer target for api::scan_json, the strict JSON tokenizer that reads long answers from
// the engine (api/server_list). Checked besides "no crash, no sanitizer report": it accepts
// exactly what nlohmann::json::parse accepts (except that nlohmann ends its input at a NUL byte
// outside a string, and the scanner refuses that byte as the invalid JSON it is), and the document
// rebuilt from its events equals nlohmann's document (numbers compared by parsing their text with
// nlohmann).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "rstream/api/json_scan.hpp"

namespace {

using json = nlohmann::json;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "property violated: %s\n", what);
  std::abort();
}

/// Rebuilds a document from the scanner's events.
class rebuild {
 public:
  bool null_value() { return put(json(nullptr)); }
  bool boolean(bool v) { return put(json(v)); }
  bool number(std::string_view text) {
    const json value = json::parse(text, nullptr, false);
    if (value.is_discarded() || !value.is_number()) fail("a number nlohmann does not read");
    return put(value);
  }
  bool string(std::string&& v) { return put(json(std::move(v))); }
  bool key(std::string&& k) {
    key_ = std::move(k);
    return true;
  }
  bool start(bool object) {
    open_.push_back({object ? json::object() : json::array(), key_});
    return true;
  }
  bool end() {
    auto [value, key] = std::move(open_.back());
    open_.pop_back();
    key_ = key;
    return put(std::move(value));
  }
  json result;

 private:
  bool put(json value) {
    if (open_.empty()) {
      result = std::move(value);
    } else if (open_.back().first.is_object()) {
      open_.back().first[key_] = std::move(value);  // a repeated key keeps the last, as nlohmann
    } else {
      open_.back().first.push_back(std::move(value));
    }
    return true;
  }
  std::vector<std::pair<json, std::string>> open_;  // each open container and its key
  std::string key_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  rebuild events;
  const auto scanned = rstream::api::scan_json(text, events);
  if (scanned.what == rstream::api::json_scan_result::kind::stopped) fail("stopped by no one");
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  const bool accepted = scanned.what == rstream::api::json_scan_result::kind::ok;
  if (accepted && doc.is_discarded()) fail("accepted what nlohmann refuses");
  const bool nlohmann_stops_at_nul = text.find('\0') != std::string_view::npos;
  if (!accepted && !doc.is_discarded() && !nlohmann_stops_at_nul) {
    fail("refused what nlohmann accepts");
  }
  if (!accepted && scanned.at > text.size()) fail("an error position past the end");
  if (accepted && events.result != doc) fail("a document other than nlohmann's");
  return 0;
}
