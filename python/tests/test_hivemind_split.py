"""hivemind_split against the library's own properties: the optimal methods agree, the
per-node SCI run node by node reproduces the central solve, the codec round-trips to float32,
bad input raises ValueError with the library's one line, the simulator is deterministic."""
import json
import math
import threading
import time

import numpy as np
import pytest

import hivemind_split as hs

OPTIMAL = ["sci", "algorithm1", "dijkstra", "brute"]


def fig2_dict(path):
    with open(path) as f:
        return json.load(f)


def test_optimal_methods_agree_and_baselines_cost_no_less(fig2_path):
    problem = hs.load_problem(fig2_path)
    plans = {m: hs.solve(problem, m) for m in OPTIMAL}
    best = plans["sci"]
    for m, p in plans.items():
        assert p.boundaries == best.boundaries, m
        assert p.cost == pytest.approx(best.cost, rel=1e-12), m
    for m in ["ue-only", "cloud-only", "single-split"]:
        assert hs.solve(problem, m).cost >= best.cost * (1 - 1e-12), m


def test_plan_itemisation_adds_up(fig2_path):
    plan = hs.solve(fig2_path)
    d = plan.to_dict()
    assert len(d["nodes"]) == len(plan.node_names) == 3
    assert plan.boundaries[-1] == hs.load_problem(fig2_path).layers
    total = sum(n["compute"] for n in d["nodes"]) + sum(
        n.get("transfer", 0.0) for n in d["nodes"]) + d["finish"]
    assert total == pytest.approx(plan.cost, rel=1e-12)
    # every layer is run by exactly one node, in order
    ran = []
    for n in d["nodes"]:
        assert n["layer_count"] == n["last_layer"] - n["first_layer"] + 1 >= 0
        ran += list(range(n["first_layer"], n["last_layer"] + 1))
    assert ran == list(range(1, plan.boundaries[-1] + 1))
    json.dumps(d)  # plain Python values only


def test_dict_and_file_give_the_same_problem(fig2_path):
    from_file = hs.load_problem(fig2_path)
    from_dict = hs.load_problem(fig2_dict(fig2_path))
    assert from_dict.to_dict() == from_file.to_dict()
    assert from_dict.compute_s.shape == (3, 3)
    np.testing.assert_array_equal(from_dict.compute_s, from_file.compute_s)
    assert hs.solve(from_dict).cost == hs.solve(from_file).cost
    # round trip through to_dict
    assert hs.solve(from_file.to_dict()).boundaries == hs.solve(from_file).boundaries


def test_bad_problem_raises_value_error_naming_field_and_value(fig2_path):
    d = fig2_dict(fig2_path)
    d["nodes"][1]["compute"][2] = -1
    with pytest.raises(ValueError) as e:
        hs.load_problem(d)
    msg = str(e.value)
    assert "nodes[1].compute[2]" in msg and "-1" in msg and "\n" not in msg
    with pytest.raises(ValueError, match="method"):
        hs.solve(fig2_path, "no-such-method")
    with pytest.raises(ValueError):
        hs.load_problem("/nonexistent/problem.json")
    with pytest.raises(ValueError, match="max_steps"):
        hs.solve(fig2_path, max_steps=-1)


def test_work_budget_refuses_before_running(fig2_path):
    d = fig2_dict(fig2_path)
    with pytest.raises(ValueError, match="max-steps|budget"):
        hs.solve(d, "brute", max_steps=1)


def test_per_node_sci_reproduces_the_solve(fig2_path):
    d = fig2_dict(fig2_path)
    problem = hs.load_problem(d)
    L = problem.layers
    cuts = np.concatenate([[problem.input_bytes], problem.output_bytes])
    P = len(problem.node_names)
    # sink to source: each node from its own costs, its incoming link and the downstream message
    outputs = [None] * P
    zeta_down = None
    arch = problem.architecture_hash()
    for p in reversed(range(P)):
        incoming = None
        if p > 0:
            link = d["links"][p - 1]
            incoming = cuts / link["bandwidth"] + link.get("overhead", 0.0)
        zeta, stop = hs.sci_node(problem.compute_s[p], incoming, 0.0, zeta_down)
        assert zeta.shape == (L + 2,) and stop.shape == (L + 2,)
        outputs[p] = stop
        if p > 0:
            # what goes on the wire: float32 values, checked on receipt
            msg = hs.encode_sci(zeta, arch, epoch=7, sender=p)
            assert len(msg) == hs.sci_message_bytes(L)
            got = hs.decode_sci(msg, L, arch, sender=p)
            assert got["epoch"] == 7 and got["sender"] == p
            np.testing.assert_array_equal(got["zeta"], zeta.astype(np.float32).astype(np.float64))
            zeta_down = zeta
        else:
            source_cost = zeta[1]
    x, boundaries = 0, []
    for p in range(P):
        x = hs.sci_decide(list(outputs[p]), x)
        boundaries.append(x)
    plan = hs.solve(problem)
    assert boundaries == plan.boundaries
    assert source_cost == pytest.approx(plan.cost, rel=1e-12)


