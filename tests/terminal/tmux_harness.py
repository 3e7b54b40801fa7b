"""Helpers for the terminal tests: a private rstream server and a private tmux server.

Each test gets its own working directory, its own `rstream webtty server` on a free loopback
port, and its own tmux server (a socket of its own, a config file of its own), so tests share
nothing and leave nothing behind. Screens are read with `tmux capture-pane`; every wait polls a
condition until a deadline and fails with the last screen, never sleeps for a fixed time.

Not thread-safe: one test drives one harness from one thread.
"""

import fcntl
import itertools
import os
import re
import shlex
import shutil
import signal
import struct
import subprocess
import tempfile
import termios
import time
import unittest

# How long any single condition may take before the test fails (generous for a loaded CI box).
DEFAULT_TIMEOUT = 10.0
POLL_INTERVAL = 0.03

# The remote shell's prompt: distinctive, so "the prompt is back" is easy to see on the screen.
REMOTE_PROMPT = "[remote]$ "
REMOTE_SHELL = ["bash", "--norc", "--noprofile"]

_socket_counter = itertools.count()


def rstream_binary():
    """The rstream binary under test, from RSTREAM_BIN; fails the test run when it is unusable."""
    path = os.environ.get("RSTREAM_BIN")
    if not path:
        raise RuntimeError("set RSTREAM_BIN to the rstream binary under test")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise RuntimeError(f"RSTREAM_BIN={path!r} is not an executable file")
    return os.path.abspath(path)


def require_tmux():
    """Skips the calling test class when tmux is not installed."""
    if shutil.which("tmux") is None:
        raise unittest.SkipTest("tmux is not installed")


def wait_until(condition, timeout=DEFAULT_TIMEOUT, describe=lambda: ""):
    """Polls `condition()` until it returns a truthy value, which is returned.

    Raises AssertionError with `describe()` (e.g. the current screen) after `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"condition not met within {timeout:.1f}s\n{describe()}")
        time.sleep(POLL_INTERVAL)


# While set (see TestEngine.activate), servers also register as tunnels with this engine and
# clients reach them as rstrm://NAME.
ACTIVE_ENGINE = None


def base_environment(workdir):
    """A small, predictable environment for the processes the tests start."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": workdir,
        "LANG": "C.UTF-8",
        "TERM": "dumb",  # never what the pane says: a leaked value would be noticed
        "TMUX_TMPDIR": workdir,
    }
    if ACTIVE_ENGINE is not None:
        env.update(ACTIVE_ENGINE.env)
    return env


class TestEngine:
    """`rstream engine` on 127.0.0.1 with a free port and its own HOME."""

    _names = itertools.count(1)

    def __init__(self):
        self.home = tempfile.mkdtemp(prefix="rstream-term-engine-")
        self.stdout_path = os.path.join(self.home, "engine.stdout")
        with open(self.stdout_path, "wb") as out, open(os.devnull, "wb") as err:
            self.process = subprocess.Popen(
                [rstream_binary(), "engine", "--listen", "127.0.0.1:0"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home},
                start_new_session=True)
        port = wait_until(self._announced_port)
        with open(os.path.join(self.home, ".rstream", "engine", "admin-token")) as f:
            token = f.read().strip()
        self.env = {"RSTREAM_ENGINE": f"http://127.0.0.1:{port}",
                    "RSTREAM_AUTHENTICATION_TOKEN": token}

    def _announced_port(self):
        with open(self.stdout_path, encoding="utf-8", errors="replace") as f:
            match = re.match(r"rstream engine listening on 127\.0\.0\.1:(\d+)\n", f.readline())
        return int(match.group(1)) if match else None

    def next_name(self):
        return f"term-{os.getpid()}-{next(self._names)}"

    def activate(self):
        global ACTIVE_ENGINE
        ACTIVE_ENGINE = self

    def stop(self):
        global ACTIVE_ENGINE
        if ACTIVE_ENGINE is self:
            ACTIVE_ENGINE = None
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.home, ignore_errors=True)


