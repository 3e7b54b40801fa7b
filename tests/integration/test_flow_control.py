"""Flow control and liveness, through the real binary on loopback:

- a client that stops reading makes the command block (backpressure): the server's memory
  stays bounded, other sessions keep their speed, and once the client reads again every byte
  arrives, in order;
- heartbeats: the server ends a session whose client went silent (and its process), and a
  client whose server went silent gives up with exit 255.
"""

import os
import signal
import socket
import struct
import time
import unittest

from rstream_harness import (FrameClient, open_payload, pid_running, run_exec, spawn_exec,
                             start_server, wait_until)

OPEN, ACK, ERROR, DATA, CLOSE, HEARTBEAT = 1, 2, 3, 4, 7, 8


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


def bytes_written(pid):
    with open("/proc/%d/io" % pid) as f:
        for line in f:
            if line.startswith("wchar:"):
                return int(line.split()[1])
    raise AssertionError("no wchar for %d" % pid)


class StreamingReader:
    """Reads frames from a socket without quadratic buffering; counts stdout bytes."""

    def __init__(self, sock, already_read=b""):
        self.sock = sock
        self.buf = bytearray(already_read)
        self.pos = 0

    def _need(self, n, deadline):
        while len(self.buf) - self.pos < n:
            if self.pos > (1 << 20):
                del self.buf[:self.pos]
                self.pos = 0
            self.sock.settimeout(max(0.001, deadline - time.monotonic()))
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise AssertionError("connection ended early")
            self.buf += chunk

    def frame(self, timeout=30):
        deadline = time.monotonic() + timeout
        self._need(6, deadline)
        version, ftype, length = struct.unpack_from(">BBI", self.buf, self.pos)
        self._need(6 + length, deadline)
        payload = bytes(self.buf[self.pos + 6:self.pos + 6 + length])
        self.pos += 6 + length
        return ftype, payload


class BackpressureTests(unittest.TestCase):
    def test_a_client_that_stops_reading_blocks_the_command_not_the_server(self):
        total = 64 * 1024 * 1024
        with start_server() as server:
            baseline = rss_kib(server.pid)
            with FrameClient(server.port) as client:
                client.send_frame(OPEN, open_payload(["head", "-c", str(total), "/dev/zero"]))
                ack = client.read_frame()
                self.assertEqual(ack.type, ACK, ack)
                child = ack.json()["pid"]

                # We read nothing more: the command must come to a stop on a full pipe.
                def stalled():
                    before = bytes_written(child)
                    time.sleep(0.2)
                    return bytes_written(child) == before
                wait_until(stalled, 20, message="the command never blocked")
                self.assertLess(bytes_written(child), total // 2,
                                "the server kept reading far ahead of the client")
                grown = rss_kib(server.pid) - baseline
                self.assertLess(grown, 24 * 1024, "server grew by %d KiB for a stalled client" % grown)

                # Another session is not slowed by the stalled one.
                started = time.monotonic()
                quick = run_exec(server.url(), ["echo", "still-fast"], timeout=10)
                self.assertEqual((quick.returncode, quick.stdout), (0, b"still-fast\n"))
                self.assertLess(time.monotonic() - started, 5)

                # Reading again delivers every byte, then the end of each stream, then Close.
                reader = StreamingReader(client.sock, client._buf)
                received, ended, close = 0, set(), None
                while close is None:
                    ftype, payload = reader.frame()
                    if ftype == DATA:
                        self.assertNotIn(payload[0], ended, "data after end-of-stream")
                        if payload[0] == 1:
                            self.assertEqual(payload[2:].count(0), len(payload) - 2)
                            received += len(payload) - 2
                        if payload[1] & 1:
                            ended.add(payload[0])
                    elif ftype == CLOSE:
                        close = struct.unpack(">ii", payload)
                self.assertEqual(received, total)
                self.assertEqual(ended, {1, 2})
                self.assertEqual(close, (0, 0))


class HeartbeatTests(unittest.TestCase):
    def test_server_ends_a_session_whose_client_went_silent(self):
        with start_server("--kill-grace", "500ms") as server:
            with FrameClient(server.port) as client:
                client.send_frame(OPEN, open_payload(["sleep", "60"], heartbeat_ms=200))
                ack = client.read_frame()
                self.assertEqual(ack.type, ACK, ack)
                child = ack.json()["pid"]
                # The server sends heartbeats; we answer none of them.
                frames = client.read_until_closed(timeout=10)
                self.assertIn(HEARTBEAT, [f.type for f in frames])
                wait_until(lambda: not pid_running(child), 10,
                           message="the command outlived its silent client")

    def test_server_keeps_a_session_whose_client_sends_heartbeats(self):
        with start_server() as server:
            with FrameClient(server.port) as client:
                client.send_frame(OPEN, open_payload(["sh", "-c", "sleep 1.5; echo alive"],
                                                     heartbeat_ms=200))
                deadline = time.monotonic() + 10
                out = b""
                while True:
                    f = client.read_frame(timeout=max(0.01, deadline - time.monotonic()))
                    self.assertIsNotNone(f, "the server closed a live session")
                    if f.type == HEARTBEAT:
                        client.send_frame(HEARTBEAT)
                    elif f.type == DATA:
                        out += f.payload[2:]
                    elif f.type == CLOSE:
                        break
                self.assertEqual(out, b"alive\n")

    def test_client_gives_up_on_a_silent_server(self):
        with start_server() as server:
            running = spawn_exec(server.url(), ["sh", "-c", "echo started; sleep 60"],
                                 options=["--heartbeat", "200ms"])
            try:
                running.out.wait_for(b"started", 10)
                os.kill(server.pid, signal.SIGSTOP)
                try:
                    code, _, err = running.wait(10)
                finally:
                    os.kill(server.pid, signal.SIGCONT)
                self.assertEqual(code, 255)
                self.assertIn(b"no response from the server", err)
            finally:
                running.kill()


if __name__ == "__main__":
    unittest.main()
