"""The package's error paths (issue 24): missing executables and data, unknown names, bad
scenarios, wrong argument types and sizes. Each must be a Python exception of a sensible type
(ValueError for a bad value, TypeError for a wrong type) whose message names the problem, in one
line for the package's own messages; never a crash (a segfault would end pytest: a failure).

pybind11's own TypeError for an argument of the wrong type ("f(): incompatible function
arguments. The following argument types are supported: ...") is several lines: its first line
names the function, and the list names the parameter and its type; that is what is checked."""
import copy
import json
from pathlib import Path

import numpy as np
import pytest

import hivemind_split as hs
from hivemind_split import _paths


def one_line(e):
    msg = str(e.value)
    assert msg and "\n" not in msg, repr(msg)
    return msg


# ---- missing executables and data (what _paths and $HIVEMIND_DATA point to) ----

# Shown to fail: with executable()'s check `os.access(path, os.X_OK)` replaced by
# `os.path.exists(path)`, executable("passwd") returned /etc/passwd (not executable): DID NOT RAISE.
def test_missing_executable_names_it_and_where_it_was_looked_for(monkeypatch):
    assert Path(hs.executable()).name == "hivemind"  # the build tree's, present
    with pytest.raises(ValueError) as e:
        hs.executable("no-such-tool")
    assert one_line(e).startswith("executable: no-such-tool not found at ")
    monkeypatch.setattr(_paths, "BIN_DIR", "/nonexistent/bin")
    with pytest.raises(ValueError) as e:
        hs.executable()
    assert one_line(e) == ("executable: hivemind not found at /nonexistent/bin/hivemind "
                           "(was it built?)")
    # a file that is there but not executable is not an executable
    monkeypatch.setattr(_paths, "BIN_DIR", "/etc")
    with pytest.raises(ValueError, match=r"^executable: passwd not found at /etc/passwd"):
        hs.executable("passwd")
    # the installed layout: PREFIX relative to the package folder
    monkeypatch.setattr(_paths, "PREFIX", "../../no-prefix")
    monkeypatch.setattr(_paths, "BIN_DIR", "bin")
    with pytest.raises(ValueError, match=r"^executable: hivemind not found at /\S*/no-prefix/"
                                         r"bin/hivemind \(was it built\?\)$"):
        hs.executable()


@pytest.mark.parametrize("call, what", [
    (lambda: hs.load_profile("resnet18"), "zoo/resnet18_224.json"),
    (lambda: hs.load_route("four_roles"), "routes/four_roles.json"),
    (lambda: hs.load_scenario("mmwave-iab"), "scenarios/mmwave-iab.json"),
    (lambda: hs.load_devices(), "devices/devices.json"),
    (lambda: hs.simulate("mmwave-iab", duration_s=1.0), "scenarios/mmwave-iab.json"),
    (lambda: hs.plan("resnet18", "four_roles"), "zoo/resnet18_224.json"),
])
def test_missing_data_dir_names_the_file(monkeypatch, tmp_path, call, what):
    nowhere = tmp_path / "no-data"
    monkeypatch.setenv("HIVEMIND_DATA", str(nowhere))
    assert hs.data_dir() == str(nowhere)
    with pytest.raises(ValueError) as e:
        call()
    assert one_line(e) == f"{nowhere}/{what}: cannot read file: No such file or directory"


def test_data_dir_of_the_build_tree_and_of_an_installation(monkeypatch):
    monkeypatch.delenv("HIVEMIND_DATA", raising=False)
    assert hs.data_dir() == _paths.DATA_DIR and Path(hs.data_dir(), "zoo").is_dir()
    monkeypatch.setattr(_paths, "PREFIX", "../../prefix")
    monkeypatch.setattr(_paths, "DATA_DIR", "share/hivemind/data")
    here = Path(hs.__file__).resolve().parent
    assert hs.data_dir() == str((here / "../../prefix/share/hivemind/data").resolve())


# ---- unknown names ----

