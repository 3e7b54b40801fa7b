#!/usr/bin/env bash
# Fails when a C++ file of the project differs from what clang-format (.clang-format) makes of it.
# Run by CTest (hygiene.clang_format); `clang-format -i FILE` fixes what it reports.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.cpp' '*.hpp' 2>/dev/null || find src include tests app -name '*.[ch]pp')
# shellcheck disable=SC2086
clang-format --dry-run -Werror $files
echo "clang-format: $(wc -w <<<"$files") files clean"
