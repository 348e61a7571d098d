#!/usr/bin/env bash
# End-to-end tests of the `hivemind` CLI as a real process: exit codes, one-line errors on
# stderr, nothing on stdout on failure, and well-formed output on success.
# usage: cli_test.sh PATH/TO/hivemind EXAMPLES_DIR
set -u
HM=$1
EX=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0

# expect_fail NAME EXPECTED_SUBSTRING -- ARGS...
expect_fail() {
  local name=$1 expected=$2
  shift 3
  "$HM" "$@" >"$TMP/out" 2>"$TMP/err"
  local rc=$?
  local lines
  lines=$(wc -l <"$TMP/err")
  if [ $rc -ne 2 ]; then echo "FAIL $name: exit $rc, expected 2"; fails=$((fails + 1)); return; fi
  if [ -s "$TMP/out" ]; then echo "FAIL $name: stdout not empty"; fails=$((fails + 1)); return; fi
  if [ "$lines" -ne 1 ]; then echo "FAIL $name: $lines stderr lines:"; cat "$TMP/err"; fails=$((fails + 1)); return; fi
  if ! grep -qF -- "$expected" "$TMP/err"; then
    echo "FAIL $name: stderr lacks '$expected':"; cat "$TMP/err"; fails=$((fails + 1)); return
  fi
  echo "ok   $name"
}

# expect_ok NAME EXPECTED_SUBSTRING -- ARGS...
expect_ok() {
  local name=$1 expected=$2
  shift 3
  "$HM" "$@" >"$TMP/out" 2>"$TMP/err"
  local rc=$?
  if [ $rc -ne 0 ]; then echo "FAIL $name: exit $rc"; cat "$TMP/err"; fails=$((fails + 1)); return; fi
  if ! grep -qF -- "$expected" "$TMP/out"; then
    echo "FAIL $name: stdout lacks '$expected':"; head -20 "$TMP/out"; fails=$((fails + 1)); return
  fi
  echo "ok   $name"
}

printf 'not json' >"$TMP/garbage.json"
printf '{"format": "hivemind.problem/v2"}' >"$TMP/v2.json"
sed 's/"bandwidth": 2.0/"bandwidth": -3/' "$EX/fig2.json" >"$TMP/negbw.json"
sed 's/"layers": 3/"layers": 0/' "$EX/fig2.json" >"$TMP/zero_layers.json"
sed 's/0.5, 1.0, 4.0/0.5, NaN, 4.0/' "$EX/fig2.json" >"$TMP/nan.json"

expect_fail "no command" "missing command" --
expect_fail "unknown command" 'unknown command "frobnicate"' -- frobnicate
expect_fail "solve without file" "missing argument: PROBLEM.json" -- solve
expect_fail "solve missing file" "cannot read file" -- solve "$TMP/nope.json"
expect_fail "solve a directory" "is a directory" -- solve "$TMP"
expect_fail "solve not JSON" "not JSON" -- solve "$TMP/garbage.json"
expect_fail "solve unknown format" 'format: unknown format "hivemind.problem/v2"' -- solve "$TMP/v2.json"
expect_fail "solve negative bandwidth" "links[0].bandwidth: -3 must be > 0" -- solve "$TMP/negbw.json"
expect_fail "solve zero layers" "layers: 0 is out of range" -- solve "$TMP/zero_layers.json"
expect_fail "solve NaN cost" "not JSON" -- solve "$TMP/nan.json"
expect_fail "solve unknown method" 'unknown method "fastest"' -- solve "$EX/fig2.json" --method fastest
expect_fail "solve unknown deliver" 'unknown deliver mode "up"' -- solve "$EX/fig2.json" --deliver up
expect_fail "solve unknown format flag" 'unknown format "xml"' -- solve "$EX/fig2.json" --format xml
expect_fail "solve unknown option" "--frob: unknown option" -- solve "$EX/fig2.json" --frob
expect_fail "solve missing option value" "--method: missing value" -- solve "$EX/fig2.json" --method
expect_fail "solve extra argument" 'unexpected argument "extra"' -- solve "$EX/fig2.json" extra
expect_fail "bench bad list" '--layers: "x" is not an integer in [1, 100000]' -- bench --layers x
expect_fail "bench one node" '--nodes: "1" is not an integer in [2, 100000]' -- bench --nodes 3,1
expect_fail "simulate zero coherence" '--coherence-ms: 0 is out of range' -- simulate chain5 --coherence-ms 0 --out "$TMP/sim"
expect_fail "demo bad out" 'cannot create' -- demo --out "$TMP/garbage.json/x"
expect_fail "bench bad format" 'unknown format "csv"' -- bench --format csv

expect_ok "help" "commands:" -- --help
expect_ok "solve help" "--method NAME" -- solve --help
expect_ok "bench help" "--format FORMAT" -- bench --help
expect_ok "demo help" "Fig. 2" -- demo --help
expect_ok "solve table" "boundaries [0, 1, 3]" -- solve "$EX/fig2.json"
expect_ok "solve json" '"boundaries": [' -- solve "$EX/fig2.json" --format json
expect_ok "solve json cost" '"cost": 2.2666666666666' -- solve "$EX/fig2.json" --format json --method brute
expect_ok "solve deliver override" "deliver none" -- solve "$EX/fig2.json" --deliver none
expect_ok "solve dijkstra graph" "graph: 26 vertices" -- solve "$EX/fig2.json" --method dijkstra
expect_ok "bench json" '"sci_message_bytes": 52' -- bench --quick --layers 3 --nodes 3 --format json

if [ $fails -ne 0 ]; then echo "$fails failure(s)"; exit 1; fi
echo "all CLI checks passed"
