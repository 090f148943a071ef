"""Perfect-foresight transitions after a permanent tariff change (Heo & Kim 2025, sections 3.3 and 6).

At t = 0 both countries change their tariffs unexpectedly and permanently
(any path ``tau_t``, t = 0..T-1, that is constant after T); from then on
everyone foresees the path. The economy starts from the initial stationary
equilibrium ``ss0`` (its firm distribution mu_0 and capital K_0) and
converges to the terminal one ``ss1`` (the new tariffs with the entry cost
gamma_E held at its initial value, ``entry="fixed_cost"``). The two
countries are symmetric, so bonds are zero and one country's path is the
equilibrium (exact for symmetric tariff paths).

**Unknowns** (4 T): for t = 0..T-1 the firm problem's price scalar
``log A_t`` (A_t = c_t^(1-eps) D_t / W_t), the firm's discount factor in wage
units ``log d_t`` (d_t = Q_t W_{t+1} / W_t), the entrant mass ``N_E,t`` and
next period's capital ``log K_{t+1}``.

**Firm block** (the heterogeneous part). Values in wage units v_t = V_t / W_t
(taste shocks scaled by the wage, as in the stationary model):
v_t(z, i) = Pi_t(z, i)/W_t + lambda logsumexp_j [(-f(i, j) + (1 - E(z)) d_t
E v_{t+1}(z', j)) / lambda] (eq. 21 with Q = Q_t), solved backward from
v_T = ss1.v; the distribution is pushed forward from mu_0 = ss0.mu with the
choice probabilities and N_E,t entrants (distribution G, non-exporters)
added to mu_{t+1} (eq. 24: entrants pay at t, produce at t+1). Outputs per
period: S_P,t = sum mu_t z^(eps-1) (Omega_H + Omega_XP,t(i)) (price index),
S_R,t (the same with Omega_X: revenue), F_t (export costs, labour) and
EV_t = sum_z' G(z') v_{t+1}(z', 0) (value of entry).

**Aggregate block**, per period given the unknowns and the firm outputs:
the numeraire (eq. 12) gives the unit cost c_t = (kappa S_P,t)^(1/(eps-1));
capital-market clearing R_t K_t = alpha_k TC_t with TC_t =
(eps-1)/eps kappa A_t W_t S_R,t and the Cobb-Douglas unit cost
c_t = (R_t/alpha_k)^alpha_k (W_t/alpha_n)^alpha_n alpha_m^-alpha_m give W_t
and R_t in closed form; D_t = A_t W_t c_t^(eps-1); materials M_t =
alpha_m TC_t; the goods market (26) gives C_t = D_t - K_{t+1} + (1-delta) K_t
- M_t; the bond price Q_t = beta (C_{t+1}/C_t)^-sigma (households, eq. 7-8).

**Targets** (4 T), each 0 in equilibrium: free entry (24) with equality,
d_t EV_t / gamma_E - 1; the labour market (25), alpha_n TC_t / W_t + F_t +
N_E,t gamma_E - 1; the Euler equation for capital, Q_t (R_{t+1} + 1 - delta)
- 1; and the definition of the discount factor, log d_t - log(Q_t W_{t+1} /
W_t). Values at t = T are the terminal steady state's. Tariff revenue
(eq. 23) is rebated lump sum; it drops out of C_t by Walras' law and is
reported (``T_rev``) with the household budget (8) as an accounting check.

**Solver.** The Jacobian of the targets with respect to the unknowns around
a steady state (default: ``ss1``) is built by the fake-news algorithm of
Auclert, Bardoczy, Rognlie and Straub (2021) with the firm block's
derivatives from JAX autodiff (one linearized backward step iterated T
times per input, the expectation vectors by the transposed push-forward),
then factorized once. Each iteration evaluates the nonlinear path (one
backward and one forward ``lax.scan``) and takes the quasi-Newton step with
the factorized Jacobian (``method="quasi_newton"``) or a Broyden-updated
inverse started from it (``method="broyden"``), halving the step while the
residual does not fall. The loop is a ``lax.while_loop``: the whole solve
is ``jit``- and ``vmap``-able. Converged when every target is within ``tol``
(1e-8 by default) at every date.

**Derivatives** of the path (and of the welfare built on it) with respect to
the tariff path and the parameters are implicit (``jax.custom_vjp``): the
adjoint system J(U*)' lambda = u_bar is solved by GMRES with the transposed
matrix-free residual Jacobian and the factorized steady-state Jacobian as
preconditioner.

Smoothing: the taste-shock scale ``p.smoothing`` enters the firm block; at
the preset 1e-5 the steady-state Jacobian is dominated by the few states near
indifference (its entries scale like 1/smoothing). The policy experiments
(:mod:`~jaxtrade.models.multiproduct.policy`) therefore run at
``TRANSITION_SMOOTHING`` (docs/models/multiproduct.md, "Transitions").
"""

from __future__ import annotations

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np

