"""Benchmark of the multiproduct calibration (Heo & Kim 2025, eq. 28; jaxtrade.estimation).

(a) A full Standard calibration from the paper's Table 4 values on the default
    grid (101 x 10): wall time (target: under 20 minutes on 2 CPU cores),
    compilation time, model evaluations, per-stage iterations and the largest
    |model - data| over the targets at the preset scale.
(b) Peer in the same run: the smooth stage (taste-shock scale 1e-3) solved
    from the same warm-up point by SciPy's ``least_squares`` (trust-region
    reflective) with a two-point finite-difference Jacobian, against
    jaxtrade's Levenberg-Marquardt with the autodiff Jacobian: evaluations,
    wall time and final loss.
(c) Batched evaluation for the multi-start: ``--batch`` Sobol points of the
    calibration box evaluated as one sharded batch (all devices;
    ``lax.map`` per device), reported as equilibria per second, beside
    evaluating them one by one.

Usage::

    python benchmarks/bench_calibration.py --quick      # 51 x 10 grid, batch 16
    python benchmarks/bench_calibration.py              # 101 x 10, batch 64
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import jax
import numpy as np
from scipy.optimize import least_squares

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _machine import print_table, write_result  # noqa: E402

from jaxtrade.estimation import estimate, levenberg_marquardt, sobol_points  # noqa: E402
from jaxtrade.models import multiproduct as mp  # noqa: E402
from jaxtrade.models.multiproduct import calibration as cal  # noqa: E402


def full_calibration(base) -> tuple[dict, object]:
    prob = cal.calibration_problem("standard", base=base)
    start = {k: float(getattr(base, k)) for k in prob.space.names}
    u0 = prob.space.to_unconstrained(prob.space.vector(start))
    fixed = prob.with_fixed(smoothing=1e-2)
    t0 = time.perf_counter()
    jax.block_until_ready(prob.evaluate(u0, fixed))
    t_eval = time.perf_counter() - t0
    t0 = time.perf_counter()
    jax.block_until_ready(prob.linearize(u0, fixed))
    t_lin = time.perf_counter() - t0
    t0 = time.perf_counter()
    est = estimate(prob, start, stages=cal.calibration_stages(), inference_fixed={"smoothing": cal.INFERENCE_SMOOTHING},
                   progress=False, throw=False)  # fmt: skip
    seconds = time.perf_counter() - t0
    worst = max(abs(est.moments[k] - mp.TABLE5_DATA[k]) for k in cal.TARGETS["standard"])
    row = {"case": "full Standard calibration", "compile_s": round(t_eval + t_lin, 1),
           "calibrate_s": round(seconds, 1), "evaluations": est.evaluations, "converged": est.converged,
           "max_abs_target_gap": round(worst, 5),
           "stages": "; ".join(f"{s.name}: {int(s.info.iterations)} it" for s in est.stages)}  # fmt: skip
    return row, (prob, est)


def peer_smooth_stage(prob, est) -> list[dict]:
    """The 1e-3 stage from the warm-up estimate: autodiff LM against SciPy with finite differences."""
    warm = est.stages[0].theta
    fixed = prob.with_fixed(smoothing=1e-3)
    u0 = np.asarray(prob.space.to_unconstrained(warm))
    counter = {"n": 0}

    def resid(u):
        counter["n"] += 1
        m, ok = prob.evaluate(u, fixed)
        r = np.asarray(m)[prob.target_index] - prob.data_vector
        return r if bool(ok) else np.full_like(r, 1e3)

    t0 = time.perf_counter()
    sp = least_squares(resid, u0, method="trf", jac="2-point", xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=2000)
    t_sp = time.perf_counter() - t0
    t0 = time.perf_counter()
    lm = levenberg_marquardt(prob, u0, fixed, max_iterations=50, progress=False, throw=False)
    t_lm = time.perf_counter() - t0
    return [
        {"case": "smooth stage, jaxtrade LM (autodiff Jacobian)", "seconds": round(t_lm, 2),
         "evaluations": int(lm.state.evaluations), "jacobians": "autodiff (k tangents each)",
         "loss": f"{lm.loss:.2e}", "converged": bool(lm.info.converged)},
        {"case": "smooth stage, SciPy least_squares (2-point FD)", "seconds": round(t_sp, 2),
         "evaluations": counter["n"], "jacobians": "finite differences", "loss": f"{2 * sp.cost:.2e}",
         "converged": bool(sp.success)},
    ]  # fmt: skip


def batch_throughput(prob, n: int) -> list[dict]:
    free = cal.FREE["standard"]
    lo = np.array([cal.BOUNDS[k][0] for k in free])
    hi = np.array([cal.BOUNDS[k][1] for k in free])
    start = np.array([float(getattr(mp.standard_params(), k)) for k in free])
    box = (np.maximum(0.7 * start, lo + 1e-6), np.minimum(1.3 * start, hi - 1e-6))
    us = np.asarray(prob.space.to_unconstrained(sobol_points(*box, n, seed=0)))
    fixed = prob.with_fixed(smoothing=1e-2)
    t0 = time.perf_counter()
    prob.evaluate_batch(us, fixed)  # compiles for this batch shape
    t_compile = time.perf_counter() - t0
    t0 = time.perf_counter()
    m, ok = prob.evaluate_batch(us, fixed)
    t_batch = time.perf_counter() - t0
    t0 = time.perf_counter()
    for u in us:
        jax.block_until_ready(prob.evaluate(u, fixed))
    t_loop = time.perf_counter() - t0
    return [
        {"case": f"batch of {n}, sharded over {len(jax.devices())} device(s)", "seconds": round(t_batch, 2),
         "equilibria_per_s": round(n / t_batch, 2), "solved": int(np.sum(ok)), "first_call_s": round(t_compile, 1)},
        {"case": f"{n} one by one", "seconds": round(t_loop, 2), "equilibria_per_s": round(n / t_loop, 2)},
    ]  # fmt: skip


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="51 x 10 grid and a batch of 16")
    ap.add_argument("--batch", type=int, default=None, help="points of the batched evaluation (default 64; 16 quick)")
    ap.add_argument("--no-peer", action="store_true", help="skip the SciPy finite-difference peer")
    args = ap.parse_args(argv)
    n_z = 51 if args.quick else 101
    batch = args.batch or (16 if args.quick else 64)
    base = mp.standard_params(n_z=n_z)
    print(f"multiproduct calibration benchmark: grid {n_z} x 10, backend {jax.default_backend()}")
    row, (prob, est) = full_calibration(base)
    print_table([row])
    peer = [] if args.no_peer else peer_smooth_stage(prob, est)
    if peer:
        print_table(peer)
    thr = batch_throughput(prob, batch)
    print_table(thr)
    result = {"grid": [n_z, 10], "calibration": row, "peer": peer, "batch": thr,
              "target": "full Standard calibration under 20 minutes on 2 CPU cores"}  # fmt: skip
    path = write_result("calibration" + ("_quick" if args.quick else ""), result)
    print("wrote", path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
