"""Parse fixest-style regression formulas.

Supported syntax (a subset of fixest / pyfixest)::

    y ~ x1 + x2                       # OLS with an intercept
    y ~ x1 + x2 | fe1 + fe2           # fixed effects projected out (no intercept)
    y ~ x1 + x1:x2 | fe1^fe2 + fe3    # numeric interaction, combined fixed effect
    log(y) ~ log(x1) + x2 | fe1       # log / exp / sqrt transforms of a column
    y1 + y2 ~ x1 | fe1                # several dependent variables
    y ~ 0 + x1                        # no intercept ("-1" works too)

Each term of the right-hand side is a product (``:``) of factors and each
factor is either a column name or ``f(column)`` with ``f`` one of
:data:`TRANSFORMS`. The parsed :class:`Formula` is evaluated on a DataFrame
by :func:`evaluate_term` and :func:`encode_fixed_effect`.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd

from jaxtrade.empirics.fixest.encode import combine_codes, encode_column
from jaxtrade.empirics.fixest.warn import warn_user

TRANSFORMS = {"log": np.log, "exp": np.exp, "sqrt": np.sqrt}
"""Element-wise transforms allowed around a column name in a formula."""

_FACTOR_RE = re.compile(r"^(?:(?P<fn>[A-Za-z_]\w*)\((?P<arg>[^()]+)\)|(?P<col>[^()]+))$")


@dataclasses.dataclass(frozen=True)
class Term:
    """A product of factors, e.g. ``log(x1):x2``.

    Attributes
    ----------
    factors : tuple of (transform name or None, column name)
    """

    factors: tuple[tuple[str | None, str], ...]

    @property
    def name(self) -> str:
        """The coefficient name, as fixest prints it (``log(x1):x2``)."""
        return ":".join(f"{fn}({col})" if fn else col for fn, col in self.factors)

    @property
    def columns(self) -> list[str]:
        """The data columns the term reads."""
        return [col for _, col in self.factors]


@dataclasses.dataclass(frozen=True)
class Formula:
    """A parsed fixest formula.

    Attributes
    ----------
    depvars : tuple of Term, one per dependent variable.
    regressors : tuple of Term, the right-hand side terms (no intercept).
    intercept : bool, whether an intercept column is added (never with
        fixed effects).
    fixed_effects : tuple of tuple of str, one tuple of column names per
        fixed effect (more than one name for combined effects ``a^b``).
    text : the original formula string.
    """

    depvars: tuple[Term, ...]
    regressors: tuple[Term, ...]
    intercept: bool
    fixed_effects: tuple[tuple[str, ...], ...]
    text: str

    @property
    def fe_names(self) -> list[str]:
        """Fixed-effect names as fixest prints them (``a^b``)."""
        return ["^".join(fe) for fe in self.fixed_effects]

    @property
    def columns(self) -> list[str]:
        """Every data column the formula reads (no duplicates, in order)."""
        cols: list[str] = []
        for term in (*self.depvars, *self.regressors):
            cols += term.columns
        for fe in self.fixed_effects:
            cols += list(fe)
        return list(dict.fromkeys(cols))


def _split_top_level(text: str, sep: str) -> list[str]:
    """Split ``text`` on ``sep`` outside of parentheses."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise ValueError(f"formula has an unbalanced ')': {text!r}")
        if ch == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if depth != 0:
        raise ValueError(f"formula has an unbalanced '(': {text!r}")
    parts.append("".join(current))
    return [p.strip() for p in parts]


def _parse_term(text: str, where: str) -> Term:
    factors = []
    for raw in text.split(":"):
        raw = raw.strip()
        match = _FACTOR_RE.match(raw)
        if not raw or match is None:
            raise ValueError(f"cannot parse term {text!r} in the {where} of the formula")
        if match.group("fn"):
            fn, col = match.group("fn"), match.group("arg").strip()
            if fn not in TRANSFORMS:
                raise ValueError(f"unsupported transform {fn}() in term {text!r}; supported: {sorted(TRANSFORMS)}")
            factors.append((fn, col))
        else:
            factors.append((None, match.group("col").strip()))
    return Term(tuple(factors))


