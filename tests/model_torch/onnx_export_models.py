#!/usr/bin/python3
"""Exports the models of the ONNX-vs-TorchScript tests (tests/model_torch/onnx_torch_test.cpp).

usage: /usr/bin/python3 onnx_export_models.py OUT_DIR

Writes, for each model below, OUT_DIR/NAME.onnx (torch.onnx.export, the exporter's defaults
but the ones named; torch 1.13's default opset is 14) and OUT_DIR/NAME.pt (torch.jit.trace of
the same module, same input), then OUT_DIR/models.txt listing "NAME D0,D1,..." per model, the
input shape both were made with.
Random weights (weights=None): nothing is downloaded. Every file is written under a temporary
name and renamed, so a reader never sees half a file.

Models:
  mobilenet_v3_small  torchvision, 1x3x224x224, static shapes: conv + batch norm (folded into
                      the conv by the exporter), Hardswish, squeeze-excitation blocks; the
                      export starts with Identity nodes on shared (deduplicated) initializers
  resnet18            torchvision, 1x3x224x224, batch dimension exported as symbolic (dynamic_axes)
  viewnet             below, 1x3x16x16, symbolic batch, exported without constant folding:
                      x.view(x.size(0), -1) becomes Shape/Gather/Unsqueeze/Concat/Reshape, a
                      weight's transpose and cast stay nodes (Transpose, Cast of initializers)
  *_op13              the same at opset 13 (torch <= 1.12's default): Hardswish becomes
                      HardSigmoid + Mul, and ONNX 1.12's shape inference cannot follow
                      viewnet's shape arithmetic into Reshape-13 (the importer evaluates it)
"""
import os
import sys

import torch
import torchvision


class ViewNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.relu = torch.nn.ReLU()
        self.fc = torch.nn.Linear(8 * 16 * 16, 10)
        self.proj = torch.nn.Parameter(torch.randn(10, 10))

    def forward(self, x):
        x = self.relu(self.conv(x))
        x = x.view(x.size(0), -1)
        y = self.fc(x)
        # A weight transposed and cast in forward: computed from the parameter alone.
        return torch.matmul(y, self.proj.t().half().float())


def export(out_dir, name, model, shape, dynamic_batch, fold, opset=None):
    model.eval()
    x = torch.randn(*shape)
    onnx_path = os.path.join(out_dir, name + ".onnx")
    pt_path = os.path.join(out_dir, name + ".pt")
    with torch.no_grad():
        kwargs = {"input_names": ["x"], "output_names": ["y"], "do_constant_folding": fold}
        if opset is not None:
            kwargs["opset_version"] = opset
        if dynamic_batch:
            kwargs["dynamic_axes"] = {"x": {0: "batch"}, "y": {0: "batch"}}
        torch.onnx.export(model, (x,), onnx_path + ".tmp", **kwargs)
        torch.jit.trace(model, (x,)).save(pt_path + ".tmp")
    os.replace(onnx_path + ".tmp", onnx_path)
    os.replace(pt_path + ".tmp", pt_path)
    return "%s %s\n" % (name, ",".join(str(d) for d in shape))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: onnx_export_models.py OUT_DIR")
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    listing = ""
    mobilenet = torchvision.models.mobilenet_v3_small(weights=None)
    listing += export(out_dir, "mobilenet_v3_small", mobilenet, (1, 3, 224, 224),
                      dynamic_batch=False, fold=True)
    listing += export(out_dir, "mobilenet_v3_small_op13", mobilenet, (1, 3, 224, 224),
                      dynamic_batch=False, fold=True, opset=13)
    listing += export(out_dir, "resnet18", torchvision.models.resnet18(weights=None),
                      (1, 3, 224, 224), dynamic_batch=True, fold=True)
    viewnet = ViewNet()
    listing += export(out_dir, "viewnet", viewnet, (1, 3, 16, 16), dynamic_batch=True, fold=False)
    listing += export(out_dir, "viewnet_op13", viewnet, (1, 3, 16, 16), dynamic_batch=True,
                      fold=False, opset=13)
    with open(os.path.join(out_dir, "models.txt.tmp"), "w") as f:
        f.write(listing)
    os.replace(os.path.join(out_dir, "models.txt.tmp"), os.path.join(out_dir, "models.txt"))


if __name__ == "__main__":
    main()
