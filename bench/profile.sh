#!/usr/bin/env bash
# Where does an rstream `exec -- cat` transfer spend its time? Not part of run.sh's table.
#
#   bench/profile.sh [MIB] [tcp|ws]     (default: 256 MiB over tcp://)
#
# 1. strace -f on the server and on the client during one transfer: syscalls per GiB and the
#    read/write sizes on each hop (client stdin, socket, server<->child pipes).
# 2. perf record (cpu-clock, if perf is installed and allowed) on the server and the client
#    during a second transfer: the top symbols.
# Uses RSTREAM_BIN (default ../build/rstream relative to this directory); 127.0.0.1 only;
# stops everything it started.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mib=${1:-256}
scheme=${2:-tcp}
bin=${RSTREAM_BIN:-$here/../build/rstream}
[[ -x $bin ]] || { echo "profile: no rstream binary at $bin (set RSTREAM_BIN)" >&2; exit 2; }
bytes=$((mib * 1024 * 1024))
tmp=$(mktemp -d /tmp/rstream-profile.XXXXXX)
pids=()
cleanup() {
  set +e
  local pid
  for pid in "${pids[@]}"; do pkill -TERM -P "$pid" 2>/dev/null; kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

"$bin" webtty server --listen 127.0.0.1:0 >"$tmp/server.out" 2>"$tmp/server.err" </dev/null &
spid=$!
pids+=("$spid")
line=$(python3 "$here/lib/benchlib.py" wait-line "$tmp/server.out" 10)
port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' <<<"$line")
if [[ $scheme == ws ]]; then url=ws://127.0.0.1:$port/webtty; else url=tcp://127.0.0.1:$port; fi
echo "# profile: $mib MiB through $url, server pid $spid"

if command -v strace >/dev/null; then
  strace -f -qq -o "$tmp/server.trace" -p "$spid" &
  st=$!
  pids+=("$st")
  sleep 0.5
  t0=$EPOCHREALTIME
  head -c "$bytes" /dev/zero |
    timeout 600 strace -f -qq -o "$tmp/client.trace" "$bin" webtty exec --url "$url" -- cat >/dev/null
  t1=$EPOCHREALTIME
  sleep 0.3
  kill -INT "$st"; wait "$st" 2>/dev/null || true
  echo "## strace (both sides traced, so the rate is meaningless: $(awk -v a="$t0" -v b="$t1" -v n="$bytes" 'BEGIN{printf "%.0f MB/s", n/(b-a)/1e6}'))"
  echo
  echo "### server"
  python3 "$here/lib/strace_summary.py" "$tmp/server.trace" "$bytes" server
  echo "### client"
  python3 "$here/lib/strace_summary.py" "$tmp/client.trace" "$bytes" client
else
  echo "(strace not installed)"
fi

if command -v perf >/dev/null && perf record -q -e cpu-clock -o "$tmp/probe.data" true >/dev/null 2>&1; then
  perf record -q -e cpu-clock -p "$spid" -o "$tmp/server.perf" >/dev/null 2>&1 &
  ps=$!
  pids+=("$ps")
  sleep 0.5
  head -c "$bytes" /dev/zero |
    timeout 600 perf record -q -e cpu-clock -o "$tmp/client.perf" \
      "$bin" webtty exec --url "$url" -- cat >/dev/null 2>"$tmp/perf-client.err"
  sleep 0.3
  kill -INT "$ps"; wait "$ps" 2>/dev/null || true
  for side in server client; do
    echo "## perf: $side, top symbols (self time, cpu-clock samples)"
    perf report -q -i "$tmp/$side.perf" --no-children -g none --sort dso,symbol --stdio \
      2>/dev/null | grep -E '^ +[0-9]' | sed -E 's/ +$//; s/ {2,}/  /g' | cut -c1-140 | head -25 || true
    echo
  done
else
  echo "(perf not available)"
fi
