"""Replication of Ara & Zhang (2020), "The Margins of Intermediate Goods Trade".

The model part of the paper reports no numbers: its results are signs
(Lemmas 1-3) and closed forms (Propositions 1-2). The replication therefore
prints, beside each of the paper's statements, jaxtrade's number computed
from the solved equilibrium by automatic differentiation:

* Proposition 2 and its proof: partial trade elasticities and their margin
  decomposition, paper's closed form beside jaxtrade's autodiff value;
* Lemmas 1-3: the paper's sign of each d(unknown)/d(tau^I_ji) beside
  jaxtrade's, with entry masses held fixed as in Appendix A.1 (and in
  general equilibrium, for reference);
* the equilibrium of section 2.5 (twelve unknowns and residuals) and of
  Proposition 1(ii) at the default parameters;
* figures: elasticities across Assumption 1's range of k; cutoffs against
  tau^I_ji.

The gravity regressions of section 3 (Tables 3-7) use confidential China
customs data. The replication runs the paper's specification (29) on a
panel simulated from the model, where the true partial elasticities are
known, and (25) on the real EU-15 flows of ``eu-trade-fixest.csv`` when that
file is available (:func:`jaxtrade.datasets.data_path`: ``data=`` or
``$JAXTRADE_DATA``); the paper's China estimates are printed beside them for
reference, not as targets.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable

from jaxtrade.datasets import FILES, data_path
from jaxtrade.models import vertical as v
from jaxtrade.reporting import Section

from . import figures, paper, tables

__all__ = ["run"]


def run(out_dir: str | pathlib.Path, *, full: bool = False, data: str | pathlib.Path | None = None,
        status: Callable[[str], None] | None = None) -> Section:  # fmt: skip
    """The Ara & Zhang (2020) section of the replication report (figures written to ``out_dir``).

    ``status`` receives one line per stage (``None``: silent).
    """
    say = status or (lambda line: None)
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sec = Section(paper.TITLE, paper=paper.SHORT)
    p = v.vertical_params()
    sec.add_text(
        "Default parameters (the paper gives none; docs/models/vertical.md): sigma = 4, k = 4.5, "
        "L = (1, 1.5), beta = 0.3, f^E = 1, f_ii = 1, f_ji = 1.5 (both sectors), tau^I = tau^F = 1.3, "
        "Pareto lower bounds 1."
    )
    params_list = [p, v.vertical_params(sigma=3.0, k=3.5), v.vertical_params(sigma=6.0, k=8.0, L=(1.0, 0.7))]
    if full:
        params_list += [v.vertical_params(sigma=5.0, k=k) for k in (4.4, 5.5, 6.8)]
    say(f"Proposition 2 at {len(params_list)} parameter sets")
    sec.add_comparison(
        "Proposition 2 and its proof: partial trade elasticities, paper's closed form vs jaxtrade",
        tables.elasticity_table(params_list),
        tables.ELASTICITY_TOLERANCE,
        "Partial elasticities hold the demand indices B and entry masses fixed, as the paper defines them; "
        "jaxtrade differentiates the model's own cutoff conditions (6), (12), (6') by the implicit function theorem.",
    )
    sec.add_comparison(
        "Lemmas 1-3: sign of d(unknown)/d tau^I_ji, paper vs jaxtrade",
        tables.lemma_table(p),
        tables.SIGN_TOLERANCE,
        "The proofs (Appendix A.1) hold N^E_i, N^E_j fixed, and the status compares that column. In general "
        "equilibrium, where N^E clears the intermediate-goods market (15), Lemma 2's zero response of country j's "
        "downstream cutoffs and Lemma 3's signs for B^F no longer hold: those columns are reported as computed. "
        "Signs are compared as text: equal is within.",
    )
    say("equilibria of section 2.5 and Proposition 1(ii)")
    eq = v.solve_input_trade(p)
    sec.add_table(
        "Section 2.5: the twelve unknowns and the residual of each condition (default parameters)",
        tables.equilibrium_table(eq, v.INPUT_TRADE_UNKNOWNS, v.INPUT_TRADE_CONDITIONS),
    )
    sec.add_table("Derived equilibrium objects (default parameters)", tables.aggregates_table(eq))
    sec.add_table(
        "Proposition 1(ii): final-goods-only trade equilibrium (default parameters)",
        tables.equilibrium_table(v.solve_final_trade(p), v.FINAL_TRADE_UNKNOWNS, v.FINAL_TRADE_CONDITIONS),
    )
    say("section 3: gravity regressions on a simulated panel")
    gravity, n_outside = tables.simulated_gravity_table(p, full)
    sec.add_table(
        "Section 3, eq. (29) on a panel simulated from the model: coefficient of ln(1 + tariff) (Table 6 for reference)",
        gravity,
        f"{n_outside} simulated cell(s) outside the model's Pareto/selection regime were excluded "
        "(simulate_panel(..., outside_regime='drop')). Each product-country-year cell is a two-country equilibrium between the importer and country c "
        "(jaxtrade.models.vertical.simulate_panel); country-year and product-year effects absorb the exporters' "
        "entry masses and the importer's demand indices. The paper's China estimates are far smaller than the "
        "model's elasticities (Table 6); the model predicts a larger elasticity for intermediate than for final "
        "goods, and both the paper's estimates and the simulated panel show it. With few firms per cell, log cell "
        "totals are biased (docs/models/vertical.md), so the value elasticities sit above the truth while the firm "
        "counts M are close to it.",
    )
    eu = data_path("eu_trade", data)
    if eu is None:
        sec.add_text(
            f"Section 3 on real flows: {FILES['eu_trade']} not available (pass --data or set JAXTRADE_DATA); skipped."
        )
        sec.leave_out(f"Section 3, eq. (25) on EU-15 flows: {FILES['eu_trade']} not available in this run.")
    else:
        sec.add_table(
            "Section 3, eq. (25) on real bilateral flows (EU-15, 2007): distance elasticity (Table 3 for reference)",
            tables.eu_gravity_table(eu),
            "Different data from the paper (China's imports by product and partner, Table 3): printed for reference. "
            "The EU file has no firm counts, so the margins cannot be split; one year only, so no year effects.",
        )
    for item in paper.LEFT_OUT:
        sec.leave_out(item)
    say("figures")
    sec.add_figure("Proposition 2: zeta_I and zeta_F across k (sigma = 4)",
                   figures.elasticities_vs_k(out_dir, n=17 if full else 9))  # fmt: skip
    sec.add_figure("Lemmas 1-2: cutoffs against tau^I_ji in general equilibrium (points without an interior "
                   "equilibrium are dropped)", figures.cutoffs_vs_tau(out_dir, p))  # fmt: skip
    return sec
