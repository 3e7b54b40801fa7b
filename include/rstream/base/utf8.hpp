// UTF-8, strictly (RFC 3629): the one decoder of sequences that the CLI's JSON report, the
// WebDAV parser and the terminal escaper share. Refused: stray continuation bytes, overlong
// forms, surrogates, code points past U+10FFFF and sequences cut short.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace rstream::base {

/// The length (1 to 4) of the valid UTF-8 sequence that starts at text[i], or 0 when the bytes
/// there are not one. `i` must be below text.size().
std::size_t utf8_sequence_length(std::string_view text, std::size_t i);

/// True when all of `text` is valid UTF-8.
bool is_valid_utf8(std::string_view text);

/// `text` with each byte that is not part of a valid UTF-8 sequence replaced by U+FFFD;
/// `valid` says whether the text was valid.
std::string replace_invalid_utf8(std::string_view text, bool& valid);

/// Appends `code_point` as UTF-8 (1 to 4 bytes; callers check the range they accept: values
/// past U+10FFFF give 4 bytes of their low bits).
void append_utf8(std::string& out, std::uint64_t code_point);

}  // namespace rstream::base
