"""Equilibria of the Ara & Zhang (2020) vertical-production model.

Two cases are solved:

* **Input trade** (section 2, tau^F = inf): the twelve conditions (5), (6),
  (8), (11), (12) and (14), each in countries i and j, for the twelve
  unknowns of section 2.5,

      varphi*_ii, varphi*_jj, varphi~*_ii, varphi~*_jj,
      phi*_ii, phi*_jj, phi*_ij, phi*_ji, B^F_i, B^F_j, B^I_i, B^I_j.

  The masses of upstream entrants N^E_i, N^E_j that enter (4), (13) and (18)
  are, as section 2.5 says, functions of these unknowns: they solve the
  intermediate-goods market clearing (15), R^I_n = (sigma-1)/sigma beta L_n,
  which is linear in (N^E_i, N^E_j). Passing ``entry_masses`` instead holds
  them fixed, which is how Appendix A.1 differentiates the system.

* **Final-goods trade** (Proposition 1(ii), tau^I = inf): the counterparts
  of (5), (6), (8) for final-goods exporters (Appendix A.2) and of (11),
  (14) for non-traded inputs, ten conditions in
  varphi*_ii, varphi*_jj, varphi*_ij, varphi*_ji, phi*_ii, phi*_jj,
  B^F_i, B^F_j, B^I_i, B^I_j.

Both systems are solved in logs by Newton's method with a line search
(:func:`jaxtrade.numerics.root.newton_root`), started from the Pareto
reduced form (a closed form given the ratio of entry masses, iterated on that
ratio). Every solution is differentiable in the parameters by the implicit
function theorem.

Both solves follow the solver contract of :mod:`jaxtrade.errors`: they take
``throw=True`` and return a record whose ``info`` folds together the Newton
solve, the search for a starting bracket (``RESULTS.no_bracket`` when the
reduced form has no interior solution), the parameter rules
(``RESULTS.invalid_parameters``; :data:`~jaxtrade.models.vertical.params.RULES`
with a finite tau^I for the input-trade case, ``INPUT_TRADE_RULES``, and a
finite tau^F for the final-goods case, ``FINAL_TRADE_RULES``) and a check that
every output is finite (``RESULTS.nonfinite``, :func:`jaxtrade.errors.flag_nonfinite`).

Country i has index 0 and country j index 1; bilateral arrays are indexed
``[origin, destination]``.
"""

from __future__ import annotations

import abc
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from jaxtrade.errors import RESULTS, Rule, SolverInfo, combine_info, finish, flag_nonfinite, is_traced, rules_hold
from jaxtrade.models.vertical.params import (
    FINAL_TRADE_RULES,
    INPUT_TRADE_RULES,
    RULES,
    VerticalParams,
    bilateral,
    validate_params,
)
from jaxtrade.models.vertical.pareto import J, V, survival
from jaxtrade.numerics.ces import markup_term
from jaxtrade.numerics.linalg import solve_small
from jaxtrade.numerics.root import newton_root
from jaxtrade.program_cache import cached_program

__all__ = [
    "FINAL_TRADE_CONDITIONS",
    "FINAL_TRADE_UNKNOWNS",
    "INPUT_TRADE_CONDITIONS",
    "INPUT_TRADE_UNKNOWNS",
    "FinalBlocks",
    "FinalTradeEquilibrium",
    "InputBlocks",
    "InputTradeEquilibrium",
    "final_blocks",
    "final_trade_residuals",
    "finish_solve",
    "input_blocks",
    "input_trade_initial_guess",
    "input_trade_residuals",
    "rules_checked",
    "solve_final_trade",
    "solve_input_trade",
]

INPUT_WHAT = "vertical input-trade equilibrium (Ara & Zhang eqs. 5-14)"
FINAL_WHAT = "vertical final-goods-trade equilibrium (Ara & Zhang Prop. 1(ii))"

# ---------------------------------------------------------------------------
# bilateral index helpers: for a 2x2 [origin, destination] array X
# ---------------------------------------------------------------------------


def _diag(X):
    """X[n, n] for n = 0, 1."""
    return jnp.stack([X[..., 0, 0], X[..., 1, 1]], axis=-1)


def _into(X):
    """X[m, n] for destination n = 0, 1 (from the other country m into n)."""
    return jnp.stack([X[..., 1, 0], X[..., 0, 1]], axis=-1)


def _out(X):
    """X[n, m] for origin n = 0, 1 (from n out to the other country m)."""
    return jnp.stack([X[..., 0, 1], X[..., 1, 0]], axis=-1)


def _swap(v):
    """The other country's entry: v[1 - n]."""
    return v[..., ::-1]


# ---------------------------------------------------------------------------
# what both equilibrium records share
# ---------------------------------------------------------------------------


class _Equilibrium(eqx.Module):
    """The unknowns by name and the validity flag, shared by both equilibrium records."""

    UNKNOWNS: ClassVar[tuple[str, ...]]
    info: eqx.AbstractVar[SolverInfo]
    selection_holds: eqx.AbstractVar[jax.Array]
    cutoffs_above_lower_bounds: eqx.AbstractVar[jax.Array]
    outside_good_produced: eqx.AbstractVar[jax.Array]

    @abc.abstractmethod
    def unknown_vector(self) -> jax.Array:
        """The unknowns in :attr:`UNKNOWNS` order, stacked on the last axis."""

    def unknowns(self) -> dict[str, jax.Array]:
        """The unknowns by name (:attr:`UNKNOWNS`)."""
        vals = self.unknown_vector()
        return {name: vals[..., i] for i, name in enumerate(self.UNKNOWNS)}

    @property
    def valid(self) -> jax.Array:
        """Converged, selection into trade, cutoffs above their Pareto bounds, outside good produced."""
        return self.info.converged & self.selection_holds & self.cutoffs_above_lower_bounds & self.outside_good_produced


def rules_checked(params: VerticalParams, throw: bool, rules: tuple[Rule, ...] = RULES) -> VerticalParams:
    """The parameters a solve should work on: with ``throw`` and traced values, ``rules`` compiled in.

    Under ``jit``/``vmap``/``grad`` with ``throw=True`` the rules (default
    :data:`RULES`; the solves pass their own, e.g. :data:`INPUT_TRADE_RULES`)
    are enforced by :func:`~jaxtrade.models.vertical.params.validate_params`
    (a run-time error naming the rule, provided the returned parameters are
    used). Concrete parameters are returned as they are: the solve folds the
    rules into its ``info`` and :func:`finish_solve` names a broken one.
    """
    return validate_params(params, rules) if throw and is_traced(params) else params


