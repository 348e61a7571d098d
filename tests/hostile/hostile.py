#!/usr/bin/python3
"""Hostile-input corpus of the `hivemind` CLI (issue 10) and the harness that runs it.

  hostile.py make CORPUS            write the corpus: input files + cases.json
  hostile.py run BIN CORPUS [opts]  run every case through BIN (the hivemind executable)

A case is a command line and what the run must show:
  - exit code 0, or exit code 2 with exactly one stderr line and nothing on stdout
    ("expect": "bad" insists on 2, "ok" on 0, "any" takes either);
  - no crash, no sanitizer report (a sanitizer makes the exit code neither 0 nor 2);
  - nothing left behind: on exit 2 the case's scratch folder (its working directory, where
    every output goes) and the corpus inputs are exactly as before the run; "absent" names
    files that must never appear (the shell-injection canary);
  - a hang guard (--guard-s per case, about 10x the expected time: a guard, not a benchmark)
    and a peak-memory guard measured from the child's rusage (--max-rss-mib), not RLIMIT_AS,
    so it works under AddressSanitizer too.
The corpus holds: every item of issue 10 (shell injection, deep nesting in every JSON format,
simulator crashes, FIFOs and devices as input, leftovers on failure, multi-line errors,
inputs that ask for unbounded time or memory) and a seeded mutation corpus of every format
(tools/mutate_inputs.py). fuzz_replay_* (tests/fuzz) read the same input files in-process.
"""
import json
import os
import random
import shutil
import stat
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import mutate_inputs  # noqa: E402  (the mutation operators and the formats they apply to)

EX = os.path.join(ROOT, "examples")
DATA = os.path.join(ROOT, "data")
MUTATIONS_PER_FORMAT = 12


def load(path):
    with open(path) as f:
        return json.load(f)


def nest(depth, leaf=1):
    return "[" * depth + json.dumps(leaf) + "]" * depth


class Corpus:
    def __init__(self, out):
        self.out = out
        self.inputs = os.path.join(out, "inputs")
        os.makedirs(self.inputs, exist_ok=True)
        self.cases = []

    def file(self, name, content):
        path = os.path.join(self.inputs, name)
        mode = "wb" if isinstance(content, bytes) else "w"
        with open(path, mode) as f:
            if isinstance(content, (dict, list)):
                json.dump(content, f, separators=(",", ":"))
            else:
                f.write(content)
        return "{in}/" + name

    def case(self, name, argv, expect="any", setup=(), absent=(), guard_s=10.0):
        self.cases.append({"name": name, "argv": argv, "expect": expect, "setup": list(setup),
                           "absent": list(absent), "guard_s": guard_s})

    def save(self):
        with open(os.path.join(self.out, "cases.json"), "w") as f:
            json.dump(self.cases, f, indent=1)


def problem(layers, nodes, extra=None, compute=0.001, bytes_=1000.0):
    """A hivemind.problem/v1 document with `layers` layers on `nodes` nodes (node p is p+1
    times faster than the UE)."""
    doc = {"format": "hivemind.problem/v1", "layers": layers, "input_bytes": bytes_,
           "output_bytes": [bytes_] * (layers - 1) + [0.0],
           "nodes": [{"name": f"n{p}", "compute": [compute / (p + 1)] * layers} for p in range(nodes)],
           "links": [{"bandwidth": 1e6, "overhead": 0.001}] * (nodes - 1), "deliver": "sink"}
    doc.update(extra or {})
    return doc


