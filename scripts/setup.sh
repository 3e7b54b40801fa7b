#!/usr/bin/env bash
# Installs exactly the Debian packages rstream needs to build, test and benchmark.
# The web UI is bundled at build time with node and npm (docs/ui.md): Debian's nodejs and npm
# are installed when `node` or `npm` is missing (a newer node already on PATH is kept). The
# test profile adds chromium for the browser tests; their playwright-core comes from the npm
# registry at build time (tests/browser/package-lock.json).
# Idempotent: packages already present are not reinstalled. Safe to run on a machine
# that has libboost1.74-dev (Debian 12's default Boost): it is replaced by 1.81,
# because the two cannot be installed side by side and rstream needs 1.81.
#
# Usage: scripts/setup.sh [build|test|bench]   (default: build)
set -euo pipefail

profile=${1:-build}

build_packages=(
  build-essential cmake ninja-build pkg-config ccache
  libboost1.81-dev libssl-dev libsodium-dev nlohmann-json3-dev libcli11-dev
  libspdlog-dev libfmt-dev libgtest-dev googletest openssl libsqlite3-dev libvterm-dev
  libzstd-dev
)
test_packages=(
  tmux python3 clang clang-format libclang-rt-14-dev procps curl rclone chromium fonts-dejavu-core
  asciinema vim
)
bench_packages=(
  openssh-server openssh-client hyperfine python3-cryptography
)

wanted=("${build_packages[@]}")
# node and npm from Debian only when the machine has none (nodesource's nodejs, for one,
# bundles npm and conflicts with Debian's npm package).
command -v node >/dev/null 2>&1 || wanted+=(nodejs)
command -v npm >/dev/null 2>&1 || wanted+=(npm)
case "$profile" in
  build) ;;
  test) wanted+=("${test_packages[@]}") ;;
  bench) wanted+=("${test_packages[@]}" "${bench_packages[@]}") ;;
  *) echo "setup.sh: unknown profile '$profile' (build|test|bench)" >&2; exit 2 ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup.sh: all ${#wanted[@]} packages present"
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi

echo "setup.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
# libboost1.74-dev (and the libboost-dev meta package that pulls it) conflicts with 1.81.
if dpkg-query -W -f='${Status}' libboost1.74-dev 2>/dev/null | grep -q 'install ok installed'; then
  echo "setup.sh: removing libboost1.74-dev (conflicts with libboost1.81-dev)"
  "${sudo[@]}" apt-get remove -y -qq libboost1.74-dev libboost-dev >/dev/null || true
fi
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
