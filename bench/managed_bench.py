#!/usr/bin/env python3
"""Managed sessions through the engine (bench/run.sh section 8, or on its own): prints a
markdown section. Python 3 standard library only.

One fresh engine (`rstream engine --listen 127.0.0.1:0`, HOME and its SQLite store in a temp
dir) and three servers attached to it, each also listening directly on 127.0.0.1:0:
`bench-rec` and `bench-priv`, registered servers (created, enrolled from a HOME of their own,
run with --server-id) whose recording policy is `recorded` and `private`, and `bench-light`, a
lightweight tunnel (`--rstream --name`, no record). Every session to the first two through the
engine is a managed session (the engine's live router parses and fans out its frames); the
lightweight tunnel's streams are spliced.

  1. Throughput: `head -c SIZE /dev/zero | rstream webtty exec --url rstrm://NAME -- cat
     > /dev/null` to each of the three, the rows alternating, median of REPS; the engine's
     CPU seconds per GB moved. Ratios recorded ÷ private (the issue's target ≥ 0.8×) and
     recorded ÷ lightweight.
  2. Recording size: the growth of the engine's engine.db + engine.db-wal over the recorded
     runs, per MB of output; each recorded run's recording is checked (`sessions events ID
     (GET /api/webtty/sessions/ID/events?limit=1: policy, events, bytes, ended) and one is verified (`sessions verify`).
  3. Fan-out: a managed interactive session on `bench-priv` (`webtty client --url
     rstrm://bench-priv -- sh -c ...` on a PTY this script reads) writes FAN MiB of raw PTY
     output (`head -c`) as fast as it can to 1, 10 and 100 spectators (`rstream webtty sessions
     join ID`, no --url: the engine of the environment's context), stdout to a pipe read here:
     rate per spectator, aggregate, engine CPU seconds per GB delivered (/proc/PID/stat).
  4. Keystroke echo: `rstream webtty client --url URL -- cat` on a PTY, one byte written until
     its echo comes back (median, p90 of N), through the engine (rstrm://) and directly
     (tcp://, the same server process) for each of the three servers, the two taking turns.

Usage: managed_bench.py RSTREAM_BIN [--quick]   (starts and stops everything it uses; every
process is on 127.0.0.1 and in its own process group, killed on exit, SIGTERM included)
Environment: BENCH_MANAGED_SIZE_MIB, BENCH_MANAGED_FAN_MIB, BENCH_MANAGED_ROUNDS,
BENCH_REPS override the mode's defaults; BENCH_MANAGED_INPUT=FILE pipes FILE (at least SIZE
bytes, e.g. `head -c 256M /dev/urandom | base64 > FILE`: output that compresses little) through
the throughput rows instead of /dev/zero.
"""
import contextlib
import json
import os
import pty
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(message):
    sys.stderr.write("[managed-bench %s] %s\n" % (time.strftime("%H:%M:%S"), message))


def read_line(pipe, timeout):
    """One line from a binary pipe within `timeout` seconds (b'' on EOF or timeout)."""
    fd, line = pipe.fileno(), b""
    deadline = time.monotonic() + timeout
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return line
        byte = os.read(fd, 1)
        if not byte:
            return line
        line += byte
    return line


def cpu_seconds(pid):
    return cpu_seconds_of("/proc/%d/stat" % pid)


def thread_cpu_seconds(pid):
    """(CPU seconds of the process's main thread, of all its other threads together)."""
    main = others = 0.0
    for tid in os.listdir("/proc/%d/task" % pid):
        with contextlib.suppress(OSError):
            seconds = cpu_seconds_of("/proc/%d/task/%s/stat" % (pid, tid))
            if int(tid) == pid:
                main += seconds
            else:
                others += seconds
    return main, others


def cpu_seconds_of(stat_path):
    fields = open(stat_path).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def run_group(args, env, timeout):
    """subprocess.run in a process group of its own, all of it killed on a timeout or an
    exception (a shell pipeline's `head` and `rstream` included)."""
    proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except BaseException:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def percentile(samples, q):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


