"""A recorded server's sessions when the engine's disk fills, through the real binaries: the
engine's data directory is a small tmpfs of its own (a private mount namespace, `unshare -m`).
A running session ends with a message that it can no longer be recorded once the disk is full;
while the disk stays full a new session is refused with a sentence that names the disk, its
free space and what to do; once space is freed, sessions are recorded again. Skipped where
mounting is not allowed."""

import contextlib
import errno
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from rstream_harness import binary, clean_env, start_engine, wait_until
from test_registered_servers import Host

# The engine refuses recorded sessions below 64 MiB free (session_recorder.hpp): a disk a
# little larger starts with room, and a filler file takes it away.
TMPFS_SIZE = "80m"


def can_mount_tmpfs():
    probe = tempfile.mkdtemp(prefix="rstream-mount-probe-")
    try:
        r = subprocess.run(["unshare", "-m", "--propagation", "private", "mount", "-t", "tmpfs",
                            "-o", "size=1m", "tmpfs", probe], capture_output=True, timeout=10)
        return r.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False
    finally:
        os.rmdir(probe)


@unittest.skipUnless(shutil.which("unshare") and can_mount_tmpfs(),
                     "needs unshare(1) and the right to mount a tmpfs")
class RecordingDiskFull(unittest.TestCase):
    def setUp(self):
        self._stack = contextlib.ExitStack()
        self.addCleanup(self._stack.close)
        self.home = tempfile.mkdtemp(prefix="rstream-disk-full-")
        self.addCleanup(shutil.rmtree, self.home, True)
        self.data_dir = os.path.join(self.home, ".rstream", "engine")
        os.makedirs(self.data_dir)
        mount = 'mount -t tmpfs -o size=%s,mode=0700 tmpfs "$0" && exec "$@"' % TMPFS_SIZE
        self.engine = self._stack.enter_context(start_engine(
            home=self.home,
            wrapper=["unshare", "-m", "--propagation", "private", "sh", "-c", mount,
                     self.data_dir]))
        # The engine's files as the engine sees them (its own mount).
        self.engine_view = "/proc/%d/root%s" % (self.engine.pid, self.data_dir)
        r = self.rstream("webtty", "server", "create", "disk-1", "-o", "json")
        self.assertEqual(r.returncode, 0, r)
        server_id = json.loads(r.stdout)["id"]
        host = Host(self.engine)
        self.addCleanup(shutil.rmtree, host.home, True)
        host.enroll(server_id)
        self._stack.enter_context(host.serving(server_id))

    def rstream(self, *args, **kwargs):
        return subprocess.run([binary()] + list(args), capture_output=True,
                              env=clean_env(self.engine.client_env()), timeout=60, **kwargs)

    def fill_the_disk(self):
        """Writes a file into the engine's tmpfs until it is full; returns its path."""
        filler = os.path.join(self.engine_view, "filler")
        chunk = b"\xa5" * (1 << 20)
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(chunk)
                    f.flush()
            except OSError as e:
                self.assertEqual(e.errno, errno.ENOSPC, e)
        return filler

    def test_a_full_disk_ends_running_sessions_and_refuses_new_ones_until_freed(self):
        r = self.rstream("webtty", "exec", "--url", "rstrm://disk-1", "--", "echo", "recorded")
        self.assertEqual((r.returncode, r.stdout), (0, b"recorded\n"), r)
        # A session waits for a line, then prints more than a full disk holds.
        running = subprocess.Popen(
            [binary(), "webtty", "exec", "--url", "rstrm://disk-1", "--", "sh", "-c",
             "read go; head -c 3000000 /dev/urandom | base64"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=clean_env(self.engine.client_env()))
        self.addCleanup(lambda: running.poll() is None and running.kill())
        def listed():
            r = self.rstream("webtty", "sessions", "list", "--status", "active", "-o", "json")
            return r.returncode == 0 and len(json.loads(r.stdout)) == 1
        wait_until(lambda: listed() or running.poll() is not None, 15,
                   message="the session to be listed")
        self.assertIsNone(running.poll(), running.stderr.read() if running.poll() else "")
        filler = self.fill_the_disk()
        out, err = running.communicate(b"go\n", timeout=60)
        self.assertNotEqual(running.returncode, 0, (out[-200:], err))
        self.assertIn(b"can no longer record", err)
        self.assertLess(len(out), 3000000 * 4 // 3, "the session ended before its output did")
        # Refused while the disk is full, with what to do.
        r = self.rstream("webtty", "exec", "--url", "rstrm://disk-1", "--", "echo", "refused")
        self.assertNotEqual(r.returncode, 0, r)
        self.assertNotIn(b"refused\n", r.stdout)
        self.assertIn(b"records its sessions and the engine cannot record now", r.stderr)
        self.assertIn(b"free", r.stderr)
        # Space again: recorded sessions run again.
        os.unlink(filler)
        deadline = time.monotonic() + 20
        while True:
            r = self.rstream("webtty", "exec", "--url", "rstrm://disk-1", "-o", "json", "--",
                             "echo", "again")
            if r.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.assertEqual(r.returncode, 0, r)
        session = json.loads(r.stdout)["session_id"]
        self.assertEqual(self.rstream("webtty", "sessions", "verify", session).returncode, 0)


if __name__ == "__main__":
    unittest.main()
