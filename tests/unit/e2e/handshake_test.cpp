// Unit tests for the E2E handshake (rstream/e2e/handshake.hpp):
//   - known-answer vectors: fixed identities and ephemeral keys give exactly the bytes of the
//     independent Python reference in docs/security.md (cryptography + hashlib, no libsodium);
//   - a full client ↔ server round trip in memory, then sealed frames both ways;
//   - every byte of every handshake message flipped, messages cut or extended, and fields
//     inside the encrypted parts changed (re-sealed with the right key, so the signature and
//     key checks themselves are reached): each is refused;
//   - a replayed handshake, a proof made for another server, an unauthorized client, a server
//     that is not pinned and one whose key changed, steps in the wrong order.
#include <gtest/gtest.h>

#include <sodium.h>

#include <array>
#include <deque>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

#include "rstream/e2e/handshake.hpp"

using namespace rstream::e2e;

namespace {

using byte_vector = std::vector<std::uint8_t>;
using bytes32 = std::array<std::uint8_t, 32>;

byte_vector from_hex(std::string_view hex) {
  byte_vector out(hex.size() / 2);
  std::size_t len = 0;
  EXPECT_EQ(sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &len, nullptr),
            0);
  out.resize(len);
  return out;
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes.data(), bytes.size());
  out.pop_back();
  return out;
}

bytes32 seq32(std::uint8_t start) {
  bytes32 out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(start + i);
  return out;
}

bytes32 hex32(std::string_view hex) {
  auto v = from_hex(hex);
  bytes32 out{};
  std::copy(v.begin(), v.end(), out.begin());
  return out;
}

/// Hands out given byte strings, one per fill(), then fails the test.
class fixed_randomness final : public randomness {
 public:
  fixed_randomness(std::initializer_list<bytes32> fills) : fills_(fills) {}
  void fill(std::span<std::uint8_t> out) override {
    if (fills_.empty() || out.size() != 32) throw std::runtime_error("fixed_randomness exhausted");
    std::copy(fills_.front().begin(), fills_.front().end(), out.begin());
    fills_.pop_front();
  }

 private:
  std::deque<bytes32> fills_;
};

