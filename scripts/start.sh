#!/usr/bin/env bash
# The main job on embedded defaults: install what is needed, build, and serve this machine's
# terminal on loopback. Stop it with Ctrl-C.
#
#   scripts/start.sh [--listen 127.0.0.1:7681] [other `rstream webtty server` flags]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
scripts/build.sh build
args=("$@")
if [[ " ${args[*]-} " != *" --listen "* ]]; then args=(--listen 127.0.0.1:7681 "${args[@]}"); fi
echo "Starting: build/rstream webtty server ${args[*]}"
echo "Try, from another terminal:  build/rstream webtty exec --url tcp://127.0.0.1:7681 -- uname -a"
exec build/rstream webtty server "${args[@]}"
