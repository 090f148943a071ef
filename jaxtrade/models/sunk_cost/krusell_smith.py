"""Krusell-Smith solution of the stochastic model with log-linear forecasting rules (Appendix 1).

The aggregate state is the joint productivity state n (four values, see
:mod:`jaxtrade.models.sunk_cost.aggregate`) and the two exporter moments
(m, m*) = (m_h, m_f) of eq. (40) (the moment of all producing firms is
constant: entry and death keep the mass of each type at Phi). Every object
the firms must forecast follows a log-linear rule per state (Appendix 1),

    log X = alpha_1,n + alpha_2,n log m + alpha_3,n log m*,   n = 1..4.

**Forecast objects.** The firm problem (26)-(27) needs, per country and in
that country's own wage units, the profit shifters a_d, a_x (profits are
phi^(sigma-1) a_d and phi^(sigma-1) a_x) and income Y (the discount factor
(21) is beta Lambda Y / Y'), plus the law of motion of the moments. The rules
here are therefore for ``OBJECTS`` = log a_d, log a_x, log Y of each country
and log m', log m*' (8 objects x 4 states x 3 = 96 coefficients; the paper's
48 are for P, Pi, w_f and m' of the home country, which pin down the same
things). The paper's own table is reproduced by running the same per-state
OLS on the simulated log P_h, log Pi_h, log m_h' and log w_f (``PAPER_OBJECTS``; the
paper's values are in :mod:`jaxtrade.replication.ruhl.paper`).

**Firm problem on the moment grid.** The problem is homogeneous in
phi^(sigma-1): an exporter's value is phi^(sigma-1) v_x(n, m, m*), and a
non-exporter's value is phi^(sigma-1) v(x; n, m, m*) with the single type
index x = kappa / phi^(sigma-1). v_x solves a linear system on the grid; v is
found by value iteration on a grid of x (``n_x`` points) times the moment
grid (``n_m`` x ``n_m`` points in (log m, log m*)); next period's values at
the forecast m' are bilinear interpolations between moment-grid points (the
interpolation weights are a fixed (grid x grid) matrix per state, so each
Bellman step is one matrix product; no loops over grid points). The export
rule is the cutoff rule (32) in the form: export iff x <= x*(n, m, m*), where
x* solves gain(x) = x by linear interpolation on the x grid.

**Simulation.** Period by period: the current moments, the cutoff x*
interpolated bilinearly at the current (m, m*), the switchers and their entry
labour, market clearing (balanced trade (31)), the histogram push-forward.
``export_rule="lottery"`` (the default; a choice beyond the paper): within
each (phi, kappa) cell, the share of the cell's Phi-mass with kappa below
kappa* = x* phi^(sigma-1) switches (as in Young's 2010 non-stochastic
simulation), each switcher paying its own kappa (the exact partial mean over
the cell); the cell's remaining non-exporters keep the cell's distribution.
Aggregates then move continuously with the forecasts. ``"discrete"`` uses the
grid point's kappa for the whole cell, as the paper's finite type grid does;
the forecast map is then a step function and the loop can cycle.

**Update.** Per-state OLS in closed form on the simulated series (the first
``burn`` periods dropped; :func:`jaxtrade.numerics.ols.ols_by_group`), damped, until the largest coefficient change is
below ``tol`` (1e-5 in the paper). By default the two countries share one
set of rules (foreign = home mirrored), fitted on pooled observations, and
the moment grid follows the simulated range of the moments; both are
choices beyond the paper, documented in ``docs/models/sunk_cost.md``.
One iteration of the map is :func:`forecast_update`; the loop is
:func:`solve_loglinear` (numerical options in :class:`KSOptions`).
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple, cast

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from jaxtrade.errors import SolverInfo, combine_info, finish, flag_nonfinite, rules_hold, solver_info
from jaxtrade.models.sunk_cost.aggregate import (
    SimState,
    StochasticSolution,
    draw_shocks,
    exporter_moments,
    initial_state,
    productivity_states,
    simulation_info,
    transition_matrix,
)
from jaxtrade.models.sunk_cost.equilibrium import SteadyState, period_equilibrium, steady_state, warm_period_equilibrium
from jaxtrade.models.sunk_cost.options import ExportRule, check_option
from jaxtrade.models.sunk_cost.params import RULES, SunkCostParams
from jaxtrade.models.sunk_cost.types import TypeGrid, theta_kappa
from jaxtrade.numerics.ces import markup
from jaxtrade.numerics.fixed_point import value_iteration
from jaxtrade.numerics.linalg import solve_small
from jaxtrade.numerics.ols import ols_by_group
from jaxtrade.progress import progress_bar

__all__ = [
    "FOREIGN_OBJECTS",
    "HOME_OBJECTS",
    "MIRROR",
    "OBJECTS",
    "PAPER_OBJECTS",
    "KSOptions",
    "KSResult",
    "KSStep",
    "LogLinearPolicy",
    "RuleFit",
    "bilinear_weights",
    "entry_cost_price",
    "evaluate_rules",
    "export_shares",
    "forecast_targets",
    "forecast_update",
    "initial_rules",
    "linear_weights",
    "moment_nodes",
    "moment_rule_gap",
    "ols_by_state",
    "paper_targets",
    "simulate_loglinear",
    "solve_firms_loglinear",
    "solve_loglinear",
    "steady_log_p_ref",
    "steady_state_cutoff",
    "symmetric_rules",
    "values_on_types",
    "x_grid_default",
]

#: the firms' forecast objects (rows of the (8, 4, 3) rules), own-wage units
OBJECTS = ("log a_d (h)", "log a_d (f)", "log a_x (h)", "log a_x (f)", "log Y (h)", "log Y (f)", "log m'", "log m*'")
#: the objects of the paper's Appendix 1 table (rows of ``KSResult.paper_coef``): home log P, log Pi, log m', log w_f
PAPER_OBJECTS = ("P", "Pi", "m'", "w_f")

#: The joint states (H,H), (H,L), (L,H), (L,L) seen from the foreign country (its own z first).
MIRROR = (0, 2, 1, 3)
#: rows of ``OBJECTS`` that belong to the home country (a_d, a_x, Y, m'), and to the foreign country
HOME_OBJECTS = (0, 2, 4, 6)
FOREIGN_OBJECTS = (1, 3, 5, 7)


def symmetric_rules(home) -> jax.Array:
    """(8, 4, 3) rules from the home country's (4, 4, 3) (a_d, a_x, Y, m') by symmetry.

    The foreign rule in state n with regressors (log m, log m*) is the home
    rule in the mirrored state with the regressors swapped.
    """
    home = jnp.asarray(home)
    foreign = home[:, jnp.array(MIRROR)][..., jnp.array([0, 2, 1])]
    return jnp.stack([home, foreign], axis=1).reshape(8, *home.shape[1:])


# ----------------------------------------------------------------- interpolation


def linear_weights(nodes, x) -> jax.Array:
    """Weights (..., n) of linear interpolation at ``x`` on increasing ``nodes`` (n,), clamped at the ends."""
    n = nodes.shape[0]
    x = jnp.asarray(x, dtype=float)
    k = jnp.clip(jnp.searchsorted(nodes, x, side="right") - 1, 0, n - 2)
    t = jnp.clip((x - nodes[k]) / (nodes[k + 1] - nodes[k]), 0.0, 1.0)
    return (1.0 - t)[..., None] * jax.nn.one_hot(k, n) + t[..., None] * jax.nn.one_hot(k + 1, n)


def bilinear_weights(nodes_h, nodes_f, x_h, x_f) -> jax.Array:
    """Weights (..., n_h * n_f) of bilinear interpolation at (x_h, x_f) (row-major: index i_h * n_f + i_f).

    Exact for functions a + b x_h + c x_f + d x_h x_f inside the grid; outside it
    the point is clamped to the nearest edge.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> w = bilinear_weights(jnp.array([0.0, 1.0]), jnp.array([0.0, 1.0]), 0.25, 0.5)
    >>> w.tolist()
    [0.375, 0.375, 0.125, 0.125]
    """
    wh, wf = linear_weights(nodes_h, x_h), linear_weights(nodes_f, x_f)
    return (wh[..., :, None] * wf[..., None, :]).reshape(*wh.shape[:-1], -1)


def moment_nodes(center, half_width, n_m: int) -> jax.Array:
    """(2, n_m) equally spaced nodes in log m (row 0: home, row 1: foreign)."""
    c = jnp.asarray(center, dtype=float) * jnp.ones(2)
    h = jnp.asarray(half_width, dtype=float) * jnp.ones(2)
    u = jnp.linspace(-1.0, 1.0, n_m)
    return c[:, None] + h[:, None] * u[None, :]


def evaluate_rules(coef, state, log_m_h, log_m_f) -> jax.Array:
    """alpha_1,n + alpha_2,n log m + alpha_3,n log m* for each object: coef (K, 4, 3) -> (K, ...)."""
    c = coef[:, state]
    lh, lf = jnp.asarray(log_m_h), jnp.asarray(log_m_f)
    ex = (...,) + (None,) * lh.ndim
    return c[:, 0][ex] + c[:, 1][ex] * lh + c[:, 2][ex] * lf


def moment_rule_gap(c) -> float:
    """Fixed point of a log m' rule with m = m*, alpha_1 / (1 - alpha_2 - alpha_3), in (H,H) minus (L,L).

    ``c``: (4 states, 3) coefficients of one m' rule (e.g. ``KSResult.paper_coef[2]`` or the paper's
    ``PAPER_KS_COEF["m'"]``, 0.116). How much higher the exporter moment settles when both countries are
    productive than when neither is.
    """
    c = np.asarray(c, dtype=float)
    fp = c[:, 0] / (1.0 - c[:, 1] - c[:, 2])
    return float(fp[0] - fp[3])


# ------------------------------------------------------------------ OLS update


class RuleFit(NamedTuple):
    """Per-state OLS of forecast objects on (1, log m, log m*) (:func:`ols_by_state`).

    coef: (K, n_states, 3) alpha_1..3 per object and state; r2, sst: (K,)
    pooled over states (the paper's table reports one R^2 and SST per
    object); residuals: (T, K).
    """

    coef: jax.Array
    r2: jax.Array
    sst: jax.Array
    residuals: jax.Array


def ols_by_state(y, log_m_h, log_m_f, states, *, n_states: int = 4, ridge: float = 1e-12) -> RuleFit:
    """Per-state OLS of y (T, K) on (1, log m, log m*) in closed form (the update of Appendix 1).

    Regressors are centred at their sample means for conditioning (the
    intercepts are mapped back); the per-state normal equations are
    :func:`jaxtrade.numerics.ols.ols_by_group`'s, with ``ridge`` x
    (observations in the state + 1) on the diagonal so that a sample without
    any variation in the moments gives zero slopes instead of a singular
    system (its effect is ridge / var(log m), negligible otherwise).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> lh = jnp.linspace(-2.1, -1.9, 8); lf = jnp.cos(jnp.arange(8.0)); s = jnp.arange(8) % 2
    >>> fit = ols_by_state((1.0 + 0.5 * lh - 0.25 * lf)[:, None], lh, lf, s, n_states=2)
    >>> [round(float(c), 6) for c in fit.coef[0, 1]]
    [1.0, 0.5, -0.25]
    """
    ch, cf = jnp.mean(log_m_h), jnp.mean(log_m_f)
    X = jnp.stack([jnp.ones_like(log_m_h), log_m_h - ch, log_m_f - cf], axis=1)  # (T, 3)
    fit = ols_by_group(y, X, states, n_states, ridge=ridge)
    beta = fit.coef  # (N, 3, K)
    a1 = beta[:, 0] - beta[:, 1] * ch - beta[:, 2] * cf
    coef = jnp.stack([a1, beta[:, 1], beta[:, 2]], axis=-1).transpose(1, 0, 2)  # (K, N, 3)
    return RuleFit(coef=coef, r2=fit.r2, sst=fit.sst, residuals=fit.residuals)


# ------------------------------------------------------------------ firm problem


class LogLinearPolicy(eqx.Module):
    """Firms' solution under log-linear forecasting rules, on the moment grid.

    Attributes
    ----------
    v_x: (2, 4, G) exporter value (26) per unit of phi^(sigma-1) (country, state, moment-grid point).
    v: (2, n_x, 4 * G) non-exporter value (27) per unit of phi^(sigma-1) on the x = kappa / phi^(sigma-1) grid.
    x_star: (2, 4, G) export cutoff (32) in x (export iff x <= x_star).
    x_grid: (n_x,); nodes: (2, n_m) log-moment nodes; coef: (8, 4, 3) the rules used.
    info: the value iteration.
    lottery: static, the cell-lottery export rule in simulation.
    log_p_ref: log P / w in the deterministic steady state (units of kappa other than labour).
    """

    v_x: jax.Array
    v: jax.Array
    x_star: jax.Array
    x_grid: jax.Array
    nodes: jax.Array
    coef: jax.Array
    info: SolverInfo
    lottery: bool = eqx.field(static=True, default=True)
    log_p_ref: jax.Array | float = 0.0


def x_grid_default(p: SunkCostParams, n_x: int, x_ref=None) -> jax.Array:
    """x = kappa / phi^(sigma-1): 0 and ``n_x - 1`` log-spaced points on [x_lo, kappa_bar].

    kappa_bar / phi^(sigma-1) <= kappa_bar since phi >= 1: the grid covers every
    type. x_lo = x_ref / 4 with ``x_ref`` the steady-state cutoff (1e-5 kappa_bar
    if None): below every state's cutoff the firm exports at once and its
    value is linear in x, so [0, x_lo] needs no interior points.
    """
    lo = 1e-5 * p.kappa_bar if x_ref is None else jnp.minimum(0.25 * x_ref, 0.5 * p.kappa_bar)
    return jnp.concatenate([jnp.zeros(1), jnp.exp(jnp.linspace(jnp.log(lo), jnp.log(p.kappa_bar), n_x - 1))])


def steady_state_cutoff(p: SunkCostParams, ss: SteadyState) -> jax.Array:
    """x* = beta (1-delta) a_x / (1 - beta (1-delta)), the steady-state cutoff (32) in kappa / phi^(sigma-1)."""
    R = p.beta * (1.0 - p.delta)
    return R * ss.period.a_x[0] / (1.0 - R)


def entry_cost_price(p: SunkCostParams, z_own, log_a_d, log_Y, log_p_ref: float | jax.Array = 0.0):
    """Price, in own-wage units, of one unit of the entry cost kappa (``p.entry_cost_units``).

    z_own: own aggregate productivity; log_a_d, log_Y: own-wage-unit log a_d and
    log Y (forecast or realised), which give the CES index in own-wage units
    P / w = [(a_d/w) / ((gamma/sigma) (Y/w) omega^sigma)]^(1/(sigma-1)) sigma / ((sigma-1) z).
    log_p_ref: log P / w in the deterministic steady state (the normalisation
    of "consumption" and "composite"). "labor": 1; "effective_labor": 1 / z;
    "composite": (P/w) / ref; "consumption": P_C / w relative to its steady
    state, ((P/w) / ref)^gamma z^-(1-gamma) (P_C = (P/gamma)^gamma (w/z / (1-gamma))^(1-gamma)).
    """
    u = p.entry_cost_units
    z_own = jnp.asarray(z_own, dtype=float)
    if u == "labor":
        return jnp.ones_like(z_own * log_a_d)
    if u == "effective_labor":
        return jnp.ones_like(log_a_d) / z_own
    rel = _log_p_over_w(p, z_own, log_a_d, log_Y) - log_p_ref
    if u == "composite":
        return jnp.exp(rel)
    if u == "consumption":
        return jnp.exp(p.gamma * rel - (1.0 - p.gamma) * jnp.log(z_own))
    raise ValueError(f"unknown entry_cost_units {u!r}")


def _log_p_over_w(p: SunkCostParams, z_own, log_a_d, log_Y):
    """log of the CES index (16) in own-wage units, from a_d = (gamma/sigma) Y omega^sigma (p_1 / P)^(1-sigma).

    p_1 = markup w / z is the price (25) of a phi = 1 firm (the CES markup sigma / (sigma - 1) = 1 / rho).
    """
    th = p.sigma - 1.0
    return (log_a_d - jnp.log(p.gamma / p.sigma) - log_Y - p.sigma * jnp.log(p.omega)) / th + jnp.log(
        markup(p.sigma) / z_own
    )


def steady_log_p_ref(p: SunkCostParams, ss: SteadyState) -> jax.Array:
    """log P / w in the deterministic steady state (z = 1), from its a_d and Y."""
    return _log_p_over_w(p, 1.0, jnp.log(ss.period.a_d[0]), jnp.log(ss.period.Y[0]))


def _transition(p, coef, nodes, log_p_ref=0.0):
    """Forecasts on the grid and the operator T[c, (n, g), (n', g')] = Q(n, g, n') W(n, g, g')."""
    Lam = transition_matrix(p)
    S = Lam.shape[0]
    LH, LF = jnp.meshgrid(nodes[0], nodes[1], indexing="ij")
    lh, lf = LH.ravel(), LF.ravel()  # (G,)
    G = lh.shape[0]
    F = coef[:, :, 0:1] + coef[:, :, 1:2] * lh[None, None, :] + coef[:, :, 2:3] * lf[None, None, :]  # (K, S, G)
    ad, ax, y = jnp.exp(F[0:2]), jnp.exp(F[2:4]), jnp.exp(F[4:6])  # (2, S, G)
    lh_n, lf_n = F[6], F[7]  # (S, G): forecast log m', log m*'
    W = bilinear_weights(nodes[0], nodes[1], lh_n, lf_n)  # (S, G, G')
    cy = coef[4:6]  # (2, S', 3)
    ly_next = (cy[:, None, None, :, 0] + cy[:, None, None, :, 1] * lh_n[None, :, :, None]
               + cy[:, None, None, :, 2] * lf_n[None, :, :, None])  # fmt: skip
    Q = p.beta * Lam[None, :, None, :] * y[..., None] / jnp.exp(ly_next)  # (2, S, G, S')
    T = (Q[..., None] * W[None, :, :, None, :]).reshape(2, S * G, S * G)
    z_own = productivity_states(p).T[:, :, None]  # (2, S, 1)
    cf = entry_cost_price(p, z_own, F[0:2], F[4:6], log_p_ref)  # (2, S, G)
    return ad.reshape(2, S * G), ax.reshape(2, S * G), T, S, G, cf.reshape(2, S * G)


def _never_export_value(p: SunkCostParams, ad, x_grid) -> jax.Array:
    """The value of never exporting, a_d / (1 - beta (1 - delta)) per unit of phi^(sigma-1), on the (x, grid) points."""
    return jnp.broadcast_to(
        ad[:, None, :] / (1.0 - p.beta * (1.0 - p.delta)), (ad.shape[0], x_grid.shape[0], ad.shape[1])
    )


@jax.jit
def _cold_value(p: SunkCostParams, coef, nodes, x_grid, log_p_ref) -> jax.Array:
    """:func:`solve_firms_loglinear`'s default start (never export) for rules ``coef``: (2, n_x, 4 G)."""
    return _never_export_value(p, _transition(p, coef, nodes, log_p_ref)[0], x_grid)


