"""Throughput of batched, device-sharded multiproduct GE solves (equilibria per second).

A batch of ``--batch`` (default 1,024) parameter vectors around the Standard
preset (Heo & Kim 2025, Tables 3-4; flat 10 % tariff) is solved to general
equilibrium (``entry="normalize"``) by
:func:`jaxtrade.models.multiproduct.solve_equilibrium_batch`, i.e.
``jit(vmap(solve_equilibrium(., throw=False)))`` with the batch axis split over a
one-dimensional mesh of devices (``NamedSharding``, ``PartitionSpec("batch")``).

Perturbed parameters: mu_E, xi, gamma and the export-cost parameters
gamma_0..gamma_3 (eq. 19), each multiplied by an independent
``1 + spread * U(-1, 1)`` draw (``--spread`` 0.1, ``--seed`` 0); all stay in
the valid domain (positive). Runs:

* ``sharded/<method>``: all devices of ``jax.devices()``;
* ``unsharded/<method>``: the same batch on ``jax.devices()[0]`` alone
  (``--no-unsharded`` skips it);

for each per-device layout in ``--method`` (``vmap``: lockstep ``vmap`` of
the slice, the accelerator layout; ``map``: ``lax.map``, members one after
another, ``--map-batch-size`` at a time);
* ``sequential``: one member solved alone (``solve_equilibrium(p, throw=False)``), the
  per-equilibrium time of a plain loop.

For each: first call (compilation + one batch), the median of ``--repeats``
timed calls after compilation, equilibria per second = batch / median, the
number of members with ``converged=True`` (and the per-member flags), the
max Newton / Bellman iterations (a vmapped loop runs until its slowest
member is done), and the max abs difference of every later run's results
from the first run's (``max_abs_diff_vs_first``). ``--cpu-devices K`` makes the host CPU appear as K devices
(``XLA_FLAGS=--xla_force_host_platform_device_count=K``, set before JAX is
imported). The issue's target is >= 1,000 equilibria/s on an H100; this
script runs on whatever backend JAX finds and records the platform.
Results with machine information go to
``benchmarks/results/multiproduct_throughput.json`` (``--name``); with
``--append`` the file's earlier content is kept under ``earlier_runs``.

``--baseline REF`` first runs the same benchmark with git commit ``REF``'s
package (``git archive`` into a temporary folder, a subprocess) and stores its
results and the speed-ups under ``baseline`` / ``vs_baseline``: a comparison
with the previous code in one run of a shared machine. The
``max_bellman_iterations`` / ``max_distribution_iterations`` columns are the
iterations of the final (warm-started) solves at the GE root since the warm
starts of the Newton loop (usually 0-1), not of a whole solve.

Usage::

    python benchmarks/bench_multiproduct_throughput.py --cpu-devices 4
    python benchmarks/bench_multiproduct_throughput.py --batch 64 --repeats 1   # smaller
    python benchmarks/bench_multiproduct_throughput.py --cpu-devices 4 --method map vmap --vmap-batch 64
    python benchmarks/bench_multiproduct_throughput.py                          # GPU: all GPUs
    python benchmarks/bench_multiproduct_throughput.py --batch 64 --no-unsharded --baseline aea6ca4
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pathlib
import resource
import statistics
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

PERTURBED = ("mu_E", "xi", "gamma", "gamma_0", "gamma_1", "gamma_2", "gamma_3")
TARGET_EQ_PER_S = 1000.0  # issue target, on one H100


def _parse(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=1024, help="parameter vectors in the batch")
    ap.add_argument(
        "--cpu-devices",
        type=int,
        default=None,
        help="expose the host CPU as this many devices (sets XLA_FLAGS before importing jax)",
    )
    ap.add_argument("--nz", type=int, default=101)
    ap.add_argument("--n-products", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=2, help="timed batch calls after compilation (median)")
    ap.add_argument("--spread", type=float, default=0.1, help="relative half-width of the perturbations")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-unsharded", action="store_true", help="skip the single-device run")
    ap.add_argument(
        "--method",
        nargs="+",
        choices=["vmap", "map"],
        default=["vmap", "map"],
        help="per-device batch layout(s) to time (solve_equilibrium_batch's method)",
    )
    ap.add_argument(
        "--vmap-batch",
        type=int,
        default=None,
        help="solve only the first this-many members with method vmap (default: the whole batch)",
    )
    ap.add_argument("--map-batch-size", type=int, default=None, help="members vmapped per lax.map step (map)")
    ap.add_argument("--name", default="multiproduct_throughput", help="results file stem")
    ap.add_argument(
        "--baseline",
        default=None,
        metavar="REF",
        help="first run the same benchmark with git commit REF's jaxtrade (subprocess), for ratios in one run",
    )
    ap.add_argument("--package-root", default=None, help=argparse.SUPPRESS)  # the baseline's package (internal)
    ap.add_argument(
        "--append",
        action="store_true",
        help="keep the runs already in the results file (earlier invocations) and add these",
    )
    args = ap.parse_args(argv)
    if args.batch < 1:
        ap.error("--batch must be >= 1")
    if args.repeats < 1:
        ap.error("--repeats must be >= 1")
    if not (0.0 <= args.spread < 1.0):
        ap.error("--spread must satisfy 0 <= spread < 1 (keeps every parameter positive)")
    if args.cpu_devices is not None and args.cpu_devices < 1:
        ap.error("--cpu-devices must be >= 1")
    return args


def make_batch(batch: int, n_z: int, n_products: int, spread: float, seed: int):
    """Stacked Standard-preset parameters with ``PERTURBED`` fields drawn around the preset."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    from jaxtrade.models.multiproduct import MultiproductParams, standard_params

    base = standard_params(n_z=n_z, n_products=n_products)
    rng = np.random.default_rng(seed)
    fields = {}
    for f in (field.name for field in dataclasses.fields(base)):
        x = getattr(base, f)
        if isinstance(x, jax.Array):
            x = np.asarray(x)
            if f in PERTURBED:
                x = x * (1.0 + spread * rng.uniform(-1.0, 1.0, batch))
            else:
                x = np.broadcast_to(x, (batch,) + x.shape)
            fields[f] = jnp.asarray(x)
        else:
            fields[f] = x
    return MultiproductParams(**fields)


