"""Helpers for fixed-effects empirical work: FWL residualisation and within-group placebo shuffles."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from jaxtrade.errors import finish

from .demean import DEFAULT_MAXITER, DEFAULT_TOL
from .feols import feols
from .formula import parse_formula


def _as_list(x) -> list[str]:
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    return list(x)


def residualize(
    data: pd.DataFrame,
    var: str,
    controls: str | Sequence[str] | None = None,
    fixef: str | Sequence[str] | None = None,
    weights: str | None = None,
    *,
    fixef_tol: float = DEFAULT_TOL,
    fixef_maxiter: int = DEFAULT_MAXITER,
) -> pd.Series:
    """Residual of ``var`` on controls and fixed effects (Frisch-Waugh-Lovell).

    Regressing y on the residualised x gives the same slope as the full
    regression of y on x, the controls and the fixed effects.

    Parameters
    ----------
    data : pandas.DataFrame
    var : column (or term such as ``log(x)``) to residualise.
    controls : column name(s)/terms partialled out linearly.
    fixef : fixed effect(s), ``"fe1"``, ``["fe1", "fe2^fe3"]`` or ``"fe1 + fe2"``.
    weights : optional weights column.
    fixef_tol, fixef_maxiter : demeaning options.

    Returns
    -------
    pandas.Series
        Residuals aligned on ``data.index``; NaN on rows dropped for missing
        values. Singletons are kept (their residual is 0).
    """
    controls = _as_list(controls)
    fixef = _as_list(fixef)
    fe_text = " + ".join(fixef)
    if controls:
        rhs = " + ".join(controls)
    else:
        rhs = "1"
    fml = f"{var} ~ {rhs}" + (f" | {fe_text}" if fe_text else "")
    parse_formula(fml)  # clear errors before any work
    if not controls and fe_text:
        # no slope to estimate: demean the variable by the fixed effects directly
        from .demean import demean
        from .feols import build_sample
        from .vcov import parse_vcov

        formula = parse_formula(f"{var} ~ 0 + {var} | {fe_text}")
        sample = build_sample(
            formula, formula.depvars[0], data, weights=weights, vcov_spec=parse_vcov("iid"), fixef_rm="none"
        )
        out, info = demean(
            sample.y, sample.fe_codes, sample.weights, n_groups=sample.n_groups, tol=fixef_tol,
            maxiter=fixef_maxiter,
        )
        finish(info, throw=True, what="residualize demeaning", tol=fixef_tol)
        values = np.asarray(out)
        index = data.index.to_numpy()[sample.rows]
    else:
        res = feols(fml, data, weights=weights, fixef_rm="none", fixef_tol=fixef_tol, fixef_maxiter=fixef_maxiter)
        values, index = res.resid(), res.sample_index
    series = pd.Series(np.nan, index=data.index, name=f"{var}_resid")
    series.loc[index] = values
    return series


def shuffle_within(
    data: pd.DataFrame, col: str, by: str | Sequence[str] | None = None, seed: int | None = 0
) -> pd.DataFrame:
    """Copy of ``data`` with ``col`` randomly permuted within groups of ``by`` (placebo).

    Parameters
    ----------
    data : pandas.DataFrame
    col : column to shuffle.
    by : grouping column(s); None shuffles over the whole sample. Missing
        group values form their own group.
    seed : seed of ``numpy.random.default_rng``; the same seed gives the
        same permutation.

    Returns
    -------
    pandas.DataFrame
        A copy; each group keeps its multiset of ``col`` values.
    """
    by = _as_list(by)
    for c in [col, *by]:
        if c not in data.columns:
            raise ValueError(f"column {c!r} is not in the data")
    rng = np.random.default_rng(seed)
    n = len(data)
    if by:
        codes = data.groupby(by, sort=False, dropna=False).ngroup().to_numpy()
    else:
        codes = np.zeros(n, dtype=np.int64)
    keys = rng.random(n)
    random_order = np.lexsort((keys, codes))
    group_order = np.argsort(codes, kind="stable")
    values = data[col].to_numpy()
    shuffled = values.copy()
    shuffled[group_order] = values[random_order]
    out = data.copy()
    out[col] = shuffled
    return out
