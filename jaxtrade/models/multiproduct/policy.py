"""Trade-policy experiments and their welfare (Heo & Kim 2025, section 6, eqs. 35-36, Tables 7-8).

* :func:`tariff_schedule`: the flat schedule and the targeted ones of eq. (35)
  (liberalization: tau_k = a (s_bar / s_k)^psi, lower tariffs on products with
  larger expenditure shares) and eq. (36) (trade war: tau_k = a (s_k / s_bar)^psi),
  with ``a`` such that the expenditure-weighted average sum_k s_k tau_k equals the
  target (5 % or 20 %); s_k are the pre-reform expenditure shares (tariff-inclusive
  spending on product k over D, summing to one) and s_bar = max_k s_k.
* :func:`welfare`: consumption-equivalent variations (CEV) of a transition, for
  the steady-state comparison and with the transition, in the exact and the log
  form (below).
* :func:`policy_experiment` / :func:`policy_tables`: one experiment, or all twelve
  of Tables 7 and 8 (Standard and NPG x liberalization and trade war x flat,
  psi = 0.5, psi = 2).
* :func:`transition_cev` (differentiable in the tariffs and the parameters through
  the implicit adjoint of the path solve), :func:`cev_gradient` and
  :func:`optimal_schedule` (the welfare-maximizing product tariffs at a fixed
  expenditure-weighted average, by projected gradient ascent): beyond the paper.

Welfare. With u(C) = C^(1-sigma)/(1-sigma) (eq. 7; log C at sigma = 1),
W0 = u(C_0)/(1-beta) is lifetime utility in the initial steady state and
W1 = sum_{t<T} beta^t u(C_t) + beta^T u(C_ss1)/(1-beta) along the transition
(t = 0 is the period of the change). The exact transition CEV is the uniform
proportional change lambda in C_0 with (1+lambda)^(1-sigma) W0 = W1, i.e.
lambda = (W1/W0)^(1/(1-sigma)) - 1; the log form ln(W1/W0)/(1-sigma) = ln(1+lambda) is
what Alessandria, Choi & Ruhl's code reports. The steady-state CEV is
C_ss1/C_ss0 - 1 (log form ln(C_ss1/C_ss0)). The paper prints no formula; the
tables compare the exact form (docs/models/multiproduct.md, "Welfare").
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from jaxtrade.models.multiproduct.moments import extra_moments
from jaxtrade.models.multiproduct.params import MultiproductParams
from jaxtrade.models.multiproduct.solve import Equilibrium, solve_equilibrium
from jaxtrade.models.multiproduct.transition import (
    Transition,
    evaluate_path,
    path_data,
    sequence_jacobian,
    solve_transition,
    solve_unknowns,
    steady_state_unknowns,
    tariff_path,
    terminal_steady_state,
)
from jaxtrade.progress import progress_bar

__all__ = [
    "EXPERIMENTS",
    "SCHEDULES",
    "Welfare",
    "PolicyResult",
    "expenditure_shares",
    "tariff_schedule",
    "schedule_for",
    "lifetime_utility",
    "welfare",
    "policy_experiment",
    "policy_tables",
    "transition_cev",
    "cev_gradient",
    "project_weighted_average",
    "OptimalSchedule",
    "optimal_schedule",
]

#: Target expenditure-weighted average tariff by experiment (section 6: from 10 % to 5 % or to 20 %)
EXPERIMENTS: dict[str, float] = {"liberalization": 0.05, "trade-war": 0.20}
#: Schedules of Tables 7-8: flat, and eq. (35)/(36) with psi = 0.5 and 2
SCHEDULES: dict[str, float | None] = {"flat": None, "psi0.5": 0.5, "psi2": 2.0}


def expenditure_shares(p: MultiproductParams, eq: Equilibrium) -> jax.Array:
    """Pre-reform expenditure shares s_k (N,), summing to one (:func:`~.moments.extra_moments`)."""
    return extra_moments(p, eq)["expenditure_share"]


def tariff_schedule(kind: str, average, shares, psi=None) -> jax.Array:
    """Post-reform tariffs (N,) with expenditure-weighted average ``average`` (sum_k s_k tau_k).

    Parameters
    ----------
    kind : ``"flat"`` (tau_k = average), ``"liberalization"`` (eq. 35, tau_k = a (s_bar/s_k)^psi) or
        ``"trade-war"`` (eq. 36, tau_k = a (s_k/s_bar)^psi).
    average : the target weighted average (0.05 and 0.20 in the paper).
    shares : (N,) pre-reform expenditure shares s_k (positive; normalized to sum to one here).
    psi : curvature (0.5 and 2 in the paper); required unless ``kind="flat"``.

    Examples
    --------
    >>> s = jnp.array([0.1, 0.2, 0.3, 0.4])
    >>> tau = tariff_schedule("liberalization", 0.05, s, psi=2.0)
    >>> round(float(s @ tau), 12), bool(tau[0] > tau[-1])
    (0.05, True)
    """
    shares = jnp.asarray(shares, dtype=float)
    if kind not in ("flat", "liberalization", "trade-war"):
        raise ValueError(f"kind must be 'flat', 'liberalization' or 'trade-war', got {kind!r}")
    if not bool(jnp.all(jnp.isfinite(shares) & (shares > 0))):
        raise ValueError("shares must be positive and finite (expenditure shares s_k of eqs. 35-36)")
    s = shares / jnp.sum(shares)
    if kind == "flat":
        return jnp.full_like(s, average)
    if psi is None:
        raise ValueError(f"psi is required for kind={kind!r} (eqs. 35-36)")
    s_bar = jnp.max(s)
    shape = (s_bar / s) ** psi if kind == "liberalization" else (s / s_bar) ** psi
    return average * shape / jnp.sum(s * shape)


def schedule_for(experiment: str, schedule: str, shares) -> jax.Array:
    """Tariffs of one of the paper's experiments (:data:`EXPERIMENTS` x :data:`SCHEDULES`)."""
    if experiment not in EXPERIMENTS:
        raise ValueError(f"experiment must be one of {tuple(EXPERIMENTS)}, got {experiment!r}")
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {tuple(SCHEDULES)}, got {schedule!r}")
    psi = SCHEDULES[schedule]
    kind = "flat" if psi is None else experiment
    return tariff_schedule(kind, EXPERIMENTS[experiment], shares, psi)