@jax.jit(static_argnames=("tol", "max_iter", "lottery", "throw"))
def solve_firms_loglinear(p: SunkCostParams, coef, nodes, x_grid, v0=None, *, tol: float = 1e-10,
                          max_iter: int = 5000, lottery: bool = True, log_p_ref=0.0,
                          throw: bool = True) -> LogLinearPolicy:  # fmt: skip
    """Exporter (26) and non-exporter (27) values on the moment grid for rules ``coef`` (8, 4, 3).

    v_x = a_d + a_x + (1-delta) T v_x is a (4G x 4G) linear system per country;
    v(x) = a_d + max((1-delta) T v(x), V_x' - x) by value iteration from ``v0``
    (warm start) or from "never export"; the cutoff (32) x* solves
    gain(x) = x by linear interpolation on ``x_grid``. Jitted; vmap safe;
    ``throw`` as in :func:`jaxtrade.errors.finish` (the value iteration).
    """
    ad, ax, T, S, G, cf = _transition(p, coef, nodes, log_p_ref)
    A = jnp.eye(S * G)[None] - (1.0 - p.delta) * T
    v_x = jax.vmap(solve_small)(A, ad + ax)  # (2, SG)
    Vxn = (1.0 - p.delta) * jnp.einsum("cab,cb->ca", T, v_x)  # value of exporting next period, per phi^th
    x = x_grid[None, :, None]
    go = Vxn[:, None, :] - x * cf[:, None, :]  # (2, n_x, SG); cf: own-wage price of a unit of kappa
    kap_on = p.entry_costs

    def cont(V):
        return (1.0 - p.delta) * jnp.einsum("cab,cxb->cxa", T, V)

    def bellman(V):
        return ad[:, None, :] + jnp.maximum(cont(V), go if kap_on else Vxn[:, None, :])

    if v0 is None:
        v0 = _never_export_value(p, ad, x_grid)
    vi = value_iteration(bellman, v0, tol=tol, max_iter=max_iter, throw=False)
    V = vi.value
    h = go - cont(V)  # gain - x, strictly decreasing in x
    n_x = x_grid.shape[0]
    k = jnp.clip(jnp.sum(h >= 0.0, axis=1) - 1, 0, n_x - 2)  # (2, SG)
    hk = jnp.take_along_axis(h, k[:, None, :], axis=1)[:, 0]
    hk1 = jnp.take_along_axis(h, k[:, None, :] + 1, axis=1)[:, 0]
    xk, xk1 = x_grid[k], x_grid[k + 1]
    x_star = xk + hk * (xk1 - xk) / jnp.maximum(hk - hk1, 1e-300)
    if not kap_on:
        x_star = jnp.full_like(x_star, 1e300)  # everyone exports (finite: interpolation weights may be 0)
    out = LogLinearPolicy(v_x=v_x.reshape(2, S, G), v=V, x_star=x_star.reshape(2, S, G), x_grid=x_grid, nodes=nodes,
                          coef=coef, info=vi.info, lottery=lottery,
                          log_p_ref=jnp.asarray(log_p_ref, dtype=float))  # fmt: skip
    return finish(out, throw=throw, what="sunk-cost firm value iteration on the moment grid (26)-(27)", tol=tol)