def make(out):
    c = Corpus(out)
    fig2 = load(os.path.join(EX, "fig2.json"))
    route = load(os.path.join(DATA, "routes", "four_roles.json"))
    devices = load(os.path.join(DATA, "devices", "devices.json"))
    profile = load(os.path.join(DATA, "zoo", "qmix_agent.json"))
    chain5 = load(os.path.join(DATA, "scenarios", "chain5.json"))
    multi = load(os.path.join(EX, "extensions", "resnet18_multi.json"))
    c.file("fig2.json", fig2)
    measured_route = os.path.join(DATA, "routes", "measured_runs.json")

    # 1. No input reaches a shell.
    c.case("reproduce_out_with_quote",
           ["reproduce", "--quick", "--only", "fig2", "--quiet", "--out", "a'; touch PWNED; echo '"],
           expect="ok", absent=["PWNED"], guard_s=60)
    c.case("reproduce_out_dash_inf", ["reproduce", "--quick", "--only", "fig2", "--quiet", "--out", "-inf"],
           expect="ok", guard_s=60)
    c.case("reproduce_out_dollar", ["reproduce", "--quick", "--only", "fig2", "--quiet", "--no-plots",
                                    "--out", "$(touch PWNED)"], expect="ok", absent=["PWNED"], guard_s=60)

    # 2. Deep nesting in every JSON format, at the top and inside a field an error shows.
    for depth in (20000, 70000):
        deep = nest(depth)
        c.case(f"deep_top_{depth}", ["solve", c.file(f"deep_{depth}.json", deep)], expect="bad")
        p = json.dumps(fig2).replace('"deliver": "sink"', '"deliver": ' + deep)
        c.case(f"deep_problem_field_{depth}", ["solve", c.file(f"deep_problem_{depth}.json", p)], expect="bad")
        r = dict(route)
        text = json.dumps(r).replace('"deliver": "sink"', '"deliver": ' + deep)
        c.case(f"deep_route_{depth}", ["solve", "--model", "resnet18", "--route",
                                       c.file(f"deep_route_{depth}.json", text)], expect="bad")
        text = json.dumps(devices)
        text = text[:-1] + ', "zzz": ' + deep + "}"
        c.case(f"deep_devices_{depth}", ["solve", "--model", "resnet18", "--route",
                                         os.path.join(DATA, "routes", "four_roles.json"), "--devices",
                                         c.file(f"deep_devices_{depth}.json", text)], expect="bad")
        text = json.dumps(profile).replace('"model": "qmix_agent"', '"model": ' + deep)
        c.case(f"deep_profile_{depth}", ["solve", "--model", c.file(f"deep_profile_{depth}.json", text),
                                         "--route", measured_route], expect="bad")
        text = json.dumps(chain5).replace('"name": "chain5"', '"name": ' + deep)
        c.case(f"deep_scenario_{depth}", ["simulate", c.file(f"deep_scenario_{depth}.json", text),
                                          "--duration", "0.2"], expect="bad")
        text = json.dumps(multi).replace('"objective": {', '"objective": {"zzz": ' + deep + ", ")
        c.case(f"deep_extension_{depth}", ["solve", c.file(f"deep_ext_{depth}.json", text), "--compare"],
               expect="bad")

    # 3. Simulator: a link's capacity that makes times non-finite.
    s = json.loads(json.dumps(chain5))
    s["links"][2]["capacity_mbps"] = 1e-300
    c.case("sim_capacity_1e-300", ["simulate", c.file("sim_cap.json", s), "--duration", "0.5"])
    # 4. A node without an uplink.
    s = json.loads(json.dumps(chain5))
    del s["links"][2]
    c.case("sim_node_without_uplink", ["simulate", c.file("sim_no_uplink.json", s), "--duration", "0.2"],
           expect="bad")

    # 5. Inputs that are not regular files, or too big.
    for name, setup in (("fifo", [["fifo", "in.json"]]), ("directory", [["mkdir", "in.json"]])):
        for reader, argv in (("problem", ["solve", "in.json"]),
                             ("route", ["solve", "--model", "resnet18", "--route", "in.json"]),
                             ("devices", ["solve", "--model", "resnet18", "--route",
                                          os.path.join(DATA, "routes", "four_roles.json"), "--devices", "in.json"]),
                             ("profile", ["solve", "--model", "in.json", "--route", measured_route]),
                             ("scenario", ["simulate", "in.json"])):
            c.case(f"{name}_as_{reader}", argv, expect="bad", setup=setup)
    for dev in ("/dev/zero", "/dev/full", "/dev/null", "/dev/stdin"):
        c.case(f"device_{dev[5:]}_as_problem", ["solve", dev], expect="bad")
    c.case("input_over_cap", ["solve", "--max-input-mib", "0.0001", "{in}/fig2.json"], expect="bad")

    # 6. Nothing left behind on exit 2.
    c.case("emit_problem_unknown_method", ["solve", "{in}/fig2.json", "--method", "nope",
                                           "--emit-problem", "p.json"], expect="bad")
    c.case("emit_problem_bad_limit", ["solve", os.path.join(EX, "extensions", "resnet18_multi.json"),
                                      "--method", "exact", "--limit", "latency=x", "--emit-problem", "p.json"],
           expect="bad")
    c.case("emit_problem_infeasible_exact", ["solve", os.path.join(EX, "extensions", "resnet18_multi.json"),
                                             "--method", "exact", "--limit", "latency=1e-9",
                                             "--emit-problem", "p.json"], expect="bad")
    c.case("simulate_out_links_fails", ["simulate", "chain5", "--duration", "0.3", "--out", "out"],
           expect="bad", setup=[["mkdir", "out/links.csv"], ["write", "out/keep.txt"]])
    c.case("reproduce_summary_fails", ["reproduce", "--quick", "--only", "fig2", "--quiet", "--out", "out"],
           expect="bad", setup=[["mkdir", "out/summary.md"], ["write", "out/keep.txt"]], guard_s=60)
    c.case("reproduce_out_is_file", ["reproduce", "--quick", "--only", "fig2", "--quiet", "--out", "f"],
           expect="bad", setup=[["write", "f"]])
    c.case("emit_problem_into_missing_dir", ["solve", "{in}/fig2.json", "--emit-problem", "no/such/p.json"],
           expect="bad")
    # 7. Planted symlinks where old versions put their temporary files (the name is no longer
    # guessable; the victim must stay untouched).
    c.case("emit_problem_planted_symlinks", ["solve", "{in}/fig2.json", "--emit-problem", "p.json"],
           expect="ok", setup=[["write", "victim"]] + [["symlink", "victim", f"p.json.tmp.{n}"]
                                                      for n in range(2, 40)], absent=[])

    # 8. One line whatever the input echoes.
    r = dict(route)
    r["deliver"] = "a\nb\x1b[2J\x1b]0;pwned\x07\u009b31m"
    c.case("route_deliver_newline_escape", ["solve", "--model", "resnet18", "--route",
                                            c.file("route_nl.json", r)], expect="bad")
    p = dict(fig2)
    p["nodes"] = [dict(n) for n in fig2["nodes"]]
    p["nodes"][1]["name\nx"] = 1
    c.case("problem_key_newline", ["solve", c.file("problem_key_nl.json", p)], expect="any")
    p = dict(fig2)
    p["format"] = "x\n" * 1000
    c.case("problem_format_long_multiline", ["solve", c.file("problem_fmt_nl.json", p)], expect="bad")
    c.case("file_name_newline", ["solve", "no\nsuch\x1b[1m.json"], expect="bad")
    c.case("option_value_newline", ["solve", "{in}/fig2.json", "--method", "a\nb"], expect="bad")
    c.case("unknown_command_newline", ["a\nb"], expect="bad")
    c.case("bad_utf8", ["solve", c.file("bad_utf8.json", b'{"format": "\xff\xfe\n"}')], expect="bad")

    # 9. Inputs inside documented ranges that ask for unbounded time or memory.
    big = problem(1_000_000, 3)
    c.file("L1e6.json", big)
    c.case("compare_L1e6", ["solve", "{in}/L1e6.json", "--compare"], guard_s=30)
    c.case("algorithm1_L1e6", ["solve", "{in}/L1e6.json", "--method", "algorithm1"], guard_s=30)
    c.case("brute_L6000_P3", ["solve", c.file("L6000.json", problem(6000, 3)), "--method", "brute"])
    metrics = [{"name": "latency", "from_problem": True}]
    for k in range(4):
        metrics.append({"name": f"m{k}", "compute": [[random.Random(k * 100 + p).random() for _ in range(515)]
                                                     for p in range(10)],
                        "links": [{"per_byte": 1e-6, "fixed": 0.001}] * 9})
    ex = problem(515, 10, {"metrics": metrics, "objective": {
        "minimize": {"latency": 1.0}, "limits": {f"m{k}": 1e9 for k in range(4)}}})
    rng = random.Random(5)
    for n in ex["nodes"]:
        n["compute"] = [rng.random() * 0.01 for _ in range(515)]
    c.case("exact_4_limits_L515_P10", ["solve", c.file("exact4.json", ex), "--method", "exact"])
    bar = problem(100_000, 3, {"metrics": [{"name": "latency", "from_problem": True},
                                           {"name": "energy", "compute": [[0.001] * 100_000] * 3,
                                            "links": [{"per_byte": 1e-6, "fixed": 0.0}] * 2}],
                               "objective": {"minimize": {"energy": 1.0}, "limits": {"latency": 1e9}}})
    c.case("barrier_L1e5", ["solve", c.file("barrier.json", bar), "--method", "barrier"], guard_s=30)
    rnn = problem(1, 10_000, {"rnn": {"steps": 1_000_000, "hidden_bytes": 256}})
    c.case("rnn_R1e6_P1e4", ["solve", c.file("rnn.json", rnn)], guard_s=30)
    layers = 200_000
    prof = {"format": "hivemind.profile/v1", "model": "huge", "input_bytes": 1000.0,
            "layers": [{"name": f"l{i}", "kind": "Linear", "output_bytes": 100.0, "cut_bytes": 100.0,
                        "param_bytes": 10.0, "flops": 10.0} for i in range(layers)],
            "devices": [{"device_class": cls, "forward_s": [1e-6] * layers} for cls in ("cpu1", "cpu16", "cuda")]}
    nodes = 10_000
    rt = {"format": "hivemind.route/v1", "nodes": [{"name": f"n{i}", "device_class": "cpu16"} for i in range(nodes)],
          "links": [{"bandwidth_mbps": 100, "overhead_ms": 1}] * (nodes - 1), "deliver": "sink"}
    rt["nodes"][0]["device_class"] = "cpu1"
    rt["nodes"][-1]["device_class"] = "cuda"
    c.case("route_1e4_nodes_profile_2e5_layers", ["solve", "--model", c.file("huge_profile.json", prof),
                                                  "--route", c.file("huge_route.json", rt)], guard_s=30)
    c.case("simulate_period_0.01ms", ["simulate", "chain5", "--period-ms", "0.01", "--duration", "1000"])
    c.case("simulate_duration_1e6", ["simulate", "chain5", "--duration", "1e6"])
    c.case("simulate_coherence_1e9", ["simulate", "chain5", "--coherence-ms", "1e9", "--duration", "1"])
    for name, edit in (("sci_processing_4e9", lambda d: d["sci"].update(processing_ms=4e9)),
                       ("overhead_2e9", lambda d: d["links"][0].update(overhead_ms=2e9)),
                       ("tti_1e-6", lambda d: d["scheduler"].update(tti_ms=1e-6)),
                       ("ues_1e9", lambda d: d["links"][0]["background"].update(ues=1e9)),
                       ("latency_scale_1e300", lambda d: d["devices"]["ue"].update(latency_scale=1e300))):
        d = json.loads(json.dumps(chain5))
        edit(d)
        c.case(f"scenario_{name}", ["simulate", c.file(f"scen_{name}.json", d), "--duration", "1"])
    iab = load(os.path.join(DATA, "scenarios", "mmwave-iab.json"))
    if "mobility" in iab:
        iab["mobility"]["check_ms"] = 1e-6
        c.case("scenario_check_1e-6", ["simulate", c.file("scen_check.json", iab), "--duration", "1"])

    # Mutation corpus of every format (the operators of tools/mutate_inputs.py), seeded.
    random.seed(20261201)
    for fmt, src, cmd in mutate_inputs.formats("{H}", "{tmp}"):
        doc = load(src)
        for i in range(MUTATIONS_PER_FORMAT):
            name = f"mut_{fmt}_{i}.json"
            c.file(name, mutate_inputs.mutate(doc))
            argv = cmd("{in}/" + name)[1:]
            argv = [a.replace("{tmp}/out", "out") for a in argv]
            c.case(f"mutation_{fmt}_{i}", argv, guard_s=20)
    c.save()
    print(f"{len(c.cases)} cases, inputs in {c.inputs}")


