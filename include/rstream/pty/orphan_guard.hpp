// orphan_guard: the commands a server started must not outlive it, even when it is killed with
// SIGKILL (which no handler of ours sees).
//
// How: start_orphan_guard() forks, once, a small guard process that is not the server's child
// (double fork: it must not show up among the server's children) and holds one end of a socket
// pair. Every spawned command leads its own session (setsid: session id = its pid), and its
// background jobs and their children stay in that session even when they ignore SIGHUP or move
// to another process group. spawn() registers each new session with the guard ("+SID START"),
// and the owner of the session releases it once it is over (release_session: "-SID"). When the
// socket reports end-of-file, the server is gone, whatever way it died: the guard sends SIGKILL
// to every process still in a registered session (found through /proc/PID/stat), repeating
// until none is left, and exits. START (the leader's start time) tells a reused pid from ours.
// Besides, each child gets PR_SET_PDEATHSIG(SIGKILL) while a guard runs (the direct child dies
// with the server even if the guard was killed too).
//
// Thread-safety: start_orphan_guard() before any other thread exists (it forks without exec);
// guard_session/release_session from the thread that spawns (the io thread).
#pragma once

#include <sys/types.h>

#include <string>

namespace rstream::pty {

/// Starts the guard for this process. False with `error` when it cannot (then commands are
/// not guarded; the caller may go on). Calling it again is a no-op.
bool start_orphan_guard(std::string& error);
/// Whether a guard runs for this process (children then also get PR_SET_PDEATHSIG).
bool orphan_guard_active();
/// Registers the session `sid` (a child's pid; spawn() does it). No-op without a guard.
void guard_session(pid_t sid);
/// The session `sid` is over: the guard forgets it. No-op without a guard.
void release_session(pid_t sid);

}  // namespace rstream::pty
