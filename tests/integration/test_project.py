"""`rstream project use|list|current`: the contexts that say which engine and token commands use.

Each test runs the real binary with its own temporary HOME (and no RSTREAM_* variables unless
the test sets them). No engine is needed: these commands only read and write the context file.
Every command's stdout and stderr is checked never to contain the token.
"""

import json
import os
import shutil
import stat
import subprocess
import tempfile
import unittest

from rstream_harness import binary, clean_env

TOKEN = "tok-3f9c2a7e-do-not-print"
OTHER_TOKEN = "tok-b81d44-also-secret"


class ProjectTests(unittest.TestCase):
    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="rstream-project-test-")
        self.addCleanup(shutil.rmtree, self.home, True)

    def project(self, *args, env=None):
        """Runs `rstream project ARGS...`; returns the CompletedProcess (text)."""
        full_env = clean_env({"HOME": self.home})
        full_env.update(env or {})
        proc = subprocess.run([binary(), "project", *args], env=full_env, capture_output=True,
                              text=True, timeout=30)
        for secret in (TOKEN, OTHER_TOKEN):
            self.assertNotIn(secret, proc.stdout, "token printed on stdout by %r" % (args,))
            self.assertNotIn(secret, proc.stderr, "token printed on stderr by %r" % (args,))
        return proc

    def ok(self, *args, env=None):
        proc = self.project(*args, env=env)
        self.assertEqual(proc.returncode, 0, "%r failed: %s" % (args, proc.stderr))
        return proc

    def config_file(self):
        return os.path.join(self.home, ".rstream", "config.json")

    def listed(self, env=None):
        return json.loads(self.ok("list", "-o", "json", env=env).stdout)

    # ---- use an engine URL

    def test_use_url_then_list_and_current(self):
        proc = self.ok("use", "http://127.0.0.1:9/", "--token", TOKEN)
        self.assertEqual(proc.stdout, "")
        self.assertEqual(proc.stderr, "rstream: using context '127.0.0.1:9' (http://127.0.0.1:9)\n")

        self.assertEqual(self.listed(), [{"name": "127.0.0.1:9", "engine": "http://127.0.0.1:9",
                                          "current": True, "has_token": True}])
        self.assertEqual(self.ok("current").stdout, "127.0.0.1:9 http://127.0.0.1:9\n")
        current = json.loads(self.ok("current", "-o", "json").stdout)
        self.assertEqual(current["name"], "127.0.0.1:9")
        self.assertEqual(current["engine"], "http://127.0.0.1:9")
        self.assertTrue(current["has_token"])
        self.assertEqual(current["source"], "current")

        table = self.ok("list").stdout.splitlines()
        self.assertEqual(table[0].split(), ["CURRENT", "NAME", "ENGINE", "TOKEN"])
        self.assertEqual(table[1].split(), ["*", "127.0.0.1:9", "http://127.0.0.1:9", "set"])
        self.assertEqual(len(table), 2)

    def test_config_file_is_private(self):
        self.ok("use", "https://engine.example", "--token", TOKEN)
        self.assertEqual(stat.S_IMODE(os.stat(self.config_file()).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(self.config_file())).st_mode), 0o700)
        with open(self.config_file()) as f:
            saved = json.load(f)
        self.assertEqual(saved["current"], "engine.example:443")
        self.assertEqual(saved["contexts"][0]["engine"], "https://engine.example:443")
        self.assertEqual(saved["contexts"][0]["token"], TOKEN)
        # Rewriting keeps the mode.
        self.ok("use", "http://127.0.0.1:9", "--name", "second")
        self.assertEqual(stat.S_IMODE(os.stat(self.config_file()).st_mode), 0o600)

    def test_token_from_environment_and_kept_when_not_given(self):
        self.ok("use", "http://127.0.0.1:9", "--name", "a",
                env={"RSTREAM_AUTHENTICATION_TOKEN": TOKEN})
        self.assertTrue(self.listed()[0]["has_token"])
        # Using the same URL again without a token keeps the stored one.
        self.ok("use", "http://127.0.0.1:9", "--name", "a")
        self.assertTrue(self.listed()[0]["has_token"])
        # An explicit empty --token clears it.
        self.ok("use", "http://127.0.0.1:9", "--name", "a", "--token", "")
        self.assertFalse(self.listed()[0]["has_token"])

    def test_same_engine_url_reuses_its_context(self):
        self.ok("use", "http://127.0.0.1:9", "--name", "local", "--token", TOKEN)
        proc = self.ok("use", "HTTP://127.0.0.1:9/")
        self.assertIn("using context 'local'", proc.stderr)
        self.assertEqual([c["name"] for c in self.listed()], ["local"])

    # ---- switch by name

    def test_switch_by_name(self):
        self.ok("use", "http://127.0.0.1:9", "--name", "a", "--token", TOKEN)
        self.ok("use", "http://[::1]:8080", "--name", "b", "--token", OTHER_TOKEN)
        self.assertEqual([(c["name"], c["current"]) for c in self.listed()],
                         [("a", False), ("b", True)])
        self.assertEqual(self.ok("current").stdout, "b http://[::1]:8080\n")

        proc = self.ok("use", "a")
        self.assertEqual(proc.stderr, "rstream: using context 'a' (http://127.0.0.1:9)\n")
        self.assertEqual(self.ok("current").stdout, "a http://127.0.0.1:9\n")
        self.assertEqual([(c["name"], c["current"]) for c in self.listed()],
                         [("a", True), ("b", False)])

    def test_unknown_name_fails_and_lists_known_contexts(self):
        self.ok("use", "http://127.0.0.1:9", "--name", "a")
        self.ok("use", "http://127.0.0.1:10", "--name", "b")
        proc = self.project("use", "nope")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("unknown context 'nope'", proc.stderr)
        self.assertIn("known contexts: a, b", proc.stderr)
        self.assertEqual(self.ok("current").stdout, "b http://127.0.0.1:10\n")

        # With nothing configured yet, the message says so.
        empty = tempfile.mkdtemp(prefix="rstream-project-empty-")
        self.addCleanup(shutil.rmtree, empty, True)
        proc = self.project("use", "nope", env={"HOME": empty})
        self.assertEqual(proc.returncode, 1)
        self.assertIn("known contexts: none", proc.stderr)

    # ---- environment and config file location

    def test_rstream_config_names_the_file(self):
        custom = os.path.join(self.home, "elsewhere", "ctx.json")
        env = {"RSTREAM_CONFIG": custom}
        self.ok("use", "http://127.0.0.1:9", "--token", TOKEN, env=env)
        self.assertTrue(os.path.exists(custom))
        self.assertFalse(os.path.exists(self.config_file()))
        self.assertEqual(stat.S_IMODE(os.stat(custom).st_mode), 0o600)
        self.assertEqual(len(self.listed(env=env)), 1)
        self.assertEqual(self.listed(), [])

    def test_environment_overrides_in_current(self):
        self.ok("use", "http://127.0.0.1:9", "--name", "a")
        self.ok("use", "http://127.0.0.1:10", "--name", "b")
        current = json.loads(self.ok("current", "-o", "json", env={
            "RSTREAM_CONTEXT": "a",
            "RSTREAM_ENGINE": "https://override.example:8443",
            "RSTREAM_AUTHENTICATION_TOKEN": TOKEN}).stdout)
        self.assertEqual(current["name"], "a")
        self.assertEqual(current["source"], "RSTREAM_CONTEXT")
        self.assertEqual(current["engine"], "https://override.example:8443")
        self.assertTrue(current["has_token"])
        # `list` marks the context RSTREAM_CONTEXT selects.
        self.assertEqual([c["current"] for c in self.listed(env={"RSTREAM_CONTEXT": "a"})],
                         [True, False])

        proc = self.project("current", env={"RSTREAM_CONTEXT": "zzz"})
        self.assertEqual(proc.returncode, 1)
        self.assertIn("unknown context 'zzz'", proc.stderr)

    def test_engine_variable_alone(self):
        proc = self.ok("current", env={"RSTREAM_ENGINE": "http://10.1.2.3:7000/"})
        self.assertEqual(proc.stdout, "- http://10.1.2.3:7000\n")
        current = json.loads(self.ok("current", "-o", "json",
                                     env={"RSTREAM_ENGINE": "http://10.1.2.3:7000"}).stdout)
        self.assertIsNone(current["name"])
        self.assertEqual(current["source"], "RSTREAM_ENGINE")

    def test_nothing_configured(self):
        proc = self.project("current")
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(proc.stdout, "")
        self.assertIn("no engine configured: run `rstream engine` on this machine, or "
                      "`rstream project use URL --token T`", proc.stderr)
        self.assertEqual(self.listed(), [])
        self.assertEqual(self.ok("list").stdout.split(), ["CURRENT", "NAME", "ENGINE", "TOKEN"])

    # ---- errors

    def test_bad_urls_and_usage(self):
        for url, expected in (("ws://127.0.0.1:9", "unsupported engine URL scheme 'ws'"),
                              ("http://127.0.0.1:9/api", "no path"),
                              ("http://127.0.0.1:99999", "invalid port"),
                              ("http://::1:80", "brackets")):
            proc = self.project("use", url)
            self.assertEqual(proc.returncode, 2, url)
            self.assertIn(expected, proc.stderr, url)
        proc = self.project("use", "https://user:%s@engine.example" % TOKEN)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("user info", proc.stderr)
        self.assertEqual(self.project().returncode, 2)  # a subcommand is required
        self.assertEqual(self.project("use").returncode, 2)
        self.assertEqual(self.project("list", "-o", "yaml").returncode, 2)
        proc = self.project("use", "http://127.0.0.1:9", "--name", "two words")
        self.assertEqual(proc.returncode, 2)
        self.ok("use", "http://127.0.0.1:9", "--name", "a")
        self.assertEqual(self.project("use", "a", "--name", "b").returncode, 2)

    def test_malformed_config_is_reported(self):
        os.makedirs(os.path.dirname(self.config_file()), mode=0o700)
        with open(self.config_file(), "w") as f:
            f.write('{"contexts": [{"name": "a", "engine": "http://a", "token": %s' % TOKEN)
        for args in (("list",), ("current",), ("use", "a"), ("use", "http://127.0.0.1:9")):
            proc = self.project(*args)
            self.assertEqual(proc.returncode, 1, args)
            self.assertIn(self.config_file(), proc.stderr, args)
            self.assertIn("malformed JSON", proc.stderr, args)


if __name__ == "__main__":
    unittest.main()