def test_unknown_profile_name_lists_the_zoo():
    with pytest.raises(ValueError) as e:
        hs.load_profile("no_such_model")
    msg = one_line(e)
    assert '"no_such_model" is neither a zoo model nor a profile file' in msg
    assert "resnet18" in msg  # what there is
    with pytest.raises(ValueError, match='"no_such_model" is neither a zoo model'):
        hs.simulate("mmwave-iab", model="no_such_model", duration_s=1.0)
    with pytest.raises(ValueError, match='device_class: "tpu" is not in the profile'):
        hs.load_profile("resnet18").forward_s("tpu")


@pytest.mark.parametrize("call, fragment", [
    (lambda: hs.load_route("no_such_route"), "routes/no_such_route.json: cannot read file"),
    (lambda: hs.load_scenario("no_such_scenario"),
     "scenarios/no_such_scenario.json: cannot read file"),
    (lambda: hs.load_problem("/nonexistent/problem.json"),
     "/nonexistent/problem.json: cannot read file"),
    (lambda: hs.load_problem("/tmp"), "/tmp: cannot read file: it is a directory"),
    (lambda: hs.load_devices("/nonexistent/devices.json"), "/nonexistent/devices.json"),
    (lambda: hs.plan("resnet18", "four_roles", "no-such-method"),
     'method: unknown method "no-such-method" (expected one of sci, '),
    (lambda: hs.simulate("mmwave-iab", duration_s=1.0, methods=["sci", "nope"]),
     'method: unknown method "nope"'),
    (lambda: hs.simulate("mmwave-iab", duration_s=1.0, task="dream"),
     'task: "dream" is not inference or training'),
])
def test_unknown_names_raise_value_error(call, fragment):
    with pytest.raises(ValueError) as e:
        call()
    assert fragment in one_line(e)


# ---- bad scenarios ----

@pytest.fixture
def scenario_dict():
    with open(Path(hs.data_dir()) / "scenarios" / "mmwave-iab.json") as f:
        return json.load(f)


def mutated(d, edit):
    d = copy.deepcopy(d)
    edit(d)
    return d


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.__setitem__("bogus", 1), "scenario: bogus: unknown field"),
    (lambda d: d["links"][0].__setitem__("bogus", 1), "scenario: links[0].bogus: unknown field"),
    (lambda d: d.pop("nodes"), "scenario: nodes: missing field"),
    (lambda d: d.__setitem__("format", "hivemind.scenario/v9"),
     'scenario: format: "hivemind.scenario/v9" is not "hivemind.scenario/v1"'),
    (lambda d: d.__setitem__("area_m", "big"),
     'scenario: area_m: expected an array, got string "big"'),
    (lambda d: d.__setitem__("area_m", [-1, 5]), "scenario: area_m[0]: -1 must be > 0"),
    (lambda d: d["nodes"].__setitem__(0, 7), "scenario: nodes[0]: expected an object, got number 7"),
    (lambda d: d["scheduler"].__setitem__("tti_ms", None),
     "scenario: scheduler.tti_ms: expected a number, got null"),
    (lambda d: d.__setitem__("deliver", "mars"), 'scenario: deliver: "mars" is not sink or none'),
])
def test_bad_scenario_names_the_field(scenario_dict, edit, message):
    with pytest.raises(ValueError) as e:
        hs.load_scenario(mutated(scenario_dict, edit))
    assert one_line(e) == message


def test_malformed_scenario_text_and_files(tmp_path):
    for text, fragment in [("", "scenario: not JSON: parse error at line 1, column 1"),
                           ('{"format": ', "scenario: not JSON: parse error"),
                           ("[]", "scenario: expected an object, got array"),
                           ("{}", "scenario: format: missing field")]:
        with pytest.raises(ValueError) as e:
            hs.Scenario.from_json(text)
        assert one_line(e).startswith(fragment), text
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "hivemind.scenario/v1", "name": 3')
    with pytest.raises(ValueError) as e:
        hs.load_scenario(str(bad))
    assert str(bad) in one_line(e) and "not JSON" in str(e.value)
    with pytest.raises(ValueError, match="not JSON"):
        hs.simulate(str(bad), duration_s=1.0)


