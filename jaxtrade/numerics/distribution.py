"""Histogram push-forward of distributions over (exogenous, endogenous) states.

A distribution ``mu[z, a]`` lives on an exogenous Markov state ``z`` (``nz``
points, transition matrix ``P``) and an endogenous state ``a`` on a grid of
``na`` points. One period maps it to

    mu'(z', a') = sum_z P(z, z') sum_a s(z, a) mu(z, a) T(a -> a' | z, a) + e(z', a'),

where ``s`` is the survival probability (one minus the exit probability),
``e`` the distribution of entrants added each period, and ``T`` the mass the
policy sends from ``a`` to ``a'``: a point mass on ``policy_idx[z, a]`` for an
on-grid policy, the lottery of Young (2010) for an off-grid choice ``x``,

    T(a -> i) = w,  T(a -> i + 1) = 1 - w,   w = (a_{i+1} - x) / (a_{i+1} - a_i),

which keeps the mass and the mean of ``x``, or a full matrix of choice
probabilities ``transition[z, a, a']`` (discrete choice with taste shocks).
Everything is a scatter-add (``.at[].add``), an ``einsum`` and a matrix
product: no loops over grid points, no Monte Carlo.

:func:`stationary_distribution` iterates the map to its fixed point with
:func:`jaxtrade.numerics.fixed_point.fixed_point` (power iteration, no
eigendecomposition); the result is differentiable in ``P``, the lottery
weights, survival and entrants by implicit differentiation.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from jaxtrade.errors import Solution, finish
from jaxtrade.numerics.fixed_point import fixed_point

__all__ = ["young_lottery", "push_forward", "stationary_distribution"]


def young_lottery(x, grid) -> tuple[jax.Array, jax.Array]:
    """Young (2010) lottery of off-grid points ``x`` onto an increasing ``grid``.

    ``x`` is first clipped to ``[grid[0], grid[-1]]``; then ``i`` is the cell
    with ``grid[i] <= x <= grid[i+1]`` (``0 <= i <= n - 2``) and the weight on
    the lower point is ``w = (grid[i+1] - x) / (grid[i+1] - grid[i])``, so that
    ``w grid[i] + (1 - w) grid[i+1] = x``.

    Parameters
    ----------
    x:
        Off-grid choices, any shape.
    grid:
        Strictly increasing 1-D grid with at least two points.

    Returns
    -------
    (lower_idx, lower_weight)
        Int array and float array of the shape of ``x``; differentiable in
        ``x`` and ``grid`` through ``lower_weight``.
    """
    grid = jnp.asarray(grid, dtype=jnp.result_type(grid, float))
    if grid.ndim != 1 or grid.shape[0] < 2:
        raise ValueError(f"grid must be 1-D with at least 2 points, got shape {grid.shape}")
    n = grid.shape[0]
    x = jnp.clip(jnp.asarray(x, dtype=grid.dtype), grid[0], grid[-1])
    lower_idx = jnp.clip(jnp.searchsorted(grid, x, side="right") - 1, 0, n - 2)
    lo = grid[lower_idx]
    hi = grid[lower_idx + 1]
    lower_weight = jnp.clip((hi - x) / (hi - lo), 0.0, 1.0)
    return lower_idx.astype(jnp.int32), lower_weight


def _check_shapes(mu, P, policy_idx, lottery, transition, survival, entrants):
    if mu.ndim != 2:
        raise ValueError(f"mu must have shape (nz, na), got {mu.shape}")
    nz, na = mu.shape
    if P.shape != (nz, nz):
        raise ValueError(f"P must have shape (nz, nz) = {(nz, nz)}, got {P.shape}")
    if sum(x is not None for x in (policy_idx, lottery, transition)) > 1:
        raise ValueError("give at most one of policy_idx, lottery and transition")
    if transition is not None and jnp.shape(transition) != (nz, na, na):
        raise ValueError(f"transition must have shape (nz, na, na) = {(nz, na, na)}, got {jnp.shape(transition)}")
    if policy_idx is not None and jnp.shape(policy_idx) != mu.shape:
        raise ValueError(f"policy_idx must have the shape of mu {mu.shape}, got {jnp.shape(policy_idx)}")
    if lottery is not None:
        lower, weight = lottery
        if jnp.shape(lower) != mu.shape or jnp.shape(weight) != mu.shape:
            raise ValueError(
                f"lottery = (lower_idx, lower_weight) must both have the shape of mu {mu.shape}, "
                f"got {jnp.shape(lower)} and {jnp.shape(weight)}"
            )
    for name, arr in (("survival", survival), ("entrants", entrants)):
        if arr is not None and jnp.ndim(arr) > 0 and jnp.shape(arr) != mu.shape:
            raise ValueError(f"{name} must be a scalar or have the shape of mu {mu.shape}, got {jnp.shape(arr)}")


def push_forward(mu, P, policy_idx=None, lottery=None, *, transition=None, survival=None, entrants=None) -> jax.Array:
    """One period of the distribution: ``mu'(z', a') = sum_z P(z, z') [T_s mu](z, a') + e(z', a')``.

    Parameters
    ----------
    mu:
        Distribution (nz, na) over exogenous state ``z`` and endogenous grid ``a``.
    P:
        Exogenous transition matrix (nz, nz), ``P[z, z'] = Pr(z' | z)``.
    policy_idx:
        Optional int array (nz, na): the grid index ``a'`` chosen in state
        ``(z, a)``; all of the mass moves there.
    lottery:
        Optional pair ``(lower_idx, lower_weight)`` of arrays (nz, na) from
        :func:`young_lottery`: a share ``lower_weight`` moves to ``lower_idx``
        and the rest to ``lower_idx + 1``.
    transition:
        Optional array (nz, na, na) of choice probabilities:
        ``transition[z, a, a']`` of the mass in ``(z, a)`` moves to ``a'``
        (rows sum to one). With none of ``policy_idx``, ``lottery`` and
        ``transition`` the endogenous state stays where it is.
    survival:
        Optional probability (scalar or (nz, na)) that a unit in state
        ``(z, a)`` survives into next period; exits happen before the move.
    entrants:
        Optional mass (scalar or (nz, na)) added after the transition, already
        indexed by next period's state ``(z', a')``.

    Returns
    -------
    Array (nz, na)
        Next period's distribution. Without exit and entry the total mass is
        preserved (for row-stochastic ``P``); in general
        ``sum mu' = sum s mu + sum e``.
    """
    mu = jnp.asarray(mu, dtype=jnp.result_type(mu, float))
    P = jnp.asarray(P, dtype=mu.dtype)
    _check_shapes(mu, P, policy_idx, lottery, transition, survival, entrants)
    nz, na = mu.shape
    mass = mu if survival is None else mu * survival
    rows = jnp.arange(nz)[:, None]
    if policy_idx is not None:
        moved = jnp.zeros_like(mass).at[rows, jnp.asarray(policy_idx)].add(mass)
    elif lottery is not None:
        lower, weight = lottery
        lower = jnp.asarray(lower)
        moved = (
            jnp.zeros_like(mass)
            .at[rows, lower]
            .add(mass * weight)
            .at[rows, jnp.minimum(lower + 1, na - 1)]
            .add(mass * (1.0 - weight))
        )
    elif transition is not None:
        moved = jnp.einsum("za,zab->zb", mass, jnp.asarray(transition, dtype=mass.dtype))
    else:
        moved = mass
    new = P.T @ moved
    if entrants is not None:
        new = new + entrants
    return new


def stationary_distribution(
    P,
    policy_idx=None,
    lottery=None,
    *,
    transition=None,
    survival=None,
    entrants=None,
    mu0=None,
    na: int | None = None,
    tol: float = 1e-12,
    max_iter: int = 100_000,
    method: str = "iterate",
    implicit_solver: str = "auto",
    throw: bool = True,
) -> Solution:
    """Stationary distribution of :func:`push_forward`, by iterating it to a fixed point.

    Without entrants the map is normalized, ``mu <- T(mu) / sum T(mu)``, and the
    result is a probability distribution (with ``survival < 1`` and no entrants
    it is the distribution conditional on survival). With entrants the map
    ``mu <- T_s(mu) + e`` is affine and, when survival is below one, a
    contraction whose fixed point has total mass
    ``sum e / (1 - s)`` for a constant survival ``s``.

    Parameters
    ----------
    P, policy_idx, lottery, transition, survival, entrants:
        As in :func:`push_forward`.
    mu0:
        Initial distribution (nz, na); uniform with unit mass by default.
    na:
        Number of endogenous grid points; needed only when none of
        ``policy_idx``, ``lottery``, ``mu0``, array ``survival``/``entrants``
        tells it.
    tol, max_iter, method, implicit_solver:
        Passed to :func:`~jaxtrade.numerics.fixed_point.fixed_point`
        (convergence when ``max|mu' - mu| <= tol``).
    throw:
        ``True`` (default): a failed solve raises; ``False``: read ``info.converged``.

    Returns
    -------
    Solution
        ``value``, the distribution (nz, na), and ``info``. Differentiable in
        ``P``, the lottery weights, ``transition``, survival and entrants.
    """
    P = jnp.asarray(P, dtype=jnp.result_type(P, float))
    nz = P.shape[0]
    if mu0 is None:
        shape_sources = [
            policy_idx,
            None if lottery is None else lottery[0],
            survival,
            entrants,
            None if transition is None else transition[..., 0],
        ]
        shapes = [jnp.shape(s) for s in shape_sources if s is not None and jnp.ndim(s) == 2]
        if shapes:
            na_ = shapes[0][1]
        elif na is not None:
            na_ = int(na)
        else:
            raise ValueError("na must be given when policy_idx, lottery, mu0, survival and entrants do not fix it")
        mu0 = jnp.full((nz, na_), 1.0 / (nz * na_), dtype=P.dtype)
    mu0 = jnp.asarray(mu0, dtype=P.dtype)
    out = _stationary_kernel(
        P, policy_idx, lottery, transition, survival, entrants, mu0,
        normalize=entrants is None, tol=tol, max_iter=int(max_iter), method=method, implicit_solver=implicit_solver,
    )  # fmt: skip
    return finish(out, throw=throw, what="stationary distribution (histogram push-forward)", tol=tol)


@partial(jax.jit, static_argnames=("normalize", "tol", "max_iter", "method", "implicit_solver"))
def _stationary_kernel(
    P, policy_idx, lottery, transition, survival, entrants, mu0, *, normalize, tol, max_iter, method, implicit_solver
) -> Solution:
    """Jitted body of :func:`stationary_distribution` (never raises; ``finish`` applies ``throw``)."""

    def step(mu, params):
        P_, lottery_, transition_, survival_, entrants_ = params
        new = push_forward(mu, P_, policy_idx, lottery_, transition=transition_, survival=survival_, entrants=entrants_)
        if normalize:
            new = new / jnp.sum(new)
        return new

    return fixed_point(
        step, jax.lax.stop_gradient(mu0), (P, lottery, transition, survival, entrants), tol=tol, max_iter=max_iter,
        method=method, implicit_solver=implicit_solver, throw=False,
    )  # fmt: skip
