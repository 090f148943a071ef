"""Regressors collinear with each other or with the fixed effects (internals of :mod:`.models`).

fixest's test: a pivot-free Cholesky factorisation of ``X'X`` of the
demeaned X; a column whose squared pivot is below ``collin_tol`` is
dropped, with a warning naming it. fixest runs it on X in its own units, so
exact collinearity among regressors of size 1e8 goes unseen (the rounding
left in a pivot is of order 1e16 eps) while a genuine regressor of size
1e-6 is dropped (its pivot is of order 1e-12 N). Here the columns are first
divided by their typical size (:func:`column_scale`: the root mean square
of the column before demeaning, centred when the model has fixed effects),
so the test runs on the standardised ``X'X`` and does not depend on the
units; for regressors of unit size it is fixest's test.
"""

from __future__ import annotations

import numpy as np

from jaxtrade.empirics.fixest.warn import warn_user

__all__ = ["collinear_columns", "column_scale", "find_collinear"]


def column_scale(X: np.ndarray, names: list[str], centered: bool) -> np.ndarray:
    """Typical size of each column of ``X`` (before demeaning): its root mean square.

    Parameters
    ----------
    X : (N, k) ndarray
        The regressors in the data's units.
    names : list of str
        Their names (for the error message).
    centered : bool
        Centre each column first (models with fixed effects, which absorb the
        mean): a column is then collinear with the fixed effects when its
        demeaned part is negligible next to its variation, whatever its mean.

    Returns
    -------
    (k,) ndarray
        Zero for a constant (``centered``) or all-zero column.

    Raises
    ------
    ValueError
        If a column is so large that its squares overflow.

    Examples
    --------
    >>> column_scale(np.array([[1.0, 2e8], [1.0, 4e8]]), ["a", "b"], centered=True).tolist()
    [0.0, 100000000.0]
    """
    out = np.empty(X.shape[1])
    with np.errstate(over="ignore", invalid="ignore"):
        for j in range(X.shape[1]):
            col = X[:, j]
            if centered:
                col = col - col.mean()
            out[j] = np.sqrt(np.mean(col * col))
    bad = [n for n, v in zip(names, out, strict=True) if not np.isfinite(v)]
    if bad:
        raise ValueError(f"regressor(s) {bad} are too large: their cross-products X'X overflow; rescale them")
    return out


def find_collinear(xtx: np.ndarray, tol: float, scale: np.ndarray | None = None) -> np.ndarray:
    """Flag columns collinear with earlier ones (fixest's pivot-free Cholesky test).

    Parameters
    ----------
    xtx : (k, k) ndarray
        Cross-product ``X'X``.
    tol : float
        A column is dropped when its squared Cholesky pivot is below ``tol``.
    scale : (k,) ndarray, optional
        Typical size of each column (:func:`column_scale`): the test runs on
        ``X'X`` of the columns divided by it (scale-invariant); a column of
        scale zero is dropped. None: ``X'X`` as given (fixest).

    Returns
    -------
    (k,) bool ndarray
        True for dropped columns.

    Examples
    --------
    >>> X = np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 1.0], [1.0, 2.0, 1.0]])
    >>> find_collinear(X.T @ X, 1e-9).tolist()
    [False, True, False]
    >>> find_collinear((1e8 * X).T @ (1e8 * X), 1e-9, scale=np.full(3, 1e8)).tolist()
    [False, True, False]
    """
    xtx = np.asarray(xtx, dtype=np.float64)
    k = xtx.shape[0]
    excluded = np.zeros(k, dtype=bool)
    if scale is not None:
        scale = np.asarray(scale, dtype=np.float64)
        excluded = ~(scale > 0)
        safe = np.where(excluded, 1.0, scale)
        xtx = xtx / np.outer(safe, safe)
    R = np.zeros((k, k))
    for j in range(k):
        if excluded[j]:
            continue
        r_jj = xtx[j, j] - sum(R[i, j] ** 2 for i in range(j) if not excluded[i])
        if r_jj < tol:
            excluded[j] = True
            continue
        r_jj = np.sqrt(r_jj)
        R[j, j] = r_jj
        for i2 in range(j + 1, k):
            value = xtx[i2, j] - sum(R[i, i2] * R[i, j] for i in range(j) if not excluded[i])
            R[j, i2] = value / r_jj
    return excluded


def collinear_columns(
    xtx: np.ndarray, names: list[str], tol: float, scale: np.ndarray | None = None
) -> tuple[np.ndarray, list[str], list[str]]:
    """Collinear columns from the cross-product ``X'X`` (:func:`find_collinear`), warning with their names.

    Returns
    -------
    excluded : (k,) bool ndarray
    kept : list of str
        Names of the kept columns.
    dropped : list of str
        Names of the dropped columns.

    Raises
    ------
    ValueError
        If ``X'X`` is not finite (overflow) or every regressor is collinear.
    """
    xtx = np.asarray(xtx)
    if not np.all(np.isfinite(xtx)):
        raise ValueError(f"the cross-products X'X of the regressors {names} overflow (not finite); rescale them")
    excluded = find_collinear(xtx, tol, scale)
    if excluded.all():
        raise ValueError(f"all regressors {names} are collinear (with each other or the fixed effects)")
    dropped = [n for n, e in zip(names, excluded, strict=True) if e]
    if dropped:
        warn_user(f"{len(dropped)} variable(s) dropped because of collinearity: {dropped}")
    kept_names = [n for n, e in zip(names, excluded, strict=True) if not e]
    return excluded, kept_names, dropped
