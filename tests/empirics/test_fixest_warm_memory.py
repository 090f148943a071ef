"""Warm-started demeaning, adaptive PPML tolerance and the low-copy feols path.

Every check compares with an independent computation: dummy-variable least
squares (numpy ``lstsq``), the Poisson first-order conditions, a cold start,
or pyfixest.
"""

from __future__ import annotations

import warnings

import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from jaxtrade.empirics.fixest import demean, feols, fepois
from jaxtrade.empirics.fixest.demean import cross_table, demean_arrays, demean_two_way_coef


def _dummies(*groups):
    return np.column_stack([np.eye(int(g.max()) + 1)[g] for g in groups])


def _lstsq_resid(x, groups, w):
    D = _dummies(*groups)
    sw = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(D * sw[:, None], x * sw[:, None], rcond=None)
    return x - D @ coef, D


@pytest.fixture(scope="module")
def three_way():
    rng = np.random.default_rng(21)
    n = 1500
    groups = tuple(rng.integers(0, k, n).astype(np.int32) for k in (40, 25, 12))
    return rng.normal(size=(n, 3)), groups, rng.uniform(0.5, 2.0, n)


def test_row_space_warm_start_is_the_same_projection(three_way):
    x, groups, w = three_way
    ref, D = _lstsq_resid(x, groups, w)
    codes = tuple(jnp.asarray(g) for g in groups)
    n_groups = tuple(int(g.max()) + 1 for g in groups)
    cold = demean_arrays(jnp.asarray(x), codes, jnp.asarray(w), n_groups, 1e-13, 10_000)
    cold, info_cold = cold.value, cold.info
    np.testing.assert_allclose(np.asarray(cold), ref, atol=1e-9)
    # any start x - D alpha converges to the same projection
    alpha = np.random.default_rng(0).normal(size=(D.shape[1], x.shape[1])) * 5
    x0 = jnp.asarray(x - D @ alpha)
    warm = demean_arrays(jnp.asarray(x), codes, jnp.asarray(w), n_groups, 1e-13, 10_000, x0)
    warm, info = warm.value, warm.info
    assert bool(info.converged)
    np.testing.assert_allclose(np.asarray(warm), ref, atol=1e-9)
    # started at the solution it stops after the first sweep
    again = demean_arrays(jnp.asarray(x), codes, jnp.asarray(w), n_groups, 1e-10, 10_000, cold)
    again, info_again = again.value, again.info
    assert int(info_again.iterations) == 1 < int(info_cold.iterations)
    np.testing.assert_allclose(np.asarray(again), ref, atol=1e-9)


def test_two_way_warm_start_is_the_same_projection(three_way):
    x, (g1, g2, _), w = three_way
    ref, _ = _lstsq_resid(x, (g1, g2), w)
    table = cross_table(g1, g2)
    args = (jnp.asarray(x), (jnp.asarray(g1), jnp.asarray(g2)), jnp.asarray(w), table, (40, 25), 1e-13, 10_000)
    two_way = demean_two_way_coef(*args)
    out, b, info = two_way.value, two_way.coef, two_way.info
    np.testing.assert_allclose(np.asarray(out), ref, atol=1e-9)
    rand = demean_two_way_coef(*args, jnp.asarray(np.random.default_rng(1).normal(size=b.shape)))
    out_rand, info_rand = rand.value, rand.info
    assert bool(info_rand.converged)
    np.testing.assert_allclose(np.asarray(out_rand), ref, atol=1e-9)
    warm = demean_two_way_coef(*args, b)
    out_warm, info_warm = warm.value, warm.info
    assert int(info_warm.iterations) == 1 < int(info.iterations)
    np.testing.assert_allclose(np.asarray(out_warm), ref, atol=1e-9)


def test_donated_demeaning_equals_plain(three_way):
    x, groups, w = three_way
    plain = demean(x, groups, w, tol=1e-12).value
    x_dev = jnp.asarray(x)
    donated = demean(x_dev, groups, w, tol=1e-12, donate=True).value
    np.testing.assert_array_equal(np.asarray(donated), np.asarray(plain))
    # a NumPy input is copied to the device, never overwritten
    x_np = x.copy()
    demean(x_np, groups[:2], w, tol=1e-12, donate=True)
    np.testing.assert_array_equal(x_np, x)


@pytest.fixture(scope="module")
def poisson_panel():
    rng = np.random.default_rng(5)
    n = 3000
    df = pd.DataFrame(
        {
            "o": rng.integers(0, 30, n),
            "d": rng.integers(0, 30, n),
            "t": rng.integers(0, 6, n),
            "w": rng.uniform(0.5, 2, n),
        }
    )
    df["x1"] = rng.normal(size=n) + 0.1 * df.o
    df["x2"] = rng.uniform(0, 1, n)
    eta = 0.5 + 0.4 * df.x1 - 0.8 * df.x2 + 0.05 * df.o - 0.04 * df.d + 0.1 * df.t
    df["y"] = rng.poisson(np.exp(eta)).astype(float)
    return df


FES = {"two_way": "o + d", "three_way": "o + d + t"}


