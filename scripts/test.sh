#!/usr/bin/env bash
# The whole test suite, from a clean checkout: install what is needed, then
#   1. build (RelWithDebInfo) and run every test (unit, integration, terminal) with CTest;
#   2. build with AddressSanitizer + UndefinedBehaviorSanitizer and run the suite again;
#   3. build the libFuzzer targets with clang and run each for a bounded time.
# Usage: scripts/test.sh [--quick]   (--quick: step 1 only)
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[[ "${1-}" == "--quick" ]] && quick=1
jobs=$(nproc)
fuzz_seconds=${RSTREAM_FUZZ_SECONDS:-60}

scripts/setup.sh test

section() { printf '\n=== %s ===\n' "$*"; }
passed=0
failed=0
# Runs ctest in a build dir and adds its counts to the totals (fails the script on failure).
run_ctest() {
  local dir=$1 timeout=$2 log
  log=$(mktemp)
  local status=0
  ctest --test-dir "$dir" --output-on-failure --timeout "$timeout" -j "$jobs" 2>&1 | tee "$log" || status=$?
  local line
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
  rm -f "$log"
  if [[ -z "$line" ]]; then echo "ctest in $dir ran no test" >&2; exit 1; fi
  local total bad
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
  bad=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
  passed=$((passed + total - bad))
  failed=$((failed + bad))
  if ((status != 0 || bad != 0)); then
    echo "tests: $passed passed, $failed failed"
    exit 1
  fi
}

section "build (RelWithDebInfo)"
scripts/build.sh build
section "tests"
run_ctest build 900

if ((quick)); then
  echo "tests: $passed passed, $failed failed"
  exit 0
fi

section "build (ASan + UBSan)"
scripts/build.sh build-asan -DRSTREAM_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DRSTREAM_PCH=ON
section "tests under ASan + UBSan"
# Leak checking stays on; the suppressions file names only third-party one-time allocations.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The 1 GiB file round trips prove sizes in the first stage; here they prove memory safety.
export RSTREAM_FS_BIG_MIB=64
# Load tests start a quarter of their clients (tests/integration/rstream_harness.py).
export RSTREAM_SANITIZED=1
run_ctest build-asan 1200
unset ASAN_OPTIONS UBSAN_OPTIONS RSTREAM_FS_BIG_MIB RSTREAM_SANITIZED

section "fuzz (libFuzzer, ${fuzz_seconds}s per target)"
if [[ ! -f build-fuzz/build.ninja ]]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DRSTREAM_FUZZ=ON -DRSTREAM_TESTS=OFF -DRSTREAM_PCH=OFF >/dev/null
fi
targets=$(cd tests/fuzz && ls fuzz_*.cpp | sed 's/\.cpp$//')
cmake --build build-fuzz --parallel "$jobs" --target $targets
# One target on a copy of its seed corpus; prints its last lines when done (a block, so that
# targets running side by side do not interleave).
fuzz_one() {
  local target=$1 work_corpus log status=0
  work_corpus=$(mktemp -d)
  log=$(mktemp)
  [[ -d "tests/fuzz/corpus/${target#fuzz_}" ]] && cp -r "tests/fuzz/corpus/${target#fuzz_}"/. "$work_corpus"/
  "build-fuzz/tests/fuzz/$target" -max_total_time="$fuzz_seconds" -print_final_stats=1 \
    "$work_corpus" >"$log" 2>&1 || status=$?
  { echo "fuzzing $target for ${fuzz_seconds}s: exit $status"; tail -n 12 "$log"; }
  rm -rf "$work_corpus" "$log"
  return "$status"
}
# $jobs targets at a time (each is one process on one core).
running=0
fuzz_failures=0
for target in $targets; do
  if (( running >= jobs )); then
    wait -n || fuzz_failures=$((fuzz_failures + 1))
    running=$((running - 1))
  fi
  fuzz_one "$target" &
  running=$((running + 1))
done
while (( running > 0 )); do
  wait -n || fuzz_failures=$((fuzz_failures + 1))
  running=$((running - 1))
done
if (( fuzz_failures > 0 )); then
  echo "$fuzz_failures fuzz target(s) failed (their output is above)" >&2
  exit 1
fi
section "all test stages passed"
echo "tests: $passed passed, $failed failed"
