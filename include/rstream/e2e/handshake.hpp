// The E2E handshake, sans-I/O: client_handshake and server_handshake turn the peer's message
// bytes into the next message to send, or into an error, and end with a secure_channel.
//
//   client                                              server (endpoint identity S)
//   ClientHello  = 1 | 1 | E_c                   ─▶     (34 bytes)
//                                                ◀─     ServerHello = 1 | 2 | E_s | seal(S | sig_S)
//   on_server_hello(): verifies sig_S, learns S                                 (146 bytes)
//   check_pin(): S must equal the pinned key — nothing else is sent before this
//   ClientProof  = 1 | 3 | seal(C | sig_C)        ─▶     (114 bytes)
//                                                       on_client_proof(): verifies sig_C, then
//                                                       asks the authorizer about C
//   both: secure_channel with one key per direction
//
// E_c, E_s are fresh X25519 keys (forward secrecy); sig_S signs the transcript so far and S;
// sig_C signs the transcript including S (a proof made for one server fails at any other); the
// session keys also depend on X25519(E_c, S's derived X25519 key), so only the holder of S's
// secret key can read the session. docs/security.md gives every byte and label.
//
// Peer input never throws: it gives an error and the handshake stays failed. Calling the steps
// out of order is a caller bug and throws std::logic_error.
// Thread-safety: none; one handshake belongs to one connection.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rstream/e2e/channel.hpp"
#include "rstream/e2e/error.hpp"
#include "rstream/e2e/identity.hpp"
#include "rstream/e2e/randomness.hpp"

namespace rstream::e2e {

/// The E2E protocol version, first byte of every handshake message.
inline constexpr std::uint8_t handshake_version = 1;

/// Second byte of every handshake message.
enum class message_type : std::uint8_t { client_hello = 1, server_hello = 2, client_proof = 3 };

inline constexpr std::size_t client_hello_size = 2 + 32;
inline constexpr std::size_t server_hello_size = 2 + 32 + 32 + 64 + 16;
inline constexpr std::size_t client_proof_size = 2 + 32 + 64 + 16;

/// A hash that names one session, equal on both sides once the handshake is complete
/// (BLAKE2b-256 of the whole transcript).
using session_id = std::array<std::uint8_t, 32>;

/// State shared by both sides of a handshake (internal; exposed only so the classes below can
/// hold it by value).
struct handshake_secrets {
  std::array<std::uint8_t, 32> ephemeral_secret{};
  std::array<std::uint8_t, 32> client_ephemeral{};
  std::array<std::uint8_t, 32> server_ephemeral{};
  std::array<std::uint8_t, 32> chaining_key{};  ///< ck1, then ck2
  std::array<std::uint8_t, 32> transcript{};    ///< th1, th2, then th3
  session_key send_key{};
  session_key receive_key{};
  handshake_secrets() = default;
  handshake_secrets(const handshake_secrets&) = delete;
  handshake_secrets& operator=(const handshake_secrets&) = delete;
  ~handshake_secrets();
};

/// The client side. Typical use:
///   client_handshake hs;  send(hs.start());
///   auto server = hs.on_server_hello(received);            // error → close
///   auto pin = hs.check_pin(name, pinned_key_or_nullopt);  // error → close, show pin.error()
///   send(hs.prove(client_identity));  auto channel = hs.take_channel();
class client_handshake {
 public:
  explicit client_handshake(randomness& rng = system_randomness());

