"""Benchmark of the Ara & Zhang (2020) vertical-production model.

(a) Time to solve one input-trade equilibrium (12 conditions) after
    compilation: median and min over ``--repeats`` calls of
    ``solve_input_trade`` on the default parameters; compile time apart.
(b) Throughput of comparative statics over ``--draws`` random parameter
    draws: one jitted, vmapped function that per draw solves the
    equilibrium and differentiates the twelve unknowns with respect to
    tau^I_ji (country i's input import cost from j) by ``jax.jacfwd``
    through the solve (implicit function theorem; entry masses adjust, i.e.
    general equilibrium). Draws are processed in fixed-size chunks so that
    the function compiles once.

Targets (printed with PASS/FAIL): one equilibrium < 5 ms on CPU;
100,000 draws < 30 s on 2 cores (run time after compilation).

Usage::

    python benchmarks/bench_vertical.py               # defaults: 100,000 draws, 50 repeats
    python benchmarks/bench_vertical.py --quick       # smoke run
    python benchmarks/bench_vertical.py --draws 20000 --repeats 100 --chunk 5000
    python benchmarks/bench_vertical.py --profile     # also time the parts of (b)
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from _machine import machine_info, print_table, write_result  # noqa: E402

from jaxtrade.models.vertical import VerticalParams, solve_input_trade, vertical_params, with_tau_I  # noqa: E402
from jaxtrade.models.vertical.solve import input_trade_initial_guess  # noqa: E402

TARGET_ONE_MS = 5.0
TARGET_DRAWS = 100_000
TARGET_DRAWS_S = 30.0


# ---------------------------------------------------------------------------
# parameter draws
# ---------------------------------------------------------------------------


def draw_params(n: int, seed: int = 0) -> VerticalParams:
    """``n`` random parameter sets stacked along a leading axis (host-side numpy RNG).

    sigma ~ U[2.5, 6]; k = (sigma-1)(1 + u), u ~ U[0.1, 0.9], i.e. inside
    Assumption 1's interval (sigma-1, 2(sigma-1)) and away from its ends;
    tau^I off-diagonal entries ~ U[1.1, 2.5] independently; L_i, L_j ~ U[0.5, 2]
    independently (asymmetric); beta ~ U[0.1, 0.5]; f_E ~ U[0.1, 0.4] by country (small enough
    that the cutoffs lie above the Pareto lower bounds for most draws);
    domestic fixed costs f^F_nn, f^I_nn ~ U[0.5, 1.5]; foreign fixed costs are
    the destination's domestic cost times U[1.1, 3]. Pareto lower bounds 1.
    """
    rng = np.random.default_rng(seed)
    u = lambda lo, hi, *shape: rng.uniform(lo, hi, size=(n, *shape))  # noqa: E731
    sigma = u(2.5, 6.0)
    k = (sigma - 1.0) * (1.0 + u(0.1, 0.9))

    def bilateral(dom, off):  # [origin, destination]; off[:, d] is the entry into d
        out = np.empty((n, 2, 2))
        out[:, 0, 0], out[:, 1, 1] = dom[:, 0], dom[:, 1]
        out[:, 1, 0], out[:, 0, 1] = off[:, 0], off[:, 1]
        return out

    fF_dom, fI_dom = u(0.5, 1.5, 2), u(0.5, 1.5, 2)
    f = lambda a: jnp.asarray(a, dtype=float)  # noqa: E731
    return VerticalParams(
        L=f(u(0.5, 2.0, 2)),
        beta=f(u(0.1, 0.5)),
        sigma=f(sigma),
        k=f(k),
        varphi_min=f(np.ones((n, 2))),
        phi_min=f(np.ones((n, 2))),
        f_E=f(u(0.1, 0.4, 2)),
        f_F=f(bilateral(fF_dom, fF_dom * u(1.1, 3.0, 2))),
        f_I=f(bilateral(fI_dom, fI_dom * u(1.1, 3.0, 2))),
        tau_I=f(bilateral(np.ones((n, 2)), u(1.1, 2.5, 2))),
        tau_F=f(bilateral(np.ones((n, 2)), np.full((n, 2), 1.3))),
    )


def take(batch: VerticalParams, lo: int, hi: int, size: int) -> VerticalParams:
    """Rows lo:hi of a batch, padded to ``size`` rows by repeating the last row."""
    idx = np.minimum(np.arange(lo, lo + size), hi - 1)
    return jax.tree_util.tree_map(lambda a: a[idx], batch)


# ---------------------------------------------------------------------------
# per-draw comparative statics (vmappable)
# ---------------------------------------------------------------------------


def statics_one(q: VerticalParams, max_iter: int = 10):
    """Solve one equilibrium and d(unknowns)/d(tau^I_ji); one Newton solve (jacfwd, has_aux)."""

    def unknowns_at(t):
        eq = solve_input_trade(with_tau_I(q, 1, 0, t), throw=False, max_iter=max_iter)
        return eq.unknown_vector(), (eq.info.converged, eq.valid, eq.info.iterations)

    d, (conv, valid, iters) = jax.jacfwd(unknowns_at, has_aux=True)(q.tau_I[1, 0])
    return d, conv, valid, iters


statics_batch = jax.jit(jax.vmap(statics_one))
# Alternative for --strategy map: draws one after another inside one jitted scan, so that a
# slow draw does not hold the others in lockstep (under vmap a while_loop runs until the
# slowest draw of the batch stops).
statics_map = jax.jit(lambda q: jax.lax.map(statics_one, q))


def _solve_flags(q: VerticalParams, max_iter: int = 10):
    e = solve_input_trade(q, throw=False, max_iter=max_iter)
    return e.info.converged, e.valid, e.info.iterations


solve_batch = jax.jit(jax.vmap(_solve_flags))
solve_batch_max_iter_10 = jax.jit(jax.vmap(functools.partial(_solve_flags, max_iter=10)))
guess_batch = jax.jit(jax.vmap(lambda q: input_trade_initial_guess(q)))


# ---------------------------------------------------------------------------
# (a) one equilibrium
# ---------------------------------------------------------------------------


def bench_one(repeats: int) -> dict:
    p = vertical_params()
    t0 = time.perf_counter()
    jax.block_until_ready(solve_input_trade(p))
    compile_s = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        eq = solve_input_trade(p)
        jax.block_until_ready(eq)
        times.append(time.perf_counter() - t0)
    return dict(
        compile_plus_first_call_s=compile_s,
        median_ms=1e3 * statistics.median(times),
        min_ms=1e3 * min(times),
        repeats=repeats,
        newton_iterations=int(eq.info.iterations),
        residual=float(eq.info.residual),
        valid=bool(eq.valid),
    )


# ---------------------------------------------------------------------------
# (b) vmapped comparative statics
# ---------------------------------------------------------------------------


def _run_chunks(fn, batch, n, chunk):
    """Compile ``fn`` on one chunk, then run every chunk; returns (compile_s, run_s, outputs)."""
    first = take(batch, 0, n, chunk)
    t0 = time.perf_counter()
    compiled = fn.lower(first).compile()
    compile_s = time.perf_counter() - t0
    outs = []
    t0 = time.perf_counter()
    for lo in range(0, n, chunk):
        hi = min(lo + chunk, n)
        out = compiled(take(batch, lo, n, chunk))
        outs.append(jax.tree_util.tree_map(lambda a, m=hi - lo: np.asarray(a)[:m], out))  # host copy blocks
    run_s = time.perf_counter() - t0
    outs = jax.tree_util.tree_map(lambda *a: np.concatenate(a), *outs)
    return compile_s, run_s, outs


def profile_parts(batch, n, chunk, conv) -> dict:
    """Per-draw run time (us) of the parts of (b) on the first ``n`` draws, compiled apart.

    ``solve_max_iter_10`` and ``solve_converging_draws_only`` are what-ifs: they show how
    much of the vmapped solve goes to draws that never converge (under ``vmap`` a
    ``while_loop`` runs until the slowest draw of the batch stops).
    """
    sub = take(batch, 0, n, n)
    ok = np.flatnonzero(conv[:n])
    conv_only = jax.tree_util.tree_map(lambda a: a[ok], sub)
    cases = (
        ("initial_guess", guess_batch, sub),
        ("solve", solve_batch, sub),
        ("solve_max_iter_10", solve_batch_max_iter_10, sub),
        ("solve_converging_draws_only", solve_batch, conv_only),
        ("solve_and_jacfwd", statics_batch, sub),
    )
    parts = {}
    for name, fn, b in cases:
        m = len(b.sigma)
        c, r, _ = _run_chunks(fn, b, m, min(chunk, m))
        parts[name] = dict(draws=m, compile_s=c, run_s=r, us_per_draw=1e6 * r / m)
    return parts


def bench_draws(n: int, chunk: int, seed: int, profile: bool, strategy: str = "vmap", max_iter: int = 10) -> dict:
    chunk = min(chunk, n)
    batch = draw_params(n, seed)
    one = functools.partial(statics_one, max_iter=max_iter)
    fn = jax.jit(jax.vmap(one)) if strategy == "vmap" else jax.jit(lambda q: jax.lax.map(one, q))
    compile_s, run_s, (d, conv, valid, iters) = _run_chunks(fn, batch, n, chunk)
    finite = np.all(np.isfinite(d), axis=-1)
    out = dict(
        draws=n,
        chunk=chunk,
        seed=seed,
        strategy=strategy,
        max_iter=max_iter,
        compile_s=compile_s,
        run_s=run_s,
        total_s=compile_s + run_s,
        draws_per_s=n / run_s,
        share_converged=float(np.mean(conv)),
        share_valid=float(np.mean(valid)),
        share_valid_finite_derivatives=float(np.mean(valid & finite)),
        newton_iterations_mean=float(np.mean(iters)),
        newton_iterations_max=int(np.max(iters)),
        newton_iterations_p99=float(np.percentile(iters, 99)),
    )
    if profile:
        out["profile"] = profile_parts(batch, min(n, 10_000), min(chunk, 2_000), conv)
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--draws", type=int, default=TARGET_DRAWS, help="parameter draws for (b) (default 100000)")
    ap.add_argument("--repeats", type=int, default=50, help="timed calls for (a) (default 50, at least 50 advised)")
    ap.add_argument("--chunk", type=int, default=10_000, help="draws per vmapped call (default 10000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="smoke run: 2000 draws, 20 repeats")
    ap.add_argument(
        "--strategy",
        choices=("vmap", "map"),
        default="vmap",
        help="vmap (default) or lax.map, one draw at a time, inside jit",
    )
    ap.add_argument(
        "--max-iter", type=int, default=10, help="Newton iterations at most per draw (default 10, the library default)"
    )
    ap.add_argument("--profile", action="store_true", help="also time the initial guess and the solve alone")
    ap.add_argument("--no-write", action="store_true", help="do not write benchmarks/results/vertical.json")
    args = ap.parse_args(argv)
    if args.quick:
        args.draws, args.repeats, args.chunk = min(args.draws, 2000), min(args.repeats, 20), min(args.chunk, 1000)

    info = machine_info()
    on_cpu = info["backend"] == "cpu"
    one = bench_one(args.repeats)
    many = bench_draws(args.draws, args.chunk, args.seed, args.profile, args.strategy, args.max_iter)

    # scale the run time to 100,000 draws for the target when fewer were run
    run_100k = many["run_s"] * TARGET_DRAWS / args.draws
    pass_one = one["median_ms"] < TARGET_ONE_MS
    pass_many = run_100k < TARGET_DRAWS_S
    extrap = "" if args.draws == TARGET_DRAWS else f" (scaled from {args.draws})"
    rows = [
        dict(
            figure="one equilibrium: compile + first call",
            value=f"{one['compile_plus_first_call_s']:.2f} s",
            target="",
            result="",
        ),
        dict(
            figure=f"one equilibrium: median / min of {args.repeats}",
            value=f"{one['median_ms']:.3f} / {one['min_ms']:.3f} ms",
            target=f"< {TARGET_ONE_MS:g} ms" + ("" if on_cpu else " (CPU target)"),
            result="PASS" if pass_one else "FAIL",
        ),
        dict(figure=f"statics x {args.draws}: compile", value=f"{many['compile_s']:.2f} s", target="", result=""),
        dict(
            figure=f"statics x {args.draws}: run ({args.strategy}, chunks of {many['chunk']}, "
            f"max_iter {args.max_iter})",
            value=f"{many['run_s']:.2f} s",
            target=f"100k < {TARGET_DRAWS_S:g} s on {info['cpu_count']} cores: {run_100k:.1f} s{extrap}",
            result="PASS" if pass_many else "FAIL",
        ),
        dict(figure=f"statics x {args.draws}: compile + run", value=f"{many['total_s']:.2f} s", target="", result=""),
        dict(figure="throughput", value=f"{many['draws_per_s']:,.0f} draws/s", target="", result=""),
        dict(
            figure="share converged / valid",
            value=f"{many['share_converged']:.4f} / {many['share_valid']:.4f}",
            target="",
            result="",
        ),
        dict(
            figure="Newton iterations mean / p99 / max",
            value=f"{many['newton_iterations_mean']:.2f} / {many['newton_iterations_p99']:.0f} / "
            f"{many['newton_iterations_max']}",
            target="",
            result="",
        ),
    ]
    for name, part in many.get("profile", {}).items():
        rows.append(
            dict(
                figure=f"profile {name} ({part['draws']} draws)",
                value=f"{part['us_per_draw']:.0f} us/draw",
                target="compile " + (f"{part['compile_s']:.1f} s" if part["compile_s"] > 0.05 else "cached"),
                result="",
            )
        )
    load = machine_info()["load_avg_1m"]
    print(
        f"backend {info['backend']}, {info['cpu_count']} cores ({info['cpu_model']}), {info['precision']}, "
        f"jax {info['jax']}; "
        f"load average before / after: {info['load_avg_1m']} / {load}"
    )
    print_table(rows, ["figure", "value", "target", "result"])
    payload = dict(
        one_equilibrium=dict(**one, target_ms=TARGET_ONE_MS, passed=pass_one),
        comparative_statics=dict(**many, run_s_per_100k=run_100k, target_s_per_100k=TARGET_DRAWS_S, passed=pass_many),
        settings=vars(args),
        load_avg_1m_after=load,
    )
    if not args.no_write:
        path = write_result("vertical" if args.max_iter == 10 else f"vertical_max_iter_{args.max_iter}", payload)
        print(f"wrote {path}")
    return payload


if __name__ == "__main__":
    main()
