"""Estimators and their result: :class:`Feols`, :class:`Fepois` and :class:`FixestResult`.

The model layer of :mod:`jaxtrade.empirics.fixest` (pyfixest's
``estimation/models``). An estimator holds the options of one call of
:func:`~jaxtrade.empirics.fixest.feols` or
:func:`~jaxtrade.empirics.fixest.fepois` and fits one dependent variable at a
time in three named steps, :meth:`Feols.fit`:

1. :meth:`Feols.sample`: the estimation sample and its row drops
   (:mod:`.sample`);
2. :meth:`Feols.estimate`: the coefficients, bread, scores and fit
   statistics: demeaned weighted least squares for OLS, iteratively
   reweighted least squares for PPML (:class:`Fepois` overrides
   :meth:`~Feols.sample` with the separation check and
   :meth:`~Feols.estimate` with the IRLS loop);
3. :meth:`Feols.result`: the vcov and the :class:`FixestResult`, written
   once for both estimators.

A result keeps what its vcov needs (:class:`VcovInputs`), so
:meth:`FixestResult.vcov` recomputes the standard errors with another
estimator without refitting.

Failures follow the solver contract (:mod:`jaxtrade.errors`): with
``throw=True`` (default) a demeaning or IRLS that does not converge raises
:class:`~jaxtrade.errors.ConvergenceError`; with ``throw=False`` the result
is returned and ``result.info`` (the IRLS verdict folded with every
demeaning's) says it did not converge.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from jaxtrade.empirics.categories import check_single_kind
from jaxtrade.empirics.fixest.collinear import collinear_columns, column_scale
from jaxtrade.empirics.fixest.demean import DEFAULT_MAXITER, DEFAULT_TOL, cross_table, demean, demean_sharded
from jaxtrade.empirics.fixest.formula import Formula, Term
from jaxtrade.empirics.fixest.irls import (
    ADAPTIVE_START_TOL,
    ADAPTIVE_TOL_FACTOR,
    IrlsDemeaned,
    IrlsStep,
    irls_demean,
    irls_update,
    poisson_deviance,
)
from jaxtrade.empirics.fixest.sample import Sample, build_sample, cluster_codes_for, separation_fe_mask
from jaxtrade.empirics.fixest.separation import Separation, separation_methods, separation_relu_mask
from jaxtrade.empirics.fixest.vcov import SSC_DEFAULTS, VcovMeta, VcovSpec, compute_vcov, parse_vcov
from jaxtrade.empirics.fixest.warn import warn_user
from jaxtrade.empirics.literals import DemeanMethod, FixefRm
from jaxtrade.errors import SolverInfo, combine_info, finish, solver_info

__all__ = [
    "Estimates",
    "Feols",
    "Fepois",
    "FixestResult",
    "OlsStatistics",
    "PoissonStatistics",
    "VcovInputs",
    "check_category_columns",
    "check_iterations",
    "check_tolerance",
]


# --------------------------------------------------------------------------- option checks
def check_tolerance(name: str, value) -> float:
    """``value`` as a float if it is a finite positive number, else ValueError naming the option.

    Examples
    --------
    >>> check_tolerance("fixef_tol", 1e-8)
    1e-08
    >>> check_tolerance("fixef_tol", 0.0)
    Traceback (most recent call last):
    ...
    ValueError: fixef_tol must be a finite positive number, got 0.0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite positive number, got {value!r}")
    return float(value)


def check_iterations(name: str, value) -> int:
    """``value`` as an int if it is a whole number >= 1, else ValueError naming the option.

    Examples
    --------
    >>> check_iterations("iwls_maxiter", 25)
    25
    >>> check_iterations("iwls_maxiter", 0)
    Traceback (most recent call last):
    ...
    ValueError: iwls_maxiter must be an integer >= 1, got 0
    """
    whole = isinstance(value, numbers.Integral) or (
        isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer()
    )
    if isinstance(value, bool) or not whole or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def check_category_columns(formula: Formula, data, spec: VcovSpec) -> None:
    """Raise ``ValueError`` for a fixed-effect or cluster column that mixes value types (5 and ``"5"``).

    Fixed effects and clusters are categories, as in fixest: numbers, strings
    or booleans, one type per column (:func:`~jaxtrade.empirics.categories.check_single_kind`),
    so that 5 and ``"5"`` never become two levels (nor ``True`` and 1 one).
    Columns that are missing or of a non-object dtype are left to
    :func:`~.sample.build_sample` (no cost).
    """
    if not isinstance(data, pd.DataFrame):
        return
    roles = {col: "fixed-effect column" for fe in formula.fixed_effects for col in fe}
    for cluster in spec.cluster:
        for col in cluster:
            roles.setdefault(col, "cluster column")
    for col, role in roles.items():
        column = data[col] if col in data.columns else None
        if isinstance(column, pd.Series):  # a repeated column name is reported by build_sample
            check_single_kind(column, col, role=role, noun="levels")


