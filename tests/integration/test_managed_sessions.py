"""Managed sessions through the engine, through the real binaries (an engine, a registered
server, several clients): every session to a registered server is listed by the engine; an
interactive one is joined by spectators who see the same bytes and whose keys do not reach the
command; control is requested, granted and taken over; the roles of the tokens decide who may
do what; the session outlives its client and is reattached; every participant gets the exit
code; `exec -o json` names the session and --origin/--group label it."""

import base64
import contextlib
import json
import os
import pty
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import rstream_harness as h
from rstream_harness import binary, clean_env, start_engine, wait_until
from test_registered_servers import Host


class PtyClient:
    """`rstream webtty client ...` on a pseudo-terminal of its own: type() and wait_for()."""

    def __init__(self, env, *args):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen([binary(), "webtty", "client"] + list(args), stdin=slave,
                                     stdout=slave, stderr=slave, env=clean_env(env),
                                     start_new_session=True)
        os.close(slave)
        self.seen = bytearray()  # appended in place: the output can be megabytes

    def type(self, text):
        os.write(self.master, text.encode())

    def wait_for(self, marker, timeout=15):
        deadline = time.monotonic() + timeout
        wanted = marker.encode()
        searched = 0  # where the search goes on (the output can be megabytes)
        while wanted not in self.seen[searched:]:
            searched = max(0, len(self.seen) - len(wanted))
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("%r never appeared; the client saw %d bytes, ending %r"
                                     % (marker, len(self.seen), self.seen[-2000:]))
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    self.seen += os.read(self.master, 65536)
                except OSError:
                    raise AssertionError("the client ended before %r; it saw %r"
                                         % (marker, self.seen[-2000:]))

    def kill(self):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        with contextlib.suppress(OSError):
            os.close(self.master)


