"""Aggregate shocks and the simulation state shared by both forecasting rules (sections 4.5 and 5.1).

Aggregate productivity (section 5.1): each country's z is 1 + epsilon (H) or
1 - epsilon (L) with the symmetric transition matrix (35); the countries are
independent, so there are four joint states ordered (H,H), (H,L), (L,H),
(L,L) (home first, :data:`STATE_NAMES`) with transition matrix
kron(Lambda, Lambda) (:func:`transition_matrix`).

A simulated economy carries the histograms of exporters and non-exporters
over the type grid of each country (:class:`SimState`). One period
(:func:`market_period`) takes the end-of-period export decisions, clears the
period's markets (balanced trade (31), entry labour (29)) and pushes the
histograms forward with entry and death (section 4.5, item 3):

    mu_x' = (1 - delta) (mu_x + s (mu_d + nu Phi)),   mu_d' = (1 - delta) (1 - s) (mu_d + nu Phi),

with ``s`` the share of each cell's pool that starts exporting. The
push-forward is written out here rather than through
:func:`jaxtrade.numerics.distribution.push_forward`: that kernel moves mass
along an endogenous grid under an exogenous Markov chain ``P[z, z']``,
whereas here the "chain" is the identity over 40,000 types, the moving state
is the export status, and entrants join the pool *before* the decision and
the deaths; see ``docs/models/sunk_cost.md``.

Both rule solvers (:mod:`~jaxtrade.models.sunk_cost.constant_rule`,
:mod:`~jaxtrade.models.sunk_cost.krusell_smith`) import this module; it
imports neither.
"""

from __future__ import annotations

import numbers

import equinox as eqx
import jax
import jax.numpy as jnp

from jaxtrade.errors import RESULTS, SolverInfo
from jaxtrade.models.sunk_cost.equilibrium import SteadyState, period_equilibrium
from jaxtrade.models.sunk_cost.options import ForecastRule
from jaxtrade.models.sunk_cost.params import SunkCostParams

__all__ = [
    "STATE_NAMES",
    "SimState",
    "StochasticSolution",
    "draw_shocks",
    "exporter_moments",
    "initial_state",
    "market_period",
    "productivity_states",
    "random_key",
    "simulation_info",
    "transition_matrix",
]

#: The four joint aggregate states (home, foreign), in the order of :func:`transition_matrix`.
STATE_NAMES = ("(H,H)", "(H,L)", "(L,H)", "(L,L)")


def transition_matrix(p: SunkCostParams) -> jax.Array:
    """4 x 4 transition matrix of the joint state: kron of eq. (35) with itself.

    Examples
    --------
    >>> from jaxtrade.models.sunk_cost import ruhl_params
    >>> round(float(transition_matrix(ruhl_params(n_phi=20, n_kappa=20))[0, 0]), 6)
    0.644809
    """
    lam = p.lam
    L2 = jnp.array([[lam, 1.0 - lam], [1.0 - lam, lam]])
    return jnp.kron(L2, L2)


def productivity_states(p: SunkCostParams) -> jax.Array:
    """(4, 2) aggregate productivity (z_h, z_f) in each joint state (section 5.1)."""
    hi, lo = 1.0 + p.epsilon, 1.0 - p.epsilon
    return jnp.array([[hi, hi], [hi, lo], [lo, hi], [lo, lo]])


def random_key(key) -> jax.Array:
    """``key`` if it is a ``jax.random`` key, ``jax.random.PRNGKey(key)`` if it is an int seed."""
    if isinstance(key, numbers.Integral):
        return jax.random.PRNGKey(int(key))
    return key


def draw_shocks(p: SunkCostParams, key, T: int, s0=None) -> jax.Array:
    """A Monte Carlo path (T,) of joint states from the chain (35); ``s0`` uniform (the stationary law) if None.

    ``key``: a ``jax.random`` key or an int seed.
    """
    return _draw_shocks(p, random_key(key), T, s0)


@jax.jit(static_argnames=("T",))
def _draw_shocks(p: SunkCostParams, key, T: int, s0) -> jax.Array:
    """Jitted body of :func:`draw_shocks` (compiled once per T, not at every call)."""
    Lam = transition_matrix(p)
    k0, k1 = jax.random.split(key)
    first = jax.random.randint(k0, (), 0, 4) if s0 is None else jnp.asarray(s0)
    keys = jax.random.split(k1, T - 1)

    def step(s, k):
        sn = jax.random.categorical(k, jnp.log(Lam[s]))
        return sn, sn

    _, rest = jax.lax.scan(step, first, keys)
    return jnp.concatenate([first[None], rest])


