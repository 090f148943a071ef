"""newton_root (jaxtrade/numerics/root.py): solves, IFT Jacobian, vmap, failure flag."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxtrade  # noqa: F401  (float64 by default)
from jaxtrade.errors import RESULTS, ConvergenceError
from jaxtrade.numerics import Solution, fixed_point, newton_root, newton_root_warm


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


def _inner_fixed_point(x, a, w):
    """y(x) solves y = x cos(y) from the initial guess w; residual y(x) - a (a root x = a / cos(a))."""
    out = fixed_point(lambda y, x: x * jnp.cos(y), w, x[0], tol=1e-14, max_iter=10_000, throw=False)
    return jnp.atleast_1d(out.value - a), out.value


def test_warm_start_same_root_fewer_inner_steps_and_the_inner_state_at_the_root():
    a = 0.5
    cold = newton_root(lambda x, a: _inner_fixed_point(x, a, jnp.zeros(()))[0], jnp.ones(1), a)
    warm, y = newton_root_warm(_inner_fixed_point, jnp.ones(1), jnp.zeros(()), a)
    assert bool(warm.info.converged) and bool(cold.info.converged)
    np.testing.assert_allclose(warm.value, [a / np.cos(a)], rtol=1e-13)
    np.testing.assert_allclose(warm.value, cold.value, rtol=1e-13)
    assert int(warm.info.iterations) == int(cold.info.iterations)
    np.testing.assert_allclose(y, a, atol=1e-13)  # the inner solution at the root

    # the inner solve at the root from the returned state takes (almost) no step; from the
    # cold guess it takes many
    def steps(w):
        return int(fixed_point(lambda y, x: x * jnp.cos(y), w, warm.value[0], tol=1e-14).info.iterations)

    assert steps(y) <= 1 < steps(jnp.zeros(()))


def test_warm_start_derivative_by_the_implicit_function_theorem():
    # x(a) = a / cos(a): dx/da = (cos a + a sin a) / cos(a)^2
    def root(a):
        return newton_root_warm(_inner_fixed_point, jnp.ones(1), jnp.zeros(()), a)[0].value[0]

    a = 0.5
    exact = (np.cos(a) + a * np.sin(a)) / np.cos(a) ** 2
    np.testing.assert_allclose(jax.grad(root)(a), exact, rtol=1e-9)
    np.testing.assert_allclose(jax.jacfwd(root)(a), exact, rtol=1e-9)
    h = 1e-6
    np.testing.assert_allclose((root(a + h) - root(a - h)) / (2 * h), exact, rtol=1e-7)


def test_finished_members_of_a_vmapped_solve_do_not_hold_the_line_search():
    # Member 0 starts at its root, where the residual is round-off-sized noise: a line search
    # there fails the Armijo test about half of the time. Under vmap the Newton body also runs
    # for members that have finished (results discarded); they must not make the others
    # backtrack. Count residual evaluations of the whole batch.
    calls = []

    def fn(x, a):
        jax.debug.callback(lambda: calls.append(1))
        return x**3 - a + 1e-15 * jnp.sin(1e9 * x)

    a = jnp.array([8.0, 1000.0])
    x0 = jnp.stack([jnp.full(1, 2.0), jnp.ones(1)])
    out = jax.jit(jax.vmap(lambda x, a: newton_root(fn, x, a, tol=1e-12, max_backtracks=20, throw=False)))(x0, a)
    jax.block_until_ready(out.value)
    assert np.all(np.asarray(out.info.converged))
    np.testing.assert_allclose(out.value[:, 0], [2.0, 10.0], rtol=1e-13)
    evaluations = len(calls) / 2  # one call per member per evaluation of the batched residual
    newton_steps = int(np.max(np.asarray(out.info.iterations)))
    # one evaluation per step (and one at x0), a few backtracks of member 1 at most;
    # a stuck member 0 would add up to 20 per step
    assert evaluations <= newton_steps + 1 + 5, (evaluations, newton_steps)
