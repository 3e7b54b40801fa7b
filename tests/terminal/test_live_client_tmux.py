"""Terminal tests: `rstream webtty client --session NAME` and `--attach ID` (live sessions)
driven through a real terminal (tmux).

The client starts (or finds) a persistent session on a private server, the test types into the
pane, detaches with `~.`, checks the session still runs, produces output while nobody is
attached, and attaches again: the scrollback shows what happened meanwhile.

Run: RSTREAM_BIN=/path/to/rstream python3 -m unittest -v test_live_client_tmux
"""

import json
import os
import select
import subprocess
import time
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


def LiveClientPane(test, workdir, server, client_args, tag, width=100, height=30):
    """`rstream webtty client --url SERVER ARGS` in a pane of its own (tmux_harness.CliPane)."""
    return CliPane(test, workdir, server,
                   ["client", "--url", f"http://127.0.0.1:{server.port}", *client_args], tag,
                   width, height)


class LiveClientInTerminalTest(LiveServerTestCase):
    maxDiff = None

    def session_named(self, name):
        r = self.sessions("list", "-o", "json")
        self.assertEqual(r.returncode, 0, r)
        found = [s for s in json.loads(r.stdout) if s["name"] == name]
        return found[0] if found else None

    def test_session_survives_a_detach_and_attach_shows_the_scrollback(self):
        first = LiveClientPane(self, self.workdir, self.server,
                               ["--session", "work", "-e", f"PS1={REMOTE_PROMPT}",
                                "--", "bash", "--norc", "--noprofile"], "first")
        # (Printed before the session's screen, which may scroll it up.)
        first.terminal.wait_for_printed("type ~. at the start of a line to detach")
        first.wait_for_line(r"\[remote\]\$.*")
        first.terminal.type_line('echo hel""lo-$((6*7))')
        first.wait_for_line(r"hello-42")
        # The window size of the pane was the session's size from the start.
        first.terminal.type_line("stty size")
        first.wait_for_line(r"30 100")
        first.terminal.type("~.")
        self.assertEqual(first.wait_for_exit(), 0, first.describe())
        first.wait_for_text("[detached from work")
        before, after = first.stty_files()
        self.assertEqual(before, after, "the client left the terminal settings changed")

        session = self.session_named("work")
        self.assertIsNotNone(session)
        self.assertEqual(session["state"], "running")
        wait_until(lambda: self.session_named("work")["clients"] == 0, describe=first.describe)

        # Output produced while nobody watches, typed by another participant (the controller,
        # since nobody else controls the session now).
        join = subprocess.Popen(
            [rstream_binary(), "webtty", "sessions", "join", "work", "--url", self.url,
             "--interactive", "-q"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=base_environment(self.workdir))
        self.addCleanup(lambda: join.poll() is None and join.kill())
        join.stdin.write(b"echo while-$((1+1))-away\n")
        join.stdin.flush()
        seen = b""
        deadline = time.monotonic() + DEFAULT_TIMEOUT
        while b"while-2-away" not in seen:
            remaining = deadline - time.monotonic()
            self.assertGreater(remaining, 0, f"no output from join: {seen!r}")
            ready, _, _ = select.select([join.stdout], [], [], remaining)
            if ready:
                chunk = os.read(join.stdout.fileno(), 65536)
                self.assertTrue(chunk, f"join ended early: {seen!r}")
                seen += chunk
        join.send_signal(2)
        self.assertEqual(join.wait(DEFAULT_TIMEOUT), 130)

        second = LiveClientPane(self, self.workdir, self.server,
                                ["--attach", session["id"]], "second")
        second.wait_for_line(r"hello-42")
        second.wait_for_line(r"while-2-away")
        second.terminal.type_line("exit 3")
        self.assertEqual(second.wait_for_exit(), 3, second.describe())
        second.wait_for_text("[session ended, exit code 3]")
        before, after = second.stty_files()
        self.assertEqual(before, after, "the client left the terminal settings changed")

    def test_a_viewer_with_a_smaller_terminal_is_told(self):
        owner = LiveClientPane(self, self.workdir, self.server,
                               ["--session", "wide", "-e", f"PS1={REMOTE_PROMPT}",
                                "--", "bash", "--norc", "--noprofile"], "owner", 120, 40)
        owner.wait_for_line(r"\[remote\]\$.*")
        viewer = CliPane(self, self.workdir, self.server,
                         ["sessions", "join", "wide", "--url", self.url, "--tty"], "viewer",
                         80, 24)
        viewer.terminal.wait_for_printed(
            "[the session's terminal is 120x40, yours is 80x24: what does not fit is cut or "
            "wrapped", extra=viewer.describe)
        # A viewer at least as large is not told anything.
        roomy = CliPane(self, self.workdir, self.server,
                        ["sessions", "join", "wide", "--url", self.url, "--tty"], "roomy",
                        130, 45)
        roomy.terminal.wait_for_printed("[watching", extra=roomy.describe)
        owner.terminal.type_line("echo shown-$((2*4))")
        roomy.wait_for_line(r"shown-8")
        self.assertNotIn("yours is", roomy.terminal.printed_text())

    def test_attach_to_an_unknown_session_exits_3(self):
        pane = LiveClientPane(self, self.workdir, self.server,
                              ["--attach", "no-such-session"], "unknown")
        self.assertEqual(pane.wait_for_exit(), 3, pane.describe())
        # The message itself (checked here, off the screen: lines printed before the pane's
        # first redraw may be gone from capture-pane).
        r = subprocess.run([rstream_binary(), "webtty", "client", "--url", self.url,
                            "--attach", "no-such-session"], capture_output=True,
                           stdin=subprocess.DEVNULL, timeout=DEFAULT_TIMEOUT,
                           env=base_environment(self.workdir))
        self.assertEqual(r.returncode, 3, r)
        self.assertEqual(r.stderr.decode(), "rstream: no live session 'no-such-session' on the "
                         f"server at {self.url}\n")


if __name__ == "__main__":
    unittest.main()
