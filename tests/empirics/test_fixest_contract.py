"""The solver contract in jaxtrade.empirics.fixest: ``throw``, ``info``, the vcov method and the option checks."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from jaxtrade.empirics.fixest import FixestResult, demean, etable, feols, fepois
from jaxtrade.empirics.fixest.demean import demean_arrays
from jaxtrade.empirics.literals import FixefRm, check_literal
from jaxtrade.errors import RESULTS, ConvergenceError, SolverInfo


@pytest.fixture(scope="module")
def panel():
    """Two crossed, poorly connected fixed effects: the demeaning needs many iterations."""
    rng = np.random.default_rng(8)
    n = 1500
    a = rng.integers(0, 120, n)
    b = (a + rng.integers(0, 3, n)) % 60
    df = pd.DataFrame({"a": a, "b": b, "c": rng.integers(0, 5, n), "x": rng.normal(size=n)})
    df["y"] = 0.5 * df.x + 0.01 * df.a - 0.02 * df.b + rng.normal(size=n)
    df["count"] = rng.poisson(np.exp(0.3 * df.x + 0.01 * df.b)).astype(float)
    return df


def test_feols_throw_raises_and_throw_false_reports(panel):
    kw = dict(fixef_tol=1e-14, fixef_maxiter=1, fixef_method="alternating")
    with pytest.raises(ConvergenceError, match="feols demeaning did not converge") as err:
        feols("y ~ x | a + b + c", panel, **kw)
    assert "raise fixef_maxiter or loosen fixef_tol" in str(err.value)
    res = feols("y ~ x | a + b + c", panel, throw=False, **kw)
    assert isinstance(res.info, SolverInfo) and not res.converged
    assert res.info.result == RESULTS.max_iterations and res.info.reason == RESULTS[RESULTS.max_iterations]
    assert res.demean_info is res.info and int(res.info.iterations) == 1
    assert np.all(np.isfinite(res.coef()))


def test_feols_converged_result_carries_info(panel):
    res = feols("y ~ x | a + b", panel)
    assert res.converged and bool(res.info.converged) and res.info.reason == ""
    assert int(res.info.iterations) > 1
    no_fe = feols("y ~ x", panel)
    assert no_fe.converged and no_fe.demean_info is None and int(no_fe.info.iterations) == 0


def test_fepois_irls_throw_false_reports(panel):
    with pytest.raises(ConvergenceError, match="fepois IRLS did not converge"):
        fepois("count ~ x | a", panel, iwls_maxiter=1)
    res = fepois("count ~ x | a", panel, iwls_maxiter=1, throw=False)
    assert not res.converged and res.iterations == 1
    assert res.info.result == RESULTS.max_iterations
    ok = fepois("count ~ x | a", panel)
    assert ok.converged and ok.info.reason == "" and ok.iterations == int(ok.info.iterations)


def test_fepois_demeaning_failure_is_folded_into_info(panel):
    kw = dict(fixef_tol=1e-14, fixef_maxiter=1, warm_start=False, adaptive_tol=False)
    with pytest.raises(ConvergenceError, match="fepois demeaning did not converge"):
        fepois("count ~ x | a + b + c", panel, **kw)
    res = fepois("count ~ x | a + b + c", panel, throw=False, **kw)
    assert not res.converged
    assert res.info.result in (RESULTS.inner_failed, RESULTS.max_iterations)
    assert not bool(res.demean_info.converged)


def test_vcov_is_a_method_that_refits_only_the_vcov(panel):
    iid = feols("y ~ x | a + b", panel)
    hetero = feols("y ~ x | a + b", panel, vcov="hetero")
    refit = iid.vcov("hetero")
    assert isinstance(refit, FixestResult) and refit.vcov_label == "hetero"
    np.testing.assert_array_equal(refit.coef().to_numpy(), iid.coef().to_numpy())
    np.testing.assert_allclose(refit.se().to_numpy(), hetero.se().to_numpy(), rtol=1e-13)
    clustered = feols("y ~ x | a + b", panel, vcov={"CRV1": "a+c"})
    again = refit.vcov({"CRV1": "a+c"})  # a refit result refits again
    np.testing.assert_allclose(again.se().to_numpy(), clustered.se().to_numpy(), rtol=1e-13)
    assert (again.df_k, again.df_t, again.n_clusters) == (clustered.df_k, clustered.df_t, clustered.n_clusters)
    assert iid.vcov_label == "iid"  # the original is unchanged (results are frozen)
    with pytest.raises(dataclasses.FrozenInstanceError):
        iid.vcov_label = "hetero"
    with pytest.raises(ValueError, match="cannot recompute its vcov"):
        dataclasses.replace(iid, vcov_inputs=None).vcov("hetero")


def test_fepois_vcov_refit_equals_direct_fit(panel):
    ref = fepois("count ~ x | a", panel, vcov={"CRV1": "b"})
    refit = fepois("count ~ x | a", panel).vcov({"CRV1": "b"})
    np.testing.assert_allclose(refit.se().to_numpy(), ref.se().to_numpy(), rtol=1e-13)


def test_demean_throw_eager_and_under_jit():
    rng = np.random.default_rng(4)
    g1, g2 = rng.integers(0, 200, 1000), rng.integers(0, 200, 1000)
    x = rng.normal(size=1000)
    with pytest.raises(ConvergenceError, match="demeaning by fixed effects did not converge"):
        demean(x, [g1, g2], maxiter=1, tol=1e-14)
    codes = (jnp.asarray(g1, jnp.int32), jnp.asarray(g2, jnp.int32))
    jitted = jax.jit(lambda v: demean_arrays(v, codes, None, (200, 200), 1e-14, 1).value)
    with pytest.raises(RuntimeError, match="demeaning .alternating projections. did not converge"):
        jax.block_until_ready(jitted(jnp.asarray(x)[:, None]))


def test_demean_throw_false_flags_each_lane_under_vmap():
    rng = np.random.default_rng(5)
    g1, g2 = rng.integers(0, 100, 800), rng.integers(0, 80, 800)
    x = jnp.asarray(rng.normal(size=(800, 1)))
    codes = (jnp.asarray(g1, jnp.int32), jnp.asarray(g2, jnp.int32))

    def solve(tol):
        return demean_arrays(x, codes, None, (100, 80), tol, 3, throw=False).info

    info = jax.vmap(solve)(jnp.asarray([1e-14, 1.0, 1e-15]))
    assert np.asarray(info.converged).tolist() == [False, True, False]
    assert info.reason == [RESULTS[RESULTS.max_iterations], "", RESULTS[RESULTS.max_iterations]]


def test_string_options_are_checked_in_one_place(panel):
    assert check_literal("fixef_rm", "none", FixefRm) == "none"
    with pytest.raises(ValueError, match=r"fixef_rm must be 'none' or 'singleton', got 'perfect'"):
        feols("y ~ x | a", panel, fixef_rm="perfect")
    with pytest.raises(ValueError, match=r"ssc k_fixef must be 'none', 'nonnested' or 'full', got 'some'"):
        feols("y ~ x | a", panel, ssc={"k_fixef": "some"})
    with pytest.raises(ValueError, match=r"ssc G_df must be 'min' or 'conventional', got 'max'"):
        feols("y ~ x | a", panel, ssc={"G_df": "max"})
    with pytest.raises(ValueError, match=r"method must be 'auto', 'two_way' or 'alternating', got 'cg'"):
        feols("y ~ x | a + b", panel, fixef_method="cg")
    with pytest.raises(ValueError, match=r"etable type must be 'df' or 'md', got 'tex'"):
        etable(feols("y ~ x | a", panel), type="tex")
