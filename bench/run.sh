#!/usr/bin/env bash
# rstream benchmark harness: rstream side by side with OpenSSH, on 127.0.0.1, in one run.
#
#   bench/run.sh            full run  (N=200 latency runs, 1 GiB throughput, 1000 sessions,
#                                      1000 tunnels, 10000 registered records, 1000 online)
#   bench/run.sh --quick    shorter   (N=50, 256 MiB, 1000 sessions, 1000 tunnels,
#                                      1000 registered records, 100 online)
#
# Measures
#   1. `exec -- true` latency of the whole client process (median, p90): rstream tcp://,
#      rstream tcp:// end-to-end encrypted (a second server with --identity), rstream rstrm://
#      (the first server, reached through a local engine), rstream ws://, ssh (new connection
#      each time), ssh through a ControlMaster (warm).
#   2. throughput of `head -c SIZE /dev/zero | <transport> cat > /dev/null` (median of 3) for
#      a local `cat | cat` pipe (the limit), rstream tcp://, tcp:// E2E, rstrm://, ws://, ssh
#      default cipher and ssh -c aes128-gcm@openssh.com.
#   3. a fresh server with 1000 idle interactive sessions (PTY, `sleep 600`): server RSS per
#      session, fds per session, idle CPU over 5 s, and that the children end when the
#      clients go.
#   4. a fresh engine with 1000 idle tunnels (raw TunnelHello connections from one python
#      process, heartbeats answered): engine RSS per tunnel, fds, idle CPU over 5 s,
#      GET /api/tunnels, the tunnels outlive the 10 s dead-after, and go when closed.
#   5. files: one SIZE file of random bytes in a temp dir (the main server's --fs-root), read
#      once first so every run reads it from the page cache; median of BENCH_REPS runs of
#      `rstream webtty fs read` to /dev/null direct (tcp://) and through the engine
#      (rstrm://, same server), scp and `sftp -b` get from the private sshd, and a local
#      `cat FILE > /dev/null` (the limit); `fs upload` of the same file direct and through the
#      engine, and scp upload, into the same dir (the uploaded file is deleted after each run).
#   6. live sessions (bench/live_bench.py, its own server): keystroke echo through a live
#      session vs a local PTY, and fan-out of a session writing as fast as it can to 1, 10
#      and 100 spectators (`rstream webtty sessions join`).
#   7. registry: a fresh engine; RECORDS registered server records created over one
#      keep-alive connection (engine RSS per offline record, create rate); ONLINE of them
#      enrolled with generated Ed25519 keys and brought online by proof (raw TunnelHello,
#      TunnelChallenge, TunnelProof), each alternating with a lightweight tunnel, heartbeats
#      answered: connect → TunnelWelcome of both kinds (median, p90, the difference); then
#      GET /api/tunnels, GET /api/servers and `rstream webtty server list -o json` (whole
#      process; when the binary has it), median of 10 each.
#   8. managed sessions (bench/managed_bench.py, its own fresh engine and servers): `cat` of
#      256 MiB (--quick: 64 MiB; BENCH_MANAGED_SIZE_MIB) through the engine to a registered
#      server recording `recorded`, one recording `private` and a lightweight tunnel (median
#      of BENCH_REPS, alternating; engine CPU per GB); the store's growth per MB of output;
#      fan-out of a managed session writing 128 MiB (--quick: 32; BENCH_MANAGED_FAN_MIB) to 1,
#      10 and 100 `sessions join` spectators (aggregate rate, engine CPU per GB delivered);
#      keystroke echo through the engine vs direct for each server (1000 rounds, --quick 200;
#      BENCH_MANAGED_ROUNDS).
# Starts its own rstream engine, an rstream server attached to it (--listen and --rstream: one
# process serves both tcp:// and rstrm://), a second one with the same flags plus --identity
# (E2E only; its key pinned and the client's key authorized in the run's HOME) and a private
# sshd (temp host key, temp client key), all on 127.0.0.1 only; every process of the run gets
# HOME in a temp dir. Stops everything it started on exit. Prints a markdown report and
# writes it to bench/results/<timestamp>.md.
#
# Environment: RSTREAM_BIN (default: ../build/rstream relative to this directory),
#   BENCH_RUNS, BENCH_SIZE_MIB, BENCH_REPS, BENCH_SESSIONS, BENCH_TUNNELS,
#   BENCH_IDLE_SECONDS, BENCH_RECORDS, BENCH_ONLINE override the mode's defaults
#   (BENCH_SIZE_MIB and BENCH_REPS also apply to 5.); BENCH_TIMEOUT bounds the whole run
#   (seconds, default 1800); BENCH_ONLY runs only some sections, comma-separated:
#   latency,throughput,sessions,tunnels,files,live,registry,managed (default: all).
# Needs: python3, python3-cryptography (7.), hyperfine (else a python timing loop is used),
#   openssh-server and openssh-client (else the ssh rows are skipped). `scripts/setup.sh
#   bench` installs them.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Bound the whole run: re-run ourselves under timeout(1) once.
if [[ -z ${RSTREAM_BENCH_BOUNDED:-} ]]; then
  export RSTREAM_BENCH_BOUNDED=1
  exec timeout -k 30 "${BENCH_TIMEOUT:-1800}" "$here/run.sh" "$@"
