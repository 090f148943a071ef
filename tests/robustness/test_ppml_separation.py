"""Issue 15: PPML separation caused by the regressors (ppmlhdfe's iterative rectifier, pyfixest's "ir").

A regressor positive only where y = 0 drives its coefficient to minus infinity
and, before this check, gave a finite but arbitrary estimate (-27.5 below) with
the other coefficients still converging. The separated rows are dropped with a
warning giving the count (``result.n_separation``, ``result.separation``); the
remaining coefficients equal a fit on the kept rows and pyfixest's
``separation_check=["fe", "ir"]``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from jaxtrade.empirics.fixest import fepois
from jaxtrade.empirics.fixest.separation import separation_methods, separation_relu_mask

pytestmark = pytest.mark.filterwarnings("ignore:.*(singleton fixed effect|collinearity).*:UserWarning")


@pytest.fixture(scope="module")
def separated():
    """Poisson outcome with two fixed effects; ``x2`` is positive on 10 % of the zero-outcome rows only."""
    rng = np.random.default_rng(1)
    n = 600
    df = pd.DataFrame({"g": rng.integers(0, 30, n), "h": rng.integers(0, 8, n), "x1": rng.normal(size=n)})
    df["y"] = rng.poisson(np.exp(0.4 * df["x1"] - 0.5)).astype(float)
    rows = (df["y"] == 0).to_numpy() & (rng.random(n) < 0.1)
    df["x2"] = np.where(rows, rng.uniform(0.5, 2.0, n), 0.0)
    return df, rows


def test_regressor_separation_rows_dropped_and_counted(separated):
    df, rows = separated
    before = df.copy()
    with pytest.warns(
        UserWarning, match=rf"{rows.sum()} observations removed because of separation \(fixed effects: 0, "
    ):
        res = fepois("y ~ x1 + x2 | g + h", df, vcov="hetero")
    pd.testing.assert_frame_equal(df, before)  # the data are not modified
    assert res.n_separation == rows.sum() == res.separation.n_ir > 0 and res.separation.n_fe == 0
    assert res.separation.methods == ("fe", "ir") and bool(res.separation.ir_info.converged)
    assert int(res.separation.ir_info.iterations) >= 1
    assert set(res.sample_index) == set(df.index[~rows])
    assert res.nobs == len(df) - rows.sum() and res.converged
    # x2 is zero on every kept row: collinear, dropped; x1's estimate is that of a fit on the kept rows
    assert res.coefnames == ["x1"] and res.collinear == ["x2"]
    kept = fepois("y ~ x1 | g + h", df.loc[~rows], vcov="hetero", separation_check=False)
    np.testing.assert_allclose(res.coef().to_numpy(), kept.coef().to_numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.se().to_numpy(), kept.se().to_numpy(), rtol=1e-10)
    assert "by separation" in res.summary()


def test_without_the_check_the_estimate_is_arbitrary(separated):
    """What the check prevents: with the fixed-effect check only, x2's coefficient runs off (no finite MLE)."""
    df, _ = separated
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fepois("y ~ x1 + x2 | g + h", df, separation_check=["fe"])
    assert res.n_separation == 0 and res.separation.n_ir == 0 and res.separation.ir_info is None
    assert res.coef()["x2"] < -10


def test_matches_pyfixest_ir(separated):
    pf = pytest.importorskip("pyfixest")
    from pyfixest.demeaners import MapDemeaner

    df, rows = separated
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf.fepois("y ~ x1 + x2 | g + h", df, vcov="hetero", separation_check=["fe", "ir"],
                        demeaner=MapDemeaner(fixef_tol=1e-13, fixef_maxiter=100_000))  # fmt: skip
        ours = fepois("y ~ x1 + x2 | g + h", df, vcov="hetero", separation_check=["fe", "ir"])
    assert ours.nobs == ref._N == len(df) - rows.sum()
    assert list(ours.coef().index) == list(ref.coef().index) == ["x1"]
    np.testing.assert_allclose(ours.coef().to_numpy(), ref.coef().to_numpy(), rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours.se().to_numpy(), ref.se().to_numpy(), rtol=1e-6)


