"""End-to-end encrypted sessions through the real binary: pinning (not pinned, key changed,
downgrade), authorized clients added and removed on a running server, no process for an
unauthorized client, and no plaintext on the wire, directly and through the engine (checked
by a recording proxy in the middle)."""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import unittest

import rstream_harness as h
from rstream_harness import binary, clean_env, run_exec, start_engine, start_server, wait_until

MARKER_IN = b"SECRET-STDIN-7f3a9c"
MARKER_OUT = b"SECRET-STDOUT-51b2e8"


class RecordingProxy:
    """Forwards every connection to `target` and keeps every byte seen in both directions."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.seen = bytearray()
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                with self.lock:
                    self.seen += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

    def close(self):
        self.closed = True
        self.listener.close()


class Keys:
    """A HOME with rstream key material, and helpers to run the key commands in it."""

    def __init__(self):
        self.home = tempfile.mkdtemp(prefix="rstream-e2e-home-")

    def run(self, *args, check=True):
        r = subprocess.run([binary()] + list(args), capture_output=True,
                           env=clean_env({"HOME": self.home}), timeout=30)
        if check and r.returncode != 0:
            raise AssertionError("%r failed: %r" % (args, r.stderr))
        return r

    def identity(self, name):
        self.run("webtty", "identity", "create", "--name", name)
        return self.run("webtty", "identity", "show", "--name", name,
                        "--endpoint-identity").stdout.decode().strip()

    def env(self, extra=None):
        return dict({"HOME": self.home}, **(extra or {}))


class E2eDirect(unittest.TestCase):
    def setUp(self):
        self.keys = Keys()
        self.addCleanup(shutil.rmtree, self.keys.home, True)
        self.server_key = self.keys.identity("srv")
        self.client_key = self.keys.identity("default")
        self.other_key = self.keys.identity("impostor")
        self.server = self.enterContext(start_server("--identity", "srv", env=self.keys.env()))
        self.name = "127.0.0.1:%d" % self.server.port
        self.url = self.server.url("tcp")

    def exec(self, argv, **kwargs):
        return run_exec(self.url, argv, env=self.keys.env(), **kwargs)

    def test_unpinned_server_receives_nothing(self):
        proxy = RecordingProxy(self.server.port)
        self.addCleanup(proxy.close)
        r = run_exec("tcp://127.0.0.1:%d" % proxy.port, ["sh", "-c", "echo " + MARKER_OUT.decode()],
                     stdin=MARKER_IN, env=self.keys.env())
        self.assertEqual(r.returncode, 255, r)
        self.assertIn(b"not pinned", r.stderr)
        self.assertIn(b"rstream webtty known-server add 127.0.0.1:%d --key %s"
                      % (proxy.port, self.server_key.encode()), r.stderr)
        self.assertNotIn(MARKER_IN, proxy.seen)
        self.assertNotIn(MARKER_OUT, proxy.seen)
        self.assertNotIn(b"echo", proxy.seen)

    def test_pinned_authorized_session_works_and_is_sealed_on_the_wire(self):
        proxy = RecordingProxy(self.server.port)
        self.addCleanup(proxy.close)
        via = "127.0.0.1:%d" % proxy.port
        self.keys.run("webtty", "known-server", "add", via, "--key", self.server_key)
        self.keys.run("webtty", "authorized-client", "add", "me", "--identity", "srv",
                      "--key", self.client_key)
        r = run_exec("tcp://" + via, ["sh", "-c", "cat; echo " + MARKER_OUT.decode() + "; exit 7"],
                     stdin=MARKER_IN, env=self.keys.env())
        self.assertEqual(r.returncode, 7, r)
        self.assertEqual(r.stdout, MARKER_IN + MARKER_OUT + b"\n")
        self.assertNotIn(MARKER_IN, proxy.seen)
        self.assertNotIn(MARKER_OUT, proxy.seen)
        self.assertNotIn(b"cat;", proxy.seen)

    def test_changed_key_is_a_distinct_loud_error(self):
        self.keys.run("webtty", "known-server", "add", self.name, "--key", self.other_key)
        r = self.exec(["true"])
        self.assertEqual(r.returncode, 255, r)
        self.assertIn(b"CHANGED", r.stderr.upper())
        self.assertNotIn(b"not pinned", r.stderr)

    def test_unauthorized_client_starts_no_process_and_is_logged(self):
        self.keys.run("webtty", "known-server", "add", self.name, "--key", self.server_key)
        marker = os.path.join(self.keys.home, "should-not-exist")
        r = self.exec(["touch", marker])
        self.assertEqual(r.returncode, 255, r)
        self.assertIn(b"not an authorized client", r.stderr)
        self.assertFalse(os.path.exists(marker))
        fingerprint = self.keys.run("webtty", "identity", "show", "--name", "default", "-o",
                                    "json").stdout
        fp = json.loads(fingerprint)["fingerprint"]
        wait_until(lambda: fp in self.server.stderr, 5, message="the server logs the key")

    def test_authorized_clients_change_on_a_running_server(self):
        self.keys.run("webtty", "known-server", "add", self.name, "--key", self.server_key)
        self.assertEqual(self.exec(["true"]).returncode, 255)
        self.keys.run("webtty", "authorized-client", "add", "me", "--identity", "srv",
                      "--key", self.client_key)
        r = self.exec(["echo", "admitted"])
        self.assertEqual((r.returncode, r.stdout), (0, b"admitted\n"), r)
        self.keys.run("webtty", "authorized-client", "remove", "me", "--identity", "srv")
        r = self.exec(["echo", "admitted"])
        self.assertEqual(r.returncode, 255, r)
        self.assertIn(b"not an authorized client", r.stderr)

    def test_plaintext_open_is_refused(self):
        with h.FrameClient(self.server.port) as client:
            client.send_frame(1, json.dumps({"argv": ["true"]}).encode())
            frames = client.read_until_closed(10)
        errors = [f.json() for f in frames if f.type == 3]
        self.assertEqual(errors[0]["code"], "e2e_required", frames)

    def test_pinned_server_answering_in_plaintext_is_a_downgrade(self):
        with start_server() as plain:
            name = "127.0.0.1:%d" % plain.port
            self.keys.run("webtty", "known-server", "add", name, "--key", self.server_key)
            r = run_exec(plain.url("tcp"), ["echo", "x"], env=self.keys.env())
            self.assertEqual(r.returncode, 255, r)
            self.assertIn(b"without end-to-end encryption", r.stderr)
            self.assertEqual(r.stdout, b"")


class E2eThroughEngine(unittest.TestCase):
    def test_engine_relays_only_ciphertext(self):
        keys = Keys()
        self.addCleanup(shutil.rmtree, keys.home, True)
        server_key = keys.identity("srv")
        client_key = keys.identity("default")
        keys.run("webtty", "known-server", "add", "secret-box", "--key", server_key)
        keys.run("webtty", "authorized-client", "add", "me", "--identity", "srv", "--key", client_key)
        engine = self.enterContext(start_engine())
        proxy = RecordingProxy(engine.port)  # between the client and the engine
        self.addCleanup(proxy.close)
        server_env = dict(engine.client_env(), HOME=keys.home)
        cmd = [binary(), "webtty", "server", "--rstream", "--name", "secret-box", "--identity", "srv"]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=clean_env(server_env))
        self.addCleanup(h.kill_quietly, proc)
        self.assertIn(b"online as rstrm://secret-box", h._read_line(proc.stdout, 15))
        entries = {e["name"]: e for e in engine.tunnels()}
        self.assertEqual(entries["secret-box"]["e2e"], "required")
        client_env = dict(engine.client_env(), HOME=keys.home,
                          RSTREAM_ENGINE="http://127.0.0.1:%d" % proxy.port)
        r = run_exec("rstrm://secret-box", ["sh", "-c", "cat; echo " + MARKER_OUT.decode()],
                     stdin=MARKER_IN, env=client_env)
        self.assertEqual((r.returncode, r.stdout), (0, MARKER_IN + MARKER_OUT + b"\n"), r)
        self.assertGreater(len(proxy.seen), 0)
        self.assertNotIn(MARKER_IN, proxy.seen)
        self.assertNotIn(MARKER_OUT, proxy.seen)
        self.assertNotIn(b"cat;", proxy.seen)


if __name__ == "__main__":
    unittest.main()
