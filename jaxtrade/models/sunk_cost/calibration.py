"""Calibration helpers: the labour endowment, home bias and the Table 2 size bins.

The paper calibrates (theta_phi, phi_bar, zeta, xi, kappa_bar) jointly to the
trade/output ratio and the employment-size distributions of all and of
exporting establishments (Table 2). It does not report the labour endowment
L, which sets the size of profits relative to the entry costs. jaxtrade keeps
the paper's five parameters and chooses L so that the deterministic steady
state has trade/output 0.091 (:func:`calibrate_labor`); the size bins are
then an out-of-sample check (:func:`size_distribution`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxtrade.errors import ConvergenceError
from jaxtrade.models.sunk_cost.equilibrium import SteadyState, steady_state
from jaxtrade.models.sunk_cost.params import SunkCostParams

#: Table 2 employee-size bins (lower edges; the last bin is open) and the data shares
ALL_BINS = (1.0, 21.0, 51.0, 101.0, 251.0, 501.0, 1001.0)
ALL_DATA = (0.657, 0.162, 0.080, 0.085, 0.022, 0.009, 0.005)
ALL_MODEL_PAPER = (0.645, 0.172, 0.078, 0.062, 0.029, 0.011, 0.003)
EXPORTER_BINS = (1.0, 101.0, 501.0)
EXPORTER_DATA = (0.771, 0.182, 0.047)
EXPORTER_MODEL_PAPER = (0.771, 0.182, 0.047)
TRADE_OUTPUT_TARGET = 0.091


def calibrate_labor(p: SunkCostParams, target: float = TRADE_OUTPUT_TARGET, *, tol: float = 1e-10, max_iter: int = 200) -> SunkCostParams:
    """Return ``p`` with L chosen so that steady-state trade/output equals ``target``.

    Bisection in log L (trade/output increases with L: bigger markets make
    exporting worth its entry cost for more firms). On a finite grid
    trade/output is a step function of L, so the result is the crossing
    point, and the attained ratio differs from the target by at most one
    type's step. Raises ``ValueError`` for a target outside (0, 1) and
    :class:`ConvergenceError` if the bracket does not contain the target.
    """
    if not 0.0 < target < 1.0:
        raise ValueError(f"target must satisfy 0 < target < 1 (trade/output ratio), got {target}")
    if not p.entry_costs:
        raise ValueError("entry_costs must be True: L does not move trade/output without entry costs (use calibrate_home_bias)")

    def ratio(logL):
        return float(steady_state(p.replace(L=float(np.exp(logL))), throw=True).trade_output)

    lo, hi = np.log(1e-3), np.log(1e4)
    r_lo, r_hi = ratio(lo), ratio(hi)
    if not (r_lo < target < r_hi):
        raise ConvergenceError("calibrate_labor bracket", 0, min(abs(r_lo - target), abs(r_hi - target)),
                               extra=f"trade/output {r_lo} at L=1e-3 and {r_hi} at L=1e4 do not bracket {target}")
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

    Every firm exports and the countries are symmetric, so the import share
    is x / (1 + x) with x = ((1 - omega)/omega)^sigma (1 + tau)^(1 - sigma);
    solved in closed form for omega and checked against the steady state.
    """
    if not 0.0 < target < 1.0:
        raise ValueError(f"target must satisfy 0 < target < 1 (trade/output ratio), got {target}")
    s = float(p.sigma)
    x = target / (1.0 - target)
    r = (x * (1.0 + float(p.tau)) ** (s - 1.0)) ** (1.0 / s)  # (1-omega)/omega
    q = p.replace(omega=1.0 / (1.0 + r))
    q = SunkCostParams(**{**{k: getattr(q, k) for k in q.__dataclass_fields__}, "entry_costs": False})
    got = float(steady_state(q).trade_output)
    if abs(got - target) > 1e-9:
        raise ConvergenceError("calibrate_home_bias", 1, abs(got - target), tol=1e-9)
    return q


def employment(ss: SteadyState, p: SunkCostParams) -> tuple[jax.Array, jax.Array]:
    """Production employment of every type, l = rho * revenue / w, and whether it exports.

    Returns (l_domestic_only, l_exporter), each (I,), for a firm of each phi:
    revenue is sigma phi^(sigma-1) (a_d + d a_x) (labour includes the iceberg
    units shipped).
    """
    th = p.sigma - 1.0
    phith = ss.grid.phi**th
    eq = ss.period
    l_d = p.rho * p.sigma * phith * eq.a_d[0]
    l_x = p.rho * p.sigma * phith * (eq.a_d[0] + eq.a_x[0])
    return l_d, l_x


def _bin_shares(sizes, weights, edges):
    edges = np.asarray(edges)
    idx = np.searchsorted(edges, sizes, side="right") - 1
    idx = np.clip(idx, 0, len(edges) - 1)
    out = np.zeros(len(edges))
    np.add.at(out, idx, weights)
    return out / out.sum()


def size_distribution(ss: SteadyState, p: SunkCostParams, employees_per_unit: float | None = None) -> dict:
    """Employment-size shares of all and of exporting establishments (Table 2, Figs. 8-9).

    Model labour units are mapped to employees by one scale factor
    (``employees_per_unit``); when None it is chosen to minimise the SSE of
    the seven all-establishment bins (a grid search in logs), and the three
    exporter bins are an out-of-sample check. Returns the shares, the SSEs
    and the scale.
    """
    l_d, l_x = (np.asarray(a) for a in employment(ss, p))
    mu_x = np.asarray(ss.mu_x).sum(axis=1)
    mu_d = np.asarray(ss.mu_d).sum(axis=1)
    sizes = np.concatenate([l_d, l_x])
    w_all = np.concatenate([mu_d, mu_x])

    def shares(scale):
        a = _bin_shares(sizes * scale, w_all, ALL_BINS)
        x = _bin_shares(l_x * scale, mu_x, EXPORTER_BINS) if mu_x.sum() > 0 else np.zeros(len(EXPORTER_BINS))
        return a, x

    if employees_per_unit is None:
        cands = np.exp(np.linspace(np.log(1e-2), np.log(1e6), 4001))
        sse = [np.sum((shares(c)[0] - np.asarray(ALL_DATA)) ** 2) for c in cands]
        employees_per_unit = float(cands[int(np.argmin(sse))])
    a, x = shares(employees_per_unit)
    return {
        "employees_per_unit": employees_per_unit,
        "all": a, "exporters": x,
        "sse_all": float(np.sum((a - np.asarray(ALL_DATA)) ** 2)),
        "sse_exporters": float(np.sum((x - np.asarray(EXPORTER_DATA)) ** 2)),
    }  # fmt: skip
