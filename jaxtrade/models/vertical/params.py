"""Parameters of the two-country vertical-production model (Ara & Zhang 2020).

Notation follows section 2 of the paper. Two countries, i (index 0) and j
(index 1); one differentiated industry per parameter set (the industry
subscript s is dropped, as in the paper) or S industries stacked along a
leading axis (:func:`stack_industries`). Bilateral arrays are indexed
``[origin, destination]``:

* ``tau_I[o, d]`` is tau^I_od, the iceberg cost of shipping inputs from o to
  d (so tau^I_ji, country i's import cost from j, is ``tau_I[1, 0]``);
* ``f_I[o, d]`` is f^I_od, the fixed cost of an upstream firm of o selling in
  d (diagonal: domestic sales);
* ``f_F[o, d]`` is f^F_od: on the diagonal the fixed production cost of a
  downstream firm of d; off the diagonal the extra fixed cost a downstream
  firm of d pays to source inputs from o (foreign sourcing). In the
  final-goods-only trade case of Proposition 1(ii) the off-diagonal entry is
  the fixed cost of exporting final goods from o to d;
* ``tau_F[o, d]`` is tau^F_od, used only in the final-goods-only trade case.

Added beyond the paper (documented in ``docs/models/vertical.md``):
``beta`` is the Cobb-Douglas expenditure share of the industry (section 2.2)
so that R^F_i = beta * L_i; the entry cost f^E_i is common to the upstream
and downstream sectors of a country, as in the paper; Pareto lower bounds may
differ across countries.

The valid domain is declared once, as :data:`RULES` (Assumption 1, eq. 19,
positivity, iceberg trade costs, the outside good's share); it is checked by
the factory, by :meth:`VerticalParams.replace` and by every solve called with
``throw=True`` (see :mod:`jaxtrade.errors`).
"""

from __future__ import annotations

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from jaxtrade.errors import Rule, enforce, is_traced, rules_hold
from jaxtrade.models.base import ModelParams

__all__ = [
    "COUNTRY_NAMES",
    "FINAL_TRADE_RULES",
    "INPUT_TRADE_RULES",
    "PRESETS",
    "RULES",
    "VerticalParams",
    "bilateral",
    "preset",
    "stack_industries",
    "validate_params",
    "vertical_params",
    "with_tau_I",
]

COUNTRY_NAMES = ("i", "j")

_FIELDS = ("L", "beta", "sigma", "k", "varphi_min", "phi_min", "f_E", "f_F", "f_I", "tau_I", "tau_F")
_TRADE_COSTS = ("tau_I", "tau_F")


def _finite(name: str) -> Rule:
    return Rule(name, "be finite", lambda p: jnp.isfinite(getattr(p, name)))


def _not_nan(name: str) -> Rule:
    # trade costs may be infinite (no trade), never NaN
    return Rule(name, "not be NaN", lambda p: ~jnp.isnan(getattr(p, name)))


def _positive(name: str) -> Rule:
    return Rule(name, "be strictly positive", lambda p: getattr(p, name) > 0.0)


def _unit_diagonal(name: str) -> Rule:
    return Rule(
        name,
        "be 1 on the diagonal (no cost of domestic sales)",
        lambda p: jnp.diagonal(getattr(p, name), axis1=-2, axis2=-1) == 1.0,
    )


def _iceberg(name: str) -> Rule:
    return Rule(name, "satisfy tau >= 1 (iceberg trade cost)", lambda p: getattr(p, name) >= 1.0)


