"""Tables of the Ruhl (2008) replication, each beside the paper's values with the gap and a tolerance mark."""

from __future__ import annotations

import numpy as np
import pandas as pd

from jaxtrade.models import sunk_cost as sc
from jaxtrade.reporting import Tolerance, comparison_frame

from . import paper

#: Table 2 (calibration fit): shares of the size bins within 0.03 of the paper's model
TABLE2_TOLERANCE = Tolerance(abs=0.03)
#: Table 3, section 6.1 and the m' rule: within 15 % of the paper
TABLE3_TOLERANCE = Tolerance(rel=0.15)
#: Appendix 1 coefficients: within 0.05 of the paper's (levels of log P and log Pi depend on the unreported L)
KS_TOLERANCE = Tolerance(abs=0.05)
#: Table 1 moments: within 15 % of the data targets
TABLE1_TOLERANCE = Tolerance(rel=0.15)


def table2(p: sc.SunkCostParams) -> tuple[pd.DataFrame, dict]:
    """Table 2: the employment-size shares of the steady state beside the paper's model (data alongside)."""
    ss = sc.steady_state(p)
    sd = sc.size_distribution(ss, p)
    labels = ["1-20", "21-50", "51-100", "101-250", "251-500", "501-1000", ">1000"]
    rows, data = [], []
    for lab, d, m, o in zip(labels, paper.TABLE2_DATA_ALL, paper.TABLE2_MODEL_ALL, sd["all"], strict=True):
        rows.append((f"all establishments, {lab} employees", m, float(o)))
        data.append(d)
    for lab, d, m, o in zip(["1-100", "101-500", ">500"], paper.TABLE2_DATA_EXPORTERS, paper.TABLE2_MODEL_EXPORTERS,
                            sd["exporters"], strict=True):  # fmt: skip
        rows.append((f"exporters, {lab} employees", m, float(o)))
        data.append(d)
    rows.append(("trade/output (calibration target for L)", paper.TRADE_OUTPUT, float(ss.trade_output)))
    data.append(paper.TRADE_OUTPUT)
    df = comparison_frame(rows, TABLE2_TOLERANCE, columns=("Table 2", "paper's model", "jaxtrade"))
    df.insert(1, "data (Table 2)", data)
    return df, sd


def table3(p: sc.SunkCostParams) -> tuple[pd.DataFrame, dict]:
    """Table 3: the removal of the 5 % tariff with and without entry costs, beside the paper."""
    t = sc.table3(p)
    rows: list[tuple] = []
    for label, key, pk in [("Exports (% change)", "exports_pct", "exports_pct"),
                           ("Imports / dom. consumption (% change)", "imports_to_domestic_pct", "imports_to_domestic_pct"),
                           ("Exporting plants (pp change)", "exporting_plants_pp", "exporting_plants"),
                           ("Implied sigma", "implied_sigma", "implied_sigma")]:  # fmt: skip
        for col, model in ((0, "entry_costs"), (1, "no_entry_costs")):
            tol = Tolerance(abs=0.05) if paper.TABLE3[pk][col] == 0.0 else None  # a zero change: compare absolutely
            rows.append((f"{label}, {model.replace('_', ' ')}", paper.TABLE3[pk][col], t[model][key], tol))
    return comparison_frame(rows, TABLE3_TOLERANCE, columns=("Table 3", "paper", "jaxtrade")), t


def ks_table(sol) -> pd.DataFrame:
    """Appendix 1: the forecasting-rule coefficients, SST and R^2 per object, beside the paper's."""
    pc, pr2, psst = (np.asarray(x) for x in (sol.ks.paper_coef, sol.ks.paper_r2, sol.ks.paper_sst))
    rows: list[tuple] = []
    for k, o in enumerate(sc.KS_PAPER_OBJECTS):
        for s, name in enumerate(sc.STATE_NAMES):
            for a in range(3):
                rows.append((f"{o}: alpha_{a + 1}, {name}", paper.KS_COEF[o][s][a], float(pc[k, s, a])))
        rows.append((f"{o}: SST", paper.KS_SST[o], float(psst[k]), Tolerance(rel=0.5)))
        rows.append((f"{o}: R^2", paper.KS_R2[o], float(pr2[k])))
    return comparison_frame(rows, KS_TOLERANCE, columns=("Appendix 1", "paper", "jaxtrade"))


def section61_values(r: dict, sol) -> list[float]:
    """Section 6.1 figures of one solution: Laspeyres sigma, R^2, correlation, CES sigma, m' gap."""
    return [r["mean_sigma"], r["mean_r2"], r["mean_corr"], r["mean_sigma_ces"],
            sc.moment_rule_gap(np.asarray(sol.ks.paper_coef)[2])]  # fmt: skip


SECTION61_LABELS = [
    "mean Armington estimate (Laspeyres)", "mean R^2", "Laspeyres-CES correlation",
    "mean estimate with CES indices (true sigma = 2)", "log m' rule: fixed point in (H,H) minus in (L,L)",
]  # fmt: skip


def section61_table(as_written: list[float], effective: list[float]) -> pd.DataFrame:
    """Section 6.1 beside the paper, for kappa in labour (as written) and in effective labour."""
    theirs = [paper.TIME_SERIES["mean_sigma"], paper.TIME_SERIES["mean_r2"], paper.TIME_SERIES["laspeyres_ces_corr"],
              2.0, sc.moment_rule_gap(np.asarray(paper.KS_COEF["m'"]))]  # fmt: skip
    labels = [f"{label} (kappa in labour, as written)" for label in SECTION61_LABELS]
    labels += [f"{label} (kappa in effective labour)" for label in SECTION61_LABELS]
    rows = list(zip(labels, theirs + theirs, as_written + effective, strict=True))
    return comparison_frame(rows, TABLE3_TOLERANCE, columns=("section 6.1", "paper", "jaxtrade"))


def table1(p: sc.SunkCostParams, moments: dict) -> pd.DataFrame:
    """Table 1: the data targets beside the simulated moments; the closed forms alongside."""
    m = moments
    rows = [
        (f"sd of log output (epsilon = {float(p.epsilon):g})", paper.TABLE1["sd_log_output"], m["mean_sd"]),
        (f"autocorrelation of log output (lambda = {float(p.lam):g})", paper.TABLE1["autocorr_log_output"],
         m["mean_autocorr"]),
    ]  # fmt: skip
    df = comparison_frame(rows, TABLE1_TOLERANCE, columns=("Table 1 target", "paper (data)", "jaxtrade (simulated)"))
    df["frozen distribution (closed form)"] = [m["frozen"]["sd"], m["frozen"]["autocorr"]]
    df["log z alone (closed form)"] = [m["productivity"]["sd"], m["productivity"]["autocorr"]]
    return df
