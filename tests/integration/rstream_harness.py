"""Shared helpers for the rstream integration tests (python3 stdlib only).

What is here:
  - binary(): the rstream binary under test (env RSTREAM_BIN).
  - start_server(*args): context manager running `rstream webtty server --listen 127.0.0.1:0`;
    yields a RunningServer with .port, .url(scheme), .stderr (text so far), .proc, .stop().
  - run_exec(url, argv, ...): runs `rstream webtty exec` to completion, bounded by a timeout.
  - spawn_exec(url, argv, ...): starts it in the background (Popen), with a StreamCollector
    on stdout so a test can wait for a marker.
  - FrameClient (raw tcp://) and WsFrameClient (ws://, a minimal hand-written WebSocket
    client) speak WebTTY frames for hand-crafted input.
  - wait_until(cond, timeout): polls a condition with a deadline (never a fixed sleep).
  - process helpers: pid_running(pid), children_of(pid), zombie_children_of(pid).

Every wait here is bounded; every process started here is killed by its owner's cleanup.
"""

import base64
import contextlib
import hashlib
import json
import os
import re
import select
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time

# ---------------------------------------------------------------------------------------------
# binary and environment


def binary():
    path = os.environ.get("RSTREAM_BIN")
    if not path:
        raise RuntimeError("set RSTREAM_BIN to the rstream binary under test")
    if not os.access(path, os.X_OK):
        raise RuntimeError("RSTREAM_BIN=%r is not an executable file" % path)
    return path


# The engine that start_server() registers every server with (see use_engine()), or None.
ACTIVE_ENGINE = None


