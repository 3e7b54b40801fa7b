"""The filesystem sidecar on the real server (`webtty server --fs-root DIR`), spoken to over
plain HTTP as any WebDAV client would: every method, the token, read-only mode, confinement,
the upload limit, the refusal next to an E2E identity, and standard clients (curl, rclone)."""

import contextlib
import http.client
import os
import shutil
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET

from rstream_harness import (
    binary,
    clean_env,
    run_exec,
    run_server_to_exit,
    start_engine,
    start_server,
    use_engine,
)

TOKEN = "fs-test-token-7a1c9e3b5d2f4860b1e7c3a9d5f2e604"
DAV = "{DAV:}"


class FsClient:
    """One keep-alive HTTP connection to the server's /fs."""

    def __init__(self, port, token=TOKEN, prefix=""):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        self.token = token
        self.prefix = prefix  # where the server's root appears (through an engine)

    def request(self, method, path, body=None, headers=None, token=None):
        h = dict(headers or {})
        tok = self.token if token is None else token
        if tok:
            h["Authorization"] = "Bearer " + tok
        self.conn.request(method, self.prefix + path, body=body, headers=h)
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.getheader("Connection", "").lower() == "close":
            self.conn.close()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data

    def close(self):
        self.conn.close()


def propfind_names(body):
    tree = ET.fromstring(body)
    return sorted(r.find(DAV + "href").text for r in tree.findall(DAV + "response"))


class FsServerTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._stack = contextlib.ExitStack()
        cls.root = tempfile.mkdtemp(prefix="rstream-fs-root-")
        cls.outside = tempfile.mkdtemp(prefix="rstream-fs-outside-")
        cls._stack.callback(shutil.rmtree, cls.root, True)
        cls._stack.callback(shutil.rmtree, cls.outside, True)
        with open(os.path.join(cls.outside, "secret.txt"), "w") as f:
            f.write("outside the root\n")
        cls.server = cls._stack.enter_context(
            start_server("--token", TOKEN, "--fs-root", cls.root, "--fs-max-upload", "1MiB"))

    @classmethod
    def tearDownClass(cls):
        cls._stack.close()

    def setUp(self):
        self.client = FsClient(self.server.port)
        self.addCleanup(self.client.close)

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def test_put_get_head_and_range(self):
        status, _, _ = self.client.request("PUT", "/fs/hello.txt", body=b"hello, files\n")
        self.assertIn(status, (201, 204))
        with open(self.path("hello.txt"), "rb") as f:
            self.assertEqual(f.read(), b"hello, files\n")
        status, headers, body = self.client.request("GET", "/fs/hello.txt")
        self.assertEqual((status, body), (200, b"hello, files\n"))
        status, headers, body = self.client.request("HEAD", "/fs/hello.txt")
        self.assertEqual((status, body, headers["content-length"]), (200, b"", "13"))
        status, headers, body = self.client.request("GET", "/fs/hello.txt",
                                                    headers={"Range": "bytes=7-11"})
        self.assertEqual((status, body), (206, b"files"))
        self.assertEqual(headers["content-range"], "bytes 7-11/13")
        status, _, _ = self.client.request("GET", "/fs/hello.txt", headers={"Range": "bytes=50-"})
        self.assertEqual(status, 416)

    def test_binary_file_round_trips_byte_exact(self):
        data = bytes(range(256)) * 2000
        status, _, _ = self.client.request("PUT", "/fs/blob.bin", body=data)
        self.assertIn(status, (201, 204))
        status, _, body = self.client.request("GET", "/fs/blob.bin")
        self.assertEqual(status, 200)
        self.assertEqual(body, data)

    def test_mkcol_propfind_move_delete(self):
        self.assertEqual(self.client.request("MKCOL", "/fs/dir")[0], 201)
        self.assertEqual(self.client.request("MKCOL", "/fs/dir")[0], 405)
        self.assertEqual(self.client.request("PUT", "/fs/dir/a%20b.txt", body=b"x")[0], 201)
        status, _, body = self.client.request("PROPFIND", "/fs/dir", headers={"Depth": "1"})
        self.assertEqual(status, 207)
        self.assertEqual(propfind_names(body), ["/fs/dir/", "/fs/dir/a%20b.txt"])
        status, _, body = self.client.request("PROPFIND", "/fs/dir", headers={"Depth": "0"})
        self.assertEqual((status, propfind_names(body)), (207, ["/fs/dir/"]))
        status, _, _ = self.client.request(
            "MOVE", "/fs/dir/a%20b.txt", headers={"Destination": "/fs/dir/c.txt"})
        self.assertEqual(status, 201)
        self.assertTrue(os.path.exists(self.path("dir", "c.txt")))
        self.assertFalse(os.path.exists(self.path("dir", "a b.txt")))
        self.assertEqual(self.client.request("DELETE", "/fs/dir")[0], 204)
        self.assertFalse(os.path.exists(self.path("dir")))

    def test_put_into_missing_directory_is_a_conflict(self):
        self.assertEqual(self.client.request("PUT", "/fs/nowhere/x.txt", body=b"x")[0], 409)
        self.assertFalse(os.path.exists(self.path("nowhere")))

    def test_upload_limit_answers_413_and_leaves_nothing(self):
        status, _, _ = self.client.request("PUT", "/fs/big.bin", body=bytes(2 << 20))
        self.assertEqual(status, 413)
        self.assertFalse(os.path.exists(self.path("big.bin")))
        self.assertEqual([n for n in os.listdir(self.root) if "big" in n], [])

    def test_token_is_required(self):
        for token in ("", "wrong"):
            client = FsClient(self.server.port, token=token)
            self.addCleanup(client.close)
            status, _, body = client.request("GET", "/fs/")
            self.assertEqual(status, 401, body)
            self.assertIn(b"token", body)

    def test_escapes_are_refused_and_nothing_leaks(self):
        os.symlink(os.path.join(self.outside, "secret.txt"), self.path("escape-link"))
        self.addCleanup(os.unlink, self.path("escape-link"))
        for path in ("/fs/../etc/passwd", "/fs/%2e%2e/%2e%2e/etc/passwd", "/fs/a/../../x",
                     "/fs/escape-link", "/fs/%00x"):
            with self.subTest(path=path):
                client = FsClient(self.server.port)
                status, _, body = client.request("GET", path)
                client.close()
                self.assertIn(status, (400, 403, 404), body)
                self.assertNotIn(b"outside the root", body)
                self.assertNotIn(b"root:", body)

    def test_root_cannot_be_deleted_or_moved(self):
        self.assertEqual(self.client.request("DELETE", "/fs/")[0], 403)
        status, _, _ = self.client.request("MOVE", "/fs/", headers={"Destination": "/fs/elsewhere"})
        self.assertEqual(status, 403)
        self.assertTrue(os.path.isdir(self.root))

    def test_unknown_method_and_paths_outside_fs(self):
        self.assertEqual(self.client.request("BREW", "/fs/")[0], 405)
        status, _, body = self.client.request("GET", "/elsewhere")
        self.assertEqual(status, 404)
        self.assertIn(b"/fs", body)

    def test_terminal_sessions_still_work_beside_files(self):
        r = run_exec(self.server.url("tcp"), ["echo", "still here"], options=["--token", TOKEN])
        self.assertEqual((r.returncode, r.stdout), (0, b"still here\n"), r)

    def test_curl_puts_and_gets(self):
        src = os.path.join(self.outside, "curl-src.txt")
        with open(src, "wb") as f:
            f.write(b"sent by curl\n")
        base = "http://127.0.0.1:%d/fs/curl.txt" % self.server.port
        auth = ["-H", "Authorization: Bearer " + TOKEN]
        subprocess.run(["curl", "-sSf", "-T", src, base] + auth, check=True, timeout=30)
        got = subprocess.run(["curl", "-sSf", base] + auth, check=True, timeout=30,
                             capture_output=True).stdout
        self.assertEqual(got, b"sent by curl\n")

    @unittest.skipUnless(shutil.which("rclone"), "rclone is not installed (scripts/setup.sh test)")
    def test_rclone_copies_a_tree_both_ways(self):
        local = tempfile.mkdtemp(prefix="rstream-rclone-")
        self.addCleanup(shutil.rmtree, local, True)
        os.makedirs(os.path.join(local, "tree", "sub"))
        for name, data in (("tree/one.txt", b"one\n"), ("tree/sub/two.bin", bytes(range(256)))):
            with open(os.path.join(local, name), "wb") as f:
                f.write(data)
        remote = ":webdav,url='http://127.0.0.1:%d/fs',bearer_token='%s':" % (self.server.port,
                                                                             TOKEN)
        env = clean_env({"RCLONE_CONFIG": os.path.join(local, "none.conf")})
        subprocess.run(["rclone", "copy", os.path.join(local, "tree"), remote + "rtree"],
                       check=True, timeout=60, env=env, capture_output=True)
        with open(self.path("rtree", "sub", "two.bin"), "rb") as f:
            self.assertEqual(f.read(), bytes(range(256)))
        listing = subprocess.run(["rclone", "lsf", "-R", remote + "rtree"], check=True,
                                 timeout=60, env=env, capture_output=True).stdout.decode()
        self.assertEqual(sorted(listing.split()), ["one.txt", "sub/", "sub/two.bin"])
        back = os.path.join(local, "back")
        subprocess.run(["rclone", "copy", remote + "rtree", back], check=True, timeout=60,
                       env=env, capture_output=True)
        with open(os.path.join(back, "one.txt"), "rb") as f:
            self.assertEqual(f.read(), b"one\n")


class FsReadOnlyTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._stack = contextlib.ExitStack()
        cls.root = tempfile.mkdtemp(prefix="rstream-fs-ro-")
        cls._stack.callback(shutil.rmtree, cls.root, True)
        with open(os.path.join(cls.root, "keep.txt"), "w") as f:
            f.write("keep\n")
        cls.server = cls._stack.enter_context(
            start_server("--fs-root", cls.root, "--fs-read-only"))

    @classmethod
    def tearDownClass(cls):
        cls._stack.close()

    def test_reads_work_and_every_write_is_refused(self):
        client = FsClient(self.server.port, token="")
        self.addCleanup(client.close)
        status, _, body = client.request("GET", "/fs/keep.txt")
        self.assertEqual((status, body), (200, b"keep\n"))
        for method, path, headers in (("PUT", "/fs/new.txt", {}), ("MKCOL", "/fs/d", {}),
                                      ("DELETE", "/fs/keep.txt", {}),
                                      ("MOVE", "/fs/keep.txt", {"Destination": "/fs/k2.txt"})):
            with self.subTest(method=method):
                status, _, body = client.request(method, path, body=b"x" if method == "PUT"
                                                 else None, headers=headers)
                self.assertEqual(status, 403)
                self.assertIn(b"read-only", body)
        self.assertEqual(sorted(os.listdir(self.root)), ["keep.txt"])


