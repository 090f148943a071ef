"""Poisson pseudo-maximum likelihood with fixed effects (``fepois``), as ppmlhdfe/pyfixest.

Iteratively reweighted least squares (Correia, Guimaraes & Zylkin 2020),
step for step as ``pyfixest.fepois``:

* start ``mu = (y + mean(y)) / 2``, ``eta = log(mu)``;
* each iteration forms the working response ``z = eta + y / mu - 1``,
  demeans ``[z, X]`` by the fixed effects with weights ``w * mu``, solves
  the weighted least squares of the demeaned z on the demeaned X, and sets
  ``eta = z - resid``, ``mu = exp(eta)``;
* stop when the deviance changes by less than ``iwls_tol`` relative to
  ``0.1 + |deviance|`` (fixest's criterion; as pyfixest, this deviance
  ignores the observation weights);
* step-halving (up to 20 times, as fixest) when the new (weighted)
  deviance is not finite or, after the first iteration, larger than the
  previous one
  (the start ``mu`` is near-saturated, so the first step may raise the
  deviance). Plain IRLS steps that lower the deviance are never changed,
  so results equal pyfixest's, which has no step-halving.

Before the loop, observations in fixed-effect levels whose outcome is zero
throughout are removed (the "fe" separation check); negative outcomes raise
``ValueError``. One IRLS step is two jit-compiled functions (working
response and demeaning, :func:`irls_demean`; weighted least squares,
:func:`irls_update`), compiled once per problem shape and reused by every
iteration; the demeaning tolerance is a traced argument, so the adaptive
tolerance does not recompile. The first iteration's demeaned X decides
collinearity (no separate demeaning). Each iteration's demeaning is
warm-started from the previous iteration's fixed-effect coefficients, and
with ``adaptive_tol`` it is loose while the deviance still moves (ppmlhdfe's
schedule; see :data:`ADAPTIVE_START_TOL`); the accepted last iteration is
always demeaned to ``fixef_tol``.
The vcov uses the working residuals and the weighted demeaned design of the
last iteration; inference uses the normal distribution.
"""

from __future__ import annotations

import functools
import warnings

from jaxtrade import _config  # noqa: F401

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from scipy.special import gammaln

from jaxtrade.errors import finish, solver_info

from .demean import DEFAULT_MAXITER, DEFAULT_TOL, cross_table, demean_arrays, demean_two_way_coef
from .feols import build_sample, collinear_columns, make_vcov, refit_vcov_factory
from .formula import parse_formula
from .results import FixestResult
from .vcov import parse_vcov, resolve_ssc

#: Adaptive demeaning tolerance (ppmlhdfe): the first IRLS iteration demeans to
#: ``fixef_tol`` (its demeaned X decides collinearity), the second to
#: ``max(fixef_tol, min(ADAPTIVE_START_TOL, ADAPTIVE_TOL_FACTOR * crit))``, and
#: each later one to ``max(fixef_tol, min(previous, ADAPTIVE_TOL_FACTOR * crit))``.
ADAPTIVE_START_TOL = 1e-4
ADAPTIVE_TOL_FACTOR = 1e-2


def poisson_deviance(y, mu, weights=None):
    """Poisson deviance ``2 sum w (y log(y/mu) - (y - mu))`` with ``0 log 0 = 0``."""
    y_safe = jnp.where(y > 0, y, 1.0)
    term = jnp.where(y > 0, y * jnp.log(y_safe / mu), 0.0) - (y - mu)
    if weights is not None:
        term = weights * term
    return 2.0 * jnp.sum(term)