def finish_solve(out, params: VerticalParams, *, throw: bool, what: str, tol=None, rules: tuple[Rule, ...] = RULES):
    """:func:`jaxtrade.errors.finish` with the parameter rules first.

    With ``throw=True`` and concrete values a failed solve whose parameters
    break one of ``rules`` raises ``ValueError`` naming the rule, any other
    failure :class:`~jaxtrade.errors.ConvergenceError`; a successful solve
    costs no extra check (its ``info`` already folds the rules in).
    """
    if throw and not is_traced(out.info) and not bool(np.all(np.asarray(out.info.converged))):
        validate_params(params, rules)
    return finish(out, throw=throw, what=what, tol=tol)


def _fold(info: SolverInfo, found, params_valid) -> SolverInfo:
    """Newton's ``info`` with the bracket search and the parameter rules folded in.

    ``converged`` is Newton's, and false where the parameters break a rule;
    the reason is ``invalid_parameters`` there, else ``no_bracket`` where no
    starting bracket exists and Newton did not converge, else Newton's own.
    """
    result = RESULTS.where(info.converged | found, info.result, RESULTS.no_bracket)  # type: ignore[arg-type]
    info = SolverInfo(iterations=info.iterations, residual=info.residual, converged=info.converged, result=result)
    return combine_info(info, params_valid=params_valid)


# ---------------------------------------------------------------------------
# input-trade case: 12 unknowns
# ---------------------------------------------------------------------------

INPUT_TRADE_UNKNOWNS = (
    "varphi_ii", "varphi_jj", "varphi_tilde_ii", "varphi_tilde_jj",
    "phi_ii", "phi_jj", "phi_ji", "phi_ij",
    "B_F_i", "B_F_j", "B_I_i", "B_I_j",
)  # fmt: skip
"""Order of the unknown vector. ``phi_ji`` is the cutoff of j's input exporters into i."""

INPUT_TRADE_CONDITIONS = (
    "(5) i", "(5) j", "(6) i", "(6) j", "(8) i", "(8) j",
    "(11) i", "(11) j", "(12) i", "(12) j", "(14) i", "(14) j",
)  # fmt: skip


class InputBlocks(eqx.Module):
    """Every object of section 2 implied by the twelve unknowns (input-trade case).

    Per-country arrays of shape (2,), indexed by the country n = i, j.

    Attributes
    ----------
    varphi_dom, varphi_tilde:
        varphi*_nn and varphi~*_nn, the domestic- and foreign-sourcing cutoffs (5), (6).
    phi_dom, phi_into:
        phi*_nn and phi*_mn, the cutoffs of upstream firms selling at home and of
        the other country's input exporters into n (11), (12).
    B_F, B_I:
        Demand indices of final and intermediate goods.
    N_E:
        Upstream entry masses: from the market clearing (15), or held fixed.
    Gamma_1ms:
        Gamma_n^(1-sigma) = (sigma/(sigma-1))^(1-sigma) N^E_n V^I(phi*_nn), eq. (18).
    Lambda_I, Lambda_F_tilde:
        Lambda^I_mn and Lambda~^F_mn, the market shares after (15) and (9).
    VF_dom, VF_tilde, VI_dom, VI_into:
        V at the four cutoffs (section 2.1), each with its own Pareto lower bound.
    R_I:
        Spending on inputs (sigma-1)/sigma beta L_n.
    tau_into:
        tau^I_mn, the input trade cost into n.
    """

    varphi_dom: jax.Array
    varphi_tilde: jax.Array
    phi_dom: jax.Array
    phi_into: jax.Array
    B_F: jax.Array
    B_I: jax.Array
    N_E: jax.Array
    Gamma_1ms: jax.Array
    Lambda_I: jax.Array
    Lambda_F_tilde: jax.Array
    VF_dom: jax.Array
    VF_tilde: jax.Array
    VI_dom: jax.Array
    VI_into: jax.Array
    R_I: jax.Array
    tau_into: jax.Array


def input_blocks(u, p: VerticalParams, entry_masses=None) -> InputBlocks:
    """The :class:`InputBlocks` implied by the unknowns ``u`` (logs, :data:`INPUT_TRADE_UNKNOWNS` order).

    ``entry_masses=None``: N^E clears the intermediate-goods market (15), a
    linear system in (N^E_i, N^E_j); otherwise N^E is held at ``entry_masses``.
    """
    s, k = p.sigma, p.k
    x = jnp.exp(u)
    varphi_dom, varphi_tilde, phi_dom, phi_into, B_F, B_I = x[0:2], x[2:4], x[4:6], x[6:8], x[8:10], x[10:12]
    tau_into = _into(p.tau_I)
    VF_dom = V(varphi_dom, p.varphi_min, k, s)
    VF_tilde = V(varphi_tilde, p.varphi_min, k, s)
    VI_dom = V(phi_dom, p.phi_min, k, s)
    VI_into = V(phi_into, _swap(p.phi_min), k, s)  # foreign firms, foreign lower bound
    Lambda_F_tilde = VF_tilde / VF_dom  # market share of foreign-sourcing firms, after (9)
    R_I = (s - 1.0) / s * p.beta * p.L  # R^I_n = (sigma-1)/sigma R^F_n, R^F_n = beta L_n
    if entry_masses is None:
        # intermediate-goods market clearing (15), linear in (N_i, N_j)
        own = s * B_I * VI_dom
        foreign = s * B_I * Lambda_F_tilde * tau_into ** (1.0 - s) * VI_into
        A = jnp.array([[own[0], foreign[0]], [foreign[1], own[1]]])
        N_E = solve_small(A, R_I)
    else:
        N_E = jnp.asarray(entry_masses, dtype=u.dtype)
    Gamma_1ms = markup_term(s) * N_E * VI_dom  # Gamma_n^(1-sigma), eq. (18)
    Lambda_I = _swap(N_E) * VI_into / (N_E * VI_dom)  # market share of input exporters into n
    return InputBlocks(
        varphi_dom=varphi_dom, varphi_tilde=varphi_tilde, phi_dom=phi_dom, phi_into=phi_into,
        B_F=B_F, B_I=B_I, N_E=N_E, Gamma_1ms=Gamma_1ms, Lambda_I=Lambda_I,
        Lambda_F_tilde=Lambda_F_tilde, VF_dom=VF_dom, VF_tilde=VF_tilde, VI_dom=VI_dom,
        VI_into=VI_into, R_I=R_I, tau_into=tau_into,
    )  # fmt: skip


