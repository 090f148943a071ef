"""Krusell-Smith solution of the stochastic model with log-linear forecasting rules (Appendix 1).

The aggregate state is the joint productivity state n (four values, see
:mod:`jaxtrade.models.sunk_cost.stochastic`) and the two exporter moments
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
OLS on the simulated log P_h, log Pi_h, log w_f and log m_h' (``PAPER_OBJECTS``).

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
``burn`` periods dropped), damped, until the largest coefficient change is
below ``tol`` (1e-5 in the paper). By default the two countries share one
set of rules (foreign = home mirrored), fitted on pooled observations, and
the moment grid follows the simulated range of the moments; both are
choices beyond the paper, documented in ``docs/models/sunk_cost.md``.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from jaxtrade.errors import ConvergenceError, solver_info
from jaxtrade.models.sunk_cost.equilibrium import period_equilibrium, steady_state
from jaxtrade.models.sunk_cost.params import SunkCostParams
from jaxtrade.models.sunk_cost.types import TypeGrid, theta_kappa
from jaxtrade.numerics.fixed_point import value_iteration
from jaxtrade.numerics.linalg import solve_small

OBJECTS = ("log a_d (h)", "log a_d (f)", "log a_x (h)", "log a_x (f)", "log Y (h)", "log Y (f)", "log m'", "log m*'")
PAPER_OBJECTS = ("P", "Pi", "m'", "w_f")

# Appendix 1, "Forecasting Function Values": PAPER_KS_COEF[object][state] = (alpha_1, alpha_2, alpha_3),
# states (H,H), (H,L), (L,H), (L,L); then SST and R^2 per object.
PAPER_KS_COEF = {
    "P": ((-1.446, -0.006, -0.011), (-1.445, -0.006, -0.011), (-1.396, -0.006, -0.012), (-1.395, -0.006, -0.011)),
    "Pi": ((-2.314, 0.037, -0.008), (-2.313, 0.036, -0.006), (-2.369, 0.001, 0.000), (-2.370, 0.000, -0.001)),
    "m'": ((-1.513, 0.031, 0.184), (-1.562, 0.049, 0.140), (-0.228, 0.883, 0.004), (-0.190, 0.891, 0.016)),
    "w_f": ((0.000, -0.330, 0.330), (-0.032, -0.330, 0.331), (0.032, -0.331, 0.330), (0.000, -0.331, 0.331)),
}
PAPER_KS_SST = {"P": 1.24e-4, "Pi": 3.61e-7, "m'": 0.381, "w_f": 0.128}
PAPER_KS_R2 = {"P": 0.999, "Pi": 0.819, "m'": 0.999, "w_f": 0.999}


# The joint states (H,H), (H,L), (L,H), (L,L) seen from the foreign country (its own z first).
MIRROR = (0, 2, 1, 3)
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


# ------------------------------------------------------------------ OLS update


def ols_by_state(y, log_m_h, log_m_f, states, *, n_states: int = 4, ridge: float = 1e-12):
    """Per-state OLS of y (T, K) on (1, log m, log m*) in closed form.

    Regressors are centred at their sample means for conditioning (the
    intercepts are mapped back); the normal equations (3 x 3 per state) are
    solved with :func:`solve_small`. ``ridge`` x (observations in the state) is
    added to the slope diagonal so that a sample without any variation in the
    moments gives zero slopes instead of a singular system (its effect is
    ridge / var(log m), negligible otherwise). Returns coef (K, n_states, 3),
    R^2 (K,) and the total sum of squares SST (K,) pooled over states (the
    paper's table reports one R^2 and SST per object), and the residuals.
    """
    y = jnp.asarray(y, dtype=float)
    D = jax.nn.one_hot(states, n_states)  # (T, N)
    ch, cf = jnp.mean(log_m_h), jnp.mean(log_m_f)
    X = jnp.stack([jnp.ones_like(log_m_h), log_m_h - ch, log_m_f - cf], axis=1)  # (T, 3)
    cnt = D.sum(axis=0)
    A = jnp.einsum("tn,ti,tj->nij", D, X, X) + ridge * (cnt + 1.0)[:, None, None] * jnp.eye(3)[None]
    B = jnp.einsum("tn,ti,tk->nik", D, X, y)
    beta = jax.vmap(solve_small)(A, B)  # (N, 3, K)
    fit = jnp.einsum("tn,ti,nik->tk", D, X, beta)
    resid = y - fit
    a1 = beta[:, 0] - beta[:, 1] * ch - beta[:, 2] * cf
    coef = jnp.stack([a1, beta[:, 1], beta[:, 2]], axis=-1).transpose(1, 0, 2)  # (K, N, 3)
    sst = jnp.sum((y - y.mean(axis=0)) ** 2, axis=0)
    r2 = 1.0 - jnp.sum(resid**2, axis=0) / jnp.where(sst > 0, sst, 1.0)
    return coef, jnp.where(sst > 0, r2, jnp.nan), sst, resid


# ------------------------------------------------------------------ firm problem


class LogLinearPolicy(eqx.Module):
    """Firms' solution under log-linear forecasting rules, on the moment grid.

    v_x: (2, 4, G) exporter value per unit of phi^(sigma-1) (country, state,
    moment-grid point); v: (2, n_x, 4 * G) non-exporter value per unit of
    phi^(sigma-1) on the x = kappa / phi^(sigma-1) grid; x_star: (2, 4, G)
    export cutoff in x (export iff x <= x_star); x_grid: (n_x,); nodes: (2, n_m)
    log-moment nodes; coef: (8, 4, 3) the rules used; lottery: static, the
    cell-lottery export rule in simulation; info: the value iteration.
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


def steady_state_cutoff(p: SunkCostParams, ss) -> jax.Array:
    """x* = beta (1-delta) a_x / (1 - beta (1-delta)), the steady-state cutoff (32) in kappa / phi^(sigma-1)."""
    R = p.beta * (1.0 - p.delta)
    return R * ss.period.a_x[0] / (1.0 - R)


def entry_cost_price(p: SunkCostParams, z_own, log_a_d, log_Y, log_p_ref=0.0):
    """Price, in own-wage units, of one unit of the entry cost kappa (``p.entry_cost_units``).

    z_own: own aggregate productivity; log_a_d, log_Y: own-wage-unit log a_d and
    log Y (forecast or realised), which give the CES index in own-wage units
    P / w = [(a_d/w) / ((gamma/sigma) (Y/w) omega^sigma)]^(1/(sigma-1)) / (rho z).
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
    """log of the CES index in own-wage units, P/w = [(a_d/w) / ((gamma/sigma)(Y/w) omega^sigma)]^(1/(sigma-1)) / (rho z)."""
    th = p.sigma - 1.0
    return (log_a_d - jnp.log(p.gamma / p.sigma) - log_Y - p.sigma * jnp.log(p.omega)) / th - jnp.log(p.rho * z_own)


def steady_log_p_ref(p: SunkCostParams, ss) -> jax.Array:
    """log P / w in the deterministic steady state (z = 1), from its a_d and Y."""
    return _log_p_over_w(p, 1.0, jnp.log(ss.period.a_d[0]), jnp.log(ss.period.Y[0]))


def _transition(p, coef, nodes, log_p_ref=0.0):
    """Forecasts on the grid and the operator T[c, (n, g), (n', g')] = Q(n, g, n') W(n, g, g')."""
    from jaxtrade.models.sunk_cost.stochastic import transition_matrix

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
    ly_next = cy[:, None, None, :, 0] + cy[:, None, None, :, 1] * lh_n[None, :, :, None] + cy[:, None, None, :, 2] * lf_n[None, :, :, None]
    Q = p.beta * Lam[None, :, None, :] * y[..., None] / jnp.exp(ly_next)  # (2, S, G, S')
    T = (Q[..., None] * W[None, :, :, None, :]).reshape(2, S * G, S * G)
    from jaxtrade.models.sunk_cost.stochastic import productivity_states

    z_own = productivity_states(p).T[:, :, None]  # (2, S, 1)
    cf = entry_cost_price(p, z_own, F[0:2], F[4:6], log_p_ref)  # (2, S, G)
    return ad.reshape(2, S * G), ax.reshape(2, S * G), T, S, G, cf.reshape(2, S * G)


@jax.jit(static_argnames=("tol", "max_iter", "lottery"))
def solve_firms_loglinear(p: SunkCostParams, coef, nodes, x_grid, v0=None, *, tol: float = 1e-10,
                          max_iter: int = 5000, lottery: bool = True, log_p_ref=0.0) -> LogLinearPolicy:  # fmt: skip
    """Exporter (26) and non-exporter (27) values on the moment grid for rules ``coef`` (8, 4, 3).

    v_x = a_d + a_x + (1-delta) T v_x is a (4G x 4G) linear system per country;
    v(x) = a_d + max((1-delta) T v(x), V_x' - x) by value iteration from ``v0``
    (warm start) or from "never export". Jit/vmap safe; ``info.converged``
    must be checked by the caller.
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
        v0 = jnp.broadcast_to(ad[:, None, :] / (1.0 - p.beta * (1.0 - p.delta)), go.shape)
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
    info = vi.info
    return LogLinearPolicy(v_x=v_x.reshape(2, S, G), v=V, x_star=x_star.reshape(2, S, G), x_grid=x_grid, nodes=nodes,
                           coef=coef, info=info, lottery=lottery, log_p_ref=jnp.asarray(log_p_ref, dtype=float))  # fmt: skip


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


def _cells(p: SunkCostParams, grid: TypeGrid) -> _Cells:
    a = 1.0 + theta_kappa(p, grid.phi)
    kap = grid.kappa
    e = jnp.concatenate([jnp.zeros(1), 0.5 * (kap[1:] + kap[:-1]), jnp.atleast_1d(p.kappa_bar)])
    Ge, He = _cdf_and_mean(p, a[:, None], e[None, :])
    return _Cells(a=a, G_lo=Ge[:, :-1], G_hi=Ge[:, 1:], H_lo=He[:, :-1], H_hi=He[:, 1:])


def export_shares(p: SunkCostParams, grid: TypeGrid, x_star, *, lottery: bool = True, cells=None):
    """Share of each cell's non-exporters that switch, and the entry cost they pay per unit of cell mass.

    x_star: (...,) cutoffs; returns (..., I, J) arrays. Lottery: the Phi-mass
    share of cell (phi_i, [e_j, e_j+1]) with kappa <= kappa* = x* phi_i^(sigma-1),
    and the mean kappa over that part times the share (continuous in x*).
    Discrete: 1 where kappa_j <= kappa*, paying kappa_j.
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
    Gk, Hk = Gk[..., None], Hk[..., None]
    den = c.G_hi - c.G_lo
    safe = jnp.where(den > 0.0, den, 1.0)
    share = jnp.where(den > 0.0, (jnp.clip(Gk, c.G_lo, c.G_hi) - c.G_lo) / safe, (grid.kappa <= kstar[..., None]).astype(float))
    paid = jnp.where(den > 0.0, (jnp.clip(Hk, c.H_lo, c.H_hi) - c.H_lo) / safe, share * grid.kappa)
    return share, paid


# ------------------------------------------------------------------- simulation


def simulate_loglinear(p: SunkCostParams, grid: TypeGrid, policy: LogLinearPolicy, state0, shocks) -> dict:
    """Simulate along joint states ``shocks`` (T,) with market clearing every period (lax.scan).

    The cutoff x* of each country is interpolated bilinearly at the current
    (log m, log m*); otherwise as :func:`jaxtrade.models.sunk_cost.simulate`,
    whose series it returns, plus ``m_next`` (the moments at the start of
    the next period) and ``switch_share`` (mass of switchers / pool).
    """
    from jaxtrade.models.sunk_cost.stochastic import exporter_moments, market_period, productivity_states

    th = p.sigma - 1.0
    phith = grid.phi[:, None] ** th
    zs = productivity_states(p)
    entrants = p.nu * grid.mass[None]
    cells = _cells(p, grid)

    def step(st, s):
        m, M = exporter_moments(st, phith)
        lm = jnp.log(m)
        w = bilinear_weights(policy.nodes[0], policy.nodes[1], lm[0], lm[1])  # (G,)
        xs = policy.x_star[:, s, :] @ w  # (2,)
        share, paid = export_shares(p, grid, xs, lottery=policy.lottery, cells=cells)
        if p.entry_cost_units != "labor":  # entry labour: kappa units times their own-wage price
            F = evaluate_rules(policy.coef, s, lm[0], lm[1])  # forecasts at the current moments
            paid = paid * entry_cost_price(p, zs[s], F[0:2], F[4:6], policy.log_p_ref)[:, None, None]
        new, out = market_period(p, st, s, zs[s], m, M, share, paid, entrants)
        pool = st.mu_d + entrants
        out["m_next"] = jnp.sum(new.mu_x * phith, axis=(1, 2))
        out["x_star"] = xs
        out["switch_share"] = jnp.sum(share * pool, axis=(1, 2)) / jnp.sum(pool, axis=(1, 2))
        return new, out

    _, series = jax.lax.scan(step, state0, shocks)
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


def _iteration(p, grid, ss, shocks, burn, lottery, tol_v, coef, nodes, x_grid, v0, symmetric=True):
    from jaxtrade.models.sunk_cost.stochastic import initial_state

    policy = solve_firms_loglinear(p, coef, nodes, x_grid, v0, tol=tol_v, lottery=lottery, log_p_ref=steady_log_p_ref(p, ss))
    series = simulate_loglinear(p, grid, policy, initial_state(ss), shocks)
    sl = jax.tree_util.tree_map(lambda a: a[burn:], series)
    lm = jnp.log(sl["m"])
    st = sl["state"]
    y = forecast_targets(sl)
    if symmetric:  # pool home and mirrored foreign observations: one (4, 4, 3) set of rules
        yy = jnp.concatenate([y[:, jnp.array(HOME_OBJECTS)], y[:, jnp.array(FOREIGN_OBJECTS)]])
        ss_ = jnp.concatenate([st, jnp.array(MIRROR)[st]])
        c4, r2, sst, _ = ols_by_state(yy, jnp.concatenate([lm[:, 0], lm[:, 1]]), jnp.concatenate([lm[:, 1], lm[:, 0]]), ss_)
        new, r2, sst = symmetric_rules(c4), jnp.repeat(r2, 2), jnp.repeat(sst, 2)
    else:
        new, r2, sst, _ = ols_by_state(y, lm[:, 0], lm[:, 1], st)
    pc, pr2, psst, _ = ols_by_state(paper_targets(sl), lm[:, 0], lm[:, 1], st)
    inside = jnp.all((lm >= nodes[:, 0]) & (lm <= nodes[:, -1]), axis=1)
    stats = {"lo": lm.min(axis=0), "hi": lm.max(axis=0), "coverage": inside.mean(), "mean": lm.mean(axis=0),
             "std": lm.std(axis=0), "all_converged": jnp.all(series["converged"])}  # fmt: skip
    return policy, new, r2, sst, (pc, pr2, psst), stats


@jax.jit
def initial_rules(p: SunkCostParams, ss) -> jax.Array:
    """Starting rules: the steady-state distribution's period equilibrium in each state, slopes zero."""
    from jaxtrade.models.sunk_cost.stochastic import productivity_states

    zs = productivity_states(p)
    one = jnp.ones(2)
    rows = []
    for s in range(4):
        e = period_equilibrium(p, zs[s], ss.M * one, ss.m * one, ss.K * one)
        rows.append(jnp.concatenate([jnp.log(e.a_d / e.w), jnp.log(e.a_x / e.w), jnp.log(e.Y / e.w), jnp.log(ss.m) * one]))
    a1 = jnp.stack(rows, axis=1)  # (8, 4)
    return jnp.stack([a1, jnp.zeros_like(a1), jnp.zeros_like(a1)], axis=-1)


def solve_loglinear(p: SunkCostParams, *, T: int = 3000, burn: int = 500, seed: int = 0, tol: float = 1e-5,
                    max_outer: int = 100, damping: float = 0.2, throw: bool = True, export_rule: str = "lottery",
                    n_m: int = 5, n_x: int = 1500, grid_margin: float = 0.25, n_regrid: int | None = None,
                    symmetric: bool = True, coef0=None, verbose: bool = False):  # fmt: skip
    """The Krusell-Smith loop of Appendix 1 with log-linear rules (see the module docstring).

    Steps: rules ``coef0`` (default :func:`initial_rules`); solve the firms on
    the ``n_m`` x ``n_m`` moment grid; simulate T periods with market clearing
    (common random numbers across iterations); drop ``burn``; OLS per state;
    update alpha <- alpha + damping (alpha_OLS - alpha) until
    max |alpha_OLS - alpha| < ``tol``. After each simulation the moment grid
    moves (with the same damping; fully after the first) towards the
    simulated range of (log m, log m*) widened by ``grid_margin`` of the
    range on each side, so that it keeps covering the ergodic set; its nodes
    are part of the fixed point and must also move less than ``tol``. With
    ``n_regrid`` an integer this is done in the first ``n_regrid``
    iterations only and the grid is then fixed (it may then stop covering
    the simulated moments: ``ks.coverage``). ``symmetric`` (default True, as the
    paper's table, which lists home rules only): the two countries share one
    set of rules (foreign = home mirrored, :func:`symmetric_rules`),
    estimated on the pooled home and mirrored foreign observations; False
    estimates all 8 objects separately. Raises ``ConvergenceError`` (with the
    last coefficients and R^2 as attributes ``coefficients``, ``r2``) if the
    loop does not converge and ``check``. Returns a
    :class:`~jaxtrade.models.sunk_cost.StochasticSolution` with ``rule="loglinear"``.
    """
    from jaxtrade.models.sunk_cost.stochastic import StochasticSolution, draw_shocks

    if export_rule not in ("lottery", "discrete"):
        raise ValueError(f"export_rule must be 'lottery' or 'discrete', got {export_rule!r}")
    if n_m < 2:
        raise ValueError(f"n_m must be >= 2 (moment-grid points per dimension), got {n_m}")
    if n_x < 3:
        raise ValueError(f"n_x must be >= 3, got {n_x}")
    if not 0.0 < damping <= 1.0:
        raise ValueError(f"damping must satisfy 0 < damping <= 1, got {damping}")
    if T <= burn + 10:
        raise ValueError(f"T must exceed burn + 10, got T={T}, burn={burn}")
    lottery = export_rule == "lottery"
    ss = steady_state(p)
    grid = ss.grid
    coef = initial_rules(p, ss) if coef0 is None else jnp.asarray(coef0, dtype=float)
    nodes = moment_nodes(jnp.log(ss.m), 0.05, n_m)
    x_grid = x_grid_default(p, n_x, steady_state_cutoff(p, ss))
    shocks = draw_shocks(p, jax.random.PRNGKey(seed), T)
    run = jax.jit(lambda c, nd, v: _iteration(p, grid, ss, shocks, burn, lottery, 1e-10, c, nd, x_grid, v, symmetric))
    lpr = steady_log_p_ref(p, ss)
    v = jax.jit(lambda c, nd: solve_firms_loglinear(p, c, nd, x_grid, lottery=lottery, log_p_ref=lpr).v)(coef, nodes)
    changes = []
    change, r2, sst, paper, stats = np.inf, None, None, None, None
    it = 0
    for it in range(1, max_outer + 1):
        policy, new, r2, sst, paper, stats = run(coef, nodes, v)
        if throw and not bool(policy.info.converged):
            raise ConvergenceError("sunk-cost firm value iteration (moment grid)", policy.info.iterations, policy.info.residual)
        if not bool(stats["all_converged"]):
            raise ConvergenceError("sunk-cost simulation balanced-trade roots", it, np.nan, extra="some period's w_f root failed")
        change = float(jnp.max(jnp.abs(new - coef)))
        changes.append(change)
        if verbose:
            arg = np.unravel_index(int(jnp.argmax(jnp.abs(new - coef))), coef.shape)
            print(f"KS iteration {it}: max coefficient change {change:.3e} at {OBJECTS[arg[0]]} state {arg[1]} "
                  f"alpha_{arg[2] + 1}, R2 {np.round(np.asarray(r2), 4).tolist()}, log m mean "
                  f"{np.round(np.asarray(stats['mean']), 4).tolist()} std {np.round(np.asarray(stats['std']), 4).tolist()}, "
                  f"coverage {float(stats['coverage']):.2f}", flush=True)
        coef = coef + damping * (new - coef)
        v = policy.v
        if n_regrid is None or it <= n_regrid:
            rng = stats["hi"] - stats["lo"]
            half = jnp.maximum(0.5 * rng + grid_margin * rng, 1e-3)
            new_nodes = moment_nodes(0.5 * (stats["hi"] + stats["lo"]), half, n_m)
            change = max(change, float(jnp.max(jnp.abs(new_nodes - nodes))))
            nodes = new_nodes if it <= 1 else nodes + damping * (new_nodes - nodes)
            if n_regrid is not None:
                continue
        if change < tol:
            break
    converged = change < tol
    info = solver_info(it, change, tol)
    if throw and not converged:
        err = ConvergenceError(
            "sunk-cost Krusell-Smith loop (log-linear rules)", it, change, tol=tol,
            extra=f"last coefficients (objects {OBJECTS} x states x alpha_1..3)={np.round(np.asarray(coef), 6).tolist()}, "
                  f"last R2={np.round(np.asarray(r2), 6).tolist()}",
        )  # fmt: skip
        err.coefficients = np.asarray(coef)
        err.r2 = np.asarray(r2)
        raise err
    policy = jax.jit(lambda c, nd, v0: solve_firms_loglinear(p, c, nd, x_grid, v0, lottery=lottery, log_p_ref=lpr))(coef, nodes, v)
    ks = KSResult(coef=coef, r2=r2, sst=sst, paper_coef=paper[0], paper_r2=paper[1], paper_sst=paper[2], nodes=nodes,
                  coverage=stats["coverage"], log_m_mean=stats["mean"], log_m_std=stats["std"],
                  changes=jnp.asarray(changes))  # fmt: skip
    mean = stats["mean"]
    F = jnp.stack([evaluate_rules(coef, s, mean[0], mean[1]) for s in range(4)])  # (4, 8) at the mean moments
    return StochasticSolution(policy=policy, log_a_d=F[:, 0:2], log_a_x=F[:, 2:4], log_Y=F[:, 4:6], steady=ss, info=info,
                              rule="loglinear", ks=ks)  # fmt: skip
