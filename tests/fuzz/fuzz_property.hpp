// The one way a fuzz target reports a broken property (beyond crashes and sanitizer reports):
// a line on stderr and abort(), which libFuzzer records as a crash with its input.
//
// Thread-safety: a plain function.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace rstream::fuzz {

[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "property violated: %s\n", what);
  std::abort();
}

}  // namespace rstream::fuzz
