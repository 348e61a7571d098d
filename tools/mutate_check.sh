#!/usr/bin/env bash
# The mutation check of issue 24: shows that the tests fail on a wrong answer. Each patch under
# tools/mutations/ is one small, deliberate bug; this script applies them one at a time to a
# scratch copy of the committed tree (HEAD: uncommitted changes are not in it), rebuilds the
# targets the patch names, runs the ctest tests it names, and reverts it. A mutation is "caught"
# when at least one of those tests fails. Run by hand (docs/testing.md): it takes about an hour
# on a 2-core machine, too long for .ci/run.
#
#   tools/mutate_check.sh [--work DIR] [--jobs N] [--timeout S] [PATCH ...]
#
# Each patch file starts with lines the script reads, then a `git diff`:
#   # mutation: what the bug is (one line)
#   # targets: the CMake targets to rebuild (space separated)
#   # tests: the ctest regular expression (-R) of the tests to run
# Before any mutation the same tests run on the unmutated tree and must all pass (else the check
# means nothing and the script stops). Exit 0 when every mutation is caught, 1 when one is not
# (or does not apply / build), 2 on bad arguments.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=${TMPDIR:-/tmp}/hivemind-mutate
jobs=$(nproc)
timeout_s=900
patches=()

usage() {
  sed -n '/^#   tools/s/^#   //p' "$0"
  echo "  --work DIR   scratch copy and its build (default $work; kept for the next run)"
  echo "  --jobs N     build jobs (default $jobs)"
  echo "  --timeout S  per-test timeout for ctest (default $timeout_s s)"
  echo "  PATCH ...    the mutations (default: every tools/mutations/*.patch)"
}

while (($#)); do
  case $1 in
    --work) work=${2:?--work needs a folder}; shift 2 ;;
    --jobs) jobs=${2:?--jobs needs a number}; shift 2 ;;
    --timeout) timeout_s=${2:?--timeout needs seconds}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "mutate_check: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) patches+=("$(realpath "$1")"); shift ;;
  esac
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "mutate_check: --jobs '$jobs' is not a positive integer" >&2; exit 2; }
[[ $timeout_s =~ ^[1-9][0-9]*$ ]] || { echo "mutate_check: --timeout '$timeout_s' is not a positive integer" >&2; exit 2; }
((${#patches[@]})) || patches=("$root"/tools/mutations/*.patch)
for p in "${patches[@]}"; do
  [[ -f $p ]] || { echo "mutate_check: no patch file '$p'" >&2; exit 2; }
done

field() {  # field NAME PATCH: the value of '# NAME:' in the patch's header
  sed -n "s/^# $1: *//p" "$2" | head -n 1
}
for p in "${patches[@]}"; do
  for f in mutation targets tests; do
    [[ -n $(field "$f" "$p") ]] || { echo "mutate_check: $p has no '# $f:' line" >&2; exit 2; }
  done
done

src=$work/src
build=$work/build
log=$work/logs
mkdir -p "$work" "$log"
commit=$(git -C "$root" rev-parse HEAD)
if [[ ! -d $src/.git ]]; then
  git clone --quiet --no-checkout "$root" "$src"
fi
git -C "$src" fetch --quiet "$root" HEAD
commit=$(git -C "$src" rev-parse FETCH_HEAD)
git -C "$src" checkout --quiet --force "$commit"
git -C "$src" clean -fdq
echo "mutate_check: commit $(git -C "$src" log -1 --format='%h %s' | cut -c1-80)"
echo "mutate_check: scratch copy $src, build $build, logs $log"

# The union of the targets, and each distinct test expression once (for the baseline).
targets=() regex=()
for p in "${patches[@]}"; do
  read -r -a t <<<"$(field targets "$p")"
  targets+=("${t[@]}")
  regex+=("$(field tests "$p")")
done
mapfile -t targets < <(printf '%s\n' "${targets[@]}" | sort -u)
mapfile -t regex < <(printf '%s\n' "${regex[@]}" | sort -u)

build_targets() {  # build_targets LOG TARGET...: quiet; the log keeps the output
  local out=$1; shift
  cmake --build "$build" -j "$jobs" --target "$@" >"$out" 2>&1
}
run_tests() {  # run_tests LOG REGEX: ctest's exit code
  local out=$1 re=$2
  ctest --test-dir "$build" -R "$re" --no-tests=error --timeout "$timeout_s" --output-on-failure \
    >"$out" 2>&1
}
summary() {  # "F of N failed" from a ctest log
  local failed total
  total=$(sed -n 's/.*tests passed, [0-9]* tests failed out of \([0-9]*\).*/\1/p' "$1" | tail -n 1)
  failed=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of.*/\1/p' "$1" | tail -n 1)
  echo "${failed:-?} of ${total:-?} failed"
}
elapsed() { echo "$((SECONDS - $1)) s"; }

t0=$SECONDS
echo "mutate_check: configuring and building ${targets[*]} (the first run builds everything they need)"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >"$log/configure.log" 2>&1 ||
  { echo "mutate_check: cmake configure failed, see $log/configure.log" >&2; exit 1; }
build_targets "$log/baseline-build.log" "${targets[@]}" ||
  { echo "mutate_check: the unmutated tree does not build, see $log/baseline-build.log" >&2; exit 1; }
for i in "${!regex[@]}"; do
  if ! run_tests "$log/baseline-tests-$i.log" "${regex[$i]}"; then
    echo "mutate_check: the tests fail on the unmutated tree (-R '${regex[$i]}': $(summary "$log/baseline-tests-$i.log")), see $log/baseline-tests-$i.log" >&2
    exit 1
  fi
  echo "mutate_check: baseline -R '${regex[$i]}': $(summary "$log/baseline-tests-$i.log") ($(elapsed "$t0"))"
done

caught=0 missed=0
printf '\n| # | mutation | tests run | result | time |\n|---|---|---|---|---|\n' >"$work/result.md"
for p in "${patches[@]}"; do
  name=$(basename "$p" .patch)
  what=$(field mutation "$p")
  read -r -a t <<<"$(field targets "$p")"
  re=$(field tests "$p")
  t1=$SECONDS
  result=""
  if ! git -C "$src" apply "$p" 2>"$log/$name-apply.log"; then
    result="NOT APPLIED (see $log/$name-apply.log)"
  elif ! build_targets "$log/$name-build.log" "${t[@]}"; then
    result="NOT BUILT (see $log/$name-build.log)"
  elif run_tests "$log/$name-tests.log" "$re"; then
    result="NOT CAUGHT: every test passed ($(summary "$log/$name-tests.log"))"
  else
    result="caught: $(summary "$log/$name-tests.log")"
  fi
  git -C "$src" checkout --quiet --force "$commit"
  git -C "$src" clean -fdq
  if [[ $result == caught* ]]; then caught=$((caught + 1)); else missed=$((missed + 1)); fi
  printf '| %s | %s | `%s` | %s | %s |\n' "$name" "$what" "$re" "$result" "$(elapsed "$t1")" |
    tee -a "$work/result.md"
  if [[ $result == caught* ]]; then
    sed -n '/The following tests FAILED/,$s/^[[:space:]]*[0-9]* - \(.*\)$/    failed: \1/p' \
      "$log/$name-tests.log" | head -n 5
  fi
done
# Leave the build matching the unmutated tree for the next run's baseline.
build_targets "$log/restore-build.log" "${targets[@]}" || true
echo "mutate_check: $caught of $((caught + missed)) mutations caught ($(elapsed "$t0")); table in $work/result.md"
((missed == 0))