from jaxtrade.errors import SolverInfo, combine_info, finish, flag_nonfinite, solver_info
from jaxtrade.models.multiproduct.firm import Grids, demand_indices, logit_probabilities, make_grids, smooth_max
from jaxtrade.models.multiproduct.params import MultiproductParams
from jaxtrade.models.multiproduct.solve import Equilibrium, solve_equilibrium
from jaxtrade.numerics.ces import markup_term
from jaxtrade.progress import progress_bar, progress_enabled

__all__ = [
    "UNKNOWNS",
    "TARGETS",
    "PATH_NAMES",
    "PathData",
    "SequenceJacobian",
    "Transition",
    "steady_state_unknowns",
    "tariff_path",
    "path_data",
    "path_residual",
    "evaluate_path",
    "sequence_jacobian",
    "solve_transition",
    "solve_unknowns",
    "steady_state_value",
    "METHODS",
    "terminal_steady_state",
]

UNKNOWNS = ("log_A", "log_d", "N_E", "log_K_next")
"""Unknown paths, rows of ``Transition.unknowns`` (t = 0..T-1; ``log_K_next[t]`` is log K_{t+1})."""
TARGETS = ("free_entry", "labour_market", "euler", "discount")
"""Target paths (eqs. 24, 25, the capital Euler equation and the definition of d_t), rows of the residual."""
PATH_NAMES = (
    "C", "D", "value_added", "K", "I", "M", "W", "R", "Q", "c", "A", "d", "N_E", "N", "L_prod", "F", "T_rev",
    "exporter_share", "avg_export_scope", "profits",
)  # fmt: skip
"""Aggregate paths reported by :class:`Transition` (each (T,), period t = 0..T-1)."""

_WHAT = "multiproduct transition path (Heo & Kim 2025, eqs. 21-26)"


class PathData(eqx.Module):
    """Everything the path residual depends on besides the unknowns (differentiable leaves).

    Attributes
    ----------
    p : parameters (``p.tau`` is not used: the tariffs are ``tau``).
    tau : (T, N) tariff path, t = 0..T-1 (the terminal steady state's tariffs after T).
    mu0, K0 : initial firm distribution (nz, N+1) and capital (from ``ss0``).
    v_T : (nz, N+1) terminal value function V/W (from ``ss1``).
    C_T, R_T, W_T : terminal consumption, rental rate and wage (from ``ss1``).
    gamma_E : entry cost (held at its initial value).
    """

    p: MultiproductParams
    tau: jax.Array
    mu0: jax.Array
    K0: jax.Array
    v_T: jax.Array
    C_T: jax.Array
    R_T: jax.Array
    W_T: jax.Array
    gamma_E: jax.Array


def tariff_path(tau_new, T: int) -> jax.Array:
    """A permanent tariff change at t = 0: ``tau_new`` (N,) repeated for t = 0..T-1, shape (T, N)."""
    tau_new = jnp.asarray(tau_new, dtype=float)
    return jnp.broadcast_to(tau_new, (int(T),) + tau_new.shape) + 0.0


def path_data(p: MultiproductParams, tau, ss0: Equilibrium, ss1: Equilibrium) -> PathData:
    """The :class:`PathData` of a transition from ``ss0`` to ``ss1`` along the tariff path ``tau`` (T, N)."""
    return PathData(
        p=p, tau=jnp.asarray(tau), mu0=ss0.mu, K0=ss0.K, v_T=ss1.v, C_T=ss1.C, R_T=ss1.R, W_T=ss1.W,
        gamma_E=ss0.gamma_E,
    )  # fmt: skip


def steady_state_unknowns(p: MultiproductParams, eq: Equilibrium, T: int) -> jax.Array:
    """The unknowns (4, T) constant at the steady state ``eq`` (log A, log beta, N_E, log K)."""
    one = jnp.ones((int(T),))
    return jnp.stack([jnp.log(eq.A) * one, jnp.log(p.beta) * one, eq.N_E * one, jnp.log(eq.K) * one])


def _shares(p):
    return p.alpha_k, 1.0 - p.alpha_k - p.alpha_m, p.alpha_m


# ---------------------------------------------------------------------------------------------- firm block
def _backward_step(p, g: Grids, v_next, A, d, omega_X):
    """v_t, Pr_t from v_{t+1} at (A_t, d_t) and the export index of period t's tariffs."""
    eps = p.epsilon
    profit = (markup_term(eps) / eps) * A * g.z[:, None] ** (eps - 1.0) * (g.omega_H + omega_X)[None, :]
    cont = (g.survival * d)[:, None] * (g.P @ v_next)
    x = cont[:, None, :] - g.cost[None, :, :]
    return profit + smooth_max(x, p.smoothing), logit_probabilities(x, p.smoothing)


def _push(g: Grids, mu, prob):
    """Survivors' mass moved to their chosen threshold and next productivity (no entrants)."""
    chosen = jnp.einsum("zi,zij->zj", mu * g.survival[:, None], prob)
    return g.P.T @ chosen