def values_on_types(p: SunkCostParams, grid: TypeGrid, policy: LogLinearPolicy) -> jax.Array:
    """Non-exporter values V_d (2, I, J, 4, G) on the type grid: phi^(sigma-1) v(kappa / phi^(sigma-1))."""
    th = p.sigma - 1.0
    phith = grid.phi**th
    xs = grid.kappa[None, :] / phith[:, None]  # (I, J)
    w = linear_weights(policy.x_grid, xs)  # (I, J, n_x)
    vals = jnp.einsum("ijx,cxa->cija", w, policy.v)
    S, G = policy.x_star.shape[1:]
    return (phith[None, :, None, None] * vals).reshape(2, *xs.shape, S, G)


# --------------------------------------------------------------- export shares


class _Cells(eqx.Module):
    """Entry-cost cell edges of the type grid: CDF and partial first moment of (34) at the edges."""

    a: jax.Array  # (I,) 1 + theta_kappa(phi)
    G_lo: jax.Array
    G_hi: jax.Array  # (I, J)
    H_lo: jax.Array
    H_hi: jax.Array  # (I, J)


def _cdf_and_mean(p, a, k):
    """G(k) = (k/kbar)^a and H(k) = int_0^k kappa dG = kbar a/(a+1) (k/kbar)^(a+1), k clipped to [0, kbar]."""
    u = jnp.clip(k / p.kappa_bar, 0.0, 1.0)
    return u**a, p.kappa_bar * a / (a + 1.0) * u ** (a + 1.0)


