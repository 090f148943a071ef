"""OLS with high-dimensional fixed effects (``feols``), mirroring fixest/pyfixest.

Pipeline, as pyfixest:

1. parse the formula, evaluate the columns (float64);
2. drop rows with NaN/inf in any used column (dependent variable,
   regressors, fixed effects, weights, cluster variables) and count them;
3. with ``fixef_rm="singleton"`` (pyfixest's default) drop, iteratively,
   observations alone in a fixed-effect level;
4. demean y and X by the fixed effects (weighted alternating projections,
   :mod:`.demean`);
5. drop regressors collinear with others or with the fixed effects
   (fixest's Cholesky test on ``X'X`` of the demeaned X, tolerance
   ``collin_tol``) with a warning naming them;
6. weighted least squares on the demeaned data, vcov by :mod:`.vcov`.
"""

from __future__ import annotations

import dataclasses
import functools
import warnings

from jaxtrade import _config  # noqa: F401

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from jaxtrade.errors import finish

from .demean import DEFAULT_MAXITER, DEFAULT_TOL, demean, demean_sharded
from .formula import (
    Formula,
    Term,
    check_columns,
    encode_fixed_effect,
    evaluate_term,
    fixed_effect_missing,
    parse_formula,
)
from .results import FixestResult
from .vcov import VcovSpec, compute_vcov, parse_vcov, resolve_ssc


# --------------------------------------------------------------------------- sample
@dataclasses.dataclass
class Sample:
    """The estimation sample of one model after all row drops.

    Attributes
    ----------
    yx : (N, 1 + k) float64, C-contiguous: the dependent variable then the
        regressors, built once (the array the demeaning takes, no stacking copy).
    y : (N,) dependent variable (a view of ``yx``).
    X : (N, k) regressors (a view of ``yx``; an ``Intercept`` column when
        there are no fixed effects).
    coefnames : names of the columns of X.
    weights : (N,) observation weights (ones if none).
    fe_codes : dense int32 codes per fixed effect.
    fe_names : fixed-effect names.
    rows : (N,) positions of the sample rows in the input data.
    n_dropped : rows dropped for NaN/inf.
    n_singletons : rows dropped as singletons.
    """

    yx: np.ndarray
    coefnames: list[str]
    weights: np.ndarray
    has_weights: bool
    fe_codes: list[np.ndarray]
    fe_names: list[str]
    rows: np.ndarray
    n_dropped: int
    n_singletons: int

    @property
    def y(self) -> np.ndarray:
        return self.yx[:, 0]

    @property
    def X(self) -> np.ndarray:
        return self.yx[:, 1:]

    @property
    def n_groups(self) -> tuple[int, ...]:
        return tuple(int(c.max()) + 1 for c in self.fe_codes)

    def subset(self, keep: np.ndarray) -> "Sample":
        """Keep rows where ``keep`` is True and re-encode the fixed effects densely."""
        fe = [pd.factorize(c[keep])[0].astype(np.int32) for c in self.fe_codes]
        return dataclasses.replace(
            self,
            yx=self.yx[keep],
            weights=self.weights[keep],
            fe_codes=fe,
            rows=self.rows[keep],
        )

    def without_design(self) -> "Sample":
        """The same sample keeping only ``y`` (own copy), so the (N, k) design can be freed.

        What a fitted result keeps for ``result.vcov(...)``, which needs the
        rows, fixed-effect codes and N but not the regressors.
        """
        return dataclasses.replace(self, yx=np.array(self.yx[:, :1]))


def singleton_mask(fe_codes: list[np.ndarray]) -> np.ndarray:
    """Rows that are (iteratively) alone in a level of some fixed effect.

    Dropping a singleton can create new singletons in another fixed effect;
    the loop repeats until none is left, as fixest and pyfixest do.
    """
    n = len(fe_codes[0])
    keep = np.ones(n, dtype=bool)
    changed = True
    while changed:
        changed = False
        for codes in fe_codes:
            counts = np.bincount(codes[keep], minlength=int(codes.max()) + 1)
            single = keep & (counts[codes] == 1)
            if single.any():
                keep &= ~single
                changed = True
    return ~keep


