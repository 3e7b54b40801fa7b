"""Regressions from the red-team report (issue 12, items 15, 17 and 19) that need a real
terminal: the CLI attached to a live session in a tmux pane, read back with capture-pane and
tmux's own view of the pane's modes.

Run: RSTREAM_BIN=/path/to/rstream python3 -m unittest -v test_client_regressions_tmux
"""

import os
import re
import signal
import subprocess
import threading
import unittest

from tmux_harness import (
    LiveServerTestCase,
    CliPane,
    DEFAULT_TIMEOUT,
    REMOTE_PROMPT,
    base_environment,
    rstream_binary,
    wait_until,
)


class Collector:
    """Reads a pipe on a thread; a test waits for text in it."""

    def __init__(self, pipe):
        self.data = b""
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, args=(pipe,), daemon=True)
        self._thread.start()

    def _run(self, pipe):
        while True:
            chunk = os.read(pipe.fileno(), 65536)
            with self._cond:
                if chunk:
                    self.data += chunk
                self._cond.notify_all()
            if not chunk:
                return

    def wait_for(self, needle):
        with self._cond:
            if not self._cond.wait_for(lambda: needle in self.data, DEFAULT_TIMEOUT):
                raise AssertionError(f"{needle!r} not seen in {self.data[-800:]!r}")


class ClientRegressionsInTerminalTest(LiveServerTestCase):
    maxDiff = None
    workdir_prefix = "rstream-client-reg-"

    def create(self, name, *command):
        r = self.sessions("create", "--name", name, "--", *command)
        self.assertEqual(r.returncode, 0, r)
        sid = r.stdout.decode().strip()
        self.addCleanup(self.sessions, "kill", sid)
        return sid

    def watch(self, sid, tag):
        """A spectator (`sessions join --tty`, no --interactive) in a pane; its participant id."""
        pane = CliPane(self, self.workdir, self.server,
                       ["sessions", "join", sid, "--url", self.url, "--tty"], tag)
        pane.wait_for_line(r".*ready-to-watch.*")
        match = wait_until(
            lambda: re.search(r"(?:as|joined as) (p\d+)", pane.terminal.printed_text()),
            describe=pane.describe)
        return pane, match.group(1)

    # ---- item 15 (and 17: a spectator's terminal does not echo) -------------------------------

    def test_spectator_granted_control_can_leave(self):
        sid = self.create("watched", "sh", "-c", "echo ready-to-watch; sleep 600")
        pane, participant = self.watch(sid, "viewer")
        pane.terminal.type("typed-by-viewer")
        # Someone grants this viewer control (nobody controls: granted at once).
        r = self.sessions("request-control", sid, "--participant-id", participant, "--reason",
                          "over to you")
        self.assertEqual(r.returncode, 0, r)
        pane.wait_for_text("released it")
        self.assertNotIn("typed-by-viewer", pane.terminal.screen_text(),
                         "a spectator's terminal echoed what was typed")
        pane.terminal.press("C-c")
        self.assertEqual(pane.wait_for_exit(), 130, pane.describe())
        before, after = pane.stty_files()
        self.assertEqual(before, after, "the spectator left the terminal settings changed")

    def test_spectator_leaves_with_tilde_dot(self):
        sid = self.create("watched-dot", "sh", "-c", "echo ready-to-watch; sleep 600")
        pane, _ = self.watch(sid, "viewer-dot")
        pane.terminal.type("~.")
        self.assertEqual(pane.wait_for_exit(), 0, pane.describe())
        pane.wait_for_text("[detached from")
        before, after = pane.stty_files()
        self.assertEqual(before, after, "the spectator left the terminal settings changed")

    # ---- item 17 -----------------------------------------------------------------------------

    def test_detach_from_the_alternate_screen_restores_the_terminal(self):
        pane = CliPane(self, self.workdir, self.server,
                       ["client", "--url", self.url, "--session", "alt", "-e",
                        f"PS1={REMOTE_PROMPT}", "--", "bash", "--norc", "--noprofile"], "alt",
                       linger=True)
        pane.wait_for_line(r"\[remote\]\$.*")
        self.addCleanup(self.sessions, "kill", "alt")
        # What vim does on start: alternate screen, hidden cursor, mouse, bracketed paste,
        # application cursor keys and keypad.
        pane.terminal.type_line(r"printf '\033[?1049h\033[?25l\033[?1000h\033[?1003h"
                                r"\033[?2004h\033[?1h\033='; echo in-alt-$((40+2)); sleep 600")
        pane.wait_for_line(r"in-alt-42")
        self.assertEqual(pane.modes()["alternate_on"], "1", pane.modes())
        pane.terminal.press("Enter")
        pane.terminal.type("~.")
        self.assertEqual(pane.wait_for_exit(), 0, pane.describe())
        pane.wait_for_text("local rc=0")
        self.assertEqual(pane.modes(), {"alternate_on": "0", "cursor_flag": "1",
                                        "mouse_standard_flag": "0", "mouse_any_flag": "0",
                                        "keypad_flag": "0", "keypad_cursor_flag": "0"})
        pane.wait_for_text("[detached from alt")

    # ---- item 19 -----------------------------------------------------------------------------

    def test_controller_is_told_of_a_request_and_control_can_be_asked_back(self):
        pane = CliPane(self, self.workdir, self.server,
                       ["client", "--url", self.url, "--session", "ctl", "-e",
                        f"PS1={REMOTE_PROMPT}", "--", "bash", "--norc", "--noprofile"], "ctl")
        pane.wait_for_line(r"\[remote\]\$.*")
        self.addCleanup(self.sessions, "kill", "ctl")
        other = subprocess.Popen(
            [rstream_binary(), "webtty", "sessions", "join", "ctl", "--url", self.url,
             "--request-control", "--reason", "let me in"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env=base_environment(self.workdir))
        self.addCleanup(lambda: other.poll() is None and other.kill())
        other_err = Collector(other.stderr)
        other_err.wait_for(b"waiting for control")
        # The controller's terminal says so, with the key that grants it.
        pane.wait_for_line(r".*p\d+ asks for control \(request \d+\): let me in; ~g grants it\].*")
        pane.terminal.press("Enter")
        pane.terminal.type("~g")
        other_err.wait_for(b"control granted")
        pane.wait_for_line(r".*control passed to p\d+ \(~r asks for it back\).*")
        other.stdin.write(b"echo from-other-$((3+4))\n")
        other.stdin.flush()
        pane.wait_for_line(r"from-other-7")
        # Ask for it back; it comes when the other participant leaves.
        pane.terminal.press("Enter")
        pane.terminal.type("~r")
        pane.wait_for_text("waiting for control (request")
        other.send_signal(signal.SIGINT)
        self.assertEqual(other.wait(DEFAULT_TIMEOUT), 130)
        pane.wait_for_text("control granted")
        pane.terminal.type_line("echo back-$((2+3))")
        pane.wait_for_line(r"back-5")
        pane.terminal.type_line("exit 4")
        self.assertEqual(pane.wait_for_exit(), 4, pane.describe())


if __name__ == "__main__":
    unittest.main()
