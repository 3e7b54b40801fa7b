"""Terminal tests: `rstream webtty client` driven through a real terminal (tmux).

Each test starts its own rstream server and its own tmux server, types into the pane with
`send-keys` and reads the screen with `capture-pane`. The client runs `bash --norc --noprofile`
with a known prompt, so the screen is predictable. The tests without a local terminal run the
client on pipes instead.

Run: RSTREAM_BIN=/path/to/rstream python3 -m unittest -v test_client_tmux
"""

import os
import pwd
import signal
import subprocess
import shutil
import tempfile
import unittest

from tmux_harness import ClientInTmux, DEFAULT_TIMEOUT, RstreamServer, TestEngine, rstream_binary


class ClientInTerminalTest(unittest.TestCase):
    """The client in a tmux pane, 100 x 30, talking to a private server."""

    maxDiff = None  # show the whole `stty -a` difference

    def start(self, **kwargs):
        session = ClientInTmux(self, **kwargs)
        session.wait_for_prompt()
        return session

    def test_typed_command_runs_remotely_and_its_output_is_shown(self):
        s = self.start()
        # The typed text does not contain the output, so seeing it proves the remote shell ran it.
        s.terminal.type_line('echo hel""lo-$((6*7))')
        s.wait_for_line(r"hello-42")
        s.wait_for_prompt(at_least=2)

    def test_window_size_is_sent_at_start_and_on_resize(self):
        s = self.start()
        s.terminal.type_line("stty size")
        s.wait_for_line(r"30 100")
        s.wait_for_prompt(at_least=2)
        s.terminal.resize(120, 40)
        s.terminal.type_line("stty size")
        s.wait_for_line(r"40 120")
        s.terminal.resize(90, 25)
        s.terminal.type_line("echo size=$(stty size)")
        s.wait_for_line(r"size=25 90")

    def test_term_is_passed_to_the_remote_command(self):
        s = self.start()
        local_term = s.wait_for_line(r"local TERM=(\S+)").group(1)
        # tmux sets TERM in the pane; the server and the client's fallback use other values.
        self.assertNotIn(local_term, ("dumb", "xterm-256color"))
        s.terminal.type_line('echo "remote TERM=[$TERM]"')
        remote_term = s.wait_for_line(r"remote TERM=\[(.*)\]").group(1)
        self.assertEqual(remote_term, local_term, s.describe())

    def test_default_command_is_the_login_shell(self):
        s = ClientInTmux(self, remote_command=[])
        s.wait_for_line(r"local TERM=.*")
        # The login shell's prompt comes from the user's own start-up files: wait for anything.
        s.terminal.wait_for_rows(r"(?!local TERM=).+", 1, extra=s.server.describe)
        s.terminal.type_line('echo "shell=[$0]"')
        login_shell = "-" + os.path.basename(pwd.getpwuid(os.getuid()).pw_shell)
        s.wait_for_line(r"shell=\[(.*)\]")
        self.assertIn(f"shell=[{login_shell}]", s.terminal.screen(), s.describe())

    def test_remote_exit_code_becomes_the_local_one(self):
        s = self.start()
        s.terminal.type_line("exit 3")
        self.assertEqual(s.wait_for_exit(), 3, s.describe())

    def test_ctrl_c_interrupts_the_remote_command_not_the_client(self):
        s = self.start()
        s.terminal.type_line("echo sleeping-$((1+1)); sleep 100")
        s.wait_for_line(r"sleeping-2")
        prompts = s.prompt_count()
        s.terminal.press("C-c")
        s.wait_for_prompt(at_least=prompts + 1)
        s.terminal.type_line("echo after-interrupt-$((2+3))")
        s.wait_for_line(r"after-interrupt-5")
        self.assertFalse(s.client_exited(), s.describe())
        s.terminal.type_line("exit 0")
        self.assertEqual(s.wait_for_exit(), 0, s.describe())

    def test_tilde_dot_after_enter_leaves_with_255_and_a_message(self):
        s = self.start()
        s.terminal.type_line("echo still-here-$((3*3))")
        s.wait_for_line(r"still-here-9")
        s.terminal.press("Enter")
        s.terminal.type("~.")
        self.assertEqual(s.wait_for_exit(), 255, s.describe())
        s.wait_for_text(f"connection to {s.server.url} closed (~.)")

    def test_message_on_leaving_is_one_line_of_its_own(self):
        s = self.start()
        s.terminal.press("Enter")
        s.terminal.type("~.")
        self.assertEqual(s.wait_for_exit(), 255, s.describe())
        s.wait_for_local_output()
        # Like ssh's "Connection to ... closed.": the whole message on a fresh line, prefixed.
        self.assertIn(f"rstream: connection to {s.server.url} closed (~.)", s.terminal.screen(),
                      s.describe())

    def test_tilde_not_after_enter_is_sent_to_the_remote(self):
        s = self.start()
        # "~." in the middle of a line is ordinary text; "~~" at the start of a line sends one "~".
        s.terminal.type_line("echo a~.b")
        s.wait_for_line(r"a~\.b")
        s.terminal.type("~~")
        s.terminal.type_line("-tilde")
        s.wait_for_line(r"bash: ~-tilde: command not found")
        self.assertFalse(s.client_exited(), s.describe())

    # ---- the local terminal is restored on every way out ----

    def assert_local_terminal_restored(self, s):
        before, after = s.stty_files()
        self.assertIn("icanon", before.split(), "the local terminal did not start cooked")
        self.assertIn("echo", before.split(), "the local terminal did not start cooked")
        self.assertEqual(before, after, "local `stty -a` differs after the client\n" + s.describe())

    def test_local_terminal_restored_after_remote_exit(self):
        s = self.start()
        s.terminal.type_line("exit")
        self.assertEqual(s.wait_for_exit(), 0, s.describe())
        self.assert_local_terminal_restored(s)

    def test_local_terminal_restored_after_tilde_dot(self):
        s = self.start()
        s.terminal.press("Enter")
        s.terminal.type("~.")
        self.assertEqual(s.wait_for_exit(), 255, s.describe())
        self.assert_local_terminal_restored(s)

    def test_local_terminal_restored_after_remote_shell_is_killed(self):
        s = self.start()
        s.terminal.type_line("kill -9 $$")
        self.assertEqual(s.wait_for_exit(), 128 + signal.SIGKILL, s.describe())
        self.assert_local_terminal_restored(s)

    def test_local_terminal_restored_after_client_gets_sigterm(self):
        s = self.start()
        os.kill(s.client_pid(), signal.SIGTERM)
        self.assertEqual(s.wait_for_exit(), 128 + signal.SIGTERM, s.describe())
        self.assert_local_terminal_restored(s)

    def test_local_terminal_restored_after_server_dies(self):
        s = self.start()
        s.server.signal(signal.SIGKILL)
        self.assertEqual(s.wait_for_exit(), 255, s.describe())
        self.assert_local_terminal_restored(s)

    def test_silent_server_detected_by_heartbeats_and_terminal_restored(self):
        s = self.start(client_args=["--heartbeat", "200ms"])
        s.server.signal(signal.SIGSTOP)  # the connection stays open, but nothing answers
        self.assertEqual(s.wait_for_exit(), 255, s.describe())
        s.wait_for_text("no response from the server for 600 ms")
        self.assert_local_terminal_restored(s)


