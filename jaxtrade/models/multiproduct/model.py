"""Grids, static firm problem, Bellman operator and stationary distribution (Heo & Kim 2025, sec. 3).

State ``s = (z, omega-tilde)``: ``z`` on the Tauchen grid of eq. (27) and the
export threshold index ``i in {0, 1, ..., N}`` (0: non-exporter, i: exports
products 1..i, i.e. every ``omega_k <= omega_i``). All functions are pure in
the parameter pytree and vectorized over the whole grid.

Scale reduction used throughout (docs, "GE reduction"): with the final good
as numeraire, a firm's operating profit in wage units is

    Pi(z, i) / W = (kappa / epsilon) A z^(epsilon-1) [Omega_H + Omega_X(i)],
    kappa = (epsilon / (epsilon - 1))^(1 - epsilon),  A = c^(1-epsilon) D / W,

(eqs. 11, 13, 16, 18; symmetric countries, D = D*), with ``c`` the unit cost
of the Cobb-Douglas bundle (eq. 13), ``Omega_H = sum_k m_k omega_k^(eps-1)``
and ``Omega_X(i) = sum_{k<=i} m_k omega_k^(eps-1) (1 + tau_k)^(-eps)``. The
firm's problem (eq. 21) divided by W therefore depends on prices only
through the scalar ``A``.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

import jaxtrade._config  # noqa: F401
from jaxtrade.errors import SolverInfo
from jaxtrade.numerics.fixed_point import fixed_point
from jaxtrade.numerics.markov import _tauchen_kernel, stationary_distribution_markov

__all__ = [
    "Grids", "make_grids", "export_cost_matrix", "exit_probability", "profit_w", "bellman_operator",
    "solve_bellman", "BellmanSolution", "choice_probabilities", "stationary_mass", "export_intensity",
]


class Grids(eqx.Module):
    """Discretized state space and the objects that do not depend on prices.

    log_z, z: (nz,) log productivity grid and levels; P: (nz, nz) transition (eq. 27).
    ergodic: (nz,) stationary distribution of the AR(1) chain.
    entrant: (nz,) entrants' distribution G (ergodic shifted left by mu_E).
    omega: (N,) product attributes; mass: (N,) Pareto cell masses.
    choices: (N+1,) thresholds {0, omega_1, ..., omega_N}.
    omega_H: () home demand index; omega_X: (N+1,) export demand index by
    threshold (firm revenue, tariff (1+tau)^-eps); omega_XP: (N+1,) the same
    with (1+tau)^(1-eps) (buyer's spending incl. tariff, price index eq. 12).
    tariff_X: (N+1,) sum_{k<=i} m_k omega_k^(eps-1) tau_k (1+tau_k)^-eps (tariff revenue).
    survival: (nz,) 1 - E(z) (eq. 29). cost: (N+1, N+1) f(omega_i, omega_j) in labour units.
    """

    log_z: jax.Array
    z: jax.Array
    P: jax.Array
    ergodic: jax.Array
    entrant: jax.Array
    omega: jax.Array
    mass: jax.Array
    choices: jax.Array
    omega_H: jax.Array
    omega_X: jax.Array
    omega_XP: jax.Array
    tariff_X: jax.Array
    survival: jax.Array
    cost: jax.Array


def _safe_pow(x, a):
    """x**a for x >= 0 with value 0 and zero derivative at x = 0."""
    pos = x > 0
    return jnp.where(pos, jnp.where(pos, x, 1.0) ** a, 0.0)


def export_cost_matrix(p, choices) -> jax.Array:
    """f(omega_i, omega_j) for all current thresholds i (rows) and choices j (columns).

    ``standard``: eq. (19), gamma_0 w'^gamma_1 + gamma_2 max(0, w' - w)^gamma_3;
    ``npg``: eq. (30), gamma_0 w'^gamma_1 + gamma_2 1(w' > w); a callable
    ``cost_form(w, w_next, p)`` is evaluated on the broadcast grid.
    """
    w = choices[:, None]
    wn = choices[None, :]
    if callable(p.cost_form):
        return jnp.broadcast_to(jnp.asarray(p.cost_form(w, wn, p), dtype=float), (choices.size, choices.size))
    cont = p.gamma_0 * _safe_pow(wn, p.gamma_1)
    if p.cost_form == "standard":
        return cont + p.gamma_2 * _safe_pow(jnp.maximum(wn - w, 0.0), p.gamma_3)
    return cont + p.gamma_2 * (wn > w).astype(choices.dtype)


def exit_probability(p, z) -> jax.Array:
    """E(z) = 1 / (1 + exp(xi z)) with z in levels (eq. 29)."""
    return jax.nn.sigmoid(-p.xi * z)


def product_grid(p):
    """Product attributes (N,) evenly spaced on [omega_lo, omega_hi] and their Pareto cell masses.

    Cell k is [omega_k - h/2, omega_k + h/2] (h the spacing), clipped below at
    the Pareto scale omega_min; the masses of the standard Pareto(gamma)
    (scale omega_min) are renormalized to the truncated support.
    """
    n = p.n_products
    omega = p.omega_lo + (p.omega_hi - p.omega_lo) * jnp.arange(n) / (n - 1)
    h = (p.omega_hi - p.omega_lo) / (n - 1)
    lower = jnp.maximum(omega - 0.5 * h, p.omega_min)
    upper = omega + 0.5 * h
    surv = lambda x: (p.omega_min / x) ** p.gamma  # noqa: E731
    mass = surv(lower) - surv(upper)
    return omega, mass / jnp.sum(mass)


def _shift_left(log_z, dist, shift):
    """Move the mass of ``dist`` at log_z to log_z - shift, split linearly onto the grid (keeps mass)."""
    n = log_z.shape[0]
    x = jnp.clip(log_z - shift, log_z[0], log_z[-1])
    idx = jnp.clip(jnp.searchsorted(log_z, x, side="right") - 1, 0, n - 2)
    w = jnp.clip((log_z[idx + 1] - x) / (log_z[idx + 1] - log_z[idx]), 0.0, 1.0)
    return jnp.zeros_like(dist).at[idx].add(dist * w).at[idx + 1].add(dist * (1.0 - w))


def make_grids(p) -> Grids:
    """Build the state space and price-independent objects from the parameters."""
    chain = _tauchen_kernel(p.n_z, p.rho_z, p.sigma_e, jnp.asarray(0.0), p.n_std)
    log_z, P = chain.grid, chain.P
    z = jnp.exp(log_z)
    erg = stationary_distribution_markov(P, tol=1e-15, max_iter=20_000, throw=False).value
    erg = erg / jnp.sum(erg)
    entrant = _shift_left(log_z, erg, p.mu_E)
    omega, mass = product_grid(p)
    eps = p.epsilon
    base = mass * omega ** (eps - 1.0)
    zero = jnp.zeros((1,), dtype=base.dtype)
    omega_X = jnp.concatenate([zero, jnp.cumsum(base * (1.0 + p.tau) ** (-eps))])
    omega_XP = jnp.concatenate([zero, jnp.cumsum(base * (1.0 + p.tau) ** (1.0 - eps))])
    tariff_X = jnp.concatenate([zero, jnp.cumsum(base * p.tau * (1.0 + p.tau) ** (-eps))])
    choices = jnp.concatenate([zero, omega])
    return Grids(
        log_z=log_z, z=z, P=P, ergodic=erg, entrant=entrant, omega=omega, mass=mass, choices=choices,
        omega_H=jnp.sum(base), omega_X=omega_X, omega_XP=omega_XP, tariff_X=tariff_X,
        survival=1.0 - exit_probability(p, z), cost=export_cost_matrix(p, choices),
    )


def kappa(p):
    """(epsilon / (epsilon - 1))^(1 - epsilon): p^(1-eps) = kappa c^(1-eps) z^(eps-1) (eq. 18)."""
    return (p.epsilon / (p.epsilon - 1.0)) ** (1.0 - p.epsilon)


def profit_w(p, g: Grids, A) -> jax.Array:
    """Operating profit in wage units Pi(z, i)/W, (nz, N+1) (eqs. 15-18)."""
    return (kappa(p) / p.epsilon) * A * g.z[:, None] ** (p.epsilon - 1.0) * (g.omega_H + g.omega_X)[None, :]


def export_intensity(g: Grids) -> jax.Array:
    """Exports / sales by threshold index (eq. 34; D = D*): (N+1,), independent of z."""
    return g.omega_X / (g.omega_H + g.omega_X)


def _choice_values(p, g, v):
    """x[z, i, j] = -f(i, j) + (1 - E(z)) beta E[v(z', j) | z] (the bracket of eq. 21 less profit)."""
    cont = (g.survival * p.beta)[:, None] * (g.P @ v)
    return cont[:, None, :] - g.cost[None, :, :]


def _smooth_max(x, lam):
    """Hard max (lam = 0) or lam * logsumexp(x / lam) over the last axis."""
    pos = lam > 0
    lam_safe = jnp.where(pos, lam, 1.0)
    soft = lam_safe * jax.nn.logsumexp(x / lam_safe, axis=-1)
    return jnp.where(pos, soft, jnp.max(x, axis=-1))


def choice_probabilities(p, g, v) -> jax.Array:
    """Pr(omega' = j | z, i), (nz, N+1, N+1): logit with scale ``smoothing``, one-hot argmax at 0."""
    x = _choice_values(p, g, v)
    lam = p.smoothing
    pos = lam > 0
    lam_safe = jnp.where(pos, lam, 1.0)
    soft = jax.nn.softmax(x / lam_safe, axis=-1)
    hard = jax.nn.one_hot(jnp.argmax(x, axis=-1), x.shape[-1], dtype=x.dtype)
    return jnp.where(pos, soft, hard)


def bellman_operator(v, args):
    """T v (z, i) = Pi(z, i)/W + max_j {-f(i, j) + (1 - E(z)) beta E v(z', j)} (eq. 21 in wage units)."""
    p, g, A = args
    return profit_w(p, g, A) + _smooth_max(_choice_values(p, g, v), p.smoothing)


class BellmanSolution(eqx.Module):
    """Value function v = V/W (nz, N+1), choice probabilities (nz, N+1, N+1), solver info."""

    v: jax.Array
    prob: jax.Array
    info: SolverInfo


def solve_bellman(p, g: Grids, A, *, tol=1e-12, max_iter=20_000, v0=None) -> BellmanSolution:
    """Value-function iteration on eq. (21); derivatives by implicit differentiation (fixed_point)."""
    if v0 is None:
        v0 = profit_w(p, g, A) / (1.0 - p.beta)
    out = fixed_point(bellman_operator, jax.lax.stop_gradient(v0), (p, g, A), tol=tol, max_iter=max_iter,
                      implicit_solver="gmres", throw=False)
    return BellmanSolution(v=out.value, prob=choice_probabilities(p, g, out.value), info=out.info)


def _dist_step(mu, args):
    P, survival, prob, entrant = args
    moved = jnp.einsum("zi,zij->zj", mu * survival[:, None], prob)
    new = P.T @ moved
    return new.at[:, 0].add(entrant)


def stationary_mass(g: Grids, prob, *, tol=1e-13, max_iter=50_000):
    """Stationary distribution per unit mass of entrants by histogram push-forward.

    mu'(z', j) = sum_{z, i} mu(z, i) (1 - E(z)) Pr(j | z, i) P(z, z') + G(z') 1(j = 0):
    firms produce, exit with probability E(z), survivors move to their chosen
    threshold and draw z'; entrants (unit mass, distribution G) start as
    non-exporters (eq. 24). Returns (mu, SolverInfo); mu is (nz, N+1).
    """
    nz, na = prob.shape[0], prob.shape[1]
    mu0 = jnp.zeros((nz, na), dtype=prob.dtype).at[:, 0].set(g.entrant / (1.0 - jnp.mean(g.survival)))
    out = fixed_point(_dist_step, jax.lax.stop_gradient(mu0), (g.P, g.survival, prob, g.entrant), tol=tol,
                      max_iter=max_iter, method="anderson", implicit_solver="gmres", throw=False)
    return out.value, out.info
