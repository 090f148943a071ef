"""PPML separation by the regressors and fixed effects: ppmlhdfe's iterative rectifier (internals of :class:`~.models.Fepois`).

Poisson pseudo-maximum likelihood has no finite estimate when some
observations are *separated*: a linear combination ``z = X b + D a`` of the
regressors and fixed-effect dummies with ``z = 0`` wherever ``y > 0`` and
``z >= 0`` wherever ``y = 0``, ``z > 0`` somewhere (Santos Silva & Tenreyro
2010; Correia, Guimarães & Zylkin 2019, "Verifying the existence of maximum
likelihood estimates for generalized linear models", arXiv:1903.01633). The
separated observations (``z > 0``) have ``mu -> 0``; dropping them leaves the
estimates of the other coefficients unchanged and makes them finite. A
regressor positive only where ``y = 0`` is the simplest case; a fixed-effect
level whose outcomes are all zero is another (:func:`~.sample.separation_fe_mask`).

:func:`separation_relu_mask` is the iterative rectifier ("ReLU") of
Correia, Guimarães & Zylkin (2019, section 4.2; ppmlhdfe's
``separation(ir)``, pyfixest's ``separation_check=["ir"]``): start from
``u = 1{y = 0}``; regress ``u`` on X and the fixed effects by weighted least
squares with weight ``K = N_+ / tol^2`` on the ``y > 0`` observations and 1
on the others (so the fit is pinned to 0 where ``y > 0``); set fitted values
within ``(-0.1 tol, tol)`` and those of ``y > 0`` rows to zero; stop when
every fitted value is >= 0 (the rows with a positive value are separated),
else replace ``u`` by the rectified fit ``max(fit, 0)`` on the ``y = 0`` rows
and repeat.

The weights do not change between iterations, so X is demeaned once and its
weighted least-squares projection factorised once (SVD, rank-revealing:
collinear regressors are harmless); each iteration demeans only ``u``.
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np

from jaxtrade.empirics.fixest.demean import DEFAULT_MAXITER, DEFAULT_TOL, demean
from jaxtrade.errors import SolverInfo, combine_info, solver_info

__all__ = [
    "RELU_MAXITER",
    "RELU_TOL",
    "SEPARATION_METHODS",
    "Separation",
    "SeparationRelu",
    "separation_methods",
    "separation_relu_mask",
]

SEPARATION_METHODS = ("fe", "ir")
"""The separation checks of ``fepois``: fixed effects, iterative rectifier (pyfixest's names)."""

RELU_TOL = 1e-4
"""Tolerance of the iterative rectifier (pyfixest's ``_check_for_separation_ir`` default)."""
RELU_MAXITER = 100
"""Iteration cap of the iterative rectifier (pyfixest's default)."""


@dataclasses.dataclass(frozen=True)
class SeparationRelu:
    """What :func:`separation_relu_mask` returns.

    Attributes
    ----------
    mask : (N,) bool, the separated observations (all False unless ``info.converged``).
    info : SolverInfo: iterations, residual (the largest negative part of the
        fit on the ``y = 0`` rows at the last iteration) and converged.
    """

    mask: np.ndarray
    info: SolverInfo
    demeaned: bool = True

    @property
    def why(self) -> str:
        """Why the rectifier failed, in words ('' when it converged)."""
        if bool(self.info.converged):
            return ""
        if not self.demeaned:
            return "its weighted demeaning did not converge (raise fixef_maxiter or loosen fixef_tol)"
        return f"{int(self.info.iterations)} iterations without meeting its tolerance ({self.info.reason})"


@dataclasses.dataclass(frozen=True)
class Separation:
    """The separation checks of one PPML fit (``result.separation``).

    Attributes
    ----------
    methods : the checks run (``"fe"``, ``"ir"``).
    n_fe : observations dropped by the fixed-effect check.
    n_ir : further observations dropped by the iterative rectifier (regressors and fixed effects).
    ir_info : SolverInfo of the iterative rectifier, None when it did not run
        (not requested, or no zero outcome).
    """

    methods: tuple[str, ...]
    n_fe: int = 0
    n_ir: int = 0
    ir_info: SolverInfo | None = None

    @property
    def n_separated(self) -> int:
        """Observations dropped by all checks together (``result.n_separation``)."""
        return self.n_fe + self.n_ir


def separation_methods(check) -> tuple[str, ...]:
    """The checks of ``fepois(separation_check=...)`` as a tuple of :data:`SEPARATION_METHODS`.

    ``True`` (default) is both checks, as ppmlhdfe; ``False`` or ``[]`` none;
    a string or a sequence of ``"fe"``/``"ir"`` those (pyfixest's names).

    Examples
    --------
    >>> separation_methods(True), separation_methods(False), separation_methods(["ir"])
    (('fe', 'ir'), (), ('ir',))
    """
    if isinstance(check, (bool, np.bool_)):
        return SEPARATION_METHODS if check else ()
    items = [check] if isinstance(check, str) else check
    try:
        items = list(items)
    except TypeError:
        raise ValueError(
            f"separation_check must be True, False or a list of {list(SEPARATION_METHODS)}, got {check!r}"
        ) from None
    bad = [m for m in items if m not in SEPARATION_METHODS]
    if bad:
        raise ValueError(f"separation_check: unknown method(s) {bad!r}; choose among {list(SEPARATION_METHODS)}")
    return tuple(m for m in SEPARATION_METHODS if m in items)


def _weighted_projection(A: np.ndarray):
    """Orthonormal basis of the column space of ``A`` (thin SVD, numerical rank)."""
    if A.shape[1] == 0:
        return A
    U, s, _ = np.linalg.svd(A, full_matrices=False)
    if not s.size or s[0] == 0:
        return U[:, :0]
    rank = int(np.sum(s > s[0] * max(A.shape) * np.finfo(np.float64).eps))
    return U[:, :rank]


def separation_relu_mask(
    y: np.ndarray,
    X: np.ndarray,
    fe_codes: list[np.ndarray],
    *,
    n_groups: tuple[int, ...] | None = None,
    tol: float = RELU_TOL,
    maxiter: int = RELU_MAXITER,
    fixef_tol: float = DEFAULT_TOL,
    fixef_maxiter: int = DEFAULT_MAXITER,
) -> SeparationRelu:
    """Observations separated by the regressors ``X`` and the fixed effects (iterative rectifier).

    Parameters
    ----------
    y : (N,) non-negative outcome.
    X : (N, k) regressors (with the intercept column when the model has one).
    fe_codes : dense codes of each fixed effect (may be empty).
    n_groups : levels of each fixed effect.
    tol, maxiter : the rectifier's tolerance and iteration cap (see the module docstring).
    fixef_tol, fixef_maxiter : tolerance and cap of the weighted demeaning of each iteration.

    Returns
    -------
    SeparationRelu
        ``mask`` of separated rows; ``info`` with iterations, residual and
        converged. When the rectifier does not converge nothing is marked.

    Examples
    --------
    ``x`` is positive only where ``y = 0``: those two rows are separated.

    >>> y = np.array([0.0, 0.0, 1.0, 2.0, 0.0, 3.0])
    >>> X = np.column_stack([np.ones(6), [1.0, 2.0, 0.0, 0.0, 0.0, 0.0]])
    >>> sep = separation_relu_mask(y, X, [])
    >>> sep.mask.tolist(), bool(sep.info.converged)
    ([True, True, False, False, False, False], True)
    """
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    boundary = y == 0
    if not boundary.any():
        return SeparationRelu(np.zeros(n, dtype=bool), solver_info(jnp.asarray(0), jnp.asarray(0.0), tol))
    n_interior = int(n - boundary.sum())
    omega = np.where(boundary, 1.0, max(n_interior, 1) / tol**2)
    sqrt_w = np.sqrt(omega)
    u = boundary.astype(np.float64)
    infos = []
    w_dev = jnp.asarray(omega)
    groups = [np.asarray(c) for c in fe_codes]
    if groups:
        ng = tuple(int(g) for g in n_groups) if n_groups is not None else tuple(int(c.max()) + 1 for c in groups)
        sol = demean(np.column_stack([u, X]), groups, w_dev, n_groups=ng, tol=fixef_tol, maxiter=fixef_maxiter,
                     throw=False)  # fmt: skip
        infos.append(sol.info)
        demeaned = np.asarray(sol.value)
        u_dm, X_dm = demeaned[:, 0], demeaned[:, 1:]
    else:
        u_dm, X_dm = u, np.asarray(X, dtype=np.float64)
    basis = _weighted_projection(X_dm * sqrt_w[:, None])
    fit = np.zeros(n)
    residual = np.inf
    iterations = 0
    while iterations < maxiter:
        iterations += 1
        if iterations > 1:
            if groups:
                sol = demean(u, groups, w_dev, n_groups=ng, tol=fixef_tol, maxiter=fixef_maxiter, throw=False)
                infos.append(sol.info)
                u_dm = np.asarray(sol.value)
            else:
                u_dm = u
        b = u_dm * sqrt_w
        resid = u_dm - (basis @ (basis.T @ b)) / sqrt_w
        fit = u - resid
        fit[~boundary] = 0.0
        negative = fit[boundary]
        residual = float(max(0.0, -negative.min()))
        fit[(fit >= -0.1 * tol) & (fit < tol)] = 0.0
        if residual <= 0.1 * tol:  # every fitted value is now >= 0
            break
        u = np.where(boundary, np.maximum(fit, 0.0), 0.0)
    # converged: the largest negative part of the fit is within 0.1 tol (the definition of solver_info)
    info = combine_info(solver_info(jnp.asarray(iterations, jnp.int32), jnp.asarray(residual), 0.1 * tol), *infos)
    demean_ok = all(bool(i.converged) for i in infos)
    if not bool(info.converged):
        return SeparationRelu(np.zeros(n, dtype=bool), info, demean_ok)
    return SeparationRelu(fit > 0, info, demean_ok)
