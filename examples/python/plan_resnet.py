"""From a torchvision model to a split plan on a shipped route, in three lines (the three
after the imports): profile ResNet-18 on this CPU (64 x 64 px input, one measurement), plan it
on data/routes/four_roles.json (UE -> IAB MEC -> core MEC -> cloud), print the plan.

Run: PYTHONPATH=build/python /usr/bin/python3 examples/python/plan_resnet.py
Without torch, torchvision or the hivemind-profile executable it fails (exit 1, one line on
stderr): they are required, not optional (issue 24).
"""
import sys

try:
    import torch
    import torchvision
except ImportError as e:  # required packages (Debian: python3-torch python3-torchvision)
    sys.exit(f"plan_resnet.py: {e} (install python3-torch and python3-torchvision)")
import hivemind_split as hs
from hivemind_split.torch import profile

try:
    hs.executable("hivemind-profile")
except ValueError as e:  # built with -DHIVEMIND_WITH_TORCH=OFF
    sys.exit(f"plan_resnet.py: {e}")

prof = profile(torchvision.models.resnet18(), torch.zeros(1, 3, 64, 64), name="resnet18_64")
plan = hs.plan(prof, "four_roles")
print(plan)

# What it means, node by node (layers are the profile's, in execution order).
for row in plan.to_dict()["nodes"]:
    if row["layer_count"] == 0:
        runs = "relays only"
    else:
        runs = (f"layers {row['first_layer']}-{row['last_layer']} "
                f"({prof.layer_names[row['first_layer'] - 1]} .. "
                f"{prof.layer_names[row['last_layer'] - 1]})")
    send = f", sends {row['cut_bytes'] / 1e3:.1f} kB: {row['transfer'] * 1e3:.3f} ms" if (
        "transfer" in row) else ""
    print(f"  {row['name']:>8}: {runs}, compute {row['compute'] * 1e3:.3f} ms{send}")
print(f"{prof.layers} layers, measured on: {', '.join(prof.device_classes[:1])}; "
      f"plan cost {plan.cost * 1e3:.3f} ms ({plan.cost_name})")
assert plan.boundaries[-1] == prof.layers