def _u(C, sigma):
    log_case = jnp.abs(sigma - 1.0) < 1e-12
    safe = jnp.where(log_case, 2.0, sigma)
    return jnp.where(log_case, jnp.log(C), C ** (1.0 - safe) / (1.0 - safe))


def lifetime_utility(C_path, C_terminal, beta, sigma) -> jax.Array:
    """W1 = sum_{t<T} beta^t u(C_t) + beta^T u(C_terminal) / (1 - beta)."""
    t = jnp.arange(C_path.shape[-1])
    T = C_path.shape[-1]
    return jnp.sum(beta**t * _u(C_path, sigma)) + beta**T * _u(C_terminal, sigma) / (1.0 - beta)


class Welfare(NamedTuple):
    """Consumption-equivalent variations, as fractions (x 100 for percent; module docstring).

    cev_ss, cev_trans : exact CEV of the steady-state comparison and with the transition.
    cev_ss_log, cev_trans_log : their log forms ln(1 + CEV).
    W0, W1 : lifetime utility in the initial steady state and along the transition.
    """

    cev_ss: jax.Array
    cev_trans: jax.Array
    cev_ss_log: jax.Array
    cev_trans_log: jax.Array
    W0: jax.Array
    W1: jax.Array


def _welfare(C_path, C0, C1, beta, sigma) -> Welfare:
    W0 = _u(C0, sigma) / (1.0 - beta)
    W1 = lifetime_utility(C_path, C1, beta, sigma)
    log_case = jnp.abs(sigma - 1.0) < 1e-12
    safe = jnp.where(log_case, 2.0, sigma)
    trans_log = jnp.where(log_case, (1.0 - beta) * (W1 - W0), jnp.log(W1 / W0) / (1.0 - safe))
    ss_log = jnp.log(C1 / C0)
    return Welfare(jnp.expm1(ss_log), jnp.expm1(trans_log), ss_log, trans_log, W0, W1)


def welfare(tr: Transition, p: MultiproductParams) -> Welfare:
    """The CEVs of a solved :class:`~.transition.Transition` (module docstring)."""
    return _welfare(tr.paths["C"], tr.ss0.C, tr.ss1.C, p.beta, p.sigma)


class PolicyResult(eqx.Module):
    """One experiment: the tariffs, the transition and its welfare."""

    experiment: str = eqx.field(static=True)
    schedule: str = eqx.field(static=True)
    tau: jax.Array
    transition: Transition
    welfare: Welfare


