"""`rstream webtty fs` (the client of the filesystem sidecar) against a real
`rstream webtty server --fs-root DIR`.

Every subcommand runs over tcp:// and ws:// URLs (FsCliOverTcp / FsCliOverWs share FsCliTests);
other classes cover https/wss, read-only servers, unreachable servers, the progress line on a
terminal, flat memory while moving a 512 MiB file, and rstrm:// through an engine.
Each test asserts exact bytes, outputs and exit codes (0 ok, 1 failed, 2 usage, 3 not found,
4 permission denied, 255 unreachable).
"""

import contextlib
import hashlib
import json
import os
import pty
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from rstream_harness import (
    binary,
    clean_env,
    make_self_signed_cert,
    start_engine,
    start_server,
    use_engine,
    wait_until,
)

TOKEN = "fs-cli-token-4b9e2f7c1d8a3605e9b2c7f4a1d6e803"
UPLOAD_LIMIT = 8 << 20
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def run_fs(url, sub, *args, token=TOKEN, stdin=b"", env=None, timeout=120, stdout=None):
    """Runs `rstream webtty fs SUB --url URL [--token T] ARGS...` to completion."""
    cmd = [binary(), "webtty", "fs", sub, "--url", url]
    if token:
        cmd += ["--token", token]
    cmd += list(args)
    return subprocess.run(cmd, input=stdin, stdout=stdout or subprocess.PIPE,
                          stderr=subprocess.PIPE, env=clean_env(env), timeout=timeout)


def fs_shell(url, pipeline, token=TOKEN, timeout=120):
    """Runs a shell pipeline where FS stands for `rstream webtty fs` with url/token filled in
    by subcommand: e.g. "printf hi | FS write /x"."""
    prefix = " ".join(shlex.quote(p) for p in [binary(), "webtty", "fs"])
    opts = " --url %s" % shlex.quote(url) + (" --token %s" % shlex.quote(token) if token else "")
    # Put the shared options after the subcommand word.
    script = re.sub(r"\bFS (\w+)", lambda m: "%s %s%s" % (prefix, m.group(1), opts), pipeline)
    return subprocess.run(["bash", "-o", "pipefail", "-c", script], capture_output=True,
                          env=clean_env(), timeout=timeout)