def _kappa_edges(p: SunkCostParams, kap: jax.Array) -> jax.Array:
    """Upper edges of the kappa cells around the grid points: the midpoints, then kappa_bar (J,)."""
    return jnp.concatenate([0.5 * (kap[1:] + kap[:-1]), jnp.atleast_1d(p.kappa_bar)])


def _cells(p: SunkCostParams, grid: TypeGrid) -> _Cells:
    a = 1.0 + theta_kappa(p, grid.phi)
    e = jnp.concatenate([jnp.zeros(1), _kappa_edges(p, grid.kappa)])  # every edge: 0 and the upper ones
    Ge, He = _cdf_and_mean(p, a[:, None], e[None, :])
    return _Cells(a=a, G_lo=Ge[:, :-1], G_hi=Ge[:, 1:], H_lo=He[:, :-1], H_hi=He[:, 1:])


def export_shares(p: SunkCostParams, grid: TypeGrid, x_star, *, lottery: bool = True, cells=None):
    """Share of each cell's non-exporters that switch, and the entry cost they pay per unit of cell mass.

    x_star: (...,) cutoffs; returns (..., I, J) arrays. Lottery: the Phi-mass
    share of cell (phi_i, [e_j, e_j+1]) with kappa <= kappa* = x* phi_i^(sigma-1)
    under density (34), and the mean kappa over that part times the share
    (continuous in x*). Discrete: 1 where kappa_j <= kappa*, paying kappa_j.
    """
    th = p.sigma - 1.0
    kstar = jnp.asarray(x_star)[..., None] * grid.phi**th  # (..., I)
    if not p.entry_costs:
        one = jnp.ones(kstar.shape + grid.kappa.shape)
        return one, 0.0 * one
    if not lottery:
        d = (grid.kappa <= kstar[..., None]).astype(float)
        return d, d * grid.kappa
    c = _cells(p, grid) if cells is None else cells
    Gk, Hk = _cdf_and_mean(p, c.a, kstar)
    below = (grid.kappa <= kstar[..., None]).astype(float)
    return _lottery_in_cells(Gk[..., None], Hk[..., None], c.G_lo, c.G_hi, c.H_lo, c.H_hi, below, grid.kappa)


def _lottery_in_cells(Gk, Hk, G_lo, G_hi, H_lo, H_hi, below, kappa):
    """The lottery in each cell: the share of its Phi-mass with kappa <= kappa* and what that part pays.

    ``Gk``, ``Hk``: CDF and partial mean of (34) at kappa*; ``G_lo`` ... ``H_hi``:
    the same at the cell's edges. Returns (share, entry cost per unit of cell
    mass); a cell without mass takes the grid point's decision ``below``,
    paying its ``kappa``.
    """
    den = G_hi - G_lo
    safe = jnp.where(den > 0.0, den, 1.0)
    share = jnp.where(den > 0.0, (jnp.clip(Gk, G_lo, G_hi) - G_lo) / safe, below)
    paid = jnp.where(den > 0.0, (jnp.clip(Hk, H_lo, H_hi) - H_lo) / safe, share * kappa)
    return share, paid


# ------------------------------------------------------------------- simulation


class _SwitchPlan(eqx.Module):
    """Constants of the export decision along the rows (one phi each) of the type grid (:func:`_switch_plan`).

    In every row the share of a cell's pool (non-exporters plus entrants)
    that starts exporting is 1 below the cell that holds
    kappa* = x* phi^(sigma-1), 0 above it, and between 0 and 1 in it, for the
    lottery and the grid-point rule alike (both are monotone in kappa). So a
    bound on kappa* bounds the cutoff cell of each row (:func:`_band_start`):
    cells left of it switch entirely, at the cost ``full_paid`` per unit of
    pool mass, cells right of it not at all.
    """

    upper: jax.Array  # (J,) upper cell edges: row i's cutoff cell jj is the number of j with upper[j] <= kappa*
    full_paid: jax.Array  # (I, J): entry cost per unit of pool mass when the whole cell switches


def _switch_plan(p: SunkCostParams, grid: TypeGrid, lottery: bool) -> _SwitchPlan:
    """The :class:`_SwitchPlan` of :func:`export_shares` (same shares and costs, cell by cell)."""
    kap = grid.kappa
    if not p.entry_costs:  # everyone exports, nothing is paid: every cell is "below the cutoff"
        return _SwitchPlan(upper=jnp.full(kap.shape, -jnp.inf), full_paid=jnp.zeros_like(grid.mass))
    if not lottery:  # the grid point's decision: cell j switches iff kappa_j <= kappa*, paying kappa_j
        return _SwitchPlan(upper=kap, full_paid=jnp.broadcast_to(kap, grid.mass.shape))
    c = _cells(p, grid)
    den = c.G_hi - c.G_lo
    safe = jnp.where(den > 0.0, den, 1.0)
    full_paid = jnp.where(den > 0.0, (c.H_hi - c.H_lo) / safe, kap[None, :])
    return _SwitchPlan(upper=_kappa_edges(p, kap), full_paid=full_paid)