RULES: tuple[Rule, ...] = (
    *(_not_nan(n) if n in _TRADE_COSTS else _finite(n) for n in _FIELDS),
    Rule("sigma", "exceed 1 (CES, section 2.2)", lambda p: p.sigma > 1.0),
    Rule(
        "sigma, k",
        "satisfy sigma - 1 < k < 2(sigma - 1) (Assumption 1, eq. 19)",
        lambda p: (p.sigma - 1.0 < p.k) & (p.k < 2.0 * (p.sigma - 1.0)),
    ),
    *(_positive(n) for n in ("L", "varphi_min", "phi_min", "f_E", "f_F", "f_I")),
    *(rule(n) for n in _TRADE_COSTS for rule in (_unit_diagonal, _iceberg)),
    Rule("beta", "be positive (industry expenditure share, section 2.2)", lambda p: p.beta > 0.0),
    Rule(
        "beta",
        "sum to less than 1 over industries so that the outside good has beta_0 > 0 (section 2.2)",
        lambda p: jnp.sum(p.beta) < 1.0,
    ),
)
"""The model's valid domain, in the order the rules are checked.

Every field finite (the trade costs only not NaN: an infinite cost is
prohibitive trade); sigma > 1; Assumption 1 (eq. 19), sigma - 1 < k <
2(sigma - 1); endowments, Pareto lower bounds and fixed costs strictly
positive; trade costs 1 on the diagonal and >= 1 off it; industry shares
beta > 0 with sum(beta) < 1 (the outside good is produced, section 2.2).
"""


INPUT_TRADE_RULES: tuple[Rule, ...] = (
    *RULES,
    Rule(
        "tau_I",
        "be finite for the input-trade equilibrium (section 2); prohibitive input trade costs (tau^I = inf) are "
        "the final-goods-only case of Proposition 1(ii), solve_final_trade",
        lambda p: jnp.isfinite(p.tau_I),
    ),
)
"""The domain of :func:`~jaxtrade.models.vertical.solve.solve_input_trade`: :data:`RULES` and a finite tau^I."""

FINAL_TRADE_RULES: tuple[Rule, ...] = (
    *RULES,
    Rule(
        "tau_F",
        "be finite for the final-goods-only equilibrium (Proposition 1(ii)); prohibitive final-goods trade costs "
        "(tau^F = inf) are the input-trade case of section 2, solve_input_trade",
        lambda p: jnp.isfinite(p.tau_F),
    ),
)
"""The domain of :func:`~jaxtrade.models.vertical.solve.solve_final_trade`: :data:`RULES` and a finite tau^F."""


class VerticalParams(ModelParams):
    """Parameters of one industry (or S stacked industries) of Ara & Zhang (2020).

    Shapes are for one industry; S stacked industries add a leading axis.

    Attributes
    ----------
    L : (2,)
        Labour endowments L-bar_i, L-bar_j.
    beta : ()
        Expenditure share beta_s of the industry; beta_0 = 1 - sum(beta) > 0.
    sigma : ()
        Elasticity of substitution sigma_s > 1 (final and intermediate goods).
    k : ()
        Pareto shape, common to both sectors (Assumption 1, eq. 19: sigma-1 < k < 2(sigma-1)).
    varphi_min : (2,)
        Pareto lower bound of final-goods productivity, by country.
    phi_min : (2,)
        Pareto lower bound of intermediate-goods productivity, by country.
    f_E : (2,)
        Entry cost f^E_i (both sectors of a country).
    f_F : (2, 2)
        Downstream fixed costs f^F[o, d] (see the module docstring).
    f_I : (2, 2)
        Upstream fixed costs f^I[o, d].
    tau_I : (2, 2)
        Input trade costs tau^I[o, d], diagonal 1.
    tau_F : (2, 2)
        Final-goods trade costs tau^F[o, d], diagonal 1 (Proposition 1(ii)).

    Examples
    --------
    >>> p = vertical_params().replace(k=5.0)
    >>> float(p.k), float(p.tau_I[1, 0])
    (5.0, 1.3)
    """

    RULES: ClassVar[tuple[Rule, ...]] = RULES

    L: jax.Array
    beta: jax.Array
    sigma: jax.Array
    k: jax.Array
    varphi_min: jax.Array
    phi_min: jax.Array
    f_E: jax.Array
    f_F: jax.Array
    f_I: jax.Array
    tau_I: jax.Array
    tau_F: jax.Array

    @property
    def n_industries(self) -> int | None:
        """S for stacked industries, None for a single industry."""
        return None if jnp.ndim(self.sigma) == 0 else int(jnp.shape(self.sigma)[0])


