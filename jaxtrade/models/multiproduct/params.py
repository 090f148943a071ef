"""Parameters of the Heo & Kim (2025) multiproduct exporter model (sections 3-4).

Greek names follow the paper: Table 3 (external) and Table 4 (internal, the
``standard`` and ``npg`` presets). Choices the paper leaves to its
unavailable supplementary appendix are parameters with documented defaults
(``docs/models/multiproduct.md``):

* product space: ``n_products`` products evenly spaced on
  ``[omega_lo, omega_hi]``; product k carries the mass of the cell
  ``[omega_k - h/2, omega_k + h/2]`` (``h`` the spacing, clipped below at the
  Pareto scale ``omega_min``) under a standard Pareto(``gamma``) truncated to
  the product space (masses renormalized to sum to one). The presets use
  ``[1.2, 5.0]`` for both cost forms (the paper keeps one product space for
  Standard and NPG); bounds fitted to the paper's 6-18 % expenditure-share
  range (:func:`~jaxtrade.models.multiproduct.fit_product_bounds`) move the
  Table 5 moments at the Table 4 parameters far from the paper's (docs,
  "Product-grid bounds"), so they are not the default;
* productivity grid: Tauchen discretization of eq. (27) with ``n_z`` points
  spanning ``n_std`` stationary standard deviations, ``z = exp(ln z)``;
* ``smoothing``: scale of i.i.d. type-I extreme-value taste shocks on the
  portfolio choice (0 = hard max);
* ``cost_form``: ``"standard"`` (eq. 19), ``"npg"`` (eq. 30) or a callable
  ``f(omega_from, omega_to, params) -> cost`` (labour units, broadcasting).

The valid domain is declared once, as :data:`RULES`
(:class:`~jaxtrade.errors.Rule` objects). The preset factories and
``p.replace(...)`` check it (:func:`~jaxtrade.errors.enforce`); the solvers
check it again only under a trace with ``throw=True`` and otherwise fold
:func:`~jaxtrade.errors.rules_hold` into their ``info``.

Examples
--------
>>> from jaxtrade.models.multiproduct import standard_params
>>> p = standard_params(n_z=11, n_products=4)
>>> float(p.epsilon), p.tau.tolist()
(5.0, [0.1, 0.1, 0.1, 0.1])
>>> p.replace(tau=0.05).tau.tolist()
[0.05, 0.05, 0.05, 0.05]
>>> p.replace(xi=-1.0)
Traceback (most recent call last):
...
ValueError: xi must satisfy xi >= 0 (exit probability E(z) in [0, 1/2], eq. 29), got xi=-1.0
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from jaxtrade.errors import Rule, enforce
from jaxtrade.models.base import ModelParams

__all__ = ["MultiproductParams", "RULES", "standard_params", "npg_params", "validate_params", "PRESETS", "preset"]

COST_FORMS = ("standard", "npg")


def _static_int(n, minimum: int) -> bool:
    return bool(not isinstance(n, bool) and isinstance(n, (int, np.integer)) and n >= minimum)


def _finite(x, cond):
    """``cond`` and finite (NaN and infinity are outside every domain)."""
    return jnp.isfinite(x) & cond


# grid sizes and the functional form: static, checked on the host even under a trace
STATIC_RULES: tuple[Rule, ...] = (
    Rule("n_z", "be an int >= 3 (productivity grid points, static)", lambda p: _static_int(p.n_z, 3)),
    Rule("n_products", "be an int >= 2 (products, static)", lambda p: _static_int(p.n_products, 2)),
    Rule(
        "cost_form",
        "be 'standard' (eq. 19), 'npg' (eq. 30) or a callable",
        lambda p: callable(p.cost_form) or p.cost_form in COST_FORMS,
    ),
)

RULES: tuple[Rule, ...] = STATIC_RULES + (
    Rule("sigma", "satisfy sigma > 0", lambda p: _finite(p.sigma, p.sigma > 0)),
    Rule("epsilon", "satisfy epsilon > 1", lambda p: _finite(p.epsilon, p.epsilon > 1)),
    Rule("beta", "satisfy 0 < beta < 1", lambda p: _finite(p.beta, (p.beta > 0) & (p.beta < 1))),
    Rule(
        "delta", "satisfy 0 <= delta <= 1 (a probability)", lambda p: _finite(p.delta, (p.delta >= 0) & (p.delta <= 1))
    ),
    Rule("gamma_E", "satisfy gamma_E > 0 (entry cost, eq. 24)", lambda p: _finite(p.gamma_E, p.gamma_E > 0)),
    Rule("tau", "have one rate per product, shape (n_products,)", lambda p: jnp.shape(p.tau) == (p.n_products,)),
    Rule("tau", "satisfy tau >= 0 for every product (eq. 10)", lambda p: _finite(p.tau, p.tau >= 0)),
    Rule("rho_z", "satisfy |rho_z| < 1 (eq. 27)", lambda p: _finite(p.rho_z, jnp.abs(p.rho_z) < 1)),
    Rule("sigma_e", "satisfy sigma_e > 0 (eq. 27)", lambda p: _finite(p.sigma_e, p.sigma_e > 0)),
    Rule("alpha_k", "satisfy alpha_k > 0", lambda p: _finite(p.alpha_k, p.alpha_k > 0)),
    Rule("alpha_m", "satisfy alpha_m >= 0", lambda p: _finite(p.alpha_m, p.alpha_m >= 0)),
    Rule(
        "alpha_k, alpha_m", "satisfy alpha_k + alpha_m < 1 (positive labour share)", lambda p: p.alpha_k + p.alpha_m < 1
    ),
    Rule("mu_E", "be finite", lambda p: jnp.isfinite(p.mu_E)),
    Rule("xi", "satisfy xi >= 0 (exit probability E(z) in [0, 1/2], eq. 29)", lambda p: _finite(p.xi, p.xi >= 0)),
    Rule(
        "gamma",
        "satisfy gamma > 0 (Pareto shape; the product space is bounded so any gamma > 0 gives integrable demand)",
        lambda p: _finite(p.gamma, p.gamma > 0),
    ),
    Rule(
        "gamma_0",
        "satisfy gamma_0 >= 0 (export costs are non-negative, eq. 19)",
        lambda p: _finite(p.gamma_0, p.gamma_0 >= 0),
    ),
    Rule(
        "gamma_2",
        "satisfy gamma_2 >= 0 (export costs are non-negative, eq. 19)",
        lambda p: _finite(p.gamma_2, p.gamma_2 >= 0),
    ),
    Rule(
        "gamma_1", "satisfy gamma_1 > 0 (power of the export cost, eq. 19)", lambda p: _finite(p.gamma_1, p.gamma_1 > 0)
    ),
    Rule(
        "gamma_3", "satisfy gamma_3 > 0 (power of the export cost, eq. 19)", lambda p: _finite(p.gamma_3, p.gamma_3 > 0)
    ),
    Rule("omega_min", "satisfy omega_min > 0 (Pareto scale)", lambda p: _finite(p.omega_min, p.omega_min > 0)),
    Rule(
        "omega_lo, omega_hi, omega_min",
        "satisfy omega_min <= omega_lo < omega_hi",
        lambda p: (p.omega_min <= p.omega_lo) & (p.omega_lo < p.omega_hi),
    ),
    Rule("smoothing", "satisfy smoothing >= 0 (taste-shock scale)", lambda p: _finite(p.smoothing, p.smoothing >= 0)),
    Rule("n_std", "satisfy n_std > 0 (Tauchen span)", lambda p: _finite(p.n_std, p.n_std > 0)),
)


class MultiproductParams(ModelParams):
    """Parameter pytree of the multiproduct exporter model.

    Attributes
    ----------
    sigma : risk aversion (eq. 7; enters no steady-state condition).
    epsilon : elasticity of substitution between varieties (eq. 9), > 1.
    beta : discount factor, in (0, 1); steady-state bond price Q = beta.
    delta : capital depreciation, in [0, 1].
    gamma_E : entry cost in labour units (eq. 24); used only with
        ``entry="fixed_cost"`` (with ``entry="normalize"`` it is solved for).
    tau : (N,) tariff per product (eq. 10), >= 0.
    rho_z, sigma_e : AR(1) of log productivity (eq. 27).
    alpha_k : capital share alpha (1 - alpha_m) (Table 3, 0.05).
    alpha_m : materials share (Table 3, 0.60).
    mu_E : left shift of entrants' log productivity (section 4).
    xi : exit-rate slope, E(z) = 1 / (1 + exp(xi z)) (eq. 29).
    gamma : Pareto shape of product attributes omega.
    gamma_0, gamma_1, gamma_2, gamma_3 : export-cost parameters (eq. 19 / 30).
    omega_lo, omega_hi : bounds of the product grid.
    omega_min : Pareto scale (1 for the standard Pareto).
    smoothing : taste-shock scale lambda >= 0 on the portfolio choice.
    n_std : Tauchen span in stationary standard deviations.
    n_z, n_products : grid sizes (static).
    cost_form : "standard", "npg" or a callable (static).
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
    cost_form: str | Callable = eqx.field(static=True, default="standard")

    RULES: ClassVar[tuple[Rule, ...]] = RULES  # checked by the factories and ``replace``