def _band_cells(p: SunkCostParams, grid: TypeGrid, lottery: bool, idx) -> dict:
    """The cells ``idx`` (2, I, W) of each row (kappa indices) with what :func:`_band_shares` needs of them."""
    kap = jnp.take(grid.kappa, idx)
    if not (p.entry_costs and lottery):
        return {"kappa": kap}
    c = _cells(p, grid)
    out = {k: jnp.take_along_axis(jnp.broadcast_to(getattr(c, k), idx.shape[:1] + c.G_lo.shape), idx, axis=2)
           for k in ("G_lo", "G_hi", "H_lo", "H_hi")}  # fmt: skip
    th = p.sigma - 1.0
    out.update(kappa=kap, a=c.a, log_phi=jnp.log(grid.phi**th / p.kappa_bar), h=p.kappa_bar * c.a / (c.a + 1.0))
    return out


def _band_shares(p: SunkCostParams, lottery: bool, cells: dict, xs, kstar):
    """:func:`export_shares` on gathered cells (:func:`_band_cells`) at kappa* = ``kstar`` (2, I): share, paid (2, I, W).

    The same formulas, cell by cell: 1 (and the cell's whole partial mean)
    below the cell holding kappa*, 0 above it, the lottery's share in it.
    The CDF and partial mean at kappa* (:func:`_cdf_and_mean`) are taken in
    logs from the cutoffs ``xs`` (2,) (one ``exp`` per row; ``**`` is several
    times slower on the CPU).
    """
    kap = cells["kappa"]
    if not p.entry_costs:
        return jnp.ones_like(kap), jnp.zeros_like(kap)
    below = (kap <= kstar[..., None]).astype(float)
    if not lottery:
        return below, below * kap
    log_u = jnp.minimum(jnp.log(jnp.maximum(xs, 0.0))[:, None] + cells["log_phi"], 0.0)  # log kappa*/kbar <= 0
    Gk = jnp.exp(cells["a"] * log_u)
    Hk = cells["h"] * Gk * jnp.exp(log_u)
    edges = (cells["G_lo"], cells["G_hi"], cells["H_lo"], cells["H_hi"])
    return _lottery_in_cells(Gk[..., None], Hk[..., None], *edges, below, kap)


#: the per-period outputs of :func:`simulate_loglinear`'s scan (the distributions' side), packed in one vector
_PACKED = (("m", 2), ("M", 2), ("K", 2), ("exporters", 2), ("m_next", 2), ("x_star", 2), ("switch_share", 2))

#: Newton steps of the period equilibria of a simulation, all periods at once from one start (:func:`simulate_loglinear`)
EQ_STEPS = 5


def _small_linear_weights(nodes, x) -> jax.Array:
    """:func:`linear_weights` for a scalar ``x`` on a few nodes: the bracket by one compare-and-count, no search loop."""
    n = nodes.shape[0]
    k = jnp.clip(jnp.sum(nodes <= x) - 1, 0, n - 2)
    t = jnp.clip((x - nodes[k]) / (nodes[k + 1] - nodes[k]), 0.0, 1.0)
    i = jnp.arange(n)
    return jnp.where(i == k, 1.0 - t, 0.0) + jnp.where(i == k + 1, t, 0.0)


def _simulate_band(p: SunkCostParams, grid: TypeGrid, policy: LogLinearPolicy, plan: _SwitchPlan, state0: SimState,
                   shocks, lo, width: int) -> jax.Array:  # fmt: skip
    """:func:`simulate_loglinear`'s scan carrying cells ``lo .. lo + width - 1`` (lo: (2, I)) of each row of mu_d.

    Every cutoff cell must lie in the band (:func:`_band_start`); ``width`` = J
    with ``lo`` = 0 is the whole histogram. Returns the packed (T, n) outputs (``_PACKED``).
    """
    th = p.sigma - 1.0
    phith = grid.phi**th  # (I,)
    zs = productivity_states(p)
    keep = 1.0 - p.delta
    entrants = jnp.broadcast_to(p.nu * grid.mass, state0.mu_d.shape)  # (2, I, J)
    ent_mass = jnp.sum(entrants[0])
    ent_moment = jnp.sum(entrants[0] * phith[:, None])
    cols = jnp.arange(grid.kappa.shape[0])
    slot = jnp.arange(width)
    idx = lo[..., None] + slot  # (2, I, width): the band's cells
    below = cols < lo[..., None]  # (2, I, J): cells that switch entirely in every period
    above = cols >= lo[..., None] + width  # cells that never switch

    def total(a, where):  # (2, I, J) -> (2,): sum over the masked cells
        return jnp.sum(jnp.where(where, a, 0.0), axis=(1, 2))

    def moment(a, where):
        return jnp.sum(jnp.where(where, a, 0.0) * phith[:, None], axis=(1, 2))

    full_paid = jnp.broadcast_to(plan.full_paid, entrants.shape)
    e_band = jnp.take_along_axis(entrants, idx, axis=2)
    cells = _band_cells(p, grid, policy.lottery, idx)
    # left of the band: the pool is mu_d + entrants in the first period and the entrants afterwards
    e_below = (total(entrants, below), moment(entrants, below), total(full_paid * entrants, below))
    e_above = total(entrants, above)
    mu0 = state0.mu_d
    m0, M0 = exporter_moments(state0, phith[:, None])
    carry0 = (jnp.take_along_axis(mu0, idx, axis=2), total(mu0, below), moment(mu0, below),
              total(full_paid * mu0, below), total(mu0, above), m0, M0, jnp.sum(state0.mu_x, axis=(1, 2)))  # fmt: skip

    def step(carry, s):
        b, b_mass, b_moment, b_paid, a_mass, m, M, E = carry  # b: (2, I, width) the band of mu_d
        lm = jnp.log(m)
        wh, wf = _small_linear_weights(policy.nodes[0], lm[0]), _small_linear_weights(policy.nodes[1], lm[1])
        xs = policy.x_star[:, s, :] @ (wh[:, None] * wf[None, :]).ravel()  # (2,): bilinear, as bilinear_weights
        kstar = xs[:, None] * phith  # (2, I)
        share, paid = _band_shares(p, policy.lottery, cells, xs, kstar)
        pool = b + e_band
        b_next = keep * (1.0 - share) * pool
        row = jnp.sum(share * pool, axis=2)  # (2, I): the band's switchers per row
        K = jnp.sum(paid * pool, axis=(1, 2))
        K = K + b_paid + e_below[2]
        if p.entry_cost_units != "labor":  # entry labour: kappa units times their own-wage price
            F = evaluate_rules(policy.coef, s, lm[0], lm[1])  # forecasts at the current moments
            K = K * entry_cost_price(p, zs[s], F[0:2], F[4:6], policy.log_p_ref)
        switched = jnp.sum(row, axis=1) + b_mass + e_below[0]
        m_next = keep * (m + row @ phith + b_moment + e_below[1])
        non_exporters = jnp.sum(b, axis=(1, 2)) + b_mass + a_mass
        out = {"m": m, "M": M, "K": K, "exporters": E, "m_next": m_next, "x_star": xs,
               "switch_share": switched / (non_exporters + ent_mass)}  # fmt: skip
        zero = jnp.zeros_like(b_mass)
        new = (b_next, zero, zero, zero, keep * (a_mass + e_above), m_next, keep * (M + ent_moment),
               keep * (E + switched))  # fmt: skip
        return new, jnp.concatenate([jnp.reshape(out[k], (n,)) for k, n in _PACKED])

    return jax.lax.scan(step, carry0, shocks)[1]


#: default width (cells per row) of the band of the non-exporter histogram that :func:`simulate_loglinear` carries
SIM_BAND = 8


