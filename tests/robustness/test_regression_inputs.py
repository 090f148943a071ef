"""Inputs at the edge of the regression engine (feols, fepois): zero weights and clear errors.

* rows of zero weight leave the sample, as fixest: the fit equals the fit on
  the positive-weight rows (coefficients, standard errors of every vcov, N);
* bad inputs raise a ValueError naming the cause, never ZeroDivisionError,
  LinAlgError, AttributeError or KeyError;
* a repeated fixed effect is used once, with a warning pointing at the call.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from jaxtrade.empirics.fixest import feols, fepois, residualize

# the row-drop notes of the fits compared here (each test that expects a warning records it itself)
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*(singleton fixed effect|because of separation|with zero weight removed).*:UserWarning"
)

VCOVS = ["iid", "hetero", {"CRV1": "cl"}, {"CRV1": "cl + year"}]


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(15)
    n = 400
    out = pd.DataFrame(
        {
            "firm": rng.integers(0, 25, n),
            "year": rng.integers(0, 6, n),
            "cl": rng.integers(0, 12, n),
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "w": rng.uniform(0.5, 2.0, n),
        }
    )
    out["y"] = 1.5 * out.x1 - 0.5 * out.x2 + 0.1 * out.firm + rng.normal(size=n)
    out["count"] = rng.poisson(np.exp(0.3 * out.x1 + 0.05 * out.year)).astype(float)
    out.loc[rng.choice(n, 60, replace=False), "w"] = 0.0
    return out


def _assert_same_fit(res, ref):
    assert res.nobs == ref.nobs
    assert res.coefnames == ref.coefnames
    assert res.df_k == ref.df_k and res.df_t == ref.df_t
    np.testing.assert_allclose(res.coef(), ref.coef(), rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(res.se(), ref.se(), rtol=1e-7, atol=1e-10)


# ----------------------------------------------------------------------------- zero weights
@pytest.mark.parametrize("vcov", VCOVS, ids=str)
def test_feols_zero_weights_equal_positive_weight_subset(panel, vcov):
    positive = panel[panel.w > 0]
    with pytest.warns(UserWarning, match="60 observation"):
        res = feols("y ~ x1 + x2 | firm + year", panel, vcov=vcov, weights="w")
    ref = feols("y ~ x1 + x2 | firm + year", positive, vcov=vcov, weights="w")
    _assert_same_fit(res, ref)
    assert res.n_zero_weights == 60 and res.n_dropped == 0
    np.testing.assert_array_equal(res.sample_index, ref.sample_index)
    assert res.r2 == pytest.approx(ref.r2) and res.r2_within == pytest.approx(ref.r2_within)


def test_feols_zero_weights_without_fixed_effects(panel):
    res = feols("y ~ x1 + x2", panel, vcov="hetero", weights="w")
    ref = feols("y ~ x1 + x2", panel[panel.w > 0], vcov="hetero", weights="w")
    _assert_same_fit(res, ref)
    assert "60 of zero weight" in res.summary()


@pytest.mark.parametrize("vcov", ["iid", "hetero", {"CRV1": "cl"}], ids=str)
def test_fepois_zero_weights_equal_positive_weight_subset(panel, vcov):
    res = fepois("count ~ x1 + x2 | firm + year", panel, vcov=vcov, weights="w")
    ref = fepois("count ~ x1 + x2 | firm + year", panel[panel.w > 0], vcov=vcov, weights="w")
    _assert_same_fit(res, ref)
    assert res.n_zero_weights == 60
    assert res.deviance == pytest.approx(ref.deviance, rel=1e-8)


def test_zero_weights_leave_before_singletons(panel):
    # a firm whose second row has zero weight: once that row leaves, the first is a singleton
    data = panel.copy()
    data.loc[[0, 1], "firm"] = 99
    data.loc[1, "w"] = 0.0
    res = feols("y ~ x1 | firm", data, weights="w")
    ref = feols("y ~ x1 | firm", data[data.w > 0], weights="w")
    _assert_same_fit(res, ref)
    assert res.n_singletons == ref.n_singletons >= 1


# ----------------------------------------------------------------------------- weights errors
def test_all_zero_weights_raise(panel):
    with pytest.raises(ValueError, match="weights column 'w' is zero for every observation"):
        feols("y ~ x1 | firm", panel.assign(w=0.0), weights="w")
    with pytest.raises(ValueError, match="weights column 'w' is zero for every observation"):
        fepois("count ~ x1 | firm", panel.assign(w=0.0), weights="w")


def test_non_numeric_weights_raise(panel):
    with pytest.raises(ValueError, match="weights column 'w' must be numeric"):
        feols("y ~ x1 | firm", panel.assign(w="heavy"), weights="w")
    with pytest.raises(ValueError, match="weights column 'w' must be numeric"):
        fepois("count ~ x1", panel.assign(w=pd.Categorical(["a"] * len(panel))), weights="w")


def test_negative_weights_raise(panel):
    data = panel.copy()
    data.loc[3, "w"] = -0.5
    with pytest.raises(ValueError, match="weights column 'w' must be non-negative"):
        feols("y ~ x1 | firm", data, weights="w")
    with pytest.raises(ValueError, match="weights column 'w' must be non-negative"):
        fepois("count ~ x1 | firm", data, weights="w")


# ----------------------------------------------------------------------------- data errors
@pytest.mark.parametrize("vcov", [{"CRV1": "one"}, {"CRV1": "cl + one"}], ids=str)
def test_single_cluster_raises(panel, vcov):
    data = panel.assign(one=1)
    with pytest.raises(ValueError, match="cluster variable 'one' has a single group"):
        feols("y ~ x1 | firm", data, vcov=vcov)
    with pytest.raises(ValueError, match="cluster variable 'one' has a single group"):
        fepois("count ~ x1 | firm", data, vcov=vcov)
    res = feols("y ~ x1 | firm", data)
    with pytest.raises(ValueError, match="single group"):
        res.vcov(vcov)


def test_constant_outcome_feols_as_pyfixest(panel):
    # pyfixest 0.60 returns zero coefficients and standard errors and NaN R2s for a constant outcome
    data = panel.assign(c=3.0)
    for fml in ["c ~ x1 + x2 | firm", "c ~ x1 + x2"]:
        for vcov in VCOVS:
            with pytest.warns(UserWarning, match="dependent variable is constant"):
                res = feols(fml, data, vcov=vcov)
            slopes = res.coef()[["x1", "x2"]].to_numpy()
            np.testing.assert_allclose(slopes, 0.0, atol=1e-12)
            np.testing.assert_allclose(res.se().to_numpy(), 0.0, atol=1e-12)
            assert np.isnan(res.r2) and np.isnan(res.adj_r2)
            assert res.rmse == pytest.approx(0.0, abs=1e-12)
    assert res.coef()["Intercept"] == pytest.approx(3.0)  # the last fit, without fixed effects


def test_constant_outcome_with_fixed_effects_has_nan_within_r2(panel):
    with pytest.warns(UserWarning, match="constant"):
        res = feols("c ~ x1 | firm", panel.assign(c=-2.5))
    assert res.r2_within is not None and np.isnan(res.r2_within)
    assert "R2" in res.summary()


def test_all_zero_outcome_fepois_raises(panel):
    data = panel.assign(z=0.0)
    for fml in ["z ~ x1 | firm", "z ~ x1"]:
        with pytest.raises(ValueError, match="'z' is zero for every observation"):
            fepois(fml, data)
    with pytest.raises(ValueError, match="'z' is zero for every observation"):
        fepois("z ~ x1 | firm", data, separation_check=False)


def test_duplicated_column_names_raise(panel):
    dup = pd.concat([panel, panel[["x1"]]], axis=1)
    assert list(dup.columns).count("x1") == 2
    with pytest.raises(ValueError, match=r"\['x1'\] appear more than once"):
        feols("y ~ x1 | firm", dup)
    with pytest.raises(ValueError, match=r"\['x1'\] appear more than once"):
        fepois("count ~ x1 | firm", dup)
    for col, kw in [("firm", {}), ("w", {"weights": "w"}), ("cl", {"vcov": {"CRV1": "cl"}})]:
        dup = pd.concat([panel, panel[[col]]], axis=1)
        with pytest.raises(ValueError, match=f"\\['{col}'\\] appear more than once"):
            feols("y ~ x2 | firm", dup, **kw)
    # a duplicated column the model does not use is harmless
    other = pd.concat([panel, panel[["x2"]]], axis=1)
    _assert_same_fit(feols("y ~ x1 | firm", other), feols("y ~ x1 | firm", panel))


# ----------------------------------------------------------------------------- option errors
BAD_NUMBERS = [np.nan, np.inf, 0.0, -1e-8, "1e-8", None, True]


@pytest.mark.parametrize("value", BAD_NUMBERS, ids=repr)
@pytest.mark.parametrize("option", ["fixef_tol", "collin_tol"])
def test_bad_tolerances_raise(panel, option, value):
    with pytest.raises(ValueError, match=f"{option} must be a finite positive number"):
        feols("y ~ x1 | firm", panel, **{option: value})
    with pytest.raises(ValueError, match=f"{option} must be a finite positive number"):
        fepois("count ~ x1 | firm", panel, **{option: value})


@pytest.mark.parametrize("value", BAD_NUMBERS, ids=repr)
def test_bad_iwls_tol_raises(panel, value):
    with pytest.raises(ValueError, match="iwls_tol must be a finite positive number"):
        fepois("count ~ x1 | firm", panel, iwls_tol=value)


@pytest.mark.parametrize("value", [0, -3, 2.5, np.nan, np.inf, "10", None, True])
@pytest.mark.parametrize("option", ["fixef_maxiter", "iwls_maxiter"])
def test_bad_iteration_caps_raise(panel, option, value):
    with pytest.raises(ValueError, match=f"{option} must be an integer >= 1"):
        fepois("count ~ x1 | firm", panel, **{option: value})
    if option == "fixef_maxiter":
        with pytest.raises(ValueError, match=f"{option} must be an integer >= 1"):
            feols("y ~ x1 | firm", panel, **{option: value})
        with pytest.raises(ValueError, match=f"{option} must be an integer >= 1"):
            residualize(panel, "x1", fixef="firm", **{option: value})


def test_options_checked_before_any_work(panel):
    # the option error comes first, even with an unknown column in the formula
    with pytest.raises(ValueError, match="fixef_tol"):
        feols("y ~ nope | firm", panel, fixef_tol=-1.0)
    with pytest.raises(ValueError, match="fixef_tol"):
        residualize(panel, "x1", fixef="firm", fixef_tol=np.nan)


def test_whole_float_iteration_caps_accepted(panel):
    res = fepois("count ~ x1 | firm", panel, iwls_maxiter=50.0, fixef_maxiter=np.int64(10_000))
    ref = fepois("count ~ x1 | firm", panel)
    _assert_same_fit(res, ref)


# ----------------------------------------------------------------------------- repeated fixed effect
@pytest.mark.parametrize("vcov", VCOVS, ids=str)
def test_repeated_fixed_effect_used_once(panel, vcov):
    with pytest.warns(UserWarning, match="fixed effect 'firm' is repeated") as record:
        res = feols("y ~ x1 + x2 | firm + year + firm", panel, vcov=vcov)
    assert {w.filename for w in record} == {__file__}  # the warning points at this call
    ref = feols("y ~ x1 + x2 | firm + year", panel, vcov=vcov)
    _assert_same_fit(res, ref)
    assert res.fixef == ["firm", "year"]


def test_repeated_combined_fixed_effect_used_once(panel):
    with pytest.warns(UserWarning, match="repeated"):
        res = fepois("count ~ x1 | firm^year + year^firm", panel, vcov="hetero")
    ref = fepois("count ~ x1 | firm^year", panel, vcov="hetero")
    _assert_same_fit(res, ref)
    with pytest.warns(UserWarning, match="repeated"):
        res = feols("y ~ x1 | firm + firm", panel)
    _assert_same_fit(res, feols("y ~ x1 | firm", panel))


# ----------------------------------------------------------------------------- warnings point at the call
def test_engine_warnings_point_at_the_user_call(panel):
    data = panel.assign(x3=2 * panel.x1 - panel.x2)
    data.loc[0, "firm"] = 999  # a singleton
    cases = [
        lambda: feols("y ~ x1 + x2 + x3 | firm", data),  # singleton + collinearity
        lambda: fepois("count ~ x1 + x2 + x3 | firm", data, weights="w"),  # + zero weights
        lambda: fepois("z ~ x1 | firm", data.assign(z=np.where(data.firm < 3, 0.0, data["count"]))),  # separation
    ]
    for case in cases:
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            case()
        assert record
        assert {w.filename for w in record} == {__file__}, [(w.filename, str(w.message)) for w in record]


# ----------------------------------------------------------------------------- scale-invariant collinearity
@pytest.fixture(scope="module")
def scaled(panel):
    out = panel[["firm", "year", "y", "count", "x1", "x2"]].copy()
    out["b1"], out["b2"] = 1e8 * out.x1, 1e8 * out.x2
    out["b3"] = 2.0 * out.b1 - 3.0 * out.b2  # exactly collinear, size 1e8
    out["s1"] = 1e-6 * out.x1  # a genuine regressor of size 1e-6
    out["firm_big"] = 1e8 * out.firm + 5e9  # collinear with the firm effect, size 1e9
    out["huge"] = 1e200 * out.x1
    return out


@pytest.mark.parametrize("fml", ["y ~ b1 + b2 + b3 | firm", "y ~ b1 + b2 + b3"])
def test_collinearity_of_large_regressors_detected(scaled, fml):
    with pytest.warns(UserWarning, match=r"collinearity: \['b3'\]") as record:
        res = feols(fml, scaled, vcov="hetero")
    assert {w.filename for w in record} == {__file__}
    assert res.collinear == ["b3"]
    ref = feols(fml.replace("b1 + b2 + b3", "x1 + x2"), scaled, vcov="hetero")
    np.testing.assert_allclose(res.coef()[["b1", "b2"]].to_numpy() * 1e8, ref.coef()[["x1", "x2"]], rtol=1e-6)
    np.testing.assert_allclose(res.se()[["b1", "b2"]].to_numpy() * 1e8, ref.se()[["x1", "x2"]], rtol=1e-6)


def test_collinearity_of_large_regressors_detected_fepois(scaled):
    with pytest.warns(UserWarning, match=r"collinearity: \['b3'\]"):
        res = fepois("count ~ b1 + b2 + b3 | firm", scaled)
    ref = fepois("count ~ x1 + x2 | firm", scaled)
    np.testing.assert_allclose(res.coef().to_numpy() * 1e8, ref.coef().to_numpy(), rtol=1e-6)


@pytest.mark.parametrize("fml", ["y ~ s1 + x2 | firm", "y ~ s1 + x2"])
def test_small_regressor_not_dropped(scaled, fml):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no collinearity warning
        res = feols(fml, scaled, vcov={"CRV1": "firm"})
    assert res.collinear == [] and "s1" in res.coefnames
    ref = feols(fml.replace("s1", "x1"), scaled, vcov={"CRV1": "firm"})
    np.testing.assert_allclose(res.coef()["s1"] * 1e-6, ref.coef()["x1"], rtol=1e-7)
    np.testing.assert_allclose(res.se()["s1"] * 1e-6, ref.se()["x1"], rtol=1e-7)


def test_small_regressor_not_dropped_fepois(scaled):
    res = fepois("count ~ s1 + x2 | firm", scaled)
    assert res.collinear == []
    ref = fepois("count ~ x1 + x2 | firm", scaled)
    np.testing.assert_allclose(res.coef()["s1"] * 1e-6, ref.coef()["x1"], rtol=1e-6)


def test_large_regressor_collinear_with_fixed_effect_dropped(scaled):
    with pytest.warns(UserWarning, match="firm_big"):
        res = feols("y ~ x1 + firm_big | firm", scaled)
    assert res.collinear == ["firm_big"]
    _assert_same_fit(res, feols("y ~ x1 | firm", scaled))


def test_overflowing_cross_products_raise(scaled):
    with pytest.raises(ValueError, match=r"\['huge'\] are too large"):
        feols("y ~ x1 + huge | firm", scaled)
    with pytest.raises(ValueError, match=r"\['huge'\] are too large"):
        fepois("count ~ x1 + huge | firm", scaled)
    with pytest.raises(ValueError, match="overflow"):
        feols("yy ~ x1 | firm", scaled.assign(yy=1e200 * scaled.y))


def test_no_residual_degrees_of_freedom_raises():
    data = pd.DataFrame({"y": [1.0, 2.0, 4.0], "x1": [0.0, 1.0, 3.0], "x2": [1.0, -1.0, 2.0]})
    for vcov in ["iid", "hetero"]:
        for fn in (feols, fepois):
            with pytest.raises(ValueError, match="no residual degrees of freedom: 3 observation"):
                fn("y ~ x1 + x2", data, vcov=vcov)