# ---- arguments of the wrong type, negative sizes, None ----

@pytest.mark.parametrize("call", [
    lambda: hs.load_problem(None),
    lambda: hs.load_problem([1, 2]),
    lambda: hs.solve(5),
    lambda: hs.load_profile(None),
    lambda: hs.load_route(None),
    lambda: hs.load_scenario([1]),
    lambda: hs.simulate(None),
])
def test_none_or_a_list_where_a_path_is_expected_is_a_type_error(call):
    with pytest.raises(TypeError) as e:
        call()
    assert "expected str, bytes or os.PathLike object, not " in one_line(e)


# Shown to fail: with __init__.py's check of a str `methods` removed, methods="sci" ran as
# ["s", "c", "i"] and raised ValueError 'method: unknown method "s"' (misleading; fixed).
def test_one_method_name_instead_of_a_list_is_a_type_error():
    with pytest.raises(TypeError) as e:
        hs.simulate("mmwave-iab", duration_s=1.0, methods="sci")
    assert one_line(e) == "methods: a list of method names, not the string 'sci' (write ['sci'])"


@pytest.mark.parametrize("call, function, parameter", [
    (lambda f: hs.solve(f, 3), "solve", "method: str"),
    (lambda f: hs.solve(f, max_steps="10"), "solve", "max_steps: float"),
    (lambda f: hs.simulate("mmwave-iab", duration_s="1"), "simulate", "duration_s: float"),
    (lambda f: hs.simulate("mmwave-iab", seed="1"), "simulate", "seed: int"),
    (lambda f: hs.simulate("mmwave-iab", seed=-1), "simulate", "seed: int"),  # unsigned
    (lambda f: hs.problem_from_route("resnet18", "four_roles", chain_sizes="yes"),
     "problem_from_route", "chain_sizes: bool"),
    (lambda f: hs.sci_message_bytes("3"), "sci_message_bytes", "layers: int"),
    (lambda f: hs.sci_message_bytes(2**40), "sci_message_bytes", "layers: int"),  # > int
    (lambda f: hs.sci_node("abc"), "sci_node", "compute: numpy.ndarray[numpy.float64]"),
    (lambda f: hs.encode_sci([1.0, 2.0, 3.0], -1), "encode_sci", "architecture: int"),
    (lambda f: hs.decode_sci("not bytes", 1, 1), "decode_sci", "data: bytes"),
])
def test_wrong_argument_type_is_a_type_error_naming_function_and_parameter(
        fig2_path, call, function, parameter):
    with pytest.raises(TypeError) as e:
        call(fig2_path)
    msg = str(e.value)
    assert msg.splitlines()[0] == f"{function}(): incompatible function arguments. The following " \
                                  "argument types are supported:"
    assert parameter in msg