# --------------------------------------------------------------------------- what a fit keeps
@dataclasses.dataclass(frozen=True)
class VcovInputs:
    """What a fitted model keeps to compute its vcov, at fit time and in :meth:`FixestResult.vcov`.

    Attributes
    ----------
    data : pandas.DataFrame
        The estimation data (cluster columns are read from it).
    sample : Sample
        The estimation sample without its design (rows, fixed-effect codes, N).
    bread : (k, k) ndarray
        Inverse of the weighted demeaned cross-product.
    scores : (N, k) array
        Scores ``x_i w_i u_i``.
    ssr : float
        Sum of squared (weighted) residuals.
    k : int
        Estimated slopes.
    ssc : dict
        Resolved small-sample options.
    is_poisson : bool
        iid vcov with ``sigma^2 = 1``.
    n_fe_for_dof : int or None
        Fixed effects counted in the dof (PPML after separation), None: all.
    """

    data: pd.DataFrame
    sample: Sample
    bread: np.ndarray
    scores: Any
    ssr: float
    k: int
    ssc: dict
    is_poisson: bool
    n_fe_for_dof: int | None = None

    def compute(self, spec: VcovSpec) -> tuple[np.ndarray, VcovMeta]:
        """The vcov of ``spec`` and its small-sample metadata (:func:`~.vcov.compute_vcov`)."""
        sample = self.sample
        known = dict(zip(sample.fe_names, sample.fe_codes, strict=True))
        cl_codes, cl_names = cluster_codes_for(spec, self.data, sample.rows, known)
        return compute_vcov(
            spec,
            bread=self.bread,
            scores=self.scores,
            resid_ssr=self.ssr,
            N=len(sample.y),
            k=self.k,
            fe_codes=sample.fe_codes,
            fe_names=sample.fe_names,
            n_fe_for_dof=self.n_fe_for_dof,
            cluster_codes=cl_codes,
            cluster_names=cl_names,
            ssc=self.ssc,
            is_poisson=self.is_poisson,
        )


@dataclasses.dataclass(frozen=True)
class OlsStatistics:
    """Fit statistics of OLS: R2 (total and within the fixed effects), adjusted, RMSE."""

    r2: float
    r2_within: float | None
    adj_r2: float
    adj_r2_within: float | None
    rmse: float


@dataclasses.dataclass(frozen=True)
class PoissonStatistics:
    """Fit statistics of PPML: weighted deviance, pseudo R2 (unweighted fits), log-likelihood, IRLS iterations."""

    deviance: float
    pseudo_r2: float | None
    loglik: float
    iterations: int


@dataclasses.dataclass(frozen=True)
class Estimates:
    """What :meth:`Feols.estimate` returns: the coefficients and everything the result and its vcov need."""

    coefnames: list[str]
    collinear: list[str]
    beta: np.ndarray
    bread: np.ndarray
    scores: Any
    ssr: float
    residuals: np.ndarray
    fitted: np.ndarray
    statistics: OlsStatistics | PoissonStatistics
    info: SolverInfo
    demean_info: SolverInfo | None
    n_fe_for_dof: int | None = None


