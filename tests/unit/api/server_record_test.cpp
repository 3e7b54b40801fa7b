// A registered server's record and its request bodies: what one side writes the other reads
// back the same, and a body that is not what the API takes is refused with a message that
// names the field.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "rstream/api/server_record.hpp"

namespace {

using namespace rstream::api;
using json = nlohmann::json;

server_record sample() {
  server_record r;
  r.id = "srv_0123456789abcdef0123";
  r.name = "build-01";
  r.description = "the CI box";
  r.labels = {{"role", "ci"}};
  r.recording = recording_policy::private_metadata;
  r.encryption = encryption_policy::explicit_key;
  r.access = access_policy::restricted;
  r.allowed_token_ids = {"a1", "b2"};
  r.status = server_status::enrolled;
  r.host_key = "rstream-e2e-v1:xyz";
  r.enrolled_at = "2026-12-07T10:00:00Z";
  r.created_at = "2026-12-07T09:00:00Z";
  r.updated_at = "2026-12-07T10:00:00Z";
  r.last_seen = "2026-12-07T11:00:00Z";
  return r;
}

TEST(ApiServerRecord, PolicyWordsRoundTrip) {
  for (auto p : {recording_policy::recorded, recording_policy::private_metadata}) {
    EXPECT_EQ(parse_recording_policy(name_of(p)), p);
  }
  for (auto p : {encryption_policy::disabled, encryption_policy::explicit_key}) {
    EXPECT_EQ(parse_encryption_policy(name_of(p)), p);
  }
  for (auto p : {access_policy::project_members, access_policy::restricted}) {
    EXPECT_EQ(parse_access_policy(name_of(p)), p);
  }
  for (auto s :
       {server_status::pending_enrollment, server_status::enrolled, server_status::suspended}) {
    EXPECT_EQ(parse_server_status(name_of(s)), s);
  }
  EXPECT_STREQ(name_of(recording_policy::private_metadata), "private");
  EXPECT_FALSE(parse_recording_policy("Recorded"));
  EXPECT_FALSE(parse_access_policy(""));
}

TEST(ApiServerRecord, RecordRoundTripsThroughJson) {
  const auto record = sample();
  const json written = to_json(record);
  EXPECT_EQ(written["recording_policy"], "private");
  auto read = server_record_from_json(json::parse(written.dump()));
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(*read, record);
}

TEST(ApiServerRecord, RequestsRoundTrip) {
  server_create_request create;
  create.name = "build-01";
  create.labels = {{"role", "ci"}};
  create.encryption = encryption_policy::explicit_key;
  create.allowed_tokens = {"ci"};
  auto created = parse_server_create_request(to_json(create));
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->name, "build-01");
  EXPECT_EQ(created->labels, create.labels);
  EXPECT_EQ(created->encryption, encryption_policy::explicit_key);
  EXPECT_FALSE(created->recording);
  EXPECT_EQ(created->allowed_tokens, create.allowed_tokens);

  server_update_request update;
  update.description = "";
  update.set_labels = {{"zone", "eu"}};
  update.remove_labels = {"role"};
  update.access = access_policy::restricted;
  update.disallow_tokens = {"ci"};
  update.reset_enrollment = true;
  update.suspended = false;
  auto updated = parse_server_update_request(to_json(update));
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->description, std::optional<std::string>(""));
  EXPECT_EQ(updated->set_labels, update.set_labels);
  EXPECT_EQ(updated->remove_labels, update.remove_labels);
  EXPECT_EQ(updated->access, access_policy::restricted);
  EXPECT_EQ(updated->disallow_tokens, update.disallow_tokens);
  EXPECT_TRUE(updated->reset_enrollment);
  EXPECT_EQ(updated->suspended, std::optional<bool>(false));

  auto enroll = parse_server_enroll_request(to_json(server_enroll_request{"rstream-e2e-v1:k"}));
  ASSERT_TRUE(enroll.ok());
  EXPECT_EQ(enroll->host_key, "rstream-e2e-v1:k");
}

std::string refusal(const body_result<server_update_request>& r) {
  return r.ok() ? "" : r.error().message;
}

TEST(ApiServerRecord, BadBodiesAreRefusedNamingTheField) {
  EXPECT_EQ(refusal(parse_server_update_request(json::array())),
            "the server update is not a JSON object");
  EXPECT_EQ(refusal(parse_server_update_request({{"colour", "red"}})),
            "the server update has an unknown field 'colour'");
  EXPECT_EQ(refusal(parse_server_update_request({{"encryption_policy", "disabled"}})),
            "the server update cannot change encryption_policy: it is fixed when the server is "
            "created");
  EXPECT_EQ(refusal(parse_server_update_request({{"access_policy", "everyone"}})),
            "the server update 'access_policy' must be project_members or restricted, not "
            "'everyone'");
  EXPECT_EQ(refusal(parse_server_update_request({{"set_labels", {{"a", 1}}}})),
            "the server update 'set_labels.a' must be a string");
  EXPECT_EQ(refusal(parse_server_update_request({{"allow_tokens", "ci"}})),
            "the server update 'allow_tokens' must be a list of strings");
  EXPECT_EQ(refusal(parse_server_update_request({{"suspended", "yes"}})),
            "the server update 'suspended' must be true or false");
  auto nameless = parse_server_create_request(json::object());
  ASSERT_FALSE(nameless.ok());
  EXPECT_EQ(nameless.error().message, "the new server needs 'name'");
  auto keyless = parse_server_enroll_request({{"host_key", 7}});
  ASSERT_FALSE(keyless.ok());
  EXPECT_EQ(keyless.error().message, "the enrollment 'host_key' must be a string");
}

}  // namespace
