// libFuzzer target for the list of registered servers the CLI reads from the engine
// (GET /api/servers, read record by record by api::read_server_list). Checked besides "no
// crash, no sanitizer report, no exception": the streaming reader and the document reader
// (server_record_from_json on each element) agree. What the streaming reader accepts, the
// document reader accepts with the same records; what the document reader accepts, the streaming
// reader accepts too unless a key is repeated in an object (a document keeps the last value,
// a stream meets the first one first), or the text holds a NUL byte (nlohmann ends its input
// there; the stream refuses the byte as the invalid JSON it is). And the `-o json` text of what was
// read is exactly the document's dump.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "rstream/api/server_list.hpp"

namespace {

using json = nlohmann::json;
using namespace rstream::api;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "property violated: %s\n", what);
  std::abort();
}

/// Whether any object of a (syntactically valid) text repeats a key.
class repeated_keys : public nlohmann::json_sax<json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    keys_.emplace_back();
    return true;
  }
  bool key(string_t& k) override {
    if (!keys_.back().insert(k).second) found = true;
    return true;
  }
  bool end_object() override {
    keys_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }
  bool found = false;

 private:
  std::vector<std::set<std::string>> keys_;
};

/// The document reader's answer: the records, or nothing when it refuses.
bool read_as_document(const json& doc, std::vector<server_record>& out) {
  if (!doc.is_object()) return false;
  const auto list = doc.find("servers");
  if (list == doc.end() || !list->is_array()) return false;
  for (const auto& entry : *list) {
    auto record = server_record_from_json(entry);
    if (!record) return false;
    out.push_back(std::move(*record));
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<server_record> streamed;
  const auto read =
      read_server_list(text, [&](server_record&& r) { streamed.push_back(std::move(r)); });
  if (!read && read.error().message.empty()) fail("a refusal without a message");

  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  std::vector<server_record> documented;
  const bool document_ok = !doc.is_discarded() && read_as_document(doc, documented);
  if (read) {
    if (!document_ok) fail("the stream accepted what the document refuses");
    if (streamed != documented) fail("the stream read other records than the document");
    if (*read != streamed.size()) fail("the count is not the number of records");
    json list = json::array();
    for (const auto& r : streamed) list.push_back(to_json(r));
    if (server_list_text(streamed) != list.dump(2)) fail("the text is not the document's dump");
  } else if (document_ok && text.find('\0') == std::string_view::npos) {
    repeated_keys probe;
    json::sax_parse(text, &probe);
    if (!probe.found) fail("the stream refused what the document accepts");
  }
  return 0;
}