def _band_start(p: SunkCostParams, grid: TypeGrid, plan: _SwitchPlan, policy: LogLinearPolicy, width: int):
    """First cell ``lo`` (2, I) of each row's band of ``width`` cells, and whether every cutoff cell lies in it.

    The cutoff x* of a period is a convex combination of the grid values
    ``policy.x_star[c, s, :]`` (bilinear weights, clamped at the edges), so
    each row's cutoff cell jj (the number of upper cell edges at most
    kappa*) stays between the cells of min x* and max x*; one cell is added on each
    side against rounding. Cells left of the band then switch entirely in
    every period and cells right of it never do.
    """
    J = grid.kappa.shape[0]
    th = p.sigma - 1.0
    xs = policy.x_star.reshape(2, -1)
    lo_x, hi_x = jnp.min(xs, axis=1), jnp.max(xs, axis=1)  # (2,)
    phith = grid.phi**th
    j_lo = jnp.searchsorted(plan.upper, lo_x[:, None] * phith, side="right")  # (2, I)
    j_hi = jnp.searchsorted(plan.upper, hi_x[:, None] * phith, side="right")
    a = jnp.maximum(j_lo - 1, 0)
    b = jnp.minimum(j_hi + 1, J - 1)  # jj = J (every cell switches) needs the band to reach the last cell
    lo = jnp.minimum(a, J - width)
    fits = jnp.all(b <= lo + width - 1) & jnp.all(jnp.isfinite(xs))
    return lo, fits


def simulate_loglinear(p: SunkCostParams, grid: TypeGrid, policy: LogLinearPolicy, state0: SimState, shocks, *,
                       band: int | None = SIM_BAND) -> dict:  # fmt: skip
    """Simulate along joint states ``shocks`` (T,) with market clearing every period (``lax.scan``, then ``vmap``).

    Per period: the cutoff x* of each country interpolated bilinearly at the
    current (log m, log m*); the switchers (cell lottery or grid point,
    :func:`export_shares`) and their entry labour (29); the period
    equilibrium (balanced trade (31)); the push-forward of section 4.5
    (item 3). That is :func:`~jaxtrade.models.sunk_cost.market_period` with
    :func:`export_shares`, written for speed (the loop over periods is a
    couple of dozen small fused kernels on a few thousand numbers, on the CPU
    and on an accelerator):

    * the distributions do not depend on the prices (the cutoffs follow the
      moments, the entry labour is in kappa units or priced by the
      forecasts), so the loop carries the distributions only and the
      market clearing of all periods is solved at once afterwards (vmapped
      :func:`~jaxtrade.models.sunk_cost.equilibrium.warm_period_equilibrium`,
      ``EQ_STEPS`` Newton steps from the start's wage, then the damped Newton
      loop for any period they leave short; same tolerance 1e-12, same flags);
    * only the non-exporters mu_d are carried; the exporters enter the model
      only through their moment (40) and mass, which follow
      m' = (1-delta) (m + sum phi^(sigma-1) s pool) and
      E' = (1-delta) (E + sum s pool) (s the switching share, pool = mu_d + entrants);
      likewise M' = (1-delta) (M + sum phi^(sigma-1) entrants);
    * the switching shares are 1 below each row's cutoff cell and 0 above it
      (:class:`_SwitchPlan`), and the cutoff cell of a row can only move
      within a band of a few cells (the cutoffs in the policy bound it,
      :func:`_band_start`): only the ``band`` cells per row from there are
      carried, with :func:`export_shares`'s formulas (:func:`_band_shares`). Left of the band every
      cell switches each period (after the first, its pool is the entrants:
      constant sums), right of it none does (the mass follows
      A' = (1-delta) (A + entrants), a sum per country). Where the band does
      not hold every row's cutoff cells the whole histogram is carried (a
      ``lax.cond``; ``band=None`` always does);
    * the period's outputs leave the loop as one packed vector.

    The results equal the cell-by-cell form up to rounding (and the
    balanced-trade tolerance). Returns the series of
    :func:`~jaxtrade.models.sunk_cost.simulate_path`, plus ``m_next`` (the
    moments at the start of the next period), ``x_star`` and
    ``switch_share`` (mass of switchers / pool).
    """
    J = grid.kappa.shape[0]
    plan = _switch_plan(p, grid, policy.lottery)
    width = J if band is None else max(1, min(int(band), J))
    if width == J:
        packed = _simulate_band(p, grid, policy, plan, state0, shocks, jnp.zeros((2, grid.phi.shape[0]), int), J)
    else:
        lo, fits = _band_start(p, grid, plan, policy, width)
        packed = jax.lax.cond(
            fits,
            lambda: _simulate_band(p, grid, policy, plan, state0, shocks, lo, width),
            lambda: _simulate_band(p, grid, policy, plan, state0, shocks, jnp.zeros_like(lo), J),
        )
    cut = np.cumsum([0] + [n for _, n in _PACKED])
    series = {k: packed[:, cut[i] : cut[i + 1]] for i, (k, _) in enumerate(_PACKED)}
    # the distributions do not depend on the prices: every period's market clearing at once (vectorised)
    z = productivity_states(p)[shocks]
    x0 = jnp.full(shocks.shape, jnp.asarray(state0.log_wf, dtype=float))
    eq = jax.vmap(lambda *a: warm_period_equilibrium(p, *a, steps=EQ_STEPS))(z, series["M"], series["m"],
                                                                            series["K"], x0)  # fmt: skip
    w_f = eq.w[:, 1]
    series.update(state=shocks, z=z, w_f=w_f, w=eq.w, Y=eq.Y, P=eq.P, Pi=eq.Pi, a_d=eq.a_d, a_x=eq.a_x,
                  imports=eq.exports[:, ::-1], domestic=p.gamma * eq.Y * (1.0 - eq.import_share),
                  converged=eq.info.converged, root_residual=eq.info.residual)  # fmt: skip
    return series


def forecast_targets(series: dict) -> jax.Array:
    """(T, 8) simulated values of ``OBJECTS``: logs of a_d, a_x, Y in own-wage units, and log m'."""
    w = series["w"]
    return jnp.concatenate([jnp.log(series["a_d"] / w), jnp.log(series["a_x"] / w), jnp.log(series["Y"] / w),
                            jnp.log(series["m_next"])], axis=1)  # fmt: skip


def paper_targets(series: dict) -> jax.Array:
    """(T, 4) simulated values of the paper's objects: log P_h, log Pi_h, log m_h', log w_f (home wage = 1)."""
    return jnp.stack([jnp.log(series["P"][:, 0]), jnp.log(series["Pi"][:, 0]), jnp.log(series["m_next"][:, 0]),
                      jnp.log(series["w_f"])], axis=1)  # fmt: skip


# -------------------------------------------------------------------- the loop


