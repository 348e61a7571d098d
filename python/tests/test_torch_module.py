"""hivemind_split.torch (issue 24): a small nn.Module profiled through the hivemind-profile
executable, the sizes it reports checked against the tensors' own, and its error paths. torch is
a required package (python3-torch, the Makefile's DEB_PACKAGES): no skip, an ImportError fails.
Each error is a Python exception of a sensible type whose one-line message names the problem."""
import stat
import warnings

import pytest
import torch

import hivemind_split as hs
from hivemind_split import _paths
from hivemind_split.torch import input_spec, profile

BATCH, IN, HIDDEN, OUT = 2, 8, 16, 4
F32 = 4  # bytes


class Small(torch.nn.Module):
    """Three leaf layers of known output sizes: 2x16, 2x16, 2x4 float32."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(IN, HIDDEN)
        self.act = torch.nn.ReLU()
        self.fc2 = torch.nn.Linear(HIDDEN, OUT)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def example():
    return torch.zeros(BATCH, IN)


def quiet_profile(*args, **kw):
    """profile() warns which device classes it derived from the measured one (expected)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return profile(*args, **kw)


@pytest.fixture(scope="module")
def small_profile():
    return quiet_profile(Small(), example(), name="small", reps=1, warmup=0)


def one_line(e):
    msg = str(e.value)
    assert msg and "\n" not in msg, repr(msg)
    return msg


# Shown to fail: with torch.py's input_spec() doubling the first dimension (wrong sizes sent to
# the profiler): "assert 128.0 == ((2 * 8) * 4)" on input_bytes (and input_spec's test fails).
def test_profile_of_a_small_module_has_its_layers_and_sizes(small_profile):
    p = small_profile
    assert p.model == "small"
    assert p.layers == 3
    assert p.layer_names == ["fc1", "act", "fc2"]
    assert p.input_bytes == BATCH * IN * F32
    assert list(p.cut_bytes) == [BATCH * HIDDEN * F32, BATCH * HIDDEN * F32, BATCH * OUT * F32]
    assert p.device_classes[0] == "cpu"  # the measured class, then the derived ones
    forward = p.forward_s("cpu")
    assert forward.shape == (3,) and all(t >= 0 for t in forward)


def test_profile_warns_what_it_derived_and_plans_on_a_route():
    with pytest.warns(UserWarning, match=r"derived .* from cpu \(measured"):
        p = profile(Small(), (example(),), reps=1, warmup=0)
    assert p.model == "small"  # default name: the class's, lower case
    plan = hs.plan(p, "four_roles")
    assert len(plan.boundaries) == 4 and plan.boundaries[-1] == p.layers


# Shown to fail: with torch.py's temporary files named after `name` again (the code before this
# fix): RuntimeError "Parent directory .../hivemind_split_XXX/../escape does not exist".
def test_profile_restores_training_mode_and_keeps_files_in_its_temp_folder(tmp_path, monkeypatch):
    # A name with "/" or ".." is only the profile's model name: no file may land outside the
    # profiler's temporary folder (it did before issue 24: name="../x" wrote TMP/x.pt and
    # TMP/x.json and left them there).
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    m = Small()
    m.train()
    p = quiet_profile(m, example(), name="../escape/x", reps=1, warmup=0)
    assert p.model == "../escape/x"
    assert m.training
    assert list(tmp_path.iterdir()) == []  # the temporary folder is gone, nothing else left


def test_input_spec_formats_shapes_and_dtypes():
    assert input_spec(torch.zeros(1, 3, 64, 64)) == "1,3,64,64"
    assert input_spec((torch.zeros(1, 200, dtype=torch.int64),
                       torch.zeros(2, dtype=torch.float64))) == "int64:1,200;float64:2"
    assert input_spec([torch.zeros(5, dtype=torch.int32)]) == "int32:5"


@pytest.mark.parametrize("inputs, fragment", [
    ((), "example_inputs: empty"),
    ([1, 2], "example_inputs[0]: int is not a float32"),
    (None, "example_inputs[0]: NoneType is not a float32"),
    ("abc", "example_inputs[0]: str is not a float32"),
    (torch.zeros(2, dtype=torch.bool), "example_inputs[0]: Tensor is not a float32"),
    ((torch.zeros(2), torch.zeros(2, dtype=torch.float16)), "example_inputs[1]: Tensor"),
])
def test_bad_example_inputs_raise_value_error(inputs, fragment):
    with pytest.raises(ValueError) as e:
        input_spec(inputs)
    assert fragment in one_line(e)
    with pytest.raises(ValueError) as e:  # profile() checks them before tracing
        profile(Small(), inputs)
    assert fragment in one_line(e)


