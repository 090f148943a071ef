"""Stationary general equilibrium of two symmetric countries (Heo & Kim 2025, sec. 3.3).

GE reduction (documented in ``docs/models/multiproduct.md``):

1. Steady-state Euler condition of the household with Q = beta:
   R = 1/beta - 1 + delta (the firm's user cost of capital, eq. 8/15).
2. The firm problem (eq. 21) divided by W depends on prices only through
   A = c^(1-eps) D / W (see :mod:`.model`); so do the decision rules and the
   stationary distribution per unit of entrants mu_hat.
3. Free entry (eq. 24): gamma_E = beta sum_z' G(z') v(z', 0).
4. Labour market (eq. 25) divided by N_E:
   1 / N_E = alpha_n (eps-1)/eps kappa A S_R(A) + F_hat(A) + gamma_E, with
   S_R = sum mu_hat z^(eps-1) [Omega_H + Omega_X(i)] and F_hat the export
   costs per entrant.
   ``entry="normalize"`` (the initial steady state): N_E = 1 and gamma_E is
   an output; one equation (labour market with free entry substituted) in
   log A. ``entry="fixed_cost"`` (counterfactuals): gamma_E is given; free
   entry alone pins log A and the labour market then gives N_E.
5. Price index = 1 (numeraire, eq. 12) gives c, then W from the
   Cobb-Douglas unit cost, D = A W / c^(1-eps); capital, materials and
   consumption follow from the cost shares and the goods market (eq. 26).

The 1-D root in log A is found by :func:`jaxtrade.numerics.root.newton_root`
(implicit derivatives); the Bellman and distribution solves inside are
fixed points with implicit derivatives. Every market-clearing residual is
then recomputed from firm-level allocations and reported.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

import jaxtrade._config  # noqa: F401
from jaxtrade.errors import ConvergenceError, SolverInfo, is_traced
from jaxtrade.numerics.root import newton_root

from .model import Grids, kappa, make_grids, solve_bellman, stationary_mass
from .params import MultiproductParams, validate_params

__all__ = ["Equilibrium", "solve_equilibrium", "solve_equilibrium_jit", "RESIDUAL_NAMES", "ENTRY_MODES"]

ENTRY_MODES = ("normalize", "fixed_cost")
RESIDUAL_NAMES = ("labour_market", "capital_market", "goods_market", "euler", "free_entry", "price_index",
                  "entry_normalization", "bellman", "distribution", "ge_root")
GE_TOL = 1e-10


class Equilibrium(eqx.Module):
    """A stationary equilibrium.

    Prices: W (wage), R (rental rate), D (aggregate demand = final output), c (unit input cost), A.
    Quantities: K, M, C, N_E (entrant mass), gamma_E, N (firm mass), T (tariff revenue),
    L_prod, F (labour in export costs).
    v: V/W (nz, N+1); prob: (nz, N+1, N+1) portfolio choice probabilities;
    mu: (nz, N+1) stationary mass of firms (entrants included).
    residuals: dict of residual arrays (see ``RESIDUAL_NAMES``), converged: bool.
    info: SolverInfo of the GE root; bellman_info, dist_info: of the inner solves.
    """

    W: jax.Array
    R: jax.Array
    D: jax.Array
    c: jax.Array
    A: jax.Array
    K: jax.Array
    M: jax.Array
    C: jax.Array
    N_E: jax.Array
    gamma_E: jax.Array
    N: jax.Array
    T: jax.Array
    L_prod: jax.Array
    F: jax.Array
    v: jax.Array
    prob: jax.Array
    mu: jax.Array
    grids: Grids
    residuals: dict
    converged: jax.Array
    info: SolverInfo
    bellman_info: SolverInfo
    dist_info: SolverInfo


def _shares(p):
    alpha_n = 1.0 - p.alpha_k - p.alpha_m
    return p.alpha_k, alpha_n, p.alpha_m


def _inner(p, g: Grids, log_A, tol_v, tol_mu):
    A = jnp.exp(log_A)
    sol = solve_bellman(p, g, A, tol=tol_v)
    mu_hat, dinfo = stationary_mass(g, sol.prob, tol=tol_mu)
    zs = g.z[:, None] ** (p.epsilon - 1.0)
    S_R = jnp.sum(mu_hat * zs * (g.omega_H + g.omega_X)[None, :])
    F_hat = jnp.sum(mu_hat[:, :, None] * sol.prob * g.cost[None, :, :])
    gE_implied = p.beta * jnp.sum(g.entrant * sol.v[:, 0])
    _, alpha_n, _ = _shares(p)
    lab = alpha_n * (p.epsilon - 1.0) / p.epsilon * kappa(p) * A * S_R + F_hat
    return A, sol, mu_hat, dinfo, lab, gE_implied


def _ge_residual(x, args):
    p, g, mode, tol_v, tol_mu = args
    _, _, _, _, lab, gE = _inner(p, g, x[0], tol_v, tol_mu)
    return jnp.atleast_1d(jnp.where(mode, lab + gE - 1.0, gE / p.gamma_E - 1.0))


def _initial_log_A(p, g):
    # no-export guess: firms ~ 1/(mean exit), value ~ profit / (1 - beta (1 - E))
    s_bar = jnp.sum(g.ergodic * g.survival)
    n_firms = 1.0 / (1.0 - s_bar)
    ez = jnp.sum(g.ergodic * g.z ** (p.epsilon - 1.0))
    _, alpha_n, _ = _shares(p)
    k = kappa(p)
    per_A = k * ez * g.omega_H * (alpha_n * (p.epsilon - 1.0) / p.epsilon * n_firms
                                  + p.beta / p.epsilon / (1.0 - p.beta * s_bar))
    return -jnp.log(per_A)


def _solve(p: MultiproductParams, mode, tol: float, tol_v: float, tol_mu: float, max_iter) -> Equilibrium:
    g = make_grids(p)
    x0 = jnp.atleast_1d(_initial_log_A(p, g))
    root = newton_root(_ge_residual, jax.lax.stop_gradient(x0), (p, g, mode, tol_v, tol_mu), tol=tol,
                       max_iter=max_iter, throw=False)
    A, sol, mu_hat, dinfo, lab, gE_implied = _inner(p, g, root.value[0], tol_v, tol_mu)
    eps = p.epsilon
    alpha_k, alpha_n, alpha_m = _shares(p)
    # mode: traced bool, True for entry="normalize" (one compilation serves both modes)
    gamma_E = jnp.where(mode, gE_implied, p.gamma_E)
    N_E = jnp.where(mode, jnp.asarray(1.0, dtype=A.dtype), 1.0 / (lab + p.gamma_E))
    mu = N_E * mu_hat
    k = kappa(p)
    zs = g.z[:, None] ** (eps - 1.0)
    S_P = jnp.sum(mu_hat * zs * (g.omega_H + g.omega_XP)[None, :])
    R = 1.0 / p.beta - 1.0 + p.delta
    c = (N_E * k * S_P) ** (1.0 / (eps - 1.0))
    W = alpha_n * (c / ((R / alpha_k) ** alpha_k * (1.0 / alpha_m) ** alpha_m)) ** (1.0 / alpha_n)
    D = A * W / c ** (1.0 - eps)

    # ---- firm-level allocations (eqs. 11, 13, 16-18) and independent residuals ----
    price = eps / (eps - 1.0) * c / g.z  # (nz,)
    y = price[:, None] ** (-eps) * D * (g.omega_H + g.omega_X)[None, :]  # output sold (home + exports)
    revenue = price[:, None] * y
    tc = (c / g.z)[:, None] * y  # total variable cost MC * y
    n_firm, k_firm, m_firm = alpha_n * tc / W, alpha_k * tc / R, alpha_m * tc
    fcost = jnp.sum(sol.prob * g.cost[None, :, :], axis=-1)  # expected f paid in state (z, i)
    L_prod = jnp.sum(mu * n_firm)
    F = jnp.sum(mu * fcost)
    K = alpha_k * (eps - 1.0) / eps * N_E * k * c ** (1.0 - eps) * D * jnp.sum(mu_hat * zs * (g.omega_H + g.omega_X)) / R
    M = jnp.sum(mu * m_firm)
    T = jnp.sum(mu * (price[:, None] ** (1.0 - eps) * D * g.tariff_X[None, :]))
    profits = jnp.sum(mu * (revenue - tc)) - W * F - W * N_E * gamma_E
    C = W * 1.0 + R * K - p.delta * K + profits + T  # household budget (eq. 8) in steady state
    price_index = jnp.sum(mu * price[:, None] ** (1.0 - eps) * (g.omega_H + g.omega_XP)[None, :])
    residuals = {
        "labour_market": L_prod + F + N_E * gamma_E - 1.0,
        "capital_market": jnp.sum(mu * k_firm) - K,
        "goods_market": C + p.delta * K + M - D,
        "euler": p.beta * (1.0 + R - p.delta) - 1.0,
        "free_entry": (p.beta * jnp.sum(g.entrant * sol.v[:, 0] * W) - W * gamma_E) / W,
        "price_index": price_index - 1.0,
        "entry_normalization": jnp.where(mode, N_E - 1.0, 0.0),
        "bellman": sol.info.residual,
        "distribution": dinfo.residual,
        "ge_root": root.info.residual,
    }
    ge_ok = jnp.all(jnp.stack([jnp.abs(residuals[k_]) <= GE_TOL for k_ in RESIDUAL_NAMES[:7]]))
    converged = root.info.converged & sol.info.converged & dinfo.converged & ge_ok
    return Equilibrium(
        W=W, R=R, D=D, c=c, A=A, K=K, M=M, C=C, N_E=N_E, gamma_E=gamma_E, N=jnp.sum(mu), T=T,
        L_prod=L_prod, F=F, v=sol.v, prob=sol.prob, mu=mu, grids=g, residuals=residuals,
        converged=converged, info=root.info, bellman_info=sol.info, dist_info=dinfo,
    )


_solve_jit = jax.jit(_solve, static_argnames=("tol", "tol_v", "tol_mu"))


def solve_equilibrium_jit(p: MultiproductParams, *, entry: str = "normalize", tol: float = 1e-12,
                          tol_v: float = 1e-12, tol_mu: float = 1e-13, max_iter: int = 50) -> Equilibrium:
    """Jitted, non-raising solve (vmap/grad friendly): the caller checks ``eq.converged``."""
    if entry not in ENTRY_MODES:
        raise ValueError(f"entry must be one of {ENTRY_MODES}, got {entry!r}")
    return _solve_jit(p, mode=jnp.asarray(entry == "normalize"), tol=tol, tol_v=tol_v, tol_mu=tol_mu,
                      max_iter=jnp.asarray(max_iter, dtype=jnp.int32))


def solve_equilibrium(p: MultiproductParams, *, entry: str = "normalize", tol: float = 1e-12,
                      tol_v: float = 1e-12, tol_mu: float = 1e-13, max_iter: int = 50) -> Equilibrium:
    """Solve the stationary GE; raise :class:`ConvergenceError` with diagnostics when it fails.

    ``entry="normalize"``: N_E = 1 and gamma_E solved from free entry (initial
    steady state, Table 3 note); ``entry="fixed_cost"``: gamma_E = p.gamma_E held
    fixed, N_E endogenous (counterfactuals). Inside a trace no error is raised
    (the caller must check ``converged``).
    """
    if not is_traced(p):
        validate_params(p)
    eq = solve_equilibrium_jit(p, entry=entry, tol=tol, tol_v=tol_v, tol_mu=tol_mu, max_iter=max_iter)
    if not is_traced(eq.converged) and not bool(eq.converged):
        res = {k: float(v) for k, v in eq.residuals.items()}
        raise ConvergenceError(
            "multiproduct general equilibrium", eq.info.iterations, eq.info.residual, tol=tol,
            extra=(f"bellman iterations={int(eq.bellman_info.iterations)}, distribution iterations="
                   f"{int(eq.dist_info.iterations)}, residuals={res}"),
        )
    return eq
