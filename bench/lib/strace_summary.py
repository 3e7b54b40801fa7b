#!/usr/bin/env python3
"""Summarise an `strace -f -o FILE` trace: per process, syscall counts and I/O sizes.

usage: strace_summary.py TRACE BYTES_TRANSFERRED [ROLE_OF_FIRST_PID]

Counts are also scaled to "per GiB transferred". For read/write-like calls the most common
return sizes are listed, which shows how big the chunks on each hop are.
"""

import collections
import re
import sys

IO_CALLS = {"read", "write", "readv", "writev", "recvfrom", "sendto", "recvmsg", "sendmsg",
            "splice", "pread64", "pwrite64"}
LINE = re.compile(r"^(\d+)\s+(?:<\.\.\. (\w+) resumed>|(\w+)\()")
RET = re.compile(r"\)\s+=\s+(-?\d+)")


def main(path, transferred, first_role="server"):
    calls = collections.defaultdict(collections.Counter)   # pid -> name -> count
    sizes = collections.defaultdict(collections.Counter)   # (pid, name) -> size -> count
    nbytes = collections.defaultdict(collections.Counter)  # pid -> name -> bytes
    comm = {}
    order = []
    with open(path, errors="replace") as f:
        for line in f:
            m = LINE.match(line)
            if not m:
                continue
            pid = int(m.group(1))
            if pid not in comm:
                comm[pid] = None
                order.append(pid)
            if "<unfinished ...>" in line:
                if m.group(3) == "execve":
                    arg = re.search(r'execve\("([^"]*)"', line)
                    if arg:
                        comm[pid] = arg.group(1).rsplit("/", 1)[-1]
                continue  # counted when resumed
            name = m.group(2) or m.group(3)
            if name == "execve":
                arg = re.search(r'execve\("([^"]*)"', line)
                if arg and " = 0" in line:
                    comm[pid] = arg.group(1).rsplit("/", 1)[-1]
            calls[pid][name] += 1
            if name in IO_CALLS:
                r = RET.search(line)
                if r:
                    v = int(r.group(1))
                    sizes[(pid, name)][v] += 1
                    if v > 0:
                        nbytes[pid][name] += v
    scale = (1 << 30) / transferred
    for i, pid in enumerate(order):
        total = sum(calls[pid].values())
        if total == 0:
            continue
        role = comm[pid] or (first_role if i == 0 else "thread/child")
        print(f"pid {pid} ({role}): {total} syscalls, {total * scale:.0f} per GiB")
        for name, n in calls[pid].most_common(12):
            extra = ""
            if name in IO_CALLS:
                top = ", ".join(f"{sz}×{c}" for sz, c in sizes[(pid, name)].most_common(4))
                b = nbytes[pid][name]
                avg = b / n if n else 0
                extra = f"  bytes {b}, mean {avg:.0f} B/call; most common sizes: {top}"
            print(f"  {name:14s} {n:8d}  ({n * scale:9.0f}/GiB){extra}")
        print()
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], int(sys.argv[2]), *(sys.argv[3:4])))
