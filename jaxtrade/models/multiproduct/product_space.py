"""Bounds of the product grid from the expenditure shares the paper reports (Heo & Kim 2025, section 6).

The paper leaves the product grid [omega_lo, omega_hi] to its unavailable
supplementary appendix but states that "expenditure shares in our model
range from 6% to 18%" (section 6, the s_k of eqs. 35-36). The expenditure
share of product k is the spending on k, home varieties and tariff-inclusive
imports, over D (:func:`~jaxtrade.models.multiproduct.extra_moments`,
``"expenditure_share"``); it depends on the equilibrium through the firm
distribution, so fitting the two bounds to a (min, max) target solves two
equations in two unknowns with one general equilibrium per evaluation.

:func:`fit_product_bounds` does this by damped Newton steps on

    F(omega_lo, omega_hi) = (min_k s_k, max_k s_k) - targets,

with a central-difference Jacobian (step ``fd_step`` in omega units; one
sided at the Pareto scale) and a backtracking line search on ||F||, keeping
omega_min <= omega_lo < omega_hi. It is a host-side loop of eager solves:
every evaluation reuses the compiled :func:`solve_equilibrium` of the grid
shape, so it costs no compilation beyond the solve's own. Finite differences
of a moderate step are used instead of autodiff because at the presets'
taste-shock scale (1e-5) the firm distribution moves in small steps with the
bounds, and a local derivative can be far from the slope over a step.

The root need not be unique: the first product's cell [omega_lo - h/2,
omega_lo + h/2] is clipped at omega_min when omega_lo - h/2 < omega_min,
which makes the largest share non-monotone in omega_lo. The fit converges to
the root near its starting point (the bounds of ``p``).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from jaxtrade.errors import SolverInfo, combine_info, finish, solver_info
from jaxtrade.models.multiproduct.moments import extra_moments
from jaxtrade.models.multiproduct.params import MultiproductParams
from jaxtrade.models.multiproduct.solve import EntryMode, Equilibrium, solve_equilibrium

__all__ = ["PAPER_SHARE_RANGE", "ProductBoundsFit", "expenditure_share_range", "fit_product_bounds"]

#: Section 6 of the paper: "expenditure shares in our model range from 6% to 18%".
PAPER_SHARE_RANGE = (0.06, 0.18)

_WHAT = "product-grid bounds from the expenditure-share range (Heo & Kim 2025, section 6)"


class ProductBoundsFit(eqx.Module):
    """Result of :func:`fit_product_bounds`.

    Attributes
    ----------
    params : the input parameters with the fitted ``omega_lo``, ``omega_hi``.
    omega_lo, omega_hi : the fitted bounds.
    shares : (N,) import-inclusive expenditure shares at the fit.
    share_range : (2,) their minimum and maximum.
    targets : (2,) the targeted minimum and maximum.
    info : :class:`~jaxtrade.errors.SolverInfo`: Newton iterations, max |share range - targets|;
        ``converged`` also requires the last equilibrium solve to have converged.
    """

    params: MultiproductParams
    omega_lo: jax.Array
    omega_hi: jax.Array
    shares: jax.Array
    share_range: jax.Array
    targets: jax.Array
    info: SolverInfo


def expenditure_share_range(p: MultiproductParams, eq: Equilibrium) -> jax.Array:
    """(min_k s_k, max_k s_k) of the import-inclusive expenditure shares of a solved equilibrium.

    Examples
    --------
    >>> from jaxtrade.models.multiproduct import solve_equilibrium, standard_params
    >>> p = standard_params(n_z=11, n_products=4)
    >>> lo, hi = expenditure_share_range(p, solve_equilibrium(p)).tolist()
    >>> 0.0 < lo < 1 / 4 < hi < 1.0
    True
    """
    s = extra_moments(p, eq)["expenditure_share"]
    return jnp.stack([jnp.min(s), jnp.max(s)])


def _check_targets(targets, n_products: int) -> np.ndarray:
    t = np.asarray(targets, dtype=float)
    if t.shape != (2,) or not np.all(np.isfinite(t)):
        raise ValueError(f"targets must be two finite numbers (smallest, largest share), got {targets!r}")
    if not (0.0 < t[0] <= 1.0 / n_products <= t[1] < 1.0) or not t[0] < t[1]:
        raise ValueError(
            f"targets must satisfy 0 < smallest <= 1/n_products = {1.0 / n_products:.4g} <= largest < 1 "
            f"(the shares sum to one), got {t.tolist()}"
        )
    return t


def fit_product_bounds(
    p: MultiproductParams,
    targets=PAPER_SHARE_RANGE,
    *,
    entry: EntryMode = "normalize",
    tol: float = 1e-6,
    max_iter: int = 30,
    fd_step: float = 1e-3,
    max_backtracks: int = 12,
    throw: bool = True,
) -> ProductBoundsFit:
    """Product-grid bounds at which the expenditure shares span ``targets`` (module docstring).

    Parameters
    ----------
    p : MultiproductParams
        Parameters; its ``omega_lo``, ``omega_hi`` are the starting point,
        every other field is held fixed.
    targets : (float, float)
        Smallest and largest expenditure share across products (default the
        paper's 6 % and 18 %, :data:`PAPER_SHARE_RANGE`).
    entry : {"normalize", "fixed_cost"}
        Entry mode of every equilibrium solve (:func:`solve_equilibrium`).
    tol : float
        Convergence when max |share range - targets| <= tol.
    max_iter, max_backtracks : int
        Newton steps and step halvings per step at most.
    fd_step : float
        Finite-difference step of the Jacobian, in omega units.
    throw : bool
        ``True`` (default) raises :class:`~jaxtrade.errors.ConvergenceError`
        when the fit does not converge; ``False``: read ``info``.

    Returns
    -------
    ProductBoundsFit

    Examples
    --------
    >>> from jaxtrade.models.multiproduct import standard_params
    >>> fit = fit_product_bounds(standard_params(n_z=11, n_products=4), (0.16, 0.36), tol=1e-5)
    >>> [round(x, 3) for x in fit.share_range.tolist()], bool(fit.info.converged)
    ([0.16, 0.36], True)
    >>> round(float(fit.omega_lo), 2), round(float(fit.omega_hi), 2)
    (1.19, 3.98)
    """
    t = _check_targets(targets, p.n_products)
    if not fd_step > 0:
        raise ValueError(f"fd_step must be > 0, got {fd_step!r}")
    omega_min = float(p.omega_min)

    def evaluate(x):
        q = p.replace(omega_lo=x[0], omega_hi=x[1])
        eq = solve_equilibrium(q, entry=entry, throw=False)
        s = np.asarray(extra_moments(q, eq)["expenditure_share"])
        r = np.array([s.min(), s.max()]) - t
        ok = bool(eq.info.converged) and bool(np.all(np.isfinite(r)))
        return (r if ok else np.full(2, np.inf)), q, eq, s

    def project(x):
        lo = max(float(x[0]), omega_min)
        return np.array([lo, max(float(x[1]), lo + fd_step)])

    x = project(np.array([float(p.omega_lo), float(p.omega_hi)]))
    r, q, eq, s = evaluate(x)
    it, stalled = 0, False
    while it < max_iter and not np.max(np.abs(r)) <= tol and np.all(np.isfinite(r)):
        jac = np.empty((2, 2))
        for d in range(2):
            e = np.zeros(2)
            e[d] = fd_step
            up = evaluate(x + e)[0]
            if d == 0 and x[0] - fd_step < omega_min:  # one-sided at the Pareto scale
                jac[:, d] = (up - r) / fd_step
            else:
                jac[:, d] = (up - evaluate(x - e)[0]) / (2.0 * fd_step)
        it += 1
        try:
            step = np.linalg.solve(jac, -r)
        except np.linalg.LinAlgError:
            step = np.full(2, np.nan)
        if not np.all(np.isfinite(step)):
            stalled = True
            break
        f0, accepted, k, scale = float(r @ r), False, 0, 1.0
        while k <= max_backtracks:
            trial = evaluate(project(x + scale * step))
            if np.all(np.isfinite(trial[0])) and float(trial[0] @ trial[0]) < f0:
                x, (r, q, eq, s), accepted = project(x + scale * step), trial, True
                break
            scale, k = 0.5 * scale, k + 1
        if not accepted:
            stalled = True
            break
    residual = float(np.max(np.abs(r)))
    own = solver_info(it, residual, tol, stalled=stalled)
    fit = ProductBoundsFit(
        params=q,
        omega_lo=jnp.asarray(x[0]),
        omega_hi=jnp.asarray(x[1]),
        shares=jnp.asarray(s),
        share_range=jnp.asarray([s.min(), s.max()]),
        targets=jnp.asarray(t),
        info=combine_info(own, eq.info),
    )
    return finish(fit, throw=throw, what=_WHAT, tol=tol)
