"""Panel schema, validation, parquet/CSV round trips and the synthetic generator (Heo & Kim 2025, section 2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jaxtrade.empirics.proximity import (
    PRESETS,
    generate_panel,
    get_config,
    read_panel,
    validate_panel,
    write_panel,
)


def good_panel() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "firm": [1, 1, 2, 2, 3],
            "product": ["010121", "010129", "010121", "850110", "850110"],
            "destination": ["US", "US", "JP", "US", "JP"],
            "year": [2000, 2000, 2000, 2001, 2001],
            "value": [10.0, 5.0, 3.0, 1.0, 2.5],
        }
    )


def test_valid_panel_passes_and_input_is_not_mutated():
    df = good_panel()
    before = df.copy()
    out, report = validate_panel(df)
    pd.testing.assert_frame_equal(df, before)
    assert report.hs_digits == 6 and report.n_rows_out == 5 and report.n_duplicate_rows == 0
    assert report.years == (2000, 2001)
    assert list(out.columns) == ["firm", "product", "destination", "year", "value"]


def test_missing_column_is_named():
    with pytest.raises(ValueError, match=r"missing column\(s\) \['value'\]"):
        validate_panel(good_panel().drop(columns="value"))


@pytest.mark.parametrize(
    "col,val,pattern",
    [
        ("value", np.nan, r"'value' has 1 missing .* rows \[3\]"),
        ("firm", None, r"'firm' has 1 missing .* rows \[3\]"),
        ("value", 0.0, r"must be > 0.* rows \[3\]"),
        ("value", -2.0, r"must be > 0.* rows \[3\]"),
        ("value", np.inf, r"infinite value.* rows \[3\]"),
        ("product", "8501", r"mixes HS digit lengths \[4, 6\].* rows \[3\]"),
        ("product", "85A110", r"digit-only HS codes.* rows \[3\]"),
        ("year", 2000.5, r"'year' must hold integers.* rows \[3\]"),
    ],
)
def test_bad_rows_are_named(col, val, pattern):
    df = good_panel()
    df[col] = df[col].astype(object)
    df.loc[3, col] = val
    with pytest.raises(ValueError, match=pattern):
        validate_panel(df)


def test_numeric_product_codes_are_rejected():
    df = good_panel()
    df["product"] = df["product"].astype(int)
    with pytest.raises(ValueError, match="zero-padded strings"):
        validate_panel(df)


def test_duplicates_error_or_aggregate_with_count():
    df = pd.concat([good_panel(), good_panel().iloc[[0, 0]]], ignore_index=True)
    with pytest.raises(ValueError, match=r"3 row\(s\) share 1 duplicate .* rows \[0, 5, 6\]"):
        validate_panel(df)
    out, report = validate_panel(df, aggregate_duplicates=True)
    assert report.n_duplicate_rows == 3 and report.n_duplicate_keys == 1 and report.n_rows_out == 5
    row = out[(out.firm == 1) & (out["product"] == "010121")]
    assert row["value"].item() == 30.0
    assert out["value"].sum() == pytest.approx(df["value"].sum())


def test_required_digit_level():
    with pytest.raises(ValueError, match="hs_digits=4"):
        validate_panel(good_panel(), hs_digits=4)


def test_parquet_csv_and_partitioned_round_trips(tmp_path):
    df, _ = validate_panel(good_panel())
    write_panel(df, tmp_path / "p.parquet")
    back, _ = validate_panel(read_panel(tmp_path / "p.parquet"))
    pd.testing.assert_frame_equal(back, df)
    df.to_csv(tmp_path / "p.csv", index=False)
    back, _ = validate_panel(read_panel(tmp_path / "p.csv"))
    assert back["product"].tolist() == df["product"].tolist()  # zero padding kept
    write_panel(df, tmp_path / "parts", partition=True)
    assert (tmp_path / "parts" / "destination=US" / "year=2000").is_dir()
    back, _ = validate_panel(read_panel(tmp_path / "parts"))
    pd.testing.assert_frame_equal(back[df.columns].reset_index(drop=True), df, check_dtype=False)
    with pytest.raises(ValueError, match="does not exist"):
        read_panel(tmp_path / "nope.parquet")


def test_generator_is_deterministic_and_valid():
    a = generate_panel("tiny", seed=5)
    b = generate_panel("tiny", seed=5)
    c = generate_panel("tiny", seed=6)
    pd.testing.assert_frame_equal(a.panel, b.panel)
    assert not a.panel.equals(c.panel)
    out, report = validate_panel(a.panel)
    assert report.hs_digits == 6 and report.n_rows_out == len(a.panel)
    assert report.years == tuple(range(2000, 2000 + a.config.n_years))
    np.testing.assert_allclose(a.inputs.sum(axis=1), 1.0, atol=1e-12)
    assert set(out["product"]) <= set(a.inputs.index)
    # clusters are mostly contiguous in HS order (nested in the hierarchy), with a misfiled share
    clusters = a.products["cluster"].to_numpy()
    contiguous = (clusters == np.arange(len(clusters)) // a.config.cluster_size).mean()
    assert 0.6 < contiguous < 0.95


def test_generator_firm_sizes_are_heavy_tailed():
    panel = generate_panel("small").panel
    size = panel.groupby("firm")["value"].sum().sort_values(ascending=False)
    top1 = size.iloc[: max(1, len(size) // 100)].sum() / size.sum()
    assert top1 > 0.15  # the top 1% of firms export far more than 1% of the value


def test_presets_and_overrides():
    assert {"tiny", "small", "paper"} <= set(PRESETS)
    paper = PRESETS["paper"]
    assert paper.n_firms == 128_000 and paper.n_destinations == 55 and paper.n_years == 7 and paper.n_products == 5_000
    assert get_config("tiny", strength=0.0).strength == 0.0
    with pytest.raises(ValueError, match="unknown synthetic preset"):
        get_config("huge")
    with pytest.raises(ValueError, match="persistence"):
        get_config("tiny", persistence=1.5)