def input_trade_residuals(u, p: VerticalParams, entry_masses=None):
    """The twelve equilibrium conditions, in :data:`INPUT_TRADE_CONDITIONS` order.

    Zero-cutoff-profit conditions (5), (6), (11), (12) are written as log
    ratios (left side over fixed cost); free-entry conditions (8), (14) as
    (left side) / f^E - 1. All are dimensionless.
    """
    s, k = p.sigma, p.k
    b = input_blocks(u, p, entry_masses)
    fF_dom, fF_into = _diag(p.f_F), _into(p.f_F)
    fI_dom, fI_into, fI_out = _diag(p.f_I), _into(p.f_I), _out(p.f_I)
    t1 = b.tau_into ** (1.0 - s)
    e5 = jnp.log(b.Gamma_1ms * b.B_F * b.varphi_dom ** (s - 1.0) / fF_dom)
    e6 = jnp.log(b.Lambda_I * t1 * b.Gamma_1ms * b.B_F * b.varphi_tilde ** (s - 1.0) / fF_into)
    e8 = (fF_dom * J(b.varphi_dom, p.varphi_min, k, s) + fF_into * J(b.varphi_tilde, p.varphi_min, k, s)) / p.f_E - 1.0
    e11 = jnp.log(b.B_I * b.phi_dom ** (s - 1.0) / fI_dom)
    e12 = jnp.log(b.Lambda_F_tilde * t1 * b.B_I * b.phi_into ** (s - 1.0) / fI_into)
    phi_out = _swap(b.phi_into)  # phi*_nm: n's exporters into m
    e14 = (fI_dom * J(b.phi_dom, p.phi_min, k, s) + fI_out * J(phi_out, p.phi_min, k, s)) / p.f_E - 1.0
    return jnp.concatenate([e5, e6, e8, e11, e12, e14])


def _input_trade_guess_given_N(N_E, p: VerticalParams):
    """Pareto reduced form of the twelve conditions for given entry masses (logs).

    With rho = (k - sigma + 1)/(sigma - 1), (7) and (13) become
    ln X_n = ln a_n + ln(N_n/N_m) - ln c_n + rho ln Y_n and
    ln Y_n = ln b_n + rho ln X_n for X_n = (varphi~_nn/varphi_nn)^(sigma-1) and
    Y_n = (phi_mn/phi_nn)^(sigma-1); free entry (8) then gives varphi_nn and
    (14), linear in phi_nn^(-k), gives the upstream cutoffs.
    """
    s, k = p.sigma, p.k
    theta = k - (s - 1.0)
    rho = theta / (s - 1.0)
    tau_into = _into(p.tau_I)
    fF_dom, fF_into = _diag(p.f_F), _into(p.f_F)
    fI_dom, fI_into, fI_out = _diag(p.f_I), _into(p.f_I), _out(p.f_I)
    a = tau_into ** (s - 1.0) * fF_into / fF_dom
    bb = tau_into ** (s - 1.0) * fI_into / fI_dom
    c = (_swap(p.phi_min) / p.phi_min) ** k
    lnX = (jnp.log(a) + jnp.log(N_E / _swap(N_E)) - jnp.log(c) + rho * jnp.log(bb)) / (1.0 - rho**2)
    lnY = jnp.log(bb) + rho * lnX
    fe = p.f_E * theta / (s - 1.0)
    varphi_dom = p.varphi_min * ((fF_dom + fF_into * jnp.exp(-k / (s - 1.0) * lnX)) / fe) ** (1.0 / k)
    varphi_tilde = varphi_dom * jnp.exp(lnX / (s - 1.0))
    Y_out = _swap(jnp.exp(lnY))  # ratio at the destination of n's exports
    Z = jnp.array(
        [
            [fI_dom[0] * p.phi_min[0] ** k, fI_out[0] * p.phi_min[0] ** k * Y_out[0] ** (-k / (s - 1.0))],
            [fI_out[1] * p.phi_min[1] ** k * Y_out[1] ** (-k / (s - 1.0)), fI_dom[1] * p.phi_min[1] ** k],
        ]
    )
    z = solve_small(Z, fe)  # phi_nn^(-k)
    z = jnp.where(z > 0, z, (fe / (fI_dom * p.phi_min**k)))  # fall back to autarky if no interior solution
    phi_dom = z ** (-1.0 / k)
    phi_into = phi_dom * jnp.exp(lnY / (s - 1.0))
    B_I = fI_dom * phi_dom ** (1.0 - s)
    Gamma_1ms = markup_term(s) * N_E * V(phi_dom, p.phi_min, k, s)
    B_F = fF_dom / (Gamma_1ms * varphi_dom ** (s - 1.0))
    return jnp.log(jnp.concatenate([varphi_dom, varphi_tilde, phi_dom, phi_into, B_F, B_I]))


def _bracket_log_ratio(gap, target, n_scan: int = 41, n_bisect: int = 34):
    """Root of the scalar ``gap(ln r)``: two-stage grid bracketing, then bisection.

    ``gap`` is NaN where the reduced form has no interior solution, and the
    window where it is finite can be narrow. A coarse grid over [-12, 12]
    finds that window; a fine grid of ``n_scan`` points over the window (one
    coarse step wider on each side) brackets the sign changes. When several
    exist (several equilibria) the one nearest to ``target`` is refined by
    ``n_bisect`` halvings, which leave far less than 1e-9 in ln r for Newton
    to polish. Returns ``(ln r, found)``; without a bracket ``ln r = target``
    and ``found`` is False.
    """
    coarse = jnp.linspace(-12.0, 12.0, n_scan)
    finite = jnp.isfinite(jax.vmap(gap)(coarse))
    step = coarse[1] - coarse[0]
    lo = jnp.where(jnp.any(finite), jnp.min(jnp.where(finite, coarse, jnp.inf)) - step, coarse[0])
    hi = jnp.where(jnp.any(finite), jnp.max(jnp.where(finite, coarse, -jnp.inf)) + step, coarse[-1])
    grid = lo + (hi - lo) * jnp.linspace(0.0, 1.0, n_scan)
    return _bisect_nearest_bracket(gap, grid, jax.vmap(gap)(grid), target, n_bisect)