def tree_of(path):
    """{relative path: bytes, or None for a directory} below `path`."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(path):
        rel = os.path.relpath(dirpath, path)
        for d in dirnames:
            out[os.path.normpath(os.path.join(rel, d))] = None
        for f in filenames:
            with open(os.path.join(dirpath, f), "rb") as fh:
                out[os.path.normpath(os.path.join(rel, f))] = fh.read()
    return out


def rfc3339(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(seconds)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FsCliTests:
    """Behaviours of every subcommand; subclasses set `scheme`."""

    scheme = None
    server_args = ("--token", TOKEN)

    @classmethod
    def setUpClass(cls):
        cls._stack = contextlib.ExitStack()
        cls.root = tempfile.mkdtemp(prefix="rstream-fs-cli-root-")
        cls.local = tempfile.mkdtemp(prefix="rstream-fs-cli-local-")
        cls._stack.callback(shutil.rmtree, cls.root, True)
        cls._stack.callback(shutil.rmtree, cls.local, True)
        cls.server = cls._stack.enter_context(start_server(
            *cls.server_args, "--fs-root", cls.root, "--fs-max-upload", str(UPLOAD_LIMIT)))

    @classmethod
    def tearDownClass(cls):
        cls._stack.close()

    def setUp(self):
        # Each test works in its own directory under the root and locally.
        name = self.id().rsplit(".", 1)[-1]
        self.rdir = "/" + name
        self.rpath = os.path.join(self.root, name)
        self.lpath = os.path.join(self.local, name)
        os.mkdir(self.rpath)
        os.mkdir(self.lpath)

    def url(self):
        return self.server.url(self.scheme)

    def fs(self, sub, *args, **kwargs):
        return run_fs(self.url(), sub, *args, **kwargs)

    def put_local(self, rel, data):
        path = os.path.join(self.rpath, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def assertOk(self, r):
        self.assertEqual(r.returncode, 0, r)

    # --- ls / stat -----------------------------------------------------------------------------

    def test_ls_json_sorted_with_kinds_sizes_and_dates(self):
        self.put_local("b.txt", b"hello")
        self.put_local("a dir/inner", b"x")
        self.put_local("c.bin", b"\0" * 1000)
        r = self.fs("ls", "-o", "json", self.rdir)
        self.assertOk(r)
        listing = json.loads(r.stdout)
        self.assertEqual([e["path"] for e in listing],
                         [self.rdir + "/a dir", self.rdir + "/b.txt", self.rdir + "/c.bin"])
        self.assertEqual([(e["kind"], e["size"]) for e in listing],
                         [("directory", 0), ("file", 5), ("file", 1000)])
        for e in listing:
            self.assertEqual(list(e.keys()), ["path", "kind", "size", "modified"])
            self.assertRegex(e["modified"], RFC3339)
        mtime = os.stat(os.path.join(self.rpath, "b.txt")).st_mtime
        self.assertEqual(listing[1]["modified"], rfc3339(mtime))
        self.assertEqual(r.stderr, b"")

    def test_ls_table_for_humans(self):
        self.put_local("file.txt", b"12345")
        os.mkdir(os.path.join(self.rpath, "sub"))
        r = self.fs("ls", self.rdir)
        self.assertOk(r)
        lines = r.stdout.decode().splitlines()
        self.assertEqual(lines[0].split(), ["KIND", "SIZE", "MODIFIED", "NAME"])
        self.assertEqual(lines[1].split()[:2] + lines[1].split()[3:], ["file", "5", "file.txt"])
        self.assertEqual(lines[2].split()[:2] + lines[2].split()[3:], ["dir", "-", "sub/"])

    def test_ls_of_an_empty_directory_prints_nothing(self):
        r = self.fs("ls", "-o", "json", self.rdir)
        self.assertOk(r)
        self.assertEqual(json.loads(r.stdout), [])

    def test_stat_file_and_directory_json(self):
        self.put_local("f", b"abc")
        r = self.fs("stat", "-o", "json", self.rdir + "/f")
        self.assertOk(r)
        entry = json.loads(r.stdout)
        self.assertEqual((entry["path"], entry["kind"], entry["size"]), (self.rdir + "/f", "file", 3))
        r = self.fs("stat", "-o", "json", self.rdir + "//")
        self.assertOk(r)
        self.assertEqual(json.loads(r.stdout)["kind"], "directory")
        self.assertEqual(json.loads(r.stdout)["path"], self.rdir)
        r = self.fs("stat", self.rdir + "/f")
        self.assertOk(r)
        self.assertIn(b"kind:", r.stdout)

    # --- read / write --------------------------------------------------------------------------

    def test_read_is_byte_exact_through_a_pipe(self):
        data = os.urandom(5 << 20)
        self.put_local("random.bin", data)
        r = fs_shell(self.url(), "FS read %s/random.bin | sha256sum" % shlex.quote(self.rdir))
        self.assertOk(r)
        self.assertEqual(r.stdout.split()[0].decode(), hashlib.sha256(data).hexdigest())

    def test_read_ranges(self):
        data = os.urandom(300000)
        self.put_local("r.bin", data)
        path = self.rdir + "/r.bin"
        cases = [
            (["--offset", "1000", "--length", "5000"], data[1000:6000]),
            (["--offset", "299990"], data[299990:]),
            (["--length", "10"], data[:10]),
            (["--offset", "299990", "--length", "100"], data[299990:]),
            (["--offset", "300000"], b""),
            (["--offset", "999999999"], b""),
            (["--length", "0"], b""),
        ]
        for args, expected in cases:
            with self.subTest(args=args):
                r = self.fs("read", path, *args)
                self.assertOk(r)
                self.assertEqual(r.stdout, expected)

    def test_write_from_a_pipe(self):
        r = fs_shell(self.url(), "echo hi | FS write %s/hi.txt" % shlex.quote(self.rdir))
        self.assertOk(r)
        self.assertEqual((r.stdout, r.stderr), (b"", b""))
        with open(os.path.join(self.rpath, "hi.txt"), "rb") as f:
            self.assertEqual(f.read(), b"hi\n")

    def test_write_large_pipe_and_regular_file_stdin(self):
        data = os.urandom(3 << 20)
        src = os.path.join(self.lpath, "src.bin")
        with open(src, "wb") as f:
            f.write(data)
        # A pipe (chunked body), then a regular file on stdin (Content-Length).
        r = fs_shell(self.url(), "cat %s | FS write %s/piped.bin" % (shlex.quote(src),
                                                                     shlex.quote(self.rdir)))
        self.assertOk(r)
        r = fs_shell(self.url(), "FS write %s/redirected.bin < %s" % (shlex.quote(self.rdir),
                                                                      shlex.quote(src)))
        self.assertOk(r)
        for name in ("piped.bin", "redirected.bin"):
            with open(os.path.join(self.rpath, name), "rb") as f:
                self.assertEqual(f.read(), data, name)
        # Replacing keeps working, and an empty stdin makes an empty file.
        r = self.fs("write", self.rdir + "/piped.bin", stdin=b"")
        self.assertOk(r)
        self.assertEqual(os.path.getsize(os.path.join(self.rpath, "piped.bin")), 0)

    def test_names_that_need_encoding(self):
        names = ["with space.txt", "hash#q?.txt", "pct%41.txt", "ünïcødé.txt", "plus+amp&.txt"]
        for name in names:
            with self.subTest(name=name):
                r = self.fs("write", self.rdir + "/" + name, stdin=name.encode())
                self.assertOk(r)
                with open(os.path.join(self.rpath, name), "rb") as f:
                    self.assertEqual(f.read(), name.encode())
                r = self.fs("read", self.rdir + "/" + name)
                self.assertEqual(r.stdout, name.encode())
        r = self.fs("ls", "-o", "json", self.rdir)
        self.assertEqual([e["path"] for e in json.loads(r.stdout)],
                         sorted(self.rdir + "/" + n for n in names))

    def test_read_of_a_directory_fails_clearly(self):
        r = self.fs("read", self.rdir)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn(b"is a directory", r.stderr)
        self.assertEqual(r.stdout, b"")

    # --- upload / download ---------------------------------------------------------------------

    def make_local_tree(self, base):
        files = {
            "top.txt": b"top\n",
            "empty": b"",
            "dir a/nested/deep.bin": os.urandom(200000),
            "dir a/x y.txt": b"spaces",
            "b/\u00e9t\u00e9.txt": "été".encode(),
        }
        for rel, data in files.items():
            path = os.path.join(base, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        os.makedirs(os.path.join(base, "empty dir"))
        return tree_of(base)

    def test_recursive_upload_download_round_trip(self):
        src = os.path.join(self.lpath, "src")
        expected = self.make_local_tree(src)
        r = self.fs("upload", "-r", src, self.rdir + "/copy")
        self.assertOk(r)
        self.assertEqual((r.stdout, r.stderr), (b"", b""))
        self.assertEqual(tree_of(os.path.join(self.rpath, "copy")), expected)
        out = os.path.join(self.lpath, "back")
        r = self.fs("download", "-r", self.rdir + "/copy", out)
        self.assertOk(r)
        self.assertEqual((r.stdout, r.stderr), (b"", b""))
        self.assertEqual(tree_of(out), expected)
        # Into existing directories, like cp -r.
        r = self.fs("upload", "-r", src, self.rdir + "/copy")
        self.assertOk(r)
        self.assertEqual(tree_of(os.path.join(self.rpath, "copy", "src")), expected)
        r = self.fs("download", "-r", self.rdir + "/copy/src", out)
        self.assertOk(r)
        self.assertEqual(tree_of(os.path.join(out, "src")), expected)

    def test_upload_and_download_of_one_file(self):
        data = os.urandom(1 << 20)
        src = os.path.join(self.lpath, "one.bin")
        with open(src, "wb") as f:
            f.write(data)
        r = self.fs("upload", src, self.rdir + "/renamed.bin")
        self.assertOk(r)
        r = self.fs("upload", src, self.rdir)  # into the directory, under its own name
        self.assertOk(r)
        for name in ("renamed.bin", "one.bin"):
            with open(os.path.join(self.rpath, name), "rb") as f:
                self.assertEqual(f.read(), data)
        dest = os.path.join(self.lpath, "down.bin")
        r = self.fs("download", self.rdir + "/renamed.bin", dest)
        self.assertOk(r)
        with open(dest, "rb") as f:
            self.assertEqual(f.read(), data)
        r = self.fs("download", self.rdir + "/one.bin", self.lpath + "/")
        self.assertOk(r)
        self.assertEqual(sorted(os.listdir(self.lpath)), ["down.bin", "one.bin"])

    def test_directories_need_r(self):
        os.mkdir(os.path.join(self.lpath, "d"))
        r = self.fs("upload", os.path.join(self.lpath, "d"), self.rdir + "/d")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn(b"use -r", r.stderr)
        r = self.fs("download", self.rdir, os.path.join(self.lpath, "x"))
        self.assertEqual(r.returncode, 2, r)
        self.assertIn(b"use -r", r.stderr)

    def test_failed_download_leaves_no_file(self):
        dest = os.path.join(self.lpath, "missing.bin")
        r = self.fs("download", self.rdir + "/missing.bin", dest)
        self.assertEqual(r.returncode, 3, r)
        self.assertEqual(os.listdir(self.lpath), [])

    def test_no_progress_when_piped(self):
        src = os.path.join(self.lpath, "p.bin")
        with open(src, "wb") as f:
            f.write(os.urandom(2 << 20))
        r = self.fs("upload", src, self.rdir + "/p.bin")
        self.assertOk(r)
        self.assertEqual(r.stderr, b"")
        r = self.fs("download", self.rdir + "/p.bin", os.path.join(self.lpath, "q.bin"))
        self.assertOk(r)
        self.assertEqual(r.stderr, b"")

    # --- mkdir / rm / mv -----------------------------------------------------------------------

    def test_mkdir(self):
        self.assertOk(self.fs("mkdir", self.rdir + "/new"))
        self.assertTrue(os.path.isdir(os.path.join(self.rpath, "new")))
        r = self.fs("mkdir", self.rdir + "/new")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn(b"already exists", r.stderr)
        r = self.fs("mkdir", self.rdir + "/a/b/c")
        self.assertEqual(r.returncode, 3, r)
        self.assertIn(b"no such file or directory", r.stderr)
        self.assertOk(self.fs("mkdir", "-p", self.rdir + "/a/b/c"))
        self.assertOk(self.fs("mkdir", "-p", self.rdir + "/a/b/c"))
        self.assertTrue(os.path.isdir(os.path.join(self.rpath, "a", "b", "c")))

    def test_rm(self):
        self.put_local("f.txt", b"x")
        self.put_local("d/inner.txt", b"y")
        self.assertOk(self.fs("rm", self.rdir + "/f.txt"))
        self.assertFalse(os.path.exists(os.path.join(self.rpath, "f.txt")))
        r = self.fs("rm", self.rdir + "/d")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn(b"is a directory", r.stderr)
        self.assertTrue(os.path.exists(os.path.join(self.rpath, "d", "inner.txt")))
        self.assertOk(self.fs("rm", "-r", self.rdir + "/d"))
        self.assertEqual(os.listdir(self.rpath), [])

    def test_mv(self):
        self.put_local("from.txt", b"moved")
        self.put_local("other.txt", b"other")
        self.assertOk(self.fs("mv", self.rdir + "/from.txt", self.rdir + "/to dir.txt"))
        self.assertEqual(sorted(os.listdir(self.rpath)), ["other.txt", "to dir.txt"])
        r = self.fs("mv", "-n", self.rdir + "/to dir.txt", self.rdir + "/other.txt")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn(b"already exists", r.stderr)
        self.assertOk(self.fs("mv", self.rdir + "/to dir.txt", self.rdir + "/other.txt"))
        with open(os.path.join(self.rpath, "other.txt"), "rb") as f:
            self.assertEqual(f.read(), b"moved")

    # --- errors --------------------------------------------------------------------------------

    def test_not_found(self):
        missing = self.rdir + "/missing"
        for args in (("read", missing), ("stat", missing), ("ls", missing), ("rm", missing),
                     ("mv", missing, self.rdir + "/x"),
                     ("download", missing, os.path.join(self.lpath, "x"))):
            with self.subTest(args=args):
                r = self.fs(*args)
                self.assertEqual(r.returncode, 3, r)
                self.assertIn(b"no such file or directory: " + missing.encode(), r.stderr)
                self.assertEqual(r.stdout, b"")

    def test_upload_limit(self):
        big = os.path.join(self.lpath, "big.bin")
        with open(big, "wb") as f:
            f.write(os.urandom(UPLOAD_LIMIT + 1))
        r = self.fs("upload", big, self.rdir + "/big.bin")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn(b"upload limit", r.stderr)
        self.assertIn(str(UPLOAD_LIMIT).encode(), r.stderr)
        # Streamed without a length (a pipe): refused while counting.
        r = fs_shell(self.url(), "cat %s | FS write %s/big.bin" % (shlex.quote(big),
                                                                   shlex.quote(self.rdir)))
        self.assertEqual(r.returncode, 1, r)
        self.assertIn(b"upload limit", r.stderr)
        # The server removes its temporary upload file just after it answers 413.
        wait_until(lambda: os.listdir(self.rpath) == [], 10,
                   message="no file left in %s (found %r)" % (self.rpath, os.listdir(self.rpath)))

    def test_dot_dot_and_usage_errors(self):
        r = self.fs("read", self.rdir + "/../etc/passwd")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn(b"'..'", r.stderr)
        r = subprocess.run([binary(), "webtty", "fs", "ls", "/"], capture_output=True,
                           env=clean_env(), timeout=30)
        self.assertEqual(r.returncode, 2, r)
        self.assertIn(b"--url", r.stderr)
        r = self.fs("read", self.rdir, "--offset", "ten")
        self.assertEqual(r.returncode, 2, r)

    def test_token_missing_or_wrong(self):
        self.put_local("t.txt", b"secret")
        r = self.fs("read", self.rdir + "/t.txt", token="")
        self.assertEqual(r.returncode, 4, r)
        self.assertIn(b"token", r.stderr)
        self.assertIn(b"requires one", r.stderr)
        r = self.fs("read", self.rdir + "/t.txt", token="wrong")
        self.assertEqual(r.returncode, 4, r)
        self.assertIn(b"missing or invalid", r.stderr)
        self.assertEqual(r.stdout, b"")
        r = self.fs("read", self.rdir + "/t.txt", token="", env={"RSTREAM_WEBTTY_TOKEN": TOKEN})
        self.assertOk(r)
        self.assertEqual(r.stdout, b"secret")


class FsCliOverTcp(FsCliTests, unittest.TestCase):
    scheme = "tcp"

    def test_http_urls_are_used_as_given(self):
        self.put_local("h.txt", b"via http")
        for url in ("http://127.0.0.1:%d" % self.server.port,
                    "http://127.0.0.1:%d/fs/" % self.server.port):
            with self.subTest(url=url):
                r = run_fs(url, "read", self.rdir + "/h.txt")
                self.assertOk(r)
                self.assertEqual(r.stdout, b"via http")
        r = run_fs(self.url(), "read", self.rdir + "/h.txt", token="",
                   env={"RSTREAM_WEBTTY_URL": self.url(), "RSTREAM_WEBTTY_TOKEN": TOKEN})
        self.assertOk(r)
        r = run_fs("http://127.0.0.1:%d/elsewhere" % self.server.port, "ls", "/")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn(b"nothing is served at", r.stderr)

    def test_stdout_closed_early(self):
        self.put_local("long.bin", os.urandom(4 << 20))
        r = fs_shell(self.url(), "FS read %s/long.bin | head -c 10 > /dev/null"
                     % shlex.quote(self.rdir))
        self.assertEqual(r.returncode, 141, r)
        self.assertEqual(r.stderr, b"")


class FsCliOverWs(FsCliTests, unittest.TestCase):
    scheme = "ws"


class FsCliOverTls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._stack = contextlib.ExitStack()
        cls.tmp = tempfile.mkdtemp(prefix="rstream-fs-tls-")
        cls._stack.callback(shutil.rmtree, cls.tmp, True)
        cls.root = os.path.join(cls.tmp, "root")
        os.mkdir(cls.root)
        cls.cert, cls.key = make_self_signed_cert(cls.tmp)
        cls.server = cls._stack.enter_context(
            start_server("--tls-cert", cls.cert, "--tls-key", cls.key, "--fs-root", cls.root,
                         "--fs-max-upload", "2MiB"))

    @classmethod
    def tearDownClass(cls):
        cls._stack.close()

    def test_tls_wss_https_with_ca(self):
        data = os.urandom(1 << 20)
        for url in (self.server.url("tls"), self.server.url("wss"),
                    "https://127.0.0.1:%d" % self.server.port):
            with self.subTest(url=url):
                r = run_fs(url, "write", "/t.bin", "--tls-ca", self.cert, token="", stdin=data)
                self.assertEqual(r.returncode, 0, r)
                r = run_fs(url, "read", "/t.bin", "--tls-ca", self.cert, token="")
                self.assertEqual((r.returncode, r.stdout), (0, data))

    def test_upload_limit_over_tls(self):
        data = os.urandom(3 << 20)
        for url in (self.server.url("wss"), "https://127.0.0.1:%d" % self.server.port):
            with self.subTest(url=url):
                r = run_fs(url, "write", "/too-big.bin", "--tls-ca", self.cert, token="",
                           stdin=data)
                self.assertEqual(r.returncode, 1, r)
                self.assertIn(b"upload limit", r.stderr)
                # With a Content-Length the server refuses before reading the body.
                src = os.path.join(self.tmp, "big.bin")
                with open(src, "wb") as f:
                    f.write(data)
                r = run_fs(url, "upload", src, "/too-big.bin", "--tls-ca", self.cert, token="")
                self.assertEqual(r.returncode, 1, r)
                self.assertIn(b"upload limit", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.root, "too-big.bin")))

    def test_unverified_certificate_is_refused(self):
        r = run_fs(self.server.url("wss"), "ls", "/", token="")
        self.assertEqual(r.returncode, 255, r)
        self.assertIn(b"127.0.0.1:%d" % self.server.port, r.stderr)
        r = run_fs(self.server.url("wss"), "ls", "/", "--insecure-skip-tls-verify", token="")
        self.assertEqual(r.returncode, 0, r)


class FsCliReadOnly(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._stack = contextlib.ExitStack()
        cls.root = tempfile.mkdtemp(prefix="rstream-fs-ro-")
        cls.local = tempfile.mkdtemp(prefix="rstream-fs-ro-local-")
        cls._stack.callback(shutil.rmtree, cls.root, True)
        cls._stack.callback(shutil.rmtree, cls.local, True)
        with open(os.path.join(cls.root, "keep.txt"), "wb") as f:
            f.write(b"keep")
        os.mkdir(os.path.join(cls.root, "dir"))
        cls.server = cls._stack.enter_context(start_server("--fs-root", cls.root, "--fs-read-only"))

    @classmethod
    def tearDownClass(cls):
        cls._stack.close()

    def test_writes_say_read_only_filesystem(self):
        src = os.path.join(self.local, "u.txt")
        with open(src, "wb") as f:
            f.write(b"u")
        url = self.server.url("tcp")
        for args, stdin in ((("write", "/new.txt"), b"x"), (("write", "/keep.txt"), b"x"),
                            (("upload", src, "/u.txt"), b""), (("upload", "-r", self.local, "/up"), b""),
                            (("mkdir", "/d"), b""), (("rm", "/keep.txt"), b""), (("rm", "-r", "/dir"), b""),
                            (("mv", "/keep.txt", "/moved.txt"), b"")):
            with self.subTest(args=args):
                r = run_fs(url, *args, token="", stdin=stdin)
                self.assertEqual(r.returncode, 4, r)
                self.assertIn(b"read-only filesystem", r.stderr)
        self.assertEqual(sorted(os.listdir(self.root)), ["dir", "keep.txt"])
        with open(os.path.join(self.root, "keep.txt"), "rb") as f:
            self.assertEqual(f.read(), b"keep")
        r = run_fs(url, "read", "/keep.txt", token="")
        self.assertEqual((r.returncode, r.stdout), (0, b"keep"))


class FsCliUnreachable(unittest.TestCase):
    def test_connection_refused_names_the_address(self):
        port = free_port()
        for scheme in ("tcp", "ws", "http"):
            with self.subTest(scheme=scheme):
                r = run_fs("%s://127.0.0.1:%d" % (scheme, port), "ls", "/", token="", timeout=30)
                self.assertEqual(r.returncode, 255, r)
                self.assertIn(b"cannot reach the file server", r.stderr)
                self.assertIn(b"127.0.0.1:%d" % port, r.stderr)

    def test_server_without_fs_root(self):
        with start_server() as server:
            r = run_fs(server.url("tcp"), "ls", "/", token="")
            self.assertEqual(r.returncode, 1, r)
            self.assertIn(b"serves no files", r.stderr)


class FsCliProgressAndMemory(unittest.TestCase):
    """A progress line on a terminal; flat client memory while moving 512 MiB."""

    @classmethod
    def setUpClass(cls):
        cls._stack = contextlib.ExitStack()
        cls.root = tempfile.mkdtemp(prefix="rstream-fs-big-")
        cls.local = tempfile.mkdtemp(prefix="rstream-fs-big-local-")
        cls._stack.callback(shutil.rmtree, cls.root, True)
        cls._stack.callback(shutil.rmtree, cls.local, True)
        cls.server = cls._stack.enter_context(
            start_server("--fs-root", cls.root, "--fs-max-upload", "1GiB"))

    @classmethod
    def tearDownClass(cls):
        cls._stack.close()

    def spawn_measured(self, args, stdin="/dev/null", stdout="/dev/null"):
        """Runs rstream with ARGS; returns (exit code, peak RSS in KiB) of that process alone
        (os.wait4 reports the rusage of exactly the child it reaped)."""
        fin = os.open(stdin, os.O_RDONLY)
        fout = os.open(stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        devnull = os.open("/dev/null", os.O_WRONLY)
        try:
            argv = [binary(), "webtty", "fs"] + list(args)
            pid = os.posix_spawn(binary(), argv, clean_env(),
                                 file_actions=[(os.POSIX_SPAWN_DUP2, fin, 0),
                                               (os.POSIX_SPAWN_DUP2, fout, 1),
                                               (os.POSIX_SPAWN_DUP2, devnull, 2)])
        finally:
            os.close(fin)
            os.close(fout)
            os.close(devnull)
        _, status, usage = os.wait4(pid, 0)
        return os.waitstatus_to_exitcode(status), usage.ru_maxrss

    def test_memory_stays_flat_while_moving_512_mib(self):
        url = self.server.url("tcp")
        size = 512 << 20
        src = os.path.join(self.local, "sparse.bin")
        with open(src, "wb") as f:
            f.truncate(size)  # sparse: cheap to make and to read
        code, small_rss = self.spawn_measured(["ls", "--url", url, "/"])
        self.assertEqual(code, 0)
        code, upload_rss = self.spawn_measured(["upload", "--url", url, src, "/big.bin"])
        self.assertEqual(code, 0)
        self.assertEqual(os.path.getsize(os.path.join(self.root, "big.bin")), size)
        code, read_rss = self.spawn_measured(["read", "--url", url, "/big.bin"])
        self.assertEqual(code, 0)
        code, write_rss = self.spawn_measured(["write", "--url", url, "/big2.bin"], stdin=src)
        self.assertEqual(code, 0)
        self.assertEqual(os.path.getsize(os.path.join(self.root, "big2.bin")), size)
        # A few MiB of buffers at most above what a listing needs; 512 MiB would show plainly.
        for name, rss in (("upload", upload_rss), ("read", read_rss), ("write", write_rss)):
            with self.subTest(name=name):
                self.assertLess(rss - small_rss, 32 << 10,
                                "%s peak RSS %d KiB vs %d KiB for ls" % (name, rss, small_rss))

    def test_progress_line_on_a_terminal(self):
        url = self.server.url("tcp")
        src = os.path.join(self.local, "prog.bin")
        with open(src, "wb") as f:
            f.write(os.urandom(1 << 20))
        master, slave = pty.openpty()
        try:
            proc = subprocess.Popen([binary(), "webtty", "fs", "upload", "--url", url, src,
                                     "/prog.bin"], stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=slave, env=clean_env())
            os.close(slave)
            slave = None
            out, _ = proc.communicate(timeout=60)
            self.assertEqual(proc.returncode, 0)
            self.assertEqual(out, b"")
            seen = b""
            while True:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
            self.assertIn(b"1.0 MiB / 1.0 MiB", seen)
            # --quiet silences it.
            master2, slave2 = pty.openpty()
            r = subprocess.run([binary(), "webtty", "fs", "upload", "--quiet", "--url", url, src,
                                "/prog2.bin"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=slave2, env=clean_env(), timeout=60)
            os.close(slave2)
            self.assertEqual(r.returncode, 0)
            os.set_blocking(master2, False)
            try:
                quiet = os.read(master2, 65536)
            except (BlockingIOError, OSError):
                quiet = b""
            os.close(master2)
            self.assertEqual(quiet, b"")
        finally:
            if slave is not None:
                os.close(slave)
            os.close(master)


class FsCliOverEngine(FsCliTests, unittest.TestCase):
    """The same behaviours with the server reached as rstrm://NAME through an engine (the
    engine's token from the context; the server's own --token guards direct connections)."""

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

    def test_token_missing_or_wrong(self):
        r = self.fs("ls", "/", env={"RSTREAM_AUTHENTICATION_TOKEN": "wrong"})
        self.assertEqual(r.returncode, 4, r)
        self.assertIn(b"token", r.stderr)

    def test_unknown_tunnel(self):
        r = run_fs("rstrm://no-such-tunnel", "ls", "/")
        self.assertNotEqual(r.returncode, 0, r)
        self.assertIn(b"no-such-tunnel", r.stderr)


class FsCliBigAndConcurrent(unittest.TestCase):
    """A large round trip with equal sha256, directly and through the engine, and concurrent
    readers and writers of different files. RSTREAM_FS_BIG_MIB sets the size (1024 by default;
    the sanitizer stage of scripts/test.sh uses less)."""

    @classmethod
    def setUpClass(cls):
        cls.size = int(os.environ.get("RSTREAM_FS_BIG_MIB", "1024")) << 20
        cls._stack = contextlib.ExitStack()
        cls.root = tempfile.mkdtemp(prefix="rstream-fs-big-root-")
        cls.local = tempfile.mkdtemp(prefix="rstream-fs-big-local-")
        cls._stack.callback(shutil.rmtree, cls.root, True)
        cls._stack.callback(shutil.rmtree, cls.local, True)
        engine = cls._stack.enter_context(start_engine())
        cls._stack.enter_context(use_engine(engine))
        cls.server = cls._stack.enter_context(start_server(
            "--token", TOKEN, "--fs-root", cls.root, "--fs-max-upload", str(cls.size + (1 << 20))))
        # A file of `size` bytes: 1 MiB of random bytes, each copy prefixed with its index so
        # that no two MiB are alike (a swapped or repeated block changes the hash).
        cls.source = os.path.join(cls.local, "big.bin")
        block = os.urandom(1 << 20)
        digest = hashlib.sha256()
        with open(cls.source, "wb") as f:
            for i in range(cls.size >> 20):
                piece = i.to_bytes(8, "big") + block[8:]
                f.write(piece)
                digest.update(piece)
        cls.digest = digest.hexdigest()

    @classmethod
    def tearDownClass(cls):
        cls._stack.close()

    def sha256_of(self, path):
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()

    def round_trip(self, scheme):
        url = self.server.url(scheme)
        remote = "/big-%s.bin" % scheme
        back = os.path.join(self.local, "back-%s.bin" % scheme)
        r = run_fs(url, "upload", self.source, remote, timeout=600)
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(os.path.getsize(os.path.join(self.root, remote[1:])), self.size)
        r = run_fs(url, "download", remote, back, timeout=600)
        self.assertEqual(r.returncode, 0, r)
        try:
            self.assertEqual(self.sha256_of(back), self.digest)
            self.assertEqual(self.sha256_of(os.path.join(self.root, remote[1:])), self.digest)
        finally:
            os.unlink(back)
            os.unlink(os.path.join(self.root, remote[1:]))

    def test_round_trip_direct_with_equal_sha256(self):
        self.round_trip("tcp")

    def test_round_trip_through_the_engine_with_equal_sha256(self):
        self.round_trip("rstrm")

    def test_concurrent_readers_and_writers_of_different_files(self):
        # Eight writers and eight readers at once, half of them through the engine.
        files = {}
        for i in range(8):
            data = os.urandom(256 << 10) + bytes([i]) * 4096
            files[i] = data
            with open(os.path.join(self.root, "r%d.bin" % i), "wb") as f:
                f.write(data)
        procs = []
        for i in range(8):
            url = self.server.url("rstrm" if i % 2 else "tcp")
            reader = subprocess.Popen(
                [binary(), "webtty", "fs", "read", "--url", url, "--token", TOKEN, "/r%d.bin" % i],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env())
            writer = subprocess.Popen(
                [binary(), "webtty", "fs", "write", "--url", url, "--token", TOKEN, "/w%d.bin" % i],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=clean_env())
            procs.append((i, reader, writer))
        outputs = {}
        for i, reader, writer in procs:
            _, werr = writer.communicate(files[i][::-1], timeout=120)
            self.assertEqual(writer.returncode, 0, werr)
            rout, rerr = reader.communicate(timeout=120)
            self.assertEqual(reader.returncode, 0, rerr)
            outputs[i] = rout
        for i in range(8):
            self.assertEqual(outputs[i], files[i], "reader %d" % i)
            with open(os.path.join(self.root, "w%d.bin" % i), "rb") as f:
                self.assertEqual(f.read(), files[i][::-1], "writer %d" % i)


if __name__ == "__main__":
    unittest.main()
