"""Recordings through the real binaries: a recording written into a running engine's database by
this test (with its own implementation of the hash chain of docs/api.md, "Recordings", so the
documented format is checked against the engine and the CLI), then read with `rstream webtty
sessions export|verify`: the asciicast export replays in Debian's `asciinema cat` (and `play`),
the json export's chain verifies here too, `verify` passes, and after a byte of one event is
flipped in the database `verify` names that event. Refusals keep their exit codes."""

import base64
import contextlib
import hashlib
import json
import os
import pty
import shutil
import sqlite3
import stat
import struct
import subprocess
import tempfile
import time
import unittest

from rstream_harness import binary, clean_env, start_engine

KINDS = {"open": 1, "output": 2, "input": 3, "resize": 4, "participant_joined": 5,
         "participant_left": 6, "control": 7, "close": 8}
STREAMS = {"none": 0, "stdin": 1, "stdout": 2, "stderr": 3}
SESSION = "ses_0a1b2c3d4e5f60718293"


def canonical(fields):
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain(session_id, events):
    """[(time_us, kind, stream, payload bytes)] -> the same with their hashes (hex)."""
    previous = hashlib.sha256(b"rstream-recording-v1\0" + session_id.encode()).digest()
    sealed = []
    for seq, (time_us, kind, stream, payload) in enumerate(events, 1):
        head = struct.pack(">QqBBQ", seq, time_us, KINDS[kind], STREAMS[stream], len(payload))
        previous = hashlib.sha256(previous + head + payload).digest()
        sealed.append((seq, time_us, kind, stream, payload, previous.hex()))
    return sealed


def payload_of(event):
    """The exact bytes of an event in the API's JSON form."""
    if "text" in event:
        return event["text"].encode()
    if "base64" in event:
        return base64.b64decode(event["base64"])
    return canonical(event["fields"])