def _time_batch(solve, params, devices, repeats, **kw):
    import jax

    t0 = time.perf_counter()
    eq = solve(params, devices=devices, throw=False, **kw)
    jax.block_until_ready(eq)
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        eq = solve(params, devices=devices, validate=False, throw=False, **kw)
        jax.block_until_ready(eq)
        times.append(time.perf_counter() - t0)
    return eq, first, times


def _summary(label, eq, first, times, batch, devices):
    import numpy as np

    conv = np.asarray(eq.info.converged)
    med = statistics.median(times)
    return {
        "run": label,
        "devices": len(devices),
        "platform": devices[0].platform,
        "batch": batch,
        "first_call_s": first,
        "median_s": med,
        "times_s": times,
        "eq_per_s": batch / med,
        "n_converged": int(conv.sum()),
        "all_converged": bool(conv.all()),
        "converged": conv.tolist(),
        "max_newton_iterations": int(np.max(np.asarray(eq.info.iterations))),
        "max_bellman_iterations": int(np.max(np.asarray(eq.bellman_info.iterations))),
        "max_distribution_iterations": int(np.max(np.asarray(eq.distribution_info.iterations))),
        "output_devices": len(eq.W.sharding.device_set),
    }


def _run_baseline(ref: str, argv) -> dict:
    """This benchmark with commit ``ref``'s package, in a subprocess (same options); its results file is read back."""
    import shutil
    import subprocess
    import tempfile

    from _machine import extract_package, git_commit

    argv = list(sys.argv[1:] if argv is None else argv)
    i = argv.index("--baseline")
    argv = argv[:i] + argv[i + 2 :]
    root = extract_package(ref)
    out = tempfile.mkdtemp(prefix="bench_throughput_")
    try:
        cmd = [sys.executable, __file__, *argv, "--package-root", root, "--name", os.path.join(out, "baseline")]
        subprocess.run(cmd, check=True)
        with open(os.path.join(out, "baseline.json")) as fh:
            results = json.load(fh)["results"]
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
    return {"ref": ref, "commit": git_commit(ref), "results": results}


def _ratios(baseline: dict, rows: list[dict]) -> list[dict]:
    """Per run: equilibria per second of this checkout over the baseline's, and the first-call ratio."""
    base = {r["run"]: r for r in baseline["results"]}
    out = []
    for r in rows:
        b = base.get(r["run"])
        if b is not None:
            out.append(
                {
                    "run": r["run"],
                    "baseline_eq_per_s": b["eq_per_s"],
                    "eq_per_s": r["eq_per_s"],
                    "speedup": r["eq_per_s"] / b["eq_per_s"],
                    "baseline_first_call_s": b["first_call_s"],
                    "first_call_s": r["first_call_s"],
                }
            )
    return out