class Bench:
    """The run's processes and temp dir; stop() ends every process group it started."""

    def __init__(self, binary):
        self.binary = binary
        self.tmp = tempfile.mkdtemp(prefix="rstream-managed-bench-")
        self.procs = []
        self.notes = []

    def note(self, text):
        self.notes.append(text)
        log(text)

    def spawn(self, args, env, **kw):
        kw.setdefault("stdin", subprocess.DEVNULL)
        proc = subprocess.Popen(args, env=env, start_new_session=True, **kw)
        self.procs.append(proc)
        return proc

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def home(self, name):
        path = os.path.join(self.tmp, name)
        os.makedirs(path, exist_ok=True)
        return path

    def start_engine(self):
        home = self.home("engine-home")
        env = dict(os.environ, HOME=home)
        for key in ("RSTREAM_ENGINE", "RSTREAM_AUTHENTICATION_TOKEN", "RSTREAM_CONTEXT",
                    "RSTREAM_CONFIG"):
            env.pop(key, None)
        err = open(os.path.join(self.tmp, "engine.err"), "wb")
        self.engine = self.spawn([self.binary, "engine", "--listen", "127.0.0.1:0"], env,
                                 stdout=subprocess.PIPE, stderr=err)
        err.close()
        line = read_line(self.engine.stdout, 15).decode(errors="replace")
        match = re.match(r"rstream engine listening on 127\.0\.0\.1:(\d+)", line)
        if not match:
            raise SystemExit("the engine did not start: %r %s" % (line, self.tail("engine.err")))
        self.engine_port = int(match.group(1))
        self.engine_url = "http://127.0.0.1:%d" % self.engine_port
        self.engine_dir = os.path.join(home, ".rstream", "engine")
        token_file = os.path.join(self.engine_dir, "admin-token")
        deadline = time.monotonic() + 10
        while not (os.path.exists(token_file) and os.path.getsize(token_file)):
            if time.monotonic() > deadline:
                raise SystemExit("the engine wrote no admin token")
            time.sleep(0.05)
        self.token = open(token_file).read().strip()
        log("engine pid %d on 127.0.0.1:%d" % (self.engine.pid, self.engine_port))

    def tail(self, name, lines=3):
        with contextlib.suppress(OSError):
            with open(os.path.join(self.tmp, name), errors="replace") as f:
                return " ".join(f.read().splitlines()[-lines:])
        return ""

    def env(self, home="client-home"):
        """A client's environment: its own HOME, the engine and admin token from variables."""
        env = dict(os.environ, HOME=self.home(home), RSTREAM_ENGINE=self.engine_url,
                   RSTREAM_AUTHENTICATION_TOKEN=self.token)
        for key in ("RSTREAM_CONTEXT", "RSTREAM_CONFIG", "RSTREAM_WEBTTY_URL",
                    "RSTREAM_WEBTTY_TOKEN", "RSTREAM_WEBTTY_ORIGIN", "RSTREAM_WEBTTY_GROUP"):
            env.pop(key, None)
        return env

    def rstream(self, *args, home="client-home", timeout=60):
        r = run_group([self.binary] + list(args), self.env(home), timeout)
        if r.returncode != 0:
            raise SystemExit("rstream %s failed (%d): %s" % (" ".join(args), r.returncode,
                                                             r.stderr.decode(errors="replace")))
        return r.stdout

    def api(self, path):
        request = urllib.request.Request(self.engine_url + path,
                                         headers={"Authorization": "Bearer " + self.token})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def start_server(self, name, *args):
        """A server listening on 127.0.0.1:0 and attached to the engine as rstrm://NAME;
        returns its direct port once it is online."""
        home = "host-" + name
        err = open(os.path.join(self.tmp, home + ".err"), "wb")
        proc = self.spawn([self.binary, "webtty", "server", "--listen", "127.0.0.1:0"]
                          + list(args), self.env(home), stdout=subprocess.PIPE, stderr=err)
        err.close()
        port, deadline = None, time.monotonic() + 20
        while True:
            line = read_line(proc.stdout, max(0.1, deadline - time.monotonic()))
            text = line.decode(errors="replace")
            match = re.match(r"rstream webtty server listening on 127\.0\.0\.1:(\d+)", text)
            if match:
                port = int(match.group(1))
            if text.startswith("online as rstrm://" + name):
                break
            if not line or time.monotonic() > deadline:
                raise SystemExit("server %s did not come online: %r %s"
                                 % (name, text, self.tail(home + ".err")))
        if port is None:
            raise SystemExit("server %s printed no listening address" % name)
        log("server %s pid %d on 127.0.0.1:%d" % (name, proc.pid, port))
        return port

    def registered_server(self, name, policy):
        made = json.loads(self.rstream("webtty", "server", "create", name,
                                       "--recording-policy", policy, "-o", "json"))
        self.rstream("webtty", "server", "enroll", made["id"], home="host-" + name)
        return self.start_server(name, "--server-id", made["id"])

    def store_bytes(self):
        total = 0
        for suffix in ("", "-wal"):
            with contextlib.suppress(FileNotFoundError):
                total += os.path.getsize(os.path.join(self.engine_dir, "engine.db" + suffix))
        return total

    def sessions(self, *flags):
        return json.loads(self.rstream("webtty", "sessions", "list", "-o", "json", *flags))

    def recording(self, session):
        return self.api("/api/webtty/sessions/%s/events?limit=1" % session)["recording"]


