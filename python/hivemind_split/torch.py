"""From a PyTorch ``nn.Module`` to a HiveMind model profile (needs ``torch``; Debian's
python3-torch).

    import torchvision, torch, hivemind_split as hs
    from hivemind_split.torch import profile
    prof = profile(torchvision.models.resnet18(), torch.zeros(1, 3, 64, 64))
    print(hs.plan(prof, "four_roles").boundaries)

The module is traced with ``torch.jit.trace`` and saved to a temporary file, which the
project's LibTorch profiler (the ``hivemind-profile`` executable, ``hivemind profile``)
measures layer by layer on this machine's CPU (docs/profiling.md). The profile has one measured
device class; the classes of a route (ue, iab-mec, cloud, ...) are derived from it
(docs/models.md).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from typing import Any, Optional, Sequence, Union

from . import Profile, executable, load_profile

__all__ = ["profile", "input_spec"]

_DTYPES = {"torch.float32": "float32", "torch.float64": "float64", "torch.int64": "int64",
           "torch.int32": "int32"}


def input_spec(example_inputs: Any) -> str:
    """The profiler's ``--input`` text for example tensors: ``"1,3,64,64"``, inputs separated by
    ``;``, a dtype prefix for non-float32 tensors (``"int64:1,200"``)."""
    inputs = example_inputs if isinstance(example_inputs, (tuple, list)) else (example_inputs,)
    if not inputs:
        raise ValueError("example_inputs: empty (give the tensor(s) forward() takes)")
    parts = []
    for i, t in enumerate(inputs):
        shape = getattr(t, "shape", None)
        dtype = _DTYPES.get(str(getattr(t, "dtype", "")))
        if shape is None or dtype is None:
            raise ValueError(f"example_inputs[{i}]: {type(t).__name__} is not a float32, float64, "
                             "int64 or int32 tensor")
        dims = ",".join(str(int(d)) for d in shape)
        parts.append(dims if dtype == "float32" else f"{dtype}:{dims}")
    return ";".join(parts)


def profile(module: Any, example_inputs: Any, *, name: Optional[str] = None,
            device_class: str = "cpu", warmup: int = 1, reps: int = 3,
            threads: Optional[int] = None, backward: bool = False,
            timeout_s: float = 600.0, max_memory_mib: Optional[float] = None) -> Profile:
    """Profiles a ``torch.nn.Module`` and returns its HiveMind profile.

    ``example_inputs``: the tensor (or tuple of tensors) ``forward()`` takes; it fixes the
    shapes (the profiler feeds random values of those shapes). ``warmup`` untimed passes, then
    ``reps`` timed passes per layer (median); ``threads`` LibTorch intra-op threads (default
    LibTorch's choice); ``backward`` also measures the backward pass (training). The profile's
    measured class is ``device_class``; the route's classes are derived from it when planned.
    ``timeout_s`` and ``max_memory_mib`` bound the profiler's run (its ``--max-seconds`` and
    ``--max-memory-mib``; default 600 s and 3/4 of the machine's memory, less when less is free): past either, it stops
    and this raises ValueError. They bound time and memory only: the module is code that runs,
    profile only modules you trust (docs/profiling.md).
    Raises ValueError with the profiler's one-line message on failure (an untraceable module,
    a bad shape, a limit exceeded), naming this function's arguments where the profiler names
    its flags.
    """
    import torch  # the optional dependency, imported only here

    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module: {type(module).__name__} is not a torch.nn.Module")
    inputs = tuple(example_inputs) if isinstance(example_inputs, (tuple, list)) else (
        example_inputs,)
    spec = input_spec(inputs)
    model_name = name or type(module).__name__.lower()
    profiler = executable("hivemind-profile")
    was_training = getattr(module, "training", False)
    module.eval()
    try:
        with torch.no_grad():
            traced = torch.jit.trace(module, inputs)
    except Exception as e:  # tracing errors come in many types
        raise ValueError(f"module: torch.jit.trace failed: {str(e).splitlines()[0]}") from e
    finally:
        if was_training:
            module.train()
    with tempfile.TemporaryDirectory(prefix="hivemind_split_") as tmp:
        # Fixed file names: `name` is only the profile's model name (a "/" or ".." in it must
        # not place files outside `tmp`).
        pt = os.path.join(tmp, "model.pt")
        out = os.path.join(tmp, "model.json")
        traced.save(pt)
        args = [profiler, pt, "--input", spec, "--name", model_name, "--device-class",
                device_class, "--warmup", str(warmup), "--reps", str(reps), "--out", out]
        args += ["--max-seconds", repr(float(timeout_s))]
        if max_memory_mib is not None:
            args += ["--max-memory-mib", repr(float(max_memory_mib))]
        if threads is not None:
            args += ["--threads", str(threads)]
        if not backward:
            args.append("--no-backward")
        try:
            # The profiler stops itself at --max-seconds; this timeout only backs that up.
            run = subprocess.run(args, capture_output=True, text=True, timeout=timeout_s + 60)
        except subprocess.TimeoutExpired:
            raise ValueError(f"hivemind-profile: still running {timeout_s + 60:g} s after "
                             f"it started (timeout_s={timeout_s:g})") from None
        if run.returncode != 0:
            lines = [line for line in run.stderr.splitlines() if line.strip()]
            raise ValueError(_python_names(lines[-1]) if lines else
                             f"hivemind-profile: exit code {run.returncode}")
        return load_profile(out)


# The profiler's flags as this module's arguments, in its messages.
_FLAG_ARGS = {"--no-backward": "backward=False", "--max-seconds": "timeout_s",
              "--max-memory-mib": "max_memory_mib", "--threads": "threads", "--reps": "reps",
              "--warmup": "warmup"}


def _python_names(message: str) -> str:
    for flag, arg in _FLAG_ARGS.items():
        message = message.replace(flag, arg)
    return message
