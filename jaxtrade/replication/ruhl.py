"""Replication of Ruhl (2008), "The International Elasticity Puzzle".

* Table 2: the calibration fit (employment-size shares of all and of
  exporting establishments, trade/output), paper's model beside ours;
* Table 3: removal of the 5 % tariff in the entry-cost model and in the
  model without entry costs (home bias calibrated), beside the paper;
* section 6.1: the time-series Armington regressions (37) with Laspeyres
  (36) and CES (39) indices, mean estimate, mean R^2 and the
  Laspeyres-CES correlation beside the paper, with Figures 10 and 11.

* Appendix 1: the Krusell-Smith forecasting-rule coefficients (P, Pi, m',
  w_f per aggregate state) with SST and R^2, beside the paper's table.

The default run uses a 40 x 40 type grid for the stochastic part and 100
economies (the steady states always use the paper's 200 x 200 grid);
``full=True`` uses 200 x 200 types and 250 x 300 economies (both with
3,000-period forecasting simulations; on a shared 2-core CPU the default
setting took 24 s and the full one 128 s, with other work running).
"""

from __future__ import annotations

import pathlib

import numpy as np
import pandas as pd

from jaxtrade.errors import ConvergenceError

from jaxtrade.models import sunk_cost as sc
from jaxtrade.models.sunk_cost import business_cycle as bc
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


def m_gap(c) -> float:
    """Fixed point of the log m' rule (m = m*) in state (H,H) minus that in (L,L): c is (4 states, 3)."""
    fp = c[:, 0] / (1.0 - c[:, 1] - c[:, 2])
    return float(fp[0] - fp[3])


def _section61_column(r: dict, sol) -> list[float]:
    """Section 6.1 figures of one solution: Laspeyres sigma, R^2, correlation, CES sigma, m' gap."""
    return [r["mean_sigma"], r["mean_r2"], r["mean_corr"], r["mean_sigma_ces"], m_gap(np.asarray(sol.ks.paper_coef)[2])]


def ks_table(sol) -> pd.DataFrame:
    """The Appendix 1 coefficient table: ours beside the paper's, with SST and R^2 per object."""
    pc, pr2, psst = (np.asarray(x) for x in (sol.ks.paper_coef, sol.ks.paper_r2, sol.ks.paper_sst))
    rows = []
    for s, name in enumerate(sc.STATE_NAMES):
        for a in range(3):
            row = [f"alpha_{a + 1}, {name}"]
            for k, o in enumerate(sc.KS_PAPER_OBJECTS):
                row += [sc.PAPER_KS_COEF[o][s][a], pc[k, s, a]]
            rows.append(row)
    rows.append(["SST"] + [v for k, o in enumerate(sc.KS_PAPER_OBJECTS) for v in (sc.PAPER_KS_SST[o], psst[k])])
    rows.append(["R^2"] + [v for k, o in enumerate(sc.KS_PAPER_OBJECTS) for v in (sc.PAPER_KS_R2[o], pr2[k])])
    cols = ["coefficient"] + [f"{o} {w}" for o in sc.KS_PAPER_OBJECTS for w in ("paper", "jaxtrade")]
    return pd.DataFrame(rows, columns=cols)


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
        sol = sc.solve_stochastic(ps, T=3000, burn=500)  # Appendix 1: log-linear rules, cell lottery
    except ConvergenceError as err:
        sec.add_text(
            f"**Appendix 1 and section 6.1 not reported at {n} x {n} types:** the Krusell-Smith loop did not "
            f"converge ({err}). See docs/models/sunk_cost.md."
        )
        return sec
    sec.add_table(f"Appendix 1: forecasting functions ({n} x {n} types, 3,000 periods, first 500 dropped)",
                  ks_table(sol),
                  note=f"Krusell-Smith loop: {int(sol.info.iterations)} iterations, max coefficient change "
                       f"{float(sol.info.residual):.1e} (paper: < 1e-5). Our rules are per-state OLS of the simulated home "
                       "log P, log Pi, log m' and log w_f on (1, log m, log m*) at the fixed point; the firms use the "
                       "equivalent rules for log a_d, log a_x, log Y (own-wage units) and log m'. Levels of log P and "
                       "log Pi depend on the unreported labour endowment L. Cell-lottery export rule (a choice "
                       "beyond the paper; docs/models/sunk_cost.md).")  # fmt: skip
    ne, T = (250, 300) if full else (100, 300)
    r = sc.time_series_experiment(ps, sol, n_economies=ne, T=T, burn=50)
    pe = sc.ruhl_params(n_phi=n, n_kappa=n, entry_cost_units="effective_labor")
    try:
        sol_e = sc.solve_stochastic(pe, T=3000, burn=500)
        r_e = sc.time_series_experiment(pe, sol_e, n_economies=ne, T=T, burn=50)
        col_e = _section61_column(r_e, sol_e)
    except ConvergenceError:
        col_e = [float("nan")] * 5
    paper = [1.21, 0.56, 0.53, 2.0, m_gap(np.asarray(sc.PAPER_KS_COEF["m'"]))]
    labels = ["mean Armington estimate (Laspeyres)", "mean R^2", "Laspeyres-CES correlation",
              "mean estimate with CES indices (true sigma = 2)", "log m' rule: fixed point in (H,H) minus in (L,L)"]
    df = pd.DataFrame({"section 6.1": labels, "paper": paper, "jaxtrade (kappa in labour, as written)":
                       _section61_column(r, sol), "jaxtrade (kappa in effective labour)": col_e})
    sec.add_table(f"Section 6.1: time-series Armington regressions ({ne} economies x {T} periods, {n} x {n} types)", df,
                  note="As written (kappa in labour, (29)) the states (H,H) and (L,L) differ by a common productivity "
                       "scale, export entry does not respond to them and the estimate stays near 2. With kappa in "
                       "effective labour (kappa/z units of labour, `entry_cost_units='effective_labor'`, a reading "
                       "beyond the text that leaves the steady states and Table 3 unchanged) entry responds to own "
                       "productivity, the exporter moment swings, and the Laspeyres estimate falls toward the paper's. "
                       "The last row is alpha_1 / (1 - alpha_2 - alpha_3) of the m' rule in (H,H) minus the same in "
                       "(L,L) (m = m*). See docs/models/sunk_cost.md.")  # fmt: skip
    m1 = bc.output_moments(ps, sol, n_economies=ne, T=T, burn=50, seed=1)
    sec.add_table(f"Table 1: shock targets, log real output Y/P_C ({ne} x {T}, {n} x {n} types, linearly detrended)",
                  bc.table1(ps, moments=m1),
                  note="Paper: annual U.S. data 1950-2000, logged, linearly detrended. Closed forms: log z alone has sd "
                       "atanh(epsilon), autocorrelation 2 lambda - 1; 'frozen' holds the firm distribution at the steady "
                       f"state. Shocks matching the targets through log z: {bc.shocks_for_targets()}.")  # fmt: skip
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
