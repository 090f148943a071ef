"""Heo & Kim (2025) section-2 results from the regression-ready table: Tables 1-2, Figure 2, footnote 11.

The table is the output of :func:`~jaxtrade.empirics.proximity.build_proximity_table`
(columns ``introduction, ebp, ebp_w, hsp, iop, firm_year, product_year,
firm_destination, dest_year``). Regressions use
:func:`jaxtrade.empirics.fixest.feols`: the linear probability model of
eq. (4)/(6) with firm-year and product-year fixed effects, standard errors
clustered by firm-destination.

Candidates of the panel's last year (a year t whose t+1 is not in the panel)
have a NaN outcome (:func:`~jaxtrade.empirics.proximity.build_proximity_table`);
every function here uses only the rows with an observed outcome
(:func:`with_outcome`) and reports how many it left out: ``attrs["n_no_outcome"]``
of its output, and an ``n_no_outcome`` column in :func:`table2` and
:func:`footnote11`.
"""

from __future__ import annotations

import pathlib
from typing import cast

import numpy as np
import pandas as pd

from jaxtrade.empirics.fixest import FixestResult, feols, residualize, shared_encodings, shuffle_within

FIXED_EFFECTS = "firm_year + product_year"
CLUSTER = {"CRV1": "firm_destination"}

TABLE2_SPECS = {
    "(1) EBP": ["ebp"],
    "(2) EBP^w": ["ebp_w"],
    "(3) EBP+HSP+IOP": ["ebp", "hsp", "iop"],
    "(4) EBP^w+HSP+IOP": ["ebp_w", "hsp", "iop"],
}


def _check(table: pd.DataFrame, cols) -> None:
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise ValueError(f"proximity table lacks column(s) {missing}")
    if len(table) == 0:
        raise ValueError(
            "proximity table is empty: the panel gave no firm-candidate-destination-year rows "
            "(see the warning of build_proximity_table for why)"
        )


def with_outcome(table: pd.DataFrame, outcome: str = "introduction") -> tuple[pd.DataFrame, int]:
    """The rows of ``table`` whose outcome is observed, and how many were left out.

    Candidates of a year t whose t+1 is not in the panel (the last year) have
    a missing ``Introduction_{t+1}``; they are predictions, not data for
    Tables 1-2, Figure 2 or footnote 11.

    Raises
    ------
    ValueError
        ``outcome`` missing from ``table``, an empty table, or no row with an
        observed outcome (e.g. a one-year panel: a panel needs two consecutive years).

    Examples
    --------
    >>> t = pd.DataFrame({"introduction": [1.0, 0.0, np.nan]})
    >>> rows, n_left_out = with_outcome(t)
    >>> len(rows), n_left_out
    (2, 1)
    """
    _check(table, [outcome])
    observed = table[outcome].notna().to_numpy()
    n_missing = int((~observed).sum())
    if n_missing == len(table):
        raise ValueError(
            f"no candidate row has an observed outcome {outcome!r} (all {n_missing} are NaN): Introduction_{{t+1}} "
            "needs the year t+1 in the panel, so a panel needs at least two consecutive years"
        )
    return (table if n_missing == 0 else table.loc[observed]), n_missing


