"""Dense integer codes of fixed-effect and cluster columns (internals of :mod:`.sample` and :mod:`.demean`).

Every fixed effect, cluster variable and the cross table of two fixed
effects is a column of labels turned into dense codes ``0..G-1``. At the
proximity paper's scale (18M rows, about 1M levels) hashing these columns
with ``pandas.factorize`` was the largest host cost of a ``feols`` call, so
:func:`encode_values` picks the cheapest exact method per column:

* integer (or boolean, or categorical) labels whose range ``max - min + 1``
  is at most ``2 N`` (or 65,536): one pass marks the values present in a
  table of the range, a cumulative sum numbers them and one gather maps each
  row (no hashing, no sort). Labels already dense ``0..G-1`` skip the
  gather. This is the usual case: firm, year, product and destination ids
  and their products (``firm * years + year``);
* anything else (strings, floats, integers of a wide range): ``pandas.factorize``
  (a hash table, O(N)), the fastest general encoder measured here
  (``np.unique(return_inverse=True)`` and argsort-based encoders were 2-5x
  slower on the 2-core CPU, see ``docs/empirics/fixest.md``).

Codes from the fast path are in the order of the sorted labels, those of
the hash path in order of appearance (``sort=True``: sorted); no result
depends on the numbering of the levels.

:func:`shared_encodings` reuses the encodings across the regressions of
one table (e.g. Table 2's columns share their fixed effects, cluster
variable and, when their samples coincide, the cross table of the two
fixed effects): inside the ``with`` block each column is encoded once and
each cross table built once.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "EncodingCache",
    "active_cache",
    "combine_codes",
    "compact_codes",
    "encode_column",
    "encode_levels",
    "encode_values",
    "shared_encodings",
]

_RANGE_FLOOR = 1 << 16
"""Label ranges up to this size always take the range path, whatever N."""


def _range_limit(n: int) -> int:
    """Largest label range encoded by the range path for ``n`` rows (the table is at most ~2 N bytes)."""
    return max(2 * n, _RANGE_FLOOR)


def _encode_range(values: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes of integer ``values`` in ``[lo, hi]`` through a table of the range, and the table of present labels."""
    if lo >= 0 and hi < _range_limit(len(values)):
        index = values  # the table is indexed by the label itself: no shifted copy
        size = hi + 1
    else:
        index = values.astype(np.int64) - lo
        size = hi - lo + 1
    present = np.zeros(size, dtype=bool)
    present[index] = True
    if present.all():  # already dense 0..G-1: the codes are the (shifted) labels
        return index.astype(np.int32), present
    lut = np.cumsum(present, dtype=np.int32)
    lut -= 1
    return lut[index], present


