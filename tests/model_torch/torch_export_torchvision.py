#!/usr/bin/python3
"""Exports torchvision models as TorchScript for the LibTorch profiler's tests
(tests/model_torch/torch_profile_test.cpp): each model scripted (torch.jit.script, control flow
kept: MobileNet-V2's `if self.use_res_connect:`) and traced (torch.jit.trace on one
1x3xSIZExSIZE input, control flow resolved by the trace). Random weights (weights=None):
nothing is downloaded. Run with Debian's /usr/bin/python3 (python3-torch, python3-torchvision).

usage: torch_export_torchvision.py OUT_DIR SIZE MODEL...
writes OUT_DIR/MODEL_script.pt and OUT_DIR/MODEL_trace.pt and prints one JSON object:
  {"torch": VERSION, "threads": torch.get_num_threads() (LibTorch's default here),
   "models": {MODEL: {"param_bytes": bytes of every nn.Parameter}}}
"""
import json
import os
import sys
import warnings

import torch
import torchvision


def main(argv):
    if len(argv) < 4:
        sys.exit("usage: torch_export_torchvision.py OUT_DIR SIZE MODEL...")
    out_dir, size, names = argv[1], int(argv[2]), argv[3:]
    threads = torch.get_num_threads()  # before anything could change it
    torch.manual_seed(0)
    report = {"torch": torch.__version__, "threads": threads, "models": {}}
    for name in names:
        model = getattr(torchvision.models, name)(weights=None).eval()
        example = torch.randn(1, 3, size, size)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's warnings about Python values
            torch.jit.script(model).save(os.path.join(out_dir, name + "_script.pt"))
            torch.jit.trace(model, example).save(os.path.join(out_dir, name + "_trace.pt"))
        param_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
        report["models"][name] = {"param_bytes": param_bytes}
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv)
