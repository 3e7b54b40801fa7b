// How the store keeps the data payloads of recorded events: compressed with zstd (level 1) when
// that saves at least an eighth of a payload of min_compressed_payload bytes or more, as they
// are otherwise. The column recording_events.encoding says which ("identity" or "zstd"; rows
// written before schema version 3 read as "identity"). The hash chain is over the uncompressed
// bytes (api/recording_event.hpp): compression is the store's business only.
//
// Thread-safety: stateless for the caller; each thread that compresses keeps its own zstd
// context (thread_local).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace rstream::store {

/// How a stored payload is encoded. The words are in the store: never rename.
enum class payload_encoding { identity, zstd };

/// "identity", "zstd".
const char* name_of(payload_encoding encoding);
/// The encoding a word names; nullopt for any other word.
std::optional<payload_encoding> parse_payload_encoding(std::string_view word);

/// Payloads shorter than this are stored as they are (keystrokes, control events).
inline constexpr std::size_t min_compressed_payload = 256;
/// The most a stored payload may claim to expand to (frames are at most a few MiB).
inline constexpr std::size_t max_decompressed_payload = 64 * 1024 * 1024;

/// `payload` compressed, when that pays (see above); nullopt: store it as it is.
std::optional<std::string> compress_payload(std::string_view payload);

/// The payload `stored` holds in `encoding`; nullopt when it cannot be decoded (damaged bytes,
/// or a size over max_decompressed_payload).
std::optional<std::string> decompress_payload(payload_encoding encoding, std::string_view stored);

}  // namespace rstream::store
