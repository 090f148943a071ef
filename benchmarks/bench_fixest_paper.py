"""Fixed-effects engine at the proximity paper's scale, a poorly connected case and PPML.

Three configurations (issue "High-dimensional fixed-effects regressions"):

``lpm``
    A synthetic linear probability model shaped like Heo & Kim's Table 2:
    18 million firm-candidate-destination-year rows (``--rows``), a binary
    outcome, 1 and 3 regressors, firm-year effects (about 900,000 levels),
    product-year effects (about 35,000 levels), standard errors clustered by
    about 2 million firm-destination pairs. Every (firm-year, product-year)
    pair repeats across several destinations, as candidate products do.
``difficult``
    Two fixed effects with a poorly connected bipartite graph (each firm
    only meets products of its own narrow band, as in fixest's "difficult"
    benchmark): the number of demeaning iterations is large, and the
    Irons-Tuck acceleration and the two-way algorithm matter. Reported with
    both demeaning algorithms and without acceleration gains hidden.
``ppml``
    Poisson with 1 million rows and three fixed effects (origin-year,
    destination-year, pair), as a structural gravity PPML.

Each (configuration, library) runs in its own subprocess so its peak
resident memory (``ru_maxrss``) is its own: the data alone, then the peak
after the first call (compilation included) and a second, timed call.
Results with machine information go to
``benchmarks/results/fixest_paper.json``.

Usage::

    python benchmarks/bench_fixest_paper.py            # all, paper scale
    python benchmarks/bench_fixest_paper.py --rows 2e6 # smaller LPM
    python benchmarks/bench_fixest_paper.py --only lpm --no-pyfixest
    python benchmarks/bench_fixest_paper.py --only lpm --no-pyfixest \
        --pyfixest-from benchmarks/results/fixest_paper_lpm.json --name fixest_paper_lpm
"""

from __future__ import annotations

import argparse
import json
import pathlib
import resource
import subprocess
import sys
import time
import warnings

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


# ----------------------------------------------------------------------------- data
def make_lpm(n_rows: int, seed: int = 0):
    """Candidate-product panel: firm-year x product-year pairs repeated over destinations."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    scale = n_rows / 18_000_000
    n_firms = max(int(128_000 * scale), 50)
    n_years, n_products, n_dest = 7, max(int(5_000 * min(1.0, 4 * scale)), 20), 55
    dest_per_pair = 4
    n_pairs = n_rows // dest_per_pair
    # heavy-tailed firm sizes: a few firms hold many candidate rows
    size = rng.pareto(1.2, n_firms) + 1.0
    firm = rng.choice(n_firms, n_pairs, p=size / size.sum())
    year = rng.integers(0, n_years, n_pairs)
    product = np.minimum(rng.zipf(1.3, n_pairs) - 1, n_products - 1)
    product = (product + 37 * (firm % 11)) % n_products  # firm-specific product mix
    firm = np.repeat(firm, dest_per_pair)
    year = np.repeat(year, dest_per_pair)
    product = np.repeat(product, dest_per_pair)
    spread = np.tile(np.arange(dest_per_pair), n_pairs) * 3
    dest = (np.repeat(rng.integers(0, n_dest, n_pairs), dest_per_pair) + spread) % n_dest
    n = len(firm)
    firm_year = firm * n_years + year
    product_year = product * n_years + year
    ebp = rng.beta(1.0, 12.0, n)
    hsp = np.clip(0.4 * ebp + rng.uniform(0, 0.6, n), 0, 1)
    iop = np.clip(0.2 * ebp + rng.uniform(0, 0.8, n), 0, 1)
    quality = rng.normal(size=n_firms * n_years)[firm_year] * 0.01
    p = np.clip(0.02 + 0.3 * ebp + 0.02 * hsp + 0.005 * iop + quality, 0, 1)
    y = (rng.random(n) < p).astype(np.float64)
    return pd.DataFrame(
        {
            "introduction": y,
            "ebp": ebp,
            "hsp": hsp,
            "iop": iop,
            "firm_year": firm_year.astype(np.int64),
            "product_year": product_year.astype(np.int64),
            "firm_dest": (firm * n_dest + dest).astype(np.int64),
        }
    )


def make_difficult(n_rows: int = 1_000_000, seed: int = 1):
    """Poorly connected two-way panel: firms meet products of their own narrow band, and 2 % strays."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n_firms, n_products = n_rows // 10, n_rows // 1000
    firm = rng.integers(0, n_firms, n_rows)
    band = firm * n_products // n_firms
    product = np.clip(band + rng.integers(-3, 4, n_rows), 0, n_products - 1)
    # a few rows (2 %) link distant parts of the graph, so it is connected but badly conditioned
    stray = rng.random(n_rows) < 0.02
    product[stray] = rng.integers(0, n_products, int(stray.sum()))
    x = rng.normal(size=n_rows) + 0.01 * firm / n_firms * n_products
    y = 0.5 * x + 0.001 * firm + 0.01 * product + rng.normal(size=n_rows)
    return pd.DataFrame({"y": y, "x": x, "firm": firm, "product": product})


