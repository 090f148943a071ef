"""API, input errors, formula parsing, demeaning and helpers of jaxtrade.empirics.fixest."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from jaxtrade.empirics.fixest import (
    FixestResult,
    demean,
    etable,
    feols,
    fepois,
    residualize,
    shuffle_within,
)
from jaxtrade.empirics.fixest.demean import cross_table, demean_arrays
from jaxtrade.empirics.fixest.formula import parse_formula
from jaxtrade.errors import ConvergenceError, Solution, SolverInfo


@pytest.fixture(scope="module")
def df():
    rng = np.random.default_rng(7)
    n = 600
    out = pd.DataFrame(
        {
            "firm": rng.integers(0, 60, n),
            "year": rng.integers(0, 8, n),
            "country": rng.choice(["DE", "FR", "IT", "ES"], n),
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "pos": rng.uniform(1, 3, n),
        }
    )
    out["y"] = 1.5 * out.x1 - 0.5 * out.x2 + 0.1 * out.firm + rng.normal(size=n)
    out["count"] = rng.poisson(np.exp(0.3 * out.x1)).astype(float)
    return out


# ----------------------------------------------------------------------------- formula
def test_parse_formula_features():
    f = parse_formula("log(y) + z ~ x1 + x1:x2 + sqrt(x3) | fe1^fe2 + fe3")
    assert [d.name for d in f.depvars] == ["log(y)", "z"]
    assert [t.name for t in f.regressors] == ["x1", "x1:x2", "sqrt(x3)"]
    assert f.fixed_effects == (("fe1", "fe2"), ("fe3",))
    assert f.fe_names == ["fe1^fe2", "fe3"]
    assert not f.intercept
    assert parse_formula("y ~ x").intercept
    assert not parse_formula("y ~ 0 + x").intercept
    assert not parse_formula("y ~ x - 1").intercept


@pytest.mark.parametrize("bad", ["y x1", "y ~ x1 | fe | z ~ w", "y ~ foo(x1)", "y ~ x1 +", "y ~ (x1"])
def test_parse_formula_errors(bad):
    with pytest.raises(ValueError):
        parse_formula(bad)


# ----------------------------------------------------------------------------- errors
def test_unknown_column_is_named(df):
    with pytest.raises(ValueError, match="'nope'"):
        feols("y ~ nope | firm", df)
    with pytest.raises(ValueError, match="'nofe'"):
        feols("y ~ x1 | nofe", df)
    with pytest.raises(ValueError, match="weights column 'ww'"):
        feols("y ~ x1 | firm", df, weights="ww")
    with pytest.raises(ValueError, match="'cl'"):
        feols("y ~ x1 | firm", df, vcov={"CRV1": "cl"})


def test_empty_sample_raises(df):
    bad = df.assign(x1=np.nan)
    with pytest.raises(ValueError, match="empty sample"):
        feols("y ~ x1 | firm", bad)


def test_bad_vcov_and_options(df):
    with pytest.raises(ValueError, match="vcov"):
        feols("y ~ x1", df, vcov="HC3")
    with pytest.raises(ValueError, match="CRV1"):
        feols("y ~ x1", df, vcov={"CRV3": "firm"})
    with pytest.raises(ValueError, match="two-way"):
        feols("y ~ x1", df, vcov={"CRV1": "firm+year+country"})
    with pytest.raises(ValueError, match="fixef_rm"):
        feols("y ~ x1 | firm", df, fixef_rm="perfect")
    with pytest.raises(ValueError, match="numeric"):
        feols("y ~ country", df)
    with pytest.raises(ValueError, match="non-negative"):
        feols("y ~ x1", df.assign(w=-1.0), weights="w")


def test_fepois_negative_outcome_raises(df):
    with pytest.raises(ValueError, match="negative"):
        fepois("y ~ x1 | firm", df)


def test_fepois_nonconvergence_raises(df):
    with pytest.raises(ConvergenceError, match="IRLS"):
        fepois("count ~ x1 | firm", df, iwls_maxiter=1)


# ----------------------------------------------------------------------------- drops
def test_nan_and_inf_rows_dropped_and_counted(df):
    bad = df.copy()
    bad.loc[[0, 5, 9], "x2"] = np.nan
    bad.loc[[11], "y"] = np.inf
    bad.loc[[13], "firm"] = np.nan
    bad.loc[[17], "pos"] = 0.0  # log(0) = -inf
    res = feols("y ~ x1 + x2 + log(pos) | firm", bad, fixef_rm="none")
    assert res.n_dropped == 6
    assert res.nobs == len(bad) - 6
    assert "6 for NA/inf" in res.summary()


def test_collinear_regressor_dropped_with_warning(df):
    data = df.assign(x3=2 * df.x1 - df.x2, firm_trend=df.firm * 1.0)
    with pytest.warns(UserWarning, match="x3"):
        res = feols("y ~ x1 + x2 + x3 | firm", data)
    assert res.collinear == ["x3"]
    assert res.coefnames == ["x1", "x2"]
    with pytest.warns(UserWarning, match="firm_trend"):
        res = feols("y ~ x1 + firm_trend | firm", data)
    assert res.collinear == ["firm_trend"]


def test_singleton_removal_options(df):
    data = df.copy()
    data.loc[0, "firm"] = 999  # a singleton firm
    with pytest.warns(UserWarning, match="singleton"):
        res = feols("y ~ x1 | firm", data)
    assert res.n_singletons >= 1
    kept = feols("y ~ x1 | firm", data, fixef_rm="none")
    assert kept.n_singletons == 0 and kept.nobs == res.nobs + res.n_singletons
    np.testing.assert_allclose(kept.coef(), res.coef(), atol=1e-12)  # singletons do not move slopes


# ----------------------------------------------------------------------------- result API
def test_result_api(df):
    res = feols("y ~ x1 + x2 | firm + year", df, vcov={"CRV1": "firm"})
    assert isinstance(res, FixestResult)
    assert list(res.coef().index) == ["x1", "x2"]
    np.testing.assert_allclose(res.tstat(), res.coef() / res.se())
    ci = res.confint()
    assert list(ci.columns) == ["2.5%", "97.5%"]
    assert (ci["2.5%"] < res.coef()).all() and (ci["97.5%"] > res.coef()).all()
    tidy = res.tidy()
    assert list(tidy.columns) == ["Estimate", "Std. Error", "t value", "Pr(>|t|)", "2.5%", "97.5%"]
    assert res.df_t == res.n_clusters - 1
    assert 0 < res.r2_within < res.r2 < 1
    np.testing.assert_allclose(res.resid() + res.predict(), df["y"].to_numpy()[np.isin(df.index, res.sample_index)])
    hetero = res.vcov("hetero")
    assert hetero.vcov_label == "hetero" and np.allclose(hetero.coef(), res.coef())
    assert res.vcov().shape == (2, 2)
    text = res.summary()
    assert "x1" in text and "CRV1: firm" in text


def test_multiple_dependent_variables(df):
    out = feols("y + x2 ~ x1 | firm", df)
    assert isinstance(out, list) and [r.depvar for r in out] == ["y", "x2"]
    single = feols("x2 ~ x1 | firm", df)
    np.testing.assert_allclose(out[1].coef(), single.coef(), atol=1e-12)


def test_etable(df):
    r1 = feols("y ~ x1 | firm", df)
    r2 = feols("y ~ x1 + x2 | firm + year", df, vcov={"CRV1": "firm"})
    r3 = fepois("count ~ x1 | firm", df)
    table = etable(r1, [r2, r3])
    assert list(table.columns) == ["(1)", "(2)", "(3)"]
    assert "x2" in table.index and "FE: year" in table.index
    assert table.loc["FE: year", "(1)"] == "-" and table.loc["FE: year", "(2)"] == "x"
    md = etable(r1, r2, type="md")
    assert md.startswith("| | (1) | (2) |") and "Observations" in md


def test_combined_fixed_effect_equals_explicit_column(df):
    data = df.assign(firm_year=df.firm.astype(str) + "_" + df.year.astype(str))
    a = feols("y ~ x1 + x2 | firm^year + country", data, vcov="hetero")
    b = feols("y ~ x1 + x2 | firm_year + country", data, vcov="hetero")
    np.testing.assert_allclose(a.coef(), b.coef(), atol=1e-12)
    np.testing.assert_allclose(a.se(), b.se(), rtol=1e-10)


def test_feols_equals_dummy_regression(df):
    """With one FE, OLS on explicit dummies gives the same slopes (and iid SEs via the dof rule)."""
    res = feols("y ~ x1 + x2 | country", df, fixef_rm="none")
    dummies = pd.get_dummies(df.country, dtype=float)
    X = np.column_stack([df.x1, df.x2, dummies.to_numpy()])
    beta, *_ = np.linalg.lstsq(X, df.y.to_numpy(), rcond=None)
    np.testing.assert_allclose(res.coef().to_numpy(), beta[:2], atol=1e-10)
    resid = df.y.to_numpy() - X @ beta
    sigma2 = resid @ resid / (len(df) - X.shape[1])
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(X.T @ X))[:2])
    np.testing.assert_allclose(res.se().to_numpy(), se, rtol=1e-9)


# ----------------------------------------------------------------------------- demeaning
def test_demean_is_projection_and_jittable():
    rng = np.random.default_rng(3)
    n = 2000
    g1 = rng.integers(0, 100, n).astype(np.int32)
    g2 = rng.integers(0, 30, n).astype(np.int32)
    x = rng.normal(size=(n, 2))
    w = rng.uniform(0.5, 2, n)
    sol = demean(x, [g1, g2], w, tol=1e-13)
    out, info = sol.value, sol.info
    assert isinstance(sol, Solution) and isinstance(info, SolverInfo) and bool(info.converged)
    out = np.asarray(out)
    # weighted group means of the result are zero in every fixed effect
    for g in (g1, g2):
        sums = np.stack([np.bincount(g, weights=w * out[:, j]) for j in range(2)], axis=1)
        assert np.max(np.abs(sums)) < 1e-9
    # equals the residual of a dummy regression
    D = np.column_stack([np.eye(100)[g1], np.eye(30)[g2]])
    sw = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(D * sw[:, None], x * sw[:, None], rcond=None)
    np.testing.assert_allclose(out, x - D @ coef, atol=1e-9)
    # jit-able with static level counts
    jitted = jax.jit(demean_arrays, static_argnames=("n_groups", "maxiter"))
    sol2 = jitted(jnp.asarray(x), (jnp.asarray(g1), jnp.asarray(g2)), jnp.asarray(w), n_groups=(100, 30))
    out2, info2 = sol2.value, sol2.info
    np.testing.assert_allclose(np.asarray(out2), out, atol=1e-9)
    assert int(info2.iterations) > 0


@pytest.mark.parametrize("weighted", [False, True])
def test_two_way_demeaning_equals_alternating_projections(weighted):
    """The coefficient-space two-way algorithm gives the row-space projection.

    Rows repeat (firm-year, product-year) pairs across destinations, and the
    second effect is tied to the first (a poorly connected graph), as in the
    proximity regressions.
    """
    rng = np.random.default_rng(11)
    n_pairs, repeats = 3000, 4
    p1 = rng.integers(0, 400, n_pairs)
    p2 = (3 * p1 + rng.integers(0, 5, n_pairs)) % 120
    g1, g2 = np.repeat(p1, repeats), np.repeat(p2, repeats)
    x = rng.normal(size=(len(g1), 3))
    w = rng.uniform(0.5, 2.0, len(g1)) if weighted else None
    ref = demean(x, [g1, g2], w, tol=1e-13, method="alternating")
    ref, info_ref = ref.value, ref.info
    out = demean(x, [g1, g2], w, tol=1e-13, method="two_way")
    out, info = out.value, out.info
    assert bool(info.converged) and bool(info_ref.converged)
    np.testing.assert_allclose(np.asarray(out), np.asarray(ref), atol=1e-9)
    # it is the default for two fixed effects, and the table can be reused
    table = cross_table(g1, g2)
    assert table.pair_first.shape[0] <= n_pairs
    assert np.all(np.diff(np.asarray(table.pair_first)) >= 0)
    out_auto = demean(x, [g1, g2], w, tol=1e-13, table=table).value
    np.testing.assert_allclose(np.asarray(out_auto), np.asarray(out), atol=1e-12)
    # the result is orthogonal to both sets of dummies
    ww = np.ones(len(g1)) if w is None else w
    for g in (g1, g2):
        sums = np.stack([np.bincount(g, weights=ww * np.asarray(out)[:, j]) for j in range(3)], axis=1)
        assert np.max(np.abs(sums)) < 1e-8


def test_demean_method_is_checked():
    g = np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="method"):
        demean(np.ones(4), [g, g], method="cg")
    with pytest.raises(ValueError, match="exactly two fixed effects"):
        demean(np.ones(4), [g], method="two_way")


def test_demean_reports_nonconvergence():
    rng = np.random.default_rng(4)
    n = 1000
    g1 = rng.integers(0, 200, n)
    g2 = rng.integers(0, 200, n)
    info = demean(rng.normal(size=n), [g1, g2], maxiter=1, tol=1e-14, throw=False).info
    assert not bool(info.converged)
    assert int(info.iterations) == 1


# ----------------------------------------------------------------------------- tools
def test_residualize_fwl(df):
    full = feols("y ~ x1 + x2 | firm + year", df, fixef_rm="none")
    data = df.assign(
        y_r=residualize(df, "y", controls="x2", fixef=["firm", "year"]),
        x1_r=residualize(df, "x1", controls=["x2"], fixef="firm + year"),
    )
    fwl = feols("y_r ~ 0 + x1_r", data)
    assert fwl.coef()["x1_r"] == pytest.approx(full.coef()["x1"], abs=1e-10)
    only_fe = residualize(df, "x1", fixef="firm")
    assert np.allclose(only_fe.groupby(df.firm).mean(), 0, atol=1e-12)


def test_shuffle_within(df):
    a = shuffle_within(df, "x1", by="firm", seed=1)
    b = shuffle_within(df, "x1", by="firm", seed=1)
    c = shuffle_within(df, "x1", by="firm", seed=2)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a.x1, c.x1)
    assert not np.allclose(a.x1, df.x1)
    for _, grp in a.groupby("firm"):
        orig = np.sort(df.loc[grp.index, "x1"].to_numpy())
        np.testing.assert_array_equal(np.sort(grp.x1.to_numpy()), orig)
    np.testing.assert_array_equal(a.drop(columns="x1"), df.drop(columns="x1"))
    with pytest.raises(ValueError, match="'nope'"):
        shuffle_within(df, "x1", by="nope")


def test_top_level_exports():
    import jaxtrade.empirics.fixest as fx

    for name in ("feols", "fepois", "etable"):
        assert callable(getattr(fx, name))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import jaxtrade.empirics  # noqa: F401