class FsThroughEngineTests(unittest.TestCase):
    """The same WebDAV surface at ENGINE/api/tunnels/NAME/fs, for a server that only dials out
    (--no-publish too: files are for native clients), with the engine's token and roles."""

    @classmethod
    def setUpClass(cls):
        cls._stack = contextlib.ExitStack()
        cls.root = tempfile.mkdtemp(prefix="rstream-fs-engine-")
        cls._stack.callback(shutil.rmtree, cls.root, True)
        cls.engine = cls._stack.enter_context(start_engine())
        cls._stack.enter_context(use_engine(cls.engine))
        cls.server = cls._stack.enter_context(
            start_server("--fs-root", cls.root, "--no-publish"))
        cls.plain = cls._stack.enter_context(start_server())
        cls.prefix = "/api/tunnels/" + cls.server.tunnel

    @classmethod
    def tearDownClass(cls):
        cls._stack.close()

    def client(self, token=None):
        c = FsClient(self.engine.port, token=token or self.engine.admin_token, prefix=self.prefix)
        self.addCleanup(c.close)
        return c

    def test_labels_say_fs_and_its_mode(self):
        status, entry = self.engine.api("GET", self.prefix)
        self.assertEqual(status, 200, entry)
        labels = entry["labels"]
        self.assertEqual(labels["rstream.webtty.capabilities"], "exec,fs")
        self.assertEqual(labels["rstream.webtty.fs.mode"], "rw")

    def test_put_get_propfind_move_delete_through_the_engine(self):
        c = self.client()
        data = bytes(range(256)) * 4096  # 1 MiB, several Data frames each way
        self.assertEqual(c.request("PUT", "/fs/through.bin", body=data)[0], 201)
        with open(os.path.join(self.root, "through.bin"), "rb") as f:
            self.assertEqual(f.read(), data)
        status, _, body = c.request("GET", "/fs/through.bin")
        self.assertEqual((status, body == data), (200, True))
        status, headers, body = c.request("GET", "/fs/through.bin", headers={"Range": "bytes=0-3"})
        self.assertEqual((status, body), (206, bytes([0, 1, 2, 3])))
        self.assertEqual(c.request("MKCOL", "/fs/d")[0], 201)
        status, _, body = c.request("PROPFIND", "/fs/", headers={"Depth": "1"})
        self.assertEqual(status, 207)
        # Links name the server's root as the client sees it: under the engine's prefix.
        self.assertIn(self.prefix + "/fs/through.bin", propfind_names(body))
        self.assertIn(self.prefix + "/fs/d/", propfind_names(body))
        destination = "http://127.0.0.1:%d%s/fs/d/moved.bin" % (self.engine.port, self.prefix)
        status, _, body = c.request("MOVE", "/fs/through.bin",
                                    headers={"Destination": destination})
        self.assertEqual(status, 201, body)
        self.assertTrue(os.path.exists(os.path.join(self.root, "d", "moved.bin")))
        self.assertEqual(c.request("DELETE", "/fs/d")[0], 204)
        self.assertEqual(os.listdir(self.root), [])

    def test_refusals_come_through_with_their_status(self):
        c = self.client()
        self.assertEqual(c.request("GET", "/fs/missing.txt")[0], 404)
        self.assertIn(c.request("GET", "/fs/%2e%2e/%2e%2e/etc/passwd")[0], (400, 403, 404))
        self.assertEqual(c.request("DELETE", "/fs/")[0], 403)

    def test_engine_token_and_roles(self):
        anonymous = FsClient(self.engine.port, token="", prefix=self.prefix)
        self.addCleanup(anonymous.close)
        status, _, body = anonymous.request("GET", "/fs/")
        self.assertEqual(status, 401, body)
        status, created = self.engine.api("POST", "/api/tokens",
                                          body={"role": "read-only", "name": "fs-reader"})
        self.assertEqual(status, 201, created)
        reader = self.client(token=created["token"])
        with open(os.path.join(self.root, "r.txt"), "wb") as f:
            f.write(b"readable\n")
        self.addCleanup(os.unlink, os.path.join(self.root, "r.txt"))
        self.assertEqual(reader.request("GET", "/fs/r.txt")[::2], (200, b"readable\n"))
        status, _, body = reader.request("PUT", "/fs/w.txt", body=b"no")
        self.assertEqual(status, 403, body)
        self.assertIn(b"read-only", body)
        self.assertFalse(os.path.exists(os.path.join(self.root, "w.txt")))

    def test_a_server_without_fs_root_says_so(self):
        c = FsClient(self.engine.port, token=self.engine.admin_token,
                     prefix="/api/tunnels/" + self.plain.tunnel)
        self.addCleanup(c.close)
        status, _, body = c.request("GET", "/fs/")
        self.assertEqual(status, 404)
        self.assertIn(b"--fs-root", body)

    def test_upload_limit_through_the_engine(self):
        # The server's 64 MiB default is far; a refused write must still leave nothing.
        c = self.client()
        status, _, _ = c.request("PUT", "/fs/nowhere/x.bin", body=bytes(3 << 20))
        self.assertEqual(status, 409)
        self.assertEqual(os.listdir(self.root), [])


class FsConfigurationTests(unittest.TestCase):
    def test_fs_root_with_an_e2e_identity_is_refused(self):
        home = tempfile.mkdtemp(prefix="rstream-fs-home-")
        self.addCleanup(shutil.rmtree, home, True)
        env = {"HOME": home}
        subprocess.run([binary(), "webtty", "identity", "create", "--name", "srv"], check=True,
                       capture_output=True, env=clean_env(env), timeout=30)
        proc = run_server_to_exit("--listen", "127.0.0.1:0", "--identity", "srv", "--fs-root",
                                  home, env=env)
        self.assertEqual(proc.returncode, 2, proc)
        self.assertIn(b"--fs-root cannot be combined with --identity", proc.stderr)
        self.assertIn(b"not the file API", proc.stderr)
        self.assertEqual(proc.stdout, b"")

    def test_fs_read_only_needs_a_root(self):
        proc = run_server_to_exit("--listen", "127.0.0.1:0", "--fs-read-only")
        self.assertEqual(proc.returncode, 2, proc)
        self.assertIn(b"--fs-root", proc.stderr)


if __name__ == "__main__":
    unittest.main()
