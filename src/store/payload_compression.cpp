// The store's payload compression (payload_compression.hpp): zstd level 1, one compression
// context per thread.
#include "rstream/store/payload_compression.hpp"

#include <zstd.h>

#include <memory>

namespace rstream::store {
namespace {

struct cctx_free {
  void operator()(ZSTD_CCtx* context) const { ZSTD_freeCCtx(context); }
};
struct dctx_free {
  void operator()(ZSTD_DCtx* context) const { ZSTD_freeDCtx(context); }
};

constexpr int compression_level = 1;

}  // namespace

const char* name_of(payload_encoding encoding) {
  return encoding == payload_encoding::zstd ? "zstd" : "identity";
}

std::optional<payload_encoding> parse_payload_encoding(std::string_view word) {
  if (word == "identity") return payload_encoding::identity;
  if (word == "zstd") return payload_encoding::zstd;
  return std::nullopt;
}

std::optional<std::string> compress_payload(std::string_view payload) {
  if (payload.size() < min_compressed_payload) return std::nullopt;
  thread_local std::unique_ptr<ZSTD_CCtx, cctx_free> context(ZSTD_createCCtx());
  if (!context) return std::nullopt;
  // Compressed into a scratch buffer that only grows (zero-filling a fresh one for every
  // payload cost as much as the compression of a run of zeros), then copied out at its size.
  thread_local std::string scratch;
  const std::size_t worth = payload.size() - payload.size() / 8;
  if (scratch.size() < worth) scratch.resize(worth);
  const std::size_t made = ZSTD_compressCCtx(context.get(), scratch.data(), worth, payload.data(),
                                             payload.size(), compression_level);
  if (ZSTD_isError(made)) return std::nullopt;  // also when it does not fit in `worth`
  return scratch.substr(0, made);
}

std::optional<std::string> decompress_payload(payload_encoding encoding, std::string_view stored) {
  if (encoding == payload_encoding::identity) return std::string(stored);
  const unsigned long long size = ZSTD_getFrameContentSize(stored.data(), stored.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
      size > max_decompressed_payload) {
    return std::nullopt;
  }
  thread_local std::unique_ptr<ZSTD_DCtx, dctx_free> context(ZSTD_createDCtx());
  if (!context) return std::nullopt;
  std::string out(static_cast<std::size_t>(size), '\0');
  const std::size_t made =
      ZSTD_decompressDCtx(context.get(), out.data(), out.size(), stored.data(), stored.size());
  if (ZSTD_isError(made) || made != out.size()) return std::nullopt;
  return out;
}

}  // namespace rstream::store
