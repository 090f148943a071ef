"""The firm's problem: grids, static profits, the Bellman equation and the firm distribution (Heo & Kim 2025, sec. 3).

State ``s = (z, omega-tilde)``: ``z`` on the Tauchen grid of eq. (27) and the
export threshold index ``i in {0, 1, ..., N}`` (0: non-exporter, i: exports
products 1..i, i.e. every ``omega_k <= omega_i``). All functions are pure in
the parameter pytree and vectorized over the whole grid.

Scale reduction used throughout (docs, "GE reduction"): with the final good
as numeraire, a firm's operating profit in wage units is

    Pi(z, i) / W = (kappa / epsilon) A z^(epsilon-1) [Omega_H + Omega_X(i)],
    kappa = (epsilon / (epsilon - 1))^(1 - epsilon),  A = c^(1-epsilon) D / W,

(eqs. 11, 13, 16, 18; symmetric countries, D = D*), with ``c`` the unit cost
of the Cobb-Douglas bundle (eq. 13), ``kappa`` the CES markup term
(:func:`jaxtrade.numerics.ces.markup_term` of ``epsilon``),
``Omega_H = sum_k m_k omega_k^(eps-1)`` and
``Omega_X(i) = sum_{k<=i} m_k omega_k^(eps-1) (1 + tau_k)^(-eps)``. The
firm's problem (eq. 21) divided by W therefore depends on prices only
through the scalar ``A``.

The shared kernels come from :mod:`jaxtrade.numerics`: the Tauchen chain
(:func:`~jaxtrade.numerics.markov.tauchen`), the linear split of the
entrants' shifted distribution (:func:`~jaxtrade.numerics.distribution.young_lottery`),
value iteration (:func:`~jaxtrade.numerics.fixed_point.fixed_point`) and the
stationary distribution with exit and entry
(:func:`~jaxtrade.numerics.distribution.stationary_distribution`).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from jaxtrade.errors import Solution, SolverInfo, finish
from jaxtrade.models.multiproduct.params import MultiproductParams
from jaxtrade.numerics.ces import markup_term
from jaxtrade.numerics.distribution import stationary_distribution, young_lottery
from jaxtrade.numerics.fixed_point import fixed_point
from jaxtrade.numerics.grids import pareto_interval_masses
from jaxtrade.numerics.markov import stationary_distribution_markov, tauchen

__all__ = [
    "Grids",
    "make_grids",
    "product_grid",
    "entrant_distribution",
    "export_cost_matrix",
    "exit_probability",
    "profit_w",
    "export_intensity",
    "choice_values",
    "choice_probabilities",
    "logit_probabilities",
    "smooth_max",
    "demand_indices",
    "bellman_operator",
    "BellmanSolution",
    "solve_bellman",
    "stationary_mass",
    "initial_value",
    "initial_mass",
]


class Grids(eqx.Module):
    """Discretized state space and the objects that do not depend on prices.

    Attributes
    ----------
    log_z, z : (nz,) log productivity grid and levels.
    P : (nz, nz) transition matrix of the Tauchen chain (eq. 27).
    ergodic : (nz,) stationary distribution of the AR(1) chain.
    entrant : (nz,) entrants' distribution G (``ergodic`` shifted left by mu_E).
    omega : (N,) product attributes; mass: (N,) Pareto cell masses.
    choices : (N+1,) thresholds {0, omega_1, ..., omega_N}.
    omega_H : () home demand index.
    omega_X : (N+1,) export demand index by threshold (firm revenue, tariff (1+tau)^-eps).
    omega_XP : (N+1,) the same with (1+tau)^(1-eps) (buyer's spending incl. tariff, price index eq. 12).
    tariff_X : (N+1,) sum_{k<=i} m_k omega_k^(eps-1) tau_k (1+tau_k)^-eps (tariff revenue, eq. 23).
    survival : (nz,) 1 - E(z) (eq. 29).
    cost : (N+1, N+1) f(omega_i, omega_j) in labour units (eq. 19 or 30).
    """

    log_z: jax.Array
    z: jax.Array
    P: jax.Array
    ergodic: jax.Array
    entrant: jax.Array
    omega: jax.Array
    mass: jax.Array
    choices: jax.Array
    omega_H: jax.Array
    omega_X: jax.Array
    omega_XP: jax.Array
    tariff_X: jax.Array
    survival: jax.Array
    cost: jax.Array


def _safe_pow(x, a):
    """x**a for x >= 0 with value 0 and zero derivative at x = 0."""
    pos = x > 0
    return jnp.where(pos, jnp.where(pos, x, 1.0) ** a, 0.0)


def export_cost_matrix(p: MultiproductParams, choices) -> jax.Array:
    """f(omega_i, omega_j) for all current thresholds i (rows) and choices j (columns), labour units.

    ``standard``: eq. (19), gamma_0 w'^gamma_1 + gamma_2 max(0, w' - w)^gamma_3;
    ``npg``: eq. (30), gamma_0 w'^gamma_1 + gamma_2 1(w' > w); a callable
    ``cost_form(w, w_next, p)`` is evaluated on the broadcast grid.
    """
    w = choices[:, None]
    wn = choices[None, :]
    if callable(p.cost_form):
        return jnp.broadcast_to(jnp.asarray(p.cost_form(w, wn, p), dtype=float), (choices.size, choices.size))
    cont = p.gamma_0 * _safe_pow(wn, p.gamma_1)
    if p.cost_form == "standard":
        return cont + p.gamma_2 * _safe_pow(jnp.maximum(wn - w, 0.0), p.gamma_3)
    return cont + p.gamma_2 * (wn > w).astype(choices.dtype)


def exit_probability(p: MultiproductParams, z) -> jax.Array:
    """E(z) = 1 / (1 + exp(xi z)) with z in levels (eq. 29)."""
    return jax.nn.sigmoid(-p.xi * z)


def product_grid(p: MultiproductParams) -> tuple[jax.Array, jax.Array]:
    """Product attributes (N,) evenly spaced on [omega_lo, omega_hi] and their Pareto cell masses.

    Cell k is [omega_k - h/2, omega_k + h/2] (h the spacing), clipped below at
    the Pareto scale omega_min; the masses of the standard Pareto(gamma)
    (scale omega_min, survival S(x) = (omega_min / x)^gamma) are
    renormalized to the truncated support.

    Examples
    --------
    >>> from jaxtrade.models.multiproduct import standard_params
    >>> omega, mass = product_grid(standard_params(n_z=11, n_products=4))
    >>> [round(float(w), 4) for w in omega], round(float(mass.sum()), 12)
    ([1.2, 2.4667, 3.7333, 5.0], 1.0)
    """
    n = p.n_products
    omega = p.omega_lo + (p.omega_hi - p.omega_lo) * jnp.arange(n) / (n - 1)
    h = (p.omega_hi - p.omega_lo) / (n - 1)
    # cell k is [omega_k - h/2, omega_k + h/2]; the first edge is clipped at the Pareto scale omega_min
    edges = jnp.concatenate([jnp.maximum(omega[:1] - 0.5 * h, p.omega_min), omega + 0.5 * h])
    return omega, pareto_interval_masses(edges, p.omega_min, p.gamma)


def entrant_distribution(log_z, ergodic, mu_E) -> jax.Array:
    """Entrants' distribution G (section 4): ``ergodic`` moved from log z to log z - mu_E.

    Each point's mass is split linearly onto the two grid points around
    log z - mu_E (the lottery of :func:`~jaxtrade.numerics.distribution.young_lottery`,
    clipped at the grid's ends), which keeps the mass and shifts the mean by
    mu_E away from the bottom of the grid.
    """
    lower, w = young_lottery(log_z - mu_E, log_z)
    return jnp.zeros_like(ergodic).at[lower].add(ergodic * w).at[lower + 1].add(ergodic * (1.0 - w))


def demand_indices(p: MultiproductParams, base, tau) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Export demand indices by threshold at the tariff vector ``tau`` (eqs. 10-12, 23), each (N+1,).

    ``base`` is m_k omega_k^(eps-1) (N,). Returns ``(omega_X, omega_XP, tariff_X)``:
    cumulative sums over k <= i of base (1+tau_k)^-eps (the firm's export revenue),
    base (1+tau_k)^(1-eps) (the buyer's spending with the tariff, price index eq. 12) and
    base tau_k (1+tau_k)^-eps (tariff revenue, eq. 23); index 0 (non-exporter) is 0.
    ``tau`` may carry leading axes (a tariff path (T, N) gives (T, N+1) arrays).
    """
    eps = p.epsilon
    tau = jnp.asarray(tau)
    zero = jnp.zeros(tau.shape[:-1] + (1,), dtype=base.dtype)

    def cum(x):
        return jnp.concatenate([zero, jnp.cumsum(x, axis=-1)], axis=-1)

    return (
        cum(base * (1.0 + tau) ** (-eps)),
        cum(base * (1.0 + tau) ** (1.0 - eps)),
        cum(base * tau * (1.0 + tau) ** (-eps)),
    )


def make_grids(p: MultiproductParams) -> Grids:
    """The state space and the price-independent objects of the firm problem.

    Examples
    --------
    >>> from jaxtrade.models.multiproduct import standard_params
    >>> g = make_grids(standard_params(n_z=11, n_products=4))
    >>> g.P.shape, g.cost.shape, round(float(g.entrant.sum()), 12)
    ((11, 11), (5, 5), 1.0)
    """
    chain = tauchen(p.n_z, p.rho_z, p.sigma_e, 0.0, p.n_std)
    log_z, P = chain.grid, chain.P
    z = jnp.exp(log_z)
    # 1e-15 in float64; a few ulps of a probability in float32 (which cannot reach 1e-15)
    erg_tol = max(1e-15, 4.0 * float(jnp.finfo(P.dtype).eps))
    erg = stationary_distribution_markov(P, tol=erg_tol, max_iter=20_000, throw=False).value
    erg = erg / jnp.sum(erg)
    entrant = entrant_distribution(log_z, erg, p.mu_E)
    omega, mass = product_grid(p)
    base = mass * omega ** (p.epsilon - 1.0)
    omega_X, omega_XP, tariff_X = demand_indices(p, base, p.tau)
    choices = jnp.concatenate([jnp.zeros((1,), dtype=base.dtype), omega])
    return Grids(
        log_z=log_z,
        z=z,
        P=P,
        ergodic=erg,
        entrant=entrant,
        omega=omega,
        mass=mass,
        choices=choices,
        omega_H=jnp.sum(base),
        omega_X=omega_X,
        omega_XP=omega_XP,
        tariff_X=tariff_X,
        survival=1.0 - exit_probability(p, z),
        cost=export_cost_matrix(p, choices),
    )


def profit_w(p: MultiproductParams, g: Grids, A, omega_X=None) -> jax.Array:
    """Operating profit in wage units Pi(z, i)/W = (kappa/eps) A z^(eps-1) [Omega_H + Omega_X(i)], (nz, N+1).

    Eqs. (15)-(18); kappa is :func:`~jaxtrade.numerics.ces.markup_term` of epsilon. ``omega_X``
    (N+1,) replaces ``g.omega_X`` (another period's tariffs along a transition).
    """
    k = markup_term(p.epsilon)
    omega_X = g.omega_X if omega_X is None else omega_X
    return (k / p.epsilon) * A * g.z[:, None] ** (p.epsilon - 1.0) * (g.omega_H + omega_X)[None, :]


def export_intensity(g: Grids) -> jax.Array:
    """Exports / sales by threshold index (eq. 34; D = D*): (N+1,), independent of z."""
    return g.omega_X / (g.omega_H + g.omega_X)


def choice_values(p: MultiproductParams, g: Grids, v, discount=None) -> jax.Array:
    """x[z, i, j] = -f(i, j) + (1 - E(z)) beta E[v(z', j) | z], (nz, N+1, N+1).

    The bracket of eq. (21) less the current profit, in wage units (v = V/W, Q = beta):
    the value of moving from threshold i to j. ``discount`` replaces beta (along a
    transition it is Q_t W_{t+1} / W_t, the bond price times wage growth).
    """
    beta = p.beta if discount is None else discount
    cont = (g.survival * beta)[:, None] * (g.P @ v)
    return cont[:, None, :] - g.cost[None, :, :]


def smooth_max(x, lam):
    """Hard max (lam = 0) or lam * logsumexp(x / lam) over the last axis."""
    pos = lam > 0
    lam_safe = jnp.where(pos, lam, 1.0)
    soft = lam_safe * jax.nn.logsumexp(x / lam_safe, axis=-1)
    return jnp.where(pos, soft, jnp.max(x, axis=-1))


def choice_probabilities(p: MultiproductParams, g: Grids, v, discount=None) -> jax.Array:
    """Pr(omega' = j | z, i), (nz, N+1, N+1): logit with scale ``smoothing``, one-hot argmax at 0.

    ``discount`` as in :func:`choice_values`.
    """
    return logit_probabilities(choice_values(p, g, v, discount), p.smoothing)


def logit_probabilities(x, lam) -> jax.Array:
    """Softmax of ``x / lam`` over the last axis (lam > 0), or the one-hot argmax (lam = 0)."""
    pos = lam > 0
    lam_safe = jnp.where(pos, lam, 1.0)
    soft = jax.nn.softmax(x / lam_safe, axis=-1)
    hard = jax.nn.one_hot(jnp.argmax(x, axis=-1), x.shape[-1], dtype=x.dtype)
    return jnp.where(pos, soft, hard)


def bellman_operator(v, args) -> jax.Array:
    """T v (z, i) = Pi(z, i)/W + max_j {-f(i, j) + (1 - E(z)) beta E v(z', j)} (eq. 21 in wage units).

    ``args = (p, g, A)``; with ``smoothing > 0`` the max is ``smoothing * logsumexp(. / smoothing)``.
    """
    p, g, A = args
    return profit_w(p, g, A) + smooth_max(choice_values(p, g, v), p.smoothing)


class BellmanSolution(eqx.Module):
    """The solved firm problem at one A.

    Attributes
    ----------
    v : (nz, N+1) value function V/W.
    prob : (nz, N+1, N+1) choice probabilities Pr(j | z, i).
    info : :class:`~jaxtrade.errors.SolverInfo` of the value iteration.
    """

    v: jax.Array
    prob: jax.Array
    info: SolverInfo


BELLMAN_ANDERSON_STEPS = 400
"""Anderson steps of :func:`solve_bellman` at most before plain value iteration takes over (a safeguard)."""


def solve_bellman(
    p: MultiproductParams,
    g: Grids,
    A,
    *,
    tol: float = 1e-12,
    max_iter: int = 20_000,
    v0=None,
    method: str = "anderson",
    throw: bool = True,
) -> BellmanSolution:
    """Value-function iteration on eq. (21) at the price scalar ``A``, Anderson-accelerated by default.

    Parameters
    ----------
    p, g : the parameters and their :func:`make_grids`.
    A : c^(1-eps) D / W (scalar).
    tol, max_iter : convergence when ``max|T v - v| <= tol``.
    v0 : initial guess (default: the no-export, no-cost value profit / (1 - beta)).
    method : ``"anderson"`` (default): type-II Anderson acceleration of the
        value iteration (memory 5; :func:`~jaxtrade.numerics.fixed_point.fixed_point`),
        about 25 steps instead of about 175 at the Standard calibration
        (beta = 0.95), same fixed point to the tolerance; after
        ``BELLMAN_ANDERSON_STEPS`` steps without convergence the iteration goes on
        as plain value iteration, which converges for any contraction.
        ``"iterate"``: plain value iteration throughout.
    throw : ``True`` raises on failure (:func:`jaxtrade.errors.finish`); ``False``: read ``info``.

    Returns
    -------
    BellmanSolution
        Differentiable in ``p`` and ``A`` by implicit differentiation (GMRES tangent solves).

    Examples
    --------
    >>> from jaxtrade.models.multiproduct import standard_params
    >>> p = standard_params(n_z=11, n_products=4)
    >>> sol = solve_bellman(p, make_grids(p), 0.03)
    >>> sol.v.shape, bool(sol.info.converged)
    ((11, 5), True)
    """
    if v0 is None:
        v0 = initial_value(p, g, A)
    if method not in ("anderson", "iterate"):
        raise ValueError(f"method must be 'anderson' or 'iterate', got {method!r}")
    out = fixed_point(
        bellman_operator,
        jax.lax.stop_gradient(v0),
        (p, g, A),
        tol=tol,
        max_iter=max_iter,
        method=method,
        anderson_memory=5,
        anderson_max_steps=min(BELLMAN_ANDERSON_STEPS, max_iter),
        implicit_solver="gmres",
        throw=False,
    )
    sol = BellmanSolution(v=out.value, prob=choice_probabilities(p, g, out.value), info=out.info)
    return finish(sol, throw=throw, what="multiproduct Bellman equation (Heo & Kim 2025, eq. 21)", tol=tol)


def initial_value(p: MultiproductParams, g: Grids, A) -> jax.Array:
    """Default initial guess of :func:`solve_bellman`: the no-export, no-cost value profit / (1 - beta)."""
    return profit_w(p, g, A) / (1.0 - p.beta)


def initial_mass(g: Grids, na: int, dtype) -> jax.Array:
    """Default initial guess of :func:`stationary_mass`: entrants' G over the mean exit rate, all non-exporters."""
    return jnp.zeros((g.z.shape[0], na), dtype=dtype).at[:, 0].set(g.entrant / (1.0 - jnp.mean(g.survival)))


def stationary_mass(
    g: Grids, prob, *, tol: float = 1e-13, max_iter: int = 50_000, mu0=None, throw: bool = True
) -> Solution:
    """Stationary distribution of firms per unit mass of entrants, by histogram push-forward.

    mu'(z', j) = sum_{z, i} mu(z, i) (1 - E(z)) Pr(j | z, i) P(z, z') + G(z') 1(j = 0):
    firms produce, exit with probability E(z), survivors move to their chosen
    threshold and draw z'; entrants (unit mass, distribution G) start as
    non-exporters (eq. 24). The fixed point is
    :func:`jaxtrade.numerics.distribution.stationary_distribution` with
    ``transition=prob``, Anderson acceleration and implicit derivatives;
    ``mu0`` is the initial guess (default :func:`initial_mass`; no derivative flows to it).

    Returns
    -------
    Solution
        ``value``: mu (nz, N+1); ``info``: the push-forward's :class:`~jaxtrade.errors.SolverInfo`.

    Examples
    --------
    >>> from jaxtrade.models.multiproduct import standard_params
    >>> p = standard_params(n_z=11, n_products=4)
    >>> g = make_grids(p)
    >>> mu = stationary_mass(g, solve_bellman(p, g, 0.03).prob).value
    >>> round(float(((1.0 - g.survival)[:, None] * mu).sum()), 10)  # exits = the unit mass of entrants
    1.0
    """
    nz, na = prob.shape[0], prob.shape[1]
    if mu0 is None:
        mu0 = initial_mass(g, na, prob.dtype)
    survival = jnp.broadcast_to(g.survival[:, None], (nz, na))
    entrants = jnp.zeros((nz, na), dtype=prob.dtype).at[:, 0].set(g.entrant)
    out = stationary_distribution(
        g.P,
        transition=prob,
        survival=survival,
        entrants=entrants,
        mu0=mu0,
        tol=tol,
        max_iter=max_iter,
        method="anderson",
        implicit_solver="gmres",
        throw=False,
    )
    return finish(out, throw=throw, what="multiproduct stationary distribution (Heo & Kim 2025, eq. 24)", tol=tol)
