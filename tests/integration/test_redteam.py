"""The red-team findings of issue 12, each reproduced as the attack it was, through the real
binaries on loopback: cross-origin upgrades, DNS rebinding, a tunnel that lies to the engine's
proxy, empty-frame floods, a relay that forges the end of an E2E session, tunnel-name takeover,
token guessing, weak tokens, loose data directories and inherited authorized clients.
(The browser form of the cross-origin attack is tests/browser/redteam_origin.test.mjs.)"""

import contextlib
import json
import os
import shutil
import signal
import socket
import stat
import struct
import subprocess
import tempfile
import threading
import time
import unittest

import rstream_harness as h
from rstream_harness import (FRAME_DATA, FRAME_ERROR, FRAME_OPEN, STREAM_IN, FrameClient, binary,
                             clean_env, data_payload, frame_bytes, open_payload, run_exec,
                             start_engine, start_server, wait_until)
from test_e2e_sessions import Keys
from test_engine import rstream, tunnel_server

TOKEN = "redteam-token-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
FRAME_SEALED = 10
FRAME_TUNNEL_HELLO, FRAME_TUNNEL_WELCOME, FRAME_TUNNEL_DIAL = 16, 17, 18
FRAME_STREAM_ATTACH, FRAME_HTTP_REQUEST, FRAME_HTTP_RESPONSE = 19, 21, 22
FRAME_HEARTBEAT = 8
UPGRADE = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
           "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}


def http(port, method, path, headers=None, body=None, host=None, timeout=10):
    """One raw HTTP/1.1 request; returns (status, {lowercase header: value}, body bytes)."""
    headers = dict(headers or {})
    headers.setdefault("Host", host or "127.0.0.1:%d" % port)
    if body is not None:
        headers["Content-Length"] = str(len(body))
    lines = ["%s %s HTTP/1.1" % (method, path)] + ["%s: %s" % kv for kv in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        answer = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            answer.setdefault(name.strip().lower(), value.strip())
        if status == 101:
            return status, answer, b""
        length = int(answer.get("content-length", "0"))
        while len(rest) < length:
            chunk = s.recv(65536)
            if not chunk:
                break
            rest += chunk
        return status, answer, rest


def read_frame(sock, deadline):
    """(type, payload) of the next frame on a raw socket, or None when it closed."""
    def take(n):
        out = b""
        while len(out) < n:
            sock.settimeout(max(0.05, deadline - time.monotonic()))
            chunk = sock.recv(n - len(out))
            if not chunk:
                return None
            out += chunk
        return out
    head = take(6)
    if head is None:
        return None
    _, ftype, length = struct.unpack(">BBI", head)
    payload = take(length) if length else b""
    return None if payload is None else (ftype, payload)


class LyingTunnel:
    """A tunnel server written by an attacker: registers with a read-write token, answers every
    HTTP stream with a page that sets cookies, opens CORS and runs script, and records the
    request heads the engine sends it."""

    def __init__(self, engine_port, token, name, labels=None):
        self.requests = []
        self.body = b"<script>fetch('/api/tokens',{method:'POST'})</script>"
        self.control = socket.create_connection(("127.0.0.1", engine_port), timeout=10)
        hello = {"token": token, "name": name, "publish": True, "instance": "liar",
                 "version": "0", "labels": dict({"rstream.webtty.capabilities": "exec,fs"},
                                                **(labels or {}))}
        self.control.sendall(frame_bytes(FRAME_TUNNEL_HELLO, json.dumps(hello).encode()))
        reply = read_frame(self.control, time.monotonic() + 10)
        if reply is None or reply[0] != FRAME_TUNNEL_WELCOME:
            raise AssertionError("the engine did not welcome the lying tunnel: %r" % (reply,))
        welcome = json.loads(reply[1])
        self.id, self.secret, self.port = welcome["id"], welcome["stream_secret"], engine_port
        self.closed = False
        threading.Thread(target=self._control_loop, daemon=True).start()
        threading.Thread(target=self._heartbeats, daemon=True).start()

    def _heartbeats(self):
        while not self.closed:
            with contextlib.suppress(OSError):
                self.control.sendall(frame_bytes(FRAME_HEARTBEAT))
            time.sleep(0.5)  # a heartbeat sender's own pace, not a wait for an event

    def _control_loop(self):
        while not self.closed:
            try:
                f = read_frame(self.control, time.monotonic() + 3600)
            except OSError:
                return
            if f is None:
                return
            if f[0] == FRAME_TUNNEL_DIAL:
                threading.Thread(target=self._serve_stream, args=(json.loads(f[1]),),
                                 daemon=True).start()

    def _serve_stream(self, dial):
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            attach = {"tunnel": self.id, "stream": dial["stream"], "secret": self.secret}
            s.sendall(frame_bytes(FRAME_STREAM_ATTACH, json.dumps(attach).encode()))
            head = read_frame(s, time.monotonic() + 10)
            if head is None or head[0] != FRAME_HTTP_REQUEST:
                return
            self.requests.append(json.loads(head[1]))
            while True:  # the request body, up to its end
                f = read_frame(s, time.monotonic() + 10)
                if f is None or f[0] != FRAME_DATA or f[1][1] & 1:
                    break
            response = {"status": 200, "content_length": len(self.body), "headers": [
                ["Content-Type", "text/html; charset=utf-8"],
                ["Set-Cookie", "rstream_token_%d=attacker; Path=/" % self.port],
                ["Access-Control-Allow-Origin", "*"],
                ["Content-Security-Policy", "script-src *"],
                ["ETag", '"v1"']]}
            s.sendall(frame_bytes(FRAME_HTTP_RESPONSE, json.dumps(response).encode()) +
                      frame_bytes(FRAME_DATA, bytes([1, 0]) + self.body) +
                      frame_bytes(FRAME_DATA, bytes([1, 1])))
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_WR)
                read_frame(s, time.monotonic() + 5)

    def close(self):
        self.closed = True
        with contextlib.suppress(OSError):
            self.control.close()


