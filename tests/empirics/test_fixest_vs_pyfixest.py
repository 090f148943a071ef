"""jaxtrade.empirics.fixest against pyfixest: coefficients to 1e-8, SEs to 1e-6 relative, same nobs/dof.

pyfixest is run with a tight demeaning tolerance (1e-13) so that the
comparison measures our error, not pyfixest's default 1e-6 tolerance.

pyfixest 0.60 matches fixed-effect names to its fixed-effect columns by
position, but stores the columns in set order (random across processes);
when the two orders differ, its count of fixed effects nested in the
cluster variable (hence dof and clustered SEs) is wrong. :func:`pf_fit`
then applies pyfixest's own rule with aligned names as the reference.
"""

from __future__ import annotations

import pathlib
import warnings

import numpy as np
import pandas as pd
import pytest

pf = pytest.importorskip("pyfixest")
from pyfixest.core import count_fixef_fully_nested_all  # noqa: E402
from pyfixest.demeaners import MapDemeaner  # noqa: E402
from pyfixest.utils.utils import get_ssc  # noqa: E402

from jaxtrade.empirics.fixest import feols, fepois  # noqa: E402

PF_DEMEANER = MapDemeaner(fixef_tol=1e-13, fixef_maxiter=100_000)
COEF_ATOL = 1e-8
SE_RTOL = 1e-6
DATA = pathlib.Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "eu-trade-fixest.csv"

AGREEMENT: dict[str, float] = {"coef": 0.0, "se": 0.0}


def make_panel(seed: int = 0, n: int = 2500, poisson: bool = False) -> pd.DataFrame:
    """Random unbalanced panel: uneven level sizes (some singletons), NaNs, weights."""
    rng = np.random.default_rng(seed)
    firm_sizes = rng.geometric(0.25, size=n)  # many small firms -> singletons
    firm = np.repeat(np.arange(len(firm_sizes)), firm_sizes)[:n]
    df = pd.DataFrame(
        {
            "firm": firm,
            "year": rng.integers(0, 12, n),
            "region": rng.integers(0, 6, n),
            "product": rng.choice(40, size=n, p=np.arange(1, 41) / np.arange(1, 41).sum()),
            "w": rng.uniform(0.3, 3.0, n),
        }
    )
    df["x1"] = rng.normal(size=n) + 0.05 * df["year"] + 0.3 * (df["firm"] % 7)
    df["x2"] = rng.normal(size=n)
    df["x3"] = rng.uniform(1, 5, n)
    eta = 0.4 * df.x1 - 0.3 * df.x2 + 0.02 * (df.firm % 13) + 0.05 * df.year
    if poisson:
        df["y"] = rng.poisson(np.exp(eta)).astype(float)
    else:
        df["y"] = eta + rng.normal(size=n)
    df.loc[rng.choice(n, 25, replace=False), "x2"] = np.nan
    df.loc[rng.choice(n, 5, replace=False), "y"] = np.inf
    return df


def _pf_fe_names(model) -> list[str]:
    return [name[len("__fixed_effect__(") : -1] for name in model._k_fe.index]


def pf_dof_with_aligned_names(ref) -> int:
    """pyfixest's own clustered dof rule (``get_ssc``), with fixed-effect names aligned to columns."""
    names = np.array(_pf_fe_names(ref), dtype=str)
    fe = ref._fe.to_numpy() if isinstance(ref._fe, pd.DataFrame) else np.asarray(ref._fe)
    cl = ref._cluster_df
    codes = np.column_stack([pd.factorize(cl[c])[0] for c in cl.columns])
    flag, n_nested = count_fixef_fully_nested_all(
        all_fixef_array=names,
        cluster_colnames=np.array(cl.columns, dtype=str),
        cluster_data=codes.astype(np.uintp),
        fe_data=fe.astype(np.uintp),
    )
    k_fe = ref._k_fe.to_numpy()
    k_fe_nested = int(k_fe[flag].sum()) if n_nested > 0 else 0
    _, df_k, _ = get_ssc(
        ssc_dict=ref._ssc_dict,
        N=ref._N,
        k=ref._k,
        k_fe=int(k_fe.sum()),
        k_fe_nested=k_fe_nested,
        n_fe=ref._n_fe,
        n_fe_fully_nested=n_nested,
        G=ref._G[0],
        vcov_sign=1,
        vcov_type="CRV",
    )
    return int(df_k)


