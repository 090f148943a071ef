"""Regressors collinear with each other or with the fixed effects (internals of :mod:`.models`).

fixest's test: a pivot-free Cholesky factorisation of ``X'X`` of the
demeaned X; a column whose squared pivot is below ``collin_tol`` is
dropped, with a warning naming it.
"""

from __future__ import annotations

import numpy as np

from jaxtrade.empirics.fixest.warn import warn_user

__all__ = ["collinear_columns", "find_collinear"]


def find_collinear(xtx: np.ndarray, tol: float) -> np.ndarray:
    """Flag columns collinear with earlier ones (fixest's pivot-free Cholesky test).

    Parameters
    ----------
    xtx : (k, k) ndarray
        Cross-product ``X'X``.
    tol : float
        A column is dropped when its squared Cholesky pivot is below ``tol``.

    Returns
    -------
    (k,) bool ndarray
        True for dropped columns.

    Examples
    --------
    >>> X = np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 1.0], [1.0, 2.0, 1.0]])
    >>> find_collinear(X.T @ X, 1e-9).tolist()
    [False, True, False]
    """
    k = xtx.shape[0]
    R = np.zeros((k, k))
    excluded = np.zeros(k, dtype=bool)
    for j in range(k):
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


def collinear_columns(xtx: np.ndarray, names: list[str], tol: float) -> tuple[np.ndarray, list[str], list[str]]:
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
        If every regressor is collinear.
    """
    excluded = find_collinear(np.asarray(xtx), tol)
    if excluded.all():
        raise ValueError(f"all regressors {names} are collinear (with each other or the fixed effects)")
    dropped = [n for n, e in zip(names, excluded, strict=True) if e]
    if dropped:
        warn_user(f"{len(dropped)} variable(s) dropped because of collinearity: {dropped}")
    kept_names = [n for n, e in zip(names, excluded, strict=True) if not e]
    return excluded, kept_names, dropped
