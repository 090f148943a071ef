"""Calibration: the labour endowment, the home bias of the no-entry-cost model and the data targets.

The paper calibrates (theta_phi, phi_bar, zeta, xi, kappa_bar) jointly to the
trade/output ratio and the employment-size distributions of all and of
exporting establishments (Table 2). It does not report the labour endowment
L, which sets the size of profits relative to the entry costs. jaxtrade keeps
the paper's five parameters and chooses L so that the deterministic steady
state has trade/output 0.091 (:func:`calibrate_labor`); the size bins are
then an out-of-sample check (:func:`jaxtrade.models.sunk_cost.size_distribution`).
The shock parameters epsilon and lambda target the business-cycle moments of
Table 1 (:data:`TABLE1_DATA`, :func:`jaxtrade.models.sunk_cost.shocks_for_targets`).
"""

from __future__ import annotations

import numpy as np

from jaxtrade.errors import ConvergenceError, finish, solver_info
from jaxtrade.models.sunk_cost.equilibrium import steady_state
from jaxtrade.models.sunk_cost.params import TRADE_OUTPUT_TARGET, SunkCostParams, home_bias_for_trade_output

__all__ = [
    "ALL_BINS",
    "ALL_DATA",
    "EXPORTER_BINS",
    "EXPORTER_DATA",
    "TABLE1_DATA",
    "TRADE_OUTPUT_TARGET",
    "calibrate_home_bias",
    "calibrate_labor",
]

#: Table 2 employee-size bins (lower edges; the last bin is open) and the data shares
ALL_BINS = (1.0, 21.0, 51.0, 101.0, 251.0, 501.0, 1001.0)
ALL_DATA = (0.657, 0.162, 0.080, 0.085, 0.022, 0.009, 0.005)
EXPORTER_BINS = (1.0, 101.0, 501.0)
EXPORTER_DATA = (0.771, 0.182, 0.047)
#: Table 1: the targets of epsilon and lambda (annual U.S. data, 1950-2000, log, linearly detrended)
TABLE1_DATA = {"sd_log_output": 0.036, "autocorr_log_output": 0.793}


def calibrate_labor(p: SunkCostParams, target: float = TRADE_OUTPUT_TARGET, *, tol: float = 1e-10,
                    max_iter: int = 200) -> SunkCostParams:  # fmt: skip
    """Return ``p`` with L chosen so that steady-state trade/output equals ``target`` (Table 2).

    Bisection in log L (trade/output increases with L: bigger markets make
    exporting worth its entry cost for more firms). On a finite grid
    trade/output is a step function of L, so the result is the crossing
    point, and the attained ratio differs from the target by at most one
    type's step. Raises ``ValueError`` for a target outside (0, 1) and
    :class:`~jaxtrade.errors.ConvergenceError` if the bracket [1e-3, 1e4]
    does not contain the target.
    """
    if not 0.0 < target < 1.0:
        raise ValueError(f"target must satisfy 0 < target < 1 (trade/output ratio), got {target}")
    if not p.entry_costs:
        raise ValueError(
            "entry_costs must be True: L does not move trade/output without entry costs (use calibrate_home_bias)"
        )

    def ratio(logL):
        return float(steady_state(p.replace(L=float(np.exp(logL))), throw=True).trade_output)

    lo, hi = np.log(1e-3), np.log(1e4)
    r_lo, r_hi = ratio(lo), ratio(hi)
    if not (r_lo < target < r_hi):
        gap = min(abs(r_lo - target), abs(r_hi - target))
        raise ConvergenceError(
            "calibrate_labor bracket",
            0,
            gap,
            reason="no starting bracket exists",
            extra=f"trade/output {r_lo} at L=1e-3 and {r_hi} at L=1e4 do not bracket {target}",
        )
    it = 0
    while hi - lo > tol and it < max_iter:
        mid = 0.5 * (lo + hi)
        if ratio(mid) < target:
            lo = mid
        else:
            hi = mid
        it += 1
    return p.replace(L=float(np.exp(hi)))


def calibrate_home_bias(p: SunkCostParams, target: float = TRADE_OUTPUT_TARGET) -> SunkCostParams:
    """The model without entry costs (section 6.2): omega with trade/output = ``target`` at p.tau.

    Every firm exports and the countries are symmetric, so omega follows in
    closed form (:func:`~jaxtrade.models.sunk_cost.home_bias_for_trade_output`);
    it is checked against the steady state (a
    :class:`~jaxtrade.errors.ConvergenceError` if they differ by more than 1e-9).
    """
    omega = home_bias_for_trade_output(float(p.sigma), float(p.tau), target)
    q = p.replace(omega=omega, entry_costs=False)
    got = float(steady_state(q).trade_output)
    finish(solver_info(1, abs(got - target), 1e-9), throw=True, tol=1e-9,
           what="calibrate_home_bias (closed-form omega against the steady state)")  # fmt: skip
    return q
