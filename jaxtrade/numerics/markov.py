"""Finite-state Markov approximations of a Gaussian AR(1) process.

The process is (QuantEcon's convention)

    y_{t+1} = mu + rho * y_t + eps_{t+1},    eps ~ N(0, sigma^2),

with stationary mean ``mu / (1 - rho)`` and standard deviation
``sigma_y = sigma / sqrt(1 - rho^2)``. :func:`tauchen` and :func:`rouwenhorst`
reproduce :func:`quantecon.markov.approximation.tauchen` and
:func:`quantecon.markov.approximation.rouwenhorst` in pure JAX: they jit with
``n`` static, vmap over ``rho``/``sigma``/``mu`` and are differentiable in them.

:func:`stationary_distribution_markov` finds ``pi = pi P`` by power iteration
(push-forward of the distribution) through
:func:`jaxtrade.numerics.fixed_point.fixed_point`, never by an eigendecomposition.
"""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from jaxtrade.errors import Rule, Solution, enforce, finish
from jaxtrade.numerics.fixed_point import fixed_point
from jaxtrade.numerics.grids import grid_size

__all__ = ["MarkovChain", "tauchen", "rouwenhorst", "stationary_distribution_markov"]


class MarkovChain(eqx.Module):
    """A finite Markov chain: state values ``grid`` (n,) and transition matrix ``P`` (n, n).

    ``P[i, j] = Pr(y' = grid[j] | y = grid[i])``; rows sum to one.
    """

    grid: jax.Array
    P: jax.Array


class _AR1(NamedTuple):
    rho: Any
    sigma: Any


_AR1_RULES = (
    Rule("rho", "satisfy |rho| < 1 (stationary AR(1))", lambda a: jnp.abs(a.rho) < 1.0),
    Rule("sigma", "be > 0 (innovation standard deviation)", lambda a: a.sigma > 0.0),
)


def _check_ar1(rho, sigma) -> None:
    """Raise ValueError for concrete ``|rho| >= 1`` or ``sigma <= 0``."""
    enforce(_AR1(jnp.asarray(rho), jnp.asarray(sigma)), _AR1_RULES, traced="skip")


def _std_norm_cdf(x: jax.Array) -> jax.Array:
    """Standard normal CDF as ``0.5 * erfc(-x / sqrt(2))`` (QuantEcon's formula)."""
    return 0.5 * jax.scipy.special.erfc(-x / jnp.sqrt(2.0))


def tauchen(n: int, rho, sigma, mu=0.0, n_std=3) -> MarkovChain:
    """Tauchen (1986) discretization of ``y' = mu + rho y + eps``, ``eps ~ N(0, sigma^2)``.

    The demeaned grid is ``x_i`` equally spaced on ``[-n_std sigma_y, n_std sigma_y]``
    with ``sigma_y = sqrt(sigma^2 / (1 - rho^2))`` and half step ``h``. The
    probabilities integrate the normal density over each cell:

        P[i, 0]   = Phi((x_0 - rho x_i + h) / sigma),
        P[i, n-1] = 1 - Phi((x_{n-1} - rho x_i - h) / sigma),
        P[i, j]   = Phi((x_j - rho x_i + h) / sigma) - Phi((x_j - rho x_i - h) / sigma).

    The returned grid is ``x + mu / (1 - rho)``, exactly as in
    :func:`quantecon.markov.approximation.tauchen`.

    Parameters
    ----------
    n:
        Number of states (static Python int, ``n >= 2``).
    rho:
        Autocorrelation, ``|rho| < 1``.
    sigma:
        Standard deviation of the innovation, ``sigma > 0``.
    mu:
        Constant of the process; the stationary mean is ``mu / (1 - rho)``.
    n_std:
        Number of stationary standard deviations spanned on each side.

    Returns
    -------
    MarkovChain
        ``grid`` (n,) and ``P`` (n, n), float arrays.
    """
    n = grid_size(n)
    _check_ar1(rho, sigma)
    return _tauchen_kernel(n, *_as_floats(rho, sigma, mu, n_std))


def _as_floats(*values):
    dtype = jnp.result_type(float)
    return tuple(jnp.asarray(v, dtype=dtype) for v in values)


@partial(jax.jit, static_argnums=0)
def _tauchen_kernel(n, rho, sigma, mu, n_std) -> MarkovChain:
    """Jitted body of :func:`tauchen` (one compilation per ``n``)."""
    std_y = jnp.sqrt(sigma**2 / (1 - rho**2))
    x_max = n_std * std_y
    x_min = -x_max
    x = jnp.linspace(x_min, x_max, n)
    step = (x_max - x_min) / (n - 1)
    half_step = 0.5 * step
    z = x[None, :] - rho * x[:, None]  # z[i, j] = x_j - rho x_i
    upper = _std_norm_cdf((z + half_step) / sigma)
    lower = _std_norm_cdf((z - half_step) / sigma)
    P = upper - lower
    P = P.at[:, 0].set(upper[:, 0])
    P = P.at[:, n - 1].set(1 - lower[:, n - 1])
    grid = x + mu / (1 - rho)
    return MarkovChain(grid=grid, P=P)


