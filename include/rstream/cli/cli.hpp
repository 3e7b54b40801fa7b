// The rstream command line: builds the CLI11 tree and runs the chosen subcommand.
// Each subcommand lives in its own file under src/cli/.
#pragma once

namespace rstream::cli {

/// Parses argv and runs the command. Returns the process exit code.
int run(int argc, char** argv);

}  // namespace rstream::cli
