"""The engine and lightweight tunnels, through the real binary: registration, inventory and
filters, lifecycle timings, reconnection after an engine restart, name conflicts, publishing,
token roles, routing many streams over many tunnels, per-stream flow control, and the
foundation's exec behaviours through the engine."""

import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import rstream_harness as h
import test_exec
from rstream_harness import (
    binary,
    clean_env,
    run_exec,
    spawn_exec,
    start_engine,
    start_server,
    use_engine,
    wait_until,
)


def setUpModule():
    test_exec.setUpModule()  # ExecOverEngine reuses test_exec's scratch files


def tearDownModule():
    test_exec.tearDownModule()


def rstream(args, env=None, timeout=30, input=None):
    """Runs `rstream ARGS` to completion."""
    return subprocess.run([binary()] + list(args), capture_output=True, env=clean_env(env),
                          timeout=timeout, input=input)


@contextlib.contextmanager
def tunnel_server(engine, name, *args, env=None, ready_timeout=15):
    """`rstream webtty server --rstream --name NAME ARGS` (no --listen), waiting for its
    "online as" line; yields the Popen and a list that collects its stdout lines."""
    env = dict(engine.client_env(), **(env or {}))
    cmd = [binary(), "webtty", "server", "--rstream", "--name", name] + list(args)
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=clean_env(env), start_new_session=True)
    err = h.StreamCollector(proc.stderr)
    try:
        line = h._read_line(proc.stdout, ready_timeout)
        if not line.startswith(b"online as rstrm://" + name.encode()):
            raise AssertionError("tunnel server did not come online: stdout %r, stderr %r"
                                 % (line, err.data[-2000:]))
        out = h.StreamCollector(proc.stdout)
        proc.out, proc.err, proc.first_line = out, err, line
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def names(entries):
    return sorted(e["name"] for e in entries)