def policy_experiment(
    p: MultiproductParams,
    experiment: str,
    schedule: str,
    *,
    ss0: Equilibrium | None = None,
    T: int = 300,
    tol: float = 1e-8,
    method: str = "broyden",
    progress: bool | None = None,
    throw: bool = True,
) -> PolicyResult:
    """One experiment of Tables 7-8 from the steady state of ``p`` (its tariffs are the old ones).

    ``experiment`` in :data:`EXPERIMENTS`, ``schedule`` in :data:`SCHEDULES`; the shares of eqs.
    (35)-(36) are the expenditure shares of ``ss0`` (default ``solve_equilibrium(p)``); ``progress``
    shows a bar over the path iterations.
    """
    if ss0 is None:
        ss0 = solve_equilibrium(p, throw=throw)
    tau = schedule_for(experiment, schedule, expenditure_shares(p, ss0))
    tr = solve_transition(p, tau, ss0=ss0, T=T, tol=tol, method=method, progress=progress, throw=throw)
    return PolicyResult(experiment=experiment, schedule=schedule, tau=tau, transition=tr, welfare=welfare(tr, p))


def policy_tables(
    params: dict[str, MultiproductParams],
    *,
    T: int = 300,
    tol: float = 1e-8,
    method: str = "broyden",
    progress: bool | None = None,
    throw: bool = True,
) -> dict[str, dict[tuple[str, str], PolicyResult]]:
    """Every experiment of Tables 7 (liberalization) and 8 (trade war) for each parameter set.

    ``params`` maps a model name (``"standard"``, ``"npg"``) to its parameters. Returns
    ``{name: {(experiment, schedule): PolicyResult}}``. The experiments of one model share its
    initial steady state; each is solved from its own terminal steady state and Jacobian.
    """
    out: dict[str, dict[tuple[str, str], PolicyResult]] = {}
    total = len(params) * len(EXPERIMENTS) * len(SCHEDULES)
    with progress_bar(total, "policy experiments", unit="transition", progress=progress) as bar:
        for name, p in params.items():
            ss0 = solve_equilibrium(p, throw=throw)
            out[name] = {}
            for experiment in EXPERIMENTS:
                for schedule in SCHEDULES:
                    res = policy_experiment(p, experiment, schedule, ss0=ss0, T=T, tol=tol, method=method,
                                            progress=False, throw=throw)  # fmt: skip
                    out[name][(experiment, schedule)] = res
                    bar.set_postfix_str(
                        f"{name} {experiment} {schedule}: CEV {100 * float(res.welfare.cev_trans):.2f}%"
                    )
                    bar.update()
    return out


# ---------------------------------------------------------------------------------------------- derivatives
def transition_cev(
    p: MultiproductParams,
    tau_new,
    *,
    T: int = 300,
    tol: float = 1e-10,
    max_iter: int = 40,
    form: str = "exact",
    ss0: Equilibrium | None = None,
    throw: bool = True,
) -> jax.Array:
    """The transition CEV of a permanent change to ``tau_new`` (N,), differentiable (jit/grad-able).

    Everything is recomputed from ``p`` and ``tau_new`` (initial steady state unless ``ss0`` is
    given, terminal steady state, the path by the quasi-Newton solve), so ``jax.grad`` with respect
    to ``tau_new`` or the array fields of ``p`` gives the total derivative: the path by the implicit
    adjoint of :func:`~.transition.solve_transition`, the steady states by their implicit rules.
    If the path or a steady state does not converge, ``throw=True`` raises (an ``equinox`` runtime
    error, also under ``jit``/``grad``) and ``throw=False`` returns NaN for the caller to check.
    """
    if form not in ("exact", "log"):
        raise ValueError(f"form must be 'exact' or 'log', got {form!r}")
    value, ok = _transition_cev(p, jnp.asarray(tau_new, dtype=float), ss0, T=int(T), tol=float(tol),
                                max_iter=int(max_iter), form=form)  # fmt: skip
    if throw:
        return eqx.error_if(value, ~ok, "transition CEV: the transition path or a steady state did not converge")
    return jnp.where(ok, value, jnp.nan)


@functools.partial(jax.jit, static_argnames=("T", "tol", "max_iter", "form"))
def _transition_cev(p, tau_new, ss0, *, T, tol, max_iter, form):
    if ss0 is None:
        ss0 = solve_equilibrium(p, throw=False)
    ss1 = terminal_steady_state(p, tau_new, ss0, throw=False)
    p1 = p.replace(tau=tau_new, gamma_E=ss0.gamma_E)
    jac = jax.lax.stop_gradient(sequence_jacobian(p1, ss1, T))
    data = path_data(p1, tariff_path(tau_new, T), ss0, ss1)
    U0 = jax.lax.stop_gradient(steady_state_unknowns(p1, ss1, T))
    U, _, res, _, _ = solve_unknowns(data, U0, jac, tol=tol, max_iter=max_iter)
    _, paths, _ = evaluate_path(U, data)
    w = _welfare(paths["C"], ss0.C, ss1.C, p.beta, p.sigma)
    ok = (res <= tol) & ss0.info.converged & ss1.info.converged
    value = w.cev_trans if form == "exact" else w.cev_trans_log
    return value, ok


