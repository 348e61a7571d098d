"""HiveMind's multi-split planner for Python: split a model across a 5G chain UE -> MEC -> cloud.

The functions here call the HiveMind C++ libraries directly (the ``_core`` module), not the
command-line tool. Bad input raises ``ValueError`` with the one-line message the CLI prints
(``"problem: nodes[1].compute[2]: -1 is negative"``). Units are in the names: ``_s`` seconds,
``_bytes`` bytes, ``_mbps`` megabits per second. See docs/python.md.

    import hivemind_split as hs
    plan = hs.solve(hs.load_problem("examples/fig2.json"))
    plan.boundaries, plan.cost          # ([0, 1, 3], 2.4333...)
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from . import _core, _paths
from ._core import (
    DeviceCatalog,
    Plan,
    Problem,
    Profile,
    Route,
    Scenario,
    architecture_hash,
    decode_sci,
    encode_sci,
    method_names,
    sci_decide,
    sci_message_bytes,
    sci_node,
)

__all__ = [
    "DeviceCatalog", "Plan", "Problem", "Profile", "Route", "Scenario",
    "architecture_hash", "data_dir", "decode_sci", "encode_sci", "executable",
    "load_devices", "load_problem", "load_profile", "load_route", "load_scenario",
    "method_names", "plan", "problem_from_route", "sci_decide", "sci_message_bytes",
    "sci_node", "simulate", "solve",
]

__version__ = "0.1.0"

PathOrDict = Union[str, "os.PathLike[str]", Mapping[str, Any]]


def _here() -> Path:
    return Path(__file__).resolve().parent


def data_dir() -> str:
    """The shipped data/ folder (zoo profiles, device classes, routes, scenarios).

    ``$HIVEMIND_DATA`` when set (as for the CLI); else the installation's
    ``<prefix>/share/hivemind/data``; else, in the build tree, the source tree's ``data/``.
    """
    env = os.environ.get("HIVEMIND_DATA")
    if env:
        return env
    if _paths.PREFIX:
        return str((_here() / _paths.PREFIX / _paths.DATA_DIR).resolve())
    return _paths.DATA_DIR


def executable(name: str = "hivemind") -> str:
    """Path of a HiveMind executable (``hivemind``, ``hivemind-profile``, ...) of this build or
    installation; raises ``ValueError`` naming it when it was not built."""
    if _paths.PREFIX:
        path = (_here() / _paths.PREFIX / _paths.BIN_DIR / name).resolve()
    else:
        path = Path(_paths.BIN_DIR) / name
    if not os.access(path, os.X_OK):
        raise ValueError(f"executable: {name} not found at {path} (was it built?)")
    return str(path)


def _is_mapping(x: Any) -> bool:
    return isinstance(x, Mapping)


def load_problem(source: Union[PathOrDict, Problem]) -> Problem:
    """A split problem from a file path or a dict in the ``hivemind.problem/v1`` format
    (extension sections included, docs/formats.md). A Problem is returned as it is."""
    if isinstance(source, Problem):
        return source
    if _is_mapping(source):
        return Problem.from_json(json.dumps(source), "problem")
    return Problem.load(os.fspath(source))


def load_profile(source: Union[PathOrDict, Profile]) -> Profile:
    """A model profile: a zoo name (``"resnet18"``), a ``hivemind.profile/v1`` file or dict, or
    a Profile. Device classes the profile lacks are derived from one it has, as for
    ``hivemind solve --model FILE`` (docs/models.md); a UserWarning names what was derived."""
    if isinstance(source, Profile):
        return source
    if _is_mapping(source):
        profile, note = Profile.from_json(json.dumps(source), "profile", data_dir())
    else:
        profile, note = Profile.load(os.fspath(source), data_dir())
    if note:  # what was derived, the line the CLI prints on stderr
        warnings.warn(note, stacklevel=2)
    return profile


def _load_named(source, cls, what: str, folder: str):
    """`source` as a `cls`: itself, a dict, a file path, or the name of a shipped file
    (data/<folder>/<name>.json)."""
    if isinstance(source, cls):
        return source
    if _is_mapping(source):
        return cls.from_json(json.dumps(source), what)
    path = os.fspath(source)
    if "/" not in path and not path.endswith(".json"):
        path = os.path.join(data_dir(), folder, path + ".json")
    return cls.load(path)


def load_route(source: Union[PathOrDict, Route]) -> Route:
    """A route (``hivemind.route/v1``): a file path, a dict, a Route, or the name of a shipped
    route (``"four_roles"`` -> data/routes/four_roles.json)."""
    return _load_named(source, Route, "route", "routes")


def load_scenario(source: Union[PathOrDict, Scenario]) -> Scenario:
    """A simulator scenario: a file path, a dict, a Scenario, or the name of a shipped one
    (``"mmwave-iab"`` -> data/scenarios/mmwave-iab.json), as ``hivemind simulate`` takes it."""
    return _load_named(source, Scenario, "scenario", "scenarios")


def load_devices(path: Optional[Union[str, "os.PathLike[str]"]] = None) -> DeviceCatalog:
    """The device classes (``hivemind.devices/v1``); default data/devices/devices.json."""
    if path is None:
        path = os.path.join(data_dir(), "devices", "devices.json")
    return DeviceCatalog.load(os.fspath(path))


def solve(problem: Union[PathOrDict, Problem], method: str = "sci", *,
          max_steps: float = 3e9, max_memory_mib: float = 1024.0) -> Plan:
    """Solves a split problem with ``method`` (``"sci"``, ``"dijkstra"``, ``"brute"``,
    ``"single-split"``, ``"exact"``, ``"opt-energy"``, ...; see ``method_names()``).

    Returns a Plan: ``boundaries``, ``cost``, per-node ``node_compute`` / ``link_transfer``,
    ``to_dict()`` (with one row per node and the metrics). Work above ``max_steps`` (about
    1 ns each) or ``max_memory_mib`` is refused before it starts, with ValueError. The GIL is
    released while it runs.
    """
    return _core.solve(load_problem(problem), method, max_steps, max_memory_mib)


def problem_from_route(model: Union[PathOrDict, Profile], route: Union[PathOrDict, Route], *,
                       devices: Optional[Union[str, "os.PathLike[str]"]] = None,
                       chain_sizes: bool = False, max_steps: float = 3e9,
                       max_memory_mib: float = 1024.0) -> Problem:
    """The explicit split problem of a model on a route: each node's per-layer costs on its
    device class (divided by its speed_scale), links in bytes/s and seconds. ``chain_sizes``:
    a cut carries only the layer's own output (the paper's chain model) instead of every live
    tensor."""
    return _core.problem_from_route(load_profile(model), load_route(route), load_devices(devices),
                                    chain_sizes, max_steps, max_memory_mib)


def plan(model: Union[PathOrDict, Profile], route: Union[PathOrDict, Route],
         method: str = "sci", *, devices: Optional[Union[str, "os.PathLike[str]"]] = None,
         chain_sizes: bool = False, max_steps: float = 3e9,
         max_memory_mib: float = 1024.0) -> Plan:
    """Plans a model on a route, as ``hivemind solve --model M --route R`` does: the problem
    of ``problem_from_route`` solved with ``method``."""
    problem = problem_from_route(model, route, devices=devices, chain_sizes=chain_sizes,
                                 max_steps=max_steps, max_memory_mib=max_memory_mib)
    return _core.solve(problem, method, max_steps, max_memory_mib)


def simulate(scenario: Union[PathOrDict, Scenario], model: str = "resnet18_88", *,
             load: str = "mid", seed: int = 1, duration_s: float = 10.0, period_s: float = 0.1,
             poisson: bool = False, task: str = "inference",
             methods: Optional[Sequence[str]] = None, keep_plans: bool = False,
             max_steps: float = 3e9, max_memory_mib: float = 1024.0) -> Dict[str, Any]:
    """One trial of the 5G simulator, as ``hivemind simulate`` runs it (docs/simulator.md).

    ``model``: a zoo name or a profile file with the scenario's device runs. ``methods``: split
    method names, default the paper's four (HiveMind, UE only, cloud only, single split).
    Returns a dict: ``records`` (per task and method, NumPy arrays ``task``, ``method`` (index
    into ``methods``), ``arrival_s``, ``start_s``, ``latency_s``, ``energy_j``, ``planned``,
    ``exact``, ``blocked``, ``serving_gnb``; ``boundaries`` with ``keep_plans``), ``methods``
    (labels), ``model``, ``layers``, ``simulated_s``, ``handovers``, ``mean_sci_update_s``.
    Deterministic for a seed. The GIL is released while it runs.
    """
    if isinstance(methods, str):  # list("sci") would be ["s", "c", "i"]
        raise TypeError(f"methods: a list of method names, not the string {methods!r} "
                        f"(write [{methods!r}])")
    return _core.simulate(load_scenario(scenario), model, data_dir(), load, seed, duration_s,
                          period_s, poisson, task, list(methods) if methods is not None else None,
                          keep_plans, max_steps, max_memory_mib)


def _problem_to_dict(self: Problem) -> Dict[str, Any]:
    """The base problem (without extension sections) as a ``hivemind.problem/v1`` dict."""
    return json.loads(self.base_json())


def _profile_to_dict(self: Profile) -> Dict[str, Any]:
    """The profile as a ``hivemind.profile/v1`` dict."""
    return json.loads(self.to_json())


Problem.to_dict = _problem_to_dict  # type: ignore[attr-defined]
Profile.to_dict = _profile_to_dict  # type: ignore[attr-defined]
Plan.__repr__ = lambda self: (  # type: ignore[assignment]
    f"Plan(method={self.method!r}, boundaries={self.boundaries}, cost={self.cost:.6g})")
