"""Tariff schedules (eqs. 35-36), welfare and differentiable welfare (jaxtrade.models.multiproduct.policy).

The schedules hold the expenditure-weighted average exactly and have the
paper's shape; the CEV formulas are checked on known paths; the implicit
derivative of the transition CEV with respect to product tariffs and a
parameter matches central finite differences; the projection keeps the
weighted average; ``vmap`` over tariff schedules equals separate solves.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxtrade.models import multiproduct as mp
from jaxtrade.models.multiproduct import policy as pol

SHARES = jnp.array([0.06, 0.08, 0.11, 0.14, 0.18, 0.16, 0.15, 0.12])


# ---------------------------------------------------------------------------------------------- schedules
@pytest.mark.parametrize("kind", ["liberalization", "trade-war"])
@pytest.mark.parametrize("psi", [0.5, 2.0])
def test_targeted_schedules_hold_the_weighted_average(kind, psi):
    avg = 0.05 if kind == "liberalization" else 0.20
    tau = pol.tariff_schedule(kind, avg, SHARES, psi=psi)
    s = SHARES / SHARES.sum()
    assert abs(float(s @ tau) - avg) < 1e-12
    order = np.argsort(np.asarray(s))
    slope = np.diff(np.asarray(tau)[order])
    # eq. (35): lower tariffs on larger shares; eq. (36): higher
    assert np.all(slope < 0) if kind == "liberalization" else np.all(slope > 0)
    # the share with s = s_bar gets exactly a (the scale)
    k = int(jnp.argmax(s))
    shape = (jnp.max(s) / s) ** psi if kind == "liberalization" else (s / jnp.max(s)) ** psi
    assert abs(float(tau[k]) - avg / float(s @ shape)) < 1e-12


def test_paper_ranges_of_the_targeted_schedules():
    """Section 6, shares from 6 % to 18 %: psi = 0.5 gives about 6 -> 4 %, psi = 2 about 10.5 -> 1 % (paper's shares;
    evenly spaced shares here, so the ranges are looser)."""
    s = jnp.linspace(0.06, 0.18, 10)
    lib_half = pol.tariff_schedule("liberalization", 0.05, s, psi=0.5)
    lib_two = pol.tariff_schedule("liberalization", 0.05, s, psi=2.0)
    war_half = pol.tariff_schedule("trade-war", 0.20, s, psi=0.5)
    assert 0.035 < float(lib_half.min()) < float(lib_half.max()) < 0.075
    assert float(lib_two.min()) < 0.025 and float(lib_two.max()) > 0.10
    assert 0.12 < float(war_half.min()) < float(war_half.max()) < 0.27


def test_schedule_errors_are_named():
    with pytest.raises(ValueError, match="kind must be"):
        pol.tariff_schedule("war", 0.2, SHARES, psi=1.0)
    with pytest.raises(ValueError, match="psi is required"):
        pol.tariff_schedule("trade-war", 0.2, SHARES)
    with pytest.raises(ValueError, match="shares must be positive"):
        pol.tariff_schedule("flat", 0.2, SHARES.at[0].set(0.0))
    with pytest.raises(ValueError, match="experiment must be one of"):
        pol.schedule_for("war", "flat", SHARES)
    with pytest.raises(ValueError, match="schedule must be one of"):
        pol.schedule_for("trade-war", "psi3", SHARES)


def test_projection_keeps_the_weighted_average_and_is_idempotent():
    x = jnp.array([0.3, -0.1, 0.02, 0.5, 0.0, 0.1, 0.07, 0.2])
    y = pol.project_weighted_average(x, SHARES, 0.05)
    s = SHARES / SHARES.sum()
    assert abs(float(s @ y) - 0.05) < 1e-10 and float(y.min()) >= 0.0
    np.testing.assert_allclose(np.asarray(pol.project_weighted_average(y, SHARES, 0.05)), np.asarray(y), atol=1e-10)


# ---------------------------------------------------------------------------------------------- welfare formulas
@pytest.mark.parametrize("sigma", [2.0, 1.0, 0.5])
def test_cev_of_a_uniform_consumption_change(sigma):
    beta, T = 0.95, 400
    C0 = 0.8
    w = pol._welfare(jnp.full((T,), 1.03 * C0), C0, 1.03 * C0, beta, sigma)
    assert abs(float(w.cev_trans) - 0.03) < 1e-12 and abs(float(w.cev_ss) - 0.03) < 1e-12
    assert abs(float(w.cev_trans_log) - np.log(1.03)) < 1e-12
    flat = pol._welfare(jnp.full((T,), C0), C0, C0, beta, sigma)
    assert abs(float(flat.cev_trans)) < 1e-14


def test_cev_of_a_one_period_gain_is_its_discounted_share():
    """Log utility: a 10 % gain in t = 0 only is exp((1 - beta) ln 1.1) - 1."""
    beta = 0.95
    C = jnp.ones((50,)).at[0].set(1.1)
    w = pol._welfare(C, 1.0, 1.0, beta, 1.0)
    assert abs(float(w.cev_trans) - (1.1 ** (1 - beta) - 1.0)) < 1e-12


# ---------------------------------------------------------------------------------------------- derivatives
@pytest.mark.slow  # compiles the solve, the adjoint and the steady states under grad (~40 s on a small CPU)
def test_cev_gradient_matches_finite_differences():
    p = mp.standard_params(n_z=15, n_products=4, smoothing=1e-3)
    ss0 = mp.solve_equilibrium(p)
    T = 40
    tau = jnp.array([0.03, 0.05, 0.06, 0.08])
    value, grad = pol.cev_gradient(p, tau, T=T, ss0=ss0)
    assert 0.005 < float(value) < 0.05
    h = 1e-5

    def cev_at(t):  # the compiled value-and-gradient program, reused (no second compilation)
        return float(pol.cev_gradient(p, t, T=T, ss0=ss0)[0])

    for k in range(4):
        e = jnp.zeros(4).at[k].set(h)
        fd = (cev_at(tau + e) - cev_at(tau - e)) / (2 * h)
        assert abs(float(grad[k]) - fd) < 1e-6 * max(1.0, abs(fd)), (k, float(grad[k]), fd)
    # vmap over schedules equals separate solves
    batch = jnp.stack([tau, jnp.full((4,), 0.05)])
    values = jax.vmap(lambda t: pol.transition_cev(p, t, T=T, ss0=ss0))(batch)
    np.testing.assert_allclose(np.asarray(values[0]), float(value), rtol=1e-9)
    np.testing.assert_allclose(np.asarray(values[1]), cev_at(jnp.full((4,), 0.05)), rtol=1e-9)
