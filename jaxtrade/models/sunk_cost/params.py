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
  entry-cost model; the model without entry costs (Table 3) calibrates it
  (:func:`calibrate_home_bias`).
* ``entry_costs=False`` switches to the model without entry costs of section
  6.2: every firm exports.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from jaxtrade.errors import is_traced

# Output of ``calibrate_labor(ruhl_params(L=1.0), tol=1e-9)``: trade/output = 0.091
# at tau = 0.05 on the 200 x 200 grid (tests recompute it); see docs/models/sunk_cost.md.
DEFAULT_LABOR = 1.2033879827059606


class SunkCostParams(eqx.Module):
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
    """

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
    entry_cost_units: str = eqx.field(static=True, default="labor")

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

    def replace(self, **kwargs) -> "SunkCostParams":
        """A copy with some fields replaced (validated)."""
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        fields.update(kwargs)
        out = SunkCostParams(**{k: (v if k in _STATIC else jnp.asarray(v, dtype=float)) for k, v in fields.items()})
        return validate_params(out)


#: units of the export entry cost kappa (experiment): own labour (the paper, default), effective labour
#: kappa / z, the consumption bundle P_C or the differentiated composite P (both relative to their
#: steady-state value in wage units, so the deterministic steady state is unchanged)
ENTRY_COST_UNITS = ("labor", "effective_labor", "consumption", "composite")

_STATIC = ("n_phi", "n_kappa", "entry_costs", "entry_cost_units")
_FLOAT_FIELDS = (
    "tau", "rho", "beta", "delta", "gamma", "epsilon", "lam", "theta_phi", "phi_bar",
    "zeta", "xi", "kappa_bar", "L", "omega",
)  # fmt: skip


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
    entry_cost_units: str = "labor",
    validate: bool = True,
) -> SunkCostParams:
    """Parameter factory with the paper's defaults (Tables 1 and 2).

    ``L`` defaults to :data:`DEFAULT_LABOR`, the labour endowment that gives
    trade/output 0.091 in the deterministic steady state on the default
    200 x 200 grid (the paper does not report L). Coarser grids, or other
    parameters, need their own :func:`calibrate_labor` if the 0.091 target
    matters.
    """
    if L is None:
        L = DEFAULT_LABOR
    p = SunkCostParams(
        tau=jnp.asarray(tau, dtype=float),
        rho=jnp.asarray(rho, dtype=float),
        beta=jnp.asarray(beta, dtype=float),
        delta=jnp.asarray(delta, dtype=float),
        gamma=jnp.asarray(gamma, dtype=float),
        epsilon=jnp.asarray(epsilon, dtype=float),
        lam=jnp.asarray(lam, dtype=float),
        theta_phi=jnp.asarray(theta_phi, dtype=float),
        phi_bar=jnp.asarray(phi_bar, dtype=float),
        zeta=jnp.asarray(zeta, dtype=float),
        xi=jnp.asarray(xi, dtype=float),
        kappa_bar=jnp.asarray(kappa_bar, dtype=float),
        L=jnp.asarray(L, dtype=float),
        omega=jnp.asarray(omega, dtype=float),
        n_phi=int(n_phi),
        n_kappa=int(n_kappa),
        entry_costs=bool(entry_costs),
        entry_cost_units=str(entry_cost_units),
    )
    if validate:
        validate_params(p)
    return p


def validate_params(p: SunkCostParams) -> SunkCostParams:
    """Check the model's valid domain; raise ``ValueError`` naming field and rule.

    Rules: every float field finite and scalar; 0 < rho < 1 (sigma > 1);
    0 < beta < 1; 0 < delta < 1; 0 < gamma < 1; 0 <= epsilon < 1 (positive
    productivity 1 - epsilon); 0 <= lam <= 1 (transition probabilities of
    eq. (35) in [0, 1]); tau >= 0; theta_phi > 0 and phi_bar > 1 (density
    (33) on [1, phi_bar]); kappa_bar > 0 (entry cost bound); the entry-cost
    density (34) must be valid for every phi on the grid, i.e. its exponent
    1 + theta_kappa(phi) = 1 + zeta + xi phi^2 > 0 on [1, phi_bar]; L > 0;
    0 < omega < 1; grid sizes >= 2. Traced values are skipped.
    """
    if is_traced(p):
        return p
    a = {}
    for name in _FLOAT_FIELDS:
        v = np.asarray(getattr(p, name), dtype=float)
        if v.ndim != 0:
            raise ValueError(f"{name} must be a scalar, got shape {v.shape}")
        if not np.isfinite(v):
            raise ValueError(f"{name} must be finite, got {float(v)}")
        a[name] = float(v)

    def need(name, ok, rule):
        if not ok:
            raise ValueError(f"{name} must satisfy {rule}, got {name}={a[name]}")

    need("rho", 0.0 < a["rho"] < 1.0, "0 < rho < 1 (true elasticity sigma = 1/(1-rho) > 1)")
    need("beta", 0.0 < a["beta"] < 1.0, "0 < beta < 1")
    need("delta", 0.0 < a["delta"] < 1.0, "0 < delta < 1 (exogenous death probability)")
    need("gamma", 0.0 < a["gamma"] < 1.0, "0 < gamma < 1 (Cobb-Douglas share, eq. 13)")
    need("epsilon", 0.0 <= a["epsilon"] < 1.0, "0 <= epsilon < 1 (productivity 1 - epsilon > 0)")
    need("lam", 0.0 <= a["lam"] <= 1.0, "0 <= lam <= 1 (transition probabilities of eq. 35 in [0, 1])")
    need("tau", a["tau"] >= 0.0, "tau >= 0 (ad valorem tariff)")
    need("theta_phi", a["theta_phi"] > 0.0, "theta_phi > 0 (Pareto density (33))")
    need("phi_bar", a["phi_bar"] > 1.0, "phi_bar > 1 (productivity support [1, phi_bar])")
    need("kappa_bar", a["kappa_bar"] > 0.0, "kappa_bar > 0 (entry cost support [0, kappa_bar])")
    need("L", a["L"] > 0.0, "L > 0 (labour endowment)")
    need("omega", 0.0 < a["omega"] < 1.0, "0 < omega < 1 (home-bias weight, eq. 4)")
    # density (34): exponent 1 + zeta + xi phi^2 must be positive for all phi in [1, phi_bar]
    lo = min(a["xi"] * 1.0, a["xi"] * a["phi_bar"] ** 2)
    if not 1.0 + a["zeta"] + lo > 0.0:
        raise ValueError(
            "zeta, xi give an invalid entry-cost density (34): need 1 + theta_kappa(phi) = 1 + zeta + xi*phi^2 > 0 "
            f"for every phi in [1, phi_bar], got zeta={a['zeta']}, xi={a['xi']}, phi_bar={a['phi_bar']} "
            f"(minimum {1.0 + a['zeta'] + lo})"
        )
    if p.entry_cost_units not in ENTRY_COST_UNITS:
        raise ValueError(f"entry_cost_units must be one of {ENTRY_COST_UNITS}, got {p.entry_cost_units!r}")
    for name in ("n_phi", "n_kappa"):
        n = getattr(p, name)
        if int(n) < 2:
            raise ValueError(f"{name} must be an integer >= 2, got {n}")
    return p
