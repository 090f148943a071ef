"""Ruhl (2008) sunk-cost model: full stochastic solve, time-series experiment, Table 1 moments, Table 3.

Four parts (issue targets in brackets), each in its own subprocess so that
its peak resident memory (``ru_maxrss``) is its own:

``solve``
    The stochastic model on ``--n-phi x --n-kappa`` types (paper: 200 x 200)
    with the forecasting-rule loop of :func:`jaxtrade.models.sunk_cost.solve_stochastic`
    (``--periods`` 3,000 simulated periods, ``--burn`` 500 dropped, ``--damping``,
    ``--max-outer``, tolerance 1e-5), called with ``throw=False`` so that a
    loop that does not converge is recorded (outer iterations, final change,
    converged flag) instead of aborting. Two calls: the first with
    compilation (``first_call_s``), the second with the compiled functions
    cached (``s``, the run time); their difference is ``compile_s``. The
    rules, R^2 and the paper's table objects are recorded for comparisons.
    [< 30 s on the 2-core CPU, < 30 s on an H100]
``timeseries``
    Section 6.1: :func:`time_series_experiment`, 250 economies x 300 periods,
    50 dropped. The firms' policy comes from the forecasting loop as in
    ``solve`` (``throw=False``; ``--ts-max-outer 1`` gives a cheap, unconverged
    policy: the cost of the experiment does not depend on it, its estimates
    do). Its time and peak memory are reported apart (``policy_*``). First
    call (with compilation) and a second, timed call; the mean Armington
    estimate. [< 1 min on a CPU]
``table1``
    Table 1 moments, :func:`jaxtrade.models.sunk_cost.output_moments` (``moments.py``)
    on the same 250 x 300 economies (same policy as ``timeseries``).
``table3``
    Deterministic steady states at tau = 0.05 and 0 with and without entry
    costs (:func:`table3`, the no-entry-cost model calibrates its home
    bias). First and second call.

Results with machine information go to ``benchmarks/results/sunk_cost.json``
(``--name``), or to ``--out PATH``. ``--quick`` uses a 40 x 40 grid and
shorter simulations; ``--timeout`` limits each part (a part that runs over is
recorded as timed out and the others still run: for ``benchmarks/gpu_suite.sh``).

``--baseline REF`` also runs every part with the ``jaxtrade`` package of the
git commit ``REF`` (extracted with ``git archive`` into a temporary folder),
the two implementations alternating part by part in the same run, and
reports the ratio of the times and the differences of the results (largest
absolute difference of the rules, R^2 and the paper's table objects; of the
mean Armington estimates): the measure of a change against the previous code.

Usage::

    python benchmarks/bench_sunk_cost.py --quick
    python benchmarks/bench_sunk_cost.py                 # 200 x 200, the paper's grid
    python benchmarks/bench_sunk_cost.py --only solve --max-outer 50
    python benchmarks/bench_sunk_cost.py --only solve --only timeseries --baseline HEAD~3 --name sunk_cost_ks
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import shutil
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
# the package under test: this checkout, or a baseline commit's copy (--baseline)
sys.path.insert(0, os.environ.get("JAXTRADE_BENCH_SRC") or str(HERE.parent))

PARTS = ("solve", "timeseries", "table1", "table3")
TARGETS = {"solve": "< 30 s CPU, < 30 s H100", "timeseries": "< 60 s CPU", "table1": "", "table3": ""}


def _rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


# ----------------------------------------------------------------------------- worker
def worker(part: str, cfg: dict) -> dict:
    import jax
    import numpy as np

    from jaxtrade.models import sunk_cost as sc
    from jaxtrade.replication.ruhl import paper as ruhl_paper

    p = sc.ruhl_params(n_phi=cfg["n_phi"], n_kappa=cfg["n_kappa"])
    out = {"part": part, "n_phi": cfg["n_phi"], "n_kappa": cfg["n_kappa"], "backend": jax.default_backend()}
    # options left as None take solve_stochastic's defaults (forecasting rule, damping, max_outer)
    rule = {k: cfg[k] for k in ("rule", "damping") if cfg.get(k) is not None}
    outer = {"max_outer": cfg["max_outer"]} if cfg.get("max_outer") is not None else {}
    if part == "solve":
        times = []
        for _ in range(2):  # first call: with compilation; second: the compiled functions are cached
            t0 = time.perf_counter()
            sol = sc.solve_stochastic(p, T=cfg["periods"], burn=cfg["burn"], throw=False, **rule, **outer)
            jax.block_until_ready(sol.log_a_x)
            times.append(time.perf_counter() - t0)
        out.update(
            first_call_s=times[0], s=times[1], compile_s=times[0] - times[1],
            rule=sol.rule, outer_iterations=int(sol.info.iterations),
            final_change=float(sol.info.residual), converged=bool(sol.info.converged),
            periods=cfg["periods"], burn=cfg["burn"], damping=cfg["damping"], max_outer=cfg["max_outer"],
            tol=1e-5,
            log_a_x=np.asarray(sol.log_a_x).tolist(),
        )  # fmt: skip
        if sol.ks is not None:
            out["ks_r2"] = np.asarray(sol.ks.r2).tolist()
            out["ks_coef"] = np.asarray(sol.ks.coef).tolist()
            out["ks_paper_coef"] = np.asarray(sol.ks.paper_coef).tolist()
            out["ks_paper_r2"] = np.asarray(sol.ks.paper_r2).tolist()
    elif part in ("timeseries", "table1"):
        t0 = time.perf_counter()
        ts_outer = {"max_outer": cfg["ts_max_outer"]} if cfg.get("ts_max_outer") is not None else outer
        sol = sc.solve_stochastic(p, T=cfg["periods"], burn=cfg["burn"], throw=False, **rule, **ts_outer)
        out["rule"] = sol.rule
        out.update(policy_solve_s=time.perf_counter() - t0, policy_rss_gib=_rss_gib(),
                   policy_outer_iterations=int(sol.info.iterations), policy_final_change=float(sol.info.residual),
                   policy_converged=bool(sol.info.converged))  # fmt: skip
        kw = dict(n_economies=cfg["economies"], T=cfg["ts_periods"], burn=cfg["ts_drop"], seed=1)
        experiment = sc.time_series_experiment if part == "timeseries" else sc.output_moments

        def call():
            return experiment(p, sol, **kw)

        t0 = time.perf_counter()
        r = call()
        out["first_call_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        r = call()
        out["s"] = time.perf_counter() - t0
        out.update(economies=cfg["economies"], periods=cfg["ts_periods"], drop=cfg["ts_drop"])
        if part == "timeseries":
            out.update(mean_sigma=r["mean_sigma"], mean_r2=r["mean_r2"], mean_corr=r["mean_corr"],
                       mean_sigma_ces=r["mean_sigma_ces"], paper=ruhl_paper.TIME_SERIES)  # fmt: skip
        else:
            out.update(mean_sd=r["mean_sd"], mean_autocorr=r["mean_autocorr"], se_sd=r["se_sd"],
                       se_autocorr=r["se_autocorr"], frozen_sd=r["frozen"]["sd"],
                       frozen_autocorr=r["frozen"]["autocorr"], productivity=r["productivity"],
                       paper=ruhl_paper.TABLE1)  # fmt: skip
    elif part == "table3":
        t0 = time.perf_counter()
        t = sc.table3(p)
        out["first_call_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        t = sc.table3(p)
        out["s"] = time.perf_counter() - t0
        keys = ("exports_pct", "imports_to_domestic_pct", "exporting_plants_pp", "implied_sigma")
        out["table3"] = {m: {k: float(t[m][k]) for k in keys} for m in ("entry_costs", "no_entry_costs")}
        out["paper"] = ruhl_paper.TABLE3
    else:  # pragma: no cover
        raise ValueError(f"part must be one of {PARTS}, got {part!r}")
    out["peak_rss_gib"] = _rss_gib()
    return out


def run_worker(part: str, cfg: dict, timeout: float, src: str | None = None) -> dict:
    """Run one part in a subprocess; ``src``: a folder holding the ``jaxtrade`` package to test instead of this one."""
    cmd = [sys.executable, __file__, "--worker", part, json.dumps(cfg)]
    env = dict(os.environ)
    if src is not None:
        env["JAXTRADE_BENCH_SRC"] = src
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"part": part, "error": f"timed out after {timeout:.0f} s", "s": None}
    if proc.returncode != 0:
        return {"part": part, "error": proc.stderr[-2000:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> dict:
    from _machine import _jsonable, extract_package, git_commit, machine_info, print_table, write_result

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="40 x 40 types, 600 forecasting periods, 50 x 300 economies"
    )
    parser.add_argument(
        "--n-phi", type=int, default=None, help="productivity grid (paper and default: 200; --quick: 40)"
    )
    parser.add_argument(
        "--n-kappa", type=int, default=None, help="entry-cost grid (paper and default: 200; --quick: 40)"
    )
    parser.add_argument("--periods", type=int, default=None, help="forecasting-loop simulation length (paper: 3000)")
    parser.add_argument("--burn", type=int, default=None, help="periods dropped in the forecasting loop (paper: 500)")
    parser.add_argument("--damping", type=float, default=None, help="forecast update damping (default: the library's)")
    parser.add_argument(
        "--max-outer", type=int, default=None, help="forecasting-loop iterations (default: the library's; --quick: 20)"
    )
    parser.add_argument(
        "--ts-max-outer",
        type=int,
        default=None,
        help="forecasting iterations for the time-series / Table 1 policy (default: as --max-outer)",
    )
    parser.add_argument(
        "--rule", default=None, help="forecasting rule passed to solve_stochastic (default: the library's)"
    )
    parser.add_argument("--economies", type=int, default=None, help="time-series economies (paper: 250)")
    parser.add_argument("--only", action="append", choices=PARTS, help="run only these parts")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per part")
    parser.add_argument("--name", default="sunk_cost", help="results file benchmarks/results/NAME.json")
    parser.add_argument("--out", default=None, help="JSON path (overrides --name)")
    parser.add_argument(
        "--baseline", default=None, help="git commit whose jaxtrade also runs every part, for ratios and differences"
    )
    args = parser.parse_args(argv)

    q = args.quick
    cfg = {
        "n_phi": args.n_phi or (40 if q else 200), "n_kappa": args.n_kappa or (40 if q else 200),
        "periods": args.periods or (600 if q else 3000), "burn": args.burn or (100 if q else 500),
        "damping": args.damping, "max_outer": args.max_outer or (20 if q else None),
        "ts_max_outer": args.ts_max_outer, "economies": args.economies or (50 if q else 250),
        "ts_periods": 300, "ts_drop": 50, "rule": args.rule,
    }  # fmt: skip
    base_src = extract_package(args.baseline) if args.baseline else None
    rows, base_rows = [], []
    try:
        for part in args.only or PARTS:
            if base_src is not None:  # the baseline first, then this checkout, part by part
                b = run_worker(part, cfg, args.timeout, src=base_src)
                b["implementation"] = f"baseline {args.baseline}"
                print(json.dumps(b), flush=True)
                base_rows.append(b)
            r = run_worker(part, cfg, args.timeout)
            print(json.dumps(r), flush=True)
            rows.append(r)
    finally:
        if base_src is not None:
            shutil.rmtree(base_src, ignore_errors=True)
    payload = {"benchmark": "Ruhl (2008) sunk-cost model", "quick": q, "config": cfg, "results": rows}
    if base_rows:
        payload.update(baseline=args.baseline, baseline_commit=git_commit(args.baseline), commit=git_commit("HEAD"),
                       baseline_results=base_rows, comparison=[_compare(b, r) for b, r in zip(base_rows, rows)])  # fmt: skip
    if args.out:
        path = pathlib.Path(args.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"machine": machine_info(), **payload}, indent=2, default=_jsonable) + "\n")
    else:
        path = write_result(args.name, payload)
    table = []
    for r in rows:
        row = {"part": r["part"], "grid": f"{cfg['n_phi']}x{cfg['n_kappa']}", "s": r.get("s"),
               "first_s": r.get("first_call_s"), "peak_GiB": r.get("peak_rss_gib"),
               "target": TARGETS[r["part"]]}  # fmt: skip
        if r["part"] == "solve" and "error" not in r:
            row["result"] = (
                f"{r['rule']}: {r['outer_iterations']} outer, change {r['final_change']:.2e}, "
                f"converged {r['converged']}"
            )
        elif r["part"] == "timeseries" and "error" not in r:
            row["result"] = f"mean sigma {r['mean_sigma']:.3f} (paper 1.21), R2 {r['mean_r2']:.2f} (0.56)"
        elif r["part"] == "table1" and "error" not in r:
            row["result"] = f"sd {r['mean_sd']:.4f} (paper 0.036), autocorr {r['mean_autocorr']:.3f} (0.793)"
        elif r["part"] == "table3" and "error" not in r:
            e = r["table3"]["entry_costs"]
            row["result"] = (
                f"implied sigma {e['implied_sigma']:.2f} (paper 6.38), exports {e['exports_pct']:.2f} % (23.39)"
            )
        if "error" in r:
            row["result"] = "ERROR " + r["error"].strip().splitlines()[-1][-80:]
        table.append(row)
    print_table(table, ["part", "grid", "s", "first_s", "peak_GiB", "target", "result"])
    if base_rows:
        print(f"\nagainst the baseline {args.baseline} (same run, same machine):")
        print_table(payload["comparison"], ["part", "old_s", "new_s", "ratio", "old_first_s", "new_first_s",
                                            "first_ratio", "max_diff"])  # fmt: skip
    print(f"wrote {path}")
    return {"results": rows}


def _compare(old: dict, new: dict) -> dict:
    """Times (old / new) and the largest differences of the results of one part."""
    import numpy as np

    def ratio(a, b):
        return a / b if isinstance(a, float) and isinstance(b, float) and b > 0 else None

    row = {"part": new["part"], "old_s": old.get("s"), "new_s": new.get("s"), "ratio": ratio(old.get("s"), new.get("s")),
           "old_first_s": old.get("first_call_s"), "new_first_s": new.get("first_call_s"),
           "first_ratio": ratio(old.get("first_call_s"), new.get("first_call_s"))}  # fmt: skip
    diffs = {}
    keys = ("ks_coef", "ks_r2", "ks_paper_coef", "ks_paper_r2", "log_a_x", "final_change", "outer_iterations",
            "mean_sigma", "mean_r2", "mean_corr", "mean_sigma_ces", "mean_sd", "mean_autocorr")  # fmt: skip
    for k in keys:
        if k in old and k in new:
            diffs[k] = float(np.max(np.abs(np.asarray(old[k], dtype=float) - np.asarray(new[k], dtype=float))))
    row["differences"] = diffs
    row["max_diff"] = max((v for k, v in diffs.items() if k not in ("final_change", "outer_iterations")), default=None)
    return row


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        print(json.dumps(worker(sys.argv[2], json.loads(sys.argv[3]))))
    else:
        main()
