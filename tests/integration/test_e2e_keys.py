"""`rstream webtty identity|known-server|authorized-client`: the E2E key files.

Each test runs the real binary with its own temporary HOME, so every key file lives under
HOME/.rstream/webtty and nothing touches the developer's keys. No server is needed: these
commands only read and write key files. Checked: stdout carries only the data asked for, file
and directory modes, refusal of key files others can read, and clear errors (exit 2 for bad
input, 1 for other failures) for bad names and bad key strings.
"""

import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import unittest

from rstream_harness import binary, clean_env

LINE = re.compile(r"^rstream-e2e-v1:[A-Za-z0-9_-]{43}$")
FINGERPRINT = re.compile(r"SHA256:[A-Za-z0-9+/]{22}")


class E2eKeyTests(unittest.TestCase):
    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="rstream-e2e-keys-test-")
        self.addCleanup(shutil.rmtree, self.home, True)
        self.root = os.path.join(self.home, ".rstream", "webtty")

    def run_webtty(self, *args, stdin=None):
        """Runs `rstream webtty ARGS...`; returns the CompletedProcess (text)."""
        return subprocess.run([binary(), "webtty", *args], env=clean_env({"HOME": self.home}),
                              input=stdin, capture_output=True, text=True, timeout=30)

    def ok(self, *args, stdin=None):
        proc = self.run_webtty(*args, stdin=stdin)
        self.assertEqual(proc.returncode, 0, "%r failed: %s" % (args, proc.stderr))
        return proc

    def fails(self, code, *args, stdin=None):
        proc = self.run_webtty(*args, stdin=stdin)
        self.assertEqual(proc.returncode, code,
                         "%r: expected exit %d, got %d: %s" % (args, code, proc.returncode,
                                                              proc.stderr))
        self.assertEqual(proc.stdout, "", "%r printed on stdout while failing" % (args,))
        self.assertTrue(proc.stderr.startswith("rstream: ") or code == 2, proc.stderr)
        return proc

    def mode(self, path):
        return stat.S_IMODE(os.stat(path).st_mode)

    def endpoint_identity(self, name):
        out = self.ok("identity", "show", "--name", name, "--endpoint-identity").stdout
        self.assertTrue(out.endswith("\n"))
        self.assertEqual(out.count("\n"), 1, "more than one line: %r" % out)
        line = out.strip()
        self.assertRegex(line, LINE)
        return line

    # ---- identity ----

    def test_identity_create_show_list_delete(self):
        created = self.ok("identity", "create", "--name", "laptop")
        self.assertEqual(created.stdout, "", "create prints its messages on stderr only")
        self.assertRegex(created.stderr, FINGERPRINT)
        path = os.path.join(self.root, "identities", "laptop.json")
        self.assertEqual(self.mode(path), 0o600)
        for d in (os.path.join(self.home, ".rstream"), self.root,
                  os.path.join(self.root, "identities")):
            self.assertEqual(self.mode(d), 0o700, d)

        line = self.endpoint_identity("laptop")
        self.assertIn(line, created.stderr)
        shown = self.ok("identity", "show", "--name", "laptop").stdout
        fingerprint = FINGERPRINT.search(shown).group(0)
        self.assertIn(line, shown)
        self.assertIn(path, shown)
        as_json = json.loads(self.ok("identity", "show", "--name", "laptop", "-o", "json").stdout)
        self.assertEqual(as_json["name"], "laptop")
        self.assertEqual(as_json["endpoint_identity"], line)
        self.assertEqual(as_json["fingerprint"], fingerprint)
        self.assertNotIn("secret_seed", json.dumps(as_json))

        self.ok("identity", "create", "--name", "server-1", "-o", "json")
        table = self.ok("identity", "list").stdout.splitlines()
        self.assertEqual(table[0].split(), ["NAME", "FINGERPRINT", "CREATED"])
        self.assertEqual([row.split()[0] for row in table[1:]], ["laptop", "server-1"])
        self.assertIn(fingerprint, table[1])
        listed = json.loads(self.ok("identity", "list", "-o", "json").stdout)
        self.assertEqual([i["name"] for i in listed], ["laptop", "server-1"])

        deleted = self.ok("identity", "delete", "--name", "laptop")
        self.assertEqual(deleted.stdout, "")
        self.assertFalse(os.path.exists(path))
        missing = self.fails(1, "identity", "show", "--name", "laptop")
        self.assertIn("no identity named 'laptop'", missing.stderr)
        self.assertIn("identity create --name laptop", missing.stderr)
        self.fails(1, "identity", "delete", "--name", "laptop")

    def test_identity_json_on_create(self):
        created = json.loads(self.ok("identity", "create", "--name", "a", "-o", "json").stdout)
        self.assertRegex(created["endpoint_identity"], LINE)
        self.assertEqual(created["endpoint_identity"], self.endpoint_identity("a"))

    def test_create_refuses_to_overwrite(self):
        self.ok("identity", "create", "--name", "k")
        line = self.endpoint_identity("k")
        again = self.fails(1, "identity", "create", "--name", "k")
        self.assertIn("already exists", again.stderr)
        self.assertEqual(self.endpoint_identity("k"), line)

    def test_bad_identity_names(self):
        for bad in ("../evil", "a/b", ".hidden", "a b", ""):
            proc = self.fails(2, "identity", "create", "--name", bad)
            self.assertIn("identity name", proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.root, "evil.json")))
        self.assertFalse(os.path.exists(os.path.join(self.home, ".rstream", "webtty", "identities")))

    def test_key_file_readable_by_others_is_refused(self):
        self.ok("identity", "create", "--name", "k")
        path = os.path.join(self.root, "identities", "k.json")
        os.chmod(path, 0o644)
        proc = self.fails(1, "identity", "show", "--name", "k")
        self.assertIn("key file %s is readable by others (mode 0644); run chmod 600 %s"
                      % (path, path), proc.stderr)
        os.chmod(path, 0o600)
        self.endpoint_identity("k")

    def test_usage_errors(self):
        self.fails(2, "identity")
        self.fails(2, "identity", "show")
        self.fails(2, "identity", "show", "--name", "x", "--endpoint-identity", "-o", "json")
        self.fails(2, "identity", "list", "-o", "yaml")
        self.fails(2, "known-server", "add", "box")
        self.fails(2, "authorized-client", "add", "alice", "--key", "x")

    # ---- known-server ----

    def test_known_server_add_list_remove(self):
        self.ok("identity", "create", "--name", "srv")
        self.ok("identity", "create", "--name", "me")
        key = self.endpoint_identity("srv")
        added = self.ok("known-server", "add", "box", "--key", key)
        self.assertEqual(added.stdout, "")
        self.ok("known-server", "add", "10.0.0.1:7000", "--key", key, "--client-identity", "me")
        path = os.path.join(self.root, "known_servers.json")
        self.assertEqual(self.mode(path), 0o600)

        table = self.ok("known-server", "list").stdout.splitlines()
        self.assertEqual(table[0].split(), ["NAME", "FINGERPRINT", "CLIENT-IDENTITY", "ADDED"])
        self.assertEqual([row.split()[0] for row in table[1:]], ["box", "10.0.0.1:7000"])
        self.assertEqual(table[2].split()[2], "me")
        listed = json.loads(self.ok("known-server", "list", "-o", "json").stdout)
        self.assertEqual(listed[0]["key"], key)
        self.assertNotIn("client_identity", listed[0])
        self.assertEqual(listed[1]["client_identity"], "me")

        self.ok("known-server", "add", "box", "--key", key)  # the same again: no change
        other_client = self.fails(1, "known-server", "add", "box", "--key", key,
                                  "--client-identity", "me")
        self.assertIn("already pinned to this key", other_client.stderr)

        # A pinned key changes only through remove + add.
        self.ok("identity", "create", "--name", "other")
        other = self.endpoint_identity("other")
        changed = self.fails(1, "known-server", "add", "box", "--key", other)
        self.assertIn("already pinned", changed.stderr)
        self.assertIn("known-server remove box", changed.stderr)
        self.ok("known-server", "remove", "box")
        self.fails(1, "known-server", "remove", "box")
        self.ok("known-server", "add", "box", "--key", other)
        self.assertEqual(json.loads(self.ok("known-server", "list", "-o", "json").stdout)[1]["key"],
                         other)

        no_identity = self.fails(1, "known-server", "add", "x", "--key", key,
                                 "--client-identity", "nobody")
        self.assertIn("no identity named 'nobody'", no_identity.stderr)
        self.fails(2, "known-server", "add", "rstrm://box2", "--key", key)

    def test_key_from_stdin(self):
        self.ok("identity", "create", "--name", "srv")
        key = self.endpoint_identity("srv")
        self.ok("known-server", "add", "box", "--key", "-", stdin=key + "\n")
        listed = json.loads(self.ok("known-server", "list", "-o", "json").stdout)
        self.assertEqual(listed[0]["key"], key)

    def test_bad_key_strings(self):
        self.ok("identity", "create", "--name", "srv")
        key = self.endpoint_identity("srv")
        fingerprint = FINGERPRINT.search(self.ok("identity", "show", "--name", "srv").stdout)
        for bad in ("", "nope", key[:-1], key + "x", fingerprint.group(0),
                    key.replace("rstream-e2e-v1:", "rstream-e2e-v9:"),
                    "rstream-e2e-v1:" + "A" * 43):
            for args in (("known-server", "add", "box", "--key", bad),
                         ("authorized-client", "add", "c", "--identity", "srv", "--key", bad)):
                proc = self.fails(2, *args)
                self.assertEqual(proc.stderr.count("rstream: "), 1, proc.stderr)
                self.assertTrue("endpoint identity" in proc.stderr or "usable key" in proc.stderr,
                                proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.root, "known_servers.json")))
        self.assertFalse(os.path.exists(os.path.join(self.root, "authorized_clients", "srv.json")))

    # ---- authorized-client ----

    def test_authorized_client_add_list_remove(self):
        self.ok("identity", "create", "--name", "srv")
        self.ok("identity", "create", "--name", "alice")
        self.ok("identity", "create", "--name", "bob")
        alice, bob = self.endpoint_identity("alice"), self.endpoint_identity("bob")

        empty = self.ok("authorized-client", "list", "--identity", "srv")
        self.assertEqual(empty.stdout, "")
        self.assertEqual(json.loads(
            self.ok("authorized-client", "list", "--identity", "srv", "-o", "json").stdout), [])

        added = self.ok("authorized-client", "add", "alice", "--identity", "srv", "--key", alice)
        self.assertEqual(added.stdout, "")
        self.assertIn("next session", added.stderr)
        self.ok("authorized-client", "add", "bob", "--identity", "srv", "--key", bob)
        path = os.path.join(self.root, "authorized_clients", "srv.json")
        self.assertEqual(self.mode(path), 0o600)
        self.assertEqual(self.mode(os.path.dirname(path)), 0o700)

        table = self.ok("authorized-client", "list", "--identity", "srv").stdout.splitlines()
        self.assertEqual(table[0].split(), ["NAME", "FINGERPRINT", "ADDED", "KEY"])
        self.assertEqual([row.split()[0] for row in table[1:]], ["alice", "bob"])
        self.assertEqual(table[1].split()[3], alice)
        listed = json.loads(
            self.ok("authorized-client", "list", "--identity", "srv", "-o", "json").stdout)
        self.assertEqual([(c["name"], c["key"]) for c in listed], [("alice", alice), ("bob", bob)])

        dup = self.fails(1, "authorized-client", "add", "alice2", "--identity", "srv",
                         "--key", alice)
        self.assertIn("already authorized as 'alice'", dup.stderr)
        self.ok("authorized-client", "remove", "alice", "--identity", "srv")
        gone = self.fails(1, "authorized-client", "remove", "alice", "--identity", "srv")
        self.assertIn("no authorized client named 'alice'", gone.stderr)
        listed = json.loads(
            self.ok("authorized-client", "list", "--identity", "srv", "-o", "json").stdout)
        self.assertEqual([c["name"] for c in listed], ["bob"])

        no_server = self.fails(1, "authorized-client", "add", "carol", "--identity", "nosuch",
                               "--key", bob)
        self.assertIn("no identity named 'nosuch'", no_server.stderr)
        self.fails(2, "authorized-client", "add", "bad/name", "--identity", "srv", "--key", bob)
        self.fails(2, "authorized-client", "list", "--identity", "../srv")
        unknown = self.fails(1, "authorized-client", "list", "--identity", "nosuch")
        self.assertIn("no identity named 'nosuch'", unknown.stderr)

    def test_list_file_writable_by_others_is_refused(self):
        self.ok("identity", "create", "--name", "srv")
        self.ok("identity", "create", "--name", "c")
        self.ok("authorized-client", "add", "c", "--identity", "srv",
                "--key", self.endpoint_identity("c"))
        path = os.path.join(self.root, "authorized_clients", "srv.json")
        os.chmod(path, 0o666)
        proc = self.fails(1, "authorized-client", "list", "--identity", "srv")
        self.assertIn("is writable by others (mode 0666); run chmod 600 " + path, proc.stderr)


if __name__ == "__main__":
    unittest.main()