class EngineBasics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._stack = contextlib.ExitStack()
        cls.engine = cls._stack.enter_context(start_engine())

    @classmethod
    def tearDownClass(cls):
        cls._stack.close()

    def test_first_start_writes_admin_token_and_local_context(self):
        data = os.path.join(self.engine.home, ".rstream", "engine")
        self.assertEqual(os.stat(data).st_mode & 0o777, 0o700)
        token_file = os.path.join(data, "admin-token")
        self.assertEqual(os.stat(token_file).st_mode & 0o777, 0o600)
        self.assertEqual(os.stat(os.path.join(data, "engine.db")).st_mode & 0o777, 0o600)
        with open(os.path.join(data, "engine.db"), "rb") as f:
            self.assertNotIn(self.engine.admin_token.encode(), f.read(), "tokens are stored hashed")
        # The local context: `project current` with nothing but HOME set.
        env = {"HOME": self.engine.home}
        r = rstream(["project", "current", "-o", "json"], env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        current = json.loads(r.stdout)
        self.assertIn(str(self.engine.port), json.dumps(current))

    def test_every_api_request_needs_a_valid_token(self):
        status, body = self.engine.api("GET", "/api/tunnels", token="")
        self.assertEqual(status, 401)
        self.assertIn("missing token", body["error"]["message"])
        status, body = self.engine.api("GET", "/api/tunnels", token="rst_nope_0000")
        self.assertEqual(status, 401)
        self.assertIn("invalid or revoked", body["error"]["message"])
        status, _ = self.engine.api("GET", "/api/tunnels")
        self.assertEqual(status, 200)

    def test_token_roles_and_revocation(self):
        env = {"HOME": self.engine.home}
        r = rstream(["engine", "token", "create", "--role", "read-only", "--name", "viewer"], env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        viewer = r.stdout.decode().strip()
        self.assertTrue(viewer.startswith("rst_"), r.stdout)
        self.assertIn(b"shown only once", r.stderr)
        r = rstream(["engine", "token", "list", "-o", "json"], env=env)
        listed = json.loads(r.stdout)
        self.assertIn("viewer", [t["name"] for t in listed])
        self.assertNotIn(viewer, r.stdout.decode(), "list never shows secrets")

        with tunnel_server(self.engine, "roles-target"):
            # read-only lists...
            r = rstream(["webtty", "list", "-o", "json"],
                        env=dict(env, RSTREAM_AUTHENTICATION_TOKEN=viewer))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("roles-target", names(json.loads(r.stdout)))
            # ...but opens no session
            r = run_exec("rstrm://roles-target", ["echo", "hi"],
                         env=self.engine.client_env(viewer))
            self.assertEqual(r.returncode, 255, r)
            self.assertIn(b"read-only", r.stderr)
            # nor manages tokens
            r = rstream(["engine", "token", "list"],
                        env=dict(env, RSTREAM_AUTHENTICATION_TOKEN=viewer))
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(b"admin", r.stderr)
            # a read-write token opens sessions
            r = rstream(["engine", "token", "create", "--role", "read-write", "--name", "ci"],
                        env=env)
            rw = r.stdout.decode().strip()
            r = run_exec("rstrm://roles-target", ["echo", "hi"], env=self.engine.client_env(rw))
            self.assertEqual((r.returncode, r.stdout), (0, b"hi\n"), r)
            # revoked → 401 at once, with a clear message
            r = rstream(["engine", "token", "revoke", "ci"], env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
            r = run_exec("rstrm://roles-target", ["echo", "hi"], env=self.engine.client_env(rw))
            self.assertEqual(r.returncode, 255, r)
            self.assertIn(b"invalid or revoked", r.stderr)
            r = rstream(["webtty", "list"], env=dict(env, RSTREAM_AUTHENTICATION_TOKEN=rw))
            self.assertEqual(r.returncode, 255, r)
            self.assertIn(b"refused the token", r.stderr)

    def test_list_and_filter(self):
        with tunnel_server(self.engine, "alpha", "--label", "role=codex", "--label", "team=a"), \
                tunnel_server(self.engine, "beta", "--label", "role=review", "--no-publish"), \
                tunnel_server(self.engine, "gamma", "--label", "role=codex"):
            env = self.engine.client_env()
            r = rstream(["webtty", "list", "-o", "json"], env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
            entries = {e["name"]: e for e in json.loads(r.stdout)}
            self.assertTrue({"alpha", "beta", "gamma"} <= set(entries))
            alpha = entries["alpha"]
            for field in ("name", "id", "status", "publish", "labels", "capabilities", "e2e",
                          "hostname", "rstream_url", "connected_at"):
                self.assertIn(field, alpha)
            self.assertEqual(alpha["status"], "online")
            self.assertEqual(alpha["rstream_url"], "rstrm://alpha")
            self.assertEqual(alpha["labels"]["rstream.webtty.label.role"], "codex")
            self.assertEqual(alpha["labels"]["application-protocol"], "rstream.webtty")
            self.assertEqual(alpha["labels"]["rstream.webtty.capabilities"], "exec")
            self.assertEqual(alpha["labels"]["rstream.webtty.e2e"], "disabled")
            self.assertEqual(alpha["labels"]["rstream.webtty.hostname"], socket.gethostname())
            for fact in ("os_id", "arch", "kernel_release"):
                self.assertIn("rstream.webtty." + fact, alpha["labels"])
            self.assertEqual(alpha["capabilities"], ["exec"])
            self.assertEqual(alpha["e2e"], "disabled")
            self.assertEqual(alpha["hostname"], socket.gethostname())
            self.assertTrue(alpha["publish"])
            self.assertTrue(alpha["browser_url"].startswith("ws://127.0.0.1:%d/" % self.engine.port))
            self.assertFalse(entries["beta"]["publish"])
            self.assertNotIn("browser_url", entries["beta"])

            def listed(expr):
                r = rstream(["webtty", "list", "--filter", expr, "-o", "json"], env=env)
                self.assertEqual(r.returncode, 0, r.stderr)
                return names(json.loads(r.stdout))

            self.assertEqual(listed("labels.rstream.webtty.label.role=codex"), ["alpha", "gamma"])
            self.assertEqual(listed("labels.rstream.webtty.label.role=codex,name=gamma"), ["gamma"])
            self.assertEqual(listed("labels.rstream.webtty.label.team=*"), ["alpha"])
            self.assertEqual(listed("publish=false"), ["beta"])
            self.assertEqual(listed("id=" + alpha["id"]), ["alpha"])
            self.assertEqual(listed("status=online,labels.rstream.webtty.label.role=nobody"), [])
            # The same data over the API.
            status, body = self.engine.api(
                "GET", "/api/tunnels?filter=labels.rstream.webtty.label.role%3Dreview")
            self.assertEqual((status, names(body)), (200, ["beta"]))
            # A malformed filter is a usage error.
            r = rstream(["webtty", "list", "--filter", "colour=blue"], env=env)
            self.assertEqual(r.returncode, 2)
            self.assertIn(b"unknown filter key", r.stderr)
            # Table output names the tunnels.
            r = rstream(["webtty", "list"], env=env)
            self.assertIn(b"alpha", r.stdout)
            self.assertIn(b"NAME", r.stdout)

    def test_name_conflict_is_a_clear_error(self):
        with tunnel_server(self.engine, "taken"):
            r = subprocess.run([binary(), "webtty", "server", "--rstream", "--name", "taken"],
                               capture_output=True, env=clean_env(self.engine.client_env()),
                               timeout=30)
            self.assertEqual(r.returncode, 1, r)
            self.assertIn(b"already online", r.stderr)
            self.assertEqual(r.stdout, b"")

    def test_unknown_tunnel_fails_with_255(self):
        r = run_exec("rstrm://no-such-tunnel", ["true"], env=self.engine.client_env())
        self.assertEqual(r.returncode, 255, r)
        self.assertIn(b"no tunnel named 'no-such-tunnel'", r.stderr)
        r = run_exec("rstrm://no-such-tunnel", ["true"], options=["-o", "json"],
                     env=self.engine.client_env())
        self.assertEqual(r.returncode, 255, r)
        self.assertIn("no-such-tunnel", r.json()["error"])

    def test_published_browser_endpoint_and_no_publish_refusal(self):
        with tunnel_server(self.engine, "pub"), tunnel_server(self.engine, "private", "--no-publish"):
            entries = {e["name"]: e for e in self.engine.tunnels()}
            browser_url = entries["pub"]["browser_url"]
            r = run_exec(browser_url, ["echo", "via-browser-endpoint"],
                         options=["--token", self.engine.admin_token])
            self.assertEqual((r.returncode, r.stdout), (0, b"via-browser-endpoint\n"), r)
            private_ws = browser_url.replace("/pub/", "/private/")
            r = run_exec(private_ws, ["true"], options=["--token", self.engine.admin_token])
            self.assertEqual(r.returncode, 255, r)
            self.assertIn(b"403", r.stderr)
            self.assertIn(b"not published", r.stderr)
            # Native clients still reach it.
            r = run_exec("rstrm://private", ["echo", "native"], env=self.engine.client_env())
            self.assertEqual((r.returncode, r.stdout), (0, b"native\n"), r)

    def test_malformed_frames_close_only_that_peer(self):
        with tunnel_server(self.engine, "sturdy"):
            # Garbage as a first frame, a bad Route, a Route then garbage.
            for payload in (b"\x01\x63\x00\x00\x00\x00", b"\x01\x14\x00\x00\x00\x02[]",
                            b"\x09garbage"):
                with socket.create_connection(("127.0.0.1", self.engine.port), timeout=5) as s:
                    s.sendall(payload)
                    data = s.recv(4096)
                    self.assertEqual(data[:2], b"\x01\x03", data)  # an Error frame
            route = json.dumps({"token": self.engine.admin_token, "target": "sturdy"}).encode()
            with socket.create_connection(("127.0.0.1", self.engine.port), timeout=5) as s:
                s.sendall(h.frame_bytes(20, route) + b"\x01\xfe\x00\x00\x00\x00")
                got = b""
                with contextlib.suppress(OSError):
                    while True:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        got += chunk
                self.assertIn(b"\x01\x03", got)
            r = run_exec("rstrm://sturdy", ["echo", "still-here"], env=self.engine.client_env())
            self.assertEqual((r.returncode, r.stdout), (0, b"still-here\n"), r)

    def test_200_concurrent_execs_over_10_tunnels(self):
        with contextlib.ExitStack() as stack:
            for i in range(10):
                stack.enter_context(tunnel_server(self.engine, "fleet-%d" % i))
            jobs = []
            for i in range(h.concurrency(200)):
                marker = "job-%d-" % i
                argv = ["sh", "-c", 'i=0; while [ $i -lt 200 ]; do echo "%s$i"; i=$((i+1)); done' % marker]
                jobs.append((marker, spawn_exec("rstrm://fleet-%d" % (i % 10), argv,
                                                env=self.engine.client_env())))
            for marker, job in jobs:
                rc, out, err = job.wait(120)
                expected = "".join("%s%d\n" % (marker, n) for n in range(200)).encode()
                self.assertEqual((rc, out), (0, expected), err)

    def test_paused_stream_does_not_slow_another_on_the_same_tunnel(self):
        with tunnel_server(self.engine, "shared"):
            # A stream whose reader never reads: its output fills every buffer on its path.
            # The flood starts only once "started" has arrived (a line on stdin releases it):
            # started together, stdout could fill the session's queue before stderr's line.
            stalled = subprocess.Popen(
                h.exec_command("rstrm://shared",
                               ["sh", "-c", "echo started >&2; read go; exec cat /dev/zero"]),
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=clean_env(self.engine.client_env()))
            try:
                h.StreamCollector(stalled.stderr).wait_for(b"started", 30)
                stalled.stdin.write(b"go\n")
                stalled.stdin.flush()
                time.sleep(0.5)  # let the stalled stream fill its buffers (not a correctness wait)
                # Meanwhile a second stream on the same tunnel moves 256 MiB.
                start = time.monotonic()
                big = subprocess.run(
                    h.exec_command("rstrm://shared", ["head", "-c", str(256 << 20), "/dev/zero"]),
                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    env=clean_env(self.engine.client_env()), timeout=120)
                elapsed = time.monotonic() - start
                self.assertEqual(big.returncode, 0, big.stderr)
                self.assertEqual(len(big.stdout), 256 << 20)
                # Full speed is hundreds of MB/s here; a stream stuck behind the paused one
                # would not finish at all. A generous bound keeps noisy machines green.
                self.assertLess(elapsed, 60)
                self.assertIsNone(stalled.poll(), "the paused stream is still there")
            finally:
                h.kill_quietly(stalled)
                for pipe in (stalled.stdin, stalled.stdout):
                    with contextlib.suppress(Exception):
                        pipe.close()


class EngineStore(unittest.TestCase):
    """The engine's durable state (DATA_DIR/engine.db): it survives kill -9, a damaged file is
    a clear startup error that leaves the file alone, and a pre-store tokens.json is imported
    once."""

    def new_home(self):
        home = tempfile.mkdtemp(prefix="rstream-store-")
        self.addCleanup(shutil.rmtree, home, True)
        return home

    def test_a_token_created_before_kill_9_still_works_after_restart(self):
        home = self.new_home()
        with start_engine(home=home) as engine:
            status, created = engine.api("POST", "/api/tokens",
                                         body={"role": "read-only", "name": "durable"})
            self.assertEqual(status, 201, created)
            engine.stop(signal.SIGKILL)
        with start_engine(home=home) as again:
            status, body = again.api("GET", "/api/tunnels", token=created["token"])
            self.assertEqual(status, 200, body)
            status, tokens = again.api("GET", "/api/tokens")
            self.assertIn("durable", [t["name"] for t in tokens])

    def test_a_damaged_store_is_a_startup_error_and_is_left_as_it_was(self):
        home = self.new_home()
        with start_engine(home=home):
            pass
        db = os.path.join(home, ".rstream", "engine", "engine.db")
        with open(db, "r+b") as f:
            # The second page (a table's b-tree page) overwritten: the page size is in the
            # file's header (bytes 16-17, big-endian; 1 stands for 65536).
            header = f.read(100)
            page_size = int.from_bytes(header[16:18], "big")
            page_size = 65536 if page_size == 1 else page_size
            f.seek(page_size)
            f.write(bytes(range(256)) * 48)
        with open(db, "rb") as f:
            damaged = f.read()
        r = subprocess.run([h.binary(), "engine", "--listen", "127.0.0.1:0"],
                           env=dict(h.clean_env(), HOME=home), capture_output=True, timeout=20)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(r.stdout, b"")
        self.assertIn(b"engine.db is damaged", r.stderr)
        self.assertIn(b"backup", r.stderr)
        with open(db, "rb") as f:
            self.assertEqual(f.read(), damaged, "the file is never reset")

    def test_tokens_json_from_before_the_store_is_imported_once(self):
        home = self.new_home()
        data = os.path.join(home, ".rstream", "engine")
        os.makedirs(data, mode=0o700)
        os.chmod(os.path.join(home, ".rstream"), 0o700)
        token = "rst_0a1b2c3d_" + "5" * 64
        legacy = {"tokens": [{"id": "0a1b2c3d", "name": "old-admin", "role": "admin",
                              "created_at": "2026-01-01T00:00:00Z",
                              "sha256": hashlib.sha256(token.encode()).hexdigest()}]}
        with open(os.open(os.path.join(data, "tokens.json"), os.O_WRONLY | os.O_CREAT, 0o600),
                  "w") as f:
            json.dump(legacy, f)
        with open(os.open(os.path.join(data, "admin-token"), os.O_WRONLY | os.O_CREAT, 0o600),
                  "w") as f:
            f.write(token + "\n")
        for _ in range(2):  # the second start reads the store, not the file
            with start_engine(home=home) as engine:
                status, tokens = engine.api("GET", "/api/tokens", token=token)
                self.assertEqual(status, 200, tokens)
                self.assertEqual([t["name"] for t in tokens], ["old-admin"])
            self.assertFalse(os.path.exists(os.path.join(data, "tokens.json")))
            self.assertTrue(os.path.exists(os.path.join(data, "tokens.json.imported")))

    def test_a_second_engine_on_the_same_data_dir_is_refused(self):
        home = self.new_home()
        with start_engine(home=home):
            r = subprocess.run([h.binary(), "engine", "--listen", "127.0.0.1:0"],
                               env=dict(h.clean_env(), HOME=home), capture_output=True,
                               timeout=20)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(b"another rstream engine is using", r.stderr)


class RegisteredServerRecords(unittest.TestCase):
    """/api/servers through the real engine: the roles, the strict bodies, enroll once, and the
    records surviving a restart."""

    def test_records_through_the_api_with_their_roles(self):
        home = tempfile.mkdtemp(prefix="rstream-records-")
        self.addCleanup(shutil.rmtree, home, True)
        with start_engine(home=home) as engine:
            status, reader = engine.api("POST", "/api/tokens",
                                        body={"role": "read-only", "name": "reader"})
            self.assertEqual(status, 201)
            status, writer = engine.api("POST", "/api/tokens",
                                        body={"role": "read-write", "name": "writer"})
            self.assertEqual(status, 201)
            status, body = engine.api("POST", "/api/servers", token=writer["token"],
                                      body={"name": "build-01"})
            self.assertEqual(status, 403, body)
            self.assertIn("admin token", body["error"]["message"])
            status, created = engine.api("POST", "/api/servers", body={
                "name": "build-01", "labels": {"role": "ci"}, "access_policy": "restricted",
                "allowed_tokens": ["writer"], "encryption_policy": "explicit_key"})
            self.assertEqual(status, 201, created)
            self.assertRegex(created["id"], r"^srv_[0-9a-f]{20}$")
            self.assertEqual(created["status"], "pending_enrollment")
            self.assertEqual(created["allowed_token_ids"], [writer["id"]])
            status, body = engine.api("POST", "/api/servers", body={"name": "build-01"})
            self.assertEqual((status, body["error"]["code"]), (409, "conflict"))
            status, body = engine.api("PATCH", "/api/servers/build-01",
                                      body={"encryption_policy": "disabled"})
            self.assertEqual(status, 400)
            self.assertIn("fixed when the server is created", body["error"]["message"])
            status, listing = engine.api("GET", "/api/servers", token=reader["token"])
            self.assertEqual(status, 200)
            self.assertEqual([s["name"] for s in listing["servers"]], ["build-01"])
            status, body = engine.api("POST", "/api/servers/build-01/enrollment",
                                      token=reader["token"], body={"host_key": "x"})
            self.assertEqual(status, 403)
            status, body = engine.api("POST", "/api/servers/build-01/enrollment",
                                      token=writer["token"], body={"host_key": "not-a-key"})
            self.assertEqual(status, 400, body)
            key = json.loads(subprocess.run(
                [h.binary(), "webtty", "identity", "create", "--name", "host", "-o", "json"],
                env=dict(h.clean_env(), HOME=home), capture_output=True, check=True,
            ).stdout)["endpoint_identity"]
            status, enrolled = engine.api("POST", "/api/servers/%s/enrollment" % created["id"],
                                          token=writer["token"], body={"host_key": key})
            self.assertEqual(status, 200, enrolled)
            self.assertEqual((enrolled["status"], enrolled["host_key"]), ("enrolled", key))
            status, body = engine.api("POST", "/api/servers/build-01/enrollment",
                                      token=writer["token"], body={"host_key": key})
            self.assertEqual(status, 409)
            self.assertIn("--reset-enrollment", body["error"]["message"])
            status, body = engine.api("DELETE", "/api/tokens/writer")
            self.assertEqual(status, 200)
            engine.stop(signal.SIGKILL)
        with start_engine(home=home) as again:
            status, shown = again.api("GET", "/api/servers/" + created["id"])
            self.assertEqual(status, 200, shown)
            self.assertEqual((shown["name"], shown["status"], shown["allowed_token_ids"]),
                             ("build-01", "enrolled", []))
            status, body = again.api("DELETE", "/api/servers/build-01")
            self.assertEqual(status, 200)
            status, body = again.api("GET", "/api/servers/build-01")
            self.assertEqual((status, body["error"]["code"]), (404, "server_not_found"))


class EngineLifecycle(unittest.TestCase):
    def test_clean_exit_removes_the_entry_within_a_second(self):
        with start_engine() as engine:
            with tunnel_server(engine, "leaving") as server:
                self.assertIn("leaving", names(engine.tunnels()))
                server.send_signal(signal.SIGTERM)
                stopped = time.monotonic()
                server.wait(timeout=10)
                wait_until(lambda: "leaving" not in names(engine.tunnels()), 1.0,
                           message="entry gone within 1 s of a clean exit")
                self.assertLess(time.monotonic() - stopped, 1.5)
                self.assertEqual(server.returncode, 0)

    def test_kill_9_removes_the_entry_within_15_seconds(self):
        with start_engine() as engine:
            with tunnel_server(engine, "killed") as server:
                os.killpg(server.pid, signal.SIGKILL)
                wait_until(lambda: "killed" not in names(engine.tunnels()), 15,
                           message="entry gone within 15 s of kill -9")

    def test_silent_network_loss_removes_the_entry_within_15_seconds(self):
        with start_engine() as engine:
            with tunnel_server(engine, "frozen") as server:
                os.killpg(server.pid, signal.SIGSTOP)  # alive, connected, silent
                try:
                    wait_until(lambda: "frozen" not in names(engine.tunnels()), 15,
                               message="entry gone within 15 s of silence")
                finally:
                    os.killpg(server.pid, signal.SIGCONT)

    def test_engine_restart_servers_return_within_5_seconds(self):
        home = tempfile.mkdtemp(prefix="rstream-restart-")
        with start_engine(home=home) as engine:
            port = engine.port
            env = engine.client_env()
            with contextlib.ExitStack() as stack:
                for i in range(3):
                    stack.enter_context(tunnel_server(engine, "phoenix-%d" % i))
                engine.stop()
                with start_engine(home=home, listen="127.0.0.1:%d" % port) as again:
                    back = time.monotonic()
                    wait_until(lambda: len([n for n in names(again.tunnels())
                                            if n.startswith("phoenix-")]) == 3, 5,
                               message="every server back within 5 s of the engine's return")
                    self.assertLess(time.monotonic() - back, 5.5)
                    r = run_exec("rstrm://phoenix-1", ["echo", "reborn"], env=env)
                    self.assertEqual((r.returncode, r.stdout), (0, b"reborn\n"), r)

    def test_engine_down_clients_fail_fast_and_sessions_end_cleanly(self):
        with start_engine() as engine:
            env = engine.client_env()
            with tunnel_server(engine, "doomed") as server:
                job = spawn_exec("rstrm://doomed", ["sh", "-c", "echo ready; exec sleep 300"],
                                 env=env)
                job.out.wait_for(b"ready", 30)
                child = wait_until(lambda: [p for p, _ in h.children_of(server.pid)], 10,
                                   message="the remote sleep runs")
                engine.stop(signal.SIGKILL)
                rc, out, err = job.wait(20)
                self.assertEqual(rc, 255)
                self.assertIn(b"rstream:", err)
                wait_until(lambda: not any(h.pid_running(p) for p in child), 10,
                           message="the session's child is cleaned up")
                self.assertIsNone(server.poll(), "the server keeps running and retrying")
            start = time.monotonic()
            r = run_exec("rstrm://doomed", ["true"], env=env)
            self.assertEqual(r.returncode, 255)
            self.assertIn(b"cannot reach the engine", r.stderr)
            self.assertLess(time.monotonic() - start, 5)


class ExecOverEngine(test_exec.ExecTests, unittest.TestCase):
    """The foundation's exec tests, each server reached as rstrm://NAME through an engine."""

    scheme = "rstrm"

    @classmethod
    def setUpClass(cls):
        cls._engine_stack = contextlib.ExitStack()
        engine = cls._engine_stack.enter_context(start_engine())
        cls._engine_stack.enter_context(use_engine(engine))
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls._engine_stack.close()

    # The server's own --token guards direct connections; through the engine, the engine's
    # token does (tested above in EngineBasics.test_token_roles_and_revocation).
    def test_token_required(self):
        self.skipTest("direct-connection token; the engine authenticates routed clients")

    def test_server_token_from_environment(self):
        self.skipTest("direct-connection token; the engine authenticates routed clients")


if __name__ == "__main__":
    unittest.main()