def test_codec_refuses_other_models_and_broken_messages(fig2_path):
    problem = hs.load_problem(fig2_path)
    L, arch = problem.layers, problem.architecture_hash()
    zeta, _ = hs.sci_node(problem.compute_s[2])
    msg = hs.encode_sci(zeta, arch, sender=2)
    with pytest.raises(ValueError, match="SCI message"):
        hs.decode_sci(msg, L, arch ^ 1)
    with pytest.raises(ValueError, match="SCI message"):
        hs.decode_sci(msg[:-1], L, arch)
    with pytest.raises(ValueError, match="SCI message"):
        hs.decode_sci(msg, L, arch, sender=1)
    with pytest.raises(ValueError):
        hs.sci_node([1.0, float("nan")])
    with pytest.raises(ValueError):
        hs.sci_decide([0, 1], 5)


def test_plan_of_a_zoo_model_on_a_shipped_route(four_roles_path):
    route = hs.load_route("four_roles")
    assert route.node_names == hs.load_route(four_roles_path).node_names
    profile = hs.load_profile("resnet18")
    plan = hs.plan(profile, route)
    assert len(plan.boundaries) == len(route.node_names)
    assert plan.boundaries[-1] == profile.layers
    assert all(a <= b for a, b in zip(plan.boundaries, plan.boundaries[1:]))
    problem = hs.problem_from_route("resnet18", four_roles_path)
    for m in ["dijkstra", "ue-only", "cloud-only"]:
        assert hs.solve(problem, m).cost >= plan.cost * (1 - 1e-12)
    # a profile given as a dict is the same model
    again = hs.plan(profile.to_dict(), route)
    assert again.boundaries == plan.boundaries and again.cost == pytest.approx(plan.cost)


def test_bad_route_names_the_field(four_roles_path):
    with open(four_roles_path) as f:
        d = json.load(f)
    d["links"][1]["bandwidth_mbps"] = 0
    with pytest.raises(ValueError, match=r"links\[1\]\.bandwidth_mbps"):
        hs.load_route(d)


def simulate_small(**kw):
    return hs.simulate("mmwave-iab", duration_s=2.0, period_s=0.1, **kw)


def test_simulate_returns_per_task_arrays_deterministically():
    a = simulate_small(seed=3)
    b = simulate_small(seed=3)
    r = a["records"]
    n = len(r["task"])
    methods = a["methods"]
    assert n == 20 * len(methods)
    for key in ["method", "arrival_s", "start_s", "latency_s", "energy_j", "exact"]:
        assert len(r[key]) == n, key
    assert r["latency_s"].dtype == np.float64 and r["task"].dtype == np.int64
    assert set(r["method"].tolist()) == set(range(len(methods)))
    assert np.all(r["start_s"] >= r["arrival_s"]) and np.all(r["latency_s"] > 0)
    for key in r:
        np.testing.assert_array_equal(r[key], b["records"][key])
    one = hs.simulate("mmwave-iab", duration_s=2.0, methods=["sci"], keep_plans=True)
    assert one["methods"] == ["sci"] and len(one["records"]["boundaries"]) == 20
    with pytest.raises(ValueError, match="low, mid|load"):
        simulate_small(load="extreme")


def main_thread_steps_during(call):
    """Runs call() in another thread while this one loops on time.sleep(1 ms); returns how many
    of this thread's steps fell strictly inside the call (between timestamps the worker takes
    just before and just after it). A call that holds the GIL throughout allows at most one
    such step (a switch before the call starts), whatever the machine's speed; one that releases
    it allows one per millisecond. No skip and no ratio of durations (issue 24): the workloads
    below run for ~0.4-0.8 s on the 2-core VM (hundreds of steps)."""
    errors, span, steps = [], [], []

    def work():
        try:
            t_enter = time.perf_counter()
            call()
            span.extend([t_enter, time.perf_counter()])
        except Exception as e:  # re-raised below, in the test's thread
            errors.append(e)

    t = threading.Thread(target=work)
    t.start()
    while t.is_alive():
        time.sleep(0.001)
        steps.append(time.perf_counter())
    t.join()
    if errors:
        raise errors[0]
    return sum(1 for s in steps if span[0] < s < span[1])