def _bisect_nearest_bracket(gap, grid, gaps, target, n_bisect: int):
    """The sign change of ``gaps`` on the sorted ``grid`` nearest to ``target``, refined by ``n_bisect`` halvings.

    A bracket is a pair of adjacent, distinct grid points with finite gaps of
    opposite signs. Returns ``(ln r, found)``; without a bracket
    ``ln r = target`` and ``found`` is False.
    """
    lo_g, hi_g = gaps[:-1], gaps[1:]
    bracket = (grid[1:] > grid[:-1]) & jnp.isfinite(lo_g) & jnp.isfinite(hi_g) & (jnp.sign(lo_g) != jnp.sign(hi_g))
    dist = jnp.where(bracket, jnp.abs(0.5 * (grid[:-1] + grid[1:]) - target), jnp.inf)
    k = jnp.argmin(dist)
    found = jnp.any(bracket)

    def bisect(_, state):
        a, b, sign_a = state
        m = 0.5 * (a + b)
        sign_m = jnp.sign(gap(m))
        same = sign_m == sign_a
        return jnp.where(same, m, a), jnp.where(same, b, m), jnp.where(same, sign_m, sign_a)

    a, b, _ = jax.lax.fori_loop(0, n_bisect, bisect, (grid[k], grid[k + 1], jnp.sign(lo_g[k])))
    return jnp.where(found, 0.5 * (a + b), target), found


def _bracket_log_ratio_at_edges(
    gap, target, n_scan: int = 241, n_edges: int = 6, n_halve: int = 44, n_bisect: int = 34
):
    """Root of the scalar ``gap(ln r)``: scan, locate the edges of the valid windows, bracket inside them, bisect.

    ``gap`` is NaN where the reduced form has no interior solution (an
    implied entry mass is not positive). The region where it is finite can
    be one or several narrow windows, and a root can lie within a few
    hundredths in ln r of a window's edge, where ``gap`` runs off to +-inf.
    So: a grid of ``n_scan`` points over [-12, 12] (step 0.1) finds the
    windows; the edges between a finite and a non-finite grid point (the
    ``n_edges`` nearest to ``target``) are located by ``n_halve`` halvings
    (to about 1e-14 in ln r); points just inside each edge, clustered
    geometrically towards it, join the grid; the sign changes between
    adjacent finite points are the brackets. When several exist (several
    equilibria) the one nearest to ``target`` is refined by ``n_bisect``
    halvings, which leave far less than 1e-9 in ln r for Newton to polish.
    Returns ``(ln r, found)``; without a bracket ``ln r = target`` and
    ``found`` is False.
    """
    scan = jnp.linspace(-12.0, 12.0, n_scan)
    step = scan[1] - scan[0]
    scan_gaps = jax.vmap(gap)(scan)
    finite = jnp.isfinite(scan_gaps)
    # edges: adjacent scan points of which exactly one is finite; keep the n_edges nearest to target
    crossing = finite[:-1] != finite[1:]
    mid = 0.5 * (scan[:-1] + scan[1:])
    pick = jnp.argsort(jnp.where(crossing, jnp.abs(mid - target), jnp.inf))[:n_edges]
    has_edge = crossing[pick]
    left_finite = finite[pick]
    inside = jnp.where(left_finite, scan[pick], scan[pick + 1])
    outside = jnp.where(left_finite, scan[pick + 1], scan[pick])

    def halve(_, state):
        good, bad = state
        m = 0.5 * (good + bad)
        ok = jnp.isfinite(jax.vmap(gap)(m))
        return jnp.where(ok, m, good), jnp.where(ok, bad, m)

    edge, _ = jax.lax.fori_loop(0, n_halve, halve, (inside, outside))
    into = jnp.sign(inside - outside)  # direction from each edge into its window
    offsets = step * jnp.logspace(-8.0, -0.5, 6)
    extra = jnp.concatenate([edge, (edge[:, None] + into[:, None] * offsets[None, :]).ravel()])
    # where there is no edge the extra points are copies of scan[0]: zero-length intervals, never a bracket
    has = jnp.concatenate([has_edge, jnp.repeat(has_edge, offsets.size)])
    extra = jnp.where(has, extra, scan[0])
    extra_gaps = jnp.where(has, jax.vmap(gap)(extra), scan_gaps[0])
    grid = jnp.concatenate([scan, extra])
    order = jnp.argsort(grid)
    grid, gaps = grid[order], jnp.concatenate([scan_gaps, extra_gaps])[order]
    return _bisect_nearest_bracket(gap, grid, gaps, target, n_bisect)


def _reduced_form_guess(p: VerticalParams, guess_given_N, blocks, bracket=_bracket_log_ratio):
    """Reduced-form guess at the entry-mass ratio consistent with market clearing.

    ``guess_given_N(N, p)`` is a case's Pareto reduced form for given upstream
    entry masses and ``blocks(u, p).N_E`` the entry masses its market
    clearing implies. Both depend on N only through r = N_j / N_i, so the
    consistent ln r is the root of ``gap`` (NaN where the implied masses are
    not positive), found by ``bracket`` (:func:`_bracket_log_ratio` or
    :func:`_bracket_log_ratio_at_edges`). Returns the guess
    (logs of the unknowns) and whether a root was bracketed.
    """
    s, k = p.sigma, p.k

    def implied(N):
        return blocks(guess_given_N(N, p), p).N_E

    def gap(log_ratio):
        N_new = implied(jnp.stack([jnp.ones_like(log_ratio), jnp.exp(log_ratio)]))
        return jnp.where(jnp.all(N_new > 0), jnp.log(N_new[1] / N_new[0]) - log_ratio, jnp.nan)

    log_ratio, found = bracket(gap, jnp.log(p.L[1] / p.L[0]))
    # the level of N only scales B^F; map (level, level r) once through market clearing
    level = (s - 1.0) / (k * s) * ((s - 1.0) / s * p.beta * p.L[0]) / p.f_E[0]
    N = level * jnp.stack([jnp.ones_like(log_ratio), jnp.exp(log_ratio)])
    N_new = implied(N)
    N = jnp.where(jnp.all(N_new > 0), N_new, N)
    return guess_given_N(N, p), found


def input_trade_initial_guess(p: VerticalParams, entry_masses=None) -> jax.Array:
    """The starting point of :func:`solve_input_trade` (logs of the twelve unknowns).

    The Pareto reduced form at the entry-mass ratio that clears (15) (or at
    ``entry_masses`` when given); see :func:`_input_trade_initial_guess`.
    Where an interior equilibrium exists it solves the twelve conditions to
    about 1e-15.
    """
    return _input_trade_initial_guess(p, entry_masses)[0]


def _input_trade_initial_guess(p: VerticalParams, entry_masses=None):
    """Initial guess: the Pareto reduced form at the entry-mass ratio that clears (15).

    The reduced form (:func:`_input_trade_guess_given_N`) depends on the entry
    masses only through r = N_j / N_i, and so does the r implied by (15);
    the consistent ln r is found by :func:`_bracket_log_ratio`. When no
    bracket exists there is no interior equilibrium with upstream firms in
    both countries; the guess then uses r = L_j / L_i and Newton reports
    ``converged=False``.
    """
    if entry_masses is not None:
        return _input_trade_guess_given_N(jnp.asarray(entry_masses, dtype=float), p), jnp.asarray(True)
    return _reduced_form_guess(p, _input_trade_guess_given_N, input_blocks)


