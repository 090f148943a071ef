"""Tests of the section-5 outputs of the Heo & Kim (2025) multiproduct model (jaxtrade.models.multiproduct.dynamics):
add/drop thresholds (eq. 32, Figures 4-5) and new-exporter dynamics (Figure 6, eq. 34)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import optimize

from jaxtrade.models.multiproduct import (
    ALWAYS,
    CROSSING,
    NEVER,
    NOT_APPLICABLE,
    add_drop_thresholds,
    dynamics_summary,
    figure_portfolio,
    new_exporter_dynamics,
    npg_params,
    pairwise_thresholds,
    proximity_thresholds,
    simulate_states,
    solve_equilibrium,
    standard_params,
)
from tests.models.numpy_reference import multiproduct_reference as _reference_module

SMALL = dict(n_z=21, n_products=5)


@pytest.fixture(scope="module")
def small_standard():
    p = standard_params(**SMALL)
    return p, solve_equilibrium(p)


@pytest.fixture(scope="module")
def small_npg():
    p = npg_params(**SMALL)
    return p, solve_equilibrium(p)


def _numpy_choice_values(p, eq):
    """x[z, i, j] = -f(i, j) + (1 - E(z)) beta sum_z' P(z, z') v(z', j) with the NumPy reference's grids and costs."""
    ref = _reference_module()
    S = ref.setup(ref.params_to_dict(p))
    v = np.asarray(eq.v)
    x = (S["s"] * float(p.beta))[:, None, None] * (S["P"] @ v)[:, None, :] - S["f"][None]
    return S, x


def _numpy_normalization(eq):
    w = np.asarray(eq.mu).sum(1)
    w = w / w.sum()
    lz = np.asarray(eq.grids.log_z)
    m = (w * lz).sum()
    return m, np.sqrt((w * (lz - m) ** 2).sum())


# ------------------------------------------------------------ thresholds (eq. 32)
@pytest.mark.parametrize("which", ["small_standard", "small_npg"])
def test_pairwise_thresholds_brute_force(which, request):
    """Brent root of the interpolated eq. (32) gap for every pair; statuses from the sign pattern."""
    p, eq = request.getfixturevalue(which)
    S, x = _numpy_choice_values(p, eq)
    lz = S["lz"]
    pw = pairwise_thresholds(p, eq)
    got, status, ncross = np.asarray(pw.log_z), np.asarray(pw.status), np.asarray(pw.n_crossings)
    m, s = _numpy_normalization(eq)
    assert float(pw.mean) == pytest.approx(m, abs=1e-12) and float(pw.sd) == pytest.approx(s, rel=1e-12)
    n = x.shape[1]
    n_found = 0
    for i in range(n):
        for j in range(n):
            if i == j:
                assert status[i, j] == NOT_APPLICABLE and np.isnan(got[i, j])
                continue
            gap = x[:, i, j] - x[:, i, i]
            pos = gap > 0
            changes = np.nonzero(pos[1:] != pos[:-1])[0]
            assert ncross[i, j] == changes.size
            if pos.all():
                assert status[i, j] == ALWAYS and np.isnan(got[i, j])
                continue
            switch_end = pos[-1] if j > i else pos[0]
            if changes.size == 0 or not switch_end:
                assert status[i, j] == NEVER and np.isnan(got[i, j])
                continue
            assert changes.size == 1  # single crossing at these parameters
            k = changes[0]
            f = lambda y, i=i, j=j: np.interp(y, lz, x[:, i, j]) - np.interp(y, lz, x[:, i, i])  # noqa: E731
            root = optimize.brentq(f, lz[k], lz[k + 1], xtol=1e-14)
            assert status[i, j] == CROSSING
            assert got[i, j] == pytest.approx(root, abs=1e-10), (i, j)
            # eq. (32) holds at the threshold once both choice values are interpolated
            scale = np.abs(x[k : k + 2, i, [i, j]]).max()
            assert abs(f(got[i, j])) <= 1e-8 * scale
            assert float(pw.std[i, j]) == pytest.approx((root - m) / s, abs=1e-9)
            n_found += 1
    assert n_found >= 2 * (n - 1) - 2  # most adjacent pairs have a crossing


@pytest.mark.parametrize("which", ["small_standard", "small_npg"])
def test_add_above_drop_and_inaction_region(which, request):
    """z_add(i) > z_drop(i), and every grid z where the hard-max policy keeps i lies in [z_drop, z_add]."""
    p, eq = request.getfixturevalue(which)
    _, x = _numpy_choice_values(p, eq)
    lz = np.asarray(eq.grids.log_z)
    ad = add_drop_thresholds(p, eq)
    add, drop = np.asarray(ad.add_log_z), np.asarray(ad.drop_log_z)
    n = x.shape[1]
    assert np.asarray(ad.add_status)[-1] == NOT_APPLICABLE and np.asarray(ad.drop_status)[0] == NOT_APPLICABLE
    both = np.isfinite(add) & np.isfinite(drop)
    assert both.sum() >= 1
    assert np.all(add[both] > drop[both])
    policy = x.argmax(-1)  # (nz, N+1), deterministic rule
    kept = 0
    for i in range(n):
        zk = lz[policy[:, i] == i]
        upper = add[i] if np.isfinite(add[i]) else (np.inf if np.asarray(ad.add_status)[i] != ALWAYS else -np.inf)
        lower = drop[i] if np.isfinite(drop[i]) else (-np.inf if np.asarray(ad.drop_status)[i] != ALWAYS else np.inf)
        assert np.all((zk >= lower - 1e-12) & (zk <= upper + 1e-12)), i
        kept += zk.size
    assert kept > 0
    # the standardized values are the log-z values under the stationary normalization
    m, s = _numpy_normalization(eq)
    np.testing.assert_allclose(np.asarray(ad.add_std), (add - m) / s, rtol=1e-12, atol=1e-12)


def test_proximity_thresholds_hp_below_lp(small_standard, small_npg):
    """Figure 5 generalized: from any portfolio, a farther expansion (lower proximity) needs a higher z than a
    nearer one (or never pays within the grid); dropping more products needs a lower z. Both cost forms."""
    for p, eq in (small_standard, small_npg):
        pw = pairwise_thresholds(p, eq)
        z, st = np.asarray(pw.log_z), np.asarray(pw.status)
        n = z.shape[0]
        checked = 0
        for i in range(n):
            for j in range(i + 1, n - 1):  # expansions j < j + 1
                if st[i, j] == NEVER:
                    assert st[i, j + 1] == NEVER, (i, j)
                if st[i, j] == CROSSING and st[i, j + 1] == CROSSING:
                    assert z[i, j] < z[i, j + 1], (i, j)
                    checked += 1
                if st[i, j] == CROSSING:
                    assert st[i, j + 1] in (CROSSING, NEVER)
            for j in range(1, i):  # contractions j - 1 < j < i
                if st[i, j] == CROSSING and st[i, j - 1] == CROSSING:
                    assert z[i, j - 1] < z[i, j], (i, j)
                    checked += 1
        assert checked >= 4
        # the Figure 5 pair: modal multiproduct portfolio i (2..N-1), HP = i + 1, LP = i + 2
        mass = np.asarray(eq.mu).sum(0)
        i = 2 + int(np.argmax(mass[2:-1]))
        assert int(figure_portfolio(eq)) == i
        px = proximity_thresholds(p, eq)
        assert int(px.j_hp) == i + 1 and int(px.j_lp) == i + 2
        np.testing.assert_array_equal(
            [float(px.z_hp_std), float(px.z_lp_std), int(px.z_lp_status)],
            [float(pw.std[i, i + 1]), float(pw.std[i, i + 2]), st[i, i + 2]],
        )
        far = proximity_thresholds(p, eq, portfolio=p.n_products - 1)  # j_lp = N + 1 does not exist
        assert np.isnan(float(far.z_lp_std)) and int(far.z_lp_status) == NOT_APPLICABLE
    with pytest.raises(ValueError, match="hp_step < lp_step"):
        proximity_thresholds(p, eq, hp_step=2, lp_step=2)


# ------------------------------------------------------------ new exporters (Figure 6)
def _numpy_cohort(p, eq, years):
    """Independent NumPy loop over (z, i) states of the new-exporter cohort push-forward."""
    g = eq.grids
    mu, prob = np.asarray(eq.mu), np.asarray(eq.prob)
    P, surv, z = np.asarray(g.P), np.asarray(g.survival), np.asarray(g.z)
    OH, OX = float(g.omega_H), np.asarray(g.omega_X)
    inten = OX / (OH + OX)
    nz, n = mu.shape

    def push(c):
        new, alive, stay = np.zeros_like(c), 0.0, 0.0
        for a in range(nz):
            for i in range(n):
                m = c[a, i] * surv[a]
                alive += m
                for j in range(1, n):
                    stay += m * prob[a, i, j]
                    new[:, j] += m * prob[a, i, j] * P[a, :]
        return new, alive, stay

    start = np.zeros_like(mu)
    start[:, 0] = mu[:, 0]
    c, _, _ = push(start)
    out = {k: [] for k in ("survival", "survival_unconditional", "export_intensity", "export_intensity_aggregate")}
    for _ in range(years + 1):
        nxt, alive, stay = push(c)
        tot = c.sum()
        sales = z[:, None] ** (float(p.epsilon) - 1) * (OH + OX)[None, :]
        out["survival"].append(stay / alive)
        out["survival_unconditional"].append(stay / tot)
        out["export_intensity"].append((c * inten[None, :]).sum() / tot)
        out["export_intensity_aggregate"].append((c * sales * (OX / (OH + OX))[None, :]).sum() / (c * sales).sum())
        c = nxt
    return {k: np.array(v) for k, v in out.items()}


def test_new_exporters_push_forward_vs_numpy_loop(small_standard):
    p, eq = small_standard
    nd = new_exporter_dynamics(p, eq, years=6)
    ref = _numpy_cohort(p, eq, 6)
    for k, v in ref.items():
        np.testing.assert_allclose(np.asarray(getattr(nd, k)), v, rtol=1e-11, atol=1e-13, err_msg=k)
    share = np.asarray(nd.cohort_share)
    np.testing.assert_allclose(share[1:], np.cumprod(np.asarray(nd.survival_unconditional))[:-1], rtol=1e-12)
    inten = np.asarray(nd.export_intensity)
    assert np.all((inten > 0) & (inten < 1)) and np.all(np.asarray(nd.survival) <= 1)
    # year 0: new exporters' intensity is at least single-product intensity (eq. 34 with omega-tilde = omega_1)
    single = float(eq.grids.omega_X[1] / (eq.grids.omega_H + eq.grids.omega_X[1]))
    assert inten[0] >= single - 1e-12


def test_new_exporters_match_monte_carlo(small_standard):
    """Push-forward survival and intensity vs the simulate.py panel, within 4 binomial/sampling standard errors."""
    p, eq = small_standard
    years = 5
    nd = new_exporter_dynamics(p, eq, years=years)
    s = {k: np.asarray(v) for k, v in simulate_states(p, eq, jax.random.PRNGKey(3), n_firms=20_000, n_years=30).items()}
    a, nxt, alive = s["threshold_idx"], s["next_threshold_idx"], s["survives"]
    g = eq.grids
    inten = np.asarray(g.omega_X / (g.omega_H + g.omega_X))
    n_years = a.shape[1]
    for t_since in range(years + 1):
        stays, inten_obs = [], []
        for t in range(1, n_years - t_since):
            spell = (a[:, t - 1] == 0) & np.all(a[:, t : t + t_since + 1] >= 1, axis=1)
            inten_obs.append(inten[a[spell, t + t_since]])
            ok = spell & alive[:, t + t_since]
            stays.append(nxt[ok, t + t_since] >= 1)
        stays, inten_obs = np.concatenate(stays), np.concatenate(inten_obs)
        assert stays.size > 1000
        q = float(nd.survival[t_since])
        se = np.sqrt(q * (1 - q) / stays.size)
        assert abs(stays.mean() - q) < 4 * se + 1e-3, (t_since, stays.mean(), q)
        se_i = inten_obs.std() / np.sqrt(inten_obs.size)
        assert abs(inten_obs.mean() - float(nd.export_intensity[t_since])) < 4 * se_i + 1e-3, t_since


def test_jit_and_vmap(small_standard):
    p, eq = small_standard
    f = jax.jit(new_exporter_dynamics, static_argnames="years")
    eager = new_exporter_dynamics(p, eq, years=3)
    np.testing.assert_allclose(np.asarray(f(p, eq, years=3).survival), np.asarray(eager.survival), rtol=1e-13)
    # a batch of two equilibria (different exit slopes): vmap equals one-by-one
    p2 = standard_params(xi=2.4, **SMALL)
    eq2 = solve_equilibrium(p2)
    stack = lambda *xs: jax.tree.map(lambda *a: jnp.stack(a), *xs)  # noqa: E731
    ps, eqs = stack(p, p2), stack(eq, eq2)
    batched = jax.vmap(
        lambda q, e: (
            add_drop_thresholds(q, e).add_std,
            new_exporter_dynamics(q, e, years=3).survival,
            proximity_thresholds(q, e).z_hp_std,
        )
    )(ps, eqs)
    for k, (q, e) in enumerate(((p, eq), (p2, eq2))):
        np.testing.assert_allclose(
            np.asarray(batched[0][k]), np.asarray(add_drop_thresholds(q, e).add_std), rtol=1e-12, equal_nan=True
        )
        np.testing.assert_allclose(
            np.asarray(batched[1][k]), np.asarray(new_exporter_dynamics(q, e, years=3).survival), rtol=1e-12
        )
        assert float(batched[2][k]) == pytest.approx(float(proximity_thresholds(q, e).z_hp_std), rel=1e-12)
    # dynamics_summary is one jit of the same functions
    d = dynamics_summary(p, eq, years=3)
    np.testing.assert_allclose(np.asarray(d["new_exporter_survival"]), np.asarray(eager.survival), rtol=1e-12)
    with pytest.raises(ValueError, match="years >= 0"):
        new_exporter_dynamics(p, eq, years=-1)
