"""Hostile or broken peers: hand-crafted bytes over raw TCP and WebSocket.

For each bad input the server must answer with one Error frame (code protocol_error and a
message that names the problem), close that connection, end any process it started for it,
and keep serving: a healthy session running at the same time completes with every line, and
a new exec still works.
"""

import contextlib
import os
import shutil
import socket
import struct
import tempfile
import time
import unittest

from rstream_harness import (
    FLAG_EOS,
    FRAME_ACK,
    FRAME_CLOSE,
    FRAME_DATA,
    FRAME_ERROR,
    FRAME_OPEN,
    FRAME_RESIZE,
    FRAME_SIGNAL,
    STREAM_IN,
    STREAM_OUT,
    WS_BINARY,
    WS_TEXT,
    FrameClient,
    WsFrameClient,
    data_payload,
    frame_bytes,
    http_request,
    open_payload,
    pid_running,
    resize_payload,
    run_exec,
    signal_payload,
    spawn_exec,
    start_server,
    wait_until,
)

HEALTHY_LINES = 50
# Prints 25 lines, waits for the gate file ($0), prints the other 25: the test decides when it
# may finish, so it is certainly running while the bad input arrives.
HEALTHY_SCRIPT = ('i=0; while [ $i -lt %d ]; do i=$((i+1)); echo line$i; '
                  'if [ $i -eq 25 ]; then while [ ! -e "$0" ]; do sleep 0.02; done; fi; done'
                  % HEALTHY_LINES)


# ---- bad inputs. Each takes a connected client and returns the pid the server started for
# it (from the Ack), or None. The server's answer is read by the caller.

def opened(client, argv=("sleep", "30"), **kwargs):
    """Sends an Open and returns the pid from the Ack."""
    client.send_frame(FRAME_OPEN, open_payload(argv, **kwargs))
    ack = client.read_frame(10)
    if ack is None or ack.type != FRAME_ACK:
        raise AssertionError("expected an Ack, got %r" % (ack,))
    return ack.json()["pid"]


def garbage_text(c):
    c.send_raw(b"hello garbage\n")


def garbage_unknown_type_255(c):
    c.send_raw(b"\x01\xff\x00\x00\x00\x00")


def truncated_frame_then_close(c):
    c.send_raw(frame_bytes(FRAME_OPEN, b'{"argv":["tr', length=100))
    c.shutdown_write()


def truncated_header_then_close(c):
    c.send_raw(b"\x01\x01\x00")
    c.shutdown_write()


def oversized_length(c):
    c.send_raw(frame_bytes(FRAME_OPEN, b"", length=0xFFFFFFFF))


def just_over_the_frame_limit(c):
    c.send_raw(frame_bytes(FRAME_OPEN, b"", length=(1 << 20) + 1))


def unknown_type_11(c):
    c.send_raw(frame_bytes(11, b""))


def unknown_type_0(c):
    c.send_raw(frame_bytes(0, b""))


def unknown_version_2(c):
    c.send_raw(frame_bytes(FRAME_OPEN, open_payload(["true"]), version=2))


def unknown_version_0(c):
    c.send_raw(frame_bytes(FRAME_OPEN, open_payload(["true"]), version=0))


def open_with_empty_argv(c):
    c.send_frame(FRAME_OPEN, open_payload([], login_shell=False))


def open_with_invalid_json(c):
    c.send_frame(FRAME_OPEN, b'{"argv": ["true"')


def first_frame_not_open(c):
    c.send_frame(FRAME_DATA, data_payload(STREAM_IN, b"hi"))


def data_after_end_of_stream(c):
    pid = opened(c, ["sh", "-c", "cat >/dev/null; exec sleep 30"], interactive=True)
    c.send_frame(FRAME_DATA, data_payload(STREAM_IN, b"abc"))
    c.send_frame(FRAME_DATA, data_payload(STREAM_IN, b"", eos=True))
    c.send_frame(FRAME_DATA, data_payload(STREAM_IN, b"more"))
    return pid


