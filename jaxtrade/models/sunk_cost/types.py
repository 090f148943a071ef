"""Firm types: the (phi, kappa) grid and the entrant density Phi, eqs. (33)-(34).

Reading of the garbled density (34) (see ``docs/models/sunk_cost.md``): the
entry cost, conditional on phi, has the power density on [0, kappa_bar]

    g(kappa | phi) = (1 + theta_kappa(phi)) kappa^theta_kappa(phi) / kappa_bar^(1 + theta_kappa(phi)),
    theta_kappa(phi) = zeta + xi phi^2,

with CDF G(kappa | phi) = (kappa / kappa_bar)^(1 + theta_kappa(phi)). It is a
valid density iff 1 + theta_kappa(phi) > 0, which holds for every phi with the
paper's zeta = -0.19 (the alternative reading theta_kappa kappa^(theta_kappa - 1)
would be negative for phi < 14.5). Productivity has the Pareto density (33),
f(phi) = theta_phi phi^(-theta_phi - 1), truncated to [1, phi_bar] and
renormalised.

The grid: phi is log-spaced on [1, phi_bar], kappa uniform on [0, kappa_bar];
each grid point carries the exact probability mass of its cell (cell edges
at the midpoints between grid points, in logs for phi), so the masses sum to
one for any grid size.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from jaxtrade.models.sunk_cost.params import SunkCostParams
from jaxtrade.numerics.grids import pareto_interval_masses


class TypeGrid(eqx.Module):
    """Discretised firm types.

    Attributes
    ----------
    phi: (I,) productivity grid; kappa: (J,) entry-cost grid;
    mass: (I, J) probability of each type under Phi (sums to one);
    phi_mass: (I,) marginal mass of each phi cell.
    """

    phi: jax.Array
    kappa: jax.Array
    mass: jax.Array
    phi_mass: jax.Array


def theta_kappa(p: SunkCostParams, phi) -> jax.Array:
    """theta_kappa(phi) = zeta + xi phi^2 (text after eq. 34)."""
    phi = jnp.asarray(phi, dtype=float)
    return p.zeta + p.xi * phi**2


def productivity_cdf(p: SunkCostParams, phi) -> jax.Array:
    """CDF of density (33) truncated to [1, phi_bar]."""
    phi = jnp.clip(jnp.asarray(phi, dtype=float), 1.0, p.phi_bar)
    return (1.0 - phi ** (-p.theta_phi)) / (1.0 - p.phi_bar ** (-p.theta_phi))


def productivity_pdf(p: SunkCostParams, phi) -> jax.Array:
    """Density (33), f(phi) = theta_phi phi^(-theta_phi-1), renormalised on [1, phi_bar]."""
    phi = jnp.asarray(phi, dtype=float)
    inside = (phi >= 1.0) & (phi <= p.phi_bar)
    dens = p.theta_phi * phi ** (-p.theta_phi - 1.0) / (1.0 - p.phi_bar ** (-p.theta_phi))
    return jnp.where(inside, dens, 0.0)


def entry_cost_cdf(p: SunkCostParams, kappa, phi) -> jax.Array:
    """CDF of density (34) given phi: (kappa / kappa_bar)^(1 + theta_kappa(phi))."""
    k = jnp.clip(jnp.asarray(kappa, dtype=float) / p.kappa_bar, 0.0, 1.0)
    return k ** (1.0 + theta_kappa(p, phi))


def entry_cost_pdf(p: SunkCostParams, kappa, phi) -> jax.Array:
    """Density (34) (reading above): (1 + theta) kappa^theta / kappa_bar^(1 + theta)."""
    kappa = jnp.asarray(kappa, dtype=float)
    a = 1.0 + theta_kappa(p, phi)
    inside = (kappa > 0.0) & (kappa <= p.kappa_bar)
    dens = a * (kappa / p.kappa_bar) ** (a - 1.0) / p.kappa_bar
    return jnp.where(inside, dens, 0.0)


def type_grid(p: SunkCostParams) -> TypeGrid:
    """The n_phi x n_kappa grid of types with the cell masses of Phi = f x g."""
    n_phi, J = p.n_phi, p.n_kappa
    lphi = jnp.linspace(0.0, jnp.log(p.phi_bar), n_phi)
    phi = jnp.exp(lphi)
    ledges = jnp.concatenate([jnp.zeros(1), 0.5 * (lphi[1:] + lphi[:-1]), jnp.log(p.phi_bar)[None]])
    phi_mass = pareto_interval_masses(jnp.exp(ledges), 1.0, p.theta_phi)  # density (33) truncated to [1, phi_bar]
    kappa = jnp.linspace(0.0, 1.0, J) * p.kappa_bar
    kedges = jnp.concatenate([jnp.zeros(1), 0.5 * (kappa[1:] + kappa[:-1]), p.kappa_bar[None]])
    Ge = entry_cost_cdf(p, kedges[None, :], phi[:, None])  # (I, J+1)
    cond = jnp.diff(Ge, axis=1)
    mass = phi_mass[:, None] * cond
    return TypeGrid(phi=phi, kappa=kappa, mass=mass, phi_mass=phi_mass)
