// The progress line of a transfer, read back from stderr: the label escaped, the sizes in
// binary units, the total when known, and one final newline however often finish() is called.
#include "rstream/terminal/progress_line.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace rstream::terminal {
namespace {

/// Runs `draw` with stderr going to a temporary file; what it wrote.
template <typename Draw>
std::string stderr_of(Draw draw) {
  char path[] = "/tmp/rstream-progress-XXXXXX";
  const int file = ::mkstemp(path);
  EXPECT_GE(file, 0);
  std::fflush(stderr);
  const int saved = ::dup(STDERR_FILENO);
  ::dup2(file, STDERR_FILENO);
  draw();
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(file);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  ::unlink(path);
  return text.str();
}

TEST(ProgressLine, DrawsTheLabelTheBytesAndTheTotalThenEndsTheLineOnce) {
  const std::string text = stderr_of([] {
    progress_line line("big\x1b[2Jfile", 3u << 20);
    line.add(1536);
    line.finish();
    line.finish();
  });
  EXPECT_EQ(text.rfind("\r\x1b[K", 0), 0u) << text;
  EXPECT_NE(text.find("big\\x1b[2Jfile  "), std::string::npos) << "the label is escaped: " << text;
  EXPECT_NE(text.find("1.5 KiB / 3.0 MiB"), std::string::npos) << text;
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find('\n'), text.size() - 1) << "one newline: " << text;
}

TEST(ProgressLine, WithoutATotalShowsOnlyTheBytesAndTheDestructorFinishes) {
  const std::string text = stderr_of([] {
    progress_line line("stdin", std::nullopt);
    line.add(10);
  });
  EXPECT_NE(text.find("stdin  10 B"), std::string::npos) << text;
  EXPECT_EQ(text.find(" / "), std::string::npos) << text;
  EXPECT_EQ(text.back(), '\n');
}

}  // namespace
}  // namespace rstream::terminal
