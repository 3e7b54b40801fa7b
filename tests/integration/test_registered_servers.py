"""Registered servers at run time, through the real binary: create → enroll → run → online in
`webtty list` and `server list` → exec by name and by id → kill -9 → offline with last_seen →
exec says "registered but not online" (255) → the engine restarts with everything → the host
comes back. A forged --server-id without the enrolled key, a pending, a suspended and a deleted
record are each refused with their own message; restricted access and explicit_key hold on
rstrm://, the browser WebSocket and the fs proxy; durable labels win and filter."""

import contextlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import unittest

import rstream_harness as h
from rstream_harness import binary, clean_env, run_exec, start_engine, wait_until


def frame(frame_type, payload):
    return struct.pack(">BBI", 1, frame_type, len(payload)) + payload


FRAME_ERROR, FRAME_OPEN, FRAME_ROUTE = 3, 1, 20


class Host:
    """A runtime host: its own HOME (identity, enrollments), reaching `engine` with `token`."""

    def __init__(self, engine, token=None):
        self.engine = engine
        self.home = tempfile.mkdtemp(prefix="rstream-host-")
        self.env = dict(engine.client_env(token), HOME=self.home)

    def run(self, *args, check=True):
        r = subprocess.run([binary()] + list(args), capture_output=True, env=clean_env(self.env),
                           timeout=30)
        if check and r.returncode != 0:
            raise AssertionError("%r failed (%d): %r" % (args, r.returncode, r.stderr))
        return r

    def enroll(self, server_id):
        return self.run("webtty", "server", "enroll", server_id)

    def start(self, server_id, *args):
        """`rstream webtty server --server-id ID ARGS` as a Popen (not waited for)."""
        cmd = [binary(), "webtty", "server", "--server-id", server_id] + list(args)
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=clean_env(self.env),
                                start_new_session=True)
        proc.err = h.StreamCollector(proc.stderr)
        return proc

    @contextlib.contextmanager
    def serving(self, server_id, *args):
        """The server, once online; killed on the way out."""
        proc = self.start(server_id, *args)
        try:
            line = h._read_line(proc.stdout, 15)
            if not line.startswith(b"online as rstrm://"):
                raise AssertionError("registered server did not come online: %r %r"
                                     % (line, proc.err.data[-2000:]))
            yield proc
        finally:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def refused(self, server_id, *args):
        """Runs the server expecting a refusal: (exit code, stderr)."""
        cmd = [binary(), "webtty", "server", "--server-id", server_id] + list(args)
        try:
            r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                               env=clean_env(self.env), timeout=20)
        except subprocess.TimeoutExpired as e:
            raise AssertionError("the server was not refused: %r" % (e.stderr or b"")[-2000:])
        return r.returncode, r.stderr


