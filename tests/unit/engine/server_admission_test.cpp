// The engine's rules for registered servers: which records may be challenged (unknown, pending,
// suspended and an explicit_key record whose server does not require E2E are refused, each with
// its own code), that only the enrolled key's proof for this challenge and these labels admits,
// who may open sessions by which path, and the offline message clients print.
#include <gtest/gtest.h>
#include <sodium.h>

#include "rstream/e2e/admission_proof.hpp"
#include "rstream/engine/server_admission.hpp"

namespace {

using namespace rstream;
using engine::session_path;

class ServerAdmission : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    record.id = "srv_0123456789abcdef0123";
    record.name = "build";
    record.status = api::server_status::enrolled;
    record.host_key = host.public_identity().to_string();
  }

  /// The refusal's code, or "" when admitted.
  static std::string code(const std::optional<engine::refusal>& refused) {
    return refused ? refused->code : "";
  }

  e2e::identity host = e2e::identity::generate();
  api::server_record record;
  std::map<std::string, std::string> labels{{"rstream.webtty.e2e", "disabled"},
                                            {"rstream.webtty.hostname", "box"}};
};

TEST_F(ServerAdmission, AnEnrolledRecordIsChallenged) {
  EXPECT_EQ(code(engine::check_registered_hello(&record, record.id, labels)), "");
}

TEST_F(ServerAdmission, UnknownPendingSuspendedAndUnencryptedRecordsAreRefusedEachWithWhy) {
  EXPECT_EQ(code(engine::check_registered_hello(nullptr, record.id, labels)),
            "server_not_registered");
  EXPECT_EQ(code(engine::check_registered_hello(&record, "srv_ffff", labels)),
            "server_not_registered");
  auto pending = record;
  pending.status = api::server_status::pending_enrollment;
  const auto refused = engine::check_registered_hello(&pending, record.id, labels);
  EXPECT_EQ(code(refused), "not_enrolled");
  EXPECT_NE(refused->message.find("rstream webtty server enroll " + record.id), std::string::npos)
      << refused->message;
  auto suspended = record;
  suspended.status = api::server_status::suspended;
  EXPECT_EQ(code(engine::check_registered_hello(&suspended, record.id, labels)),
            "server_suspended");
  auto encrypted = record;
  encrypted.encryption = api::encryption_policy::explicit_key;
  EXPECT_EQ(code(engine::check_registered_hello(&encrypted, record.id, labels)), "e2e_required");
  labels["rstream.webtty.e2e"] = "required";
  EXPECT_EQ(code(engine::check_registered_hello(&encrypted, record.id, labels)), "");
}

TEST_F(ServerAdmission, OnlyTheEnrolledKeysProofForThisChallengeAndTheseLabelsAdmits) {
  const auto challenge = e2e::new_admission_challenge();
  const std::string good = e2e::sign_admission(host, record.id, challenge, labels);
  EXPECT_EQ(code(engine::check_admission_proof(record, challenge, labels, good)), "");

  const auto other_challenge = e2e::new_admission_challenge();
  EXPECT_EQ(code(engine::check_admission_proof(record, other_challenge, labels, good)),
            "bad_proof");
  auto other_labels = labels;
  other_labels["rstream.webtty.label.role"] = "x";
  EXPECT_EQ(code(engine::check_admission_proof(record, challenge, other_labels, good)),
            "bad_proof");
  const e2e::identity stranger = e2e::identity::generate();
  const std::string forged = e2e::sign_admission(stranger, record.id, challenge, labels);
  EXPECT_EQ(code(engine::check_admission_proof(record, challenge, labels, forged)), "bad_proof");
  EXPECT_EQ(code(engine::check_admission_proof(record, challenge, labels, "not-a-signature")),
            "bad_proof");
}

TEST_F(ServerAdmission, RestrictedAccessAdmitsOnlyListedTokensOnEveryPath) {
  EXPECT_EQ(code(engine::check_session_access(record, "tok1", "ci", session_path::browser)), "");
  record.access = api::access_policy::restricted;
  record.allowed_token_ids = {"tok1", "tok3"};
  for (auto path : {session_path::native, session_path::browser, session_path::files}) {
    EXPECT_EQ(code(engine::check_session_access(record, "tok1", "ci", path)), "");
    const auto refused = engine::check_session_access(record, "tok2", "ops", path);
    EXPECT_EQ(code(refused), "access_denied");
    EXPECT_EQ(refused->http_status, 403);
    EXPECT_NE(refused->message.find("--allow-token ops"), std::string::npos) << refused->message;
  }
}

TEST_F(ServerAdmission, ExplicitKeyAdmitsOnlyNativeSessions) {
  record.encryption = api::encryption_policy::explicit_key;
  EXPECT_EQ(code(engine::check_session_access(record, "tok1", "ci", session_path::native)), "");
  EXPECT_EQ(code(engine::check_session_access(record, "tok1", "ci", session_path::browser)),
            "e2e_required");
  EXPECT_EQ(code(engine::check_session_access(record, "tok1", "ci", session_path::files)),
            "e2e_required");
}

TEST_F(ServerAdmission, ANativeSessionToAnExplicitKeyServerMustStartWithAHandshake) {
  EXPECT_TRUE(engine::starts_end_to_end(
      codec::e2e_message{codec::frame_type::e2e_handshake, std::vector<std::uint8_t>{1, 2, 3}}));
  EXPECT_FALSE(engine::starts_end_to_end(
      codec::e2e_message{codec::frame_type::e2e_handshake, std::vector<std::uint8_t>{}}));
  EXPECT_FALSE(engine::starts_end_to_end(codec::open_request{}));
}

TEST_F(ServerAdmission, TheOfflineMessageNamesTheServerAndWhenItWasLastSeen) {
  EXPECT_EQ(engine::offline_refusal(record).message,
            "server build is registered but not online (never online)");
  record.last_seen = "2026-12-07T10:00:00Z";
  const auto refused = engine::offline_refusal(record);
  EXPECT_EQ(refused.message,
            "server build is registered but not online (last seen 2026-12-07T10:00:00Z)");
  EXPECT_EQ(refused.code, "server_offline");
  EXPECT_EQ(refused.http_status, 503);
}

}  // namespace