def concurrency(n):
    """How many concurrent clients a load test starts: `n`, or a quarter of it (at least 10)
    under sanitizers (RSTREAM_SANITIZED=1, set by scripts/test.sh). Each sanitized process is
    tens of MiB resident; hundreds at once exhausted memory and the OOM killer took the server
    under test. The full counts run in the unsanitized stage."""
    if os.environ.get("RSTREAM_SANITIZED"):
        return max(10, n // 4)
    return n


def clean_env(extra=None):
    """The environment for rstream processes: ours without RSTREAM_* (so a developer's
    RSTREAM_WEBTTY_TOKEN or _URL cannot change a test), plus the active engine's address and
    token (see use_engine()), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RSTREAM_")}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    if ACTIVE_ENGINE is not None:
        env.update(ACTIVE_ENGINE.client_env())
    if extra:
        env.update(extra)
    return env


def wait_until(condition, timeout, interval=0.01, message="condition"):
    """Polls `condition()` until it returns a truthy value; returns it. Raises AssertionError
    with `message` when `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, message))
        time.sleep(interval)


# ---------------------------------------------------------------------------------------------
# process inspection (/proc)


def _stat_fields(pid):
    """(state, ppid) of a process, or None if it does not exist."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read().decode("ascii", "replace")
    except (FileNotFoundError, ProcessLookupError):
        return None
    # comm may contain spaces and parentheses: split after the last ')'.
    rest = data[data.rindex(")") + 2:].split()
    return rest[0], int(rest[1])


def pid_running(pid):
    """True while a process exists and is not a zombie (a zombie no longer runs anything)."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def children_of(ppid):
    """[(pid, state)] of the processes whose parent is `ppid`."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        fields = _stat_fields(int(name))
        if fields and fields[1] == ppid:
            out.append((int(name), fields[0]))
    return out


def zombie_children_of(ppid):
    return [pid for pid, state in children_of(ppid) if state == "Z"]


def kill_quietly(proc, sig=signal.SIGKILL):
    """Kills a Popen (if still running) and reaps it."""
    if proc is None:
        return
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)


def kill_pid_quietly(pid, sig=signal.SIGKILL):
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


# ---------------------------------------------------------------------------------------------
# reading a pipe in the background


class StreamCollector:
    """Reads a binary pipe on a thread, keeps everything, and lets a test wait for content."""

    def __init__(self, pipe):
        self._pipe = pipe
        # A descriptor of its own: the owner may close `pipe` while this thread is about to
        # read, and a new pipe could then get the same number and lose its bytes to this thread
        # (a start_server that waited forever for a banner another thread had read).
        self._fd = os.dup(pipe.fileno())
        self._data = bytearray()
        self._cond = threading.Condition()
        self._eof = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        fd = self._fd
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            with self._cond:
                if not chunk:
                    with contextlib.suppress(OSError):
                        os.close(fd)
                    self._eof = True
                    self._cond.notify_all()
                    return
                self._data += chunk
                self._cond.notify_all()

    @property
    def data(self):
        with self._cond:
            return bytes(self._data)

    def wait_for(self, needle, timeout):
        """Waits until `needle` (bytes) appears; raises AssertionError on timeout or EOF."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while needle not in self._data:
                remaining = deadline - time.monotonic()
                if self._eof:
                    raise AssertionError("stream ended without %r; got %r" % (needle, bytes(self._data[-500:])))
                if remaining <= 0:
                    raise AssertionError("timed out waiting for %r; got %r" % (needle, bytes(self._data[-500:])))
                self._cond.wait(remaining)

    def wait_eof(self, timeout):
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise AssertionError("stream did not end within %.1fs" % timeout)
        return self.data


# ---------------------------------------------------------------------------------------------
# server


class RunningServer:
    def __init__(self, proc, stderr_path, host, port, tls, tunnel=None):
        self.tunnel = tunnel
        self.proc = proc
        self.pid = proc.pid
        self.host = host
        self.port = port
        self.tls = tls
        self._stderr_path = stderr_path

    def url(self, scheme="tcp"):
        if scheme == "rstrm":
            if not self.tunnel:
                raise AssertionError("this server has no tunnel (start it under use_engine())")
            return "rstrm://" + self.tunnel
        base = "%s://%s:%d" % (scheme, "127.0.0.1" if self.host in ("0.0.0.0", "127.0.0.1") else self.host, self.port)
        return base + "/webtty" if scheme in ("ws", "wss") else base

    @property
    def stderr(self):
        with open(self._stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Sends `sig` and waits for the exit; returns the exit code (raises on timeout)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)


_BANNER = re.compile(rb"^rstream webtty server listening on (\S+):(\d+)\n$")


@contextlib.contextmanager
def start_server(*args, env=None, listen="127.0.0.1:0", ready_timeout=15):
    """Runs `rstream webtty server --listen 127.0.0.1:0 ARGS...`, reads the bound port from the
    first stdout line, yields a RunningServer, and always stops it (SIGTERM, then SIGKILL)."""
    tmpdir = tempfile.mkdtemp(prefix="rstream-srv-")
    stderr_path = os.path.join(tmpdir, "stderr.log")
    stderr_file = open(stderr_path, "wb")
    cmd = [binary(), "webtty", "server", "--listen", listen] + list(args)
    tunnel = None
    if ACTIVE_ENGINE is not None and "--rstream" not in args:
        tunnel = ACTIVE_ENGINE.next_name()
        cmd += ["--rstream", "--name", tunnel]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr_file,
                            env=clean_env(env), start_new_session=True)
    stderr_file.close()
    try:
        line = _read_line(proc.stdout, ready_timeout)
        match = _BANNER.match(line)
        if not match:
            with open(stderr_path, "rb") as f:
                err = f.read().decode("utf-8", "replace")
            raise AssertionError("server did not print its banner: stdout %r, exit %r, stderr %r"
                                 % (line, proc.poll(), err))
        if tunnel:
            online = b""
            while b"online as rstrm://" not in online:
                online = _read_line(proc.stdout, ready_timeout)
                if not online:
                    raise AssertionError("server exited before its tunnel came online")
        # Keep draining stdout so that nothing the server prints later can block it.
        StreamCollector(proc.stdout)
        server = RunningServer(proc, stderr_path, match.group(1).decode(), int(match.group(2)),
                               tls="--tls-cert" in args, tunnel=tunnel)
        yield server
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        # Anything the server left behind in its own process group goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            proc.stdout.close()
        # A sanitizer report from the server goes to the test log, or it would be lost with
        # the temporary directory.
        with contextlib.suppress(OSError):
            with open(stderr_path, "rb") as f:
                server_log = f.read()
            if b"Sanitizer" in server_log or b"runtime error" in server_log:
                sys.stderr.write("---- server stderr (sanitizer report) ----\n" +
                                 server_log.decode("utf-8", "replace")[-20000:] + "\n")
        with contextlib.suppress(OSError):
            os.unlink(stderr_path)
            os.rmdir(tmpdir)


class RunningEngine:
    """A `rstream engine` on 127.0.0.1 with its own HOME: .url, .port, .admin_token, .home."""

    def __init__(self, proc, stderr_path, port, home):
        self.proc = proc
        self.pid = proc.pid
        self.port = port
        self.home = home
        self.url = "http://127.0.0.1:%d" % port
        self._stderr_path = stderr_path
        self._names = 0
        # Through the engine's own view of the files: a test may give it a mount of its own.
        with open("/proc/%d/root%s" % (proc.pid, os.path.join(os.path.abspath(home), ".rstream",
                                                               "engine", "admin-token"))) as f:
            self.admin_token = f.read().strip()

    @property
    def stderr(self):
        with open(self._stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def client_env(self, token=None):
        """What a server or client needs to use this engine (no context file involved)."""
        return {"RSTREAM_ENGINE": self.url,
                "RSTREAM_AUTHENTICATION_TOKEN": token or self.admin_token}

    def next_name(self):
        self._names += 1
        return "srv-%d-%d" % (os.getpid(), self._names)

    def api(self, method, path, token=None, body=None, timeout=10):
        """One HTTP request to the engine; returns (status, parsed JSON or raw bytes)."""
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {}
        if token != "":
            headers["Authorization"] = "Bearer " + (token or self.admin_token)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        conn.close()
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, raw

    def tunnels(self, token=None):
        status, body = self.api("GET", "/api/tunnels", token)
        assert status == 200, (status, body)
        return body

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)


_ENGINE_BANNER = re.compile(rb"^rstream engine listening on (\S+):(\d+)\n$")


@contextlib.contextmanager
def start_engine(*args, home=None, listen="127.0.0.1:0", ready_timeout=15, wrapper=()):
    """Runs `rstream engine --listen 127.0.0.1:0 ARGS...` with HOME = `home` (a new temporary
    directory by default) and yields a RunningEngine; always stops it. `wrapper`: a command that
    execs the engine's command line given after it (it must keep the process id)."""
    own_home = home is None
    if own_home:
        home = tempfile.mkdtemp(prefix="rstream-engine-home-")
    stderr_path = os.path.join(home, "engine-stderr-%d.log" % time.monotonic_ns())
    stderr_file = open(stderr_path, "wb")
    cmd = list(wrapper) + [binary(), "engine", "--listen", listen] + list(args)
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=stderr_file, env=dict(clean_env(), HOME=home),
                            start_new_session=True)
    stderr_file.close()
    try:
        line = _read_line(proc.stdout, ready_timeout)
        match = _ENGINE_BANNER.match(line)
        if not match:
            with open(stderr_path, "rb") as f:
                err = f.read().decode("utf-8", "replace")
            raise AssertionError("engine did not print its banner: stdout %r, exit %r, stderr %r"
                                 % (line, proc.poll(), err))
        StreamCollector(proc.stdout)
        yield RunningEngine(proc, stderr_path, int(match.group(2)), home)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        with contextlib.suppress(Exception):
            proc.stdout.close()
        if own_home:
            import shutil
            shutil.rmtree(home, ignore_errors=True)


@contextlib.contextmanager
def use_engine(engine):
    """While active, start_server() also registers each server as a tunnel with `engine`
    (server.url("rstrm") is then rstrm://NAME) and every rstream process gets the engine's
    address and admin token."""
    global ACTIVE_ENGINE
    previous = ACTIVE_ENGINE
    ACTIVE_ENGINE = engine
    try:
        yield engine
    finally:
        ACTIVE_ENGINE = previous


def _read_line(pipe, timeout):
    """One line from a binary pipe, bounded by `timeout` (b'' on EOF)."""
    fd = pipe.fileno()
    deadline = time.monotonic() + timeout
    line = b""
    while not line.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError("no complete line within %.1fs (got %r)" % (timeout, line))
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        byte = os.read(fd, 1)
        if not byte:
            return line
        line += byte
    return line


def run_server_to_exit(*args, env=None, timeout=15):
    """Runs a server command that is expected to exit by itself (e.g. a refused configuration)."""
    cmd = [binary(), "webtty", "server"] + list(args)
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, env=clean_env(env),
                          timeout=timeout)


# ---------------------------------------------------------------------------------------------
# exec


class ExecResult:
    def __init__(self, argv, returncode, stdout, stderr, duration):
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.duration = duration

    def json(self):
        return json.loads(self.stdout.decode("utf-8"))

    def __repr__(self):
        return "ExecResult(rc=%r, stdout=%r, stderr=%r, %.2fs)" % (
            self.returncode, self.stdout[:300], self.stderr[:300], self.duration)


def exec_command(url, argv, options=()):
    return [binary(), "webtty", "exec", "--url", url] + list(options) + ["--"] + list(argv)


def run_exec(url, argv, options=(), stdin=b"", env=None, timeout=30):
    """Runs `rstream webtty exec --url URL OPTIONS -- ARGV` to completion and returns an
    ExecResult. `stdin` is bytes, None (/dev/null) or an open file. Raises AssertionError if it
    does not finish within `timeout` seconds (after killing it)."""
    cmd = exec_command(url, argv, options)
    kwargs = dict(stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env(env))
    start = time.monotonic()
    if stdin is None:
        kwargs["stdin"] = subprocess.DEVNULL
    elif isinstance(stdin, (bytes, bytearray)):
        kwargs["input"] = bytes(stdin)
    else:
        kwargs["stdin"] = stdin
    try:
        proc = subprocess.run(cmd, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("exec did not finish within %ss: %r (stdout so far %r, stderr %r)"
                             % (timeout, cmd, (e.stdout or b"")[-300:], (e.stderr or b"")[-300:]))
    return ExecResult(argv, proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)


class BackgroundExec:
    """An exec running in the background: .proc, .out (StreamCollector on stdout), .err."""

    def __init__(self, url, argv, options=(), env=None, stdin=None):
        self.cmd = exec_command(url, argv, options)
        self.proc = subprocess.Popen(self.cmd, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env(env))
        self.out = StreamCollector(self.proc.stdout)
        self.err = StreamCollector(self.proc.stderr)

    def wait(self, timeout):
        """Waits for the exit; returns (returncode, stdout, stderr)."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("exec still running after %ss: %r (stdout %r)"
                                 % (timeout, self.cmd, self.out.data[-300:]))
        return rc, self.out.wait_eof(10), self.err.wait_eof(10)

    def kill(self):
        """Kills the exec client (if running) and closes its pipes."""
        kill_quietly(self.proc)
        with contextlib.suppress(AssertionError):
            self.out.wait_eof(5)
            self.err.wait_eof(5)
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


def spawn_exec(url, argv, options=(), env=None, stdin=None):
    return BackgroundExec(url, argv, options, env, stdin)


def stream_exec(url, argv, options=(), stdin_file=None, timeout=120, chunk=1 << 20):
    """Runs an exec whose stdout may be huge: stdin from an open file, stdout hashed (sha256)
    incrementally, never held whole. Returns (returncode, stdout_sha256_hex, stdout_length,
    stderr bytes). A watchdog kills the process after `timeout` seconds."""
    cmd = exec_command(url, argv, options)
    with tempfile.TemporaryFile() as err_file:
        proc = subprocess.Popen(cmd, stdin=stdin_file if stdin_file is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=err_file, env=clean_env())
        timed_out = threading.Event()

        def on_timeout():
            timed_out.set()
            kill_quietly(proc)

        watchdog = threading.Timer(timeout, on_timeout)
        watchdog.start()
        digest = hashlib.sha256()
        length = 0
        try:
            fd = proc.stdout.fileno()
            while True:
                data = os.read(fd, chunk)
                if not data:
                    break
                digest.update(data)
                length += len(data)
            rc = proc.wait(timeout=max(1, timeout))
        finally:
            watchdog.cancel()
            kill_quietly(proc)
            proc.stdout.close()
        if timed_out.is_set():
            raise AssertionError("exec did not finish within %ss (%d bytes read)" % (timeout, length))
        err_file.seek(0)
        return rc, digest.hexdigest(), length, err_file.read()


# ---------------------------------------------------------------------------------------------
# WebTTY frames

FRAME_OPEN, FRAME_ACK, FRAME_ERROR, FRAME_DATA = 1, 2, 3, 4
FRAME_RESIZE, FRAME_SIGNAL, FRAME_CLOSE, FRAME_HEARTBEAT = 5, 6, 7, 8
STREAM_IN, STREAM_OUT, STREAM_ERR = 0, 1, 2
FLAG_EOS = 0x01


def frame_bytes(ftype, payload=b"", version=1, length=None):
    """One encoded frame; `length` overrides the header's payload length (to lie)."""
    n = len(payload) if length is None else length
    return struct.pack(">BBI", version, ftype, n) + payload


def open_payload(argv, login_shell=False, env=None, workdir="", interactive=False, tty=False,
                 cols=80, rows=24, heartbeat_ms=0, token=""):
    return json.dumps({"argv": list(argv), "login_shell": login_shell, "env": env or {},
                       "workdir": workdir, "interactive": interactive, "tty": tty,
                       "cols": cols, "rows": rows, "heartbeat_ms": heartbeat_ms,
                       "token": token}).encode()


def data_payload(stream, data=b"", eos=False, flags=None):
    return bytes([stream, (FLAG_EOS if eos else 0) if flags is None else flags]) + data


def resize_payload(cols, rows):
    return struct.pack(">HH", cols, rows)


def signal_payload(sig):
    return struct.pack(">i", sig)


class Frame:
    def __init__(self, version, ftype, payload):
        self.version = version
        self.type = ftype
        self.payload = payload

    def json(self):
        return json.loads(self.payload.decode("utf-8"))

    def close_codes(self):
        return struct.unpack(">ii", self.payload)

    def __repr__(self):
        return "Frame(v%d, type=%d, %r)" % (self.version, self.type, self.payload[:200])


class ConnectionEnded(Exception):
    pass


class _FrameReader:
    """What both frame clients share (over self.sock, self._buf, self.reset): receiving more
    bytes, and reading every frame until the connection ends."""

    def _recv_more(self, deadline):
        """Appends what the socket has to self._buf; False on EOF or reset."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("nothing from the server within the deadline (have %r)"
                                 % self._buf[-200:])
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            self.reset = True
            chunk = b""
        if not chunk:
            return False
        self._buf += chunk
        return True

    def read_until_closed(self, timeout=10):
        """All frames until the connection ends; raises socket.timeout if it stays open."""
        deadline = time.monotonic() + timeout
        frames = []
        while True:
            f = self.read_frame(max(0.001, deadline - time.monotonic()))
            if f is None:
                return frames
            frames.append(f)


class FrameClient(_FrameReader):
    """WebTTY over raw TCP (tcp://): frames back to back."""

    def __init__(self, port, host="127.0.0.1", timeout=10):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buf = b""
        self.reset = False  # the connection ended with a reset rather than a clean EOF

    # -- sending
    def send_raw(self, data):
        self.sock.sendall(data)

    def send_message(self, data):
        """On TCP a 'message' is just bytes."""
        self.sock.sendall(data)

    def send_frame(self, ftype, payload=b"", version=1):
        self.sock.sendall(frame_bytes(ftype, payload, version))

    def shutdown_write(self):
        self.sock.shutdown(socket.SHUT_WR)

    # -- receiving
    def _fill(self, n, deadline):
        while len(self._buf) < n:
            if not self._recv_more(deadline):
                return False
        return True

    def read_frame(self, timeout=10):
        """The next frame, or None when the connection ends cleanly between frames. Raises
        socket.timeout when nothing arrives in time and ConnectionEnded mid-frame."""
        deadline = time.monotonic() + timeout
        if not self._fill(6, deadline):
            if self._buf:
                raise ConnectionEnded("connection ended inside a header: %r" % self._buf)
            return None
        version, ftype, length = struct.unpack(">BBI", self._buf[:6])
        if not self._fill(6 + length, deadline):
            raise ConnectionEnded("connection ended inside a frame of %d bytes" % length)
        payload = self._buf[6:6 + length]
        self._buf = self._buf[6 + length:]
        return Frame(version, ftype, payload)

    def wait_closed(self, timeout=10):
        """Waits for EOF, discarding nothing silently: returns any bytes that came first."""
        deadline = time.monotonic() + timeout
        extra = b""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout("connection still open")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                self.reset = True
                return extra
            if not chunk:
                return extra
            extra += chunk

    def close(self):
        with contextlib.suppress(OSError):
            self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
WS_CONT, WS_TEXT, WS_BINARY, WS_CLOSE, WS_PING, WS_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def _mask(payload, key):
    if not payload:
        return b""
    n = len(payload)
    repeated = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(n, "big")


class WebSocketClient(_FrameReader):
    """A minimal RFC 6455 client: handshake by hand, masked frames out, unmasked frames in."""

    def __init__(self, port, path="/webtty", host="127.0.0.1", token=None, timeout=10,
                 tls_context=None):
        raw = socket.create_connection((host, port), timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = tls_context.wrap_socket(raw, server_hostname=host) if tls_context else raw
        self._buf = b""
        self.close_code = None
        self.reset = False
        key = base64.b64encode(os.urandom(16))
        lines = ["GET %s HTTP/1.1" % path, "Host: %s:%d" % (host, port), "Upgrade: websocket",
                 "Connection: Upgrade", "Sec-WebSocket-Key: %s" % key.decode(),
                 "Sec-WebSocket-Version: 13"]
        if token is not None:
            lines.append("Authorization: Bearer %s" % token)
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self._buf:
            if not self._recv_more(deadline):
                raise ConnectionEnded("connection ended during the WebSocket handshake: %r" % self._buf)
        head, self._buf = self._buf.split(b"\r\n\r\n", 1)
        status_line = head.split(b"\r\n")[0]
        if b" 101 " not in status_line + b" ":
            raise ConnectionEnded("WebSocket upgrade refused: %r" % head)
        expected = base64.b64encode(hashlib.sha1(key + WS_GUID).digest())
        headers = {}
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if headers.get(b"sec-websocket-accept") != expected:
            raise ConnectionEnded("bad Sec-WebSocket-Accept in %r" % head)

    def _take(self, n, deadline):
        while len(self._buf) < n:
            if not self._recv_more(deadline):
                raise ConnectionEnded("connection ended inside a WebSocket frame")
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def send(self, opcode, payload, fin=True):
        head = bytes([(0x80 if fin else 0) | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        key = os.urandom(4)
        self.sock.sendall(head + key + _mask(payload, key))

    def recv(self, timeout=10):
        """The next whole message as (opcode, payload); (WS_CLOSE, payload) for a close frame
        (answered); None when the TCP connection ends without one. Pings are answered."""
        deadline = time.monotonic() + timeout
        message_opcode, parts = None, []
        while True:
            while len(self._buf) < 2:
                if not self._recv_more(deadline):
                    if self._buf:
                        raise ConnectionEnded("connection ended inside a WebSocket header")
                    return None
            b0, b1 = self._take(2, deadline)
            fin, opcode, n = b0 & 0x80, b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._take(2, deadline))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._take(8, deadline))[0]
            key = self._take(4, deadline) if b1 & 0x80 else None
            payload = self._take(n, deadline)
            if key:
                payload = _mask(payload, key)
            if opcode == WS_PING:
                self.send(WS_PONG, payload)
                continue
            if opcode == WS_PONG:
                continue
            if opcode == WS_CLOSE:
                self.close_code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
                with contextlib.suppress(OSError):
                    self.send(WS_CLOSE, payload[:2])
                return (WS_CLOSE, payload)
            if opcode != WS_CONT:
                message_opcode = opcode
            parts.append(payload)
            if fin:
                return (message_opcode, b"".join(parts))

    def close(self):
        with contextlib.suppress(OSError):
            self.sock.close()


class WsFrameClient(WebSocketClient):
    """WebTTY over WebSocket (ws://): one frame per binary message; same interface as
    FrameClient."""

    def send_message(self, data, opcode=WS_BINARY):
        self.send(opcode, data)

    def send_raw(self, data):
        self.send(WS_BINARY, data)

    def send_frame(self, ftype, payload=b"", version=1):
        self.send(WS_BINARY, frame_bytes(ftype, payload, version))

    def read_frame(self, timeout=10):
        """The next frame, or None when the server closes (WebSocket close or TCP end)."""
        while True:
            msg = self.recv(timeout)
            if msg is None or msg[0] == WS_CLOSE:
                return None
            opcode, data = msg
            if opcode != WS_BINARY:
                raise ConnectionEnded("server sent a non-binary message: %r" % (msg,))
            if len(data) < 6:
                raise ConnectionEnded("binary message shorter than a frame header: %r" % data)
            version, ftype, length = struct.unpack(">BBI", data[:6])
            if length != len(data) - 6:
                raise ConnectionEnded("message length %d does not match its header (%d)"
                                      % (len(data) - 6, length))
            return Frame(version, ftype, data[6:])

    def wait_tcp_closed(self, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            if not self._recv_more(deadline):
                return

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _complete_response(data):
    """True once `data` holds a whole response with a Content-Length body (keep-alive)."""
    head_end = data.find(b"\r\n\r\n")
    if head_end < 0:
        return False
    match = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", data[:head_end])
    return match is not None and len(data) >= head_end + 4 + int(match.group(1))


def http_request(port, request, timeout=10, host="127.0.0.1"):
    """Sends raw bytes and returns what the server answers: until it closes, or one whole
    response with a Content-Length (the server may keep the connection open for more)."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(request)
        deadline = time.monotonic() + timeout
        out = b""
        while not _complete_response(out):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout("server kept the HTTP connection open: %r" % out)
            s.settimeout(remaining)
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                return out
            if not chunk:
                return out
            out += chunk
        return out


# ---------------------------------------------------------------------------------------------
# TLS material


def make_self_signed_cert(directory):
    """Writes cert.pem/key.pem (CN=localhost, SAN IP:127.0.0.1, DNS:localhost) with openssl."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=IP:127.0.0.1,DNS:localhost", "-days", "1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def client_tls_context(cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    return ctx
