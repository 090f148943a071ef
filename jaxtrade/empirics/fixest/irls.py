"""One IRLS step of Poisson PML with fixed effects (internals of :class:`~.models.Fepois`).

Iteratively reweighted least squares (Correia, Guimaraes & Zylkin 2020,
ppmlhdfe), step for step as ``pyfixest.fepois``: each iteration forms the
working response ``z = eta + y / mu - 1``, demeans ``[z, X]`` by the fixed
effects with weights ``w * mu`` (:func:`irls_demean`), solves the weighted
least squares of the demeaned z on the demeaned X and sets
``eta = z - resid``, ``mu = exp(eta)`` (:func:`irls_update`). Both are
jit-compiled once per problem shape and reused by every iteration; the
demeaning tolerance is a traced argument, so an adaptive tolerance does not
recompile.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxtrade.empirics.fixest.demean import demean_arrays, demean_two_way_coef
from jaxtrade.errors import SolverInfo, solver_info

__all__ = [
    "ADAPTIVE_START_TOL",
    "ADAPTIVE_TOL_FACTOR",
    "IrlsDemeaned",
    "IrlsStep",
    "irls_demean",
    "irls_update",
    "poisson_deviance",
]

#: Adaptive demeaning tolerance (ppmlhdfe): the first IRLS iteration demeans to
#: ``fixef_tol`` (its demeaned X decides collinearity), the second to
#: ``max(fixef_tol, min(ADAPTIVE_START_TOL, ADAPTIVE_TOL_FACTOR * crit))``, and
#: each later one to ``max(fixef_tol, min(previous, ADAPTIVE_TOL_FACTOR * crit))``.
ADAPTIVE_START_TOL = 1e-4
ADAPTIVE_TOL_FACTOR = 1e-2


class IrlsDemeaned(NamedTuple):
    """The working response of one IRLS iteration and its demeaning (:func:`irls_demean`).

    Attributes
    ----------
    z : (N,) working response ``eta + y / mu - 1``.
    combined : (N,) IRLS weights ``w mu``.
    zx_resid : (N, k + 1) demeaned ``[z, X]`` (column 0: z).
    warm : the warm start of the next iteration (see :func:`irls_demean`), or None.
    info : SolverInfo of the demeaning.
    """

    z: jax.Array
    combined: jax.Array
    zx_resid: jax.Array
    warm: jax.Array | None
    info: SolverInfo


class IrlsStep(NamedTuple):
    """The weighted least squares of one IRLS iteration (:func:`irls_update`).

    Attributes
    ----------
    beta : (k,) coefficients.
    eta, mu : (N,) new linear predictor and mean.
    deviance : unweighted Poisson deviance (pyfixest's convergence criterion).
    objective : weighted deviance (the step-halving criterion).
    WX, WZ : sqrt-weighted demeaned design and working response.
    XWX : (k, k) ``WX' WX``.
    """

    beta: jax.Array
    eta: jax.Array
    mu: jax.Array
    deviance: jax.Array
    objective: jax.Array
    WX: jax.Array
    WZ: jax.Array
    XWX: jax.Array


def poisson_deviance(y, mu, weights=None):
    """Poisson deviance ``2 sum w (y log(y/mu) - (y - mu))`` with ``0 log 0 = 0``.

    Examples
    --------
    >>> float(poisson_deviance(jnp.array([0.0, 2.0]), jnp.array([1.0, 2.0])))
    2.0
    """
    y_safe = jnp.where(y > 0, y, 1.0)
    term = jnp.where(y > 0, y * jnp.log(y_safe / mu), 0.0) - (y - mu)
    if weights is not None:
        term = weights * term
    return 2.0 * jnp.sum(term)


@functools.partial(jax.jit, static_argnames=("n_groups", "maxiter"))
def irls_demean(y, X, user_weights, eta, mu, group_ids, n_groups, tol, maxiter, table=None, warm=None) -> IrlsDemeaned:
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
    IrlsDemeaned
        The demeaning never raises here (``throw=False``); its ``info`` is
        folded into the fit's by the caller.
    """
    z = eta + y / mu - 1.0
    combined = user_weights * mu
    zx = jnp.concatenate([z[:, None], X], axis=1)
    if not group_ids:
        info = solver_info(jnp.asarray(0, jnp.int32), jnp.asarray(0.0), tol)
        return IrlsDemeaned(z, combined, zx, warm, info)
    if table is not None:
        two_way = demean_two_way_coef(zx, group_ids, combined, table, n_groups, tol, maxiter, warm, throw=False)
        return IrlsDemeaned(z, combined, two_way.value, two_way.coef, two_way.info)
    x0 = None if warm is None else zx - warm
    sol = demean_arrays(zx, group_ids, combined, n_groups, tol, maxiter, x0, throw=False)
    return IrlsDemeaned(z, combined, sol.value, zx - sol.value, sol.info)


@jax.jit
def irls_update(y, user_weights, z, zx_resid, combined) -> IrlsStep:
    """Weighted least squares of the demeaned z on the demeaned X, and the new ``eta``, ``mu``."""
    z_resid, x_resid = zx_resid[:, 0], zx_resid[:, 1:]
    sw = jnp.sqrt(combined)
    WX = x_resid * sw[:, None]
    WZ = z_resid * sw
    XWX = WX.T @ WX
    beta = jnp.linalg.solve(XWX, WX.T @ WZ)
    resid = z_resid - x_resid @ beta
    eta_new = z - resid
    mu_new = jnp.exp(eta_new)
    return IrlsStep(
        beta=beta,
        eta=eta_new,
        mu=mu_new,
        deviance=poisson_deviance(y, mu_new),
        objective=poisson_deviance(y, mu_new, user_weights),
        WX=WX,
        WZ=WZ,
        XWX=XWX,
    )
