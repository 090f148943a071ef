"""Grids for state variables and Pareto (productivity) distributions on them.

All functions are pure JAX, jit with ``n`` static and are differentiable in
their float parameters (bounds, ``x_min``, ``shape``). The Pareto distribution
with scale ``x_min > 0`` and shape ``k > 0`` has

    F(x) = 1 - (x_min / x)^k,   f(x) = k x_min^k / x^(k+1),   x >= x_min,

and quantile function ``Q(q) = x_min (1 - q)^(-1/k)``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxtrade.errors import Rule, enforce

__all__ = [
    "uniform_grid",
    "log_grid",
    "pareto_cdf",
    "pareto_pdf",
    "pareto_quantile_grid",
    "pareto_cell_masses",
    "pareto_interval_masses",
    "pareto_survival",
    "grid_size",
]


def _float(x) -> jax.Array:
    return jnp.asarray(x, dtype=jnp.result_type(x, float))


def grid_size(n, name: str = "n", minimum: int = 2) -> int:
    """``n`` as a Python int, or ``ValueError`` unless it is a (static) integer ``>= minimum``."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise ValueError(f"{name} must be a Python int (static), got {n!r}")
    if n < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {n}")
    return int(n)


class _Bounds(NamedTuple):
    lo: Any
    hi: Any


class _Pareto(NamedTuple):
    x_min: Any
    shape: Any


class _Quantile(NamedTuple):
    q_max: Any


_QUANTILE = (Rule("q_max", "satisfy 0 < q_max < 1", lambda q: (q.q_max > 0) & (q.q_max < 1)),)
_BOUNDS = (Rule("lo", "be < hi", lambda b: b.lo < b.hi),)
_POSITIVE_LO = (Rule("lo", "satisfy lo > 0", lambda b: b.lo > 0),)
_PARETO = (
    Rule("x_min", "satisfy x_min > 0", lambda q: q.x_min > 0),
    Rule("shape", "satisfy shape > 0", lambda q: q.shape > 0),
)


def _check_bounds(lo, hi) -> None:
    enforce(_Bounds(jnp.asarray(lo), jnp.asarray(hi)), _BOUNDS, traced="skip")


def uniform_grid(lo, hi, n: int) -> jax.Array:
    """Equally spaced grid ``lo + (hi - lo) i / (n - 1)``, ``i = 0..n-1`` (requires ``lo < hi``, ``n >= 2``)."""
    n = grid_size(n)
    _check_bounds(lo, hi)
    return jnp.linspace(_float(lo), _float(hi), n)


def log_grid(lo, hi, n: int) -> jax.Array:
    """Log-spaced grid ``exp(linspace(log lo, log hi, n))``; endpoints are exactly ``lo`` and ``hi``.

    Requires ``0 < lo < hi`` and ``n >= 2``. Points are denser near ``lo``.
    """
    n = grid_size(n)
    enforce(_Bounds(jnp.asarray(lo), jnp.asarray(hi)), _POSITIVE_LO + _BOUNDS, traced="skip")
    lo, hi = _float(lo), _float(hi)
    grid = jnp.exp(jnp.linspace(jnp.log(lo), jnp.log(hi), n))
    return grid.at[0].set(lo).at[-1].set(hi)


def _check_pareto(x_min, shape) -> None:
    enforce(_Pareto(jnp.asarray(x_min), jnp.asarray(shape)), _PARETO, traced="skip")


def pareto_survival(x, x_min, shape) -> jax.Array:
    """Pareto survival ``S(x) = (x_min / max(x, x_min))^shape``: one below ``x_min``, zero at ``+inf``."""
    _check_pareto(x_min, shape)
    x, x_min, shape = _float(x), _float(x_min), _float(shape)
    return (x_min / jnp.maximum(x, x_min)) ** shape


def pareto_cdf(x, x_min, shape) -> jax.Array:
    """Pareto CDF ``F(x) = 1 - (x_min / x)^shape`` for ``x >= x_min``, zero below."""
    _check_pareto(x_min, shape)
    x, x_min, shape = _float(x), _float(x_min), _float(shape)
    return 1.0 - pareto_survival(x, x_min, shape)


