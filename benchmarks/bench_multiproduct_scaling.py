"""Grid scaling of the Heo & Kim (2025) multiproduct GE solve: time and peak memory.

For every (n_z, N) pair (productivity grid points x products; default
n_z in {51, 101, 201, 401} x N in {10, 25, 50, 100}) the Standard preset
(Table 3 and the Standard column of Table 4, flat 10 % tariff) is solved to
general equilibrium (``entry="normalize"``, the initial steady state) with
:func:`jaxtrade.models.multiproduct.solve_equilibrium` (``throw=False``) on whatever
``jax.devices()`` gives (the platform is recorded). Each grid point runs in
its own subprocess, so that its peak memory is its own:

* ``compile_s``: the first call (tracing + XLA compilation + one solve);
* ``median_s`` / ``min_s``: ``--repeats`` further solves after compilation
  (wall clock); ``median_cpu_s`` the process CPU time of those solves (all
  threads), a figure less sensitive to other load on a shared machine
  (``load_avg_1m`` is recorded per point);
* ``peak_rss_mib``: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the
  child at the end (JAX runtime included; ``base_rss_mib`` is the same
  figure after importing JAX and building the parameters, before solving);
* ``peak_device_mib``: ``device.memory_stats()["peak_bytes_in_use"]`` where
  the backend reports it (GPUs; ``None`` on CPU);
* ``ge_residual``: max |residual| over the market-clearing, Euler, free-entry,
  price-index and normalization conditions recomputed from firm-level
  allocations (``RESIDUAL_NAMES[:7]``), ``converged`` the solver's flag,
  with the Newton, Bellman and distribution iteration counts.

A point that exceeds ``--timeout`` seconds (default 300) is recorded as
``"status": "timeout"``; a failing one as ``"error"`` with the tail of its
stderr. Target (issue): the default grid (101 x 10) under 0.5 s per solve.
Results with machine information go to
``benchmarks/results/multiproduct_scaling.json`` (``--name``).

Usage::

    python benchmarks/bench_multiproduct_scaling.py              # full 4 x 4 grid
    python benchmarks/bench_multiproduct_scaling.py --quick      # (51, 10), (101, 10)
    python benchmarks/bench_multiproduct_scaling.py --nz 101 201 --n-products 10 25
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

NZ_FULL = (51, 101, 201, 401)
N_FULL = (10, 25, 50, 100)
QUICK = ((51, 10), (101, 10))
TARGET_S = 0.5  # default grid, issue target


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _device_peak_mib(devices):
    peaks = []
    for d in devices:
        try:
            stats = d.memory_stats()
        except Exception:  # noqa: BLE001 (backends without memory stats)
            stats = None
        if stats and "peak_bytes_in_use" in stats:
            peaks.append(stats["peak_bytes_in_use"] / 1024**2)
    return max(peaks) if peaks else None


def worker(n_z: int, n_products: int, repeats: int) -> dict:
    """Solve one grid point in this process; return its figures."""
    import statistics

    import jax
    import numpy as np

    from jaxtrade.models.multiproduct import RESIDUAL_NAMES, solve_equilibrium, standard_params

    p = standard_params(n_z=n_z, n_products=n_products)
    jax.block_until_ready(p)
    base = _rss_mib()
    t0 = time.perf_counter()
    eq = solve_equilibrium(p, throw=False)
    jax.block_until_ready(eq)
    compile_s = time.perf_counter() - t0
    times, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        eq = solve_equilibrium(p, throw=False)
        jax.block_until_ready(eq)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    ge = max(abs(float(eq.residuals[k])) for k in RESIDUAL_NAMES[:7])
    dev = jax.devices()[0]
    return {
        "n_z": n_z,
        "n_products": n_products,
        "status": "ok",
        "platform": dev.platform,
        "device_kind": dev.device_kind,
        "compile_s": compile_s,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "times_s": times,
        "median_cpu_s": statistics.median(cpu),
        "load_avg_1m": os.getloadavg()[0],
        "base_rss_mib": base,
        "peak_rss_mib": _rss_mib(),
        "peak_device_mib": _device_peak_mib(jax.devices()),
        "converged": bool(eq.info.converged),
        "ge_residual": ge,
        "ge_root_residual": float(eq.residuals["ge_root"]),
        "bellman_residual": float(eq.residuals["bellman"]),
        "distribution_residual": float(eq.residuals["distribution"]),
        "newton_iterations": int(eq.info.iterations),
        "bellman_iterations": int(eq.bellman_info.iterations),
        "distribution_iterations": int(eq.distribution_info.iterations),
        "A": float(eq.A),
        "W": float(eq.W),
        "state_size": int(np.prod(eq.v.shape)),
    }


def run_point(n_z: int, n_products: int, repeats: int, timeout: float) -> dict:
    """Run :func:`worker` in a subprocess with a wall-clock limit."""
    cmd = [sys.executable, str(pathlib.Path(__file__).resolve()), "--worker", str(n_z), str(n_products), str(repeats)]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"n_z": n_z, "n_products": n_products, "status": "timeout", "timeout_s": timeout}
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        return {"n_z": n_z, "n_products": n_products, "status": "error", "error": proc.stderr[-2000:], "wall_s": wall}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_s"] = wall
    return out


def main(argv=None) -> dict:
    from _machine import print_table, write_result

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help=f"only {QUICK}")
    ap.add_argument("--nz", type=int, nargs="+", default=None, help=f"productivity grid sizes (default {NZ_FULL})")
    ap.add_argument("--n-products", type=int, nargs="+", default=None, help=f"numbers of products (default {N_FULL})")
    ap.add_argument("--repeats", type=int, default=5, help="timed solves after compilation (median reported)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per grid point before 'timeout'")
    ap.add_argument("--name", default="multiproduct_scaling", help="results file stem")
    args = ap.parse_args(argv)
    if args.repeats < 1:
        ap.error("--repeats must be >= 1")
    if args.quick and args.nz is None and args.n_products is None:
        grid = list(QUICK)
    else:
        grid = [(nz, n) for nz in (args.nz or NZ_FULL) for n in (args.n_products or N_FULL)]
    for nz, n in grid:
        if nz < 3 or n < 2:
            ap.error(f"grid sizes must be n_z >= 3 and N >= 2, got ({nz}, {n})")
    rows = []
    for nz, n in grid:
        r = run_point(nz, n, args.repeats, args.timeout)
        rows.append(r)
        print(json.dumps({k: v for k, v in r.items() if k not in ("times_s", "error")}), flush=True)
        if r["status"] == "error":
            print(r["error"], file=sys.stderr)
    default = next((r for r in rows if (r["n_z"], r["n_products"]) == (101, 10) and r["status"] == "ok"), None)
    target = None
    if default is not None:
        target = {"target_s": TARGET_S, "median_s": default["median_s"], "met": default["median_s"] < TARGET_S}
    path = write_result(
        args.name,
        {
            "benchmark": "multiproduct GE solve: grid scaling (Standard preset, entry='normalize')",
            "repeats": args.repeats,
            "timeout_s": args.timeout,
            "default_grid_target": target,
            "results": rows,
        },
    )
    table = [
        {
            "n_z": r["n_z"],
            "N": r["n_products"],
            "status": r["status"],
            "compile_s": r.get("compile_s"),
            "median_s": r.get("median_s"),
            "cpu_s": r.get("median_cpu_s"),
            "peak_RSS_MiB": r.get("peak_rss_mib"),
            "base_RSS_MiB": r.get("base_rss_mib"),
            "dev_peak_MiB": r.get("peak_device_mib"),
            "GE_resid": r.get("ge_residual"),
            "conv": r.get("converged"),
            "newton": r.get("newton_iterations"),
            "vfi": r.get("bellman_iterations"),
            "dist": r.get("distribution_iterations"),
        }
        for r in rows
    ]
    print_table(table)
    if target is not None:
        print(
            f"default grid 101 x 10: median {target['median_s']:.3f} s "
            f"[{'PASS' if target['met'] else 'FAIL'} target < {TARGET_S} s]"
        )
    print(f"wrote {path}")
    return {"results": rows}


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        print(json.dumps(worker(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))))
    else:
        main()
