"""Panel schema, validation and parquet/CSV input-output for the proximity empirics.

The input of the Heo & Kim (2025) section-2 pipeline is a firm-product-
destination-year panel of export values:

=============  ==========================================================
column         meaning
=============  ==========================================================
``firm``       firm identifier: numbers or strings, **not both** (5 and
               ``"5"`` in one column are an error, never two firms)
``product``    HS code as a zero-padded string of one digit length
               (``"010121"``; all rows the same length, e.g. 6 for HS6)
``destination`` destination identifier: numbers or strings, not both
``year``       integer year in [:data:`YEAR_MIN`, :data:`YEAR_MAX`]
``value``      export value, a number (not a boolean), finite and > 0
=============  ==========================================================

One row per (firm, product, destination, year) key. :func:`validate_panel`
checks all rules and raises :class:`ValueError` naming the rule, the column
and the offending rows; duplicates are summed only with
``aggregate_duplicates=True`` and their count is reported.

Values are taken as given: a subnormal or tiny positive value (e.g. 1e-310)
is a positive export, so the firm is an active exporter of the product
(eq. 1's ``N_dt`` and the support count of Figure 1); eq. (1) uses only
ratios within a firm-destination-year, so the unit of ``value`` does not
matter, but a subnormal number carries fewer significant bits (rescale such
data). Values whose sum overflows float64 are an error.
"""

from __future__ import annotations

import dataclasses
import pathlib

import numpy as np
import pandas as pd

from jaxtrade.empirics.categories import check_single_kind

__all__ = [
    "KEY_COLUMNS", "PANEL_COLUMNS", "YEAR_MAX", "YEAR_MIN", "PanelReport", "read_panel", "validate_panel", "write_panel",
]  # fmt: skip

PANEL_COLUMNS = ("firm", "product", "destination", "year", "value")
KEY_COLUMNS = ("firm", "product", "destination", "year")
MAX_ROWS_SHOWN = 10
YEAR_MIN = 0
"""Smallest year accepted by :func:`validate_panel` (negative years are an error)."""
YEAR_MAX = 3000
"""Largest year accepted by :func:`validate_panel`."""
ID_COLUMNS = ("firm", "destination")


@dataclasses.dataclass(frozen=True)
class PanelReport:
    """What :func:`validate_panel` did: row counts, HS digit level, aggregated duplicates."""

    n_rows_in: int
    n_rows_out: int
    hs_digits: int
    n_duplicate_rows: int  # rows that shared a key with another row (0 unless aggregated)
    n_duplicate_keys: int  # keys that appeared more than once
    n_firms: int
    n_products: int
    n_destinations: int
    years: tuple[int, ...]

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def _rows_text(index: pd.Index) -> str:
    shown = [str(i) for i in index[:MAX_ROWS_SHOWN]]
    more = f" (and {len(index) - MAX_ROWS_SHOWN} more)" if len(index) > MAX_ROWS_SHOWN else ""
    return "[" + ", ".join(shown) + "]" + more


def _has_bools(column: pd.Series) -> np.ndarray:
    """Rows of ``column`` holding booleans (a bool dtype, or ``True``/``False`` in an object column)."""
    if pd.api.types.is_bool_dtype(column.dtype):
        return np.ones(len(column), dtype=bool)
    if column.dtype == object:
        return np.fromiter((isinstance(x, (bool, np.bool_)) for x in column.to_numpy()), bool, len(column))
    return np.zeros(len(column), dtype=bool)


def _check_values(df: pd.DataFrame) -> np.ndarray:
    """Rule: ``value`` numeric (not boolean), finite and > 0, with a finite sum; returns it as float64."""
    bools = df.index[_has_bools(df["value"])]
    if len(bools):
        raise ValueError(
            f"column 'value' must hold export values (numbers), got {len(bools)} boolean value(s) at rows "
            f"{_rows_text(bools)}"
        )
    value = pd.to_numeric(df["value"], errors="coerce")
    bad = df.index[value.isna().to_numpy()]
    if len(bad):
        raise ValueError(f"column 'value' has {len(bad)} non-numeric value(s) at rows {_rows_text(bad)}")
    v = value.to_numpy(dtype=np.float64)
    bad = df.index[~np.isfinite(v)]
    if len(bad):
        raise ValueError(f"column 'value' has {len(bad)} infinite value(s) at rows {_rows_text(bad)}")
    bad = df.index[v <= 0]
    if len(bad):
        raise ValueError(
            f"column 'value' must be > 0 (rule: exports are positive; drop zero rows); "
            f"{len(bad)} zero or negative value(s) at rows {_rows_text(bad)}"
        )
    with np.errstate(over="ignore"):
        total = float(np.sum(v))
    if not np.isfinite(total):
        raise ValueError(
            "column 'value' sums to more than the largest float64 (about 1.8e308), so the export totals of eq. (1) "
            "overflow; rescale the values (e.g. to thousands)"
        )
    return v


