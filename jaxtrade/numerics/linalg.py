"""Small dense linear solves in pure JAX.

:func:`solve_small` solves ``A x = b`` by Gaussian elimination with partial
pivoting written in ``lax`` primitives. jaxtrade uses it instead of
``jnp.linalg.solve`` for the many small systems of its solvers (Newton steps,
implicit-function tangents, 2x2 market-clearing blocks) because

* under ``vmap`` on the CPU, ``jnp.linalg.solve`` becomes a batched LAPACK
  custom call whose parallel batch map can deadlock inside XLA's thread pool
  (seen with jaxlib 0.10.2 on a 2-core machine: the process waits forever in
  ``lapack_dtrsm_ffi`` -> ``ParallelBatchMap``); pure ``lax`` code cannot;
* it is differentiable (forward and reverse) and fuses into the surrounding
  computation on every backend.

Cost is O(n^3) per system, fine up to a few hundred unknowns. A singular
matrix gives non-finite entries, which the calling solvers detect and report
as non-convergence.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def solve_small(A: jax.Array, b: jax.Array) -> jax.Array:
    """Solve ``A x = b`` for square ``A`` (n, n) and ``b`` (n,) or (n, m).

    Gaussian elimination with partial (row) pivoting and back substitution,
    each a ``lax.fori_loop`` over the n columns, wrapped in
    ``lax.custom_linear_solve`` (with the elimination on A' as its transpose)
    so that it is linear and transposable in ``b`` -- as the implicit-function
    derivatives of :func:`jax.lax.custom_root` require -- and differentiable
    in ``A``. vmap over leading batch axes with ``jax.vmap``.
    """
    A = jnp.asarray(A)
    b = jnp.asarray(b)
    n = A.shape[-1]
    if A.ndim != 2 or A.shape[0] != n:
        raise ValueError(f"solve_small: A must be square (n, n), got shape {A.shape}")
    if b.shape[0] != n or b.ndim not in (1, 2):
        raise ValueError(f"solve_small: b must have {n} rows (shape (n,) or (n, m)), got shape {b.shape}")
    dtype = jnp.result_type(A, b, float)
    A = A.astype(dtype)
    b = b.astype(dtype)
    return jax.lax.custom_linear_solve(
        lambda x: A @ x,
        b,
        solve=lambda _, r: _gauss_solve(A, r),
        transpose_solve=lambda _, r: _gauss_solve(A.T, r),
    )


def _gauss_solve(A: jax.Array, b: jax.Array) -> jax.Array:
    """Gaussian elimination with partial pivoting (no autodiff rules needed)."""
    n = A.shape[-1]
    vector = b.ndim == 1
    B = b[:, None] if vector else b
    dtype = jnp.result_type(A, B)
    M = jnp.concatenate([A.astype(dtype), B.astype(dtype)], axis=1)
    rows = jnp.arange(n)

    def eliminate(k, M):
        col = jnp.where(rows >= k, jnp.abs(M[:, k]), -1.0)
        p = jnp.argmax(col)
        row_k, row_p = M[k], M[p]
        M = M.at[k].set(row_p).at[p].set(row_k)
        factors = jnp.where(rows > k, M[:, k] / M[k, k], 0.0)
        return M - factors[:, None] * M[k][None, :]

    M = jax.lax.fori_loop(0, n, eliminate, M)
    U, Y = M[:, :n], M[:, n:]

    def back_substitute(i, X):
        k = n - 1 - i
        return X.at[k].set((Y[k] - U[k] @ X) / U[k, k])

    X = jax.lax.fori_loop(0, n, back_substitute, jnp.zeros_like(Y))
    return X[:, 0] if vector else X
