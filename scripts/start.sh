#!/usr/bin/env bash
# The main job on embedded defaults: install what is needed, build, start an engine on
# loopback (data under ~/.rstream), and attach this machine's terminal to it as a tunnel
# named after the host. Stop both with Ctrl-C.
#
#   scripts/start.sh [--name NAME] [other `rstream webtty server` flags, e.g. --label role=dev]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
scripts/build.sh build

engine_listen=${RSTREAM_ENGINE_LISTEN:-127.0.0.1:8765}
args=("$@")
if [[ " ${args[*]-} " != *" --name "* ]]; then args=(--name "$(hostname -s)" "${args[@]}"); fi

echo "Starting: build/rstream engine --listen $engine_listen"
build/rstream engine --listen "$engine_listen" &
engine_pid=$!
trap 'kill "$engine_pid" 2>/dev/null; wait "$engine_pid" 2>/dev/null' EXIT INT TERM
# The engine writes the 'local' context (engine URL and admin token) before it listens.
for _ in $(seq 1 100); do
  if build/rstream project current >/dev/null 2>&1 &&
      (exec 3<>"/dev/tcp/${engine_listen%:*}/${engine_listen##*:}") 2>/dev/null; then break; fi
  sleep 0.1
done
name=""
for ((i = 0; i < ${#args[@]}; i++)); do
  if [[ ${args[$i]} == --name ]]; then name=${args[$((i + 1))]:-}; fi
done
echo "Starting: build/rstream webtty server --rstream ${args[*]}"
echo "Try, from another terminal:"
echo "  build/rstream webtty list"
echo "  build/rstream webtty exec --url rstrm://$name -- uname -a"
build/rstream webtty server --rstream "${args[@]}"