class CrossOriginAndRebinding(unittest.TestCase):
    """Items 1 and 7: the Origin and Host rules hold on every upgrade and request."""

    def test_webtty_upgrade_from_foreign_origin_is_refused_without_a_token(self):
        with start_server() as server:
            status, _, body = http(server.port, "GET", "/webtty",
                                   dict(UPGRADE, Origin="http://evil.example"))
            self.assertEqual(status, 403, body)
            self.assertIn(b"cross-origin", body)
            # A native client (no Origin) still gets its upgrade.
            status, _, _ = http(server.port, "GET", "/webtty", UPGRADE)
            self.assertEqual(status, 101)

    def test_webtty_upgrade_from_foreign_origin_is_refused_even_with_a_token(self):
        with start_server("--token", TOKEN) as server:
            status, _, body = http(server.port, "GET", "/webtty",
                                   dict(UPGRADE, Origin="http://127.0.0.1:1",
                                        Authorization="Bearer " + TOKEN))
            self.assertEqual(status, 403, body)

    def test_state_changing_request_from_foreign_origin_is_refused(self):
        with start_server() as server:
            body = json.dumps({"command": ["true"]}).encode()
            status, _, answer = http(server.port, "POST", "/api/terminal/sessions",
                                     {"Origin": "null", "Content-Type": "text/plain"}, body)
            self.assertEqual(status, 403, answer)

    def test_dns_rebinding_host_is_refused_on_a_server_without_token(self):
        with start_server("--fs-root", tempfile.gettempdir()) as server:
            for method, path in (("GET", "/api/terminal/sessions"), ("GET", "/fs/"),
                                 ("POST", "/api/terminal/sessions"), ("GET", "/")):
                status, _, body = http(server.port, method, path,
                                       host="rebind.attacker.example:%d" % server.port,
                                       body=b"{}" if method == "POST" else None)
                self.assertEqual(status, 421, (method, path, body))
                self.assertIn(b"unknown_host", body)
            for host in ("127.0.0.1:%d" % server.port, "localhost:%d" % server.port,
                         "app.localhost:%d" % server.port, "[::1]:%d" % server.port):
                status, _, body = http(server.port, "GET", "/api/terminal/sessions", host=host)
                self.assertEqual(status, 200, (host, body))

    def test_public_url_names_are_accepted_in_host(self):
        with start_server("--public-url", "https://Term.Example.org:7681") as server:
            status, _, body = http(server.port, "GET", "/api/terminal/sessions",
                                   host="term.example.org:7681")
            self.assertEqual(status, 200, body)
            status, _, _ = http(server.port, "GET", "/api/terminal/sessions",
                                host="other.example.org:7681")
            self.assertEqual(status, 421)

    def test_engine_applies_the_same_rules(self):
        with start_engine() as engine:
            bearer = {"Authorization": "Bearer " + engine.admin_token}
            # A native client by any name, with its token: served.
            status, _, body = http(engine.port, "GET", "/api/tunnels", bearer,
                                   host="engine.example:%d" % engine.port)
            self.assertEqual(status, 200, body)
            # The dashboard by a name the engine was not given: refused.
            status, _, _ = http(engine.port, "GET", "/", host="engine.example:%d" % engine.port)
            self.assertEqual(status, 421)
            # A token-bearing upgrade from another origin: refused.
            status, _, body = http(engine.port, "GET", "/api/tunnels/x/webtty",
                                   dict(UPGRADE, Origin="http://evil.example", **bearer))
            self.assertEqual(status, 403, body)