# Shown to fail: with torch.py's isinstance check removed (as before issue 24), each case
# raised AttributeError "'int' object has no attribute 'eval'" instead of TypeError.
@pytest.mark.parametrize("module", [42, None, lambda x: x])
def test_a_non_module_is_a_type_error(module):
    with pytest.raises(TypeError) as e:
        profile(module, example())
    assert "is not a torch.nn.Module" in one_line(e)


def test_untraceable_module_names_tracing():
    with pytest.raises(ValueError) as e:
        profile(Small(), torch.zeros(BATCH, IN + 1))  # fc1 takes 8 features
    assert one_line(e).startswith("module: torch.jit.trace failed: ")

    class Raises(torch.nn.Module):
        def forward(self, x):
            raise RuntimeError("boom\nsecond line")

    with pytest.raises(ValueError) as e:
        profile(Raises(), example())
    assert one_line(e) == "module: torch.jit.trace failed: boom"


# Shown to fail: with _python_names() leaving the message unchanged, all 7 cases (and the fake
# profiler's "--reps" below) failed: the messages named the profiler's flags, not these arguments.
@pytest.mark.parametrize("kw, fragment", [
    (dict(reps=0), "reps: 0 is out of range"),
    (dict(reps=-1), "reps: -1 is out of range"),
    (dict(reps="three"), 'reps: "three" is not an integer'),
    (dict(warmup=-1), "warmup: -1 is out of range"),
    (dict(threads=-2), "threads: -2 is out of range"),
    (dict(timeout_s=-1), "timeout_s: -1.0 is out of range"),
    (dict(max_memory_mib=0), "max_memory_mib: 0.0 is out of range"),
])
def test_bad_profiler_arguments_are_named_as_this_functions(kw, fragment):
    with pytest.raises(ValueError) as e:
        profile(Small(), example(), **kw)
    msg = one_line(e)
    assert fragment in msg and "--" not in msg, msg


def test_timeout_of_the_wrong_type_is_a_value_error():
    with pytest.raises(ValueError, match="could not convert string to float"):
        profile(Small(), example(), timeout_s="x")


def test_missing_profiler_executable(monkeypatch):
    # The package's path to the executables pointing nowhere: the build tree's layout (PREFIX
    # "") and the installed one (PREFIX relative to the package folder).
    monkeypatch.setattr(_paths, "BIN_DIR", "/nonexistent/bin")
    with pytest.raises(ValueError) as e:
        profile(Small(), example())
    assert one_line(e) == ("executable: hivemind-profile not found at "
                           "/nonexistent/bin/hivemind-profile (was it built?)")
    monkeypatch.setattr(_paths, "PREFIX", "../../nowhere")
    monkeypatch.setattr(_paths, "BIN_DIR", "bin")
    with pytest.raises(ValueError, match=r"executable: hivemind-profile not found at /\S*"
                                         r"nowhere/bin/hivemind-profile \(was it built\?\)"):
        profile(Small(), example())


def fake_profiler(folder, script):
    path = folder / "hivemind-profile"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(folder)


@pytest.mark.parametrize("script, message", [
    # its last stderr line, flags renamed as the arguments
    ("echo 'warming up' >&2\necho 'hivemind: profile: --reps: bad' >&2\nexit 2\n",
     "hivemind: profile: reps: bad"),
    ("exit 4\n", "hivemind-profile: exit code 4"),  # silent failure: its exit code
])
def test_failing_profiler_becomes_value_error(tmp_path, monkeypatch, script, message):
    monkeypatch.setattr(_paths, "BIN_DIR", fake_profiler(tmp_path, script))
    with pytest.raises(ValueError) as e:
        profile(Small(), example())
    assert one_line(e) == message


def test_profiler_that_writes_nothing_is_value_error(tmp_path, monkeypatch):
    # exit 0 without its --out file: the profile cannot be read, named by its path.
    monkeypatch.setattr(_paths, "BIN_DIR", fake_profiler(tmp_path, "exit 0\n"))
    with pytest.raises(ValueError) as e:
        profile(Small(), example())
    assert one_line(e).endswith("model.json: cannot read file: No such file or directory")


def test_stopped_profiler_names_timeout(tmp_path, monkeypatch):
    # A profiler that outlives timeout_s + 60 s is killed (subprocess timeout), here shortened.
    monkeypatch.setattr(_paths, "BIN_DIR", fake_profiler(tmp_path, "exec sleep 30\n"))
    import subprocess
    real_run = subprocess.run

    def short_run(args, **kw):
        kw["timeout"] = 0.5
        return real_run(args, **kw)

    monkeypatch.setattr(subprocess, "run", short_run)
    with pytest.raises(ValueError) as e:
        profile(Small(), example(), timeout_s=1)
    assert one_line(e) == "hivemind-profile: still running 61 s after it started (timeout_s=1)"