# --------------------------------------------------------------------------- the result
@dataclasses.dataclass(frozen=True)
class FixestResult:
    """Estimates, inference and fit statistics of one fixed-effects regression.

    Attributes
    ----------
    method : ``"feols"`` or ``"fepois"``.
    formula : the formula string of this model (one dependent variable).
    depvar : name of the dependent variable.
    coefnames : names of the estimated (non-collinear) coefficients.
    beta : (k,) estimates.
    vcov_matrix : (k, k) variance-covariance matrix.
    vcov_label : ``"iid"``, ``"hetero"``, ``"CRV1: cl"``...
    nobs : observations used in the fit.
    n_dropped : rows dropped for NaN/inf values (in any used column).
    n_zero_weights : rows dropped for a zero weight (as fixest; not in ``nobs``).
    n_singletons : rows dropped as fixed-effect singletons.
    n_separation : rows dropped by the PPML separation checks (fixed effects and regressors together).
    fixef : fixed-effect names (``a^b`` for combined).
    fixef_sizes : levels of each fixed effect in the estimation sample.
    collinear : regressors dropped for perfect collinearity.
    df_k : parameter count K used in the small-sample correction.
    df_t : degrees of freedom of the t distribution (OLS).
    ssc : small-sample factor(s) applied to the vcov.
    n_clusters : smallest number of clusters (clustered vcov), else None.
    residuals, fitted : on the estimation sample (``y - mu`` and ``mu`` for PPML).
    info : :class:`~jaxtrade.errors.SolverInfo`, the overall verdict: the
        demeaning (OLS), or the IRLS folded with every demeaning (PPML).
    r2, r2_within, adj_r2, adj_r2_within, rmse : fit statistics (OLS).
    deviance, pseudo_r2, loglik, iterations : PPML statistics.
    demean_info : :class:`~jaxtrade.errors.SolverInfo` of the (last) demeaning, None without fixed effects.
    separation : :class:`~.separation.Separation` of a PPML fit: the checks run, the rows each dropped
        (``n_fe``, ``n_ir``) and the iterative rectifier's SolverInfo; None for OLS.
    sample_index : index labels of the estimation rows in the data.
    vcov_inputs : what :meth:`vcov` needs to recompute the vcov (not shown).
    """

    method: str
    formula: str
    depvar: str
    coefnames: list[str]
    beta: np.ndarray
    vcov_matrix: np.ndarray
    vcov_label: str
    nobs: int
    n_dropped: int
    n_singletons: int
    fixef: list[str]
    fixef_sizes: dict[str, int]
    collinear: list[str]
    df_k: int
    df_t: int
    ssc: Any
    n_clusters: int | None
    residuals: np.ndarray
    fitted: np.ndarray
    info: SolverInfo
    weights_name: str | None = None
    n_zero_weights: int = 0
    n_separation: int = 0
    r2: float | None = None
    r2_within: float | None = None
    adj_r2: float | None = None
    adj_r2_within: float | None = None
    rmse: float | None = None
    deviance: float | None = None
    pseudo_r2: float | None = None
    loglik: float | None = None
    iterations: int | None = None
    demean_info: SolverInfo | None = None
    separation: Separation | None = None
    sample_index: np.ndarray | None = None
    vcov_inputs: VcovInputs | None = dataclasses.field(default=None, repr=False, compare=False)

    # ------------------------------------------------------------------ inference
    @property
    def converged(self) -> bool:
        """Whether the fit converged (``info.converged``; always True for a result returned with ``throw=True``)."""
        return bool(np.all(np.asarray(self.info.converged)))

    @property
    def uses_normal(self) -> bool:
        """Inference uses the normal distribution (PPML), else Student t with ``df_t``."""
        return self.method == "fepois"

    def coef(self) -> pd.Series:
        """Estimated coefficients, indexed by name."""
        return pd.Series(self.beta, index=self.coefnames, name="Estimate")

    def se(self) -> pd.Series:
        """Standard errors (square root of the vcov diagonal)."""
        return pd.Series(np.sqrt(np.diag(self.vcov_matrix)), index=self.coefnames, name="Std. Error")

    def tstat(self) -> pd.Series:
        """t statistics ``coef / se``."""
        return pd.Series(self.beta / self.se().to_numpy(), index=self.coefnames, name="t value")

    def pvalue(self) -> pd.Series:
        """Two-sided p-values (normal for PPML, t with ``df_t`` degrees of freedom for OLS)."""
        from scipy import stats  # imported when needed: scipy.stats takes most of a second to import

        t = np.abs(self.tstat().to_numpy())
        p = 2 * stats.norm.sf(t) if self.uses_normal else 2 * stats.t.sf(t, self.df_t)
        return pd.Series(p, index=self.coefnames, name="Pr(>|t|)")

    def _critical(self, alpha: float) -> float:
        from scipy import stats

        if self.uses_normal:
            return float(np.abs(stats.norm.ppf(alpha / 2)))
        return float(np.abs(stats.t.ppf(alpha / 2, self.df_t)))

    def confint(self, alpha: float = 0.05) -> pd.DataFrame:
        """Confidence intervals at level ``1 - alpha``."""
        z = self._critical(alpha)
        se = self.se().to_numpy()
        lo, hi = f"{alpha / 2 * 100:.1f}%", f"{(1 - alpha / 2) * 100:.1f}%"
        return pd.DataFrame(
            {lo: self.beta - z * se, hi: self.beta + z * se}, index=pd.Index(self.coefnames, name="Coefficient")
        )

    def vcov(self, vcov=None):
        """The vcov matrix as a DataFrame, or with ``vcov`` given a new result re-using the fit.

        Parameters
        ----------
        vcov : optional
            Any ``vcov`` accepted by :func:`~jaxtrade.empirics.fixest.feols`;
            the columns it names are read from the estimation data.

        Returns
        -------
        pandas.DataFrame or FixestResult
            Without ``vcov``, the matrix; with it, a copy of this result with
            the new vcov, label, small-sample factor, dof and cluster count
            (coefficients and fit unchanged).
        """
        if vcov is None:
            return pd.DataFrame(self.vcov_matrix, index=self.coefnames, columns=self.coefnames)
        if self.vcov_inputs is None:
            raise ValueError("this result cannot recompute its vcov (no stored fit)")
        spec = parse_vcov(vcov)
        matrix, meta = self.vcov_inputs.compute(spec)
        return dataclasses.replace(
            self, vcov_matrix=matrix, vcov_label=spec.label, df_k=meta.df_k, df_t=meta.df_t, ssc=meta.ssc,
            n_clusters=meta.G,
        )  # fmt: skip

    def resid(self) -> np.ndarray:
        """Residuals on the estimation sample (response scale ``y - mu`` for PPML)."""
        return self.residuals

    def predict(self) -> np.ndarray:
        """Fitted values on the estimation sample (``mu`` for PPML)."""
        return self.fitted

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """Coefficient table: Estimate, Std. Error, t value, Pr(>|t|), confidence bounds."""
        ci = self.confint(alpha)
        out = pd.DataFrame(
            {
                "Estimate": self.beta,
                "Std. Error": self.se().to_numpy(),
                "t value": self.tstat().to_numpy(),
                "Pr(>|t|)": self.pvalue().to_numpy(),
            },
            index=pd.Index(self.coefnames, name="Coefficient"),
        )
        return pd.concat([out, ci], axis=1)

    def summary(self, digits: int = 4) -> str:
        """A printable summary in the style of fixest's ``summary``; also printed."""
        lines = [
            "###",
            f"Estimation:  {'OLS' if self.method == 'feols' else 'Poisson (PPML)'}",
            f"Dep. var.:   {self.depvar}",
        ]
        if self.fixef:
            lines.append("Fixed effects: " + ", ".join(f"{k} ({v})" for k, v in self.fixef_sizes.items()))
        lines.append(f"Inference:   {self.vcov_label}")
        lines.append(f"Observations: {self.nobs}")
        dropped = []
        if self.n_dropped:
            dropped.append(f"{self.n_dropped} for NA/inf")
        if self.n_zero_weights:
            dropped.append(f"{self.n_zero_weights} of zero weight")
        if self.n_singletons:
            dropped.append(f"{self.n_singletons} singletons")
        if self.n_separation:
            dropped.append(f"{self.n_separation} by separation")
        if dropped:
            lines.append("Dropped:     " + ", ".join(dropped))
        if self.collinear:
            lines.append("Collinear (dropped): " + ", ".join(self.collinear))
        lines.append("###")
        lines.append("")
        lines.append(self.tidy().round(digits).to_string())
        lines.append("---")
        if self.method == "feols":
            stats_line = f"RMSE: {self.rmse:.{digits}g}   R2: {self.r2:.{digits}g}"
            if self.r2_within is not None:
                stats_line += f"   R2 Within: {self.r2_within:.{digits}g}"
        else:
            stats_line = f"Deviance: {self.deviance:.{digits}g}   Iterations: {self.iterations}"
        lines.append(stats_line)
        text = "\n".join(lines)
        print(text)
        return text

    def __repr__(self) -> str:
        return (
            f"FixestResult({self.method}, {self.formula!r}, nobs={self.nobs}, "
            f"vcov={self.vcov_label!r}, coef={dict(zip(self.coefnames, np.round(self.beta, 6), strict=True))})"
        )