  /// The ClientHello to send first. Call once, before anything else.
  std::vector<std::uint8_t> start();
  /// Optional, between start() and on_server_hello: the key the caller has pinned for this
  /// server. It is checked and converted to X25519 now, while the ServerHello is on its way;
  /// a ServerHello that presents the same key then costs two curve operations less. Changes
  /// no result: any other key is checked as usual (and check_pin still decides). False when
  /// `pinned` is no usable key (then nothing is remembered).
  bool expect_server(const public_key& pinned);
  /// Reads the ServerHello: checks its version, type, length, keys, encryption and the
  /// server's signature, and returns the server's endpoint identity. Sends nothing: the caller
  /// must call check_pin next. Errors: malformed, bad_version, unexpected_message, bad_key,
  /// decrypt_failed (tampered, or replayed from another handshake), bad_signature.
  result<public_key> on_server_hello(std::span<const std::uint8_t> message);
  /// The server's identity, once on_server_hello succeeded.
  const std::optional<public_key>& server_identity() const { return server_identity_; }
  /// Decides whether to go on: the presented identity must equal `pinned`. No pin is
  /// not_pinned, another key is key_changed; both messages name `server_name`, show the
  /// fingerprints and the `rstream webtty known-server` commands that would fix it. Any error
  /// fails the handshake.
  result<void> check_pin(std::string_view server_name, const std::optional<public_key>& pinned);
  /// The ClientProof, signed by `client`; only after check_pin succeeded. Completes the
  /// handshake: take_channel() and id() are available afterwards.
  std::vector<std::uint8_t> prove(const identity& client);
  /// The record channel (seals client → server, opens server → client). Once, after prove().
  secure_channel take_channel();
  /// The session's id (after prove()).
  const session_id& id() const;
  bool failed() const { return state_ == state::failed; }
  bool complete() const { return state_ == state::complete; }

 private:
  enum class state { initial, hello_sent, server_verified, pin_accepted, complete, failed };
  e2e::error fail(errc code, std::string message);

  randomness* rng_;
  state state_ = state::initial;
  handshake_secrets secrets_;
  std::array<std::uint8_t, client_hello_size> hello_{};
  std::optional<public_key> server_identity_;
  std::optional<public_key> expected_server_;       ///< checked, from expect_server
  std::array<std::uint8_t, 32> expected_x25519_{};  ///< expected_server_'s X25519 form
  bool channel_taken_ = false;
};

/// Whom a server admits: returns the client's name when `key` is authorized, an error
/// otherwise (unauthorized_error(key), or why the list could not be read). Called once per
/// handshake, so re-reading the authorized-clients file here makes changes take effect on the
/// next session (key_store.hpp has ready-made authorizers).
using client_authorizer = std::function<result<std::string>(const public_key& key)>;

/// The standard unauthorized_client error, naming the key's fingerprint.
e2e::error unauthorized_error(const public_key& key);

/// A verified and authorized client.
struct authorized_peer {
  public_key key;
  std::string name;  ///< as the authorizer returned it
};

/// The server side. Typical use:
///   server_handshake hs(server_identity);
///   send(hs.on_client_hello(received).value());                // error → close
///   auto peer = hs.on_client_proof(received, authorizer);      // error → Error frame, close;
///                                                              // never start a process before
///   auto channel = hs.take_channel();
class server_handshake {
 public:
  /// Keeps a copy of `server` (wiped when the handshake is destroyed).
  explicit server_handshake(const identity& server, randomness& rng = system_randomness());

  /// Reads the ClientHello; returns the ServerHello to send. Errors: malformed, bad_version,
  /// unexpected_message, bad_key.
  result<std::vector<std::uint8_t>> on_client_hello(std::span<const std::uint8_t> message);
  /// Reads the ClientProof: checks encryption and the client's signature, then asks
  /// `authorize`. Errors: malformed, bad_version, unexpected_message, bad_key, decrypt_failed,
  /// bad_signature, or the authorizer's error (unauthorized_client, whose message carries the
  /// key's fingerprint, or why the authorized clients could not be read).
  result<authorized_peer> on_client_proof(std::span<const std::uint8_t> message,
                                          const client_authorizer& authorize);
  /// The client's key once its signature verified, authorized or not (for logs).
  const std::optional<public_key>& client_key() const { return client_key_; }
  /// The record channel (seals server → client). Once, after on_client_proof succeeded.
  secure_channel take_channel();
  /// The session's id (after on_client_proof succeeded).
  const session_id& id() const;
  bool failed() const { return state_ == state::failed; }
  bool complete() const { return state_ == state::complete; }

 private:
  enum class state { initial, hello_sent, complete, failed };
  e2e::error fail(errc code, std::string message);

  identity server_;
  randomness* rng_;
  state state_ = state::initial;
  handshake_secrets secrets_;
  std::optional<public_key> client_key_;
  bool channel_taken_ = false;
};

}  // namespace rstream::e2e
