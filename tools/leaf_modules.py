#!/usr/bin/env python3
"""Checks the paper's workload in the zoo against PyTorch's own forward hooks.

The paper's profiler (Sec. VII-A4) registers a forward hook on every layer of the model; with a
hook on every leaf module (a module without children) of torchvision's ResNet-18 and VGG-11 at
1x3x88x88, this script records each call in execution order: module path (a repeated call of the
same module suffixed _1, _2, as the zoo names it), module class and output bytes. It compares
them with data/zoo/resnet18_88.json and vgg11_88.json (same count, order, names, kinds, output
bytes), and the R-CNN backbone (torchvision's VGG-16 "features" without its last max pool) with
the first layers of data/zoo/rcnn_vgg16_88.json. It prints each model's mean layer output.

    /usr/bin/python3 tools/leaf_modules.py [DATA_DIR]      (DATA_DIR: default data/)

Exit 0: every call matches; 1: a mismatch (printed) or any unexpected error (its traceback);
77: torch or torchvision is not installed (ImportError only: ctest counts it as skipped and
.ci/run fails on it; a broken install raising anything else fails); 2: a zoo file is missing or
malformed.
"""
import json
import os
import sys

SIDE = 88  # pixels, the paper's input side (issue 14; docs/models.md, "The paper's workload")

try:
    import torch
    import torchvision
    from torchvision.models import vgg as tv_vgg
except ImportError as e:  # not installed: the one skip; anything else is a failure
    print(f"leaf_modules.py: skipped: torch/torchvision not installed ({e}); "
          "apt-get install python3-torch python3-torchvision (make deps)")
    sys.exit(77)


class no_init:
    """Skips weight initialisation while building a model: output sizes do not depend on the
    weights, and initialising VGG-11's 133 M parameters takes seconds."""
    NAMES = ("kaiming_uniform_", "kaiming_normal_", "normal_", "uniform_", "constant_")

    def __enter__(self):
        self.saved = {n: getattr(torch.nn.init, n) for n in self.NAMES}
        for n in self.NAMES:
            setattr(torch.nn.init, n, lambda tensor, *args, **kwargs: tensor)

    def __exit__(self, *exc):
        for n, f in self.saved.items():
            setattr(torch.nn.init, n, f)


def leaf_calls(model, prefix=""):
    """(name, class, output bytes, first call of its module) per leaf-module call of one
    forward pass, in execution order."""
    calls, count = [], {}

    def hook_for(name):
        def hook(module, inputs, output):
            k = count.get(name, 0)
            count[name] = k + 1
            calls.append((name if k == 0 else f"{name}_{k}", type(module).__name__,
                          output.numel() * output.element_size(), k == 0))
        return hook

    for name, module in model.named_modules():
        if name and not list(module.children()):
            module.register_forward_hook(hook_for(prefix + name))
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, SIDE, SIDE))
    return calls


def zoo_layers(data, name):
    path = os.path.join(data, "zoo", name + ".json")
    try:
        with open(path) as f:
            return json.load(f)["layers"]
    except (OSError, ValueError, KeyError) as e:
        print(f"leaf_modules.py: {path}: {e}")
        sys.exit(2)


def compare(label, calls, layers):
    """Mismatches between hook calls and zoo layers (same length expected unless prefix)."""
    errors = []
    if len(calls) != len(layers):
        errors.append(f"{label}: {len(calls)} leaf-module calls, the zoo has {len(layers)} layers")
    for i, ((name, cls, nbytes, _), layer) in enumerate(zip(calls, layers)):
        kind = layer["kind"].split("+")[0]  # "BatchNorm2d+add": the module and a merged op
        if (name, cls, nbytes) != (layer["name"], kind, layer["output_bytes"]):
            errors.append(f"{label}: call {i}: hooks see {name} {cls} {nbytes} bytes, the zoo has "
                          f"{layer['name']} {layer['kind']} {layer['output_bytes']:.0f} bytes")
    return errors


def mean_kb(values):
    return sum(values) / len(values) / 1e3


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "data")
    errors = []
    paper = {"resnet18_88": 80, "vgg11_88": 356, "rcnn_vgg16_88": 242}  # KB, Sec. VII-B2
    with no_init():
        models = (("resnet18_88", torchvision.models.resnet18()),
                  ("vgg11_88", torchvision.models.vgg11()))
        # R-CNN: the backbone is VGG-16's features up to conv5_3's ReLU (stride 16).
        backbone = torch.nn.Sequential()
        backbone.add_module("features", tv_vgg.make_layers(tv_vgg.cfgs["D"])[:-1])
    for zoo_name, model in models:
        calls = leaf_calls(model)
        layers = zoo_layers(data, zoo_name)
        errors += compare(zoo_name, calls, layers)
        firsts = [c[2] for c in calls if c[3]]
        print(f"{zoo_name}: {len(calls)} leaf-module calls of {len(firsts)} modules at {SIDE} px; "
              f"mean output {mean_kb([c[2] for c in calls]):.1f} kB per call, "
              f"{mean_kb(firsts):.1f} kB per module (its first call); paper {paper[zoo_name]} KB")
    calls = leaf_calls(backbone)
    layers = zoo_layers(data, "rcnn_vgg16_88")
    errors += compare("rcnn_vgg16_88 backbone", calls, layers[:len(calls)])
    print(f"rcnn_vgg16_88: the backbone's {len(calls)} calls checked against torchvision's "
          f"VGG-16 features; whole model {len(layers)} layers, mean output "
          f"{mean_kb([l['output_bytes'] for l in layers]):.1f} kB (zoo); paper 242 KB")
    for e in errors:
        print(e)
    print("leaf_modules.py: " + ("MISMATCH" if errors else "zoo matches the forward hooks"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
