"""Benchmark of the Heo & Kim (2025) multiproduct exporter model.

(a) Default grid (101 z x 10 products), standard preset: time to solve the
    stationary GE after compilation (median of ``--repeats``), against the
    target 0.5 s; the plain NumPy/SciPy reference
    (``benchmarks/reference/multiproduct_numpy.py``) on the same grid, the
    agreement of the two (max abs difference of moments and prices) and the
    speed ratio (target >= 10x).
(b) Grid scaling: time (after compilation) for the (nz, N) pairs in
    ``--grid`` (default a small subset; ``--full`` runs nz in {51, 101, 201,
    401} x N in {10, 25, 50, 100}), in-process and without memory figures;
    ``benchmarks/bench_multiproduct_scaling.py`` runs the same grid with one
    subprocess per point and records peak memory.

The vmapped / sharded throughput of 1,024 parameter vectors is in
``benchmarks/bench_multiproduct_throughput.py``.

Usage::

    python benchmarks/bench_multiproduct.py --quick
    python benchmarks/bench_multiproduct.py --full
"""

from __future__ import annotations

import argparse
import importlib.util
import pathlib
import statistics
import sys
import time

import jax

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _machine import write_result  # noqa: E402

from jaxtrade.models.multiproduct import TABLE5_NAMES, solve_equilibrium, standard_params, table5_moments  # noqa: E402


def _reference():
    path = pathlib.Path(__file__).resolve().parent / "reference" / "multiproduct_numpy.py"
    spec = importlib.util.spec_from_file_location("multiproduct_numpy", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _time_solve(p, repeats):
    """First call (compilation) and ``repeats`` timed calls of the non-raising solve (read ``eq.info``)."""
    t0 = time.perf_counter()
    eq = solve_equilibrium(p, throw=False)
    jax.block_until_ready(eq.W)
    compile_s = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        eq = solve_equilibrium(p, throw=False)
        jax.block_until_ready(eq.W)
        times.append(time.perf_counter() - t0)
    return eq, compile_s, times


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--no-reference", action="store_true")
    args = ap.parse_args(argv)
    result = {}
    p = standard_params()
    eq, compile_s, times = _time_solve(p, 2 if args.quick else args.repeats)
    med = statistics.median(times)
    print(
        f"(a) default grid GE solve: compile {compile_s:.1f} s, median {med:.3f} s, min {min(times):.3f} s "
        f"[{'PASS' if med < 0.5 else 'FAIL'} target < 0.5 s], converged={bool(eq.info.converged)}"
    )
    result["default"] = dict(compile_s=compile_s, median_s=med, min_s=min(times), converged=bool(eq.info.converged))
    if not args.no_reference:
        ref = _reference()
        q = ref.params_to_dict(p)
        t0 = time.perf_counter()
        r = ref.solve(q)
        t_ref = time.perf_counter() - t0
        m = table5_moments(eq)
        dm = max(abs(float(m[k]) - r["moments"][k]) for k in TABLE5_NAMES)
        dp = max(abs(float(getattr(eq, k)) / r[k] - 1) for k in ("A", "W", "D", "gamma_E"))
        ratio = t_ref / med
        print(
            f"    NumPy reference: {t_ref:.2f} s; ratio {ratio:.1f}x [{'PASS' if ratio >= 10 else 'FAIL'} "
            f"target >= 10x]; max |moment diff| {dm:.2e}, max rel price diff {dp:.2e}"
        )
        result["reference"] = dict(time_s=t_ref, speed_ratio=ratio, max_moment_diff=dm, max_rel_price_diff=dp)
    if args.full:
        grid = [(nz, n) for nz in (51, 101, 201, 401) for n in (10, 25, 50, 100)]
    elif args.quick:
        grid = [(51, 10)]
    else:
        grid = [(51, 10), (201, 10), (101, 25)]
    rows = []
    for nz, n in grid:
        q = standard_params(n_z=nz, n_products=n, omega_hi=5.0)
        e, c_s, ts = _time_solve(q, 2)
        rows.append(
            dict(n_z=nz, n_products=n, compile_s=c_s, median_s=statistics.median(ts), converged=bool(e.info.converged))
        )
        print(
            f"(b) nz={nz:4d} N={n:4d}: compile {c_s:6.1f} s, solve {statistics.median(ts):.3f} s, "
            f"converged={bool(e.info.converged)}"
        )
    result["scaling"] = rows
    path = write_result("multiproduct", {**result, "machine_note": "CPU"})
    print("wrote", path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
