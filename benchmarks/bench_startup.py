"""Start-up: the wall time of a whole ``jaxtrade <command> --json`` process, first and later calls.

Each call is a new Python process (``python -m jaxtrade ...`` run from a
temporary folder, so that the package on ``PYTHONPATH`` is the one timed).
Per implementation, a private cache folder (``JAXTRADE_CACHE_DIR``) starts
empty: the first call pays tracing and compilation and fills the caches;
``--repeat`` later calls are timed as a user's second call. The process's
wall time (interpreter start to exit) and the command's own ``timing``
(``total_s``, ``compile_s``: tracing, lowering and reading or compiling
executables; ``run_s``) are recorded. The target of issue 14: a second
``jaxtrade vertical --json`` under 5 s on the 2-core CPU.

``--baseline REF`` also times the ``jaxtrade`` package of git commit
``REF`` (``git archive``), the two alternating call by call in the same run,
and checks that both print the same numbers (largest absolute difference of
every float in the JSON output other than ``timing``).

Usage::

    python benchmarks/bench_startup.py                        # vertical, this checkout
    python benchmarks/bench_startup.py --baseline 5bcef4c --repeat 5
    python benchmarks/bench_startup.py --command "sunk-cost steady-state --json"
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _machine import extract_package, git_commit, print_table, write_result  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parent.parent


def _call(package_root: str, cache: str, command: list[str], timeout: float) -> dict:
    env = {**os.environ, "PYTHONPATH": package_root, "JAXTRADE_CACHE_DIR": cache, "JAX_PLATFORMS": "cpu"}
    env.pop("JAXTRADE_PROGRAM_CACHE", None)
    with tempfile.TemporaryDirectory() as cwd:  # not the repository: its jaxtrade would shadow PYTHONPATH
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "jaxtrade", *command], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=timeout)  # fmt: skip
        wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"jaxtrade {' '.join(command)} exited {done.returncode}: {done.stderr[-2000:]}")
    text = done.stdout
    out = json.loads(text[text.index("{") : text.rindex("}") + 1])
    return {"wall_s": wall, **{f"cmd_{k}": v for k, v in out.pop("timing", {}).items()}, "output": out}


def _floats(x, path=""):
    if isinstance(x, bool):
        return
    if isinstance(x, int | float):
        yield path, float(x)
    elif isinstance(x, dict):
        for k, v in x.items():
            yield from _floats(v, f"{path}.{k}")
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from _floats(v, f"{path}[{i}]")


def _max_abs_difference(a: dict, b: dict) -> float:
    fa, fb = dict(_floats(a)), dict(_floats(b))
    if fa.keys() != fb.keys():
        return float("inf")
    return max((abs(fa[k] - fb[k]) for k in fa), default=0.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--command", default="vertical --json", help="the jaxtrade command line to time")
    ap.add_argument("--repeat", type=int, default=5, help="later calls timed per implementation")
    ap.add_argument("--baseline", metavar="REF", help="also time the package of git commit REF, alternating")
    ap.add_argument("--timeout", type=float, default=900.0, help="limit of one call, seconds")
    ap.add_argument("--name", default="startup_vertical", help="results file name (benchmarks/results/NAME.json)")
    args = ap.parse_args()
    command = shlex.split(args.command)

    roots = {"this": str(REPO)}
    temporary = []
    if args.baseline:
        roots["baseline"] = extract_package(args.baseline)
        temporary.append(roots["baseline"])
    caches = {name: tempfile.mkdtemp(prefix=f"jaxtrade_cache_{name}_") for name in roots}
    temporary += caches.values()
    calls: dict[str, list[dict]] = {name: [] for name in roots}
    try:
        for round_ in range(1 + args.repeat):  # round 0: empty caches
            for name, root in roots.items():
                result = _call(root, caches[name], command, args.timeout)
                result["call"] = round_ + 1
                calls[name].append(result)
                print(f"{name:9s} call {round_ + 1}: {result['wall_s']:.2f} s", flush=True)
    finally:
        for folder in temporary:
            shutil.rmtree(folder, ignore_errors=True)

    rows, summary = [], {}
    for name, results in calls.items():
        later = results[1:]
        entry = {
            "first_call_wall_s": results[0]["wall_s"],
            "later_wall_s": [r["wall_s"] for r in later],
            "later_wall_median_s": statistics.median(r["wall_s"] for r in later) if later else None,
            "later_cmd_compile_median_s": statistics.median(r["cmd_compile_s"] for r in later) if later else None,
            "later_cmd_run_median_s": statistics.median(r["cmd_run_s"] for r in later) if later else None,
        }
        summary[name] = entry
        rows.append({"code": name, "first call s": entry["first_call_wall_s"],
                     "later calls s (median)": entry["later_wall_median_s"],
                     "of which compile s": entry["later_cmd_compile_median_s"],
                     "run s": entry["later_cmd_run_median_s"]})  # fmt: skip
    print_table(rows)
    payload: dict = {"command": f"jaxtrade {args.command}", "repeat": args.repeat, "results": summary,
                     "commit": git_commit("HEAD")}  # fmt: skip
    if args.baseline:
        payload["baseline"] = {"ref": args.baseline, "commit": git_commit(args.baseline)}
        base, this = summary["baseline"]["later_wall_median_s"], summary["this"]["later_wall_median_s"]
        payload["later_call_speedup"] = base / this if base and this else None
        payload["max_abs_output_difference"] = max(
            _max_abs_difference(a["output"], b["output"]) for a, b in zip(calls["this"], calls["baseline"], strict=True)
        )
        print(f"later calls: {payload['later_call_speedup']:.2f}x; outputs differ by at most "
              f"{payload['max_abs_output_difference']:.3g}")  # fmt: skip
    print(f"wrote {write_result(args.name, payload)}")


if __name__ == "__main__":
    main()