@functools.partial(jax.jit, static_argnames=("n_groups", "maxiter"))
def irls_demean(y, X, user_weights, eta, mu, group_ids, n_groups, tol, maxiter, table=None, warm=None):
    """Working response of one IRLS iteration and its weighted demeaning with ``X`` (jit-compiled).

    Parameters
    ----------
    y : (N,) outcome; X : (N, k) regressors; user_weights : (N,).
    eta, mu : (N,) linear predictor and mean from the previous iteration.
    group_ids, n_groups : fixed-effect codes and level counts (static).
    tol, maxiter : demeaning tolerance (traced: changing it does not
        recompile) and iteration cap.
    table : CrossTable of the two fixed effects (two-way demeaning), or None
        (alternating projections).
    warm : warm start from the previous iteration, or None (cold). Two-way:
        the second effect's coefficients, shape ``(n_groups[1], k + 1)``;
        otherwise the fixed-effect part ``[z, X] - M[z, X]``, shape
        ``(N, k + 1)``. The previous fixed-effect coefficients are a point
        of the same affine space ``[z, X] + span(D)``, so the projection is
        unchanged; near convergence of IRLS they are nearly optimal and the
        demeaning stops after one or two accelerated iterations (ppmlhdfe's
        and fixest's warm start). Zeros equal a cold start.

    Returns
    -------
    dict with the working response ``z``, IRLS weights ``combined = w mu``,
    demeaned ``zx_resid`` (column 0: z), the next ``warm`` and the
    demeaning ``info``.
    """
    z = eta + y / mu - 1.0
    combined = user_weights * mu
    zx = jnp.concatenate([z[:, None], X], axis=1)
    if not group_ids:
        info = solver_info(jnp.asarray(0, jnp.int32), jnp.asarray(0.0), tol)
        return dict(z=z, combined=combined, zx_resid=zx, warm=warm, info=info)
    if table is not None:
        zx_resid, b, info = demean_two_way_coef(zx, group_ids, combined, table, n_groups, tol, maxiter, warm)
        return dict(z=z, combined=combined, zx_resid=zx_resid, warm=b, info=info)
    x0 = None if warm is None else zx - warm
    zx_resid, info = demean_arrays(zx, group_ids, combined, n_groups, tol, maxiter, x0)
    return dict(z=z, combined=combined, zx_resid=zx_resid, warm=zx - zx_resid, info=info)


@jax.jit
def irls_update(y, user_weights, z, zx_resid, combined):
    """Weighted least squares of the demeaned z on the demeaned X, and the new ``eta``, ``mu``.

    Returns
    -------
    dict with ``beta``, ``eta``, ``mu``, ``deviance`` (unweighted, as
    pyfixest's loop), ``objective`` (weighted deviance), the weighted
    demeaned design ``WX``, working response ``WZ`` and ``XWX``.
    """
    z_resid, x_resid = zx_resid[:, 0], zx_resid[:, 1:]
    sw = jnp.sqrt(combined)
    WX = x_resid * sw[:, None]
    WZ = z_resid * sw
    XWX = WX.T @ WX
    beta = jnp.linalg.solve(XWX, WX.T @ WZ)
    resid = z_resid - x_resid @ beta
    eta_new = z - resid
    mu_new = jnp.exp(eta_new)
    return dict(
        beta=beta,
        eta=eta_new,
        mu=mu_new,
        deviance=poisson_deviance(y, mu_new),
        objective=poisson_deviance(y, mu_new, user_weights),
        WX=WX,
        WZ=WZ,
        XWX=XWX,
    )


def separation_fe_mask(y: np.ndarray, fe_codes: list[np.ndarray]) -> np.ndarray:
    """Rows in a fixed-effect level whose outcome is zero for every observation.

    Such levels make the Poisson likelihood maximised at a fixed effect of
    minus infinity; as ppmlhdfe/pyfixest ("fe" check) the rows are removed.
    """
    drop = np.zeros(len(y), dtype=bool)
    if np.all(y > 0):
        return drop
    positive = (y > 0).astype(np.float64)
    for codes in fe_codes:
        n_pos = np.bincount(codes, weights=positive, minlength=int(codes.max()) + 1)
        drop |= n_pos[codes] == 0
    return drop


