"""Tariff removal, section 6.2 and Table 3: steady states at tau = 0.05 and tau = 0.

The implied Armington elasticity is the paper's: the percentage change of
imports relative to domestic consumption divided by the percentage change of
the tariff-inclusive price, 100 * (1 - 1/(1 + tau)) (4.762 % for 5 %); with
the paper's numbers 30.42 / 4.762 = 6.38 and 9.57 / 4.762 = 2.01.
Imports and domestic consumption are real quantities: spending on imports
deflated by the aggregate (common) import price (1 + tau) w_f / z_f and
spending on domestic varieties deflated by w_h / z_h -- the Laspeyres indices
of section 6.1, whose composition is fixed. ``implied_sigma_log`` is the
log version, dlog(M/D) / dlog(1 + tau).
"""

from __future__ import annotations

import numpy as np

from jaxtrade.errors import combine_info
from jaxtrade.models.sunk_cost.calibration import calibrate_home_bias
from jaxtrade.models.sunk_cost.equilibrium import SteadyState, steady_state
from jaxtrade.models.sunk_cost.params import SunkCostParams

__all__ = ["imports_to_domestic", "table3", "tariff_removal"]


def imports_to_domestic(ss: SteadyState, p: SunkCostParams) -> float:
    """Real imports over real domestic consumption of differentiated goods (home)."""
    e = ss.period
    imports = float(e.exports[1]) / ((1.0 + float(p.tau)) * float(e.w[1]))
    domestic = float(p.gamma * e.Y[0] * (1.0 - e.import_share[0]))
    return imports / domestic


def tariff_removal(p: SunkCostParams, tau_after: float = 0.0, *, throw: bool = True) -> dict:
    """Steady states at ``p.tau`` and ``tau_after``; the Table 3 statistics.

    Returns percentage changes of exports (value, home wage numeraire), of
    real imports over real domestic consumption, the change of the share of
    exporting plants in percentage points and in percent, the implied sigma
    (paper's percentage formula and log form), both steady states and
    ``info`` (both steady states' verdicts folded). ``throw`` is passed to
    :func:`~jaxtrade.models.sunk_cost.steady_state`.

    Examples
    --------
    >>> from jaxtrade.models.sunk_cost import ruhl_params
    >>> r = tariff_removal(ruhl_params(n_phi=20, n_kappa=20))
    >>> bool(r["info"].converged), r["exports_pct"] > 0
    (True, True)
    """
    if tau_after < 0.0 or tau_after >= float(p.tau):
        raise ValueError(
            f"tau_after must satisfy 0 <= tau_after < tau (a tariff cut), got tau_after={tau_after}, tau={float(p.tau)}"
        )
    before = steady_state(p, throw=throw)
    q = p.replace(tau=tau_after)
    after = steady_state(q, throw=throw)
    md0, md1 = imports_to_domestic(before, p), imports_to_domestic(after, q)
    dprice_pct = 100.0 * (1.0 - (1.0 + tau_after) / (1.0 + float(p.tau)))
    dmd_pct = 100.0 * (md1 / md0 - 1.0)
    x0, x1 = float(before.exporter_share), float(after.exporter_share)
    return {
        "exports_pct": 100.0 * (float(after.period.exports[0]) / float(before.period.exports[0]) - 1.0),
        "imports_to_domestic_pct": dmd_pct,
        "exporting_plants_pp": 100.0 * (x1 - x0),
        "exporting_plants_pct": 100.0 * (x1 / x0 - 1.0) if x0 > 0 else 0.0,
        "implied_sigma": dmd_pct / dprice_pct,
        "implied_sigma_log": float(np.log(md1 / md0) / np.log((1.0 + float(p.tau)) / (1.0 + tau_after))),
        "trade_output_before": float(before.trade_output),
        "trade_output_after": float(after.trade_output),
        "exporter_share_before": x0,
        "exporter_share_after": x1,
        "before": before,
        "after": after,
        "info": combine_info(before.info, after.info),
    }


def table3(p: SunkCostParams, *, throw: bool = True) -> dict:
    """Table 3: the entry-cost model ``p`` and the model without entry costs (section 6.2).

    The no-entry-cost model keeps every parameter of ``p`` but sets all entry
    costs to zero (all firms export) and picks the home bias omega of eq. (4)
    so that trade/output is 0.091 at the 5 % tariff
    (:func:`~jaxtrade.models.sunk_cost.calibrate_home_bias`). Returns
    ``{"entry_costs": ..., "no_entry_costs": ...}``, each a
    :func:`tariff_removal` result, and ``info`` (all four steady states).
    """
    with_costs = tariff_removal(p, throw=throw)
    no_costs = tariff_removal(calibrate_home_bias(p), throw=throw)
    return {"entry_costs": with_costs, "no_entry_costs": no_costs,
            "info": combine_info(with_costs["info"], no_costs["info"])}  # fmt: skip
