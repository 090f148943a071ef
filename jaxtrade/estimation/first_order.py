"""First-order path: Adam, then L-BFGS, on F(u) = r' W r with reverse-mode gradients (optax).

For problems the Levenberg-Marquardt path handles badly (many parameters,
badly scaled or over-identified objectives with a large residual), F is
minimised by ``optax.adam`` for ``adam_steps`` (robust far from the optimum)
and then by ``optax.lbfgs`` with its zoom line search (fast near it). The
gradient is ``jax.value_and_grad`` of F through the model's implicit-function
rules. A step to a point where the model cannot be solved (``ok`` False or a
non-finite loss or gradient) is undone and Adam's learning rate halved; L-BFGS
stops there.

As with :mod:`.least_squares` the loop is Python around jitted steps, so the
state (the point, the phase, and optax's state) can be checkpointed after
every step and a run resumed exactly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxtrade.errors import RESULTS, finish
from jaxtrade.estimation.least_squares import LMResult, LMState
from jaxtrade.estimation.problem import MomentProblem, run_info
from jaxtrade.progress import progress_bar

__all__ = ["FirstOrderState", "adam_lbfgs"]


class FirstOrderState(NamedTuple):
    """Where an Adam/L-BFGS run is: point, phase ("adam" or "lbfgs"), step, optax state leaves, learning rate."""

    u: np.ndarray
    phase: str
    step: int
    opt_leaves: list[np.ndarray] | None
    learning_rate: float
    evaluations: int


def _loss_fn(problem: MomentProblem):
    idx = problem.target_index

    def loss(u, fixed, data, w):
        m, ok = problem.moments_at(u, fixed)
        r = m[idx] - data
        return jnp.where(ok, r @ w @ r, jnp.inf)

    return loss


def _steps(problem: MomentProblem):
    """Jitted Adam and L-BFGS steps (data and weights are arguments: shared by ``with_data`` copies)."""
    cache = problem.kernel_cache("first_order")
    if not cache:
        loss = _loss_fn(problem)
        vg = jax.value_and_grad(loss)
        lbfgs = optax.lbfgs()

        def adam_step(u, state, fixed, data, w, lr):
            value, grad = vg(u, fixed, data, w)
            updates, state = optax.adam(lr).update(grad, state, u)
            return optax.apply_updates(u, updates), state, value, grad

        def lbfgs_step(u, state, fixed, data, w):
            f = lambda x: loss(x, fixed, data, w)  # noqa: E731
            value, grad = optax.value_and_grad_from_state(f)(u, state=state)
            updates, state = lbfgs.update(grad, state, u, value=value, grad=grad, value_fn=f)
            return optax.apply_updates(u, updates), state, value, grad

        cache.update(adam=jax.jit(adam_step), lbfgs=jax.jit(lbfgs_step), lbfgs_init=lbfgs.init)
    return cache


def adam_lbfgs(
    problem: MomentProblem,
    u0,
    fixed: dict | None = None,
    *,
    adam_steps: int = 200,
    learning_rate: float = 0.05,
    lbfgs_steps: int = 100,
    tol: float = 1e-10,
    gtol: float = 1e-10,
    state: FirstOrderState | None = None,
    on_iteration: Callable[[FirstOrderState, dict[str, Any]], None] | None = None,
    progress: bool | None = None,
    desc: str = "Adam, L-BFGS",
    throw: bool = True,
) -> LMResult:
    """Minimise F by Adam then L-BFGS (module docstring); returns the same record as Levenberg-Marquardt.

    ``tol`` (max |r| over the targets) and ``gtol`` (max |dF/du|) stop either
    phase early; ``info.converged`` when one of them is met. ``throw=True``
    raises :class:`~jaxtrade.errors.ConvergenceError` otherwise.
    """
    fixed = problem.fixed if fixed is None else fixed
    steps = _steps(problem)
    data, w = jnp.asarray(problem.data_vector), jnp.asarray(problem.weights)
    u = jnp.asarray(u0 if state is None else state.u, dtype=float)
    if state is None:
        state = FirstOrderState(np.asarray(u), "adam", 0, None, float(learning_rate), 0)
    phase, step, lr, evals = state.phase, state.step, state.learning_rate, state.evaluations
    adam_template = optax.adam(lr).init(u)
    lbfgs_template = steps["lbfgs_init"](u)

    def restore(template):
        if state.opt_leaves is None:
            return template
        return jax.tree.unflatten(jax.tree.structure(template), [jnp.asarray(x) for x in state.opt_leaves])

    opt_state = restore(adam_template if phase == "adam" else lbfgs_template)
    history: list[dict[str, Any]] = []
    start = time.perf_counter()
    result = RESULTS.max_iterations
    total = adam_steps + lbfgs_steps
    with progress_bar(total, desc, unit="step", progress=progress) as bar:
        bar.update(step + (adam_steps if phase == "lbfgs" else 0))
        while True:
            if phase == "adam" and step >= adam_steps:
                phase, step = "lbfgs", 0
                opt_state = steps["lbfgs_init"](u)
            if phase == "lbfgs" and step >= lbfgs_steps:
                break
            if phase == "adam":
                u_new, s_new, value, grad = steps["adam"](u, opt_state, fixed, data, w, lr)
            else:
                u_new, s_new, value, grad = steps["lbfgs"](u, opt_state, fixed, data, w)
            evals += 1
            value, grad = float(value), np.asarray(grad)
            if not (np.isfinite(value) and np.all(np.isfinite(grad))):
                result = RESULTS.inner_failed
                break
            if float(np.max(np.abs(grad))) <= gtol:
                result = RESULTS.successful
                break
            m, ok = problem.evaluate(u_new, fixed)
            evals += 1
            if not bool(ok) or not np.all(np.isfinite(np.asarray(u_new))):
                if phase == "lbfgs":
                    result = RESULTS.stalled
                    break
                lr *= 0.5  # undo the step; retry with smaller steps
                if lr < 1e-12:
                    result = RESULTS.stalled
                    break
                continue
            u, opt_state = u_new, s_new
            step += 1
            r = np.asarray(m)[problem.target_index] - problem.data_vector
            max_abs = float(np.max(np.abs(r)))
            record = {
                "iteration": step + (adam_steps if phase == "lbfgs" else 0),
                "phase": phase,
                "loss": float(r @ problem.weights @ r),
                "max_abs_residual": max_abs,
                "learning_rate": lr,
                "seconds": time.perf_counter() - start,
            }
            history.append(record)
            bar.update()
            bar.set_postfix(phase=phase, loss=f"{record['loss']:.3e}")
            if on_iteration is not None:
                leaves = [np.asarray(x) for x in jax.tree.leaves(opt_state)]
                on_iteration(FirstOrderState(np.asarray(u), phase, step, leaves, lr, evals), record)
            if max_abs <= tol:
                result = RESULTS.successful
                break
    m, ok, jac = (np.asarray(x) for x in problem.linearize(u, fixed))
    r = m[problem.target_index] - problem.data_vector
    loss = float(r @ problem.weights @ r) if bool(ok) else np.inf
    u_np = np.asarray(u)
    info = run_info(len(history), float(np.max(np.abs(r))), result)
    out = LMResult(u_np, m, jac, loss, info, LMState(u_np, 0.0, 0.0, len(history), evals), history)
    return finish(out, throw=throw, what="Adam then L-BFGS on the moment objective", tol=tol)