def bilateral(domestic, foreign_into) -> jax.Array:
    """Assemble a 2x2 ``[origin, destination]`` array from its domestic and foreign entries.

    Parameters
    ----------
    domestic:
        X[n, n] for n = i, j: a scalar (same in both countries) or a pair, with
        any leading batch axes.
    foreign_into:
        X[m, n], the entry from the other country m into destination n = i, j:
        a scalar or a pair ``(X_ji, X_ij)`` indexed by the destination.

    Returns
    -------
    jax.Array
        ``[[X_ii, X_ij], [X_ji, X_jj]]`` (leading batch axes first).

    Examples
    --------
    >>> bilateral(1.0, (1.3, 1.5)).tolist()
    [[1.0, 1.5], [1.3, 1.0]]
    """
    dom = jnp.asarray(domestic, dtype=float)
    frn = jnp.asarray(foreign_into, dtype=float)
    shape = jnp.broadcast_shapes(dom.shape, frn.shape, (2,))
    dom, frn = jnp.broadcast_to(dom, shape), jnp.broadcast_to(frn, shape)
    return jnp.stack(
        [jnp.stack([dom[..., 0], frn[..., 1]], axis=-1), jnp.stack([frn[..., 0], dom[..., 1]], axis=-1)], axis=-2
    )


@jax.jit(static_argnums=1)
def _all_rules_hold(p: VerticalParams, rules: tuple[Rule, ...]) -> jax.Array:
    return rules_hold(p, rules)


def validate_params(p: VerticalParams, rules: tuple[Rule, ...] = RULES) -> VerticalParams:
    """Check ``p`` against ``rules`` (default :data:`RULES`); return ``p``.

    Concrete values: raise ``ValueError("<field> must <rule>, got <value>")``
    for the first rule broken (one compiled check when every rule holds).
    Traced values (inside ``jit``/``vmap``/``grad``): the same checks are
    compiled in with :func:`equinox.error_if` (:func:`jaxtrade.errors.enforce`)
    and raise when the program runs, provided the returned parameters are used.

    Examples
    --------
    >>> validate_params(vertical_params(validate=False, k=7.0))
    Traceback (most recent call last):
    ...
    ValueError: sigma, k must satisfy sigma - 1 < k < 2(sigma - 1) (Assumption 1, eq. 19), got sigma=4.0, k=7.0
    """
    if not is_traced(p) and bool(_all_rules_hold(p, rules)):
        return p
    return enforce(p, rules)


