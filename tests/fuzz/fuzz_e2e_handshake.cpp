// libFuzzer target for the E2E handshake state machines and the sealed-frame channel
// (rstream/e2e/handshake.hpp, channel.hpp).
//
// Input: mode:u8, then messages, each as length:u16 big-endian | bytes (a short last message
// takes what is left). Both sides use the fixed identities and ephemeral keys of the
// known-answer tests, so the corpus (tests/fuzz/corpus/e2e_handshake/) can hold genuine
// transcripts and mutations reach every check, including the signature checks and the channel.
//   mode bit 0 = 0: server side. message 0 → on_client_hello, message 1 → on_client_proof,
//                   then every further message → open() on the server's channel.
//   mode bit 0 = 1: client side. start(), message 0 → on_server_hello, check_pin, prove(),
//                   then every further message → open() on the client's channel.
//   mode bits 1-2 choose the pin (client: the genuine key, none, another key) or the
//   authorizer (server: the genuine client only, anyone, no one).
// Checked, besides "no crash, no sanitizer report, no exception": every error has a non-empty
// message; a failed handshake stays failed; the server admits only what its authorizer
// admitted; the client never produces a proof unless the presented key equals the pinned one;
// a channel opens frames only with consecutive counters.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rstream/e2e/handshake.hpp"

namespace {

using namespace rstream::e2e;
using bytes32 = std::array<std::uint8_t, 32>;

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "fuzz_e2e_handshake: property violated: %s\n", what);
  std::abort();
}

bytes32 seq32(std::uint8_t start) {
  bytes32 out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(start + i);
  return out;
}

/// The same fixed bytes on every fill (one ephemeral key per handshake).
class fixed_randomness final : public randomness {
 public:
  explicit fixed_randomness(const bytes32& bytes) : bytes_(bytes) {}
  void fill(std::span<std::uint8_t> out) override {
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = bytes_[i % bytes_.size()];
  }

 private:
  bytes32 bytes_;
};

// The known-answer test's keys (RFC 8032 seeds, ephemeral 0x40.. and 0x80..).
const identity& server_identity() {
  static const identity id = identity::from_seed(
      std::array<std::uint8_t, 32>{0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
                                   0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
                                   0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60});
  return id;
}
const identity& client_identity() {
  static const identity id = identity::from_seed(
      std::array<std::uint8_t, 32>{0x4c, 0xcd, 0x08, 0x9b, 0x28, 0xff, 0x96, 0xda, 0x9d, 0xb6, 0xc3,
                                   0x46, 0xec, 0x11, 0x4e, 0x0f, 0x5b, 0x8a, 0x31, 0x9f, 0x35, 0xab,
                                   0xa6, 0x24, 0xda, 0x8c, 0xf6, 0xed, 0x4f, 0xb8, 0xa6, 0xfb});
  return id;
}
const identity& other_identity() {
  static const identity id = identity::from_seed(seq32(0xc0));
  return id;
}

std::vector<std::span<const std::uint8_t>> split_messages(std::span<const std::uint8_t> in) {
  std::vector<std::span<const std::uint8_t>> out;
  while (!in.empty() && out.size() < 64) {
    if (in.size() < 2) {
      out.push_back(in);
      break;
    }
    const std::size_t length = (std::size_t{in[0]} << 8) | in[1];
    in = in.subspan(2);
    const std::size_t n = length < in.size() ? length : in.size();
    out.push_back(in.first(n));
    in = in.subspan(n);
  }
  return out;
}

void check_error(const error& e) { require(!e.message.empty(), "every error has a message"); }

