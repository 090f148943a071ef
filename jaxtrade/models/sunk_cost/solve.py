"""The public solves of the sunk-cost model (Ruhl 2008), each taking ``throw``.

* :func:`period_equilibrium`: one period's market clearing given the
  distributions (balanced trade (31)); defined in
  :mod:`~jaxtrade.models.sunk_cost.equilibrium`.
* :func:`steady_state`: the deterministic steady state (section 4.5); defined
  in :mod:`~jaxtrade.models.sunk_cost.equilibrium`.
* :func:`solve_stochastic`: the model with aggregate shocks (section 5,
  Appendix 1), dispatching to the forecasting rule's module:
  :func:`~jaxtrade.models.sunk_cost.krusell_smith.solve_loglinear` (the
  paper's log-linear rules, default) or
  :func:`~jaxtrade.models.sunk_cost.constant_rule.solve_constant`
  (state-specific constants).

The rule modules import the steady state and the shared aggregate code
(:mod:`~jaxtrade.models.sunk_cost.aggregate`), never this module: the
dispatch runs one way only.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

from jaxtrade.models.sunk_cost.aggregate import StochasticSolution
from jaxtrade.models.sunk_cost.constant_rule import solve_constant
from jaxtrade.models.sunk_cost.equilibrium import period_equilibrium as period_equilibrium
from jaxtrade.models.sunk_cost.equilibrium import steady_state as steady_state
from jaxtrade.models.sunk_cost.krusell_smith import KSOptions, solve_loglinear
from jaxtrade.models.sunk_cost.options import ForecastRule, check_option
from jaxtrade.models.sunk_cost.params import SunkCostParams

__all__ = ["DEFAULT_DAMPING", "LOGLINEAR_OPTIONS", "period_equilibrium", "solve_stochastic", "steady_state"]

#: the keywords of :func:`solve_stochastic` that only the log-linear rules take
LOGLINEAR_OPTIONS = tuple(f.name for f in dataclasses.fields(KSOptions)) + ("coef0", "verbose", "progress")

#: each rule's default update weight (read from the rule solvers' signatures: 0.2 log-linear, 0.5 constant)
DEFAULT_DAMPING: dict[str, float] = {
    "loglinear": inspect.signature(solve_loglinear).parameters["damping"].default,
    "constant": inspect.signature(solve_constant).parameters["damping"].default,
}


def solve_stochastic(
    p: SunkCostParams,
    *,
    rule: ForecastRule = "loglinear",
    T: int = 3000,
    burn: int = 500,
    seed: int = 0,
    tol: float = 1e-5,
    max_outer: int = 100,
    damping: float | None = None,
    throw: bool = True,
    **loglinear_options,
) -> StochasticSolution:
    """Solve the model with aggregate shocks: forecasting rules, firms' policy and their fixed point (Appendix 1).

    Parameters
    ----------
    p:
        Parameters.
    rule:
        ``"loglinear"`` (default): the paper's log-linear rules in
        (log m, log m*) per aggregate state, the Krusell-Smith loop of
        :func:`~jaxtrade.models.sunk_cost.krusell_smith.solve_loglinear`.
        ``"constant"``: state-specific constants,
        :func:`~jaxtrade.models.sunk_cost.constant_rule.solve_constant`.
    T, burn, seed:
        Periods simulated per iteration, periods dropped before the update,
        seed of the shock path (common random numbers across iterations).
    tol, max_outer:
        The loop stops when the largest change of the rules is below ``tol``
        (1e-5 in the paper), or after ``max_outer`` iterations.
    damping:
        Weight of the new rules in each update; None takes the rule's default
        (:data:`DEFAULT_DAMPING`: 0.2 log-linear, 0.5 constant).
    throw:
        ``True``: a loop that does not converge raises
        :class:`~jaxtrade.errors.ConvergenceError`; ``False``: read ``info``.
    **loglinear_options:
        ``rule="loglinear"`` only: the fields of
        :class:`~jaxtrade.models.sunk_cost.krusell_smith.KSOptions`
        (``export_rule``, ``n_m``, ``n_x``, ``grid_margin``, ``n_regrid``,
        ``symmetric``), ``coef0``, ``verbose`` and ``progress`` (:data:`LOGLINEAR_OPTIONS`).

    Returns
    -------
    StochasticSolution

    Examples
    --------
    >>> from jaxtrade.models.sunk_cost import ruhl_params
    >>> p = ruhl_params(n_phi=20, n_kappa=20)
    >>> sol = solve_stochastic(p, T=60, burn=10, n_m=2, n_x=50, max_outer=1, throw=False)
    >>> sol.rule, sol.ks.coef.shape, int(sol.info.iterations)
    ('loglinear', (8, 4, 3), 1)
    """
    check_option("rule", rule, ForecastRule)
    unknown = sorted(set(loglinear_options) - set(LOGLINEAR_OPTIONS))
    if unknown:
        raise ValueError(f"unknown options {unknown}; the log-linear rules take {list(LOGLINEAR_OPTIONS)}")
    loop: dict[str, Any] = {"T": T, "burn": burn, "seed": seed, "tol": tol, "max_outer": max_outer, "throw": throw}
    if damping is not None:
        loop["damping"] = damping
    if rule == "constant":
        if loglinear_options:
            raise ValueError(f"options {sorted(loglinear_options)} apply only to rule='loglinear'")
        return solve_constant(p, **loop)
    extra = {k: loglinear_options.pop(k) for k in ("coef0", "verbose", "progress") if k in loglinear_options}
    return solve_loglinear(p, options=KSOptions(**loglinear_options), **extra, **loop)