def parse_formula(fml: str) -> Formula:
    """Parse ``"y ~ x1 + x2 | fe1 + fe2"`` into a :class:`Formula`.

    Parameters
    ----------
    fml : str
        The formula. ``|`` separates the fixed effects; ``a^b`` is the
        combined (interacted) fixed effect; ``x1:x2`` the product of two
        numeric columns; ``log(x)``, ``exp(x)``, ``sqrt(x)`` transform a
        column; ``0`` or ``-1`` on the right drops the intercept.

    Returns
    -------
    Formula

    Raises
    ------
    ValueError
        If the formula lacks ``~``, has more than one ``|`` (IV is not
        supported), or a term cannot be parsed.

    Warns
    -----
    UserWarning
        For a repeated fixed effect (``f + f``, ``a^b + b^a``), which is kept
        once, so the degrees of freedom count it once (pyfixest's result).
    """
    if not isinstance(fml, str):
        raise TypeError(f"formula must be a string, got {type(fml).__name__}")
    if fml.count("~") != 1:
        raise ValueError(f"formula must contain exactly one '~': {fml!r}")
    lhs, rhs = fml.split("~")
    parts = _split_top_level(rhs, "|")
    if len(parts) > 2:
        raise ValueError(f"formula {fml!r} has more than one '|': instrumental variables are not supported")
    main, fe_part = parts[0], (parts[1] if len(parts) == 2 else "")

    depvars = tuple(_parse_term(t, "left-hand side") for t in _split_top_level(lhs, "+"))
    if any(not t.factors for t in depvars) or not lhs.strip():
        raise ValueError(f"formula {fml!r} has no dependent variable")

    intercept = True
    regressors: list[Term] = []
    main = re.sub(r"-\s*1\b", "+ 0", main).strip()
    if main.startswith("+"):
        main = main[1:]
    for raw in _split_top_level(main, "+"):
        if raw == "":
            raise ValueError(f"empty term on the right-hand side of formula {fml!r}")
        if raw == "1":
            continue
        if raw == "0":
            intercept = False
            continue
        term = _parse_term(raw, "right-hand side")
        if term not in regressors:
            regressors.append(term)

    fixed_effects: list[tuple[str, ...]] = []
    if fe_part:
        for raw in _split_top_level(fe_part, "+"):
            if raw in ("", "0"):
                continue
            cols = tuple(c.strip() for c in raw.split("^"))
            if any(not c or not re.match(r"^[^()]+$", c) for c in cols):
                raise ValueError(f"cannot parse fixed effect {raw!r} in formula {fml!r}")
            if any(sorted(cols) == sorted(prev) for prev in fixed_effects):
                # the same partition of the rows (``f + f``, ``a^b + b^a``): count it once in the dof
                warn_user(f"fixed effect {raw!r} is repeated in formula {fml!r}; it is used once")
                continue
            fixed_effects.append(cols)
    if fixed_effects:
        intercept = False
    return Formula(
        depvars=depvars,
        regressors=tuple(regressors),
        intercept=intercept,
        fixed_effects=tuple(fixed_effects),
        text=fml,
    )


def check_columns(formula: Formula, data: pd.DataFrame, extra: dict[str, str | None]) -> None:
    """Raise ValueError naming the first column the model needs that ``data`` lacks.

    Parameters
    ----------
    formula : Formula
    data : pandas.DataFrame
    extra : mapping of role (``"weights"``, ``"cluster"``) to column name.
    """
    for col in formula.columns:
        if col not in data.columns:
            raise ValueError(f"column {col!r} used in formula {formula.text!r} is not in the data")
    for role, name in extra.items():
        if name is not None and name not in data.columns:
            raise ValueError(f"{role} column {name!r} is not in the data")


def evaluate_term(term: Term, data: pd.DataFrame) -> np.ndarray:
    """Evaluate a term on ``data`` as a float64 vector (NaN/inf kept).

    Raises
    ------
    ValueError
        If a column is not numeric.
    """
    out: np.ndarray | None = None
    for fn, col in term.factors:
        series = data[col]
        if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
            raise ValueError(f"column {col!r} in term {term.name!r} must be numeric, got dtype {series.dtype}")
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        if fn is not None:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                values = TRANSFORMS[fn](values)
        out = values if out is None else out * values
    assert out is not None  # a parsed term has at least one factor
    return out


def fixed_effect_missing(fe: tuple[str, ...], data: pd.DataFrame) -> np.ndarray:
    """Boolean mask of rows where any column of a (combined) fixed effect is missing: NaN/None, or ±inf in a float column.

    ±inf is not a level: such rows are dropped and counted like NaN rows (``n_dropped``), as documented.
    """
    mask = np.zeros(len(data), dtype=bool)
    for col in fe:
        column = data[col]
        if not can_be_missing(column):
            continue
        mask |= column.isna().to_numpy()
        if pd.api.types.is_float_dtype(column.dtype):
            mask |= np.isinf(column.to_numpy(dtype=np.float64, na_value=np.nan))
    return mask


def can_be_missing(series: pd.Series) -> bool:
    """False for NumPy integer and boolean columns (no NaN possible: the ``isna`` pass is skipped)."""
    return not (isinstance(series.dtype, np.dtype) and series.dtype.kind in "iub")


def encode_fixed_effect(fe: tuple[str, ...], data: pd.DataFrame, rows: np.ndarray | None = None) -> np.ndarray:
    """Dense int32 codes 0..G-1 of a (combined) fixed effect (:mod:`.encode`).

    Parameters
    ----------
    fe : column names (more than one for a combined effect ``a^b``).
    data : pandas.DataFrame
    rows : optional sorted positions of the rows to encode (no copy of the frame).

    Rows with a missing value must be removed beforehand (by ``rows``).
    Integer labels of a narrow range are numbered in sorted order without
    hashing, other labels by ``pandas.factorize``
    (:func:`~.encode.encode_values`); a combined effect encodes each column
    then the pairs of codes. Inside :func:`~.encode.shared_encodings` each
    column is encoded once.
    """
    codes, n_levels = encode_column(data[fe[0]], rows)
    for col in fe[1:]:
        other, n_other = encode_column(data[col], rows)
        codes, n_levels = combine_codes(codes, n_levels, other, n_other)
    return codes
