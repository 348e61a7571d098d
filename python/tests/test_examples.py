"""examples/python/ without what they need (issue 24): no skip. plan_resnet.py fails (exit 1,
one line on stderr naming what is missing, nothing on stdout) without torch or without the
hivemind-profile executable; ctest runs each example with its output checked
(python/CMakeLists.txt)."""
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "python"


def run_example(name, prelude):
    """Runs the example as __main__ after `prelude` (Python code), in a fresh interpreter."""
    code = f"{prelude}\nimport runpy\nrunpy.run_path({str(EXAMPLES / name)!r}, run_name='__main__')"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)


# Shown to fail: with plan_resnet.py's `sys.exit(77)` after "skipped: ..." on stdout (the
# behaviour before issue 24) in place of sys.exit(message): exit code 77, stderr empty.
@pytest.mark.parametrize("prelude, fragment", [
    # None in sys.modules: `import torch` raises ImportError, as when it is not installed
    ("import sys; sys.modules['torch'] = None", "plan_resnet.py: import of torch halted"),
    ("import sys; sys.modules['torchvision'] = None", "plan_resnet.py: import of torchvision halted"),
    ("import hivemind_split._paths as p; p.BIN_DIR = '/nonexistent/bin'",
     "plan_resnet.py: executable: hivemind-profile not found at /nonexistent/bin/hivemind-profile"),
])
def test_plan_resnet_fails_in_one_line_without_its_requirements(prelude, fragment):
    r = run_example("plan_resnet.py", prelude)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1 and r.stderr.endswith("\n"), r.stderr
    assert r.stderr.startswith(fragment), r.stderr
