"""Terminal tests: a participant that attaches to a live session after megabytes of output sees
the screen as it is (issue 15, "exact screen on reattach"), read with tmux capture-pane.

Each test runs the same script twice, at the same size: in a live session of a private server,
and directly in a reference tmux pane (the real screen). After the output, `rstream webtty
client --attach ID` joins in a pane of its own; its screen must be the reference's, row for
row:
  - `clear; echo TOP-MARKER`, then one line rewritten 100,000 times with a carriage return
    (1.6 MB): TOP-MARKER stays on the top row, the rewritten line under it;
  - 2 MiB of `seq`, then vim writing 2 MiB more: the joiner shows vim's screen; after `:q`
    typed by the joiner, both show the end of the seq output again (the screen behind vim's).

Run: RSTREAM_BIN=/path/to/rstream python3 -m unittest -v test_live_screen_restore_tmux
"""

import json
import os
import shutil
import unittest

from tmux_harness import (
    CliPane,
    LiveServerTestCase,
    TmuxTerminal,
    wait_until,
)

WIDTH, HEIGHT = 100, 30
# Generous: the session produces megabytes through a PTY on a loaded 2-core machine.
OUTPUT_TIMEOUT = 120


class ScreenRestoreTest(LiveServerTestCase):
    maxDiff = None

    def script(self, body):
        path = os.path.join(self.workdir, "screen.sh")
        with open(path, "w", encoding="utf-8") as f:
            f.write("cd " + self.workdir + " || exit 99\n" + body + "\nexec sleep 600\n")
        return path

    def reference(self, script):
        """The real screen: the script in a tmux pane of its own, as xterm-256color (the
        terminal type of live sessions)."""
        workdir = os.path.join(self.workdir, "reference")
        os.mkdir(workdir)
        terminal = TmuxTerminal(workdir, ["env", "TERM=xterm-256color", "sh", script], WIDTH,
                                HEIGHT)
        self.addCleanup(terminal.close)
        return terminal

    def live_session(self, script):
        r = self.sessions("create", "-o", "json", "--cols", str(WIDTH), "--rows", str(HEIGHT),
                          "--", "sh", script)
        self.assertEqual(r.returncode, 0, r)
        return json.loads(r.stdout)["id"]

    def output_settled(self, session_id, at_least):
        """Waits until the session wrote at least `at_least` bytes and then nothing more for a
        while (the program waits: its screen is final)."""
        sizes = [-1]

        def settled():
            r = self.sessions("info", session_id, "-o", "json")
            self.assertEqual(r.returncode, 0, r)
            sizes.append(json.loads(r.stdout)["output_bytes"])
            return sizes[-1] >= at_least and sizes[-1] == sizes[-2] == sizes[-3]

        wait_until(settled, OUTPUT_TIMEOUT, lambda: f"output so far: {sizes[-3:]} bytes\n"
                   + self.server.describe())
        return sizes[-1]

    def attach(self, session_id):
        pane = CliPane(self, self.workdir, self.server,
                       ["client", "--url", self.url, "--attach", session_id], "joiner", WIDTH,
                       HEIGHT)
        return pane

    def assert_same_screen(self, joiner, reference, describe):
        wait_until(lambda: joiner.terminal.screen() == reference.screen(), 15,
                   lambda: "the joiner's screen is not the real one\n--- real screen ---\n"
                   + reference.screen_text() + "\n" + joiner.terminal.describe() + "\n"
                   + describe())

    def test_a_line_rewritten_100000_times_leaves_the_top_marker_in_place(self):
        script = self.script(
            "clear; echo TOP-MARKER\n"
            "awk 'BEGIN { for (i = 0; i < 100000; i++) printf \"\\rrewritten %06d\", i;"
            " printf \" done\" }'")
        reference = self.reference(script)
        session = self.live_session(script)
        written = self.output_settled(session, 100000 * 17)
        self.assertGreater(written, 1 << 20)
        reference.wait_for_line(r"rewritten 099999 done", OUTPUT_TIMEOUT)
        self.assertEqual(reference.screen()[:2], ["TOP-MARKER", "rewritten 099999 done"])

        joiner = self.attach(session)
        joiner.terminal.wait_for_line(r"rewritten 099999 done")
        self.assert_same_screen(joiner, reference, self.server.describe)

    @unittest.skipUnless(shutil.which("vim"), "vim is not installed (scripts/setup.sh test)")
    def test_vim_open_after_megabytes_of_output_is_what_a_joiner_sees(self):
        # 2 MiB of seq, then vim, which itself writes 2 MiB more (1000 redraws of the whole screen, jumping
        # between the file's end and its start): the raw output a new participant could be
        # replayed holds neither vim's switch to the alternate screen nor the screen behind it.
        with open(os.path.join(self.workdir, "notes.txt"), "w", encoding="utf-8") as f:
            for n in range(1, 2001):
                f.write(f"note {n:04d}: " + "the screen behind vim is seq's. " * 2 + "\n")
        script = self.script(
            "seq 1 300000\n"
            "vim -u NONE -N -i NONE -n"
            " -c 'for i in range(1000) | exe \"normal! \" . (i % 2 ? \"gg\" : \"G\") | redraw!"
            " | endfor' notes.txt\n"
            "echo AFTER-VIM")
        reference = self.reference(script)
        session = self.live_session(script)
        written = self.output_settled(session, 4 * 1024 * 1024)
        self.assertGreater(written, 4 * 1024 * 1024)
        reference.wait_for_line(r"note 0001: .*", OUTPUT_TIMEOUT)

        joiner = self.attach(session)
        joiner.terminal.wait_for_line(r"note 0001: .*")
        self.assert_same_screen(joiner, reference, self.server.describe)

        # vim ends: the joiner (the session's controller) types :q, the reference too; both
        # show the screen that was behind vim's, then AFTER-VIM.
        joiner.terminal.type(":q")
        joiner.terminal.press("Enter")
        reference.type(":q")
        reference.press("Enter")
        reference.wait_for_line(r"AFTER-VIM")
        joiner.terminal.wait_for_line(r"AFTER-VIM")
        self.assertIn("300000", reference.screen())
        self.assert_same_screen(joiner, reference, self.server.describe)


if __name__ == "__main__":
    unittest.main()
