"""Levenberg-Marquardt on the weighted moment residual, with the autodiff Jacobian.

Minimises F(u) = r(u)' W r(u), r = m(theta(u)) - m_data over the targets,
in the unconstrained space of :mod:`.space`. Each iteration linearizes the
moments by forward-mode autodiff (``jax.jacfwd`` through the model's
implicit-function rules: one solve plus k tangents), solves the damped
normal equations

    (J'WJ + lambda diag(J'WJ)) delta = -J'W r          (Marquardt scaling)

and accepts the trial point when it is feasible (``ok``) and lowers F; the
damping follows Nielsen (1999): ``lambda *= max(1/3, 1 - (2 rho - 1)^3)`` on
success, ``lambda *= nu, nu *= 2`` on failure (rho the ratio of actual to
predicted reduction). With as many targets as parameters (exact
identification) this is Newton's method on m(theta) = m_data with a safety
net; with more targets, Gauss-Newton.

The loop runs in Python around jitted kernels, so every iteration can be
checkpointed (``on_iteration``) and shown on a progress bar; the kernels
compile once per problem and are reused across stages and restarts. Stops:

* ``converged``: max |r| <= ``tol`` (the targets are matched), or the
  weighted residual is orthogonal to the Jacobian's columns,
  max_j |J_j' W r| / (|L' J_j| |L' r|) <= ``gtol`` with W = L L' (a
  stationary point of F, scale-free as MINPACK's ``gtol``), or the
  Gauss-Newton model predicts no relative reduction of F larger than
  ``ftol``: g'(J'WJ)^-1 g <= ftol F with g = J'W r (the optimum of an
  over-identified problem, resolved to the precision of F itself);
* ``max_iterations``; ``stalled`` (the damping exceeds 1e16, or the step is
  shorter than ``xtol (1 + |u|)`` before either test of success holds: no
  descent from this point, e.g. a local minimum with a residual, or a
  staircase of discrete choices); ``inner_failed`` (the model cannot be
  solved at the starting point).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np

from jaxtrade.errors import RESULTS, SolverInfo, finish
from jaxtrade.estimation.problem import MomentProblem, run_info
from jaxtrade.progress import progress_bar

__all__ = ["LMState", "LMResult", "levenberg_marquardt"]

_MAX_DAMPING = 1e16
_WHAT = "Levenberg-Marquardt on the moment residual"


class LMState(NamedTuple):
    """Where a Levenberg-Marquardt run is: enough to resume it exactly."""

    u: np.ndarray
    damping: float
    growth: float
    iteration: int
    evaluations: int


class LMResult(NamedTuple):
    """The end of a run: point, moments (all ``moment_names``), Jacobian in ``u``, loss, info, history."""

    u: np.ndarray
    moments: np.ndarray
    jacobian_u: np.ndarray
    loss: float
    info: SolverInfo
    state: LMState
    history: list[dict[str, Any]]


def levenberg_marquardt(
    problem: MomentProblem,
    u0,
    fixed: dict | None = None,
    *,
    max_iterations: int = 50,
    tol: float = 1e-10,
    gtol: float = 1e-10,
    ftol: float = 1e-14,
    xtol: float = 1e-13,
    damping: float = 1e-3,
    state: LMState | None = None,
    on_iteration: Callable[[LMState, dict[str, Any]], None] | None = None,
    progress: bool | None = None,
    desc: str = "Levenberg-Marquardt",
    throw: bool = True,
) -> LMResult:
    """Levenberg-Marquardt from ``u0`` (or from a saved ``state``), see the module docstring.

    Parameters
    ----------
    problem : MomentProblem
    u0 : array (k,)
        Starting point in the unconstrained space (``problem.space.to_unconstrained``).
    fixed : dict, optional
        Non-estimated inputs of the moment function; default ``problem.fixed``.
    max_iterations, tol, gtol, ftol, xtol, damping :
        Iteration limit, stopping tolerances and the initial damping (module docstring).
    state : LMState, optional
        Resume a run: its point, damping and counters replace ``u0`` and ``damping``.
    on_iteration : callable, optional
        ``on_iteration(state, record)`` after every iteration (checkpointing).
    progress : bool, optional
        Progress bar (``None``: :func:`jaxtrade.progress.progress_enabled`).
    throw : bool
        Raise :class:`~jaxtrade.errors.ConvergenceError` when no stopping rule of
        success was met (``False``: read ``result.info``).

    Returns
    -------
    LMResult
        ``info.converged`` says whether a stopping rule of success was met;
        ``info.result`` why it stopped otherwise.
    """
    fixed = problem.fixed if fixed is None else fixed
    if state is None:
        state = LMState(np.asarray(u0, dtype=float), float(damping), 2.0, 0, 0)
    w = problem.weights
    chol = np.linalg.cholesky(w)
    idx = problem.target_index
    data = problem.data_vector
    u, lam, nu, it, evals = state
    history: list[dict[str, Any]] = []
    m, ok, jac = (np.asarray(x) for x in problem.linearize(jnp.asarray(u), fixed))
    evals += 1
    if not bool(ok):
        info = run_info(it, np.inf, RESULTS.inner_failed)
        out = LMResult(u, m, jac, np.inf, info, LMState(u, lam, nu, it, evals), history)
        return finish(out, throw=throw, what=_WHAT, tol=tol)
    start = time.perf_counter()
    result = RESULTS.max_iterations
    with progress_bar(max_iterations, desc, unit="step", progress=progress) as bar:
        bar.update(it)
        while True:
            r = m[idx] - data
            jt = jac[idx]
            g = jt.T @ w @ r
            a = jt.T @ w @ jt
            loss = float(r @ w @ r)
            resid = float(np.max(np.abs(r)))
            col_norms = np.linalg.norm(chol.T @ jt, axis=0)
            r_norm = float(np.linalg.norm(chol.T @ r))
            cosine = float(np.max(np.abs(g) / np.maximum(col_norms * r_norm, 1e-300)))
            try:
                gn_reduction = float(g @ np.linalg.solve(a, g))
            except np.linalg.LinAlgError:
                gn_reduction = np.inf
            if resid <= tol or cosine <= gtol or (loss > 0 and 0 <= gn_reduction <= ftol * loss):
                result = RESULTS.successful
                break
            if it >= max_iterations:
                result = RESULTS.max_iterations
                break
            diag = np.maximum(np.diag(a), 1e-12 * max(float(np.max(np.diag(a))), 1e-300))
            try:
                delta = np.linalg.solve(a + lam * np.diag(diag), -g)
            except np.linalg.LinAlgError:
                delta = np.full_like(u, np.nan)
            if not np.all(np.isfinite(delta)):
                result = RESULTS.nonfinite
                break
            if float(np.max(np.abs(delta))) <= xtol * (1.0 + float(np.max(np.abs(u)))):
                result = RESULTS.stalled
                break
            trial = u + delta
            m_t, ok_t = (np.asarray(x) for x in problem.evaluate(jnp.asarray(trial), fixed))
            evals += 1
            r_t = m_t[idx] - data
            loss_t = float(r_t @ w @ r_t) if bool(ok_t) else np.inf
            predicted = -float(2.0 * delta @ g + delta @ a @ delta)
            rho = (loss - loss_t) / predicted if predicted > 0 else -1.0
            accepted = bool(ok_t) and loss_t < loss and rho > 0
            it += 1
            if accepted:
                u = trial
                m, ok, jac = (np.asarray(x) for x in problem.linearize(jnp.asarray(u), fixed))
                evals += 1
                lam *= max(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3)
                nu = 2.0
            else:
                lam *= nu
                nu *= 2.0
            record = {
                "iteration": it,
                "loss": loss_t if accepted else loss,
                "max_abs_residual": float(np.max(np.abs(r_t))) if accepted else resid,
                "damping": lam,
                "accepted": accepted,
                "feasible": bool(ok_t),
                "seconds": time.perf_counter() - start,
            }
            history.append(record)
            bar.update()
            bar.set_postfix(loss=f"{record['loss']:.3e}", damping=f"{lam:.1e}")
            if on_iteration is not None:
                on_iteration(LMState(u, lam, nu, it, evals), record)
            if accepted and not bool(ok):
                result = RESULTS.inner_failed  # the Jacobian at the accepted point is not finite
                break
            if lam > _MAX_DAMPING:
                result = RESULTS.stalled
                break
    r = m[idx] - data
    loss = float(r @ w @ r)
    info = run_info(it, float(np.max(np.abs(r))), result)
    out = LMResult(u, m, jac, loss, info, LMState(u, lam, nu, it, evals), history)
    return finish(out, throw=throw, what=_WHAT, tol=tol)