fi

mode=full
case "${1:-}" in
  "") ;;
  --quick) mode=quick ;;
  -h|--help) sed -n '2,62p' "$0"; exit 0 ;;
  *) echo "usage: bench/run.sh [--quick]" >&2; exit 2 ;;
esac

if [[ $mode == full ]]; then
  runs=${BENCH_RUNS:-200}; size_mib=${BENCH_SIZE_MIB:-1024}
  records=${BENCH_RECORDS:-10000}; online=${BENCH_ONLINE:-1000}
else
  runs=${BENCH_RUNS:-50}; size_mib=${BENCH_SIZE_MIB:-256}
  records=${BENCH_RECORDS:-1000}; online=${BENCH_ONLINE:-100}
fi
reps=${BENCH_REPS:-3}
all_sections=latency,throughput,sessions,tunnels,files,live,registry,managed
only=${BENCH_ONLY:-$all_sections}
[[ $only == all ]] && only=$all_sections
IFS=, read -ra only_list <<<"$only"
for s in "${only_list[@]}"; do
  [[ ,$all_sections, == *,"$s",* ]] || {
    echo "bench: BENCH_ONLY: unknown section '$s' (sections: $all_sections)" >&2; exit 2; }
done
want() { [[ ,$only, == *,"$1",* ]]; }  # want SECTION: is it part of this run?
sessions=${BENCH_SESSIONS:-1000}
tunnels=${BENCH_TUNNELS:-1000}
idle_seconds=${BENCH_IDLE_SECONDS:-5}
bytes=$((size_mib * 1024 * 1024))
warmup=5

bin=${RSTREAM_BIN:-$here/../build/rstream}
if [[ ! -x $bin ]]; then
  echo "bench: rstream binary not found or not executable: $bin (set RSTREAM_BIN)" >&2
  exit 2
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
lib=$here/lib/benchlib.py
py() { python3 "$lib" "$@"; }

# Each idle session costs the server ~4 fds (socket, PTY master, ...) and the python client 1:
# 1000 sessions need more than 4096. An idle tunnel costs the engine 1 fd and the python
# client 1; the registry section holds 2 * ONLINE tunnels. Raise the soft limit to 8192 (or
# the hard limit), more if the counts need it.
want_fds=$((sessions * 4 > tunnels * 2 ? sessions * 4 : tunnels * 2))
want_fds=$((online * 4 > want_fds ? online * 4 : want_fds))
want_fds=$((want_fds + 1024 > 8192 ? want_fds + 1024 : 8192))
if [[ $(ulimit -n) != unlimited ]] && (($(ulimit -n) < want_fds)); then
  hard=$(ulimit -Hn)
  if [[ $hard != unlimited ]] && ((hard < want_fds)); then want_fds=$hard; fi
  ulimit -n "$want_fds" || { echo "bench: cannot raise ulimit -n to $want_fds" >&2; exit 2; }
fi

tmp=$(mktemp -d /tmp/rstream-bench.XXXXXX)
results=$tmp/results.jsonl
pids=()
cm_socket=
user=$(id -un)
# Every process of the run gets HOME in the temp dir: rstream keeps E2E identities, pinned
# servers and authorized clients under $HOME/.rstream/webtty, and none of the user's
# ~/.rstream (contexts, keys, pins) may change what is measured. ssh takes ~ from the password
# database, not from $HOME, and sshd gives the remote shell the user's real home.
export HOME=$tmp/home
mkdir -p "$HOME"

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
note() { notes+=("$*"); log "$*"; }
notes=()

