// The engine's registered servers over a real SQLite store in a temp directory: create checks
// what it is given and never reuses a name; update keeps what it is not told to change and
// cannot touch the encryption policy; an id is enrolled once; every change is in the store
// before it is answered, so a new registry over the same file sees it.
#include <gtest/gtest.h>
#include <sodium.h>
#include <stdlib.h>

#include <filesystem>

#include "rstream/e2e/identity.hpp"
#include "rstream/engine/server_registry.hpp"
#include "rstream/store/sqlite_store.hpp"
#include "support/temp_registry.hpp"

namespace fs = std::filesystem;
using namespace rstream;
using engine::registry_error;
using engine::server_registry;

namespace {

class ServerRegistry : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    ASSERT_TRUE(temp_.store()
                    .insert_tokens({{"tok1", "ci", "read-write", std::string(64, 'a'), "t"},
                                    {"tok2", "ops", "admin", std::string(64, 'b'), "t"}})
                    .ok());
  }

  void reopen() { temp_.reopen(); }

  engine::token_lookup tokens = test::temp_registry::token_id;

  api::server_record create(const std::string& name) {
    api::server_create_request request;
    request.name = name;
    request.labels = {{"role", "ci"}};
    auto created = temp_.registry().create(request, tokens, "2026-12-07T10:00:00Z");
    EXPECT_TRUE(created.ok()) << created.error().message;
    return created.ok() ? *created : api::server_record{};
  }

  test::temp_registry temp_;
};

TEST_F(ServerRegistry, CreateGivesAnIdDefaultsAndPendingEnrollment) {
  const auto record = create("build-01");
  EXPECT_TRUE(engine::looks_like_server_id(record.id)) << record.id;
  EXPECT_EQ(record.status, api::server_status::pending_enrollment);
  EXPECT_EQ(record.recording, api::recording_policy::recorded);
  EXPECT_EQ(record.encryption, api::encryption_policy::disabled);
  EXPECT_EQ(record.access, api::access_policy::project_members);
  EXPECT_EQ(temp_.registry().find(record.id), temp_.registry().find("build-01"));
  ASSERT_NE(temp_.registry().find("build-01"), nullptr);
  EXPECT_EQ(*temp_.registry().find("build-01"), record);
  EXPECT_NE(create("build-02").id, record.id);
}

TEST_F(ServerRegistry, CreateRefusesWhatItCannotKeep) {
  create("build-01");
  auto refused = [&](api::server_create_request request) {
    auto created = temp_.registry().create(request, tokens, "now");
    return created.ok() ? registry_error{} : created.error();
  };
  api::server_create_request same;
  same.name = "build-01";
  EXPECT_EQ(refused(same).code, registry_error::errc::conflict);
  api::server_create_request bad_name;
  bad_name.name = "-x";
  EXPECT_EQ(refused(bad_name).code, registry_error::errc::invalid);
  api::server_create_request id_like;
  id_like.name = "srv_0123456789abcdef0123";
  EXPECT_EQ(refused(id_like).code, registry_error::errc::invalid);
  api::server_create_request bad_label;
  bad_label.name = "x";
  bad_label.labels = {{"a b", "c"}};
  EXPECT_EQ(refused(bad_label).code, registry_error::errc::invalid);
  api::server_create_request unknown_token;
  unknown_token.name = "y";
  unknown_token.allowed_tokens = {"nobody"};
  auto why = refused(unknown_token);
  EXPECT_EQ(why.code, registry_error::errc::invalid);
  EXPECT_NE(why.message.find("nobody"), std::string::npos);
  EXPECT_EQ(temp_.registry().size(), 1u);
}

