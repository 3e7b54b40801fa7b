// orphan_guard (see orphan_guard.hpp): the guard process and the server's side of its socket.
#include "rstream/pty/orphan_guard.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <unordered_map>

namespace rstream::pty {
namespace {

/// The server's end of the socket pair; -1 without a guard.
int guard_socket = -1;

struct stat_fields {
  char state = '?';
  pid_t session = 0;
  std::uint64_t start_time = 0;  ///< clock ticks after boot
};

/// Fields of /proc/PID/stat (its comm may hold spaces and parentheses: parse after the last ')').
bool read_stat(pid_t pid, stat_fields& out) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buffer[1024];
  ssize_t n;
  do {
    n = ::read(fd, buffer, sizeof buffer - 1);
  } while (n < 0 && errno == EINTR);
  ::close(fd);
  if (n <= 0) return false;
  buffer[n] = '\0';
  const char* close_paren = std::strrchr(buffer, ')');
  if (close_paren == nullptr || close_paren[1] == '\0') return false;
  // After ") ": field 3 (state), 4 (ppid), 5 (pgrp), 6 (session), ..., 22 (starttime).
  const char* p = close_paren + 2;
  out.state = *p;
  int field = 3;
  while (*p != '\0' && field < 22) {
    while (*p != '\0' && *p != ' ') ++p;
    while (*p == ' ') ++p;
    ++field;
    if (field == 6) out.session = static_cast<pid_t>(std::strtol(p, nullptr, 10));
  }
  if (field != 22) return false;
  out.start_time = std::strtoull(p, nullptr, 10);
  return true;
}

std::uint64_t start_time_of(pid_t pid) {
  stat_fields fields;
  return read_stat(pid, fields) ? fields.start_time : 0;
}

/// SIGKILL to every live process of the given sessions, until none is left (bounded).
void kill_sessions(std::unordered_map<pid_t, std::uint64_t>& sessions) {
  // A leader that still runs with another start time is a reused pid: not ours.
  for (auto it = sessions.begin(); it != sessions.end();) {
    stat_fields leader;
    if (it->second != 0 && read_stat(it->first, leader) && leader.start_time != it->second) {
      it = sessions.erase(it);
    } else {
      ++it;
    }
  }
  if (sessions.empty()) return;
  for (int round = 0; round < 200; ++round) {
    int found = 0;
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) return;
    while (dirent* entry = ::readdir(proc)) {
      char* end = nullptr;
      const long pid = std::strtol(entry->d_name, &end, 10);
      if (end == entry->d_name || *end != '\0' || pid <= 1) continue;
      stat_fields fields;
      if (!read_stat(static_cast<pid_t>(pid), fields)) continue;
      if (fields.state == 'Z' || fields.state == 'X') continue;  // dead already, awaiting reaping
      if (sessions.count(fields.session) == 0) continue;
      ::kill(static_cast<pid_t>(pid), SIGKILL);
      ++found;
    }
    ::closedir(proc);
    if (found == 0) return;
    const timespec pause{0, 5 * 1000 * 1000};
    ::nanosleep(&pause, nullptr);
  }
}

/// The guard process: reads registrations until the server's end closes, then kills.
[[noreturn]] void run_guard(int fd) {
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU}) {
    ::signal(sig, SIG_IGN);
  }
  ::prctl(PR_SET_NAME, "rstream-guard", 0, 0, 0);
  std::unordered_map<pid_t, std::uint64_t> sessions;
  std::string pending;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buffer, static_cast<std::size_t>(n));
    std::size_t line_end;
    while ((line_end = pending.find('\n')) != std::string::npos) {
      const std::string line = pending.substr(0, line_end);
      pending.erase(0, line_end + 1);
      if (line.size() < 2) continue;
      char* end = nullptr;
      const long sid = std::strtol(line.c_str() + 1, &end, 10);
      if (sid <= 1) continue;
      if (line[0] == '+') {
        sessions[static_cast<pid_t>(sid)] = std::strtoull(end, nullptr, 10);
      } else if (line[0] == '-') {
        sessions.erase(static_cast<pid_t>(sid));
      }
    }
  }
  kill_sessions(sessions);
  ::_exit(0);
}

void send_line(const char* text, std::size_t size) {
  if (guard_socket < 0) return;
  while (size > 0) {
    const ssize_t n = ::send(guard_socket, text, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // The guard is gone (killed with our process group?): nothing more to tell it.
      ::close(guard_socket);
      guard_socket = -1;
      return;
    }
    text += n;
    size -= static_cast<std::size_t>(n);
  }
}

}  // namespace

bool start_orphan_guard(std::string& error) {
  if (guard_socket >= 0) return true;
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
    error = std::string("socketpair: ") + std::strerror(errno);
    return false;
  }
  const pid_t middle = ::fork();
  if (middle < 0) {
    error = std::string("fork: ") + std::strerror(errno);
    ::close(ends[0]);
    ::close(ends[1]);
    return false;
  }
  if (middle == 0) {
    // The intermediate process: fork the guard and exit, so that the guard is not our child.
    const pid_t guard = ::fork();
    if (guard != 0) ::_exit(guard < 0 ? 1 : 0);
    // The guard: keep only its end of the socket; nothing of the server's (its stdout may be
    // a pipe someone reads to the end).
    const int null_fd = ::open("/dev/null", O_RDWR);
    if (null_fd >= 0) {
      for (int target = 0; target < 3; ++target) ::dup2(null_fd, target);
    }
    int keep = ends[1];
    if (keep < 3) keep = ::fcntl(ends[1], F_DUPFD, 3);
    if (keep > 3) ::close_range(3, static_cast<unsigned>(keep) - 1, 0);
    ::close_range(static_cast<unsigned>(keep) + 1, UINT_MAX, 0);
    run_guard(keep);
  }
  ::close(ends[1]);
  int status = 0;
  while (::waitpid(middle, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    error = "could not start the guard process";
    ::close(ends[0]);
    return false;
  }
  guard_socket = ends[0];
  return true;
}

bool orphan_guard_active() { return guard_socket >= 0; }

void guard_session(pid_t sid) {
  if (guard_socket < 0 || sid <= 1) return;
  char line[64];
  const int n = std::snprintf(line, sizeof line, "+%d %llu\n", static_cast<int>(sid),
                              static_cast<unsigned long long>(start_time_of(sid)));
  send_line(line, static_cast<std::size_t>(n));
}

void release_session(pid_t sid) {
  if (guard_socket < 0 || sid <= 1) return;
  char line[32];
  const int n = std::snprintf(line, sizeof line, "-%d\n", static_cast<int>(sid));
  send_line(line, static_cast<std::size_t>(n));
}

}  // namespace rstream::pty
