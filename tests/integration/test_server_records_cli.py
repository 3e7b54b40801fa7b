"""`rstream webtty server create|list|show|update|enroll|delete` through the real binary against a
real engine: what each prints on stdout and stderr, the records they leave behind (checked through
the engine's API), the enrollment file, and the exit codes of refusals (2 bad command line, 3 no
such server, 4 the token's role does not allow it, 1 the engine said no)."""

import contextlib
import json
import os
import re
import subprocess
import unittest

from rstream_harness import binary, clean_env, start_engine

SERVER_ID = re.compile(r"srv_[0-9a-f]{20}")


class ServerRecordsCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._stack = contextlib.ExitStack()
        cls.engine = cls._stack.enter_context(start_engine())
        status, reader = cls.engine.api("POST", "/api/tokens",
                                        body={"role": "read-only", "name": "reader"})
        assert status == 201, reader
        cls.reader = reader["token"]
        status, ci = cls.engine.api("POST", "/api/tokens", body={"role": "read-write", "name": "ci"})
        assert status == 201, ci
        cls.ci_id = ci["id"]
        cls.names = 0

    @classmethod
    def tearDownClass(cls):
        cls._stack.close()

    def server(self, *args, token=None):
        """`rstream webtty server ARGS` with the engine's HOME (its project context 'local')."""
        env = {"HOME": self.engine.home}
        if token:
            env["RSTREAM_AUTHENTICATION_TOKEN"] = token
        return subprocess.run([binary(), "webtty", "server"] + list(args), capture_output=True,
                              env=clean_env(env), timeout=30)

    def ok(self, *args):
        r = self.server(*args)
        self.assertEqual(r.returncode, 0, r)
        return r

    def new_name(self):
        ServerRecordsCli.names += 1
        return "box-%d" % ServerRecordsCli.names

    def create(self, *args):
        """Creates a record (-o json); its name and the record."""
        name = self.new_name()
        record = json.loads(self.ok("create", name, "-o", "json", *args).stdout)
        return name, record

    def record(self, id_or_name):
        status, body = self.engine.api("GET", "/api/servers/" + id_or_name)
        self.assertEqual(status, 200, body)
        return body

    def test_create_prints_the_id_the_status_and_the_two_commands_to_run_next(self):
        name = self.new_name()
        r = self.ok("create", name, "--description", "CI box", "--label", "role=ci",
                    "--context", "local")
        self.assertEqual(r.stderr, b"")
        server_id = SERVER_ID.search(r.stdout.decode()).group(0)
        lines = r.stdout.decode().splitlines()
        self.assertEqual(lines[0].split(), ["server-id:", server_id])
        self.assertEqual(lines[1].split(), ["status:", "pending_enrollment"])
        self.assertEqual([line.strip() for line in lines[3:]],
                         ["rstream webtty server enroll " + server_id,
                          "rstream webtty server --server-id " + server_id])
        record = self.record(server_id)
        self.assertEqual((record["name"], record["description"], record["labels"]),
                         (name, "CI box", {"role": "ci"}))

    def test_create_with_policies_and_json_output_answers_the_record(self):
        name, record = self.create("--recording-policy", "private", "--encryption-policy",
                                   "explicit_key", "--access-policy", "restricted",
                                   "--allow-token", "ci")
        self.assertEqual(record, self.record(record["id"]))
        self.assertEqual((record["name"], record["status"], record["recording_policy"],
                          record["encryption_policy"], record["access_policy"],
                          record["allowed_token_ids"]),
                         (name, "pending_enrollment", "private", "explicit_key", "restricted",
                          [self.ci_id]))
        r = self.server("create", self.new_name(), "--recording-policy", "sometimes")
        self.assertEqual(r.returncode, 2, r)

    def test_create_with_enroll_enrolls_this_host_and_prints_only_the_run_command(self):
        r = self.ok("create", self.new_name(), "--enroll", "--identity", "box-host")
        server_id = SERVER_ID.search(r.stdout.decode()).group(0)
        text = r.stdout.decode()
        self.assertRegex(text, r"status:\s+enrolled\n")
        self.assertNotIn("server enroll", text)
        self.assertTrue(text.endswith("rstream webtty server --server-id %s\n" % server_id), text)
        enrollment = self.enrollment_file(server_id)
        self.assertIn("enrollment:  " + enrollment, text)
        with open(enrollment) as f:
            self.assertEqual(json.load(f)["identity"], "box-host")
        self.assertEqual(self.record(server_id)["status"], "enrolled")

    def test_list_as_a_table_and_as_json_with_status_and_filter(self):
        web, _ = self.create("--label", "role=web", "--label", "zone=a")
        db, db_record = self.create("--label", "role=db", "--access-policy", "restricted")
        self.ok("enroll", db)
        r = self.ok("list")
        rows = [line.split() for line in r.stdout.decode().splitlines()]
        self.assertEqual(rows[0], ["NAME", "STATUS", "ONLINE", "RECORDING", "ENCRYPTION",
                                   "ACCESS", "LABELS", "SERVER-ID"])
        by_name = {row[0]: row for row in rows[1:]}
        self.assertEqual(by_name[db], [db, "enrolled", "no", "recorded", "disabled", "restricted",
                                       "role=db", db_record["id"]])
        self.assertEqual(by_name[web][1:3] + by_name[web][6:7],
                         ["pending_enrollment", "no", "role=web,zone=a"])
        listed = json.loads(self.ok("list", "-o", "json").stdout)
        status, api = self.engine.api("GET", "/api/servers")
        self.assertEqual(listed, api["servers"], "json is the records as the API gives them")
        enrolled = json.loads(self.ok("list", "--status", "enrolled", "-o", "json").stdout)
        self.assertIn(db, [s["name"] for s in enrolled])
        self.assertNotIn(web, [s["name"] for s in enrolled])
        self.assertTrue(all(s["status"] == "enrolled" for s in enrolled))
        filtered = json.loads(self.ok("list", "--filter", "labels.role=web,online=false",
                                      "-o", "json").stdout)
        self.assertEqual([s["name"] for s in filtered], [web])
        r = self.ok("list", "--filter", "labels.role=nothing")
        self.assertEqual(r.stdout, b"")
        self.assertIn(b"no registered server matches", r.stderr)
        r = self.server("list", "--filter", "colour=blue")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn(b"unknown filter key 'colour'", r.stderr)

    def test_show_by_name_and_by_id(self):
        name, record = self.create("--description", "the db", "--label", "role=db")
        by_name = json.loads(self.ok("show", name, "-o", "json").stdout)
        by_id = json.loads(self.ok("show", record["id"], "-o", "json").stdout)
        self.assertEqual(by_name, by_id)
        self.assertEqual(by_id, record)
        sheet = dict(re.split(r":\s+", line, maxsplit=1)
                     for line in self.ok("show", name).stdout.decode().splitlines())
        self.assertEqual((sheet["server-id"], sheet["name"], sheet["description"],
                          sheet["status"], sheet["online"], sheet["labels"], sheet["access"]),
                         (record["id"], name, "the db", "pending_enrollment", "no (never seen)",
                          "role=db", "project_members"))

    def test_update_labels_policies_and_tokens(self):
        name, record = self.create("--label", "role=db", "--label", "zone=a")
        updated = json.loads(self.ok(
            "update", name, "--label", "zone=b", "--remove-label", "role", "--description", "moved",
            "--recording-policy", "private", "--access-policy", "restricted",
            "--allow-token", "ci", "-o", "json").stdout)
        self.assertEqual(updated, self.record(record["id"]))
        self.assertEqual((updated["labels"], updated["description"], updated["recording_policy"],
                          updated["access_policy"], updated["allowed_token_ids"]),
                         ({"zone": "b"}, "moved", "private", "restricted", [self.ci_id]))
        r = self.ok("update", record["id"], "--disallow-token", "ci")
        self.assertRegex(r.stdout.decode(), r"access:\s+restricted \(tokens: -\)\n")
        self.assertEqual(self.record(record["id"])["allowed_token_ids"], [])
        r = self.server("update", name, "--allow-token", "nobody")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn(b"no token 'nobody' on this engine (see `rstream engine token list`)", r.stderr)

    def test_the_encryption_policy_cannot_be_updated(self):
        name, record = self.create("--encryption-policy", "explicit_key")
        r = self.server("update", name, "--encryption-policy", "disabled")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn(b"--encryption-policy is fixed when a server is created", r.stderr)
        self.assertEqual(r.stdout, b"")
        self.assertEqual(self.record(name), record)

    def enrollment_file(self, server_id):
        return os.path.join(self.engine.home, ".rstream", "webtty", "enrollments",
                            server_id + ".json")

    def test_enroll_writes_the_file_once_until_the_enrollment_is_reset(self):
        name, record = self.create()
        server_id = record["id"]
        r = self.ok("enroll", name)
        path = self.enrollment_file(server_id)
        self.assertIn(path.encode(), r.stdout)
        self.assertTrue(r.stdout.endswith(
            b"rstream webtty server --server-id " + server_id.encode() + b"\n"), r.stdout)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        with open(path) as f:
            enrollment = json.load(f)
        enrolled = self.record(server_id)
        self.assertEqual((enrollment["server_id"], enrollment["name"], enrollment["identity"],
                          enrollment["host_key"]),
                         (server_id, name, "default", enrolled["host_key"]))
        self.assertEqual(enrolled["status"], "enrolled")
        r = self.server("enroll", server_id)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn(b"is enrolled already", r.stderr)
        self.assertIn(b"rstream webtty server update " + server_id.encode() +
                      b" --reset-enrollment", r.stderr)
        self.ok("update", name, "--reset-enrollment")
        self.assertEqual(self.record(server_id)["status"], "pending_enrollment")
        self.ok("enroll", server_id)
        self.assertEqual(self.record(server_id)["status"], "enrolled")

    def test_delete_needs_yes(self):
        name, record = self.create()
        r = self.server("delete", name)
        self.assertEqual(r.returncode, 2, r)
        self.assertIn(b"add --yes", r.stderr)
        self.assertEqual(self.record(name), record)
        r = self.ok("delete", name, "--yes")
        self.assertEqual(r.stdout.decode(), "deleted server %s (%s)\n" % (name, record["id"]))
        status, _ = self.engine.api("GET", "/api/servers/" + record["id"])
        self.assertEqual(status, 404)

    def test_a_read_only_token_lists_but_cannot_create_or_enroll(self):
        name, _ = self.create()
        r = self.server("create", self.new_name(), token=self.reader)
        self.assertEqual(r.returncode, 4, r)
        self.assertIn(b"needs an admin token; token 'reader' is read-only", r.stderr)
        self.assertEqual(r.stdout, b"")
        r = self.server("enroll", name, token=self.reader)
        self.assertEqual(r.returncode, 4, r)
        self.assertIn(b"needs a read-write token", r.stderr)
        r = self.server("list", "-o", "json", token=self.reader)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn(name, [s["name"] for s in json.loads(r.stdout)])

    def test_an_unknown_server_exits_3_with_the_engines_message(self):
        for args in (["show", "nothing-here"], ["update", "nothing-here", "--label", "a=b"],
                     ["enroll", "nothing-here"], ["delete", "nothing-here", "--yes"]):
            r = self.server(*args)
            self.assertEqual(r.returncode, 3, (args, r))
            self.assertEqual(r.stderr, b"rstream: no registered server 'nothing-here' (see "
                                       b"`rstream webtty server list`)\n")
            self.assertEqual(r.stdout, b"")

    def test_help_of_each_subcommand_shows_an_example(self):
        for sub in ("create", "list", "show", "update", "enroll", "delete"):
            r = self.ok(sub, "--help")
            self.assertIn(b"rstream webtty server " + sub.encode() + b" ", r.stdout.split(
                b"Example:")[-1], sub)
        r = self.ok("--help")
        for sub in (b"create", b"list", b"enroll", b"--listen"):
            self.assertIn(sub, r.stdout)


if __name__ == "__main__":
    unittest.main()
