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


def _newton_iterations(F, x0, tol, max_iter, max_backtracks, armijo):
    """Damped Newton iterations; returns (x, (iterations, residual, stalled))."""

    def norm2(r):
        r = jnp.where(jnp.isfinite(r), r, jnp.inf)
        return jnp.sum(r * r)

    def cond(state):
        _, r, it, stalled = state
        res = jnp.max(jnp.abs(r))
        return (it < max_iter) & ~(res <= tol) & jnp.all(jnp.isfinite(r)) & ~stalled

    def body(state):
        x, r, it, _ = state
        jac = jax.jacfwd(F)(x)
        step = solve_small(jac, -r)
        step = jnp.where(jnp.isfinite(step), step, 0.0)
        f0 = norm2(r)

        def ls_cond(ls):
            t, _, f_new, k = ls
            return (k < max_backtracks) & ~(f_new <= (1.0 - 2.0 * armijo * t) * f0)

        def ls_body(ls):
            t, _, _, k = ls
            t = 0.5 * t
            r_new = F(x + t * step)
            return t, r_new, norm2(r_new), k + 1

        r1 = F(x + step)
        t, r_new, f_new, _ = jax.lax.while_loop(ls_cond, ls_body, (jnp.asarray(1.0, x.dtype), r1, norm2(r1), 0))
        # a line search that cannot reduce ||F|| at all means Newton has stalled
        # (no nearby root): stop instead of spending the remaining iterations
        stalled = ~(f_new < f0)
        x_new = jnp.where(stalled, x, x + t * step)
        r_out = jnp.where(stalled, r, r_new)
        return x_new, r_out, it + 1, stalled

    r0 = F(x0)
    x, r, it, stalled = jax.lax.while_loop(cond, body, (x0, r0, jnp.asarray(0), jnp.asarray(False)))
    res = jnp.max(jnp.abs(r))
    res = jnp.where(jnp.all(jnp.isfinite(r)), res, jnp.inf)
    # aux must be floating for custom_root's JVP rule; cast back outside.
    return x, (it.astype(res.dtype), res, stalled.astype(res.dtype))


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

    def F(x):
        return fn(x, args)

    def solve(f, x_init):
        return _newton_iterations(f, x_init, tol, max_iter, max_backtracks, armijo)

    x, (it, res, stalled) = jax.lax.custom_root(F, x0, solve, _dense_tangent_solve, has_aux=True)
    it = jax.lax.stop_gradient(it).astype(jnp.int32)
    res = jax.lax.stop_gradient(res)
    info = solver_info(it, res, tol, stalled=jax.lax.stop_gradient(stalled) > 0)
    return finish(Solution(value=x, info=info), throw=throw, what="Newton root solve", tol=tol)