def _expectation(g: Grids, prob, e):
    """The transpose of :func:`_push`: E_prev(z, i) = (1-E(z)) sum_j Pr(j|z,i) sum_z' P(z,z') e(z', j)."""
    return g.survival[:, None] * jnp.einsum("zij,zj->zi", prob, g.P @ e)


def _state_outputs(p, g: Grids, omega_X, omega_XP, tariff_X):
    """Per-state integrands of S_P, S_R, S_T (price index, revenue and tariff revenue), (3, nz, N+1)."""
    zs = g.z[:, None] ** (p.epsilon - 1.0)
    return jnp.stack(
        [zs * (g.omega_H + omega_XP)[None, :], zs * (g.omega_H + omega_X)[None, :], zs * tariff_X[None, :]]
    )


def _firm_block(data: PathData, g: Grids, A, d, N_E):
    """The firm block along a path: outputs (T,) each and the distribution path."""
    p = data.p
    base = g.mass * g.omega ** (p.epsilon - 1.0)
    oX, oXP, tX = demand_indices(p, base, data.tau)  # (T, N+1) each

    def back(v_next, x):
        A_t, d_t, oX_t = x
        v, prob = _backward_step(p, g, v_next, A_t, d_t, oX_t)
        return v, (v_next[:, 0], prob)

    _, (v0_next, prob) = jax.lax.scan(back, data.v_T, (A, d, oX), reverse=True)
    EV = v0_next @ g.entrant
    entrant0 = jnp.zeros_like(data.mu0).at[:, 0].set(g.entrant)

    def fwd(mu, x):
        prob_t, ne_t, oX_t, oXP_t, tX_t = x
        sums = jnp.sum(mu[None] * _state_outputs(p, g, oX_t, oXP_t, tX_t), axis=(1, 2))
        F = jnp.sum(mu[:, :, None] * prob_t * g.cost[None])
        return _push(g, mu, prob_t) + ne_t * entrant0, (sums, F, mu)

    _, (sums, F, mu) = jax.lax.scan(fwd, data.mu0, (prob, N_E, oX, oXP, tX))
    return {"S_P": sums[:, 0], "S_R": sums[:, 1], "S_T": sums[:, 2], "F": F, "EV": EV}, mu


# ---------------------------------------------------------------------------------------------- aggregate block
def _aggregates(data: PathData, U, H):
    """Targets (4, T) and the aggregate paths, from the unknowns U (4, T) and firm outputs H."""
    p = data.p
    eps = p.epsilon
    alpha_k, alpha_n, alpha_m = _shares(p)
    kap = markup_term(eps)
    log_A, log_d, N_E, log_K_next = U
    A, d = jnp.exp(log_A), jnp.exp(log_d)
    K_next = jnp.exp(log_K_next)
    K = jnp.concatenate([jnp.atleast_1d(data.K0), K_next[:-1]])
    c = (kap * H["S_P"]) ** (1.0 / (eps - 1.0))
    rho = alpha_k * (eps - 1.0) / eps * kap * A * H["S_R"] / K  # R_t = rho_t W_t
    W = (c * alpha_m**alpha_m * (rho / alpha_k) ** (-alpha_k) * alpha_n**alpha_n) ** (1.0 / (alpha_k + alpha_n))
    R = rho * W
    D = A * W * c ** (eps - 1.0)
    TC = (eps - 1.0) / eps * kap * A * W * H["S_R"]
    M = alpha_m * TC
    I = K_next - (1.0 - p.delta) * K
    C = D - I - M
    C_next = jnp.concatenate([C[1:], jnp.atleast_1d(data.C_T)])
    R_next = jnp.concatenate([R[1:], jnp.atleast_1d(data.R_T)])
    W_next = jnp.concatenate([W[1:], jnp.atleast_1d(data.W_T)])
    Q = p.beta * (C_next / C) ** (-p.sigma)
    L_prod = alpha_n * TC / W
    targets = jnp.stack([
        d * H["EV"] / data.gamma_E - 1.0,
        L_prod + H["F"] + N_E * data.gamma_E - 1.0,
        Q * (R_next + 1.0 - p.delta) - 1.0,
        log_d - jnp.log(Q * W_next / W),
    ])  # fmt: skip
    T_rev = kap * A * W * H["S_T"]
    revenue = kap * A * W * H["S_R"]
    profits = revenue - TC - W * H["F"] - W * N_E * data.gamma_E
    paths = dict(C=C, D=D, value_added=D - M, K=K, I=I, M=M, W=W, R=R, Q=Q, c=c, A=A, d=d, N_E=N_E, L_prod=L_prod,
                 F=H["F"], T_rev=T_rev, profits=profits)  # fmt: skip
    return targets, paths


def path_residual(U, data: PathData) -> jax.Array:
    """The stacked targets (4, T) at the unknowns U (4, T): zero on an equilibrium path (module docstring)."""
    g = make_grids(data.p)
    H, _ = _firm_block(data, g, jnp.exp(U[0]), jnp.exp(U[1]), U[2])
    return _aggregates(data, U, H)[0]