def listing(folder):
    out = {}
    for base, dirs, files in os.walk(folder):
        for n in dirs + files:
            p = os.path.join(base, n)
            st = os.lstat(p)
            # A folder's own size and time change when a staging folder came and went inside
            # it; what it holds is what counts.
            kind = stat.S_IFMT(st.st_mode)
            out[os.path.relpath(p, folder)] = (kind,) if kind == stat.S_IFDIR else (kind, st.st_size, st.st_mtime_ns)
    return out


def run(binary, corpus, guard_factor, max_rss_mib, only):
    with open(os.path.join(corpus, "cases.json")) as f:
        cases = json.load(f)
    inputs = os.path.join(corpus, "inputs")
    before_inputs = listing(inputs)
    failures, slowest, biggest = [], (0, ""), (0, "")
    scratch_root = tempfile.mkdtemp(prefix="hivemind_hostile_")
    try:
        for case in cases:
            if only and only not in case["name"]:
                continue
            scratch = os.path.join(scratch_root, case["name"])
            os.makedirs(scratch)
            for op in case["setup"]:
                target = os.path.join(scratch, op[-1])
                os.makedirs(os.path.dirname(target), exist_ok=True)
                if op[0] == "fifo":
                    os.mkfifo(target)
                elif op[0] == "mkdir":
                    os.makedirs(target, exist_ok=True)
                elif op[0] == "write":
                    with open(target, "w") as f:
                        f.write("keep\n")
                elif op[0] == "symlink":
                    os.symlink(op[1], target)
            before = listing(scratch)
            argv = [binary] + [a.replace("{in}", inputs) for a in case["argv"]]
            guard = case["guard_s"] * guard_factor
            t0 = time.monotonic()
            with open(os.path.join(scratch_root, "stdout"), "w+b") as out, \
                    open(os.path.join(scratch_root, "stderr"), "w+b") as err:
                proc = subprocess.Popen(argv, cwd=scratch, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
                status, rusage = None, None
                while status is None:
                    pid, st, ru = os.wait4(proc.pid, os.WNOHANG)
                    if pid:
                        status, rusage = st, ru
                    elif time.monotonic() - t0 > guard:
                        proc.kill()
                        _, status, rusage = os.wait4(proc.pid, 0)
                        status = "timeout"
                    else:
                        time.sleep(0.005)
                wall = time.monotonic() - t0
                out.seek(0)
                err.seek(0)
                stdout, stderr = out.read(), err.read()
            rss_mib = rusage.ru_maxrss / 1024.0
            slowest = max(slowest, (wall, case["name"]))
            biggest = max(biggest, (rss_mib, case["name"]))
            problems = []
            if status == "timeout":
                problems.append(f"still running after the {guard:.0f} s hang guard")
                code = None
            else:
                code = os.waitstatus_to_exitcode(status)
            lines = stderr.count(b"\n") + (0 if stderr.endswith(b"\n") or not stderr else 1)
            if code is not None:
                if code not in (0, 2):
                    problems.append(f"exit code {code}")
                elif case["expect"] == "ok" and code != 0:
                    problems.append("exit 2, expected 0")
                elif case["expect"] == "bad" and code != 2:
                    problems.append("exit 0, expected 2")
                if code == 2:
                    if lines != 1:
                        problems.append(f"{lines} stderr lines")
                    if stdout:
                        problems.append("stdout not empty")
                    if listing(scratch) != before:
                        problems.append("left files behind: " + ", ".join(sorted(set(listing(scratch)) ^ set(before))))
            if rss_mib > max_rss_mib:
                problems.append(f"peak RSS {rss_mib:.0f} MiB > {max_rss_mib} MiB")
            for a in case["absent"]:
                if os.path.lexists(os.path.join(scratch, a)):
                    problems.append(f"{a} exists (an input reached a shell)")
            if os.path.exists(os.path.join(scratch, "victim")) and open(os.path.join(scratch, "victim")).read() != "keep\n":
                problems.append("a planted symlink was followed")
            status_text = f"exit {code}" if code is not None else "hung"
            line = f"{case['name']:<40} {status_text:<8} {wall:6.2f} s {rss_mib:7.0f} MiB"
            if problems:
                failures.append(case["name"])
                print("FAIL " + line + "  " + "; ".join(problems))
                print("     stderr: " + stderr[:400].decode(errors="replace").replace("\n", "\\n"))
            else:
                print("ok   " + line + ("  | " + stderr[:150].decode(errors="replace").strip() if code == 2 else ""))
            sys.stdout.flush()
            shutil.rmtree(scratch, ignore_errors=True)
    finally:
        shutil.rmtree(scratch_root, ignore_errors=True)
    if listing(inputs) != before_inputs:
        failures.append("corpus inputs changed (a temporary file left beside an input?)")
        print("FAIL the corpus inputs folder changed")
    print(f"slowest: {slowest[1]} {slowest[0]:.2f} s; largest peak RSS: {biggest[1]} {biggest[0]:.0f} MiB")
    if failures:
        print(f"{len(failures)} failing case(s): " + ", ".join(failures))
        return 1
    print("all cases passed")
    return 0


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "make":
        shutil.rmtree(sys.argv[2], ignore_errors=True)
        make(sys.argv[2])
        return 0
    if len(sys.argv) >= 4 and sys.argv[1] == "run":
        opts = sys.argv[4:]
        def opt(name, default):
            return type(default)(opts[opts.index(name) + 1]) if name in opts else default
        return run(os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3]), opt("--guard-factor", 1.0),
                   opt("--max-rss-mib", 2048), opt("--only", ""))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