def encode_levels(values: np.ndarray, *, sort: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Dense int32 codes ``0..G-1`` of a 1-D array of labels, and the ``G`` labels in code order.

    Parameters
    ----------
    values : (N,) array
        Labels without missing values (integers, booleans, floats, strings, objects).
    sort : bool
        Number the levels in the order of the sorted labels (the range path
        always does); otherwise the hash path numbers them in order of
        appearance.

    Examples
    --------
    >>> codes, levels = encode_levels(np.array([7, 3, 7, 5]))
    >>> codes.tolist(), levels.tolist()
    ([2, 0, 2, 1], [3, 5, 7])
    >>> encode_levels(np.array(["b", "a", "b"]))[0].tolist()
    [0, 1, 0]
    """
    values = np.asarray(values)
    if values.ndim != 1:
        raise ValueError(f"encode_levels: labels must be 1-D, got shape {values.shape}")
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int32), values[:0]
    labels = values.view(np.uint8) if values.dtype == np.bool_ else values
    if labels.dtype.kind in "iu":
        lo, hi = int(labels.min()), int(labels.max())
        if hi - lo + 1 <= _range_limit(n) and hi <= np.iinfo(np.int64).max:
            codes, present = _encode_range(labels, lo, hi)
            levels = np.flatnonzero(present)
            if not (lo >= 0 and hi < _range_limit(n)):
                levels += lo
            return codes, levels.astype(values.dtype)
    codes, uniques = pd.factorize(values, sort=sort)
    return codes.astype(np.int32, copy=False), np.asarray(uniques)


def encode_values(values: np.ndarray, *, sort: bool = False) -> tuple[np.ndarray, int]:
    """Dense int32 codes ``0..G-1`` of a 1-D array of labels, and ``G`` (:func:`encode_levels`).

    Examples
    --------
    >>> codes, n = encode_values(np.array([7, 3, 7, 5]))
    >>> codes.tolist(), n
    ([2, 0, 2, 1], 3)
    """
    codes, levels = encode_levels(values, sort=sort)
    return codes, len(levels)


def compact_codes(codes: np.ndarray, n_levels: int | None = None) -> tuple[np.ndarray, int]:
    """Renumber codes in ``0..n_levels-1`` (some levels possibly absent) densely, keeping their order.

    What a subset of the rows of an encoded column needs (the levels left
    after dropping rows); one bincount-sized table and one gather, no hashing.

    Examples
    --------
    >>> compact_codes(np.array([4, 0, 4, 2]))[0].tolist()
    [2, 0, 2, 1]
    """
    codes = np.asarray(codes)
    if len(codes) == 0:
        return np.zeros(0, dtype=np.int32), 0
    size = int(codes.max()) + 1 if n_levels is None else int(n_levels)
    present = np.zeros(size, dtype=bool)
    present[codes] = True
    n_present = int(np.count_nonzero(present))
    if n_present == size:
        return codes.astype(np.int32, copy=False), size
    lut = np.cumsum(present, dtype=np.int32)
    lut -= 1
    return lut[codes], n_present


# --------------------------------------------------------------------------- reuse across regressions
@dataclasses.dataclass
class EncodingCache:
    """Encodings kept while a :func:`shared_encodings` block is open.

    ``columns`` maps a column's buffer (address, shape, strides, dtype) to
    ``(series, codes, n_levels)``; holding the pandas ``series`` keeps the
    buffer alive and, under pandas' copy-on-write, makes any later write
    to the frame copy the column rather than change the buffer, so a hit
    is always the same data. ``tables`` holds the cross tables with the
    two code vectors they were built from (compared exactly on lookup).
    ``hits`` and ``misses`` count column lookups.
    """

    columns: dict = dataclasses.field(default_factory=dict)
    tables: list = dataclasses.field(default_factory=list)
    hits: int = 0
    misses: int = 0
    table_hits: int = 0


_CACHE: contextvars.ContextVar[EncodingCache | None] = contextvars.ContextVar("jaxtrade_fixest_encodings", default=None)


@contextlib.contextmanager
def shared_encodings() -> Iterator[EncodingCache]:
    """Reuse fixed-effect and cluster encodings across the ``feols``/``fepois`` calls inside the block.

    Each column used as a fixed effect or cluster is encoded once (on all
    rows; a regression whose sample drops rows maps the stored codes to its
    rows and renumbers them, which is cheap), and the cross table of two
    fixed effects is rebuilt only when the estimation sample changes.
    Results are identical to calls outside the block (levels are numbered
    in sorted order either way). The cache, and the references to the
    columns it holds, is released when the block ends; a block opened
    inside another one shares the outer block's cache.

    A column is recognised by its buffer (NumPy columns, also through
    ``df.loc[:, cols]`` or ``df[cols]``, which share it under pandas'
    copy-on-write) or by its array object (pyarrow strings, categoricals).
    Writing to the frame inside the block gives the column a new buffer
    (copy-on-write, because the cache holds a reference), so it is encoded
    again, never read stale.

    Examples
    --------
    >>> import pandas as pd
    >>> from jaxtrade.empirics.fixest import feols, shared_encodings
    >>> df = pd.DataFrame({"g": [0, 0, 1, 1, 2, 2], "x": [1.0, 2.0, 3.0, 5.0, 0.0, 1.0]})
    >>> df["y"], df["z"] = 2.0 * df["x"] + df["g"], df["x"] - df["g"]
    >>> with shared_encodings() as cache:
    ...     fits = [feols(f"{y} ~ x | g", df) for y in ("y", "z")]
    >>> cache.misses, cache.hits
    (1, 1)
    """
    outer = _CACHE.get()
    if outer is not None:
        yield outer
        return
    cache = EncodingCache()
    token = _CACHE.set(cache)
    try:
        yield cache
    finally:
        _CACHE.reset(token)
        cache.columns.clear()
        cache.tables.clear()


def active_cache() -> EncodingCache | None:
    """The cache of the innermost open :func:`shared_encodings` block, or None."""
    return _CACHE.get()


def _column_labels(series: pd.Series) -> tuple[np.ndarray, int | None]:
    """The labels of a column as a NumPy array; for a categorical, its codes (missing = -1) and category count."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return np.asarray(series.cat.codes.to_numpy()), len(series.cat.categories)
    return series.to_numpy(), None


def _cache_key(series: pd.Series) -> tuple[Any, ...]:
    """What identifies a column's data while the cache holds the series.

    A NumPy-backed column by its buffer (address, shape, strides, dtype:
    ``df.loc[:, cols]`` and ``df[col]`` share it under copy-on-write), an
    extension-array column (pyarrow strings, categoricals) by the identity
    of the array object.
    """
    if isinstance(series.dtype, np.dtype):
        values = series.to_numpy()
        return ("buffer", values.__array_interface__["data"][0], values.shape, values.strides, values.dtype.str)
    return ("array", id(series.array), len(series))


def _encode_labels(values: np.ndarray, n_categories: int | None) -> tuple[np.ndarray, int]:
    """Codes of a column's labels, levels in sorted order (categoricals: category order).

    Sorted numbering makes the codes of a subset of rows the renumbered
    codes of the whole column (what :func:`shared_encodings` relies on to
    give identical results); labels that cannot be sorted (mixed Python
    objects) are numbered in order of appearance.
    """
    if n_categories is not None:
        return compact_codes(values, n_categories)
    try:
        return encode_values(values, sort=True)
    except TypeError:
        return encode_values(values, sort=False)


def _encode_all_rows(values: np.ndarray, n_categories: int | None) -> tuple[np.ndarray, int]:
    """Codes on every row, -1 where the label is missing (what the cache keeps)."""
    if n_categories is not None:
        missing = values < 0
    elif values.dtype.kind in "iub":
        missing = None
    else:
        missing = np.asarray(pd.isna(values), dtype=bool)
    if missing is None or not missing.any():
        return _encode_labels(values, n_categories)
    codes = np.full(len(values), -1, dtype=np.int32)
    complete = ~missing
    codes[complete], n_levels = _encode_labels(values[complete], n_categories)
    return codes, n_levels


def encode_column(series: pd.Series, rows: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Dense int32 codes of one column on ``rows`` (sorted positions; all rows if None), and the level count.

    Rows with a missing label must be excluded by ``rows``. Inside
    :func:`shared_encodings` the column is encoded once on all its rows and
    later calls map those codes to ``rows`` and renumber them
    (:func:`compact_codes`).
    """
    subset = rows is not None and len(rows) != len(series)
    cache = _CACHE.get()
    if cache is None:
        values, n_categories = _column_labels(series)
        return _encode_labels(values[rows] if subset else values, n_categories)
    key = _cache_key(series)
    entry = cache.columns.get(key)
    if entry is None:
        cache.misses += 1
        codes, n_levels = _encode_all_rows(*_column_labels(series))
        codes.setflags(write=False)  # shared by every call of the block
        entry = (series, codes, n_levels)  # the series keeps the buffer alive and copy-on-write protected
        cache.columns[key] = entry
    else:
        cache.hits += 1
    _, codes, n_levels = entry
    if not subset:
        if len(codes) and codes.min() < 0:
            raise ValueError(f"column {series.name!r} has missing values in the rows to encode")
        return codes, n_levels
    sub = codes[rows]
    if len(sub) and sub.min() < 0:
        raise ValueError(f"column {series.name!r} has missing values in the rows to encode")
    return compact_codes(sub, n_levels)


def combine_codes(first: np.ndarray, n_first: int, second: np.ndarray, n_second: int) -> tuple[np.ndarray, int]:
    """Codes of the pairs ``(first, second)`` (a combined fixed effect ``a^b``), and their count."""
    del n_first  # (the pair key needs only the second count)
    key = first.astype(np.int64)
    key *= int(n_second)
    key += second
    return encode_values(key)