class SimState(eqx.Module):
    """Distributions (2, I, J) of exporters and non-exporters at the start of a period, and log w_f."""

    mu_x: jax.Array
    mu_d: jax.Array
    log_wf: jax.Array


def initial_state(ss: SteadyState) -> SimState:
    """Both countries at the deterministic steady-state distribution."""
    return SimState(mu_x=jnp.stack([ss.mu_x, ss.mu_x]), mu_d=jnp.stack([ss.mu_d, ss.mu_d]), log_wf=jnp.asarray(0.0))


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
    the markets of the period (balanced trade (31), entry labour K of (29)),
    then pushes the histogram forward (section 4.5 item 3, see the module
    docstring). Returns the next state and the period's series: one row of
    the output of :func:`jaxtrade.models.sunk_cost.simulate_path`
    (``converged`` and ``root_residual`` are the balanced-trade root's).
    """
    pool = st.mu_d + entrants
    K = jnp.sum(paid * pool, axis=(1, 2))
    eq = period_equilibrium(p, z, M, m, K, log_wf0=st.log_wf, throw=False)
    mu_x = (1.0 - p.delta) * (st.mu_x + share * pool)
    mu_d = (1.0 - p.delta) * (1.0 - share) * pool
    out = {
        "state": s, "z": z, "w_f": eq.w[1], "m": m, "M": M, "K": K, "Y": eq.Y, "P": eq.P, "Pi": eq.Pi,
        "a_d": eq.a_d, "a_x": eq.a_x, "w": eq.w, "imports": eq.exports[::-1],
        "domestic": p.gamma * eq.Y * (1.0 - eq.import_share), "exporters": jnp.sum(st.mu_x, axis=(1, 2)),
        "converged": eq.info.converged, "root_residual": eq.info.residual,
    }  # fmt: skip
    return SimState(mu_x=mu_x, mu_d=mu_d, log_wf=jnp.log(eq.w[1])), out


def simulation_info(converged, residual) -> SolverInfo:
    """The :class:`~jaxtrade.errors.SolverInfo` of simulated periods from their balanced-trade roots.

    ``converged`` and ``residual`` are the per-period flags and residuals of
    the roots, (T,) for one economy or (economies, T); ``iterations`` is the
    number of periods T, ``residual`` the largest root residual, and the
    result is :attr:`RESULTS.inner_failed <jaxtrade.errors.RESULTS>` unless
    every root converged.
    """
    converged = jnp.asarray(converged)
    ok = jnp.all(converged)
    return SolverInfo(
        iterations=jnp.asarray(converged.shape[-1] if converged.ndim else 1),
        residual=jnp.max(jnp.asarray(residual)),
        converged=ok,
        result=RESULTS.where(ok, RESULTS.successful, RESULTS.inner_failed),  # type: ignore[arg-type]
    )


class StochasticSolution(eqx.Module):
    """Solution of the stochastic model: the firms' policy and the forecasts behind it.

    Attributes
    ----------
    policy:
        The firms' policy: a :class:`~jaxtrade.models.sunk_cost.FirmPolicy`
        (``rule="constant"``) or a :class:`~jaxtrade.models.sunk_cost.LogLinearPolicy`
        (``rule="loglinear"``).
    log_a_d, log_a_x, log_Y:
        (4, 2) forecasts of log a_d, log a_x and log Y per joint state and
        country (own-wage units): the state constants, or the log-linear
        rules evaluated at the simulated mean log moments.
    steady:
        The deterministic steady state (the simulations start from its distribution).
    info:
        The overall verdict: the forecasting loop's change in its last
        iteration against ``tol``, folded with the steady state, the firms'
        value iteration, the last simulation's balanced-trade roots and the
        parameter rules.
    rule:
        ``"constant"`` or ``"loglinear"`` (static).
    ks:
        ``rule="loglinear"``: the :class:`~jaxtrade.models.sunk_cost.KSResult`
        (coefficients, R^2, the paper's table objects); None otherwise.
    """

    policy: eqx.Module
    log_a_d: jax.Array
    log_a_x: jax.Array
    log_Y: jax.Array
    steady: SteadyState
    info: SolverInfo
    rule: ForecastRule = eqx.field(static=True, default="constant")
    ks: eqx.Module | None = None
