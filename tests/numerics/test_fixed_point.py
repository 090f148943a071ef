"""fixed_point: convergence, Anderson acceleration, implicit gradients, failure reporting."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxtrade  # noqa: F401  (float64 by default)
from jaxtrade.errors import RESULTS, ConvergenceError, Solution
from jaxtrade.numerics.fixed_point import fixed_point


def _linear_problem(n=6, seed=0, contraction=0.9):
    """x = A x + b with spectral radius of A equal to ``contraction``."""
    rng = np.random.default_rng(seed)
    M = rng.uniform(size=(n, n))
    M = M / M.sum(axis=1, keepdims=True)  # row stochastic: spectral radius 1
    return jnp.asarray(contraction * M), jnp.asarray(rng.normal(size=n))


def linear_map(x, args):
    A, b = args
    return A @ x + b


def test_converges_on_contraction():
    def f(x, a):
        return 0.5 * jnp.cos(x) + a

    a = jnp.array([0.1, 0.2, -0.3])
    out = fixed_point(f, jnp.zeros(3), a, tol=1e-12)
    assert isinstance(out, Solution)
    assert bool(out.info.converged)
    assert float(out.info.residual) <= 1e-12
    assert 0 < int(out.info.iterations) < 100
    np.testing.assert_allclose(f(out.value, a), out.value, atol=1e-12)


@pytest.mark.parametrize("method", ["iterate", "anderson"])
def test_linear_solution(method):
    A, b = _linear_problem()
    out = fixed_point(linear_map, jnp.zeros(6), (A, b), tol=1e-11, method=method)
    exact = jnp.linalg.solve(jnp.eye(6) - A, b)
    assert bool(out.info.converged)
    np.testing.assert_allclose(out.value, exact, atol=1e-9)


def test_anderson_takes_fewer_iterations():
    A, b = _linear_problem(n=30, contraction=0.97)
    plain = fixed_point(linear_map, jnp.zeros(30), (A, b), tol=1e-10, method="iterate")
    anderson = fixed_point(linear_map, jnp.zeros(30), (A, b), tol=1e-10, method="anderson")
    assert bool(plain.info.converged) and bool(anderson.info.converged)
    assert int(anderson.info.iterations) < int(plain.info.iterations) / 3

    def g(x, a):  # nonlinear
        return 0.95 * jnp.tanh(x) + a

    plain = fixed_point(g, jnp.zeros(4), jnp.full(4, 0.01), method="iterate")
    anderson = fixed_point(g, jnp.zeros(4), jnp.full(4, 0.01), method="anderson")
    assert bool(anderson.info.converged)
    assert int(anderson.info.iterations) < int(plain.info.iterations)
    np.testing.assert_allclose(anderson.value, plain.value, atol=1e-8)


def test_anderson_max_steps_hands_over_to_plain_iteration():
    A, b = _linear_problem(n=30, contraction=0.97)
    plain = fixed_point(linear_map, jnp.zeros(30), (A, b), tol=1e-10, method="iterate")
    none = fixed_point(linear_map, jnp.zeros(30), (A, b), tol=1e-10, method="anderson", anderson_max_steps=0)
    # no accelerated step at all: the very same iterates as plain iteration
    assert int(none.info.iterations) == int(plain.info.iterations)
    np.testing.assert_array_equal(none.value, plain.value)
    full = fixed_point(linear_map, jnp.zeros(30), (A, b), tol=1e-10, method="anderson")
    few = fixed_point(linear_map, jnp.zeros(30), (A, b), tol=1e-10, method="anderson", anderson_max_steps=5)
    assert int(full.info.iterations) < int(few.info.iterations) < int(plain.info.iterations)
    exact = jnp.linalg.solve(jnp.eye(30) - A, b)
    for out in (full, few):
        assert bool(out.info.converged)
        np.testing.assert_allclose(out.value, exact, atol=1e-8)


def test_damping_converges_where_plain_oscillates():
    # f(x) = -1.5 x + 1 is expansive (|slope| > 1); damped iteration with beta = 0.5 converges.
    f = lambda x, a: -1.5 * x + a  # noqa: E731
    undamped = fixed_point(f, jnp.zeros(1), 1.0, max_iter=50, throw=False)
    assert not bool(undamped.info.converged)
    damped = fixed_point(f, jnp.zeros(1), 1.0, damping=0.5)
    assert bool(damped.info.converged)
    np.testing.assert_allclose(damped.value, [0.4], atol=1e-9)


@pytest.mark.parametrize(
    "method,implicit_solver",
    [("iterate", "dense"), ("anderson", "gmres"), ("iterate", "bicgstab"), ("anderson", "neumann")],
)
def test_implicit_gradient_linear_analytic_and_fd(method, implicit_solver):
    A, b = _linear_problem()
    w = jnp.linspace(1.0, 2.0, 6)
    kw = dict(tol=1e-12, method=method, implicit_solver=implicit_solver)

    @jax.jit
    def loss(b, A):
        return jnp.dot(w, fixed_point(linear_map, jnp.zeros(6), (A, b), **kw).value)

    gb, gA = jax.jit(jax.grad(loss, argnums=(0, 1)))(b, A)
    inv = jnp.linalg.inv(jnp.eye(6) - A)
    x = inv @ b
    lam = inv.T @ w
    np.testing.assert_allclose(gb, lam, rtol=1e-8, atol=1e-9)  # d w'x / db = (I - A)^{-T} w
    np.testing.assert_allclose(gA, jnp.outer(lam, x), rtol=1e-8, atol=1e-9)
    h = 1e-6
    fd = jnp.array([(loss(b + h * e, A) - loss(b - h * e, A)) / (2 * h) for e in jnp.eye(6)])
    np.testing.assert_allclose(gb, fd, rtol=1e-6, atol=1e-7)
    # forward mode agrees
    jac = jax.jit(jax.jacfwd(lambda b: fixed_point(linear_map, jnp.zeros(6), (A, b), **kw).value))(b)
    np.testing.assert_allclose(jac, inv, rtol=1e-8, atol=1e-9)


def test_implicit_gradient_nonlinear_fd():
    def f(x, theta):
        return 0.5 * jnp.sin(x) + theta[0] * x**2 / (1 + x**2) + theta[1]

    theta = jnp.array([0.3, 0.2])

    @jax.jit
    def loss(theta):
        return jnp.sum(fixed_point(f, jnp.zeros(3), theta, tol=1e-13, method="anderson").value ** 2)

    g = jax.jit(jax.grad(loss))(theta)
    h = 1e-6
    fd = jnp.array([(loss(theta + h * e) - loss(theta - h * e)) / (2 * h) for e in jnp.eye(2)])
    np.testing.assert_allclose(g, fd, rtol=1e-6)


@pytest.mark.parametrize("implicit_solver", ["gmres", "neumann", "bicgstab"])
def test_matrix_free_gradient_large_value_function(implicit_solver):
    """Bellman-like x = r + beta * S x on 400 states; gradient wrt r by the matrix-free solvers."""
    n, beta = 400, 0.9
    idx = jnp.arange(n)
    # sparse transition: stay with 0.5, move up one state with 0.5 (wrapping)
    S = lambda x: 0.5 * x + 0.5 * jnp.roll(x, -1)  # noqa: E731

    def bellman(v, r):
        return r + beta * S(v)

    r = jnp.sin(idx / 10.0)
    w = jnp.cos(idx / 7.0)

    def loss(r):
        return jnp.dot(
            w, fixed_point(bellman, jnp.zeros(n), r, method="anderson", implicit_solver=implicit_solver).value
        )

    g = jax.jit(jax.grad(loss))(r)
    S_mat = 0.5 * jnp.eye(n) + 0.5 * jnp.roll(jnp.eye(n), 1, axis=1)
    expected = jnp.linalg.solve((jnp.eye(n) - beta * S_mat).T, w)
    np.testing.assert_allclose(g, expected, rtol=1e-8, atol=1e-9)


def test_pytree_state_and_vmap():
    def f(x, a):
        return {"u": 0.5 * x["u"] + a, "v": 0.2 * x["v"] + x["u"]}

    x0 = {"u": jnp.zeros(2), "v": jnp.zeros(2)}
    out = fixed_point(f, x0, 1.0)
    np.testing.assert_allclose(out.value["u"], 2.0, atol=1e-9)
    np.testing.assert_allclose(out.value["v"], 2.5, atol=1e-9)
    batched = jax.jit(jax.vmap(lambda a: fixed_point(f, x0, a, method="anderson")))(jnp.array([1.0, 2.0, 4.0]))
    np.testing.assert_allclose(batched.value["v"][:, 0], [2.5, 5.0, 10.0], atol=1e-9)
    assert batched.info.converged.shape == (3,) and bool(jnp.all(batched.info.converged))
    # gradient of the pytree solution: dv/da = 1 / (0.5 * 0.8) = 2.5
    g = jax.jit(jax.grad(lambda a: fixed_point(f, x0, a).value["v"][0]))(1.0)
    np.testing.assert_allclose(g, 2.5, rtol=1e-9)


def test_nonconvergence_raises_by_default_and_flags_with_throw_false():
    A, b = _linear_problem(contraction=0.999)
    with pytest.raises(ConvergenceError) as err:
        fixed_point(linear_map, jnp.zeros(6), (A, b), max_iter=5)
    assert int(err.value.iterations) == 5
    assert float(err.value.residual) > 1e-10
    assert "iterations=5" in str(err.value)
    assert "iteration limit" in str(err.value)

    out = jax.jit(lambda A, b: fixed_point(linear_map, jnp.zeros(6), (A, b), max_iter=5, throw=False))(A, b)
    assert not bool(out.info.converged)
    assert int(out.info.iterations) == 5
    assert bool(out.info.result == RESULTS.max_iterations)
    # throw=True under jit: the compiled-in check raises at run time
    with pytest.raises(RuntimeError, match="fixed-point iteration did not converge"):
        jax.jit(lambda A, b: fixed_point(linear_map, jnp.zeros(6), (A, b), max_iter=5).value)(A, b)
    # under vmap with throw=False: one flag per lane
    lanes = jax.vmap(lambda c: fixed_point(linear_map, jnp.zeros(6), (c * A, b), max_iter=50, throw=False))(
        jnp.array([0.1, 1.0])
    )
    assert lanes.info.converged.tolist() == [True, False]


@pytest.mark.parametrize("method", ["iterate", "anderson"])
def test_no_nan_returned_silently(method):
    def exploding(x, a):  # no fixed point; NaN once x passes 10
        return jnp.where(x > 10.0, jnp.nan, x + a)

    out = jax.jit(lambda a: fixed_point(exploding, jnp.zeros(2), a, method=method, throw=False))(1.0)
    assert not bool(out.info.converged)
    assert not np.isfinite(float(out.info.residual))
    assert bool(out.info.result == RESULTS.nonfinite)
    with pytest.raises(ConvergenceError):
        fixed_point(exploding, jnp.zeros(2), 1.0, method=method)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(method="newton"), "method must be one of"),
        (dict(tol=0.0), "tol must be > 0"),
        (dict(max_iter=0), "max_iter must be >= 1"),
        (dict(damping=1.5), "damping"),
        (dict(anderson_memory=0), "anderson_memory"),
        (dict(implicit_solver="lu"), "implicit_solver"),
        (dict(method="anderson", anderson_max_steps=-1), "anderson_max_steps"),
    ],
)
def test_bad_options_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fixed_point(linear_map, jnp.zeros(2), (jnp.eye(2) * 0.5, jnp.ones(2)), **kwargs)


def test_value_iteration_relative_stop_matches_closed_form():
    import jax.numpy as jnp

    from jaxtrade.numerics import value_iteration

    b = jnp.array([1.0, 10.0, 1e4])
    beta = 0.9
    sol = value_iteration(lambda v: b + beta * v, jnp.zeros(3), tol=1e-12, max_iter=1000)
    v, it, change = sol.value, sol.info.iterations, sol.info.residual
    assert float(change) <= 1e-12 and 1 < int(it) < 1000
    assert jnp.allclose(v, b / (1 - beta), rtol=1e-10)
    # the iteration cap is honoured and reported
    sol = value_iteration(lambda v: b + beta * v, jnp.zeros(3), tol=1e-12, max_iter=5, throw=False)
    it, change = sol.info.iterations, sol.info.residual
    assert int(it) == 5 and float(change) > 1e-12
    with pytest.raises(ConvergenceError, match="value iteration did not converge"):
        value_iteration(lambda v: b + beta * v, jnp.zeros(3), tol=1e-12, max_iter=5)
