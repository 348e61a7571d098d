#!/usr/bin/python3
"""The one checker ctest runs commands through (issue 24): a test passes only when its exit code
AND its output are what it is about. ctest's PASS_REGULAR_EXPRESSION alone ignores the exit code
(a command printing the expected text and exiting 3 passes), so no test uses it; they run

    check_run.py run [--exit N] [--stdout REGEX] [--stderr REGEX] [--stderr-empty]
                     [--stdout-empty] -- COMMAND [ARGS...]
        Runs COMMAND (no shell), then checks: the exit code is N (default 0); REGEX is found in
        stdout / stderr (Python re.search with DOTALL, so `.` spans lines as in CMake's regular
        expressions). With N != 0 (an error): stderr is exactly one line and stdout is empty,
        the project's rule for bad input.

    check_run.py same-plan HIVEMIND PROBLEM METHOD REFERENCE
        `HIVEMIND solve PROBLEM --method M --format json` for METHOD and REFERENCE (each exit 0,
        nothing on stderr): the same boundaries and costs within 1e-9. For the exact methods
        (sci, algorithm1, dijkstra, brute), which must agree.

    check_run.py no-better HIVEMIND PROBLEM BASELINE REFERENCE
        As same-plan, for a baseline (ue-only, cloud-only, single-split), which need not agree:
        its cost is >= REFERENCE's (an optimum) - 1e-9.

    check_run.py skips JUNIT.xml
        Counts the tests a ctest run did not run (ctest --output-junit JUNIT.xml: skipped by
        SKIP_RETURN_CODE, GTEST_SKIP, a missing executable, or disabled), prints the count and
        their names, exit 1 when there is any: no test skips on CI (.ci/run via make test).

It prints what it ran, the captured output, then one verdict line; exit 0 when every check
holds, 1 when one fails (each failure printed), 2 on bad arguments.
"""
import argparse
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

TOLERANCE = 1e-9  # cost units (seconds for the shipped examples)


def run(argv):
    """Runs argv without a shell; returns (exit code, stdout, stderr) as text."""
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True)
    except OSError as e:
        print(f"check_run.py: cannot run {argv[0]}: {e}", file=sys.stderr)
        sys.exit(1)
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


def show(argv, code, out, err):
    print("$ " + " ".join(argv))
    print(f"exit code {code}")
    if out:
        print("--- stdout ---\n" + out.rstrip("\n"))
    if err:
        print("--- stderr ---\n" + err.rstrip("\n"))


def check_run(argv, exit_code=0, stdout_re=None, stderr_re=None, stdout_empty=False,
              stderr_empty=False):
    """Runs argv and returns (failures, stdout): every check of the `run` mode."""
    code, out, err = run(argv)
    show(argv, code, out, err)
    failures = []
    if code != exit_code:
        failures.append(f"exit code {code}, expected {exit_code}")
    if stdout_re is not None and not re.search(stdout_re, out, re.S):
        failures.append(f"stdout does not match /{stdout_re}/")
    if stderr_re is not None and not re.search(stderr_re, err, re.S):
        failures.append(f"stderr does not match /{stderr_re}/")
    if exit_code != 0:
        lines = err.splitlines()
        if len(lines) != 1 or not err.endswith("\n"):
            failures.append(f"an error must be one line on stderr, got {len(lines)} line(s)")
        stdout_empty = True
    if stdout_empty and out:
        failures.append("stdout must be empty")
    if stderr_empty and err:
        failures.append("stderr must be empty")
    return failures, out


def solve_json(hivemind, problem, method):
    """`hivemind solve --format json` for one method: (failures, parsed JSON or None)."""
    failures, out = check_run([hivemind, "solve", problem, "--method", method, "--format", "json"],
                              stderr_empty=True)
    if failures:
        return [f"{method}: {f}" for f in failures], None
    try:
        plan = json.loads(out)
        float(plan["cost"])
        [int(b) for b in plan["boundaries"]]
    except (ValueError, KeyError, TypeError) as e:
        return [f"{method}: not a plan in JSON ({e})"], None
    if plan.get("method") != method:
        return [f"{method}: the JSON names method {plan.get('method')!r}"], None
    return [], plan


def compare(args, same_plan):
    failures, plan = solve_json(args.hivemind, args.problem, args.method)
    more, ref = solve_json(args.hivemind, args.problem, args.reference)
    failures += more
    if plan is None or ref is None:
        return failures
    cost, ref_cost = float(plan["cost"]), float(ref["cost"])
    if same_plan:
        if plan["boundaries"] != ref["boundaries"]:
            failures.append(f"{args.method} plan {plan['boundaries']} != {args.reference} plan "
                            f"{ref['boundaries']}")
        if abs(cost - ref_cost) > TOLERANCE:
            failures.append(f"{args.method} cost {cost!r} != {args.reference} cost {ref_cost!r}")
    else:
        if cost < ref_cost - TOLERANCE:
            failures.append(f"baseline {args.method} cost {cost!r} is below the optimum "
                            f"{ref_cost!r} of {args.reference}")
    if not failures:
        print(f"{args.method}: plan {plan['boundaries']} cost {cost!r}; {args.reference}: plan "
              f"{ref['boundaries']} cost {ref_cost!r}")
    return failures


def skips(junit):
    """The tests ctest did not run, from its JUnit file: [(name, why)]."""
    try:
        cases = ET.parse(junit).getroot().iter("testcase")
    except (OSError, ET.ParseError) as e:
        print(f"check_run.py: cannot read ctest's JUnit file {junit}: {e}", file=sys.stderr)
        sys.exit(2)
    out, total = [], 0
    for case in cases:
        total += 1
        skipped = case.find("skipped")
        if case.get("status") not in ("run", "fail") or skipped is not None:
            why = skipped.get("message") if skipped is not None else case.get("status")
            out.append((case.get("name"), why))
    return out, total


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        print(f"check_run.py: {message}", file=sys.stderr)
        sys.exit(2)


def main():
    parser = Parser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True, parser_class=Parser)
    r = sub.add_parser("run")
    r.add_argument("--exit", type=int, default=0, dest="exit_code")
    r.add_argument("--stdout", dest="stdout_re")
    r.add_argument("--stderr", dest="stderr_re")
    r.add_argument("--stdout-empty", action="store_true")
    r.add_argument("--stderr-empty", action="store_true")
    r.add_argument("command", nargs=argparse.REMAINDER)
    for mode in ("same-plan", "no-better"):
        c = sub.add_parser(mode)
        for name in ("hivemind", "problem", "method", "reference"):
            c.add_argument(name)
    k = sub.add_parser("skips")
    k.add_argument("junit")
    args = parser.parse_args()
    if args.mode == "skips":
        skipped, total = skips(args.junit)
        print(f"ctest: {len(skipped)} of {total} tests skipped or not run (0 expected)")
        for name, why in skipped:
            print(f"  skipped: {name} ({why})")
        sys.exit(1 if skipped else 0)
    if args.mode == "run":
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        if not command:
            parser.error("run: no command after --")
        failures, _ = check_run(command, args.exit_code, args.stdout_re, args.stderr_re,
                                args.stdout_empty, args.stderr_empty)
    else:
        failures = compare(args, same_plan=args.mode == "same-plan")
    for f in failures:
        print(f"check_run.py: FAILED: {f}")
    if failures:
        sys.exit(1)
    print("check_run.py: all checks passed")


if __name__ == "__main__":
    main()
