"""`rstream webtty sessions` (the CLI of live sessions) against a real
`rstream webtty server --listen 127.0.0.1:0 --token T`.

Covers every subcommand (list, info, create, join, request-control, control-requests,
resolve-control, events with --since and --follow, kill, cleanup), the URL forms, and the exit
codes: 0 ok, 1 refused, 2 usage, 3 not found, 4 denied, 255 unreachable; `join` exits with the
session's exit code, 130 on Ctrl-C. Sessions run small sh scripts whose output the tests can
predict; every wait is on an event (output, a line on stderr, an API state) with a deadline.
"""

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from rstream_harness import (
    StreamCollector,
    binary,
    clean_env,
    kill_quietly,
    start_server,
    wait_until,
)

TOKEN = "sessions-cli-token-9d3f5b7e1a2c4e6081f3b5d7a9c1e342"
TIMEOUT = 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sessions_cmd(url, sub, *args, token=TOKEN):
    cmd = [binary(), "webtty", "sessions", sub, "--url", url]
    if token:
        cmd += ["--token", token]
    return cmd + list(args)


class SessionsCliTest(unittest.TestCase):
    """One server for the class; each test names its sessions after itself."""

    @classmethod
    def setUpClass(cls):
        cls._stack = contextlib.ExitStack()
        cls.server = cls._stack.enter_context(start_server("--token", TOKEN))
        cls.url = "http://127.0.0.1:%d" % cls.server.port
        cls.workdir = tempfile.mkdtemp(prefix="rstream-sessions-cli-")
        cls._stack.callback(shutil.rmtree, cls.workdir, True)

    @classmethod
    def tearDownClass(cls):
        cls._stack.close()

    def setUp(self):
        self.name = self.id().rsplit(".", 1)[-1].replace("test_", "")[:40]
        self.procs = []
        self.addCleanup(self._kill_procs)

    def _kill_procs(self):
        for p in self.procs:
            kill_quietly(p)

    # ---- helpers -----------------------------------------------------------------------------

    def cli(self, sub, *args, token=TOKEN, url=None, stdin=b"", env=None, timeout=TIMEOUT):
        """Runs `rstream webtty sessions SUB --url URL --token T ARGS...` to completion."""
        return subprocess.run(sessions_cmd(url or self.url, sub, *args, token=token), input=stdin,
                              capture_output=True, env=clean_env(env), timeout=timeout)

    def ok(self, sub, *args, **kwargs):
        r = self.cli(sub, *args, **kwargs)
        self.assertEqual(r.returncode, 0, r)
        if sub != "join":
            self.assertEqual(r.stderr, b"", r)
        return r.stdout.decode()

    def api(self, method, path, body=None):
        """The server's API directly, to check what the CLI did without the CLI."""
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=TIMEOUT)
        headers = {"Authorization": "Bearer " + TOKEN}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        conn.close()
        return response.status, json.loads(raw) if raw else None

    def session(self, id_or_name):
        status, body = self.api("GET", "/api/terminal/sessions/" + id_or_name)
        return body if status == 200 else None

    def create(self, *command, name=None, extra=()):
        """Creates a session running `command` (sh -c SCRIPT when one string); returns its id."""
        if len(command) == 1:
            command = ("sh", "-c", command[0])
        out = self.ok("create", "--name", name or self.name, *extra, "--", *command)
        sid = out.strip()
        self.assertRegex(sid, r"^[A-Za-z0-9_-]+$")
        self.addCleanup(self.api, "DELETE", "/api/terminal/sessions/" + sid)
        return sid

    def spawn(self, sub, *args, stdin=subprocess.DEVNULL, token=TOKEN):
        """Starts a sessions subcommand in the background; returns (proc, stdout, stderr)."""
        p = subprocess.Popen(sessions_cmd(self.url, sub, *args, token=token), stdin=stdin,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env())
        self.procs.append(p)
        return p, StreamCollector(p.stdout), StreamCollector(p.stderr)

    def participant_of(self, stderr_collector, role):
        stderr_collector.wait_for(b"joined as ", TIMEOUT)
        stderr_collector.wait_for(b")", TIMEOUT)
        m = re.search(rb"joined as (\S+) \((\w+)\)", stderr_collector.data)
        self.assertIsNotNone(m, stderr_collector.data)
        if role is not None:
            self.assertEqual(m.group(2).decode(), role, stderr_collector.data)
        return m.group(1).decode()

    def wait_clients(self, sid, n):
        wait_until(lambda: (self.session(sid) or {}).get("clients") == n, TIMEOUT,
                   message="%d clients on %s" % (n, sid))

    # ---- create, list, info ----------------------------------------------------------------

    def test_create_prints_the_id_and_list_and_info_show_the_session(self):
        sid = self.create("sleep 600")
        listed = json.loads(self.ok("list", "-o", "json"))
        self.assertIsInstance(listed, list)
        mine = [s for s in listed if s["id"] == sid]
        self.assertEqual(len(mine), 1, listed)
        self.assertEqual(mine[0]["name"], self.name)
        self.assertEqual(mine[0]["state"], "running")
        # stdout is not a terminal here: json is the default.
        self.assertEqual([s["id"] for s in json.loads(self.ok("list"))],
                         [s["id"] for s in listed])
        table = self.ok("list", "-o", "table").splitlines()
        self.assertEqual(table[0].split(),
                         ["ID", "NAME", "STATE", "CLIENTS", "CONTROLLER", "COMMAND", "CREATED"])
        row = [line for line in table if line.startswith(sid)]
        self.assertEqual(len(row), 1, table)
        self.assertIn(self.name, row[0])
        self.assertIn("running", row[0])
        self.assertIn("sh -c 'sleep 600'", row[0])
        info = json.loads(self.ok("info", sid, "-o", "json"))
        self.assertEqual(info["id"], sid)
        self.assertEqual(info["command"], ["sh", "-c", "sleep 600"])
        by_name = json.loads(self.ok("info", self.name, "-o", "json"))
        self.assertEqual(by_name["id"], sid)
        text = self.ok("info", sid)
        self.assertRegex(text, r"(?m)^id:\s+%s$" % sid)
        self.assertRegex(text, r"(?m)^state:\s+running$")
        self.assertRegex(text, r"(?m)^command:\s+sh -c 'sleep 600'$")

    def test_create_passes_size_workdir_env_and_command(self):
        out = self.ok("create", "--name", self.name, "--cols", "100", "--rows", "30",
                      "--workdir", self.workdir, "--env", "FOO=bar baz", "-o", "json", "--",
                      "sh", "-c", 'echo "foo=[$FOO] dir=[$(pwd)] size=[$(stty size)]"; exit 6')
        session = json.loads(out)
        self.addCleanup(self.api, "DELETE", "/api/terminal/sessions/" + session["id"])
        self.assertEqual((session["cols"], session["rows"]), (100, 30))
        self.assertEqual(session["working_dir"], self.workdir)
        # The session may already be over: a spectator still gets its scrollback, then its end.
        r = self.cli("join", session["id"], "-q")
        self.assertEqual(r.returncode, 6, r)
        self.assertIn(b"foo=[bar baz] dir=[%s] size=[30 100]" % self.workdir.encode(), r.stdout)

    def test_list_status_filter_cleanup_and_info_after_removal(self):
        running = self.create("sleep 600", name=self.name + "-run")
        ended = self.create("exit 3", name=self.name + "-end")
        wait_until(lambda: self.session(ended)["state"] == "terminated", TIMEOUT,
                   message="the session to end")
        active = [s["id"] for s in json.loads(self.ok("list", "--status", "active", "-o", "json"))]
        terminated = json.loads(self.ok("list", "--status", "terminated", "-o", "json"))
        self.assertIn(running, active)
        self.assertNotIn(ended, active)
        self.assertIn(ended, [s["id"] for s in terminated])
        self.assertEqual([s["exit_code"] for s in terminated if s["id"] == ended], [3])
        table = self.ok("list", "--status", "terminated", "-o", "table")
        self.assertRegex(table, r"(?m)^%s .*terminated \(3\)" % ended)
        removed = self.ok("cleanup").split()
        self.assertIn(ended, removed)
        self.assertNotIn(running, removed)
        r = self.cli("info", ended)
        self.assertEqual(r.returncode, 3, r)
        self.assertTrue(r.stderr.startswith(b"rstream: "), r)
        self.assertEqual(r.stdout, b"")
        self.assertEqual(json.loads(self.ok("cleanup", "-o", "json")), {"removed": []})

    def listed(self, sid):
        """The session as `sessions list -o json` shows it, or None."""
        found = [s for s in json.loads(self.ok("list", "-o", "json")) if s["id"] == sid]
        return found[0] if found else None

    def test_kill_ends_the_session_and_keeps_it_listed_until_cleanup(self):
        sid = self.create("sleep 600")
        pid = self.session(sid)["pid"]
        self.assertEqual(self.ok("kill", sid).strip(), sid)
        with self.assertRaises(ProcessLookupError):
            os.kill(pid, 0)
        listed = self.listed(sid)
        self.assertIsNotNone(listed)
        self.assertEqual((listed["state"], listed["exit_code"], listed["signal"]),
                         ("terminated", 128 + signal.SIGHUP, signal.SIGHUP))
        self.assertIsNotNone(listed["terminated_at"])
        table = self.ok("list", "--status", "terminated", "-o", "table")
        self.assertRegex(table, r"(?m)^%s .*terminated \(129\)" % sid)
        shown = json.loads(self.ok("info", sid, "-o", "json"))
        self.assertEqual((shown["id"], shown["state"], shown["exit_code"]), (sid, "terminated", 129))
        # Killing it again changes nothing and answers its last state.
        again = json.loads(self.ok("kill", sid, "-o", "json"))
        self.assertEqual((again["state"], again["exit_code"]), ("terminated", 129))
        self.assertIn(sid, self.ok("cleanup").split())
        self.assertIsNone(self.listed(sid))
        r = self.cli("info", sid)
        self.assertEqual(r.returncode, 3, r)
        r = self.cli("kill", sid)
        self.assertEqual(r.returncode, 3, r)
        sid2 = self.create("sleep 600", name=self.name + "-2")
        last = json.loads(self.ok("kill", self.name + "-2", "-o", "json"))
        self.assertEqual((last["id"], last["state"]), (sid2, "terminated"))

    def test_kill_of_a_command_that_ignores_sighup_ends_it_with_sigkill_after_the_grace(self):
        sid = self.create("trap '' HUP; echo ready; sleep 600")
        pid = self.session(sid)["pid"]
        # The trap is in place once it has printed.
        wait_until(lambda: self.session(sid)["output_bytes"] > 0, TIMEOUT, message="the trap")
        started = time.monotonic()
        last = json.loads(self.ok("kill", sid, "-o", "json"))
        self.assertGreaterEqual(time.monotonic() - started, 1.5)  # the server's 2 s grace
        self.assertEqual((last["state"], last["exit_code"], last["signal"]),
                         ("terminated", 128 + signal.SIGKILL, signal.SIGKILL))
        with self.assertRaises(ProcessLookupError):
            os.kill(pid, 0)
        listed = self.listed(sid)
        self.assertEqual((listed["state"], listed["signal"]), ("terminated", signal.SIGKILL))
        self.assertIn(sid, self.ok("cleanup").split())
        self.assertIsNone(self.listed(sid))

    # ---- exit codes ---------------------------------------------------------------------------

    def test_exit_codes_and_error_messages(self):
        r = self.cli("info", "no-such-session")
        self.assertEqual(r.returncode, 3, r)
        self.assertRegex(r.stderr, rb"^rstream: .+\n$")
        r = self.cli("list", token="wrong-token")
        self.assertEqual(r.returncode, 4, r)
        self.assertIn(b"refused the token", r.stderr)
        r = self.cli("list", token=None)
        self.assertEqual(r.returncode, 4, r)
        self.assertIn(b"RSTREAM_WEBTTY_TOKEN", r.stderr)
        # The token from the environment.
        r = subprocess.run(sessions_cmd(self.url, "list", "-o", "json", token=None),
                           capture_output=True, env=clean_env({"RSTREAM_WEBTTY_TOKEN": TOKEN}),
                           timeout=TIMEOUT)
        self.assertEqual(r.returncode, 0, r)
        r = self.cli("list", url="http://127.0.0.1:%d" % free_port())
        self.assertEqual(r.returncode, 255, r)
        self.assertIn(b"cannot reach the server", r.stderr)
        # rstrm://NAME (or no --url) is the engine's managed sessions: none is configured here.
        r = self.cli("list", url="rstrm://somewhere")
        self.assertEqual(r.returncode, 255, r)
        self.assertIn(b"no engine configured", r.stderr)
        r = subprocess.run([binary(), "webtty", "sessions", "list"], capture_output=True,
                           env=clean_env(), timeout=TIMEOUT)
        self.assertEqual(r.returncode, 255, r)
        self.assertIn(b"no engine configured", r.stderr)
        r = self.cli("create", "--env", "NOEQUALS", "--", "true")
        self.assertEqual(r.returncode, 2, r)
        r = self.cli("info", "x", "--", "extra")
        self.assertEqual(r.returncode, 2, r)
        r = self.cli("resolve-control", "x", "1", "--action", "steal")
        self.assertEqual(r.returncode, 2, r)
        r = self.cli("join", "x", "--request-control")
        self.assertEqual(r.returncode, 2, r)
        r = self.cli("create", "--workdir", "/no/such/dir", "--", "true")
        self.assertEqual(r.returncode, 1, r)
        self.assertRegex(r.stderr, rb"^rstream: .+\n$")
        self.create("sleep 600")
        r = self.cli("create", "--name", self.name, "--", "true")
        self.assertEqual(r.returncode, 1, r)
        self.assertEqual(r.stdout, b"")
        r = self.cli("join", "no-such-session")
        self.assertEqual(r.returncode, 3, r)

    def test_url_forms_reach_the_same_server(self):
        sid = self.create("sleep 600")
        for url in ("tcp://127.0.0.1:%d" % self.server.port,
                    "ws://127.0.0.1:%d/webtty" % self.server.port,
                    "http://127.0.0.1:%d/" % self.server.port):
            info = json.loads(self.ok("info", sid, "-o", "json", url=url))
            self.assertEqual(info["id"], sid, url)

    # ---- join ---------------------------------------------------------------------------------

    def test_spectator_sees_the_output_byte_exact_and_exits_with_the_session_code(self):
        go = os.path.join(self.workdir, self.name + ".go")
        payload = bytes(range(256)) * 64 + b"\r\n\x1b[31mred\x1b[0m\xe2\x82\xac" + b"END"
        payload_file = os.path.join(self.workdir, self.name + ".bin")
        with open(payload_file, "wb") as f:
            f.write(payload)
        # Raw output (no \n -> \r\n), then wait for the test to join before printing anything.
        sid = self.create("stty raw -echo; while [ ! -e %s ]; do sleep 0.02; done; cat %s; exit 7"
                          % (go, payload_file))
        p, out, err = self.spawn("join", sid)
        self.participant_of(err, "spectator")
        open(go, "w").close()
        self.assertEqual(p.wait(TIMEOUT), 7, err.data)
        self.assertEqual(out.wait_eof(TIMEOUT), payload)

    def test_ctrl_c_leaves_with_130_and_the_session_keeps_running(self):
        sid = self.create("echo started; sleep 600")
        p, out, err = self.spawn("join", sid)
        out.wait_for(b"started", TIMEOUT)
        self.participant_of(err, "spectator")
        p.send_signal(signal.SIGINT)
        self.assertEqual(p.wait(TIMEOUT), 130, err.data)
        self.assertEqual(self.session(sid)["state"], "running")
        self.wait_clients(sid, 0)

    def test_interactive_first_participant_controls_and_its_stdin_reaches_the_session(self):
        sid = self.create('stty -echo; read line; echo "got:[$line]"; exit 4')
        r = self.cli("join", sid, "--interactive", "--name", "alice", stdin=b"hello\n")
        self.assertEqual(r.returncode, 4, r)
        self.assertIn(b"got:[hello]", r.stdout)
        self.assertRegex(r.stderr, rb"joined as \S+ \(controller\)")

    def test_stdin_eof_does_not_end_the_attachment(self):
        sid = self.create("sleep 600")
        p, out, err = self.spawn("join", sid, "--interactive")  # stdin: /dev/null
        self.participant_of(err, "controller")
        self.wait_clients(sid, 1)
        self.assertIsNone(p.poll())
        last = json.loads(self.ok("kill", sid, "-o", "json"))
        self.assertEqual(p.wait(TIMEOUT), last["exit_code"], err.data)

    def test_request_control_waits_for_the_grant_then_input_reaches_the_session(self):
        sid = self.create('stty -echo; while read line; do echo "got:[$line]"; done')
        # A controls (the first participant), with stdin kept open and empty.
        a, a_out, a_err = self.spawn("join", sid, "--interactive", "--name", "alice",
                                     stdin=subprocess.PIPE)
        pa = self.participant_of(a_err, "controller")
        b, b_out, b_err = self.spawn("join", sid, "--interactive", "--name", "bob",
                                     "--request-control", "--reason", "fix the build",
                                     stdin=subprocess.PIPE)
        pb = self.participant_of(b_err, None)
        self.assertNotIn(b"(controller)", b_err.data)
        # B's input is typed before the grant: it must be held, not sent (the server would drop
        # a non-controller's input, and the line would never be seen).
        b.stdin.write(b"from-bob\n")
        b.stdin.flush()
        b_err.wait_for(b"waiting for control (request ", TIMEOUT)
        req = re.search(rb"waiting for control \(request (\d+)\)", b_err.data).group(1).decode()
        requests = json.loads(self.ok("control-requests", sid, "-o", "json"))
        self.assertEqual([(q["id"], q["participant_id"], q["state"], q["reason"])
                          for q in requests if str(q["id"]) == req],
                         [(int(req) if req.isdigit() else req, pb, "pending", "fix the build")])
        table = self.ok("control-requests", sid)
        self.assertRegex(table, r"(?m)^%s\s+%s\s+pending\s" % (req, pb))
        self.assertNotIn(b"got:", a_out.data)
        # Not the controller: B cannot grant its own request.
        r = self.cli("resolve-control", sid, req, "--action", "grant",
                     "--approver-participant-id", pb)
        self.assertEqual(r.returncode, 4, r)
        # The controller grants it through the CLI.
        self.assertEqual(self.ok("resolve-control", sid, req, "--action", "grant",
                                 "--approver-participant-id", pa).split(), [req, "granted"])
        b_err.wait_for(b"control granted", TIMEOUT)
        b_out.wait_for(b"got:[from-bob]", TIMEOUT)
        a_out.wait_for(b"got:[from-bob]", TIMEOUT)
        b.stdin.write(b"second\n")
        b.stdin.flush()
        a_out.wait_for(b"got:[second]", TIMEOUT)
        self.assertEqual(self.session(sid)["controller"], pb)
        # Resolving it again is refused (1), a request for A is made and refused, then B's
        # control is revoked by the admin.
        r = self.cli("resolve-control", sid, req, "--action", "grant")
        self.assertEqual(r.returncode, 1, r)
        out = self.ok("request-control", sid, "--participant-id", pa, "--reason", "give it back")
        req_a, state = out.split()
        self.assertEqual(state, "pending")
        self.assertEqual(self.ok("resolve-control", sid, req_a, "--action", "refuse").split(),
                         [req_a, "refused"])
        self.assertEqual(self.ok("resolve-control", sid, req, "--action", "revoke").split(),
                         [req, "revoked"])
        b_err.wait_for(b"control revoked", TIMEOUT)
        wait_until(lambda: self.session(sid)["controller"] is None, TIMEOUT,
                   message="nobody in control")
        r = self.cli("request-control", sid, "--participant-id", "p999", "--reason", "x")
        self.assertEqual(r.returncode, 3, r)
        r = self.cli("request-control", sid, "--participant-id", pa, "--reason", "x", "-o", "json")
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(json.loads(r.stdout)["state"], "granted")  # nobody controlled it

    # ---- events -------------------------------------------------------------------------------

    def test_events_list_since_and_text(self):
        sid = self.create('stty -echo; read line; exit 5')
        r = self.cli("join", sid, "--interactive", "-q", stdin=b"go\n")
        self.assertEqual(r.returncode, 5, r)
        self.assertEqual(r.stderr, b"")
        answer = json.loads(self.ok("events", sid, "-o", "json"))
        types = [e["type"] for e in answer["events"]]
        self.assertIn("participant_joined", types)
        self.assertIn("state_changed", types)
        seqs = [e["seq"] for e in answer["events"]]
        self.assertEqual(seqs, sorted(seqs))
        self.assertEqual(answer["last_seq"], seqs[-1])
        ended = [e for e in answer["events"] if e["type"] == "state_changed"
                 and e["state"] == "terminated"]
        self.assertEqual([e["exit_code"] for e in ended], [5])
        since = seqs[0]
        later = json.loads(self.ok("events", sid, "--since", str(since), "-o", "json"))
        self.assertEqual([e["seq"] for e in later["events"]], seqs[1:])
        text = self.ok("events", sid).splitlines()
        self.assertEqual(len(text), len(seqs))
        self.assertRegex(text[0], r"^%d\s+\S+\s+%s\b" % (seqs[0], types[0]))
        self.assertTrue(any(re.search(r"\bstate_changed\b.*\bexit_code=5\b", l) for l in text), text)
        r = self.cli("events", "no-such-session")
        self.assertEqual(r.returncode, 3, r)

    def test_events_follow_prints_live_events_as_json_lines_until_the_session_is_removed(self):
        sid = self.create("sleep 600")
        first = json.loads(self.ok("events", sid, "-o", "json"))["last_seq"]
        p, out, err = self.spawn("events", sid, "--follow", "--since", str(first), "-o", "json")
        j, j_out, j_err = self.spawn("join", sid, "--name", "watcher")
        pid = self.participant_of(j_err, "spectator")
        out.wait_for(b'"participant_joined"', TIMEOUT)
        self.ok("kill", sid)  # ends it; it stays listed, and its events stream stays open
        self.assertIn(sid, self.ok("cleanup").split())  # removes it: the stream ends
        self.assertEqual(p.wait(TIMEOUT), 0, err.data)
        out.wait_eof(TIMEOUT)  # the exit can come before the reader thread has the last lines
        lines = out.data.decode().splitlines()
        events = [json.loads(line) for line in lines]
        self.assertTrue(all(e["seq"] > first for e in events), events)
        joined = [e for e in events if e["type"] == "participant_joined"]
        self.assertEqual([(e["participant_id"], e["name"], e["role"]) for e in joined],
                         [(pid, "watcher", "spectator")])
        self.assertIn("state_changed", [e["type"] for e in events])
        j.wait(TIMEOUT)

    def test_events_follow_text_and_ctrl_c(self):
        sid = self.create("sleep 600")
        p, out, err = self.spawn("events", sid, "-f")
        j, j_out, j_err = self.spawn("join", sid)
        self.participant_of(j_err, "spectator")
        out.wait_for(b"participant_joined", TIMEOUT)
        lines = out.data.decode().splitlines()
        self.assertRegex(lines[0], r"^1\s+\S+\s+state_changed\b.*state=running")
        self.assertTrue(any(re.match(r"^\d+\s+\S+\s+participant_joined\b", l) for l in lines), lines)
        p.send_signal(signal.SIGINT)
        self.assertEqual(p.wait(TIMEOUT), 130, err.data)
        r = self.cli("events", "no-such-session", "--follow")
        self.assertEqual(r.returncode, 3, r)


if __name__ == "__main__":
    unittest.main()