// RFC 8032 §7.1 TEST 1 and TEST 2 seeds.
const bytes32 server_seed =
    hex32("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
const bytes32 client_seed =
    hex32("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
const bytes32 client_ephemeral = seq32(0x40);
const bytes32 server_ephemeral = seq32(0x80);

identity server_id() { return identity::from_seed(server_seed); }
identity client_id() { return identity::from_seed(client_seed); }

client_authorizer admit(const identity& who, std::string name = "alice") {
  return [key = who.public_identity(), name](const public_key& k) -> result<std::string> {
    if (k == key) return name;
    return unauthorized_error(k);
  };
}

client_authorizer admit_anyone() {
  return [](const public_key&) -> result<std::string> { return std::string("anyone"); };
}

/// The messages of one handshake.
struct transcript {
  byte_vector client_hello, server_hello, client_proof;
};

/// A complete handshake with the given randomness; fails the test on any error.
transcript run_handshake(client_handshake& c, server_handshake& s, const identity& client) {
  transcript t;
  t.client_hello = c.start();
  auto sh = s.on_client_hello(t.client_hello);
  EXPECT_TRUE(sh) << sh.error().message;
  t.server_hello = *sh;
  auto server = c.on_server_hello(t.server_hello);
  EXPECT_TRUE(server) << server.error().message;
  auto pin = c.check_pin("box", server_id().public_identity());
  EXPECT_TRUE(pin) << pin.error().message;
  t.client_proof = c.prove(client);
  auto peer = s.on_client_proof(t.client_proof, admit(client));
  EXPECT_TRUE(peer) << peer.error().message;
  return t;
}

/// The recorded messages of the known-answer handshake.
transcript known_transcript() {
  fixed_randomness crng{client_ephemeral}, srng{server_ephemeral};
  client_handshake c(crng);
  server_handshake s(server_id(), srng);
  return run_handshake(c, s, client_id());
}

// ---- a small libsodium rendition of the key schedule, to re-seal tampered plaintexts ----

bytes32 blake(std::span<const std::uint8_t> key,
              std::initializer_list<std::span<const std::uint8_t>> parts) {
  bytes32 out{};
  crypto_generichash_state st;
  crypto_generichash_init(&st, key.empty() ? nullptr : key.data(), key.size(), 32);
  for (auto p : parts) crypto_generichash_update(&st, p.data(), p.size());
  crypto_generichash_final(&st, out.data(), 32);
  return out;
}

std::span<const std::uint8_t> text(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// The handshake-message keys of a session, from its ephemeral secrets (as an observer who
/// knows them computes them).
struct handshake_keys {
  bytes32 k_sh{}, k_cp{};
};

handshake_keys derive_keys(const bytes32& e_c, const bytes32& e_s, const byte_vector& client_hello,
                           const byte_vector& server_hello, const public_key& server) {
  bytes32 ee{}, es{}, x_server{};
  std::array<std::uint8_t, 32> pub_s{};
  crypto_scalarmult_base(pub_s.data(), e_s.data());
  EXPECT_EQ(crypto_scalarmult(ee.data(), e_c.data(), pub_s.data()), 0);
  EXPECT_EQ(crypto_sign_ed25519_pk_to_curve25519(x_server.data(), server.bytes().data()), 0);
  EXPECT_EQ(crypto_scalarmult(es.data(), e_c.data(), x_server.data()), 0);
  const auto th1 = blake(
      {}, {text("rstream-e2e-v1 transcript"), client_hello, std::span(server_hello).first(34)});
  const auto ck1 = blake(ee, {text("rstream-e2e-v1 ck1"), th1});
  const auto th2 = blake({}, {th1, server_hello});
  const auto ck2 = blake(ck1, {text("rstream-e2e-v1 ck2"), es, th2});
  return {blake(ck1, {text("rstream-e2e-v1 server hello key")}),
          blake(ck2, {text("rstream-e2e-v1 client proof key")})};
}

byte_vector open_part(const bytes32& key, std::span<const std::uint8_t> ad,
                      std::span<const std::uint8_t> sealed) {
  byte_vector plain(sealed.size() - 16);
  const std::array<std::uint8_t, 12> nonce{};
  EXPECT_EQ(crypto_aead_chacha20poly1305_ietf_decrypt(plain.data(), nullptr, nullptr, sealed.data(),
                                                      sealed.size(), ad.data(), ad.size(),
                                                      nonce.data(), key.data()),
            0);
  return plain;
}

byte_vector seal_part(const bytes32& key, std::span<const std::uint8_t> ad,
                      std::span<const std::uint8_t> plain) {
  byte_vector sealed(plain.size() + 16);
  const std::array<std::uint8_t, 12> nonce{};
  crypto_aead_chacha20poly1305_ietf_encrypt(sealed.data(), nullptr, plain.data(), plain.size(),
                                            ad.data(), ad.size(), nullptr, nonce.data(),
                                            key.data());
  return sealed;
}

}  // namespace

// ---- known answers ----

TEST(E2eHandshake, KnownAnswerVectorsMatchTheReferenceImplementation) {
  fixed_randomness crng{client_ephemeral}, srng{server_ephemeral};
  client_handshake c(crng);
  server_handshake s(server_id(), srng);
  const transcript t = run_handshake(c, s, client_id());
  // docs/security.md, "Reference implementation": python3 reference.py
  EXPECT_EQ(to_hex(t.client_hello),
            "010179a631eede1bf9c98f12032cdeadd0e7a079398fc786b88cc846ec89af85a51a");
  EXPECT_EQ(to_hex(t.server_hello),
            "0102493e82fc74464a59268817623d2053c5eb8e2cc4a988b4fee179ec6b010d531d30586f80b72d77"
            "74d10e23f4c5d2faeeba50bad13ea22b738c2ff3c2b062eeb9698daae46a67ea20c4fbe573f511f405"
            "fd1b621cc6b6fd9b695f9e287f9b92e71c7792305ab1f1631031845e8745614c0c2e95b87bcd3cc072"
            "88d4484dfccdcb25e630cf01a9422e7923d1a97fdb36bc");
  EXPECT_EQ(to_hex(t.client_proof),
            "0103761956f28c4a7de04f5ada3f3ae76a4a5218405f9995a1aa2d86e7602dc448195c88b72a066ed6"
            "a33dbc516f99c0b44b9fda07954ad65d7dbfb39728a4cbe1bbbd80ceedb5b6f3cc35372da2d429fc98"
            "b3be3d0ec829d499ffc56cc431e0646295f03fc396866745652c883837656689");
  EXPECT_EQ(to_hex(c.id()), "ae6f845969e63e6316ce8af28dccedf7d157586406c6a5ad5257aefc9ab17e7e");
  EXPECT_EQ(c.id(), s.id());

  auto client_channel = c.take_channel();
  auto server_channel = s.take_channel();
  const std::string hello_c = "hello from the client", hello_s = "hello from the server";
  auto c0 = client_channel.seal(text(hello_c));
  auto c1 = client_channel.seal({});
  auto s0 = server_channel.seal(text(hello_s));
  EXPECT_EQ(to_hex(c0),
            "00000000000000000e704dd2366e1fa2c4b3a7d6b67b826c3e5d691864a667930f97f074b5182256b4"
            "c8a35363");
  EXPECT_EQ(to_hex(c1), "0000000000000001a30bfcb79413254f799c4b441466bf3b");
  EXPECT_EQ(to_hex(s0),
            "0000000000000000c19228dcfcba2c13aa9a45819ca686985d4e6b0b60701038e63190e0695cd239a4"
            "9e5849cd");
  auto o0 = server_channel.open(c0);
  ASSERT_TRUE(o0);
  EXPECT_EQ(std::string(o0->begin(), o0->end()), hello_c);
  ASSERT_TRUE(server_channel.open(c1));
  auto o1 = client_channel.open(s0);
  ASSERT_TRUE(o1);
  EXPECT_EQ(std::string(o1->begin(), o1->end()), hello_s);
}

TEST(E2eHandshake, ExpectingThePinnedServerChangesNoByte) {
  // expect_server only moves the server key's checks before the ServerHello arrives.
  fixed_randomness crng{client_ephemeral}, srng{server_ephemeral};
  client_handshake c(crng);
  server_handshake s(server_id(), srng);
  auto sh = s.on_client_hello(c.start());
  ASSERT_TRUE(sh);
  ASSERT_TRUE(c.expect_server(server_id().public_identity()));
  ASSERT_TRUE(c.on_server_hello(*sh));
  ASSERT_TRUE(c.check_pin("box", server_id().public_identity()));
  EXPECT_EQ(to_hex(c.prove(client_id())),
            "0103761956f28c4a7de04f5ada3f3ae76a4a5218405f9995a1aa2d86e7602dc448195c88b72a066ed6"
            "a33dbc516f99c0b44b9fda07954ad65d7dbfb39728a4cbe1bbbd80ceedb5b6f3cc35372da2d429fc98"
            "b3be3d0ec829d499ffc56cc431e0646295f03fc396866745652c883837656689");
  EXPECT_EQ(to_hex(c.id()), "ae6f845969e63e6316ce8af28dccedf7d157586406c6a5ad5257aefc9ab17e7e");
}

TEST(E2eHandshake, ExpectingAnotherServerStillChecksThePresentedOne) {
  const identity old_key = identity::generate();
  client_handshake c;
  server_handshake s(server_id());
  auto sh = s.on_client_hello(c.start());
  ASSERT_TRUE(sh);
  ASSERT_TRUE(c.expect_server(old_key.public_identity()));
  auto presented = c.on_server_hello(*sh);
  ASSERT_TRUE(presented);
  EXPECT_EQ(*presented, server_id().public_identity());
  EXPECT_EQ(c.check_pin("mybox", old_key.public_identity()).error().code, errc::key_changed);
  // A pin that is no usable key (e.g. damaged in known_servers.json) is not remembered.
  std::array<std::uint8_t, 32> all_ff{};
  all_ff.fill(0xff);
  auto unusable =
      public_key::decode_stored(std::string(endpoint_identity_prefix) + base64url(all_ff));
  ASSERT_TRUE(unusable);
  client_handshake c2;
  (void)c2.start();
  EXPECT_FALSE(c2.expect_server(*unusable));
}

// ---- round trip ----

TEST(E2eHandshake, RoundTripWithFreshKeysGivesWorkingChannels) {
  const identity server = identity::generate();
  const identity client = identity::generate();
  client_handshake c;
  server_handshake s(server);
  auto sh = s.on_client_hello(c.start());
  ASSERT_TRUE(sh);
  auto presented = c.on_server_hello(*sh);
  ASSERT_TRUE(presented);
  EXPECT_EQ(*presented, server.public_identity());
  EXPECT_EQ(c.server_identity(), server.public_identity());
  ASSERT_TRUE(c.check_pin("box", server.public_identity()));
  auto peer = s.on_client_proof(c.prove(client), admit(client, "laptop"));
  ASSERT_TRUE(peer) << peer.error().message;
  EXPECT_EQ(peer->key, client.public_identity());
  EXPECT_EQ(peer->name, "laptop");
  EXPECT_TRUE(c.complete());
  EXPECT_TRUE(s.complete());
  EXPECT_EQ(c.id(), s.id());
  auto cc = c.take_channel();
  auto sc = s.take_channel();
  for (int i = 0; i < 3; ++i) {
    auto up = sc.open(cc.seal(text("up")));
    ASSERT_TRUE(up);
    auto down = cc.open(sc.seal(text("down")));
    ASSERT_TRUE(down);
  }
  EXPECT_THROW(c.take_channel(), std::logic_error);
}

TEST(E2eHandshake, TwoSessionsHaveDifferentKeys) {
  const identity server = identity::generate();
  const identity client = identity::generate();
  client_handshake c1, c2;
  server_handshake s1(server), s2(server);
  auto run = [&](client_handshake& c, server_handshake& s) {
    auto sh = s.on_client_hello(c.start());
    ASSERT_TRUE(sh);
    ASSERT_TRUE(c.on_server_hello(*sh));
    ASSERT_TRUE(c.check_pin("box", server.public_identity()));
    ASSERT_TRUE(s.on_client_proof(c.prove(client), admit(client)));
  };
  run(c1, s1);
  run(c2, s2);
  EXPECT_NE(c1.id(), c2.id());
  auto a = c1.take_channel();
  auto b = s2.take_channel();
  auto r = b.open(a.seal(text("cross-session")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::tampered);
}

// ---- tampering: every byte of every message ----

TEST(E2eHandshake, EveryFlippedByteOfClientHelloFailsTheHandshake) {
  const transcript good = known_transcript();
  for (std::size_t i = 0; i < good.client_hello.size(); ++i) {
    fixed_randomness crng{client_ephemeral}, srng{server_ephemeral};
    client_handshake c(crng);
    server_handshake s(server_id(), srng);
    auto hello = c.start();
    hello[i] ^= 0x80;  // bit 255 of E_c is ignored by X25519, but not by the transcript
    auto sh = s.on_client_hello(hello);
    if (!sh) {
      EXPECT_EQ(sh.error().code, i == 0   ? errc::bad_version
                                 : i == 1 ? errc::unexpected_message
                                          : errc::bad_key)
          << i;
      continue;
    }
    ASSERT_GE(i, 2u);
    auto server = c.on_server_hello(*sh);
    ASSERT_FALSE(server) << "byte " << i;
    EXPECT_EQ(server.error().code, errc::decrypt_failed) << i;
  }
}

TEST(E2eHandshake, EveryFlippedByteOfServerHelloIsRefused) {
  const transcript good = known_transcript();
  for (std::size_t i = 0; i < good.server_hello.size(); ++i) {
    fixed_randomness crng{client_ephemeral};
    client_handshake c(crng);
    (void)c.start();
    auto tampered = good.server_hello;
    tampered[i] ^= 0x01;
    auto r = c.on_server_hello(tampered);
    ASSERT_FALSE(r) << "byte " << i;
    const errc expected = i == 0   ? errc::bad_version
                          : i == 1 ? errc::unexpected_message
                                   : errc::decrypt_failed;
    if (i >= 2 && i < 34 && r.error().code == errc::bad_key) continue;  // a low-order E_s
    EXPECT_EQ(r.error().code, expected) << i << ": " << r.error().message;
    EXPECT_FALSE(c.server_identity());
    auto pin = c.check_pin("box", server_id().public_identity());
    ASSERT_FALSE(pin);
    EXPECT_EQ(pin.error().code, errc::handshake_failed);
    EXPECT_THROW((void)c.prove(client_id()), std::logic_error);
  }
}

TEST(E2eHandshake, EveryFlippedByteOfClientProofIsRefused) {
  const transcript good = known_transcript();
  for (std::size_t i = 0; i < good.client_proof.size(); ++i) {
    fixed_randomness srng{server_ephemeral};
    server_handshake s(server_id(), srng);
    ASSERT_TRUE(s.on_client_hello(good.client_hello));
    auto tampered = good.client_proof;
    tampered[i] ^= 0x01;
    auto r = s.on_client_proof(tampered, admit_anyone());
    ASSERT_FALSE(r) << "byte " << i;
    const errc expected = i == 0   ? errc::bad_version
                          : i == 1 ? errc::unexpected_message
                                   : errc::decrypt_failed;
    EXPECT_EQ(r.error().code, expected) << i;
    EXPECT_FALSE(s.client_key());
    EXPECT_THROW(s.take_channel(), std::logic_error);
  }
}

TEST(E2eHandshake, CutOrExtendedMessagesAreMalformed) {
  const transcript good = known_transcript();
  auto check_server_hello = [&](const byte_vector& m) {
    fixed_randomness crng{client_ephemeral};
    client_handshake c(crng);
    (void)c.start();
    auto r = c.on_server_hello(m);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::malformed) << m.size();
  };
  for (std::size_t n = 0; n < good.server_hello.size(); ++n) {
    check_server_hello(byte_vector(good.server_hello.begin(), good.server_hello.begin() + n));
  }
  auto longer = good.server_hello;
  longer.push_back(0);
  check_server_hello(longer);

  for (std::size_t n :
       {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{33}, std::size_t{35}}) {
    byte_vector hello(n, 0);
    if (n > 0) hello[0] = 1;
    if (n > 1) hello[1] = 1;
    hello.resize(n);
    server_handshake s(server_id());
    auto r = s.on_client_hello(hello);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::malformed) << n;
  }
  for (std::size_t n : {std::size_t{2}, client_proof_size - 1, client_proof_size + 1}) {
    fixed_randomness srng{server_ephemeral};
    server_handshake s(server_id(), srng);
    ASSERT_TRUE(s.on_client_hello(good.client_hello));
    byte_vector proof = good.client_proof;
    proof.resize(n);
    auto r = s.on_client_proof(proof, admit_anyone());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::malformed) << n;
    EXPECT_NE(r.error().message.find("expected 114"), std::string::npos);
  }
}