class LyingTunnelBehindTheEngine(unittest.TestCase):
    """Item 2: the engine's proxy forwards no credentials and answers with its own headers."""

    def test_tunnel_cannot_read_cookies_nor_serve_a_page_in_the_engine_origin(self):
        with start_engine() as engine:
            liar = LyingTunnel(engine.port, engine.admin_token, "liar")
            self.addCleanup(liar.close)
            cookie = "rstream_token_%d=%s" % (engine.port, engine.admin_token)
            status, headers, body = http(
                engine.port, "GET", "/api/tunnels/liar/fs/page.html",
                {"Authorization": "Bearer " + engine.admin_token, "Cookie": cookie,
                 "Range": "bytes=0-", "X-Custom": "no"})
            self.assertEqual(status, 200, body)
            self.assertEqual(body, liar.body)
            sent = {name.lower(): value for name, value in liar.requests[-1]["headers"]}
            self.assertNotIn("cookie", sent)
            self.assertNotIn("authorization", sent)
            self.assertNotIn("x-custom", sent)
            self.assertEqual(sent.get("range"), "bytes=0-")
            self.assertNotIn(engine.admin_token, json.dumps(liar.requests))
            self.assertNotIn("set-cookie", headers)
            self.assertNotIn("access-control-allow-origin", headers)
            self.assertEqual(headers["content-type"], "application/octet-stream")
            self.assertEqual(headers["content-disposition"], "attachment")
            self.assertEqual(headers["x-content-type-options"], "nosniff")
            self.assertEqual(headers["content-security-policy"], "sandbox")
            self.assertEqual(headers["etag"], '"v1"')

    def test_list_escapes_control_characters_from_a_tunnel(self):
        with start_engine() as engine:
            evil = "\x1b]0;owned\x07\x1b[2J\u009b31m"
            liar = LyingTunnel(engine.port, engine.admin_token, "escapist",
                               {"rstream.webtty.hostname": evil,
                                "rstream.webtty.label.role": evil})
            self.addCleanup(liar.close)
            r = rstream(["webtty", "list"], env=engine.client_env())
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(b"escapist", r.stdout)
            self.assertNotIn(b"\x1b", r.stdout)
            self.assertNotIn(b"\x07", r.stdout)
            self.assertNotIn("\u009b".encode(), r.stdout)
            self.assertIn(b"\\x1b]0;owned\\x07", r.stdout)

    def test_server_fs_answers_carry_the_same_protection(self):
        root = tempfile.mkdtemp(prefix="rstream-redteam-fs-")
        self.addCleanup(shutil.rmtree, root, True)
        with open(os.path.join(root, "page.html"), "w") as f:
            f.write("<script>alert(1)</script>")
        with start_server("--fs-root", root) as server:
            for method, path in (("GET", "/fs/page.html"), ("PROPFIND", "/fs/")):
                status, headers, _ = http(server.port, method, path, {"Depth": "1"})
                self.assertIn(status, (200, 207))
                self.assertEqual(headers["x-content-type-options"], "nosniff", path)
                self.assertEqual(headers["content-security-policy"], "sandbox", path)
                self.assertNotIn("html", headers["content-type"])


class EmptyFrameFlood(unittest.TestCase):
    """Item 3: empty non-final Data frames end that connection; others are still served."""

    def flood(self, port, route=None):
        with FrameClient(port) as c:
            if route:
                c.send_frame(20, json.dumps(route).encode())
            c.send_frame(FRAME_OPEN, open_payload(["cat"]))
            c.send_raw(frame_bytes(FRAME_DATA, data_payload(STREAM_IN)) * 20000)
            frames = c.read_until_closed(timeout=15)
        errors = [f.json() for f in frames if f.type == FRAME_ERROR]
        self.assertTrue(errors, frames)
        self.assertIn("empty Data frame", errors[-1]["message"])

    def test_empty_data_frames_end_the_connection_directly(self):
        with start_server() as server:
            self.flood(server.port)
            r = run_exec(server.url("tcp"), ["echo", "still served"])
            self.assertEqual((r.returncode, r.stdout), (0, b"still served\n"), r)

    def test_empty_data_frames_end_the_connection_through_the_engine(self):
        with start_engine() as engine, tunnel_server(engine, "flooded"):
            self.flood(engine.port, {"token": engine.admin_token, "target": "flooded"})
            r = run_exec("rstrm://flooded", ["echo", "still served"], env=engine.client_env())
            self.assertEqual((r.returncode, r.stdout), (0, b"still served\n"), r)