class InputTradeEquilibrium(_Equilibrium):
    """Equilibrium with input trade (tau^F = inf), section 2.

    Per-country arrays have shape (2,) indexed (i, j); bilateral arrays
    (2, 2) are indexed [origin, destination].

    Attributes
    ----------
    varphi_dom: varphi*_nn, domestic-sourcing cutoff of final firms, eq. (5).
    varphi_tilde: varphi~*_nn, foreign-sourcing cutoff, eq. (6).
    phi: phi*[o, d], cutoffs of upstream firms of o selling in d, eqs. (11), (12).
    B_F, B_I: demand indices of final and intermediate goods.
    N_E, M_E: masses of upstream and downstream entrants (eq. 15 and A.16/20).
    Lambda_I: Lambda^I_mn, market share of input exporters in n, after (15).
    Lambda_F_tilde: Lambda~^F_mn, market share of foreign-sourcing final firms in n, after (9).
    lambda_I_dom: lambda^I_nn, domestic expenditure share on inputs, eq. (16).
    Gamma, Gamma_tilde: unit costs of domestic- and foreign-sourcing final firms, eqs. (18), (4).
    R_F: consumer expenditure beta L_n on the industry.
    R_I_flow: R^I[o, d], input sales of o's firms in d (A.17); off-diagonal = trade flows.
    firms_I: N^E_o (1 - G(phi*_od)), number of upstream firms of o active in d.
    sales_per_firm_I: R_I_flow / firms_I (Pareto: k sigma f^I_od / (k - sigma + 1)).
    importers_F: M^E_n (1 - G(varphi~*_nn)), number of foreign-sourcing final firms in n.
    domestic_sourcers_F: M^E_n (G(varphi~*_nn) - G(varphi*_nn)).
    P_F: price index of final goods from B^F = (sigma-1)^(sigma-1)/sigma^sigma R^F P^(sigma-1).
    L_I, L_F, L_outside: labour in upstream, downstream and the outside good.
    residuals: the twelve conditions at the solution (:data:`INPUT_TRADE_CONDITIONS`).
    info: the overall verdict (:class:`~jaxtrade.errors.SolverInfo`): Newton's
        iterations and residual; ``converged`` false and ``result`` saying why
        when Newton failed, no starting bracket exists (``no_bracket``) or the
        parameters break a rule (``invalid_parameters``).
    selection_holds: varphi~ > varphi and phi_mn > phi_nn in both countries ((7), (13) > 1).
    cutoffs_above_lower_bounds: every cutoff above its Pareto lower bound
        (needed by the closed forms (20)-(22) and Proposition 2).
    outside_good_produced: L_outside > 0 in both countries (section 2.2).
    """

    varphi_dom: jax.Array
    varphi_tilde: jax.Array
    phi: jax.Array
    B_F: jax.Array
    B_I: jax.Array
    N_E: jax.Array
    M_E: jax.Array
    Lambda_I: jax.Array
    Lambda_F_tilde: jax.Array
    lambda_I_dom: jax.Array
    Gamma: jax.Array
    Gamma_tilde: jax.Array
    R_F: jax.Array
    R_I_flow: jax.Array
    firms_I: jax.Array
    sales_per_firm_I: jax.Array
    importers_F: jax.Array
    domestic_sourcers_F: jax.Array
    P_F: jax.Array
    L_I: jax.Array
    L_F: jax.Array
    L_outside: jax.Array
    residuals: jax.Array
    info: SolverInfo
    selection_holds: jax.Array
    cutoffs_above_lower_bounds: jax.Array
    outside_good_produced: jax.Array

    UNKNOWNS: ClassVar[tuple[str, ...]] = INPUT_TRADE_UNKNOWNS

    def unknown_vector(self) -> jax.Array:
        """The twelve unknowns in :data:`INPUT_TRADE_UNKNOWNS` order (last axis)."""
        return jnp.concatenate(
            [self.varphi_dom, self.varphi_tilde, _diag(self.phi), _into(self.phi), self.B_F, self.B_I], axis=-1
        )


def _input_trade_outputs(u, p: VerticalParams, info: SolverInfo, entry_masses=None) -> InputTradeEquilibrium:
    s, k = p.sigma, p.k
    b = input_blocks(u, p, entry_masses)
    N_E = b.N_E
    phi = bilateral(b.phi_dom, b.phi_into)
    R_F = p.beta * p.L
    fF_dom, fF_into = _diag(p.f_F), _into(p.f_F)
    # downstream entrants, general form (A.16)
    surv_dom, surv_tilde = survival(b.varphi_dom, p.varphi_min, k), survival(b.varphi_tilde, p.varphi_min, k)
    M_E = R_F / (s * (p.f_E + surv_dom * fF_dom + surv_tilde * fF_into))
    t1 = b.tau_into ** (1.0 - s)
    R_dom = s * b.B_I * N_E * b.VI_dom
    R_into = s * b.Lambda_F_tilde * t1 * b.B_I * _swap(N_E) * b.VI_into
    R_I_flow = bilateral(R_dom, R_into)
    firms_I = bilateral(N_E * survival(b.phi_dom, p.phi_min, k), _swap(N_E) * survival(b.phi_into, _swap(p.phi_min), k))
    lambda_I_dom = 1.0 / (1.0 + t1 * b.Lambda_F_tilde * b.Lambda_I)
    Gamma = b.Gamma_1ms ** (1.0 / (1.0 - s))
    Gamma_tilde = ((1.0 + t1 * b.Lambda_I) * b.Gamma_1ms) ** (1.0 / (1.0 - s))
    P_F = (b.B_F * s**s / ((s - 1.0) ** (s - 1.0) * R_F)) ** (1.0 / (s - 1.0))
    importers_F = M_E * survival(b.varphi_tilde, p.varphi_min, k)
    domestic_sourcers_F = M_E * survival(b.varphi_dom, p.varphi_min, k) - importers_F
    L_I = R_I_flow.sum(axis=-1)  # revenues of n's upstream firms (sales at home and abroad), eq. (17)
    L_F = R_F / s  # R^F - E, after (10)
    L_outside = p.L - L_I - L_F
    residuals = input_trade_residuals(u, p, entry_masses)
    selection = jnp.all(b.varphi_tilde > b.varphi_dom) & jnp.all(b.phi_into > b.phi_dom)
    above = jnp.all(b.varphi_dom >= p.varphi_min) & jnp.all(
        b.phi_dom >= p.phi_min
    )  # the other cutoffs exceed these when selection holds
    return InputTradeEquilibrium(
        varphi_dom=b.varphi_dom, varphi_tilde=b.varphi_tilde, phi=phi, B_F=b.B_F, B_I=b.B_I,
        N_E=N_E, M_E=M_E, Lambda_I=b.Lambda_I, Lambda_F_tilde=b.Lambda_F_tilde, lambda_I_dom=lambda_I_dom,
        Gamma=Gamma, Gamma_tilde=Gamma_tilde, R_F=R_F, R_I_flow=R_I_flow, firms_I=firms_I,
        sales_per_firm_I=R_I_flow / firms_I, importers_F=importers_F, domestic_sourcers_F=domestic_sourcers_F,
        P_F=P_F, L_I=L_I, L_F=L_F, L_outside=L_outside, residuals=residuals, info=info,
        selection_holds=selection, cutoffs_above_lower_bounds=above, outside_good_produced=jnp.all(L_outside > 0),
    )  # fmt: skip


