"""Parameters of the Heo & Kim (2025) multiproduct exporter model (sections 3-4).

Greek names follow the paper: Table 3 (external) and Table 4 (internal, the
``standard`` and ``npg`` presets). Choices the paper leaves to its
unavailable supplementary appendix are parameters with documented defaults
(``docs/models/multiproduct.md``):

* product space: ``n_products`` products evenly spaced on
  ``[omega_lo, omega_hi]``; product k carries the mass of the cell
  ``[omega_k - h/2, omega_k + h/2]`` (``h`` the spacing, clipped below at the
  Pareto scale ``omega_min``) under a standard Pareto(``gamma``) truncated to
  the product space (masses renormalized to sum to one);
* productivity grid: Tauchen discretization of eq. (27) with ``n_z`` points
  spanning ``n_std`` stationary standard deviations, ``z = exp(ln z)``;
* ``smoothing``: scale of i.i.d. type-I extreme-value taste shocks on the
  portfolio choice (0 = hard max);
* ``cost_form``: ``"standard"`` (eq. 19), ``"npg"`` (eq. 30) or a callable
  ``f(omega_from, omega_to, params) -> cost`` (labour units, broadcasting).
"""

from __future__ import annotations

from typing import Callable, Union

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from jaxtrade.errors import is_traced

__all__ = ["MultiproductParams", "standard_params", "npg_params", "validate_params", "PRESETS", "preset"]


class MultiproductParams(eqx.Module):
    """Parameter pytree of the multiproduct exporter model.

    Attributes
    ----------
    sigma: risk aversion (eq. 7; enters no steady-state condition).
    epsilon: elasticity of substitution between varieties (eq. 9), > 1.
    beta: discount factor, in (0, 1); steady-state bond price Q = beta.
    delta: capital depreciation, in [0, 1].
    gamma_E: entry cost in labour units (eq. 24); used only with
        ``entry="fixed_cost"`` (with ``entry="normalize"`` it is solved for).
    tau: (N,) tariff per product (eq. 10), >= 0.
    rho_z, sigma_e: AR(1) of log productivity (eq. 27).
    alpha_k: capital share alpha (1 - alpha_m) (Table 3, 0.05).
    alpha_m: materials share (Table 3, 0.60).
    mu_E: left shift of entrants' log productivity (section 4).
    xi: exit-rate slope, E(z) = 1 / (1 + exp(xi z)) (eq. 29).
    gamma: Pareto shape of product attributes omega.
    gamma_0, gamma_1, gamma_2, gamma_3: export-cost parameters (eq. 19 / 30).
    omega_lo, omega_hi: bounds of the product grid.
    omega_min: Pareto scale (1 for the standard Pareto).
    smoothing: taste-shock scale lambda >= 0 on the portfolio choice.
    n_std: Tauchen span in stationary standard deviations.
    n_z, n_products: grid sizes (static).
    cost_form: "standard", "npg" or a callable (static).
    """

    sigma: jax.Array
    epsilon: jax.Array
    beta: jax.Array
    delta: jax.Array
    gamma_E: jax.Array
    tau: jax.Array
    rho_z: jax.Array
    sigma_e: jax.Array
    alpha_k: jax.Array
    alpha_m: jax.Array
    mu_E: jax.Array
    xi: jax.Array
    gamma: jax.Array
    gamma_0: jax.Array
    gamma_1: jax.Array
    gamma_2: jax.Array
    gamma_3: jax.Array
    omega_lo: jax.Array
    omega_hi: jax.Array
    omega_min: jax.Array
    smoothing: jax.Array
    n_std: jax.Array
    n_z: int = eqx.field(static=True, default=101)
    n_products: int = eqx.field(static=True, default=10)
    cost_form: Union[str, Callable] = eqx.field(static=True, default="standard")


_TABLE3 = dict(sigma=2.0, epsilon=5.0, beta=0.95, delta=0.08, gamma_E=0.26, rho_z=0.77, sigma_e=0.21,
               alpha_k=0.05, alpha_m=0.60)
_TABLE4_STANDARD = dict(mu_E=0.11, xi=2.19, gamma=3.65, gamma_0=0.003, gamma_1=2.23, gamma_2=0.003, gamma_3=4.85)
_TABLE4_NPG = dict(mu_E=0.11, xi=2.19, gamma=3.65, gamma_0=0.002, gamma_1=3.46, gamma_2=0.004, gamma_3=1.0)
_GAPS = dict(omega_lo=1.2, omega_hi=5.0, omega_min=1.0, smoothing=1e-5, n_std=3.0)


def _build(base: dict, *, n_z: int, n_products: int, cost_form, tau, overrides: dict) -> MultiproductParams:
    values = dict(base)
    unknown = set(overrides) - set(values) - {"tau"}
    if unknown:
        raise ValueError(f"unknown parameter(s): {sorted(unknown)}")
    values.update(overrides)
    if isinstance(n_z, bool) or not isinstance(n_z, (int, np.integer)) or n_z < 3:
        raise ValueError(f"n_z must be an int >= 3, got {n_z!r}")
    if isinstance(n_products, bool) or not isinstance(n_products, (int, np.integer)) or n_products < 2:
        raise ValueError(f"n_products must be an int >= 2, got {n_products!r}")
    if not (callable(cost_form) or cost_form in ("standard", "npg")):
        raise ValueError(f"cost_form must be 'standard', 'npg' or a callable, got {cost_form!r}")
    tau_arr = jnp.broadcast_to(jnp.asarray(tau, dtype=float), (int(n_products),)) + 0.0
    p = MultiproductParams(
        **{k: jnp.asarray(v, dtype=float) for k, v in values.items()},
        tau=tau_arr, n_z=int(n_z), n_products=int(n_products), cost_form=cost_form,
    )
    validate_params(p)
    return p