def evaluate_path(U, data: PathData) -> tuple[jax.Array, dict, jax.Array]:
    """Targets (4, T), every aggregate path of :data:`PATH_NAMES` and the distribution path mu_t (T, nz, N+1)."""
    g = make_grids(data.p)
    H, mu = _firm_block(data, g, jnp.exp(U[0]), jnp.exp(U[1]), U[2])
    targets, paths = _aggregates(data, U, H)
    N = jnp.sum(mu, axis=(1, 2))
    paths["N"] = N
    paths["exporter_share"] = jnp.sum(mu[:, :, 1:], axis=(1, 2)) / N
    paths["avg_export_scope"] = jnp.sum(mu * g.choices[None, None, :], axis=(1, 2)) / N
    return targets, {k: paths[k] for k in PATH_NAMES}, mu


# ---------------------------------------------------------------------------------------------- fake-news Jacobian
class SequenceJacobian(eqx.Module):
    """The Jacobian of the stacked targets with respect to the stacked unknowns around a steady state.

    Attributes
    ----------
    G : (4T, 4T) d targets / d unknowns, rows and columns ordered (variable, t) as
        :data:`TARGETS` x t and :data:`UNKNOWNS` x t.
    lu, piv : its LU factors (``jax.scipy.linalg.lu_factor``).
    firm : dict ``"output/input"`` -> (T, T) Jacobian of the firm block's outputs
        (S_P, S_R, F, EV) with respect to its inputs (A, d, N_E) in levels.
    """

    G: jax.Array
    lu: jax.Array
    piv: jax.Array
    firm: dict

    @property
    def T(self) -> int:
        return self.G.shape[0] // len(UNKNOWNS)


def _toeplitz_from_fake_news(F):
    """J[t, s] = sum_l F[t - l, s - l] (Auclert et al. 2021, eq. for J from the fake-news matrix)."""

    def row(prev, f_row):
        out = f_row + jnp.concatenate([jnp.zeros((1,), f_row.dtype), prev[:-1]])
        return out, out

    _, J = jax.lax.scan(row, jnp.zeros_like(F[0]), F)
    return J


def _firm_jacobian(p: MultiproductParams, eq: Equilibrium, T: int) -> dict:
    """Fake-news Jacobians (T, T) of the firm block at the steady state ``eq`` (levels of A, d, N_E)."""
    g = eq.grids
    ss_prob = eq.prob
    d_ss = p.beta

    def step(v_next, A, d):
        v, prob = _backward_step(p, g, v_next, A, d, g.omega_X)
        return v, prob, jnp.sum(prob * g.cost[None], axis=-1)

    _, lin = jax.linearize(step, eq.v, eq.A, jnp.asarray(d_ss, dtype=eq.v.dtype))
    shock0 = jnp.zeros((T,)).at[0].set(1.0)

    def backward(dA, dd):
        def body(dv_prev, s):
            dv, dprob, dfs = lin(dv_prev, dA * s, dd * s)
            return dv, (dv[:, 0] @ g.entrant, dprob, dfs)

        _, out = jax.lax.scan(body, jnp.zeros_like(eq.v), shock0)
        return out

    # expectation vectors E^(j) of the per-state outputs (S_P, S_R, F), j = 0..T-2
    ys = _state_outputs(p, g, g.omega_X, g.omega_XP, g.tariff_X)[:2]
    fs = jnp.sum(ss_prob * g.cost[None], axis=-1)
    y0 = jnp.concatenate([ys, fs[None]])  # (3, nz, N+1)

    def expect(e, _):
        return jax.vmap(lambda x: _expectation(g, ss_prob, x))(e), e

    _, E = jax.lax.scan(expect, y0, None, length=T - 1)  # (T-1, 3, nz, N+1)
    E = E.reshape(T - 1, 3, -1)
    out = {}
    names = ("S_P", "S_R", "F")
    mu = eq.mu

    def assemble(curlyY, curlyD):
        # curlyY (3, T), curlyD (T, nz*(N+1)) -> J (3, T, T)
        fn = jnp.einsum("jon,kn->ojk", E, curlyD)  # (3, T-1, T)
        Fm = jnp.concatenate([curlyY[:, None, :], fn], axis=1)
        return jax.vmap(_toeplitz_from_fake_news)(Fm)

    for name, (dA, dd) in (("A", (1.0, 0.0)), ("d", (0.0, 1.0))):
        ev, dprob, dfs = backward(dA, dd)
        curlyY = jnp.stack([jnp.zeros((T,)), jnp.zeros((T,)), jnp.einsum("zi,kzi->k", mu, dfs)])
        curlyD = jax.vmap(lambda dp: _push(g, mu, dp))(dprob).reshape(T, -1)
        J = assemble(curlyY, curlyD)
        for o, name_o in enumerate(names):
            out[f"{name_o}/{name}"] = J[o]
        # EV_t = G . v_{t+1}(., 0): a shock at s moves v_{t+1} for t + 1 <= s (k = s - t - 1 steps back)
        t_idx = jnp.arange(T)
        k = t_idx[None, :] - t_idx[:, None] - 1
        out[f"EV/{name}"] = jnp.where(k >= 0, ev[jnp.clip(k, 0, T - 1)], 0.0)
    # N_E,s adds G to mu_{s+1}: no anticipation, no policy change
    curlyD = jnp.zeros((T, mu.size)).at[0].set(jnp.zeros_like(mu).at[:, 0].set(g.entrant).ravel())
    J = assemble(jnp.zeros((3, T)), curlyD)
    for o, name_o in enumerate(names):
        out[f"{name_o}/N_E"] = J[o]
    out["EV/N_E"] = jnp.zeros((T, T))
    return out


