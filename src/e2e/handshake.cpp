// The E2E handshake state machines (see handshake.hpp; the construction, byte by byte, is in
// docs/security.md, and the known-answer tests in tests/unit/e2e_handshake_test.cpp rebuild it
// from libsodium primitives).
#include "rstream/e2e/handshake.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "rstream/e2e/sodium.hpp"

namespace rstream::e2e {
namespace {

using bytes32 = std::array<std::uint8_t, 32>;
using byte_span = std::span<const std::uint8_t>;

constexpr std::string_view label_transcript = "rstream-e2e-v1 transcript";
constexpr std::string_view label_ck1 = "rstream-e2e-v1 ck1";
constexpr std::string_view label_ck2 = "rstream-e2e-v1 ck2";
constexpr std::string_view label_server_hello_key = "rstream-e2e-v1 server hello key";
constexpr std::string_view label_client_proof_key = "rstream-e2e-v1 client proof key";
constexpr std::string_view label_client_to_server = "rstream-e2e-v1 client to server";
constexpr std::string_view label_server_to_client = "rstream-e2e-v1 server to client";
constexpr std::string_view label_server_signature = "rstream-e2e-v1 server signature";
constexpr std::string_view label_client_signature = "rstream-e2e-v1 client signature";

constexpr std::size_t prefix_size = 2;
constexpr std::size_t sealed_identity_size = public_key_size + signature_size;  // key | sig
static_assert(server_hello_size ==
              prefix_size + 32 + sealed_identity_size + crypto_aead_chacha20poly1305_ietf_ABYTES);
static_assert(client_proof_size ==
              prefix_size + sealed_identity_size + crypto_aead_chacha20poly1305_ietf_ABYTES);

byte_span as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

/// BLAKE2b-256 of the concatenation of `parts`, keyed with `key` when not empty.
bytes32 blake2b(byte_span key, std::initializer_list<byte_span> parts) {
  bytes32 out{};
  crypto_generichash_state state;
  crypto_generichash_init(&state, key.empty() ? nullptr : key.data(), key.size(), out.size());
  for (auto part : parts) crypto_generichash_update(&state, part.data(), part.size());
  crypto_generichash_final(&state, out.data(), out.size());
  sodium_memzero(&state, sizeof state);
  return out;
}

/// KDF(key, label, data...) = BLAKE2b-256(key = key, message = label | data...).
bytes32 kdf(const bytes32& key, std::string_view label, std::initializer_list<byte_span> data) {
  bytes32 out{};
  crypto_generichash_state state;
  crypto_generichash_init(&state, key.data(), key.size(), out.size());
  crypto_generichash_update(&state, as_bytes(label).data(), label.size());
  for (auto part : data) crypto_generichash_update(&state, part.data(), part.size());
  crypto_generichash_final(&state, out.data(), out.size());
  sodium_memzero(&state, sizeof state);
  return out;
}

/// Signed message: label | parts...
std::vector<std::uint8_t> signed_message(std::string_view label,
                                         std::initializer_list<byte_span> parts) {
  std::vector<std::uint8_t> message(label.begin(), label.end());
  for (auto part : parts) message.insert(message.end(), part.begin(), part.end());
  return message;
}

/// Seals key | sig under a single-use key (nonce zero), with the message prefix as AD.
void seal_identity(std::uint8_t* out, const bytes32& key, byte_span ad, const public_key& id,
                   const signature& sig) {
  std::array<std::uint8_t, sealed_identity_size> plain{};
  std::copy(id.bytes().begin(), id.bytes().end(), plain.begin());
  std::copy(sig.begin(), sig.end(), plain.begin() + public_key_size);
  const std::array<std::uint8_t, 12> nonce{};
  crypto_aead_chacha20poly1305_ietf_encrypt_detached(out, out + plain.size(), nullptr, plain.data(),
                                                     plain.size(), ad.data(), ad.size(), nullptr,
                                                     nonce.data(), key.data());
}

bool open_identity(std::array<std::uint8_t, sealed_identity_size>& plain, const bytes32& key,
                   byte_span ad, const std::uint8_t* sealed) {
  const std::array<std::uint8_t, 12> nonce{};
  return crypto_aead_chacha20poly1305_ietf_decrypt_detached(
             plain.data(), nullptr, sealed, plain.size(), sealed + plain.size(), ad.data(),
             ad.size(), nonce.data(), key.data()) == 0;
}

const char* message_name(std::uint8_t type) {
  switch (type) {
    case 1:
      return "ClientHello";
    case 2:
      return "ServerHello";
    case 3:
      return "ClientProof";
  }
  return "an unknown message";
}

/// Checks version, type and length of a handshake message. Empty optional when fine.
std::optional<error> check_envelope(byte_span message, message_type expected,
                                    std::size_t expected_size) {
  const char* name = message_name(static_cast<std::uint8_t>(expected));
  if (message.empty()) return make_error(errc::malformed, std::string("empty ") + name);
  if (message[0] != handshake_version) {
    return make_error(errc::bad_version,
                      "peer speaks E2E protocol version " + std::to_string(message[0]) +
                          "; this rstream speaks version " + std::to_string(handshake_version));
  }
  if (message.size() < prefix_size)
    return make_error(errc::malformed, std::string(name) + " is truncated");
  if (message[1] != static_cast<std::uint8_t>(expected)) {
    return make_error(errc::unexpected_message, std::string("expected ") + name + ", got " +
                                                    message_name(message[1]) + " (type " +
                                                    std::to_string(message[1]) + ")");
  }
  if (message.size() != expected_size) {
    return make_error(errc::malformed, std::string(name) + " is " + std::to_string(message.size()) +
                                           " bytes, expected " + std::to_string(expected_size));
  }
  return std::nullopt;
}

/// X25519; false when the peer's point gives the all-zero secret (low order).
bool x25519(bytes32& out, const bytes32& secret, const std::uint8_t* peer_public) {
  return crypto_scalarmult(out.data(), secret.data(), peer_public) == 0;
}

void new_ephemeral(randomness& rng, handshake_secrets& s, bytes32& public_out) {
  rng.fill(s.ephemeral_secret);
  crypto_scalarmult_base(public_out.data(), s.ephemeral_secret.data());
}

}  // namespace

handshake_secrets::~handshake_secrets() { sodium_memzero(this, sizeof *this); }

e2e::error unauthorized_error(const public_key& key) {
  return make_error(
      errc::unauthorized_client,
      "client key " + key.fingerprint() + " is not an authorized client of this server identity");
}

// ---- client ----

client_handshake::client_handshake(randomness& rng) : rng_(&rng) { ensure_sodium(); }

e2e::error client_handshake::fail(errc code, std::string message) {
  state_ = state::failed;
  sodium_memzero(&secrets_, sizeof secrets_);
  return make_error(code, std::move(message));
}

std::vector<std::uint8_t> client_handshake::start() {
  if (state_ != state::initial) throw std::logic_error("client_handshake::start called twice");
  new_ephemeral(*rng_, secrets_, secrets_.client_ephemeral);
  hello_[0] = handshake_version;
  hello_[1] = static_cast<std::uint8_t>(message_type::client_hello);
  std::copy(secrets_.client_ephemeral.begin(), secrets_.client_ephemeral.end(), hello_.begin() + 2);
  state_ = state::hello_sent;
  return {hello_.begin(), hello_.end()};
}

bool client_handshake::expect_server(const public_key& pinned) {
  expected_server_.reset();
  auto checked = public_key::from_bytes(pinned.bytes());
  if (!checked) return false;
  expected_x25519_ = x25519_public(*checked);
  expected_server_ = *checked;
  return true;
}

result<public_key> client_handshake::on_server_hello(std::span<const std::uint8_t> message) {
  if (state_ == state::failed) {
    return make_error(errc::handshake_failed, "E2E handshake already failed");
  }
  if (state_ != state::hello_sent) {
    return fail(errc::unexpected_message, "unexpected ServerHello at this point of the handshake");
  }
  if (auto bad = check_envelope(message, message_type::server_hello, server_hello_size)) {
    return fail(bad->code, bad->message);
  }
  const byte_span prefix = message.first(prefix_size + 32);
  std::copy_n(message.data() + prefix_size, 32, secrets_.server_ephemeral.begin());
  bytes32 ee{};
  if (!x25519(ee, secrets_.ephemeral_secret, secrets_.server_ephemeral.data())) {
    return fail(errc::bad_key, "ServerHello carries an unusable ephemeral key (low order point)");
  }
  const bytes32 th1 = blake2b({}, {as_bytes(label_transcript), hello_, prefix});
  const bytes32 ck1 = kdf(ee, label_ck1, {th1});
  sodium_memzero(ee.data(), ee.size());
  bytes32 k_sh = kdf(ck1, label_server_hello_key, {});
  std::array<std::uint8_t, sealed_identity_size> plain{};
  const bool opened = open_identity(plain, k_sh, prefix, message.data() + prefix.size());
  sodium_memzero(k_sh.data(), k_sh.size());
  if (!opened) {
    return fail(errc::decrypt_failed,
                "ServerHello does not authenticate (tampered in transit, or replayed from "
                "another handshake)");
  }
  // The pinned key, when presented, was checked by expect_server already.
  const byte_span presented = byte_span(plain).first(public_key_size);
  const bool expected = expected_server_ && std::equal(presented.begin(), presented.end(),
                                                       expected_server_->bytes().begin());
  auto server =
      expected ? result<public_key>(*expected_server_) : public_key::from_bytes(presented);
  if (!server) {
    return fail(errc::bad_key, "ServerHello: server identity is " + server.error().message);
  }
  const auto to_sign = signed_message(label_server_signature, {th1, server->bytes()});
  if (!verify_signature(*server, to_sign,
                        std::span<const std::uint8_t, signature_size>(
                            plain.data() + public_key_size, signature_size))) {
    return fail(errc::bad_signature,
                "ServerHello: the server's signature over the handshake does not verify with its "
                "identity " +
                    server->fingerprint());
  }
  const bytes32 th2 = blake2b({}, {th1, message});
  bytes32 es{};
  const bytes32 server_x25519 = expected ? expected_x25519_ : x25519_public(*server);
  if (!x25519(es, secrets_.ephemeral_secret, server_x25519.data())) {
    return fail(errc::bad_key, "server identity has no usable key-agreement key");
  }
  secrets_.chaining_key = kdf(ck1, label_ck2, {es, th2});
  sodium_memzero(es.data(), es.size());
  secrets_.transcript = th2;
  server_identity_ = *server;
  state_ = state::server_verified;
  return *server;
}

result<void> client_handshake::check_pin(std::string_view server_name,
                                         const std::optional<public_key>& pinned) {
  if (state_ == state::failed) {
    return make_error(errc::handshake_failed, "E2E handshake already failed");
  }
  if (state_ != state::server_verified) {
    throw std::logic_error("client_handshake::check_pin before on_server_hello succeeded");
  }
  const public_key& presented = *server_identity_;
  const std::string name(server_name);
  const std::string add_command =
      "  rstream webtty known-server add " + name + " --key " + presented.to_string();
  if (!pinned) {
    std::string m = "server " + name + " requires end-to-end encryption and its identity ";
    m += presented.fingerprint();
    m += " is not pinned; nothing was sent. If that fingerprint is the one the server's owner ";
    m += "gave you (`rstream webtty identity show` on the server), pin it with:\n";
    m += add_command;
    return fail(errc::not_pinned, std::move(m));
  }
  if (!(*pinned == presented)) {
    std::string m = "@@@ WARNING: THE E2E IDENTITY OF SERVER " + name + " HAS CHANGED! @@@\n";
    m += "  pinned:    " + pinned->fingerprint() + "\n";
    m += "  presented: " + presented.fingerprint() + "\n";
    m += "Someone may be intercepting this connection (the relay or the network), or the ";
    m += "server's identity was rotated. Nothing was sent. If the change is expected and ";
    m += "confirmed by the server's owner:\n";
    m += "  rstream webtty known-server remove " + name + "\n";
    m += add_command;
    return fail(errc::key_changed, std::move(m));
  }
  state_ = state::pin_accepted;
  return {};
}

std::vector<std::uint8_t> client_handshake::prove(const identity& client) {
  if (state_ != state::pin_accepted) {
    throw std::logic_error("client_handshake::prove before check_pin accepted the server");
  }
  const public_key& server = *server_identity_;
  const public_key& me = client.public_identity();
  const signature sig = client.sign(
      signed_message(label_client_signature, {secrets_.transcript, server.bytes(), me.bytes()}));
  std::vector<std::uint8_t> proof(client_proof_size);
  proof[0] = handshake_version;
  proof[1] = static_cast<std::uint8_t>(message_type::client_proof);
  bytes32 k_cp = kdf(secrets_.chaining_key, label_client_proof_key, {});
  seal_identity(proof.data() + prefix_size, k_cp, byte_span(proof).first(prefix_size), me, sig);
  sodium_memzero(k_cp.data(), k_cp.size());
  secrets_.transcript = blake2b({}, {secrets_.transcript, proof});
  secrets_.send_key = kdf(secrets_.chaining_key, label_client_to_server, {secrets_.transcript});
  secrets_.receive_key = kdf(secrets_.chaining_key, label_server_to_client, {secrets_.transcript});
  sodium_memzero(secrets_.chaining_key.data(), secrets_.chaining_key.size());
  sodium_memzero(secrets_.ephemeral_secret.data(), secrets_.ephemeral_secret.size());
  state_ = state::complete;
  return proof;
}

secure_channel client_handshake::take_channel() {
  if (state_ != state::complete || channel_taken_) {
    throw std::logic_error("client_handshake::take_channel before prove(), or twice");
  }
  channel_taken_ = true;
  secure_channel channel(secrets_.send_key, secrets_.receive_key);
  sodium_memzero(secrets_.send_key.data(), key_size);
  sodium_memzero(secrets_.receive_key.data(), key_size);
  return channel;
}

const session_id& client_handshake::id() const {
  if (state_ != state::complete) throw std::logic_error("client_handshake::id before prove()");
  return secrets_.transcript;
}

// ---- server ----

server_handshake::server_handshake(const identity& server, randomness& rng)
    : server_(server), rng_(&rng) {
  ensure_sodium();
}

e2e::error server_handshake::fail(errc code, std::string message) {
  state_ = state::failed;
  sodium_memzero(&secrets_, sizeof secrets_);
  return make_error(code, std::move(message));
}

result<std::vector<std::uint8_t>> server_handshake::on_client_hello(
    std::span<const std::uint8_t> message) {
  if (state_ == state::failed) {
    return make_error(errc::handshake_failed, "E2E handshake already failed");
  }
  if (state_ != state::initial) {
    return fail(errc::unexpected_message, "unexpected ClientHello: the handshake already began");
  }
  if (auto bad = check_envelope(message, message_type::client_hello, client_hello_size)) {
    return fail(bad->code, bad->message);
  }
  std::copy_n(message.data() + prefix_size, 32, secrets_.client_ephemeral.begin());
  new_ephemeral(*rng_, secrets_, secrets_.server_ephemeral);
  bytes32 ee{};
  if (!x25519(ee, secrets_.ephemeral_secret, secrets_.client_ephemeral.data())) {
    return fail(errc::bad_key, "ClientHello carries an unusable ephemeral key (low order point)");
  }
  bytes32 x_secret = server_.x25519_secret();
  bytes32 es{};
  const bool es_ok = x25519(es, x_secret, secrets_.client_ephemeral.data());
  sodium_memzero(x_secret.data(), x_secret.size());
  if (!es_ok) {
    return fail(errc::bad_key, "ClientHello carries an unusable ephemeral key (low order point)");
  }
  sodium_memzero(secrets_.ephemeral_secret.data(), secrets_.ephemeral_secret.size());

  std::vector<std::uint8_t> reply(server_hello_size);
  reply[0] = handshake_version;
  reply[1] = static_cast<std::uint8_t>(message_type::server_hello);
  std::copy(secrets_.server_ephemeral.begin(), secrets_.server_ephemeral.end(),
            reply.begin() + prefix_size);
  const byte_span prefix = byte_span(reply).first(prefix_size + 32);
  const bytes32 th1 = blake2b({}, {as_bytes(label_transcript), message, prefix});
  const bytes32 ck1 = kdf(ee, label_ck1, {th1});
  sodium_memzero(ee.data(), ee.size());
  const public_key& me = server_.public_identity();
  const signature sig = server_.sign(signed_message(label_server_signature, {th1, me.bytes()}));
  bytes32 k_sh = kdf(ck1, label_server_hello_key, {});
  seal_identity(reply.data() + prefix.size(), k_sh, prefix, me, sig);
  sodium_memzero(k_sh.data(), k_sh.size());
  const bytes32 th2 = blake2b({}, {th1, reply});
  secrets_.chaining_key = kdf(ck1, label_ck2, {es, th2});
  sodium_memzero(es.data(), es.size());
  secrets_.transcript = th2;
  state_ = state::hello_sent;
  return reply;
}

result<authorized_peer> server_handshake::on_client_proof(std::span<const std::uint8_t> message,
                                                          const client_authorizer& authorize) {
  if (state_ == state::failed) {
    return make_error(errc::handshake_failed, "E2E handshake already failed");
  }
  if (state_ != state::hello_sent) {
    return fail(errc::unexpected_message, "unexpected ClientProof at this point of the handshake");
  }
  if (auto bad = check_envelope(message, message_type::client_proof, client_proof_size)) {
    return fail(bad->code, bad->message);
  }
  const byte_span prefix = message.first(prefix_size);
  bytes32 k_cp = kdf(secrets_.chaining_key, label_client_proof_key, {});
  std::array<std::uint8_t, sealed_identity_size> plain{};
  const bool opened = open_identity(plain, k_cp, prefix, message.data() + prefix_size);
  sodium_memzero(k_cp.data(), k_cp.size());
  if (!opened) {
    return fail(errc::decrypt_failed,
                "ClientProof does not authenticate (tampered in transit, replayed from another "
                "handshake, or made for another server)");
  }
  auto client = public_key::from_bytes(byte_span(plain).first(public_key_size));
  if (!client) {
    return fail(errc::bad_key, "ClientProof: client key is " + client.error().message);
  }
  const auto to_sign =
      signed_message(label_client_signature,
                     {secrets_.transcript, server_.public_identity().bytes(), client->bytes()});
  if (!verify_signature(*client, to_sign,
                        std::span<const std::uint8_t, signature_size>(
                            plain.data() + public_key_size, signature_size))) {
    return fail(errc::bad_signature, "ClientProof: the signature of client key " +
                                         client->fingerprint() +
                                         " does not verify over this handshake (a proof made "
                                         "for another server or session)");
  }
  client_key_ = *client;
  auto name = authorize(*client);
  if (!name) return fail(name.error().code, name.error().message);

  secrets_.transcript = blake2b({}, {secrets_.transcript, message});
  secrets_.send_key = kdf(secrets_.chaining_key, label_server_to_client, {secrets_.transcript});
  secrets_.receive_key = kdf(secrets_.chaining_key, label_client_to_server, {secrets_.transcript});
  sodium_memzero(secrets_.chaining_key.data(), secrets_.chaining_key.size());
  state_ = state::complete;
  return authorized_peer{*client, std::move(name).value()};
}

secure_channel server_handshake::take_channel() {
  if (state_ != state::complete || channel_taken_) {
    throw std::logic_error("server_handshake::take_channel before on_client_proof, or twice");
  }
  channel_taken_ = true;
  secure_channel channel(secrets_.send_key, secrets_.receive_key);
  sodium_memzero(secrets_.send_key.data(), key_size);
  sodium_memzero(secrets_.receive_key.data(), key_size);
  return channel;
}

const session_id& server_handshake::id() const {
  if (state_ != state::complete) {
    throw std::logic_error("server_handshake::id before on_client_proof succeeded");
  }
  return secrets_.transcript;
}

}  // namespace rstream::e2e