TEST(E2eHandshake, AnotherProtocolVersionIsNamed) {
  server_handshake s(server_id());
  byte_vector hello(client_hello_size, 9);
  hello[0] = 2;
  auto r = s.on_client_hello(hello);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::bad_version);
  EXPECT_NE(r.error().message.find("version 2"), std::string::npos);
}

TEST(E2eHandshake, LowOrderEphemeralKeyIsBadKey) {
  server_handshake s(server_id());
  byte_vector hello(client_hello_size, 0);  // E_c = 0: the all-zero shared secret
  hello[0] = 1;
  hello[1] = 1;
  auto r = s.on_client_hello(hello);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::bad_key);
}

// ---- tampering inside the encrypted parts (re-sealed with the right key) ----

TEST(E2eHandshake, ChangedServerIdentityOrSignatureIsRefused) {
  const transcript good = known_transcript();
  const auto keys = derive_keys(client_ephemeral, server_ephemeral, good.client_hello,
                                good.server_hello, server_id().public_identity());
  const auto prefix = std::span(good.server_hello).first(34);
  const auto plain = open_part(keys.k_sh, prefix, std::span(good.server_hello).subspan(34));
  ASSERT_EQ(plain.size(), 96u);
  for (std::size_t i = 0; i < plain.size(); ++i) {
    auto changed = plain;
    changed[i] ^= 0x01;
    byte_vector forged(prefix.begin(), prefix.end());
    auto sealed = seal_part(keys.k_sh, prefix, changed);
    forged.insert(forged.end(), sealed.begin(), sealed.end());
    fixed_randomness crng{client_ephemeral};
    client_handshake c(crng);
    (void)c.start();
    auto r = c.on_server_hello(forged);
    ASSERT_FALSE(r) << "plaintext byte " << i;
    if (i < 32) {
      EXPECT_TRUE(r.error().code == errc::bad_signature || r.error().code == errc::bad_key) << i;
    } else {
      EXPECT_EQ(r.error().code, errc::bad_signature) << i;
    }
  }
  // A server that signs with another identity than the one it presents.
  const identity impostor = identity::generate();
  auto changed = plain;
  std::copy(impostor.public_identity().bytes().begin(), impostor.public_identity().bytes().end(),
            changed.begin());
  byte_vector forged(prefix.begin(), prefix.end());
  auto sealed = seal_part(keys.k_sh, prefix, changed);
  forged.insert(forged.end(), sealed.begin(), sealed.end());
  fixed_randomness crng{client_ephemeral};
  client_handshake c(crng);
  (void)c.start();
  auto r = c.on_server_hello(forged);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::bad_signature);
}

