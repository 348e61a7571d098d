#!/usr/bin/env python3
"""Mutation check of every HiveMind input format through the CLI (DEVELOPERS.md ground rule 4:
bad input never crashes). Takes shipped files (route, device catalogue, profile, scenario,
problem files with every extension section), mutates 1-3 JSON values or keys at random
(negative, zero, huge, wrong type, null, removed) and runs the command that reads it. Every run
must exit 0, or 2 with exactly one line on stderr and nothing on stdout.
Usage (from the repo root, after `make`): tools/mutate_inputs.py [SEED] [RUNS_PER_FORMAT]
Not run by `make test` (it takes minutes); 2026-11-27: seeds 1 and 7, 2,480 runs, 0 failures."""
import json, random, subprocess, sys, copy, os, tempfile
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
def paths(x, p=()):
    yield p
    if isinstance(x, dict):
        for k, v in x.items(): yield from paths(v, p + (k,))
    elif isinstance(x, list):
        for i, v in enumerate(x[:6]): yield from paths(v, p + (i,))
def get(x, p):
    for k in p: x = x[k]
    return x
VALS = [-1, 0, 1e308, -1e-300, "x", None, [], {}, True, 1.5, 10**20, "NaN", [1, 2], -0.0]
def mutate(doc):
    d = copy.deepcopy(doc)
    ps = list(paths(d))[1:]
    for _ in range(random.randint(1, 3)):
        p = random.choice(ps)
        try:
            parent = get(d, p[:-1]); k = p[-1]
            r = random.random()
            if r < 0.15 and isinstance(parent, dict): del parent[k]
            elif r < 0.25 and isinstance(parent, list): parent.pop(k)
            else: parent[k] = random.choice(VALS)
        except Exception: pass
    return d
# (format, shipped file, command reading the mutated file f, given the binary H and a
# scratch folder TMP). tests/hostile/hostile.py builds its mutation corpus from these too.
def formats(H, TMP):
    return [
      ("route", ROOT + "/data/routes/four_roles.json", lambda f: [H, "solve", "--model", "resnet18", "--route", f]),
      ("devices", ROOT + "/data/devices/devices.json", lambda f: [H, "solve", "--model", "resnet18", "--route", ROOT + "/data/routes/four_roles.json", "--devices", f]),
      ("profile", ROOT + "/data/zoo/qmix_agent.json", lambda f: [H, "solve", "--model", f, "--route", ROOT + "/data/routes/measured_runs.json"]),
      ("scenario", ROOT + "/data/scenarios/chain5.json", lambda f: [H, "simulate", f, "--duration", "0.2", "--out", TMP + "/out"]),
      ("ext", ROOT + "/examples/extensions/resnet18_multi.json", lambda f: [H, "solve", f, "--compare"]),
      ("train", ROOT + "/examples/extensions/resnet18_training.json", lambda f: [H, "solve", f]),
      ("rnn", ROOT + "/examples/extensions/qmix_rnn.json", lambda f: [H, "solve", f]),
      ("constr", ROOT + "/examples/extensions/resnet18_constraints.json", lambda f: [H, "solve", f, "--compare"]),
    ]


def main():
    H = os.path.join(ROOT, "build", "apps", "hivemind", "hivemind")
    TMP = tempfile.mkdtemp(prefix="hivemind_mutate_")
    random.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
    N = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    bad = 0
    for name, src, cmd in formats(H, TMP):
        doc = json.load(open(src))
        for i in range(N):
            m = mutate(doc)
            f = f"{TMP}/{name}.json"
            with open(f, "w") as fh: json.dump(m, fh)
            try:
                r = subprocess.run(cmd(f), capture_output=True, text=True, timeout=60)
            except subprocess.TimeoutExpired:
                print("TIMEOUT", name, i); bad += 1; continue
            lines = r.stderr.strip().count("\n") + 1 if r.stderr.strip() else 0
            if r.returncode not in (0, 2) or (r.returncode == 2 and (lines != 1 or r.stdout)):
                bad += 1
                os.makedirs(TMP + "/bad", exist_ok=True)
                json.dump(m, open(f"{TMP}/bad/{name}_{i}.json", "w"))
                print("BAD", name, i, r.returncode, r.stderr[:300].replace("\n", " | "), "stdout:", len(r.stdout))
    if bad:
        print(f"{bad} failures; the inputs that failed are in {TMP}/bad")
        sys.exit(1)
    import shutil
    shutil.rmtree(TMP)
    print("0 failures")


if __name__ == "__main__":
    main()
