"""Simulated economies of the sunk-cost model: aggregate time series under a solved policy.

The paper simulates economies, not firm panels: 250 economies of 300 periods
for the time-series experiment of section 6.1 and the business-cycle
moments of Table 1. So the model's ``simulate_panel(params, solution, key,
...)`` (the convention of every jaxtrade model) returns the aggregate time
series of **one economy**: per period the joint aggregate state, the
exporter moments (40), prices, income, profits, trade flows and the
balanced-trade foreign wage (31), each (periods, 2) for (home, foreign)
where it is per country. ``jax.vmap`` it over keys for many economies, or
use :func:`over_economies`.

* :func:`simulate_panel`: one economy from the steady-state distribution,
  shocks drawn from ``key``, ``burn`` periods dropped.
* :func:`simulate_path`: the lower-level simulation along a given path of
  aggregate states from a given state, under either policy
  (:class:`~jaxtrade.models.sunk_cost.FirmPolicy` or
  :class:`~jaxtrade.models.sunk_cost.LogLinearPolicy`).
* :func:`over_economies`: run a function of one economy's key over many keys
  (vmapped groups, ``lax.map``).
"""

from __future__ import annotations

import equinox as eqx
import jax
import numpy as np

from jaxtrade.errors import SolverInfo, finish
from jaxtrade.models.sunk_cost.aggregate import (
    SimState,
    StochasticSolution,
    draw_shocks,
    initial_state,
    random_key,
    simulation_info,
)
from jaxtrade.models.sunk_cost.constant_rule import FirmPolicy, simulate_constant
from jaxtrade.models.sunk_cost.krusell_smith import LogLinearPolicy, simulate_loglinear
from jaxtrade.models.sunk_cost.params import SunkCostParams
from jaxtrade.models.sunk_cost.types import TypeGrid

__all__ = ["Simulation", "over_economies", "simulate_panel", "simulate_path"]


def simulate_path(p: SunkCostParams, grid: TypeGrid, policy: eqx.Module, state0: SimState, shocks) -> dict:
    """Simulate the economy along a path of joint states ``shocks`` (T,) with market clearing each period.

    Per period: the moments (40) of the current distributions, the entry
    labour of the firms that switch at the end of the period, the period
    equilibrium (balanced-trade w_f, (31)), then the histogram push-forward
    of section 4.5 (item 3). ``policy`` is a :class:`FirmPolicy`
    (state-constant rules, :func:`~jaxtrade.models.sunk_cost.constant_rule.simulate_constant`)
    or a :class:`LogLinearPolicy` (:func:`~jaxtrade.models.sunk_cost.krusell_smith.simulate_loglinear`,
    which adds ``m_next``, ``x_star`` and ``switch_share``). Returns a dict
    of (T, ...) series; lax.scan; vmap over economies.
    """
    if isinstance(policy, LogLinearPolicy):
        return simulate_loglinear(p, grid, policy, state0, shocks)
    if isinstance(policy, FirmPolicy):
        return simulate_constant(p, grid, policy, state0, shocks)
    raise TypeError(f"policy must be a FirmPolicy or a LogLinearPolicy, got {type(policy).__name__}")


class Simulation(eqx.Module):
    """One simulated economy (:func:`simulate_panel`).

    Attributes
    ----------
    series:
        Dict of aggregate series, each (periods - burn, ...): ``state`` (the
        joint state, :data:`~jaxtrade.models.sunk_cost.STATE_NAMES`), ``z``
        (2,), ``w`` and ``w_f`` (wages, home = 1), ``m`` and ``M`` (moments
        (40) of exporters and of all firms), ``K`` (entry labour (29)),
        ``Y``, ``P``, ``Pi``, ``a_d``, ``a_x`` (income, CES indices (16),
        profits (30), profit shifters), ``imports`` and ``domestic``
        (spending on imported and domestic differentiated goods),
        ``exporters`` (mass of exporters), ``converged`` and
        ``root_residual`` (the period's balanced-trade root); with log-linear
        rules also ``m_next``, ``x_star`` and ``switch_share``.
    info:
        :func:`~jaxtrade.models.sunk_cost.simulation_info` of the retained
        periods' balanced-trade roots.
    """

    series: dict
    info: SolverInfo