@pytest.mark.parametrize("fes", list(FES), ids=str)
@pytest.mark.parametrize("weights", [None, "w"])
def test_fepois_warm_start_equals_cold_start(poisson_panel, fes, weights):
    fml = f"y ~ x1 + x2 | {FES[fes]}"
    kw = dict(vcov={"CRV1": "o"}, weights=weights, adaptive_tol=False)
    cold = fepois(fml, poisson_panel, warm_start=False, **kw)
    warm = fepois(fml, poisson_panel, warm_start=True, **kw)
    np.testing.assert_allclose(warm.coef().to_numpy(), cold.coef().to_numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(warm.se().to_numpy(), cold.se().to_numpy(), rtol=1e-8)
    assert warm.iterations == cold.iterations


@pytest.mark.parametrize("fes", list(FES), ids=str)
def test_fepois_adaptive_tolerance_solves_the_score_equations(poisson_panel, fes):
    """Default fit (warm start, adaptive tolerance): the PPML first-order conditions hold.

    ``sum_i x_i (y_i - mu_i) = 0`` for each regressor and ``sum_{i in g} (y_i - mu_i) = 0``
    for each fixed-effect level, and the estimates equal the tight, cold fit.
    """
    fml = f"y ~ x1 + x2 | {FES[fes]}"
    res = fepois(fml, poisson_panel)
    exact = fepois(fml, poisson_panel, warm_start=False, adaptive_tol=False)
    np.testing.assert_allclose(res.coef().to_numpy(), exact.coef().to_numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(res.se().to_numpy(), exact.se().to_numpy(), rtol=1e-7)
    df = poisson_panel.loc[res.sample_index]
    u = df["y"].to_numpy() - res.predict()
    scale = df["y"].sum()
    for col in ("x1", "x2"):
        assert abs(np.sum(df[col].to_numpy() * u)) < 1e-6 * scale
    for fe in FES[fes].split(" + "):
        assert np.max(np.abs(np.bincount(df[fe].to_numpy(), weights=u))) < 1e-6 * scale


def test_fepois_adaptive_matches_pyfixest(poisson_panel):
    pf = pytest.importorskip("pyfixest")
    from pyfixest.demeaners import MapDemeaner

    fml = "y ~ x1 + x2 | o + d + t"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        demeaner = MapDemeaner(fixef_tol=1e-13, fixef_maxiter=100_000)
        ref = pf.fepois(fml, poisson_panel, vcov={"CRV1": "o"}, demeaner=demeaner)
    ours = fepois(fml, poisson_panel, vcov={"CRV1": "o"})
    np.testing.assert_allclose(ours.coef().to_numpy(), ref.coef().to_numpy(), rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours.se().to_numpy(), ref.se().to_numpy(), rtol=1e-6)


def test_feols_collinear_column_equals_fit_without_it(poisson_panel):
    """The kept-columns path (a collinear regressor dropped) equals the fit without that regressor."""
    df = poisson_panel.assign(x3=2.0 * poisson_panel.x1)
    with pytest.warns(UserWarning, match="x3"):
        with_x3 = feols("y ~ x1 + x3 + x2 | o + d", df, vcov={"CRV1": "o"}, weights="w")
    without = feols("y ~ x1 + x2 | o + d", df, vcov={"CRV1": "o"}, weights="w")
    assert with_x3.coefnames == ["x1", "x2"]
    np.testing.assert_allclose(with_x3.coef().to_numpy(), without.coef().to_numpy(), atol=1e-12)
    np.testing.assert_allclose(with_x3.se().to_numpy(), without.se().to_numpy(), rtol=1e-10)


def test_feols_weighted_clustered_equals_dummy_regression(poisson_panel):
    """Coefficients and CRV1 SEs from explicit dummies and numpy, and ``result.vcov`` refits."""
    df = poisson_panel
    res = feols("y ~ x1 + x2 | o + d", df, vcov="iid", weights="w", fixef_rm="none")
    X = np.column_stack([df.x1, df.x2, _dummies(df.o.to_numpy(), df.d.to_numpy())[:, :-1]])
    w = df.w.to_numpy()
    y = df.y.to_numpy()
    sw = np.sqrt(w)
    beta, *_ = np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)
    np.testing.assert_allclose(res.coef().to_numpy(), beta[:2], atol=1e-9)
    u = y - X @ beta
    # CRV1 by o on the within design (FWL): the scores of x1, x2 after partialling out the dummies
    Xs, _ = _lstsq_resid(np.column_stack([df.x1, df.x2]), (df.o.to_numpy(), df.d.to_numpy()), w)
    bread = np.linalg.inv((Xs * w[:, None]).T @ Xs)
    S = np.stack([np.bincount(df.o.to_numpy(), weights=Xs[:, j] * w * u) for j in range(2)], axis=1)
    N, G = len(y), df.o.nunique()
    k_dof = 2 + (df.d.nunique() - 1) + 1  # o nested in the cluster: counts one; d counts G_d - 1
    factor = (N - 1) / (N - k_dof) * G / (G - 1)
    V = factor * bread @ S.T @ S @ bread
    clustered = res.vcov({"CRV1": "o"})
    np.testing.assert_allclose(clustered.se().to_numpy(), np.sqrt(np.diag(V)), rtol=1e-8)


def test_fepois_regressor_collinear_with_fixed_effects_is_dropped(poisson_panel):
    """The first IRLS iteration is demeaned to fixef_tol, so a regressor spanned by the effects is found."""
    rng = np.random.default_rng(2)
    p = poisson_panel
    # a sum of effects of all three (one projection does not remove it; a 1e-3 demeaning misses it)
    o_part, d_part = rng.normal(size=30)[p.o.to_numpy()], rng.normal(size=30)[p.d.to_numpy()]
    fe_sum = o_part + d_part + rng.normal(size=6)[p.t.to_numpy()]
    df = p.assign(fe_sum=fe_sum)
    with pytest.warns(UserWarning, match="fe_sum"):
        res = fepois("y ~ x1 + fe_sum + x2 | o + d + t", df)
    assert res.collinear == ["fe_sum"]
    exact = fepois("y ~ x1 + x2 | o + d + t", df, warm_start=False, adaptive_tol=False)
    np.testing.assert_allclose(res.coef().to_numpy(), exact.coef().to_numpy(), rtol=0, atol=1e-9)