def test_separation_by_a_regressor_and_a_fixed_effect_together():
    """z = x2 - 1{g = 0} is 0 where y > 0 and 1 on the zero outcomes of level 0: only the two together separate.

    Level 0 has positive outcomes, so the fixed-effect check finds nothing; x2 alone is positive where y > 0.
    """
    rng = np.random.default_rng(4)
    n = 400
    df = pd.DataFrame({"g": rng.integers(0, 10, n), "x1": rng.normal(size=n)})
    df["y"] = rng.poisson(np.exp(0.3 * df["x1"])).astype(float)
    df.loc[df.index[df["g"] == 0][:3], "y"] = 2.0  # level 0 keeps positive outcomes
    in0 = (df["g"] == 0).to_numpy()
    zero0 = in0 & (df["y"] == 0).to_numpy()
    assert zero0.sum() > 2
    df["x2"] = np.where(in0, 1.0, 0.0) + zero0
    with pytest.warns(
        UserWarning, match=rf"{zero0.sum()} observations removed because of separation \(fixed effects: 0"
    ):
        res = fepois("y ~ x1 + x2 | g", df)
    assert res.separation.n_ir == zero0.sum() and set(res.sample_index) == set(df.index[~zero0])
    kept = fepois("y ~ x1 | g", df.loc[~zero0], separation_check=False)
    np.testing.assert_allclose(res.coef()["x1"], kept.coef()["x1"], rtol=0, atol=1e-10)


def test_separation_without_fixed_effects():
    """ppmlhdfe runs the rectifier without fixed effects too (pyfixest does not): the intercept model."""
    rng = np.random.default_rng(2)
    n = 300
    df = pd.DataFrame({"x1": rng.normal(size=n)})
    df["y"] = rng.poisson(np.exp(0.5 * df["x1"])).astype(float)
    rows = (df["y"] == 0).to_numpy() & (rng.random(n) < 0.3)
    df["x2"] = np.where(rows, 1.0, 0.0)
    with pytest.warns(UserWarning, match=rf"{rows.sum()} observations removed because of separation"):
        res = fepois("y ~ x1 + x2", df)
    assert res.n_separation == rows.sum() and res.coefnames == ["Intercept", "x1"]
    kept = fepois("y ~ x1", df.loc[~rows])
    np.testing.assert_allclose(res.coef().to_numpy(), kept.coef().to_numpy(), rtol=0, atol=1e-10)


def test_no_separation_changes_nothing():
    rng = np.random.default_rng(5)
    n = 300
    df = pd.DataFrame({"g": rng.integers(0, 10, n), "x1": rng.normal(size=n)})
    df["y"] = rng.poisson(np.exp(0.3 * df["x1"])).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no separation warning
        res = fepois("y ~ x1 | g", df)
        old = fepois("y ~ x1 | g", df, separation_check=["fe"])
    assert res.n_separation == 0 and bool(res.separation.ir_info.converged)
    np.testing.assert_array_equal(res.beta, old.beta)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("relu", r"unknown method\(s\) \['relu'\]"),
        (["fe", "simplex"], "unknown method"),
        (3, "must be True, False or a list"),
    ],
)
def test_bad_separation_check_is_named(value, message):
    df = pd.DataFrame({"y": [0.0, 1.0, 2.0, 3.0], "x": [1.0, 2.0, 3.0, 5.0]})
    with pytest.raises(ValueError, match=message):
        fepois("y ~ x", df, separation_check=value)
    assert separation_methods("ir") == ("ir",) and separation_methods([]) == ()


def test_rectifier_reports_failure_and_drops_nothing():
    """A demeaning that cannot converge (one iteration allowed) makes the check fail: nothing is dropped."""
    rng = np.random.default_rng(6)
    n = 500
    g1, g2 = rng.integers(0, 40, n), rng.integers(0, 30, n)
    y = rng.poisson(0.5, n).astype(float)
    X = np.column_stack([rng.normal(size=n), np.where(y == 0, rng.random(n) < 0.2, 0.0)])
    ok = separation_relu_mask(y, X, [g1, g2])
    assert bool(ok.info.converged) and ok.mask.sum() >= ((X[:, 1] > 0).sum())
    failed = separation_relu_mask(y, X, [g1, g2], fixef_maxiter=1, fixef_tol=1e-14)
    assert not bool(failed.info.converged) and not failed.mask.any() and not failed.demeaned
    assert "weighted demeaning did not converge" in failed.why
    df = pd.DataFrame({"y": y, "x": X[:, 0], "x2": X[:, 1], "g1": g1, "g2": g2})
    with pytest.warns(UserWarning, match="iterative rectifier.*did not converge: its weighted demeaning"):
        res = fepois("y ~ x + x2 | g1 + g2", df, fixef_maxiter=1, throw=False)
    assert res.separation.n_ir == 0 and not bool(res.separation.ir_info.converged)