def vertical_params(
    *,
    L=(1.0, 1.5),
    beta=0.3,
    sigma=4.0,
    k=4.5,
    varphi_min=1.0,
    phi_min=1.0,
    f_E=1.0,
    f_F_domestic=1.0,
    f_F_foreign=1.5,
    f_I_domestic=1.0,
    f_I_foreign=1.5,
    tau_I=1.3,
    tau_F=1.3,
    validate: bool = True,
) -> VerticalParams:
    """The ``"default"`` preset: jaxtrade's parameters for Ara & Zhang (2020).

    The paper gives no numbers for the model; the defaults (documented in
    ``docs/models/vertical.md``) are chosen so that Assumption 1 (eq. 19)
    holds (sigma - 1 = 3 < k = 4.5 < 6), the countries differ in size, every
    cutoff lies above its Pareto lower bound and the outside good is
    produced in both countries.

    Parameters
    ----------
    L, beta, sigma, k, varphi_min, phi_min, f_E:
        As in :class:`VerticalParams`; per-country arguments accept a scalar
        (both countries) or a pair ``(x_i, x_j)``.
    f_F_domestic, f_I_domestic:
        Domestic fixed costs: a scalar or ``(x_ii, x_jj)``.
    f_F_foreign, f_I_foreign, tau_I, tau_F:
        Bilateral entries: a scalar (symmetric) or a pair ``(x_ji, x_ij)``
        indexed by the destination: the first entry is the cost into country
        i (from j), the second the cost into country j (from i). The final-goods
        costs ``tau_F`` are used by
        :func:`~jaxtrade.models.vertical.solve.solve_final_trade` only.
    validate:
        Check the result against :data:`RULES` (``ValueError`` naming the rule).

    Returns
    -------
    VerticalParams

    Examples
    --------
    >>> p = vertical_params(sigma=4.0, k=5.0, tau_I=(1.25, 1.4))
    >>> p.tau_I.tolist()
    [[1.0, 1.4], [1.25, 1.0]]
    >>> vertical_params(f_E=0.0)
    Traceback (most recent call last):
    ...
    ValueError: f_E must be strictly positive, got f_E=[0.0, 0.0]
    """
    p = VerticalParams(
        L=jnp.broadcast_to(jnp.asarray(L, dtype=float), (2,)),
        beta=jnp.asarray(beta, dtype=float),
        sigma=jnp.asarray(sigma, dtype=float),
        k=jnp.asarray(k, dtype=float),
        varphi_min=jnp.broadcast_to(jnp.asarray(varphi_min, dtype=float), (2,)),
        phi_min=jnp.broadcast_to(jnp.asarray(phi_min, dtype=float), (2,)),
        f_E=jnp.broadcast_to(jnp.asarray(f_E, dtype=float), (2,)),
        f_F=bilateral(f_F_domestic, f_F_foreign),
        f_I=bilateral(f_I_domestic, f_I_foreign),
        tau_I=bilateral(1.0, tau_I),
        tau_F=bilateral(1.0, tau_F),
    )
    return validate_params(p) if validate else p


PRESETS = {"default": vertical_params}
"""Named parameter factories; :func:`preset` calls one with overrides."""


def preset(name: str = "default", **overrides) -> VerticalParams:
    """The parameters of the preset ``name`` (a key of :data:`PRESETS`) with ``overrides``.

    Examples
    --------
    >>> float(preset("default", k=5.0).k)
    5.0
    """
    if name not in PRESETS:
        raise ValueError(f"preset must be one of {sorted(PRESETS)}, got {name!r}")
    return PRESETS[name](**overrides)


def stack_industries(params: list[VerticalParams]) -> VerticalParams:
    """Stack single-industry parameter sets into S industries (leading axis).

    All industries must share the labour endowments ``L``; the expenditure
    shares must sum to less than one so that the outside good (s = 0) has a
    positive share (section 2.2).

    Examples
    --------
    >>> both = stack_industries([vertical_params(beta=0.2), vertical_params(sigma=3.0, k=3.4)])
    >>> both.n_industries
    2
    """
    if not params:
        raise ValueError("stack_industries: need at least one industry")
    L0 = np.asarray(params[0].L)
    for s, p in enumerate(params):
        if not np.allclose(np.asarray(p.L), L0):
            raise ValueError(
                f"stack_industries: industry {s} has L={np.asarray(p.L)}, industry 0 has L={L0}; L must be common"
            )
    return validate_params(jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *params))


def with_tau_I(p: VerticalParams, origin: int, destination: int, value) -> VerticalParams:
    """``p`` with tau^I[origin, destination] set to ``value``, differentiably (no validation).

    The way to move one bilateral input trade cost under ``jax.grad`` or
    ``jax.vmap``; e.g. tau^I_ji, country i's import cost from j, is
    ``with_tau_I(p, 1, 0, t)``.

    Examples
    --------
    >>> float(with_tau_I(vertical_params(), 1, 0, 1.6).tau_I[1, 0])
    1.6
    """
    return eqx.tree_at(lambda q: q.tau_I, p, p.tau_I.at[..., origin, destination].set(value))
