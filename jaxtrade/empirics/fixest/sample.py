"""The estimation sample of a fixed-effects regression and its row drops (internals of :mod:`.models`).

As fixest/pyfixest, the sample of one model is built in three steps:

1. evaluate the dependent variable and the regressors on the data (float64),
   into one ``(N, 1 + k)`` array ``[y, X]``;
2. drop rows with NaN/inf in any used column (dependent variable,
   regressors, fixed effects, weights, cluster variables) and count them,
   then rows of zero weight (as fixest: they do not contribute to the fit,
   so they leave N, the degrees of freedom and the vcov);
3. with ``fixef_rm="singleton"`` drop, iteratively, observations alone in a
   fixed-effect level (:func:`singleton_mask`).

PPML adds the separation check (:func:`separation_fe_mask`): observations in
fixed-effect levels whose outcome is zero throughout are removed.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from jaxtrade.empirics.fixest.encode import compact_codes
from jaxtrade.empirics.fixest.formula import (
    Formula,
    Term,
    check_columns,
    encode_fixed_effect,
    evaluate_term,
    fixed_effect_missing,
)
from jaxtrade.empirics.fixest.vcov import VcovSpec
from jaxtrade.empirics.fixest.warn import warn_user
from jaxtrade.empirics.literals import FixefRm, check_literal

__all__ = ["Sample", "build_sample", "cluster_codes_for", "separation_fe_mask", "singleton_mask"]


@dataclasses.dataclass(frozen=True)
class Sample:
    """The estimation sample of one model after all row drops.

    Attributes
    ----------
    yx : (N, 1 + k) float64, C-contiguous
        The dependent variable then the regressors, built once (the array the
        demeaning takes, no stacking copy).
    coefnames : list of str
        Names of the columns of X (``Intercept`` first when the model has one).
    weights : (N,) float64
        Observation weights (ones if none).
    has_weights : bool
        Whether the model has a weights column.
    has_intercept : bool
        Whether X holds an ``Intercept`` column (no fixed effects, no ``0 +``).
    fe_codes : list of (N,) int32
        Dense codes per fixed effect.
    fe_names : list of str
        Fixed-effect names (``a^b`` for combined effects).
    rows : (N,) int
        Positions of the sample rows in the input data.
    n_dropped : int
        Rows dropped for NaN/inf.
    n_zero_weights : int
        Rows dropped for a zero weight.
    n_singletons : int
        Rows dropped as singletons.
    n_separation : int
        Rows dropped by the PPML separation check.
    """

    yx: np.ndarray
    coefnames: list[str]
    weights: np.ndarray
    has_weights: bool
    has_intercept: bool
    fe_codes: list[np.ndarray]
    fe_names: list[str]
    rows: np.ndarray
    n_dropped: int
    n_zero_weights: int = 0
    n_singletons: int = 0
    n_separation: int = 0

    @property
    def y(self) -> np.ndarray:
        """(N,) dependent variable (a view of ``yx``)."""
        return self.yx[:, 0]

    @property
    def X(self) -> np.ndarray:
        """(N, k) regressors (a view of ``yx``)."""
        return self.yx[:, 1:]

    @property
    def n_groups(self) -> tuple[int, ...]:
        """Levels of each fixed effect."""
        return tuple(int(c.max()) + 1 for c in self.fe_codes)

    def subset(self, keep: np.ndarray) -> Sample:
        """Keep rows where ``keep`` is True and re-encode the fixed effects densely."""
        fe = [compact_codes(c[keep], n)[0] for c, n in zip(self.fe_codes, self.n_groups, strict=True)]
        return dataclasses.replace(
            self, yx=self.yx[keep], weights=self.weights[keep], fe_codes=fe, rows=self.rows[keep]
        )

    def without_design(self) -> Sample:
        """The same sample keeping only ``y`` (own copy), so the (N, k) design can be freed.

        What a fitted result keeps for ``result.vcov(...)``, which needs the
        rows, fixed-effect codes and N but not the regressors.
        """
        return dataclasses.replace(self, yx=np.array(self.yx[:, :1]))


def singleton_mask(fe_codes: list[np.ndarray]) -> np.ndarray:
    """Rows that are (iteratively) alone in a level of some fixed effect.

    Dropping a singleton can create new singletons in another fixed effect;
    the loop repeats until none is left, as fixest and pyfixest do. The
    level counts are formed once (one ``bincount`` per fixed effect) and
    then decremented by the rows dropped in each round; the rows are
    scanned only for fixed effects with a level of one row (none: no scan,
    the usual case), and a later round only when some level fell to one
    row, so the usual last round costs nothing.

    Examples
    --------
    >>> singleton_mask([np.array([0, 0, 1]), np.array([0, 1, 1])]).tolist()
    [True, True, True]
    >>> singleton_mask([np.array([0, 0, 1, 1])]).tolist()
    [False, False, False, False]
    """
    n = len(fe_codes[0])
    counts = [np.bincount(codes, minlength=int(codes.max()) + 1 if n else 0) for codes in fe_codes]
    dropped = np.zeros(n, dtype=bool)
    new = np.zeros(n, dtype=bool)
    for codes, count in zip(fe_codes, counts, strict=True):
        single = count == 1
        if single.any():  # (no level of one row, the usual case: no pass over the rows)
            new |= single[codes]
    rows = np.flatnonzero(new)
    while len(rows):
        dropped[rows] = True
        fresh: np.ndarray | None = None
        for codes, count in zip(fe_codes, counts, strict=True):
            levels = codes[rows]
            count -= np.bincount(levels, minlength=len(count))
            single = np.zeros(len(count), dtype=bool)
            single[levels] = True
            single &= count == 1  # levels that just fell to one row
            if single.any():
                hit = single[codes] & ~dropped
                fresh = hit if fresh is None else fresh | hit
        rows = np.flatnonzero(fresh) if fresh is not None else rows[:0]
    return dropped


def separation_fe_mask(y: np.ndarray, fe_codes: list[np.ndarray]) -> np.ndarray:
    """Rows in a fixed-effect level whose outcome is zero for every observation.

    Such levels make the Poisson likelihood maximised at a fixed effect of
    minus infinity; as ppmlhdfe/pyfixest ("fe" check) the rows are removed.

    Examples
    --------
    >>> separation_fe_mask(np.array([0.0, 0.0, 1.0, 2.0]), [np.array([0, 0, 1, 1])]).tolist()
    [True, True, False, False]
    """
    drop = np.zeros(len(y), dtype=bool)
    if np.all(y > 0):
        return drop
    positive = (y > 0).astype(np.float64)
    for codes in fe_codes:
        n_pos = np.bincount(codes, weights=positive, minlength=int(codes.max()) + 1)
        drop |= n_pos[codes] == 0
    return drop


def _design(formula: Formula, depvar: Term, data: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """``[y, X]`` as one (N, 1 + k) float64 array, filled column by column (no list of columns, no stacking copy)."""
    names = (["Intercept"] if formula.intercept else []) + [term.name for term in formula.regressors]
    if not names:
        raise ValueError(f"formula {formula.text!r} has no regressors to estimate")
    yx = np.empty((len(data), 1 + len(names)))
    yx[:, 0] = evaluate_term(depvar, data)
    col = 1
    if formula.intercept:
        yx[:, col] = 1.0
        col += 1
    for term in formula.regressors:
        yx[:, col] = evaluate_term(term, data)
        col += 1
    return yx, names


def _finite_rows(yx: np.ndarray) -> np.ndarray:
    """Rows of ``yx`` without NaN/inf: one pass over the whole array when all are finite (the usual case)."""
    if np.isfinite(yx).all():
        return np.ones(len(yx), dtype=bool)
    keep = np.isfinite(yx[:, 0])
    for j in range(1, yx.shape[1]):  # column by column: faster than all(axis=1) over short rows
        keep &= np.isfinite(yx[:, j])
    return keep


def _complete_rows(
    formula: Formula, yx: np.ndarray, data: pd.DataFrame, weights: str | None, cluster_cols: list[str]
) -> tuple[np.ndarray, np.ndarray | None, int]:
    """Rows without NaN/inf in any used column and of positive weight, the weights (None without), zero-weight rows.

    Raises
    ------
    ValueError
        Non-numeric or negative weights, or every weight zero.
    """
    keep = _finite_rows(yx)
    for fe in formula.fixed_effects:
        keep &= ~fixed_effect_missing(fe, data)
    for col in cluster_cols:
        keep &= ~fixed_effect_missing((col,), data)  # NaN, or ±inf in a float column
    if weights is None:
        return keep, None, 0
    column = data[weights]
    if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)):
        raise ValueError(f"weights column {weights!r} must be numeric, got dtype {column.dtype}")
    w = column.to_numpy(dtype=np.float64, na_value=np.nan)
    keep &= np.isfinite(w)
    if np.any(w[keep] < 0):
        raise ValueError(f"weights column {weights!r} must be non-negative (it has negative values)")
    zero = keep & (w == 0)
    n_zero = int(zero.sum())
    if n_zero and n_zero == int(keep.sum()):
        raise ValueError(f"weights column {weights!r} is zero for every observation of the sample")
    return keep & ~zero, w, n_zero


def _check_unique_columns(data: pd.DataFrame, used: list[str]) -> None:
    """Raise ValueError naming the columns the model uses that appear more than once in ``data``."""
    duplicated = set(data.columns[data.columns.duplicated()])
    repeated = [c for c in dict.fromkeys(used) if c in duplicated]
    if repeated:
        raise ValueError(f"column name(s) {repeated} appear more than once in the data; rename or drop the copies")


def _drop_singletons(sample: Sample) -> Sample:
    """Step 3: drop fixed-effect singletons, iteratively, with a warning giving their count."""
    single = singleton_mask(sample.fe_codes)
    if not single.any():
        return sample
    n_single = int(single.sum())
    if n_single == len(single):
        raise ValueError(f"empty sample: all {len(single)} observations are fixed-effect singletons")
    warn_user(f"{n_single} singleton fixed effect(s) dropped from the model.")
    return dataclasses.replace(sample.subset(~single), n_singletons=n_single)


def build_sample(
    formula: Formula,
    depvar: Term,
    data: pd.DataFrame,
    *,
    weights: str | None,
    vcov_spec: VcovSpec,
    fixef_rm: FixefRm,
) -> Sample:
    """Evaluate the model's columns on ``data`` and apply the row drops (steps 1-3 of this module).

    Raises
    ------
    ValueError
        Unknown or duplicated column, non-numeric regressor, non-numeric,
        negative or all-zero weights, bad ``fixef_rm``, or an empty sample
        after dropping.

    Warns
    -----
    UserWarning
        When rows of zero weight or fixed-effect singletons are dropped.
    """
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    check_literal("fixef_rm", fixef_rm, FixefRm)
    cluster_cols = [c for cl in vcov_spec.cluster for c in cl]
    check_columns(formula, data, {"weights": weights, **{f"cluster ({c})": c for c in cluster_cols}})
    _check_unique_columns(data, [*formula.columns, *([weights] if weights else []), *cluster_cols])

    n_total = len(data)
    yx, names = _design(formula, depvar, data)
    keep, w, n_zero = _complete_rows(formula, yx, data, weights, cluster_cols)
    n_kept = int(keep.sum())
    if not n_kept:
        raise ValueError(f"empty sample: all {n_total} rows have NaN/inf in a column used by {formula.text!r}")
    if n_zero:
        warn_user(f"{n_zero} observation(s) with zero weight removed from the model.")
    if n_kept == n_total:
        rows = np.arange(n_total)
    else:
        rows = np.flatnonzero(keep)
        yx = yx[rows]
        w = None if w is None else w[rows]
    del keep
    sample = Sample(
        yx=yx,
        coefnames=names,
        weights=np.ones(len(rows)) if w is None else w,
        has_weights=weights is not None,
        has_intercept=formula.intercept,
        fe_codes=[encode_fixed_effect(fe, data, rows) for fe in formula.fixed_effects],
        fe_names=formula.fe_names,
        rows=rows,
        n_dropped=int(n_total - n_kept - n_zero),
        n_zero_weights=n_zero,
    )
    if sample.fe_codes and fixef_rm == "singleton":
        sample = _drop_singletons(sample)
    return sample


def cluster_codes_for(
    spec: VcovSpec, data: pd.DataFrame, rows: np.ndarray, known: dict | None = None
) -> tuple[list, list]:
    """Integer codes of each cluster variable on the sample rows.

    ``known`` maps names (``a^b``) to codes already computed on the same
    rows (the fixed effects), which are reused instead of re-encoding.
    """
    if spec.kind != "CRV1":
        return [], []
    codes, names = [], []
    for cl in spec.cluster:
        name = "^".join(cl)
        if known and name in known:
            codes.append(known[name])
            names.append(name)
            continue
        for col in cl:
            if col not in data.columns:
                raise ValueError(f"cluster column {col!r} is not in the data")
            if fixed_effect_missing((col,), data)[rows].any():
                raise ValueError(f"cluster column {col!r} has missing (NaN or ±inf) values in the estimation sample")
        codes.append(encode_fixed_effect(cl, data, rows))
        names.append("^".join(cl))
    return codes, names