def validate_params(p: MultiproductParams) -> MultiproductParams:
    """Check ``p`` against :data:`RULES`; return it.

    Concrete values: ``ValueError("<field> must <rule>, got <value>")`` for the
    first rule broken. Traced values (inside ``jit``/``vmap``/``grad``): the
    checks are compiled in and raise when the program runs (use the returned
    ``p``). See :func:`jaxtrade.errors.enforce`.
    """
    return enforce(p, RULES)


_TABLE3 = dict(
    sigma=2.0, epsilon=5.0, beta=0.95, delta=0.08, gamma_E=0.26, rho_z=0.77, sigma_e=0.21, alpha_k=0.05, alpha_m=0.60
)
_TABLE4_STANDARD = dict(mu_E=0.11, xi=2.19, gamma=3.65, gamma_0=0.003, gamma_1=2.23, gamma_2=0.003, gamma_3=4.85)
_TABLE4_NPG = dict(mu_E=0.11, xi=2.19, gamma=3.65, gamma_0=0.002, gamma_1=3.46, gamma_2=0.004, gamma_3=1.0)
# the paper's unpublished choices; omega bounds: docs/models/multiproduct.md, "Product-grid bounds" (the import-inclusive
# expenditure shares span 5.4-21.4 % here; the 6-18 % bounds [1.03, 4.13] or [1.319, 4.044] break the NPG preset)
_GAPS = dict(omega_lo=1.2, omega_hi=5.0, omega_min=1.0, smoothing=1e-5, n_std=3.0)


