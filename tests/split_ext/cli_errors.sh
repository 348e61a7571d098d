#!/bin/sh
# Bad input to `hivemind solve` with extension sections: exit code 2, one line on stderr naming
# the field, nothing on stdout. Usage: cli_errors.sh HIVEMIND_BINARY WORK_DIR
set -u
bin=$1
dir=$2
mkdir -p "$dir"
base='"format": "hivemind.problem/v1", "layers": 2, "input_bytes": 8, "output_bytes": [2, 1], "nodes": [{"name": "ue", "compute": [4, 4]}, {"name": "cloud", "compute": [1, 1]}], "links": [{"bandwidth": 1}]'
fail=0
check() {  # check NAME EXPECTED_STDERR_SUBSTRING JSON_EXTRA [ARGS...]
  name=$1; want=$2; extra=$3; shift 3
  printf '{%s%s}\n' "$base" "$extra" > "$dir/$name.json"
  "$bin" solve "$dir/$name.json" "$@" > "$dir/$name.out" 2> "$dir/$name.err"
  rc=$?
  lines=$(wc -l < "$dir/$name.err")
  if [ "$rc" -ne 2 ] || [ -s "$dir/$name.out" ] || [ "$lines" -ne 1 ] || ! grep -qF -- "$want" "$dir/$name.err"; then
    echo "FAIL $name: rc=$rc stdout=$(wc -c < "$dir/$name.out") bytes stderr=$(cat "$dir/$name.err")"
    fail=1
  fi
}
check training 'training.backward_compute: expected 2 entries, got 1' ', "training": {"backward_compute": [[1, 1]]}'
check rnn 'rnn.hidden_bytes: missing field' ', "rnn": {"steps": 2}'
check pins 'no plan satisfies the pinned layers' ', "constraints": {"pinned": {"1": "cloud", "2": "ue"}}'
check method 'method: unknown method "fastest"' '' --method fastest
check exact_without_metrics 'method exact: needs the metrics and objective sections' '' --method exact
check limit_without_metrics '--limit/--minimize: the problem has no metrics and objective sections' '' --limit latency=1
check bad_limit '--limit: "latency" is not METRIC=NUMBER' ', "metrics": [{"name": "latency", "from_problem": true}], "objective": {"minimize": {"latency": 1}}' --limit latency
check infeasible 'method exact: no plan meets the thresholds: latency <= 1' ', "metrics": [{"name": "latency", "from_problem": true}, {"name": "e", "compute": [[1, 1], [1, 1]], "links": [{"per_byte": 1}]}], "objective": {"minimize": {"e": 1}, "limits": {"latency": 1}}' --method exact
check dijkstra_memory 'memory budgets are solved by sci only' ', "parameter_bytes": [1, 1], "constraints": {"memory_bytes": [100, 100]}' --method dijkstra

# --emit-problem is written only once the solve has succeeded: a refused run leaves no file.
multi=', "metrics": [{"name": "latency", "from_problem": true}, {"name": "e", "compute": [[1, 1], [1, 1]], "links": [{"per_byte": 1}]}], "objective": {"minimize": {"e": 1}, "limits": {"latency": 100}}'
check_no_emit() {  # check_no_emit NAME EXPECTED_STDERR_SUBSTRING JSON_EXTRA [ARGS...]
  name=$1; want=$2; extra=$3; shift 3
  rm -f "$dir/$name.emitted.json"
  check "$name" "$want" "$extra" --emit-problem "$dir/$name.emitted.json" "$@"
  if [ -e "$dir/$name.emitted.json" ]; then
    echo "FAIL $name: --emit-problem left $dir/$name.emitted.json behind on exit 2"
    fail=1
  fi
}
check_no_emit emit_unknown_method 'method: unknown method "fastest"' '' --method fastest
check_no_emit emit_bad_limit '--limit: "latency=-1" is not METRIC=NUMBER' "$multi" --limit latency=-1
check_no_emit emit_infeasible 'method exact: no plan meets the thresholds: latency <= 1' "$multi" --method exact --limit latency=1
check_no_emit emit_over_budget 'method algorithm1 (L = 2, P = 2): needs' '' --method algorithm1 --max-steps 1
# ... and is written when it has.
printf '{%s%s}\n' "$base" "$multi" > "$dir/emit_ok.json"
rm -f "$dir/emit_ok.emitted.json"
if ! "$bin" solve "$dir/emit_ok.json" --method exact --emit-problem "$dir/emit_ok.emitted.json" > "$dir/emit_ok.out" 2> "$dir/emit_ok.err" ||
   ! grep -q '"format": "hivemind.problem/v1"' "$dir/emit_ok.emitted.json"; then
  echo "FAIL emit_ok: $(cat "$dir/emit_ok.err")"
  fail=1
fi

# --compare: a method above the work budget gets a row saying so; the command still exits 0.
printf '{%s%s}\n' "$base" "$multi" > "$dir/compare_budget.json"
"$bin" solve "$dir/compare_budget.json" --compare --max-steps 20 > "$dir/compare_budget.out" 2> "$dir/compare_budget.err"
rc=$?
if [ "$rc" -ne 0 ] || [ -s "$dir/compare_budget.err" ] ||
   ! grep -q '^barrier .*needs .* steps, above the budget of 20 (raise it with --max-steps)' "$dir/compare_budget.out"; then
  echo "FAIL compare_budget: rc=$rc stdout=$(cat "$dir/compare_budget.out") stderr=$(cat "$dir/compare_budget.err")"
  fail=1
fi
exit $fail