# --------------------------------------------------------------------------- 1. and 2.


def check_bytes(bench, url):
    """8 MiB through `exec -- cat` must come back whole."""
    cmd = "head -c 8388608 /dev/zero | %s webtty exec --url %s -- cat | wc -c" % (
        bench.binary, url)
    r = run_group(["sh", "-c", cmd], bench.env(), 120)
    if r.stdout.strip() != b"8388608":
        bench.note("%s: 8 MiB through `exec -- cat` returned %r bytes (%s)"
                   % (url, r.stdout.strip(), r.stderr.decode(errors="replace")[-200:]))


def throughput_input():
    """The file the throughput rows read: BENCH_MANAGED_INPUT, or /dev/zero."""
    return os.environ.get("BENCH_MANAGED_INPUT") or "/dev/zero"


def pipe_once(bench, url, size, group):
    """Seconds and the engine's CPU seconds (main thread, other threads: the recorder's
    writer) of one `head -c SIZE | exec -- cat > /dev/null`."""
    cmd = "head -c %d %s | %s webtty exec --url %s --group %s -- cat > /dev/null" % (
        size, throughput_input(), bench.binary, url, group)
    main, others = thread_cpu_seconds(bench.engine.pid)
    started = time.perf_counter()
    r = run_group(["sh", "-c", cmd], bench.env(), 600)
    elapsed = time.perf_counter() - started
    main_after, others_after = thread_cpu_seconds(bench.engine.pid)
    if r.returncode != 0:
        raise SystemExit("%s: exec failed (%d): %s" % (url, r.returncode,
                                                       r.stderr.decode(errors="replace")[-300:]))
    return elapsed, (main_after - main, others_after - others)


