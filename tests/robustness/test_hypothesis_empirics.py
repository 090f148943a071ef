"""Issue 15: hypothesis-drawn inputs for feols/fepois and the proximity measures.

* feols/fepois with NaN placed at random in the outcome, a regressor, a fixed
  effect, the weights or the cluster variable, and random zero weights: the
  result equals the fit on the cleaned data (rows with a missing value or a
  zero weight removed by hand), with the counts reported;
* duplicated rows are observations: the coefficients equal a fit with the
  multiplicities as weights;
* RCA (eq. 1), presence, phi (eq. 2, leave-one-out, Figure 1's support rule)
  and EBP / EBP^w (eq. 3) on tiny random panels equal a plain-pandas
  re-implementation, and the last year's outcome is missing.

Small numbers of examples (the fits compile once per sample size; the NaN draws keep the
sample size fixed): about 25 s for the regressions and 35 s for the proximity draws on the
shared 2-core CPU under load.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from jaxtrade.empirics.fixest import feols, fepois  # noqa: E402
from jaxtrade.empirics.proximity import ProximityOptions, build_proximity_table  # noqa: E402

# no shrinking: every example compiles a fit, and a failure is reported with its (small) draw as is
SETTINGS = dict(
    deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)  # fmt: skip
N = 60
COLUMNS = ["y", "x1", "x2", "fe", "w", "cl"]


def base_panel(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "fe": rng.integers(0, 6, N).astype(float),
            "cl": rng.integers(0, 8, N).astype(float),
            "x1": rng.normal(size=N),
            "x2": rng.normal(size=N),
            "w": rng.uniform(0.5, 2.0, N),
        }
    )
    df["y"] = 0.7 * df["x1"] - 0.3 * df["x2"] + 0.2 * df["fe"] + rng.normal(size=N)
    df["count"] = rng.poisson(np.exp(0.4 * df["x1"] - 0.2 * df["x2"] + 0.5)).astype(float)
    return df


BASE = base_panel(0)


@st.composite
def holes(draw):
    """A copy of BASE with NaN in 4 random rows (random used columns) and zero weights in 2 other rows.

    The counts are fixed so that every draw has the same sample size (one compilation of the fit).
    """
    df = BASE.copy()
    rows = draw(st.lists(st.integers(0, N - 1), min_size=6, max_size=6, unique=True))
    for row in rows[:4]:
        for col in draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=2, unique=True)):
            df.loc[row, col] = np.nan
    df.loc[rows[4:], "w"] = 0.0
    return df


def cleaned(df: pd.DataFrame, cols) -> pd.DataFrame:
    keep = df[list(cols)].notna().all(axis=1) & (df["w"] != 0)
    return df.loc[keep]


def fit_quietly(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@settings(max_examples=15, **SETTINGS)
@given(df=holes(), vcov=st.sampled_from(["iid", "hetero", {"CRV1": "cl"}]))
def test_feols_nan_and_zero_weights_equal_the_cleaned_fit(df, vcov):
    before = df.copy()
    res = fit_quietly(feols, "y ~ x1 + x2 | fe", df, vcov=vcov, weights="w", fixef_rm="none")
    pd.testing.assert_frame_equal(df, before)  # never mutated
    used = COLUMNS if isinstance(vcov, dict) else [c for c in COLUMNS if c != "cl"]  # cl only when clustering
    ref_data = cleaned(df, used)
    ref = fit_quietly(feols, "y ~ x1 + x2 | fe", ref_data, vcov=vcov, weights="w", fixef_rm="none")
    complete = df[used].notna().all(axis=1)
    assert res.nobs == ref.nobs == len(ref_data)
    assert res.n_dropped == int((~complete).sum()) and res.n_zero_weights == int((complete & (df["w"] == 0)).sum())
    np.testing.assert_allclose(res.coef().to_numpy(), ref.coef().to_numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(res.se().to_numpy(), ref.se().to_numpy(), rtol=1e-8)
    assert set(res.sample_index) == set(ref_data.index)


@settings(max_examples=4, **SETTINGS)
@given(df=holes())
def test_fepois_nan_and_zero_weights_equal_the_cleaned_fit(df):
    cols = ["count", "x1", "x2", "fe", "w"]
    df = df.assign(count=np.where(df["y"].isna(), np.nan, BASE["count"]))
    res = fit_quietly(fepois, "count ~ x1 + x2 | fe", df, vcov="hetero", weights="w", fixef_rm="none")
    ref_data = cleaned(df, cols)
    ref = fit_quietly(fepois, "count ~ x1 + x2 | fe", ref_data, vcov="hetero", weights="w", fixef_rm="none")
    assert res.nobs == ref.nobs
    np.testing.assert_allclose(res.coef().to_numpy(), ref.coef().to_numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(res.se().to_numpy(), ref.se().to_numpy(), rtol=1e-7)


@settings(max_examples=6, **SETTINGS)
@given(reps=st.lists(st.integers(1, 3), min_size=N, max_size=N))
def test_duplicated_rows_equal_frequency_weights(reps):
    """Each row repeated ``m_i`` times: the coefficients equal the fit with weights ``m_i`` (OLS normal equations)."""
    reps = np.asarray(reps)
    dup = BASE.loc[BASE.index.repeat(reps)].reset_index(drop=True)
    res = fit_quietly(feols, "y ~ x1 + x2 | fe", dup, fixef_rm="none")
    ref = fit_quietly(feols, "y ~ x1 + x2 | fe", BASE.assign(m=reps.astype(float)), weights="m", fixef_rm="none")
    assert res.nobs == int(reps.sum())
    np.testing.assert_allclose(res.coef().to_numpy(), ref.coef().to_numpy(), rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------- proximity: eqs. (1)-(3) by pandas
PRODUCTS = ["010101", "010102", "020101", "020305", "030101"]


@st.composite
def tiny_panels(draw):
    """Up to 9 firms, 5 HS6 products, 2 destinations, 2 years; random positive values."""
    n_rows = draw(st.integers(12, 45))
    keys = draw(
        st.lists(
            st.tuples(st.integers(1, 9), st.sampled_from(PRODUCTS), st.sampled_from(["A", "B"]), st.sampled_from([2000, 2001])),
            min_size=n_rows, max_size=n_rows, unique=True,
        )
    )  # fmt: skip
    values = draw(st.lists(st.floats(0.01, 100.0), min_size=len(keys), max_size=len(keys)))
    return pd.DataFrame([(*k, v) for k, v in zip(keys, values, strict=True)],
                        columns=["firm", "product", "destination", "year", "value"])  # fmt: skip


def pandas_measures(panel: pd.DataFrame, min_support: int) -> pd.DataFrame:
    """EBP, EBP^w and the outcome of every candidate, from eqs. (1)-(3) written with pandas groupbys."""
    df = panel.copy()
    cell = ["destination", "year"]
    df["total"] = df.groupby(["firm", *cell])["value"].transform("sum")
    df["share"] = df["value"] / df["total"]
    n_active = df.groupby(cell)["firm"].transform("nunique")
    mean_share = df.groupby([*cell, "product"])["share"].transform("sum") / n_active
    df["rca"] = df["share"] / mean_share  # eq. (1)
    df["m"] = df["rca"] > 1.0
    exported = set(zip(df["firm"], df["product"], df["destination"], df["year"], strict=True))
    years = set(df["year"])
    rows = []
    for (d, t), g in df.groupby(cell):
        world = df[df["year"] == t].groupby("firm")["product"].apply(set)
        for f, basket in g.groupby("firm"):
            others = g[g["firm"] != f]  # leave-one-out (section 2.2); presence from the full cell
            present = others[others["m"]].groupby("product")["firm"].apply(set)
            exporters = others.groupby("product")["firm"].nunique()

            def phi(i, p, present=present, exporters=exporters):
                if exporters.get(i, 0) < min_support or exporters.get(p, 0) < min_support:
                    return 0.0  # Figure 1's support rule
                u_i, u_p = present.get(i, set()), present.get(p, set())
                denom = max(len(u_i), len(u_p))
                return len(u_i & u_p) / denom if denom else 0.0  # eq. (2)

            for p in sorted(world[f] - set(basket["product"])):
                phis = np.array([phi(i, p) for i in basket["product"]])
                rows.append(
                    {
                        "firm": f, "product": p, "destination": d, "year": t,
                        "ebp": phis.mean(), "ebp_w": float(basket["share"].to_numpy() @ phis),  # eq. (3), EBP^w
                        "introduction": float((f, p, d, t + 1) in exported) if t + 1 in years else np.nan,
                    }
                )  # fmt: skip
    out = pd.DataFrame(rows, columns=["firm", "product", "destination", "year", "ebp", "ebp_w", "introduction"])
    return out.astype({"ebp": float, "ebp_w": float, "introduction": float})


def combined(panels: list[pd.DataFrame]) -> pd.DataFrame:
    """The tiny panels side by side: panel k gets its own firms (+100 k) and destinations (suffix k).

    Cells and firms do not overlap, so each tiny panel's measures are its own; one build covers
    them all (the build compiles per problem shape, a few seconds each on a 2-core CPU).
    """
    parts = [p.assign(firm=p["firm"] + 100 * k, destination=p["destination"] + str(k)) for k, p in enumerate(panels)]
    return pd.concat(parts, ignore_index=True)


@pytest.mark.slow  # about 10 s per draw of 8 panels on a loaded 2-core CPU (the phi stage compiles per shape)
@settings(max_examples=3, **SETTINGS)
@given(panels=st.lists(tiny_panels(), min_size=8, max_size=8), min_support=st.integers(1, 3))
def test_proximity_matches_pandas_eqs_1_to_3(panels, min_support):
    panel = combined(panels)
    before = panel.copy()
    keys = ["firm", "product", "destination", "year"]
    expected = pandas_measures(panel, min_support).set_index(keys).sort_index()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a draw without any candidate warns
        res = build_proximity_table(panel, options=ProximityOptions(min_support=min_support), progress=False)
    pd.testing.assert_frame_equal(panel, before)
    got = res.table.set_index(keys).sort_index()
    assert len(got) == len(expected) == res.counts["candidates"]
    if len(expected):
        assert got.index.equals(expected.index)
    for col in ["ebp", "ebp_w"]:
        np.testing.assert_allclose(got[col].to_numpy(), expected[col].to_numpy(), rtol=0, atol=1e-12, err_msg=col)
    np.testing.assert_array_equal(got["introduction"].to_numpy(), expected["introduction"].to_numpy())
    rca = res.panel_rows.set_index(keys)["rca"].sort_index()
    g = panel.assign(share=panel["value"] / panel.groupby(["firm", "destination", "year"])["value"].transform("sum"))
    mean = g.groupby(["destination", "year", "product"])["share"].transform("sum") / g.groupby(["destination", "year"])[
        "firm"
    ].transform("nunique")
    rca_pandas = (g["share"] / mean).set_axis(pd.MultiIndex.from_frame(panel[keys])).sort_index()
    np.testing.assert_allclose(rca.to_numpy(), rca_pandas.to_numpy(), rtol=1e-12)  # eq. (1)