def make_ppml(n_rows: int = 1_000_000, seed: int = 2):
    """Gravity flows with zeros: origin-year, destination-year and pair effects."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n_countries, n_years = 150, max(n_rows // (150 * 149), 2)
    n = n_rows
    orig = rng.integers(0, n_countries, n)
    dest = (orig + rng.integers(1, n_countries, n)) % n_countries
    year = rng.integers(0, n_years, n)
    ldist = rng.normal(8.0, 0.8, n_countries * n_countries)[orig * n_countries + dest]
    rta = (rng.random(n) < 0.2).astype(np.float64)
    origin_effect = rng.normal(0, 1, n_countries)[orig]
    eta = 2.0 - 0.9 * (ldist - 8.0) + 0.4 * rta + origin_effect + rng.normal(0, 1, n_countries)[dest]
    flow = rng.poisson(np.exp(eta)).astype(np.float64)
    return pd.DataFrame(
        {
            "flow": flow,
            "rta": rta,
            "tariff": rng.uniform(0, 0.2, n),
            "orig_year": orig * n_years + year,
            "dest_year": dest * n_years + year,
            "pair": orig * n_countries + dest,
        }
    )


CASES = {
    "lpm1": dict(data="lpm", fml="introduction ~ ebp | firm_year + product_year", vcov={"CRV1": "firm_dest"}),
    "lpm3": dict(
        data="lpm", fml="introduction ~ ebp + hsp + iop | firm_year + product_year", vcov={"CRV1": "firm_dest"}
    ),
    "difficult": dict(data="difficult", fml="y ~ x | firm + product", vcov="iid"),
    "ppml": dict(
        data="ppml", fml="flow ~ rta + tariff | orig_year + dest_year + pair", vcov={"CRV1": "pair"}, poisson=True
    ),
}


def _rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


# ----------------------------------------------------------------------------- worker
def worker(case: str, library: str, rows: int, method: str) -> dict:
    spec = CASES[case]
    makers = {"lpm": lambda: make_lpm(rows), "difficult": make_difficult, "ppml": make_ppml}
    maker = makers[spec["data"]]
    df = maker()
    data_gib = _rss_gib()
    if library == "jaxtrade":
        from jaxtrade.empirics.fixest import feols, fepois

        fit = fepois if spec.get("poisson") else feols
        opts = {"fixef_method": method} if not spec.get("poisson") else {}
    else:
        import pyfixest as pf

        fit = pf.fepois if spec.get("poisson") else pf.feols
        opts = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        res = fit(spec["fml"], df, vcov=spec["vcov"], **opts)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = fit(spec["fml"], df, vcov=spec["vcov"], **opts)
        second = time.perf_counter() - t0
    out = {
        "case": case,
        "library": library,
        "method": method if library == "jaxtrade" else "pyfixest default",
        "rows": int(len(df)),
        "nobs": int(res._N) if hasattr(res, "_N") else int(res.nobs),
        "first_call_s": first,
        "s": second,
        "data_rss_gib": data_gib,
        "peak_rss_gib": _rss_gib(),
        "coef": {k: float(v) for k, v in res.coef().items()},
        "se": {k: float(v) for k, v in res.se().items()},
    }
    if library == "jaxtrade" and getattr(res, "demean_info", None) is not None:
        out["demean_iterations"] = int(res.demean_info.iterations)
    if spec["data"] == "lpm":
        out["levels"] = {c: int(df[c].nunique()) for c in ("firm_year", "product_year", "firm_dest")}
        out["distinct_fe_pairs"] = int(len(df[["firm_year", "product_year"]].drop_duplicates()))
    return out


def run_worker(case, library, rows, method, timeout) -> dict:
    cmd = [sys.executable, __file__, "--worker", case, library, str(rows), method]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        return {"case": case, "library": library, "method": method, "error": proc.stderr[-2000:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> dict:
    from _machine import print_table, write_result

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=18e6, help="LPM rows (default 18e6, the paper's scale)")
    parser.add_argument("--only", action="append", choices=["lpm", "difficult", "ppml"], help="run only these")
    parser.add_argument("--no-pyfixest", action="store_true")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--name", default="fixest_paper")
    parser.add_argument(
        "--pyfixest-from",
        help="with --no-pyfixest: take the pyfixest rows (same cases and rows) from this earlier results JSON, "
        "marked with its timestamp, instead of rerunning pyfixest (it needs about 10 GiB at 18M rows)",
    )
    args = parser.parse_args(argv)
    earlier = {}
    if args.pyfixest_from:
        old = json.loads(pathlib.Path(args.pyfixest_from).read_text())
        stamp = old.get("machine", {}).get("timestamp_utc")
        for r in old["results"]:
            if r.get("library") == "pyfixest" and "error" not in r:
                earlier[(r["case"], r["rows"])] = dict(r, reused_from=f"{args.pyfixest_from} ({stamp})")

    groups = args.only or ["lpm", "difficult", "ppml"]
    plan = []
    if "lpm" in groups:
        plan += [("lpm1", "auto"), ("lpm3", "auto")]
    if "difficult" in groups:
        plan += [("difficult", "two_way"), ("difficult", "alternating")]
    if "ppml" in groups:
        plan += [("ppml", "auto")]
    rows = []
    for case, method in plan:
        libs = ["jaxtrade"] + ([] if args.no_pyfixest or method == "alternating" else ["pyfixest"])
        pair = {}
        for lib in libs:
            r = run_worker(case, lib, int(args.rows), method, args.timeout)
            print(json.dumps({k: v for k, v in r.items() if k not in ("coef", "se")}), flush=True)
            rows.append(r)
            pair[lib] = r
        key = (case, pair["jaxtrade"].get("rows"))
        if "pyfixest" not in pair and method != "alternating" and key in earlier:
            pair["pyfixest"] = earlier[key]
            rows.append(pair["pyfixest"])
        if "pyfixest" in pair and "error" not in pair["pyfixest"] and "error" not in pair["jaxtrade"]:
            ours, ref = pair["jaxtrade"], pair["pyfixest"]
            ours["speedup_vs_pyfixest"] = ref["s"] / ours["s"]
            ours["max_abs_coef_diff"] = max(abs(ours["coef"][k] - ref["coef"][k]) for k in ref["coef"])
            ours["max_rel_se_diff"] = max(abs(ours["se"][k] / ref["se"][k] - 1) for k in ref["se"])
    path = write_result(args.name, {"benchmark": "fixed effects at paper scale", "results": rows})
    table = [
        {
            "case": r["case"],
            "library": r["library"],
            "method": r.get("method"),
            "rows": r.get("rows"),
            "s": r.get("s"),
            "first_s": r.get("first_call_s"),
            "peak_GiB": r.get("peak_rss_gib"),
            "data_GiB": r.get("data_rss_gib"),
            "iters": r.get("demean_iterations"),
            "speedup": r.get("speedup_vs_pyfixest"),
            "coef_diff": r.get("max_abs_coef_diff"),
            "error": (r.get("error") or "")[-80:],
        }
        for r in rows
    ]
    print_table(table)
    print(f"wrote {path}")
    return {"results": rows}


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        case, library, rows, method = sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
        print(json.dumps(worker(case, library, rows, method)))
    else:
        main()
