#!/usr/bin/env python3
"""Live-session benchmarks (bench/run.sh section 6, or on its own): prints a markdown section.

  1. Keystroke echo: one byte typed into a live session (WebSocket /ws/terminal) until its echo
     comes back, against the same round trip on a local PTY (the limit). Median of N.
  2. Fan-out: a session writes SIZE bytes as fast as it can (raw PTY, `head -c SIZE
     /dev/zero`) while 1, 10 and 100 spectators (`rstream webtty sessions join`, output to a
     pipe read here) receive it, then the same with N bare WebSocket readers in this process:
     bytes per second per spectator, the aggregate, the server's CPU seconds, and whether
     every spectator got every byte. The producer's limit (a local PTY) is measured too.

Usage: live_bench.py RSTREAM_BIN [--quick]   (starts its own server on 127.0.0.1, stops it)
"""
import base64
import json
import os
import pty
import re
import select
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

TOKEN = "bench-live-token-3a5c7e9f1b2d4f6a80c2e4a6b8d0f135"


def log(message):
    sys.stderr.write("[live-bench %s] %s\n" % (time.strftime("%H:%M:%S"), message))


class Server:
    def __init__(self, binary):
        self.proc = subprocess.Popen(
            [binary, "webtty", "server", "--listen", "127.0.0.1:0", "--token", TOKEN,
             "--max-live-sessions", "16"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            start_new_session=True)
        line = self.proc.stdout.readline().decode()
        match = re.match(r"rstream webtty server listening on (\S+):(\d+)", line)
        if not match:
            raise SystemExit("server did not start: %r" % line)
        self.port = int(match.group(2))
        self.url = "http://127.0.0.1:%d" % self.port

    def api(self, method, path, body=None):
        request = urllib.request.Request(
            self.url + path, method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def cpu_seconds(self):
        fields = open("/proc/%d/stat" % self.proc.pid).read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)


class WebSocket:
    """Just enough RFC 6455 for a participant: masked frames out, whole messages in."""

    def __init__(self, port, path):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                           "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n"
                           % (path, port, key, TOKEN)).encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.sock.recv(65536)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0] + b" ":
            raise SystemExit("upgrade refused: %r" % head)

    def send(self, payload, opcode=2):
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        n = len(payload)
        head = bytes([0x80 | opcode]) + (bytes([0x80 | n]) if n < 126 else
                                         bytes([0x80 | 126]) + struct.pack(">H", n))
        self.sock.sendall(head + mask + masked)

    def recv(self):
        while True:
            while len(self.buf) < 2:
                self.buf += self.sock.recv(65536)
            n, header = self.buf[1] & 0x7F, 2
            if n == 126:
                while len(self.buf) < 4:
                    self.buf += self.sock.recv(65536)
                n, header = struct.unpack(">H", self.buf[2:4])[0], 4
            elif n == 127:
                while len(self.buf) < 10:
                    self.buf += self.sock.recv(65536)
                n, header = struct.unpack(">Q", self.buf[2:10])[0], 10
            while len(self.buf) < header + n:
                self.buf += self.sock.recv(65536)
            opcode = self.buf[0] & 0x0F
            payload, self.buf = self.buf[header:header + n], self.buf[header + n:]
            return opcode, payload


def echo_latency_live(server, rounds):
    made = server.api("POST", "/api/terminal/sessions", {"command": ["cat"]})
    ws = WebSocket(server.port, "/ws/terminal/" + made["id"])
    samples = []
    for i in range(rounds + 10):
        key = bytes([ord("a") + i % 26])
        started = time.perf_counter()
        ws.send(key)
        while True:
            opcode, payload = ws.recv()
            if opcode == 2 and key in payload:
                break
        if i >= 10:
            samples.append((time.perf_counter() - started) * 1000)
    ws.sock.close()
    server.api("DELETE", "/api/terminal/sessions/" + made["id"])
    return samples


def echo_latency_local(rounds):
    pid, master = pty.fork()
    if pid == 0:
        os.execvp("cat", ["cat"])
    samples = []
    for i in range(rounds + 10):
        key = bytes([ord("a") + i % 26])
        started = time.perf_counter()
        os.write(master, key)
        got = b""
        while key not in got:
            got += os.read(master, 4096)
        if i >= 10:
            samples.append((time.perf_counter() - started) * 1000)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(master)
    return samples