# --------------------------------------------------------------------------- OLS
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


def _ratio(num: float, den: float) -> float:
    """``num / den``, NaN when ``den`` is zero (an undefined fit statistic, never ZeroDivisionError)."""
    return float(num) / float(den) if den != 0 else float("nan")


def _no_demeaning(tol: float) -> SolverInfo:
    """The verdict of a model without fixed effects: nothing to demean, successful."""
    return solver_info(jnp.asarray(0, jnp.int32), jnp.asarray(0.0), tol)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Feols:
    """OLS with high-dimensional fixed effects: the options of one :func:`~jaxtrade.empirics.fixest.feols` call.

    Steps of :meth:`estimate`: put ``[y, X]`` on the device and free the
    host copy (:meth:`_design_on_device`), demean it by the fixed effects
    (:meth:`_demean`), drop collinear regressors and solve the weighted
    normal equations (:meth:`_least_squares`), then residuals, scores and
    fit statistics (:meth:`_ols_statistics`).

    Attributes mirror the keyword arguments of ``feols`` (``spec`` is the
    parsed ``vcov``, ``ssc`` the resolved small-sample options).
    """

    spec: VcovSpec = VcovSpec("iid", (), "iid")
    weights: str | None = None
    ssc: dict = dataclasses.field(default_factory=lambda: dict(SSC_DEFAULTS))
    fixef_rm: FixefRm = "singleton"
    collin_tol: float = 1e-9
    fixef_tol: float = DEFAULT_TOL
    fixef_maxiter: int = DEFAULT_MAXITER
    fixef_method: DemeanMethod = "auto"
    devices: Any = None
    throw: bool = True

    method: ClassVar[str] = "feols"

    def __post_init__(self) -> None:
        """Check the tolerances and iteration caps up front (ValueError naming the option)."""
        check_tolerance("collin_tol", self.collin_tol)
        check_tolerance("fixef_tol", self.fixef_tol)
        object.__setattr__(self, "fixef_maxiter", check_iterations("fixef_maxiter", self.fixef_maxiter))

    # ------------------------------------------------------------------ the three steps
    def fit(self, formula: Formula, depvar: Term, data: pd.DataFrame) -> FixestResult:
        """Fit the model of ``depvar`` on ``data``: :meth:`sample`, :meth:`estimate`, :meth:`result`."""
        # the full sample is handed over, not kept here: estimate frees its (N, k) design early
        sample, estimates = self.estimate(self.sample(formula, depvar, data))
        return self.result(formula, depvar, data, sample, estimates)

    def sample(self, formula: Formula, depvar: Term, data: pd.DataFrame) -> Sample:
        """The estimation sample (:func:`~.sample.build_sample`), after :func:`check_category_columns`."""
        check_category_columns(formula, data, self.spec)
        return build_sample(formula, depvar, data, weights=self.weights, vcov_spec=self.spec, fixef_rm=self.fixef_rm)

    def estimate(self, sample: Sample) -> tuple[Sample, Estimates]:
        """Weighted least squares on the demeaned data; returns the sample without its design and the estimates.

        Memory: the host design ``[y, X]`` is copied to the device once and
        then freed (only y is kept); the demeaning overwrites that device
        copy in place (buffer donation), and what remains are N-vectors and
        the scores.
        """
        w_dev = jnp.asarray(sample.weights) if sample.has_weights else None
        scale = column_scale(sample.X, sample.coefnames, centered=bool(sample.fe_codes))
        design, sample = self._design_on_device(sample)
        demeaned, demean_info = self._demean(design, sample, w_dev)
        del design
        if demean_info is not None:
            finish(demean_info, throw=self.throw, what="feols demeaning", tol=self.fixef_tol,
                   extra=lambda _: "raise fixef_maxiter or loosen fixef_tol")  # fmt: skip
        gram_w, coefnames, collinear, keep, beta, bread = self._least_squares(demeaned, w_dev, sample, scale)
        coef_full = np.zeros(len(sample.coefnames))
        coef_full[keep] = beta
        kept = None if len(keep) == len(sample.coefnames) else tuple(int(j) for j in keep)
        resid, scores, ssr = _residuals_scores(demeaned, w_dev, jnp.asarray(coef_full), kept)
        del demeaned
        ssr = float(ssr)
        resid = np.asarray(resid)
        statistics = self._ols_statistics(sample, ssr, len(keep), float(gram_w[0, 0]))
        info = _no_demeaning(self.fixef_tol) if demean_info is None else demean_info
        return sample, Estimates(
            coefnames=coefnames, collinear=collinear, beta=beta, bread=bread, scores=scores, ssr=ssr,
            residuals=resid, fitted=sample.y - resid, statistics=statistics, info=info, demean_info=demean_info,
        )  # fmt: skip

    def result(
        self, formula: Formula, depvar: Term, data: pd.DataFrame, sample: Sample, est: Estimates
    ) -> FixestResult:
        """The vcov of ``self.spec`` and the :class:`FixestResult` (shared by OLS and PPML)."""
        inputs = VcovInputs(
            data=data, sample=sample, bread=est.bread, scores=est.scores, ssr=est.ssr, k=len(est.beta),
            ssc=self.ssc, is_poisson=self.method == "fepois", n_fe_for_dof=est.n_fe_for_dof,
        )  # fmt: skip
        matrix, meta = inputs.compute(self.spec)
        name = formula.text if len(formula.depvars) == 1 else f"{depvar.name} ~ {formula.text.split('~', 1)[1].strip()}"
        return FixestResult(
            method=self.method,
            formula=name,
            depvar=depvar.name,
            coefnames=est.coefnames,
            beta=est.beta,
            vcov_matrix=matrix,
            vcov_label=self.spec.label,
            nobs=len(sample.y),
            n_dropped=sample.n_dropped,
            n_zero_weights=sample.n_zero_weights,
            n_singletons=sample.n_singletons,
            n_separation=sample.n_separation,
            fixef=list(sample.fe_names),
            fixef_sizes=dict(zip(sample.fe_names, sample.n_groups, strict=True)),
            collinear=est.collinear,
            df_k=meta.df_k,
            df_t=meta.df_t,
            ssc=meta.ssc,
            n_clusters=meta.G,
            residuals=est.residuals,
            fitted=est.fitted,
            info=est.info,
            weights_name=self.weights,
            demean_info=est.demean_info,
            sample_index=data.index.to_numpy()[sample.rows],
            vcov_inputs=inputs,
            **dataclasses.asdict(est.statistics),
        )

    # ------------------------------------------------------------------ OLS steps
    def _design_on_device(self, sample: Sample) -> tuple[Any, Sample]:
        """``[y, X]`` for the demeaning (a device copy; the host array when sharded) and the sample without it."""
        if sample.fe_codes and self.devices is not None:
            return sample.yx, sample.without_design()
        return jnp.asarray(sample.yx), sample.without_design()

    def _demean(self, design, sample: Sample, w_dev) -> tuple[Any, SolverInfo | None]:
        """``[y, X]`` demeaned by the fixed effects (sharded over ``devices`` if given) and its info."""
        if not sample.fe_codes:
            return design, None
        if self.devices is not None:
            sol = demean_sharded(
                design, sample.fe_codes, sample.weights if sample.has_weights else None, devices=self.devices,
                n_groups=sample.n_groups, tol=self.fixef_tol, maxiter=self.fixef_maxiter, throw=False,
            )  # fmt: skip
        else:
            sol = demean(
                design, sample.fe_codes, w_dev, n_groups=sample.n_groups, tol=self.fixef_tol,
                maxiter=self.fixef_maxiter, method=self.fixef_method, donate=True, throw=False,
            )  # fmt: skip
        return sol.value, sol.info

    def _least_squares(self, demeaned, w_dev, sample: Sample, scale: np.ndarray):
        """Collinear columns dropped (test on the standardised ``X'X``), then ``beta = (X'WX)^-1 X'Wy`` and the bread.

        ``scale`` is the typical size of each regressor (:func:`~.collinear.column_scale`).
        Returns ``D'WD`` of ``D = [y, X]``, the kept and collinear names, the
        kept column positions, ``beta`` and the bread ``(X'WX)^-1``.
        """
        gram, gram_w = (np.asarray(g) for g in _gram(demeaned, w_dev))
        if not (np.all(np.isfinite(gram)) and np.all(np.isfinite(gram_w))):
            raise ValueError("the cross-products of the outcome and the regressors overflow (not finite); rescale them")
        excluded, coefnames, collinear = collinear_columns(gram[1:, 1:], sample.coefnames, self.collin_tol, scale)
        keep = np.flatnonzero(~excluded)
        xtx = gram_w[1:, 1:][np.ix_(keep, keep)]
        xty = gram_w[1:, 0][keep]
        beta = np.linalg.solve(xtx, xty)
        bread = np.linalg.inv(xtx)
        return gram_w, coefnames, collinear, keep, beta, bread

    @staticmethod
    def _ols_statistics(sample: Sample, ssr: float, k: int, ssy_within: float) -> OlsStatistics:
        """R2, adjusted R2 (total and within the fixed effects) and RMSE, as fixest.

        ``ssy_within`` is the weighted sum of squares of the demeaned y. A
        constant outcome (as pyfixest: zero coefficients and standard
        errors) has undefined R2s, NaN here, with a warning; so has a model
        without residual degrees of freedom its adjusted R2s.
        """
        N = len(sample.y)
        y, w = sample.y, sample.weights
        ybar = np.average(y, weights=w) if w.sum() > 0 else 0.0
        ssy = float(np.sum(w * (y - ybar) ** 2))
        if np.ptp(y) == 0:
            warn_user("the dependent variable is constant in the estimation sample: R2 is undefined (NaN)")
            ssy = ssy_within = 0.0
        r2 = 1.0 - _ratio(ssr, ssy)
        if sample.fe_codes:
            k_fe = int(np.sum(np.array(sample.n_groups) - 1) + 1)
            adj = _ratio(N - sample.has_intercept, N - k - k_fe)
            r2_within: float | None = 1.0 - _ratio(ssr, ssy_within)
            adj_r2_within: float | None = 1.0 - _ratio(ssr, ssy_within) * _ratio(N - k_fe, N - k - k_fe)
        else:
            adj = _ratio(N - sample.has_intercept, N - k)
            r2_within = adj_r2_within = None
        return OlsStatistics(
            r2=r2, r2_within=r2_within, adj_r2=1.0 - _ratio(ssr, ssy) * adj, adj_r2_within=adj_r2_within,
            rmse=float(np.sqrt(ssr / N)),
        )  # fmt: skip