def resize_to_0_cols(c):
    pid = opened(c, tty=True, interactive=True)
    c.send_frame(FRAME_RESIZE, resize_payload(0, 24))
    return pid


def resize_to_65535_cols(c):
    pid = opened(c, tty=True, interactive=True)
    c.send_frame(FRAME_RESIZE, resize_payload(65535, 24))
    return pid


def resize_to_0_rows(c):
    pid = opened(c, tty=True, interactive=True)
    c.send_frame(FRAME_RESIZE, resize_payload(80, 0))
    return pid


def stdout_data_from_client(c):
    pid = opened(c)
    c.send_frame(FRAME_DATA, data_payload(STREAM_OUT, b"not yours"))
    return pid


def data_with_unknown_stream(c):
    pid = opened(c)
    c.send_frame(FRAME_DATA, data_payload(7, b"x"))
    return pid


def data_with_unknown_flags(c):
    pid = opened(c)
    c.send_frame(FRAME_DATA, data_payload(STREAM_IN, b"x", flags=0x80))
    return pid


def signal_out_of_range(c):
    pid = opened(c)
    c.send_frame(FRAME_SIGNAL, signal_payload(0))
    return pid


def second_open(c):
    pid = opened(c)
    c.send_frame(FRAME_OPEN, open_payload(["true"]))
    return pid


def close_frame_from_client(c):
    pid = opened(c)
    c.send_frame(FRAME_CLOSE, struct.pack(">ii", 0, 0))
    return pid


# name, sender, words the Error message must contain (lower case)
RAW_CASES = [
    ("garbage text", garbage_text, ["version", "104"]),
    ("garbage, unknown type 255", garbage_unknown_type_255, ["type", "255"]),
    ("truncated frame, then close", truncated_frame_then_close, ["truncated"]),
    ("truncated header, then close", truncated_header_then_close, ["truncated"]),
    ("oversized length 0xFFFFFFFF", oversized_length, ["4294967295", "exceeds"]),
    ("length one over the limit", just_over_the_frame_limit, ["1048577", "exceeds"]),
    ("unknown type 11", unknown_type_11, ["type", "11"]),
    ("unknown type 0", unknown_type_0, ["type", "0"]),
    ("unknown version 2", unknown_version_2, ["version", "2"]),
    ("unknown version 0", unknown_version_0, ["version", "0"]),
    ("Open with empty argv and no login shell", open_with_empty_argv, ["argv", "empty"]),
    ("Open with invalid JSON", open_with_invalid_json, ["json"]),
    ("first frame is not Open", first_frame_not_open, ["open"]),
    ("data after end-of-stream", data_after_end_of_stream, ["end-of-stream"]),
    ("resize to 0 columns", resize_to_0_cols, ["cols", "0"]),
    ("resize to 65535 columns", resize_to_65535_cols, ["cols", "65535"]),
    ("resize to 0 rows", resize_to_0_rows, ["rows", "0"]),
    ("stdout Data from the client", stdout_data_from_client, ["stdin"]),
    ("Data with an unknown stream", data_with_unknown_stream, ["stream", "7"]),
    ("Data with unknown flag bits", data_with_unknown_flags, ["flags"]),
    ("Signal 0", signal_out_of_range, ["signal", "0"]),
    ("a second Open", second_open, ["open"]),
    ("Close from the client", close_frame_from_client, ["close"]),
]


def ws_text_message(c):
    c.send_message(b"hello", opcode=WS_TEXT)


def ws_garbage_binary(c):
    c.send_message(b"garbage", opcode=WS_BINARY)


def ws_message_shorter_than_header(c):
    c.send_message(b"\x01\x01\x00", opcode=WS_BINARY)


def ws_message_shorter_than_its_length(c):
    c.send_message(frame_bytes(FRAME_OPEN, b'{"argv":', length=100))


def ws_message_with_trailing_bytes(c):
    c.send_message(frame_bytes(FRAME_OPEN, open_payload(["true"])) + b"extra")


