"""Gravity regressions with extensive/intensive margin decompositions (Ara & Zhang 2020, section 3).

Import values are decomposed as in eq. (23),

    R_pct = M_pct x rbar_pct,

total imports of product p from country c in year t = number of importing
firms x average imports per importing firm. Because OLS is linear and
ln R = ln M + ln rbar, the coefficients of the three regressions (25)-(30)
on ln R, ln M and ln rbar add up exactly: the extensive and intensive margins
decompose the total elasticity.

:func:`margin_decomposition` builds (R, M, rbar) from firm-level flows;
:func:`gravity_margins` runs the three regressions of one specification with
:func:`jaxtrade.empirics.fixest.feols` and returns them with a side-by-side
table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from jaxtrade.empirics.categories import check_single_kind
from jaxtrade.empirics.fixest import etable, feols

MARGINS = ("R", "M", "rbar")


def margin_decomposition(
    flows: pd.DataFrame,
    keys=("product", "country", "year"),
    *,
    firm: str = "firm",
    value: str = "value",
) -> pd.DataFrame:
    """Eq. (23): R (total value), M (number of firms with positive value) and rbar = R / M per cell.

    Parameters
    ----------
    flows:
        Firm-level rows with the ``keys`` columns, a ``firm`` identifier and
        a ``value`` column (> 0; rows with value 0 do not count as firms).
    keys:
        Columns defining a cell (product, country, year by default).

    Raises ``ValueError`` for missing columns, negative, NaN or boolean values,
    a key or firm column mixing numbers and strings (5 and ``"5"`` would be two
    firms; :func:`~jaxtrade.empirics.categories.check_single_kind`), or
    duplicate (keys, firm) rows; the input is not modified.

    Examples
    --------
    >>> flows = pd.DataFrame({"product": [1, 1, 1], "country": ["DE", "DE", "FR"], "year": [2000] * 3,
    ...                       "firm": [1, 2, 1], "value": [3.0, 1.0, 2.0]})
    >>> margin_decomposition(flows)[["country", "R", "M", "rbar"]].to_numpy().tolist()
    [['DE', 4.0, 2, 2.0], ['FR', 2.0, 1, 2.0]]
    """
    keys = list(keys)
    missing = [c for c in keys + [firm, value] if c not in flows.columns]
    if missing:
        raise ValueError(f"margin_decomposition: missing column(s) {missing}; have {list(flows.columns)}")
    for col in keys + [firm]:  # 5 and "5" must not be two firms (or cells): one type per column
        check_single_kind(flows[col], col, noun="firms" if col == firm else "cells")
    if pd.api.types.is_bool_dtype(flows[value].dtype):
        raise ValueError(f"margin_decomposition: column {value!r} must hold trade values (numbers), got booleans")
    v = flows[value].to_numpy(dtype=float)
    if np.isnan(v).any():
        raise ValueError(f"margin_decomposition: column {value!r} has {int(np.isnan(v).sum())} NaN value(s)")
    if (v < 0).any():
        raise ValueError(
            f"margin_decomposition: column {value!r} has {int((v < 0).sum())} negative value(s); "
            "trade values must be >= 0"
        )
    dup = flows.duplicated(subset=keys + [firm])
    if dup.any():
        raise ValueError(
            f"margin_decomposition: {int(dup.sum())} duplicate ({', '.join(keys + [firm])}) row(s); "
            "aggregate them first"
        )
    positive = flows.loc[v > 0, keys + [value]]
    out = positive.groupby(keys, sort=True, observed=True)[value].agg(R="sum", M="size").reset_index()
    out["rbar"] = out["R"] / out["M"]
    return out


def gravity_margins(
    panel: pd.DataFrame,
    rhs: str,
    fixef: str | None = None,
    *,
    vcov="iid",
    margins=MARGINS,
):
    """Run ``log(Z) ~ rhs | fixef`` for Z in ``margins`` (eqs. 25-30 of Ara & Zhang).

    Parameters
    ----------
    panel:
        One row per cell with columns R, M, rbar (see :func:`margin_decomposition`)
        and the regressors. Cells with Z <= 0 are dropped by ``feols``
        (log of zero), and the count is on each result.
    rhs:
        Right-hand side in fixest syntax, e.g. ``"log(dist) + log(tariff)"``.
    fixef:
        Fixed effects, e.g. ``"product + year"`` or ``"product^year + country^year"``.
    vcov:
        As :func:`~jaxtrade.empirics.fixest.feols` (the paper clusters by product).

    Returns
    -------
    (results, table): a dict margin -> FixestResult and the ``etable``.

    Examples
    --------
    The three slopes add up: ``ln R = ln M + ln rbar`` and OLS is linear.

    >>> rng = np.random.default_rng(0)
    >>> cells = pd.DataFrame({"product": np.repeat(np.arange(5), 8), "dist": rng.uniform(1, 10, 40)})
    >>> cells["M"] = np.ceil(50 * cells["dist"] ** -0.8 * rng.uniform(0.5, 1.5, 40))
    >>> cells["rbar"] = 3.0 * cells["dist"] ** -0.3 * rng.lognormal(0, 0.1, 40)
    >>> cells["R"] = cells["M"] * cells["rbar"]
    >>> res, table = gravity_margins(cells, "log(dist)", "product")
    >>> b = {z: float(r.coef()["log(dist)"]) for z, r in res.items()}
    >>> bool(abs(b["R"] - b["M"] - b["rbar"]) < 1e-12), list(table.columns)
    (True, ['(1)', '(2)', '(3)'])
    """
    results = {}
    for z in margins:
        if z not in panel.columns:
            raise ValueError(f"gravity_margins: column {z!r} not in the panel (have {list(panel.columns)})")
        fml = f"log({z}) ~ {rhs}" + (f" | {fixef}" if fixef else "")
        results[z] = feols(fml, panel, vcov=vcov)
    return results, etable(*results.values())