def main(argv=None) -> dict:
    args = _parse(argv)
    if args.package_root:
        sys.path.insert(0, args.package_root)
    baseline = _run_baseline(args.baseline, argv) if args.baseline else None
    if args.cpu_devices is not None:
        if "jax" in sys.modules:
            raise RuntimeError("--cpu-devices must be applied before jax is imported")
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = (flags + f" --xla_force_host_platform_device_count={args.cpu_devices}").strip()
        os.environ["JAX_PLATFORMS"] = "cpu"

    import jax
    import numpy as np
    from _machine import print_table, write_result

    from jaxtrade.models.multiproduct import RESIDUAL_NAMES, solve_equilibrium, solve_equilibrium_batch, unstack_params

    devices = jax.devices()
    params = make_batch(args.batch, args.nz, args.n_products, args.spread, args.seed)
    for b in (args.batch, args.vmap_batch):
        if b and b % len(devices) != 0:
            raise SystemExit(f"batch {b} must be a multiple of the {len(devices)} devices")
    if args.vmap_batch and not 1 <= args.vmap_batch <= args.batch:
        raise SystemExit("--vmap-batch must be between 1 and --batch")
    print(
        f"{len(devices)} x {devices[0].platform} devices; batch {args.batch}; grid {args.nz} x {args.n_products}",
        flush=True,
    )
    rows = []
    ref = None
    for method in args.method:
        kw = {"method": method, "map_batch_size": args.map_batch_size if method == "map" else None}
        n = args.vmap_batch if (method == "vmap" and args.vmap_batch) else args.batch
        sub = jax.tree_util.tree_map(lambda x, n=n: x[:n], params)
        runs = [("sharded", devices)] + ([] if args.no_unsharded else [("unsharded", devices[:1])])
        for label, devs in runs:
            eq, first, times = _time_batch(solve_equilibrium_batch, sub, devs, args.repeats, **kw)
            row = _summary(f"{label}/{method}", eq, first, times, n, devs)
            ge = np.max(np.stack([np.abs(np.asarray(eq.residuals[k])) for k in RESIDUAL_NAMES[:7]]), axis=0)
            row["max_ge_residual"] = float(ge.max())
            if ref is None:
                ref = eq
            else:
                m = min(n, int(ref.A.shape[0]))
                row["max_abs_diff_vs_first"] = max(
                    float(np.max(np.abs(np.asarray(getattr(eq, k))[:m] - np.asarray(getattr(ref, k))[:m])))
                    for k in ("A", "W", "D", "gamma_E", "N", "v", "mu")
                )
            rows.append(row)
            print({k: v for k, v in row.items() if k not in ("converged", "times_s")}, flush=True)
            del eq
    # sequential baseline: member 0 alone, after compilation
    p0 = unstack_params(jax.tree_util.tree_map(lambda x: x[:1], params))[0]
    t0 = time.perf_counter()
    e0 = solve_equilibrium(p0, throw=False)
    jax.block_until_ready(e0)
    first = time.perf_counter() - t0
    seq = []
    for _ in range(max(3, args.repeats)):
        t0 = time.perf_counter()
        jax.block_until_ready(solve_equilibrium(p0, throw=False))
        seq.append(time.perf_counter() - t0)
    med = statistics.median(seq)
    rows.append(
        {
            "run": "sequential",
            "devices": 1,
            "platform": devices[0].platform,
            "batch": 1,
            "first_call_s": first,
            "median_s": med,
            "times_s": seq,
            "eq_per_s": 1.0 / med,
            "n_converged": int(bool(e0.info.converged)),
            "all_converged": bool(e0.info.converged),
            "max_abs_diff_vs_first": float(abs(float(e0.A) - float(np.asarray(ref.A)[0]))),
        }
    )
    for r in rows:
        r["invocation"] = {
            "argv": sys.argv[1:],
            "timestamp_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "load_avg_1m": os.getloadavg()[0],
        }
    earlier = []
    path_old = HERE / "results" / f"{args.name}.json"
    if args.append and path_old.exists():
        with open(path_old) as fh:
            old = json.load(fh)
        earlier = old.get("earlier_runs", []) + [{k: v for k, v in old.items() if k != "earlier_runs"}]
    peak_dev = []
    for d in devices:
        try:
            stats = d.memory_stats()
        except Exception:  # noqa: BLE001
            stats = None
        if stats and "peak_bytes_in_use" in stats:
            peak_dev.append(stats["peak_bytes_in_use"] / 1024**2)
    path = write_result(
        args.name,
        {
            "benchmark": "multiproduct GE throughput: vmapped batch sharded over devices (Standard preset, perturbed)",
            "grid": {"n_z": args.nz, "n_products": args.n_products},
            "batch": args.batch,
            "vmap_batch": args.vmap_batch or args.batch,
            "perturbed": list(PERTURBED),
            "spread": args.spread,
            "methods": args.method,
            "map_batch_size": args.map_batch_size,
            "seed": args.seed,
            "xla_flags": os.environ.get("XLA_FLAGS", ""),
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "peak_device_mib": max(peak_dev) if peak_dev else None,
            "target_eq_per_s_h100": TARGET_EQ_PER_S,
            "results": rows,
            **({"baseline": baseline, "vs_baseline": _ratios(baseline, rows)} if baseline else {}),
            **({"earlier_runs": earlier} if earlier else {}),
        },
    )
    print_table(
        [
            {
                k: r.get(k)
                for k in (
                    "run",
                    "devices",
                    "platform",
                    "batch",
                    "first_call_s",
                    "median_s",
                    "eq_per_s",
                    "n_converged",
                    "max_newton_iterations",
                    "max_bellman_iterations",
                    "max_abs_diff_vs_first",
                )
            }
            for r in rows
        ]
    )
    if baseline:
        print(f"against {baseline['ref']} ({baseline['commit']}), same run:")
        print_table(_ratios(baseline, rows))
    print(f"wrote {path}")
    return {"results": rows}


if __name__ == "__main__":
    main()