@pytest.mark.parametrize("call, message", [
    (lambda f: hs.solve(f, max_steps=-1), "max_steps: -1 must be > 0"),
    (lambda f: hs.solve(f, max_steps=float("nan")), "max_steps: nan must be > 0"),
    (lambda f: hs.solve(f, max_memory_mib=-5), "max_memory_mib: -5 must be > 0"),
    (lambda f: hs.problem_from_route("resnet18", "four_roles", max_steps=0),
     "max_steps: 0 must be > 0"),
    (lambda f: hs.simulate("mmwave-iab", duration_s=-1), "duration: -1 s is out of range (0, 1e9]"),
    (lambda f: hs.simulate("mmwave-iab", duration_s=float("inf")),
     "duration: inf s is out of range (0, 1e9]"),
    (lambda f: hs.simulate("mmwave-iab", duration_s=1, period_s=0), "period: must be > 0"),
    (lambda f: hs.simulate("mmwave-iab", duration_s=1, period_s=-0.1), "period: must be > 0"),
    (lambda f: hs.sci_message_bytes(-1), "layers: -1 must be in [1, 2147483645]"),
    (lambda f: hs.sci_message_bytes(0), "layers: 0 must be in [1, 2147483645]"),
    (lambda f: hs.architecture_hash(-1, [1.0]),
     "architecture_hash: L = -1, a model has at least one layer"),
    (lambda f: hs.architecture_hash(5, [1.0]),
     "architecture_hash: 1 cut sizes for L = 5, expected L + 1 (s_0..s_L)"),
    (lambda f: hs.architecture_hash(1, [1.0, 2.0], [1.0] * 7),
     "architecture_hash: 7 parameter sizes for L = 1, expected L or none"),
    (lambda f: hs.encode_sci([], 1),
     "encode_sci: 0 split point sets, expected L + 2 with L in 1..1000000"),
    (lambda f: hs.encode_sci([[1.0]], 1), "zeta: expected a 1-D array, got 2 dimensions"),
    (lambda f: hs.sci_node(None), "compute: expected a 1-D array, got 0 dimensions"),
    (lambda f: hs.sci_node([[1.0]]), "compute: expected a 1-D array, got 2 dimensions"),
    (lambda f: hs.sci_node([-1.0]), "sci_node: compute[0] = -1 is not a cost (must be >= 0 or +inf)"),
    (lambda f: hs.sci_node([1.0, 2.0], [1.0]),
     "sci_node: incoming has 1 values, expected L + 1 = 3 (one per cut, L = 2 compute costs) or "
     "none at the source"),
    (lambda f: hs.sci_node([1.0, 2.0], None, 0.0, [1.0]),
     "sci_node: downstream_zeta has 1 values, expected L + 2 = 4 (L = 2 compute costs) or none "
     "at the sink"),
    (lambda f: hs.sci_node([1.0, 2.0], [1.0], algorithm1=True),
     "algorithm1_node: incoming has 1 values, expected L + 1 = 3 (one per cut, L = 2 compute "
     "costs) or none at the source"),
    (lambda f: hs.sci_decide([0, 1, 2], -1), "sci_decide: upstream stop -1 is outside 0..1 (L = 1)"),
    (lambda f: hs.sci_decide([], 0),
     "sci_decide: upstream stop 0 on a node without a split table (run sci_node first)"),
    (lambda f: hs.decode_sci(b"", 0, 1), "SCI message: 0 bytes, shorter than the 32-byte header"),
])
def test_negative_or_inconsistent_sizes_are_value_errors(fig2_path, call, message):
    with pytest.raises(ValueError) as e:
        call(fig2_path)
    assert one_line(e) == message


def test_decode_with_a_wrong_layer_count_names_both():
    zeta, _ = hs.sci_node([1.0, 2.0])
    msg = hs.encode_sci(zeta, 5)
    for layers in [-1, 0, 3, 2**31 - 1]:
        with pytest.raises(ValueError) as e:
            hs.decode_sci(msg, layers, 5)
        assert one_line(e) == f"SCI message: L = 2, this node plans L = {layers}"


def test_bad_problem_fields(fig2_path):
    with open(fig2_path) as f:
        d = json.load(f)
    for edit, message in [
        (lambda x: x.__setitem__("layers", "3"), 'problem: layers: expected an integer, got string "3"'),
        (lambda x: x.__setitem__("layers", -3), "problem: layers: -3 is out of range [1, 1000000]"),
    ]:
        with pytest.raises(ValueError) as e:
            hs.load_problem(mutated(d, edit))
        assert one_line(e) == message
    with pytest.raises(ValueError) as e:
        hs.Problem.from_json("{not json")
    assert one_line(e).startswith("problem: not JSON: parse error at line 1, column ")
    with pytest.raises(ValueError, match="^profile: model: missing field$"):
        hs.load_profile({"format": "hivemind.profile/v1"})


def test_errors_leave_the_module_usable(fig2_path):
    # After every kind of error above, the module still answers (no corrupted state).
    for bad in [lambda: hs.sci_node([np.nan]), lambda: hs.solve(fig2_path, "nope"),
                lambda: hs.load_scenario({})]:
        with pytest.raises(ValueError):
            bad()
    assert hs.solve(fig2_path).boundaries == [0, 1, 3]
