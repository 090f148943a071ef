"""Fixed points ``x = f(x, args)`` with implicit derivatives.

:func:`fixed_point` iterates a map ``f`` on a pytree ``x`` inside
``lax.while_loop`` (so it jits and vmaps), either by plain damped iteration

    x_{k+1} = x_k + beta * g_k,        g_k = f(x_k, args) - x_k,

or by type-II Anderson acceleration with a fixed memory ``m`` (Walker & Ni 2011):

    gamma_k = argmin_gamma ||g_k - dG_k gamma||^2 + lam ||gamma||^2,
    x_{k+1} = x_k + beta * g_k - (dX_k + beta * dG_k) gamma_k,

where the columns of ``dX_k`` and ``dG_k`` are the last ``m`` differences
``x_{i+1} - x_i`` and ``g_{i+1} - g_i`` and ``lam`` is a small ridge penalty
relative to ``trace(dG_k' dG_k)``. When the Anderson step is not finite the
iteration falls back to the plain damped step.

Derivatives of the solution with respect to ``args`` come from the implicit
function theorem applied to the root problem ``G(x) = f(x, args) - x = 0``
through :func:`jax.lax.custom_root`:

    dx/dargs = (I - df/dx)^{-1} df/dargs,

never by differentiating the unrolled loop. The tangent system
``(df/dx - I) z = y`` (and its transpose, in reverse mode) is solved
matrix-free with GMRES or BiCGStab on Jacobian-vector products, by a Neumann
series (valid for contractions), or densely for small ``x``.

Every solve returns a :class:`~jaxtrade.errors.Solution` and takes
``throw`` (the solver contract of :mod:`jaxtrade.errors`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from jaxtrade.errors import Solution, finish, solver_info
from jaxtrade.numerics.linalg import solve_small

_METHODS = ("iterate", "anderson")
_IMPLICIT_SOLVERS = ("auto", "gmres", "bicgstab", "neumann", "dense")
_DENSE_AUTO_MAX = 100  # "auto" uses the dense tangent solve up to this many unknowns


def _max_abs(r: jax.Array) -> jax.Array:
    """Max-abs norm of ``r``; ``inf`` if any entry is not finite."""
    if r.size == 0:
        return jnp.asarray(0.0, r.dtype)
    return jnp.where(jnp.all(jnp.isfinite(r)), jnp.max(jnp.abs(r)), jnp.inf)


def _plain_iterations(G, x0, tol, max_iter, damping):
    """Damped iteration ``x <- x + damping * G(x)``; returns ``(x, (it, res))``."""

    def cond(state):
        _, _, it, res = state
        return (it < max_iter) & ~(res <= tol) & jnp.isfinite(res)

    def body(state):
        x, g, it, _ = state
        x_new = x + damping * g
        g_new = G(x_new)
        return x_new, g_new, it + 1, _max_abs(g_new)

    g0 = G(x0)
    x, _, it, res = jax.lax.while_loop(cond, body, (x0, g0, jnp.asarray(0), _max_abs(g0)))
    return x, (it.astype(res.dtype), res)


def _anderson_iterations(G, x0, tol, max_iter, damping, memory, regularization, max_steps):
    """Type-II Anderson acceleration with fixed memory; returns ``(x, (it, res))``.

    The difference buffers ``dX``, ``dG`` (shape ``(memory, n)``) are a ring:
    step ``k`` writes row ``k % memory``. Rows not yet written are zero; the
    ridge term then gives them zero weight. From step ``max_steps`` on, every
    step is the plain damped one (the safeguard for maps on which Anderson
    stagnates; the loop itself is the same, so this costs nothing).
    """
    n = x0.shape[0]
    dtype = x0.dtype
    eye = jnp.eye(memory, dtype=dtype)
    tiny = jnp.finfo(dtype).tiny

    def cond(state):
        _, _, _, _, it, res = state
        return (it < max_iter) & ~(res <= tol) & jnp.isfinite(res)

    def body(state):
        x, g, dX, dG, it, _ = state
        gram = dG @ dG.T
        lam = regularization * jnp.maximum(jnp.trace(gram), tiny)
        gamma = solve_small(gram + lam * eye, dG @ g)
        x_aa = x + damping * g - (dX + damping * dG).T @ gamma
        x_plain = x + damping * g
        x_new = jnp.where(jnp.all(jnp.isfinite(x_aa)) & (it < max_steps), x_aa, x_plain)
        g_new = G(x_new)
        slot = it % memory
        dX = dX.at[slot].set(x_new - x)
        dG = dG.at[slot].set(g_new - g)
        return x_new, g_new, dX, dG, it + 1, _max_abs(g_new)

    g0 = G(x0)
    zeros = jnp.zeros((memory, n), dtype)
    state = (x0, g0, zeros, zeros, jnp.asarray(0), _max_abs(g0))
    x, _, _, _, it, res = jax.lax.while_loop(cond, body, state)
    return x, (it.astype(res.dtype), res)


def _neumann_solve(matvec, b, tol, max_iter):
    """Solve ``(J - I) z = b`` given ``matvec(z) = (J - I) z`` by ``z <- J z - b``.

    Converges when the spectral radius of ``J`` is below one (a contraction).
    """
    scale = jnp.maximum(jnp.max(jnp.abs(b)), jnp.finfo(b.dtype).tiny)

    def cond(state):
        _, r, k = state
        return (k < max_iter) & (jnp.max(jnp.abs(r)) > tol * scale)

    def body(state):
        z, r, k = state
        z = z + r  # J z - b = (J - I) z - b + z
        return z, matvec(z) - b, k + 1

    z0 = -b
    z, _, _ = jax.lax.while_loop(cond, body, (z0, matvec(z0) - b, 0))
    return z


def _make_tangent_solve(solver, size, tol, max_iter, restart):
    """Tangent solver ``(g, y) -> z`` with ``g(z) = y`` for :func:`jax.lax.custom_root`.

    Every choice is transposable (``custom_linear_solve`` underneath), so both
    forward- and reverse-mode derivatives work.

    The Krylov solves are JAX's own (``jax.scipy.sparse.linalg``). lineax
    0.1.1 was tried and rejected: its BiCGStab returns NaN on unit-vector
    right-hand sides (which forward-mode Jacobians pass), and its operator
    structure checks fail inside ``shard_map`` (manual mesh axes make the
    vector's and the operator's structures differ).
    """
    if solver == "auto":
        solver = "dense" if size <= _DENSE_AUTO_MAX else "gmres"
    if solver == "dense":

        def tangent_solve(g, y):
            return solve_small(jax.jacfwd(g)(y), y)

    else:
        if solver == "gmres":
            restart_eff = max(1, min(restart, size))

            def solve(matvec, b):
                z, _ = jax.scipy.sparse.linalg.gmres(
                    matvec,
                    b,
                    jnp.zeros_like(b),
                    tol=tol,
                    atol=0.0,
                    restart=restart_eff,
                    maxiter=max(1, max_iter // restart_eff),
                    solve_method="batched",
                )
                return z

        elif solver == "bicgstab":

            def solve(matvec, b):
                z, _ = jax.scipy.sparse.linalg.bicgstab(
                    matvec, b, jnp.zeros_like(b), tol=tol, atol=0.0, maxiter=max_iter
                )
                return z

        else:  # neumann

            def solve(matvec, b):
                return _neumann_solve(matvec, b, tol, max_iter)

        # Wrapping the iterative solve in custom_linear_solve makes it transposable
        # (reverse mode solves the transposed system with the same method); the
        # solver's own tolerances are computed from ``b`` inside ``solve``, where
        # ``b`` is a primal value.
        def tangent_solve(g, y):
            return jax.lax.custom_linear_solve(g, y, solve=solve, transpose_solve=solve)

    return tangent_solve


def _validate(tol, max_iter, method, anderson_memory, damping, implicit_solver, anderson_max_steps):
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    if implicit_solver not in _IMPLICIT_SOLVERS:
        raise ValueError(f"implicit_solver must be one of {_IMPLICIT_SOLVERS}, got {implicit_solver!r}")
    if not (float(tol) > 0.0):
        raise ValueError(f"tol must be > 0, got {tol}")
    if int(max_iter) < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter}")
    if int(anderson_memory) < 1:
        raise ValueError(f"anderson_memory must be >= 1, got {anderson_memory}")
    if not (0.0 < float(damping) <= 1.0):
        raise ValueError(f"damping must satisfy 0 < damping <= 1, got {damping}")
    if anderson_max_steps is not None and int(anderson_max_steps) < 0:
        raise ValueError(f"anderson_max_steps must be None or >= 0, got {anderson_max_steps}")


def fixed_point(
    f: Callable[[Any, Any], Any],
    x0: Any,
    args: Any = None,
    *,
    tol: float = 1e-10,
    max_iter: int = 10_000,
    method: str = "iterate",
    anderson_memory: int = 5,
    anderson_regularization: float = 1e-10,
    anderson_max_steps: int | None = None,
    damping: float = 1.0,
    implicit_solver: str = "auto",
    implicit_tol: float | None = None,
    implicit_max_iter: int = 2_000,
    implicit_restart: int = 20,
    throw: bool = True,
) -> Solution:
    """Solve ``x = f(x, args)`` by damped iteration or Anderson acceleration.

    Parameters
    ----------
    f:
        Map ``(x, args) -> x'`` returning a pytree with the structure, shapes
        and dtypes of ``x``.
    x0:
        Initial guess (pytree of float arrays). No derivative flows to it.
    args:
        Pytree of parameters. The solution is differentiable in ``args``
        (``jax.grad``, ``jax.jacfwd``, ``jax.jvp``) by the implicit function
        theorem, ``dx/dargs = (I - f_x)^{-1} f_args``.
    tol:
        Convergence when ``max|f(x, args) - x| <= tol``.
    max_iter:
        Maximum number of updates of ``x`` (static).
    method:
        ``"iterate"``: ``x <- x + damping (f(x) - x)``; ``"anderson"``:
        type-II Anderson acceleration with memory ``anderson_memory``, ridge
        penalty ``anderson_regularization * trace(dG'dG)`` and a fallback to the
        plain damped step when the accelerated step is not finite.
    anderson_max_steps:
        With ``method="anderson"``: accelerated steps at most; the remaining
        ``max_iter - anderson_max_steps`` steps are plain damped iteration, which
        converges for any contraction (Anderson carries no such guarantee on
        non-smooth maps such as a Bellman operator with a hard max). ``None``
        (default): Anderson throughout.
    damping:
        Mixing weight ``beta`` in ``(0, 1]``.
    implicit_solver:
        Linear solver for the tangent system ``(f_x - I) z = y`` in the
        derivative: ``"gmres"`` (default for more than 100 unknowns),
        ``"bicgstab"`` or ``"neumann"`` (series ``z <- f_x z - y``, for
        contractions) are matrix-free and scale to large ``x``; ``"dense"``
        builds the Jacobian (default for up to 100 unknowns).
    implicit_tol, implicit_max_iter, implicit_restart:
        Relative tolerance, iteration cap (matrix-vector products) and GMRES
        restart length of the tangent solve. ``implicit_tol=None``: 1e-12, or
        ``100 * eps`` of the dtype where that is larger (1.2e-5 in float32, whose
        round-off a tighter Krylov tolerance could never meet: the solve would
        run to ``implicit_max_iter``).
    throw:
        ``True`` (default): a failed solve raises (:func:`jaxtrade.errors.finish`);
        ``False``: the caller reads ``info.converged``.

    Returns
    -------
    Solution
        ``value`` (same pytree structure as ``x0``) and ``info``
        (iterations = updates of ``x``, max-abs residual ``|f(x) - x|``,
        converged flag, reason). A non-finite residual stops the loop and
        reports ``residual = inf`` with ``result = RESULTS.nonfinite``.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from jaxtrade.numerics import fixed_point
    >>> sol = fixed_point(lambda x, a: jnp.cos(x) * a, jnp.zeros(1), 1.0, method="anderson")
    >>> round(float(sol.value[0]), 10), bool(sol.info.converged)
    (0.7390851332, True)
    """
    _validate(tol, max_iter, method, anderson_memory, damping, implicit_solver, anderson_max_steps)
    aa_steps = int(max_iter) if anderson_max_steps is None else int(anderson_max_steps)
    float_dtype = jnp.result_type(float)
    x0 = jax.tree_util.tree_map(
        lambda leaf: jnp.asarray(leaf, dtype=jnp.promote_types(jnp.result_type(leaf), float_dtype)), x0
    )
    x0_flat, unravel = ravel_pytree(x0)

    def G(v):
        fx_flat, _ = ravel_pytree(f(unravel(v), args))
        if fx_flat.shape != v.shape:
            raise ValueError(
                f"f must return a pytree of the same size as x0: got {fx_flat.shape[0]} values, expected {v.shape[0]}"
            )
        return fx_flat.astype(v.dtype) - v

    if method == "iterate":

        def solve(g, x_init):
            return _plain_iterations(g, x_init, tol, max_iter, damping)

    else:

        def solve(g, x_init):
            return _anderson_iterations(
                g, x_init, tol, max_iter, damping, int(anderson_memory), anderson_regularization, aa_steps
            )

    if implicit_tol is None:
        implicit_tol = max(1e-12, 100.0 * float(jnp.finfo(x0_flat.dtype).eps))
    tangent_solve = _make_tangent_solve(
        implicit_solver, x0_flat.shape[0], implicit_tol, int(implicit_max_iter), int(implicit_restart)
    )
    x_flat, (it, res) = jax.lax.custom_root(G, x0_flat, solve, tangent_solve, has_aux=True)
    it = jax.lax.stop_gradient(it).astype(jnp.int32)
    res = jax.lax.stop_gradient(res)
    out = Solution(value=unravel(x_flat), info=solver_info(it, res, tol))
    return finish(out, throw=throw, what="fixed-point iteration", tol=tol)


def value_iteration(
    bellman: Callable[[jax.Array], jax.Array], v0: jax.Array, *, tol: float, max_iter: int, throw: bool = True
) -> Solution:
    """Iterate ``v <- bellman(v)`` from ``bellman(v0)`` until the relative sup-norm change is small.

    The stopping rule is ``max |Tv - v| / (1 + |Tv|) <= tol`` (scale-free for
    value functions whose levels vary by orders of magnitude across types).
    Plain iteration inside ``lax.while_loop`` (jit/vmap safe), no implicit
    derivatives: use it for loops whose output is a decision rule. Returns a
    :class:`~jaxtrade.errors.Solution` whose ``info.residual`` is the last
    relative change; ``throw`` as in :func:`fixed_point`.
    """

    def cond(c):
        _, it, err = c
        return (err > tol) & (it < max_iter)

    def body(c):
        v, it, _ = c
        vn = bellman(v)
        return vn, it + 1, jnp.max(jnp.abs(vn - v) / (1.0 + jnp.abs(vn)))

    v, it, change = jax.lax.while_loop(cond, body, (bellman(v0), jnp.asarray(1), jnp.asarray(jnp.inf)))
    out = Solution(value=v, info=solver_info(it, change, tol))
    return finish(out, throw=throw, what="value iteration", tol=tol)