TEST(E2eHandshake, ChangedClientKeyOrSignatureIsRefused) {
  const transcript good = known_transcript();
  const auto keys = derive_keys(client_ephemeral, server_ephemeral, good.client_hello,
                                good.server_hello, server_id().public_identity());
  const auto prefix = std::span(good.client_proof).first(2);
  const auto plain = open_part(keys.k_cp, prefix, std::span(good.client_proof).subspan(2));
  ASSERT_EQ(plain.size(), 96u);
  for (std::size_t i = 0; i < plain.size(); ++i) {
    auto changed = plain;
    changed[i] ^= 0x01;
    byte_vector forged(prefix.begin(), prefix.end());
    auto sealed = seal_part(keys.k_cp, prefix, changed);
    forged.insert(forged.end(), sealed.begin(), sealed.end());
    fixed_randomness srng{server_ephemeral};
    server_handshake s(server_id(), srng);
    ASSERT_TRUE(s.on_client_hello(good.client_hello));
    auto r = s.on_client_proof(forged, admit_anyone());
    ASSERT_FALSE(r) << "plaintext byte " << i;
    if (i < 32) {
      EXPECT_TRUE(r.error().code == errc::bad_signature || r.error().code == errc::bad_key) << i;
    } else {
      EXPECT_EQ(r.error().code, errc::bad_signature) << i;
    }
    EXPECT_FALSE(s.client_key());
  }
}

