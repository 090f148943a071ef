"""Time-series experiment of section 6.1: Laspeyres (36) and CES (39) indices, regression (37).

Prices of all varieties of one origin move together: a foreign variety
costs (1 + tau) w_f / (rho z_f phi) at home. Hence

* the Laspeyres import index (36) over the base-year basket is
  (w_f,t / z_f,t) / (w_f,0 / z_f,0) -- its composition component is constant
  (the paper: "the Laspeyres index ... tracks w_f / z_f"); the domestic one
  is z_h,0 / z_h,t;
* the CES import index (39) is (w_f,t / z_f,t) (m_f,t / m_f,0)^(-1/(sigma-1)),
  with m_f the exporter moment (40); the domestic one uses the moment of all
  home firms.

Real imports and domestic consumption are spending deflated by the indices,
and regression (37), dlog(C_f / C_h) = alpha + sigma dlog(P_h / P_f) + e, is
fitted per economy by closed-form OLS (vmapped; no LAPACK). With CES indices
it returns the true elasticity exactly; with Laspeyres indices the changing
set of imported varieties is missed and the estimate is biased.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxtrade.models.sunk_cost.params import SunkCostParams
from jaxtrade.models.sunk_cost.stochastic import StochasticSolution, draw_shocks, initial_state, simulate

PAPER_TIME_SERIES = {"mean_sigma": 1.21, "mean_r2": 0.56, "laspeyres_ces_corr": 0.53}


def ols(y, x):
    """Slope, intercept and R^2 of y = a + b x by the closed-form normal equations (vmap-safe)."""
    xm, ym = x - x.mean(), y - y.mean()
    sxx = jnp.sum(xm * xm)
    b = jnp.sum(xm * ym) / sxx
    a = y.mean() - b * x.mean()
    resid = ym - b * xm
    r2 = 1.0 - jnp.sum(resid**2) / jnp.sum(ym**2)
    return b, a, r2


def price_indices(p: SunkCostParams, series: dict, base: int) -> dict:
    """Laspeyres (36) and CES (39) import and domestic indices (home), normalised to 1 at ``base``."""
    th = p.sigma - 1.0
    z_h, z_f = series["z"][..., 0], series["z"][..., 1]
    agg_f = series["w_f"] / z_f
    agg_h = 1.0 / z_h
    las_f, las_h = agg_f, agg_h
    ces_f = agg_f * series["m"][..., 1] ** (-1.0 / th)
    ces_h = agg_h * series["M"][..., 0] ** (-1.0 / th)
    norm = lambda x: x / x[..., base : base + 1]
    return {"laspeyres_f": norm(las_f), "laspeyres_h": norm(las_h), "ces_f": norm(ces_f), "ces_h": norm(ces_h)}


def armington_regression(imports, domestic, P_f, P_h):
    """Regression (37) on one economy's series: returns (sigma, alpha, R^2)."""
    y = jnp.diff(jnp.log(imports / P_f) - jnp.log(domestic / P_h))
    x = jnp.diff(jnp.log(P_h / P_f))
    return ols(y, x)


def _one_economy(p, sol, key, T, burn):
    shocks = draw_shocks(p, key, T)
    series = simulate(p, sol.steady.grid, sol.policy, initial_state(sol.steady), shocks)
    series = jax.tree_util.tree_map(lambda x: x[burn:], series)
    idx = price_indices(p, series, 0)
    imp, dom = series["imports"][:, 0], series["domestic"][:, 0]
    s_l, a_l, r2_l = armington_regression(imp, dom, idx["laspeyres_f"], idx["laspeyres_h"])
    s_c, a_c, r2_c = armington_regression(imp, dom, idx["ces_f"], idx["ces_h"])
    corr = jnp.corrcoef(idx["laspeyres_f"], idx["ces_f"])[0, 1]
    return {
        "sigma_laspeyres": s_l, "alpha_laspeyres": a_l, "r2_laspeyres": r2_l,
        "sigma_ces": s_c, "alpha_ces": a_c, "r2_ces": r2_c, "corr": corr,
        "laspeyres_f": idx["laspeyres_f"], "ces_f": idx["ces_f"], "all_converged": jnp.all(series["converged"]),
        "log_output": jnp.log(series["Y"][:, 0] / idx["ces_h"]),
        "std_dlog_m_f": jnp.std(jnp.diff(jnp.log(series["m"][:, 1]))),
        "std_dlog_relative_price": jnp.std(jnp.diff(jnp.log(idx["laspeyres_h"] / idx["laspeyres_f"]))),
    }  # fmt: skip


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


def time_series_experiment(p: SunkCostParams, sol: StochasticSolution, *, n_economies: int = 250, T: int = 300,
                           burn: int = 50, seed: int = 1, economies_per_step: int | None = None) -> dict:  # fmt: skip
    """250 economies x 300 periods (vmapped in groups, see :func:`over_economies`); drop ``burn`` periods, base year burn + 1.

    Returns per-economy estimates (arrays), their means, the index paths
    of economy 0 (Figure 11), and the mean standard deviations of the
    changes in the foreign exporter moment, log m_f (the composition effect
    the Laspeyres index misses), and in the Laspeyres relative price.
    ``sol`` may come from either forecasting rule (``simulate`` dispatches
    on the policy). Raises ``ValueError`` for T <= burn + 2.
    """
    if T <= burn + 2:
        raise ValueError(f"T must exceed burn + 2 to leave a regression sample, got T={T}, burn={burn}")
    if n_economies < 1:
        raise ValueError(f"n_economies must be >= 1, got {n_economies}")
    keys = jax.random.split(jax.random.PRNGKey(seed), n_economies)
    out = over_economies(lambda k: _one_economy(p, sol, k, T, burn), keys, economies_per_step)
    if not out["all_converged"].all():
        from jaxtrade.errors import ConvergenceError

        raise ConvergenceError("time-series balanced-trade roots", T, np.nan, extra="some period's w_f root failed")
    return {
        "sigma": out["sigma_laspeyres"], "r2": out["r2_laspeyres"], "alpha": out["alpha_laspeyres"],
        "sigma_ces": out["sigma_ces"], "r2_ces": out["r2_ces"], "corr": out["corr"],
        "mean_sigma": float(out["sigma_laspeyres"].mean()), "mean_r2": float(out["r2_laspeyres"].mean()),
        "mean_alpha": float(out["alpha_laspeyres"].mean()), "mean_corr": float(np.nanmean(out["corr"])),
        "mean_sigma_ces": float(out["sigma_ces"].mean()),
        "laspeyres_f_example": out["laspeyres_f"][0], "ces_f_example": out["ces_f"][0],
        "corr_example": float(out["corr"][0]),
        "mean_std_dlog_m_f": float(out["std_dlog_m_f"].mean()),
        "mean_std_dlog_relative_price": float(out["std_dlog_relative_price"].mean()),
    }  # fmt: skip