class ClientWithoutTerminalTest(unittest.TestCase):
    """Without a local terminal the client behaves like `exec -t`: a remote PTY, piped I/O."""

    @classmethod
    def setUpClass(cls):
        cls.workdir = tempfile.mkdtemp(prefix="rstream-pipe-")
        cls.server = RstreamServer(cls.workdir)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.workdir, ignore_errors=True)

    def run_client(self, stdin_bytes, *command, timeout=DEFAULT_TIMEOUT):
        process = subprocess.Popen(
            [rstream_binary(), "webtty", "client", "--url", self.server.url, "--", *command],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True)
        try:
            out, err = process.communicate(stdin_bytes, timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            return None, out, err
        return process.returncode, out, err

    def test_piped_input_reaches_a_remote_pty_and_exit_code_propagates(self):
        rc, out, err = self.run_client(
            b"piped\n", "sh", "-c", 'read line; echo "got:$line"; tty; exit 7')
        self.assertEqual(rc, 7, (out, err))
        lines = out.decode().split("\r\n")  # a PTY: output lines end in CR LF
        self.assertIn("got:piped", lines)
        self.assertTrue(any(line.startswith("/dev/pts/") for line in lines), out)

    def test_piped_input_to_cat_ends_at_eof(self):
        rc, out, err = self.run_client(b"echo piped\n", "cat")
        self.assertEqual(rc, 0, (out, err))
        # The remote terminal echoes the line, then cat writes it back.
        self.assertEqual(out, b"echo piped\r\necho piped\r\n")
        self.assertEqual(err, b"")

    def test_exit_status_kept_when_command_closes_its_terminal_before_exiting(self):
        # The command lets go of the PTY (as cat does just before it exits) and lives on a
        # moment: the server must not hang up the terminal under it, which would turn its
        # exit status into "killed by SIGHUP" (129). The pause is part of the scenario, not a
        # wait: the result must not depend on its length.
        rc, out, err = self.run_client(
            b"", "sh", "-c", "echo closing; exec </dev/null >/dev/null 2>&1; sleep 0.3; exit 4")
        self.assertIn(b"closing\r\n", out)
        self.assertEqual(rc, 4, (out, err))

    def test_piped_input_that_arrives_before_the_shell_reads_still_ends_it(self):
        # All input, end-of-file included, reaches the remote PTY while `read` holds it in
        # line mode; then bash takes over the terminal. bash must still see the end of input.
        rc, out, err = self.run_client(
            b"first\necho piped-$((40+2))\n", "sh", "-c",
            "read first; exec bash --norc --noprofile", timeout=5)
        self.assertIsNotNone(rc, f"the client never ended; output: {out!r}")
        self.assertEqual(rc, 0, (out, err))
        self.assertIn(b"piped-42\r\n", out)


class ClientInTerminalThroughEngineTest(ClientInTerminalTest):
    """The same terminal behaviours, the server reached as rstrm://NAME through an engine."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.engine = TestEngine()
        cls.engine.activate()

    @classmethod
    def tearDownClass(cls):
        cls.engine.stop()
        super().tearDownClass()


if __name__ == "__main__":
    unittest.main()
