"""One type per categorical column: 5 and "5" must not become two firms, levels or clusters.

A pandas object column can hold the integer ``5`` and the string ``"5"``;
factorising it gives two codes, so one firm (or fixed-effect level, cluster,
destination) silently becomes two. ``True`` and ``1`` are the opposite case:
equal in Python, so they silently become one. The rule of
:mod:`jaxtrade.empirics` is to refuse such columns with a ``ValueError``
naming the column, the types found and examples, never to guess: an
identifier column holds numbers, or strings, or (where allowed) booleans,
not a mix. Columns with a numeric, boolean, string or categorical dtype
hold one type and are not inspected (no cost).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["check_single_kind", "value_kind"]

MAX_SHOWN = 10
_ONE_KIND = frozenset(
    {"integer", "floating", "mixed-integer-float", "decimal", "complex", "string", "bytes", "empty", "datetime",
     "datetime64", "date", "timedelta", "timedelta64", "time", "period", "interval"}
)  # fmt: skip


def value_kind(x) -> str:
    """The type family of one cell: ``"bool"``, ``"number"``, ``"string"``, ``"missing"`` or ``"other"``.

    Examples
    --------
    >>> [value_kind(v) for v in (True, 5, 5.0, "5", None)]
    ['bool', 'number', 'number', 'string', 'missing']
    """
    if isinstance(x, (bool, np.bool_)):
        return "bool"
    if isinstance(x, (int, float, np.integer, np.floating)):
        return "missing" if isinstance(x, (float, np.floating)) and np.isnan(x) else "number"
    if isinstance(x, (str, np.str_)):
        return "string"
    if x is None or x is pd.NA or x is pd.NaT:
        return "missing"
    return "other"


def _rows_text(index: pd.Index) -> str:
    shown = [str(i) for i in index[:MAX_SHOWN]]
    more = f" (and {len(index) - MAX_SHOWN} more)" if len(index) > MAX_SHOWN else ""
    return "[" + ", ".join(shown) + "]" + more


def check_single_kind(column: pd.Series, name: str, *, role: str = "column", noun: str = "levels",
                      allow_bool: bool = True) -> None:  # fmt: skip
    """Raise ``ValueError`` unless the non-missing values of ``column`` are all numbers, all strings or all booleans.

    Parameters
    ----------
    column : the data column (only an ``object`` dtype, or the categories of a categorical one, is inspected).
    name : its name, for the message.
    role : what the column is (``"column"``, ``"fixed-effect column"``, ``"cluster column"``).
    noun : what its values identify (``"firms"``, ``"levels"``), for the message.
    allow_bool : whether an all-boolean column is accepted.

    Examples
    --------
    >>> check_single_kind(pd.Series([5, "5"], dtype=object), "firm", noun="firms")
    Traceback (most recent call last):
    ...
    ValueError: column 'firm' mixes numbers (1 distinct, e.g. [5]) and strings (1 distinct, e.g. ['5']) (rule: one type per column, so that 5 and '5' cannot become two firms nor True and 1 one; here 1 value(s) such as ['5'] appear as both); convert it, e.g. df['firm'].astype(str); the minority type is at rows [0]
    """
    if pd.api.types.is_bool_dtype(column.dtype):
        if not allow_bool:
            raise ValueError(f"{role} {name!r} must hold numbers or strings, got booleans")
        return
    if isinstance(column.dtype, pd.CategoricalDtype):  # the categories can mix types too: check them
        categories = column.cat.categories
        if categories.dtype == object:
            try:
                check_single_kind(
                    pd.Series(categories, dtype=object), name, role=role, noun=noun, allow_bool=allow_bool
                )
            except ValueError as err:  # positions of categories are not rows: name the categories instead
                text = str(err).split("; the minority type is at rows")[0].split(" at rows ")[0]
                raise ValueError(f"{text} (in the categories of the categorical column)") from None
        return
    if column.dtype != object:
        return
    inferred = pd.api.types.infer_dtype(column, skipna=True)  # one C pass; "mixed..." when types mix
    if inferred in _ONE_KIND or (inferred == "boolean" and allow_bool):
        return
    row_kind = column.map(value_kind).to_numpy()  # per row only on the way to an error
    found = set(pd.unique(row_kind)) - {"missing"}
    if "bool" in found and not allow_bool:
        rows = column.index[row_kind == "bool"]
        raise ValueError(
            f"{role} {name!r} must hold numbers or strings, not booleans; {len(rows)} boolean(s) at rows {_rows_text(rows)}"
        )
    if len(found) <= 1:
        return
    # one representative per (kind, value): True and 1 are equal in Python, so unique within each kind
    uniques, kinds = [], []
    for kind in sorted(found):
        for u in pd.unique(column.to_numpy()[row_kind == kind]):
            uniques.append(u)
            kinds.append(kind)
    by_kind = {k: [u for u, kk in zip(uniques, kinds, strict=True) if kk == k] for k in sorted(found)}
    text = pd.Series([u for u, k in zip(uniques, kinds, strict=True) if k != "missing"], dtype=object).astype(str)
    clash = sorted(set(text[text.duplicated(keep=False)]))
    plural = {"number": "numbers", "string": "strings", "bool": "booleans", "other": "other objects"}
    parts = [f"{plural[k]} ({len(v)} distinct, e.g. {v[:3]!r})" for k, v in by_kind.items()]
    minority = min(by_kind, key=lambda k: len(by_kind[k]))
    rows = column.index[row_kind == minority]
    raise ValueError(
        f"{role} {name!r} mixes {' and '.join(parts)} (rule: one type per {role}, so that 5 and '5' cannot become "
        f"two {noun} nor True and 1 one"
        + (f"; here {len(clash)} value(s) such as {clash[:3]} appear as both" if clash else "")
        + f"); convert it, e.g. df[{name!r}].astype(str); the minority type is at rows {_rows_text(rows)}"
    )
