"""Statistics of simulated economies and of the steady state (sections 6.1, 5 and Tables 1-2).

* **Table 2**, size distribution: :func:`employment`, :func:`size_distribution`.
* **Section 6.1**, the time-series experiment: Laspeyres (36) and CES (39)
  indices (:func:`price_indices`), regression (37) (:func:`armington_regression`,
  closed-form OLS, :func:`jaxtrade.numerics.ols.simple_ols`) on 250 simulated
  economies (:func:`time_series_experiment`).
* **Table 1**, business-cycle moments: :func:`output_moments` and its closed
  forms; see below.

Business-cycle moments, Table 1: volatility and persistence of log output.
Section 5 calibrates the two shock parameters, epsilon (aggregate
productivity 1 +/- epsilon) and lambda (the persistence of the symmetric
chain (35)), "so that the volatility and persistence of the logged output in
the model match those in the U.S. data": the standard deviation of log
output, 0.036, and its one-period autocorrelation, 0.793 (Table 1; the text
rounds it to 0.79), both "for logged, linearly detrended, annual U.S. data
from 1950-2000". The paper does not say which model series it uses, nor
whether it detrends the model's series. Choices made here (documented in
``docs/models/sunk_cost.md``):

* **Output** is real income of the home country, Y_h / P_C,h. Y = w L + Pi
  is nominal income (value added: wages plus profits net of export entry
  costs, eqs. (20), (30)); with balanced trade (31) and no borrowing it
  equals consumption spending. P_C is the consumer price index implied by
  the Cobb-Douglas utility (13): P_C = (P / gamma)^gamma (p_q / (1 - gamma))^(1 - gamma),
  with P the CES index (16) of the differentiated composite and
  p_q = w / z the price of the non-traded good from (28). So Y / P_C is
  the utility-consistent real output (real GDP measured as real
  consumption; the trade-balance term is zero). ``measure="composite"``
  gives instead real consumption of differentiated goods, C_h = gamma Y_h / P_h of
  (14) (the manufacturing composite).
* **Filtering**: like the data, each simulated economy's log output is
  linearly detrended by OLS on a time trend over the retained periods
  (``detrend="linear"``, default); the model has no trend, so this only
  mirrors the data's finite-sample treatment. ``detrend="mean"`` only
  demeans (log levels).
* **Statistics** per economy: the standard deviation of the detrended
  series x (divisor T, ``ddof=0``) and the first-order sample
  autocorrelation sum_t x_t x_(t-1) / sum_t x_t^2 (the usual ACF estimator);
  Table 1's figures are their means over economies.

Closed forms. A two-valued symmetric chain with persistence lambda has
autocorrelation 2 lambda - 1 at lag one; log z_h takes the values
log(1 +/- epsilon), so its standard deviation is atanh(epsilon). More
generally, when log output is a function f(s) of the joint aggregate state
s alone (the model without entry costs, where the firm distribution is
constant; or the entry-cost model with the distribution frozen at the
steady state), its population moments follow from the 4 x 4 chain
kron(Lambda, Lambda) and its stationary law pi:
var = sum_s pi_s (f_s - fbar)^2, autocov = sum_(s,s') pi_s Lam(s,s') (f_s - fbar)(f_s' - fbar)
(:func:`markov_moments`, :func:`frozen_distribution_moments`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxtrade.errors import finish
from jaxtrade.models.sunk_cost.aggregate import (
    StochasticSolution,
    productivity_states,
    simulation_info,
    transition_matrix,
)
from jaxtrade.models.sunk_cost.calibration import ALL_BINS, ALL_DATA, EXPORTER_BINS, EXPORTER_DATA, TABLE1_DATA
from jaxtrade.models.sunk_cost.equilibrium import SteadyState, period_equilibrium
from jaxtrade.models.sunk_cost.options import Detrend, OutputMeasure, check_option
from jaxtrade.models.sunk_cost.params import SunkCostParams
from jaxtrade.models.sunk_cost.simulate import over_economies, simulate_panel
from jaxtrade.numerics.markov import stationary_distribution_markov
from jaxtrade.numerics.ols import simple_ols

__all__ = [
    "armington_regression",
    "detrend_series",
    "employment",
    "frozen_distribution_moments",
    "log_real_output",
    "markov_moments",
    "output_moments",
    "price_indices",
    "productivity_moments",
    "sd_autocorr",
    "shocks_for_targets",
    "size_distribution",
    "time_series_experiment",
]


def _root_failed(_) -> str:
    return "some period's w_f root failed"


# ================================================================ Table 2: size distribution


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

    Examples
    --------
    >>> from jaxtrade.models.sunk_cost import ruhl_params, steady_state
    >>> p = ruhl_params(n_phi=20, n_kappa=20)
    >>> d = size_distribution(steady_state(p), p)
    >>> round(float(d["all"].sum()), 12), len(d["exporters"])
    (1.0, 3)
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


# ================================================================ section 6.1: time-series experiment


def price_indices(p: SunkCostParams, series: dict, base: int) -> dict:
    """Laspeyres (36) and CES (39) import and domestic indices (home), normalised to 1 at ``base``."""
    th = p.sigma - 1.0
    z_h, z_f = series["z"][..., 0], series["z"][..., 1]
    agg_f = series["w_f"] / z_f
    agg_h = 1.0 / z_h
    las_f, las_h = agg_f, agg_h
    ces_f = agg_f * series["m"][..., 1] ** (-1.0 / th)
    ces_h = agg_h * series["M"][..., 0] ** (-1.0 / th)
    norm = lambda x: x / x[..., base : base + 1]  # noqa: E731
    return {"laspeyres_f": norm(las_f), "laspeyres_h": norm(las_h), "ces_f": norm(ces_f), "ces_h": norm(ces_h)}


def armington_regression(imports, domestic, P_f, P_h):
    """Regression (37) on one economy's series: returns (sigma, alpha, R^2).

    dlog(C_f / C_h) = alpha + sigma dlog(P_h / P_f) + e with real quantities
    C = spending / index, by :func:`jaxtrade.numerics.ols.simple_ols`.
    """
    y = jnp.diff(jnp.log(imports / P_f) - jnp.log(domestic / P_h))
    x = jnp.diff(jnp.log(P_h / P_f))
    return simple_ols(y, x)


def _time_series_economy(p, sol, key, T, burn):
    series = simulate_panel(p, sol, key, periods=T, burn=burn, throw=False).series
    idx = price_indices(p, series, 0)
    imp, dom = series["imports"][:, 0], series["domestic"][:, 0]
    s_l, a_l, r2_l = armington_regression(imp, dom, idx["laspeyres_f"], idx["laspeyres_h"])
    s_c, a_c, r2_c = armington_regression(imp, dom, idx["ces_f"], idx["ces_h"])
    corr = jnp.corrcoef(idx["laspeyres_f"], idx["ces_f"])[0, 1]
    return {
        "sigma_laspeyres": s_l, "alpha_laspeyres": a_l, "r2_laspeyres": r2_l,
        "sigma_ces": s_c, "alpha_ces": a_c, "r2_ces": r2_c, "corr": corr,
        "laspeyres_f": idx["laspeyres_f"], "ces_f": idx["ces_f"],
        "converged": series["converged"], "root_residual": series["root_residual"],
        "log_output": jnp.log(series["Y"][:, 0] / idx["ces_h"]),
        "std_dlog_m_f": jnp.std(jnp.diff(jnp.log(series["m"][:, 1]))),
        "std_dlog_relative_price": jnp.std(jnp.diff(jnp.log(idx["laspeyres_h"] / idx["laspeyres_f"]))),
    }  # fmt: skip


def time_series_experiment(p: SunkCostParams, sol: StochasticSolution, *, n_economies: int = 250, T: int = 300,
                           burn: int = 50, seed: int = 1, economies_per_step: int | None = None,
                           throw: bool = True) -> dict:  # fmt: skip
    """Section 6.1: regression (37) with Laspeyres (36) and CES (39) indices on simulated economies.

    Prices of all varieties of one origin move together: a foreign variety
    costs (1 + tau) w_f / (rho z_f phi) at home. Hence the Laspeyres import
    index over the base-year basket is (w_f,t / z_f,t) / (w_f,0 / z_f,0) --
    its composition component is constant (the paper: "the Laspeyres index
    ... tracks w_f / z_f"); the domestic one is z_h,0 / z_h,t. The CES import
    index is (w_f,t / z_f,t) (m_f,t / m_f,0)^(-1/(sigma-1)), with m_f the
    exporter moment (40); the domestic one uses the moment of all home firms.
    With CES indices the regression returns the true elasticity exactly; with
    Laspeyres indices the changing set of imported varieties is missed.

    ``n_economies`` economies of ``T`` periods (:func:`~jaxtrade.models.sunk_cost.simulate_panel`
    with keys ``jax.random.split(PRNGKey(seed), n_economies)``, in vmapped
    groups of ``economies_per_step``, :func:`~jaxtrade.models.sunk_cost.over_economies`);
    the first ``burn`` periods dropped, base year burn + 1. ``sol`` may come
    from either forecasting rule.

    Returns
    -------
    dict
        Per-economy estimates (arrays), their means, the index paths of
        economy 0 (Figure 11), the mean standard deviations of the changes in
        the foreign exporter moment log m_f (the composition effect the
        Laspeyres index misses) and in the Laspeyres relative price, and
        ``info`` (:func:`~jaxtrade.models.sunk_cost.simulation_info` of every
        period's balanced-trade root; ``throw=True`` raises if one failed).
        Raises ``ValueError`` for T <= burn + 2.
    """
    if T <= burn + 2:
        raise ValueError(f"T must exceed burn + 2 to leave a regression sample, got T={T}, burn={burn}")
    if n_economies < 1:
        raise ValueError(f"n_economies must be >= 1, got {n_economies}")
    keys = jax.random.split(jax.random.PRNGKey(seed), n_economies)
    out = over_economies(lambda k: _time_series_economy(p, sol, k, T, burn), keys, economies_per_step)
    info = finish(
        simulation_info(out["converged"], out["root_residual"]),
        throw=throw,
        what="time-series experiment (balanced-trade roots (31))",
        extra=_root_failed,
    )
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
        "info": info,
    }  # fmt: skip


# ================================================================ Table 1: business-cycle moments


def detrend_series(x, detrend: Detrend = "linear") -> jax.Array:
    """Residuals of x (..., T) after OLS on a constant and a linear time trend (or the mean only)."""
    check_option("detrend", detrend, Detrend)
    x = jnp.asarray(x, dtype=float)
    xm = x - x.mean(axis=-1, keepdims=True)
    if detrend == "mean":
        return xm
    t = jnp.arange(x.shape[-1], dtype=x.dtype)
    tm = t - t.mean()
    slope = jnp.sum(xm * tm, axis=-1, keepdims=True) / jnp.sum(tm * tm)
    return xm - slope * tm


def sd_autocorr(x, detrend: Detrend = "linear") -> tuple[jax.Array, jax.Array]:
    """Standard deviation (ddof 0) and lag-one autocorrelation of x (..., T) after ``detrend``.

    The autocorrelation is sum_(t>=2) x_t x_(t-1) / sum_t x_t^2 of the
    detrended series. Vectorised over leading axes; jit/vmap safe.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> sd, ac = sd_autocorr(jnp.array([1.0, -1.0, 1.0, -1.0]), detrend="mean")
    >>> float(sd), float(ac)
    (1.0, -0.75)
    """
    x = jnp.asarray(x, dtype=float)
    if x.shape[-1] < 3:
        raise ValueError(f"x must have at least 3 periods on its last axis, got {x.shape[-1]}")
    r = detrend_series(x, detrend)
    ss = jnp.sum(r * r, axis=-1)
    sd = jnp.sqrt(ss / r.shape[-1])
    ac = jnp.sum(r[..., 1:] * r[..., :-1], axis=-1) / ss
    return sd, ac


def log_real_output(p: SunkCostParams, series: dict, measure: OutputMeasure = "income") -> jax.Array:
    """Log real output (..., T, 2) of both countries from simulated series (see the module docstring).

    ``series`` needs "Y" (nominal income), "P" (CES index (16)), "w" (wages)
    and "z" (aggregate productivity), each (..., T, 2), as in
    :func:`~jaxtrade.models.sunk_cost.simulate_panel`'s series. Constants
    (gamma^-gamma etc.) are dropped: they do not affect the moments.
    """
    check_option("measure", measure, OutputMeasure)
    Y, P, w, z = series["Y"], series["P"], series["w"], series["z"]
    if measure == "composite":
        return jnp.log(Y) - jnp.log(P)  # log C = log(gamma Y / P) up to log gamma
    # log P_C = gamma log P + (1 - gamma) log(w / z), up to a constant
    return jnp.log(Y) - p.gamma * jnp.log(P) - (1.0 - p.gamma) * (jnp.log(w) - jnp.log(z))


def markov_moments(f, Lam, pi=None) -> tuple[jax.Array, jax.Array]:
    """Population standard deviation and lag-one autocorrelation of f(s_t) for a Markov chain s_t.

    f: (S,) values in each state; Lam: (S, S) transition matrix; pi: its
    stationary distribution (found by :func:`~jaxtrade.numerics.markov.stationary_distribution_markov`
    if None). Returns (sd, autocorrelation); the autocorrelation is nan when
    f is constant.
    """
    f = jnp.asarray(f, dtype=float)
    Lam = jnp.asarray(Lam, dtype=float)
    if pi is None:
        pi = stationary_distribution_markov(Lam, throw=False).value
    d = f - pi @ f
    var = pi @ (d * d)
    cov = (pi * d) @ (Lam @ d)
    return jnp.sqrt(var), cov / var


def productivity_moments(p: SunkCostParams) -> dict:
    """Closed-form moments of log z_h alone: sd = atanh(epsilon), autocorrelation = 2 lambda - 1."""
    return {"sd": float(np.arctanh(float(p.epsilon))), "autocorr": float(2.0 * float(p.lam) - 1.0)}


def shocks_for_targets(sd: float = TABLE1_DATA["sd_log_output"],
                       autocorr: float = TABLE1_DATA["autocorr_log_output"]) -> dict:  # fmt: skip
    """Invert :func:`productivity_moments`: epsilon = tanh(sd), lambda = (1 + autocorr) / 2.

    The (epsilon, lambda) at which log z alone has the given population
    moments (default: Table 1's targets); a first guess for matching them,
    since the simulated log output tracks log z closely (see
    ``docs/models/sunk_cost.md``). Raises ``ValueError`` unless sd >= 0 and
    -1 <= autocorr <= 1.

    Examples
    --------
    >>> t = shocks_for_targets(0.036, 0.793)
    >>> round(t["epsilon"], 6), round(t["lam"], 4)
    (0.035984, 0.8965)
    """
    if not (np.isfinite(sd) and sd >= 0.0):
        raise ValueError(f"sd must be finite and >= 0, got {sd}")
    if not -1.0 <= autocorr <= 1.0:
        raise ValueError(f"autocorr must satisfy -1 <= autocorr <= 1, got {autocorr}")
    return {"epsilon": float(np.tanh(sd)), "lam": float((1.0 + autocorr) / 2.0)}


def frozen_distribution_moments(p: SunkCostParams, ss: SteadyState, measure: OutputMeasure = "income",
                                country: int = 0, *, throw: bool = True) -> dict:  # fmt: skip
    """Population moments of log real output with the firm distribution frozen at the steady state.

    Log output is then a function of the joint state s alone: solve the
    period equilibrium (16), (31) in each of the 4 states at the steady-state
    moments M, m, K and apply :func:`markov_moments` with kron(Lambda, Lambda).
    Exact for the model without entry costs (``entry_costs=False``, where
    the distribution never moves); for the entry-cost model it is the impact
    component, without the propagation through exporter entry and exit.
    ``throw``: raise if a state's balanced-trade root failed (else see ``info``).
    """
    check_option("measure", measure, OutputMeasure)
    f, sd, ac, roots = _frozen(p, ss.M, ss.m, ss.K, measure, country)
    info = finish(simulation_info(roots.converged, roots.residual), throw=throw,
                  what="frozen-distribution period equilibria (balanced-trade roots (31))")  # fmt: skip
    return {"sd": float(sd), "autocorr": float(ac), "log_output_by_state": np.asarray(f), "info": info}


@jax.jit(static_argnames=("measure", "country"))
def _frozen(p, M, m, K, measure, country):
    """Log output in each joint state at fixed moments, and its population moments (one compile)."""
    zs = productivity_states(p)
    one = jnp.ones(2)
    eq = jax.vmap(lambda z: period_equilibrium(p, z, M * one, m * one, K * one, throw=False))(zs)
    f = log_real_output(p, {"Y": eq.Y, "P": eq.P, "w": eq.w, "z": zs}, measure)[:, country]
    Lam = transition_matrix(p)
    pi = stationary_distribution_markov(Lam, throw=False).value
    sd, ac = markov_moments(f, Lam, pi)
    return f, sd, ac, eq.info


def _business_cycle_economy(p, sol, key, T, burn, measure, detrend, country):
    series = simulate_panel(p, sol, key, periods=T, burn=burn, throw=False).series
    y = log_real_output(p, series, measure)[:, country]
    sd, ac = sd_autocorr(y, detrend)
    return {"sd": sd, "autocorr": ac, "log_output": y, "converged": series["converged"],
            "root_residual": series["root_residual"]}  # fmt: skip


def output_moments(p: SunkCostParams, sol: StochasticSolution, *, n_economies: int = 250, T: int = 300, burn: int = 50,
                   seed: int = 1, measure: OutputMeasure = "income", detrend: Detrend = "linear", country: int = 0,
                   throw: bool = True, economies_per_step: int | None = None) -> dict:  # fmt: skip
    """Table 1 moments: sd and lag-one autocorrelation of log real output on simulated economies.

    ``n_economies`` economies of ``T`` periods (:func:`~jaxtrade.models.sunk_cost.simulate_panel`
    over ``jax.random.split(PRNGKey(seed), n_economies)``, in groups of
    ``economies_per_step``, :func:`~jaxtrade.models.sunk_cost.over_economies`;
    each starts from the steady-state distribution with the first shock drawn
    from the stationary law), the first ``burn`` periods dropped; statistics
    per economy on the remaining T - burn periods after ``detrend``, then
    averaged. Defaults are the time-series experiment's (250 x 300, 50 dropped).

    Returns
    -------
    dict
        Per-economy arrays "sd" and "autocorr", their means "mean_sd",
        "mean_autocorr" (and standard errors of the means),
        "log_output_example" (economy 0), the closed forms "productivity"
        (log z alone) and "frozen" (:func:`frozen_distribution_moments`),
        "all_converged" (every period's balanced-trade root) and "info"
        (:func:`~jaxtrade.models.sunk_cost.simulation_info`). ``throw=True``
        raises :class:`~jaxtrade.errors.ConvergenceError` for a failed root;
        ``ValueError`` for bad arguments.
    """
    check_option("measure", measure, OutputMeasure)
    check_option("detrend", detrend, Detrend)
    if n_economies < 1:
        raise ValueError(f"n_economies must be >= 1, got {n_economies}")
    if T - burn < 3:
        raise ValueError(f"T must exceed burn + 2 to leave a sample, got T={T}, burn={burn}")
    if burn < 0:
        raise ValueError(f"burn must be >= 0, got {burn}")
    if country not in (0, 1):
        raise ValueError(f"country must be 0 (home) or 1 (foreign), got {country}")
    keys = jax.random.split(jax.random.PRNGKey(seed), n_economies)
    out = over_economies(lambda k: _business_cycle_economy(p, sol, k, T, burn, measure, detrend, country), keys,
                         economies_per_step)  # fmt: skip
    info = finish(
        simulation_info(out["converged"], out["root_residual"]),
        throw=throw,
        what="business-cycle simulation (balanced-trade roots (31))",
        extra=_root_failed,
    )
    n = n_economies
    return {
        "sd": out["sd"], "autocorr": out["autocorr"],
        "mean_sd": float(out["sd"].mean()), "mean_autocorr": float(out["autocorr"].mean()),
        "se_sd": float(out["sd"].std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan"),
        "se_autocorr": float(out["autocorr"].std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan"),
        "log_output_example": out["log_output"][0],
        "productivity": productivity_moments(p),
        "frozen": frozen_distribution_moments(p, sol.steady, measure, country, throw=throw),
        "all_converged": bool(info.converged), "n_economies": n, "periods": T - burn, "measure": measure,
        "detrend": detrend, "info": info,
    }  # fmt: skip
