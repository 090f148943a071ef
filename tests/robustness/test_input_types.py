"""Issue 15: mixed-type identifiers, booleans, subnormal values, absurd years, ±inf fixed effects.

Rules (docs/empirics/proximity.md "Panel schema", docs/empirics/fixest.md "Errors and reporting"):
an identifier, fixed-effect or cluster column holds one type (5 and "5" are an error, never two
firms or levels); booleans are not export values or years; years lie in [0, 3000]; a subnormal
value is a positive export; ±inf in a float fixed-effect or cluster column drops the row like NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jaxtrade.empirics.categories import check_single_kind
from jaxtrade.empirics.fixest import feols, fepois
from jaxtrade.empirics.gravity import margin_decomposition
from jaxtrade.empirics.proximity import build_proximity_table, validate_panel

A, B, C = "010101", "010102", "020101"


def panel(**overrides) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "firm": [1, 2, 3, 4],
            "product": [A, B, A, C],
            "destination": ["US", "US", "JP", "JP"],
            "year": [2000, 2000, 2001, 2001],
            "value": [1.0, 2.0, 3.0, 4.0],
        }
    )
    for col, values in overrides.items():
        df[col] = pd.Series(values, dtype=object) if isinstance(values, list) else values
    return df


# --------------------------------------------------------------------------- proximity panel schema
@pytest.mark.parametrize(
    ("col", "values", "message"),
    [
        ("firm", [5, "5", 6, 7], r"column 'firm' mixes numbers .* and strings .*cannot become two firms.*'5'.* both"),
        ("firm", [5, "a", "b", "c"], r"column 'firm' mixes numbers .* and strings .* at rows \[0\]"),
        ("destination", ["US", 1, "JP", "JP"], r"column 'destination' mixes numbers .* strings .* rows \[1\]"),
        ("firm", np.array([True, False, True, False]), "column 'firm' must hold numbers or strings, got booleans"),
        ("firm", [1, True, 2, 3], r"column 'firm' must hold numbers or strings, not booleans; 1 boolean\(s\) at rows \[1\]"),
        ("value", np.array([True, True, False, True]), r"column 'value' must hold export values \(numbers\), got 4 boolean"),
        ("value", [1.0, True, 2.0, 3.0], r"column 'value' must hold export values .* 1 boolean value\(s\) at rows \[1\]"),
        ("year", [-1, 2000, 2001, 2001], r"column 'year' must hold years between 0 and 3000; 1 value\(s\) outside, e.g. \[-1\]"),
        ("year", [2000, 2000, 3001, 2001], r"column 'year' must hold years between 0 and 3000.* at rows \[2\]"),
        ("year", [2000.5, 2000, 2001, 2001], r"column 'year' must hold integers; 1 bad value\(s\) at rows \[0\]"),
        ("year", [True, 2000, 2001, 2001], r"column 'year' must hold integer years, got 1 boolean"),
        ("product", [A, 10102, A, C], r"column 'product' must hold HS codes as zero-padded strings.* \[10102\] at rows \[1\]"),
        ("value", [1e308, 1e308, 1.0, 1.0], "column 'value' sums to more than the largest float64"),
    ],
)  # fmt: skip
def test_panel_rule_names_the_column(col, values, message):
    raw = panel(**{col: values})
    before = raw.copy()
    with pytest.raises(ValueError, match=message):
        validate_panel(raw)
    pd.testing.assert_frame_equal(raw, before)  # the input is never modified


def test_one_type_per_id_column_is_accepted():
    for firm in ([5, 6, 7, 8], ["5", "6", "7", "8"], [5.0, 6, 7, 8]):
        out, report = validate_panel(panel(firm=firm))
        assert report.n_firms == 4
    # numeric strings in the value and year columns are parsed (pandas.to_numeric), one year per value
    out, report = validate_panel(panel(year=["2000", 2000, "2001", 2001.0]))
    assert report.years == (2000, 2001) and out["year"].dtype == np.int64


def subnormal_panel(tiny: float) -> pd.DataFrame:
    """Six firms export A and B to the US in 2000-2001; firm 7 exports A (``tiny``) and C (1) to the US
    and B to Japan in 2000; firm 8 exports only A to the US in 2000, at ``tiny``."""
    rows = [(f, p, "US", y, 1.0) for y in (2000, 2001) for f in range(1, 7) for p in (A, B)]
    rows += [(7, A, "US", 2000, tiny), (7, C, "US", 2000, 1.0), (7, B, "JP", 2000, 1.0), (8, A, "US", 2000, tiny)]
    return pd.DataFrame(rows, columns=["firm", "product", "destination", "year", "value"])


def test_subnormal_values_are_positive_exports():
    """A subnormal value (1e-310) is kept: the firm is an active exporter (eq. 1's N_dt, Figure 1's support).

    XLA flushes subnormal numbers to zero; the pipeline rescales such a firm's cell exactly, so
    firm 8 (all its exports subnormal) has share 1 and RCA as if its value were 1, and nothing is NaN.
    """
    raw = subnormal_panel(1e-310)
    out, report = validate_panel(raw)
    assert report.n_rows_out == len(raw) and out["value"].min() == 1e-310
    res = build_proximity_table(raw, progress=False)
    cells = res.cells.set_index(["destination", "year"])
    assert cells.loc[("US", 2000), "n_active"] == 8  # firms 7 and 8 count: tiny but positive exports
    keys = ["firm", "product", "destination", "year"]
    rows = res.panel_rows.set_index(keys)
    assert np.isfinite(rows["rca"]).all() and np.isfinite(res.table[["ebp", "ebp_w", "hsp"]].to_numpy()).all()
    # firm 8's share of A is 1: its RCA equals that of the same panel with value 1 for firm 8
    normal = build_proximity_table(raw.assign(value=np.where(raw["firm"] == 8, 1.0, raw["value"])), progress=False)
    assert rows.loc[(8, A, "US", 2000), "share"] == 1.0
    assert rows.loc[(8, A, "US", 2000), "rca"] == pytest.approx(
        normal.panel_rows.set_index(keys).loc[(8, A, "US", 2000), "rca"], rel=1e-12
    )
    assert rows.loc[(7, A, "US", 2000), "rca"] < 1e-300  # firm 7's A is a tiny share of its US exports: no presence
    # the same table as with a tiny normal value (1e-300) in place of the subnormal one
    ref = build_proximity_table(subnormal_panel(1e-300), progress=False).table.set_index(keys).sort_index()
    got = res.table.set_index(keys).sort_index()
    cols = ["ebp", "ebp_w", "hsp", "basket_size", "introduction"]
    pd.testing.assert_frame_equal(got[cols], ref[cols], rtol=0, atol=1e-250)
    assert got.loc[(7, B, "US", 2000), "basket_size"] == 2


# --------------------------------------------------------------------------- fixest: categories and ±inf
@pytest.fixture(scope="module")
def reg():
    rng = np.random.default_rng(3)
    n = 120
    df = pd.DataFrame(
        {"x": rng.normal(size=n), "g": np.repeat(np.arange(12), 10).astype(float), "h": rng.integers(0, 5, n)}
    )
    df["y"] = 0.5 * df["x"] + 0.1 * df["g"] + rng.normal(size=n)
    df["count"] = rng.poisson(np.exp(0.3 * df["x"])).astype(float)
    return df


@pytest.mark.parametrize("fit", [feols, fepois])
def test_mixed_type_fixed_effect_is_an_error(reg, fit):
    df = reg.assign(g=reg["g"].astype(int).astype(object))
    df.loc[5, "g"] = "0"  # the level 0 as a string: would be a thirteenth level
    with pytest.raises(ValueError, match=r"fixed-effect column 'g' mixes numbers .* strings .*'0'.* both.* rows \[5\]"):
        fit("count ~ x | g", df)
    df2 = reg.assign(h=reg["h"].astype(object))
    df2.loc[0, "h"] = True  # True == 1 in Python: would silently merge with level 1
    with pytest.raises(ValueError, match="fixed-effect column 'h' mixes booleans"):
        fit("count ~ x | g + h", df2)
    with pytest.raises(ValueError, match="cluster column 'g' mixes numbers"):
        fit("count ~ x | h", df, vcov={"CRV1": "g"})
    # one type per column is fine: strings, numbers, booleans
    res_str = fit("count ~ x | g", reg.assign(g=reg["g"].astype(int).astype(str)))
    res_num = fit("count ~ x | g", reg)
    np.testing.assert_allclose(res_str.coef().to_numpy(), res_num.coef().to_numpy(), rtol=1e-12)
    check_single_kind(pd.Series([True, False, None], dtype=object), "b")
    mixed_categories = pd.Series(pd.Categorical([5, "5", 6], categories=[5, "5", 6]))
    with pytest.raises(ValueError, match="column 'c' mixes numbers"):
        check_single_kind(mixed_categories, "c")


@pytest.mark.parametrize("fit", [feols, fepois])
def test_inf_in_fixed_effect_drops_the_row_like_nan(reg, fit):
    df = reg.copy()
    df.loc[[3, 17], "g"] = [np.inf, -np.inf]
    df.loc[40, "g"] = np.nan
    res = fit("count ~ x | g", df)
    ref = fit("count ~ x | g", reg.drop(index=[3, 17, 40]))
    assert res.nobs == ref.nobs == len(reg) - 3 and res.n_dropped == 3
    assert 3 not in set(res.sample_index) and 17 not in set(res.sample_index)
    np.testing.assert_allclose(res.coef().to_numpy(), ref.coef().to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(res.se().to_numpy(), ref.se().to_numpy(), rtol=1e-8)
    assert res.fixef_sizes == ref.fixef_sizes  # inf is not a level


def test_inf_in_cluster_drops_the_row(reg):
    df = reg.assign(cl=reg["h"].astype(float))
    df.loc[7, "cl"] = np.inf
    res = feols("y ~ x | g", df, vcov={"CRV1": "cl"})
    ref = feols("y ~ x | g", df.drop(index=[7]), vcov={"CRV1": "cl"})
    assert res.nobs == ref.nobs == len(reg) - 1 and res.n_dropped == 1 and res.n_clusters == 5
    np.testing.assert_allclose(res.se().to_numpy(), ref.se().to_numpy(), rtol=1e-10)
    # a new cluster variable for a fitted model: ±inf in the estimation sample is reported, never a level
    fitted = feols("y ~ x | g", df)
    with pytest.raises(ValueError, match=r"cluster column 'cl' has missing \(NaN or ±inf\) values"):
        fitted.vcov({"CRV1": "cl"})


# --------------------------------------------------------------------------- gravity margins
def test_margin_decomposition_one_type_per_key():
    flows = pd.DataFrame({"product": [1, 1, 1], "country": ["DE", "DE", "DE"], "year": [2000] * 3,
                          "firm": pd.Series([5, "5", 6], dtype=object), "value": [3.0, 1.0, 2.0]})  # fmt: skip
    with pytest.raises(ValueError, match=r"column 'firm' mixes numbers .* strings .*two firms"):
        margin_decomposition(flows)
    out = margin_decomposition(flows.assign(firm=[5, 7, 6]))
    assert out["M"].tolist() == [3]
    with pytest.raises(ValueError, match="must hold trade values"):
        margin_decomposition(flows.assign(firm=[5, 7, 6], value=[True, True, False]))
