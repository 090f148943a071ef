"""Inference at an estimate: Jacobian, standard errors, sensitivity, identification.

With G = d m / d theta (targets x parameters, natural units, by forward-mode
autodiff through the model), W the weights and Omega the covariance of the
data moments:

* robust covariance of the estimate (sandwich)
  ``V = (G'WG)^-1 G'W Omega W G (G'WG)^-1``; standard errors ``sqrt(diag V)``.
  With ``W = Omega^-1`` it is ``(G'WG)^-1``; under exact identification it is
  ``G^-1 Omega G^-T`` whatever ``W``. The customs data behind Heo & Kim's
  moments are confidential, so Omega is the user's to supply; without it
  only the items below are reported.
* the sensitivity matrix of Andrews, Gentzkow & Shapiro (2017),
  ``Lambda = -(G'WG)^-1 G'W`` (parameters x targets): the first-order bias
  in theta-hat from a bias in each moment;
* identification diagnostics: the singular values and condition number of
  G (in log parameters, so that they do not depend on units) and the
  elasticities ``d log m / d log theta``;
* :func:`data_derivative`: d theta-hat / d m_data by implicit
  differentiation of the first-order condition G(theta)' W (m(theta) - m_data) = 0,
  including the second-order term ``sum_i [W r]_i d^2 m_i / d theta^2``.
  At an exactly identified estimate (r = 0) it equals ``-Lambda``; with a
  residual it is the exact local derivative that ``-Lambda`` approximates.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxtrade.estimation.problem import MomentProblem, moment_covariance

__all__ = ["Inference", "moment_jacobian", "inference", "data_derivative"]


class Inference(NamedTuple):
    """Inference at an estimate (module docstring); arrays in ``problem.targets`` x ``space.names`` order."""

    jacobian: np.ndarray
    """G = d m / d theta over the targets, (t, k)."""
    jacobian_all: np.ndarray
    """d m / d theta for every moment in ``moment_names`` (targeted or not), (n, k)."""
    sensitivity: np.ndarray
    """AGS Lambda = -(G'WG)^-1 G'W, (k, t)."""
    elasticities: np.ndarray
    """d log m / d log theta over the targets, (t, k) (NaN where a moment or parameter is 0)."""
    singular_values: np.ndarray
    """Singular values of d m / d log theta, descending."""
    condition_number: float
    cov: np.ndarray | None
    """Robust covariance of theta-hat, (k, k); None without a moment covariance."""
    se: np.ndarray | None
    """Standard errors of theta-hat, (k,); None without a moment covariance."""


def moment_jacobian(problem: MomentProblem, theta, fixed: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Moments (all ``moment_names``) and d m / d theta (n, k) at natural ``theta`` by forward-mode autodiff."""
    fixed = problem.fixed if fixed is None else fixed
    u = problem.space.to_unconstrained(jnp.asarray(theta, dtype=float))
    m, ok, jac_u = (np.asarray(x) for x in problem.linearize(u, fixed))
    if not bool(ok):
        raise ValueError("the model cannot be solved at theta (moment function reported ok=False or non-finite)")
    dtheta_du = np.asarray(jax.jacfwd(problem.space.to_natural)(u))
    return m, jac_u @ np.linalg.inv(dtheta_du)


def inference(problem: MomentProblem, theta, fixed: dict | None = None, moments_cov=None) -> Inference:
    """Jacobian, sensitivity, identification and (with a covariance) standard errors at ``theta``.

    ``moments_cov`` (a (t, t) matrix or (t,) standard errors of the targeted
    data moments) overrides ``problem.moments_cov``.
    """
    theta = np.asarray(theta, dtype=float)
    m, jac_all = moment_jacobian(problem, theta, fixed)
    g = jac_all[problem.target_index]
    w = problem.weights
    gwg = g.T @ w @ g
    gwg_inv = np.linalg.pinv(gwg)
    sens = -gwg_inv @ g.T @ w
    mt = m[problem.target_index]
    with np.errstate(divide="ignore", invalid="ignore"):
        elast = g * theta[None, :] / mt[:, None]
    sv = np.linalg.svd(g * theta[None, :], compute_uv=False)
    cond = float(sv[0] / sv[-1]) if sv[-1] > 0 else float("inf")
    cov_m = problem.moments_cov if moments_cov is None else moment_covariance(moments_cov, len(problem.targets))
    cov = se = None
    if cov_m is not None:
        cov = gwg_inv @ g.T @ w @ cov_m @ w @ g @ gwg_inv
        se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    return Inference(g, jac_all, sens, elast, sv, cond, cov, se)


def data_derivative(
    problem: MomentProblem, theta, fixed: dict | None = None, *, second_order: bool = True
) -> np.ndarray:
    """d theta-hat / d m_data (k, t) by the implicit function theorem on the first-order condition.

    The first-order condition of eq. (28) is g(theta, m_data) = G(theta)' W (m(theta) - m_data) = 0;
    so d theta / d m_data = [dg/dtheta]^-1 G'W with dg/dtheta = G'WG + sum_i [W r]_i Hess m_i
    (``second_order=False`` drops the Hessian term: the Gauss-Newton / AGS approximation, exact when r = 0).
    The Hessian term is forward-over-forward autodiff through the model.
    """
    fixed = problem.fixed if fixed is None else fixed
    theta = jnp.asarray(theta, dtype=float)
    idx = problem.target_index
    w = jnp.asarray(problem.weights)
    d = jnp.asarray(problem.data_vector)

    def targets(th):
        m, _ = problem.moment_values(th, fixed)
        return m[idx]

    g = jax.jacfwd(targets)(theta)
    if second_order:

        def foc(th):
            return jax.jacfwd(targets)(th).T @ w @ (targets(th) - d)

        dg = jax.jacfwd(foc)(theta)
    else:
        dg = g.T @ w @ g
    return np.asarray(jnp.linalg.solve(dg, g.T @ w))