def _solve_input_trade_one(p: VerticalParams, entry_masses, tol, max_iter, params_valid):
    u0, found = _input_trade_initial_guess(p, entry_masses)
    # no bracket: no interior equilibrium; skip Newton so that a vmapped batch is
    # not held up by lanes that cannot converge (the flag reports the failure)
    iters = jnp.where(found, max_iter, 0)
    sol = newton_root(
        lambda u, args: input_trade_residuals(u, *args), u0, (p, entry_masses), tol=tol, max_iter=iters, throw=False
    )
    return flag_nonfinite(_input_trade_outputs(sol.value, p, _fold(sol.info, found, params_valid), entry_masses))


@cached_program
@eqx.filter_jit
def _solve_input_trade_jit(p, entry_masses, tol, max_iter):
    ok = rules_hold(p, INPUT_TRADE_RULES)  # over all stacked industries: sum(beta) < 1 concerns them together
    if jnp.ndim(p.sigma) == 1:  # S stacked industries
        in_axes = (0, None if entry_masses is None else 0)
        return jax.vmap(lambda q, n: _solve_input_trade_one(q, n, tol, max_iter, ok), in_axes=in_axes)(p, entry_masses)
    return _solve_input_trade_one(p, entry_masses, tol, max_iter, ok)


def solve_input_trade(
    params: VerticalParams,
    *,
    entry_masses=None,
    tol: float = 1e-12,
    max_iter: int = 10,
    throw: bool = True,
) -> InputTradeEquilibrium:
    """Solve the input-trade equilibrium (section 2.5): conditions (5)-(14), 12 unknowns.

    Parameters
    ----------
    params:
        :class:`~jaxtrade.models.vertical.params.VerticalParams` for one
        industry, or S stacked industries (solved independently: with the
        outside good pinning the wage, the industries do not interact).
    entry_masses:
        ``None`` (default): N^E_i, N^E_j clear the intermediate-goods market
        (15) -- the general equilibrium. An array (2,) holds them fixed, as in
        the proofs of Lemmas 1-3 (Appendix A.1).
    tol:
        Max-abs tolerance on the twelve residuals.
    max_iter:
        Newton iterations at most. From the reduced-form guess a valid
        equilibrium needs at most a few (none of 100,000 random valid draws in
        ``benchmarks/bench_vertical.py`` needed more than 8); under ``vmap``
        every lane waits for the slowest, so the bound also caps batch cost.
    throw:
        ``True`` (default): parameters outside
        :data:`~jaxtrade.models.vertical.params.INPUT_TRADE_RULES` (:data:`RULES`
        and a finite tau^I) raise ``ValueError``
        naming the rule and a failed solve raises
        :class:`~jaxtrade.errors.ConvergenceError` when called eagerly; under
        ``jit``/``vmap``/``grad`` both checks are compiled in and raise when the
        program runs. ``False``: nothing raises; read ``result.info.converged``
        and ``result.info.result`` (one per lane: ``no_bracket`` where no interior
        equilibrium exists, ``invalid_parameters`` where a rule is broken).

    Returns
    -------
    InputTradeEquilibrium
        The twelve unknowns, the objects of section 2 they imply, ``info``
        and the validity flags (``valid`` combines them).

    Notes
    -----
    The function is jitted and vmaps over parameter batches; derivatives of
    every output with respect to ``params`` come from the implicit function
    theorem.

    Examples
    --------
    >>> from jaxtrade.models.vertical import solve_input_trade, vertical_params
    >>> eq = solve_input_trade(vertical_params())
    >>> bool(eq.valid), eq.residuals.shape
    (True, (12,))
    >>> eq = solve_input_trade(vertical_params(sigma=3.0, k=2.1, beta=0.2), throw=False)
    >>> bool(eq.info.converged), eq.info.reason
    (False, 'no starting bracket exists: these parameters admit no interior solution of this kind')
    """
    params = rules_checked(params, throw, INPUT_TRADE_RULES)
    out = _solve_input_trade_jit(params, entry_masses, tol, max_iter)
    return finish_solve(out, params, throw=throw, what=INPUT_WHAT, tol=tol, rules=INPUT_TRADE_RULES)


# ---------------------------------------------------------------------------
# final-goods-only trade (Proposition 1(ii)): 10 unknowns
# ---------------------------------------------------------------------------

FINAL_TRADE_UNKNOWNS = (
    "varphi_ii", "varphi_jj", "varphi_ij", "varphi_ji",
    "phi_ii", "phi_jj", "B_F_i", "B_F_j", "B_I_i", "B_I_j",
)  # fmt: skip
"""Order of the unknown vector; ``varphi_ij`` is the cutoff of i's final-goods exporters to j."""

FINAL_TRADE_CONDITIONS = (
    "(5') i", "(5') j", "(6') i->j", "(6') j->i", "(8') i", "(8') j",
    "(11') i", "(11') j", "(14') i", "(14') j",
)  # fmt: skip


