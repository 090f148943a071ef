"""Moments of the stationary equilibrium (Heo & Kim 2025, Table 5 and section 5).

Notation: ``mu(z, i)`` is the stationary mass of producing firms (this
year's entrants included) at productivity z and threshold index i
(0: non-exporter, 1: single-product, i >= 2: multiproduct), E(z) the exit
probability (eq. 29), Pr(j | z, i) the portfolio choice and

    J(i, j) = sum_z mu(z, i) (1 - E(z)) Pr(j | z, i)

the mass of firms at threshold i this year that survive and hold threshold
j next year. The Table 5 moments (``docs/models/multiproduct.md``,
"Moment definitions", gives the evidence for each reading):

* ``entrant_incumbent_gap``, keyword ``entrant_gap``:

  - ``"ergodic_level"`` (default): 1 - E_G[z] / E_erg[z], entrants'
    distribution G against the ergodic distribution of the AR(1) chain
    (eq. 27) in levels; the paper's entrants draw "from the unconditional
    productivity distribution of incumbents shifted to the left by mu_E"
    and the gap is "around 10 %" at mu_E = 0.11 (section 4);
  - ``"ergodic_log"``: E_erg[log z] - E_G[log z] (mu_E up to the grid's ends);
  - ``"incumbent_log"``: mean log z of producing incumbents (mu less this
    year's entrants N_E G) minus E_G[log z] (selected by exit, larger).

* ``industry_survival``: sum mu (1 - E) / sum mu.
* ``product_add_rate`` / ``product_drop_rate`` / ``product_stasis_rate``,
  keyword ``product_rates``:

  - ``"mp_stayers"`` (default): among surviving multiproduct exporters that
    are still multiproduct next year (i >= 2, j >= 2), the shares with
    j > i, j < i and j = i: sum_{i,j>=2} J 1(j > i) / sum_{i,j>=2} J, etc.;
  - ``"mp_survivors"``: among all surviving multiproduct exporters (i >= 2,
    any j), so that moves to single-product (j = 1) and to non-exporting
    (j = 0) count as drops.

* ``exporter_share``: mass with i >= 1 over all firms.
* ``exporter_survival``: share of surviving exporters that still export next
  year, sum_{i, j >= 1} J / sum_{i >= 1} J.
* ``single_product_share`` / ``multi_product_share``: mass with i = 1 / i >= 2
  over exporters.
* ``mpef_to_mpef`` / ``mpef_to_spef`` / ``mpef_to_nx`` (untargeted):
  sum_{i >= 2} J(i, j) for j >= 2 / j = 1 / j = 0, over sum_{i >= 2} J.

Every moment is a ratio of sums over (mu, Pr, E, G), so it is differentiable
in the parameters through :func:`~jaxtrade.models.multiproduct.solve_equilibrium`
(``throw=False``) when the taste-shock scale ``smoothing`` is positive.
"""

from __future__ import annotations

from typing import Literal, get_args

import jax
import jax.numpy as jnp

from jaxtrade.models.multiproduct.firm import export_intensity
from jaxtrade.models.multiproduct.solve import Equilibrium

__all__ = [
    "TABLE5_DATA",
    "TABLE5_LABELS",
    "TABLE5_NAMES",
    "ProductRates",
    "PRODUCT_RATES",
    "EntrantGap",
    "ENTRANT_GAPS",
    "transition_mass",
    "table5_moments",
    "extra_moments",
    "moment_vector",
]

#: Population of the product add/drop/stasis rates (module docstring).
ProductRates = Literal["mp_stayers", "mp_survivors"]
PRODUCT_RATES: tuple[str, ...] = get_args(ProductRates)
#: Reading of the entrant/incumbent productivity difference (module docstring).
EntrantGap = Literal["ergodic_level", "ergodic_log", "incumbent_log"]
ENTRANT_GAPS: tuple[str, ...] = get_args(EntrantGap)

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