class _SpectatorStream:
    """Counts one WebSocket's binary payload bytes from raw reads, parsing only frame heads."""

    def __init__(self, ws):
        self.ws = ws
        self.carry = ws.buf  # bytes read with the upgrade response
        self.remaining = 0   # payload bytes left in the current frame
        self.binary = False
        self.received = 0

    def feed(self, view):
        data = self.carry + bytes(view) if self.carry else view
        self.carry = b""
        at, end = 0, len(data)
        while at < end:
            if self.remaining:
                n = min(self.remaining, end - at)
                if self.binary:
                    self.received += n
                self.remaining -= n
                at += n
                continue
            if end - at < 2:
                break
            n, head = data[at + 1] & 0x7F, 2
            if n == 126:
                if end - at < 4:
                    break
                n, head = struct.unpack(">H", bytes(data[at + 2:at + 4]))[0], 4
            elif n == 127:
                if end - at < 10:
                    break
                n, head = struct.unpack(">Q", bytes(data[at + 2:at + 10]))[0], 10
            self.binary = (data[at] & 0x0F) in (0, 2) if (data[at] & 0x0F) else self.binary
            self.remaining = n
            at += head
        if at < end:
            self.carry = bytes(data[at:end])


def fan_out_raw(server, spectators, size):
    """Fan-out to N spectators that are bare WebSocket readers in this one process (epoll,
    recv_into, only frame heads parsed): what the server can deliver, without N client
    processes competing with it for the same two cores."""
    flag = tempfile.mktemp(prefix="rstream-live-go-")
    script = ("stty raw -echo; while [ ! -e %s ]; do sleep 0.01; done; head -c %d /dev/zero"
              % (flag, size))
    made = server.api("POST", "/api/terminal/sessions", {"command": ["sh", "-c", script]})
    sid = made["id"]
    streams = {}
    for _ in range(spectators):
        ws = WebSocket(server.port, "/ws/terminal/%s?role=spectator&name=bench" % sid)
        ws.sock.setblocking(False)
        streams[ws.sock.fileno()] = _SpectatorStream(ws)
    poller = select.epoll()
    for fd in streams:
        poller.register(fd, select.EPOLLIN)
    buffer = bytearray(1 << 20)
    view = memoryview(buffer)
    cpu_before = server.cpu_seconds()
    started = time.perf_counter()
    open(flag, "w").close()
    open_fds = set(streams)
    while open_fds:
        events = poller.poll(60)
        if not events:
            break
        for fd, _ in events:
            stream = streams[fd]
            try:
                n = stream.ws.sock.recv_into(buffer)
            except BlockingIOError:
                continue
            except OSError:
                n = 0
            if n:
                stream.feed(view[:n])
            else:
                poller.unregister(fd)
                open_fds.discard(fd)
    elapsed = time.perf_counter() - started
    cpu = server.cpu_seconds() - cpu_before
    poller.close()
    for stream in streams.values():
        stream.ws.sock.close()
    os.unlink(flag)
    server.api("POST", "/api/terminal/cleanup")
    counts = [st.received for st in streams.values()]
    return {"spectators": spectators, "elapsed": elapsed, "cpu": cpu,
            "per_spectator": statistics.median(counts) / elapsed,
            "aggregate": sum(counts) / elapsed,
            "complete": sum(c >= size for c in counts)}


def pty_rate(size):
    """The producer's limit: a local PTY running `head -c SIZE /dev/zero` (raw), read as fast
    as this process can."""
    pid, master = pty.fork()
    if pid == 0:
        os.execvp("sh", ["sh", "-c", "stty raw -echo; sleep 0.2; head -c %d /dev/zero" % size])
    total, started = 0, None
    while True:
        try:
            chunk = os.read(master, 1 << 16)
        except OSError:
            break
        if not chunk:
            break
        if started is None:
            started = time.perf_counter()
        total += len(chunk)
    elapsed = time.perf_counter() - started
    os.waitpid(pid, 0)
    os.close(master)
    return total / elapsed


