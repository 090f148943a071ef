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

import jax.numpy as jnp
import numpy as np
import pandas as pd

from jaxtrade.errors import check_converged

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
    y : (N,) dependent variable.
    X : (N, k) regressors (an ``Intercept`` column when there are no fixed effects).
    coefnames : names of the columns of X.
    weights : (N,) observation weights (ones if none).
    fe_codes : dense int32 codes per fixed effect.
    fe_names : fixed-effect names.
    rows : (N,) positions of the sample rows in the input data.
    n_dropped : rows dropped for NaN/inf.
    n_singletons : rows dropped as singletons.
    """

    y: np.ndarray
    X: np.ndarray
    coefnames: list[str]
    weights: np.ndarray
    has_weights: bool
    fe_codes: list[np.ndarray]
    fe_names: list[str]
    rows: np.ndarray
    n_dropped: int
    n_singletons: int

    @property
    def n_groups(self) -> tuple[int, ...]:
        return tuple(int(c.max()) + 1 for c in self.fe_codes)

    def subset(self, keep: np.ndarray) -> "Sample":
        """Keep rows where ``keep`` is True and re-encode the fixed effects densely."""
        fe = [pd.factorize(c[keep])[0].astype(np.int32) for c in self.fe_codes]
        return dataclasses.replace(
            self,
            y=self.y[keep],
            X=self.X[keep],
            weights=self.weights[keep],
            fe_codes=fe,
            rows=self.rows[keep],
        )


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
    y = evaluate_term(depvar, data)
    columns, names = [], []
    if formula.intercept:
        columns.append(np.ones(n_total))
        names.append("Intercept")
    for term in formula.regressors:
        columns.append(evaluate_term(term, data))
        names.append(term.name)
    X = np.column_stack(columns) if columns else np.empty((n_total, 0))
    if X.shape[1] == 0:
        raise ValueError(f"formula {formula.text!r} has no regressors to estimate")

    keep = np.isfinite(y) & np.all(np.isfinite(X), axis=1)
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
        w = np.ones(n_total)
    n_dropped = int(n_total - keep.sum())
    if not keep.any():
        raise ValueError(
            f"empty sample: all {n_total} rows have NaN/inf in a column used by {formula.text!r}"
        )
    rows = np.flatnonzero(keep)
    fe_codes = [encode_fixed_effect(fe, data, rows) for fe in formula.fixed_effects]
    sample = Sample(
        y=y[rows],
        X=X[rows],
        coefnames=names,
        weights=w[rows],
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


def drop_collinear(X: np.ndarray, names: list[str], tol: float) -> tuple[np.ndarray, list[str], list[str]]:
    """Remove collinear columns of ``X``, warning with their names."""
    xtx = np.asarray(jnp.asarray(X).T @ jnp.asarray(X))
    excluded = find_collinear(xtx, tol)
    if excluded.all():
        raise ValueError(f"all regressors {names} are collinear (with each other or the fixed effects)")
    dropped = [n for n, e in zip(names, excluded) if e]
    if dropped:
        warnings.warn(
            f"{len(dropped)} variable(s) dropped because of collinearity: {dropped}", stacklevel=3
        )
    kept_names = [n for n, e in zip(names, excluded) if not e]
    return X[:, ~excluded], kept_names, dropped


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
    info = None
    if sample.fe_codes:
        yx = np.column_stack([sample.y, sample.X])
        demean_fn = demean if devices is None else functools.partial(demean_sharded, devices=devices)
        options = dict(method=fixef_method) if devices is None else {}
        demeaned, info = demean_fn(
            yx,
            sample.fe_codes,
            w if sample.has_weights else None,
            n_groups=sample.n_groups,
            tol=fixef_tol,
            maxiter=fixef_maxiter,
            **options,
        )
        check_converged(info, "feols demeaning", tol=fixef_tol, extra="raise fixef_maxiter or loosen fixef_tol")
        demeaned = np.asarray(demeaned)
        yd, Xd = demeaned[:, 0], demeaned[:, 1:]
    else:
        yd, Xd = sample.y, sample.X
    Xd, coefnames, collinear = drop_collinear(Xd, sample.coefnames, collin_tol)
    k = Xd.shape[1]

    sw = np.sqrt(w)
    Xw = jnp.asarray(Xd * sw[:, None])
    yw = jnp.asarray(yd * sw)
    xtx = np.asarray(Xw.T @ Xw)
    xty = np.asarray(Xw.T @ yw)
    beta = np.linalg.solve(xtx, xty)
    uw = np.asarray(yw - Xw @ jnp.asarray(beta))
    scores = np.asarray(Xw) * uw[:, None]
    bread = np.linalg.inv(xtx)
    ssr = float(uw @ uw)

    resid = yd - Xd @ beta
    fitted = sample.y - resid
    ybar = np.average(sample.y, weights=w) if w.sum() > 0 else 0.0
    ssy = float(np.sum(w * (sample.y - ybar) ** 2))
    r2 = 1.0 - ssr / ssy
    has_intercept = formula.intercept
    if sample.fe_codes:
        k_fe = int(np.sum(np.array(sample.n_groups) - 1) + 1)
        adj = (N - has_intercept) / (N - k - k_fe)
        ssy_within = float(np.sum(w * yd**2))
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
