"""Section 2's tables beside the paper's values (Tables 1-2, footnotes 10-11)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from jaxtrade.empirics.proximity import hs_similarity
from jaxtrade.reporting import Tolerance, comparison_frame

from . import paper

#: footnote 10 is reproducible exactly: the paper rounds to two decimals
FOOTNOTE10_TOLERANCE = Tolerance(abs=0.005)


def _coef_se(coef: float, se: float, digits: int = 4) -> str:
    return f"{coef:.{digits}f} ({se:.{digits}f})"


def table1_beside_paper(t1: pd.DataFrame) -> pd.DataFrame:
    """Table 1 with the paper's values beside jaxtrade's (percent), plus the baseline row."""
    rows = []
    for (_, ours), (_, theirs) in zip(t1.iterrows(), paper.TABLE1.iterrows(), strict=False):
        rows.append(
            {
                "Table 1 threshold": f"EBP > {ours['threshold']:g}",
                "candidates % (paper)": round(100 * theirs["share_of_candidates"], 2),
                "candidates % (jaxtrade)": round(100 * ours["share_of_candidates"], 2),
                "entries % (paper)": round(100 * theirs["share_of_entries"], 2),
                "entries % (jaxtrade)": round(100 * ours["share_of_entries"], 2),
                "entry prob. % (paper)": round(100 * theirs["implied_entry_probability"], 1),
                "entry prob. % (jaxtrade)": round(100 * ours["implied_entry_probability"], 1),
            }
        )
    rows.append(
        {"Table 1 threshold": "baseline", "candidates % (paper)": 100.0, "candidates % (jaxtrade)": 100.0,
         "entries % (paper)": 100.0, "entries % (jaxtrade)": 100.0,
         "entry prob. % (paper)": round(100 * paper.BASELINE, 1),
         "entry prob. % (jaxtrade)": round(100 * t1.attrs.get("baseline", np.nan), 1)}
    )  # fmt: skip
    df = pd.DataFrame(rows)
    df["gap, entry prob. (pp)"] = df["entry prob. % (jaxtrade)"] - df["entry prob. % (paper)"]
    df["status"] = "\u2014"
    return df


def table2_beside_paper(long: pd.DataFrame) -> pd.DataFrame:
    """Table 2 in the paper's layout: each coefficient (se) beside the paper's, with the gap of the coefficients."""
    rows: list[tuple] = []
    cells: list[tuple[str, str]] = []
    for name, theirs in paper.TABLE2.items():
        sub = long[long["column"] == name]
        for term in [t for t in theirs if t not in ("r2", "nobs")]:
            hit = sub[sub["term"] == term]
            label = f"{name}: {term.upper().replace('EBP_W', 'EBP^w')}"
            ours = float(hit["coef"].iloc[0]) if len(hit) else None
            rows.append((label, theirs[term][0], ours))
            mine = _coef_se(ours, float(hit["se"].iloc[0])) if ours is not None else "\u2014"
            cells.append((_coef_se(*theirs[term]), mine))
        r2 = float(sub["r2"].iloc[0]) if len(sub) else None
        rows.append((f"{name}: R2", theirs["r2"], r2))
        cells.append((f"{theirs['r2']:.4f}", f"{r2:.4f}" if r2 is not None else "\u2014"))
        n = int(sub["nobs"].iloc[0]) if len(sub) else None
        rows.append((f"{name}: N", theirs["nobs"], n))
        cells.append((f"{theirs['nobs']:,}", f"{n:,}" if n is not None else "\u2014"))
    df = comparison_frame(rows, None, columns=("Table 2 column: term", "paper", "jaxtrade (synthetic)"))
    df.insert(3, "paper, coef (se)", [c[0] for c in cells])
    df.insert(4, "jaxtrade, coef (se)", [c[1] for c in cells])
    return df


def footnote11_beside_paper(f11: pd.DataFrame) -> pd.DataFrame:
    """Footnote 11's two checks, coefficient (se) beside the paper's, with the gap of the coefficients."""
    rows: list[tuple] = []
    cells: list[tuple[str, str]] = []
    for name, (coef, se) in paper.FOOTNOTE11.items():
        hit = f11[f11["check"] == name]
        ours = float(hit["coef"].iloc[0]) if len(hit) else None
        rows.append((name, coef, ours))
        cells.append(
            (f"{coef:.4f} ({se:.5f})", f"{ours:.4f} ({float(hit['se'].iloc[0]):.5f})" if len(hit) else "\u2014")
        )
    df = comparison_frame(rows, None, columns=("footnote 11 check", "paper", "jaxtrade (synthetic)"))
    df.insert(3, "paper, coef (se)", [c[0] for c in cells])
    df.insert(4, "jaxtrade, coef (se)", [c[1] for c in cells])
    return df


def footnote10_table() -> pd.DataFrame:
    """Footnote 10: HS proximity of two HS4 pairs (n = 5), paper beside jaxtrade (a reproducible check)."""
    rows = [(f"{a} vs {b} (HS4, n = 5)", value, round(float(hs_similarity(a, b, 5, 4)), 4))
            for (a, b), value in paper.FOOTNOTE10.items()]  # fmt: skip
    return comparison_frame(rows, FOOTNOTE10_TOLERANCE, columns=("pair", "paper", "jaxtrade"))
