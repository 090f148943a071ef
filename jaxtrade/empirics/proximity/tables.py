"""Heo & Kim (2025) section-2 results from the regression-ready table: Tables 1-2, Figure 2, footnote 11.

The table is the output of :func:`~jaxtrade.empirics.proximity.build_proximity_table`
(columns ``introduction, ebp, ebp_w, hsp, iop, firm_year, product_year,
firm_destination, dest_year``). Regressions use
:func:`jaxtrade.empirics.fixest.feols`: the linear probability model of
eq. (4)/(6) with firm-year and product-year fixed effects, standard errors
clustered by firm-destination.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pandas as pd

from jaxtrade.empirics.fixest import feols, residualize, shuffle_within

FIXED_EFFECTS = "firm_year + product_year"
CLUSTER = {"CRV1": "firm_destination"}

PAPER_TABLE1 = pd.DataFrame(
    {
        "threshold": [0.1, 0.2, 0.3],
        "share_of_candidates": [0.0542, 0.0174, 0.0063],
        "share_of_entries": [0.1782, 0.0665, 0.0268],
        "implied_entry_probability": [0.089, 0.104, 0.115],
    }
)
PAPER_BASELINE = 0.027
PAPER_TABLE2 = {
    "(1) EBP": {"ebp": (0.3104, 0.0017), "r2": 0.1247, "nobs": 17_970_020},
    "(2) EBP^w": {"ebp_w": (0.2904, 0.0014), "r2": 0.1257, "nobs": 17_970_020},
    "(3) EBP+HSP+IOP": {"ebp": (0.2765, 0.0017), "hsp": (0.0224, 0.0003), "iop": (0.0055, 0.0002), "r2": 0.1254, "nobs": 17_970_020},
    "(4) EBP^w+HSP+IOP": {"ebp_w": (0.2610, 0.0015), "hsp": (0.0224, 0.0003), "iop": (0.0052, 0.0002), "r2": 0.1265, "nobs": 17_970_020},
}
PAPER_FOOTNOTE11 = {"placebo: EBP shuffled within (d,t)": (0.0085, 0.00077), "EBP orthogonalized on HSP, IOP, FE": (0.2765, 0.00171)}
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
        raise ValueError("proximity table is empty")


def table1(table: pd.DataFrame, thresholds=(0.1, 0.2, 0.3), measure: str = "ebp") -> pd.DataFrame:
    """Table 1: share of candidates, share of entries and Pr(Intro_{t+1} | EBP > tau), with the baseline rate.

    The implied entry probability is ``entry share / candidate share x baseline``,
    which equals the mean introduction rate among candidates above the threshold.
    """
    _check(table, [measure, "introduction"])
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
    return out


def figure2_data(table: pd.DataFrame, measure: str = "ebp", n_bins: int = 10) -> pd.DataFrame:
    """Mean introduction rate by decile of EBP (Figure 2). Ties are split by row order (rank "first")."""
    _check(table, [measure, "introduction"])
    rank = table[measure].rank(method="first")
    decile = pd.qcut(rank, n_bins, labels=False) + 1
    g = table.groupby(decile.to_numpy())
    return pd.DataFrame(
        {
            "decile": np.arange(1, n_bins + 1),
            "mean_ebp": g[measure].mean().to_numpy(),
            "introduction_rate": g["introduction"].mean().to_numpy(),
            "n": g.size().to_numpy(),
        }
    )


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


def _fit(table: pd.DataFrame, regressors: list[str], outcome: str = "introduction"):
    cols = [outcome, *regressors, "firm_year", "product_year", "firm_destination"]
    _check(table, cols)
    data = table.loc[:, cols]
    return feols(f"{outcome} ~ {' + '.join(regressors)} | {FIXED_EFFECTS}", data, vcov=CLUSTER)


def table2(table: pd.DataFrame, specs: dict[str, list[str]] | None = None) -> tuple[pd.DataFrame, dict]:
    """Table 2: the LPM of eq. (4) and (6), firm-year and product-year FE, clustered by firm-destination.

    Returns a long DataFrame (``column, term, coef, se, tstat, nobs, r2``)
    and the :class:`~jaxtrade.empirics.fixest.FixestResult` of each column.
    Columns whose regressors are all NaN (no input matrix for IOP) are skipped.
    """
    specs = specs or TABLE2_SPECS
    rows, fits = [], {}
    for name, regs in specs.items():
        if any(table[r].isna().all() for r in regs if r in table.columns):
            continue
        res = _fit(table, regs)
        fits[name] = res
        for term in res.coefnames:
            rows.append(
                {
                    "column": name, "term": term, "coef": float(res.coef()[term]), "se": float(res.se()[term]),
                    "tstat": float(res.tstat()[term]), "nobs": res.nobs, "r2": float(res.r2),
                }
            )  # fmt: skip
    return pd.DataFrame(rows), fits


def footnote11(table: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, dict]:
    """The two circularity checks of footnote 11.

    1. Placebo: EBP shuffled within destination-year cells (``shuffle_within``,
       seeded), then eq. (4).
    2. EBP residualised on HSP, IOP and the firm-year and product-year
       effects (Frisch-Waugh-Lovell, ``residualize``), then eq. (4) on the
       residual; its slope equals column (3)'s EBP coefficient.
    """
    base = table.loc[:, ["introduction", "ebp", "hsp", "iop", "firm_year", "product_year", "firm_destination", "dest_year"]]
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
                "tstat": float(res.tstat()[term]), "nobs": res.nobs, "r2_within": float(res.r2_within),
            }
        )  # fmt: skip
    return pd.DataFrame(rows), fits


def table2_beside_paper(long: pd.DataFrame) -> pd.DataFrame:
    """Table 2 in the paper's layout: each coefficient (se) beside the paper's, per column."""
    rows = []
    for name, paper in PAPER_TABLE2.items():
        sub = long[long["column"] == name]
        for term in [t for t in paper if t not in ("r2", "nobs")]:
            hit = sub[sub["term"] == term]
            ours = f"{hit['coef'].iloc[0]:.4f} ({hit['se'].iloc[0]:.4f})" if len(hit) else "n/a"
            rows.append({"Table 2 column": name, "term": term.upper().replace("EBP_W", "EBP^w"),
                         "paper": f"{paper[term][0]:.4f} ({paper[term][1]:.4f})", "jaxtrade (synthetic)": ours})  # fmt: skip
        r2 = f"{sub['r2'].iloc[0]:.4f}" if len(sub) else "n/a"
        n = f"{int(sub['nobs'].iloc[0]):,}" if len(sub) else "n/a"
        rows.append({"Table 2 column": name, "term": "R2", "paper": f"{paper['r2']:.4f}", "jaxtrade (synthetic)": r2})
        rows.append({"Table 2 column": name, "term": "N", "paper": f"{paper['nobs']:,}", "jaxtrade (synthetic)": n})
    return pd.DataFrame(rows)


def table1_beside_paper(t1: pd.DataFrame) -> pd.DataFrame:
    """Table 1 with the paper's values beside jaxtrade's (percent), plus the baseline row."""
    rows = []
    for (_, ours), (_, paper) in zip(t1.iterrows(), PAPER_TABLE1.iterrows()):
        rows.append(
            {
                "Table 1 threshold": f"EBP > {ours['threshold']:g}",
                "candidates % (paper)": round(100 * paper["share_of_candidates"], 2),
                "candidates % (jaxtrade)": round(100 * ours["share_of_candidates"], 2),
                "entries % (paper)": round(100 * paper["share_of_entries"], 2),
                "entries % (jaxtrade)": round(100 * ours["share_of_entries"], 2),
                "entry prob. % (paper)": round(100 * paper["implied_entry_probability"], 1),
                "entry prob. % (jaxtrade)": round(100 * ours["implied_entry_probability"], 1),
            }
        )
    rows.append(
        {"Table 1 threshold": "baseline", "candidates % (paper)": 100.0, "candidates % (jaxtrade)": 100.0,
         "entries % (paper)": 100.0, "entries % (jaxtrade)": 100.0,
         "entry prob. % (paper)": round(100 * PAPER_BASELINE, 1),
         "entry prob. % (jaxtrade)": round(100 * t1.attrs.get("baseline", np.nan), 1)}
    )  # fmt: skip
    return pd.DataFrame(rows)


def footnote11_beside_paper(f11: pd.DataFrame) -> pd.DataFrame:
    """Footnote 11's two checks, coefficient (se) beside the paper's."""
    rows = []
    for name, (coef, se) in PAPER_FOOTNOTE11.items():
        hit = f11[f11["check"] == name]
        ours = f"{hit['coef'].iloc[0]:.4f} ({hit['se'].iloc[0]:.5f})" if len(hit) else "n/a"
        rows.append({"footnote 11 check": name, "paper": f"{coef:.4f} ({se:.5f})", "jaxtrade (synthetic)": ours})
    return pd.DataFrame(rows)