class ForgingRelay:
    """A TCP relay that passes an E2E session through and, once the server's first sealed frame
    has gone by, injects a plaintext Error frame of its own."""

    def __init__(self, target_port, code="command_not_found"):
        self.code = code
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        self.target = target_port
        self.injected = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        client, _ = self.listener.accept()
        upstream = socket.create_connection(("127.0.0.1", self.target))
        threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
        deadline = time.monotonic() + 30
        with contextlib.suppress(OSError):
            while True:
                f = read_frame(upstream, deadline)
                if f is None:
                    break
                client.sendall(frame_bytes(f[0], f[1]))
                if f[0] == FRAME_SEALED and not self.injected.is_set():
                    forged = {"code": self.code,
                              "message": "\x1b]0;pwned\x07\x1b[31mfake failure"}
                    client.sendall(frame_bytes(FRAME_ERROR, json.dumps(forged).encode()))
                    self.injected.set()
        with contextlib.suppress(OSError):
            client.shutdown(socket.SHUT_WR)

    @staticmethod
    def _pump(src, dst):
        with contextlib.suppress(OSError):
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
            dst.shutdown(socket.SHUT_WR)

    def close(self):
        self.listener.close()


class E2eForgedEnd(unittest.TestCase):
    """Item 4: after the handshake a plaintext Error is tampering, and its text is not shown."""

    def test_plaintext_error_after_handshake_is_tampering(self):
        for code in ("command_not_found", "unauthorized_client"):
            with self.subTest(code=code):
                self.forge(code)

    def forge(self, code):
        keys = Keys()
        self.addCleanup(shutil.rmtree, keys.home, True)
        server_key = keys.identity("srv")
        client_key = keys.identity("default")
        with start_server("--identity", "srv", env=keys.env()) as server:
            relay = ForgingRelay(server.port, code)
            self.addCleanup(relay.close)
            via = "127.0.0.1:%d" % relay.port
            keys.run("webtty", "known-server", "add", via, "--key", server_key)
            keys.run("webtty", "authorized-client", "add", "me", "--identity", "srv", "--key",
                     client_key)
            r = run_exec("tcp://" + via, ["sleep", "5"], env=keys.env())
            self.assertTrue(relay.injected.is_set())
            self.assertEqual(r.returncode, 255, r)
            self.assertIn(b"unencrypted Error frame", r.stderr)
            self.assertNotIn(b"pwned", r.stderr)
            self.assertNotIn(b"\x1b", r.stderr)


