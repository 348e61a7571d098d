"""The paper's Fig. 2 example (examples/fig2.json) solved by every optimal method and the
baselines, from Python; then the same problem with a slower MEC-cloud link, built as a dict.

Run: PYTHONPATH=build/python /usr/bin/python3 examples/python/solve_fig2.py
"""
import json
from pathlib import Path

import hivemind_split as hs

path = Path(__file__).resolve().parents[1] / "fig2.json"
problem = hs.load_problem(path)
for method in ["sci", "algorithm1", "dijkstra", "brute", "ue-only", "cloud-only", "single-split"]:
    plan = hs.solve(problem, method)
    print(f"{method:>12}: boundaries {plan.boundaries}, cost {plan.cost:.4f}")

d = json.loads(path.read_text())
d["links"][1]["bandwidth"] = 0.1  # the MEC-cloud link c = 1/10 (Fig. 2's other end)
slow = hs.solve(d)
print(f"c = 0.1: boundaries {slow.boundaries}, cost {slow.cost:.4f}")
assert hs.solve(d, "brute").cost == slow.cost
