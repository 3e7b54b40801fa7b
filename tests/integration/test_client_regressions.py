"""Regressions from the red-team report (issue 12, items 15-21) on the client side, through the
real binary against `rstream webtty server --listen 127.0.0.1:0`.

Each test is named after the bug it guards against; every wait is on an event (a line on
stderr, an API state, the end of a process) with a deadline.

Run: RSTREAM_BIN=/path/to/rstream python3 -m unittest -v test_client_regressions
"""

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import unittest

from rstream_harness import StreamCollector, binary, clean_env, kill_quietly, start_server, wait_until
from test_live_sessions import Participant, api

TOKEN = "client-regressions-token-8f6e4d2c0b9a7e5d3c1b0a8f6e4d2c1a"
TIMEOUT = 20


class ClientRegressionsTest(unittest.TestCase):
    """One server for the class, with its own HOME (item 21)."""

    @classmethod
    def setUpClass(cls):
        cls._stack = contextlib.ExitStack()
        cls.home = tempfile.mkdtemp(prefix="rstream-home-")
        cls._stack.callback(shutil.rmtree, cls.home, True)
        cls.home = os.path.realpath(cls.home)
        cls.server = cls._stack.enter_context(
            start_server("--token", TOKEN, env={"HOME": cls.home}))
        cls.url = "http://127.0.0.1:%d" % cls.server.port
        cls.tcp_url = "tcp://127.0.0.1:%d" % cls.server.port

    @classmethod
    def tearDownClass(cls):
        cls._stack.close()

    def setUp(self):
        self.procs = []
        self.addCleanup(self._kill_procs)

    def _kill_procs(self):
        for p in self.procs:
            kill_quietly(p)

    # ---- helpers -----------------------------------------------------------------------------

    def api(self, method, path, body=None):
        return api(self.server, method, path, body, token=TOKEN)

    def create(self, **fields):
        status, body = self.api("POST", "/api/terminal/sessions", fields)
        self.assertEqual(status, 201, body)
        return body

    def sessions(self, sub, *args, stdin=b""):
        cmd = [binary(), "webtty", "sessions", sub, "--url", self.url, "--token", TOKEN, *args]
        return subprocess.run(cmd, input=stdin, capture_output=True, env=clean_env(),
                              timeout=TIMEOUT)

    def start(self, cmd):
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=clean_env())
        self.procs.append(p)
        return p, StreamCollector(p.stdout), StreamCollector(p.stderr)

    def session_info(self, sid):
        status, body = self.api("GET", "/api/terminal/sessions/" + sid)
        self.assertEqual(status, 200, body)
        return body

    def kill_session(self, sid):
        self.api("DELETE", "/api/terminal/sessions/" + sid)

    # ---- item 15 -----------------------------------------------------------------------------

    def test_spectator_granted_control_releases_it_and_can_leave(self):
        made = self.create(command=["sh", "-c", "sleep 600"], name="spectator-granted")
        self.addCleanup(self.kill_session, made["id"])
        join, _out, err = self.start([binary(), "webtty", "sessions", "join", made["id"], "--url",
                                      self.url, "--token", TOKEN])
        err.wait_for(b"(spectator)", TIMEOUT)
        participant = re.search(rb"joined as (\S+) \(spectator\)", err.data).group(1).decode()
        # Nobody controls the session: the request is granted at once.
        r = self.sessions("request-control", made["id"], "--participant-id", participant,
                          "--reason", "take it")
        self.assertEqual(r.returncode, 0, r)
        # The viewer, which never sends input, gives control back instead of holding it.
        err.wait_for(b"released it", TIMEOUT)
        wait_until(lambda: self.session_info(made["id"]).get("controller") is None, TIMEOUT,
                   message="control released by the spectator")
        join.send_signal(signal.SIGINT)
        self.assertEqual(join.wait(TIMEOUT), 130, err.data)

    # ---- item 16 -----------------------------------------------------------------------------

    def test_client_session_with_piped_stdin_never_loses_its_input(self):
        # The race lost the input about one run in three: 100 runs, each a new session whose
        # command reads one line and prints it.
        for i in range(100):
            name = "piped-%d" % i
            try:
                r = subprocess.run(
                    [binary(), "webtty", "client", "--url", self.url, "--token", TOKEN,
                     "--session", name, "--", "sh", "-c", 'read line; echo "got:[$line]"'],
                    input=b"token-%d\n" % i, capture_output=True, env=clean_env(),
                    timeout=TIMEOUT)
            except subprocess.TimeoutExpired as e:
                # The command still waits for the line: the client dropped it.
                self.fail("run %d: the input never reached the session: %r" % (i, e.stderr))
            self.assertEqual(r.returncode, 0, (i, r))
            self.assertIn(b"got:[token-%d]" % i, r.stdout, (i, r))
            self.assertNotIn(b"your input is ignored", r.stderr, (i, r))

    # ---- item 18 -----------------------------------------------------------------------------

    def test_api_signal_interrupts_the_foreground_job_not_the_shell(self):
        made = self.create(command=["bash", "--norc", "--noprofile", "-i"],
                      env={"PS1": "[prompt]$ "}, name="signal-foreground")
        self.addCleanup(self.kill_session, made["id"])
        p = Participant(self.server, made["id"], token=TOKEN)
        self.addCleanup(p.close)
        p.wait_output(b"[prompt]$ ")
        p.type("sleep 600\r")
        # The shell has put sleep in the foreground when the terminal's group is not its own.
        def sleep_in_foreground():
            out = subprocess.run(["ps", "-o", "pid=,pgid=,tpgid=,comm=", "-s", str(made["pid"])],
                                 capture_output=True, text=True).stdout
            return any(line.split()[3] == "sleep" and line.split()[1] == line.split()[2]
                       for line in out.splitlines() if len(line.split()) >= 4)
        wait_until(sleep_in_foreground, TIMEOUT, message="sleep in the foreground")
        p.control(type="signal", signal=2)
        # Typed while sleep runs, this waits for it; the shell survives and reports the signal.
        p.type("echo after-$?\r")
        p.wait_output(b"after-130", timeout=TIMEOUT)
        self.assertEqual(self.session_info(made["id"])["state"], "running")

    # ---- item 20 -----------------------------------------------------------------------------

    def test_unknown_subcommand_is_named_in_the_error(self):
        groups = [[], ["webtty"], ["webtty", "sessions"], ["webtty", "fs"], ["webtty", "identity"],
                  ["engine"], ["engine", "token"], ["project"]]
        for group in groups:
            r = subprocess.run([binary(), *group, "frobnicate"], capture_output=True,
                               stdin=subprocess.DEVNULL, env=clean_env(), timeout=TIMEOUT)
            path = " ".join(["rstream", *group])
            self.assertEqual(r.returncode, 2, (group, r))
            self.assertEqual(r.stdout, b"", (group, r))
            self.assertEqual(
                r.stderr.decode(),
                "rstream: unknown command 'frobnicate' for '%s' (see '%s --help')\n"
                % (path, path), group)
        # Options before the word (and their values) are skipped.
        r = subprocess.run([binary(), "engine", "--listen", "127.0.0.1:0", "frobnicate"],
                           capture_output=True, stdin=subprocess.DEVNULL, env=clean_env(),
                           timeout=TIMEOUT)
        self.assertEqual(r.returncode, 2, r)
        self.assertIn(b"unknown command 'frobnicate' for 'rstream engine'", r.stderr)

    # ---- item 21 -----------------------------------------------------------------------------

    def test_exec_client_and_live_sessions_start_in_the_home_directory(self):
        r = subprocess.run([binary(), "webtty", "exec", "--url", self.tcp_url, "--token", TOKEN,
                            "--", "pwd"], capture_output=True, stdin=subprocess.DEVNULL,
                           env=clean_env(), timeout=TIMEOUT)
        self.assertEqual((r.returncode, r.stdout.decode()), (0, self.home + "\n"), r)

        r = subprocess.run([binary(), "webtty", "client", "--url", self.tcp_url, "--token",
                            TOKEN, "--", "pwd"], capture_output=True, stdin=subprocess.DEVNULL,
                           env=clean_env(), timeout=TIMEOUT)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn(self.home, r.stdout.decode(), r)

        made = self.create(command=["pwd"], name="home-dir")
        self.addCleanup(self.kill_session, made["id"])
        self.assertEqual(made["working_dir"], self.home)
        join = self.sessions("join", made["id"], "-q")
        self.assertIn(self.home, join.stdout.decode(), join)

        # --workdir still wins.
        other = tempfile.mkdtemp(prefix="rstream-workdir-")
        self.addCleanup(shutil.rmtree, other, True)
        other = os.path.realpath(other)
        r = subprocess.run([binary(), "webtty", "exec", "--url", self.tcp_url, "--token", TOKEN,
                            "--workdir", other, "--", "pwd"], capture_output=True,
                           stdin=subprocess.DEVNULL, env=clean_env(), timeout=TIMEOUT)
        self.assertEqual((r.returncode, r.stdout.decode()), (0, other + "\n"), r)


if __name__ == "__main__":
    unittest.main()