def _rouwenhorst_matrix(n: int, p, q) -> jax.Array:
    """Rouwenhorst transition matrix by the recursion, on fixed-size (n, n) arrays.

    ``theta_2 = [[p, 1-p], [1-q, q]]`` and

        theta_{k+1} = p [theta_k 0; 0 0] + (1-p) [0 theta_k; 0 0]
                      + (1-q) [0 0; theta_k 0] + q [0 0; 0 theta_k],

    after which the interior rows ``1..k-1`` are halved. ``theta_k`` is kept in
    the top-left ``k x k`` block of an ``n x n`` array of zeros, so every step
    has the same shape and the recursion is a ``lax.fori_loop`` (``n`` static).
    """
    dtype = jnp.result_type(p, float)
    theta = jnp.zeros((n, n), dtype)
    theta = theta.at[:2, :2].set(jnp.stack([jnp.stack([p, 1 - p]), jnp.stack([1 - q, q])]))
    rows = jnp.arange(n)[:, None]

    def shift(a, down, right):
        # rows/columns pushed out are zero (theta_k has size k < n), so roll is a shift
        return jnp.roll(jnp.roll(a, down, axis=0), right, axis=1)

    def step(k, theta):  # theta_k -> theta_{k+1}
        new = p * theta + (1 - p) * shift(theta, 0, 1) + (1 - q) * shift(theta, 1, 0) + q * shift(theta, 1, 1)
        interior = (rows >= 1) & (rows <= k - 1)
        return jnp.where(interior, new / 2.0, new)

    return jax.lax.fori_loop(2, n, step, theta)


def rouwenhorst(n: int, rho, sigma, mu=0.0) -> MarkovChain:
    """Rouwenhorst discretization of ``y' = mu + rho y + eps``, ``eps ~ N(0, sigma^2)``.

    With ``p = q = (1 + rho) / 2`` the transition matrix follows the recursion of
    :func:`_rouwenhorst_matrix`; the grid is equally spaced on ``[-psi, psi]`` with
    ``psi = sigma_y sqrt(n - 1)``, ``sigma_y = sqrt(sigma^2 / (1 - rho^2))``,
    shifted by ``mu / (1 - rho)``. The chain matches the AR(1) mean, variance and
    autocorrelation exactly, which makes it the method of choice for ``rho``
    close to one. Matches :func:`quantecon.markov.approximation.rouwenhorst`.

    Parameters
    ----------
    n:
        Number of states (static Python int, ``n >= 2``).
    rho, sigma, mu:
        AR(1) parameters, ``|rho| < 1``, ``sigma > 0``.

    Returns
    -------
    MarkovChain
        ``grid`` (n,) and ``P`` (n, n).
    """
    n = grid_size(n)
    _check_ar1(rho, sigma)
    return _rouwenhorst_kernel(n, *_as_floats(rho, sigma, mu))


@partial(jax.jit, static_argnums=0)
def _rouwenhorst_kernel(n, rho, sigma, mu) -> MarkovChain:
    """Jitted body of :func:`rouwenhorst` (one compilation per ``n``)."""
    y_sd = jnp.sqrt(sigma**2 / (1 - rho**2))
    p = (1 + rho) / 2
    q = p
    psi = y_sd * np.sqrt(n - 1)
    grid = jnp.linspace(-psi, psi, n) + mu / (1 - rho)
    return MarkovChain(grid=grid, P=_rouwenhorst_matrix(n, p, q))


def stationary_distribution_markov(
    P,
    *,
    pi0=None,
    tol: float = 1e-13,
    max_iter: int = 100_000,
    method: str = "iterate",
    throw: bool = True,
) -> Solution:
    """Stationary distribution ``pi = pi P`` of a finite Markov chain by power iteration.

    Iterates the normalized push-forward ``pi <- (pi P) / sum(pi P)`` from
    ``pi0`` (uniform by default) to ``max|pi P - pi| <= tol`` using
    :func:`~jaxtrade.numerics.fixed_point.fixed_point`; the normalization
    makes the fixed point unique for an irreducible aperiodic chain and its
    derivative with respect to ``P`` well defined (implicit differentiation).

    Parameters
    ----------
    P:
        Row-stochastic transition matrix (n, n).
    pi0:
        Initial distribution (n,); uniform if ``None``.
    tol, max_iter, method:
        Passed to :func:`~jaxtrade.numerics.fixed_point.fixed_point`
        (``method="anderson"`` speeds up slowly mixing chains).
    throw:
        ``True`` (default): a failed solve raises; ``False``: read ``info.converged``.

    Returns
    -------
    Solution
        ``value``, the distribution (n,) summing to one, and ``info``.
    """
    P = jnp.asarray(P, dtype=jnp.result_type(P, float))
    if P.ndim != 2 or P.shape[0] != P.shape[1]:
        raise ValueError(f"P must be a square (n, n) matrix, got shape {P.shape}")
    n = P.shape[0]
    if pi0 is None:
        pi0 = jnp.full((n,), 1.0 / n, dtype=P.dtype)
    pi0 = jnp.asarray(pi0, dtype=P.dtype)
    out = _stationary_markov_kernel(P, pi0, tol=tol, max_iter=int(max_iter), method=method)
    return finish(out, throw=throw, what="stationary distribution of a Markov chain", tol=tol)


def _normalized_push(pi, P):
    """``pi P / sum(pi P)``: one step of the normalized power iteration."""
    new = pi @ P
    return new / jnp.sum(new)


@partial(jax.jit, static_argnames=("tol", "max_iter", "method"))
def _stationary_markov_kernel(P, pi0, *, tol, max_iter, method) -> Solution:
    return fixed_point(_normalized_push, pi0, P, tol=tol, max_iter=max_iter, method=method, throw=False)
