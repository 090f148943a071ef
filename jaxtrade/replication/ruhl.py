"""Replication of Ruhl (2008), "The International Elasticity Puzzle".

* Table 2: the calibration fit (employment-size shares of all and of
  exporting establishments, trade/output), paper's model beside ours;
* Table 3: removal of the 5 % tariff in the entry-cost model and in the
  model without entry costs (home bias calibrated), beside the paper;
* section 6.1: the time-series Armington regressions (37) with Laspeyres
  (36) and CES (39) indices, mean estimate, mean R^2 and the
  Laspeyres-CES correlation beside the paper, with Figures 10 and 11.

The default run uses a coarser type grid for the stochastic part (the
steady states always use the paper's 200 x 200 grid); ``full=True`` uses
200 x 200 types, 3,000-period forecasting simulations and 250 x 300
economies.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pandas as pd

from jaxtrade.errors import ConvergenceError

from jaxtrade.models import sunk_cost as sc
from jaxtrade.replication.report import Section, register

PAPER = "Ruhl (2008)"


def table2(p) -> tuple[pd.DataFrame, dict]:
    ss = sc.steady_state(p)
    sd = sc.size_distribution(ss, p)
    labels = ["1-20", "21-50", "51-100", "101-250", "251-500", "501-1000", ">1000"]
    rows = [("all", lab, d, m, o) for lab, d, m, o in zip(labels, sc.ALL_DATA, sc.ALL_MODEL_PAPER, sd["all"])]
    rows += [("exporters", lab, d, m, o) for lab, d, m, o in zip(["1-100", "101-500", ">500"], sc.EXPORTER_DATA, sc.EXPORTER_MODEL_PAPER, sd["exporters"])]
    rows.append(("", "trade/output", 0.091, 0.091, float(ss.trade_output)))
    df = pd.DataFrame(rows, columns=["establishments", "employees", "data (Table 2)", "paper's model", "jaxtrade"])
    return df, sd


def table3_frame(p) -> tuple[pd.DataFrame, dict]:
    t = sc.table3(p)
    rows = []
    for label, key, pk in [("Exports (% change)", "exports_pct", "exports_pct"),
                           ("Imports / dom. consumption (% change)", "imports_to_domestic_pct", "imports_to_domestic_pct"),
                           ("Exporting plants (pp change)", "exporting_plants_pp", "exporting_plants"),
                           ("Implied sigma", "implied_sigma", "implied_sigma")]:  # fmt: skip
        rows.append((label, sc.PAPER_TABLE3[pk][0], t["entry_costs"][key], sc.PAPER_TABLE3[pk][1], t["no_entry_costs"][key]))
    df = pd.DataFrame(rows, columns=["Table 3", "paper, entry costs", "jaxtrade, entry costs", "paper, no entry costs", "jaxtrade, no entry costs"])
    return df, t


@register("ruhl")
def run(out_dir, full: bool = False) -> Section:
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sec = Section(title=PAPER + ", The International Elasticity Puzzle")
    p = sc.ruhl_params()
    df2, sd = table2(p)
    sec.add_table("Table 2: calibration fit (size shares; model labour mapped to employees by one scale fitted to the all-establishment bins)", df2,
                  note=f"L = {float(p.L):.6g} is calibrated to trade/output 0.091 (not reported by the paper); employees per model labour unit = {sd['employees_per_unit']:.4g}.")
    df3, _ = table3_frame(p)
    sec.add_table("Table 3: response to the permanent removal of the 5 % tariff", df3,
                  note="Implied sigma = %-change of real imports over real domestic consumption / 4.762 (the paper's formula).")
    n = 200 if full else 40
    ps = p if full else sc.ruhl_params(n_phi=n, n_kappa=n)
    try:
        sol = sc.solve_stochastic(ps, T=3000, burn=500, damping=0.1, max_outer=400)
    except ConvergenceError as err:
        sec.add_text(
            f"**Section 6.1 not reported at {n} x {n} types:** the forecasting loop did not converge "
            f"({err}). On a fine type grid the state-constant forecasting rules cycle; "
            "see docs/models/sunk_cost.md. Run without `--full` for the 40 x 40 setting."
        )
        return sec
    ne, T = (250, 300) if full else (100, 300)
    r = sc.time_series_experiment(ps, sol, n_economies=ne, T=T, burn=50)
    df = pd.DataFrame(
        [("mean Armington estimate (Laspeyres)", 1.21, r["mean_sigma"]),
         ("mean R^2", 0.56, r["mean_r2"]),
         ("Laspeyres-CES correlation", 0.53, r["mean_corr"]),
         ("mean estimate with CES indices (true sigma = 2)", 2.0, r["mean_sigma_ces"])],
        columns=["section 6.1", "paper", "jaxtrade"])  # fmt: skip
    sec.add_table(f"Section 6.1: time-series Armington regressions ({ne} economies x {T} periods, {n} x {n} types)", df,
                  note=f"Forecasting loop: {int(sol.info.iterations)} iterations, residual {float(sol.info.residual):.2e} "
                       "(state-constant forecasting rules; see docs/models/sunk_cost.md).")  # fmt: skip
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.hist(r["sigma"], bins=30)
        ax.axvline(2.0, color="k", ls="--", label="true sigma")
        ax.set_xlabel("estimated Armington elasticity (Laspeyres indices)")
        ax.legend()
        f10 = out_dir / "ruhl_fig10.png"
        fig.tight_layout(); fig.savefig(f10, dpi=110); plt.close(fig)  # fmt: skip
        sec.add_figure("Figure 10: measured elasticity of substitution", f10)
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.plot(r["laspeyres_f_example"], label="Laspeyres (36)")
        ax.plot(r["ces_f_example"], label="CES (39)")
        ax.set_xlabel("period after the base year")
        ax.legend()
        f11 = out_dir / "ruhl_fig11.png"
        fig.tight_layout(); fig.savefig(f11, dpi=110); plt.close(fig)  # fmt: skip
        sec.add_figure(f"Figure 11: import price indices of one simulation (correlation {r['corr_example']:.2f})", f11)
    except ImportError:  # pragma: no cover
        pass
    return sec
