// The long list of registered servers: read record by record it gives exactly what reading the
// whole document with server_record_from_json gives, refuses what that refuses, and its `-o json`
// text is byte for byte what dumping the document would print.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rstream/api/server_list.hpp"

namespace {

using namespace rstream::api;
using json = nlohmann::json;

server_record full() {
  server_record r;
  r.id = "srv_0123456789abcdef0123";
  r.name = "build-01";
  r.description = "quote \" back\\slash tab\t nl\n bell\x07 del\x7f caf\xc3\xa9 \xe6\x97\xa5";
  r.labels = {{"role", "ci"}, {"z\"key", "v\x01"}};
  r.recording = recording_policy::private_metadata;
  r.encryption = encryption_policy::explicit_key;
  r.access = access_policy::restricted;
  r.allowed_token_ids = {"a1", "b2"};
  r.status = server_status::suspended;
  r.host_key = "rstream-e2e-v1:xyz";
  r.enrolled_at = "2026-12-07T10:00:00Z";
  r.created_at = "2026-12-07T09:00:00Z";
  r.updated_at = "2026-12-07T10:00:00Z";
  r.last_seen = "2026-12-07T11:00:00Z";
  r.online = true;
  return r;
}

server_record bare() {
  server_record r;
  r.id = "srv_1";
  r.name = "pending";
  return r;
}

std::string answer(const std::vector<server_record>& records) {
  json list = json::array();
  for (const auto& r : records) list.push_back(to_json(r));
  return json{{"servers", list}, {"revision", 7}}.dump();
}

std::vector<server_record> read_all(std::string_view text, std::string* error = nullptr) {
  std::vector<server_record> out;
  auto read = read_server_list(text, [&](server_record&& r) { out.push_back(std::move(r)); });
  if (!read) {
    if (error) *error = read.error().message;
    return {};
  }
  EXPECT_EQ(*read, out.size());
  return out;
}

std::string refusal(std::string_view text) {
  std::string error;
  read_all(text, &error);
  return error;
}

TEST(ApiServerList, ReadsWhatTheDocumentReaderReads) {
  const std::vector<server_record> records{full(), bare(), full()};
  EXPECT_EQ(read_all(answer(records)), records);
  EXPECT_TRUE(read_all(answer({})).empty());
}

TEST(ApiServerList, SkipsOtherFieldsAndTheInventorysExtras) {
  json entry = to_json(full());
  entry["registered"] = true;
  entry["server_id"] = {{"nested", json::array({1, {{"x", nullptr}}})}};
  entry["tunnel_id"] = nullptr;
  const json doc = {{"before", {{"servers", json::array({1})}}},
                    {"servers", json::array({entry})},
                    {"after", json::array({json::object(), "x"})}};
  EXPECT_EQ(read_all(doc.dump()), std::vector<server_record>{full()});
}

TEST(ApiServerList, NullIsNotGiven) {
  json entry = to_json(full());
  entry["description"] = nullptr;
  entry["labels"] = nullptr;
  entry["allowed_token_ids"] = nullptr;
  entry["online"] = nullptr;
  entry["status"] = nullptr;
  const auto records = read_all(json{{"servers", json::array({entry})}}.dump());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0], *server_record_from_json(entry));
  EXPECT_TRUE(records[0].labels.empty());
  EXPECT_FALSE(records[0].online);
  EXPECT_EQ(records[0].status, server_status::pending_enrollment);
}

TEST(ApiServerList, RefusesWhatTheDocumentReaderRefuses) {
  auto with = [](const char* key, const json& value) {
    json entry = to_json(bare());
    entry[key] = value;
    return json{{"servers", json::array({entry})}}.dump();
  };
  EXPECT_EQ(refusal(with("colour", "red")), "the server record has an unknown field 'colour'");
  EXPECT_EQ(refusal(with("name", 5)), "the server record 'name' must be a string");
  EXPECT_EQ(refusal(with("labels", {{"k", 1}})), "the server record 'labels.k' must be a string");
  EXPECT_EQ(refusal(with("labels", json::array())),
            "the server record 'labels' must be an object of strings");
  EXPECT_EQ(refusal(with("allowed_token_ids", json::array({"a", nullptr}))),
            "the server record 'allowed_token_ids' must be a list of strings");
  EXPECT_EQ(refusal(with("online", "yes")), "the server record 'online' must be true or false");
  EXPECT_EQ(refusal(with("status", "gone")),
            "the server record 'status' must be pending_enrollment, enrolled or suspended, not "
            "'gone'");
  EXPECT_EQ(refusal(with("id", nullptr)), "the server record needs 'id'");
  EXPECT_EQ(refusal(R"({"servers":[1]})"), "the server record is not a JSON object");
  EXPECT_EQ(refusal(R"({"servers":{}})"), "has no list of servers");
  EXPECT_EQ(refusal(R"({"other":[]})"), "has no list of servers");
  EXPECT_EQ(refusal(R"([])"), "is not a JSON object");
  EXPECT_EQ(refusal(R"({"servers":[],"servers":[]})"), "has two lists of servers");
  EXPECT_EQ(refusal(R"({"servers":[)").rfind("is not JSON (at byte", 0), 0u);
  EXPECT_EQ(refusal(""), "is not JSON (at byte 1)");
}

TEST(ApiServerList, TextIsTheDocumentsDump) {
  for (const auto& records : std::vector<std::vector<server_record>>{
           {}, {bare()}, {full(), bare()}, {full(), full(), bare()}}) {
    json list = json::array();
    for (const auto& r : records) list.push_back(to_json(r));
    EXPECT_EQ(server_list_text(records), list.dump(2));
  }
  // Every byte below 0x20, and the quote and backslash, escaped as the document would be.
  server_record r = bare();
  for (int c = 0; c < 0x80; ++c) r.description += static_cast<char>(c);
  EXPECT_EQ(server_list_text({r}), json::array({to_json(r)}).dump(2));
}

}  // namespace