@dataclasses.dataclass(frozen=True)
class KSOptions:
    """Numerical choices of the Krusell-Smith loop (beyond the paper; ``docs/models/sunk_cost.md``).

    Attributes
    ----------
    export_rule:
        ``"lottery"`` (default): the cell lottery, aggregates continuous in
        the forecasts; ``"discrete"``: the grid point's decision for the whole cell.
    n_m:
        Moment-grid points per dimension (>= 2; the grid is ``n_m x n_m`` in (log m, log m*)).
    n_x:
        Points of the x = kappa / phi^(sigma-1) grid (>= 3).
    grid_margin:
        The moment grid covers the simulated range of (log m, log m*) widened
        by this share of the range on each side (>= 0).
    n_regrid:
        None: the moment grid follows the simulations in every iteration;
        an integer: in the first ``n_regrid`` iterations only.
    symmetric:
        The countries share one set of rules (foreign = home mirrored,
        :func:`symmetric_rules`), fitted on pooled observations.
    """

    export_rule: ExportRule = "lottery"
    n_m: int = 5
    n_x: int = 1500
    grid_margin: float = 0.25
    n_regrid: int | None = None
    symmetric: bool = True

    def __post_init__(self):
        check_option("export_rule", self.export_rule, ExportRule)
        if self.n_m < 2:
            raise ValueError(f"n_m must be >= 2 (moment-grid points per dimension), got {self.n_m}")
        if self.n_x < 3:
            raise ValueError(f"n_x must be >= 3, got {self.n_x}")
        if not self.grid_margin >= 0.0:
            raise ValueError(f"grid_margin must be >= 0, got {self.grid_margin}")
        if self.n_regrid is not None and self.n_regrid < 0:
            raise ValueError(f"n_regrid must be None or >= 0, got {self.n_regrid}")


class KSResult(eqx.Module):
    """Diagnostics of the Krusell-Smith loop.

    coef: (8, 4, 3) the rules (``OBJECTS`` x states x alpha_1..3); r2, sst:
    (8,) pooled R^2 and total sum of squares of the last simulation's fit;
    paper_coef (4, 4, 3), paper_r2, paper_sst (4,): the same OLS for the
    paper's objects P, Pi, m', w_f (home); nodes: (2, n_m) log-moment grid;
    coverage: share of simulated periods whose (log m, log m*) lay inside the
    grid; log_m_mean, log_m_std: (2,) of the simulated moments; changes: max
    coefficient change per iteration.
    """

    coef: jax.Array
    r2: jax.Array
    sst: jax.Array
    paper_coef: jax.Array
    paper_r2: jax.Array
    paper_sst: jax.Array
    nodes: jax.Array
    coverage: jax.Array
    log_m_mean: jax.Array
    log_m_std: jax.Array
    changes: jax.Array


class KSStep(eqx.Module):
    """One application of the Krusell-Smith map (:func:`forecast_update`).

    Attributes
    ----------
    policy: the firms' solution for the rules that went in.
    coef, r2, sst: the OLS rules (8, 4, 3) fitted on the simulation, their pooled R^2 and SST (8,).
    paper: the same OLS for the paper's objects (:data:`PAPER_OBJECTS`), a :class:`RuleFit`.
    log_m_lo, log_m_hi, log_m_mean, log_m_std: (2,) range, mean and sd of the simulated log moments.
    coverage: share of the retained periods whose (log m, log m*) lay inside the moment grid.
    roots: the simulation's balanced-trade roots (:func:`~jaxtrade.models.sunk_cost.simulation_info`).
    """

    policy: LogLinearPolicy
    coef: jax.Array
    r2: jax.Array
    sst: jax.Array
    paper: RuleFit
    log_m_lo: jax.Array
    log_m_hi: jax.Array
    log_m_mean: jax.Array
    log_m_std: jax.Array
    coverage: jax.Array
    roots: SolverInfo


def forecast_update(p: SunkCostParams, ss: SteadyState, shocks, coef, nodes, x_grid, v0=None, *, burn: int,
                    lottery: bool = True, symmetric: bool = True, tol_v: float = 1e-10) -> KSStep:  # fmt: skip
    """One iteration of the Krusell-Smith map: rules ``coef`` (8, 4, 3) -> the rules OLS finds on the simulation.

    Solves the firms on the moment grid ``nodes`` (warm start ``v0``),
    simulates the economy along ``shocks`` from the steady-state
    distribution, drops ``burn`` periods and runs the per-state OLS
    (:func:`ols_by_state`; pooled home and mirrored foreign observations if
    ``symmetric``). A fixed point of this map is a solution of Appendix 1.
    Jit it (``burn``, ``lottery``, ``symmetric`` static).
    """
    policy = solve_firms_loglinear(p, coef, nodes, x_grid, v0, tol=tol_v, lottery=lottery,
                                   log_p_ref=steady_log_p_ref(p, ss), throw=False)  # fmt: skip
    series = simulate_loglinear(p, ss.grid, policy, initial_state(ss), shocks)
    sl = jax.tree_util.tree_map(lambda a: a[burn:], series)
    lm = jnp.log(sl["m"])
    st = sl["state"]
    y = forecast_targets(sl)
    if symmetric:  # pool home and mirrored foreign observations: one (4, 4, 3) set of rules
        yy = jnp.concatenate([y[:, jnp.array(HOME_OBJECTS)], y[:, jnp.array(FOREIGN_OBJECTS)]])
        ss_ = jnp.concatenate([st, jnp.array(MIRROR)[st]])
        lh, lf = jnp.concatenate([lm[:, 0], lm[:, 1]]), jnp.concatenate([lm[:, 1], lm[:, 0]])
        c4, r2, sst, _ = ols_by_state(yy, lh, lf, ss_)
        new, r2, sst = symmetric_rules(c4), jnp.repeat(r2, 2), jnp.repeat(sst, 2)
    else:
        new, r2, sst, _ = ols_by_state(y, lm[:, 0], lm[:, 1], st)
    paper = ols_by_state(paper_targets(sl), lm[:, 0], lm[:, 1], st)
    inside = jnp.all((lm >= nodes[:, 0]) & (lm <= nodes[:, -1]), axis=1)
    return KSStep(policy=policy, coef=new, r2=r2, sst=sst, paper=paper, log_m_lo=lm.min(axis=0),
                  log_m_hi=lm.max(axis=0), log_m_mean=lm.mean(axis=0), log_m_std=lm.std(axis=0),
                  coverage=inside.mean(),
                  roots=simulation_info(series["converged"], series["root_residual"]))  # fmt: skip


#: :func:`forecast_update` compiled once per shape and static options (cached across calls of the loop)
_forecast_update_jit = jax.jit(forecast_update, static_argnames=("burn", "lottery", "symmetric", "tol_v"))


@jax.jit
def initial_rules(p: SunkCostParams, ss: SteadyState) -> jax.Array:
    """Starting rules: the steady-state distribution's period equilibrium in each state, slopes zero."""
    one = jnp.ones(2)

    def row(z):  # one state's period equilibrium (vmapped over the four states: one compiled solve)
        e = period_equilibrium(p, z, ss.M * one, ss.m * one, ss.K * one, throw=False)
        return jnp.concatenate([jnp.log(e.a_d / e.w), jnp.log(e.a_x / e.w), jnp.log(e.Y / e.w),
                                jnp.log(ss.m) * one])  # fmt: skip

    a1 = jax.vmap(row, out_axes=1)(productivity_states(p))  # (8, 4)
    return jnp.stack([a1, jnp.zeros_like(a1), jnp.zeros_like(a1)], axis=-1)


def _follow_moments(step: KSStep, nodes, it: int, damping: float, options: KSOptions):
    """Move the moment grid towards the simulated range widened by ``grid_margin``; return it and its change."""
    rng = step.log_m_hi - step.log_m_lo
    half = jnp.maximum(0.5 * rng + options.grid_margin * rng, 1e-3)
    new_nodes = moment_nodes(0.5 * (step.log_m_hi + step.log_m_lo), half, options.n_m)
    change = float(jnp.max(jnp.abs(new_nodes - nodes)))
    return (new_nodes if it <= 1 else nodes + damping * (new_nodes - nodes)), change


