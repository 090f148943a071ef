"""Newton root finding for small nonlinear systems, with implicit derivatives.

:func:`newton_root` solves ``F(x, args) = 0`` for a vector ``x`` by Newton's
method with a backtracking (Armijo) line search on ``||F||_2``, inside
``lax.while_loop`` so that it jits and vmaps. Derivatives of the solution with
respect to ``args`` come from the implicit function theorem through
:func:`jax.lax.custom_root`,

    dx/dargs = -[dF/dx]^{-1} dF/dargs,

never by differentiating the unrolled iterations. Forward (``jax.jacfwd``,
``jax.jvp``) and reverse (``jax.grad``) mode both work.

The result is a :class:`~jaxtrade.errors.Solution`; ``throw`` follows the
solver contract of :mod:`jaxtrade.errors`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from jaxtrade.errors import Solution, finish, solver_info
from jaxtrade.numerics.linalg import solve_small


def _dense_tangent_solve(g: Callable, y: jax.Array) -> jax.Array:
    """Solve the linear system ``g(z) = y`` for small dense ``g`` (custom_root)."""
    jac = jax.jacfwd(g)(y)
    return solve_small(jac, y)


def _value_and_jacobian(fn, x, warm):
    """``fn(x, warm) -> (r, w)``: returns ``r``, ``dr/dx``, ``w`` and ``dw/dx`` from one forward-mode pass.

    The primal values do not depend on the tangent basis, so ``jacfwd``'s vmap
    computes them once; the residual costs one evaluation with its tangents,
    not an evaluation plus a separate Jacobian pass.
    """

    def both(y):
        r, w = fn(y, warm)
        return (r, w), (r, w)

    (jac, dw), (r, w) = jax.jacfwd(both, has_aux=True)(x)
    return r, jac, w, dw


def _predict(w, dw, dx):
    """First-order prediction ``w + dw/dx dx`` of the warm state at ``x + dx`` (leaves of any shape)."""
    return jax.tree_util.tree_map(lambda a, da: a + jnp.tensordot(da, dx, axes=1).astype(a.dtype), w, dw)


def _newton_iterations(fn, x0, warm0, tol, max_iter, max_backtracks, armijo):
    """Damped Newton iterations on ``fn(x, warm) -> (r, warm')``; returns ``(x, (iterations, residual, stalled), warm)``.

    Each evaluation (the full step and every backtrack) gives the residual and
    its Jacobian together (:func:`_value_and_jacobian`), so the accepted point's
    Jacobian is already known for the next step. ``warm`` is the inner solves'
    state at the accepted point; a trial point's initial guess is its
    first-order prediction along the step. The residual is evaluated in one
    place only (the line search's loop body; the evaluation at ``x0`` is that
    loop's first pass with a zero step), which keeps the compiled program to
    one copy of ``fn`` and its tangents.
    """
    n = x0.shape[0]
    dtype = x0.dtype

    def norm2(r):
        r = jnp.where(jnp.isfinite(r), r, jnp.inf)
        return jnp.sum(r * r)

    def cond(state):
        _, r, _, _, _, it, stalled, started = state
        res = jnp.max(jnp.abs(r))
        return ~started | ((it < max_iter) & ~(res <= tol) & jnp.all(jnp.isfinite(r)) & ~stalled)

    def body(state):
        x, r, jac, w, dw, it, _, started = state
        # under vmap the body also runs for members that have finished (their results are
        # discarded); they must not hold the line search of the others: at a converged point
        # round-off can fail the Armijo test and would otherwise backtrack every time
        active = cond(state)
        step = solve_small(jac, -r)
        step = jnp.where(jnp.isfinite(step) & started, step, 0.0)
        f0 = jnp.where(started, norm2(r), jnp.inf)

        def ls_cond(ls):
            t, trial, k = ls
            armijo_fails = ~(norm2(trial[0]) <= (1.0 - 2.0 * armijo * t) * f0)
            return (k == 0) | (active & (k <= max_backtracks) & armijo_fails)

        def ls_body(ls):
            t, _, k = ls
            t = jnp.where(k == 0, jnp.ones_like(t), 0.5 * t)
            return t, _value_and_jacobian(fn, x + t * step, _predict(w, dw, t * step)), k + 1

        t, trial, _ = jax.lax.while_loop(ls_cond, ls_body, (jnp.ones((), dtype), (r, jac, w, dw), 0))
        # a line search that cannot reduce ||F|| at all means Newton has stalled
        # (no nearby root): stop instead of spending the remaining iterations
        stalled = started & ~(norm2(trial[0]) < f0)
        keep = (x, r, jac, w, dw)
        new = (x + t * step, *trial)
        out = jax.tree_util.tree_map(lambda old, nw: jnp.where(stalled, old, nw), keep, new)
        return (*out, it + started.astype(it.dtype), stalled, jnp.asarray(True))

    warm0 = jax.tree_util.tree_map(jnp.asarray, warm0)
    dw0 = jax.tree_util.tree_map(lambda a: jnp.zeros(a.shape + (n,), a.dtype), warm0)
    zeros = jnp.zeros((n,), dtype)
    state = (x0, zeros, jnp.eye(n, dtype=dtype), warm0, dw0, jnp.asarray(0), jnp.asarray(False), jnp.asarray(False))
    x, r, _, w, _, it, stalled, _ = jax.lax.while_loop(cond, body, state)
    res = jnp.max(jnp.abs(r))
    res = jnp.where(jnp.all(jnp.isfinite(r)), res, jnp.inf)
    # aux must be floating for custom_root's JVP rule; cast back outside.
    return x, (it.astype(res.dtype), res, stalled.astype(res.dtype)), w


def newton_root(
    fn: Callable[[jax.Array, Any], jax.Array],
    x0: jax.Array,
    args: Any = None,
    *,
    tol: float = 1e-12,
    max_iter: int | jax.Array = 100,
    max_backtracks: int = 20,
    armijo: float = 1e-4,
    throw: bool = True,
) -> Solution:
    """Solve ``fn(x, args) = 0`` by Newton's method with backtracking line search.

    Parameters
    ----------
    fn:
        Residual function mapping ``(x, args)`` to a vector the size of ``x``.
    x0:
        Initial guess (1-D float array). The solution does not depend on it,
        so no derivative flows to ``x0``.
    args:
        Pytree of parameters; the solution is differentiable in it by the
        implicit function theorem.
    tol:
        Convergence when ``max|fn(x, args)| <= tol``.
    max_iter:
        Newton iterations at most; may be a traced integer (e.g. 0 for lanes of
        a vmapped batch known to have no solution, so they do not hold up the batch).
    throw:
        ``True`` (default): a failed solve raises (:func:`jaxtrade.errors.finish`);
        ``False``: the caller reads ``info.converged``.

    Returns
    -------
    Solution
        ``value`` (the root) and ``info`` (iterations, max-abs residual,
        converged flag, and ``result``: ``stalled`` when the line search
        cannot reduce the residual, ``nonfinite``, or ``max_iterations``).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from jaxtrade.numerics import newton_root
    >>> sol = newton_root(lambda x, a: x**2 - a, jnp.ones(2), jnp.array([4.0, 9.0]))
    >>> sol.value.tolist(), bool(sol.info.converged)
    ([2.0, 3.0], True)
    """
    x0 = jnp.asarray(x0)
    sol, _ = _newton_solve(lambda x, a, w: (fn(x, a), w), x0, args, (), tol, max_iter, max_backtracks, armijo)
    return finish(sol, throw=throw, what="Newton root solve", tol=tol)


def newton_root_warm(
    fn: Callable[[jax.Array, Any, Any], tuple[jax.Array, Any]],
    x0: jax.Array,
    warm_start: Any,
    args: Any = None,
    *,
    tol: float = 1e-12,
    max_iter: int | jax.Array = 100,
    max_backtracks: int = 20,
    armijo: float = 1e-4,
    throw: bool = True,
) -> tuple[Solution, Any]:
    """:func:`newton_root` for residuals with inner iterative solves, warm-started across Newton steps.

    ``fn(x, args, warm)`` returns ``(residual, warm_new)``: ``warm`` (a pytree
    of float arrays, ``warm_start`` at first) is the initial guess of the inner
    solves (value functions, distributions) and ``warm_new`` their solutions at
    ``x``. Every trial point starts from the last accepted point's ``warm_new``
    moved to first order along the step, ``warm_new + d warm_new/dx (x' - x)``
    (the derivative comes from the forward-mode pass that gives the Jacobian),
    so the inner solves start close to their solutions, and ever closer as
    Newton converges. The residual must not depend on ``warm`` beyond the inner
    solves' tolerances.

    The root's implicit derivative (:func:`jax.lax.custom_root`) evaluates
    ``fn`` from ``warm_start``, never from a state of the iteration; no
    derivative flows to ``warm_start`` or to the returned state.

    Returns
    -------
    (Solution, warm)
        The root as in :func:`newton_root` and the inner solves' state at the
        root (e.g. the initial guess of a final evaluation there).

    Examples
    --------
    >>> import math
    >>> import jax.numpy as jnp
    >>> from jaxtrade.numerics import fixed_point
    >>> def fn(x, a, w):  # y(x) solves y = x cos(y) (warm-started at w); find x with y(x) = a
    ...     y = fixed_point(lambda y, x: x * jnp.cos(y), w, x[0], tol=1e-14, throw=False).value
    ...     return jnp.atleast_1d(y - a), y
    >>> sol, y = newton_root_warm(fn, jnp.ones(1), jnp.zeros(()), 0.5)
    >>> round(float(sol.value[0]), 12) == round(0.5 / math.cos(0.5), 12), bool(sol.info.converged), round(float(y), 12)
    (True, True, 0.5)
    """
    x0 = jnp.asarray(x0)
    sol, warm = _newton_solve(fn, x0, args, warm_start, tol, max_iter, max_backtracks, armijo)
    return finish(sol, throw=throw, what="Newton root solve", tol=tol), warm


def _newton_solve(fn, x0, args, warm_start, tol, max_iter, max_backtracks, armijo):
    """The custom_root around :func:`_newton_iterations`; returns ``(Solution, warm)``."""
    warm_start = jax.lax.stop_gradient(warm_start)

    def F(x):
        return fn(x, args, warm_start)[0]

    def solve(_f, x_init):
        x, aux, warm = _newton_iterations(
            lambda y, w: fn(y, args, w), x_init, warm_start, tol, max_iter, max_backtracks, armijo
        )
        return x, (aux, warm)

    x, ((it, res, stalled), warm) = jax.lax.custom_root(F, x0, solve, _dense_tangent_solve, has_aux=True)
    it = jax.lax.stop_gradient(it).astype(jnp.int32)
    res = jax.lax.stop_gradient(res)
    info = solver_info(it, res, tol, stalled=jax.lax.stop_gradient(stalled) > 0)
    return Solution(value=x, info=info), jax.lax.stop_gradient(warm)