class Joiner:
    """`rstream webtty sessions join ID ...` with its stdout collected and stdin a pipe."""

    def __init__(self, env, session, *args):
        self.proc = subprocess.Popen([binary(), "webtty", "sessions", "join", session] + list(args),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=clean_env(env),
                                     start_new_session=True)
        self.out = h.StreamCollector(self.proc.stdout)
        self.err = h.StreamCollector(self.proc.stderr)

    def wait_for(self, marker, timeout=15):
        wait_until(lambda: marker.encode() in self.out.data, timeout,
                   message="%r in a participant's output (it has %r, stderr %r)"
                   % (marker, self.out.data[-1500:], self.err.data[-1500:]))

    def type(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def kill(self):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


class ManagedSessions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._stack = contextlib.ExitStack()
        cls.engine_home = tempfile.mkdtemp(prefix="rstream-managed-")
        cls._stack.callback(shutil.rmtree, cls.engine_home, True)
        cls.engine = cls._stack.enter_context(
            start_engine("--detached-session-timeout", "3s", home=cls.engine_home))
        cls.tokens = {}
        for name, role in (("alice", "read-write"), ("bob", "read-write"),
                           ("watcher", "read-only")):
            status, made = cls.engine.api("POST", "/api/tokens", body={"role": role, "name": name})
            assert status == 201, made
            cls.tokens[name] = made["token"]
        r = cls.cli(None, "webtty", "server", "create", "managed-1", "-o", "json")
        assert r.returncode == 0, r
        cls.server_id = json.loads(r.stdout)["id"]
        cls.host = Host(cls.engine)
        cls._stack.callback(shutil.rmtree, cls.host.home, True)
        cls.host.enroll(cls.server_id)
        cls._stack.enter_context(cls.host.serving(cls.server_id))

    @classmethod
    def tearDownClass(cls):
        cls._stack.close()

    @classmethod
    def env(cls, who):
        return cls.engine.client_env(cls.tokens.get(who))

    @classmethod
    def cli(cls, who, *args, stdin=None):
        return subprocess.run([binary()] + list(args), capture_output=True, input=stdin,
                              env=clean_env(cls.env(who)), timeout=30)

    def sessions(self, who, *args):
        r = self.cli(who, "webtty", "sessions", *args)
        return r.returncode, r.stdout, r.stderr

    def listed(self, who="alice", *flags):
        code, out, err = self.sessions(who, "list", "-o", "json", *flags)
        self.assertEqual(code, 0, err)
        return {s["id"]: s for s in json.loads(out)}

    def test_exec_is_a_managed_session_with_its_origin_and_group(self):
        r = self.cli("alice", "webtty", "exec", "--url", "rstrm://managed-1", "--output", "json",
                     "--group", "deploy-42", "--", "sh", "-c", "echo out; echo err >&2; exit 3")
        self.assertEqual(r.returncode, 3, r)
        report = json.loads(r.stdout)
        self.assertEqual((report["stdout"], report["stderr"]), ("out\n", "err\n"))
        session = report["session_id"]
        self.assertTrue(session.startswith("ses_"), report)
        entry = self.listed("alice", "--status", "terminated")[session]
        self.assertEqual((entry["server"], entry["server_id"], entry["origin"], entry["group"],
                          entry["mode"], entry["exit_code"], entry["started_by"]),
                         ("managed-1", self.server_id, "api", "deploy-42", "command", 3, "alice"))
        self.assertNotIn(session, self.listed("alice", "--status", "active"))
        # Its server is recorded: the recording verifies and exports (an admin reads it).
        r = self.cli(None, "webtty", "sessions", "verify", session)
        self.assertEqual(r.returncode, 0, r)
        r = self.cli(None, "webtty", "sessions", "export", session, "--format", "asciicast")
        self.assertEqual(r.returncode, 0, r)
        lines = [json.loads(line) for line in r.stdout.decode().splitlines()]
        self.assertEqual(lines[0]["version"], 2)
        printed = "".join(e[2] for e in lines[1:] if e[1] == "o")
        # exec has no terminal: a player's newlines return the cursor, as a PTY's would.
        self.assertIn("out\r\n", printed)
        self.assertIn("err\r\n", printed)
        r = self.cli("alice", "webtty", "sessions", "export", session, "--format", "json")
        self.assertEqual(r.returncode, 4, r)  # reading recordings needs an admin token
        self.assertIn(session, self.listed("alice", "--server-id", "managed-1",
                                           "--group-id", "deploy-42", "--origin", "api"))
        self.assertNotIn(session, self.listed("alice", "--origin", "ci"))
        code, out, err = self.sessions("watcher", "groups", "-o", "json")
        self.assertEqual(code, 0, err)
        groups = {g["group"]: g for g in json.loads(out)["groups"]}
        self.assertGreaterEqual(groups["deploy-42"]["sessions"], 1)
        # CI sets them once for every command of a job.
        env = dict(self.env("alice"), RSTREAM_WEBTTY_ORIGIN="ci", RSTREAM_WEBTTY_GROUP="job-7")
        r = subprocess.run([binary(), "webtty", "exec", "--url", "rstrm://managed-1", "-o", "json",
                            "--", "true"], capture_output=True, env=clean_env(env), timeout=30)
        self.assertEqual(r.returncode, 0, r)
        entry = self.listed("alice")[json.loads(r.stdout)["session_id"]]
        self.assertEqual((entry["origin"], entry["group"]), ("ci", "job-7"))

    def test_the_recording_reads_as_text_and_page_by_page(self):
        # 300 lines, then a full-screen program, then a last line: on an 80x24 terminal most of
        # the lines scroll away while the command runs.
        script = ("for i in $(seq 1 300); do echo line-$i; done; "
                  "printf 'vim-like\\033[?1049h\\033[H\\033[2JFULL-SCREEN-LAST\\033[?1049l'; "
                  "echo; echo the-end")
        r = self.cli("alice", "webtty", "exec", "--url", "rstrm://managed-1", "-o", "json",
                     "--", "sh", "-c", script)
        self.assertEqual(r.returncode, 0, r)
        session = json.loads(r.stdout)["session_id"]
        r = self.cli(None, "webtty", "sessions", "export", session, "--format", "text")
        self.assertEqual(r.returncode, 0, r)
        lines = r.stdout.decode().splitlines()
        self.assertEqual(lines[:300], ["line-%d" % i for i in range(1, 301)])
        rule = "-" * 40
        self.assertEqual(lines[300:], ["vim-like", rule, "FULL-SCREEN-LAST", rule, "the-end"])
        # The events a page at a time, as lines or as the API's page.
        r = self.cli(None, "webtty", "sessions", "events", session, "--limit", "2")
        self.assertEqual(r.returncode, 0, r)
        out = r.stdout.decode().splitlines()
        self.assertEqual(len(out), 2, out)
        self.assertRegex(out[0], r"^1  \+0\.000s  open  \{")
        self.assertIn("more events: --from-seq 3", r.stderr.decode())
        r = self.cli(None, "webtty", "sessions", "events", session, "--from-seq", "2", "-o", "json")
        self.assertEqual(r.returncode, 0, r)
        page = json.loads(r.stdout)
        self.assertEqual(page["events"][0]["seq"], 2)
        self.assertEqual(page["events"][-1]["kind"], "close")
        self.assertFalse(page["more"])
        r = self.cli("alice", "webtty", "sessions", "events", session)
        self.assertEqual(r.returncode, 4, r)  # recordings are an admin's to read
        r = self.cli(None, "webtty", "sessions", "events", session, "--follow", "--limit", "5")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("--from-seq and --limit read a managed session's recording", r.stderr.decode())

    def new_session(self, before):
        """The one interactive session that was not listed `before`."""
        active = [s for s in self.listed("alice", "--status", "active").values()
                  if s["mode"] == "interactive" and s["id"] not in before]
        self.assertEqual(len(active), 1, active)
        return active[0]

    def test_spectate_control_hand_over_detach_reattach_and_exit(self):
        before = self.listed("alice")
        alice = PtyClient(self.env("alice"), "--url", "rstrm://managed-1", "--", "sh")
        self.addCleanup(alice.kill)
        alice.type("echo MARK-$((40+2))\n")
        alice.wait_for("MARK-42")
        active = [self.new_session(before)]
        self.assertEqual(len(active), 1, active)
        session = active[0]["id"]
        self.assertEqual(active[0]["origin"], "human")
        self.assertEqual(active[0]["recording"], "recorded")  # the record's default policy

        # A read-only token watches: the scrollback first, then the same bytes as the client.
        watcher = Joiner(self.env("watcher"), session)
        self.addCleanup(watcher.kill)
        watcher.wait_for("MARK-42")
        alice.type("echo LIVE-$((1+1))\n")
        alice.wait_for("LIVE-2")
        watcher.wait_for("LIVE-2")
        # ... and can neither ask for control nor resolve.
        code, _, err = self.sessions("watcher", "request-control", session,
                                     "--participant-id", "p1", "--reason", "let me")
        self.assertEqual(code, 4, err)
        self.assertIn(b"read-only", err)
        # ... not even with its WebSocket's own request (what `join --request-control` sends).
        sneak = Joiner(self.env("watcher"), session, "--interactive", "--request-control",
                       "--reason", "sneak")
        self.addCleanup(sneak.kill)
        wait_until(lambda: b"read-only token" in sneak.err.data, 10, interval=0.1,
                   message="the refusal of a read-only participant's control request")
        sneak.kill()
        self.assertEqual(self.requests(session), [])

        # Bob joins interactively and asks; his keys wait while Alice controls.
        bob = Joiner(self.env("bob"), session, "--interactive", "--request-control",
                     "--reason", "my turn")
        self.addCleanup(bob.kill)
        bob.wait_for("LIVE-2")
        wait_until(lambda: any(r["state"] == "pending" for r in self.requests(session)), 10,
                   interval=0.2, message="Bob's control request")
        request = [r for r in self.requests(session) if r["state"] == "pending"][0]
        # Bob cannot grant himself control as Alice's participant; an admin could.
        code, _, err = self.sessions("bob", "resolve-control", session, str(request["id"]),
                                     "--action", "grant", "--approver-participant-id", "p1")
        self.assertEqual(code, 4, err)
        code, _, err = self.sessions("bob", "resolve-control", session, str(request["id"]),
                                     "--action", "grant")
        self.assertEqual(code, 4, err)
        bob.type("echo BOB-$((2+3))\n")
        time.sleep(0.5)
        self.assertNotIn(b"BOB-5", watcher.out.data)
        # Alice, the controller, grants it as her own participant.
        code, _, err = self.sessions("alice", "resolve-control", session, str(request["id"]),
                                     "--action", "grant", "--approver-participant-id", "p1")
        self.assertEqual(code, 0, err)
        watcher.wait_for("BOB-5")
        # Alice is a spectator now: her keys do not reach the shell.
        alice.type("echo ALICE-$((3+4))\n")
        bob.type("echo AFTER-$((5+5))\n")
        watcher.wait_for("AFTER-10")
        self.assertNotIn(b"ALICE-7", watcher.out.data)

        # Alice's client goes; the interactive session keeps running, and is reattached.
        alice.kill()
        wait_until(lambda: not self.listed("alice")[session]["client_attached"], 10,
                   interval=0.2, message="the engine to notice the client left")
        self.assertEqual(self.listed("alice")[session]["status"], "active")
        again = Joiner(self.env("alice"), session)
        self.addCleanup(again.kill)
        again.wait_for("AFTER-10")

        # The controller ends it: every participant gets the exit code.
        bob.type("exit 7\n")
        for joiner in (watcher, again, bob):
            self.assertEqual(joiner.proc.wait(timeout=15), 7, joiner.err.data[-1500:])
        entry = self.listed("alice")[session]
        self.assertEqual((entry["status"], entry["exit_code"]), ("terminated", 7))

    def shell_session(self, marker):
        """Alice's interactive shell through the engine, once it printed MARKER-42: (its
        client, the session's id)."""
        before = self.listed("alice")
        client = PtyClient(self.env("alice"), "--url", "rstrm://managed-1", "--", "sh")
        self.addCleanup(client.kill)
        client.type("echo %s-$((40+2))\n" % marker)
        client.wait_for("%s-42" % marker)
        return client, self.new_session(before)["id"]

    def test_a_spectator_that_never_reads_slows_neither_the_command_nor_the_others(self):
        alice, session = self.shell_session("READY")
        # A spectator joins over its own WebSocket, then never reads another byte.
        stalled = socket.socket()
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.connect(("127.0.0.1", self.engine.port))
        self.addCleanup(stalled.close)
        key = base64.b64encode(os.urandom(16)).decode()
        stalled.sendall((
            "GET /api/webtty/sessions/%s/ws?role=spectator HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
            "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n"
            % (session, self.engine.port, key, self.tokens["watcher"])).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            byte = stalled.recv(1)
            self.assertTrue(byte, head)
            head += byte
        self.assertIn(b" 101 ", head.split(b"\r\n")[0])
        wait_until(lambda: self.listed("alice")[session]["clients"] >= 2, 10, interval=0.1,
                   message="the stalled spectator to be a participant")
        watcher = Joiner(self.env("watcher"), session)
        self.addCleanup(watcher.kill)
        watcher.wait_for("READY-42")
        # 8 MB of output: far more than the stalled spectator's socket and queue hold.
        alice.type("head -c 8000000 /dev/zero | tr '\\0' x | fold -w 100; echo DONE-$((4+4))\n")
        alice.wait_for("DONE-8", timeout=60)
        watcher.wait_for("DONE-8", timeout=60)
        self.assertEqual(self.listed("alice")[session]["status"], "active")

    def test_kill_answers_with_the_session_it_ended(self):
        _, session = self.shell_session("KILL")
        code, out, err = self.sessions("alice", "kill", session, "-o", "json")
        self.assertEqual(code, 0, err)
        state = json.loads(out)
        self.assertEqual(state["status"], "terminated", state)
        self.assertIn(session, self.listed("alice", "--status", "terminated"))

    def test_a_detached_session_ends_after_the_timeout(self):
        client, session = self.shell_session("DETACH")
        client.kill()
        # --detached-session-timeout 3s: no participant, so the engine ends it.
        wait_until(lambda: self.listed("alice")[session]["status"] == "terminated", 20,
                   interval=0.2, message="the detached session to end")

    def test_roles_and_unknown_sessions(self):
        code, _, err = self.sessions("alice", "info", "ses_00000000000000000000")
        self.assertEqual(code, 3, err)
        code, _, err = self.sessions("alice", "list", "--status", "gone")
        self.assertEqual(code, 2, err)
        # A read-only token cannot open a session at all.
        r = self.cli("watcher", "webtty", "exec", "--url", "rstrm://managed-1", "--", "true")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"read-only", r.stderr)

    def test_cleanup_removes_the_terminated_sessions_a_token_may_end(self):
        r = self.cli("bob", "webtty", "exec", "--url", "rstrm://managed-1", "-o", "json", "--",
                     "true")
        self.assertEqual(r.returncode, 0, r)
        session = json.loads(r.stdout)["session_id"]
        self.assertIn(session, self.listed("alice", "--status", "terminated"))
        code, _, err = self.sessions("watcher", "cleanup")
        self.assertEqual(code, 4, err)
        self.assertIn(b"read-only", err)
        code, out, err = self.sessions("alice", "cleanup", "-o", "json")
        self.assertEqual(code, 0, err)
        self.assertNotIn(session, json.loads(out)["removed"])  # bob's, not alice's
        code, out, err = self.sessions("bob", "cleanup")
        self.assertEqual(code, 0, err)
        self.assertIn(session, out.decode().split())
        self.assertNotIn(session, self.listed("alice", "--status", "terminated"))

    def requests(self, session):
        code, out, err = self.sessions("alice", "control-requests", session, "-o", "json")
        self.assertEqual(code, 0, err)
        return json.loads(out)


if __name__ == "__main__":
    unittest.main()