class TunnelNameTakeover(unittest.TestCase):
    """Item 5: a name stays its token's while online and for a grace period after."""

    def test_another_token_cannot_take_a_name_that_dropped_off(self):
        with start_engine("--name-grace", "3s") as engine:
            env = {"HOME": engine.home}
            r = rstream(["engine", "token", "create", "--role", "read-write", "--name", "mallory"],
                        env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
            mallory = r.stdout.decode().strip()
            with tunnel_server(engine, "victim") as victim:
                # Online: another token is refused.
                r = subprocess.run([binary(), "webtty", "server", "--rstream", "--name", "victim"],
                                   capture_output=True, timeout=30,
                                   env=clean_env(engine.client_env(mallory)))
                self.assertEqual(r.returncode, 1, r)
                self.assertIn(b"belongs to another token", r.stderr)
                os.killpg(victim.pid, signal.SIGKILL)
                victim.wait(timeout=10)
            wait_until(lambda: "victim" not in [t["name"] for t in engine.tunnels()], 15,
                       message="the victim's entry goes")
            # Offline, within the grace period: still refused, and no client reaches mallory.
            r = subprocess.run([binary(), "webtty", "server", "--rstream", "--name", "victim"],
                               capture_output=True, timeout=30,
                               env=clean_env(engine.client_env(mallory)))
            self.assertEqual(r.returncode, 1, r)
            self.assertIn(b"stays reserved for that token", r.stderr)
            # The owner's token gets it back at once.
            with tunnel_server(engine, "victim"):
                pass
            # After the grace period the name is free for anyone.
            deadline = time.monotonic() + 20
            while True:
                proc = subprocess.Popen([binary(), "webtty", "server", "--rstream", "--name",
                                         "victim"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        env=clean_env(engine.client_env(mallory)),
                                        start_new_session=True)
                line = h._read_line(proc.stdout, 15)
                if line.startswith(b"online as rstrm://victim"):
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(timeout=10)
                    break
                proc.wait(timeout=10)
                self.assertLess(time.monotonic(), deadline, "the name never came free")
                time.sleep(0.5)  # retry pace while the grace period runs out


class TokenGuessing(unittest.TestCase):
    """Item 11: weak tokens are refused; failed authentications are rate-limited per source."""

    def test_weak_token_is_refused_at_start(self):
        for weak in ("secret", "t0ken", "password1234", "0123456789abcdef"):
            r = subprocess.run([binary(), "webtty", "server", "--listen", "127.0.0.1:0",
                                "--token", weak], capture_output=True, timeout=15,
                               env=clean_env())
            self.assertEqual(r.returncode, 2, (weak, r))
            self.assertIn(b"too weak", r.stderr)
            self.assertEqual(r.stdout, b"")

    def test_failed_authentications_are_throttled_per_source(self):
        with start_server("--token", TOKEN) as server:
            for i in range(10):
                status, _, _ = http(server.port, "GET", "/api/terminal/sessions",
                                    {"Authorization": "Bearer wrong-%d" % i})
                self.assertEqual(status, 401)
            status, _, body = http(server.port, "GET", "/api/terminal/sessions",
                                   {"Authorization": "Bearer " + TOKEN})
            self.assertEqual(status, 429, body)
            r = run_exec(server.url("tcp"), ["true"], ["--token", TOKEN])
            self.assertEqual(r.returncode, 255, r)
            self.assertIn(b"too many failed authentications", r.stderr)

    def test_engine_throttles_failed_authentications(self):
        with start_engine() as engine:
            for i in range(10):
                status, _ = engine.api("GET", "/api/tunnels", token="rst_wrong_%d" % i)
                self.assertEqual(status, 401)
            status, body = engine.api("GET", "/api/tunnels")
            self.assertEqual(status, 429, body)


class PrivateState(unittest.TestCase):
    """Items 12 and 14: data directories and key material."""

    def test_engine_refuses_a_world_writable_data_dir_and_leaves_its_mode(self):
        shared = tempfile.mkdtemp(prefix="rstream-redteam-shared-")
        self.addCleanup(shutil.rmtree, shared, True)
        os.chmod(shared, 0o1777)
        home = tempfile.mkdtemp(prefix="rstream-redteam-home-")
        self.addCleanup(shutil.rmtree, home, True)
        r = subprocess.run([binary(), "engine", "--listen", "127.0.0.1:0", "--data-dir", shared],
                           capture_output=True, timeout=15, env=clean_env({"HOME": home}))
        self.assertEqual(r.returncode, 1, r)
        self.assertIn(b"writable by other users", r.stderr)
        self.assertEqual(stat.S_IMODE(os.stat(shared).st_mode), 0o1777)

    def test_engine_creates_its_directories_0700(self):
        home = tempfile.mkdtemp(prefix="rstream-redteam-home-")
        self.addCleanup(shutil.rmtree, home, True)
        with start_engine(home=home):
            pass
        for d in (".rstream", ".rstream/engine"):
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(home, d)).st_mode), 0o700, d)
        token_file = os.path.join(home, ".rstream", "engine", "admin-token")
        self.assertEqual(stat.S_IMODE(os.stat(token_file).st_mode), 0o600)

    def test_recreated_identity_does_not_inherit_authorized_clients(self):
        keys = Keys()
        self.addCleanup(shutil.rmtree, keys.home, True)
        keys.identity("srv")
        client_key = keys.identity("default")
        keys.run("webtty", "authorized-client", "add", "me", "--identity", "srv", "--key",
                 client_key)
        keys.run("webtty", "identity", "delete", "--name", "srv")
        keys.identity("srv")
        listed = keys.run("webtty", "authorized-client", "list", "--identity", "srv", "-o",
                          "json").stdout
        self.assertEqual(json.loads(listed), [], listed)


if __name__ == "__main__":
    unittest.main()