@functools.partial(jax.jit, static_argnames=("T",))
def _sequence_jacobian(p: MultiproductParams, eq: Equilibrium, T: int) -> SequenceJacobian:
    firm = _firm_jacobian(p, eq, T)
    data = path_data(p, tariff_path(p.tau, T), eq, eq)
    U = steady_state_unknowns(p, eq, T)
    H = {
        "S_P": jnp.full((T,), jnp.sum(eq.mu * _state_outputs(p, eq.grids, eq.grids.omega_X, eq.grids.omega_XP, eq.grids.tariff_X)[0])),
        "S_R": jnp.full((T,), jnp.sum(eq.mu * _state_outputs(p, eq.grids, eq.grids.omega_X, eq.grids.omega_XP, eq.grids.tariff_X)[1])),
        "S_T": jnp.zeros((T,)),
        "F": jnp.full((T,), eq.F),
        "EV": jnp.full((T,), eq.grids.entrant @ eq.v[:, 0]),
    }  # fmt: skip
    dT_dU, dT_dH = jax.jacfwd(lambda u, h: _aggregates(data, u, h)[0], argnums=(0, 1))(U, H)
    n = len(UNKNOWNS) * T
    G = dT_dU.reshape(n, n)
    levels = {"A": jnp.exp(U[0, 0]), "d": jnp.exp(U[1, 0]), "N_E": jnp.asarray(1.0)}
    rows = {"A": 0, "d": 1, "N_E": 2}
    for o in ("S_P", "S_R", "F", "EV"):
        dTo = dT_dH[o].reshape(n, T)
        for x, r in rows.items():
            G = G.at[:, r * T : (r + 1) * T].add(dTo @ (firm[f"{o}/{x}"] * levels[x]))
    lu, piv = jsl.lu_factor(G)
    return SequenceJacobian(G=G, lu=lu, piv=piv, firm=firm)


def sequence_jacobian(p: MultiproductParams, eq: Equilibrium, T: int = 300) -> SequenceJacobian:
    """The fake-news sequence-space Jacobian around the steady state ``eq`` of parameters ``p``.

    The firm block's Jacobians come from one linearized backward step iterated
    T times per input (A, d) and T-1 transposed push-forwards (the expectation
    vectors); N_E has no anticipation effect. The aggregate block's
    derivatives are exact (``jax.jacfwd`` of the closed-form equations).
    Cost: a few backward/forward passes, not 4T of them.
    """
    if int(T) < 2:
        raise ValueError(f"T must satisfy T >= 2, got {T}")
    return _sequence_jacobian(p, eq, T=int(T))


# ---------------------------------------------------------------------------------------------- the path solve
METHODS = ("broyden", "quasi_newton", "newton")
JACOBIAN_CHUNK = 40
"""Columns per batched JVP of the exact path Jacobian (``method="newton"``)."""


_PROGRESS: list = []  # the bar of the solve in progress (host side), ticked by ``jax.debug.callback``


def _tick(iteration, residual) -> None:
    if _PROGRESS:
        bar = _PROGRESS[-1]
        bar.update(1)
        bar.set_postfix_str(f"max residual {float(np.max(residual)):.2e}")