cleanup() {
  local rc=$?
  set +e
  if [[ -n $cm_socket && -S $cm_socket ]]; then
    ssh -F /dev/null -o ControlPath="$cm_socket" -O exit "$user@127.0.0.1" >/dev/null 2>&1
  fi
  local pid
  for pid in "${pids[@]}"; do
    # Children of our rstream servers (commands they started) first, by parent pid.
    pkill -TERM -P "$pid" 2>/dev/null
    kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# start_engine OUTVAR_PORT OUTVAR_PID HOME_DIR: an rstream engine on 127.0.0.1:0 whose data
# (admin token, tokens, context) lives under HOME_DIR/.rstream. False if it did not start.
start_engine() {
  local -n eport_ref=$1 epid_ref=$2
  local home=$3 out line
  out=$tmp/engine.$RANDOM
  mkdir -p "$home"
  HOME=$home "$bin" engine --listen 127.0.0.1:0 >"$out.out" 2>"$out.err" </dev/null &
  epid_ref=$!
  pids+=("$epid_ref")
  if ! line=$(py wait-line "$out.out" 10); then
    note "rstream engine did not start: $(tail -3 "$out.err" | tr '\n' ' ')"
    return 1
  fi
  eport_ref=$(sed -n 's/^rstream engine listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' <<<"$line")
  if [[ -z $eport_ref ]]; then
    note "rstream engine: unexpected first line: $line"
    return 1
  fi
  for _ in $(seq 100); do [[ -s $home/.rstream/engine/admin-token ]] && break; sleep 0.05; done
  if [[ ! -s $home/.rstream/engine/admin-token ]]; then
    note "rstream engine wrote no $home/.rstream/engine/admin-token"
    return 1
  fi
}

# start_server OUTVAR_PORT OUTVAR_PID [extra args]: an rstream server on 127.0.0.1:0.
start_server() {
  local -n port_ref=$1 pid_ref=$2
  shift 2
  local out=$tmp/server.$RANDOM
  "$bin" webtty server --listen 127.0.0.1:0 "$@" >"$out.out" 2>"$out.err" </dev/null &
  pid_ref=$!
  pids+=("$pid_ref")
  local line
  if ! line=$(py wait-line "$out.out" 10); then
    echo "bench: rstream server did not start:" >&2; cat "$out.err" >&2; exit 1
  fi
  port_ref=$(sed -n 's/^rstream webtty server listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' <<<"$line")
  [[ -n $port_ref ]] || { echo "bench: unexpected first line: $line" >&2; exit 1; }
  server_out=$out.out server_err=$out.err
}

# ---------------------------------------------------------------- rstream engine + server
# One server process serves tcp:// and ws:// directly and rstrm://bench through the engine,
# so the engine rows differ from the direct ones by the engine path only. The engine's URL
# and admin token reach the server and the clients through the environment (no context file
# in the real HOME); every rstream process of the run gets them, direct rows included.
rport='' rpid='' mport='' mpid='' eport='' epid='' tport='' tpid='' gport='' gpid=''
server_out='' server_err=''
have_engine=
need_main=; { want latency || want throughput || want files; } && need_main=1
# 5. files: the main server also serves this dir at /fs (uploads up to the file's size).
fs_dir=$tmp/fs
fs_args=()
if want files; then
  mkdir -p "$fs_dir"
  fs_args=(--fs-root "$fs_dir" --fs-max-upload "$((bytes + 1048576))")
fi
if [[ -z $need_main ]]; then
  :
elif start_engine eport epid "$tmp/engine-home"; then
  export RSTREAM_ENGINE=http://127.0.0.1:$eport
  RSTREAM_AUTHENTICATION_TOKEN=$(tr -d '\n' <"$tmp/engine-home/.rstream/engine/admin-token")
  export RSTREAM_AUTHENTICATION_TOKEN
  have_engine=1
  log "rstream engine pid $epid on 127.0.0.1:$eport"
fi
if [[ -z $need_main ]]; then
  :
elif [[ -n $have_engine ]]; then
  start_server rport rpid --rstream --name bench "${fs_args[@]}"
  if ! py wait-text "$server_out" "online as rstrm://bench" 15 >/dev/null; then
    note "the server did not come online as rstrm://bench: $(tail -3 "$server_err" | tr '\n' ' ')"
    have_engine=
  fi
else
  note "no engine: the rstrm:// rows are skipped"
  start_server rport rpid "${fs_args[@]}"
fi
[[ -n $need_main ]] && log "rstream $("$bin" --version 2>&1 | head -1) server pid $rpid on 127.0.0.1:$rport"
rs_tcp=("$bin" webtty exec --url "tcp://127.0.0.1:$rport" --)
rs_ws=("$bin" webtty exec --url "ws://127.0.0.1:$rport/webtty" --)
rs_eng=("$bin" webtty exec --url "rstrm://bench" --)

# ---------------------------------------------------------------- E2E server
# A second server with the first one's flags plus --identity srv: it admits end-to-end
# encrypted sessions only. The client side shares the run's HOME: its identity 'default' is
# authorized by srv, and srv's endpoint identity is pinned for 127.0.0.1:PORT (and for
# rstrm://bench-e2e), so `exec --url tcp://127.0.0.1:PORT` runs E2E. The E2E rows differ from
# the plaintext tcp:// rows by the encryption only (the probe round trip is in both).
xport='' xpid='' have_e2e='' have_e2e_engine=''
rs_e2e=() rs_e2e_eng=()
if ! want latency && ! want throughput; then
  :  # only sections 1. and 2. have E2E rows
elif "$bin" webtty identity create --name srv >"$tmp/e2e.log" 2>&1 &&
   "$bin" webtty identity create --name default >>"$tmp/e2e.log" 2>&1 &&
   srv_key=$("$bin" webtty identity show --name srv --endpoint-identity 2>>"$tmp/e2e.log") &&
   cli_key=$("$bin" webtty identity show --name default --endpoint-identity 2>>"$tmp/e2e.log") &&
   "$bin" webtty authorized-client add me --identity srv --key "$cli_key" >>"$tmp/e2e.log" 2>&1
then
  if [[ -n $have_engine ]]; then
    start_server xport xpid --rstream --name bench-e2e --identity srv
    if py wait-text "$server_out" "online as rstrm://bench-e2e" 15 >/dev/null; then
      have_e2e_engine=1
    else
      note "the E2E server did not come online as rstrm://bench-e2e: $(tail -3 "$server_err" | tr '\n' ' ')"
    fi
  else
    start_server xport xpid --identity srv
  fi
  if "$bin" webtty known-server add "127.0.0.1:$xport" --key "$srv_key" >>"$tmp/e2e.log" 2>&1 &&
     { [[ -z $have_e2e_engine ]] ||
       "$bin" webtty known-server add bench-e2e --key "$srv_key" >>"$tmp/e2e.log" 2>&1; }; then
    have_e2e=1
    rs_e2e=("$bin" webtty exec --url "tcp://127.0.0.1:$xport" --)
    rs_e2e_eng=("$bin" webtty exec --url "rstrm://bench-e2e" --)
    log "rstream E2E server pid $xpid on 127.0.0.1:$xport"
    # The E2E server must refuse a client that has not pinned it (else the E2E rows could
    # be plaintext): a HOME without keys or pins.
    if HOME=$tmp/nokeys-home timeout 20 "${rs_e2e[@]}" true >/dev/null 2>"$tmp/e2e-refused.err"; then
      note "the E2E server ran a command for a client without keys: the E2E rows may be plaintext"
    fi
  else
    note "pinning the E2E server failed: E2E rows skipped: $(tail -3 "$tmp/e2e.log" | tr '\n' ' ')"
  fi
else
  note "E2E identities could not be set up (rstream without E2E?): E2E rows skipped: $(tail -3 "$tmp/e2e.log" | tr '\n' ' ')"
fi

# ---------------------------------------------------------------- private sshd
have_ssh=
ssh_cipher=
if ! want latency && ! want throughput && ! want files; then
  :  # no section with ssh rows
elif [[ -x /usr/sbin/sshd ]] && command -v ssh >/dev/null && command -v ssh-keygen >/dev/null; then
  ssh-keygen -q -t ed25519 -N '' -C bench-host -f "$tmp/host_key"
  ssh-keygen -q -t ed25519 -N '' -C bench-client -f "$tmp/client_key"
  cp "$tmp/client_key.pub" "$tmp/authorized_keys"
  sport=$(py free-port)
  mkdir -p /run/sshd 2>/dev/null || true
  # scp (SFTP protocol since OpenSSH 9.0) and sftp need the subsystem: Debian's default one.
  sftp_server=/usr/lib/openssh/sftp-server
  [[ -x $sftp_server ]] || sftp_server=internal-sftp
  cat >"$tmp/sshd_config" <<EOF
ListenAddress 127.0.0.1
HostKey $tmp/host_key
AuthorizedKeysFile $tmp/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile none
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
LogLevel ERROR
MaxStartups 100:30:200
MaxSessions 100
# The client may send SHLVL=1: then the remote bash does not source ~/.bashrc (see below).
AcceptEnv SHLVL
Subsystem sftp $sftp_server
EOF
  if /usr/sbin/sshd -t -f "$tmp/sshd_config" -p "$sport" 2>"$tmp/sshd.err"; then
    /usr/sbin/sshd -D -e -f "$tmp/sshd_config" -p "$sport" 2>>"$tmp/sshd.err" </dev/null &
    pids+=("$!")
    if py wait-port "$sport" 10; then
      have_ssh=1
    else
      note "sshd did not start: $(tr '\n' ' ' <"$tmp/sshd.err")"
    fi
  else
    note "sshd config rejected: $(tr '\n' ' ' <"$tmp/sshd.err")"
  fi
else
  note "openssh-server/openssh-client not installed: ssh rows skipped (scripts/setup.sh bench)"
fi

if [[ -n $have_ssh ]]; then
  ssh_base=(ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
            -o BatchMode=yes -o LogLevel=ERROR -o IdentitiesOnly=yes
            -i "$tmp/client_key" -p "$sport")
  # Debian's bash sources ~/.bashrc for commands run by sshd unless SHLVL is already set.
  # A heavy ~/.bashrc (pyenv init: ~0.35 s here) is the user's cost, not the transport's,
  # so the main ssh rows send SHLVL=1; one latency row shows ssh as users see it.
  ssh_clean=("${ssh_base[@]}" -o SetEnv=SHLVL=1)
  ssh_new=("${ssh_clean[@]}" "$user@127.0.0.1")
  if ! timeout 20 "${ssh_new[@]}" true 2>"$tmp/ssh.err"; then
    note "ssh to the private sshd failed: $(tr '\n' ' ' <"$tmp/ssh.err") $(tr '\n' ' ' <"$tmp/sshd.err")"
    have_ssh=
  fi
fi
ssh_cm=()
if [[ -n $have_ssh ]]; then
  ssh_cipher=$(timeout 20 "${ssh_base[@]}" -v "$user@127.0.0.1" true 2>&1 |
               sed -n 's/.*kex: server->client cipher: \([^ ]*\).*/\1/p' | head -1)
fi
if [[ -n $have_ssh ]] && want latency; then
  cm_socket=$tmp/cm
  "${ssh_clean[@]}" -M -N -o ControlPath="$cm_socket" -o ControlPersist=no \
    "$user@127.0.0.1" </dev/null 2>>"$tmp/ssh.err" &
  pids+=("$!")
  for _ in $(seq 100); do
    ssh -F /dev/null -o ControlPath="$cm_socket" -O check "$user@127.0.0.1" >/dev/null 2>&1 && break
    sleep 0.1
  done
  ssh_cm=("${ssh_clean[@]}" -o ControlPath="$cm_socket" -o ControlMaster=no "$user@127.0.0.1")
  if ! timeout 20 "${ssh_cm[@]}" true 2>>"$tmp/ssh.err"; then
    note "ssh ControlMaster did not come up; ControlMaster row skipped"
    ssh_cm=()
  fi
  # Is the SHLVL trick in effect (also through the master)?
  # shellcheck disable=SC2016 # $SHLVL is expanded by the remote shell
  lvl=$(timeout 20 "${ssh_new[@]}" 'echo $SHLVL' 2>/dev/null || true)
  [[ $lvl == 2 ]] || note "ssh: remote SHLVL is '$lvl' (expected 2): ~/.bashrc may be sourced"
  if ((${#ssh_cm[@]})); then
    # shellcheck disable=SC2016
    lvl=$(timeout 20 "${ssh_cm[@]}" 'echo $SHLVL' 2>/dev/null || true)
    [[ $lvl == 2 ]] || note "ssh ControlMaster: remote SHLVL is '$lvl' (expected 2): ~/.bashrc may be sourced"
  fi
fi

# ---------------------------------------------------------------- meta
model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
py record-meta "date=$(date -u '+%Y-%m-%d %H:%M UTC')" "mode=$mode" "sections=$only" \
  "machine=$(nproc) CPU ($model), $(awk '/MemTotal/ {printf "%.1f GiB RAM", $2/1048576}' /proc/meminfo)" \
  "kernel=$(uname -sr)" "rstream=$("$bin" --version 2>&1 | head -1) ($bin)" \
  "openssh=$(ssh -V 2>&1 | head -1)" "ssh_cipher=${ssh_cipher:-n/a} (default, negotiated)" \
  >>"$results"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- correctness smoke test
check_bytes() {  # label cmd...: 8 MiB must come back intact (byte count)
  local label=$1 n
  shift
  n=$(head -c 8388608 /dev/zero | timeout 60 "$@" 2>>"$tmp/check.err" | wc -c) || true
  [[ $n == 8388608 ]] || note "$label: 8 MiB through cat returned $n bytes"
}
if want latency || want throughput; then
  check_bytes "rstream tcp" "${rs_tcp[@]}" cat
  [[ -n $have_e2e ]] && check_bytes "rstream tcp E2E" "${rs_e2e[@]}" cat
  [[ -n $have_e2e_engine ]] && check_bytes "rstream rstrm E2E" "${rs_e2e_eng[@]}" cat
  [[ -n $have_engine ]] && check_bytes "rstream rstrm" "${rs_eng[@]}" cat
  check_bytes "rstream ws" "${rs_ws[@]}" cat
  [[ -n $have_ssh ]] && check_bytes "ssh" "${ssh_new[@]}" cat
fi

# ---------------------------------------------------------------- 1. latency
have_hyperfine=
command -v hyperfine >/dev/null && have_hyperfine=1
latency() {  # label cmd...
  local label=$1 json=$tmp/lat.$RANDOM.json tool
  shift
  log "latency: $label ($runs runs)"
  if [[ -n $have_hyperfine ]]; then
    tool="hyperfine -N, $warmup warm-up runs"
    local cmdline
    cmdline=$(printf '%q ' "$@")
    if ! timeout 900 hyperfine -N --warmup "$warmup" --runs "$runs" --style none \
        --export-json "$json" "$cmdline" >"$tmp/hyperfine.log" 2>&1; then
      note "latency $label failed: $(tail -3 "$tmp/hyperfine.log" | tr '\n' ' ')"
      return 0
    fi
  else
    tool="python perf_counter loop, $warmup warm-up runs"
    if ! timeout 900 python3 "$lib" latency --runs "$runs" --warmup "$warmup" --out "$json" \
        -- "$@" 2>"$tmp/latency.err"; then
      note "latency $label failed: $(tail -3 "$tmp/latency.err" | tr '\n' ' ')"
      return 0
    fi
  fi
  py record-latency "$label" "$json" "$tool" >>"$results"
}

if want latency; then
latency "local \`true\` (process spawn floor)" true
latency "rstream tcp://" "${rs_tcp[@]}" true
[[ -n $have_e2e ]] && latency "rstream tcp:// E2E (second server, --identity)" "${rs_e2e[@]}" true
[[ -n $have_engine ]] && latency "rstream rstrm:// (same server, through the engine)" "${rs_eng[@]}" true
latency "rstream ws://" "${rs_ws[@]}" true
if [[ -n $have_ssh ]]; then
  latency "ssh, new connection" "${ssh_new[@]}" true
  ((${#ssh_cm[@]})) && latency "ssh, ControlMaster (warm, multiplexed)" "${ssh_cm[@]}" true
  latency "ssh, new connection, remote ~/.bashrc sourced (as users get it)" \
    "${ssh_base[@]}" "$user@127.0.0.1" true
fi
fi

# ---------------------------------------------------------------- 2. throughput
throughput() {  # label cmd... (the command reads stdin, writes stdout)
  local label=$1 secs=() i t0 t1
  shift
  log "throughput: $label ($size_mib MiB x $reps)"
  for ((i = 0; i < reps; i++)); do
    t0=$EPOCHREALTIME
    if ! head -c "$bytes" /dev/zero | timeout 600 "$@" >/dev/null 2>>"$tmp/tput.err"; then
      note "throughput $label failed: $(tail -2 "$tmp/tput.err" | tr '\n' ' ')"
      return 0
    fi
    t1=$EPOCHREALTIME
    secs+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')")
  done
  py record-throughput "$label" "$bytes" "${secs[@]}" >>"$results"
}

if want throughput; then
throughput "local \`cat | cat\` (the limit)" sh -c 'cat | cat'
throughput "rstream tcp://" "${rs_tcp[@]}" cat
[[ -n $have_e2e ]] && throughput "rstream tcp:// E2E (second server, --identity)" "${rs_e2e[@]}" cat
[[ -n $have_engine ]] && throughput "rstream rstrm:// (same server, through the engine)" "${rs_eng[@]}" cat
throughput "rstream ws://" "${rs_ws[@]}" cat
if [[ -n $have_ssh ]]; then
  throughput "ssh (default cipher: ${ssh_cipher:-?})" "${ssh_new[@]}" cat
  throughput "ssh -c aes128-gcm@openssh.com" "${ssh_clean[@]}" -c aes128-gcm@openssh.com \
    "$user@127.0.0.1" cat
fi
fi

# ---------------------------------------------------------------- 3. idle sessions
if want sessions; then
log "memory: $sessions idle interactive sessions on a fresh server"
start_server mport mpid --max-sessions "$((sessions + 16))"
if ! timeout 300 python3 "$lib" memtest --port "$mport" --pid "$mpid" --sessions "$sessions" \
    --idle "$idle_seconds" >>"$results" 2>"$tmp/memtest.err"; then
  note "memory test failed: $(tail -3 "$tmp/memtest.err" | tr '\n' ' ')"
fi
fi

# ---------------------------------------------------------------- 4. idle tunnels
# A fresh engine (own HOME), so its memory starts from nothing; the tunnels are raw
# TunnelHello connections from one python process, not 1000 server processes.
if want tunnels; then
log "engine: $tunnels idle tunnels on a fresh engine"
if start_engine tport tpid "$tmp/engine2-home"; then
  if ! timeout 300 python3 "$lib" tunneltest --port "$tport" --pid "$tpid" \
      --token-file "$tmp/engine2-home/.rstream/engine/admin-token" --tunnels "$tunnels" \
      --idle "$idle_seconds" --hold 12 >>"$results" 2>"$tmp/tunneltest.err"; then
    note "tunnel test failed: $(tail -3 "$tmp/tunneltest.err" | tr '\n' ' ')"
  fi
fi
fi

# ---------------------------------------------------------------- 5. files
# One SIZE file of random bytes in the main server's --fs-root (a temp dir, same disk for
# every row), read once first: every read row reads it from the page cache. Uploads land in
# the same dir and are deleted after each run.
files_time() {  # OP LABEL CHECK CMD...: time CMD (stdin /dev/null, stdout /dev/null) reps times;
  # CHECK (a shell snippet, may be empty) runs after each run and must succeed
  local op=$1 label=$2 check=$3 secs=() i t0 t1
  shift 3
  log "files: $op $label ($size_mib MiB x $reps)"
  for ((i = 0; i < reps; i++)); do
    t0=$EPOCHREALTIME
    if ! timeout 600 "$@" </dev/null >/dev/null 2>>"$tmp/files.err"; then
      note "files $op $label failed: $(tail -2 "$tmp/files.err" | tr '\n' ' ')"
      return 0
    fi
    t1=$EPOCHREALTIME
    if [[ -n $check ]] && ! eval "$check"; then
      note "files $op $label: check failed: $check"
      return 0
    fi
    secs+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')")
  done
  py record-files "$op" "$label" "$bytes" "${secs[@]}" >>"$results"
}
# upload_ok NAME: the uploaded file has the right size; then delete it.
upload_ok() {
  local f=$fs_dir/$1 n
  n=$(stat -c %s "$f" 2>/dev/null || echo missing)
  rm -f "$f"
  [[ $n == "$bytes" ]] || { note "upload $1: $n bytes, expected $bytes"; return 1; }
}

if want files; then
  log "files: creating a $size_mib MiB file of random bytes in $fs_dir"
  big=$fs_dir/big.bin
  head -c "$bytes" /dev/urandom >"$big"
  cat "$big" >/dev/null  # into the page cache
  fs_tcp=(--url "tcp://127.0.0.1:$rport")
  fs_eng=(--url "rstrm://bench")
  # Byte-exact once, through a pipe (the timed runs write to /dev/null).
  sum=$(cksum <"$big")
  for u in "tcp://127.0.0.1:$rport" ${have_engine:+rstrm://bench}; do
    got=$(timeout 600 "$bin" webtty fs read -q --url "$u" /big.bin 2>>"$tmp/files.err" | cksum) || true
    [[ $got == "$sum" ]] || note "fs read --url $u: content differs (cksum $got, expected $sum)"
  done
  py record-meta "files=$size_mib MiB file of random bytes in a temp dir on $(df --output=source "$fs_dir" | tail -1) ($(stat -f -c %T "$fs_dir")), read once before the runs (page cache warm); reads go to /dev/null" >>"$results"

  files_time read "local \`cat FILE > /dev/null\` (the limit)" "" cat "$big"
  files_time read "rstream fs read, tcp:// (direct)" "" "$bin" webtty fs read -q "${fs_tcp[@]}" /big.bin
  [[ -n $have_engine ]] &&
    files_time read "rstream fs read, rstrm:// (same server, through the engine)" "" \
      "$bin" webtty fs read -q "${fs_eng[@]}" /big.bin
  if [[ -n $have_ssh ]]; then
    scp_base=(-F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
              -o BatchMode=yes -o LogLevel=ERROR -o IdentitiesOnly=yes
              -i "$tmp/client_key" -P "$sport")
    files_time read "scp (default: SFTP protocol, cipher ${ssh_cipher:-?})" "" \
      scp -q "${scp_base[@]}" "$user@127.0.0.1:$big" /dev/null
    printf 'get %s /dev/null\n' "$big" >"$tmp/sftp-get"
    files_time read "sftp -b (get)" "" sftp -q "${scp_base[@]}" -b "$tmp/sftp-get" "$user@127.0.0.1"
  fi

  files_time write "rstream fs upload, tcp:// (direct)" "upload_ok up-tcp.bin" \
    "$bin" webtty fs upload -q "${fs_tcp[@]}" "$big" /up-tcp.bin
  [[ -n $have_engine ]] &&
    files_time write "rstream fs upload, rstrm:// (same server, through the engine)" \
      "upload_ok up-eng.bin" "$bin" webtty fs upload -q "${fs_eng[@]}" "$big" /up-eng.bin
  if [[ -n $have_ssh ]]; then
    files_time write "scp upload (default: SFTP protocol, cipher ${ssh_cipher:-?})" \
      "upload_ok up-scp.bin" scp -q "${scp_base[@]}" "$big" "$user@127.0.0.1:$fs_dir/up-scp.bin"
  fi
  rm -f "$big"
fi

# ---------------------------------------------------------------- 6. live sessions
if want live; then
  log "live sessions: echo latency and fan-out"
  live_args=(); [[ $mode == quick ]] && live_args=(--quick)
  if ! timeout 900 python3 "$here/live_bench.py" "$bin" "${live_args[@]}" >"$tmp/live.md" \
      2>>"$tmp/live.err"; then
    note "live sessions bench failed: $(tail -2 "$tmp/live.err" | tr '\n' ' ')"
    : >"$tmp/live.md"
  fi
fi

# ---------------------------------------------------------------- 7. registered servers
# A fresh engine (own HOME, its SQLite store there): its memory with RECORDS offline records,
# then ONLINE of them online by proof beside ONLINE lightweight tunnels, and the inventory.
if want registry; then
  log "registry: $records registered records, $online online beside $online tunnels, fresh engine"
  if start_engine gport gpid "$tmp/engine3-home"; then
    py record-meta "registry=engine store (SQLite) on $(df --output=fstype,source "$tmp/engine3-home" | tail -1 | tr -s ' ')" >>"$results"
    if ! timeout 900 python3 "$lib" registrytest --port "$gport" --pid "$gpid" \
        --token-file "$tmp/engine3-home/.rstream/engine/admin-token" --records "$records" \
        --online "$online" --bin "$bin" >>"$results" 2>"$tmp/registrytest.err"; then
      note "registry test failed: $(tail -3 "$tmp/registrytest.err" | tr '\n' ' ')"
    fi
  fi
fi

# ---------------------------------------------------------------- 8. managed sessions
# Its own fresh engine (HOME and SQLite store in a temp dir), two registered servers and a
# lightweight tunnel: throughput recorded/private/lightweight, recording size, fan-out,
# echo through the engine vs direct.
if want managed; then
  log "managed sessions: throughput, recording size, fan-out, echo through the engine"
  managed_args=(); [[ $mode == quick ]] && managed_args=(--quick)
  if ! timeout 1200 python3 "$here/managed_bench.py" "$bin" "${managed_args[@]}" \
      >"$tmp/managed.md" 2>>"$tmp/managed.err"; then
    note "managed sessions bench failed: $(tail -2 "$tmp/managed.err" | tr '\n' ' ')"
    : >"$tmp/managed.md"
  fi
fi

# ---------------------------------------------------------------- report
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
py record-meta "load=loadavg $load_start at start, $load_end at end (noisy if well above 0)" \
  >>"$results"
if ((${#notes[@]})); then
  py record-meta "notes=$(printf '%s; ' "${notes[@]}")" >>"$results"
fi
mkdir -p "$here/results"
out=$here/results/$(date -u +%Y%m%dT%H%M%SZ)-$mode.md
py report "$results" >"$out"
if want live && [[ -s $tmp/live.md ]]; then cat "$tmp/live.md" >>"$out"; fi
if want managed && [[ -s $tmp/managed.md ]]; then cat "$tmp/managed.md" >>"$out"; fi
cat "$out"
log "written to $out"