def wait_recording_closed(bench, session, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        rec = bench.recording(session)
        if rec.get("ended_at"):
            return rec
        if time.monotonic() > deadline:
            bench.note("recording of %s not closed after %d s" % (session, timeout))
            return rec
        time.sleep(0.2)


def throughput(bench, size, reps):
    targets = {"recorded": "rstrm://bench-rec", "private": "rstrm://bench-priv",
               "lightweight": "rstrm://bench-light"}
    for url in targets.values():
        check_bytes(bench, url)
    runs = {kind: [] for kind in targets}
    store = []  # (bytes on disk before, after) of each recorded run
    recordings = []
    for rep in range(reps):
        for kind, url in targets.items():
            group = "bench-%s-%d" % (kind, rep)
            before = bench.store_bytes()
            log("throughput: %s (%d MiB, run %d of %d)" % (url, size >> 20, rep + 1, reps))
            elapsed, cpu = pipe_once(bench, url, size, group)
            runs[kind].append((elapsed, cpu))
            if kind == "lightweight":
                continue
            listed = bench.sessions("--group-id", group)
            if len(listed) != 1:
                bench.note("%s run %d: %d sessions listed in its group (expected 1)"
                           % (kind, rep, len(listed)))
                continue
            rec = wait_recording_closed(bench, listed[0]["id"])
            if kind == "recorded":
                store.append((before, bench.store_bytes()))
            recordings.append((kind, listed[0]["id"], rec))
    return runs, store, recordings


def throughput_report(bench, out, size, runs, store, recordings):
    rates = {k: [size / e / 1e6 for e, _ in v] for k, v in runs.items()}
    med = {k: statistics.median(v) for k, v in rates.items()}
    out += ["#### Throughput: `head -c %dM %s | rstream webtty exec --url rstrm://NAME -- "
            "cat > /dev/null` (median of %d, the rows alternating)"
            % (size >> 20, throughput_input(), len(rates["recorded"])),
            "", "| server | median MB/s | all runs MB/s | engine CPU s per GB of output: "
            "main thread + other threads (median) | ÷ private | ÷ lightweight |",
            "|---|---:|---|---:|---:|---:|"]
    labels = {"recorded": "registered, recording `recorded` (managed)",
              "private": "registered, recording `private` (managed)",
              "lightweight": "lightweight tunnel (spliced)"}
    for kind in ("recorded", "private", "lightweight"):
        gb = size / 1e9
        main = statistics.median(c[0] / gb for _, c in runs[kind])
        others = statistics.median(c[1] / gb for _, c in runs[kind])
        out.append("| %s | %.0f | %s | %.2f + %.2f | %.2f× | %.2f× |" % (
            labels[kind], med[kind], ", ".join("%.0f" % r for r in rates[kind]), main, others,
            med[kind] / med["private"], med[kind] / med["lightweight"]))
    out.append("")
    out.append("Each run moves SIZE bytes to the server and SIZE back; the engine relays both "
               "directions. The engine's main thread relays and routes; its other thread is "
               "the recorder's writer (SQLite, SHA-256 chain).")
    out.append("")
    # 2. recording size
    out += ["#### Recording size (engine.db + engine.db-wal, SQLite)", "",
            "| recorded run | session | events | payload bytes recorded | store growth | "
            "on disk per MB of output | on disk per MB recorded |",
            "|---:|---|---:|---:|---:|---:|---:|"]
    rec_runs = [r for r in recordings if r[0] == "recorded"]
    for i, ((before, after), (_, sid, rec)) in enumerate(zip(store, rec_runs)):
        out.append("| %d | `%s` | %d | %d | %.1f MiB | %.3f | %.3f |" % (
            i + 1, sid, rec.get("events", 0), rec.get("bytes", 0), (after - before) / 2**20,
            (after - before) / size, (after - before) / max(1, rec.get("bytes", 0))))
    if store:
        grown = store[-1][1] - store[0][0]
        recorded = sum(rec.get("bytes", 0) for _, _, rec in rec_runs)
        out.append("| all %d | | | %d | %.1f MiB | **%.3f** | %.3f |" % (
            len(store), recorded, grown / 2**20, grown / (size * len(store)),
            grown / max(1, recorded)))
    out += ["", "Output is SIZE bytes per run; the recording also holds the SIZE bytes of "
            "input `cat` was sent (the engine records both directions), so its payload is "
            "about twice the output."]
    private = [r for r in recordings if r[0] == "private"]
    if private:
        rec = private[0][2]
        out += ["", "A `private` run's recording: policy `%s`, %d events, %d bytes (metadata "
                "only)." % (rec.get("policy"), rec.get("events", 0), rec.get("bytes", 0))]
    for _, sid, rec in rec_runs:
        if rec.get("policy") != "recorded" or rec.get("bytes", 0) < size:
            bench.note("recording %s: policy %s, %d bytes for %d of output"
                       % (sid, rec.get("policy"), rec.get("bytes", 0), size))
    if rec_runs:
        sid = rec_runs[0][1]
        started = time.perf_counter()
        r = run_group([bench.binary, "webtty", "sessions", "verify", sid], bench.env(), 600)
        took = time.perf_counter() - started
        verdict = "verifies" if r.returncode == 0 else "does NOT verify (exit %d: %s)" % (
            r.returncode, r.stderr.decode(errors="replace").strip()[-200:])
        out += ["", "`sessions verify %s` (the first recorded run's hash chain): %s, in %.2f s."
                % (sid, verdict, took)]
    out.append("")
    return med


# --------------------------------------------------------------------------- 3. fan-out


class PtyClient:
    """`rstream webtty client ARGS` on a pseudo-terminal whose master this script reads."""

    def __init__(self, bench, *args):
        self.master, slave = pty.openpty()
        self.proc = bench.spawn([bench.binary, "webtty", "client"] + list(args), bench.env(),
                                stdin=slave, stdout=slave, stderr=slave)
        os.close(slave)
        self.seen = b""

    def read(self, timeout):
        if not select.select([self.master], [], [], timeout)[0]:
            return b""
        try:
            chunk = os.read(self.master, 1 << 16)
        except OSError:
            chunk = None
        return chunk

    def wait_for(self, marker, timeout=20):
        deadline = time.monotonic() + timeout
        while marker not in self.seen:
            left = deadline - time.monotonic()
            chunk = self.read(max(0, left))
            if chunk is None or left <= 0:
                raise SystemExit("client: %r never appeared (saw %r)" % (marker, self.seen[-300:]))
            self.seen += chunk

    def close(self):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        with contextlib.suppress(OSError):
            os.close(self.master)


def fan_out(bench, spectators, size):
    flag = os.path.join(bench.tmp, "go-%d" % spectators)
    script = ("stty raw -echo; echo READY-$((6*7)); while [ ! -e %s ]; do sleep 0.01; done; "
              "head -c %d /dev/zero" % (flag, size))
    before = {s["id"] for s in bench.sessions("--server-id", "bench-priv")}
    client = PtyClient(bench, "--url", "rstrm://bench-priv", "--", "sh", "-c", script)
    joins = []
    try:
        client.wait_for(b"READY-42")
        made = [s for s in bench.sessions("--status", "active", "--server-id", "bench-priv")
                if s["id"] not in before and s["mode"] == "interactive"]
        if len(made) != 1:
            raise SystemExit("fan-out: expected one new interactive session, found %r" % made)
        sid = made[0]["id"]
        for _ in range(spectators):
            joins.append(bench.spawn([bench.binary, "webtty", "sessions", "join", sid, "--quiet"],
                                     bench.env(), stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 60
        while bench.api("/api/webtty/sessions/" + sid)["clients"] < spectators + 1:
            if time.monotonic() > deadline:
                raise SystemExit("fan-out: the spectators did not attach")
            time.sleep(0.05)
        # What they received before the flag (the repaint of READY-42) is not counted.
        received = {j.stdout.fileno(): 0 for j in joins}
        for fd in received:
            while select.select([fd], [], [], 0)[0] and os.read(fd, 1 << 20):
                pass
        controller = 0
        open_fds = set(received) | {client.master}
        cpu_before = cpu_seconds(bench.engine.pid)
        started = time.perf_counter()
        open(flag, "w").close()
        deadline = time.monotonic() + 600
        while open_fds and time.monotonic() < deadline:
            ready, _, _ = select.select(list(open_fds), [], [], 60)
            if not ready:
                break
            for fd in ready:
                try:
                    chunk = os.read(fd, 1 << 20)
                except OSError:
                    chunk = b""
                if not chunk:
                    open_fds.discard(fd)
                elif fd == client.master:
                    controller += len(chunk)
                else:
                    received[fd] += len(chunk)
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(bench.engine.pid) - cpu_before
        if open_fds:
            bench.note("fan-out %d: %d readers still open after the bound" % (spectators,
                                                                              len(open_fds)))
        counts = list(received.values())
        return {"spectators": spectators, "elapsed": elapsed, "cpu": cpu,
                "per_spectator": statistics.median(counts) / elapsed,
                "aggregate": sum(counts) / elapsed, "controller": controller / elapsed,
                "complete": sum(c >= size for c in counts)}
    finally:
        for j in joins:
            with contextlib.suppress(subprocess.TimeoutExpired):
                j.wait(timeout=30)
        client.close()


def fan_out_report(out, size, results):
    out += ["#### Fan-out through the engine's live router",
            "", "A managed interactive session on `bench-priv` (`webtty client --url "
            "rstrm://bench-priv` on a PTY read here: the controller) writes %d MiB of raw PTY "
            "output (`head -c`) as fast as it can; N spectators are `rstream webtty sessions "
            "join ID` processes (no --url: the engine of the context), stdout to a pipe read "
            "here." % (size >> 20), "",
            "| spectators | MB/s per spectator (median) | aggregate MB/s | controller MB/s | "
            "engine CPU s | engine CPU s per GB delivered | got every byte |",
            "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        gb = (r["aggregate"] + r["controller"]) * r["elapsed"] / 1e9
        out.append("| %d | %.0f | %.0f | %.0f | %.2f | %.2f | %d of %d |" % (
            r["spectators"], r["per_spectator"] / 1e6, r["aggregate"] / 1e6,
            r["controller"] / 1e6, r["cpu"], r["cpu"] / gb if gb else 0, r["complete"],
            r["spectators"]))
    out += ["", "Delivered = every spectator's bytes plus the controller's; the N `sessions "
            "join` processes share the machine's cores with the engine, the server and the "
            "command.", ""]


# --------------------------------------------------------------------------- 4. echo


def echo_ready(client, url):
    """Types 'r' until it comes back (the session is up), then drains the terminal."""
    deadline = time.monotonic() + 20
    while b"r" not in client.seen:
        if time.monotonic() > deadline:
            raise SystemExit("%s: no echo (saw %r)" % (url, client.seen[-300:]))
        os.write(client.master, b"r")
        chunk = client.read(0.5)
        if chunk is None:
            raise SystemExit("%s: the client ended (saw %r)" % (url, client.seen[-300:]))
        client.seen += chunk
    while client.read(0.2):
        pass


def echo_once(client, url, key):
    started = time.perf_counter()
    os.write(client.master, key)
    got = b""
    while key not in got:
        chunk = client.read(10)
        if not chunk:
            raise SystemExit("%s: an echo was lost" % url)
        got += chunk
    return (time.perf_counter() - started) * 1000


def echo_latency(bench, urls, rounds):
    """Echo samples (ms) for each URL: one `client -- cat` per URL, the URLs taking turns
    key by key so that the machine's load falls on each alike."""
    clients = []
    try:
        for url in urls:
            clients.append(PtyClient(bench, "--url", url, "--", "cat"))
            echo_ready(clients[-1], url)
        samples = [[] for _ in urls]
        for i in range(rounds + 10):
            key = bytes([ord("a") + i % 17])  # a..q: never 'r', never '~'
            for n, (client, url) in enumerate(zip(clients, urls)):
                took = echo_once(client, url, key)
                if i >= 10:
                    samples[n].append(took)
        return samples
    finally:
        for client in clients:
            client.close()


def echo_report(out, rounds, rows):
    out += ["#### Keystroke echo: through the engine vs direct (same server process)", "",
            "`rstream webtty client --url URL -- cat` on a PTY; one byte written until its echo "
            "is read back (median of %d after 10 warm-up; the direct and the engine client take "
            "turns key by key)." % rounds, "",
            "| server | direct tcp:// median / p90 ms | rstrm:// median / p90 ms | "
            "engine adds (median) |", "|---|---:|---:|---:|"]
    added = {}
    for label, kind, direct, engine in rows:
        added[kind] = statistics.median(engine) - statistics.median(direct)
        out.append("| %s | %.3f / %.3f | %.3f / %.3f | **%+.3f ms** |" % (
            label, statistics.median(direct), percentile(direct, 0.9),
            statistics.median(engine), percentile(engine, 0.9), added[kind]))
    out.append("")
    return added


# --------------------------------------------------------------------------- main


def main():
    binary = os.path.abspath(sys.argv[1])
    quick = "--quick" in sys.argv[2:]
    size = int(os.environ.get("BENCH_MANAGED_SIZE_MIB") or (64 if quick else 256)) << 20
    fan = int(os.environ.get("BENCH_MANAGED_FAN_MIB") or (32 if quick else 128)) << 20
    rounds = int(os.environ.get("BENCH_MANAGED_ROUNDS") or (200 if quick else 1000))
    reps = int(os.environ.get("BENCH_REPS") or 3)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    bench = Bench(binary)
    out = ["", "### Managed sessions through the engine (issue 15)", ""]
    targets = []
    try:
        bench.start_engine()
        ports = {"recorded": bench.registered_server("bench-rec", "recorded"),
                 "private": bench.registered_server("bench-priv", "private"),
                 "lightweight": bench.start_server("bench-light", "--rstream", "--name",
                                                   "bench-light")}
        out += ["One fresh engine (SQLite store in a temp dir on %s); `bench-rec` and "
                "`bench-priv` are registered servers (recording policy `recorded`, `private`), "
                "`bench-light` a lightweight tunnel; each also listens on 127.0.0.1 (the direct "
                "rows). Load average at the start: %s." % (
                    subprocess.run(["df", "--output=fstype", bench.engine_dir],
                                   capture_output=True, text=True).stdout.split()[-1],
                    open("/proc/loadavg").read().split()[0]), ""]

        runs, store, recordings = throughput(bench, size, reps)
        med = throughput_report(bench, out, size, runs, store, recordings)
        ratio = med["recorded"] / med["private"]
        targets.append(("`cat` through the engine, recorded ≥ 0.8× private",
                        "%.0f / %.0f MB/s = %.2f×" % (med["recorded"], med["private"], ratio),
                        ratio >= 0.8))
        if store:
            grown = (store[-1][1] - store[0][0]) / (size * len(store))
            targets.append(("recording size on disk per MB of output (no target; the input is recorded too)",
                            "%.3f" % grown, None))

        fans = []
        for n in (1, 10, 100):
            log("fan-out: %d spectators, %d MiB" % (n, fan >> 20))
            fans.append(fan_out(bench, n, fan))
        fan_out_report(out, fan, fans)
        last = fans[-1]
        targets.append(("fan-out to 100 spectators through the engine: every spectator gets "
                        "every byte", "%d of 100 (aggregate %.0f MB/s)"
                        % (last["complete"], last["aggregate"] / 1e6),
                        last["complete"] == 100))

        rows = []
        labels = {"recorded": "bench-rec (registered, recorded: managed)",
                  "private": "bench-priv (registered, private: managed)",
                  "lightweight": "bench-light (lightweight tunnel: spliced)"}
        names = {"recorded": "bench-rec", "private": "bench-priv", "lightweight": "bench-light"}
        for kind in ("recorded", "private", "lightweight"):
            log("echo latency: %s, %d rounds direct and through the engine" % (names[kind],
                                                                               rounds))
            direct, engine = echo_latency(
                bench, ["tcp://127.0.0.1:%d" % ports[kind], "rstrm://" + names[kind]], rounds)
            rows.append((labels[kind], kind, direct, engine))
        added = echo_report(out, rounds, rows)
        for kind in ("recorded", "private"):
            targets.append(("keystroke echo through the engine's live router ≤ direct + 1 ms "
                            "(%s)" % names[kind], "%+.3f ms" % added[kind], added[kind] <= 1.0))
        out += ["#### Targets (managed sessions, issue 15)", "", "| target | measured | |",
                "|---|---:|---|"]
        for name, value, ok in targets:
            out.append("| %s | %s | %s |" % (name, value,
                                             "—" if ok is None else "met" if ok else "**not met**"))
        out += ["", "Load average at the end: %s." % open("/proc/loadavg").read().split()[0]]
        if bench.notes:
            out += ["", "Notes: " + "; ".join(bench.notes)]
    finally:
        bench.stop()
    print("\n".join(out))


if __name__ == "__main__":
    main()
