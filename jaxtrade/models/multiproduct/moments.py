"""Moments of the stationary equilibrium (Heo & Kim 2025, Table 5 and section 5).

Definitions (all from the stationary distribution ``mu(z, i)`` of producing
firms, entrants included, the exit probability E(z) and the portfolio choice
probabilities Pr(j | z, i); ``J(i, j) = sum_z mu(z, i) (1 - E(z)) Pr(j | z, i)``
is the mass of firms in threshold i this year that survive and hold
threshold j next year):

* ``entrant_incumbent_gap``: mean log z of incumbents (producing firms other
  than this year's entrants) minus mean log z of entrants (distribution G).
* ``industry_survival``: sum mu (1 - E) / sum mu.
* ``product_add_rate`` / ``product_drop_rate`` / ``product_stasis_rate``:
  among surviving multiproduct exporters (i >= 2), the share with j > i,
  j < i (including moves to single-product and non-exporting) and j = i.
* ``exporter_share``: mass with i >= 1 over all firms.
* ``exporter_survival``: share of surviving exporters that still export next
  year, sum_{i, j >= 1} J / sum_{i >= 1} J.
* ``single_product_share`` / ``multi_product_share``: mass with i = 1 / i >= 2
  over exporters.
* ``mpef_to_mpef`` / ``mpef_to_spef`` / ``mpef_to_nx``: sum_{i >= 2} J(i, j)
  for j >= 2 / j = 1 / j = 0, over sum_{i >= 2} J.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxtrade.models.multiproduct.firm import export_intensity
from jaxtrade.models.multiproduct.solve import Equilibrium

__all__ = ["TABLE5_DATA", "TABLE5_LABELS", "TABLE5_NAMES", "table5_moments", "extra_moments", "moment_vector"]

TABLE5_NAMES = (
    "entrant_incumbent_gap",
    "industry_survival",
    "product_drop_rate",
    "product_stasis_rate",
    "product_add_rate",
    "exporter_share",
    "exporter_survival",
    "single_product_share",
    "multi_product_share",
    "mpef_to_mpef",
    "mpef_to_spef",
    "mpef_to_nx",
)
TABLE5_LABELS = {
    "entrant_incumbent_gap": "Entrant/incumbent prod. difference",
    "industry_survival": "Industry survival rate",
    "product_drop_rate": "Product drop rate",
    "product_stasis_rate": "Product stasis rate",
    "product_add_rate": "Product add rate",
    "exporter_share": "Share of exporters",
    "exporter_survival": "Exporter survival rate",
    "single_product_share": "Share of single-product exporters",
    "multi_product_share": "Share of multi-product exporters",
    "mpef_to_mpef": "MPEF to MPEF (untargeted)",
    "mpef_to_spef": "MPEF to SPEF (untargeted)",
    "mpef_to_nx": "MPEF to NX (untargeted)",
}
#: Table 5, data column: the moments of the customs data the calibration targets (Heo & Kim 2025).
#: The paper's model columns are in :mod:`jaxtrade.replication.heo_kim_model.paper`.
TABLE5_DATA = {
    "entrant_incumbent_gap": 0.10,
    "industry_survival": 0.89,
    "product_drop_rate": 0.31,
    "product_stasis_rate": 0.30,
    "product_add_rate": 0.39,
    "exporter_share": 0.32,
    "exporter_survival": 0.85,
    "single_product_share": 0.45,
    "multi_product_share": 0.55,
    "mpef_to_mpef": 0.72,
    "mpef_to_spef": 0.14,
    "mpef_to_nx": 0.14,
}


def transition_mass(eq: Equilibrium) -> jax.Array:
    """J(i, j): mass of surviving firms moving from threshold i to j, (N+1, N+1)."""
    g = eq.grids
    return jnp.einsum("zi,zij->ij", eq.mu * g.survival[:, None], eq.prob)


def table5_moments(eq: Equilibrium) -> dict:
    """Every moment of Table 5 (targeted and untargeted) as a dict of scalars (definitions in module doc).

    Examples
    --------
    >>> from jaxtrade.models.multiproduct import solve_equilibrium, standard_params
    >>> m = table5_moments(solve_equilibrium(standard_params(n_z=11, n_products=4)))
    >>> sorted(m) == sorted(TABLE5_NAMES)
    True
    >>> round(float(m["single_product_share"] + m["multi_product_share"]), 12)
    1.0
    """
    g = eq.grids
    mu = eq.mu
    total = jnp.sum(mu)
    n = mu.shape[1]
    idx = jnp.arange(n)
    entrants = eq.N_E * g.entrant
    inc = mu.at[:, 0].add(-entrants)
    gap = jnp.sum(inc * g.log_z[:, None]) / jnp.sum(inc) - jnp.sum(g.entrant * g.log_z)
    J = transition_mass(eq)
    J_mp = J[2:]
    mp_total = jnp.sum(J_mp)
    i_mp = idx[2:][:, None]
    j_all = idx[None, :]
    exporters = jnp.sum(mu[:, 1:])
    J_x = J[1:]
    return {
        "entrant_incumbent_gap": gap,
        "industry_survival": jnp.sum(mu * g.survival[:, None]) / total,
        "product_drop_rate": jnp.sum(jnp.where(j_all < i_mp, J_mp, 0.0)) / mp_total,
        "product_stasis_rate": jnp.sum(jnp.where(j_all == i_mp, J_mp, 0.0)) / mp_total,
        "product_add_rate": jnp.sum(jnp.where(j_all > i_mp, J_mp, 0.0)) / mp_total,
        "exporter_share": exporters / total,
        "exporter_survival": jnp.sum(J_x[:, 1:]) / jnp.sum(J_x),
        "single_product_share": jnp.sum(mu[:, 1]) / exporters,
        "multi_product_share": jnp.sum(mu[:, 2:]) / exporters,
        "mpef_to_mpef": jnp.sum(J_mp[:, 2:]) / mp_total,
        "mpef_to_spef": jnp.sum(J_mp[:, 1]) / mp_total,
        "mpef_to_nx": jnp.sum(J_mp[:, 0]) / mp_total,
    }


def moment_vector(eq: Equilibrium) -> jax.Array:
    """Table 5 moments stacked in ``TABLE5_NAMES`` order (for autodiff / calibration)."""
    m = table5_moments(eq)
    return jnp.stack([m[k] for k in TABLE5_NAMES])


def extra_moments(p, eq: Equilibrium) -> dict:
    """Non-Table-5 outputs: product-count distribution (Fig. 3), average export scope,
    expenditure share by product, export costs / export profits, export intensity by threshold.

    * ``product_count_distribution`` (N,): share of exporters exporting 1..N products.
    * ``avg_export_scope``: mean omega-tilde over exporters.
    * ``expenditure_share`` (N,): spending on product k (home varieties and
      tariff-inclusive imports) over D; sums to one (eq. 12).
    * ``export_cost_share``: W x (export costs paid) / (export profits), export
      profits = export revenue / epsilon (constant markup, eq. 18).
    * ``export_intensity`` (N+1,): exports / sales by threshold (eq. 34).
    """
    g = eq.grids
    mu = eq.mu
    eps = p.epsilon
    exporters = jnp.sum(mu[:, 1:])
    count = jnp.sum(mu[:, 1:], axis=0) / exporters
    scope = jnp.sum(mu[:, 1:] * g.omega[None, :]) / exporters
    price = eps / (eps - 1.0) * eq.c / g.z
    pz = jnp.sum(mu * price[:, None] ** (1.0 - eps), axis=0)  # (N+1,) by threshold
    base = g.mass * g.omega ** (eps - 1.0)
    n = g.omega.shape[0]
    exported = (jnp.arange(1, n + 1)[None, :] <= jnp.arange(n + 1)[:, None]).astype(mu.dtype)  # (N+1, N)
    home_k = jnp.sum(pz) * base
    imp_k = jnp.sum(pz[:, None] * exported, axis=0) * base * (1.0 + p.tau) ** (1.0 - eps)
    exp_share = home_k + imp_k  # P = 1: spending on k over D
    export_rev = jnp.sum(mu * price[:, None] ** (1.0 - eps) * eq.D * g.omega_X[None, :])
    cost_share = eq.W * eq.F / (export_rev / eps)
    return {
        "product_count_distribution": count,
        "avg_export_scope": scope,
        "expenditure_share": exp_share,
        "export_cost_share": cost_share,
        "export_intensity": export_intensity(g),
    }