def cev_gradient(p: MultiproductParams, tau_new, *, T: int = 300, ss0: Equilibrium | None = None, **kw):
    """(CEV, dCEV/dtau) of the transition to ``tau_new`` (N,) by the implicit adjoint (one solve, one adjoint)."""
    return jax.value_and_grad(lambda t: transition_cev(p, t, T=T, ss0=ss0, **kw))(jnp.asarray(tau_new, dtype=float))


def project_weighted_average(x, shares, average, lower: float = 0.0) -> jax.Array:
    """Euclidean projection of ``x`` (N,) onto {tau >= lower, sum_k s_k tau_k = average}.

    tau = max(lower, x - nu s) with nu found by bisection (the weighted sum is decreasing in nu).
    """
    x = jnp.asarray(x, dtype=float)
    s = jnp.asarray(shares, dtype=float)
    s = s / jnp.sum(s)

    def total(nu):
        return s @ jnp.maximum(lower, x - nu * s)

    lo = (s @ x - average) / (s @ s) - 1.0  # total(lo) >= s.x - lo |s|^2 > average
    hi = jnp.max((x - lower) / s) + 1.0  # every tariff at ``lower``: total = lower <= average

    def body(_, bounds):
        a, b = bounds
        m = 0.5 * (a + b)
        big = total(m) > average
        return jnp.where(big, m, a), jnp.where(big, b, m)

    a, b = jax.lax.fori_loop(0, 200, body, (lo, hi))
    return jnp.maximum(lower, x - 0.5 * (a + b) * s)


class OptimalSchedule(NamedTuple):
    """Result of :func:`optimal_schedule`: tariffs, their CEV, the gradient there and the ascent history."""

    tau: np.ndarray
    cev: float
    gradient: np.ndarray
    history: list[dict]
    converged: bool


def optimal_schedule(
    p: MultiproductParams,
    average: float,
    *,
    start=None,
    T: int = 300,
    steps: int = 20,
    step_size: float = 0.02,
    gtol: float = 1e-6,
    ss0: Equilibrium | None = None,
    progress: bool | None = None,
) -> OptimalSchedule:
    """Welfare-maximizing product tariffs at a fixed expenditure-weighted average (projected gradient ascent).

    Maximizes the transition CEV (:func:`transition_cev`) over tau >= 0 with sum_k s_k tau_k =
    ``average`` (s_k the pre-reform shares of ``ss0``). Each step moves ``step_size`` (in tariff
    points, along the projected gradient scaled to unit max-norm) and projects back
    (:func:`project_weighted_average`); a step that lowers welfare is halved and retried. Stops when
    the projected gradient's max-norm falls below ``gtol`` or the step below 1e-5.
    """
    if ss0 is None:
        ss0 = solve_equilibrium(p)
    s = expenditure_shares(p, ss0)
    tau = project_weighted_average(jnp.full_like(s, average) if start is None else jnp.asarray(start), s, average)
    value, grad = cev_gradient(p, tau, T=T, ss0=ss0)
    history = [{"step": 0, "cev": float(value), "step_size": step_size}]
    converged = False
    with progress_bar(steps, "optimal tariff schedule", unit="step", progress=progress) as bar:
        for k in range(1, steps + 1):
            proj = project_weighted_average(tau + 1e-3 * grad / jnp.max(jnp.abs(grad)), s, average) - tau
            if float(jnp.max(jnp.abs(proj))) < gtol or step_size < 1e-5:
                converged = True
                break
            direction = proj / jnp.max(jnp.abs(proj))
            cand = project_weighted_average(tau + step_size * direction, s, average)
            v_new, g_new = cev_gradient(p, cand, T=T, ss0=ss0, throw=False)
            if bool(jnp.isfinite(v_new)) and float(v_new) > float(value):
                tau, value, grad = cand, v_new, g_new
                step_size *= 1.5
            else:
                step_size *= 0.5
            history.append({"step": k, "cev": float(value), "step_size": step_size})
            bar.set_postfix_str(f"CEV {100 * float(value):.4f}%")
            bar.update()
    return OptimalSchedule(np.asarray(tau), float(value), np.asarray(grad), history, converged)
