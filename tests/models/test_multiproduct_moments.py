"""Moment definitions of the multiproduct model (moments.py) and the product-grid bounds fit (product_space.py).

Each Table 5 reading is pinned on a hand-built distribution: a solved 3 x 3 equilibrium whose masses,
choice probabilities, survival, grids and entrant mass are replaced (``eqx.tree_at``) by numbers chosen so
that every moment can be computed by hand; the expected values below are that arithmetic, written out.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxtrade.errors import ConvergenceError
from jaxtrade.models.multiproduct import (
    ENTRANT_GAPS,
    PRODUCT_RATES,
    TABLE5_NAMES,
    expenditure_share_range,
    extra_moments,
    fit_product_bounds,
    moment_vector,
    solve_equilibrium,
    standard_params,
    table5_moments,
    transition_mass,
)

LN2 = np.log(2.0)


@pytest.fixture(scope="module")
def hand():
    """A 3-point productivity grid, thresholds i = 0..3 (N = 3), every input chosen by hand.

    z = (0.5, 1, 2), log z = (-ln 2, 0, ln 2); ergodic (0.25, 0.5, 0.25); entrants G = (0.5, 0.5, 0);
    N_E = 0.5; survival 1 - E(z) = (0.5, 1, 1); product attributes omega = (1, 2, 3), so the
    thresholds are omega-tilde = (0, 1, 2, 3).

    mu(z, i), rows z, columns i = 0..3 (total 5.5; exporters 4; single-product 1; multiproduct 3):
        z0: 1.0  0    0    0
        z1: 0.5  0.5  1.0  0
        z2: 0    0.5  1.0  1.0
    Pr(j | z, i) on the rows with mass (others: stay put):
        (z0, 0): j = 0 with probability 1
        (z1, 0): j = 0 w.p. 1
        (z1, 1): (0.5, 0.5, 0, 0)      (z2, 1): (0, 0.5, 0.5, 0)
        (z1, 2): (0.1, 0.2, 0.3, 0.4)  (z2, 2): (0, 0, 0.5, 0.5)
        (z2, 3): (0, 0.1, 0.2, 0.7)
    """
    p = standard_params(n_z=3, n_products=3)
    eq = solve_equilibrium(p)
    mu = jnp.array([[1.0, 0.0, 0.0, 0.0], [0.5, 0.5, 1.0, 0.0], [0.0, 0.5, 1.0, 1.0]])
    prob = np.tile(np.eye(4), (3, 1, 1))
    prob[1, 1] = [0.5, 0.5, 0.0, 0.0]
    prob[2, 1] = [0.0, 0.5, 0.5, 0.0]
    prob[1, 2] = [0.1, 0.2, 0.3, 0.4]
    prob[2, 2] = [0.0, 0.0, 0.5, 0.5]
    prob[2, 3] = [0.0, 0.1, 0.2, 0.7]
    z = jnp.array([0.5, 1.0, 2.0])
    grids = eqx.tree_at(
        lambda g: (g.z, g.log_z, g.ergodic, g.entrant, g.survival, g.omega, g.choices),
        eq.grids,
        (
            z,
            jnp.log(z),
            jnp.array([0.25, 0.5, 0.25]),
            jnp.array([0.5, 0.5, 0.0]),
            jnp.array([0.5, 1.0, 1.0]),
            jnp.array([1.0, 2.0, 3.0]),
            jnp.array([0.0, 1.0, 2.0, 3.0]),
        ),
    )
    fake = eqx.tree_at(lambda e: (e.mu, e.prob, e.N_E, e.grids), eq, (mu, jnp.asarray(prob), jnp.asarray(0.5), grids))
    return p, fake


def table5_moments_floats(eq, **kwargs) -> dict:
    return {k: float(v) for k, v in table5_moments(eq, **kwargs).items()}


def test_transition_mass_by_hand(hand):
    _, eq = hand
    J = np.asarray(transition_mass(eq))
    # row i = 2: z1 mass 1.0 x (0.1, 0.2, 0.3, 0.4) + z2 mass 1.0 x (0, 0, 0.5, 0.5); survival 1 at z1, z2
    np.testing.assert_allclose(J[2], [0.1, 0.2, 0.8, 0.9], rtol=0, atol=1e-15)
    # row i = 3: z2 mass 1.0 x (0, 0.1, 0.2, 0.7)
    np.testing.assert_allclose(J[3], [0.0, 0.1, 0.2, 0.7], rtol=0, atol=1e-15)
    # row i = 1: 0.5 x (0.5, 0.5, 0, 0) + 0.5 x (0, 0.5, 0.5, 0)
    np.testing.assert_allclose(J[1], [0.25, 0.5, 0.25, 0.0], rtol=0, atol=1e-15)
    # row i = 0: z0 mass 1.0 survives with 0.5, z1 mass 0.5 with 1
    np.testing.assert_allclose(J[0], [1.0, 0.0, 0.0, 0.0], rtol=0, atol=1e-15)


def test_product_rates_mp_stayers_by_hand(hand):
    _, eq = hand
    m = {k: float(v) for k, v in table5_moments(eq).items()}  # the default: product_rates="mp_stayers"
    # multiproduct firms (i >= 2) that stay multiproduct (j >= 2):
    # i = 2: J(2, 2) + J(2, 3) = 0.8 + 0.9; i = 3: J(3, 2) + J(3, 3) = 0.2 + 0.7; total 2.6
    stayers = 0.8 + 0.9 + 0.2 + 0.7
    assert m["product_add_rate"] == pytest.approx(0.9 / stayers, abs=1e-14)  # 2 -> 3
    assert m["product_stasis_rate"] == pytest.approx((0.8 + 0.7) / stayers, abs=1e-14)  # 2 -> 2, 3 -> 3
    assert m["product_drop_rate"] == pytest.approx(0.2 / stayers, abs=1e-14)  # 3 -> 2 only
    assert m == table5_moments_floats(eq, product_rates="mp_stayers")


def test_product_rates_mp_survivors_by_hand(hand):
    _, eq = hand
    m = table5_moments_floats(eq, product_rates="mp_survivors")
    # all surviving multiproduct firms: J(2, .) sums to 2.0, J(3, .) to 1.0; total 3.0
    survivors = (0.1 + 0.2 + 0.8 + 0.9) + (0.0 + 0.1 + 0.2 + 0.7)
    assert m["product_add_rate"] == pytest.approx(0.9 / survivors, abs=1e-14)  # 0.3
    assert m["product_stasis_rate"] == pytest.approx((0.8 + 0.7) / survivors, abs=1e-14)  # 0.5
    # drops: 2 -> 0 (0.1), 2 -> 1 (0.2), 3 -> 1 (0.1), 3 -> 2 (0.2)
    assert m["product_drop_rate"] == pytest.approx((0.1 + 0.2 + 0.1 + 0.2) / survivors, abs=1e-14)  # 0.2


def test_other_table5_moments_by_hand(hand):
    _, eq = hand
    for rates in PRODUCT_RATES:
        m = table5_moments_floats(eq, product_rates=rates)
        # mass 5.5; survivors 1.0 x 0.5 + 4.5 x 1
        assert m["industry_survival"] == pytest.approx((0.5 + 4.5) / 5.5, abs=1e-14)
        assert m["exporter_share"] == pytest.approx(4.0 / 5.5, abs=1e-14)
        assert m["single_product_share"] == pytest.approx(1.0 / 4.0, abs=1e-14)
        assert m["multi_product_share"] == pytest.approx(3.0 / 4.0, abs=1e-14)
        # surviving exporters: J(1, .) sums to 1.0, J(2..3, .) to 3.0; still exporting: 0.75 + 2.9
        assert m["exporter_survival"] == pytest.approx(
            (0.5 + 0.25 + 0.2 + 0.8 + 0.9 + 0.1 + 0.2 + 0.7) / 4.0, abs=1e-14
        )
        # MPEF rows over J(2..3, .) = 3.0: to j >= 2 0.8 + 0.9 + 0.2 + 0.7, to j = 1 0.2 + 0.1, to j = 0 0.1
        assert m["mpef_to_mpef"] == pytest.approx(2.6 / 3.0, abs=1e-14)
        assert m["mpef_to_spef"] == pytest.approx(0.3 / 3.0, abs=1e-14)
        assert m["mpef_to_nx"] == pytest.approx(0.1 / 3.0, abs=1e-14)


def test_entrant_gap_readings_by_hand(hand):
    _, eq = hand
    gap = {r: table5_moments_floats(eq, entrant_gap=r)["entrant_incumbent_gap"] for r in ENTRANT_GAPS}
    # levels: E_erg z = 0.25 x 0.5 + 0.5 x 1 + 0.25 x 2 = 1.125; E_G z = 0.5 x 0.5 + 0.5 x 1 = 0.75
    assert gap["ergodic_level"] == pytest.approx(1.0 - 0.75 / 1.125, abs=1e-14)  # 1/3
    # logs: E_erg log z = 0.25 (-ln 2) + 0.25 ln 2 = 0; E_G log z = 0.5 (-ln 2)
    assert gap["ergodic_log"] == pytest.approx(0.0 - (-0.5 * LN2), abs=1e-14)
    # incumbents: mu less N_E G = 0.5 x (0.5, 0.5, 0) in column 0 -> masses by z (0.75, 1.75, 2.5), total 5.0;
    # mean log z = (0.75 (-ln 2) + 2.5 ln 2) / 5 = 0.35 ln 2
    assert gap["incumbent_log"] == pytest.approx(0.35 * LN2 - (-0.5 * LN2), abs=1e-14)
    assert table5_moments_floats(eq)["entrant_incumbent_gap"] == gap["ergodic_level"]  # the default


def test_average_export_scope_all_firms_by_hand(hand):
    p, eq = hand
    x = extra_moments(p, eq)
    # omega-tilde sum: threshold 1 (mass 1.0) x 1 + threshold 2 (mass 2.0) x 2 + threshold 3 (mass 1.0) x 3 = 8;
    # non-exporters (mass 1.5, entrants included) contribute omega-tilde = 0 and count in N = 5.5
    assert float(x["avg_export_scope"]) == pytest.approx(8.0 / 5.5, abs=1e-14)
    assert float(x["avg_export_scope_exporters"]) == pytest.approx(8.0 / 4.0, abs=1e-14)


def test_moment_vector_order_and_bad_keywords(hand):
    _, eq = hand
    for rates in PRODUCT_RATES:
        for gap in ENTRANT_GAPS:
            m = table5_moments(eq, product_rates=rates, entrant_gap=gap)
            v = np.asarray(moment_vector(eq, product_rates=rates, entrant_gap=gap))
            np.testing.assert_array_equal(v, [float(m[k]) for k in TABLE5_NAMES])
    with pytest.raises(ValueError, match=r"product_rates must be one of \('mp_stayers', 'mp_survivors'\)"):
        table5_moments(eq, product_rates="all")
    with pytest.raises(ValueError, match="entrant_gap must be one of"):
        moment_vector(eq, entrant_gap="levels")


# ------------------------------------------------------------ derivatives
def test_moment_derivatives_every_reading_vs_finite_differences():
    """jacfwd through solve_equilibrium(throw=False) agrees with central differences for every reading."""
    p = standard_params(n_z=11, n_products=4, smoothing=1e-3)

    def f(theta):
        q = eqx.tree_at(lambda q: (q.mu_E, q.gamma_0), p, (theta[0], theta[1]))
        eq = solve_equilibrium(q, throw=False)
        old = table5_moments(eq, product_rates="mp_survivors", entrant_gap="incumbent_log")
        logs = table5_moments(eq, entrant_gap="ergodic_log")["entrant_incumbent_gap"]
        extra = [old[k] for k in ("entrant_incumbent_gap", "product_drop_rate", "product_add_rate")]
        return jnp.concatenate([moment_vector(eq), jnp.stack([*extra, logs, extra_moments(q, eq)["avg_export_scope"]])])

    theta = jnp.array([float(p.mu_E), float(p.gamma_0)])
    J = np.asarray(jax.jacfwd(f)(theta))
    fj = jax.jit(f)
    assert np.all(np.isfinite(J))
    for i in range(2):
        h = 1e-4 * float(theta[i])
        fd = (np.asarray(fj(theta.at[i].add(h))) - np.asarray(fj(theta.at[i].add(-h)))) / (2 * h)
        np.testing.assert_allclose(J[:, i], fd, rtol=0, atol=2e-4 * max(np.max(np.abs(fd)), 1e-3))
    # every gap reading rises with mu_E; gamma_0 moves the product rates
    assert J[0, 0] > 0.5 and J[12, 0] > 0.5 and J[15, 0] > 0.5
    assert np.max(np.abs(J[2:5, 1])) > 1e-3


# ------------------------------------------------------------ product-grid bounds
def test_fit_product_bounds_small_grid():
    p = standard_params(n_z=11, n_products=4)
    fit = fit_product_bounds(p, (0.16, 0.36), tol=1e-6)
    lo, hi = float(fit.omega_lo), float(fit.omega_hi)
    assert bool(fit.info.converged) and float(p.omega_min) <= lo < hi
    assert (float(fit.params.omega_lo), float(fit.params.omega_hi)) == (lo, hi)
    # an independent solve at the fitted bounds has the targeted share range
    q = p.replace(omega_lo=lo, omega_hi=hi)
    np.testing.assert_allclose(np.asarray(expenditure_share_range(q, solve_equilibrium(q))), [0.16, 0.36], atol=1e-6)
    assert float(jnp.sum(fit.shares)) == pytest.approx(1.0, abs=1e-10)
    # every other parameter is untouched
    assert float(fit.params.gamma) == float(p.gamma) and float(fit.params.gamma_0) == float(p.gamma_0)


def test_fit_product_bounds_failures():
    p = standard_params(n_z=11, n_products=4)
    with pytest.raises(ValueError, match="1/n_products"):
        fit_product_bounds(p, (0.3, 0.5))  # four shares summing to one cannot all exceed 0.25
    with pytest.raises(ValueError, match="two finite numbers"):
        fit_product_bounds(p, (0.1,))
    with pytest.raises(ConvergenceError, match="product-grid bounds"):
        fit_product_bounds(p, (0.16, 0.36), max_iter=1)
    out = fit_product_bounds(p, (0.16, 0.36), max_iter=1, throw=False)
    assert not bool(out.info.converged) and "iteration limit" in out.info.reason
