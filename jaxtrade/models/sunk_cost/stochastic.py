"""Aggregate shocks, firm value functions (26)-(27), simulation and the time-series experiment.

Aggregate productivity (section 5.1): each country's z is 1 + epsilon (H) or
1 - epsilon (L) with the symmetric transition matrix (35); the countries are
independent, so there are four joint states ordered (H,H), (H,L), (L,H),
(L,L) (home first) with transition matrix kron(Lambda, Lambda).

Firms' problem: an exporter's value is linear in phi^(sigma-1),
V_x = phi^(sigma-1) v_x(s) with v_x = a_d + a_x + (1-delta) sum_s' Q(s,s') v_x(s'),
and the non-exporter's value (27) is found by value-function iteration on the
full (phi, kappa, s) grid. The stochastic discount factor (21) with
log preferences is Q(s, s') = beta Lambda(s, s') Y(s) / Y(s') in nominal
(home-wage) units.

Aggregate forecasting: the firms need the profit shifters and income in
every aggregate state. ``solve_stochastic(rule="loglinear")`` (the default)
is the Krusell-Smith loop of Appendix 1 with the paper's log-linear rules in
(log m, log m*) per aggregate state, value functions on a moment grid and the
cell-lottery export rule (:mod:`jaxtrade.models.sunk_cost.krusell_smith`).
``rule="constant"`` keeps the earlier restriction to state-specific
constants (alpha_2 = alpha_3 = 0): the forecasts of log a_d, log a_x and
log Y in each state are the means over a long simulation with
period-by-period market clearing, iterated to a fixed point, with the
discrete export rule of the type grid (it can cycle on fine grids; see
docs/models/sunk_cost.md).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from jaxtrade.errors import ConvergenceError, SolverInfo, solver_info
from jaxtrade.models.sunk_cost.equilibrium import SteadyState, period_equilibrium, steady_state
from jaxtrade.models.sunk_cost.params import SunkCostParams
from jaxtrade.models.sunk_cost.types import TypeGrid
from jaxtrade.numerics.fixed_point import value_iteration
from jaxtrade.numerics.linalg import solve_small

STATE_NAMES = ("(H,H)", "(H,L)", "(L,H)", "(L,L)")


def transition_matrix(p: SunkCostParams) -> jax.Array:
    """4 x 4 transition matrix of the joint state: kron of eq. (35) with itself."""
    lam = p.lam
    L2 = jnp.array([[lam, 1.0 - lam], [1.0 - lam, lam]])
    return jnp.kron(L2, L2)


def productivity_states(p: SunkCostParams) -> jax.Array:
    """(4, 2) aggregate productivity (z_h, z_f) in each joint state."""
    hi, lo = 1.0 + p.epsilon, 1.0 - p.epsilon
    return jnp.array([[hi, hi], [hi, lo], [lo, hi], [lo, lo]])


class FirmPolicy(eqx.Module):
    """Solution of the firms' dynamic problem for given aggregate forecasts.

    v_x: (2, S) exporter value per unit of phi^(sigma-1), by country and state;
    V_d: (2, I, J, S) non-exporter values (27); export: (2, I, J, S) decision
    to start exporting at the end of the period in state s; gain: (2, I, J, S)
    the discounted expected gain of eq. (32); info: the value iteration.
    """

    v_x: jax.Array
    V_d: jax.Array
    export: jax.Array
    gain: jax.Array
    info: SolverInfo


def solve_firms(p: SunkCostParams, grid: TypeGrid, a_d, a_x, Y, *, tol: float = 1e-10, max_iter: int = 5000) -> FirmPolicy:
    """Value functions (26)-(27) and the export rule for forecasts a_d, a_x, Y of shape (S, 2).

    Each country's forecasts are in units of its own wage (so that its entry
    cost kappa is in its own labour): pass a_d / w, a_x / w and Y / w.

    Jit/vmap safe; ``info.converged`` must be checked by the caller.
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
    return FirmPolicy(v_x=v_x, V_d=V, export=export, gain=gain, info=info)


class SimState(eqx.Module):
    """Distributions (2, I, J) of exporters and non-exporters at the start of a period, and log w_f."""

    mu_x: jax.Array
    mu_d: jax.Array
    log_wf: jax.Array


def initial_state(ss: SteadyState) -> SimState:
    """Both countries at the deterministic steady-state distribution."""
    return SimState(mu_x=jnp.stack([ss.mu_x, ss.mu_x]), mu_d=jnp.stack([ss.mu_d, ss.mu_d]), log_wf=jnp.asarray(0.0))