def _fit_one(formula, depvar, data, *, spec, weights, ssc, fixef_rm, collin_tol, fixef_tol,
             fixef_maxiter, iwls_tol, iwls_maxiter, separation_check, warm_start=True, adaptive_tol=True):
    sample = build_sample(formula, depvar, data, weights=weights, vcov_spec=spec, fixef_rm=fixef_rm)
    if np.any(sample.y < 0):
        raise ValueError(
            f"fepois: the dependent variable {depvar.name!r} has negative values; "
            "a Poisson outcome must be non-negative"
        )
    n_separation = 0
    n_fe_for_dof = None
    if sample.fe_codes and separation_check:
        sep = separation_fe_mask(sample.y, sample.fe_codes)
        if sep.any():
            if sep.all():
                raise ValueError(
                    f"empty sample: every observation of {depvar.name!r} is separated "
                    "(all outcomes zero within fixed-effect levels)"
                )
            n_separation = int(sep.sum())
            warnings.warn(f"{n_separation} observations removed because of separation.", stacklevel=3)
            singles = sample.n_singletons
            sample = sample.subset(~sep)
            sample.n_singletons = singles
            n_fe_for_dof = int(sum(g > 1 for g in sample.n_groups))
    if np.all(sample.y == 0):
        raise ValueError(f"fepois: the dependent variable {depvar.name!r} is zero for every observation")

    y = jnp.asarray(sample.y)
    w = jnp.asarray(sample.weights)
    groups = tuple(jnp.asarray(c) for c in sample.fe_codes)
    n_groups = sample.n_groups
    table = cross_table(sample.fe_codes[0], sample.fe_codes[1], n_groups[1]) if len(groups) == 2 else None

    mean_y = jnp.mean(y)
    mu = (y + mean_y) / 2.0
    eta = jnp.log(mu)
    last = float(poisson_deviance(y, mu))
    last_objective = float(poisson_deviance(y, mu, w))

    Xj = jnp.asarray(sample.X)
    n_cols = Xj.shape[1] + 1
    warm = None
    if len(groups) > 1 and warm_start:
        warm = jnp.zeros((n_groups[1], n_cols) if table is not None else (len(sample.y), n_cols))
    target_tol = float(fixef_tol)
    adaptive = adaptive_tol and len(groups) > 1
    # the first iteration is demeaned to fixef_tol: its demeaned X decides collinearity, as pyfixest
    tol_now = target_tol

    coefnames, collinear = None, []
    converged = False
    crit = np.inf
    beta_old = None
    step = None
    iterations = redone = 0
    while iterations - redone < iwls_maxiter:  # a redone iteration does not count against the cap
        iterations += 1
        dem = irls_demean(y, Xj, w, eta, mu, groups, n_groups, tol_now, int(fixef_maxiter), table, warm)
        finish(dem["info"], throw=True, what="fepois demeaning", tol=tol_now)
        zx_resid = dem["zx_resid"]
        if coefnames is None:
            # collinearity (with each other or the fixed effects) on the first demeaned X, as pyfixest
            gram = np.asarray(zx_resid.T @ zx_resid)
            _, coefnames, collinear = collinear_columns(gram[1:, 1:], sample.coefnames, collin_tol)
            if collinear:
                keep = np.array([True] + [n in coefnames for n in sample.coefnames])
                Xj, zx_resid = Xj[:, keep[1:]], zx_resid[:, keep]
                dem = dict(dem, warm=None if dem["warm"] is None else dem["warm"][:, keep])
        step = dict(irls_update(y, w, dem["z"], zx_resid, dem["combined"]), info=dem["info"])
        deviance = float(step["deviance"])
        objective = float(step["objective"])
        new_eta, beta = step["eta"], step["beta"]
        halvings = 0
        while halvings < 20 and (
            not np.isfinite(objective)
            or (iterations > 1 and objective > last_objective + 1e-10 * abs(last_objective))
        ):
            halvings += 1
            new_eta = (new_eta + eta) / 2.0
            if beta_old is not None:
                beta = (beta + beta_old) / 2.0
            deviance = float(poisson_deviance(y, jnp.exp(new_eta)))
            objective = float(poisson_deviance(y, jnp.exp(new_eta), w))
        if halvings:
            step = dict(step, eta=new_eta, mu=jnp.exp(new_eta), beta=beta)
        crit = abs(deviance - last) / (0.1 + abs(last))
        warm = dem["warm"] if warm_start else None
        if crit < iwls_tol and tol_now > target_tol:
            # converged on a loosely demeaned step: redo it at the target tolerance (warm-started)
            tol_now = target_tol
            redone += 1
            continue
        eta, mu, beta_old = step["eta"], step["mu"], step["beta"]
        last, last_objective = deviance, objective
        if crit < iwls_tol:
            converged = True
            break
        if adaptive:
            # ppmlhdfe's schedule: loose while the deviance moves, tightened as it settles
            start = ADAPTIVE_START_TOL if iterations == 1 else tol_now
            tol_now = max(target_tol, min(start, ADAPTIVE_TOL_FACTOR * crit))
    # converged only when the loop stopped on the criterion (not on a redo at the iteration cap)
    info = solver_info(iterations, crit, iwls_tol if converged else -np.inf)
    finish(info, throw=True, what="fepois IRLS", tol=iwls_tol, extra=lambda _: "raise iwls_maxiter")

    beta = np.asarray(step["beta"])
    WX = np.asarray(step["WX"])
    WZ = np.asarray(step["WZ"])
    XWX = np.asarray(step["XWX"])
    u_hat = WZ - WX @ beta
    scores = WX * u_hat[:, None]
    bread = np.linalg.inv(XWX)
    mu_np = np.asarray(mu)
    y_np = sample.y
    user_w = sample.weights
    k = WX.shape[1]

    sample = sample.without_design()  # the result keeps y, the rows and codes, not X
    vcov_kwargs = dict(
        data=data, sample=sample, bread=bread, scores=scores, ssr=float(u_hat @ u_hat), k=k, ssc=ssc,
        is_poisson=True, n_fe_for_dof=n_fe_for_dof,
    )
    matrix, meta = make_vcov(spec, **vcov_kwargs)
    loglik = float(np.sum(user_w * (y_np * np.log(mu_np) - mu_np - gammaln(y_np + 1))))
    pseudo_r2 = None
    if not sample.has_weights:
        y_null = np.mean(y_np)
        loglik_null = float(np.sum(y_np * np.log(y_null) - y_null - gammaln(y_np + 1)))
        pseudo_r2 = 1.0 - loglik / loglik_null
    result_kwargs = dict(
        method="fepois",
        formula=formula.text if len(formula.depvars) == 1 else f"{depvar.name} ~ {formula.text.split('~', 1)[1].strip()}",
        depvar=depvar.name,
        coefnames=coefnames,
        beta=beta,
        vcov_matrix=matrix,
        vcov_label=spec.label,
        nobs=len(y_np),
        n_dropped=sample.n_dropped,
        n_singletons=sample.n_singletons,
        n_separation=n_separation,
        fixef=list(sample.fe_names),
        fixef_sizes=dict(zip(sample.fe_names, sample.n_groups)),
        collinear=collinear,
        df_k=meta["df_k"],
        df_t=meta["df_t"],
        ssc=meta["ssc"],
        n_clusters=meta["G"],
        residuals=y_np - mu_np,
        fitted=mu_np,
        weights_name=weights,
        deviance=float(poisson_deviance(jnp.asarray(y_np), jnp.asarray(mu_np), jnp.asarray(user_w))),
        pseudo_r2=pseudo_r2,
        loglik=loglik,
        iterations=iterations,
        converged=converged,
        demean_info=step["info"],
        sample_index=data.index.to_numpy()[sample.rows],
    )
    result = FixestResult(**result_kwargs)
    result._refit_vcov = refit_vcov_factory(result_kwargs, **vcov_kwargs)
    return result