// ---- replays and proofs for another server ----

TEST(E2eHandshake, ReplayedServerHelloFailsForANewClient) {
  const transcript old = known_transcript();
  client_handshake c;  // a fresh ephemeral key
  (void)c.start();
  auto r = c.on_server_hello(old.server_hello);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::decrypt_failed);
  EXPECT_NE(r.error().message.find("replayed"), std::string::npos);
}

TEST(E2eHandshake, ReplayedClientHelloAndProofFailAtTheServer) {
  const transcript old = known_transcript();
  server_handshake s(server_id());  // a fresh ephemeral key
  ASSERT_TRUE(s.on_client_hello(old.client_hello));
  auto r = s.on_client_proof(old.client_proof, admit(client_id()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::decrypt_failed);
  EXPECT_FALSE(s.client_key());
}

TEST(E2eHandshake, ProofMadeForAnotherServerIsRefused) {
  // Servers A and B happen to use the same ephemeral key, so only the identities differ.
  const identity server_b = identity::generate();
  const transcript with_a = known_transcript();
  fixed_randomness srng{server_ephemeral};
  server_handshake b(server_b, srng);
  auto hello_b = b.on_client_hello(with_a.client_hello);
  ASSERT_TRUE(hello_b);
  // As sent: the proof is encrypted under A's transcript.
  auto as_sent = b.on_client_proof(with_a.client_proof, admit_anyone());
  ASSERT_FALSE(as_sent);
  EXPECT_EQ(as_sent.error().code, errc::decrypt_failed);

  // Even re-sealed under B's keys (a relay that knew them), A's signature does not verify at B.
  const auto keys_a = derive_keys(client_ephemeral, server_ephemeral, with_a.client_hello,
                                  with_a.server_hello, server_id().public_identity());
  const auto keys_b = derive_keys(client_ephemeral, server_ephemeral, with_a.client_hello, *hello_b,
                                  server_b.public_identity());
  const byte_vector prefix{1, 3};
  const auto plain = open_part(keys_a.k_cp, prefix, std::span(with_a.client_proof).subspan(2));
  byte_vector forged = prefix;
  auto sealed = seal_part(keys_b.k_cp, prefix, plain);
  forged.insert(forged.end(), sealed.begin(), sealed.end());
  fixed_randomness srng2{server_ephemeral};
  server_handshake b2(server_b, srng2);
  ASSERT_TRUE(b2.on_client_hello(with_a.client_hello));
  auto r = b2.on_client_proof(forged, admit_anyone());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::bad_signature);
  EXPECT_NE(r.error().message.find("another server"), std::string::npos);
}

