// The admission proof of a registered server (see admission_proof.hpp).
#include "rstream/e2e/admission_proof.hpp"

#include <sodium.h>

namespace rstream::e2e {
namespace {

constexpr std::string_view domain = "rstream-server-admission-v1";

void append_sized(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> bytes) {
  const auto size = static_cast<std::uint32_t>(bytes.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>(size >> shift));
  }
  out.insert(out.end(), bytes.begin(), bytes.end());
}

std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

admission_challenge new_admission_challenge() {
  admission_challenge challenge{};
  randombytes_buf(challenge.data(), challenge.size());
  return challenge;
}

std::vector<std::uint8_t> admission_message(std::string_view server_id,
                                            std::span<const std::uint8_t> challenge,
                                            const std::map<std::string, std::string>& labels) {
  std::vector<std::uint8_t> encoded_labels;
  for (const auto& [key, value] : labels) {
    append_sized(encoded_labels, bytes_of(key));
    append_sized(encoded_labels, bytes_of(value));
  }
  std::array<std::uint8_t, crypto_hash_sha256_BYTES> labels_hash{};
  crypto_hash_sha256(labels_hash.data(), encoded_labels.data(), encoded_labels.size());

  std::vector<std::uint8_t> message(domain.begin(), domain.end());
  message.push_back(0);
  append_sized(message, bytes_of(server_id));
  append_sized(message, challenge);
  message.insert(message.end(), labels_hash.begin(), labels_hash.end());
  return message;
}

std::string sign_admission(const identity& host, std::string_view server_id,
                           std::span<const std::uint8_t> challenge,
                           const std::map<std::string, std::string>& labels) {
  const signature sig = host.sign(admission_message(server_id, challenge, labels));
  return base64url(sig);
}

result<void> verify_admission(const public_key& enrolled, std::string_view server_id,
                              std::span<const std::uint8_t> challenge,
                              const std::map<std::string, std::string>& labels,
                              std::string_view signature_base64url) {
  signature sig{};
  if (!from_base64url(signature_base64url, sig)) {
    return error{errc::malformed,
                 "the admission proof of server " + std::string(server_id) + " is not a signature"};
  }
  if (!verify_signature(enrolled, admission_message(server_id, challenge, labels), sig)) {
    return error{errc::bad_signature,
                 "the admission proof of server " + std::string(server_id) +
                     " was not made by its enrolled host key for this challenge and these "
                     "labels: run the server on the host that ran `rstream webtty server enroll "
                     "ID`, with that host's identity"};
  }
  return {};
}

}  // namespace rstream::e2e
