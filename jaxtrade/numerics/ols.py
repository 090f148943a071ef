"""Least squares in closed form, jit/vmap safe (the small regressions inside model loops).

These are the regressions that run *inside* solvers and simulations: the
Armington regression of one simulated economy, the per-state forecasting
rules of a Krusell-Smith loop. Regressions on data, with fixed effects,
clustering and small-sample corrections, are :func:`jaxtrade.feols`.

* :func:`simple_ols`: ``y = a + b x`` by the centred normal equations.
* :func:`ols_by_group`: ``y = X beta_g`` separately within each group ``g``
  (one-hot weights, so a fixed number of groups vmaps and jits), with an
  optional ridge term that keeps a group without variation well posed.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxtrade.numerics.linalg import solve_small

__all__ = ["GroupFit", "ols_by_group", "simple_ols"]


def simple_ols(y, x) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Slope ``b``, intercept ``a`` and ``R^2`` of ``y = a + b x`` (1-D ``y`` and ``x``).

    Closed form on centred data: ``b = sum(x~ y~) / sum(x~^2)``,
    ``a = mean(y) - b mean(x)``, ``R^2 = 1 - SSR / SST``.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> b, a, r2 = simple_ols(jnp.array([1.0, 3.0, 5.0]), jnp.array([0.0, 1.0, 2.0]))
    >>> float(b), float(a), float(r2)
    (2.0, 1.0, 1.0)
    """
    xm, ym = x - x.mean(), y - y.mean()
    b = jnp.sum(xm * ym) / jnp.sum(xm * xm)
    a = y.mean() - b * x.mean()
    resid = ym - b * xm
    r2 = 1.0 - jnp.sum(resid**2) / jnp.sum(ym**2)
    return b, a, r2


class GroupFit(NamedTuple):
    """Result of :func:`ols_by_group`.

    coef: (n_groups, p, K) coefficients per group; residuals: (T, K);
    r2: (K,) R^2 pooled over groups (NaN where the outcome has no variation);
    sst: (K,) total sum of squares about the pooled mean.
    """

    coef: jax.Array
    residuals: jax.Array
    r2: jax.Array
    sst: jax.Array


def ols_by_group(y, X, groups, n_groups: int, *, ridge: float = 0.0) -> GroupFit:
    """OLS of ``y`` (T, K) on ``X`` (T, p) separately within each of ``n_groups`` groups.

    The normal equations of group ``g``,
    ``(X_g' X_g + ridge (T_g + 1) I) beta_g = X_g' y_g``, are solved with
    :func:`~jaxtrade.numerics.linalg.solve_small` (``T_g`` the group's
    observations). A positive ``ridge`` keeps a group without variation in a
    regressor well posed (its coefficient shrinks to zero); its effect is
    ``ridge / var(x)`` otherwise. Centre the regressors first for
    conditioning when they have large means.
    """
    y = jnp.asarray(y, dtype=jnp.result_type(y, float))
    X = jnp.asarray(X, dtype=y.dtype)
    D = jax.nn.one_hot(groups, n_groups, dtype=y.dtype)  # (T, G)
    p = X.shape[1]
    counts = D.sum(axis=0)
    A = jnp.einsum("tg,ti,tj->gij", D, X, X) + ridge * (counts + 1.0)[:, None, None] * jnp.eye(p, dtype=y.dtype)[None]
    B = jnp.einsum("tg,ti,tk->gik", D, X, y)
    coef = jax.vmap(solve_small)(A, B)  # (G, p, K)
    residuals = y - jnp.einsum("tg,ti,gik->tk", D, X, coef)
    sst = jnp.sum((y - y.mean(axis=0)) ** 2, axis=0)
    r2 = 1.0 - jnp.sum(residuals**2, axis=0) / jnp.where(sst > 0, sst, 1.0)
    return GroupFit(coef=coef, residuals=residuals, r2=jnp.where(sst > 0, r2, jnp.nan), sst=sst)
