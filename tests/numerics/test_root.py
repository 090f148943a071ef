"""newton_root (jaxtrade/numerics/root.py): solves, IFT Jacobian, vmap, failure flag."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxtrade  # noqa: F401  (float64 by default)
from jaxtrade.errors import RESULTS, ConvergenceError
from jaxtrade.numerics import Solution, newton_root


def sqrt_residual(x, a):
    return x**2 - a


def coupled(x, p):
    # x0 + x1^3 = p0, x0 * x1 = p1
    return jnp.array([x[0] + x[1] ** 3 - p[0], x[0] * x[1] - p[1]])


def test_solves_componentwise_and_coupled_systems():
    a = jnp.array([2.0, 9.0, 0.25])
    out = newton_root(sqrt_residual, jnp.ones(3), a)
    assert isinstance(out, Solution)
    assert bool(out.info.converged)
    np.testing.assert_allclose(out.value, jnp.sqrt(a), rtol=1e-13)

    p = jnp.array([9.0, 2.0])  # solution x = (1, 2)
    sol = newton_root(coupled, jnp.array([0.5, 1.5]), p)
    assert bool(sol.info.converged)
    assert float(sol.info.residual) <= 1e-12
    np.testing.assert_allclose(sol.value, [1.0, 2.0], atol=1e-12)


def test_ift_jacobian_analytic_and_fd():
    a = jnp.array([2.0, 9.0])
    jac = jax.jacfwd(lambda a: newton_root(sqrt_residual, jnp.ones(2), a).value)(a)
    np.testing.assert_allclose(jac, jnp.diag(0.5 / jnp.sqrt(a)), rtol=1e-10, atol=1e-14)

    p = jnp.array([9.0, 2.0])
    solve = jax.jit(lambda p: newton_root(coupled, jnp.array([0.5, 1.5]), p).value)
    jac_rev = jax.jacrev(solve)(p)
    jac_fwd = jax.jacfwd(solve)(p)
    x = solve(p)
    Fx = jax.jacfwd(coupled)(x, p)
    Fp = jax.jacfwd(coupled, argnums=1)(x, p)
    analytic = -jnp.linalg.solve(Fx, Fp)
    np.testing.assert_allclose(jac_rev, analytic, rtol=1e-10)
    np.testing.assert_allclose(jac_fwd, analytic, rtol=1e-10)
    h = 1e-6
    fd = jnp.stack([(solve(p + h * e) - solve(p - h * e)) / (2 * h) for e in jnp.eye(2)], axis=1)
    np.testing.assert_allclose(jac_rev, fd, rtol=1e-6)


def test_vmap_and_jit():
    a = jnp.array([[1.0, 4.0], [16.0, 25.0], [0.01, 100.0]])
    out = jax.jit(jax.vmap(lambda a: newton_root(sqrt_residual, jnp.ones(2), a)))(a)
    np.testing.assert_allclose(out.value, jnp.sqrt(a), rtol=1e-12)
    assert out.info.converged.shape == (3,) and bool(jnp.all(out.info.converged))


def test_failure_flag_and_throw():
    no_root = lambda x, a: x**2 + a  # noqa: E731
    out = jax.jit(lambda a: newton_root(no_root, jnp.array([0.5]), a, max_iter=20, throw=False))(1.0)
    assert not bool(out.info.converged)
    assert float(out.info.residual) >= 1.0
    assert bool(out.info.result == RESULTS.stalled)
    with pytest.raises(ConvergenceError) as err:
        newton_root(no_root, jnp.array([0.5]), 1.0, max_iter=20)
    assert "did not converge" in str(err.value)
    assert err.value.reason == RESULTS[RESULTS.stalled]
    # under jit, throw=True compiles the check in: the failure raises when the program runs
    with pytest.raises(RuntimeError, match="Newton root solve did not converge"):
        jax.jit(lambda a: newton_root(no_root, jnp.array([0.5]), a, max_iter=20).value)(1.0)
