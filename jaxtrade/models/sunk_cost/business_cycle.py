"""Business-cycle moments of Ruhl (2008), Table 1: volatility and persistence of log output.

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
import pandas as pd

from jaxtrade.errors import ConvergenceError
from jaxtrade.models.sunk_cost.equilibrium import SteadyState, period_equilibrium
from jaxtrade.models.sunk_cost.params import SunkCostParams
from jaxtrade.models.sunk_cost.stochastic import (
    StochasticSolution,
    draw_shocks,
    initial_state,
    productivity_states,
    simulate,
    transition_matrix,
)
from jaxtrade.numerics.markov import stationary_distribution_markov
from jaxtrade.models.sunk_cost.timeseries import over_economies

#: Table 1 of the paper: the targets of epsilon and lambda (annual U.S. data, 1950-2000, log, linearly detrended)
PAPER_TABLE1 = {"sd_log_output": 0.036, "autocorr_log_output": 0.793}

MEASURES = ("income", "composite")
DETRENDS = ("linear", "mean")


def _check_choice(name, value, allowed):
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")


def detrend_series(x, detrend: str = "linear") -> jax.Array:
    """Residuals of x (..., T) after OLS on a constant and a linear time trend (or the mean only)."""
    _check_choice("detrend", detrend, DETRENDS)
    x = jnp.asarray(x, dtype=float)
    xm = x - x.mean(axis=-1, keepdims=True)
    if detrend == "mean":
        return xm
    t = jnp.arange(x.shape[-1], dtype=x.dtype)
    tm = t - t.mean()
    slope = jnp.sum(xm * tm, axis=-1, keepdims=True) / jnp.sum(tm * tm)
    return xm - slope * tm


def sd_autocorr(x, detrend: str = "linear") -> tuple[jax.Array, jax.Array]:
    """Standard deviation (ddof 0) and lag-one autocorrelation of x (..., T) after ``detrend``.

    The autocorrelation is sum_(t>=2) x_t x_(t-1) / sum_t x_t^2 of the
    detrended series. Vectorised over leading axes; jit/vmap safe.
    """
    x = jnp.asarray(x, dtype=float)
    if x.shape[-1] < 3:
        raise ValueError(f"x must have at least 3 periods on its last axis, got {x.shape[-1]}")
    r = detrend_series(x, detrend)
    ss = jnp.sum(r * r, axis=-1)
    sd = jnp.sqrt(ss / r.shape[-1])
    ac = jnp.sum(r[..., 1:] * r[..., :-1], axis=-1) / ss
    return sd, ac


def log_real_output(p: SunkCostParams, series: dict, measure: str = "income") -> jax.Array:
    """Log real output (..., T, 2) of both countries from simulated series (see the module docstring).

    ``series`` needs "Y" (nominal income), "P" (CES index (16)), "w" (wages)
    and "z" (aggregate productivity), each (..., T, 2), as returned by
    :func:`jaxtrade.models.sunk_cost.simulate`. Constants (gamma^-gamma etc.)
    are dropped: they do not affect the moments.
    """
    _check_choice("measure", measure, MEASURES)
    Y, P, w, z = series["Y"], series["P"], series["w"], series["z"]
    if measure == "composite":
        return jnp.log(Y) - jnp.log(P)  # log C = log(gamma Y / P) up to log gamma
    # log P_C = gamma log P + (1 - gamma) log(w / z), up to a constant
    return jnp.log(Y) - p.gamma * jnp.log(P) - (1.0 - p.gamma) * (jnp.log(w) - jnp.log(z))


def markov_moments(f, Lam, pi=None) -> tuple[jax.Array, jax.Array]:
    """Population standard deviation and lag-one autocorrelation of f(s_t) for a Markov chain s_t.

    f: (S,) values in each state; Lam: (S, S) transition matrix; pi: its
    stationary distribution (found by :func:`stationary_distribution_markov`
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


def shocks_for_targets(sd: float = PAPER_TABLE1["sd_log_output"],
                       autocorr: float = PAPER_TABLE1["autocorr_log_output"]) -> dict:  # fmt: skip
    """Invert :func:`productivity_moments`: epsilon = tanh(sd), lambda = (1 + autocorr) / 2.

    The (epsilon, lambda) at which log z alone has the given population
    moments; a first guess for matching Table 1's targets, since the
    simulated log output tracks log z closely (see ``docs/models/sunk_cost.md``).
    Raises ``ValueError`` unless sd >= 0 and -1 <= autocorr <= 1.
    """
    if not (np.isfinite(sd) and sd >= 0.0):
        raise ValueError(f"sd must be finite and >= 0, got {sd}")
    if not -1.0 <= autocorr <= 1.0:
        raise ValueError(f"autocorr must satisfy -1 <= autocorr <= 1, got {autocorr}")
    return {"epsilon": float(np.tanh(sd)), "lam": float((1.0 + autocorr) / 2.0)}


def frozen_distribution_moments(p: SunkCostParams, ss: SteadyState, measure: str = "income", country: int = 0) -> dict:
    """Population moments of log real output with the firm distribution frozen at the steady state.

    Log output is then a function of the joint state s alone: solve the
    period equilibrium (16), (31) in each of the 4 states at the steady-state
    moments M, m, K and apply :func:`markov_moments` with kron(Lambda, Lambda).
    Exact for the model without entry costs (``entry_costs=False``, where
    the distribution never moves); for the entry-cost model it is the impact
    component, without the propagation through exporter entry and exit.
    """
    _check_choice("measure", measure, MEASURES)
    f, sd, ac, ok = _frozen(p, ss.M, ss.m, ss.K, measure, country)
    if not bool(ok):
        raise ConvergenceError("frozen-distribution balanced-trade roots", 1, np.nan, extra="a state's w_f root failed")
    return {"sd": float(sd), "autocorr": float(ac), "log_output_by_state": np.asarray(f)}


@jax.jit(static_argnames=("measure", "country"))
def _frozen(p, M, m, K, measure, country):
    """Log output in each joint state at fixed moments, and its population moments (one compile)."""
    zs = productivity_states(p)
    one = jnp.ones(2)
    eq = jax.vmap(lambda z: period_equilibrium(p, z, M * one, m * one, K * one))(zs)
    f = log_real_output(p, {"Y": eq.Y, "P": eq.P, "w": eq.w, "z": zs}, measure)[:, country]
    Lam = transition_matrix(p)
    pi = stationary_distribution_markov(Lam).value
    sd, ac = markov_moments(f, Lam, pi)
    return f, sd, ac, jnp.all(eq.info.converged)


def _one_economy(p, sol, key, T, burn, measure, detrend, country):
    shocks = draw_shocks(p, key, T)
    series = simulate(p, sol.steady.grid, sol.policy, initial_state(sol.steady), shocks)
    y = log_real_output(p, series, measure)[burn:, country]
    sd, ac = sd_autocorr(y, detrend)
    return {"sd": sd, "autocorr": ac, "log_output": y, "all_converged": jnp.all(series["converged"][burn:])}


def output_moments(p: SunkCostParams, sol: StochasticSolution, *, n_economies: int = 250, T: int = 300, burn: int = 50,
                   seed: int = 1, measure: str = "income", detrend: str = "linear", country: int = 0,
                   throw: bool = True, economies_per_step: int | None = None) -> dict:  # fmt: skip
    """Table 1 moments: sd and lag-one autocorrelation of log real output on simulated economies.

    ``n_economies`` economies of ``T`` periods (in groups of ``economies_per_step``, see
    :func:`~jaxtrade.models.sunk_cost.timeseries.over_economies`, over
    ``jax.random.split(PRNGKey(seed), n_economies)``; each starts from the
    steady-state distribution with the first shock drawn from the stationary
    law), the first ``burn`` periods dropped; statistics per economy on the
    remaining T - burn periods after ``detrend``, then averaged. Defaults are
    the time-series experiment's (250 x 300, 50 dropped).

    Returns per-economy arrays "sd" and "autocorr", their means "mean_sd",
    "mean_autocorr" (and standard errors of the means), "log_output_example"
    (economy 0), the closed forms "productivity" (log z alone) and
    "frozen" (:func:`frozen_distribution_moments`), and "all_converged"
    (every period's balanced-trade root). Raises ``ConvergenceError`` for a
    failed root when ``throw`` and ``ValueError`` for bad arguments.
    """
    _check_choice("measure", measure, MEASURES)
    _check_choice("detrend", detrend, DETRENDS)
    if n_economies < 1:
        raise ValueError(f"n_economies must be >= 1, got {n_economies}")
    if T - burn < 3:
        raise ValueError(f"T must exceed burn + 2 to leave a sample, got T={T}, burn={burn}")
    if burn < 0:
        raise ValueError(f"burn must be >= 0, got {burn}")
    if country not in (0, 1):
        raise ValueError(f"country must be 0 (home) or 1 (foreign), got {country}")
    keys = jax.random.split(jax.random.PRNGKey(seed), n_economies)
    out = over_economies(lambda k: _one_economy(p, sol, k, T, burn, measure, detrend, country), keys, economies_per_step)
    ok = bool(out["all_converged"].all())
    if throw and not ok:
        raise ConvergenceError("business-cycle simulation balanced-trade roots", T, np.nan,
                               extra="some period's w_f root failed")  # fmt: skip
    n = n_economies
    return {
        "sd": out["sd"], "autocorr": out["autocorr"],
        "mean_sd": float(out["sd"].mean()), "mean_autocorr": float(out["autocorr"].mean()),
        "se_sd": float(out["sd"].std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan"),
        "se_autocorr": float(out["autocorr"].std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan"),
        "log_output_example": out["log_output"][0],
        "productivity": productivity_moments(p),
        "frozen": frozen_distribution_moments(p, sol.steady, measure, country),
        "all_converged": ok, "n_economies": n, "periods": T - burn, "measure": measure, "detrend": detrend,
    }  # fmt: skip


def table1(p: SunkCostParams, sol: StochasticSolution | None = None, moments: dict | None = None, **kwargs) -> pd.DataFrame:
    """Table 1 as a DataFrame: the paper's targets beside the simulated moments and the closed forms.

    Pass ``moments`` from :func:`output_moments`, or ``sol`` (and the
    keywords of :func:`output_moments`) to compute them.
    """
    if moments is None:
        if sol is None:
            raise ValueError("table1 needs either sol (a StochasticSolution) or moments (from output_moments)")
        moments = output_moments(p, sol, **kwargs)
    m = moments
    rows = [
        ("epsilon", float(p.epsilon), "sd of log output", PAPER_TABLE1["sd_log_output"], m["mean_sd"],
         m["frozen"]["sd"], m["productivity"]["sd"]),
        ("lambda", float(p.lam), "autocorrelation of log output", PAPER_TABLE1["autocorr_log_output"],
         m["mean_autocorr"], m["frozen"]["autocorr"], m["productivity"]["autocorr"]),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["parameter", "value", "target", "paper (data)", "jaxtrade (simulated)",
                                       "frozen distribution (closed form)", "log z alone (closed form)"])  # fmt: skip