TEST_F(ServerRegistry, UpdateChangesOnlyWhatItIsTold) {
  const auto record = create("build-01");
  api::server_update_request change;
  change.set_labels = {{"zone", "eu"}};
  change.remove_labels = {"role"};
  change.access = api::access_policy::restricted;
  change.allow_tokens = {"ci", "ops"};
  auto updated = temp_.registry().update("build-01", change, tokens, "2026-12-07T11:00:00Z");
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ(updated->labels, (std::map<std::string, std::string>{{"zone", "eu"}}));
  EXPECT_EQ(updated->access, api::access_policy::restricted);
  EXPECT_EQ(updated->allowed_token_ids, (std::vector<std::string>{"tok1", "tok2"}));
  EXPECT_EQ(updated->description, record.description);
  EXPECT_EQ(updated->created_at, record.created_at);
  EXPECT_EQ(updated->updated_at, "2026-12-07T11:00:00Z");

  api::server_update_request disallow;
  disallow.disallow_tokens = {"tok1"};
  EXPECT_EQ(temp_.registry().update(record.id, disallow, tokens, "t")->allowed_token_ids,
            std::vector<std::string>{"tok2"});
  EXPECT_EQ(temp_.registry().update("nope", {}, tokens, "t").code(),
            registry_error::errc::not_found);
}

TEST_F(ServerRegistry, AnIdIsEnrolledOnceUntilAnAdminResetsIt) {
  const auto record = create("build-01");
  const auto host = e2e::identity::generate().public_identity().to_string();
  auto enrolled = temp_.registry().enroll(record.id, host, "2026-12-07T12:00:00Z");
  ASSERT_TRUE(enrolled.ok()) << enrolled.error().message;
  EXPECT_EQ(enrolled->status, api::server_status::enrolled);
  EXPECT_EQ(enrolled->host_key, host);
  EXPECT_EQ(enrolled->enrolled_at, "2026-12-07T12:00:00Z");

  const auto other = e2e::identity::generate().public_identity().to_string();
  auto again = temp_.registry().enroll(record.id, other, "t");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.code(), registry_error::errc::conflict);
  EXPECT_NE(again.error().message.find("--reset-enrollment"), std::string::npos);

  api::server_update_request reset;
  reset.reset_enrollment = true;
  auto pending = temp_.registry().update(record.id, reset, tokens, "t");
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->status, api::server_status::pending_enrollment);
  EXPECT_TRUE(pending->host_key.empty());
  EXPECT_TRUE(temp_.registry().enroll(record.id, other, "t").ok());
  EXPECT_EQ(temp_.registry().enroll("build-02", other, "t").code(),
            registry_error::errc::not_found);
  EXPECT_EQ(temp_.registry().enroll(create("build-02").id, "rstream-e2e-v1:garbage", "t").code(),
            registry_error::errc::invalid);
}

TEST_F(ServerRegistry, SuspendedRecordsCannotEnrollAndResumeToTheirState) {
  const auto record = create("build-01");
  const auto host = e2e::identity::generate().public_identity().to_string();
  ASSERT_TRUE(temp_.registry().enroll(record.id, host, "t").ok());
  api::server_update_request suspend;
  suspend.suspended = true;
  EXPECT_EQ(temp_.registry().update(record.id, suspend, tokens, "t")->status,
            api::server_status::suspended);
  EXPECT_EQ(temp_.registry().enroll(record.id, host, "t").code(), registry_error::errc::conflict);
  api::server_update_request resume;
  resume.suspended = false;
  EXPECT_EQ(temp_.registry().update(record.id, resume, tokens, "t")->status,
            api::server_status::enrolled);
}

TEST_F(ServerRegistry, EveryChangeIsInTheStoreBeforeItIsAnswered) {
  const auto kept = create("build-01");
  const auto gone = create("build-02");
  ASSERT_TRUE(temp_.registry()
                  .enroll(kept.id, e2e::identity::generate().public_identity().to_string(), "t")
                  .ok());
  ASSERT_TRUE(temp_.registry().seen(kept.id, "2026-12-07T13:00:00Z").ok());
  ASSERT_TRUE(temp_.registry().remove("build-02").ok());
  const api::server_record before = *temp_.registry().find(kept.id);
  reopen();
  ASSERT_EQ(temp_.registry().size(), 1u);
  EXPECT_EQ(*temp_.registry().find("build-01"), before);
  EXPECT_EQ(before.last_seen, "2026-12-07T13:00:00Z");
  EXPECT_EQ(temp_.registry().find(gone.id), nullptr);
  EXPECT_EQ(temp_.registry().remove(gone.id).code(), registry_error::errc::not_found);
}

}  // namespace