class _Static(NamedTuple):
    n_z: object
    n_products: object
    cost_form: object


def _build(base: dict, *, n_z: int, n_products: int, cost_form, tau, overrides: dict) -> MultiproductParams:
    values = dict(base)
    unknown = set(overrides) - set(values) - {"tau"}
    if unknown:
        raise ValueError(f"unknown parameter(s): {sorted(unknown)}")
    values.update(overrides)
    enforce(_Static(n_z, n_products, cost_form), STATIC_RULES)  # before tau is broadcast to n_products
    tau_arr = jnp.broadcast_to(jnp.asarray(tau, dtype=float), (int(n_products),)) + 0.0
    p = MultiproductParams(
        **{k: jnp.asarray(v, dtype=float) for k, v in values.items()},
        tau=tau_arr,
        n_z=int(n_z),
        n_products=int(n_products),
        cost_form=cost_form,
    )
    return validate_params(p)


def standard_params(
    *, n_z: int = 101, n_products: int = 10, tau=0.10, cost_form="standard", **overrides
) -> MultiproductParams:
    """The ``standard`` preset: Table 3 and the Standard column of Table 4 (export cost eq. 19).

    Parameters
    ----------
    n_z, n_products : int
        Productivity grid points (Tauchen, eq. 27) and products N (static).
    tau : float or array (n_products,)
        Tariff per product (eq. 10): a scalar is a flat tariff.
    cost_form : {"standard", "npg"} or callable
        Export-cost function (eq. 19, eq. 30, or ``f(omega, omega_next, params)``).
    **overrides
        Any other field of :class:`MultiproductParams` (e.g. ``gamma_0=0.004``,
        ``smoothing=1e-3``).

    Returns
    -------
    MultiproductParams
        Validated against :data:`RULES` (``ValueError`` naming the field and the rule).

    Examples
    --------
    >>> p = standard_params(n_z=11, n_products=4, gamma_0=0.004)
    >>> float(p.gamma_0), float(p.gamma_3), p.cost_form
    (0.004, 4.85, 'standard')
    """
    return _build(
        {**_TABLE3, **_TABLE4_STANDARD, **_GAPS},
        n_z=n_z,
        n_products=n_products,
        cost_form=cost_form,
        tau=tau,
        overrides=overrides,
    )


def npg_params(*, n_z: int = 101, n_products: int = 10, tau=0.10, **overrides) -> MultiproductParams:
    """The ``npg`` preset: Table 3 and the NPG column of Table 4 (export cost eq. 30, no gamma_3).

    Arguments as in :func:`standard_params` (the cost form is ``"npg"``).

    Examples
    --------
    >>> p = npg_params(n_z=11, n_products=4)
    >>> float(p.gamma_1), p.cost_form
    (3.46, 'npg')
    """
    return _build(
        {**_TABLE3, **_TABLE4_NPG, **_GAPS},
        n_z=n_z,
        n_products=n_products,
        cost_form="npg",
        tau=tau,
        overrides=overrides,
    )


PRESETS: dict[str, Callable[..., MultiproductParams]] = {"standard": standard_params, "npg": npg_params}


def preset(name: str, **overrides) -> MultiproductParams:
    """Parameters of a named preset (``"standard"`` or ``"npg"``, see :data:`PRESETS`) with ``overrides``.

    Examples
    --------
    >>> preset("npg", n_z=11, n_products=4).cost_form
    'npg'
    """
    if name not in PRESETS:
        raise ValueError(f"preset must be one of {sorted(PRESETS)}, got {name!r}")
    return PRESETS[name](**overrides)
