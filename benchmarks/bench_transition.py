"""Benchmark of the multiproduct perfect-foresight transitions (Heo & Kim 2025, section 6).

(a) Sequence-space Jacobian: ``sequence_jacobian`` (fake-news algorithm, firm
    block by autodiff) against its peer, a brute-force ``jax.jacfwd`` of the
    stacked residual ``path_residual`` at the same steady state (4T tangents
    through the whole path; only feasible on a small grid: 21 x 5 at T = 60
    and T = 120). First call (compilation included) and warm time of each and
    the max abs difference of the two (4T x 4T) matrices. At the default grid
    the fake-news Jacobian alone is timed (T = 300).
(b) One transition (flat liberalization, tau 0.10 -> 0.05) at the default grid
    (101 x 10, T = 300) by ``solve_transition`` with ``method="broyden"`` and
    its peer ``method="quasi_newton"``, side by side: first call (compilation
    included; JAX caches are cleared before each method) and warm call,
    iterations and max-abs residual; the warm call split into the terminal
    steady state, the Jacobian and the path solve. Target: one transition
    under 30 s on 2 CPU cores.
(c) ``cev_gradient`` (value and gradient of the transition CEV with respect
    to the 10 product tariffs, implicit adjoint) against central finite
    differences of ``transition_cev`` (20 extra solves, step ``--fd-step``) at
    the same point: time of each and the max abs difference of the gradients.
(d) ``policy_tables`` for the Standard and NPG presets: all 12 experiments of
    Tables 7-8 (total wall time, compilation included, from cleared caches),
    then each experiment again with ``policy_experiment`` (warm time,
    iterations, transition CEV). Target: all of Tables 7-8 under 10 minutes on
    CPU.

The targets are printed as PASS/FAIL columns for information; nothing is
asserted (the machine is shared and noisy: compare the peers of one run).
JAX's caches are cleared before each timed first call of the full run, so
every "first" time includes its own compilation. ``--quick`` keeps the caches
(its first calls include only what was not yet compiled) and runs (a) and (b)
on the 21 x 5 grid at T = 60 (compilation dominates: under a minute on 2 CPU
cores); ``--quick --parts gradient tables`` smoke-tests the others on the same
grid (about 1.5 minutes more).

Usage::

    python benchmarks/bench_transition.py --quick   # (a) and (b), 21 x 5 grid, T = 60
    python benchmarks/bench_transition.py           # 101 x 10, T = 300 (several minutes on 2 CPU cores)
    python benchmarks/bench_transition.py --parts transition tables --out /tmp/t.json
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _machine import RESULTS_DIR, _jsonable, machine_info, print_table  # noqa: E402

from jaxtrade.models.multiproduct import (  # noqa: E402
    EXPERIMENTS,
    SCHEDULES,
    cev_gradient,
    npg_params,
    path_residual,
    policy_experiment,
    policy_tables,
    sequence_jacobian,
    solve_equilibrium,
    solve_transition,
    standard_params,
    terminal_steady_state,
    transition_cev,
)
from jaxtrade.models.multiproduct.transition import path_data, steady_state_unknowns, tariff_path  # noqa: E402

TAU_OLD, TAU_NEW = 0.10, 0.05
TARGET_TRANSITION_S = 30.0  # one transition, default grid, 2 CPU cores
TARGET_TABLES_S = 600.0  # all 12 experiments of Tables 7-8 on CPU


def _timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = jax.block_until_ready(fn(*args, **kwargs))
    return out, time.perf_counter() - t0


def _pf(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _setup(n_z: int, n_products: int):
    """Parameters at the old tariffs, the initial steady state, and the terminal one (flat 5 %)."""
    p = standard_params(n_z=n_z, n_products=n_products, tau=TAU_OLD)
    ss0 = solve_equilibrium(p)
    tau = jnp.full((n_products,), TAU_NEW)
    ss1 = terminal_steady_state(p, tau, ss0)
    p1 = p.replace(tau=tau, gamma_E=ss0.gamma_E)
    return p, ss0, tau, p1, ss1


# ---------------------------------------------------------------------------------------------- (a)
def jacobian_peer(n_z: int, n_products: int, horizons: list[int], brute: bool, fresh: bool = True) -> list[dict]:
    """Fake-news ``sequence_jacobian`` against ``jax.jacfwd(path_residual)`` at the terminal steady state."""
    _, _, _, p1, ss1 = _setup(n_z, n_products)
    brute_jac = eqx.filter_jit(jax.jacfwd(path_residual))
    rows = []
    for T in horizons:
        if fresh:
            jax.clear_caches()
        jac, fn_first = _timed(sequence_jacobian, p1, ss1, T)
        jac, fn_warm = _timed(sequence_jacobian, p1, ss1, T)
        G = np.asarray(jac.G)
        row = {"grid": f"{n_z}x{n_products}", "T": T, "size": f"{G.shape[0]}x{G.shape[1]}",
               "fake_news_first_s": round(fn_first, 2), "fake_news_warm_s": round(fn_warm, 3)}  # fmt: skip
        if brute:
            data = path_data(p1, tariff_path(p1.tau, T), ss1, ss1)
            U = steady_state_unknowns(p1, ss1, T)
            Jb, bf_first = _timed(brute_jac, U, data)
            Jb, bf_warm = _timed(brute_jac, U, data)
            Jb = np.asarray(Jb).reshape(G.shape)
            diff = float(np.max(np.abs(G - Jb)))
            row.update(jacfwd_first_s=round(bf_first, 2), jacfwd_warm_s=round(bf_warm, 3),
                       warm_ratio=round(bf_warm / fn_warm, 1), max_abs_diff=diff,
                       max_abs_entry=float(np.max(np.abs(Jb))), rel_diff=diff / float(np.max(np.abs(Jb))))  # fmt: skip
        else:
            row.update(jacfwd_first_s=None, jacfwd_warm_s=None, note="jacfwd not run (too large)")
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------------------------- (b)
def one_transition(n_z: int, n_products: int, T: int, fresh: bool = True) -> list[dict]:
    """Flat liberalization, broyden against quasi_newton: first (compile) and warm calls, and the warm split."""
    p, ss0, tau, p1, ss1 = _setup(n_z, n_products)
    rows = []
    for method in ("broyden", "quasi_newton"):
        if fresh:
            jax.clear_caches()
        tr, first = _timed(solve_transition, p, tau, ss0=ss0, T=T, method=method, throw=False)
        tr, warm = _timed(solve_transition, p, tau, ss0=ss0, T=T, method=method, throw=False)
        # the warm call split: terminal steady state, Jacobian, path solve (both given)
        ss1_w, t_ss1 = _timed(terminal_steady_state, p, tau, ss0, throw=False)
        jac, t_jac = _timed(sequence_jacobian, p1, ss1_w, T)
        _, t_path = _timed(solve_transition, p, tau, ss0=ss0, ss1=ss1_w, jacobian=jac, T=T, method=method,
                           throw=False)  # fmt: skip
        rows.append({
            "method": method, "grid": f"{n_z}x{n_products}", "T": T, "first_call_s": round(first, 2),
            "warm_s": round(warm, 3), "ss1_s": round(t_ss1, 3), "jacobian_s": round(t_jac, 3),
            "path_solve_s": round(t_path, 3), "iterations": int(tr.info.iterations),
            "residual": float(tr.info.residual), "converged": bool(tr.info.converged),
            "C_t0_dev_pct": round(float(tr.deviation("C")[0]), 4),
            "first<30s": _pf(first < TARGET_TRANSITION_S), "warm<30s": _pf(warm < TARGET_TRANSITION_S),
        })  # fmt: skip
    return rows


# ---------------------------------------------------------------------------------------------- (c)
def gradient_peer(n_z: int, n_products: int, T: int, h: float, fresh: bool = True) -> dict:
    """Implicit-adjoint ``cev_gradient`` against central finite differences of ``transition_cev``."""
    p = standard_params(n_z=n_z, n_products=n_products, tau=TAU_OLD)
    ss0 = solve_equilibrium(p)
    tau = jnp.full((n_products,), TAU_NEW)
    if fresh:
        jax.clear_caches()
    (v, g), g_first = _timed(cev_gradient, p, tau, T=T, ss0=ss0)
    (v, g), g_warm = _timed(cev_gradient, p, tau, T=T, ss0=ss0)
    v0, v_first = _timed(transition_cev, p, tau, T=T, ss0=ss0)
    t0 = time.perf_counter()
    fd = np.empty(n_products)
    for k in range(n_products):
        e = jnp.zeros(n_products).at[k].set(h)
        up = float(transition_cev(p, tau + e, T=T, ss0=ss0))
        dn = float(transition_cev(p, tau - e, T=T, ss0=ss0))
        fd[k] = (up - dn) / (2.0 * h)
    fd_s = time.perf_counter() - t0
    g = np.asarray(g)
    diff = float(np.max(np.abs(g - fd)))
    return {
        "grid": f"{n_z}x{n_products}", "T": T, "cev_pct": 100 * float(v), "cev_value_fn_pct": 100 * float(v0),
        "adjoint_first_s": round(g_first, 2), "adjoint_warm_s": round(g_warm, 3),
        "value_first_s": round(v_first, 2), "fd_solves": 2 * n_products, "fd_step": h, "fd_s": round(fd_s, 2),
        "fd_over_adjoint": round(fd_s / g_warm, 1), "max_abs_diff": diff,
        "rel_diff": diff / float(np.max(np.abs(fd))), "fd_nan": int(np.sum(~np.isfinite(fd))),
        "gradient_adjoint": g.tolist(), "gradient_fd": fd.tolist(),
    }  # fmt: skip


# ---------------------------------------------------------------------------------------------- (d)
def tables(n_z: int, n_products: int, T: int, fresh: bool = True) -> tuple[dict, list[dict]]:
    """All of Tables 7-8 (total, from cleared caches), then each experiment again (warm)."""
    params = {"standard": standard_params(n_z=n_z, n_products=n_products),
              "npg": npg_params(n_z=n_z, n_products=n_products)}  # fmt: skip
    if fresh:
        jax.clear_caches()
    out, total = _timed(policy_tables, params, T=T, progress=False, throw=False)
    n = sum(len(v) for v in out.values())
    conv = sum(bool(r.transition.info.converged) for v in out.values() for r in v.values())
    summary = {"grid": f"{n_z}x{n_products}", "T": T, "experiments": n, "converged": conv,
               "total_s": round(total, 1), "per_experiment_s": round(total / n, 2),
               "tables<10min": _pf(total < TARGET_TABLES_S)}  # fmt: skip
    rows = []
    for name, p in params.items():
        ss0 = out[name][next(iter(out[name]))].transition.ss0
        for experiment in EXPERIMENTS:
            for schedule in SCHEDULES:
                r, warm = _timed(policy_experiment, p, experiment, schedule, ss0=ss0, T=T, throw=False)
                first = out[name][(experiment, schedule)]
                rows.append({
                    "model": name, "experiment": experiment, "schedule": schedule, "warm_s": round(warm, 3),
                    "iterations": int(r.transition.info.iterations), "residual": float(r.transition.info.residual),
                    "converged": bool(r.transition.info.converged),
                    "cev_ss_pct": round(100 * float(r.welfare.cev_ss), 4),
                    "cev_trans_pct": round(100 * float(r.welfare.cev_trans), 4),
                    "same_as_tables": bool(np.allclose(np.asarray(r.transition.unknowns),
                                                       np.asarray(first.transition.unknowns), rtol=0, atol=1e-12)),
                })  # fmt: skip
    summary["warm_sum_s"] = round(sum(r["warm_s"] for r in rows), 1)
    return summary, rows


# columns of the printed tables (the JSON has every field)
JAC_COLS = ["grid", "T", "size", "fake_news_first_s", "fake_news_warm_s", "jacfwd_first_s", "jacfwd_warm_s",
            "warm_ratio", "max_abs_diff", "rel_diff"]  # fmt: skip
TR_COLS = ["method", "grid", "T", "first_call_s", "warm_s", "ss1_s", "jacobian_s", "path_solve_s", "iterations",
           "residual", "converged", "first<30s", "warm<30s"]  # fmt: skip
GRAD_COLS = ["grid", "T", "cev_pct", "adjoint_first_s", "adjoint_warm_s", "value_first_s", "fd_solves", "fd_s",
             "fd_over_adjoint", "max_abs_diff", "rel_diff", "fd_nan"]  # fmt: skip
TAB_COLS = ["model", "experiment", "schedule", "warm_s", "iterations", "residual", "converged", "cev_ss_pct",
            "cev_trans_pct", "same_as_tables"]  # fmt: skip

PARTS = ("jacobian", "transition", "gradient", "tables")
QUICK_PARTS = ("jacobian", "transition")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--quick",
        action="store_true",
        help=f"21 x 5 grid, T = 60, JAX caches kept; parts {', '.join(QUICK_PARTS)} unless --parts",
    )
    ap.add_argument(
        "--parts",
        nargs="+",
        choices=PARTS,
        default=None,
        help=f"parts to run (default: all; with --quick: {' '.join(QUICK_PARTS)})",
    )
    ap.add_argument("--fd-step", type=float, default=1e-4, help="central finite-difference step (default 1e-4)")
    ap.add_argument(
        "--out", default=None, help="JSON path (default benchmarks/results/bench_transition_<backend>[_quick].json)"
    )
    args = ap.parse_args(argv)
    backend = jax.default_backend()
    small = (21, 5)
    if args.quick:
        grid, T, horizons, fresh = small, 60, [60], False
    else:
        grid, T, horizons, fresh = (101, 10), 300, [60, 120], True
    parts = args.parts or (QUICK_PARTS if args.quick else PARTS)
    suffix = "_quick" if args.quick else ""
    out = pathlib.Path(args.out) if args.out else RESULTS_DIR / f"bench_transition_{backend}{suffix}.json"
    print(
        f"multiproduct transition benchmark: grid {grid[0]} x {grid[1]}, T = {T}, backend {backend}, "
        f"{len(jax.devices())} device(s), parts {' '.join(parts)}",
        flush=True,
    )
    payload = {
        "benchmark": "multiproduct transitions: fake-news Jacobian, transition solve, CEV gradient, Tables 7-8",
        "quick": args.quick,
        "parts": list(parts),
        "grid": list(grid),
        "T": T,
        "tariffs": {"old": TAU_OLD, "new_flat": TAU_NEW},
        "jax_caches_cleared_per_part": fresh,
    }
    part_s = {}
    targets = []
    t_start = time.perf_counter()

    if "jacobian" in parts:
        t0 = time.perf_counter()
        print(
            "\n(a) sequence-space Jacobian: fake-news (autodiff) vs brute-force jax.jacfwd of path_residual", flush=True
        )
        rows = jacobian_peer(*small, horizons, brute=True, fresh=fresh)
        if not args.quick:
            rows += jacobian_peer(*grid, [T], brute=False, fresh=fresh)
        print_table(rows, JAC_COLS)
        payload["jacobian"] = rows
        part_s["jacobian"] = round(time.perf_counter() - t0, 1)

    if "transition" in parts:
        t0 = time.perf_counter()
        print(f"\n(b) one transition, flat liberalization {TAU_OLD} -> {TAU_NEW}: broyden vs quasi_newton", flush=True)
        rows = one_transition(*grid, T, fresh=fresh)
        print_table(rows, TR_COLS)
        payload["transition"] = rows
        part_s["transition"] = round(time.perf_counter() - t0, 1)
        first, warm = max(r["first_call_s"] for r in rows), max(r["warm_s"] for r in rows)
        targets.append(
            {
                "target": f"one transition < {TARGET_TRANSITION_S:.0f} s (default grid, 2 CPU cores)",
                "measured": f"{first:.1f} s first call, {warm:.2f} s warm (slower method)",
                "result": _pf(first < TARGET_TRANSITION_S),
                "applies": not args.quick,
            }
        )

    if "gradient" in parts:
        t0 = time.perf_counter()
        print(f"\n(c) CEV gradient wrt {grid[1]} tariffs: implicit adjoint vs central finite differences", flush=True)
        grad = gradient_peer(*grid, T, args.fd_step, fresh=fresh)
        print_table([grad], GRAD_COLS)
        payload["cev_gradient"] = grad
        part_s["gradient"] = round(time.perf_counter() - t0, 1)

    if "tables" in parts:
        t0 = time.perf_counter()
        print("\n(d) policy_tables: all 12 experiments of Tables 7-8 (Standard and NPG)", flush=True)
        summary, rows = tables(*grid, T, fresh=fresh)
        print_table([summary])
        print_table(rows, TAB_COLS)
        payload["policy_tables"] = {"summary": summary, "experiments": rows}
        part_s["tables"] = round(time.perf_counter() - t0, 1)
        targets.append(
            {
                "target": f"Tables 7-8 < {TARGET_TABLES_S / 60:.0f} min on CPU",
                "measured": f"{summary['total_s']:.1f} s (compilation included)",
                "result": summary["tables<10min"],
                "applies": not args.quick,
            }
        )

    wall = time.perf_counter() - t_start
    if targets:
        print("\ntargets (informative, not asserted; they apply to the full run on CPU)")
        print_table(targets)
    print(f"benchmark wall time {wall:.0f} s; per part {part_s}")
    payload.update(targets=targets, part_s=part_s, wall_s=round(wall, 1))
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w") as fh:
        json.dump({"machine": machine_info(), **payload}, fh, indent=2, default=_jsonable)
        fh.write("\n")
    print("wrote", out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
