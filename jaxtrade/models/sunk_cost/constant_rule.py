"""The stochastic model with state-constant forecasting rules (``solve_stochastic(rule="constant")``).

A restriction of Appendix 1's rules to alpha_2 = alpha_3 = 0: the firms
forecast the profit shifters a_d, a_x and income Y of each joint aggregate
state (:mod:`~jaxtrade.models.sunk_cost.aggregate`) by a constant per state.

Firms' problem: an exporter's value is linear in phi^(sigma-1),
V_x = phi^(sigma-1) v_x(s) with v_x = a_d + a_x + (1-delta) sum_s' Q(s,s') v_x(s'),
and the non-exporter's value (27) is found by value-function iteration on the
full (phi, kappa, s) grid (:func:`solve_firms`). The stochastic discount
factor (21) with log preferences is Q(s, s') = beta Lambda(s, s') Y(s) / Y(s')
in each country's own wage units.

The loop (:func:`solve_constant`): start from the forecasts implied by the
steady-state distribution in each aggregate state; then repeat: solve the
firms (26)-(27), simulate T periods with market clearing (first ``burn``
dropped), set each state's forecast to the simulated mean, until the
forecasts move less than ``tol``. The export rule is the grid point's
decision (the forecast map is a step function and the loop can cycle on fine
grids; see ``docs/models/sunk_cost.md``).
"""

from __future__ import annotations

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
    market_period,
    productivity_states,
    simulation_info,
    transition_matrix,
)
from jaxtrade.models.sunk_cost.equilibrium import period_equilibrium, steady_state
from jaxtrade.models.sunk_cost.params import RULES, SunkCostParams
from jaxtrade.models.sunk_cost.types import TypeGrid
from jaxtrade.numerics.fixed_point import value_iteration
from jaxtrade.numerics.linalg import solve_small

__all__ = ["FirmPolicy", "simulate_constant", "solve_constant", "solve_firms"]


class FirmPolicy(eqx.Module):
    """Solution of the firms' dynamic problem for given state-constant forecasts.

    Attributes
    ----------
    v_x: (2, S) exporter value per unit of phi^(sigma-1), by country and state (26).
    V_d: (2, I, J, S) non-exporter values (27).
    export: (2, I, J, S) decision to start exporting at the end of the period in state s (32).
    gain: (2, I, J, S) the discounted expected gain of eq. (32).
    info: the value iteration.
    """

    v_x: jax.Array
    V_d: jax.Array
    export: jax.Array
    gain: jax.Array
    info: SolverInfo


def solve_firms(
    p: SunkCostParams, grid: TypeGrid, a_d, a_x, Y, *, tol: float = 1e-10, max_iter: int = 5000, throw: bool = True
) -> FirmPolicy:
    """Value functions (26)-(27) and the export rule (32) for forecasts a_d, a_x, Y of shape (S, 2).

    Each country's forecasts are in units of its own wage (so that its entry
    cost kappa is in its own labour): pass a_d / w, a_x / w and Y / w. S is 4
    (the joint states) or 1 (no aggregate shocks). Jit/vmap safe; ``throw``
    as in :func:`jaxtrade.errors.finish` (the value iteration).
    """
    Lam = transition_matrix(p) if a_d.shape[0] == 4 else jnp.ones((1, 1))
    th = p.sigma - 1.0
    phith = grid.phi**th

    def one_country(ad, ax, y):
        Q = p.beta * Lam * y[:, None] / y[None, :]  # (S, S')
        S = Q.shape[0]
        # v_x = (ad + ax) + (1-delta) Q v_x: a small linear system
        A = jnp.eye(S) - (1.0 - p.delta) * Q
        v_x = solve_small(A, ad + ax) if S > 1 else (ad + ax) / A[0, 0]
        Vx_next = (1.0 - p.delta) * (Q @ v_x)  # (S,) per phi^th
        kap = grid.kappa[None, :, None] if p.entry_costs else 0.0
        flow = phith[:, None, None] * ad[None, None, :]

        def bellman(Vd):
            cont = (1.0 - p.delta) * jnp.einsum("st,ijt->ijs", Q, Vd)
            go = -kap + phith[:, None, None] * Vx_next[None, None, :]
            return flow + jnp.maximum(cont, go)

        V0 = flow / (1.0 - p.beta * (1.0 - p.delta))
        vi = value_iteration(bellman, V0, tol=tol, max_iter=max_iter, throw=False)
        V, it, err = vi.value, vi.info.iterations, vi.info.residual
        cont = (1.0 - p.delta) * jnp.einsum("st,ijt->ijs", Q, V)
        gain = phith[:, None, None] * Vx_next[None, None, :] - cont
        export = (gain >= (kap if p.entry_costs else -jnp.inf)).astype(float) * jnp.ones_like(V)
        return v_x, V, export, gain, it, err

    v_x, V, export, gain, it, err = jax.vmap(one_country, in_axes=(1, 1, 1))(a_d, a_x, Y)
    info = solver_info(jnp.max(it), jnp.max(err), tol)
    out = FirmPolicy(v_x=v_x, V_d=V, export=export, gain=gain, info=info)
    return finish(out, throw=throw, what="sunk-cost firm value iteration (26)-(27)", tol=tol)