def simulate(p: SunkCostParams, grid: TypeGrid, policy: FirmPolicy, state0: SimState, shocks) -> dict:
    """Simulate the economy along a path of joint states ``shocks`` (T,) with market clearing each period.

    Per period: the moments (40) of the current distributions, the entry
    labour of the firms that switch at the end of the period, the period
    equilibrium (balanced-trade w_f), then the histogram push-forward of
    section 4.5 (item 3). Returns a dict of (T, ...) series. lax.scan; vmap
    over economies. ``policy`` is a :class:`FirmPolicy` (state-constant
    rules) or a :class:`~jaxtrade.models.sunk_cost.krusell_smith.LogLinearPolicy`
    (dispatched to :func:`~jaxtrade.models.sunk_cost.krusell_smith.simulate_loglinear`).
    """
    from jaxtrade.models.sunk_cost.krusell_smith import LogLinearPolicy, simulate_loglinear

    if isinstance(policy, LogLinearPolicy):
        return simulate_loglinear(p, grid, policy, state0, shocks)
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


def exporter_moments(st: SimState, phith) -> tuple[jax.Array, jax.Array]:
    """Moments (40) of each country's exporters, m, and of all its firms, M (sums of mu phi^(sigma-1))."""
    m = jnp.sum(st.mu_x * phith, axis=(1, 2))
    M = jnp.sum((st.mu_x + st.mu_d) * phith, axis=(1, 2))
    return m, M


def market_period(p: SunkCostParams, st: SimState, s, z, m, M, share, paid, entrants) -> tuple[SimState, dict]:
    """One simulated period given the end-of-period export decisions.

    ``share`` (2, I, J) is the fraction of each cell's pool (non-exporters
    plus entrants) that starts exporting and ``paid`` the entry cost it pays
    per unit of pool mass (``share * kappa`` for a grid-point rule). Clears
    the markets of the period (balanced trade (31), entry labour K), then
    pushes the histogram forward (section 4.5 item 3). Returns the next
    state and the period's series (one row of :func:`simulate`'s output).
    """
    pool = st.mu_d + entrants
    K = jnp.sum(paid * pool, axis=(1, 2))
    eq = period_equilibrium(p, z, M, m, K, log_wf0=st.log_wf)
    mu_x = (1.0 - p.delta) * (st.mu_x + share * pool)
    mu_d = (1.0 - p.delta) * (1.0 - share) * pool
    out = {
        "state": s, "z": z, "w_f": eq.w[1], "m": m, "M": M, "K": K, "Y": eq.Y, "P": eq.P, "Pi": eq.Pi,
        "a_d": eq.a_d, "a_x": eq.a_x, "w": eq.w, "imports": eq.exports[::-1],
        "domestic": p.gamma * eq.Y * (1.0 - eq.import_share), "exporters": jnp.sum(st.mu_x, axis=(1, 2)),
        "converged": eq.info.converged,
    }  # fmt: skip
    return SimState(mu_x=mu_x, mu_d=mu_d, log_wf=jnp.log(eq.w[1])), out


def draw_shocks(p: SunkCostParams, key, T: int, s0=None) -> jax.Array:
    """A Monte Carlo path (T,) of joint states from the chain (35); s0 uniform (the stationary law) if None."""
    Lam = transition_matrix(p)
    k0, k1 = jax.random.split(key)
    first = jax.random.randint(k0, (), 0, 4) if s0 is None else jnp.asarray(s0)
    keys = jax.random.split(k1, T - 1)

    def step(s, k):
        sn = jax.random.categorical(k, jnp.log(Lam[s]))
        return sn, sn

    _, rest = jax.lax.scan(step, first, keys)
    return jnp.concatenate([first[None], rest])


class StochasticSolution(eqx.Module):
    """Firms' policy and the forecasts (S, 2) of log a_d, log a_x, log Y (own-wage units).

    rule: "constant" (policy a :class:`FirmPolicy`, forecasts the state
    constants) or "loglinear" (policy a ``LogLinearPolicy``, forecasts the
    rules evaluated at the simulated mean log moments, ``ks`` the
    :class:`~jaxtrade.models.sunk_cost.krusell_smith.KSResult` with the
    coefficients, R^2 and the paper's table objects).
    """

    policy: eqx.Module
    log_a_d: jax.Array
    log_a_x: jax.Array
    log_Y: jax.Array
    steady: SteadyState
    info: SolverInfo
    rule: str = eqx.field(static=True, default="constant")
    ks: eqx.Module | None = None


