// rstream's entry point: everything happens in the cli library.
#include "rstream/cli/cli.hpp"

int main(int argc, char** argv) { return rstream::cli::run(argc, argv); }
