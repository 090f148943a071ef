"""Benchmark the Heo & Kim (2025) proximity pipeline, stage by stage, and a dense NumPy proximity stage.

Stages: generate the synthetic panel, validate, build (index, RCA eq. 1,
C = M'M and phi eq. 2, candidates and outcome, leave-one-out basket sums for
EBP/EBP^w/HSP/IOP), then Table 2 columns (1) and (3). For each stage the
wall time and the process's peak resident memory so far (``ru_maxrss``) are
recorded. ``--dense`` also runs a dense pandas/NumPy implementation of the
proximity + EBP stage (per destination-year dense M, C = M'M by BLAS,
leave-one-out by downdating) on the same panel, checks that its EBP agrees
and reports the speed ratio.

``--baseline-ref REF`` times the build of this working tree against the
``jaxtrade/`` of git ``REF`` (extracted with ``git archive``) on the same
panel, each build in its own subprocess (its own peak RSS), alternating
baseline and current for ``--rounds`` rounds so that drift of a shared
machine shows; every run records the load average, and a digest of all
outputs (table, phi, C, panel rows, cells, counts) shows whether the two
codes agree bit for bit. The figures of the result file's previous run are
kept under ``earlier_runs``.

Usage::

    python benchmarks/bench_proximity.py --preset small --dense
    python benchmarks/bench_proximity.py --preset paper [--firms 32000] [--no-regressions]
    python benchmarks/bench_proximity.py --preset paper --baseline-ref main --rounds 2
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pathlib
import pickle
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _machine import extract_package, machine_info, print_table, write_result  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[1]
if __name__ == "__main__" and "--worker" in sys.argv:  # time another jaxtrade: put its root first
    sys.path.insert(0, sys.argv[sys.argv.index("--worker") + 1])

from jaxtrade.empirics.proximity import (  # noqa: E402
    STAGES,
    ProximityOptions,
    build_proximity_table,
    generate_panel,
    get_config,
    tables,
    validate_panel,
)


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def dense_ebp(panel: pd.DataFrame, min_support: int = 5) -> pd.DataFrame:
    """Dense pandas/NumPy leave-one-out EBP (eq. 3) per destination-year; a reference implementation.

    For every cell: dense firm x product presence M, C = M'M (BLAS), u;
    for every (firm, candidate, basket product) the downdated
    ``C_ip / max(u_i - m_fi, u_p)`` with the support rule on ``u - m_f``.
    """
    products = np.sort(panel["product"].unique())
    P = len(products)
    pid = pd.Series(np.arange(P), index=products)
    years = np.sort(panel["year"].unique())
    world = panel[["firm", "year", "product"]].drop_duplicates()
    out = []
    for (d, t), g in panel.groupby(["destination", "year"], sort=True):
        if t + 1 not in years:
            continue
        firms, fi = np.unique(g["firm"].to_numpy(), return_inverse=True)
        pi = pid.loc[g["product"]].to_numpy()
        share = g["value"].to_numpy() / g.groupby("firm")["value"].transform("sum").to_numpy()
        mean_share = np.bincount(pi, weights=share, minlength=P) / len(firms)
        m = share / mean_share[pi] > 1
        M = np.zeros((len(firms), P))
        M[fi[m], pi[m]] = 1.0
        C = M.T @ M
        u = M.sum(axis=0)
        cand = world[world["year"] == t].merge(pd.DataFrame({"firm": firms}), on="firm")
        here = pd.DataFrame({"firm": g["firm"].to_numpy(), "product": g["product"].to_numpy(), "i": pi, "m": m})
        cand = cand.merge(here[["firm", "product"]], on=["firm", "product"], how="left", indicator=True)
        cand = cand[cand["_merge"] == "left_only"].drop(columns="_merge")
        cand["p"] = pid.loc[cand["product"]].to_numpy()
        trip = cand.merge(here[["firm", "i", "m"]], on="firm")
        i, p, mf = trip["i"].to_numpy(), trip["p"].to_numpy(), trip["m"].to_numpy().astype(float)
        ui = u[i] - mf
        sup = (ui >= min_support) & (u[p] >= min_support)
        den = np.maximum(ui, u[p])
        phi = np.where(sup & (den > 0), C[i, p] / np.where(den > 0, den, 1), 0.0)
        trip["phi"] = phi
        e = trip.groupby(["firm", "product"], sort=False)["phi"].mean().rename("ebp_dense").reset_index()
        out.append(e.assign(destination=d, year=t))
    return pd.concat(out, ignore_index=True)


def output_digest(res) -> str:
    """SHA-256 of every output of a build: table columns (dtype and values), phi, C, panel rows, cells, counts."""
    h = hashlib.sha256()

    def frame(df):
        for col in df.columns:
            values = df[col].to_numpy()
            h.update(f"{col}:{df[col].dtype}".encode())
            h.update("\0".join(map(str, values)).encode() if values.dtype == object else values.tobytes())

    frame(res.table)
    frame(res.panel_rows)
    frame(res.cells)
    for m in (res.phi, res.cooccurrence):
        h.update(np.asarray(m.indices).tobytes())
        h.update(np.asarray(m.data).tobytes())
    h.update(json.dumps(res.counts, sort_keys=True).encode())
    return h.hexdigest()


def worker(root: str, panel_path: str) -> None:
    """Build once from the pickled (panel, inputs) with the jaxtrade under ``root``; print one JSON line."""
    import jaxtrade

    with open(panel_path, "rb") as fh:
        panel, inputs = pickle.load(fh)
    warnings.filterwarnings("ignore", category=UserWarning)
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    res = build_proximity_table(panel, inputs, validate=False, progress=False)
    seconds = time.perf_counter() - t0
    out = {"jaxtrade_path": str(pathlib.Path(jaxtrade.__file__).resolve().parent), "build_seconds": round(seconds, 3),
           "stages": {k: round(v, 3) for k, v in res.timings.items()}, "peak_rss_gib": round(peak_gib(), 3),
           "load_avg_1m_before": round(load, 2), "load_avg_1m_after": round(os.getloadavg()[0], 2),
           "counts": res.counts, "digest": output_digest(res)}  # fmt: skip
    print(json.dumps(out), flush=True)


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True).stdout.strip()


def compare_with_baseline(panel, inputs, ref: str, rounds: int) -> dict:
    """Time the build of git ``ref`` and of this tree on ``panel``, alternating, one subprocess per build."""
    base_rev, head_rev = _git("rev-parse", ref), _git("rev-parse", "HEAD")
    dirty = bool(_git("status", "--porcelain", "jaxtrade"))
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        base_root = extract_package(base_rev)
        panel_path = pathlib.Path(tmp) / "panel.pkl"
        with open(panel_path, "wb") as fh:
            pickle.dump((panel, inputs), fh, protocol=5)
        roots = {"baseline": base_root, "current": str(REPO)}
        for r in range(rounds):
            for variant in ("baseline", "current") if r % 2 == 0 else ("current", "baseline"):
                cmd = [sys.executable, __file__, "--worker", roots[variant], str(panel_path)]
                proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
                if proc.returncode != 0:
                    raise RuntimeError(f"{variant} build failed:\n{proc.stderr[-3000:]}")
                run = {"variant": variant, "round": r, **json.loads(proc.stdout.strip().splitlines()[-1])}
                run["revision"] = base_rev if variant == "baseline" else head_rev + ("+dirty" if dirty else "")
                print({k: v for k, v in run.items() if k != "counts"}, flush=True)
                runs.append(run)
    shutil.rmtree(base_root, ignore_errors=True)
    best = {v: min((x for x in runs if x["variant"] == v), key=lambda x: x["build_seconds"]) for v in roots}
    return {
        "ref": ref,
        "revision": base_rev,
        "runs": runs,
        "identical_outputs": len({x["digest"] for x in runs}) == 1,
        "best": {
            v: {"build_seconds": x["build_seconds"], "peak_rss_gib": x["peak_rss_gib"], **x["stages"]}
            for v, x in best.items()
        },
    }


def main() -> None:
    if "--worker" in sys.argv:
        i = sys.argv.index("--worker")
        worker(sys.argv[i + 1], sys.argv[i + 2])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="small", choices=["tiny", "small", "paper"])
    ap.add_argument("--firms", type=int, default=None, help="override the preset's number of firms")
    ap.add_argument("--dense", action="store_true", help="also time the dense NumPy proximity stage")
    ap.add_argument("--no-regressions", action="store_true")
    ap.add_argument("--once", action="store_true", help="skip the second (compiled) build, to save memory")
    ap.add_argument("--name", default=None, help="result file name (default proximity_<preset>)")
    ap.add_argument("--progress", action="store_true", help="show the build stages on a progress bar")
    ap.add_argument("--baseline-ref", default=None, help="also time the build of this git ref's jaxtrade (see above)")
    ap.add_argument("--rounds", type=int, default=1, help="rounds of (baseline, current) with --baseline-ref")
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)
    overrides = {"n_firms": args.firms} if args.firms else {}
    cfg = get_config(args.preset, **overrides)
    stages = []

    def stage(name, fn):
        t0 = time.perf_counter()
        out = fn()
        seconds = round(time.perf_counter() - t0, 3)
        stages.append({"stage": name, "seconds": seconds, "peak_rss_gib": round(peak_gib(), 3)})
        print(stages[-1], flush=True)
        return out

    sp = stage("generate", lambda: generate_panel(cfg))
    panel, _ = stage("validate", lambda sp=sp: validate_panel(sp.panel))
    inputs = sp.inputs
    sp.panel = None  # the builds use the validated copy
    progress = args.progress or None
    baseline = None
    if args.baseline_ref:  # before the in-process build, so that only one build holds memory at a time
        baseline = compare_with_baseline(panel, inputs, args.baseline_ref, args.rounds)

    def build():
        return build_proximity_table(panel, inputs, validate=False, progress=progress)

    res = stage("build (proximity + EBP + candidates)", build)
    for k, v in res.timings.items():
        stages.append({"stage": f"  build: {k}", "seconds": round(v, 3), "peak_rss_gib": None})
    if not args.once:  # second build: without JIT compilation
        del res
        res = stage("build again (compiled)", build)
        for k, v in res.timings.items():
            stages.append({"stage": f"  build again: {k}", "seconds": round(v, 3), "peak_rss_gib": None})
    counts, timings = res.counts, res.timings
    keep = ["firm", "product", "destination", "year", "introduction", "ebp", "ebp_w", "hsp", "iop",
            "firm_year", "product_year", "firm_destination"]  # fmt: skip
    table = res.table[keep].copy()
    del sp, res  # free the panel copy, phi and unused columns before the regressions
    if not args.dense:
        del panel
    import gc

    gc.collect()
    if not args.no_regressions:
        specs = {k: v for k, v in tables.TABLE2_SPECS.items() if k in ("(1) EBP", "(3) EBP+HSP+IOP")}
        long, _ = stage("Table 2 columns (1) and (3)", lambda: tables.table2(table, specs))
        print(long)
    dense = None
    if args.dense:
        d = stage("dense NumPy proximity + EBP", lambda: dense_ebp(panel))
        merged = table.merge(d, on=["firm", "product", "destination", "year"], how="inner")
        assert len(merged) == len(table), (len(merged), len(table))
        err = float(np.abs(merged["ebp"] - merged["ebp_dense"]).max())
        jax_s = sum(timings[k] for k in STAGES)
        dense = {"dense_seconds": stages[-1]["seconds"], "jaxtrade_build_seconds": round(jax_s, 3),
                 "speed_ratio": round(stages[-1]["seconds"] / jax_s, 2), "max_abs_ebp_diff": err}  # fmt: skip
        print(dense)
    print_table(stages, ["stage", "seconds", "peak_rss_gib"])
    name = args.name or f"proximity_{args.preset}" + (f"_{args.firms}firms" if args.firms else "")
    earlier = []
    previous = pathlib.Path(__file__).resolve().parent / "results" / f"{name}.json"
    if previous.exists():  # keep the figures of the runs before this one
        with open(previous) as fh:
            old = json.load(fh)
        earlier = old.pop("earlier_runs", [])
        earlier.append({k: old[k] for k in ("machine", "counts", "stages", "options", "baseline") if k in old})
    path = write_result(name, {"config": cfg.__dict__, "counts": counts, "stages": stages, "dense": dense,
                               "options": ProximityOptions().__dict__, "baseline": baseline,
                               "earlier_runs": earlier})  # fmt: skip
    print("written", path, machine_info()["backend"])


if __name__ == "__main__":
    main()