def table1(table: pd.DataFrame, thresholds=(0.1, 0.2, 0.3), measure: str = "ebp") -> pd.DataFrame:
    """Table 1: share of candidates, share of entries and Pr(Intro_{t+1} | EBP > tau), with the baseline rate.

    The implied entry probability is ``entry share / candidate share x baseline``,
    which equals the mean introduction rate among candidates above the threshold.
    Only candidates with an observed outcome count (:func:`with_outcome`):
    ``attrs["n_candidates"]`` is their number, ``attrs["n_no_outcome"]`` the
    number left out.
    """
    _check(table, [measure, "introduction"])
    table, n_no_outcome = with_outcome(table)
    x = table[measure].to_numpy()
    y = table["introduction"].to_numpy().astype(np.float64)
    baseline = y.mean()
    rows = []
    for tau in thresholds:
        above = x > tau
        cand = above.mean()
        entries = y[above].sum() / y.sum() if y.sum() > 0 else np.nan
        rows.append(
            {
                "threshold": tau,
                "share_of_candidates": cand,
                "share_of_entries": entries,
                "implied_entry_probability": y[above].mean() if above.any() else np.nan,
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["baseline"] = baseline
    out.attrs["n_candidates"] = len(table)
    out.attrs["n_no_outcome"] = n_no_outcome
    return out


def figure2_data(table: pd.DataFrame, measure: str = "ebp", n_bins: int = 10) -> pd.DataFrame:
    """Mean introduction rate by decile of EBP (Figure 2). Ties are split by row order (rank "first").

    Only candidates with an observed outcome (:func:`with_outcome`); ``attrs["n_no_outcome"]`` the number left out.
    """
    _check(table, [measure, "introduction"])
    table, n_no_outcome = with_outcome(table)
    rank = table[measure].rank(method="first")
    decile = pd.qcut(rank, n_bins, labels=False) + 1
    g = table.groupby(decile.to_numpy())
    out = pd.DataFrame(
        {
            "decile": np.arange(1, n_bins + 1),
            "mean_ebp": g[measure].mean().to_numpy(),
            "introduction_rate": g["introduction"].mean().to_numpy(),
            "n": g.size().to_numpy(),
        }
    )
    out.attrs["n_no_outcome"] = n_no_outcome
    return out


def figure2(table: pd.DataFrame, path: str | pathlib.Path, measure: str = "ebp") -> pathlib.Path:
    """Write Figure 2 (introduction rate by EBP decile) as a PNG and return its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = figure2_data(table, measure)
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.bar(data["decile"], data["introduction_rate"], color="0.35")
    ax.set_xlabel("Decile of Export Basket Proximity")
    ax.set_ylabel("Mean introduction rate, t to t+1")
    ax.set_xticks(data["decile"])
    ax.set_title("Figure 2: introduction rate by EBP decile")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _fit(table: pd.DataFrame, regressors: list[str], outcome: str = "introduction") -> FixestResult:
    cols = [outcome, *regressors, "firm_year", "product_year", "firm_destination"]
    _check(table, cols)
    data = table.loc[:, cols]
    res = feols(f"{outcome} ~ {' + '.join(regressors)} | {FIXED_EFFECTS}", data, vcov=CLUSTER)
    return cast(FixestResult, res)  # one dependent variable


def table2(table: pd.DataFrame, specs: dict[str, list[str]] | None = None) -> tuple[pd.DataFrame, dict]:
    """Table 2: the LPM of eq. (4) and (6), firm-year and product-year FE, clustered by firm-destination.

    Returns a long DataFrame (``column, term, coef, se, tstat, nobs, r2,
    n_no_outcome``) and the :class:`~jaxtrade.empirics.fixest.FixestResult`
    of each column. Candidates without an observed outcome (the last year)
    are left out before the fits (:func:`with_outcome`); ``n_no_outcome``
    (also ``attrs["n_no_outcome"]``) is their number, ``nobs`` what each fit
    used. Columns whose regressors are all NaN (no input matrix for IOP) are skipped.

    Raises
    ------
    ValueError
        An empty table (as :func:`table1`), or missing columns.
    """
    specs = specs or TABLE2_SPECS
    _check(table, ["introduction", "firm_year", "product_year", "firm_destination"])
    table, n_no_outcome = with_outcome(table)
    with shared_encodings():  # the columns share their fixed effects and cluster: each encoded once
        fits = {
            name: _fit(table, regs)
            for name, regs in specs.items()
            if not any(table[r].isna().all() for r in regs if r in table.columns)
        }
    rows = []
    for name, res in fits.items():
        for term in res.coefnames:
            rows.append(
                {
                    "column": name, "term": term, "coef": float(res.coef()[term]), "se": float(res.se()[term]),
                    "tstat": float(res.tstat()[term]), "nobs": res.nobs, "r2": float(res.r2 if res.r2 is not None else np.nan),
                    "n_no_outcome": n_no_outcome,
                }
            )  # fmt: skip
    out = pd.DataFrame(rows)
    out.attrs["n_no_outcome"] = n_no_outcome
    return out, fits


def footnote11(table: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, dict]:
    """The two circularity checks of footnote 11.

    1. Placebo: EBP shuffled within destination-year cells (``shuffle_within``,
       seeded), then eq. (4).
    2. EBP residualised on HSP, IOP and the firm-year and product-year
       effects (Frisch-Waugh-Lovell, ``residualize``), then eq. (4) on the
       residual; its slope equals column (3)'s EBP coefficient.

    Both use only the candidates with an observed outcome (:func:`with_outcome`;
    the shuffle and the residualisation too, so the slope equality holds);
    ``n_no_outcome`` (column and ``attrs``) is the number left out.
    """
    cols = ["introduction", "ebp", "hsp", "iop", "firm_year", "product_year", "firm_destination", "dest_year"]
    _check(table, cols)
    table, n_no_outcome = with_outcome(table)
    base = table.loc[:, cols]
    shuffled = shuffle_within(base, "ebp", by="dest_year", seed=seed).rename(columns={"ebp": "ebp_shuffled"})
    fits = {"placebo: EBP shuffled within (d,t)": _fit(shuffled, ["ebp_shuffled"])}
    if not base["iop"].isna().all():
        resid = residualize(base, "ebp", controls=["hsp", "iop"], fixef=["firm_year", "product_year"])
        fits["EBP orthogonalized on HSP, IOP, FE"] = _fit(base.assign(ebp_resid=resid.to_numpy()), ["ebp_resid"])
    rows = []
    for name, res in fits.items():
        term = res.coefnames[0]
        rows.append(
            {
                "check": name, "coef": float(res.coef()[term]), "se": float(res.se()[term]),
                "tstat": float(res.tstat()[term]), "nobs": res.nobs,
                "r2_within": float(res.r2_within if res.r2_within is not None else np.nan),
                "n_no_outcome": n_no_outcome,
            }
        )  # fmt: skip
    out = pd.DataFrame(rows)
    out.attrs["n_no_outcome"] = n_no_outcome
    return out, fits
