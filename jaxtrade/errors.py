"""Solver diagnostics and the errors jaxtrade raises.

Every solver in jaxtrade returns a :class:`SolverInfo` next to its solution:
the number of iterations, the final residual (max-abs norm) and a boolean
``converged`` flag. Inside ``jit``/``vmap`` the flag is data the caller must
check; outside of a trace :func:`check_converged` turns a failed solve into a
:class:`ConvergenceError` that carries the iterations and residual.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np


class ConvergenceError(RuntimeError):
    """A solver stopped before meeting its tolerance.

    Attributes
    ----------
    iterations, residual:
        What the solver reached (arrays when the solve was batched).
    what:
        A short name of the solve that failed.
    """

    def __init__(self, what: str, iterations, residual, tol=None, extra: str = ""):
        self.what = what
        self.iterations = np.asarray(iterations)
        self.residual = np.asarray(residual)
        self.tol = tol
        msg = (
            f"{what} did not converge: iterations={self.iterations.tolist()}, "
            f"residual={self.residual.tolist()}"
        )
        if tol is not None:
            msg += f", tolerance={tol}"
        if extra:
            msg += f"; {extra}"
        super().__init__(msg)


class SolverInfo(eqx.Module):
    """Diagnostics every jaxtrade solver returns.

    Attributes
    ----------
    iterations: number of iterations performed (int array).
    residual: max-abs residual at the returned point (float array).
    converged: ``residual <= tol`` and finite (bool array).
    """

    iterations: jax.Array
    residual: jax.Array
    converged: jax.Array


def is_traced(x) -> bool:
    """True when ``x`` (or any leaf of it) is a JAX tracer (inside jit/vmap/grad)."""
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(x))


def check_converged(info: SolverInfo, what: str, tol=None, extra: str = "") -> SolverInfo:
    """Raise :class:`ConvergenceError` if any solve in ``info`` failed.

    Inside a trace the flag cannot be read; the function then returns ``info``
    unchanged and the caller is responsible for the flag.
    """
    if is_traced(info):
        return info
    if not bool(np.all(np.asarray(info.converged))):
        raise ConvergenceError(what, info.iterations, info.residual, tol=tol, extra=extra)
    return info


def converged_flag(residual, tol) -> jax.Array:
    """``residual <= tol`` and finite: the one definition of convergence."""
    return jnp.isfinite(residual) & (residual <= tol)
