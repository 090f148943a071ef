"""The public functions of :mod:`jaxtrade.empirics.fixest`: ``feols``, ``fepois``, ``etable`` and two helpers.

Thin layers (pyfixest's ``estimation/api``): each parses its options once,
builds the estimator of :mod:`.models` and fits every dependent variable of
the formula. Fixed-effects regressions are the estimation of gravity
equations (Ara & Zhang 2020, eqs. 25-30) and of the linear probability model
of Heo & Kim (2025, eqs. 4 and 6).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
import pandas as pd

from jaxtrade.empirics.fixest.demean import DEFAULT_MAXITER, DEFAULT_TOL, demean
from jaxtrade.empirics.fixest.encode import shared_encodings
from jaxtrade.empirics.fixest.formula import parse_formula
from jaxtrade.empirics.fixest.models import (
    Feols,
    Fepois,
    FixestResult,
    check_category_columns,
    check_iterations,
    check_tolerance,
)
from jaxtrade.empirics.fixest.sample import build_sample
from jaxtrade.empirics.fixest.vcov import parse_vcov, resolve_ssc
from jaxtrade.empirics.literals import DemeanMethod, EtableType, FixefRm, check_literal
from jaxtrade.errors import finish

__all__ = ["etable", "feols", "fepois", "residualize", "shuffle_within"]


def feols(
    fml: str,
    data: pd.DataFrame,
    vcov: str | dict[str, str] = "iid",
    weights: str | None = None,
    *,
    ssc: dict | None = None,
    fixef_rm: FixefRm = "singleton",
    collin_tol: float = 1e-9,
    fixef_tol: float = DEFAULT_TOL,
    fixef_maxiter: int = DEFAULT_MAXITER,
    fixef_method: DemeanMethod = "auto",
    devices=None,
    throw: bool = True,
) -> FixestResult | list[FixestResult]:
    """OLS with high-dimensional fixed effects, with fixest/pyfixest formulas and conventions.

    ``y`` and ``X`` are demeaned by the fixed effects (weighted alternating
    projections, :func:`~jaxtrade.empirics.fixest.demean`), regressors
    collinear with others or with the fixed effects are dropped (fixest's
    Cholesky test on ``X'X`` of the demeaned X, standardised by each
    column's size so that it does not depend on units) with a warning naming them,
    then weighted least squares; the vcov follows :mod:`.vcov`.

    Parameters
    ----------
    fml : str
        ``"y ~ x1 + x2 | fe1 + fe2"``; ``a^b`` combined fixed effects,
        ``x1:x2`` products, ``log()``/``exp()``/``sqrt()`` of a column,
        ``y1 + y2 ~ ...`` several dependent variables.
    data : pandas.DataFrame
    vcov : ``"iid"`` (default), ``"hetero"``/``"HC1"``, ``{"CRV1": "cl"}`` or two-way ``{"CRV1": "cl1+cl2"}``.
    weights : str, optional
        Column of (analytic) weights, non-negative; rows of zero weight
        leave the sample (as fixest), so ``nobs``, the degrees of freedom
        and every vcov are those of the positive-weight rows.
    ssc : dict, optional
        Small-sample options as ``pyfixest.ssc()``: ``k_adj`` (True),
        ``k_fixef`` ("nonnested"), ``G_adj`` (True), ``G_df`` ("min").
    fixef_rm : ``"singleton"`` (default, as pyfixest) or ``"none"``.
    collin_tol : float
        Tolerance of the collinearity test on the standardised ``X'X`` of
        the demeaned X (columns divided by their root mean square before
        demeaning, centred with fixed effects).
    fixef_tol, fixef_maxiter :
        Demeaning tolerance (relative change of a sweep) and iteration cap.
    fixef_method : ``"auto"`` (default), ``"two_way"`` or ``"alternating"``
        Demeaning algorithm (see :func:`jaxtrade.empirics.fixest.demean`):
        with two fixed effects ``"auto"`` iterates on the coefficients
        through their sparse cross table, otherwise on the rows.
    devices : sequence of jax devices, optional
        Shard the rows over these devices for the demeaning
        (:func:`~jaxtrade.empirics.fixest.demean_sharded`, alternating
        projections with group sums combined across shards). The estimates
        equal the single-device ones up to summation order.
    throw : bool
        Raise when the demeaning does not converge (default). ``False``:
        return the result anyway; ``result.info.converged`` is False and
        ``result.info.reason`` says why.

    Returns
    -------
    FixestResult, or a list of them (one per dependent variable).

    Raises
    ------
    ValueError
        Unknown or duplicated column, empty sample, bad vcov, all regressors
        collinear, a cluster variable with a single group, a fixed-effect or
        cluster column mixing value types (5 and ``"5"``; one type per
        column, see docs/empirics/fixest.md), non-numeric,
        negative or all-zero weights, a tolerance that is not a finite
        positive number or an iteration cap below 1.
    jaxtrade.errors.ConvergenceError
        If the demeaning does not converge (``throw=True``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"firm": rng.integers(0, 20, 200), "x": rng.normal(size=200)})
    >>> df["y"] = 2.0 * df["x"] + 0.1 * df["firm"] + rng.normal(size=200)
    >>> res = feols("y ~ x | firm", df, vcov={"CRV1": "firm"})
    >>> res.coefnames, res.nobs, res.vcov_label
    (['x'], 200, 'CRV1: firm')
    >>> bool(abs(res.coef()["x"] - 2.0) < 3 * res.se()["x"])
    True
    """
    formula = parse_formula(fml)
    estimator = Feols(
        spec=parse_vcov(vcov), weights=weights, ssc=resolve_ssc(ssc), fixef_rm=fixef_rm, collin_tol=collin_tol,
        fixef_tol=fixef_tol, fixef_maxiter=fixef_maxiter, fixef_method=fixef_method, devices=devices, throw=throw,
    )  # fmt: skip
    with shared_encodings():  # several dependent variables share the fixed effects: each column encoded once
        results = [estimator.fit(formula, dep, data) for dep in formula.depvars]
    return results[0] if len(results) == 1 else results


def fepois(
    fml: str,
    data: pd.DataFrame,
    vcov: str | dict[str, str] = "iid",
    weights: str | None = None,
    *,
    ssc: dict | None = None,
    fixef_rm: FixefRm = "singleton",
    iwls_tol: float = 1e-8,
    iwls_maxiter: int = 25,
    collin_tol: float = 1e-9,
    separation_check: bool | str | Sequence[str] = True,
    fixef_tol: float = DEFAULT_TOL,
    fixef_maxiter: int = DEFAULT_MAXITER,
    warm_start: bool = True,
    adaptive_tol: bool = True,
    throw: bool = True,
) -> FixestResult | list[FixestResult]:
    """Poisson regression (PPML) with high-dimensional fixed effects, as pyfixest/ppmlhdfe.

    Iteratively reweighted least squares (Correia, Guimaraes & Zylkin 2020),
    step for step as ``pyfixest.fepois``: start ``mu = (y + mean(y)) / 2``;
    each iteration demeans the working response ``z = eta + y / mu - 1`` and
    X with weights ``w mu``, solves the weighted least squares and sets
    ``eta = z - resid``; stop when the deviance changes by less than
    ``iwls_tol`` relative to ``0.1 + |deviance|`` (fixest's criterion).
    Step-halving (up to 20 times, as fixest) when the weighted deviance is
    not finite or, after the first iteration, rises; plain steps that lower
    it are never changed, so results equal pyfixest's. Separated
    observations are removed first, as ppmlhdfe: those in fixed-effect
    levels whose outcome is zero throughout (the "fe" check), then those
    separated by the regressors and fixed effects together, e.g. where a
    regressor is positive only for zero outcomes (the "ir" check, the
    iterative rectifier of Correia, Guimarães & Zylkin 2019); a warning gives
    the counts, ``result.n_separation`` the total and ``result.separation``
    the details. Inference uses the normal distribution.

    Parameters
    ----------
    fml : str
        ``"y ~ x1 + x2 | fe1 + fe2"`` (see :func:`feols` for the syntax).
    data : pandas.DataFrame
    vcov : ``"iid"``, ``"hetero"``, ``{"CRV1": "cl"}`` or ``{"CRV1": "cl1+cl2"}``.
    weights : str, optional
        Column of observation weights (zero-weight rows leave the sample, see :func:`feols`).
    ssc : dict, optional
        Small-sample options (see :func:`feols`).
    fixef_rm : ``"singleton"`` (default) or ``"none"``.
    iwls_tol, iwls_maxiter : IRLS deviance tolerance and iteration cap (pyfixest: 1e-8, 25).
    collin_tol : collinearity tolerance.
    separation_check : ``True`` (default: ``["fe", "ir"]``, as ppmlhdfe), ``False``, or a list of
        ``"fe"`` (fixed-effect levels with only zero outcomes) and ``"ir"`` (separation by the
        regressors and fixed effects, iterative rectifier), pyfixest's names.
    fixef_tol, fixef_maxiter : demeaning tolerance and iteration cap.
    warm_start : start each IRLS iteration's demeaning from the previous
        iteration's fixed-effect coefficients (same projection, fewer sweeps).
    adaptive_tol : demean loosely in the early IRLS iterations (after the
        first, which decides collinearity) and tighten with the deviance
        change (ppmlhdfe); an iteration that meets
        ``iwls_tol`` with a loose demeaning is redone at ``fixef_tol``, so
        the returned fit is always demeaned to ``fixef_tol``.
    throw : bool
        Raise when IRLS or a demeaning does not converge (default).
        ``False``: return the last iterate; ``result.info`` is the IRLS
        verdict folded with every demeaning's (``info.reason`` says why).

    Returns
    -------
    FixestResult, or a list of them (one per dependent variable).

    Raises
    ------
    ValueError
        Negative or all-zero outcome, unknown or duplicated column, empty
        sample, bad vcov, bad weights, tolerances or iteration caps (see
        :func:`feols`).
    jaxtrade.errors.ConvergenceError
        If IRLS or the demeaning does not converge (``throw=True``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"dest": rng.integers(0, 10, 300), "x": rng.normal(size=300)})
    >>> df["trade"] = rng.poisson(np.exp(0.5 * df["x"] + 0.1 * df["dest"])).astype(float)
    >>> res = fepois("trade ~ x | dest", df, vcov="hetero")
    >>> res.coefnames, res.converged
    (['x'], True)
    >>> bool(abs(res.coef()["x"] - 0.5) < 3 * res.se()["x"])
    True
    """
    formula = parse_formula(fml)
    estimator = Fepois(
        spec=parse_vcov(vcov), weights=weights, ssc=resolve_ssc(ssc), fixef_rm=fixef_rm, collin_tol=collin_tol,
        fixef_tol=fixef_tol, fixef_maxiter=fixef_maxiter, throw=throw, iwls_tol=iwls_tol, iwls_maxiter=iwls_maxiter,
        separation_check=separation_check, warm_start=warm_start, adaptive_tol=adaptive_tol,
    )  # fmt: skip
    with shared_encodings():  # several dependent variables share the fixed effects: each column encoded once
        results = [estimator.fit(formula, dep, data) for dep in formula.depvars]
    return results[0] if len(results) == 1 else results


def _stars(p: float) -> str:
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else "." if p < 0.1 else ""


def etable(*results, digits: int = 3, type: EtableType = "df", signif: bool = True):
    """Lay several results side by side, as fixest's ``etable``.

    Parameters
    ----------
    *results : FixestResult, or lists of them.
    digits : decimals of estimates and standard errors.
    type : ``"df"`` (pandas DataFrame) or ``"md"`` (markdown string).
    signif : append significance stars.

    Returns
    -------
    pandas.DataFrame or str
        Rows: each coefficient (estimate, then standard error in
        parentheses), the fixed effects, the inference, observations and fit
        statistics; one column per model.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"g": rng.integers(0, 5, 100), "x": rng.normal(size=100)})
    >>> df["y"] = df["x"] + rng.normal(size=100)
    >>> table = etable(feols("y ~ x", df), feols("y ~ x | g", df))
    >>> list(table.columns), table.loc["FE: g"].tolist()
    (['(1)', '(2)'], ['-', 'x'])
    """
    models: list[FixestResult] = []
    for r in results:
        models.extend(r if isinstance(r, (list, tuple)) else [r])
    if not models:
        raise ValueError("etable needs at least one result")
    check_literal("etable type", type, EtableType)
    coefnames = list(dict.fromkeys(n for m in models for n in m.coefnames))
    fixefs = list(dict.fromkeys(f for m in models for f in m.fixef))
    columns = [f"({i + 1})" for i in range(len(models))]
    rows: dict[str, list[str]] = {"Dep. var.": [m.depvar for m in models]}
    for name in coefnames:
        est_row, se_row = [], []
        for m in models:
            if name in m.coefnames:
                j = m.coefnames.index(name)
                p = m.pvalue().iloc[j]
                est_row.append(f"{m.beta[j]:.{digits}f}" + (_stars(p) if signif else ""))
                se_row.append(f"({np.sqrt(m.vcov_matrix[j, j]):.{digits}f})")
            else:
                est_row.append("")
                se_row.append("")
        rows[name] = est_row
        rows[f"{name} (se)"] = se_row
    for f in fixefs:
        rows[f"FE: {f}"] = ["x" if f in m.fixef else "-" for m in models]
    rows["Inference"] = [m.vcov_label for m in models]
    rows["Observations"] = [f"{m.nobs:,}" for m in models]
    rows["R2"] = [f"{m.r2:.{digits + 2}f}" if m.r2 is not None else "" for m in models]
    rows["R2 Within"] = [f"{m.r2_within:.{digits + 2}f}" if m.r2_within is not None else "" for m in models]
    if any(m.method == "fepois" for m in models):
        rows["Deviance"] = [f"{m.deviance:.{digits}f}" if m.deviance is not None else "" for m in models]
    table = pd.DataFrame(rows, index=columns).T
    if type == "df":
        return table
    header = "| | " + " | ".join(columns) + " |"
    sep = "|---|" + "---|" * len(columns)
    body = []
    for idx, row in table.iterrows():
        label = "" if idx.endswith(" (se)") else idx
        body.append(f"| {label} | " + " | ".join(row.tolist()) + " |")
    footer = "Significance: *** 0.001, ** 0.01, * 0.05, . 0.1" if signif else ""
    return "\n".join([header, sep, *body]) + ("\n\n" + footer if footer else "")


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
    regression of y on x, the controls and the fixed effects (Heo & Kim
    2025, footnote 11: EBP orthogonalised on HSP, IOP and the effects).

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

    Raises
    ------
    jaxtrade.errors.ConvergenceError
        If the demeaning does not converge.

    Examples
    --------
    >>> df = pd.DataFrame({"g": [0, 0, 1, 1], "x": [1.0, 3.0, 2.0, 6.0]})
    >>> residualize(df, "x", fixef="g").tolist()
    [-1.0, 1.0, -2.0, 2.0]
    """
    check_tolerance("fixef_tol", fixef_tol)
    fixef_maxiter = check_iterations("fixef_maxiter", fixef_maxiter)
    controls = _as_list(controls)
    fixef = _as_list(fixef)
    fe_text = " + ".join(fixef)
    rhs = " + ".join(controls) if controls else "1"
    fml = f"{var} ~ {rhs}" + (f" | {fe_text}" if fe_text else "")
    parse_formula(fml)  # clear errors before any work
    if not controls and fe_text:
        # no slope to estimate: demean the variable by the fixed effects directly
        formula = parse_formula(f"{var} ~ 0 + {var} | {fe_text}")
        check_category_columns(formula, data, parse_vcov("iid"))
        sample = build_sample(
            formula, formula.depvars[0], data, weights=weights, vcov_spec=parse_vcov("iid"), fixef_rm="none"
        )
        sol = demean(
            sample.y, sample.fe_codes, sample.weights, n_groups=sample.n_groups, tol=fixef_tol,
            maxiter=fixef_maxiter, throw=False,
        )  # fmt: skip
        finish(sol, throw=True, what="residualize demeaning", tol=fixef_tol)
        values = np.asarray(sol.value)
        index = data.index.to_numpy()[sample.rows]
    else:
        res = feols(fml, data, weights=weights, fixef_rm="none", fixef_tol=fixef_tol, fixef_maxiter=fixef_maxiter)
        res = cast(FixestResult, res)  # one dependent variable
        values, index = res.resid(), res.sample_index
    series = pd.Series(np.nan, index=data.index, name=f"{var}_resid")
    series.loc[index] = values
    return series


def shuffle_within(
    data: pd.DataFrame, col: str, by: str | Sequence[str] | None = None, seed: int | None = 0
) -> pd.DataFrame:
    """Copy of ``data`` with ``col`` randomly permuted within groups of ``by`` (placebo).

    Heo & Kim (2025, footnote 11) shuffle EBP within destination-year cells.

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

    Examples
    --------
    >>> df = pd.DataFrame({"g": [0, 0, 0, 1, 1], "x": [1, 2, 3, 10, 20]})
    >>> out = shuffle_within(df, "x", by="g", seed=0)
    >>> sorted(out["x"][:3]), sorted(out["x"][3:])
    ([1, 2, 3], [10, 20])
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