// ---- authorization ----

TEST(E2eHandshake, UnauthorizedClientIsRefusedWithItsFingerprint) {
  const identity stranger = identity::generate();
  client_handshake c;
  server_handshake s(server_id());
  auto sh = s.on_client_hello(c.start());
  ASSERT_TRUE(sh);
  ASSERT_TRUE(c.on_server_hello(*sh));
  ASSERT_TRUE(c.check_pin("box", server_id().public_identity()));
  auto r = s.on_client_proof(c.prove(stranger), admit(client_id()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::unauthorized_client);
  EXPECT_NE(r.error().message.find(stranger.public_identity().fingerprint()), std::string::npos);
  ASSERT_TRUE(s.client_key());  // for the server's log
  EXPECT_EQ(*s.client_key(), stranger.public_identity());
  EXPECT_TRUE(s.failed());
  EXPECT_THROW(s.take_channel(), std::logic_error);
}

TEST(E2eHandshake, AuthorizerErrorsArePassedOn) {
  client_handshake c;
  server_handshake s(server_id());
  auto sh = s.on_client_hello(c.start());
  ASSERT_TRUE(sh);
  ASSERT_TRUE(c.on_server_hello(*sh));
  ASSERT_TRUE(c.check_pin("box", server_id().public_identity()));
  auto r = s.on_client_proof(c.prove(client_id()), [](const public_key&) -> result<std::string> {
    return make_error(errc::insecure_file, "file X is writable by others");
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::insecure_file);
}

// ---- pinning ----

TEST(E2eHandshake, UnpinnedServerIsNotPinnedAndNothingCanBeSent) {
  client_handshake c;
  server_handshake s(server_id());
  auto sh = s.on_client_hello(c.start());
  ASSERT_TRUE(sh);
  auto presented = c.on_server_hello(*sh);
  ASSERT_TRUE(presented);
  auto r = c.check_pin("mybox", std::nullopt);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::not_pinned);
  const std::string& m = r.error().message;
  EXPECT_NE(m.find("not pinned"), std::string::npos);
  EXPECT_NE(m.find(presented->fingerprint()), std::string::npos);
  EXPECT_NE(m.find("rstream webtty known-server add mybox --key " + presented->to_string()),
            std::string::npos);
  EXPECT_TRUE(c.failed());
  EXPECT_THROW((void)c.prove(client_id()), std::logic_error);
  EXPECT_THROW(c.take_channel(), std::logic_error);
}

TEST(E2eHandshake, DifferentPinnedKeyIsKeyChanged) {
  const identity old_key = identity::generate();
  client_handshake c;
  server_handshake s(server_id());
  auto sh = s.on_client_hello(c.start());
  ASSERT_TRUE(sh);
  ASSERT_TRUE(c.on_server_hello(*sh));
  auto r = c.check_pin("mybox", old_key.public_identity());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::key_changed);
  const std::string& m = r.error().message;
  EXPECT_NE(m.find("CHANGED"), std::string::npos);
  EXPECT_NE(m.find(old_key.public_identity().fingerprint()), std::string::npos);
  EXPECT_NE(m.find(server_id().public_identity().fingerprint()), std::string::npos);
  EXPECT_THROW((void)c.prove(client_id()), std::logic_error);
}

