// Unit tests for the E2E record layer (rstream/e2e/channel.hpp): known-answer sealed frames
// (from the independent Python reference in docs/security.md), round trips, and each way a
// sealed frame is refused: truncated, replayed (reused counter), reordered, dropped, tampered
// (every byte flipped), wrong key; the first failure is final.
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <sodium.h>

#include <cstring>

#include <array>
#include <string>
#include <vector>

#include "rstream/e2e/channel.hpp"

using namespace rstream::e2e;

namespace {

std::vector<std::uint8_t> from_hex(std::string_view hex) {
  std::vector<std::uint8_t> out(hex.size() / 2);
  std::size_t len = 0;
  EXPECT_EQ(sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &len, nullptr),
            0);
  out.resize(len);
  return out;
}

std::vector<std::uint8_t> bytes(std::string_view text) { return {text.begin(), text.end()}; }

session_key key_of(std::uint8_t start) {
  session_key k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(start + i);
  return k;
}

/// A connected pair: a seals what b opens and the other way round.
struct channel_pair {
  secure_channel a{key_of(0x00), key_of(0x40)};
  secure_channel b{key_of(0x40), key_of(0x00)};
};

}  // namespace

TEST(E2eChannel, KnownAnswerSealedFrames) {
  secure_channel ch(key_of(0x00), key_of(0x40));
  // reference.py: seal_frame(bytes(range(32)), counter, b"hello, e2e")
  EXPECT_EQ(ch.seal(bytes("hello, e2e")),
            from_hex("000000000000000070dd2e5dc2ca86b42104c5bef39c3c679668323fcf99b5727e16"));
  for (int i = 1; i < 7; ++i) (void)ch.seal(bytes("x"));
  EXPECT_EQ(ch.seal(bytes("hello, e2e")),
            from_hex("00000000000000074023792f21af0a3b5e080a234d96ed14e5270fe56a74510adc52"));
  EXPECT_EQ(ch.sent(), 8u);
}

TEST(E2eChannel, RoundTripBothDirectionsWithCountersFromZero) {
  channel_pair p;
  for (int i = 0; i < 5; ++i) {
    const auto message = bytes("frame " + std::to_string(i));
    auto sealed = p.a.seal(message);
    EXPECT_EQ(sealed.size(), message.size() + secure_channel::overhead);
    auto opened = p.b.open(sealed);
    ASSERT_TRUE(opened) << opened.error().message;
    EXPECT_EQ(*opened, message);
    auto back = p.a.open(p.b.seal(message));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, message);
  }
  EXPECT_EQ(p.a.sent(), 5u);
  EXPECT_EQ(p.b.received(), 5u);
}

TEST(E2eChannel, EmptyAndTwoPartPlaintexts) {
  channel_pair p;
  auto empty = p.b.open(p.a.seal({}));
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  const auto head = bytes("\x01\x04\x00\x00\x00\x05");
  const auto body = bytes("hello");
  auto joined = head;
  joined.insert(joined.end(), body.begin(), body.end());
  // Same counter, same plaintext: the two-part form seals exactly like the one-part form.
  secure_channel one(key_of(0), key_of(1)), two(key_of(0), key_of(1));
  EXPECT_EQ(one.seal(joined), two.seal(head, body));
  auto opened = p.b.open(p.a.seal(head, body));
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, joined);
}

TEST(E2eChannel, SealIntoReusesItsBufferAndMatchesSeal) {
  channel_pair p;
  secure_channel twin(key_of(0x00), key_of(0x40));
  std::vector<std::uint8_t> buffer;
  const auto big = std::vector<std::uint8_t>(100000, 7);
  const auto first = p.a.seal_into(bytes("head"), big, buffer);
  EXPECT_EQ(std::vector<std::uint8_t>(first.begin(), first.end()), twin.seal(bytes("head"), big));
  const auto* storage = buffer.data();
  // A smaller frame next: same storage, only the sealed prefix counts.
  const auto second = p.a.seal_into(bytes("h"), bytes("tail"), buffer);
  EXPECT_EQ(buffer.data(), storage);
  EXPECT_EQ(second.size(), secure_channel::overhead + 5);
  EXPECT_EQ(std::vector<std::uint8_t>(second.begin(), second.end()),
            twin.seal(bytes("h"), bytes("tail")));
}

TEST(E2eChannel, OpenInPlaceGivesThePlaintextInsideTheBuffer) {
  channel_pair p;
  auto sealed = p.a.seal(bytes("in place"));
  auto opened = p.b.open_in_place(sealed);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->data(), sealed.data() + secure_channel::counter_size);
  EXPECT_EQ(std::string(opened->begin(), opened->end()), "in place");
  // The next frame still needs the next counter; a replay of a copy is refused.
  auto again = p.a.seal(bytes("two"));
  auto replay = again;
  ASSERT_TRUE(p.b.open_in_place(again));
  auto refused = p.b.open_in_place(replay);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::replayed);
}

TEST(E2eChannel, OpenInPlaceRefusesATamperedFrame) {
  channel_pair p;
  auto sealed = p.a.seal(bytes("do not touch"));
  sealed[secure_channel::counter_size + 3] ^= 0x01;
  auto r = p.b.open_in_place(sealed);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::tampered);
}

