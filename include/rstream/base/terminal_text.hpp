// Text from peers, made safe for a terminal: a tunnel's labels, a server's error message, a
// remote file name must not move the cursor, retitle the window or inject a sequence when the
// CLI prints them (docs/security.md, "Peer text").
//
// Thread-safety: a pure function.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rstream::base {

/// `text` made safe to show on a terminal: control characters (C0, DEL, C1), and bytes that
/// are not UTF-8, become visible escapes ("\\x1b", "\\n", "\\u009b"). Everything else is kept.
std::string terminal_safe(std::string_view text);

/// Whether `text` is printable ASCII only, so that terminal_safe would return it unchanged
/// (a check without a copy, for tables of thousands of cells).
bool terminal_safe_as_is(std::string_view text);

/// Rows of cells as a table: every cell made safe, columns left-aligned two spaces apart, a
/// newline after each row (the first row is the header, written like the others).
std::string table_text(const std::vector<std::vector<std::string>>& rows);

}  // namespace rstream::base