def fepois(
    fml: str,
    data: pd.DataFrame,
    vcov="iid",
    weights: str | None = None,
    *,
    ssc: dict | None = None,
    fixef_rm: str = "singleton",
    iwls_tol: float = 1e-8,
    iwls_maxiter: int = 25,
    collin_tol: float = 1e-9,
    separation_check: bool = True,
    fixef_tol: float = DEFAULT_TOL,
    fixef_maxiter: int = DEFAULT_MAXITER,
    warm_start: bool = True,
    adaptive_tol: bool = True,
):
    """Poisson regression (PPML) with high-dimensional fixed effects, as pyfixest/ppmlhdfe.

    Parameters
    ----------
    fml : str
        ``"y ~ x1 + x2 | fe1 + fe2"`` (see :func:`feols` for the syntax).
    data : pandas.DataFrame
    vcov : ``"iid"``, ``"hetero"``, ``{"CRV1": "cl"}`` or ``{"CRV1": "cl1+cl2"}``.
    weights : str, optional
        Column of observation weights.
    ssc : dict, optional
        Small-sample options (see :func:`feols`).
    fixef_rm : ``"singleton"`` (default) or ``"none"``.
    iwls_tol, iwls_maxiter : IRLS deviance tolerance and iteration cap (pyfixest: 1e-8, 25).
    collin_tol : collinearity tolerance.
    separation_check : drop observations in fixed-effect levels with only zero outcomes.
    fixef_tol, fixef_maxiter : demeaning tolerance and iteration cap.
    warm_start : start each IRLS iteration's demeaning from the previous
        iteration's fixed-effect coefficients (same projection, fewer sweeps).
    adaptive_tol : demean loosely in the early IRLS iterations (after the
        first, which decides collinearity) and tighten with the deviance
        change (ppmlhdfe); an iteration that meets
        ``iwls_tol`` with a loose demeaning is redone at ``fixef_tol``, so
        the returned fit is always demeaned to ``fixef_tol``.

    Returns
    -------
    FixestResult, or a list of them (one per dependent variable).

    Raises
    ------
    ValueError
        Negative outcome, unknown column, empty sample, bad vcov.
    jaxtrade.errors.ConvergenceError
        If IRLS or the demeaning does not converge.
    """
    formula = parse_formula(fml)
    spec = parse_vcov(vcov)
    ssc_opts = resolve_ssc(ssc)
    results = [
        _fit_one(
            formula, dep, data, spec=spec, weights=weights, ssc=ssc_opts, fixef_rm=fixef_rm,
            collin_tol=collin_tol, fixef_tol=fixef_tol, fixef_maxiter=fixef_maxiter,
            iwls_tol=iwls_tol, iwls_maxiter=iwls_maxiter, separation_check=separation_check,
            warm_start=warm_start, adaptive_tol=adaptive_tol,
        )
        for dep in formula.depvars
    ]
    return results[0] if len(results) == 1 else results


__all__ = ["fepois", "irls_demean", "irls_update", "poisson_deviance", "separation_fe_mask"]