def pf_fit(estimator, pf_estimator, formula: str, data, **kw):
    """Fit ours and pyfixest; return (ours, ref, reference SEs, reference df_k).

    For clustered errors with fixed effects the reference dof is pyfixest's
    rule applied with aligned names, and pyfixest's SEs are rescaled to it
    when its own (misaligned) count differed: the factor (N-1)/(N-K) is the
    only term of the clustered vcov that depends on K.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf_estimator(formula, data, demeaner=PF_DEMEANER, **kw)
        ours = estimator(formula, data, **kw)
    se_ref = ref.se().to_numpy()
    df_k = ref._df_k
    if ref._has_fixef and getattr(ref, "_vcov_type", None) == "CRV":
        df_k = pf_dof_with_aligned_names(ref)
        se_ref = se_ref * np.sqrt((ref._N - ref._df_k) / (ref._N - df_k))
    return ours, ref, se_ref, df_k


def assert_agree(fit):
    ours, ref, se_ref, df_k = fit
    coef_ref = ref.coef()
    assert list(ours.coef().index) == list(coef_ref.index)
    coef_diff = np.max(np.abs(ours.coef().to_numpy() - coef_ref.to_numpy()))
    se_diff = np.max(np.abs(ours.se().to_numpy() / se_ref - 1))
    AGREEMENT["coef"] = max(AGREEMENT["coef"], coef_diff)
    AGREEMENT["se"] = max(AGREEMENT["se"], se_diff)
    assert coef_diff < COEF_ATOL, coef_diff
    assert se_diff < SE_RTOL, se_diff
    assert ours.nobs == ref._N
    assert ours.df_k == df_k
    if ours.method == "feols":
        assert ours.df_t == ref._df_t
    if df_k == ref._df_k:
        np.testing.assert_allclose(ours.pvalue().to_numpy(), ref.pvalue().to_numpy(), rtol=1e-5, atol=1e-12)
        np.testing.assert_allclose(ours.confint().to_numpy(), ref.confint().to_numpy(), rtol=1e-6, atol=1e-9)


def fml(lhs_rhs: str, fes: list[str]) -> str:
    return lhs_rhs + (" | " + " + ".join(fes) if fes else "")


FE_SPECS = [[], ["firm"], ["firm", "year"], ["firm", "year", "product"], ["firm^region", "year"]]
VCOVS = ["iid", "hetero", {"CRV1": "firm"}, {"CRV1": "product"}, {"CRV1": "firm+year"}]


@pytest.fixture(scope="module")
def panel():
    return make_panel(0)


@pytest.fixture(scope="module")
def poisson_panel():
    return make_panel(1, poisson=True)


@pytest.mark.parametrize("fes", FE_SPECS, ids=lambda f: "+".join(f) or "nofe")
@pytest.mark.parametrize("vcov", VCOVS, ids=str)
@pytest.mark.parametrize("weights", [None, "w"])
def test_feols_matches_pyfixest(panel, fes, vcov, weights):
    fit = pf_fit(feols, pf.feols, fml("y ~ x1 + x2 + log(x3)", fes), panel, vcov=vcov, weights=weights)
    assert_agree(fit)
    ours, ref = fit[:2]
    if fes:
        assert ours.r2_within == pytest.approx(ref._r2_within, rel=1e-8)
    assert ours.r2 == pytest.approx(ref._r2, rel=1e-8)


@pytest.mark.parametrize("fes", [["firm"], ["firm", "year"], ["firm^region", "year", "product"]], ids=str)
@pytest.mark.parametrize("vcov", ["iid", {"CRV1": "year"}, {"CRV1": "firm+product"}], ids=str)
def test_feols_singletons_kept_matches_pyfixest(panel, fes, vcov):
    fit = pf_fit(feols, pf.feols, fml("y ~ x1 + x2", fes), panel, vcov=vcov, fixef_rm="none")
    assert_agree(fit)
    assert fit[0].n_singletons == 0


def test_singleton_count_and_nan_drop_match_pyfixest(panel):
    ours, ref, _, _ = pf_fit(feols, pf.feols, "y ~ x1 + x2 | firm + year", panel)
    assert ours.n_singletons > 0
    n_nonfinite = int((~np.isfinite(panel[["y", "x1", "x2"]]).all(axis=1)).sum())
    assert ours.n_dropped == n_nonfinite
    assert ours.nobs == len(panel) - n_nonfinite - ours.n_singletons == ref._N


def test_feols_interaction_matches_pyfixest(panel):
    assert_agree(pf_fit(feols, pf.feols, "y ~ x1 + x1:x2 | firm + year", panel, vcov={"CRV1": "firm"}))


@pytest.mark.parametrize("fes", [[], ["firm"], ["firm", "year"], ["firm", "year", "product"]], ids=str)
@pytest.mark.parametrize("vcov", ["iid", "hetero", {"CRV1": "product"}, {"CRV1": "firm+year"}], ids=str)
@pytest.mark.parametrize("weights", [None, "w"])
def test_fepois_matches_pyfixest(poisson_panel, fes, vcov, weights):
    fit = pf_fit(fepois, pf.fepois, fml("y ~ x1 + x2", fes), poisson_panel, vcov=vcov, weights=weights)
    assert_agree(fit)
    ours, ref = fit[:2]
    assert ours.deviance == pytest.approx(ref.deviance, rel=1e-8)


def test_fepois_separation_matches_pyfixest(poisson_panel):
    df = poisson_panel.copy()
    df.loc[df["product"] < 4, "y"] = 0.0  # whole product levels with zero flows
    fit = pf_fit(fepois, pf.fepois, "y ~ x1 + x2 | firm + product", df, vcov={"CRV1": "year"})
    assert fit[0].n_separation > 0
    assert_agree(fit)


@pytest.fixture(scope="module")
def eu_trade():
    if not DATA.exists():
        pytest.skip(f"real data {DATA} not available")
    return pd.read_csv(DATA)


EU_FES = ["Origin", "Destination", "Product", "Year"]


@pytest.mark.parametrize("vcov", [{"CRV1": "Origin"}, {"CRV1": "Origin+Destination"}], ids=str)
def test_eu_trade_gravity_ols(eu_trade, vcov):
    assert_agree(pf_fit(feols, pf.feols, fml("log(Euros) ~ log(dist_km)", EU_FES), eu_trade, vcov=vcov))


@pytest.mark.parametrize("vcov", [{"CRV1": "Origin"}, {"CRV1": "Origin+Destination"}], ids=str)
def test_eu_trade_gravity_ppml(eu_trade, vcov):
    assert_agree(pf_fit(fepois, pf.fepois, fml("Euros ~ log(dist_km)", EU_FES), eu_trade, vcov=vcov))


def test_report_agreement():
    """Print the largest deviations seen in this module (run with -s to see)."""
    print(f"\nmax |coef - pyfixest| = {AGREEMENT['coef']:.2e}; max rel se diff = {AGREEMENT['se']:.2e}")
    assert AGREEMENT["coef"] < COEF_ATOL and AGREEMENT["se"] < SE_RTOL