def simulate_constant(p: SunkCostParams, grid: TypeGrid, policy: FirmPolicy, state0: SimState, shocks) -> dict:
    """Simulate the economy along joint states ``shocks`` (T,) under a :class:`FirmPolicy` (lax.scan).

    Per period: the moments (40) of the current distributions, the entry
    labour of the firms that switch at the end of the period (the grid
    point's decision), the period equilibrium (balanced-trade w_f), then the
    histogram push-forward of section 4.5 (item 3) (:func:`~jaxtrade.models.sunk_cost.market_period`).
    Returns a dict of (T, ...) series; vmap over economies.
    """
    th = p.sigma - 1.0
    phith = grid.phi[:, None] ** th
    zs = productivity_states(p)
    kap = grid.kappa[None, None, :] if p.entry_costs else 0.0
    entrants = p.nu * grid.mass[None]

    def step(st: SimState, s):
        m, M = exporter_moments(st, phith)
        d = policy.export[:, :, :, s]
        new, out = market_period(p, st, s, zs[s], m, M, d, d * kap, entrants)
        return new, out

    _, series = jax.lax.scan(step, state0, shocks)
    return series


def _state_means(series, burn):
    s = series["state"][burn:]
    onehot = jax.nn.one_hot(s, 4)
    n = onehot.sum(axis=0)
    w = series["w"][burn:]
    mean = lambda x: (onehot.T @ jnp.log(x[burn:] / w)) / n[:, None]  # noqa: E731
    return mean(series["a_d"]), mean(series["a_x"]), mean(series["Y"]), n


def _outer(p, grid, ss, la_d, la_x, lY, shocks, burn):
    policy = solve_firms(p, grid, jnp.exp(la_d), jnp.exp(la_x), jnp.exp(lY), throw=False)
    series = simulate_constant(p, grid, policy, initial_state(ss), shocks)
    nd, nx, ny, _ = _state_means(series, burn)
    return policy, (nd, nx, ny), simulation_info(series["converged"], series["root_residual"])


def solve_constant(
    p: SunkCostParams,
    *,
    T: int = 3000,
    burn: int = 500,
    seed: int = 0,
    tol: float = 1e-5,
    max_outer: int = 100,
    damping: float = 0.5,
    throw: bool = True,
) -> StochasticSolution:
    """The forecasting loop with state-constant rules (see the module docstring).

    Forecasts are in units of each country's own wage; the updates are
    damped, ``new = old + damping (simulated - old)``; the loop stops when
    the largest change of the log forecasts is below ``tol``. Common random
    numbers: one shock path (``seed``) for every iteration.

    Returns
    -------
    StochasticSolution
        ``rule="constant"``; ``info`` is the loop's, folded with the steady
        state, the firms' value iteration, the last simulation's
        balanced-trade roots and the parameter rules. ``throw=True``: a
        failure raises :class:`~jaxtrade.errors.ConvergenceError` (with the
        last log forecasts in its message); a failed value iteration raises
        in the iteration where it happens.
    """
    if p.entry_cost_units != "labor":
        raise ValueError(f"entry_cost_units={p.entry_cost_units!r} requires rule='loglinear' (the constant rule "
                         "charges kappa in labour only)")  # fmt: skip
    if not 0.0 < damping <= 1.0:
        raise ValueError(f"damping must satisfy 0 < damping <= 1, got {damping}")
    ss = steady_state(p, throw=throw)
    grid = ss.grid
    zs = productivity_states(p)
    one = jnp.ones(2)
    eqs = [period_equilibrium(p, zs[s], ss.M * one, ss.m * one, ss.K * one, throw=False) for s in range(4)]
    la_d = jnp.stack([jnp.log(e.a_d / e.w) for e in eqs])
    la_x = jnp.stack([jnp.log(e.a_x / e.w) for e in eqs])
    lY = jnp.stack([jnp.log(e.Y / e.w) for e in eqs])
    start = combine_info(eqs[0].info, *(e.info for e in eqs[1:]))
    shocks = draw_shocks(p, jax.random.PRNGKey(seed), T)
    run = jax.jit(lambda ad, ax, y: _outer(p, grid, ss, ad, ax, y, shocks, burn))
    change, iterations, roots = np.inf, 0, start
    for iterations in range(1, max_outer + 1):  # noqa: B007  (the count is reported in info)
        policy, (nd, nx, ny), roots = run(la_d, la_x, lY)
        finish(policy, throw=throw, what="sunk-cost firm value iteration (26)-(27)", tol=1e-10)
        change = float(jnp.max(jnp.abs(jnp.stack([nd - la_d, nx - la_x, ny - lY]))))
        la_d, la_x, lY = (la_d + damping * (nd - la_d), la_x + damping * (nx - la_x), lY + damping * (ny - lY))
        if change < tol:
            break
    policy = jax.jit(lambda: solve_firms(p, grid, jnp.exp(la_d), jnp.exp(la_x), jnp.exp(lY), throw=False))()
    info = combine_info(solver_info(iterations, change, tol), ss.info, start, roots, policy.info,
                        params_valid=rules_hold(p, RULES))  # fmt: skip
    sol = StochasticSolution(policy=policy, log_a_d=la_d, log_a_x=la_x, log_Y=lY, steady=ss, info=info)
    sol = flag_nonfinite(
        sol, outputs=(sol.log_a_d, sol.log_a_x, sol.log_Y, policy.v_x, policy.gain)
    )  # never converged with NaN
    return finish(sol, throw=throw, what="sunk-cost forecasting-rule loop (state-constant rules)", tol=tol,
                  extra=_last_forecasts)  # fmt: skip


def _last_forecasts(sol: StochasticSolution) -> str:
    return f"last log forecasts a_d={np.asarray(sol.log_a_d).tolist()}, a_x={np.asarray(sol.log_a_x).tolist()}"