WS_CASES = [
    ("text message", ws_text_message, ["text"]),
    ("garbage binary message", ws_garbage_binary, ["version", "103"]),
    ("message shorter than a header", ws_message_shorter_than_header, ["truncated"]),
    ("message shorter than its length", ws_message_shorter_than_its_length, ["truncated"]),
    ("message with trailing bytes", ws_message_with_trailing_bytes, ["trailing"]),
    ("oversized length 0xFFFFFFFF", oversized_length, ["4294967295"]),
    ("unknown type 11", unknown_type_11, ["type", "11"]),
    ("Open with empty argv and no login shell", open_with_empty_argv, ["argv", "empty"]),
    ("data after end-of-stream", data_after_end_of_stream, ["end-of-stream"]),
    ("resize to 65535 columns", resize_to_65535_cols, ["cols", "65535"]),
    ("stdout Data from the client", stdout_data_from_client, ["stdin"]),
    ("a second Open", second_open, ["open"]),
]


class BadInputTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._stack = contextlib.ExitStack()
        cls.server = cls._stack.enter_context(start_server("--kill-grace", "300ms"))

    @classmethod
    def tearDownClass(cls):
        cls._stack.close()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="rstream-bad-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    @contextlib.contextmanager
    def healthy_session(self, scheme):
        """An exec that is mid-output for the whole `with` block; afterwards it must complete
        with every line and exit 0."""
        gate = os.path.join(self.tmp, "gate")
        job = spawn_exec(self.server.url(scheme), ["sh", "-c", HEALTHY_SCRIPT, gate])
        self.addCleanup(job.kill)
        job.out.wait_for(b"line25\n", 10)
        yield job
        self.assertIsNone(job.proc.poll(), "the healthy session ended early: %r" % (job.err.data,))
        open(gate, "w").close()
        rc, out, err = job.wait(15)
        expected = b"".join(b"line%d\n" % i for i in range(1, HEALTHY_LINES + 1))
        self.assertEqual((rc, out, err), (0, expected, b""))
        self.assertIsNone(self.server.proc.poll(), self.server.stderr)

    def assertServes(self):
        r = run_exec(self.server.url("tcp"), ["echo", "still-serving"])
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, b"still-serving\n", b""), r)

    def assertErrorThenClose(self, client, words):
        """Reads everything until the server closes; it must end with exactly one Error frame
        (version 1, code protocol_error, a message with `words`), preceded at most by an Ack."""
        frames = client.read_until_closed(10)
        self.assertTrue(frames, "connection closed without an Error frame")
        *before, last = frames
        self.assertEqual([f.type for f in before if f.type != FRAME_ACK], [],
                         "unexpected frames before the Error: %r" % frames)
        self.assertEqual(last.version, 1, last)
        self.assertEqual(last.type, FRAME_ERROR, frames)
        error = last.json()
        self.assertEqual(error.get("code"), "protocol_error", error)
        message = error.get("message", "")
        self.assertIsInstance(message, str)
        for word in words:
            self.assertIn(word, message.lower(), error)
        return error

    def run_cases(self, cases, connect):
        for name, send, words in cases:
            with self.subTest(case=name):
                client = connect()
                try:
                    pid = send(client)
                    self.assertErrorThenClose(client, words)
                finally:
                    client.close()
                if pid is not None:
                    wait_until(lambda: not pid_running(pid), 5,
                               message="the process started for the bad connection (%d) to end" % pid)
                self.assertServes()

    def test_bad_frames_over_tcp(self):
        with self.healthy_session("tcp"):
            self.run_cases(RAW_CASES, lambda: FrameClient(self.server.port))

    def test_bad_frames_over_websocket(self):
        with self.healthy_session("ws"):
            self.run_cases(WS_CASES, lambda: WsFrameClient(self.server.port))

    def test_websocket_close_after_error(self):
        with WsFrameClient(self.server.port) as c:
            ws_garbage_binary(c)
            frame = c.read_frame(10)
            self.assertEqual(frame.type, FRAME_ERROR)
            self.assertIsNone(c.read_frame(10))  # a WebSocket close follows
            self.assertEqual(c.close_code, 1000)
            c.wait_tcp_closed(10)

    def test_websocket_message_over_the_frame_limit(self):
        with self.healthy_session("ws"):
            with WsFrameClient(self.server.port) as c:
                c.send_message(frame_bytes(FRAME_DATA, bytes(2 << 20)))
                self.assertErrorThenClose(c, ["exceeds"])
            self.assertServes()

    def test_http_get_without_upgrade(self):
        with self.healthy_session("tcp"):
            for request, status in (
                (b"GET /nothing-here HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404),  # "/" is the web UI
                (b"GET /webtty HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 426),
                (b"GET /elsewhere HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", 404),
                (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nNo colon here\r\n\r\n", 400),
                (b"GET /\r\n\r\n", 400),
                (b"GET / HTTP/1.1\r\nHost: " + b"x" * 20000 + b"\r\n\r\n", 400),
            ):
                with self.subTest(request=request[:40]):
                    answer = http_request(self.server.port, request)
                    status_line = answer.split(b"\r\n", 1)[0]
                    self.assertRegex(status_line, rb"^HTTP/1\.1 4\d\d ")
                    self.assertEqual(int(status_line.split()[1]), status, answer)
                    self.assertServes()

    def test_many_bad_connections_do_not_leak_sessions(self):
        # 200 garbage connections in a row: the server answers each and keeps serving.
        for _ in range(200):
            with FrameClient(self.server.port) as c:
                c.send_raw(b"\x01\xff\x00\x00\x00\x00")
                self.assertEqual(c.read_until_closed(10)[-1].type, FRAME_ERROR)
        self.assertServes()


class OpenTimeoutTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._stack = contextlib.ExitStack()
        cls.server = cls._stack.enter_context(start_server("--open-timeout", "1s"))

    @classmethod
    def tearDownClass(cls):
        cls._stack.close()

    def test_silent_connection_is_closed(self):
        start = time.monotonic()
        with FrameClient(self.server.port) as c:
            c.wait_closed(10)
        elapsed = time.monotonic() - start
        self.assertGreaterEqual(elapsed, 0.8)
        self.assertLess(elapsed, 5)

    def test_partial_header_then_silence_gets_timeout_error(self):
        start = time.monotonic()
        with FrameClient(self.server.port) as c:
            c.send_raw(b"\x01")
            frames = c.read_until_closed(10)
        elapsed = time.monotonic() - start
        self.assertEqual([f.type for f in frames], [FRAME_ERROR], frames)
        error = frames[0].json()
        self.assertEqual(error["code"], "timeout", error)
        self.assertIn("open", error["message"].lower())
        self.assertGreaterEqual(elapsed, 0.8)
        self.assertLess(elapsed, 5)

    def test_websocket_without_open_gets_timeout_error(self):
        start = time.monotonic()
        with WsFrameClient(self.server.port) as c:
            frames = c.read_until_closed(10)
        elapsed = time.monotonic() - start
        self.assertEqual([f.type for f in frames], [FRAME_ERROR], frames)
        self.assertEqual(frames[0].json()["code"], "timeout")
        self.assertGreaterEqual(elapsed, 0.8)
        self.assertLess(elapsed, 5)

    def test_incomplete_http_request_is_closed(self):
        start = time.monotonic()
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            s.sendall(b"GET /webtty HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            s.settimeout(10)
            data = b""
            with contextlib.suppress(ConnectionResetError):
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
        self.assertLess(time.monotonic() - start, 5)
        self.assertGreaterEqual(time.monotonic() - start, 0.8)

    def test_sessions_outlive_the_open_timeout(self):
        r = run_exec(self.server.url("tcp"), ["sh", "-c", "sleep 1.5; echo done"])
        self.assertEqual((r.returncode, r.stdout), (0, b"done\n"), r)


if __name__ == "__main__":
    unittest.main()