class FinalBlocks(eqx.Module):
    """Every object of the final-goods-only case implied by its ten unknowns (Appendix A.2).

    Per-country arrays of shape (2,), indexed by the country n = i, j.

    Attributes
    ----------
    varphi_dom, varphi_out:
        varphi*_nn and varphi*_nm, the cutoffs of n's final firms at home and
        as exporters to the other country m, (5') and (6').
    phi_dom:
        phi*_nn, the upstream cutoffs (inputs are not traded), (11').
    B_F, B_I:
        Demand indices of final and intermediate goods.
    M_E, N_E:
        Downstream entrants (upstream market clearing) and upstream entrants
        (final-goods market clearing).
    Gamma_1ms:
        Gamma_n^(1-sigma), eq. (18).
    VF_dom, VF_out, VI_dom:
        V at the cutoffs (section 2.1).
    tau_out:
        tau^F_nm, the final-goods trade cost out of n.
    """

    varphi_dom: jax.Array
    varphi_out: jax.Array
    phi_dom: jax.Array
    B_F: jax.Array
    B_I: jax.Array
    M_E: jax.Array
    N_E: jax.Array
    Gamma_1ms: jax.Array
    VF_dom: jax.Array
    VF_out: jax.Array
    VI_dom: jax.Array
    tau_out: jax.Array


def final_blocks(u, p: VerticalParams) -> FinalBlocks:
    """The :class:`FinalBlocks` implied by the unknowns ``u`` (logs, :data:`FINAL_TRADE_UNKNOWNS` order)."""
    s, k = p.sigma, p.k
    x = jnp.exp(u)
    varphi_dom, varphi_out, phi_dom, B_F, B_I = x[0:2], x[2:4], x[4:6], x[6:8], x[8:10]
    tau_out = _out(p.tau_F)
    VF_dom = V(varphi_dom, p.varphi_min, k, s)
    VF_out = V(varphi_out, p.varphi_min, k, s)
    VI_dom = V(phi_dom, p.phi_min, k, s)
    g = markup_term(s)  # (sigma/(sigma-1))^(1-sigma), eq. (18)
    # revenue per downstream entrant of n, divided by Gamma_n^(1-sigma) and sigma
    y = B_F * VF_dom + _swap(B_F) * tau_out ** (1.0 - s) * VF_out
    # upstream market clearing: R^I_n = (sigma-1)/sigma * revenue of n's final firms
    # = sigma B^I_n N_n V^I(phi_nn), with Gamma_n^(1-sigma) = g N_n V^I(phi_nn)  =>  M_n
    M_E = s * B_I / ((s - 1.0) * g * y)
    # final-goods market clearing in each destination d: beta L_d = sum_o R^F_od, linear in N
    own = s * B_F * M_E * g * VI_dom * VF_dom
    imp = s * B_F * _swap(M_E) * _into(p.tau_F) ** (1.0 - s) * g * _swap(VI_dom) * _swap(VF_out)
    A = jnp.array([[own[0], imp[0]], [imp[1], own[1]]])
    N_E = solve_small(A, p.beta * p.L)
    Gamma_1ms = g * N_E * VI_dom
    return FinalBlocks(
        varphi_dom=varphi_dom, varphi_out=varphi_out, phi_dom=phi_dom, B_F=B_F, B_I=B_I, M_E=M_E,
        N_E=N_E, Gamma_1ms=Gamma_1ms, VF_dom=VF_dom, VF_out=VF_out, VI_dom=VI_dom, tau_out=tau_out,
    )  # fmt: skip


def final_trade_residuals(u, p: VerticalParams):
    """The ten conditions of the final-goods-only case (:data:`FINAL_TRADE_CONDITIONS`)."""
    s, k = p.sigma, p.k
    b = final_blocks(u, p)
    fF_dom, fF_out, fI_dom = _diag(p.f_F), _out(p.f_F), _diag(p.f_I)
    e5 = jnp.log(b.Gamma_1ms * b.B_F * b.varphi_dom ** (s - 1.0) / fF_dom)
    e6 = jnp.log(b.tau_out ** (1.0 - s) * b.Gamma_1ms * _swap(b.B_F) * b.varphi_out ** (s - 1.0) / fF_out)
    e8 = (fF_dom * J(b.varphi_dom, p.varphi_min, k, s) + fF_out * J(b.varphi_out, p.varphi_min, k, s)) / p.f_E - 1.0
    e11 = jnp.log(b.B_I * b.phi_dom ** (s - 1.0) / fI_dom)
    e14 = fI_dom * J(b.phi_dom, p.phi_min, k, s) / p.f_E - 1.0
    return jnp.concatenate([e5, e6, e8, e11, e14])


def _final_trade_guess_given_N(N_E, p: VerticalParams):
    """Pareto reduced form of the ten final-trade conditions for given upstream entry masses.

    Upstream cutoffs solve (11'), (14') in closed form. Dividing (6') by (5')
    of the destination gives (varphi_nm / varphi_mm)^(sigma-1) =
    tau^(sigma-1) f_nm / f_mm * Gamma_m^(1-sigma) / Gamma_n^(1-sigma), with
    Gamma^(1-sigma) proportional to N^E (18); free entry (8') is then linear in
    varphi_nn^(-k); B^F follows from (5').
    """
    s, k = p.sigma, p.k
    theta = k - (s - 1.0)
    fe = p.f_E * theta / (s - 1.0)
    fF_dom, fF_out, fI_dom = _diag(p.f_F), _out(p.f_F), _diag(p.f_I)
    phi_dom = p.phi_min * (fI_dom / fe) ** (1.0 / k)
    B_I = fI_dom * phi_dom ** (1.0 - s)
    Gamma_1ms = markup_term(s) * N_E * V(phi_dom, p.phi_min, k, s)
    # n's exports vs m's domestic sales
    W = _out(p.tau_F) ** (s - 1.0) * fF_out / _swap(fF_dom) * _swap(Gamma_1ms) / Gamma_1ms
    Z = jnp.array(
        [
            [fF_dom[0] * p.varphi_min[0] ** k, fF_out[0] * p.varphi_min[0] ** k * W[0] ** (-k / (s - 1.0))],
            [fF_out[1] * p.varphi_min[1] ** k * W[1] ** (-k / (s - 1.0)), fF_dom[1] * p.varphi_min[1] ** k],
        ]
    )
    z = solve_small(Z, fe)  # varphi_nn^(-k)
    z = jnp.where(z > 0, z, fe / (fF_dom * p.varphi_min**k))
    varphi_dom = z ** (-1.0 / k)
    varphi_out = _swap(varphi_dom) * W ** (1.0 / (s - 1.0))
    B_F = fF_dom / (Gamma_1ms * varphi_dom ** (s - 1.0))
    return jnp.log(jnp.concatenate([varphi_dom, varphi_out, phi_dom, B_F, B_I]))


