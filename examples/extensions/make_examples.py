#!/usr/bin/env python3
"""Regenerates the extension example problems from data/measured (run by hand; the build
never runs it). Node classes: UE = cpu1 (1 thread), MEC = cpu16, cloud = cuda (H200).
Compute in seconds (median_us / 1e6), cut bytes = `cut_bytes` of the measured layer."""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "data", "measured")
RUNS = [("ue", "cpu1"), ("mec", "cpu16"), ("cloud", "cuda")]
# Links: UE-MEC 5G radio 25 MB/s (200 Mbit/s), 2 ms per transfer; MEC-cloud 12.5 MB/s, 10 ms.
LINKS = [{"bandwidth": 25e6, "overhead": 0.002}, {"bandwidth": 12.5e6, "overhead": 0.010}]
# Energy model (J): device power while computing (W) and radio energy per byte / per transfer.
POWER_W = [4.0, 65.0, 300.0]
RADIO = [{"per_byte": 2e-7, "fixed": 0.002}, {"per_byte": 5e-8, "fixed": 0.0005}]


def load(model):
    return {run: json.load(open(os.path.join(DATA, f"{model}.{run}.json"))) for _, run in RUNS}


def base(model, deliver="sink"):
    prof = load(model)
    first = prof["cpu1"]
    L = len(first["layers"])
    return prof, {
        "format": "hivemind.problem/v1",
        "layers": L,
        "input_bytes": first["input_bytes"],
        "output_bytes": [l["cut_bytes"] for l in first["layers"]],
        "nodes": [{"name": name, "compute": [l["median_us"] / 1e6 for l in prof[run]["layers"]]}
                  for name, run in RUNS],
        "links": LINKS,
        "deliver": deliver,
    }


def backward(prof):
    return [[(l["bwd_us"] or 0.0) / 1e6 for l in prof[run]["layers"]] for _, run in RUNS]


def write(name, doc):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


# 1. Split training of ResNet18 with parameter migration from a current plan.
prof, doc = base("resnet18_224")
params = [0.0] * doc["layers"]  # parameter bytes per layer: spread the model's total by kind
weighted = [i for i, l in enumerate(prof["cpu1"]["layers"]) if l["kind"] in ("Conv2d", "Linear", "BatchNorm2d")]
for i in weighted:
    params[i] = prof["cpu1"]["param_bytes"] / len(weighted)
doc["parameter_bytes"] = params
doc["training"] = {"backward_compute": backward(prof), "current_boundaries": [4, 30, doc["layers"]],
                   "migration_weight": 0.1}
write("resnet18_training.json", doc)

# 2. Collaborative learning: QMIX agent trained on UE/MEC/cloud, parameters pushed to the
#    central mixer at the sink after every episode (Fig. 8b).
prof, doc = base("qmix_agent", deliver="none")
doc["training"] = {"backward_compute": backward(prof)}
doc["collaborative"] = {"push_bytes": prof["cpu1"]["param_bytes"]}
write("qmix_collaborative.json", doc)

# 3. RNN: the QMIX agent's GRU step as the recurrent module, unrolled 20 steps; the hidden state
#    is 64 float32 = 256 bytes.
prof, doc = base("qmix_agent", deliver="sink")
doc["rnn"] = {"steps": 20, "hidden_bytes": 256}
write("qmix_rnn.json", doc)

# 4. Multiple objectives on ResNet18 inference: minimise energy, latency <= 100 ms.
prof, doc = base("resnet18_224")
L = doc["layers"]
doc["metrics"] = [
    {"name": "latency", "from_problem": True},
    {"name": "energy", "compute": [[POWER_W[p] * t for t in doc["nodes"][p]["compute"]] for p in range(3)],
     "links": RADIO},
]
doc["objective"] = {"minimize": {"energy": 1.0}, "limits": {"latency": 0.06},
                    "linear_weights": {"latency": 40.0}}
write("resnet18_multi.json", doc)

# 5. Node constraints: the UE has 8 MB for parameters + activations, the MEC 40 MB, layer 1
#    (sees the raw image) pinned to the UE for privacy.
prof, doc = base("resnet18_224")
doc["parameter_bytes"] = params
doc["constraints"] = {"memory_bytes": [8e6, 40e6, None], "pinned": {"1": "ue"}}
write("resnet18_constraints.json", doc)