def _choice(name: str, value, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")


def transition_mass(eq: Equilibrium) -> jax.Array:
    """J(i, j): mass of surviving firms moving from threshold i to j, (N+1, N+1)."""
    g = eq.grids
    return jnp.einsum("zi,zij->ij", eq.mu * g.survival[:, None], eq.prob)


def _entrant_gap(eq: Equilibrium, entrant_gap: str) -> jax.Array:
    g = eq.grids
    if entrant_gap == "ergodic_level":
        return 1.0 - jnp.sum(g.entrant * g.z) / jnp.sum(g.ergodic * g.z)
    if entrant_gap == "ergodic_log":
        return jnp.sum(g.ergodic * g.log_z) - jnp.sum(g.entrant * g.log_z)
    inc = eq.mu.at[:, 0].add(-eq.N_E * g.entrant)  # producing firms less this year's entrants
    return jnp.sum(inc * g.log_z[:, None]) / jnp.sum(inc) - jnp.sum(g.entrant * g.log_z)


def table5_moments(
    eq: Equilibrium, *, product_rates: ProductRates = "mp_stayers", entrant_gap: EntrantGap = "ergodic_level"
) -> dict:
    """Every moment of Table 5 (targeted and untargeted) as a dict of scalars (definitions in the module doc).

    Parameters
    ----------
    eq : Equilibrium
        A solved stationary equilibrium.
    product_rates : {"mp_stayers", "mp_survivors"}
        Population of the product add/drop/stasis rates: multiproduct
        exporters that survive and stay multiproduct (default), or all
        surviving multiproduct exporters (moves to single-product or
        non-exporting count as drops).
    entrant_gap : {"ergodic_level", "ergodic_log", "incumbent_log"}
        Reading of the entrant/incumbent productivity difference:
        1 - E_G[z] / E_erg[z] (default), E_erg[log z] - E_G[log z], or the
        mean log z of producing incumbents minus E_G[log z].

    Returns
    -------
    dict
        ``TABLE5_NAMES`` -> scalar array.

    Examples
    --------
    >>> from jaxtrade.models.multiproduct import solve_equilibrium, standard_params
    >>> eq = solve_equilibrium(standard_params(n_z=11, n_products=4))
    >>> m = table5_moments(eq)
    >>> sorted(m) == sorted(TABLE5_NAMES)
    True
    >>> round(float(m["product_add_rate"] + m["product_drop_rate"] + m["product_stasis_rate"]), 12)
    1.0
    >>> gaps = [table5_moments(eq, entrant_gap=r)["entrant_incumbent_gap"] for r in ENTRANT_GAPS]
    >>> [round(float(x), 3) for x in gaps]  # ergodic_level, ergodic_log, incumbent_log
    [0.1, 0.11, 0.139]
    >>> table5_moments(eq, product_rates="all")
    Traceback (most recent call last):
    ...
    ValueError: product_rates must be one of ('mp_stayers', 'mp_survivors'), got 'all'
    """
    _choice("product_rates", product_rates, PRODUCT_RATES)
    _choice("entrant_gap", entrant_gap, ENTRANT_GAPS)
    g = eq.grids
    mu = eq.mu
    total = jnp.sum(mu)
    n = mu.shape[1]
    idx = jnp.arange(n)
    J = transition_mass(eq)
    J_mp = J[2:]  # rows: multiproduct this year
    mp_total = jnp.sum(J_mp)
    i_mp = idx[2:][:, None]
    j_all = idx[None, :]
    # the population of the product rates: next year's thresholds counted
    J_rates = J_mp * (j_all >= 2) if product_rates == "mp_stayers" else J_mp
    rates_total = jnp.sum(J_rates)
    exporters = jnp.sum(mu[:, 1:])
    J_x = J[1:]
    return {
        "entrant_incumbent_gap": _entrant_gap(eq, entrant_gap),
        "industry_survival": jnp.sum(mu * g.survival[:, None]) / total,
        "product_drop_rate": jnp.sum(jnp.where(j_all < i_mp, J_rates, 0.0)) / rates_total,
        "product_stasis_rate": jnp.sum(jnp.where(j_all == i_mp, J_rates, 0.0)) / rates_total,
        "product_add_rate": jnp.sum(jnp.where(j_all > i_mp, J_rates, 0.0)) / rates_total,
        "exporter_share": exporters / total,
        "exporter_survival": jnp.sum(J_x[:, 1:]) / jnp.sum(J_x),
        "single_product_share": jnp.sum(mu[:, 1]) / exporters,
        "multi_product_share": jnp.sum(mu[:, 2:]) / exporters,
        "mpef_to_mpef": jnp.sum(J_mp[:, 2:]) / mp_total,
        "mpef_to_spef": jnp.sum(J_mp[:, 1]) / mp_total,
        "mpef_to_nx": jnp.sum(J_mp[:, 0]) / mp_total,
    }


def moment_vector(
    eq: Equilibrium, *, product_rates: ProductRates = "mp_stayers", entrant_gap: EntrantGap = "ergodic_level"
) -> jax.Array:
    """Table 5 moments stacked in ``TABLE5_NAMES`` order (for autodiff / calibration).

    Keywords as in :func:`table5_moments`.
    """
    m = table5_moments(eq, product_rates=product_rates, entrant_gap=entrant_gap)
    return jnp.stack([m[k] for k in TABLE5_NAMES])


def extra_moments(p, eq: Equilibrium) -> dict:
    """Non-Table-5 outputs: product-count distribution (Fig. 3), average export scope (Fig. 10),
    expenditure share by product, export costs / export profits, export intensity by threshold.

    * ``product_count_distribution`` (N,): share of exporters exporting 1..N products.
    * ``avg_export_scope``: the paper's omega-tilde^avg of Figure 10,
      (1/N_t) sum over all producing firms of omega-tilde, i.e.
      sum_{z,i} mu(z, i) omega-tilde_i / sum mu, with omega-tilde_0 = 0 for
      non-exporters (the first entry of ``grids.choices``); this year's
      entrants are non-exporters and count in N_t.
    * ``avg_export_scope_exporters``: mean omega-tilde over exporters only
      (i >= 1).
    * ``expenditure_share`` (N,): spending on product k (home varieties and
      tariff-inclusive imports) over D; sums to one (eq. 12). These are the
      s_k of eqs. (35)-(36) (the paper: "expenditure shares ... range from 6%
      to 18%", section 6).
    * ``export_cost_share``: W x (export costs paid) / (export profits), export
      profits = export revenue / epsilon (constant markup, eq. 18).
    * ``export_intensity`` (N+1,): exports / sales by threshold (eq. 34).

    Examples
    --------
    >>> from jaxtrade.models.multiproduct import solve_equilibrium, standard_params
    >>> p = standard_params(n_z=11, n_products=4)
    >>> x = extra_moments(p, solve_equilibrium(p))
    >>> bool(0.0 < x["avg_export_scope"] < x["avg_export_scope_exporters"])
    True
    """
    g = eq.grids
    mu = eq.mu
    eps = p.epsilon
    exporters = jnp.sum(mu[:, 1:])
    count = jnp.sum(mu[:, 1:], axis=0) / exporters
    scope_all = jnp.sum(mu * g.choices[None, :]) / jnp.sum(mu)  # choices[0] = 0: non-exporters
    scope_exporters = jnp.sum(mu[:, 1:] * g.omega[None, :]) / exporters
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
        "avg_export_scope": scope_all,
        "avg_export_scope_exporters": scope_exporters,
        "expenditure_share": exp_share,
        "export_cost_share": cost_share,
        "export_intensity": export_intensity(g),
    }