def pareto_pdf(x, x_min, shape) -> jax.Array:
    """Pareto density ``f(x) = shape x_min^shape / x^(shape + 1)`` for ``x >= x_min``, zero below."""
    _check_pareto(x_min, shape)
    x, x_min, shape = _float(x), _float(x_min), _float(shape)
    x_safe = jnp.maximum(x, x_min)
    density = shape * x_min**shape / x_safe ** (shape + 1.0)
    return jnp.where(x >= x_min, density, 0.0)


def pareto_quantile_grid(x_min, shape, n: int, q_max=0.999) -> jax.Array:
    """Grid at equally spaced Pareto quantiles ``x_i = x_min (1 - q_i)^(-1/shape)``.

    ``q_i = q_max i / (n - 1)``, so ``x_0 = x_min`` and ``x_{n-1}`` is the
    ``q_max`` quantile. Requires ``x_min > 0``, ``shape > 0``, ``0 < q_max < 1``.
    """
    n = grid_size(n)
    _check_pareto(x_min, shape)
    enforce(_Quantile(jnp.asarray(q_max)), _QUANTILE, traced="skip")
    x_min, shape, q_max = _float(x_min), _float(shape), _float(q_max)
    q = q_max * jnp.linspace(0.0, 1.0, n)
    return x_min * (1.0 - q) ** (-1.0 / shape)


def pareto_interval_masses(edges, x_min, shape) -> jax.Array:
    """Pareto probability of each cell ``[e_k, e_{k+1}]``, conditional on ``[e_0, e_last]`` (a truncated Pareto).

    With ``S`` the survival function (:func:`pareto_survival`, scale
    ``x_min``, shape ``shape``) and increasing ``edges`` (n + 1 values, the
    last may be ``inf``),

        w_k = (S(e_k) - S(e_{k+1})) / (S(e_0) - S(e_n)),

    so the masses sum to one; edges below ``x_min`` carry no mass (``S = 1``
    there). This is the one kernel behind every model's Pareto cells: product
    attributes (Heo & Kim), firm productivity on [1, phi_bar] (Ruhl), grids
    with an open last cell (:func:`pareto_cell_masses`).

    Examples
    --------
    >>> [round(float(w), 6) for w in pareto_interval_masses(jnp.array([1.0, 2.0, jnp.inf]), 1.0, 1.0)]
    [0.5, 0.5]
    """
    edges = _float(edges)
    if edges.ndim != 1 or edges.shape[0] < 2:
        raise ValueError(f"edges must be 1-D with at least 2 values, got shape {edges.shape}")
    s = pareto_survival(edges, x_min, shape)
    return (s[:-1] - s[1:]) / (s[0] - s[-1])


def pareto_cell_masses(grid, x_min, shape) -> jax.Array:
    """Pareto probability mass of each grid cell; the masses sum to one.

    Cells are split at the midpoints ``m_i = (x_i + x_{i+1}) / 2`` of the
    increasing ``grid``; the first cell starts at ``x_min`` and the last runs to
    ``+inf``:

        w_0 = F(m_0),  w_i = F(m_i) - F(m_{i-1}),  w_{n-1} = 1 - F(m_{n-2}),

    (:func:`pareto_interval_masses` on the edges ``x_min, m_0, ..., m_{n-2}, inf``).
    Mass below ``x_min`` is zero (so a midpoint below ``x_min`` gives an empty cell).
    """
    _check_pareto(x_min, shape)
    grid = _float(grid)
    if grid.ndim != 1 or grid.shape[0] < 2:
        raise ValueError(f"grid must be 1-D with at least 2 points, got shape {grid.shape}")
    mids = 0.5 * (grid[1:] + grid[:-1])
    first = jnp.broadcast_to(_float(x_min), (1,)).astype(mids.dtype)
    edges = jnp.concatenate([first, mids, jnp.full((1,), jnp.inf, mids.dtype)])
    return pareto_interval_masses(edges, x_min, shape)