def _final_trade_initial_guess(p: VerticalParams):
    """Reduced form at the upstream entry-mass ratio consistent with market clearing, and whether it exists."""
    # the final-goods root often lies just inside an edge of the window where both entry masses are positive
    return _reduced_form_guess(p, _final_trade_guess_given_N, final_blocks, _bracket_log_ratio_at_edges)


class FinalTradeEquilibrium(_Equilibrium):
    """Equilibrium with final-goods trade only (tau^I = inf), Proposition 1(ii) and A.2.

    Attributes
    ----------
    varphi: varphi*[o, d], cutoff of o's final firms selling in d (diagonal: eq. 5').
    phi_dom: phi*_nn, upstream cutoffs (inputs are not traded).
    B_F, B_I: demand indices. M_E, N_E: entry masses.
    Gamma: unit cost of final firms, eq. (18).
    R_F_flow: R^F[o, d], final-goods sales of o's firms in d (A.19).
    firms_F: M^E_o (1 - G(varphi*_od)); sales_per_firm_F = R_F_flow / firms_F.
    Lambda_F: Lambda^F_mn, market share of final-goods exporters in n (A.3).
    lambda_F_dom: lambda^F_nn, domestic share of final-goods expenditure (A.3).
    residuals, info, selection_holds, cutoffs_above_lower_bounds, outside_good_produced:
        as in :class:`InputTradeEquilibrium`.
    """

    varphi: jax.Array
    phi_dom: jax.Array
    B_F: jax.Array
    B_I: jax.Array
    M_E: jax.Array
    N_E: jax.Array
    Gamma: jax.Array
    R_F_flow: jax.Array
    firms_F: jax.Array
    sales_per_firm_F: jax.Array
    Lambda_F: jax.Array
    lambda_F_dom: jax.Array
    L_outside: jax.Array
    residuals: jax.Array
    info: SolverInfo
    selection_holds: jax.Array
    cutoffs_above_lower_bounds: jax.Array
    outside_good_produced: jax.Array

    UNKNOWNS: ClassVar[tuple[str, ...]] = FINAL_TRADE_UNKNOWNS

    def unknown_vector(self) -> jax.Array:
        """The ten unknowns in :data:`FINAL_TRADE_UNKNOWNS` order (last axis)."""
        return jnp.concatenate([_diag(self.varphi), _out(self.varphi), self.phi_dom, self.B_F, self.B_I], axis=-1)


def _final_trade_outputs(u, p: VerticalParams, info: SolverInfo) -> FinalTradeEquilibrium:
    s, k = p.sigma, p.k
    b = final_blocks(u, p)
    varphi = bilateral(b.varphi_dom, _swap(b.varphi_out))
    R_dom = s * b.B_F * b.Gamma_1ms * b.M_E * b.VF_dom
    R_out = s * _swap(b.B_F) * b.tau_out ** (1.0 - s) * b.Gamma_1ms * b.M_E * b.VF_out  # n -> m
    R_F_flow = bilateral(R_dom, _swap(R_out))
    firms_F = bilateral(
        b.M_E * survival(b.varphi_dom, p.varphi_min, k), _swap(b.M_E * survival(b.varphi_out, p.varphi_min, k))
    )
    R_into = _into(R_F_flow)
    lambda_F_dom = R_dom / (R_dom + R_into)
    Lambda_F = (_swap(b.M_E * b.Gamma_1ms * b.VF_out)) / (b.M_E * b.Gamma_1ms * b.VF_dom)
    revenue = R_F_flow.sum(axis=-1)  # n's final firms' sales at home and abroad
    L_F = revenue / s
    L_I = (s - 1.0) / s * revenue  # non-traded inputs: upstream revenue = input spending
    L_outside = p.L - L_F - L_I
    selection = jnp.all(b.varphi_out > b.varphi_dom)
    above = jnp.all(b.varphi_dom >= p.varphi_min) & jnp.all(b.phi_dom >= p.phi_min)
    return FinalTradeEquilibrium(
        varphi=varphi, phi_dom=b.phi_dom, B_F=b.B_F, B_I=b.B_I, M_E=b.M_E, N_E=b.N_E,
        Gamma=b.Gamma_1ms ** (1.0 / (1.0 - s)), R_F_flow=R_F_flow, firms_F=firms_F,
        sales_per_firm_F=R_F_flow / firms_F, Lambda_F=Lambda_F, lambda_F_dom=lambda_F_dom, L_outside=L_outside,
        residuals=final_trade_residuals(u, p), info=info, selection_holds=selection,
        cutoffs_above_lower_bounds=above, outside_good_produced=jnp.all(L_outside > 0),
    )  # fmt: skip


def _solve_final_trade_one(p, tol, max_iter, params_valid):
    u0, found = _final_trade_initial_guess(p)
    iters = jnp.where(found, max_iter, 0)  # as in _solve_input_trade_one
    sol = newton_root(lambda u, q: final_trade_residuals(u, q), u0, p, tol=tol, max_iter=iters, throw=False)
    return flag_nonfinite(_final_trade_outputs(sol.value, p, _fold(sol.info, found, params_valid)))


@cached_program
@eqx.filter_jit
def _solve_final_trade_jit(p, tol, max_iter):
    ok = rules_hold(p, FINAL_TRADE_RULES)
    if jnp.ndim(p.sigma) == 1:
        return jax.vmap(lambda q: _solve_final_trade_one(q, tol, max_iter, ok))(p)
    return _solve_final_trade_one(p, tol, max_iter, ok)


def solve_final_trade(
    params: VerticalParams, *, tol: float = 1e-12, max_iter: int = 10, throw: bool = True
) -> FinalTradeEquilibrium:
    """Solve the final-goods-only trade equilibrium of Proposition 1(ii) (tau^I = inf, Appendix A.2).

    Uses ``params.tau_F`` and the off-diagonal ``params.f_F`` as the final-goods
    export costs; ``params.tau_I`` is ignored. The arguments are those of
    :func:`solve_input_trade` (without ``entry_masses``); ``info`` folds the
    Newton solve, the bracket search and the parameter rules in the same way.

    Returns
    -------
    FinalTradeEquilibrium

    Examples
    --------
    >>> from jaxtrade.models.vertical import solve_final_trade, vertical_params
    >>> eqF = solve_final_trade(vertical_params(tau_F=(1.6, 1.8)))
    >>> bool(eqF.valid), eqF.residuals.shape
    (True, (10,))
    """
    params = rules_checked(params, throw, FINAL_TRADE_RULES)
    out = _solve_final_trade_jit(params, tol, max_iter)
    return finish_solve(out, params, throw=throw, what=FINAL_WHAT, tol=tol, rules=FINAL_TRADE_RULES)