def _check_years(df: pd.DataFrame) -> np.ndarray:
    """Rule: ``year`` holds integers (not booleans) in [YEAR_MIN, YEAR_MAX]; returns it as int64."""
    bools = df.index[_has_bools(df["year"])]
    if len(bools):
        raise ValueError(
            f"column 'year' must hold integer years, got {len(bools)} boolean(s) at rows {_rows_text(bools)}"
        )
    year = pd.to_numeric(df["year"], errors="coerce").to_numpy(dtype=np.float64)
    bad = df.index[~np.isfinite(year) | (np.round(year) != year)]
    if len(bad):
        raise ValueError(f"column 'year' must hold integers; {len(bad)} bad value(s) at rows {_rows_text(bad)}")
    bad = df.index[(year < YEAR_MIN) | (year > YEAR_MAX)]
    if len(bad):
        shown = sorted({int(y) for y in year[(year < YEAR_MIN) | (year > YEAR_MAX)]})[:5]
        raise ValueError(
            f"column 'year' must hold years between {YEAR_MIN} and {YEAR_MAX}; {len(bad)} value(s) outside, e.g. "
            f"{shown}, at rows {_rows_text(bad)}"
        )
    return year.astype(np.int64)


def _check_products(df: pd.DataFrame, hs_digits: int | None) -> tuple[pd.Series, int]:
    """Rule: ``product`` holds zero-padded digit strings of one length; returns them and the length."""
    prod = df["product"]
    if pd.api.types.is_numeric_dtype(prod.dtype):
        raise ValueError(
            "column 'product' must hold HS codes as zero-padded strings (e.g. '010121'), got numbers; "
            "read the file with the product column as text (read_panel does this)"
        )
    if prod.dtype == object:
        others = [u for u in pd.unique(prod.to_numpy()) if not isinstance(u, (str, np.str_))]
        if others:
            rows = df.index[prod.map(lambda x: not isinstance(x, (str, np.str_))).to_numpy(dtype=bool)]
            raise ValueError(
                f"column 'product' must hold HS codes as zero-padded strings (e.g. '010121'); {len(rows)} row(s) "
                f"hold other values such as {others[:3]!r} at rows {_rows_text(rows)} (a number loses its "
                "leading zeros: convert with e.g. df['product'].map('{:06d}'.format))"
            )
    prod = prod.astype(str)
    codes = pd.Series(pd.unique(prod.to_numpy()))
    nondigit = codes[~codes.str.fullmatch(r"[0-9]+")]
    if len(nondigit):
        rows = df.index[prod.isin(set(nondigit)).to_numpy()]
        raise ValueError(
            f"column 'product' must hold digit-only HS codes; {len(rows)} row(s) with codes such as "
            f"{list(nondigit[:5])} at rows {_rows_text(rows)}"
        )
    lengths = codes.str.len()
    length_counts = prod.str.len().value_counts()
    if len(length_counts) > 1:
        majority = int(length_counts.idxmax())
        rows = df.index[(prod.str.len() != majority).to_numpy()]
        raise ValueError(
            f"column 'product' mixes HS digit lengths {sorted(int(x) for x in length_counts.index)} "
            f"(rule: one digit level per panel; zero-pad the codes); {len(rows)} row(s) differ from the "
            f"majority length {majority} at rows {_rows_text(rows)}"
        )
    digits = int(lengths.iloc[0])
    if hs_digits is not None and digits != hs_digits:
        raise ValueError(f"column 'product' has {digits}-digit HS codes but hs_digits={hs_digits} was required")
    return prod, digits


def _duplicates(df: pd.DataFrame, aggregate: bool) -> tuple[pd.DataFrame, int, int]:
    """Rule: one row per key, unless ``aggregate`` (values summed); returns the frame and the duplicate counts."""
    dup_mask = df.duplicated(list(KEY_COLUMNS), keep=False).to_numpy()
    n_dup_rows = int(dup_mask.sum())
    n_dup_keys = 0
    if n_dup_rows:
        n_dup_keys = int(df.loc[dup_mask].drop_duplicates(list(KEY_COLUMNS)).shape[0])
        if not aggregate:
            rows = df.index[dup_mask]
            raise ValueError(
                f"{n_dup_rows} row(s) share {n_dup_keys} duplicate (firm, product, destination, year) key(s) "
                f"at rows {_rows_text(rows)}; pass aggregate_duplicates=True to sum their values"
            )
        df = df.groupby(list(KEY_COLUMNS), sort=False, as_index=False, observed=True)["value"].sum()
    return df, n_dup_rows, n_dup_keys