def fan_out(binary, server, spectators, size):
    flag = tempfile.mktemp(prefix="rstream-live-go-")
    script = ("stty raw -echo; while [ ! -e %s ]; do sleep 0.01; done; head -c %d /dev/zero"
              % (flag, size))
    made = server.api("POST", "/api/terminal/sessions", {"command": ["sh", "-c", script]})
    sid = made["id"]
    joins = []
    for _ in range(spectators):
        joins.append(subprocess.Popen(
            [binary, "webtty", "sessions", "join", sid, "--url", server.url, "--token", TOKEN,
             "--quiet"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL))
    deadline = time.monotonic() + 60
    while server.api("GET", "/api/terminal/sessions/" + sid)["clients"] < spectators:
        if time.monotonic() > deadline:
            raise SystemExit("spectators did not attach")
        time.sleep(0.05)
    received = {j.stdout.fileno(): 0 for j in joins}
    open_fds = set(received)
    cpu_before = server.cpu_seconds()
    started = time.perf_counter()
    open(flag, "w").close()
    while open_fds:
        ready, _, _ = select.select(list(open_fds), [], [], 60)
        if not ready:
            break
        for fd in ready:
            chunk = os.read(fd, 1 << 20)
            if chunk:
                received[fd] += len(chunk)
            else:
                open_fds.discard(fd)
    elapsed = time.perf_counter() - started
    cpu = server.cpu_seconds() - cpu_before
    for j in joins:
        j.wait(timeout=30)
    os.unlink(flag)
    server.api("POST", "/api/terminal/cleanup")
    counts = list(received.values())
    return {"spectators": spectators, "elapsed": elapsed, "cpu": cpu,
            "per_spectator": statistics.median(counts) / elapsed,
            "aggregate": sum(counts) / elapsed,
            "complete": sum(c >= size for c in counts)}


def main():
    binary = sys.argv[1]
    quick = "--quick" in sys.argv
    rounds = 200 if quick else 1000
    size = (64 if quick else 256) * 1024 * 1024
    server = Server(binary)
    out = ["", "### Live sessions (`webtty server` daemon mode)", ""]
    try:
        log("echo latency: %d round trips, live session and local PTY" % rounds)
        local = echo_latency_local(rounds)
        live = echo_latency_live(server, rounds)
        out += ["Keystroke echo: one byte typed until its echo is read back (median of %d)." % rounds,
                "", "| path | median ms | p90 ms |", "|---|---:|---:|"]
        for label, samples in (("local PTY (`cat`; the limit)", local),
                               ("live session over ws:// (/ws/terminal)", live)):
            p90 = sorted(samples)[int(len(samples) * 0.9)]
            out.append("| %s | %.3f | %.3f |" % (label, statistics.median(samples), p90))
        out.append("| **live − local** | **%+.3f** | |" %
                   (statistics.median(live) - statistics.median(local)))
        log("fan-out: the producer's limit (a local PTY)")
        limit = pty_rate(size)
        out += ["", "Fan-out: the session writes %d MiB (raw PTY, `head -c`) as fast as it can to N "
                "spectators. The producer's limit, a local PTY read by one process: %.0f MB/s." %
                (size >> 20, limit / 1e6), "",
                "| spectators | client | MB/s per spectator (median) | aggregate MB/s | "
                "server CPU s | server CPU per GB delivered | got every byte |",
                "|---:|---|---:|---:|---:|---:|---:|"]
        kinds = (("`sessions join` processes", lambda n: fan_out(binary, server, n, size)),
                 ("WebSocket readers in one process", lambda n: fan_out_raw(server, n, size)))
        for label, run in kinds:
            for n in (1, 10, 100):
                log("fan-out: %d spectators (%s)" % (n, label))
                r = run(n)
                delivered_gb = r["aggregate"] * r["elapsed"] / 1e9
                out.append("| %d | %s | %.0f | %.0f | %.2f | %.2f s | %d of %d |" % (
                    n, label, r["per_spectator"] / 1e6, r["aggregate"] / 1e6, r["cpu"],
                    r["cpu"] / delivered_gb if delivered_gb else 0, r["complete"], n))
        out += ["", "`sessions join` rows: N client processes (WebSocket, terminal output to a pipe "
                "this bench reads) share the machine's cores with the server. The other rows "
                "read the same WebSocket streams in this one process (epoll, frame heads parsed, "
                "payload counted): what the server delivers when its readers cost little."]
    finally:
        server.stop()
    print("\n".join(out))


if __name__ == "__main__":
    main()