def run_in_pty(argv, timeout=30):
    """Runs argv with a pseudo-terminal as its controlling terminal (asciinema cat opens
    /dev/tty); returns (exit status, everything it wrote)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(argv[0], argv, clean_env({"TERM": "xterm-256color"}))
    output = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output


class Recordings(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._stack = contextlib.ExitStack()
        cls.engine = cls._stack.enter_context(start_engine())
        cls.database = os.path.join(cls.engine.home, ".rstream", "engine", "engine.db")
        status, writer = cls.engine.api("POST", "/api/tokens",
                                        body={"role": "read-write", "name": "writer"})
        assert status == 201, writer
        cls.writer = writer["token"]
        cls.tmp = tempfile.mkdtemp(prefix="rstream-recordings-")
        cls.open_fields = {"argv": ["bash", "-l"], "cols": 80, "rows": 24, "who": "admin",
                           "origin": "human", "group": "", "e2e": False, "server_id": "srv_1",
                           "server_name": "build-01", "started_at": "2026-12-07T10:00:00.000Z",
                           "timestamp": 1796637600}
        cls.events = chain(SESSION, [
            (0, "open", "none", canonical(cls.open_fields)),
            (150000, "output", "stdout", b"hello from the recording\r\nprice: \xe2\x82"),
            (160000, "output", "stdout", b"\xac 5\r\n"),
            (200000, "input", "stdin", b"typed-secret\r"),
            (250000, "resize", "none", canonical({"cols": 100, "rows": 30})),
            (300000, "output", "stderr", b"bad\xff byte\r\n"),
            (400000, "close", "none", canonical({"exit_code": 0, "signal": None,
                                                 "reason": "exited"})),
        ])
        cls.write_recording()

    @classmethod
    def tearDownClass(cls):
        cls._stack.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def write_recording(cls):
        """Into the running engine's database, as its recorder would have."""
        db = sqlite3.connect(cls.database, timeout=10)
        with db:
            total = sum(len(e[4]) for e in cls.events)
            db.execute(
                "INSERT INTO recordings (session_id, server_id, server_name, argv, width, height, "
                "who, origin, group_name, e2e, policy, started_at, started_timestamp, ended_at, "
                "exit_code, exit_signal, end_reason, payload_bytes, event_count, last_hash) "
                "VALUES (?, 'srv_1', 'build-01', '[\"bash\",\"-l\"]', 80, 24, 'admin', 'human', "
                "'', 0, 'recorded', '2026-12-07T10:00:00.000Z', 1796637600, "
                "'2026-12-07T10:00:00.400Z', 0, NULL, 'exited', ?, ?, ?)",
                (SESSION, total, len(cls.events), cls.events[-1][5]))
            db.executemany(
                "INSERT INTO recording_events (session_id, seq, time_us, kind, stream, payload, "
                "hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(SESSION, seq, t, kind, stream, payload, digest)
                 for seq, t, kind, stream, payload, digest in cls.events])
        db.close()

    def set_payload(self, seq, payload):
        db = sqlite3.connect(self.database, timeout=10)
        with db:
            db.execute("UPDATE recording_events SET payload = ? WHERE session_id = ? AND seq = ?",
                       (payload, SESSION, seq))
        db.close()

    def sessions(self, *args, token=None):
        env = {"HOME": self.engine.home}
        if token:
            env["RSTREAM_AUTHENTICATION_TOKEN"] = token
        return subprocess.run([binary(), "webtty", "sessions"] + list(args), capture_output=True,
                              env=clean_env(env), timeout=60)

    def test_asciicast_export_replays_in_asciinema(self):
        cast = os.path.join(self.tmp, "session.cast")
        r = self.sessions("export", SESSION, "--format", "asciicast", "--file", cast)
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.stdout, b"")
        self.assertEqual(stat.S_IMODE(os.stat(cast).st_mode), 0o600)
        self.assertFalse(os.path.exists(cast + ".partial"))
        with open(cast, encoding="utf-8") as f:
            lines = [json.loads(line) for line in f]
        self.assertEqual(lines[0]["version"], 2)
        self.assertEqual((lines[0]["width"], lines[0]["height"]), (80, 24))
        self.assertEqual(lines[0]["command"], "bash -l")
        self.assertIn([0.25, "r", "100x30"], lines, "resizes are kept as r events")
        self.assertNotIn("i", [line[1] for line in lines[1:]], "no input without --include-stdin")

        status, shown = run_in_pty(["asciinema", "cat", cast])
        self.assertEqual(status, 0, shown)
        self.assertIn(b"hello from the recording", shown)
        self.assertIn("price: € 5".encode(), shown, "UTF-8 cut across events comes out whole")
        self.assertIn("bad\ufffd byte".encode(), shown)
        self.assertNotIn(b"typed-secret", shown)
        status, played = run_in_pty(["asciinema", "play", "-s", "20", cast])
        self.assertEqual(status, 0, played)
        self.assertIn(b"hello from the recording", played)

        with_input = os.path.join(self.tmp, "with-input.cast")
        r = self.sessions("export", SESSION, "--format", "asciicast", "--include-stdin",
                          "--file", with_input)
        self.assertEqual(r.returncode, 0, r)
        with open(with_input, encoding="utf-8") as f:
            self.assertIn([0.2, "i", "typed-secret\r"], [json.loads(line) for line in f])

    def test_json_export_verifies_here_and_with_the_cli(self):
        r = self.sessions("export", SESSION)
        self.assertEqual(r.returncode, 0, r)
        document = json.loads(r.stdout)
        self.assertEqual(document["recording"]["session_id"], SESSION)
        events = document["events"]
        self.assertEqual(len(events), len(self.events))
        recomputed = chain(SESSION, [(e["time_us"], e["kind"], e.get("stream", "none"),
                                      payload_of(e)) for e in events])
        self.assertEqual([e["hash"] for e in events], [e[5] for e in recomputed])
        self.assertEqual(events[0]["fields"], self.open_fields)

        r = self.sessions("verify", SESSION)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn(b"7 events verified", r.stdout)

    def test_a_flipped_byte_is_named_by_verify(self):
        original = self.events[2][4]
        self.set_payload(3, bytes([original[0] ^ 0x01]) + original[1:])
        try:
            r = self.sessions("verify", SESSION)
            self.assertEqual(r.returncode, 1, r)
            self.assertIn(b"event 3:", r.stderr)
        finally:
            self.set_payload(3, original)
        self.assertEqual(self.sessions("verify", SESSION).returncode, 0)

    def test_text_export_is_what_the_terminal_showed(self):
        r = self.sessions("export", SESSION, "--format", "text")
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.stdout.decode(),
                         "hello from the recording\nprice: \u20ac 5\nbad\ufffd byte\n")

    def test_refusals_keep_their_exit_codes(self):
        r = self.sessions("verify", "ses_nothing")
        self.assertEqual(r.returncode, 3, r)
        r = self.sessions("export", SESSION, token=self.writer)
        self.assertEqual(r.returncode, 4, r)
        self.assertIn(b"admin", r.stderr)
        r = self.sessions("export", SESSION, "--format", "html")
        self.assertEqual(r.returncode, 2, r)
        missing_dir = os.path.join(self.tmp, "no", "such", "dir", "x.cast")
        r = self.sessions("export", SESSION, "--file", missing_dir)
        self.assertEqual(r.returncode, 1, r)


if __name__ == "__main__":
    unittest.main()