def build_sample(
    formula: Formula,
    depvar: Term,
    data: pd.DataFrame,
    *,
    weights: str | None,
    vcov_spec: VcovSpec,
    fixef_rm: str,
) -> Sample:
    """Evaluate the model's columns on ``data`` and apply the row drops.

    Raises
    ------
    ValueError
        Unknown column, non-numeric regressor, negative weights, bad
        ``fixef_rm``, or an empty sample after dropping.
    """
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if fixef_rm not in ("none", "singleton"):
        raise ValueError(f"fixef_rm must be 'none' or 'singleton', got {fixef_rm!r}")
    cluster_cols = [c for cl in vcov_spec.cluster for c in cl]
    check_columns(formula, data, {"weights": weights, **{f"cluster ({c})": c for c in cluster_cols}})

    n_total = len(data)
    names = (["Intercept"] if formula.intercept else []) + [term.name for term in formula.regressors]
    if not names:
        raise ValueError(f"formula {formula.text!r} has no regressors to estimate")
    # one (N, 1 + k) float64 array, filled column by column (no list of columns, no stacking copy)
    yx = np.empty((n_total, 1 + len(names)))
    yx[:, 0] = evaluate_term(depvar, data)
    col = 1
    if formula.intercept:
        yx[:, col] = 1.0
        col += 1
    for term in formula.regressors:
        yx[:, col] = evaluate_term(term, data)
        col += 1

    keep = np.all(np.isfinite(yx), axis=1)
    for fe in formula.fixed_effects:
        keep &= ~fixed_effect_missing(fe, data)
    for col in cluster_cols:
        keep &= ~data[col].isna().to_numpy()
    if weights is not None:
        w = pd.to_numeric(data[weights], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        keep &= np.isfinite(w)
        if np.any(w[keep] < 0):
            raise ValueError(f"weights column {weights!r} must be non-negative")
    else:
        w = None
    n_kept = int(keep.sum())
    n_dropped = int(n_total - n_kept)
    if not n_kept:
        raise ValueError(
            f"empty sample: all {n_total} rows have NaN/inf in a column used by {formula.text!r}"
        )
    if n_kept == n_total:
        rows = np.arange(n_total)
    else:
        rows = np.flatnonzero(keep)
        yx = yx[rows]
        w = None if w is None else w[rows]
    del keep
    fe_codes = [encode_fixed_effect(fe, data, rows) for fe in formula.fixed_effects]
    sample = Sample(
        yx=yx,
        coefnames=names,
        weights=np.ones(len(rows)) if w is None else w,
        has_weights=weights is not None,
        fe_codes=fe_codes,
        fe_names=formula.fe_names,
        rows=rows,
        n_dropped=n_dropped,
        n_singletons=0,
    )
    if fe_codes and fixef_rm == "singleton":
        single = singleton_mask(fe_codes)
        if single.any():
            n_single = int(single.sum())
            if n_single == len(single):
                raise ValueError(
                    f"empty sample: all {len(single)} observations are fixed-effect singletons"
                )
            warnings.warn(f"{n_single} singleton fixed effect(s) dropped from the model.", stacklevel=3)
            sample = sample.subset(~single)
            sample.n_singletons = n_single
    return sample


def cluster_codes_for(
    spec: VcovSpec, data: pd.DataFrame, rows: np.ndarray, known: dict | None = None
) -> tuple[list, list]:
    """Integer codes of each cluster variable on the sample rows.

    ``known`` maps names (``a^b``) to codes already computed on the same
    rows (the fixed effects), which are reused instead of re-encoding.
    """
    if spec.kind != "CRV1":
        return [], []
    codes, names = [], []
    for cl in spec.cluster:
        name = "^".join(cl)
        if known and name in known:
            codes.append(known[name])
            names.append(name)
            continue
        for col in cl:
            if col not in data.columns:
                raise ValueError(f"cluster column {col!r} is not in the data")
            if data[col].isna().to_numpy()[rows].any():
                raise ValueError(f"cluster column {col!r} has missing values in the estimation sample")
        codes.append(encode_fixed_effect(cl, data, rows))
        names.append("^".join(cl))
    return codes, names


# --------------------------------------------------------------------------- collinearity
def find_collinear(xtx: np.ndarray, tol: float) -> np.ndarray:
    """Flag columns collinear with earlier ones (fixest's pivot-free Cholesky test).

    Parameters
    ----------
    xtx : (k, k) cross-product ``X'X``.
    tol : a column is dropped when its squared Cholesky pivot is below ``tol``.

    Returns
    -------
    (k,) bool array, True for dropped columns.
    """
    k = xtx.shape[0]
    R = np.zeros((k, k))
    excluded = np.zeros(k, dtype=bool)
    for j in range(k):
        r_jj = xtx[j, j] - sum(R[i, j] ** 2 for i in range(j) if not excluded[i])
        if r_jj < tol:
            excluded[j] = True
            continue
        r_jj = np.sqrt(r_jj)
        R[j, j] = r_jj
        for i2 in range(j + 1, k):
            value = xtx[i2, j] - sum(R[i, i2] * R[i, j] for i in range(j) if not excluded[i])
            R[j, i2] = value / r_jj
    return excluded


def collinear_columns(xtx: np.ndarray, names: list[str], tol: float) -> tuple[np.ndarray, list[str], list[str]]:
    """Collinear columns from the cross-product ``X'X`` (:func:`find_collinear`), warning with their names.

    Returns the (k,) excluded flags, the kept names and the dropped names.

    Raises
    ------
    ValueError
        If every regressor is collinear.
    """
    excluded = find_collinear(np.asarray(xtx), tol)
    if excluded.all():
        raise ValueError(f"all regressors {names} are collinear (with each other or the fixed effects)")
    dropped = [n for n, e in zip(names, excluded) if e]
    if dropped:
        warnings.warn(
            f"{len(dropped)} variable(s) dropped because of collinearity: {dropped}", stacklevel=3
        )
    kept_names = [n for n, e in zip(names, excluded) if not e]
    return excluded, kept_names, dropped


def drop_collinear(X: np.ndarray, names: list[str], tol: float) -> tuple[np.ndarray, list[str], list[str]]:
    """Remove collinear columns of ``X``, warning with their names."""
    xtx = np.asarray(jnp.asarray(X).T @ jnp.asarray(X))
    excluded, kept_names, dropped = collinear_columns(xtx, names, tol)
    return X[:, ~excluded], kept_names, dropped


@jax.jit
def _gram(d, w):
    """``D'D`` and ``D'WD`` of the demeaned ``D = [y, X]`` (one pass each, no column copies)."""
    g = d.T @ d
    return g, (g if w is None else (d * w[:, None]).T @ d)


@functools.partial(jax.jit, static_argnames=("kept",))
def _residuals_scores(d, w, coef, kept):
    """Residuals ``y - X beta``, scores ``x_i w_i u_i`` and ``sum w u^2`` from ``D = [y, X]``.

    ``coef`` has a zero for each collinear column; ``kept`` (static) lists the
    columns of X that are kept, or None for all of them.
    """
    resid = d @ jnp.concatenate([jnp.ones(1, d.dtype), -coef])
    wu = resid if w is None else w * resid
    X = d[:, 1:] if kept is None else d[:, jnp.asarray(kept) + 1]
    return resid, X * wu[:, None], jnp.sum(resid * wu)


# --------------------------------------------------------------------------- assembly
def make_vcov(
    spec: VcovSpec,
    *,
    data: pd.DataFrame,
    sample: Sample,
    bread: np.ndarray,
    scores: np.ndarray,
    ssr: float,
    k: int,
    ssc: dict,
    is_poisson: bool,
    n_fe_for_dof: int | None = None,
):
    """Compute the vcov for a fitted model (used at fit time and by ``result.vcov(new)``)."""
    known = dict(zip(sample.fe_names, sample.fe_codes))
    cl_codes, cl_names = cluster_codes_for(spec, data, sample.rows, known)
    return compute_vcov(
        spec,
        bread=bread,
        scores=scores,
        resid_ssr=ssr,
        N=len(sample.y),
        k=k,
        fe_codes=sample.fe_codes,
        fe_names=sample.fe_names,
        n_fe_for_dof=n_fe_for_dof,
        cluster_codes=cl_codes,
        cluster_names=cl_names,
        ssc=ssc,
        is_poisson=is_poisson,
    )


def refit_vcov_factory(result_kwargs: dict, **vcov_kwargs):
    """A closure recomputing a result with another vcov, re-using the fit."""

    def refit(vcov) -> FixestResult:
        spec = parse_vcov(vcov)
        matrix, meta = make_vcov(spec, **vcov_kwargs)
        new = dict(result_kwargs)
        new.update(
            vcov_matrix=matrix,
            vcov_label=spec.label,
            df_k=meta["df_k"],
            df_t=meta["df_t"],
            ssc=meta["ssc"],
            n_clusters=meta["G"],
        )
        res = FixestResult(**new)
        res._refit_vcov = refit
        return res

    return refit


def _fit_one(
    formula: Formula,
    depvar: Term,
    data: pd.DataFrame,
    *,
    spec: VcovSpec,
    weights: str | None,
    ssc: dict,
    fixef_rm: str,
    collin_tol: float,
    fixef_tol: float,
    fixef_maxiter: int,
    fixef_method: str = "auto",
    devices=None,
) -> FixestResult:
    sample = build_sample(formula, depvar, data, weights=weights, vcov_spec=spec, fixef_rm=fixef_rm)
    N = len(sample.y)
    w = sample.weights
    w_dev = jnp.asarray(w) if sample.has_weights else None
    all_names = sample.coefnames
    info = None
    # Memory: the host design [y, X] is copied to the device once and then
    # freed (only y is kept); the demeaning overwrites that device copy in
    # place (buffer donation), and what remains are N-vectors and the scores.
    if sample.fe_codes and devices is not None:
        design = sample.yx
        sample = sample.without_design()
        demeaned, info = demean_sharded(
            design, sample.fe_codes, w if sample.has_weights else None, devices=devices,
            n_groups=sample.n_groups, tol=fixef_tol, maxiter=fixef_maxiter,
        )
    else:
        design = jnp.asarray(sample.yx)
        sample = sample.without_design()
        if sample.fe_codes:
            demeaned, info = demean(
                design, sample.fe_codes, w_dev, n_groups=sample.n_groups, tol=fixef_tol,
                maxiter=fixef_maxiter, method=fixef_method, donate=True,
            )
        else:
            demeaned = design
    del design
    if info is not None:
        finish(info, throw=True, what="feols demeaning", tol=fixef_tol, extra=lambda _: "raise fixef_maxiter or loosen fixef_tol")
    y = sample.y

    gram, gram_w = (np.asarray(g) for g in _gram(demeaned, w_dev))
    excluded, coefnames, collinear = collinear_columns(gram[1:, 1:], all_names, collin_tol)
    keep = np.flatnonzero(~excluded)
    k = len(keep)
    xtx = gram_w[1:, 1:][np.ix_(keep, keep)]
    xty = gram_w[1:, 0][keep]
    beta = np.linalg.solve(xtx, xty)
    bread = np.linalg.inv(xtx)
    coef_full = np.zeros(len(all_names))
    coef_full[keep] = beta
    kept = None if k == len(all_names) else tuple(int(j) for j in keep)
    resid, scores, ssr = _residuals_scores(demeaned, w_dev, jnp.asarray(coef_full), kept)
    del demeaned
    ssr = float(ssr)
    resid = np.asarray(resid)
    fitted = y - resid
    ybar = np.average(y, weights=w) if w.sum() > 0 else 0.0
    ssy = float(np.sum(w * (y - ybar) ** 2))
    r2 = 1.0 - ssr / ssy
    has_intercept = formula.intercept
    if sample.fe_codes:
        k_fe = int(np.sum(np.array(sample.n_groups) - 1) + 1)
        adj = (N - has_intercept) / (N - k - k_fe)
        ssy_within = float(gram_w[0, 0])
        r2_within = 1.0 - ssr / ssy_within
        adj_r2_within = 1.0 - (ssr / ssy_within) * (N - k_fe) / (N - k - k_fe)
    else:
        adj = (N - has_intercept) / (N - k)
        r2_within = adj_r2_within = None

    vcov_kwargs = dict(
        data=data, sample=sample, bread=bread, scores=scores, ssr=ssr, k=k, ssc=ssc, is_poisson=False
    )
    matrix, meta = make_vcov(spec, **vcov_kwargs)
    result_kwargs = dict(
        method="feols",
        formula=formula.text if len(formula.depvars) == 1 else f"{depvar.name} ~ {formula.text.split('~', 1)[1].strip()}",
        depvar=depvar.name,
        coefnames=coefnames,
        beta=beta,
        vcov_matrix=matrix,
        vcov_label=spec.label,
        nobs=N,
        n_dropped=sample.n_dropped,
        n_singletons=sample.n_singletons,
        fixef=list(sample.fe_names),
        fixef_sizes=dict(zip(sample.fe_names, sample.n_groups)),
        collinear=collinear,
        df_k=meta["df_k"],
        df_t=meta["df_t"],
        ssc=meta["ssc"],
        n_clusters=meta["G"],
        residuals=resid,
        fitted=fitted,
        weights_name=weights,
        r2=r2,
        r2_within=r2_within,
        adj_r2=1.0 - (ssr / ssy) * adj,
        adj_r2_within=adj_r2_within,
        rmse=float(np.sqrt(ssr / N)),
        demean_info=info,
        sample_index=data.index.to_numpy()[sample.rows],
    )
    result = FixestResult(**result_kwargs)
    result._refit_vcov = refit_vcov_factory(result_kwargs, **vcov_kwargs)
    return result


def feols(
    fml: str,
    data: pd.DataFrame,
    vcov="iid",
    weights: str | None = None,
    *,
    ssc: dict | None = None,
    fixef_rm: str = "singleton",
    collin_tol: float = 1e-9,
    fixef_tol: float = DEFAULT_TOL,
    fixef_maxiter: int = DEFAULT_MAXITER,
    fixef_method: str = "auto",
    devices=None,
):
    """OLS with high-dimensional fixed effects, with fixest/pyfixest formulas and conventions.

    Parameters
    ----------
    fml : str
        ``"y ~ x1 + x2 | fe1 + fe2"``; ``a^b`` combined fixed effects,
        ``x1:x2`` products, ``log()``/``exp()``/``sqrt()`` of a column,
        ``y1 + y2 ~ ...`` several dependent variables.
    data : pandas.DataFrame
    vcov : ``"iid"`` (default), ``"hetero"``/``"HC1"``, ``{"CRV1": "cl"}``
        or two-way ``{"CRV1": "cl1+cl2"}``.
    weights : str, optional
        Column of (analytic) weights.
    ssc : dict, optional
        Small-sample options as ``pyfixest.ssc()``: ``k_adj`` (True),
        ``k_fixef`` ("nonnested"), ``G_adj`` (True), ``G_df`` ("min").
    fixef_rm : ``"singleton"`` (default, as pyfixest) or ``"none"``.
    collin_tol : float
        Tolerance of the collinearity test on ``X'X`` of the demeaned X.
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

    Returns
    -------
    FixestResult, or a list of them (one per dependent variable).

    Raises
    ------
    ValueError
        Unknown column, empty sample, bad vcov, all regressors collinear.
    jaxtrade.errors.ConvergenceError
        If the demeaning does not converge.
    """
    formula = parse_formula(fml)
    spec = parse_vcov(vcov)
    ssc_opts = resolve_ssc(ssc)
    results = [
        _fit_one(
            formula,
            dep,
            data,
            spec=spec,
            weights=weights,
            ssc=ssc_opts,
            fixef_rm=fixef_rm,
            collin_tol=collin_tol,
            fixef_tol=fixef_tol,
            fixef_maxiter=fixef_maxiter,
            fixef_method=fixef_method,
            devices=devices,
        )
        for dep in formula.depvars
    ]
    return results[0] if len(results) == 1 else results
