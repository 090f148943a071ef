"""Result object of :func:`feols` / :func:`fepois` and the ``etable`` side-by-side table."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats


@dataclasses.dataclass
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
    n_singletons : rows dropped as fixed-effect singletons.
    n_separation : rows dropped by the PPML separation check.
    fixef : fixed-effect names (``a^b`` for combined).
    fixef_sizes : levels of each fixed effect in the estimation sample.
    collinear : regressors dropped for perfect collinearity.
    df_k : parameter count K used in the small-sample correction.
    df_t : degrees of freedom of the t distribution (OLS).
    ssc : small-sample factor(s) applied to the vcov.
    n_clusters : smallest number of clusters (clustered vcov), else None.
    r2, r2_within, adj_r2, adj_r2_within, rmse : fit statistics (OLS).
    deviance, pseudo_r2, loglik, iterations, converged : PPML statistics.
    demean_info : :class:`~jaxtrade.errors.SolverInfo` of the (last) demeaning.
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
    weights_name: str | None = None
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
    converged: bool = True
    demean_info: Any = None
    sample_index: np.ndarray | None = None
    _refit_vcov: Any = dataclasses.field(default=None, repr=False)

    # ------------------------------------------------------------------ inference
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
        t = np.abs(self.tstat().to_numpy())
        p = 2 * stats.norm.sf(t) if self.uses_normal else 2 * stats.t.sf(t, self.df_t)
        return pd.Series(p, index=self.coefnames, name="Pr(>|t|)")

    def _critical(self, alpha: float) -> float:
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
        vcov : optional, any ``vcov`` accepted by :func:`feols`; the columns
            it names are read from the estimation data.
        """
        if vcov is None:
            return pd.DataFrame(self.vcov_matrix, index=self.coefnames, columns=self.coefnames)
        if self._refit_vcov is None:
            raise ValueError("this result cannot recompute its vcov (no stored fit)")
        return self._refit_vcov(vcov)

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
            f"vcov={self.vcov_label!r}, coef={dict(zip(self.coefnames, np.round(self.beta, 6)))})"
        )


def _stars(p: float) -> str:
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else "." if p < 0.1 else ""


def etable(*results, digits: int = 3, type: str = "df", signif: bool = True):
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
    """
    models: list[FixestResult] = []
    for r in results:
        models.extend(r if isinstance(r, (list, tuple)) else [r])
    if not models:
        raise ValueError("etable needs at least one result")
    if type not in ("df", "md"):
        raise ValueError(f"etable type must be 'df' or 'md', got {type!r}")
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
