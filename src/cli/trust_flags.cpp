// The TLS trust flags (see trust_flags.hpp).
#include "rstream/cli/trust_flags.hpp"

#include <CLI/CLI.hpp>

namespace rstream::cli {

void add_tls_trust_flags(CLI::App& cmd, std::string& ca_file, bool& insecure,
                         const std::string& schemes) {
  cmd.add_option("--tls-ca", ca_file, "Trust this CA certificate (PEM) for " + schemes);
  cmd.add_flag("--insecure-skip-tls-verify", insecure,
               "Do not verify the server's TLS certificate");
}

}  // namespace rstream::cli
