"""The installed packages, end to end (issue 15), from a build tree:

1. `cmake --install BUILD --prefix TMP/prefix` into a fresh temporary folder;
2. a user's project (embed/) configured with CMAKE_PREFIX_PATH=TMP/prefix, built, run:
   examples/embed_sci.cpp on hivemind::split, a zoo reader on hivemind::model + hivemind_DATA_DIR;
3. the installed CLI solves examples/fig2.json (JSON cost) and plans a zoo model on the
   installed route, reading data/ from the prefix (shown by removing a zoo file there);
4. the installed Python package, imported from the prefix with the build's interpreter:
   solves examples/fig2.json to the CLI's cost (exactly), a bad problem raises ValueError with
   the CLI's message.
Prints one line per check and "package: all N checks passed"; exits 1 at the first failure.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

checks = 0


def check(condition, what):
    global checks
    if not condition:
        print(f"package: FAILED: {what}", flush=True)
        sys.exit(1)
    checks += 1
    print(f"package: ok: {what}", flush=True)


def run(args, **kw):
    t0 = time.perf_counter()
    r = subprocess.run(args, capture_output=True, text=True, **kw)
    dt = time.perf_counter() - t0
    return r, dt


def must(args, what, **kw):
    r, dt = run(args, **kw)
    if r.returncode != 0:
        print(r.stdout[-4000:], r.stderr[-4000:], sep="\n")
    check(r.returncode == 0, f"{what} ({dt:.1f} s)")
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--cmake", default="cmake")
    ap.add_argument("--python", default="")
    ap.add_argument("--python-dir", default="")
    ap.add_argument("--expect-runtime", default="OFF")
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    fig2 = os.path.join(a.source, "examples", "fig2.json")
    env = {k: v for k, v in os.environ.items() if k not in ("HIVEMIND_DATA", "PYTHONPATH")}

    with tempfile.TemporaryDirectory(prefix="hivemind-package-") as tmp:
        prefix = os.path.join(tmp, "prefix")
        must([a.cmake, "--install", a.build, "--prefix", prefix], f"cmake --install into {prefix}")
        cli = os.path.join(prefix, "bin", "hivemind")
        data = os.path.join(prefix, "share", "hivemind", "data")
        check(os.access(cli, os.X_OK) and os.path.isdir(os.path.join(data, "zoo")),
              "the CLI and data/ are installed")

        # 2. A user's project against find_package(hivemind CONFIG).
        proj = os.path.join(tmp, "embed-build")
        must([a.cmake, "-S", os.path.join(here, "embed"), "-B", proj,
              f"-DCMAKE_PREFIX_PATH={prefix}", "-DCMAKE_BUILD_TYPE=Release",
              f"-DEMBED_SCI_SOURCE={os.path.join(a.source, 'examples', 'embed_sci.cpp')}",
              f"-DHIVEMIND_EXPECT_RUNTIME={a.expect_runtime}"],
             "configure a project with find_package(hivemind CONFIG)", env=env)
        must([a.cmake, "--build", proj, "-j2"], "build embed_sci and zoo_layers against it", env=env)
        r = must([os.path.join(proj, "embed_sci")], "run embed_sci", env=env)
        check("matches the in-process solve" in r.stdout,
              "embed_sci: the per-node SCI plan matches the in-process solve")
        r = must([os.path.join(proj, "zoo_layers")], "run zoo_layers", env=env)
        check(f"from {data}" in r.stdout.replace("//", "/") or "share/hivemind/data" in r.stdout,
              f"zoo_layers reads the installed data/: {r.stdout.strip()}")

        # 3. The installed CLI, run from elsewhere.
        r = must([cli, "solve", fig2, "--format", "json"], "installed CLI solves fig2.json",
                 env=env, cwd=tmp)
        cli_plan = json.loads(r.stdout)
        route = os.path.join(data, "routes", "four_roles.json")
        must([cli, "solve", "--model", "resnet18", "--route", route], "installed CLI plans "
             "resnet18 on the installed four_roles route", env=env, cwd=tmp)
        zoo_file = os.path.join(data, "zoo", "resnet18_224.json")
        os.rename(zoo_file, zoo_file + ".away")
        r, _ = run([cli, "solve", "--model", "resnet18", "--route", route], env=env, cwd=tmp)
        check(r.returncode == 2 and prefix in r.stderr,
              f"the installed CLI reads the prefix's data/ (zoo file moved away: "
              f"{r.stderr.strip()[:160]})")
        os.rename(zoo_file + ".away", zoo_file)

        if not a.python_dir:
            print("package: the Python package was not built (HIVEMIND_WITH_PYTHON=OFF)")
        else:
            # 4. The installed Python package.
            site = os.path.join(prefix, a.python_dir)
            py_env = dict(env, PYTHONPATH=site, PYTHONDONTWRITEBYTECODE="1")
            bad = json.load(open(fig2))
            bad["nodes"][1]["compute"][2] = -1
            bad_path = os.path.join(tmp, "bad.json")
            json.dump(bad, open(bad_path, "w"))
            cli_bad, _ = run([cli, "solve", bad_path], env=env, cwd=tmp)
            code = f"""
import json, sys, time
t0 = time.perf_counter()
import hivemind_split as hs
t_import = time.perf_counter() - t0
plan = hs.solve({fig2!r})
try:
    hs.solve({bad_path!r})
    err = None
except ValueError as e:
    err = str(e)
print(json.dumps(dict(file=hs.__file__, data=hs.data_dir(), exe=hs.executable("hivemind"),
                      cost=plan.cost, boundaries=plan.boundaries, error=err,
                      import_ms=t_import * 1e3)))
"""
            r = must([a.python, "-c", code], f"import hivemind_split from {site}", env=py_env,
                     cwd=tmp)
            got = json.loads(r.stdout.strip().splitlines()[-1])
            check(got["file"].startswith(prefix), f"imported from the prefix: {got['file']}")
            check(got["data"].startswith(prefix) and got["exe"].startswith(prefix),
                  f"the package's data/ and executables are the prefix's: {got['data']}")
            check(got["cost"] == cli_plan["cost"] and got["boundaries"] == cli_plan["boundaries"],
                  f"fig2.json: Python cost {got['cost']!r} {got['boundaries']} == CLI cost "
                  f"{cli_plan['cost']!r} {cli_plan['boundaries']}")
            cli_msg = cli_bad.stderr.strip().split(": ", 1)[-1]
            check(got["error"] is not None and cli_bad.returncode == 2 and got["error"] == cli_msg,
                  f"a bad problem raises ValueError with the CLI's line: {got['error']!r}")
            print(f"package: import hivemind_split took {got['import_ms']:.1f} ms")
    print(f"package: all {checks} checks passed")


if __name__ == "__main__":
    main()
