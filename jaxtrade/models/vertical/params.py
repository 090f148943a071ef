"""Parameters of the two-country vertical-production model (Ara & Zhang 2020).

Notation follows section 2 of the paper. Two countries, i (index 0) and j
(index 1); one differentiated industry per parameter set (the industry
subscript s is dropped, as in the paper) or S industries stacked along a
leading axis. Bilateral arrays are indexed ``[origin, destination]``:

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
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from jaxtrade.errors import is_traced

COUNTRY_NAMES = ("i", "j")


class VerticalParams(eqx.Module):
    """Parameters of one industry (or S stacked industries) of Ara & Zhang (2020).

    Attributes (shapes for one industry; S industries add a leading axis)
    ------------------------------------------------------------------
    L: (2,) labour endowments L-bar_i, L-bar_j.
    beta: () expenditure share beta_s of the industry; beta_0 = 1 - sum(beta) > 0.
    sigma: () elasticity of substitution sigma_s > 1 (final and intermediate).
    k: () Pareto shape, common to both sectors (Assumption 1: sigma-1 < k < 2(sigma-1)).
    varphi_min: (2,) Pareto lower bound of final-goods productivity, by country.
    phi_min: (2,) Pareto lower bound of intermediate-goods productivity, by country.
    f_E: (2,) entry cost f^E_i (both sectors of a country).
    f_F: (2, 2) downstream fixed costs f^F[o, d] (see module docstring).
    f_I: (2, 2) upstream fixed costs f^I[o, d].
    tau_I: (2, 2) input trade costs tau^I[o, d], diagonal 1.
    tau_F: (2, 2) final-goods trade costs tau^F[o, d], diagonal 1 (Prop. 1(ii)).
    """

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


def _bilateral(domestic, foreign, name: str) -> jax.Array:
    """Build a 2x2 [origin, destination] array from domestic and foreign entries.

    ``domestic`` and ``foreign`` are scalars (same in both countries) or pairs
    indexed by the destination country.
    """
    dom = jnp.broadcast_to(jnp.asarray(domestic, dtype=float), (2,))
    frn = jnp.broadcast_to(jnp.asarray(foreign, dtype=float), (2,))
    # foreign entry for destination d comes from origin 1-d
    return jnp.array([[dom[0], frn[1]], [frn[0], dom[1]]])


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
    """Parameter factory with jaxtrade's defaults for Ara & Zhang (2020).

    The paper gives no numbers for the model; the defaults (documented in
    ``docs/models/vertical.md``) are chosen so that Assumption 1 holds
    (sigma - 1 = 3 < k = 4.5 < 6), the countries differ in size, every
    cutoff lies above its Pareto lower bound and the outside good is
    produced in both countries.

    Bilateral arguments (``f_F_foreign``, ``f_I_foreign``, ``tau_I``,
    ``tau_F``) accept a scalar (symmetric) or a pair ``(x_ji, x_ij)`` indexed
    by the destination: the first entry is the cost into country i (from j),
    the second the cost into country j (from i). Domestic entries accept a
    scalar or ``(x_ii, x_jj)``. Pass ``tau_I=jnp.inf`` for the final-goods-only
    case is *not* needed: use :func:`solve_final_trade_equilibrium`.
    """
    p = VerticalParams(
        L=jnp.broadcast_to(jnp.asarray(L, dtype=float), (2,)),
        beta=jnp.asarray(beta, dtype=float),
        sigma=jnp.asarray(sigma, dtype=float),
        k=jnp.asarray(k, dtype=float),
        varphi_min=jnp.broadcast_to(jnp.asarray(varphi_min, dtype=float), (2,)),
        phi_min=jnp.broadcast_to(jnp.asarray(phi_min, dtype=float), (2,)),
        f_E=jnp.broadcast_to(jnp.asarray(f_E, dtype=float), (2,)),
        f_F=_bilateral(f_F_domestic, f_F_foreign, "f_F"),
        f_I=_bilateral(f_I_domestic, f_I_foreign, "f_I"),
        tau_I=_bilateral(1.0, tau_I, "tau_I"),
        tau_F=_bilateral(1.0, tau_F, "tau_F"),
    )
    if validate:
        validate_params(p)
    return p


def stack_industries(params: list[VerticalParams]) -> VerticalParams:
    """Stack single-industry parameter sets into S industries (leading axis).

    All industries must share the labour endowments ``L``; the expenditure
    shares must sum to less than one so that the outside good (s = 0) has a
    positive share.
    """
    if not params:
        raise ValueError("stack_industries: need at least one industry")
    L0 = np.asarray(params[0].L)
    for s, p in enumerate(params):
        if not np.allclose(np.asarray(p.L), L0):
            raise ValueError(f"stack_industries: industry {s} has L={np.asarray(p.L)}, industry 0 has L={L0}; L must be common")
    out = jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *params)
    validate_params(out)
    return out


def validate_params(p: VerticalParams) -> VerticalParams:
    """Check the model's valid domain; raise ``ValueError`` naming the rule.

    Rules: Assumption 1 (eq. 19), sigma - 1 < k < 2 (sigma - 1), which also
    implies sigma > 1; all endowments, lower bounds and costs strictly
    positive; trade costs tau >= 1 with tau = 1 on the diagonal; industry
    shares 0 < beta and sum(beta) < 1 (the outside good is produced,
    section 2.2). Values under ``jit`` tracing cannot be checked and are
    skipped; validate before tracing.
    """
    if is_traced(p):
        return p
    a = {name: np.asarray(getattr(p, name), dtype=float) for name in p.__dataclass_fields__}
    for name, v in a.items():
        if not np.all(np.isfinite(v)) and name not in ("tau_I", "tau_F"):
            raise ValueError(f"{name} must be finite, got {v.tolist()}")
        if np.any(np.isnan(v)):
            raise ValueError(f"{name} must not be NaN, got {v.tolist()}")
    sigma, k = a["sigma"], a["k"]
    if np.any(sigma <= 1.0):
        raise ValueError(f"sigma must exceed 1 (CES, section 2.2), got sigma={sigma.tolist()}")
    bad = ~((sigma - 1.0 < k) & (k < 2.0 * (sigma - 1.0)))
    if np.any(bad):
        raise ValueError(
            "Assumption 1 (eq. 19) requires sigma - 1 < k < 2(sigma - 1); got "
            f"sigma={sigma.tolist()}, k={k.tolist()} (bounds {(sigma - 1).tolist()} and {(2 * (sigma - 1)).tolist()})"
        )
    for name in ("L", "varphi_min", "phi_min", "f_E", "f_F", "f_I"):
        if np.any(a[name] <= 0.0):
            raise ValueError(f"{name} must be strictly positive, got {a[name].tolist()}")
    for name in ("tau_I", "tau_F"):
        t = a[name]
        diag = np.diagonal(t, axis1=-2, axis2=-1)
        if np.any(diag != 1.0):
            raise ValueError(f"{name} must be 1 on the diagonal (no cost of domestic sales), got {t.tolist()}")
        if np.any(t < 1.0):
            raise ValueError(f"{name} must satisfy tau >= 1 (iceberg trade cost), got {t.tolist()}")
    beta = a["beta"]
    if np.any(beta <= 0.0):
        raise ValueError(f"beta (industry expenditure share) must be positive, got {beta.tolist()}")
    if np.sum(beta) >= 1.0:
        raise ValueError(
            f"sum of industry expenditure shares beta must be < 1 so that the outside good has beta_0 > 0, got sum={float(np.sum(beta))}"
        )
    return p
