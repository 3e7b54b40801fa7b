// A long list of registered servers, read and written without a JSON document of the whole list.
// GET /api/servers answers 10,000 records in 3.8 MB; building that as one nlohmann document and
// freeing it cost the CLI 150 ms of its 230 (docs/performance.md). Here the answer is read with
// api/json_scan (a strict tokenizer, faster than nlohmann's lexer) straight into server_record
// values, as strictly as
// server_record_from_json reads one record (the same fields, types and words; fuzz_api_server_list
// checks that both accept the same records with the same values), and `-o json` is written
// record by record as exactly the text `json::array(to_json(...)...).dump(2)` would be.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "rstream/api/server_record.hpp"

namespace rstream::api {

/// Reads `{"servers": [record, ...], ...}` (other top-level fields are skipped) and hands each
/// record to `on_record` in order. Returns how many records were read, or why the text was
/// refused (not JSON, no list of servers, a record server_record_from_json would refuse).
body_result<std::size_t> read_server_list(std::string_view text,
                                          const std::function<void(server_record&&)>& on_record);

/// The text of json(records as to_json).dump(2), built without a document.
std::string server_list_text(const std::vector<server_record>& records);

}  // namespace rstream::api