# At least 5 steps inside the call. Caught: a binding without py::gil_scoped_release (checked by
# hand with a C call that holds the GIL, sum(range(3 * 10**7)), 0.4 s: 0 steps inside, so the
# assertion fails; simulate here: 519).
MIN_STEPS_INSIDE = 5


def test_long_calls_release_the_gil():
    # While simulate runs in another thread, this one keeps running Python code.
    inside = main_thread_steps_during(lambda: hs.simulate("mmwave-iab", duration_s=600.0))
    assert inside >= MIN_STEPS_INSIDE, inside


@pytest.mark.parametrize("method", ["sci", "dijkstra", "single-split"])
def test_to_dict_matches_the_cli_json(fig2_path, method):
    import subprocess
    out = subprocess.run([hs.executable("hivemind"), "solve", fig2_path, "--method", method,
                          "--format", "json"], capture_output=True, text=True, check=True)
    cli = json.loads(out.stdout)
    mine = hs.solve(fig2_path, method).to_dict()
    for key in ["method", "deliver", "cost", "boundaries", "finishing_node"]:
        assert mine[key] == cli[key], key
    assert len(mine["nodes"]) == len(cli["nodes"])
    for a, b in zip(mine["nodes"], cli["nodes"]):
        for key, value in b.items():
            assert a[key] == value, (key, a, b)


def test_bad_problem_message_is_the_clis(tmp_path, fig2_path):
    import subprocess
    d = fig2_dict(fig2_path)
    d["links"][0]["bandwidth"] = 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(d))
    out = subprocess.run([hs.executable("hivemind"), "solve", str(bad)], capture_output=True,
                         text=True)
    assert out.returncode == 2
    with pytest.raises(ValueError) as e:
        hs.solve(str(bad))
    assert out.stderr.strip() == "hivemind: " + str(e.value)


def test_per_node_sci_is_under_the_budget_of_solve():
    # Algorithm 1 on one node is O(L^2): L = 1e6 layers is (L+1)(L+2)/2 = 5e11 steps, above the
    # default budget of 3e9 (solve's estimate with P = 1), so it is refused before it starts
    # instead of holding the GIL for minutes.
    L = 1_000_000
    compute = np.ones(L)
    with pytest.raises(ValueError, match=r"sci_node\(algorithm1=True\) on L = 1000000 layers: "
                                          r"needs 5e\+11 steps, above the budget of 3e\+09"):
        hs.sci_node(compute, downstream_zeta=np.zeros(L + 2), algorithm1=True)
    # The O(L) SCI at the same L is (L+2) steps: it runs.
    zeta, stop = hs.sci_node(compute)
    assert zeta.shape == (L + 2,) and stop.shape == (L + 2,)
    # The budget is the caller's, as for solve: 1000 layers need 501501 steps.
    small = np.ones(1000)
    with pytest.raises(ValueError, match="needs 5.02e\\+05 steps, above the budget of 1e\\+05"):
        hs.sci_node(small, algorithm1=True, max_steps=1e5)
    zeta_a1, _ = hs.sci_node(small, algorithm1=True, max_steps=1e6)
    np.testing.assert_array_equal(zeta_a1, hs.sci_node(small)[0])
    with pytest.raises(ValueError, match="max_memory_mib"):
        hs.sci_node(small, max_memory_mib=0)


def test_per_node_algorithm1_releases_the_gil():
    # As test_long_calls_release_the_gil, for sci_node: 20,000 layers at Algorithm 1's worst
    # case, 2e8 steps (a free downstream makes relaying best at every i, so the skip of lines
    # 10-15 never applies; ~0.4 s here).
    L = 20_000
    inside = main_thread_steps_during(
        lambda: hs.sci_node(np.ones(L), downstream_zeta=np.zeros(L + 2), algorithm1=True))
    assert inside >= MIN_STEPS_INSIDE, inside


def test_torch_profile_stopped_by_its_memory_limit():
    # The profiler runs the module's code: a forward allocating 1 GiB is stopped at
    # max_memory_mib (the profiler's --max-memory-mib), named as this function's argument.
    import torch  # python3-torch is required (the Makefile's packages): no skip
    from hivemind_split.torch import profile

    class Greedy(torch.nn.Module):
        def forward(self, x):
            return x + torch.ones(256, 1024, 1024).sum()

    with pytest.raises(ValueError, match=r"profiling stopped: peak resident memory \d+ MiB "
                                         r"exceeded max_memory_mib 512"):
        profile(Greedy(), torch.zeros(1, 4), max_memory_mib=512)
