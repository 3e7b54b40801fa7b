// libFuzzer target for base::terminal_safe, which every piece of peer text (errors, labels,
// host and file names) goes through before the CLI prints it.
//
// Properties besides "no crash, no sanitizer report": the output holds no byte a terminal acts
// on (C0 controls, DEL, a C1 control as a raw byte or as UTF-8 U+0080..U+009F); it is valid
// UTF-8; and text that needed no escape comes back unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "rstream/base/terminal_text.hpp"
#include "fuzz_property.hpp"

namespace {

using rstream::fuzz::fail;

/// Length of the valid UTF-8 sequence at `s[i]`, or 0.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = c < 0x80                ? 1
                  : c >= 0xc2 && c < 0xe0 ? 2
                  : c >= 0xe0 && c < 0xf0 ? 3
                  : c >= 0xf0 && c < 0xf5 ? 4
                                          : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
  }
  const auto c1 = n > 1 ? static_cast<unsigned char>(s[i + 1]) : 0;
  if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0) || (c == 0xf0 && c1 < 0x90) ||
      (c == 0xf4 && c1 >= 0x90)) {
    return 0;
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::string out = rstream::base::terminal_safe(in);
  bool needed_escape = false;
  for (std::size_t i = 0; i < in.size();) {
    const std::size_t n = utf8_length(in, i);
    const auto c = static_cast<unsigned char>(in[i]);
    if (n == 0 || c < 0x20 || c == 0x7f ||
        (n == 2 && c == 0xc2 && static_cast<unsigned char>(in[i + 1]) < 0xa0)) {
      needed_escape = true;
    }
    i += n == 0 ? 1 : n;
  }
  for (std::size_t i = 0; i < out.size();) {
    const std::size_t n = utf8_length(out, i);
    if (n == 0) fail("output is not valid UTF-8");
    const auto c = static_cast<unsigned char>(out[i]);
    if (c < 0x20 || c == 0x7f) fail("a C0 control or DEL in the output");
    if (n == 2 && c == 0xc2 && static_cast<unsigned char>(out[i + 1]) < 0xa0) {
      fail("a C1 control in the output");
    }
    i += n;
  }
  if (!needed_escape && out != in) fail("text that needed no escape was changed");
  return 0;
}
