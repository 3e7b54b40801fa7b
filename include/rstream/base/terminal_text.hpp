// Text from peers, made safe for a terminal: a tunnel's labels, a server's error message, a
// remote file name must not move the cursor, retitle the window or inject a sequence when the
// CLI prints them (docs/security.md, "Peer text").
//
// Thread-safety: a pure function.
#pragma once

#include <string>
#include <string_view>

namespace rstream::base {

/// `text` made safe to show on a terminal: control characters (C0, DEL, C1), and bytes that
/// are not UTF-8, become visible escapes ("\\x1b", "\\n", "\\u009b"). Everything else is kept.
std::string terminal_safe(std::string_view text);

}  // namespace rstream::base
