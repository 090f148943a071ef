"""Tauchen and Rouwenhorst against QuantEcon; jit, vmap, gradients; stationary distribution."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxtrade  # noqa: F401  (float64 by default)
from jaxtrade.numerics.markov import (
    MarkovChain,
    rouwenhorst,
    stationary_distribution_markov,
    tauchen,
)

qe_approx = pytest.importorskip("quantecon.markov.approximation")

CASES = [(2, 0.5, 0.1, 0.0), (5, 0.9, 0.2, 0.3), (11, -0.3, 1.5, -1.0), (25, 0.99, 0.01, 0.1)]


def _qe(method, n, rho, sigma, mu):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(qe_approx, method)(n, rho, sigma, mu)


@pytest.mark.parametrize("n,rho,sigma,mu", CASES)
@pytest.mark.parametrize("method", ["tauchen", "rouwenhorst"])
def test_matches_quantecon(method, n, rho, sigma, mu):
    ref = _qe(method, n, rho, sigma, mu)
    ours = {"tauchen": tauchen, "rouwenhorst": rouwenhorst}[method](n, rho, sigma, mu)
    assert isinstance(ours, MarkovChain)
    assert ours.P.dtype == jnp.float64
    np.testing.assert_allclose(np.asarray(ours.grid), ref.state_values, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.asarray(ours.P), ref.P, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.asarray(ours.P).sum(axis=1), 1.0, atol=1e-12)


def test_tauchen_n_std_matches_quantecon():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = qe_approx.tauchen(7, 0.8, 0.3, 0.2, n_std=2)
    ours = tauchen(7, 0.8, 0.3, 0.2, n_std=2)
    np.testing.assert_allclose(np.asarray(ours.P), ref.P, atol=1e-12)
    np.testing.assert_allclose(np.asarray(ours.grid), ref.state_values, atol=1e-12)


@pytest.mark.parametrize("method", [tauchen, rouwenhorst])
def test_jit_and_vmap_over_rho(method):
    rhos = jnp.array([0.1, 0.5, 0.9])
    jitted = jax.jit(method, static_argnums=0)
    batched = jax.vmap(lambda r: jitted(6, r, 0.2))(rhos)
    assert batched.P.shape == (3, 6, 6) and batched.grid.shape == (3, 6)
    for i, r in enumerate(np.asarray(rhos)):
        single = method(6, float(r), 0.2)
        np.testing.assert_allclose(batched.P[i], single.P, atol=1e-14)
        np.testing.assert_allclose(batched.grid[i], single.grid, atol=1e-14)
    np.testing.assert_allclose(batched.P.sum(axis=-1), 1.0, atol=1e-12)


@pytest.mark.parametrize("method", [tauchen, rouwenhorst])
@pytest.mark.parametrize("wrt", ["rho", "sigma"])
def test_gradient_equals_central_differences(method, wrt):
    weights = jnp.linspace(0.1, 1.0, 25).reshape(5, 5)

    @jax.jit
    def objective(rho, sigma):
        chain = method(5, rho, sigma, 0.1)
        return jnp.sum(weights * chain.P) + jnp.sum(chain.grid**2)

    rho, sigma = 0.6, 0.3
    argnum = 0 if wrt == "rho" else 1
    grad = jax.grad(objective, argnums=argnum)(rho, sigma)
    h = 1e-6
    if wrt == "rho":
        fd = (objective(rho + h, sigma) - objective(rho - h, sigma)) / (2 * h)
    else:
        fd = (objective(rho, sigma + h) - objective(rho, sigma - h)) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(n=1, rho=0.5, sigma=0.1), "n must be >= 2"),
        (dict(n=3, rho=1.0, sigma=0.1), r"\|rho\| < 1"),
        (dict(n=3, rho=-1.2, sigma=0.1), r"\|rho\| < 1"),
        (dict(n=3, rho=0.5, sigma=0.0), "sigma must be > 0"),
        (dict(n=3.0, rho=0.5, sigma=0.1), "n must be a Python int"),
    ],
)
@pytest.mark.parametrize("method", [tauchen, rouwenhorst])
def test_bad_input_raises(method, kwargs, match):
    with pytest.raises(ValueError, match=match):
        method(**kwargs)


def test_rouwenhorst_moments_exact():
    rho, sigma = 0.95, 0.1
    chain = rouwenhorst(9, rho, sigma)
    res = stationary_distribution_markov(chain.P)
    assert bool(res.info.converged)
    pi, y, P = res.value, chain.grid, chain.P
    var = jnp.sum(pi * y**2)
    np.testing.assert_allclose(var, sigma**2 / (1 - rho**2), rtol=1e-9)
    autocov = jnp.sum(pi[:, None] * P * y[:, None] * y[None, :])
    np.testing.assert_allclose(autocov / var, rho, rtol=1e-9)


def test_stationary_distribution_two_state_analytic():
    p, q = 0.9, 0.7  # stay probabilities
    P = jnp.array([[p, 1 - p], [1 - q, q]])
    res = stationary_distribution_markov(P)
    expected = jnp.array([1 - q, 1 - p]) / (2 - p - q)
    np.testing.assert_allclose(res.value, expected, atol=1e-12)
    assert bool(res.info.converged) and int(res.info.iterations) > 0
    assert float(res.info.residual) <= 1e-13


def test_stationary_distribution_matches_quantecon_and_is_differentiable():
    chain = tauchen(7, 0.8, 0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = qe_approx.tauchen(7, 0.8, 0.2).stationary_distributions[0]
    res = jax.jit(stationary_distribution_markov)(chain.P)
    np.testing.assert_allclose(res.value, ref, atol=1e-11)

    # d E[y^2] / d rho through tauchen and the stationary distribution (implicit)
    @jax.jit
    def second_moment(rho):
        c = tauchen(7, rho, 0.2)
        return jnp.sum(stationary_distribution_markov(c.P).value * c.grid**2)

    g = jax.jit(jax.grad(second_moment))(0.8)
    h = 1e-5
    fd = (second_moment(0.8 + h) - second_moment(0.8 - h)) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-6)
