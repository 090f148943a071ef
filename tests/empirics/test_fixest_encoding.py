"""Label encoding of the fixed-effects engine (:mod:`jaxtrade.empirics.fixest.encode`), singletons and cross table.

Every encoder is checked against a plain reference (``pandas.factorize`` /
``np.unique``: the same partition of the rows), and :func:`shared_encodings`
against calls outside the block (identical results).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from jaxtrade.empirics.fixest import feols, fepois, shared_encodings
from jaxtrade.empirics.fixest.demean import cross_table
from jaxtrade.empirics.fixest.encode import (
    active_cache,
    compact_codes,
    encode_column,
    encode_levels,
    encode_values,
)
from jaxtrade.empirics.fixest.formula import encode_fixed_effect
from jaxtrade.empirics.fixest.sample import singleton_mask


def _same_partition(codes: np.ndarray, labels) -> bool:
    """``codes`` are dense 0..G-1 and group the rows exactly as ``labels`` do."""
    ref, uniques = pd.factorize(pd.Series(labels), sort=False)
    if codes.dtype != np.int32 or len(codes) != len(ref):
        return False
    if len(codes) and (codes.min() != 0 or codes.max() != len(uniques) - 1):
        return False
    # a bijection between the two numberings: each code maps to one reference level and back
    pairs = pd.DataFrame({"a": codes, "b": ref}).drop_duplicates()
    return len(pairs) == len(uniques) == pairs["a"].nunique() == pairs["b"].nunique()


# --------------------------------------------------------------------------- encode_values
def test_dense_integers_are_their_own_codes():
    labels = np.array([3, 0, 2, 1, 3, 0], dtype=np.int64)
    codes, n = encode_values(labels)
    assert n == 4 and codes.dtype == np.int32
    assert codes.tolist() == labels.tolist()
    assert not np.shares_memory(codes, labels)


@pytest.mark.parametrize(
    "labels",
    [
        np.array([10, 12, 10, 15, 12], dtype=np.int64),  # offset, gaps
        np.array([-5, 3, -5, 0, 7], dtype=np.int32),  # negative labels
        np.array([2**40, 7, 2**40, 7, 9], dtype=np.int64),  # wide range: hash path
        np.array([0, 2**64 - 1, 5, 0], dtype=np.uint64),  # beyond int64
        np.array([True, False, True]),
        np.array([1.5, -2.0, 1.5, 3.25]),
        np.array(["b", "a", "b", "c"], dtype=object),
        np.array([("x", 1), "a", 3], dtype=object)[[0, 1, 2, 1]],
    ],
)
def test_encoders_give_the_partition_of_factorize(labels):
    codes, n = encode_values(labels)
    assert n == len(pd.unique(pd.Series(labels)))
    assert _same_partition(codes, labels)


def test_range_path_numbers_levels_in_sorted_order_with_their_labels():
    rng = np.random.default_rng(0)
    labels = rng.integers(-1000, 1000, 5000) * 3 + 7
    codes, levels = encode_levels(labels)
    np.testing.assert_array_equal(levels, np.unique(labels))
    np.testing.assert_array_equal(levels[codes], labels)


def test_hash_path_sorted_option_and_random_large_input():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2**50, 20_000)[rng.integers(0, 3000, 50_000)]
    codes, levels = encode_levels(labels, sort=True)
    np.testing.assert_array_equal(levels, np.unique(labels))
    np.testing.assert_array_equal(levels[codes], labels)


def test_empty_and_bad_shape():
    codes, n = encode_values(np.array([], dtype=np.int64))
    assert n == 0 and codes.dtype == np.int32 and len(codes) == 0
    with pytest.raises(ValueError, match="1-D"):
        encode_values(np.zeros((2, 2), dtype=np.int64))


def test_compact_codes_renumbers_present_levels_in_order():
    codes, n = compact_codes(np.array([5, 1, 5, 3], dtype=np.int32), 7)
    assert codes.tolist() == [2, 0, 2, 1] and n == 3
    dense, n = compact_codes(np.array([1, 0, 1], dtype=np.int32), 2)
    assert dense.tolist() == [1, 0, 1] and n == 2


# --------------------------------------------------------------------------- columns
def test_column_encodings_string_categorical_and_subset():
    df = pd.DataFrame(
        {
            "s": pd.Series(["b", "a", None, "b", "c"], dtype="str"),
            "c": pd.Categorical(["u", "v", "u", None, "w"], categories=["w", "v", "u", "unused"]),
            "i": [4, 4, 9, 2, 9],
        }
    )
    rows = np.array([0, 1, 3, 4])
    codes, n = encode_column(df["s"], rows)
    assert n == 3 and _same_partition(codes, df["s"].to_numpy()[rows])
    rows_c = np.array([0, 1, 2, 4])
    codes, n = encode_column(df["c"], rows_c)
    assert n == 3 and _same_partition(codes, df["c"].astype(str).to_numpy()[rows_c])
    codes = encode_fixed_effect(("i", "c"), df, rows_c)
    assert _same_partition(codes, [f"{a}-{b}" for a, b in zip(df["i"][rows_c], df["c"].astype(str)[rows_c])])


def test_combined_fixed_effect_wide_range_matches_pair_factorize():
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"a": rng.integers(0, 2**45, 3000), "b": rng.integers(0, 40, 3000)})
    df["a"] = df["a"].to_numpy()[rng.integers(0, 50, 3000)]  # 50 distinct wide labels
    codes = encode_fixed_effect(("a", "b"), df)
    assert _same_partition(codes, [f"{a}-{b}" for a, b in zip(df["a"], df["b"])])


# --------------------------------------------------------------------------- singletons and cross table
def _singletons_reference(fe_codes):
    keep = np.ones(len(fe_codes[0]), dtype=bool)
    changed = True
    while changed:
        changed = False
        for codes in fe_codes:
            counts = np.bincount(codes[keep], minlength=int(codes.max()) + 1)
            single = keep & (counts[codes] == 1)
            if single.any():
                keep &= ~single
                changed = True
    return ~keep


@pytest.mark.parametrize("seed", range(6))
def test_singleton_mask_matches_the_naive_iteration(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 400))
    fe = [rng.integers(0, int(rng.integers(2, n)), n).astype(np.int32) for _ in range(int(rng.integers(1, 4)))]
    np.testing.assert_array_equal(singleton_mask(fe), _singletons_reference(fe))


def test_singleton_mask_chain_needs_several_rounds():
    # dropping row 0 (alone in a) leaves row 1 alone in b, which leaves row 2 alone in a, ...
    a = np.array([0, 1, 1, 2, 2, 3, 3], dtype=np.int32)
    b = np.array([0, 0, 1, 1, 2, 2, 2], dtype=np.int32)
    np.testing.assert_array_equal(singleton_mask([a, b]), _singletons_reference([a, b]))
    assert singleton_mask([a, b]).sum() == 5


@pytest.mark.parametrize("n_second", [7, 2**20])  # range path and hash path of the pair keys
def test_cross_table_matches_sorted_factorize(n_second):
    rng = np.random.default_rng(3)
    first = rng.integers(0, 300, 5000).astype(np.int32)
    second = rng.integers(0, n_second, 5000).astype(np.int32)
    table = cross_table(first, second, n_second)
    key = first.astype(np.int64) * n_second + second
    ref, keys = pd.factorize(key, sort=True)
    np.testing.assert_array_equal(np.asarray(table.pair_of_row), ref)
    np.testing.assert_array_equal(np.asarray(table.pair_first), keys // n_second)
    np.testing.assert_array_equal(np.asarray(table.pair_second), keys % n_second)
    with pytest.raises(TypeError, match="integers"):
        cross_table(first.astype(float), second)


# --------------------------------------------------------------------------- shared_encodings
def _panel(seed=0, n=3000):
    rng = np.random.default_rng(seed)
    firm = rng.integers(0, 300, n)
    df = pd.DataFrame(
        {
            "firm": firm * 10 + 3,
            "prod": pd.Series(rng.choice(list("abcdefghijklmnopqrst"), n), dtype="str"),
            "cl": firm // 3,
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
        }
    )
    df["y"] = 0.5 * df["x1"] - 0.2 * df["x2"] + rng.normal(size=n) + (df["firm"] % 7) * 0.1
    df["count"] = rng.poisson(np.exp(0.3 * df["x1"]))
    df.loc[::97, "x2"] = np.nan  # some rows leave the samples using x2
    return df


def _fits(df):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = [
            feols("y ~ x1 | firm + prod", df, vcov={"CRV1": "cl"}),
            feols("y ~ x1 + x2 | firm + prod", df, vcov={"CRV1": "cl"}),
            feols("y ~ x2 | firm + prod", df.loc[:, ["y", "x2", "firm", "prod", "cl"]], vcov={"CRV1": "firm"}),
            fepois("count ~ x1 | firm + prod", df, vcov={"CRV1": "cl"}),
        ]
    return out


def test_shared_encodings_give_identical_results_and_reuse():
    df = _panel()
    plain = _fits(df)
    with shared_encodings() as cache:
        assert active_cache() is cache
        shared = _fits(df)
    assert active_cache() is None and not cache.columns and not cache.tables
    for a, b in zip(plain, shared, strict=True):
        np.testing.assert_array_equal(a.beta, b.beta)
        np.testing.assert_array_equal(a.vcov_matrix, b.vcov_matrix)
        assert (a.nobs, a.n_singletons, a.fixef_sizes) == (b.nobs, b.n_singletons, b.fixef_sizes)
    # firm, prod, cl encoded once each; the NumPy columns of the selection df.loc[:, cols] share their
    # buffers with df (hits), its pyarrow string column is a new array object (one more miss)
    assert cache.misses == 4
    assert cache.hits == 7
    assert cache.table_hits >= 1  # the same sample (x1 models) reuses the cross table


def test_shared_encodings_see_in_place_changes_of_the_data():
    df = _panel(1)
    with warnings.catch_warnings(), shared_encodings():
        warnings.simplefilter("ignore")
        before = feols("y ~ x1 | firm + prod", df)
        df.loc[df.index[:1500], "firm"] = 99_999  # copy-on-write: a new buffer, not a stale cache hit
        after = feols("y ~ x1 | firm + prod", df)
    fresh = feols("y ~ x1 | firm + prod", df)
    np.testing.assert_array_equal(after.beta, fresh.beta)
    assert after.fixef_sizes == fresh.fixef_sizes != before.fixef_sizes


def test_shared_encodings_with_missing_fixed_effect_labels():
    df = _panel(2)
    df["firm_f"] = df["firm"].astype(float)
    df.loc[::50, "firm_f"] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = feols("y ~ x1 | firm_f + prod", df)
        with shared_encodings() as cache:
            shared = [feols("y ~ x1 | firm_f + prod", df), feols("y ~ x1 + x2 | firm_f + prod", df)]
    assert plain.n_dropped == shared[0].n_dropped > 0
    np.testing.assert_array_equal(plain.beta, shared[0].beta)
    assert cache.misses == 2 and cache.hits == 2


def test_nested_blocks_share_the_outer_cache_and_release_it():
    with shared_encodings() as outer:
        with shared_encodings() as inner:
            assert inner is outer
        assert active_cache() is outer
    assert active_cache() is None
    with pytest.raises(RuntimeError), shared_encodings():
        raise RuntimeError("inside")
    assert active_cache() is None