def _state_means(series, burn):
    s = series["state"][burn:]
    onehot = jax.nn.one_hot(s, 4)
    n = onehot.sum(axis=0)
    w = series["w"][burn:]
    mean = lambda x: (onehot.T @ jnp.log(x[burn:] / w)) / n[:, None]
    return mean(series["a_d"]), mean(series["a_x"]), mean(series["Y"]), n


def solve_stochastic(p: SunkCostParams, *, T: int = 3000, burn: int = 500, seed: int = 0, tol: float = 1e-5,
                     max_outer: int = 100, damping: float | None = None, throw: bool = True, rule: str = "loglinear",
                     **ks_options) -> StochasticSolution:  # fmt: skip
    """Solve the stochastic model (see the module docstring).

    ``rule="loglinear"`` (default): Appendix 1's log-linear rules, solved by
    :func:`~jaxtrade.models.sunk_cost.krusell_smith.solve_loglinear`, which
    takes the further keywords ``ks_options`` (export_rule, n_m, n_x,
    grid_margin, n_regrid, symmetric, accelerate, coef0, verbose). ``damping``
    defaults to 0.2 there (0.5 for the constant rule).

    ``rule="constant"``: start from the forecasts implied by the steady-state distribution in each
    aggregate state; then repeat: solve the firms (26)-(27), simulate T
    periods with market clearing (first ``burn`` dropped), set each state's
    forecast to the simulated mean, until the forecasts move less than
    ``tol`` (max abs change of the logs; updates damped by ``damping``). Forecasts
    are in units of each country's own wage. Raises ConvergenceError otherwise.
    """
    if rule == "loglinear":
        from jaxtrade.models.sunk_cost.krusell_smith import solve_loglinear

        damping = 0.2 if damping is None else damping
        return solve_loglinear(p, T=T, burn=burn, seed=seed, tol=tol, max_outer=max_outer, damping=damping, throw=throw,
                               **ks_options)  # fmt: skip
    if rule != "constant":
        raise ValueError(f"rule must be 'loglinear' or 'constant', got {rule!r}")
    if ks_options:
        raise ValueError(f"options {sorted(ks_options)} apply only to rule='loglinear'")
    if p.entry_cost_units != "labor":
        raise ValueError(f"entry_cost_units={p.entry_cost_units!r} requires rule='loglinear' (the constant rule "
                         "charges kappa in labour only)")
    damping = 0.5 if damping is None else damping
    ss = steady_state(p)
    grid = ss.grid
    zs = productivity_states(p)
    one = jnp.ones(2)
    eqs = [period_equilibrium(p, zs[s], ss.M * one, ss.m * one, ss.K * one) for s in range(4)]
    la_d = jnp.stack([jnp.log(e.a_d / e.w) for e in eqs])
    la_x = jnp.stack([jnp.log(e.a_x / e.w) for e in eqs])
    lY = jnp.stack([jnp.log(e.Y / e.w) for e in eqs])
    shocks = draw_shocks(p, jax.random.PRNGKey(seed), T)
    run = jax.jit(lambda ad, ax, y: _outer(p, grid, ss, ad, ax, y, shocks, burn))
    change = np.inf
    for it in range(1, max_outer + 1):
        policy, (nd, nx, ny) = run(la_d, la_x, lY)
        if throw and not bool(policy.info.converged):
            raise ConvergenceError("sunk-cost firm value iteration", policy.info.iterations, policy.info.residual)
        change = float(jnp.max(jnp.abs(jnp.stack([nd - la_d, nx - la_x, ny - lY]))))
        la_d, la_x, lY = (la_d + damping * (nd - la_d), la_x + damping * (nx - la_x), lY + damping * (ny - lY))
        if change < tol:
            break
    info = solver_info(it, change, tol)
    if throw and change >= tol:
        raise ConvergenceError("sunk-cost forecasting-rule loop", it, change, tol=tol,
                               extra=f"last log forecasts a_d={np.asarray(la_d).tolist()}, a_x={np.asarray(la_x).tolist()}")
    policy = jax.jit(lambda: solve_firms(p, grid, jnp.exp(la_d), jnp.exp(la_x), jnp.exp(lY)))()
    return StochasticSolution(policy=policy, log_a_d=la_d, log_a_x=la_x, log_Y=lY, steady=ss, info=info)


def _outer(p, grid, ss, la_d, la_x, lY, shocks, burn):
    policy = solve_firms(p, grid, jnp.exp(la_d), jnp.exp(la_x), jnp.exp(lY))
    series = simulate(p, grid, policy, initial_state(ss), shocks)
    nd, nx, ny, _ = _state_means(series, burn)
    return policy, (nd, nx, ny)
