"""Uniform, log and Pareto grids; Pareto CDF/PDF and cell masses."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import jaxtrade  # noqa: F401  (float64 by default)
from jaxtrade.numerics.grids import (
    log_grid,
    pareto_cdf,
    pareto_cell_masses,
    pareto_pdf,
    pareto_quantile_grid,
    uniform_grid,
)


def test_uniform_grid():
    g = uniform_grid(-1.0, 3.0, 5)
    np.testing.assert_allclose(g, [-1.0, 0.0, 1.0, 2.0, 3.0], atol=1e-15)
    assert g.dtype == jnp.float64


def test_log_grid_endpoints_and_ratios():
    g = log_grid(0.1, 100.0, 4)
    assert float(g[0]) == 0.1 and float(g[-1]) == 100.0
    np.testing.assert_allclose(g[1:] / g[:-1], 10.0, rtol=1e-12)


def test_pareto_cdf_pdf():
    x = jnp.array([0.5, 1.0, 2.0, 4.0])
    np.testing.assert_allclose(pareto_cdf(x, 1.0, 2.0), [0.0, 0.0, 0.75, 0.9375], atol=1e-15)
    np.testing.assert_allclose(pareto_pdf(x, 1.0, 2.0), [0.0, 2.0, 0.25, 2.0 / 64.0], atol=1e-15)
    # pdf is the derivative of the cdf
    d = jax.vmap(jax.grad(pareto_cdf), in_axes=(0, None, None))(jnp.array([1.5, 3.0]), 1.0, 2.0)
    np.testing.assert_allclose(d, pareto_pdf(jnp.array([1.5, 3.0]), 1.0, 2.0), rtol=1e-12)


def test_pareto_quantile_grid():
    g = pareto_quantile_grid(2.0, 3.0, 6, q_max=0.99)
    assert float(g[0]) == 2.0
    np.testing.assert_allclose(pareto_cdf(g, 2.0, 3.0), np.linspace(0, 0.99, 6), atol=1e-12)
    assert bool(jnp.all(jnp.diff(g) > 0))


_masses_from_quantile_grid = jax.jit(
    lambda x_min, shape, n: pareto_cell_masses(pareto_quantile_grid(x_min, shape, n), x_min, shape),
    static_argnums=2,
)


@settings(max_examples=10, deadline=None)
@given(
    x_min=st.floats(0.1, 5.0),
    shape=st.floats(0.5, 8.0),
    n=st.sampled_from([2, 9, 40]),
)
def test_cell_masses_sum_to_one_and_are_positive(x_min, shape, n):
    w = _masses_from_quantile_grid(x_min, shape, n)
    assert w.shape == (n,)
    np.testing.assert_allclose(jnp.sum(w), 1.0, atol=1e-12)
    assert bool(jnp.all(w >= 0))


def test_cell_masses_values():
    grid = jnp.array([1.0, 3.0, 5.0])  # midpoints 2, 4
    w = pareto_cell_masses(grid, 1.0, 1.0)
    np.testing.assert_allclose(w, [0.5, 0.25, 0.25], atol=1e-15)


def test_gradients_equal_finite_differences():
    @jax.jit
    def f(params):
        x_min, shape = params
        g = pareto_quantile_grid(x_min, shape, 8)
        w = pareto_cell_masses(g, x_min, shape)
        return jnp.sum(w * g) + jnp.sum(pareto_cdf(g * 1.3, x_min, shape)) + jnp.sum(log_grid(x_min, 10.0, 5))

    p = jnp.array([1.2, 2.5])
    grad = jax.grad(f)(p)
    h = 1e-6
    fd = jnp.array([(f(p + h * e) - f(p - h * e)) / (2 * h) for e in jnp.eye(2)])
    np.testing.assert_allclose(grad, fd, rtol=1e-6)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: uniform_grid(0.0, 1.0, 1), "n must be >= 2"),
        (lambda: uniform_grid(1.0, 0.0, 3), "lo must be < hi"),
        (lambda: log_grid(0.0, 1.0, 3), "lo must satisfy lo > 0"),
        (lambda: pareto_quantile_grid(1.0, 2.0, 5, q_max=1.0), "q_max"),
        (lambda: pareto_quantile_grid(-1.0, 2.0, 5), "x_min must satisfy x_min > 0"),
        (lambda: pareto_cdf(2.0, 1.0, 0.0), "shape must satisfy shape > 0"),
    ],
)
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_jit_with_traced_parameters():
    f = jax.jit(lambda a, k: pareto_cell_masses(pareto_quantile_grid(a, k, 5), a, k))
    np.testing.assert_allclose(jnp.sum(f(1.0, 3.0)), 1.0, atol=1e-12)
