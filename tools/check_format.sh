#!/usr/bin/env bash
# Checks that every C++ file of the tree follows .clang-format (run by ctest as
# style.clang_format; `tools/check_format.sh --fix` rewrites the files that differ).
# Pinned to Debian 12's clang-format 14: another version formats some lines differently.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
if ! command -v clang-format >/dev/null; then
  echo "check_format: clang-format is not installed (make deps installs it)" >&2
  exit 2
fi
mapfile -t files < <(find apps bench examples include python src tests tools \( -name '*.cpp' -o -name '*.hpp' \) | sort)
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
# One clang-format process for the whole tree; --dry-run names each file that differs.
mapfile -t bad < <(clang-format --dry-run "${files[@]}" 2>&1 | grep 'warning: code should be clang-formatted' | cut -d: -f1 | sort -u)
if [ ${#bad[@]} -ne 0 ]; then
  echo "check_format: ${#bad[@]} of ${#files[@]} files differ from .clang-format (fix: tools/check_format.sh --fix): ${bad[*]}"
  exit 1
fi
echo "check_format: all ${#files[@]} C++ files follow .clang-format"
