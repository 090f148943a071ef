"""Benchmark jaxtrade.feols against pyfixest.feols: OLS with two fixed effects.

Synthetic unbalanced panels of 1e5 and 1e6 rows (1e7 with ``--large``):
``y ~ x1 + x2 | firm + year`` with N/10 firms and N/1000 periods, clustered
by firm. Each configuration is timed ``--repeats`` times after one warm-up
call (which includes JIT compilation, reported separately); the best time is
kept. Results and machine information go to ``benchmarks/results/fixest.json``.

Usage::

    python benchmarks/bench_fixest.py [--large] [--repeats 3] [--no-pyfixest] [--sizes 100000] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import sys
import time
import warnings

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import jax  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from jaxtrade.empirics.fixest import feols  # noqa: E402

FORMULA = "y ~ x1 + x2 | firm + year"
VCOV = {"CRV1": "firm"}


def make_panel(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """Unbalanced panel with N/10 firms, N/1000 years and a firm-correlated regressor."""
    rng = np.random.default_rng(seed)
    n_firms = max(n_rows // 10, 2)
    n_years = max(n_rows // 1000, 2)
    firm = rng.integers(0, n_firms, n_rows)
    year = rng.integers(0, n_years, n_rows)
    firm_effect = rng.normal(size=n_firms)
    year_effect = rng.normal(size=n_years)
    x1 = rng.normal(size=n_rows) + 0.5 * firm_effect[firm]
    x2 = rng.normal(size=n_rows) + 0.5 * year_effect[year]
    y = 1.0 * x1 - 0.5 * x2 + firm_effect[firm] + year_effect[year] + rng.normal(size=n_rows)
    return pd.DataFrame({"y": y, "x1": x1, "x2": x2, "firm": firm, "year": year})


def time_call(fn, repeats: int) -> tuple[float, float, object]:
    """(first-call seconds, best of ``repeats`` later calls, last result)."""
    t0 = time.perf_counter()
    result = fn()
    first = time.perf_counter() - t0
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return first, best, result


def machine_info() -> dict:
    info = {
        "platform": platform.platform(),
        "processor": platform.processor(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "jax": jax.__version__,
        "jax_devices": [str(d) for d in jax.devices()],
        "numpy": np.__version__,
        "pandas": pd.__version__,
    }
    try:
        import pyfixest

        info["pyfixest"] = pyfixest.__version__
    except ImportError:  # pragma: no cover
        info["pyfixest"] = None
    return info


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also run 1e7 rows")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-pyfixest", action="store_true")
    parser.add_argument("--sizes", type=int, nargs="+", default=None, help="row counts (default 1e5 and 1e6)")
    parser.add_argument("--out", default=str(pathlib.Path(__file__).resolve().parent / "results" / "fixest.json"))
    args = parser.parse_args(argv)

    sizes = args.sizes or [100_000, 1_000_000] + ([10_000_000] if args.large else [])
    rows = []
    for n in sizes:
        df = make_panel(n)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            first, best, ours = time_call(lambda df=df: feols(FORMULA, df, vcov=VCOV), args.repeats)
            row = {
                "rows": n,
                "formula": FORMULA,
                "vcov": "CRV1 firm",
                "jaxtrade_first_s": first,
                "jaxtrade_s": best,
                "demean_iterations": int(ours.demean_info.iterations),
                "converged": ours.converged,
            }
            if not args.no_pyfixest:
                import pyfixest as pf

                pf_first, pf_best, ref = time_call(lambda df=df: pf.feols(FORMULA, df, vcov=VCOV), args.repeats)
                row.update(
                    pyfixest_first_s=pf_first,
                    pyfixest_s=pf_best,
                    speedup=pf_best / best,
                    max_abs_coef_diff=float(np.max(np.abs(ours.coef().to_numpy() - ref.coef().to_numpy()))),
                    max_rel_se_diff=float(np.max(np.abs(ours.se().to_numpy() / ref.se().to_numpy() - 1))),
                )
        rows.append(row)
        print(json.dumps(row))

    payload = {"benchmark": "feols, two fixed effects", "machine": machine_info(), "results": rows}
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2))

    header = f"{'rows':>10} {'jaxtrade s':>11} {'(1st call)':>11} {'pyfixest s':>11} {'speedup':>8} {'coef diff':>10}"
    print(header)
    for r in rows:
        print(
            f"{r['rows']:>10,} {r['jaxtrade_s']:>11.3f} {r['jaxtrade_first_s']:>11.3f} "
            f"{r.get('pyfixest_s', float('nan')):>11.3f} {r.get('speedup', float('nan')):>8.2f} "
            f"{r.get('max_abs_coef_diff', float('nan')):>10.1e}"
        )
    print(f"wrote {out}")
    return payload


if __name__ == "__main__":
    main()