class RstreamServer:
    """`rstream webtty server` on 127.0.0.1 with a free port, in its own session."""

    def __init__(self, workdir, extra_args=()):
        self.workdir = workdir
        self.stdout_path = os.path.join(workdir, "server.stdout")
        self.stderr_path = os.path.join(workdir, "server.stderr")
        self.tunnel = ACTIVE_ENGINE.next_name() if ACTIVE_ENGINE is not None else None
        tunnel_args = ["--rstream", "--name", self.tunnel] if self.tunnel else []
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                [rstream_binary(), "webtty", "server", "--listen", "127.0.0.1:0", "-v",
                 *tunnel_args, *extra_args],
                stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=workdir,
                env=base_environment(workdir), start_new_session=True)
        self.port = wait_until(self._announced_port, describe=self.describe)
        self.url = f"tcp://127.0.0.1:{self.port}"
        if self.tunnel:
            wait_until(self._online, describe=self.describe)
            self.url = f"rstrm://{self.tunnel}"

    def _online(self):
        with open(self.stdout_path, encoding="utf-8", errors="replace") as f:
            return f"online as rstrm://{self.tunnel}" in f.read()

    def _announced_port(self):
        if self.process.poll() is not None:
            raise AssertionError(f"rstream server exited early\n{self.describe()}")
        with open(self.stdout_path, encoding="utf-8", errors="replace") as f:
            first = f.readline()
        if not first.endswith("\n"):
            return None
        match = re.fullmatch(r"rstream webtty server listening on 127\.0\.0\.1:(\d+)\n", first)
        if not match:
            raise AssertionError(f"unexpected first line from the server: {first!r}")
        return int(match.group(1))

    def describe(self):
        try:
            with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
                log = f.read()
        except OSError:
            log = ""
        return f"--- server log ---\n{log[-4000:]}"

    def signal(self, signum):
        if self.process.poll() is None:
            self.process.send_signal(signum)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a test may have stopped it
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class TmuxTerminal:
    """A detached tmux session on a private tmux server, running one command in one pane.

    The status line is off, so the pane is exactly `width` x `height`, and the pane stays on
    screen after its command exits (remain-on-exit), so the last output can still be read.
    """

    def __init__(self, workdir, command, width=100, height=30):
        self.workdir = workdir
        self.socket = f"rstream-test-{os.getpid()}-{next(_socket_counter)}"
        self.env = base_environment(workdir)
        config = os.path.join(workdir, "tmux.conf")
        with open(config, "w", encoding="utf-8") as f:
            f.write("set -g status off\n"
                    "set -g remain-on-exit on\n"
                    "set -g history-limit 2000\n")
        self._tmux_base = ["tmux", "-L", self.socket, "-f", config]
        self.tmux("new-session", "-d", "-s", "main", "-x", str(width), "-y", str(height),
                  "-c", workdir, "--", *command)
        self.target = "main"

    def tmux(self, *args):
        """Runs one tmux command on this private server and returns its stdout."""
        result = subprocess.run([*self._tmux_base, *args], env=self.env, cwd=self.workdir,
                                stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                timeout=DEFAULT_TIMEOUT)
        if result.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def close(self):
        """Ends the tmux server and waits (bounded) for the programs that ran in the pane."""
        try:
            pane = self.pane_pid()
            programs = [pane, *descendant_pids(pane)]
        except (AssertionError, ValueError):
            programs = []
        subprocess.run([*self._tmux_base, "kill-server"], env=self.env, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=DEFAULT_TIMEOUT)
        try:
            wait_until(lambda: not any(is_running(pid) for pid in programs), timeout=5)
        except AssertionError:
            pass  # cleanup only: a straggler must not hide the test's own result

    # ---- input ----

    def type(self, text):
        """Types `text` literally (no key names), as a user would."""
        self.tmux("send-keys", "-t", self.target, "-l", "--", text)

    def press(self, *keys):
        """Presses keys by tmux name: "Enter", "C-c", ..."""
        self.tmux("send-keys", "-t", self.target, *keys)

    def type_line(self, text):
        self.type(text)
        self.press("Enter")

    # ---- output ----

    def screen(self):
        """The visible screen, one string per row, trailing blanks removed."""
        return self.tmux("capture-pane", "-p", "-t", self.target).split("\n")[:-1]

    def screen_text(self):
        return "\n".join(self.screen())

    def printed_text(self):
        """Everything printed and still kept: the pane's scrollback, then the screen."""
        return self.tmux("capture-pane", "-p", "-S", "-", "-t", self.target)

    def wait_for_printed(self, text, timeout=DEFAULT_TIMEOUT, extra=lambda: ""):
        """Waits until `text` was printed: on the screen or scrolled above it (a repaint of a
        live session scrolls the screen into the scrollback first)."""
        wait_until(lambda: text in self.printed_text().replace("\n", ""), timeout,
                   lambda: f"{text!r} not printed\n" + self.describe() + "\n" + extra())

    def describe(self):
        return "--- screen ---\n" + self.screen_text() + "\n--- end of screen ---"

    def wait_for_line(self, pattern, timeout=DEFAULT_TIMEOUT, extra=lambda: ""):
        """Waits for a screen row that fully matches the regex `pattern`; returns the match."""
        regex = re.compile(pattern)

        def found():
            for row in self.screen():
                match = regex.fullmatch(row.rstrip())
                if match:
                    return match
            return None

        return wait_until(found, timeout, lambda: f"no row matching {pattern!r}\n"
                          + self.describe() + "\n" + extra())

    def wait_for_text(self, text, timeout=DEFAULT_TIMEOUT, extra=lambda: ""):
        """Waits until `text` appears anywhere on the screen (it may wrap across rows)."""
        wait_until(lambda: text in self.screen_text().replace("\n", ""), timeout,
                   lambda: f"{text!r} not on the screen\n" + self.describe() + "\n" + extra())

    def count_rows(self, pattern):
        regex = re.compile(pattern)
        return sum(1 for row in self.screen() if regex.fullmatch(row.rstrip()))

    def wait_for_rows(self, pattern, count, timeout=DEFAULT_TIMEOUT, extra=lambda: ""):
        """Waits until at least `count` rows fully match `pattern`."""
        return wait_until(lambda: self.count_rows(pattern) >= count, timeout,
                          lambda: f"fewer than {count} rows matching {pattern!r}\n"
                          + self.describe() + "\n" + extra())

    def size(self):
        width, height = self.tmux("display-message", "-p", "-t", self.target,
                                  "#{pane_width} #{pane_height}").split()
        return int(width), int(height)

    def tty_size(self):
        """(columns, rows) of the pane's terminal as the programs in it see it."""
        tty = self.tmux("display-message", "-p", "-t", self.target, "#{pane_tty}").strip()
        fd = os.open(tty, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            rows, cols, _, _ = struct.unpack(
                "HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
        finally:
            os.close(fd)
        return cols, rows

    def resize(self, width, height):
        """Resizes the window and waits until the pane's terminal has the new size.

        tmux may apply a pane's new size to its terminal a little later than it reports it,
        so this waits on the terminal itself (which is when the program in it gets SIGWINCH).
        """
        self.tmux("resize-window", "-t", self.target, "-x", str(width), "-y", str(height))
        wait_until(lambda: self.tty_size() == (width, height), describe=self.describe)

    def pane_pid(self):
        return int(self.tmux("display-message", "-p", "-t", self.target, "#{pane_pid}"))


def is_running(pid):
    """Whether `pid` is a live process (a zombie waiting to be reaped does not count)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2:].split()[0] != "Z"


def descendant_pids(ancestor, name=None):
    """Pids of the processes under `ancestor` (whose command name is `name`, when given)."""
    parents = {}
    names = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        names[int(entry)] = stat[stat.index("(") + 1:stat.rindex(")")]
        parents[int(entry)] = int(stat[stat.rindex(")") + 2:].split()[1])

    def under(pid):
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == ancestor:
                return True
        return False

    return sorted(pid for pid, comm in names.items()
                  if (name is None or comm == name) and under(pid))


def read_stty_files(workdir):
    """(before, after): the `stty -a` a recording_script wrote around its command."""
    with open(os.path.join(workdir, "before.txt"), encoding="utf-8") as f:
        before = f.read()
    with open(os.path.join(workdir, "after.txt"), encoding="utf-8") as f:
        after = f.read()
    return before, after


class LiveServerTestCase(unittest.TestCase):
    """A test case with a private RstreamServer for live sessions (self.server, self.url, a
    temporary self.workdir) and `sessions SUBCOMMAND ARGS` run against it."""

    workdir_prefix = "rstream-live-term-"

    def setUp(self):
        require_tmux()
        self.workdir = tempfile.mkdtemp(prefix=self.workdir_prefix)
        self.addCleanup(shutil.rmtree, self.workdir, ignore_errors=True)
        self.server = RstreamServer(self.workdir)
        self.addCleanup(self.server.stop)
        self.url = f"http://127.0.0.1:{self.server.port}"

    def sessions(self, *args, stdin=subprocess.DEVNULL, **kwargs):
        cmd = [rstream_binary(), "webtty", "sessions", args[0], "--url", self.url, *args[1:]]
        return subprocess.run(cmd, stdin=stdin, capture_output=True, timeout=DEFAULT_TIMEOUT,
                              env=base_environment(self.workdir), **kwargs)


def recording_script(workdir, command, trap_int=False, linger=False, show_term=False):
    """Writes WORKDIR/local.sh, the non-interactive sh script a pane runs: `command` between two
    `stty -a` (before.txt, after.txt), then its exit code (rc.txt, and `local rc=N` on the
    screen). trap_int: Ctrl-C is for the command, the script goes on; linger: the pane stays
    alive afterwards (a dead pane has no modes to read). Returns the script's path."""
    script = os.path.join(workdir, "local.sh")
    with open(script, "w", encoding="utf-8") as f:
        f.write("cd " + shlex.quote(workdir) + " || exit 99\n"
                + ('echo "local TERM=$TERM"\n' if show_term else "")
                + ("trap : INT\n" if trap_int else "")
                + "stty -a > before.txt\n"
                + " ".join(shlex.quote(a) for a in command) + "\n"
                "rc=$?\n"
                "stty -a > after.txt\n"
                'echo "$rc" > rc.new && mv rc.new rc.txt\n'
                'echo "local rc=$rc"\n'
                + ("exec sleep 600\n" if linger else ""))
    return script


class CliPane:
    """`rstream webtty ARGS` in a tmux pane of its own (WORKDIR/TAG), run by recording_script,
    next to a RstreamServer."""

    def __init__(self, test, workdir, server, args, tag, width=100, height=30, linger=False):
        self.workdir = os.path.join(workdir, tag)
        os.mkdir(self.workdir)
        self.server = server
        script = recording_script(self.workdir, [rstream_binary(), "webtty", *args],
                                  trap_int=True, linger=linger)
        self.terminal = TmuxTerminal(self.workdir, ["sh", script], width, height)
        test.addCleanup(self.terminal.close)

    def describe(self):
        return self.terminal.describe() + "\n" + self.server.describe()

    def wait_for_text(self, text):
        self.terminal.wait_for_text(text, extra=self.server.describe)

    def wait_for_line(self, pattern):
        return self.terminal.wait_for_line(pattern, DEFAULT_TIMEOUT, self.server.describe)

    def wait_for_exit(self):
        path = os.path.join(self.workdir, "rc.txt")
        wait_until(lambda: os.path.exists(path), describe=self.describe)
        with open(path, encoding="utf-8") as f:
            return int(f.read())

    def stty_files(self):
        return read_stty_files(self.workdir)

    def modes(self):
        """tmux's view of the pane's terminal modes."""
        names = ["alternate_on", "cursor_flag", "mouse_standard_flag", "mouse_any_flag",
                 "keypad_flag", "keypad_cursor_flag"]
        values = self.terminal.tmux("display-message", "-p", "-t", self.terminal.target,
                                    " ".join("#{%s}" % n for n in names)).split()
        return dict(zip(names, values))


class ClientInTmux:
    """A private rstream server, and `rstream webtty client` running in a private tmux pane.

    The pane runs a small non-interactive sh script (so no local shell touches the terminal
    settings), which records `stty -a` before and after the client (before.txt, after.txt),
    then the client's exit code (rc.txt, also shown on the screen as `local rc=N`).
    """

    def __init__(self, test, client_args=(), remote_command=None, width=100, height=30,
                 server_args=()):
        require_tmux()
        self.workdir = tempfile.mkdtemp(prefix="rstream-term-")
        test.addCleanup(shutil.rmtree, self.workdir, ignore_errors=True)
        self.server = RstreamServer(self.workdir, server_args)
        test.addCleanup(self.server.stop)
        remote = REMOTE_SHELL if remote_command is None else remote_command
        client = [rstream_binary(), "webtty", "client", "--url", self.server.url,
                  "-e", f"PS1={REMOTE_PROMPT}", *client_args]
        if remote:  # an empty command: the server user's login shell
            client += ["--", *remote]
        script = recording_script(self.workdir, client, show_term=True)
        self.terminal = TmuxTerminal(self.workdir, ["sh", script], width, height)
        test.addCleanup(self.terminal.close)

    def describe(self):
        return self.terminal.describe() + "\n" + self.server.describe()

    def wait_for_line(self, pattern, timeout=DEFAULT_TIMEOUT):
        return self.terminal.wait_for_line(pattern, timeout, self.server.describe)

    def prompt_count(self):
        return self.terminal.count_rows(r"\[remote\]\$.*")

    def wait_for_prompt(self, at_least=1):
        """Waits until the remote prompt has been shown at least `at_least` times."""
        self.terminal.wait_for_rows(r"\[remote\]\$.*", at_least, extra=self.server.describe)

    def wait_for_exit(self):
        """Waits for the client to end; returns its exit code.

        Read from a file, not the screen: a client that leaves the terminal raw garbles what
        follows it on the screen, and the test should then fail on the terminal settings.
        """
        path = os.path.join(self.workdir, "rc.txt")
        wait_until(lambda: os.path.exists(path), describe=self.describe)
        with open(path, encoding="utf-8") as f:
            return int(f.read())

    def client_exited(self):
        return os.path.exists(os.path.join(self.workdir, "rc.txt"))

    def wait_for_text(self, text):
        self.terminal.wait_for_text(text, extra=self.server.describe)

    def wait_for_local_output(self):
        """Waits until the script's last line is on the screen, so all before it is too."""
        self.wait_for_line(r"local rc=\d+")

    def stty_files(self):
        return read_stty_files(self.workdir)

    def client_pid(self):
        pids = wait_until(lambda: descendant_pids(self.terminal.pane_pid(), "rstream"),
                          describe=self.describe)
        return pids[0]