// ---- order of steps ----

TEST(E2eHandshake, MessagesInTheWrongOrderAreUnexpected) {
  const transcript good = known_transcript();
  {
    server_handshake s(server_id());
    auto r = s.on_client_proof(good.client_proof, admit_anyone());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::unexpected_message);
    auto again = s.on_client_hello(good.client_hello);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, errc::handshake_failed);  // failures are final
  }
  {
    server_handshake s(server_id());
    auto r = s.on_client_hello(good.client_proof);  // a ClientProof where a ClientHello belongs
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::unexpected_message);
    EXPECT_NE(r.error().message.find("expected ClientHello, got ClientProof"), std::string::npos);
  }
  {
    fixed_randomness srng{server_ephemeral};
    server_handshake s(server_id(), srng);
    ASSERT_TRUE(s.on_client_hello(good.client_hello));
    auto r = s.on_client_proof(good.client_hello, admit_anyone());  // the hello, twice
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::unexpected_message);
  }
  {
    client_handshake c;
    auto r = c.on_server_hello(good.server_hello);  // before start()
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::unexpected_message);
  }
  {
    client_handshake c;
    (void)c.start();
    EXPECT_THROW((void)c.start(), std::logic_error);
    EXPECT_THROW((void)c.prove(client_id()), std::logic_error);
  }
}