def standard_params(*, n_z: int = 101, n_products: int = 10, tau=0.10, cost_form="standard",
                    **overrides) -> MultiproductParams:
    """The ``standard`` preset: Table 3 and the Standard column of Table 4 (export cost eq. 19).

    ``tau`` is a scalar (flat tariff) or one rate per product; any field can be
    overridden by keyword (e.g. ``gamma_0=0.004``, ``smoothing=1e-3``).
    """
    return _build({**_TABLE3, **_TABLE4_STANDARD, **_GAPS}, n_z=n_z, n_products=n_products,
                  cost_form=cost_form, tau=tau, overrides=overrides)


def npg_params(*, n_z: int = 101, n_products: int = 10, tau=0.10, **overrides) -> MultiproductParams:
    """The ``npg`` preset: Table 3 and the NPG column of Table 4 (export cost eq. 30, no gamma_3)."""
    return _build({**_TABLE3, **_TABLE4_NPG, **_GAPS}, n_z=n_z, n_products=n_products,
                  cost_form="npg", tau=tau, overrides=overrides)


PRESETS = {"standard": standard_params, "npg": npg_params}


def preset(name: str, **kwargs) -> MultiproductParams:
    """Parameters of a named preset (``"standard"`` or ``"npg"``)."""
    if name not in PRESETS:
        raise ValueError(f"preset must be one of {sorted(PRESETS)}, got {name!r}")
    return PRESETS[name](**kwargs)


def _rule(name, value, rule, ok):
    if is_traced(value):
        return
    v = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(v)) or not np.all(ok(v)):
        raise ValueError(f"{name} must satisfy {rule}, got {v.tolist()}")


def validate_params(p: MultiproductParams) -> MultiproductParams:
    """Raise ``ValueError`` naming the field and the rule for parameters outside the model's domain.

    Traced values (inside ``jit``/``vmap``/``grad``) are not checked.
    """
    _rule("sigma", p.sigma, "sigma > 0", lambda v: v > 0)
    _rule("epsilon", p.epsilon, "epsilon > 1", lambda v: v > 1)
    _rule("beta", p.beta, "0 < beta < 1", lambda v: (v > 0) & (v < 1))
    _rule("delta", p.delta, "0 <= delta <= 1 (a probability)", lambda v: (v >= 0) & (v <= 1))
    _rule("gamma_E", p.gamma_E, "gamma_E > 0 (entry cost)", lambda v: v > 0)
    _rule("tau", p.tau, "tau >= 0 for every product", lambda v: v >= 0)
    _rule("rho_z", p.rho_z, "|rho_z| < 1", lambda v: np.abs(v) < 1)
    _rule("sigma_e", p.sigma_e, "sigma_e > 0", lambda v: v > 0)
    _rule("alpha_k", p.alpha_k, "alpha_k > 0", lambda v: v > 0)
    _rule("alpha_m", p.alpha_m, "alpha_m >= 0", lambda v: v >= 0)
    if not (is_traced(p.alpha_k) or is_traced(p.alpha_m)):
        s = float(np.asarray(p.alpha_k) + np.asarray(p.alpha_m))
        if not s < 1:
            raise ValueError(f"alpha_k + alpha_m must satisfy alpha_k + alpha_m < 1 (positive labour share), got {s}")
    _rule("mu_E", p.mu_E, "mu_E finite", lambda v: np.isfinite(v))
    _rule("xi", p.xi, "xi >= 0 (exit probability E(z) in [0, 1/2], eq. 29)", lambda v: v >= 0)
    _rule("gamma", p.gamma, "gamma > 0 (Pareto shape; the product space is bounded so any gamma > 0 "
          "gives integrable demand)", lambda v: v > 0)
    for name in ("gamma_0", "gamma_2"):
        _rule(name, getattr(p, name), f"{name} >= 0 (export costs are non-negative)", lambda v: v >= 0)
    for name in ("gamma_1", "gamma_3"):
        _rule(name, getattr(p, name), f"{name} > 0 (power of the export cost)", lambda v: v > 0)
    _rule("omega_min", p.omega_min, "omega_min > 0 (Pareto scale)", lambda v: v > 0)
    if not any(is_traced(x) for x in (p.omega_lo, p.omega_hi, p.omega_min)):
        lo, hi, mn = (float(np.asarray(x)) for x in (p.omega_lo, p.omega_hi, p.omega_min))
        if not (mn <= lo < hi):
            raise ValueError(f"omega_lo, omega_hi must satisfy omega_min <= omega_lo < omega_hi, got "
                             f"omega_min={mn}, omega_lo={lo}, omega_hi={hi}")
    _rule("smoothing", p.smoothing, "smoothing >= 0 (taste-shock scale)", lambda v: v >= 0)
    _rule("n_std", p.n_std, "n_std > 0", lambda v: v > 0)
    return p
