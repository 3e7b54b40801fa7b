// The local terminal on a pseudo-terminal of our own: raw mode on and back off (the line
// discipline exactly as it was), Ctrl-C kept for a viewer, and the window size.
#include "rstream/terminal/local_terminal.hpp"

#include <gtest/gtest.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace rstream::terminal {
namespace {

class LocalTerminal : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(::openpty(&master_, &slave_, nullptr, nullptr, nullptr), 0); }
  void TearDown() override {
    ::close(master_);
    ::close(slave_);
  }
  termios settings() const {
    termios now{};
    EXPECT_EQ(::tcgetattr(slave_, &now), 0);
    return now;
  }

  int master_ = -1;
  int slave_ = -1;
};

TEST_F(LocalTerminal, RawModeIsUndoneExactlyByRestoreAndByTheDestructor) {
  const termios before = settings();
  ASSERT_TRUE(before.c_lflag & ICANON);
  {
    raw_terminal raw;
    ASSERT_TRUE(raw.enable(slave_));
    EXPECT_TRUE(raw.active());
    EXPECT_FALSE(raw.enable(slave_)) << "enabled twice";
    const termios on = settings();
    EXPECT_FALSE(on.c_lflag & (ICANON | ECHO | ISIG));
    EXPECT_FALSE(on.c_oflag & OPOST);
    raw.restore();
    EXPECT_FALSE(raw.active());
    EXPECT_EQ(settings().c_lflag, before.c_lflag);
    ASSERT_TRUE(raw.enable(slave_));
  }
  const termios after = settings();
  EXPECT_EQ(after.c_lflag, before.c_lflag);
  EXPECT_EQ(after.c_iflag, before.c_iflag);
  EXPECT_EQ(after.c_oflag, before.c_oflag);
}

TEST_F(LocalTerminal, AViewerKeepsCtrlCButNotQuitOrSuspend) {
  raw_terminal raw;
  ASSERT_TRUE(raw.enable(slave_, true));
  const termios on = settings();
  EXPECT_TRUE(on.c_lflag & ISIG);
  EXPECT_FALSE(on.c_lflag & (ICANON | ECHO));
  EXPECT_EQ(on.c_cc[VQUIT], _POSIX_VDISABLE);
  EXPECT_EQ(on.c_cc[VSUSP], _POSIX_VDISABLE);
}

TEST_F(LocalTerminal, WindowSizeOfATerminalAndNoneOfAPipe) {
  winsize size{};
  size.ws_col = 132;
  size.ws_row = 43;
  ASSERT_EQ(::ioctl(master_, TIOCSWINSZ, &size), 0);
  EXPECT_EQ(terminal_size(slave_), std::make_pair(std::uint16_t{132}, std::uint16_t{43}));
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  EXPECT_FALSE(terminal_size(pipe_fds[0]));
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  raw_terminal raw;
  EXPECT_FALSE(raw.enable(pipe_fds[0])) << "not a terminal (and closed)";
}

}  // namespace
}  // namespace rstream::terminal
