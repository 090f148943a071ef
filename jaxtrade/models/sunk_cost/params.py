"""Parameters of Ruhl (2008), "The International Elasticity Puzzle".

Notation follows sections 4-5 and Tables 1-2 of the paper. Two symmetric
countries, home (h, index 0) and foreign (f, index 1). Firms are indexed by
idiosyncratic productivity phi in [1, phi_bar] and export entry cost kappa in
[0, kappa_bar]; the two are discretised on an ``n_phi x n_kappa`` grid of
types (200 x 200 = 40,000 in the paper).

Added beyond the paper (each documented in ``docs/models/sunk_cost.md``):

* ``L``, the labour endowment of each country, is not reported by the paper.
  Its default is chosen by :func:`jaxtrade.models.sunk_cost.calibrate_labor`
  so that the deterministic steady state at the 5 % tariff has the paper's
  trade/output ratio of 0.091 (Table 2).
* ``omega`` is the home-bias weight of eq. (4), 0.5 (no bias) in the
  entry-cost model; the model without entry costs (Table 3) sets it so that
  trade/output is 0.091 (:func:`no_entry_cost_params`, :func:`calibrate_home_bias`).
* ``entry_costs=False`` switches to the model without entry costs of section
  6.2: every firm exports.
* ``entry_cost_units`` (static): the units of kappa, own labour as in the
  paper's eq. (29) by default (see :mod:`jaxtrade.models.sunk_cost.options`).

The valid domain is the tuple of rules :data:`RULES`; :func:`validate_params`
and ``p.replace(**changes)`` (from :class:`~jaxtrade.models.base.ModelParams`)
check it. Presets: :data:`PRESETS`, :func:`preset`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp

from jaxtrade.errors import Rule, enforce
from jaxtrade.models.base import ModelParams
from jaxtrade.models.sunk_cost.options import EntryCostUnits, choices

__all__ = [
    "DEFAULT_LABOR",
    "PRESETS",
    "RULES",
    "TRADE_OUTPUT_TARGET",
    "SunkCostParams",
    "home_bias_for_trade_output",
    "no_entry_cost_params",
    "preset",
    "ruhl_params",
    "validate_params",
]

# Output of ``calibrate_labor(ruhl_params(L=1.0), tol=1e-9)``: trade/output = 0.091
# at tau = 0.05 on the 200 x 200 grid (tests recompute it); see docs/models/sunk_cost.md.
DEFAULT_LABOR = 1.2033879827059606

#: Table 2: the trade/output ratio both models are calibrated to
TRADE_OUTPUT_TARGET = 0.091

_FLOAT_FIELDS = (
    "tau", "rho", "beta", "delta", "gamma", "epsilon", "lam", "theta_phi", "phi_bar",
    "zeta", "xi", "kappa_bar", "L", "omega",
)  # fmt: skip


def _finite_scalar(name: str) -> Rule:
    def holds(p):
        value = getattr(p, name)
        return (jnp.ndim(value) == 0) & jnp.isfinite(value)

    return Rule(name, "be a finite scalar", holds)


def _grid_size(name: str) -> Rule:
    def holds(p):
        n = getattr(p, name)
        return isinstance(n, int) and not isinstance(n, bool) and n >= 2

    return Rule(name, "be an integer >= 2 (grid size)", holds)


def _min_entry_cost_exponent(p):
    """min over phi in [1, phi_bar] of 1 + theta_kappa(phi) = 1 + zeta + xi phi^2 (density (34))."""
    return 1.0 + p.zeta + jnp.minimum(p.xi, p.xi * p.phi_bar**2)


#: The valid domain of :class:`SunkCostParams` (checked in this order).
RULES: tuple[Rule, ...] = tuple(_finite_scalar(name) for name in _FLOAT_FIELDS) + (
    Rule("rho", "satisfy 0 < rho < 1 (true elasticity sigma = 1/(1-rho) > 1)", lambda p: (p.rho > 0) & (p.rho < 1)),
    Rule("beta", "satisfy 0 < beta < 1", lambda p: (p.beta > 0) & (p.beta < 1)),
    Rule("delta", "satisfy 0 < delta < 1 (exogenous death probability)", lambda p: (p.delta > 0) & (p.delta < 1)),
    Rule("gamma", "satisfy 0 < gamma < 1 (Cobb-Douglas share, eq. 13)", lambda p: (p.gamma > 0) & (p.gamma < 1)),
    Rule("epsilon", "satisfy 0 <= epsilon < 1 (productivity 1 - epsilon > 0)",
         lambda p: (p.epsilon >= 0) & (p.epsilon < 1)),
    Rule("lam", "satisfy 0 <= lam <= 1 (transition probabilities of eq. 35 in [0, 1])",
         lambda p: (p.lam >= 0) & (p.lam <= 1)),
    Rule("tau", "satisfy tau >= 0 (ad valorem tariff)", lambda p: p.tau >= 0),
    Rule("theta_phi", "satisfy theta_phi > 0 (Pareto density (33))", lambda p: p.theta_phi > 0),
    Rule("phi_bar", "satisfy phi_bar > 1 (productivity support [1, phi_bar])", lambda p: p.phi_bar > 1),
    Rule("kappa_bar", "satisfy kappa_bar > 0 (entry cost support [0, kappa_bar])", lambda p: p.kappa_bar > 0),
    Rule("L", "satisfy L > 0 (labour endowment)", lambda p: p.L > 0),
    Rule("omega", "satisfy 0 < omega < 1 (home-bias weight, eq. 4)", lambda p: (p.omega > 0) & (p.omega < 1)),
    Rule("zeta, xi, phi_bar", "satisfy 1 + theta_kappa(phi) = 1 + zeta + xi phi^2 > 0 for every phi in [1, phi_bar] "
         "(a valid entry-cost density (34))", lambda p: _min_entry_cost_exponent(p) > 0),
    Rule("entry_cost_units", f"be one of {choices(EntryCostUnits)}",
         lambda p: p.entry_cost_units in choices(EntryCostUnits)),
    _grid_size("n_phi"),
    _grid_size("n_kappa"),
    Rule("entry_costs", "be True or False", lambda p: isinstance(p.entry_costs, bool)),
)  # fmt: skip


class SunkCostParams(ModelParams):
    """Parameters of the export entry-cost model (Tables 1 and 2).

    Attributes
    ----------
    tau: ad valorem tariff, an iceberg cost (1 + tau) on imports (Table 1: 0.05).
    rho: CES exponent; the true elasticity is sigma = 1 / (1 - rho) (0.50 -> 2).
    beta: discount factor (0.961).
    delta: exogenous death probability of a firm (0.094).
    gamma: Cobb-Douglas share of the differentiated goods (0.171), eq. (13).
    epsilon: aggregate productivity is 1 +/- epsilon (0.025).
    lam: persistence lambda of the symmetric two-state chain (35) (0.803).
    theta_phi: Pareto shape of eq. (33) (0.672).
    phi_bar: upper bound of productivity; phi in [1, phi_bar] (134.4).
    zeta, xi: theta_kappa(phi) = zeta + xi phi^2 in the entry-cost density (34)
        (-0.190, 0.0009); see :func:`jaxtrade.models.sunk_cost.entry_cost_cdf`.
    kappa_bar: upper bound of the entry cost; kappa in [0, kappa_bar] (10.0).
    L: labour endowment of each country (not reported; calibrated).
    omega: home-bias weight on domestic varieties, eq. (4) (0.5 = none).
    n_phi, n_kappa: grid sizes (static; 200 x 200 in the paper).
    entry_costs: static; False gives the no-entry-cost model of section 6.2.
    entry_cost_units: static; the units of kappa (:data:`~jaxtrade.models.sunk_cost.options.EntryCostUnits`).

    ``p.replace(**changes)`` returns a copy validated against :data:`RULES`.
    """

    RULES: ClassVar[tuple[Rule, ...]] = RULES

    tau: jax.Array
    rho: jax.Array
    beta: jax.Array
    delta: jax.Array
    gamma: jax.Array
    epsilon: jax.Array
    lam: jax.Array
    theta_phi: jax.Array
    phi_bar: jax.Array
    zeta: jax.Array
    xi: jax.Array
    kappa_bar: jax.Array
    L: jax.Array
    omega: jax.Array
    n_phi: int = eqx.field(static=True, default=200)
    n_kappa: int = eqx.field(static=True, default=200)
    entry_costs: bool = eqx.field(static=True, default=True)
    entry_cost_units: EntryCostUnits = eqx.field(static=True, default="labor")

    @property
    def sigma(self) -> jax.Array:
        """True elasticity of substitution sigma = 1 / (1 - rho)."""
        return 1.0 / (1.0 - self.rho)

    @property
    def nu(self) -> jax.Array:
        """Mass of entrants nu = delta / (1 - delta): normalises the mass of firms to one.

        With the timing of section 4.5 (entrants arrive after production, then
        the period's deaths), the stationary mass of producing firms is
        (1 - delta) nu / delta.
        """
        return self.delta / (1.0 - self.delta)


def validate_params(p: SunkCostParams) -> SunkCostParams:
    """Check ``p`` against :data:`RULES`; return it (use the returned value under a trace).

    Concrete values: ``ValueError("<field> must <rule>, got <value>")`` for the
    first rule broken. Under ``jit``/``vmap`` the checks are compiled in
    (:func:`jaxtrade.errors.enforce`).

    Examples
    --------
    >>> validate_params(ruhl_params(validate=False, lam=1.2))
    Traceback (most recent call last):
    ...
    ValueError: lam must satisfy 0 <= lam <= 1 (transition probabilities of eq. 35 in [0, 1]), got lam=1.2
    """
    return enforce(p, RULES)


def ruhl_params(
    *,
    tau=0.05,
    rho=0.50,
    beta=0.961,
    delta=0.094,
    gamma=0.171,
    epsilon=0.025,
    lam=0.803,
    theta_phi=0.672,
    phi_bar=134.4,
    zeta=-0.190,
    xi=0.0009,
    kappa_bar=10.0,
    L=None,
    omega=0.5,
    n_phi: int = 200,
    n_kappa: int = 200,
    entry_costs: bool = True,
    entry_cost_units: EntryCostUnits = "labor",
    validate: bool = True,
) -> SunkCostParams:
    """The entry-cost model with the paper's parameters (Tables 1 and 2).

    ``L`` defaults to :data:`DEFAULT_LABOR`, the labour endowment that gives
    trade/output 0.091 in the deterministic steady state on the default
    200 x 200 grid (the paper does not report L). Coarser grids, or other
    parameters, need their own :func:`calibrate_labor` if the 0.091 target
    matters. ``validate=False`` skips :func:`validate_params`.

    Examples
    --------
    >>> p = ruhl_params(n_phi=20, n_kappa=20)
    >>> float(p.sigma), float(p.tau), (p.n_phi, p.n_kappa)
    (2.0, 0.05, (20, 20))
    >>> float(p.replace(tau=0.0).tau)
    0.0
    """
    if L is None:
        L = DEFAULT_LABOR
    f = lambda x: jnp.asarray(x, dtype=float)  # noqa: E731
    p = SunkCostParams(
        tau=f(tau), rho=f(rho), beta=f(beta), delta=f(delta), gamma=f(gamma), epsilon=f(epsilon), lam=f(lam),
        theta_phi=f(theta_phi), phi_bar=f(phi_bar), zeta=f(zeta), xi=f(xi), kappa_bar=f(kappa_bar), L=f(L),
        omega=f(omega), n_phi=int(n_phi), n_kappa=int(n_kappa), entry_costs=bool(entry_costs),
        entry_cost_units=str(entry_cost_units),  # type: ignore[arg-type]
    )  # fmt: skip
    return validate_params(p) if validate else p


def home_bias_for_trade_output(sigma: float, tau: float, target: float = TRADE_OUTPUT_TARGET) -> float:
    """The home-bias weight omega of eq. (4) at which every-firm-exports trade/output is ``target``.

    Without entry costs every firm exports and the countries are symmetric,
    so the import share is x / (1 + x) with x = ((1 - omega)/omega)^sigma
    (1 + tau)^(1 - sigma) (section 6.2); solved for omega in closed form.
    """
    if not 0.0 < target < 1.0:
        raise ValueError(f"target must satisfy 0 < target < 1 (trade/output ratio), got {target}")
    x = target / (1.0 - target)
    r = (x * (1.0 + float(tau)) ** (float(sigma) - 1.0)) ** (1.0 / float(sigma))  # (1-omega)/omega
    return 1.0 / (1.0 + r)


def no_entry_cost_params(*, target: float = TRADE_OUTPUT_TARGET, **overrides) -> SunkCostParams:
    """The model without entry costs of section 6.2 (Table 3): every firm exports.

    ``ruhl_params(**overrides)`` with ``entry_costs=False`` and omega of eq.
    (4) chosen by :func:`home_bias_for_trade_output` so that trade/output is
    ``target`` at this tau (unless ``omega`` is given).

    Examples
    --------
    >>> q = no_entry_cost_params(n_phi=20, n_kappa=20)
    >>> q.entry_costs, round(float(q.omega), 4)
    (False, 0.7552)
    """
    omega = overrides.pop("omega", None)
    overrides.pop("entry_costs", None)
    p = ruhl_params(entry_costs=False, **overrides)
    if omega is None:
        omega = home_bias_for_trade_output(float(p.sigma), float(p.tau), target)
    return p.replace(omega=omega)


#: Named parameter sets: the paper's entry-cost model and its no-entry-cost counterpart (Table 3).
PRESETS: dict[str, Callable[..., SunkCostParams]] = {"ruhl": ruhl_params, "no_entry_costs": no_entry_cost_params}


def preset(name: str, **overrides) -> SunkCostParams:
    """The preset ``name`` of :data:`PRESETS` with keyword ``overrides`` (grid sizes, any parameter).

    Examples
    --------
    >>> preset("ruhl", n_phi=20, n_kappa=20).n_phi
    20
    """
    if name not in PRESETS:
        raise ValueError(f"name must be one of {tuple(PRESETS)}, got {name!r}")
    return PRESETS[name](**overrides)
