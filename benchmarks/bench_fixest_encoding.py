"""Host-side encoding of the fixed-effects engine: this code against an earlier commit and pyfixest, same run.

Issue 14 ("Fixed-effects engine"): at the proximity paper's scale the
``feols`` call of Table 2 spent most of its time in pandas factorisation of
the fixed effects and the cluster, the cross table of the two fixed effects
and the singleton detection, not in the demeaning. This benchmark times, at
one size and in one session, so that only ratios are compared:

``single``
    one warm ``feols("introduction ~ ebp | firm_year + product_year",
    vcov={"CRV1": "firm_dest"})`` on the paper-shaped LPM data of
    :func:`bench_fixest_paper.make_lpm` (best and median of ``--repeats``
    calls after a warm-up call that compiles);
``table``
    Table 2's four regressions (``ebp``, ``hsp``, ``iop``, all three) on the
    same data, one after the other: the current code both without and
    inside :func:`jaxtrade.empirics.fixest.shared_encodings` (encodings and
    cross table reused across the four), the baseline as it is.

Variants, each in its own subprocess (its own peak RSS): ``current`` (this
working tree), ``baseline`` (``jaxtrade/`` of ``--baseline-ref``, default
``main``, extracted with ``git archive`` into a temporary folder) and
``pyfixest``. With ``--rounds 2`` (default) the two jaxtrade variants run
twice, in alternating order, to expose drift of the shared machine. One
extra cProfile'd call per jaxtrade variant gives the breakdown by stage, and
the host stages called directly (best of 5: encoding of the two fixed
effects and the cluster, singleton mask, cross table) compare the two
codes with less noise than whole calls.
Results with machine information: ``benchmarks/results/fixest_encoding.json``.

Usage::

    python benchmarks/bench_fixest_encoding.py                  # 4M rows
    python benchmarks/bench_fixest_encoding.py --rows 1e6 --rounds 1 --no-pyfixest
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

FML = "introduction ~ ebp | firm_year + product_year"
TABLE2 = ["ebp", "hsp", "iop", "ebp + hsp + iop"]
VCOV = {"CRV1": "firm_dest"}
STAGES = {
    "build_sample": "sample.py:build_sample",
    "encode_fixed_effect": "formula.py:encode_fixed_effect",
    "singleton_mask": "sample.py:singleton_mask",
    "cross_table": "demean.py:cross_table",
    "cluster_codes_for": "sample.py:cluster_codes_for",
    "pandas_factorize": "algorithms.py:factorize",
    "estimate": "models.py:estimate",
    "result_vcov": "models.py:result",
}


def _rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _profile(call) -> dict:
    """Cumulative seconds of the stages of :data:`STAGES` in one profiled call."""
    import cProfile
    import pstats

    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    call()
    prof.disable()
    total = time.perf_counter() - t0
    out = {"total": total}
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    for stage, where in STAGES.items():
        fname, func = where.split(":")
        out[stage] = sum(
            ct for (path, _, name), (_, _, _, ct, _) in stats.items() if name == func and path.endswith(fname)
        )
    return out


def _stages(df, repeats: int) -> dict:
    """Best of ``repeats`` seconds of each host stage, called directly (less noisy than whole calls).

    The same functions exist, with the same signatures, in the baseline and
    the current code: the encoding of the two fixed effects and the cluster
    on all rows, the singleton mask and the cross table of the two effects.
    """
    import numpy as np

    from jaxtrade.empirics.fixest.demean import cross_table
    from jaxtrade.empirics.fixest.formula import encode_fixed_effect
    from jaxtrade.empirics.fixest.sample import singleton_mask

    def best(call):
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            res = call()
            times.append(time.perf_counter() - t0)
        return min(times), res

    out = {}
    codes = {}
    for col in ("firm_year", "product_year", "firm_dest"):
        out[f"encode_{col}"], codes[col] = best(lambda col=col: encode_fixed_effect((col,), df))
    fy, py = codes["firm_year"], codes["product_year"]
    out["singleton_mask"], _ = best(lambda: singleton_mask([fy, py]))
    n2 = int(np.max(py)) + 1

    def table():
        t = cross_table(fy, py, n2)
        t.pair_of_row.block_until_ready()
        return t

    out["cross_table"], _ = best(table)
    out["host_total"] = sum(out.values())
    return out


def worker(variant: str, rows: int, repeats: int, seed: int, root: str) -> dict:
    from bench_fixest_paper import make_lpm  # (it puts this repository on sys.path)

    sys.path.insert(0, root)  # the jaxtrade to time: this tree or the extracted baseline
    assert "jaxtrade" not in sys.modules

    df = make_lpm(rows, seed=seed)
    data_gib = _rss_gib()
    out: dict = {"variant": variant, "rows": int(len(df)), "data_rss_gib": data_gib}
    if variant == "pyfixest":
        import pyfixest as pf

        def fit(fml):
            return pf.feols(fml, df, vcov=VCOV)

        shared = None
    else:
        import jaxtrade.empirics.fixest as fx

        out["jaxtrade_path"] = str(pathlib.Path(fx.__file__).resolve().parent)

        def fit(fml):
            return fx.feols(fml, df, vcov=VCOV)

        shared = getattr(fx, "shared_encodings", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        res = fit(FML)
        out["first_call_s"] = time.perf_counter() - t0
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            res = fit(FML)
            times.append(time.perf_counter() - t0)
        out["single_s"] = min(times)
        out["single_median_s"] = statistics.median(times)
        out["single_times_s"] = times
        out["coef"] = {k: float(v) for k, v in res.coef().items()}
        out["se"] = {k: float(v) for k, v in res.se().items()}
        del res
        table_fmls = [f"introduction ~ {regs} | firm_year + product_year" for regs in TABLE2]
        for f in table_fmls[1:]:  # compile the other shapes once, outside the timing
            fit(f)
        t0 = time.perf_counter()
        fits = [fit(f) for f in table_fmls]
        out["table_s"] = time.perf_counter() - t0
        out["table_coef"] = [{k: float(v) for k, v in r.coef().items()} for r in fits]
        del fits
        if shared is not None:
            t0 = time.perf_counter()
            with shared() as cache:
                fits = [fit(f) for f in table_fmls]
            out["table_shared_s"] = time.perf_counter() - t0
            out["table_shared_cache"] = {"hits": cache.hits, "misses": cache.misses, "table_hits": cache.table_hits}
            same = all(
                abs(a[k] - b[k]) == 0.0
                for r, a in zip(fits, out["table_coef"], strict=True)
                for b in [{k: float(v) for k, v in r.coef().items()}]
                for k in a
            )
            out["table_shared_identical"] = bool(same)
            del fits
        if variant != "pyfixest":
            out["profile"] = _profile(lambda: fit(FML))
            out["stages"] = _stages(df, repeats=5)
    out["peak_rss_gib"] = _rss_gib()
    return out


def _baseline_tree(ref: str, into: pathlib.Path) -> pathlib.Path:
    """Extract ``jaxtrade/`` of git ``ref`` into ``into`` (the import root of the baseline)."""
    archive = into / "baseline.tar"
    subprocess.run(["git", "-C", str(REPO), "archive", "-o", str(archive), ref, "jaxtrade"], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    archive.unlink()
    return into


def run_worker(variant: str, args, pythonpath: str) -> dict:
    cmd = [sys.executable, __file__, "--worker", variant, str(int(args.rows)), str(args.repeats), str(args.seed),
           pythonpath]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=pythonpath)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout, env=env)
    if proc.returncode != 0:
        return {"variant": variant, "error": proc.stderr[-2000:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> dict:
    from _machine import print_table, write_result

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=4e6, help="LPM rows (default 4e6)")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls after the warm-up (default 3)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of (baseline, current), alternating order")
    parser.add_argument("--baseline-ref", default="main", help="git ref of the baseline code (default main)")
    parser.add_argument("--no-pyfixest", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--name", default="fixest_encoding")
    args = parser.parse_args(argv)
    base_rev = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", args.baseline_ref], capture_output=True, text=True, check=True
    ).stdout.strip()
    head_rev = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    dirty = bool(subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "jaxtrade"],
                                capture_output=True, text=True).stdout.strip())  # fmt: skip
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        base_root = _baseline_tree(base_rev, pathlib.Path(tmp))
        paths = {"baseline": str(base_root), "current": str(REPO), "pyfixest": str(REPO)}
        order = []
        for r in range(args.rounds):
            order += ["baseline", "current"] if r % 2 == 0 else ["current", "baseline"]
            if r == 0 and not args.no_pyfixest:
                order.append("pyfixest")
        for variant in order:
            res = run_worker(variant, args, paths[variant])
            res["revision"] = base_rev if variant == "baseline" else head_rev + ("+dirty" if dirty else "")
            print(json.dumps({k: v for k, v in res.items() if k not in ("coef", "se", "table_coef")}), flush=True)
            results.append(res)

    def best(variant, key):
        vals = [r[key] for r in results if r["variant"] == variant and key in r]
        return min(vals) if vals else None

    summary = {}
    for key in ("single_s", "table_s"):
        b, c, p = best("baseline", key), best("current", key), best("pyfixest", key)
        summary[key] = {
            "baseline": b,
            "current": c,
            "pyfixest": p,
            "baseline_over_current": b / c if b and c else None,
            "pyfixest_over_current": p / c if p and c else None,
        }
    for stage in ("encode_firm_year", "encode_product_year", "encode_firm_dest", "singleton_mask", "cross_table",
                  "host_total"):  # fmt: skip
        vals = {
            v: min((r["stages"][stage] for r in results if r["variant"] == v and "stages" in r), default=None)
            for v in ("baseline", "current")
        }
        b, c = vals["baseline"], vals["current"]
        summary[f"stage_{stage}"] = {"baseline": b, "current": c, "baseline_over_current": b / c if b and c else None}
    c_shared = best("current", "table_shared_s")
    summary["table_shared_s"] = {
        "current": c_shared,
        "baseline_over_current": (best("baseline", "table_s") / c_shared) if c_shared else None,
    }
    ok = [r for r in results if "error" not in r]
    ref = next((r for r in ok if r["variant"] == "pyfixest"), None) or next(
        (r for r in ok if r["variant"] == "baseline"), None
    )
    for r in ok:
        if ref is not None and r is not ref:
            r["max_abs_coef_diff_vs_" + ref["variant"]] = max(abs(r["coef"][k] - ref["coef"][k]) for k in ref["coef"])
            r["max_rel_se_diff_vs_" + ref["variant"]] = max(abs(r["se"][k] / ref["se"][k] - 1) for k in ref["se"])
    path = write_result(
        args.name,
        {
            "benchmark": "fixed-effects host-side encoding, current vs baseline vs pyfixest",
            "baseline_ref": args.baseline_ref,
            "baseline_revision": base_rev,
            "current_revision": head_rev + ("+dirty" if dirty else ""),
            "summary": summary,
            "results": results,
        },
    )
    table = []
    for r in results:
        prof = r.get("profile", {})
        table.append(
            {
                "variant": r["variant"],
                "rows": r.get("rows"),
                "single_s": r.get("single_s"),
                "median_s": r.get("single_median_s"),
                "table4_s": r.get("table_s"),
                "table4_shared_s": r.get("table_shared_s"),
                "peak_GiB": r.get("peak_rss_gib"),
                "st_encode3": sum(v for k, v in r.get("stages", {}).items() if k.startswith("encode_")) or None,
                "st_single": r.get("stages", {}).get("singleton_mask"),
                "st_cross": r.get("stages", {}).get("cross_table"),
                "prof_encode": prof.get("encode_fixed_effect"),
                "prof_single": prof.get("singleton_mask"),
                "prof_cross": prof.get("cross_table"),
                "prof_cluster": prof.get("cluster_codes_for"),
                "prof_factorize": prof.get("pandas_factorize"),
                "prof_estimate": prof.get("estimate"),
                "prof_total": prof.get("total"),
                "error": (r.get("error") or "")[-60:],
            }
        )
    print_table(table)
    print(json.dumps(summary, indent=1))
    print(f"wrote {path}")
    return {"summary": summary, "results": results}


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        variant, rows, repeats, seed, root = (
            sys.argv[2],
            int(sys.argv[3]),
            int(sys.argv[4]),
            int(sys.argv[5]),
            sys.argv[6],
        )
        print(json.dumps(worker(variant, rows, repeats, seed, root)))
    else:
        main()