def _report(it: int, change: float, coef, step: KSStep) -> str:
    arg = np.unravel_index(int(jnp.argmax(jnp.abs(step.coef - coef))), coef.shape)
    return (f"KS iteration {it}: max coefficient change {change:.3e} at {OBJECTS[arg[0]]} state {arg[1]} "
            f"alpha_{arg[2] + 1}, R2 {np.round(np.asarray(step.r2), 4).tolist()}, log m mean "
            f"{np.round(np.asarray(step.log_m_mean), 4).tolist()} std "
            f"{np.round(np.asarray(step.log_m_std), 4).tolist()}, coverage {float(step.coverage):.2f}")  # fmt: skip


def _last_rules(sol: StochasticSolution) -> str:
    ks = cast(KSResult, sol.ks)
    return (
        f"last coefficients (objects {OBJECTS} x states x alpha_1..3)="
        f"{np.round(np.asarray(ks.coef), 6).tolist()}, last R2={np.round(np.asarray(ks.r2), 6).tolist()}"
    )


def solve_loglinear(
    p: SunkCostParams,
    *,
    T: int = 3000,
    burn: int = 500,
    seed: int = 0,
    tol: float = 1e-5,
    max_outer: int = 100,
    damping: float = 0.2,
    options: KSOptions = KSOptions(),  # noqa: B008  (frozen, immutable)
    coef0=None,
    verbose: bool = False,
    throw: bool = True,
    progress: bool | None = None,
) -> StochasticSolution:
    """The Krusell-Smith loop of Appendix 1 with log-linear rules (see the module docstring).

    Steps: rules ``coef0`` (default :func:`initial_rules`); solve the firms on
    the ``n_m`` x ``n_m`` moment grid; simulate T periods with market clearing
    (common random numbers across iterations, ``seed``); drop ``burn``; OLS
    per state (:func:`forecast_update`); update alpha <- alpha + damping
    (alpha_OLS - alpha) until max |alpha_OLS - alpha| < ``tol``. After each
    simulation the moment grid moves (with the same damping; fully after the
    first) towards the simulated range of (log m, log m*) widened by
    ``options.grid_margin`` of the range on each side, so that it keeps
    covering the ergodic set; its nodes are part of the fixed point and must
    also move less than ``tol``. With ``options.n_regrid`` an integer this is
    done in the first ``n_regrid`` iterations only and the grid is then fixed
    (it may then stop covering the simulated moments: ``ks.coverage``).
    ``verbose`` prints one line per iteration; ``progress`` shows a progress bar with the last coefficient
    change and the elapsed time (default: on a terminal, :mod:`jaxtrade.progress`).

    Returns
    -------
    StochasticSolution
        ``rule="loglinear"``, ``ks`` a :class:`KSResult` (the last rules,
        R^2 and the paper's table objects, also when the loop did not
        converge). ``info``: the loop's last change against ``tol``, folded
        with the steady state, the firms' value iteration, the last
        simulation's balanced-trade roots and the parameter rules.
        ``throw=True``: a failure raises :class:`~jaxtrade.errors.ConvergenceError`
        (its message lists the last coefficients and R^2); a failed value
        iteration or simulation raises in the iteration where it happens.
        ``throw=False``: read ``info`` and ``ks``.
    """
    if not 0.0 < damping <= 1.0:
        raise ValueError(f"damping must satisfy 0 < damping <= 1, got {damping}")
    if T <= burn + 10:
        raise ValueError(f"T must exceed burn + 10, got T={T}, burn={burn}")
    if max_outer < 1:
        raise ValueError(f"max_outer must be >= 1, got {max_outer}")
    lottery = options.export_rule == "lottery"
    ss = steady_state(p, throw=throw)
    coef = initial_rules(p, ss) if coef0 is None else jnp.asarray(coef0, dtype=float)
    nodes = moment_nodes(jnp.log(ss.m), 0.05, options.n_m)
    x_grid = x_grid_default(p, options.n_x, steady_state_cutoff(p, ss))
    shocks = draw_shocks(p, jax.random.PRNGKey(seed), T)
    lpr = steady_log_p_ref(p, ss)

    def run(c, nd, v):  # the compiled iteration is cached across calls (p, ss, shocks are arguments)
        return _forecast_update_jit(p, ss, shocks, c, nd, x_grid, v, burn=burn, lottery=lottery,
                                    symmetric=options.symmetric)  # fmt: skip

    v = _cold_value(p, coef, nodes, x_grid, lpr)  # the first iteration's value iteration starts cold
    changes: list[float] = []
    change, it, step = np.inf, 0, None
    bar = progress_bar(max_outer, "Krusell-Smith loop (log-linear rules)", unit="iteration", progress=progress)
    for it in range(1, max_outer + 1):
        step = run(coef, nodes, v)
        finish(step.policy, throw=throw, what="sunk-cost firm value iteration on the moment grid (26)-(27)", tol=1e-10)
        finish(step.roots, throw=throw, what="sunk-cost simulation (balanced-trade roots (31))",
               extra=lambda _: "some period's w_f root failed")  # fmt: skip
        change = float(jnp.max(jnp.abs(step.coef - coef)))
        changes.append(change)
        if verbose:
            print(_report(it, change, coef, step), flush=True)
        bar.set_postfix_str(f"change {change:.1e} (tol {tol:g})")
        bar.update()
        coef = coef + damping * (step.coef - coef)
        v = step.policy.v
        if options.n_regrid is None or it <= options.n_regrid:
            nodes, node_change = _follow_moments(step, nodes, it, damping, options)
            change = max(change, node_change)
            if options.n_regrid is not None:
                continue
        if change < tol:
            break
    bar.close()
    assert step is not None  # max_outer >= 1
    policy = solve_firms_loglinear(p, coef, nodes, x_grid, v, lottery=lottery, log_p_ref=lpr, throw=False)
    ks = KSResult(coef=coef, r2=step.r2, sst=step.sst, paper_coef=step.paper.coef, paper_r2=step.paper.r2,
                  paper_sst=step.paper.sst, nodes=nodes, coverage=step.coverage, log_m_mean=step.log_m_mean,
                  log_m_std=step.log_m_std, changes=jnp.asarray(changes))  # fmt: skip
    mean = step.log_m_mean
    F = jnp.stack([evaluate_rules(coef, s, mean[0], mean[1]) for s in range(4)])  # (4, 8) at the mean moments
    info = combine_info(solver_info(it, change, tol), ss.info, policy.info, step.roots,
                        params_valid=rules_hold(p, RULES))  # fmt: skip
    sol = StochasticSolution(policy=policy, log_a_d=F[:, 0:2], log_a_x=F[:, 2:4], log_Y=F[:, 4:6], steady=ss, info=info,
                             rule="loglinear", ks=ks)  # fmt: skip
    sol = flag_nonfinite(sol, outputs=(sol.log_a_d, sol.log_a_x, sol.log_Y, ks.coef, ks.r2, policy.v))
    return finish(sol, throw=throw, what="sunk-cost Krusell-Smith loop (log-linear rules, Appendix 1)", tol=tol,
                  extra=_last_rules)  # fmt: skip
