"""Tables of the Heo & Kim (2025) model replication, beside the paper with gaps and tolerance marks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from jaxtrade.models import multiproduct as mp
from jaxtrade.reporting import Tolerance, comparison_frame

from . import paper

__all__ = ["TABLE5_TOLERANCE", "dynamics_table", "facts_table", "summary_dict", "table5"]

#: Table 5 moments (shares, printed with two decimals): within 0.02
TABLE5_TOLERANCE = Tolerance(abs=0.02)
#: figure readings: productivity thresholds within 0.5 sd, shares within 0.05
FIGURE_TOLERANCE = {"sd": Tolerance(abs=0.5), "share": Tolerance(abs=0.05)}


def table5(name: str, eq) -> pd.DataFrame:
    """Table 5: the paper's model column for ``name`` beside jaxtrade's moments (data column alongside)."""
    m = mp.table5_moments(eq)
    rows = [(mp.TABLE5_LABELS[k], paper.TABLE5_MODEL[name][k], float(m[k])) for k in mp.TABLE5_NAMES]
    df = comparison_frame(rows, TABLE5_TOLERANCE, columns=("moment", f"paper {name} (Table 5)", "jaxtrade"))
    df.insert(1, "data (Table 5)", [paper.TABLE5_DATA[k] for k in mp.TABLE5_NAMES])
    return df


def facts_table(name: str, p, eq) -> pd.DataFrame:
    """Other facts the paper states: export costs over export profits, gamma_E; the GE residual for reference."""
    x = mp.extra_moments(p, eq)
    rows = [
        ("export costs / export profits (section 4)", paper.EXPORT_COST_SHARE[name], float(x["export_cost_share"]),
         Tolerance(abs=0.05)),
        ("gamma_E (entrant mass normalized to 1), Table 3", paper.GAMMA_E, float(eq.gamma_E), Tolerance(abs=0.02)),
        ("max |GE residual|", None, max(abs(float(v)) for v in eq.residuals.values())),
    ]  # fmt: skip
    return comparison_frame(rows, TABLE5_TOLERANCE)


def dynamics_table(name: str, d: dict) -> pd.DataFrame:
    """Figures 4-6 quantities beside the paper's readings (sd of normalized productivity; shares)."""
    i = int(d["figure_portfolio"])
    read = paper.FIGURE_READINGS[name]
    surv, inten = d["new_exporter_survival"], d["new_exporter_export_intensity"]
    sd, share = FIGURE_TOLERANCE["sd"], FIGURE_TOLERANCE["share"]
    rows = [
        (f"Figure 4: z_add, portfolio {i} (sd)", read["z_add"], float(d["z_add_std"][i]), sd),
        (f"Figure 4: z_drop, portfolio {i} (sd)", read["z_drop"], float(d["z_drop_std"][i]), sd),
        ("Figure 5: z_HP (sd)", read["z_hp"], float(d["z_hp_std"]), sd),
        ("Figure 5: z_LP (sd)", read["z_lp"], float(d["z_lp_std"]), sd),
        ("Figure 6: new-exporter survival, year 0", read["survival_0"], float(surv[0]), share),
        ("Figure 6: new-exporter survival, year 6", read["survival_6"], float(surv[min(6, len(surv) - 1)]), share),
        ("Figure 6: export intensity, year 0", read["intensity_0"], float(inten[0]), share),
        ("Figure 6: export intensity, year 8", read["intensity_8"], float(inten[min(8, len(inten) - 1)]), share),
    ]
    return comparison_frame(rows, sd, columns=("quantity", "paper (figure reading)", "jaxtrade"))


def _json_ready(v):
    """Array -> nested lists / scalars with NaN as None (strict JSON)."""
    a = np.asarray(v)
    if a.dtype.kind == "f":
        return np.where(np.isfinite(a), a, None).tolist() if a.ndim else (float(a) if np.isfinite(a) else None)
    return a.tolist()


def summary_dict(name: str, p, eq) -> dict:
    """JSON-ready summary of a solved preset: moments, extra facts, section-5 quantities, prices, residuals."""
    m = {k: float(v) for k, v in mp.table5_moments(eq).items()}
    x = mp.extra_moments(p, eq)
    dyn = mp.dynamics_summary(p, eq)
    return {
        "preset": name,
        "moments": m,
        "paper": {"table5_data": paper.TABLE5_DATA, "table5_model": paper.TABLE5_MODEL.get(name)},
        "extra": {**{k: np.asarray(v).tolist() for k, v in x.items()}, **{k: _json_ready(v) for k, v in dyn.items()}},
        "prices": {k: float(getattr(eq, k)) for k in ("W", "R", "D", "c", "A")},
        "quantities": {k: float(getattr(eq, k)) for k in ("K", "M", "C", "N_E", "gamma_E", "N", "T", "L_prod", "F")},
        "residuals": {k: float(eq.residuals[k]) for k in mp.RESIDUAL_NAMES},
        "converged": bool(eq.info.converged),
        "ge_iterations": int(eq.info.iterations),
    }
