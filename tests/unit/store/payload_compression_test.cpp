// The store's payload compression: a compressible payload round-trips through zstd, short and
// incompressible ones are left as they are, and damaged or oversized compressed bytes are
// refused rather than decoded into something else.
#include "rstream/store/payload_compression.hpp"

#include <gtest/gtest.h>
#include <zstd.h>

#include <random>

using namespace rstream::store;

namespace {

std::string terminal_text(std::size_t size) {
  std::string text;
  for (int line = 0; text.size() < size; ++line) {
    text += "drwxr-xr-x 2 build build 4096 Dec  7 23:" + std::to_string(line % 60) + " dir-" +
            std::to_string(line) + "\r\n";
  }
  text.resize(size);
  return text;
}

std::string random_bytes(std::size_t size) {
  std::mt19937 generator(15);
  std::string bytes(size, '\0');
  for (auto& b : bytes) b = static_cast<char>(generator() & 0xff);
  return bytes;
}

}  // namespace

TEST(payload_compression, ACompressiblePayloadRoundTrips) {
  const std::string text = terminal_text(256 * 1024);
  const auto compressed = compress_payload(text);
  ASSERT_TRUE(compressed);
  EXPECT_LT(compressed->size(), text.size() / 4);
  EXPECT_EQ(decompress_payload(payload_encoding::zstd, *compressed), text);
}

TEST(payload_compression, ShortAndIncompressiblePayloadsStayAsTheyAre) {
  EXPECT_FALSE(compress_payload(std::string(min_compressed_payload - 1, 'a')));
  EXPECT_TRUE(compress_payload(std::string(min_compressed_payload, 'a')));
  EXPECT_FALSE(compress_payload(random_bytes(64 * 1024)));
  EXPECT_EQ(decompress_payload(payload_encoding::identity, "as stored"), "as stored");
}

TEST(payload_compression, DamagedBytesAreRefused) {
  const std::string text = terminal_text(64 * 1024);
  auto compressed = *compress_payload(text);
  EXPECT_FALSE(decompress_payload(payload_encoding::zstd, compressed.substr(0, 10)));
  EXPECT_FALSE(decompress_payload(payload_encoding::zstd, "not zstd at all"));
  compressed[0] ^= 0x01;  // the magic number
  EXPECT_FALSE(decompress_payload(payload_encoding::zstd, compressed));
}

TEST(payload_compression, AClaimedSizeOverTheLimitIsRefused) {
  // A valid frame whose header claims more than the limit: refused before allocating.
  const std::string big(max_decompressed_payload + 1, '\0');
  std::string frame(ZSTD_compressBound(big.size()), '\0');
  frame.resize(ZSTD_compress(frame.data(), frame.size(), big.data(), big.size(), 1));
  EXPECT_FALSE(decompress_payload(payload_encoding::zstd, frame));
}

TEST(payload_compression, EncodingWords) {
  EXPECT_STREQ(name_of(payload_encoding::identity), "identity");
  EXPECT_STREQ(name_of(payload_encoding::zstd), "zstd");
  EXPECT_EQ(parse_payload_encoding("zstd"), payload_encoding::zstd);
  EXPECT_EQ(parse_payload_encoding("identity"), payload_encoding::identity);
  EXPECT_EQ(parse_payload_encoding("gzip"), std::nullopt);
}