# --------------------------------------------------------------------------- PPML
@dataclasses.dataclass
class _IrlsState:
    """The IRLS iterate between iterations of :meth:`Fepois.estimate`."""

    eta: jax.Array
    mu: jax.Array
    deviance: float
    objective: float
    X: jax.Array
    warm: jax.Array | None
    tol: float
    beta: jax.Array | None = None
    step: IrlsStep | None = None
    dem_info: SolverInfo | None = None
    coefnames: list[str] | None = None
    collinear: list[str] = dataclasses.field(default_factory=list)
    iterations: int = 0
    redone: int = 0
    crit: float = np.inf
    converged: bool = False


@dataclasses.dataclass(frozen=True, kw_only=True)
class Fepois(Feols):
    """Poisson PML with high-dimensional fixed effects: the options of one ``fepois`` call.

    Overrides :meth:`sample` (negative outcomes, separation) and
    :meth:`estimate` (the IRLS loop of :mod:`.irls`, with step-halving,
    warm-started demeaning and ppmlhdfe's adaptive tolerance); the result
    assembly and the vcov are :class:`Feols`'s.
    """

    iwls_tol: float = 1e-8
    iwls_maxiter: int = 25
    separation_check: Any = True
    warm_start: bool = True
    adaptive_tol: bool = True

    method: ClassVar[str] = "fepois"

    def __post_init__(self) -> None:
        """The checks of :meth:`Feols.__post_init__`, of ``iwls_tol``, ``iwls_maxiter`` and ``separation_check``."""
        super().__post_init__()
        check_tolerance("iwls_tol", self.iwls_tol)
        object.__setattr__(self, "iwls_maxiter", check_iterations("iwls_maxiter", self.iwls_maxiter))
        object.__setattr__(self, "separation_check", separation_methods(self.separation_check))

    def fit(self, formula: Formula, depvar: Term, data: pd.DataFrame) -> FixestResult:
        """:meth:`Feols.fit` with the separation checks reported on the result (``result.separation``)."""
        sample, separation = self.separated_sample(formula, depvar, data)
        sample, estimates = self.estimate(sample)
        return dataclasses.replace(self.result(formula, depvar, data, sample, estimates), separation=separation)

    def sample(self, formula: Formula, depvar: Term, data: pd.DataFrame) -> Sample:
        """The OLS sample with a non-negative outcome, less the separated rows (:meth:`separated_sample`)."""
        return self.separated_sample(formula, depvar, data)[0]

    def separated_sample(self, formula: Formula, depvar: Term, data: pd.DataFrame) -> tuple[Sample, Separation]:
        """The OLS sample with a non-negative outcome, less the separated rows, and what the checks found.

        Separation (``separation_check``, both by default, as ppmlhdfe):
        ``"fe"`` drops the rows of fixed-effect levels whose outcomes are all
        zero (:func:`~.sample.separation_fe_mask`); ``"ir"`` then drops the
        rows separated by the regressors and the fixed effects together
        (:func:`~.separation.separation_relu_mask`, the iterative rectifier
        of Correia, Guimarães & Zylkin 2019), e.g. where a regressor is
        positive only for zero outcomes. One warning gives the counts.

        Raises
        ------
        ValueError
            A negative or all-zero outcome, or every observation separated.
        """
        sample = super().sample(formula, depvar, data)
        if np.any(sample.y < 0):
            raise ValueError(
                f"fepois: the dependent variable {depvar.name!r} has negative values; "
                "a Poisson outcome must be non-negative"
            )
        if np.all(sample.y == 0):
            raise ValueError(f"fepois: the dependent variable {depvar.name!r} is zero for every observation")
        methods = tuple(self.separation_check)
        n_fe = n_ir = 0
        ir_info = None
        if sample.fe_codes and "fe" in methods:
            sep = separation_fe_mask(sample.y, sample.fe_codes)
            if sep.all():
                raise ValueError(
                    f"empty sample: every observation of {depvar.name!r} is separated "
                    "(all outcomes zero within fixed-effect levels)"
                )
            if sep.any():
                n_fe = int(sep.sum())
                sample = sample.subset(~sep)
        if "ir" in methods and np.any(sample.y == 0):
            relu = separation_relu_mask(
                sample.y, sample.X, sample.fe_codes, n_groups=sample.n_groups if sample.fe_codes else None,
                fixef_tol=self.fixef_tol, fixef_maxiter=self.fixef_maxiter,
            )  # fmt: skip
            ir_info = relu.info
            if not bool(relu.info.converged):
                warn_user(
                    f"fepois: the separation check by the regressors (iterative rectifier) did not converge: "
                    f"{relu.why}; no observation was dropped by it"
                )
            elif relu.mask.any():
                n_ir = int(relu.mask.sum())
                sample = sample.subset(~relu.mask)
        if n_fe + n_ir:
            warn_user(
                f"{n_fe + n_ir} observations removed because of separation (fixed effects: {n_fe}, "
                f"regressors and fixed effects (iterative rectifier): {n_ir})."
            )
            sample = dataclasses.replace(sample, n_separation=n_fe + n_ir)
        return sample, Separation(methods=methods, n_fe=n_fe, n_ir=n_ir, ir_info=ir_info)

    def estimate(self, sample: Sample) -> tuple[Sample, Estimates]:
        """IRLS until the deviance settles (fixest's criterion), then the PPML estimates.

        Each iteration: demean the working response and X (:func:`~.irls.irls_demean`;
        the first one also decides collinearity), weighted least squares
        (:func:`~.irls.irls_update`), step-halving when the weighted deviance
        rises or is not finite (:meth:`_step_halving`), and the next
        demeaning tolerance (:meth:`_next_tolerance`). An iteration that
        meets ``iwls_tol`` on a loosely demeaned step is redone at
        ``fixef_tol`` (warm-started) and does not count against the cap.
        """
        y = jnp.asarray(sample.y)
        w = jnp.asarray(sample.weights)
        groups = tuple(jnp.asarray(c) for c in sample.fe_codes)
        n_groups = sample.n_groups
        table = cross_table(sample.fe_codes[0], sample.fe_codes[1], n_groups[1]) if len(groups) == 2 else None
        scale = column_scale(sample.X, sample.coefnames, centered=bool(sample.fe_codes))
        state = self._start(sample, y, w, table)
        target_tol = float(self.fixef_tol)
        adaptive = self.adaptive_tol and len(groups) > 1
        demean_infos = []
        while state.iterations - state.redone < self.iwls_maxiter:
            state.iterations += 1
            dem = irls_demean(y, state.X, w, state.eta, state.mu, groups, n_groups, state.tol,
                              int(self.fixef_maxiter), table, state.warm)  # fmt: skip
            finish(dem.info, throw=self.throw, what="fepois demeaning", tol=state.tol)
            demean_infos.append(dem.info)
            if state.coefnames is None:
                dem = self._drop_collinear(state, dem, sample.coefnames, scale)
            step = irls_update(y, w, dem.z, dem.zx_resid, dem.combined)
            step, deviance, objective = self._step_halving(state, step, y, w)
            state.step, state.dem_info = step, dem.info
            state.crit = abs(deviance - state.deviance) / (0.1 + abs(state.deviance))
            state.warm = dem.warm if self.warm_start else None
            if state.crit < self.iwls_tol and state.tol > target_tol:
                # converged on a loosely demeaned step: redo it at the target tolerance (warm-started)
                state.tol = target_tol
                state.redone += 1
                continue
            state.eta, state.mu, state.beta = step.eta, step.mu, step.beta
            state.deviance, state.objective = deviance, objective
            if state.crit < self.iwls_tol:
                state.converged = True
                break
            if adaptive:
                state.tol = self._next_tolerance(state)
        # converged only when the loop stopped on the criterion (not on a redo at the iteration cap)
        irls_info = solver_info(state.iterations, state.crit, self.iwls_tol if state.converged else -np.inf)
        finish(irls_info, throw=self.throw, what="fepois IRLS", tol=self.iwls_tol, extra=lambda _: "raise iwls_maxiter")
        if state.step is None:
            raise ValueError(f"fepois: iwls_maxiter must be >= 1, got {self.iwls_maxiter}")
        return self._estimates(sample, state, combine_info(irls_info, *demean_infos))

    # ------------------------------------------------------------------ IRLS steps
    def _start(self, sample: Sample, y, w, table) -> _IrlsState:
        """The start ``mu = (y + mean(y)) / 2`` (pyfixest) and, with two or more effects, a zero warm start."""
        mu = (y + jnp.mean(y)) / 2.0
        X = jnp.asarray(sample.X)
        warm = None
        if len(sample.fe_codes) > 1 and self.warm_start:
            n_cols = X.shape[1] + 1
            warm = jnp.zeros((sample.n_groups[1], n_cols) if table is not None else (len(sample.y), n_cols))
        # the first iteration is demeaned to fixef_tol: its demeaned X decides collinearity, as pyfixest
        return _IrlsState(
            eta=jnp.log(mu), mu=mu, deviance=float(poisson_deviance(y, mu)),
            objective=float(poisson_deviance(y, mu, w)), X=X, warm=warm, tol=float(self.fixef_tol),
        )  # fmt: skip

    def _drop_collinear(
        self, state: _IrlsState, dem: IrlsDemeaned, names: list[str], scale: np.ndarray
    ) -> IrlsDemeaned:
        """Collinearity (with each other or the fixed effects) on the first demeaned X, as pyfixest.

        The test runs on the standardised ``X'X`` (``scale``: :func:`~.collinear.column_scale`).
        """
        gram = np.asarray(dem.zx_resid.T @ dem.zx_resid)
        if not np.all(np.isfinite(gram)):
            raise ValueError(
                "fepois: the cross-products of the working response and the regressors overflow (not finite); "
                "rescale them"
            )
        _, state.coefnames, state.collinear = collinear_columns(gram[1:, 1:], names, self.collin_tol, scale)
        if not state.collinear:
            return dem
        keep = np.array([True] + [n in state.coefnames for n in names])
        state.X = state.X[:, keep[1:]]
        return dem._replace(zx_resid=dem.zx_resid[:, keep], warm=None if dem.warm is None else dem.warm[:, keep])

    @staticmethod
    def _step_halving(state: _IrlsState, step: IrlsStep, y, w) -> tuple[IrlsStep, float, float]:
        """Halve the step (up to 20 times, as fixest) while the weighted deviance is not finite or rises.

        The deviance may rise only at the first iteration (the start ``mu``
        is near-saturated). Plain IRLS steps that lower the deviance are
        never changed, so results equal pyfixest's, which has no
        step-halving. Returns the step and its unweighted and weighted deviance.
        """
        deviance, objective = float(step.deviance), float(step.objective)
        new_eta, beta = step.eta, step.beta
        last = state.objective
        halvings = 0
        while halvings < 20 and (
            not np.isfinite(objective) or (state.iterations > 1 and objective > last + 1e-10 * abs(last))
        ):
            halvings += 1
            new_eta = (new_eta + state.eta) / 2.0
            if state.beta is not None:
                beta = (beta + state.beta) / 2.0
            deviance = float(poisson_deviance(y, jnp.exp(new_eta)))
            objective = float(poisson_deviance(y, jnp.exp(new_eta), w))
        if halvings:
            step = step._replace(eta=new_eta, mu=jnp.exp(new_eta), beta=beta)
        return step, deviance, objective

    def _next_tolerance(self, state: _IrlsState) -> float:
        """ppmlhdfe's schedule: loose while the deviance moves, tightened as it settles.

        See :data:`~.irls.ADAPTIVE_START_TOL` and :data:`~.irls.ADAPTIVE_TOL_FACTOR`.
        """
        start = ADAPTIVE_START_TOL if state.iterations == 1 else state.tol
        return max(float(self.fixef_tol), min(start, ADAPTIVE_TOL_FACTOR * state.crit))

    def _estimates(self, sample: Sample, state: _IrlsState, info: SolverInfo) -> tuple[Sample, Estimates]:
        """Scores and bread from the weighted demeaned design of the last step; deviance and likelihood."""
        step = state.step
        assert step is not None and state.coefnames is not None  # at least one iteration ran
        beta = np.asarray(step.beta)
        WX = np.asarray(step.WX)
        WZ = np.asarray(step.WZ)
        XWX = np.asarray(step.XWX)
        u_hat = WZ - WX @ beta
        mu = np.asarray(state.mu)
        y = sample.y
        user_w = sample.weights
        has_weights = sample.has_weights
        n_fe_for_dof = int(sum(g > 1 for g in sample.n_groups)) if sample.n_separation else None
        sample = sample.without_design()  # the result keeps y, the rows and codes, not X
        from scipy.special import gammaln  # imported when needed, as scipy.stats above

        loglik = float(np.sum(user_w * (y * np.log(mu) - mu - gammaln(y + 1))))
        pseudo_r2 = None
        if not has_weights:
            y_null = np.mean(y)
            loglik_null = float(np.sum(y * np.log(y_null) - y_null - gammaln(y + 1)))
            pseudo_r2 = 1.0 - loglik / loglik_null
        statistics = PoissonStatistics(
            deviance=float(poisson_deviance(jnp.asarray(y), jnp.asarray(mu), jnp.asarray(user_w))),
            pseudo_r2=pseudo_r2, loglik=loglik, iterations=state.iterations,
        )  # fmt: skip
        return sample, Estimates(
            coefnames=state.coefnames, collinear=state.collinear, beta=beta, bread=np.linalg.inv(XWX),
            scores=WX * u_hat[:, None], ssr=float(u_hat @ u_hat), residuals=y - mu, fitted=mu,
            statistics=statistics, info=info, demean_info=state.dem_info, n_fe_for_dof=n_fe_for_dof,
        )  # fmt: skip
