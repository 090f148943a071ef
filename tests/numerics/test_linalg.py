"""solve_small: pure-JAX Gaussian elimination with partial pivoting."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxtrade  # noqa: F401
from jaxtrade.numerics.linalg import solve_small


@pytest.mark.parametrize("n", [1, 2, 5, 12, 40])
def test_matches_numpy_including_pivoting(n):
    rng = np.random.default_rng(n)
    A = rng.normal(size=(n, n))
    if n > 1:
        A[0, 0] = 0.0  # forces a row swap
    b = rng.normal(size=n)
    B = rng.normal(size=(n, 3))
    np.testing.assert_allclose(solve_small(A, b), np.linalg.solve(A, b), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(solve_small(A, B), np.linalg.solve(A, B), rtol=1e-10, atol=1e-12)


def test_vmap_large_batch_and_gradients():
    rng = np.random.default_rng(0)
    A = jnp.asarray(rng.normal(size=(5000, 4, 4)) + 4 * np.eye(4))
    b = jnp.asarray(rng.normal(size=(5000, 4)))
    x = jax.jit(jax.vmap(solve_small))(A, b)
    np.testing.assert_allclose(x, np.linalg.solve(np.asarray(A), np.asarray(b)[..., None])[..., 0], rtol=1e-10)
    A0, b0 = A[0], b[0]
    g = jax.grad(lambda bb: solve_small(A0, bb).sum())(b0)
    np.testing.assert_allclose(g, np.linalg.solve(np.asarray(A0).T, np.ones(4)), rtol=1e-10)
    jac = jax.jacfwd(lambda a: solve_small(a, b0))(A0)
    h = 1e-6
    E = jnp.zeros((4, 4)).at[1, 2].set(h)
    fd = (solve_small(A0 + E, b0) - solve_small(A0 - E, b0)) / (2 * h)
    np.testing.assert_allclose(jac[:, 1, 2], fd, rtol=1e-6)


def test_singular_matrix_gives_non_finite_not_garbage():
    x = solve_small(jnp.zeros((3, 3)), jnp.ones(3))
    assert not bool(jnp.all(jnp.isfinite(x)))


def test_shape_errors():
    with pytest.raises(ValueError, match="square"):
        solve_small(jnp.ones((2, 3)), jnp.ones(2))
    with pytest.raises(ValueError, match="rows"):
        solve_small(jnp.ones((2, 2)), jnp.ones(3))
