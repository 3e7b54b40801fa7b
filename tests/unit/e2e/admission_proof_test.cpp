// The admission proof of a registered server: the enrolled host's signature verifies, and every
// field changed on its way (id, challenge, a label's key or value, a label added or dropped, the
// key, the signature's bytes) makes it fail with bad_signature.
#include <gtest/gtest.h>

#include <optional>

#include "rstream/e2e/admission_proof.hpp"

namespace {

using namespace rstream::e2e;

class AdmissionProof : public ::testing::Test {
 protected:
  identity host = identity::generate();
  admission_challenge challenge = new_admission_challenge();
  std::map<std::string, std::string> labels{{"rstream.webtty.hostname", "build-01"},
                                            {"rstream.webtty.label.role", "ci"}};
  std::string signature = sign_admission(host, "srv_0123", challenge, labels);

  /// The error's code, or nothing when the proof verifies.
  std::optional<errc> check(const public_key& key, std::string_view id,
                            const admission_challenge& c,
                            const std::map<std::string, std::string>& l, std::string_view sig) {
    auto verified = verify_admission(key, id, c, l, sig);
    if (verified.ok()) return std::nullopt;
    return verified.code();
  }
};

TEST_F(AdmissionProof, TheEnrolledHostsSignatureVerifies) {
  EXPECT_TRUE(
      verify_admission(host.public_identity(), "srv_0123", challenge, labels, signature).ok());
}

TEST_F(AdmissionProof, EveryTamperedFieldFails) {
  const public_key& key = host.public_identity();
  EXPECT_EQ(check(key, "srv_0124", challenge, labels, signature), errc::bad_signature);
  EXPECT_EQ(check(key, "", challenge, labels, signature), errc::bad_signature);
  auto other_challenge = challenge;
  other_challenge[31] ^= 1;
  EXPECT_EQ(check(key, "srv_0123", other_challenge, labels, signature), errc::bad_signature);
  EXPECT_EQ(check(key, "srv_0123", new_admission_challenge(), labels, signature),
            errc::bad_signature);
  auto changed_value = labels;
  changed_value["rstream.webtty.label.role"] = "prod";
  EXPECT_EQ(check(key, "srv_0123", challenge, changed_value, signature), errc::bad_signature);
  auto added = labels;
  added["rstream.webtty.label.extra"] = "";
  EXPECT_EQ(check(key, "srv_0123", challenge, added, signature), errc::bad_signature);
  auto dropped = labels;
  dropped.erase("rstream.webtty.hostname");
  EXPECT_EQ(check(key, "srv_0123", challenge, dropped, signature), errc::bad_signature);
  // The same bytes split differently between a key and its value are another message.
  std::map<std::string, std::string> shifted{{"rstream.webtty.hostnamebuild-01", ""},
                                             {"rstream.webtty.label.role", "ci"}};
  EXPECT_EQ(check(key, "srv_0123", challenge, shifted, signature), errc::bad_signature);
  EXPECT_EQ(check(identity::generate().public_identity(), "srv_0123", challenge, labels, signature),
            errc::bad_signature);
  std::string flipped = signature;
  flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(check(key, "srv_0123", challenge, labels, flipped), errc::bad_signature);
}

TEST_F(AdmissionProof, SomethingThatIsNotASignatureIsMalformed) {
  const public_key& key = host.public_identity();
  EXPECT_EQ(check(key, "srv_0123", challenge, labels, ""), errc::malformed);
  EXPECT_EQ(check(key, "srv_0123", challenge, labels, signature.substr(1)), errc::malformed);
  EXPECT_EQ(check(key, "srv_0123", challenge, labels, signature + "AA"), errc::malformed);
  EXPECT_EQ(check(key, "srv_0123", challenge, labels, "!not base64!"), errc::malformed);
}

TEST_F(AdmissionProof, ChallengesAreFreshEachTime) {
  EXPECT_NE(new_admission_challenge(), new_admission_challenge());
}

}  // namespace