class RegisteredServers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._stack = contextlib.ExitStack()
        cls.engine_home = tempfile.mkdtemp(prefix="rstream-registered-")
        cls._stack.callback(shutil.rmtree, cls.engine_home, True)
        cls.engine = cls._stack.enter_context(start_engine(home=cls.engine_home))
        status, ci = cls.engine.api("POST", "/api/tokens", body={"role": "read-write", "name": "ci"})
        assert status == 201, ci
        status, other = cls.engine.api("POST", "/api/tokens",
                                       body={"role": "read-write", "name": "other"})
        assert status == 201, other
        cls.ci, cls.other = ci["token"], other["token"]
        cls.count = 0

    @classmethod
    def tearDownClass(cls):
        cls._stack.close()

    def host(self, token=None):
        host = Host(self.engine, token)
        self.addCleanup(shutil.rmtree, host.home, True)
        return host

    def rstream(self, *args, token=None):
        env = self.engine.client_env(token)
        return subprocess.run([binary()] + list(args), capture_output=True, env=clean_env(env),
                              timeout=30)

    def create(self, *flags):
        """A new record through `server create -o json`: (name, id)."""
        RegisteredServers.count += 1
        name = "reg-%d" % RegisteredServers.count
        r = self.rstream("webtty", "server", "create", name, "-o", "json", *flags)
        self.assertEqual(r.returncode, 0, r)
        return name, json.loads(r.stdout)["id"]

    def entry(self, name):
        r = self.rstream("webtty", "list", "-o", "json", "--filter", "name=" + name)
        self.assertEqual(r.returncode, 0, r)
        entries = json.loads(r.stdout)
        return entries[0] if entries else None

    def session_ids(self, name):
        r = self.rstream("webtty", "sessions", "list", "--server-id", name, "-o", "json")
        self.assertEqual(r.returncode, 0, r)
        return {s["id"] for s in json.loads(r.stdout)}

    def server_record(self, name):
        r = self.rstream("webtty", "server", "show", name, "-o", "json")
        self.assertEqual(r.returncode, 0, r)
        return json.loads(r.stdout)

    def test_create_enroll_run_offline_restart_and_back(self):
        name, server_id = self.create("--label", "role=ci")
        host = self.host()
        host.enroll(server_id)
        with host.serving(server_id, "--label", "role=laptop", "--label", "zone=eu") as server:
            entry = self.entry(name)
            self.assertEqual((entry["status"], entry["registered"], entry["server_id"]),
                             ("online", True, server_id))
            self.assertEqual(entry["labels"]["rstream.webtty.label.role"], "ci",
                             "the durable label wins")
            self.assertEqual(entry["labels"]["rstream.webtty.label.zone"], "eu")
            self.assertEqual(entry["overridden_labels"], ["rstream.webtty.label.role"])
            self.assertTrue(self.server_record(name)["online"])
            for target in (name, server_id):
                r = run_exec("rstrm://" + target, ["echo", "hello " + target],
                             env=self.engine.client_env())
                self.assertEqual((r.returncode, r.stdout), (0, b"hello %s\n" % target.encode()), r)
            os.killpg(server.pid, signal.SIGKILL)
            entry = wait_until(lambda: (lambda e: e if e["status"] == "offline" else None)(
                self.entry(name)), 15, interval=0.2, message="offline within 15 s of kill -9")
            self.assertTrue(entry["last_seen"])
            self.assertFalse(self.server_record(name)["online"])
        r = run_exec("rstrm://" + name, ["true"], env=self.engine.client_env())
        self.assertEqual(r.returncode, 255, r)
        self.assertIn(b"server %s is registered but not online (last seen %s)"
                      % (name.encode(), entry["last_seen"].encode()), r.stderr)
        r = self.rstream("webtty", "list", "--filter", "registered=true,status=offline")
        self.assertIn(name.encode(), r.stdout)

        port = self.engine.port
        self.engine.stop(signal.SIGKILL)
        RegisteredServers.engine = self._stack.enter_context(
            start_engine(home=self.engine_home, listen="127.0.0.1:%d" % port))
        entry = self.entry(name)
        self.assertEqual((entry["status"], entry["last_seen"]), ("offline", entry["last_seen"]))
        with host.serving(server_id):
            r = run_exec("rstrm://" + server_id, ["echo", "back"], env=self.engine.client_env())
            self.assertEqual((r.returncode, r.stdout), (0, b"back\n"), r)

    def test_a_forged_server_id_without_the_enrolled_key_is_refused(self):
        name, server_id = self.create()
        host = self.host()
        host.enroll(server_id)
        # Another machine copies the enrollment file but has its own identity of that name.
        thief = self.host()
        enrollments = os.path.join(thief.home, ".rstream", "webtty", "enrollments")
        os.makedirs(enrollments)
        shutil.copy(os.path.join(host.home, ".rstream", "webtty", "enrollments",
                                 server_id + ".json"), enrollments)
        thief.run("webtty", "identity", "create", "--name", "default")
        code, err = thief.refused(server_id)
        self.assertNotEqual(code, 0)
        self.assertIn(b"was not made by its enrolled host key", err)
        self.assertEqual(self.entry(name)["status"], "offline")

    def test_pending_suspended_and_deleted_records_are_refused_each_with_why(self):
        name, server_id = self.create()
        host = self.host()
        host.run("webtty", "identity", "create", "--name", "default")
        # Not enrolled yet: a hand-made enrollment file gets the engine's "enroll first".
        enrollments = os.path.join(host.home, ".rstream", "webtty", "enrollments")
        os.makedirs(enrollments)
        with open(os.path.join(enrollments, server_id + ".json"), "w") as f:
            json.dump({"server_id": server_id, "name": name, "identity": "default"}, f)
        code, err = host.refused(server_id)
        self.assertIn(b"has no enrolled host: run `rstream webtty server enroll %s`"
                      % server_id.encode(), err)
        host.enroll(server_id)
        with host.serving(server_id) as server:
            r = self.rstream("webtty", "server", "update", name, "--suspend")
            self.assertEqual(r.returncode, 0, r)
            wait_until(lambda: self.entry(name)["status"] == "offline", 5,
                       message="suspending takes the server offline")
        code, err = host.refused(server_id)
        self.assertIn(b"is suspended", err)
        r = self.rstream("webtty", "server", "delete", name, "--yes")
        self.assertEqual(r.returncode, 0, r)
        code, err = host.refused(server_id)
        self.assertIn(b"is not registered on this engine", err)

    def test_a_lightweight_tunnel_cannot_take_a_registered_name(self):
        name, _ = self.create()
        r = subprocess.run([binary(), "webtty", "server", "--rstream", "--name", name],
                           capture_output=True, env=clean_env(self.engine.client_env()),
                           timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"is the name or id of a registered server", r.stderr)

    def test_restricted_access_refuses_an_unlisted_token_on_every_path(self):
        name, server_id = self.create("--access-policy", "restricted", "--allow-token", "ci")
        host = self.host()
        host.enroll(server_id)
        with host.serving(server_id):
            r = run_exec("rstrm://" + name, ["echo", "allowed"], env=self.engine.client_env(self.ci))
            self.assertEqual((r.returncode, r.stdout), (0, b"allowed\n"), r)
            r = run_exec("rstrm://" + name, ["echo", "no"], env=self.engine.client_env(self.other))
            self.assertEqual(r.returncode, 255, r)
            self.assertIn(b"restricted and token 'other' is not allowed", r.stderr)
            self.assertNotIn(b"no\n", r.stdout)
            for path in ("/webtty", "/fs/"):
                status, body = self.engine.api("GET", "/api/tunnels/%s%s" % (name, path),
                                               token=self.other)
                self.assertEqual((status, body["error"]["code"]), (403, "access_denied"), body)
            # An admin allows it; the next session is admitted.
            r = self.rstream("webtty", "server", "update", name, "--allow-token", "other")
            self.assertEqual(r.returncode, 0, r)
            r = run_exec("rstrm://" + name, ["echo", "now"], env=self.engine.client_env(self.other))
            self.assertEqual((r.returncode, r.stdout), (0, b"now\n"), r)

    def test_explicit_key_refuses_a_plaintext_session_and_the_server_requires_e2e(self):
        name, server_id = self.create("--encryption-policy", "explicit_key")
        host = self.host()
        host.enroll(server_id)
        with host.serving(server_id):
            self.assertEqual(self.entry(name)["e2e"], "required")
            # A raw client that routes and opens without a handshake.
            with socket.create_connection(("127.0.0.1", self.engine.port), timeout=10) as s:
                route = json.dumps({"token": self.engine.admin_token, "target": name}).encode()
                open_ = json.dumps({"argv": ["echo", "plain"]}).encode()
                s.sendall(frame(FRAME_ROUTE, route) + frame(FRAME_OPEN, open_))
                answer = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    answer += chunk
            self.assertEqual(answer[1], FRAME_ERROR, answer)
            refusal = json.loads(answer[6:])
            self.assertEqual(refusal["code"], "e2e_required")
            # The engine's own refusal: the plaintext Open never reached the server.
            self.assertIn("did not start with an E2E handshake", refusal["message"])
            for path in ("/webtty", "/fs/"):
                status, body = self.engine.api("GET", "/api/tunnels/%s%s" % (name, path))
                self.assertEqual((status, body["error"]["code"]), (403, "e2e_required"), body)
            # The rstream client without the server's pinned key: the server itself refuses.
            r = run_exec("rstrm://" + name, ["echo", "x"], env=self.engine.client_env())
            self.assertEqual(r.returncode, 255, r)
            self.assertIn(b"end-to-end", r.stderr)
            # With the host's key pinned and this client authorized: an E2E session works.
            client = self.host()
            client_key = client.run("webtty", "identity", "create", "--name", "default", "-o",
                                    "json").stdout
            client_key = json.loads(client_key)["endpoint_identity"]
            host_key = self.server_record(name)["host_key"]
            client.run("webtty", "known-server", "add", name, "--key", host_key)
            host.run("webtty", "authorized-client", "add", "ci-box", "--identity", "default",
                     "--key", client_key)
            before = self.session_ids(name)
            r = run_exec("rstrm://" + name, ["echo", "sealed-marker"],
                         env=dict(self.engine.client_env(), HOME=client.home))
            self.assertEqual((r.returncode, r.stdout), (0, b"sealed-marker\n"), r)
            # The server records its sessions: the E2E one's recording holds the sealed frames
            # both ways, never the plaintext, and its chain verifies.
            new = self.session_ids(name) - before
            self.assertEqual(len(new), 1, new)
            session = new.pop()
            r = self.rstream("webtty", "sessions", "export", session, "--format", "json")
            self.assertEqual(r.returncode, 0, r)
            self.assertNotIn(b"sealed-marker", r.stdout)
            events = json.loads(r.stdout)["events"]
            kinds = [e["kind"] for e in events]
            self.assertEqual((kinds[0], kinds[-1]), ("open", "close"), kinds)
            self.assertIn("output", kinds)
            self.assertIn("input", kinds)
            self.assertTrue(events[0]["fields"]["e2e"])
            self.assertEqual(self.rstream("webtty", "sessions", "verify", session).returncode, 0)
            r = self.rstream("webtty", "sessions", "export", session, "--format", "text")
            self.assertEqual(r.returncode, 1, r)
            self.assertIn(b"ciphertext", r.stderr)

    def test_update_labels_and_filter_by_them(self):
        name, server_id = self.create("--label", "role=ci")
        r = self.rstream("webtty", "server", "update", name, "--label", "tier=gold",
                         "--remove-label", "role")
        self.assertEqual(r.returncode, 0, r)
        r = self.rstream("webtty", "list", "-o", "json", "--filter", "label.tier=gold")
        self.assertEqual([e["server_id"] for e in json.loads(r.stdout)], [server_id])
        r = self.rstream("webtty", "list", "-o", "json", "--filter", "label.role=ci,name=" + name)
        self.assertEqual(json.loads(r.stdout), [])

    def test_the_cached_listings_follow_every_change(self):
        """GET /api/tunnels and GET /api/servers answer from per-record caches: after each change
        they must equal the uncached answer (a filter that matches everything)."""
        def same_both_ways():
            status, cached = self.engine.api("GET", "/api/tunnels")
            self.assertEqual(status, 200)
            status, fresh = self.engine.api("GET", "/api/tunnels?filter=name%3D*")
            self.assertEqual(cached, fresh)
            return {e["name"]: e for e in cached}

        def record(name):
            status, body = self.engine.api("GET", "/api/servers")
            self.assertEqual(status, 200)
            return {r["name"]: r for r in body["servers"]}[name]

        name, server_id = self.create("--label", "role=ci")
        self.assertEqual(same_both_ways()[name]["labels"]["rstream.webtty.label.role"], "ci")
        self.assertEqual(record(name)["labels"], {"role": "ci"})
        r = self.rstream("webtty", "server", "update", name, "--label", "role=db")
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(same_both_ways()[name]["labels"]["rstream.webtty.label.role"], "db")
        self.assertEqual(record(name)["labels"], {"role": "db"})
        host = self.host()
        host.enroll(server_id)
        self.assertEqual(same_both_ways()[name]["record_status"], "enrolled")
        with host.serving(server_id) as server:
            self.assertEqual(same_both_ways()[name]["status"], "online")
            self.assertTrue(record(name)["online"])
            os.killpg(server.pid, signal.SIGKILL)
            wait_until(lambda: self.entry(name)["status"] == "offline", 15, interval=0.1,
                       message="offline")
            self.assertEqual(same_both_ways()[name]["status"], "offline")
            self.assertFalse(record(name)["online"])
            self.assertTrue(same_both_ways()[name]["last_seen"])
        r = self.rstream("webtty", "server", "delete", name, "--yes")
        self.assertEqual(r.returncode, 0, r)
        self.assertNotIn(name, same_both_ways())


if __name__ == "__main__":
    unittest.main()