def validate_panel(
    data: pd.DataFrame,
    *,
    aggregate_duplicates: bool = False,
    hs_digits: int | None = None,
) -> tuple[pd.DataFrame, PanelReport]:
    """Check a panel against the schema and return a canonical copy and a report.

    Parameters
    ----------
    data : DataFrame with the columns of :data:`PANEL_COLUMNS` (others are ignored).
    aggregate_duplicates : sum the values of rows that share a
        (firm, product, destination, year) key; otherwise duplicates are an error.
    hs_digits : required HS digit length; None accepts the panel's single length.

    Returns
    -------
    (panel, report)
        ``panel`` has exactly the schema columns, ``product`` as strings,
        ``year`` as int64 and ``value`` as float64, rows sorted by
        destination, year, firm, product, index reset. ``data`` is not modified.

    Raises
    ------
    ValueError
        Naming the rule (missing column, NaN, boolean, non-positive or
        non-finite value or an overflowing sum, an identifier column mixing
        numbers and strings, non-string, non-digit or mixed-length HS codes,
        a non-integer or boolean year or one outside [YEAR_MIN, YEAR_MAX],
        duplicate keys) and the offending rows (index labels of ``data``).

    Examples
    --------
    >>> raw = pd.DataFrame({"firm": [1, 2], "product": ["0101", "0102"], "destination": ["US", "US"],
    ...                     "year": [2000, 2000], "value": [5.0, 0.0]})
    >>> validate_panel(raw)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: column 'value' must be > 0 (rule: exports are positive; drop zero rows); ... at rows [1]
    >>> panel, report = validate_panel(raw.assign(value=[5.0, 2.0]))
    >>> report.hs_digits, report.n_rows_out
    (4, 2)
    """
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"panel must be a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in PANEL_COLUMNS if c not in data.columns]
    if missing:
        raise ValueError(f"panel is missing column(s) {missing}; required columns are {list(PANEL_COLUMNS)}")
    n_in = len(data)
    if n_in == 0:
        raise ValueError("panel is empty (0 rows)")
    df = data.loc[:, list(PANEL_COLUMNS)].copy()
    for col in PANEL_COLUMNS:
        bad = df.index[df[col].isna().to_numpy()]
        if len(bad):
            raise ValueError(f"column {col!r} has {len(bad)} missing (NaN/None) value(s) at rows {_rows_text(bad)}")
    for col in ID_COLUMNS:  # numbers or strings, not both: 5 and "5" are never two firms
        check_single_kind(df[col], col, noun=f"{col}s", allow_bool=False)
    df["value"] = _check_values(df)
    df["year"] = _check_years(df)
    prod, digits = _check_products(df, hs_digits)
    df["product"] = prod.to_numpy(dtype=object)
    df, n_dup_rows, n_dup_keys = _duplicates(df, aggregate_duplicates)
    df = df.sort_values(["destination", "year", "firm", "product"], kind="stable").reset_index(drop=True)
    report = PanelReport(
        n_rows_in=n_in,
        n_rows_out=len(df),
        hs_digits=digits,
        n_duplicate_rows=n_dup_rows if aggregate_duplicates else 0,
        n_duplicate_keys=n_dup_keys if aggregate_duplicates else 0,
        n_firms=int(df["firm"].nunique()),
        n_products=int(df["product"].nunique()),
        n_destinations=int(df["destination"].nunique()),
        years=tuple(int(y) for y in np.unique(df["year"].to_numpy())),
    )
    return df, report


def read_panel(path: str | pathlib.Path, *, columns: dict[str, str] | None = None) -> pd.DataFrame:
    """Read a panel from parquet (a file, or a folder partitioned by destination/year) or CSV.

    Parameters
    ----------
    path : ``.parquet``/``.pq`` file, a folder of parquet files (hive
        partitioning such as ``destination=US/year=2000/part-0.parquet``
        is read back into columns), or ``.csv``/``.csv.gz``.
    columns : optional renaming ``{name in file: schema name}``.

    The ``product`` column is read as text so that zero padding survives.
    The result is not validated; pass it to :func:`validate_panel`.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.dataset as ds

    path = pathlib.Path(path)
    if not path.exists():
        raise ValueError(f"panel path {str(path)!r} does not exist")
    rename = dict(columns or {})
    product_name = next((k for k, v in rename.items() if v == "product"), "product")
    name = path.name.lower()
    if path.is_dir() or name.endswith((".parquet", ".pq")):
        dataset = ds.dataset(str(path), format="parquet", partitioning="hive")
        table = dataset.to_table()
    elif name.endswith((".csv", ".csv.gz", ".txt")):
        opts = pacsv.ConvertOptions(column_types={product_name: pa.string()})
        table = pacsv.read_csv(str(path), convert_options=opts)
    else:
        raise ValueError(f"unknown panel format for {str(path)!r}: use .parquet, a parquet folder or .csv")
    df = table.to_pandas()
    for col in df.columns:
        if isinstance(df[col].dtype, pd.CategoricalDtype):  # hive partitions come back as categories
            df[col] = df[col].astype(str) if col != "year" else df[col].astype(str).astype(np.int64)
    df = df.rename(columns=rename)
    if "product" in df.columns and not pd.api.types.is_numeric_dtype(df["product"].dtype):
        df["product"] = df["product"].astype(str)
    return df


def write_panel(panel: pd.DataFrame, path: str | pathlib.Path, *, partition: bool = False) -> pathlib.Path:
    """Write a panel to parquet; ``partition=True`` writes a folder partitioned by destination and year."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = pathlib.Path(path)
    df = panel.copy()
    df["product"] = df["product"].astype(str)
    if partition:
        df["destination"] = df["destination"].astype(str)
        table = pa.Table.from_pandas(df, preserve_index=False)
        pq.write_to_dataset(table, root_path=str(path), partition_cols=["destination", "year"])
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), str(path))
    return path
