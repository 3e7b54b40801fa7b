"""Limits and refusals found by the red team (issue 12), through the real binary on loopback.

Each test is named after the attack it covers and fails without the fix it guards:
  - a TLS port refuses plaintext unless --allow-plaintext (server and engine);

Floods are bounded in count (scaled down under sanitizers) and every wait has a deadline.
"""

import contextlib
import json
import os
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

from rstream_harness import (
    FRAME_ERROR,
    FRAME_OPEN,
    FrameClient,
    binary,
    clean_env,
    concurrency,
    http_request,
    make_self_signed_cert,
    open_payload,
    run_exec,
    spawn_exec,
    start_engine,
    start_server,
    wait_until,
)

class TlsPortRefusesPlaintext(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="rstream-limits-tls-")
        cls.cert, cls.key = make_self_signed_cert(cls.tmp)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    def _assert_plaintext_refused(self, port):
        # Raw frames: an Error frame saying to use TLS, then the close.
        with FrameClient(port) as c:
            c.send_frame(FRAME_OPEN, open_payload(["echo", "leaked"]))
            frame = c.read_frame(10)
            self.assertIsNotNone(frame)
            self.assertEqual(frame.type, FRAME_ERROR, frame)
            self.assertEqual(frame.json()["code"], "tls_required", frame)
            self.assertIsNone(c.read_frame(10))
        # HTTP (and so WebSocket upgrades, and the login page): 400 with a plain-text reason.
        for request in (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                        b"GET /webtty HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                        b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"):
            answer = http_request(port, request)
            self.assertTrue(answer.startswith(b"HTTP/1.1 400 "), answer)
            self.assertIn(b"https://", answer)
            self.assertNotIn(b"Set-Cookie", answer)

    def test_tls_server_refuses_plaintext_frames_and_http(self):
        with start_server("--tls-cert", self.cert, "--tls-key", self.key) as server:
            self._assert_plaintext_refused(server.port)
            r = run_exec(server.url("tcp"), ["echo", "plain"])
            self.assertEqual(r.returncode, 255, r)
            self.assertEqual(r.stdout, b"")
            self.assertIn(b"TLS", r.stderr)
            # TLS itself still works on the same port.
            r = run_exec(server.url("tls"), ["echo", "secure"], ["--tls-ca", self.cert])
            self.assertEqual((r.returncode, r.stdout), (0, b"secure\n"), r)
            self.assertIsNone(server.proc.poll(), server.stderr)

    def test_tls_server_serves_plaintext_only_with_allow_plaintext(self):
        with start_server("--tls-cert", self.cert, "--tls-key", self.key,
                          "--allow-plaintext") as server:
            for scheme in ("tcp", "ws"):
                r = run_exec(server.url(scheme), ["echo", "plain"])
                self.assertEqual((r.returncode, r.stdout), (0, b"plain\n"), r)

    def test_allow_plaintext_without_certificate_is_a_usage_error(self):
        r = subprocess.run([binary(), "webtty", "server", "--listen", "127.0.0.1:0",
                            "--allow-plaintext"], capture_output=True, timeout=15,
                           env=clean_env(), stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 2, r)
        self.assertIn(b"--tls-cert", r.stderr)

    def test_tls_engine_refuses_plaintext_frames_and_http(self):
        with start_engine("--tls-cert", self.cert, "--tls-key", self.key) as engine:
            self._assert_plaintext_refused(engine.port)
        with start_engine("--tls-cert", self.cert, "--tls-key", self.key,
                          "--allow-plaintext") as engine:
            status, body = engine.api("GET", "/api/tunnels")
            self.assertEqual(status, 200, body)


if __name__ == "__main__":
    unittest.main()
