"""Period (static) equilibrium and the deterministic steady state.

Within a period, the distributions of exporters and non-exporters are given
(they are state variables, section 4), so all prices follow from

* monopolistic pricing (25): p = w / (rho z phi), imports cost (1 + tau) p
  (the tariff is an iceberg cost);
* the CES price index (16) with the home-bias weights of eq. (4),
  P_h^(1-sigma) = omega^sigma sum_home phi^(sigma-1) (1/(rho z_h))^(1-sigma)
  + (1-omega)^sigma sum_foreign exporters ((1+tau) w_f / (rho z_f) / phi)^(1-sigma);
  everything about the distributions that matters is the moment
  m = sum mu_x phi^(rho/(1-rho)) of eq. (40) (and the same sum over all firms);
* Cobb-Douglas spending gamma Y on differentiated goods, eq. (13), where
  income Y = w L + Pi and profits (30) are gross profits (revenue / sigma)
  minus the labour spent on export entry;
* the home wage as numeraire and the foreign wage from balanced trade (31),
  a scalar Newton root in log w_f.

Firm profits are phi^(sigma-1) times profit shifters ``a_d`` (domestic sales)
and ``a_x`` (exports), which is all the dynamic problem needs.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from jaxtrade.errors import SolverInfo, combine_info, finish, flag_nonfinite, rules_hold, solver_info
from jaxtrade.models.sunk_cost.params import RULES, SunkCostParams
from jaxtrade.models.sunk_cost.types import TypeGrid, type_grid
from jaxtrade.numerics.ces import markup
from jaxtrade.numerics.root import newton_root

__all__ = ["PeriodEquilibrium", "SteadyState", "period_equilibrium", "stationary_masses", "steady_state"]


class PeriodEquilibrium(eqx.Module):
    """Prices and aggregates of one period (arrays indexed [home, foreign]).

    w: wages (w[0] = 1, the numeraire); P: CES price indices (16) of the
    differentiated composite; Y: nominal income w L + Pi; Pi: aggregate
    profits (30); a_d, a_x: profit shifters, a firm of productivity phi earns
    phi^(sigma-1) a_d at home and phi^(sigma-1) a_x abroad; exports: value of
    each country's exports; import_share: share of imports in spending on
    differentiated goods; info: the balanced-trade root (31).
    """

    w: jax.Array
    P: jax.Array
    Y: jax.Array
    Pi: jax.Array
    a_d: jax.Array
    a_x: jax.Array
    exports: jax.Array
    import_share: jax.Array
    info: SolverInfo


def _wage_scalars(p: SunkCostParams, log_wf, z, M, m, K):
    """Everything of the period for a trial foreign wage, as (home, foreign) pairs of scalars.

    Written on scalars rather than (2,) arrays so that a compiled period is a
    few fused kernels (the simulations call it thousands of times in a row).
    """
    s = p.sigma
    th = s - 1.0
    w = (jnp.ones_like(log_wf), jnp.exp(log_wf))
    mk = markup(s)
    c = tuple(mk * w[o] / z[o] for o in range(2))  # price (25) of a phi = 1 firm: markup sigma/(sigma-1) over w/z
    om_d, om_f = p.omega**s, (1.0 - p.omega) ** s
    # dom[o], frn[o]: contributions of origin o's sellers to its own and to the other destination's P^(1-sigma)
    cd = tuple(c[o] ** (-th) for o in range(2))
    cx = tuple(((1.0 + p.tau) * c[o]) ** (-th) for o in range(2))
    dom = tuple(om_d * cd[o] * M[o] for o in range(2))
    frn = tuple(om_f * cx[o] * m[o] for o in range(2))
    tot = (dom[0] + frn[1], frn[0] + dom[1])  # P_d^(1-sigma)
    # share[o][d]: share of origin o in destination d's spending
    share = ((dom[0] / tot[0], frn[0] / tot[1]), (frn[1] / tot[0], dom[1] / tot[1]))
    g = p.gamma / s
    # Y_o = w_o (L - K_o) + (gamma/sigma) sum_d share[o][d] Y_d  -> 2x2 linear system (explicit)
    b = (w[0] * (p.L - K[0]), w[1] * (p.L - K[1]))
    A00, A01 = 1.0 - g * share[0][0], -g * share[0][1]
    A10, A11 = -g * share[1][0], 1.0 - g * share[1][1]
    det = A00 * A11 - A01 * A10
    Y = ((A11 * b[0] - A01 * b[1]) / det, (A00 * b[1] - A10 * b[0]) / det)
    exports = (p.gamma * share[0][1] * Y[1], p.gamma * share[1][0] * Y[0])
    revenue = tuple(p.gamma * (share[o][0] * Y[0] + share[o][1] * Y[1]) for o in range(2))
    Pi = tuple(revenue[o] / s - w[o] * K[o] for o in range(2))
    a_d = tuple(g * Y[o] * om_d * cd[o] / tot[o] for o in range(2))
    a_x = tuple(g * Y[1 - o] * om_f * cx[o] / tot[1 - o] for o in range(2))
    P = tuple(tot[o] ** (-1.0 / th) for o in range(2))
    import_share = (share[1][0], share[0][1])
    return w, P, Y, Pi, a_d, a_x, exports, import_share


def _period_given_wage(p: SunkCostParams, log_wf, z, M, m, K):
    """Everything of the period for a trial foreign wage (no balanced trade imposed), as (2,) arrays."""
    return tuple(jnp.stack(pair) for pair in _wage_scalars(p, log_wf, z, M, m, K))


def _trade_gap(p: SunkCostParams, log_wf, z, M, m, K):
    """Balanced-trade residual (31) at a trial log w_f: log home exports - log home imports."""
    exports = _wage_scalars(p, log_wf, z, M, m, K)[6]
    return jnp.log(exports[0]) - jnp.log(exports[1])


def warm_period_equilibrium(p: SunkCostParams, z, M, m, K, log_wf0, *, steps: int = 3,
                            tol: float = 1e-12) -> PeriodEquilibrium:  # fmt: skip
    """One period's market clearing from a close guess (a simulation's previous wage): the fast path.

    ``steps`` undamped Newton steps on (31) in log w_f (the derivative by
    ``jax.jvp``; unrolled, no loop; a non-finite step is skipped), then
    :func:`period_equilibrium`'s damped Newton loop (with line search) takes
    over from there: it stops at its first convergence check when the steps
    have reached ``tol`` (no loop iteration, none of the loop's line searches)
    and finishes the solve when they have not. The residual is nearly linear
    in log w_f: from last period's wage two steps reach 1e-12 in the
    Krusell-Smith simulations. ``info``: iterations (``steps`` plus the
    loop's), residual, converged, as :func:`period_equilibrium`'s (same
    tolerance, same flags). Jit/vmap safe; never raises.
    """
    z = jnp.asarray(z, dtype=float)
    x = jnp.asarray(log_wf0, dtype=float)
    for _ in range(steps):
        r, dr = jax.jvp(lambda u: _trade_gap(p, u, z, M, m, K), (x,), (jnp.ones_like(x),))
        d = -r / dr
        x = x + jnp.where(jnp.isfinite(d), d, 0.0)
    eq = _period_equilibrium(p, z, M, m, K, jnp.where(jnp.isfinite(x), x, log_wf0), tol)
    return eqx.tree_at(lambda e: e.info.iterations, eq, eq.info.iterations + steps)


def period_equilibrium(
    p: SunkCostParams, z, M, m, K, log_wf0: float | jax.Array = 0.0, tol: float = 1e-12, *, throw: bool = True
) -> PeriodEquilibrium:
    """Solve one period's market clearing given the firm distributions (section 4.4).

    The foreign wage solves balanced trade (31) by Newton's method in log
    w_f (home wage = 1); prices follow (25), the CES indices (16), spending
    (13) and income Y = w (L - K) + revenue / sigma from (30).

    Parameters
    ----------
    p:
        Parameters.
    z:
        (2,) aggregate productivity of each country.
    M:
        (2,) sum over all producing firms of phi^(sigma-1) times their mass.
    m:
        (2,) the same sum over exporters, eq. (40).
    K:
        (2,) labour spent on export entry this period, eq. (29).
    log_wf0:
        Starting guess of log w_f.
    tol:
        Tolerance of the balanced-trade root.
    throw:
        ``True``: a failed root raises (:func:`jaxtrade.errors.finish`);
        ``False``: read ``info``. Jit/vmap safe either way.

    Returns
    -------
    PeriodEquilibrium
        Prices and aggregates; ``info`` is the balanced-trade root (31), with
        ``converged`` false where the parameters break :data:`RULES`
        (``invalid_parameters``) or an output is NaN or infinite (``nonfinite``).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from jaxtrade.models.sunk_cost import ruhl_params
    >>> e = period_equilibrium(ruhl_params(n_phi=20, n_kappa=20), jnp.array([1.025, 0.975]),
    ...                        jnp.ones(2), 0.5 * jnp.ones(2), jnp.zeros(2))
    >>> bool(e.info.converged), bool(e.w[1] < 1.0)
    (True, True)
    """
    out = _period_equilibrium(p, jnp.asarray(z, dtype=float), M, m, K, jnp.asarray(log_wf0, dtype=float), tol)
    return finish(out, throw=throw, what="sunk-cost period equilibrium (balanced trade (31))", tol=tol)


@jax.jit(static_argnames=("tol",))
def _period_equilibrium(p, z, M, m, K, log_wf0, tol) -> PeriodEquilibrium:
    """Jitted body of :func:`period_equilibrium` (never raises; ``finish`` applies ``throw``)."""

    def resid(x, _):
        return _trade_gap(p, x[0], z, M, m, K)  # (31): home exports = home imports

    x0 = jnp.atleast_1d(log_wf0)
    res = newton_root(lambda x, a: jnp.atleast_1d(resid(x, a)), x0, None, tol=tol, max_iter=50, throw=False)
    w, P, Y, Pi, a_d, a_x, exports, share = _period_given_wage(p, res.value[0], z, M, m, K)
    info = combine_info(res.info, params_valid=rules_hold(p, RULES))
    out = PeriodEquilibrium(w=w, P=P, Y=Y, Pi=Pi, a_d=a_d, a_x=a_x, exports=exports, import_share=share, info=info)
    return flag_nonfinite(out)


class SteadyState(eqx.Module):
    """Deterministic steady state (z = 1 in both countries), symmetric countries.

    Attributes
    ----------
    grid: the type grid; export: (I, J) decision rule d(phi, kappa) in {0, 1};
    mu_x, mu_d: (I, J) stationary masses of exporters and non-exporters
    (beginning of period, producing firms); period: the period equilibrium;
    gain: (I,) discounted expected gain from exporting per firm of each phi,
    the right-hand side of the cutoff condition (32);
    cutoff: (J,) phi-hat(kappa), the productivity at which (32) holds;
    M, m: moments of all firms and of exporters; K: entry labour per period;
    V_x: (I,) exporter value (26); V_d: (I, J) non-exporter value (27);
    trade_output: exports / differentiated-goods output (Table 2);
    exporter_share: mass of exporters among producing firms;
    info: the fixed point in the export profit shifter (bisection).
    """

    grid: TypeGrid
    export: jax.Array
    mu_x: jax.Array
    mu_d: jax.Array
    period: PeriodEquilibrium
    gain: jax.Array
    cutoff: jax.Array
    M: jax.Array
    m: jax.Array
    K: jax.Array
    V_x: jax.Array
    V_d: jax.Array
    trade_output: jax.Array
    exporter_share: jax.Array
    info: SolverInfo


def stationary_masses(p: SunkCostParams, mass, export):
    """Stationary exporters/non-exporters of the law of motion in section 4.5 (item 3).

    mu_x' = (1-delta)[mu_x + d (mu_d + nu Phi)], mu_d' = (1-delta)(1-d)(mu_d + nu Phi)
    with a constant decision d in {0, 1}: the fixed point per type is
    mu_d = (1-delta)(1-d) nu Phi / (1 - (1-delta)(1-d)) and
    mu_x = (1-delta) d (mu_d + nu Phi) / delta; with nu = delta/(1-delta) the
    producing mass mu_x + mu_d is Phi (total one).
    """
    keep = (1.0 - p.delta) * (1.0 - export)
    mu_d = keep * p.nu * mass / (1.0 - keep)
    mu_x = (1.0 - p.delta) * export * (mu_d + p.nu * mass) / p.delta
    return mu_x, mu_d


def _ss_given_ax(p: SunkCostParams, grid: TypeGrid, log_ax):
    """Steady-state objects implied by a trial export profit shifter a_x (both countries)."""
    th = p.sigma - 1.0
    R = p.beta * (1.0 - p.delta)
    phith = grid.phi**th
    gain = R * jnp.exp(log_ax) * phith / (1.0 - R)  # (32) in steady state: R (V_x - V_d) = R pi_x / (1 - R)
    if p.entry_costs:
        export = (gain[:, None] >= grid.kappa[None, :]).astype(float)
    else:
        export = jnp.ones_like(grid.mass)
    mu_x, mu_d = stationary_masses(p, grid.mass, export)
    M = jnp.sum((mu_x + mu_d) * phith[:, None])
    m = jnp.sum(mu_x * phith[:, None])
    # entry labour: non-exporters and entrants who switch pay kappa (29)
    kap = grid.kappa[None, :] if p.entry_costs else 0.0
    K = jnp.sum(export * (mu_d + p.nu * grid.mass) * kap)
    ones = jnp.ones(2)
    eq = period_equilibrium(p, ones, M * ones, m * ones, K * ones, throw=False)
    return eq, export, mu_x, mu_d, gain, M, m, K


def steady_state(p: SunkCostParams, *, tol: float = 1e-13, max_iter: int = 200, throw: bool = True) -> SteadyState:
    """Deterministic steady state with symmetric countries (z_h = z_f = 1), section 4.5.

    The export decision depends on the aggregate state only through the
    export profit shifter a_x, and the a_x implied by the decisions (through
    the stationary distribution of section 4.5 item 3 and the period
    equilibrium) is decreasing in the trial a_x, so the fixed point is
    bracketed and found by bisection in log a_x. On a finite grid of types
    the map is a step function: the returned point is where it crosses the
    45-degree line, and ``info.residual`` is the bracket width in log a_x.
    The balanced-trade foreign wage (31) is solved, not imposed (it is 1 by
    symmetry).

    Parameters
    ----------
    p:
        Parameters (``entry_costs=False``: every firm exports).
    tol, max_iter:
        Bracket width in log a_x at which the bisection has converged, and
        the number of bisection steps (always all of them).
    throw:
        ``True``: raise if the bisection, the balanced-trade root or the
        parameter rules fail (eagerly :class:`~jaxtrade.errors.ConvergenceError`,
        under ``jit`` at run time); ``False``: read ``info`` (one flag per
        lane under ``vmap``).

    Returns
    -------
    SteadyState
        ``info.converged`` is false (one flag per lane) where the parameters
        break :data:`RULES` (``invalid_parameters``) or any output is NaN or
        infinite (``nonfinite``; e.g. rho near 1, where phi^(sigma-1) overflows).

    Examples
    --------
    >>> from jaxtrade.models.sunk_cost import ruhl_params
    >>> ss = steady_state(ruhl_params(n_phi=20, n_kappa=20))
    >>> bool(ss.info.converged), round(float((ss.mu_x + ss.mu_d).sum()), 12)
    (True, 1.0)
    """
    out = _steady_state(p, tol, max_iter)
    return finish(out, throw=throw, what="sunk-cost steady state (bisection in a_x, balanced trade (31))", tol=tol)


@jax.jit(static_argnames=("tol", "max_iter"))
def _steady_state(p, tol, max_iter):
    grid = type_grid(p)

    def excess(log_ax):
        eq = _ss_given_ax(p, grid, log_ax)[0]
        return jnp.log(eq.a_x[0]) - log_ax

    # a_x is bounded above by the shifter with every firm exporting and nothing spent on entry
    lo0, hi0 = jnp.asarray(-40.0), jnp.log(p.gamma * p.L / (1.0 - p.gamma / p.sigma)) + 5.0

    def body(_, br):
        lo, hi = br
        mid = 0.5 * (lo + hi)
        pos = excess(mid) > 0.0
        return jnp.where(pos, mid, lo), jnp.where(pos, hi, mid)

    lo, hi = jax.lax.fori_loop(0, max_iter, body, (lo0, hi0))
    # keep the upper end: decisions there are taken with gain >= kappa on the crossing's right
    log_ax = jnp.where(p.entry_costs, lo, excess(lo0) + lo0)
    eq, export, mu_x, mu_d, gain, M, m, K = _ss_given_ax(p, grid, log_ax)
    width = jnp.where(p.entry_costs, hi - lo, jnp.abs(jnp.log(eq.a_x[0]) - log_ax))
    info = combine_info(
        solver_info(jnp.asarray(max_iter, jnp.int32), width, tol), eq.info, params_valid=rules_hold(p, RULES)
    )
    th = p.sigma - 1.0
    R = p.beta * (1.0 - p.delta)
    cutoff = ((1.0 - R) * grid.kappa / (R * eq.a_x[0])) ** (1.0 / th)
    phith = grid.phi**th
    V_x = phith * (eq.a_d[0] + eq.a_x[0]) / (1.0 - R)
    V_stay = phith[:, None] * eq.a_d[0] / (1.0 - R) * jnp.ones_like(grid.mass)
    V_go = phith[:, None] * eq.a_d[0] - grid.kappa[None, :] + R * V_x[:, None]
    V_d = jnp.maximum(V_stay, V_go)
    output = eq.exports[0] + p.gamma * eq.Y[0] * (1.0 - eq.import_share[0])
    out = SteadyState(
        grid=grid, export=export, mu_x=mu_x, mu_d=mu_d, period=eq, gain=gain, cutoff=cutoff, M=M, m=m, K=K,
        V_x=V_x, V_d=V_d, trade_output=eq.exports[0] / output, exporter_share=jnp.sum(mu_x) / jnp.sum(mu_x + mu_d),
        info=info,
    )  # fmt: skip
    return flag_nonfinite(out)
