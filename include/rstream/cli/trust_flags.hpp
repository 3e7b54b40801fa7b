// The TLS trust flags every client command takes (--tls-ca, --insecure-skip-tls-verify),
// declared once.
// Thread-safety: call while building the command tree (one thread).
#pragma once

#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace rstream::cli {

/// Adds --tls-ca FILE and --insecure-skip-tls-verify to `cmd`; `schemes` says which URLs they
/// apply to (e.g. "https://, tls:// and wss://").
void add_tls_trust_flags(CLI::App& cmd, std::string& ca_file, bool& insecure,
                         const std::string& schemes);

}  // namespace rstream::cli