// Small frames are sealed with libsodium, large ones with OpenSSL's EVP: each must produce what
// the other implementation opens (same AEAD, same nonce and associated data).
TEST(E2eChannel, SmallAndLargeFramesAreTheSameAeadInBothImplementations) {
  for (std::size_t size :
       {std::size_t{10}, std::size_t{16 * 1024 - 1}, std::size_t{16 * 1024}, std::size_t{200000}}) {
    SCOPED_TRACE(size);
    secure_channel sender(key_of(0x00), key_of(0x40));
    std::vector<std::uint8_t> plain(size);
    for (std::size_t i = 0; i < size; ++i) plain[i] = static_cast<std::uint8_t>(i * 7);
    const auto sealed = sender.seal(plain);
    std::array<std::uint8_t, 12> nonce{};
    std::memcpy(nonce.data() + 4, sealed.data(), 8);
    const auto key = key_of(0x00);
    const std::uint8_t* text = sealed.data() + secure_channel::counter_size;
    const std::uint8_t* tag = text + size;
    // libsodium
    std::vector<std::uint8_t> by_sodium(size);
    ASSERT_EQ(crypto_aead_chacha20poly1305_ietf_decrypt_detached(
                  by_sodium.data(), nullptr, text, size, tag, sealed.data(),
                  secure_channel::counter_size, nonce.data(), key.data()),
              0);
    EXPECT_EQ(by_sodium, plain);
    // OpenSSL EVP
    std::vector<std::uint8_t> by_evp(size + 16);
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    std::array<std::uint8_t, 16> expected_tag{};
    std::memcpy(expected_tag.data(), tag, 16);
    ASSERT_EQ(EVP_DecryptInit_ex(ctx, EVP_chacha20_poly1305(), nullptr, key.data(), nonce.data()),
              1);
    ASSERT_EQ(EVP_DecryptUpdate(ctx, nullptr, &n, sealed.data(), 8), 1);
    ASSERT_EQ(EVP_DecryptUpdate(ctx, by_evp.data(), &n, text, static_cast<int>(size)), 1);
    ASSERT_EQ(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, expected_tag.data()), 1);
    EXPECT_EQ(EVP_DecryptFinal_ex(ctx, by_evp.data() + size, &n), 1);
    EVP_CIPHER_CTX_free(ctx);
    by_evp.resize(size);
    EXPECT_EQ(by_evp, plain);
    // And the channel itself opens it, whichever implementation sealed it.
    secure_channel receiver(key_of(0x40), key_of(0x00));
    auto opened = receiver.open(sealed);
    ASSERT_TRUE(opened);
    EXPECT_EQ(*opened, plain);
  }
}

TEST(E2eChannel, TruncatedFramesAreRefused) {
  const auto sealed = [] {
    channel_pair p;
    return p.a.seal(bytes("some data"));
  }();
  for (std::size_t n :
       {std::size_t{0}, std::size_t{7}, std::size_t{8}, secure_channel::overhead - 1}) {
    channel_pair p;
    auto r = p.b.open(std::span(sealed).first(n));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::truncated) << n;
    EXPECT_NE(r.error().message.find("truncated"), std::string::npos);
  }
  // Long enough for counter and tag, but cut: the tag no longer verifies.
  for (std::size_t n = secure_channel::overhead; n < sealed.size(); ++n) {
    channel_pair p;
    auto r = p.b.open(std::span(sealed).first(n));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::tampered) << n;
  }
}

TEST(E2eChannel, ReusedCounterIsReplayed) {
  channel_pair p;
  const auto first = p.a.seal(bytes("one"));
  ASSERT_TRUE(p.b.open(first));
  auto r = p.b.open(first);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::replayed);
  EXPECT_NE(r.error().message.find("counter 0"), std::string::npos);
}

TEST(E2eChannel, ReorderedAndDroppedFramesAreOutOfOrder) {
  channel_pair p;
  const auto f0 = p.a.seal(bytes("zero"));
  const auto f1 = p.a.seal(bytes("one"));
  auto r = p.b.open(f1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::out_of_order);
  EXPECT_NE(r.error().message.find("counter 1, expected 0"), std::string::npos);
  // The failure is final: even the right frame is refused now.
  auto after = p.b.open(f0);
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, errc::channel_failed);
}

TEST(E2eChannel, EveryFlippedByteIsRefused) {
  const std::vector<std::uint8_t> original = [] {
    channel_pair p;
    (void)p.a.seal(bytes("first"));
    return p.a.seal(bytes("second frame"));  // counter 1
  }();
  for (std::size_t i = 0; i < original.size(); ++i) {
    for (std::uint8_t bit : {std::uint8_t{0x01}, std::uint8_t{0x80}}) {
      channel_pair p;
      ASSERT_TRUE(p.b.open(p.a.seal(bytes("first"))));
      auto tampered = original;
      tampered[i] ^= bit;
      auto r = p.b.open(tampered);
      ASSERT_FALSE(r) << "byte " << i;
      if (i < secure_channel::counter_size) {
        // A changed counter is caught before decryption, as a replay or a gap.
        EXPECT_TRUE(r.error().code == errc::replayed || r.error().code == errc::out_of_order) << i;
      } else {
        EXPECT_EQ(r.error().code, errc::tampered) << i;
      }
    }
  }
}

TEST(E2eChannel, ForeignKeyOrOwnDirectionIsTampered) {
  channel_pair p;
  secure_channel stranger(key_of(0x80), key_of(0x90));
  auto r = p.b.open(stranger.seal(bytes("hi")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::tampered);
  // A frame reflected back to its sender does not open: each direction has its own key.
  channel_pair q;
  auto reflected = q.a.open(q.a.seal(bytes("echo")));
  ASSERT_FALSE(reflected);
  EXPECT_EQ(reflected.error().code, errc::tampered);
}

TEST(E2eChannel, MovedFromChannelRefusesToOpen) {
  channel_pair p;
  secure_channel moved = std::move(p.b);
  ASSERT_TRUE(moved.open(p.a.seal(bytes("x"))));
  auto r = p.b.open(p.a.seal(bytes("y")));  // NOLINT(bugprone-use-after-move): the point
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::channel_failed);
}
