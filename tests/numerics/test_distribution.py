"""Young lottery, histogram push-forward and stationary distributions with entry and exit."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import jaxtrade  # noqa: F401  (float64 by default)
from jaxtrade.numerics.distribution import push_forward, stationary_distribution, young_lottery
from jaxtrade.numerics.grids import log_grid


def _dense_transition(P, lower, weight):
    """Full (nz*na)^2 transition matrix of the joint chain, built in numpy for reference."""
    P, lower, weight = map(np.asarray, (P, lower, weight))
    nz, na = lower.shape
    T = np.zeros((nz * na, nz * na))
    for z in range(nz):
        for a in range(na):
            for zp in range(nz):
                T[z * na + a, zp * na + lower[z, a]] += P[z, zp] * weight[z, a]
                T[z * na + a, zp * na + lower[z, a] + 1] += P[z, zp] * (1 - weight[z, a])
    return T


@settings(max_examples=10, deadline=None)
@given(st.lists(st.floats(-1.0, 12.0), min_size=8, max_size=8))
def test_young_lottery_preserves_mass_and_mean(xs):
    grid = log_grid(0.5, 10.0, 7)
    x = jnp.asarray(xs)
    lower, w = jax.jit(young_lottery)(x, grid)
    assert lower.dtype == jnp.int32
    assert bool(jnp.all((lower >= 0) & (lower <= 5)))
    assert bool(jnp.all((w >= 0) & (w <= 1)))
    mean = w * grid[lower] + (1 - w) * grid[lower + 1]
    np.testing.assert_allclose(mean, jnp.clip(x, 0.5, 10.0), rtol=1e-12)
    # mass: a unit mass on every point, pushed through the lottery, stays a unit mass
    masses = jnp.zeros(7).at[lower].add(w).at[lower + 1].add(1 - w)
    np.testing.assert_allclose(jnp.sum(masses), x.size, rtol=1e-12)


def test_young_lottery_on_grid_points_and_gradient():
    grid = jnp.array([0.0, 1.0, 3.0])
    lower, w = young_lottery(grid, grid)
    np.testing.assert_allclose(w * grid[lower] + (1 - w) * grid[lower + 1], grid, atol=1e-15)
    dw = jax.jit(jax.grad(lambda x: young_lottery(x, grid)[1]))(2.0)
    np.testing.assert_allclose(dw, -0.5)


def _setup(nz=3, na=6, seed=0):
    rng = np.random.default_rng(seed)
    P = rng.uniform(size=(nz, nz)) + 0.2
    P = jnp.asarray(P / P.sum(axis=1, keepdims=True))
    grid = jnp.linspace(0.0, 1.0, na)
    policy = jnp.asarray(rng.uniform(size=(nz, na)))
    lottery = young_lottery(policy, grid)
    return P, grid, lottery


def test_push_forward_preserves_mass_index_and_lottery():
    P, grid, lottery = _setup()
    mu = jnp.asarray(np.random.default_rng(1).uniform(size=(3, 6)))
    mu = mu / mu.sum()
    for kwargs in (
        dict(policy_idx=jnp.array([[0, 1, 2, 3, 4, 5], [5, 5, 5, 0, 0, 0], [2, 2, 2, 2, 2, 2]])),
        dict(lottery=lottery),
        {},
    ):
        new = push_forward(mu, P, **kwargs)
        assert new.shape == (3, 6)
        np.testing.assert_allclose(jnp.sum(new), 1.0, atol=1e-14)
        assert bool(jnp.all(new >= 0))
    # lottery push-forward equals the dense joint transition
    T = _dense_transition(P, *lottery)
    np.testing.assert_allclose(push_forward(mu, P, lottery=lottery).ravel(), np.asarray(mu).ravel() @ T, atol=1e-14)
    # index policy moves all mass to the chosen point
    only = jnp.zeros((3, 6)).at[0, 2].set(1.0)
    new = push_forward(only, P, policy_idx=jnp.full((3, 6), 4))
    np.testing.assert_allclose(new[:, 4], P[0], atol=1e-15)


def test_stationary_distribution_product_chain_analytic():
    # z: two-state chain; a in {0, 1} moves independently of z with stay
    # probabilities p_a (from 0) and q_a (from 1). Stationary law = pi_z x pi_a.
    pz, qz, pa, qa = 0.8, 0.6, 0.7, 0.9
    P = jnp.array([[pz, 1 - pz], [1 - qz, qz]])
    lower = jnp.zeros((2, 2), dtype=jnp.int32)
    weight = jnp.array([[pa, 1 - qa], [pa, 1 - qa]])  # share sent to a' = 0
    res = stationary_distribution(P, lottery=(lower, weight))
    pi_z = jnp.array([1 - qz, 1 - pz]) / (2 - pz - qz)
    pi_a = jnp.array([1 - qa, 1 - pa]) / (2 - pa - qa)
    assert bool(res.info.converged)
    np.testing.assert_allclose(res.value, jnp.outer(pi_z, pi_a), atol=1e-11)


@pytest.mark.parametrize("method", ["iterate", "anderson"])
def test_stationary_distribution_matches_dense_solution(method):
    P, grid, lottery = _setup()
    res = jax.jit(lambda P, lot: stationary_distribution(P, lottery=lot, method=method))(P, lottery)
    assert bool(res.info.converged)
    T = _dense_transition(P, *lottery)
    n = T.shape[0]
    A = np.vstack([T.T - np.eye(n), np.ones((1, n))])
    ref = np.linalg.lstsq(A, np.r_[np.zeros(n), 1.0], rcond=None)[0]
    np.testing.assert_allclose(res.value.ravel(), ref, atol=1e-10)
    np.testing.assert_allclose(push_forward(res.value, P, lottery=lottery), res.value, atol=1e-11)


def test_stationary_distribution_with_index_policy_and_gradient():
    P, grid, lottery = _setup(nz=2, na=4)
    policy_idx = jnp.array([[1, 2, 3, 3], [0, 0, 1, 2]])
    res = stationary_distribution(P, policy_idx=policy_idx)
    assert bool(res.info.converged)
    np.testing.assert_allclose(push_forward(res.value, P, policy_idx), res.value, atol=1e-11)

    # implicit derivative of the mean asset wrt the lottery weights
    lower, weight = lottery

    @jax.jit
    def mean_asset(weight):
        mu = stationary_distribution(P, lottery=(lower, weight), tol=1e-13).value
        return jnp.sum(mu * grid[None, :])

    g = jax.jit(jax.grad(mean_asset))(weight)
    h = 1e-6
    e = jnp.zeros_like(weight).at[0, 2].set(1.0)
    fd = (mean_asset(weight + h * e) - mean_asset(weight - h * e)) / (2 * h)
    np.testing.assert_allclose(g[0, 2], fd, rtol=1e-5, atol=1e-9)


def test_entry_exit_balance():
    P, grid, lottery = _setup()
    entrants = jnp.zeros((3, 6)).at[:, 0].set(jnp.array([0.02, 0.05, 0.03]))  # entry mass 0.1
    # constant survival: total mass = entry / exit rate
    res = stationary_distribution(P, lottery=lottery, survival=0.9, entrants=entrants)
    assert bool(res.info.converged)
    np.testing.assert_allclose(jnp.sum(res.value), 0.1 / 0.1, rtol=1e-10)
    # state-dependent survival: exits balance entry
    survival = jnp.asarray(np.random.default_rng(3).uniform(0.7, 0.95, size=(3, 6)))
    res = stationary_distribution(P, lottery=lottery, survival=survival, entrants=entrants, method="anderson")
    assert bool(res.info.converged)
    mu = res.value
    np.testing.assert_allclose(jnp.sum(mu * (1 - survival)), jnp.sum(entrants), rtol=1e-10)
    np.testing.assert_allclose(
        push_forward(mu, P, lottery=lottery, survival=survival, entrants=entrants), mu, atol=1e-11
    )


def test_bad_shapes_raise():
    P, grid, lottery = _setup()
    with pytest.raises(ValueError, match="P must have shape"):
        push_forward(jnp.ones((2, 6)), P)
    with pytest.raises(ValueError, match="at most one"):
        push_forward(jnp.ones((3, 6)), P, policy_idx=jnp.zeros((3, 6), int), lottery=lottery)
    with pytest.raises(ValueError, match="na must be given"):
        stationary_distribution(P)