def simulate_panel(
    params: SunkCostParams, solution: StochasticSolution, key, *, periods: int = 300, burn: int = 0, throw: bool = True
) -> Simulation:
    """Simulate one economy under ``solution``'s policy (the data of section 6.1 and Table 1).

    The economy starts from the steady-state distribution, its first state
    drawn from the stationary law; ``periods`` periods are simulated from
    ``key`` (a ``jax.random`` key or an int seed) and the first ``burn``
    dropped. See the module docstring for why a "panel" is one economy's
    aggregate series.

    Parameters
    ----------
    params, solution:
        The parameters and a :func:`~jaxtrade.models.sunk_cost.solve_stochastic` solution.
    key:
        ``jax.random`` key or int seed of the shock path (:func:`~jaxtrade.models.sunk_cost.draw_shocks`).
    periods, burn:
        Length of the simulation and the periods dropped at its start.
    throw:
        ``True``: a failed balanced-trade root in a retained period raises
        (eagerly, or at run time under ``jit``/``vmap``); ``False``: read ``info``.

    Returns
    -------
    Simulation

    Examples
    --------
    >>> from jaxtrade.models.sunk_cost import ruhl_params, solve_stochastic
    >>> p = ruhl_params(n_phi=20, n_kappa=20)
    >>> sol = solve_stochastic(p, rule="constant", T=60, burn=10, max_outer=1, throw=False)
    >>> sim = simulate_panel(p, sol, 0, periods=50, burn=10)
    >>> sim.series["Y"].shape, bool(sim.info.converged)
    ((40, 2), True)
    """
    if periods - burn < 1 or burn < 0:
        raise ValueError(f"periods must exceed burn >= 0, got periods={periods}, burn={burn}")
    out = _simulate_panel(params, solution, random_key(key), periods, burn)
    return finish(out, throw=throw, what="sunk-cost simulation (balanced-trade roots (31))",
                  extra=lambda _: "some period's w_f root failed")  # fmt: skip


@jax.jit(static_argnames=("periods", "burn"))
def _simulate_panel(params, solution, key, periods, burn) -> Simulation:
    """Jitted body of :func:`simulate_panel` (never raises; ``finish`` applies ``throw``)."""
    shocks = draw_shocks(params, key, periods)
    series = simulate_path(params, solution.steady.grid, solution.policy, initial_state(solution.steady), shocks)
    series = jax.tree_util.tree_map(lambda x: x[burn:], series)
    return Simulation(series=series, info=simulation_info(series["converged"], series["root_residual"]))


def over_economies(one_economy, keys, economies_per_step: int | None = None) -> dict:
    """Run ``one_economy(key)`` for every key, jitted; returns the stacked outputs as NumPy arrays.

    ``economies_per_step`` economies are simulated side by side (vmapped) and
    the groups one after another (``lax.map``). The histograms of one economy
    (2 x n_phi x n_kappa) fit in cache, a vmapped batch of 250 does not: on the
    CPU small groups are about 3x faster (200 x 200 types, 250 economies: 23 s
    in groups of 4 against 67-79 s all at once). ``None`` picks 4 on the CPU
    and all economies at once on an accelerator. Results do not depend on it.
    """
    n = keys.shape[0]
    if economies_per_step is None:
        economies_per_step = 4 if jax.default_backend() == "cpu" else n
    if int(economies_per_step) < 1:
        raise ValueError(f"economies_per_step must be >= 1, got {economies_per_step}")
    k = min(int(economies_per_step), n)
    if k >= n:
        run = jax.jit(jax.vmap(one_economy))
    else:
        run = jax.jit(lambda ks: jax.lax.map(one_economy, ks, batch_size=k))
    return {name: np.asarray(v) for name, v in run(keys).items()}