void drive_channel(secure_channel& channel,
                   const std::vector<std::span<const std::uint8_t>>& messages, std::size_t first) {
  bool failed = false;
  for (std::size_t i = first; i < messages.size(); ++i) {
    const std::uint64_t expected = channel.received();
    auto opened = channel.open(messages[i]);
    if (opened) {
      require(!failed, "a failed channel opens nothing");
      require(channel.received() == expected + 1, "an opened frame advances the counter by one");
      require(opened->size() + secure_channel::overhead == messages[i].size(),
              "plaintext is the frame minus counter and tag");
      std::uint64_t counter = 0;
      for (std::size_t b = 0; b < 8; ++b) counter = (counter << 8) | messages[i][b];
      require(counter == expected, "only the next counter opens");
    } else {
      check_error(opened.error());
      require(channel.received() == expected, "a refused frame does not advance the counter");
      if (failed) require(opened.error().code == errc::channel_failed, "channel failures stick");
      failed = true;
    }
  }
  // Sealing always works, whatever happened on the receive side.
  require(channel.seal(std::span<const std::uint8_t>()).size() == secure_channel::overhead,
          "an empty frame seals to the overhead");
}

void fuzz_server(int policy, const std::vector<std::span<const std::uint8_t>>& messages) {
  fixed_randomness rng(seq32(0x80));
  server_handshake server(server_identity(), rng);
  if (messages.empty()) return;
  auto hello = server.on_client_hello(messages[0]);
  if (!hello) {
    check_error(hello.error());
    require(server.failed(), "an error fails the handshake");
    auto again = server.on_client_hello(messages[0]);
    require(!again && again.error().code == errc::handshake_failed, "handshake failures stick");
    return;
  }
  require(hello->size() == server_hello_size, "ServerHello has its fixed size");
  if (messages.size() < 2) return;
  bool asked = false;
  auto peer =
      server.on_client_proof(messages[1], [&](const public_key& key) -> result<std::string> {
        asked = true;
        if (policy == 1) return std::string("anyone");
        if (policy == 0 && key == client_identity().public_identity()) return std::string("client");
        return unauthorized_error(key);
      });
  if (!peer) {
    check_error(peer.error());
    require(server.failed(), "an error fails the handshake");
    require(!asked || server.client_key(), "the authorizer only sees verified keys");
    return;
  }
  require(asked, "no client is admitted without asking the authorizer");
  require(policy == 1 || peer->key == client_identity().public_identity(),
          "only the authorized key is admitted");
  require(server.client_key() && *server.client_key() == peer->key, "client_key is the peer");
  auto channel = server.take_channel();
  drive_channel(channel, messages, 2);
}

void fuzz_client(int policy, const std::vector<std::span<const std::uint8_t>>& messages) {
  fixed_randomness rng(seq32(0x40));
  client_handshake client(rng);
  const auto hello = client.start();
  require(hello.size() == client_hello_size, "ClientHello has its fixed size");
  if (messages.empty()) return;
  auto presented = client.on_server_hello(messages[0]);
  if (!presented) {
    check_error(presented.error());
    require(client.failed() && !client.server_identity(), "an error fails the handshake");
    return;
  }
  std::optional<public_key> pinned;
  if (policy == 0) pinned = server_identity().public_identity();
  if (policy >= 2) pinned = other_identity().public_identity();
  auto pin = client.check_pin("fuzz", pinned);
  if (!pin) {
    check_error(pin.error());
    require(pin.error().code == (pinned ? errc::key_changed : errc::not_pinned),
            "a refused pin is not_pinned or key_changed");
    require(!pinned || !(*pinned == *presented), "an equal pinned key is accepted");
    return;
  }
  require(pinned && *pinned == *presented, "only the pinned key is accepted");
  const auto proof = client.prove(client_identity());
  require(proof.size() == client_proof_size, "ClientProof has its fixed size");
  auto channel = client.take_channel();
  drive_channel(channel, messages, 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  const auto messages = split_messages(std::span<const std::uint8_t>(data + 1, size - 1));
  const int policy = (mode >> 1) & 3;
  if (mode & 1) {
    fuzz_client(policy, messages);
  } else {
    fuzz_server(policy, messages);
  }
  return 0;
}