def _newton_loop(cfg, data: PathData, U0, jac: SequenceJacobian):
    """Quasi-Newton / Broyden iterations with step halving, as one ``lax.while_loop``."""
    tol, max_iter, method, max_halvings = cfg[:4]
    report = len(cfg) > 4 and cfg[4]
    shape = U0.shape
    n = U0.size

    def resid(U):
        return path_residual(U.reshape(shape), data).ravel()

    def max_abs(r):
        m = jnp.max(jnp.abs(r))
        return jnp.where(jnp.isfinite(m), m, jnp.inf)

    def l2(r):
        s = jnp.sum(r * r)
        return jnp.where(jnp.isfinite(s), s, jnp.inf)

    broyden = method == "broyden"
    B0 = jsl.lu_solve((jac.lu, jac.piv), jnp.eye(n)) if broyden else jnp.zeros((1, 1))

    def exact_jacobian(U):
        """d residual / d U at U by forward mode, JACOBIAN_CHUNK columns per batched JVP."""
        chunk = min(JACOBIAN_CHUNK, n)
        n_pad = -(-n // chunk) * chunk
        basis = jnp.eye(n_pad, n).reshape(n_pad // chunk, chunk, n)

        def columns(block):
            return jax.vmap(lambda e: jax.jvp(resid, (U,), (e,))[1])(block)

        return jax.lax.map(columns, basis).reshape(n_pad, n)[:n].T

    def direction(B, r, U):
        if broyden:
            return -(B @ r)
        if method == "newton":
            return -jnp.linalg.solve(exact_jacobian(U), r)
        return -jsl.lu_solve((jac.lu, jac.piv), r)

    r0 = resid(U0.ravel())
    hist0 = jnp.full((max_iter + 1,), jnp.nan).at[0].set(max_abs(r0))

    def cond(s):
        it, _, r, _, _, stalled = s
        return (it < max_iter) & (max_abs(r) > tol) & ~stalled

    def body(s):
        it, U, r, B, hist, _ = s
        dx = direction(B, r, U)
        f0 = l2(r)

        def try_step(c):
            k, alpha, _, _ = c
            r_new = resid(U + alpha * dx)
            return k + 1, alpha * 0.5, r_new, alpha

        def keep_halving(c):
            k, _, r_new, _ = c
            return (k == 0) | ((l2(r_new) >= f0) & (k <= max_halvings))

        _, _, r_new, alpha = jax.lax.while_loop(keep_halving, try_step, (0, jnp.asarray(1.0), r, jnp.asarray(1.0)))
        improved = l2(r_new) < f0
        step = alpha * dx
        U_new = jnp.where(improved, U + step, U)
        r_out = jnp.where(improved, r_new, r)
        if broyden:
            y = r_new - r
            By = B @ y
            denom = step @ By
            ok = improved & (jnp.abs(denom) > 1e-300)
            B = jnp.where(ok, B + jnp.outer(step - By, step @ B) / jnp.where(ok, denom, 1.0), B)
        hist = hist.at[it + 1].set(max_abs(r_out))
        if report:
            jax.debug.callback(_tick, it + 1, max_abs(r_out))
        return it + 1, U_new, r_out, B, hist, ~improved

    init = (jnp.asarray(0), U0.ravel(), r0, B0, hist0, jnp.asarray(False))
    it, U, r, _, hist, stalled = jax.lax.while_loop(cond, body, init)
    return U.reshape(shape), it, max_abs(r), stalled, hist


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _solve_path(cfg, data: PathData, U0, jac: SequenceJacobian):
    return _newton_loop(cfg, data, U0, jac)


def _solve_path_fwd(cfg, data, U0, jac):
    out = _newton_loop(cfg, data, U0, jac)
    return out, (out[0], data, U0, jac)


def _solve_path_bwd(cfg, res, cotangents):
    """Implicit adjoint: solve J(U*)' lam = U_bar (GMRES, preconditioned by the steady-state Jacobian)."""
    U, data, U0, jac = res
    U_bar = cotangents[0]
    shape = U.shape
    _, vjp_U = jax.vjp(lambda u: path_residual(u.reshape(shape), data).ravel(), U.ravel())
    _, vjp_data = jax.vjp(lambda d: path_residual(U, d).ravel(), data)

    def matvec(lam):
        return vjp_U(lam)[0]

    def precond(x):
        return jsl.lu_solve((jac.lu, jac.piv), x, trans=1)

    lam, _ = jax.scipy.sparse.linalg.gmres(
        matvec, U_bar.ravel(), M=precond, tol=1e-12, atol=0.0, restart=40, maxiter=20, solve_method="batched"
    )
    (data_bar,) = vjp_data(-lam)
    zeros = jax.tree_util.tree_map(jnp.zeros_like, (U0, jac))
    return (data_bar,) + zeros


_solve_path.defvjp(_solve_path_fwd, _solve_path_bwd)


def solve_unknowns(
    data: PathData,
    guess,
    jacobian: SequenceJacobian,
    *,
    tol: float = 1e-8,
    max_iter: int = 40,
    method: str = "broyden",
    max_halvings: int = 6,
):
    """The differentiable core of :func:`solve_transition`: the unknowns (4, T) solving the path.

    Returns ``(U, iterations, max_abs_residual, stalled, history)``; works under ``jit``,
    ``vmap`` and ``grad`` (the implicit adjoint of the module docstring gives the derivatives of
    ``U`` with respect to every array in ``data``; ``guess`` and ``jacobian`` get none).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return _solve_path((float(tol), int(max_iter), method, int(max_halvings)), data, guess, jacobian)


class Transition(eqx.Module):
    """A solved transition path.

    Attributes
    ----------
    paths : dict name -> (T,) array for every name in :data:`PATH_NAMES` (t = 0..T-1): consumption C,
        final output D, value added D - M, capital K_t, investment I, materials M, wage W, rental rate R,
        bond price Q, unit cost c, firm-problem scale A, firm discount d, entrants N_E, firm mass N,
        production labour, export-cost labour F, tariff revenue, exporter share, average export scope
        (omega-tilde^avg over all firms, Figure 10) and firms' dividends.
    unknowns : (4, T) the solved unknowns (:data:`UNKNOWNS`).
    residuals : (4, T) the targets at the solution (:data:`TARGETS`).
    accounting : dict of max-abs per-period residuals recomputed from the paths: household budget (eq. 8),
        goods market (26), labour market (25), numeraire (12).
    tau : (T, N) tariff path.
    ss0, ss1 : initial and terminal steady states.
    history : (max_iter + 1,) max-abs residual before each iteration (NaN after the last).
    entry_interior : whether N_E,t > 0 at every date (free entry (24) with equality is then valid).
    info : :class:`~jaxtrade.errors.SolverInfo` (iterations, max-abs residual, converged: the tolerance met,
        entry interior and both steady states converged).
    """

    paths: dict
    unknowns: jax.Array
    residuals: jax.Array
    accounting: dict
    tau: jax.Array
    ss0: Equilibrium
    ss1: Equilibrium
    history: jax.Array
    entry_interior: jax.Array
    info: SolverInfo

    @property
    def T(self) -> int:
        return self.unknowns.shape[-1]

    def deviation(self, name: str, base: str = "ss0") -> jax.Array:
        """Percent deviation of path ``name`` from its value in ``ss0`` (or ``ss1``): 100 (x_t / x_ss - 1)."""
        ss = self.ss0 if base == "ss0" else self.ss1
        return 100.0 * (self.paths[name] / steady_state_value(ss, name) - 1.0)


def steady_state_value(eq: Equilibrium, name: str) -> jax.Array:
    """The steady-state counterpart of path ``name`` (e.g. ``"C"`` -> eq.C) of :data:`PATH_NAMES`."""
    g = eq.grids
    direct = {"C": eq.C, "D": eq.D, "value_added": eq.D - eq.M, "K": eq.K, "I": eq.K * 0.0, "M": eq.M, "W": eq.W,
              "R": eq.R, "c": eq.c, "A": eq.A, "N_E": eq.N_E, "N": eq.N, "L_prod": eq.L_prod, "F": eq.F,
              "T_rev": eq.T}  # fmt: skip
    if name in direct:
        return direct[name]
    if name == "exporter_share":
        return jnp.sum(eq.mu[:, 1:]) / eq.N
    if name == "avg_export_scope":
        return jnp.sum(eq.mu * g.choices[None, :]) / eq.N
    raise ValueError(f"name must be one of {PATH_NAMES} with a steady-state value, got {name!r}")


def _accounting(data: PathData, paths: dict) -> dict:
    p = data.p
    K_next = paths["I"] + (1.0 - p.delta) * paths["K"]
    budget = paths["W"] + (paths["R"] + 1.0 - p.delta) * paths["K"] + paths["profits"] + paths["T_rev"]
    return {
        "household_budget": jnp.max(jnp.abs(paths["C"] + K_next - budget)),
        "goods_market": jnp.max(jnp.abs(paths["C"] + paths["I"] + paths["M"] - paths["D"])),
        "labour_market": jnp.max(jnp.abs(paths["L_prod"] + paths["F"] + paths["N_E"] * data.gamma_E - 1.0)),
    }


@functools.partial(jax.jit, static_argnames=("cfg",))
def _solve_transition_jit(cfg, data: PathData, U0, jac: SequenceJacobian, ss0: Equilibrium, ss1: Equilibrium):
    tol = cfg[0]
    U, it, res, stalled, hist = _solve_path(cfg, data, U0, jac)
    targets, paths, _ = evaluate_path(U, data)
    interior = jnp.all(U[2] > 0)
    base = solver_info(it, res, tol, stalled=stalled)
    info = combine_info(base, ss0.info, ss1.info, checks_hold=interior)
    return Transition(
        paths=paths, unknowns=U, residuals=targets, accounting=_accounting(data, paths), tau=data.tau, ss0=ss0,
        ss1=ss1, history=hist, entry_interior=interior, info=info,
    )  # fmt: skip


def terminal_steady_state(p: MultiproductParams, tau_new, ss0: Equilibrium, *, throw: bool = True) -> Equilibrium:
    """The steady state at the new tariffs with gamma_E held at its value in ``ss0`` (``entry="fixed_cost"``)."""
    p1 = p.replace(tau=jnp.asarray(tau_new, dtype=float), gamma_E=ss0.gamma_E)
    return solve_equilibrium(p1, entry="fixed_cost", throw=throw)


def solve_transition(
    p: MultiproductParams,
    tau,
    *,
    ss0: Equilibrium | None = None,
    ss1: Equilibrium | None = None,
    T: int = 300,
    tol: float = 1e-8,
    max_iter: int = 40,
    method: str = "broyden",
    jacobian: SequenceJacobian | None = None,
    guess=None,
    max_halvings: int = 6,
    fallback: str | None = "newton",
    fallback_iter: int = 8,
    progress: bool | None = None,
    throw: bool = True,
) -> Transition:
    """Solve the perfect-foresight transition after an unexpected, permanent tariff change at t = 0.

    Parameters
    ----------
    p : parameters of the initial steady state (its ``tau`` are the old tariffs).
    tau : (N,) new tariffs from t = 0 on, or a (T, N) path (constant after T: the terminal steady
        state has ``tau[-1]``).
    ss0 : the initial steady state (default ``solve_equilibrium(p)``, N_E = 1 normalization).
    ss1 : the terminal steady state (default :func:`terminal_steady_state`).
    T : horizon (default 300); the unknowns are pinned to ``ss1`` from T on.
    tol : max-abs tolerance on every target at every date.
    max_iter : iterations at most.
    method : ``"broyden"`` (default; Broyden-updated inverse started from the steady-state Jacobian),
        ``"quasi_newton"`` (the factorized steady-state Jacobian at every step) or ``"newton"`` (the exact
        Jacobian of the nonlinear path at every iterate, by chunked forward mode: 4T JVPs per iteration).
    fallback, fallback_iter : when ``method`` stops short of ``tol`` (stalled or out of iterations), continue
        from where it stopped with ``fallback`` (default ``"newton"``) for at most ``fallback_iter``
        iterations (with up to 30 step halvings); ``None`` disables it. ``info.iterations`` counts both;
        ``history`` is the fallback's.
    jacobian : a :class:`SequenceJacobian` to reuse (default: :func:`sequence_jacobian` around ``ss1``).
    guess : (4, T) initial unknowns (default: ``ss1`` at every date, capital included).
    max_halvings : step halvings while the residual does not fall.
    progress : a bar over the iterations (:func:`jaxtrade.progress.progress_bar`; default: shown on a terminal).
    throw : raise :class:`~jaxtrade.errors.ConvergenceError` on failure (else read ``info``).

    Returns
    -------
    Transition
        Differentiable with respect to the tariff path and the parameters (implicit adjoint, see the
        module docstring) when called inside ``jax.grad`` with ``throw=False``.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    T = int(T)
    if T < 2:
        raise ValueError(f"T must satisfy T >= 2, got {T}")
    tau_arr = jnp.asarray(tau, dtype=float)
    if tau_arr.ndim == 1:
        tau_arr = tariff_path(tau_arr, T)
    if tau_arr.shape != (T, p.n_products):
        raise ValueError(f"tau must have shape (n_products,) = ({p.n_products},) or (T, n_products) = "
                         f"({T}, {p.n_products}), got {tuple(jnp.shape(tau))}")  # fmt: skip
    if not bool(jnp.all(jnp.isfinite(tau_arr) & (tau_arr >= 0))):
        raise ValueError("tau must satisfy tau >= 0 and finite at every date and product (eq. 10)")
    if ss0 is None:
        ss0 = solve_equilibrium(p, throw=throw)
    if ss1 is None:
        ss1 = terminal_steady_state(p, tau_arr[-1], ss0, throw=throw)
    p1 = p.replace(tau=tau_arr[-1], gamma_E=ss0.gamma_E)
    if jacobian is None:
        jacobian = sequence_jacobian(p1, ss1, T)
    elif jacobian.T != T:
        raise ValueError(f"jacobian must be built for T = {T}, got T = {jacobian.T}")
    data = path_data(p1, tau_arr, ss0, ss1)
    U0 = steady_state_unknowns(p1, ss1, T) if guess is None else jnp.asarray(guess, dtype=float)
    if fallback is not None and fallback not in METHODS:
        raise ValueError(f"fallback must be None or one of {METHODS}, got {fallback!r}")
    show = progress_enabled(progress)
    cfg = (float(tol), int(max_iter), method, int(max_halvings), show)
    with progress_bar(int(max_iter), "transition path", unit="iteration", progress=show) as bar:
        _PROGRESS.append(bar)
        try:
            tr = _solve_transition_jit(cfg, data, U0, jacobian, ss0, ss1)
            again = fallback is not None and fallback != method and not bool(tr.info.converged)
            again = again and bool(np.isfinite(np.asarray(tr.info.residual))) and bool(tr.entry_interior)
            if again:
                cfg2 = (float(tol), int(fallback_iter), fallback, max(int(max_halvings), 30), show)
                tr2 = _solve_transition_jit(cfg2, data, tr.unknowns, jacobian, ss0, ss1)
                tr2 = eqx.tree_at(lambda t: t.info.iterations, tr2, tr2.info.iterations + tr.info.iterations)
                tr = tr2 if float(tr2.info.residual) <= float(tr.info.residual) else tr
            jax.block_until_ready(tr.unknowns)
        finally:
            _PROGRESS.pop()
    tr = flag_nonfinite(tr, outputs=(tr.paths, tr.unknowns, tr.residuals, tr.accounting))
    return finish(tr, throw=throw, what=_WHAT, tol=tol, extra=_diagnostics)


def _diagnostics(tr: Transition) -> str:
    hist = np.asarray(tr.history)
    hist = hist[np.isfinite(hist)]
    worst = {name: float(np.max(np.abs(np.asarray(tr.residuals[i])))) for i, name in enumerate(TARGETS)}
    return (f"residual by target {worst}; residual by iteration {np.array2string(hist, precision=2)}; "
            f"entry interior {bool(np.asarray(tr.entry_interior))}")  # fmt: skip
