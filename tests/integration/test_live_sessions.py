"""Live sessions on the server (daemon mode), through the real binary: the HTTP API
(/api/terminal/sessions, events as JSON and Server-Sent Events, control requests), and
participants over the WebSocket /ws/terminal/{id} (binary = terminal bytes, text = JSON)."""
import base64
import http.client
import json
import os
import socket
import struct
import threading
import time
import unittest

from rstream_harness import (WS_BINARY, WS_CLOSE, WS_TEXT, ConnectionEnded, WebSocketClient,
                             concurrency, start_server, wait_until)

TOKEN = "live-test-token-2e8b4d6f0a1c3e5709b7d1f3a5c8e024"


def api(server, method, path, body=None, token=TOKEN, headers=None, timeout=15):
    """One request; returns (status, parsed JSON or raw text)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    all_headers = {"Content-Type": "application/json"}
    if token:
        all_headers["Authorization"] = "Bearer " + token
    all_headers.update(headers or {})
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    conn.request(method, path, body=data, headers=all_headers)
    response = conn.getresponse()
    raw = response.read()
    conn.close()
    try:
        return response.status, json.loads(raw)
    except ValueError:
        return response.status, raw.decode("utf-8", "replace")


def create(server, **fields):
    status, body = api(server, "POST", "/api/terminal/sessions", fields)
    assert status == 201, (status, body)
    return body


class Participant(WebSocketClient):
    """A /ws/terminal participant that keeps the output bytes and the JSON messages apart."""

    def __init__(self, server, session_id, role=None, name=None, token=TOKEN):
        query = []
        if role:
            query.append("role=" + role)
        if name:
            query.append("name=" + name)
        path = "/ws/terminal/" + session_id + ("?" + "&".join(query) if query else "")
        super().__init__(server.port, path=path, token=token)
        self.output = b""
        self.messages = []
        self.closed = False
        hello = self.wait_message(lambda m: m["type"] in ("hello", "error"))
        self.hello = hello
        self.id = hello.get("participant_id")

    def pump(self, timeout=0.2):
        """Reads what arrives within `timeout`; False once the server closed."""
        try:
            message = self.recv(timeout=timeout)
        except (socket.timeout, TimeoutError):
            return True
        except ConnectionEnded:
            self.closed = True
            return False
        if message is None or message[0] == WS_CLOSE:
            self.closed = True
            return False
        opcode, payload = message
        if opcode == WS_BINARY:
            self.output += payload
        elif opcode == WS_TEXT:
            self.messages.append(json.loads(payload))
        return True

    def wait_output(self, needle, timeout=10):
        deadline = time.monotonic() + timeout
        while needle not in self.output:
            if time.monotonic() > deadline or not self.pump():
                raise AssertionError("%r not seen; output so far %r" % (needle, self.output[-400:]))
        return self.output

    def wait_message(self, predicate, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            for m in self.messages:
                if predicate(m):
                    return m
            if time.monotonic() > deadline or not self.pump():
                raise AssertionError("message not seen; got %r" % self.messages)

    def wait_closed(self, timeout=10):
        deadline = time.monotonic() + timeout
        while not self.closed:
            if time.monotonic() > deadline:
                raise AssertionError("not closed")
            self.pump()

    def type(self, text):
        self.send(WS_BINARY, text.encode() if isinstance(text, str) else text)

    def control(self, **message):
        self.send(WS_TEXT, json.dumps(message).encode())


class CountingReader(threading.Thread):
    """A spectator read at full speed on its own thread: counts the 'x' bytes of the output,
    keeps the JSON messages, and stops at the output's "DONE" marker (or the close). With
    `then_event`, it goes on reading after "DONE" until an event of that type about itself
    arrives: events follow the output they describe, often in a later read."""

    def __init__(self, port, session_id, rcvbuf=None, start=True, then_event=None):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(60)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        request = ("GET /ws/terminal/%s?role=spectator HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                   "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                   "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n"
                   % (session_id, port, key, TOKEN))
        self.sock.sendall(request.encode())
        self.buf = bytearray()
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError("handshake failed")
            self.buf += chunk
        head, _, rest = bytes(self.buf).partition(b"\r\n\r\n")
        assert b" 101 " in head.split(b"\r\n")[0] + b" ", head
        self.buf = bytearray(rest)
        self.x_count = 0
        self.tail = b""
        self.messages = []
        self.id = None
        self.done = False
        self.output_done = False
        self.then_event = then_event
        if start:
            self.start()

    def run(self):
        pos = 0
        while not self.done:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                return
            self.buf += chunk
            while True:
                if len(self.buf) - pos < 2:
                    break
                b0, b1 = self.buf[pos], self.buf[pos + 1]
                n, header = b1 & 0x7F, 2
                if n == 126:
                    if len(self.buf) - pos < 4:
                        break
                    n, header = struct.unpack_from(">H", self.buf, pos + 2)[0], 4
                elif n == 127:
                    if len(self.buf) - pos < 10:
                        break
                    n, header = struct.unpack_from(">Q", self.buf, pos + 2)[0], 10
                if len(self.buf) - pos < header + n:
                    break
                payload = bytes(self.buf[pos + header:pos + header + n])
                pos += header + n
                opcode = b0 & 0x0F
                if opcode == WS_BINARY:
                    self.x_count += payload.count(b"x")
                    self.tail = (self.tail + payload)[-64:]
                    if b"DONE" in self.tail or b"DONE" in payload:  # (also inside a repaint)
                        self.output_done = True
                        self.sock.settimeout(10)  # what follows the output comes at once
                elif opcode == WS_TEXT:
                    message = json.loads(payload)
                    self.messages.append(message)
                    if message["type"] == "hello":
                        self.id = message["participant_id"]
                elif opcode == WS_CLOSE:
                    return
                self.done = self.output_done and (
                    self.then_event is None
                    or any(m["type"] == self.then_event and m.get("participant_id") == self.id
                           for m in self.messages))
            del self.buf[:pos]
            pos = 0


def shell(server, **fields):
    """A session running a plain sh with a fixed prompt, so screens are predictable."""
    fields.setdefault("command", ["sh"])
    env = fields.setdefault("env", {})
    env.setdefault("PS1", "$ ")
    return create(server, **fields)


class LiveSessionApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._ctx = start_server("--token", TOKEN)
        cls.server = cls._ctx.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls._ctx.__exit__(None, None, None)

    def test_create_list_info_and_kill(self):
        made = create(self.server, command=["sleep", "60"], name="sleeper-1", cols=100, rows=30,
                      working_dir="/tmp")
        for field in ("id", "name", "state", "pid", "cols", "rows", "clients", "created_at",
                      "exit_code", "working_dir", "command"):
            self.assertIn(field, made)
        self.assertEqual(made["state"], "running")
        self.assertEqual((made["cols"], made["rows"]), (100, 30))
        self.assertEqual(made["working_dir"], "/tmp")
        self.assertEqual(made["command"], ["sleep", "60"])
        self.assertEqual(made["clients"], 0)
        self.assertIsNone(made["exit_code"])
        status, listed = api(self.server, "GET", "/api/terminal/sessions?status=active")
        self.assertEqual(status, 200)
        self.assertIn(made["id"], [s["id"] for s in listed["sessions"]])
        status, by_name = api(self.server, "GET", "/api/terminal/sessions/sleeper-1")
        self.assertEqual((status, by_name["id"]), (200, made["id"]))
        status, ended = api(self.server, "DELETE", "/api/terminal/sessions/" + made["id"])
        self.assertEqual(status, 200, ended)
        self.assertEqual(ended["state"], "terminated")
        self.assertEqual((ended["exit_code"], ended["signal"]), (128 + 1, 1))  # SIGHUP
        self.assertIsNotNone(ended["terminated_at"])
        with self.assertRaises(ProcessLookupError):
            os.kill(made["pid"], 0)
        # Still listed, as terminated, until cleanup.
        status, body = api(self.server, "GET", "/api/terminal/sessions/" + made["id"])
        self.assertEqual((status, body), (200, ended))
        status, listed = api(self.server, "GET", "/api/terminal/sessions?status=terminated")
        self.assertIn(made["id"], [s["id"] for s in listed["sessions"]])
        status, removed = api(self.server, "POST", "/api/terminal/cleanup")
        self.assertIn(made["id"], removed["removed"])
        status, body = api(self.server, "GET", "/api/terminal/sessions/" + made["id"])
        self.assertEqual((status, body["error"]["code"]), (404, "session_not_found"))

    def test_bad_requests_are_refused_clearly(self):
        cases = [
            ({"working_dir": "/no/such/dir"}, 400, "invalid_working_dir"),
            ({"command": ["no-such-command-xyz"]}, 400, "command_not_found"),
            ({"command": ["/etc/passwd"]}, 400, "command_not_executable"),
            ({"cols": 0}, 400, "invalid_argument"),
            ({"rows": 5000}, 400, "invalid_argument"),
            ({"cols": "wide"}, 400, "invalid_argument"),
            ({"command": 5}, 400, "invalid_argument"),
            ({"env": {"A=B": "x"}}, 400, "invalid_argument"),
            ({"name": "bad\u0007name"}, 400, "invalid_argument"),
        ]
        for body, status, code in cases:
            got, answer = api(self.server, "POST", "/api/terminal/sessions", body)
            self.assertEqual((got, answer["error"]["code"]), (status, code), body)
            self.assertTrue(answer["error"]["message"])
        got, answer = api(self.server, "POST", "/api/terminal/sessions", b"{not json")
        self.assertEqual((got, answer["error"]["code"]), (400, "invalid_argument"))
        got, answer = api(self.server, "PUT", "/api/terminal/sessions")
        self.assertEqual(got, 405)
        got, answer = api(self.server, "GET", "/api/terminal/sessions", token=None)
        self.assertEqual(got, 401)
        got, answer = api(self.server, "GET", "/api/terminal/sessions/x/events?since=-1")
        self.assertEqual(got, 404)
        # The server keeps serving.
        self.assertEqual(api(self.server, "GET", "/api/terminal/sessions")[0], 200)

    def test_names_are_unique_among_running_sessions(self):
        first = create(self.server, command=["sleep", "60"], name="unique-1")
        got, answer = api(self.server, "POST", "/api/terminal/sessions",
                          {"command": ["sleep", "60"], "name": "unique-1"})
        self.assertEqual((got, answer["error"]["code"]), (409, "name_taken"))
        api(self.server, "DELETE", "/api/terminal/sessions/" + first["id"])

    def test_two_participants_see_the_same_bytes_and_spectators_cannot_type(self):
        made = shell(self.server)
        alice = Participant(self.server, made["id"], name="alice")
        self.assertEqual(alice.hello["role"], "controller")
        bob = Participant(self.server, made["id"], name="bob")
        self.assertEqual(bob.hello["role"], "spectator")
        alice.type("echo one-$((40+2))\n")
        alice.wait_output(b"one-42")
        bob.wait_output(b"one-42")
        # The spectator types and resizes: nothing reaches the terminal.
        bob.type("echo spectator-typed\n")
        bob.control(type="resize", cols=33, rows=11)
        error = bob.wait_message(lambda m: m["type"] == "error")
        self.assertIn("spectator", error["message"])
        alice.type("stty size; echo after-$((1+1))\n")
        alice.wait_output(b"after-2")
        bob.wait_output(b"after-2")
        self.assertNotIn(b"spectator-typed", alice.output)
        self.assertNotIn(b"33", alice.output.split(b"stty size")[-1].split(b"after")[0])
        self.assertIn(b"24 80", alice.output)
        # The same bytes, for both (bob joined after the first prompt: compare from there).
        tail = alice.output[alice.output.index(b"one-42"):]
        self.assertIn(tail[:200], bob.output)
        # The controller's resize applies.
        alice.control(type="resize", cols=120, rows=40)
        time.sleep(0.2)
        alice.type("stty size\n")
        alice.wait_output(b"40 120")
        alice.close()
        bob.close()
        api(self.server, "DELETE", "/api/terminal/sessions/" + made["id"])

    def test_control_request_grant_refuse_and_revoke(self):
        made = shell(self.server)
        sid = made["id"]
        alice = Participant(self.server, sid, name="alice")
        bob = Participant(self.server, sid, name="bob")
        # Refused: bob stays a spectator.
        status, request = api(self.server, "POST",
                              "/api/terminal/sessions/%s/control-requests" % sid,
                              {"participant_id": bob.id, "reason": "let me fix it"})
        self.assertEqual((status, request["state"]), (201, "pending"), request)
        seen = alice.wait_message(lambda m: m["type"] == "control_requested")
        self.assertEqual((seen["participant_id"], seen["reason"]), (bob.id, "let me fix it"))
        status, body = api(self.server, "POST",
                           "/api/terminal/sessions/%s/control-requests/%d" % (sid, request["id"]),
                           {"action": "grant", "approver_participant_id": bob.id})
        self.assertEqual((status, body["error"]["code"]), (403, "not_controller"))
        status, body = api(self.server, "POST",
                           "/api/terminal/sessions/%s/control-requests/%d" % (sid, request["id"]),
                           {"action": "refuse", "approver_participant_id": alice.id})
        self.assertEqual((status, body["state"]), (200, "refused"))
        bob.type("echo refused-typed\n")
        alice.type("echo check-$((2+3))\n")
        alice.wait_output(b"check-5")
        self.assertNotIn(b"refused-typed", alice.output)
        # Granted over the WebSocket by the controller: input rights move to bob.
        bob.control(type="request_control", reason="my turn")
        asked = alice.wait_message(lambda m: m["type"] == "control_requested" and m["reason"] == "my turn")
        alice.control(type="resolve_control", request_id=asked["request_id"], action="grant")
        granted = bob.wait_message(lambda m: m["type"] == "control_granted")
        self.assertEqual((granted["participant_id"], granted["previous_controller"]), (bob.id, alice.id))
        alice.type("echo old-controller\n")
        bob.type("echo new-$((3+4))\n")
        bob.wait_output(b"new-7")
        alice.wait_output(b"new-7")
        self.assertNotIn(b"old-controller", bob.output)
        # Revoked by the admin (the token holder): bob can no longer type.
        status, body = api(self.server, "POST",
                           "/api/terminal/sessions/%s/control-requests/%d" % (sid, asked["request_id"]),
                           {"action": "revoke"})
        self.assertEqual((status, body["state"]), (200, "revoked"), body)
        bob.wait_message(lambda m: m["type"] == "controller_revoked")
        bob.type("echo after-revoke\n")
        status, info = api(self.server, "GET", "/api/terminal/sessions/" + sid)
        self.assertIsNone(info["controller"])
        status, listing = api(self.server, "GET", "/api/terminal/sessions/%s/control-requests" % sid)
        self.assertEqual([r["state"] for r in listing["requests"]], ["refused", "revoked"])
        time.sleep(0.3)
        alice.pump()
        self.assertNotIn(b"after-revoke", alice.output)
        alice.close()
        bob.close()
        api(self.server, "DELETE", "/api/terminal/sessions/" + sid)

    def test_events_in_order_and_resumable(self):
        made = shell(self.server)
        sid = made["id"]
        alice = Participant(self.server, sid, name="alice")
        bob = Participant(self.server, sid, name="bob")
        bob.close()
        wait_until(lambda: api(self.server, "GET", "/api/terminal/sessions/" + sid)[1]["clients"] == 1,
                   10, message="bob left")
        status, page = api(self.server, "GET", "/api/terminal/sessions/%s/events" % sid)
        self.assertEqual(status, 200)
        types = [e["type"] for e in page["events"]]
        self.assertEqual(types[:4], ["state_changed", "participant_joined", "participant_joined",
                                     "participant_left"])
        seqs = [e["seq"] for e in page["events"]]
        self.assertEqual(seqs, list(range(1, len(seqs) + 1)))
        self.assertEqual(page["last_seq"], seqs[-1])
        status, rest = api(self.server, "GET", "/api/terminal/sessions/%s/events?since=2" % sid)
        self.assertEqual([e["seq"] for e in rest["events"]], seqs[2:])
        # Server-Sent Events: resumed from seq 2, then live ones as they happen.
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        conn.request("GET", "/api/terminal/sessions/%s/events" % sid,
                     headers={"Authorization": "Bearer " + TOKEN, "Accept": "text/event-stream",
                              "Last-Event-ID": "2"})
        response = conn.getresponse()
        self.assertEqual(response.status, 200)
        self.assertEqual(response.getheader("Content-Type"), "text/event-stream")
        got = []

        def read_event():
            fields = {}
            while True:
                line = response.fp.readline().decode().rstrip("\n")
                if not line:
                    if fields:
                        return fields
                    continue
                if line.startswith(":"):
                    continue
                key, _, value = line.partition(": ")
                fields[key] = value

        for _ in range(len(seqs) - 2):
            got.append(read_event())
        self.assertEqual([int(e["id"]) for e in got], seqs[2:])
        alice.type("exit 7\n")
        live = read_event()
        self.assertEqual(live["event"], "state_changed")
        data = json.loads(live["data"])
        self.assertEqual((data["state"], data["exit_code"], int(live["id"])),
                         ("terminated", 7, seqs[-1] + 1))
        conn.close()
        alice.close()
        api(self.server, "DELETE", "/api/terminal/sessions/" + sid)

    def test_session_outlives_its_clients_and_reattach_replays_the_scrollback(self):
        made = shell(self.server)
        sid = made["id"]
        alice = Participant(self.server, sid)
        alice.type("(sleep 0.5; echo produced-while-$((6*7))-detached) &\n")
        alice.close()
        time.sleep(1.2)
        status, info = api(self.server, "GET", "/api/terminal/sessions/" + sid)
        self.assertEqual((info["state"], info["clients"]), ("running", 0))
        again = Participant(self.server, sid)
        again.wait_output(b"produced-while-42-detached")
        self.assertEqual(again.hello["role"], "controller")
        again.type("echo back-$((1+1))\n")
        again.wait_output(b"back-2")
        again.close()
        api(self.server, "DELETE", "/api/terminal/sessions/" + sid)

    def test_every_participant_gets_the_exit_code_then_cleanup_removes_it(self):
        made = shell(self.server, name="exit-test")
        sid = made["id"]
        people = [Participant(self.server, sid) for _ in range(3)]
        people[0].type("echo bye; exit 3\n")
        for p in people:
            ended = p.wait_message(lambda m: m["type"] == "state_changed" and m["state"] == "terminated")
            self.assertEqual(ended["exit_code"], 3)
            p.wait_output(b"bye")
            p.wait_closed()
        status, listed = api(self.server, "GET", "/api/terminal/sessions?status=terminated")
        self.assertIn(sid, [s["id"] for s in listed["sessions"]])
        status, removed = api(self.server, "POST", "/api/terminal/cleanup")
        self.assertEqual(status, 200)
        self.assertIn(sid, removed["removed"])
        status, _ = api(self.server, "GET", "/api/terminal/sessions/" + sid)
        self.assertEqual(status, 404)

    def test_unknown_session_over_websocket_says_so(self):
        p = Participant(self.server, "no-such-session")
        self.assertEqual(p.hello["type"], "error")
        self.assertIn("no-such-session", p.hello["message"])
        p.wait_closed()

    def test_signal_from_the_controller(self):
        made = create(self.server, command=["sleep", "60"])
        p = Participant(self.server, made["id"])
        p.control(type="signal", signal=15)
        ended = p.wait_message(lambda m: m["type"] == "state_changed" and m["state"] == "terminated")
        self.assertEqual((ended["exit_code"], ended["signal"]), (128 + 15, 15))
        p.close()

    def test_malformed_control_messages_get_errors_and_the_session_goes_on(self):
        made = shell(self.server)
        p = Participant(self.server, made["id"])
        bad_messages = (b"not json", b"[]", b'{"type": 5}', b'{"type":"resize","cols":0,"rows":1}',
                        b'{"type":"nope"}', b'{"type":"signal","signal":99}')
        for count, bad in enumerate(bad_messages, start=1):
            p.send(WS_TEXT, bad)
            wait_until(lambda: p.pump(0.05) and sum(m["type"] == "error" for m in p.messages) >= count,
                       10, message="error for %r" % bad)
        p.type("echo still-$((5+5))\n")
        p.wait_output(b"still-10")
        p.close()
        api(self.server, "DELETE", "/api/terminal/sessions/" + made["id"])


class LiveScrollbackAndBackpressure(unittest.TestCase):
    def test_scrollback_caps_the_history_a_new_participant_gets_with_the_screen(self):
        with start_server("--token", TOKEN, "--scrollback", "4KiB") as server:
            made = create(server, command=["sh", "-c",
                                           "i=0; while [ $i -lt 3000 ]; do printf '\\033[1mline-%d\\033[0m é\\n' $i; i=$((i+1)); done; echo END-MARK; sleep 60"])
            def output_bytes():
                return api(server, "GET", "/api/terminal/sessions/" + made["id"])[1]["output_bytes"]
            sizes = [-1]

            def settled():
                sizes.append(output_bytes())
                return sizes[-1] > 60000 and sizes[-1] == sizes[-2]
            wait_until(settled, 30, interval=0.3, message="all output produced")
            p = Participant(server, made["id"])
            p.wait_output(b"END-MARK")
            # A repaint: history lines (at most 4 KiB of them, each charged 48 bytes more) and
            # the 80x24 screen, in valid UTF-8, starting with the terminal's reset.
            self.assertTrue(p.output.startswith(b"\x1b[?1049l"), p.output[:40])
            p.output.decode("utf-8")
            # (It first scrolls the viewer's 24 rows away with line feeds, then goes home.)
            history = p.output.split(b"\n" * 24 + b"\x1b[H", 1)[1].count(b"\r\n") - 23
            self.assertGreater(history, 20)
            self.assertLessEqual(history, 4096 // 48)
            self.assertLessEqual(len(p.output), 4096 + 80 * 24 * 12)
            self.assertIn(b"\x1b[0;1mline-2999\x1b[0m \xc3\xa9", p.output)
            p.close()

    def test_fifty_spectators_one_paused_the_others_get_everything(self):
        spectators = concurrency(50)
        total = 8 * 1024 * 1024
        with start_server("--token", TOKEN) as server:
            # 8 MiB of 'x' at about 8 MiB/s: readers that keep up lose nothing.
            script = ("read go; i=0; while [ $i -lt 128 ]; do head -c 65536 /dev/zero | tr '\\0' 'x';"
                      " sleep 0.008; i=$((i+1)); done; echo; echo DONE; sleep 60")
            made = create(server, command=["sh", "-c", script])
            sid = made["id"]
            controller = Participant(server, sid)
            readers = [CountingReader(server.port, sid) for _ in range(spectators)]
            # One participant that never reads, with a tiny receive buffer: its queue overflows.
            paused = CountingReader(server.port, sid, rcvbuf=4096, start=False,
                                    then_event="output_skipped")
            controller.type("go\n")
            for r in readers:
                r.join(timeout=120)
                self.assertFalse(r.is_alive(), "a spectator did not finish")
            controller.wait_output(b"DONE", timeout=60)
            for r in readers:
                self.assertTrue(r.done, r.messages[-3:])
                self.assertEqual(r.x_count, total)
                self.assertFalse([m for m in r.messages if m["type"] == "output_skipped"])
            # (The controller was not read during the flood: it was resynced like the paused one.)
            rss_kib = int(open("/proc/%d/status" % server.pid).read().split("VmRSS:")[1].split()[0])
            limit_mib = 200 if os.environ.get("RSTREAM_SANITIZED") != "1" else 600
            self.assertLess(rss_kib, limit_mib * 1024)
            # The paused one, once it reads, is resynced with a repaint of the screen (the
            # session is a terminal) and told how many bytes the repaint replaced.
            paused.start()
            paused.join(timeout=60)
            self.assertTrue(paused.done)
            skipped = [m for m in paused.messages
                       if m["type"] == "output_skipped" and m["participant_id"] == paused.id]
            self.assertTrue(skipped, "the paused spectator was told output was skipped")
            self.assertTrue(all(m["repainted"] for m in skipped), skipped)
            self.assertGreater(sum(m["bytes"] for m in skipped), 0)
            self.assertLess(paused.x_count, total)
            controller.close()


class LiveSessionsOff(unittest.TestCase):
    def test_max_live_sessions_zero_turns_them_off(self):
        home = os.environ.get("HOME")
        with start_server("--max-live-sessions", "0") as server:
            status, body = api(server, "GET", "/api/terminal/sessions", token=None)
            self.assertEqual((status, body["error"]["code"]), (404, "live_disabled"))
        self.assertEqual(home, os.environ.get("HOME"))


if __name__ == "__main__":
    unittest.main()
