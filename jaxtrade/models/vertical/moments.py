"""Comparative statics and trade elasticities of Ara & Zhang (2020) by autodiff.

* :func:`cutoff_derivatives` differentiates the twelve unknowns with respect
  to tau^I_ji (country i's import cost from j) through the solved equilibrium
  (implicit function theorem), either holding the entry masses N^E fixed, as
  the proofs of Lemmas 1-3 do (Appendix A.1: "holding N_i^E, N_j^E in
  Lambda_ji^I constant"), or in general equilibrium with N^E clearing (15).
* :func:`lemma_sign_table` compares the signs with Lemmas 1, 2 and 3.
* :func:`partial_trade_elasticities` computes the partial elasticities of
  Proposition 2 as the paper defines them -- demand indices B and entry
  masses held fixed, the trade-selection cutoffs free to move -- from the
  model's own cutoff conditions (6), (12) and (6') (:func:`input_partial_flows`,
  :func:`final_partial_flows`), and the margin decomposition of section 2.5
  and Appendix A.3; :func:`closed_form_elasticities` gives the paper's
  formulas beside them.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from jaxtrade.errors import Solution, combine_info
from jaxtrade.models.vertical.params import FINAL_TRADE_RULES, INPUT_TRADE_RULES, RULES, VerticalParams, with_tau_I
from jaxtrade.models.vertical.pareto import V
from jaxtrade.models.vertical.solve import (
    FINAL_WHAT,
    INPUT_TRADE_UNKNOWNS,
    INPUT_WHAT,
    FinalTradeEquilibrium,
    InputTradeEquilibrium,
    finish_solve,
    rules_checked,
    solve_final_trade,
    solve_input_trade,
)
from jaxtrade.numerics.ces import markup_term
from jaxtrade.numerics.root import newton_root
from jaxtrade.program_cache import cached_program

__all__ = [
    "LEMMA_SIGNS",
    "closed_form_elasticities",
    "cutoff_derivatives",
    "final_partial_flows",
    "input_partial_flows",
    "lemma_sign_table",
    "partial_trade_elasticities",
    "unknown_jacobian",
]

# Signs of d(unknown)/d(tau^I_ji) in Lemmas 1-3: +1, -1 or 0.
LEMMA_SIGNS = {
    "phi_ii": (+1, "Lemma 1"),
    "phi_ij": (-1, "Lemma 1"),
    "phi_jj": (-1, "Lemma 1"),
    "phi_ji": (+1, "Lemma 1"),
    "varphi_ii": (-1, "Lemma 2"),
    "varphi_tilde_ii": (+1, "Lemma 2"),
    "varphi_jj": (0, "Lemma 2"),
    "varphi_tilde_jj": (0, "Lemma 2"),
    "B_I_i": (-1, "Lemma 3"),
    "B_I_j": (+1, "Lemma 3"),
    "B_F_i": (+1, "Lemma 3"),
    "B_F_j": (-1, "Lemma 3"),
}


@cached_program
@eqx.filter_jit
def _unknown_jacobian(p: VerticalParams, hold_entry_fixed: bool):
    """Derivatives and elasticities in one program (one trace serves ``log=False`` and ``log=True``)."""
    eq = solve_input_trade(p, throw=False)
    fixed = jax.lax.stop_gradient(eq.N_E) if hold_entry_fixed else None
    tau0 = p.tau_I[1, 0]

    def unknowns_at(t):
        return solve_input_trade(with_tau_I(p, 1, 0, t), entry_masses=fixed, throw=False).unknown_vector()

    d = jax.jacfwd(unknowns_at)(tau0)
    return Solution(value=(d, d * tau0 / eq.unknown_vector()), info=eq.info)


def unknown_jacobian(
    p: VerticalParams, *, hold_entry_fixed: bool = True, log: bool = False, throw: bool = True
) -> jax.Array:
    """d(unknown)/d(tau^I_ji) for the twelve unknowns as one array (order :data:`INPUT_TRADE_UNKNOWNS`).

    Parameters
    ----------
    p:
        Parameters of one industry.
    hold_entry_fixed:
        True: N^E_i, N^E_j held at their equilibrium values, as in the proofs
        of Lemmas 1-3 (Appendix A.1). False: general equilibrium, N^E clearing
        the intermediate-goods market (15).
    log:
        Return elasticities d ln x / d ln tau instead of derivatives.
    throw:
        ``True``: invalid parameters or an equilibrium that does not solve raise
        (see :func:`~jaxtrade.models.vertical.solve.solve_input_trade`);
        ``False``: the derivatives are returned whatever happened (NaN or
        meaningless where the equilibrium failed).

    Returns
    -------
    jax.Array
        Shape (12,), by the implicit function theorem through the solved system.

    Notes
    -----
    Jitted, pure and traceable: use under ``jax.vmap`` for parameter batches
    (with ``throw=False`` when some draws may have no equilibrium).

    Examples
    --------
    >>> from jaxtrade.models.vertical import unknown_jacobian, vertical_params
    >>> unknown_jacobian(vertical_params()).shape
    (12,)
    """
    return _derivatives_and_elasticities(p, hold_entry_fixed, throw)[1 if log else 0]


def _derivatives_and_elasticities(p: VerticalParams, hold_entry_fixed: bool, throw: bool):
    """(d x / d tau, d ln x / d ln tau) of the twelve unknowns from one checked solve (one program for both)."""
    p = rules_checked(p, throw, INPUT_TRADE_RULES)
    sol = _unknown_jacobian(p, bool(hold_entry_fixed))
    return finish_solve(sol, p, throw=throw, what=INPUT_WHAT, rules=INPUT_TRADE_RULES).value


def cutoff_derivatives(
    p: VerticalParams, *, hold_entry_fixed: bool = True, log: bool = False, throw: bool = True
) -> dict:
    """d(unknown)/d(tau^I_ji) for the twelve unknowns by name, by implicit differentiation (Lemmas 1-3).

    The arguments are those of :func:`unknown_jacobian`; the result is a dict
    keyed by :data:`~jaxtrade.models.vertical.solve.INPUT_TRADE_UNKNOWNS`
    (:func:`lemma_sign_table` shows them beside Lemmas 1-3).
    """
    return _by_name(unknown_jacobian(p, hold_entry_fixed=hold_entry_fixed, log=log, throw=throw))


def _by_name(d: jax.Array) -> dict:
    return {name: d[..., i] for i, name in enumerate(INPUT_TRADE_UNKNOWNS)}


def lemma_sign_table(
    p: VerticalParams, *, hold_entry_fixed: bool = True, zero_tol: float = 1e-9, throw: bool = True
) -> list[dict]:
    """Signs of the derivatives with respect to tau^I_ji beside Lemmas 1-3.

    An elasticity d ln x / d ln tau below ``zero_tol`` in absolute value
    counts as zero. Where a Lemma predicts a strict sign and the elasticity
    is below ``zero_tol``, float64 cannot resolve the sign (this happens when
    the input exporters' market share is negligible: the effects scale with
    it); such rows have ``resolved=False`` and ``agrees=None``. ``throw`` is
    that of :func:`unknown_jacobian`.

    Returns
    -------
    list of dict
        One row per unknown: unknown, lemma, expected_sign, derivative,
        elasticity, numeric_sign, resolved, agrees.

    Examples
    --------
    >>> from jaxtrade.models.vertical import lemma_sign_table, vertical_params
    >>> rows = lemma_sign_table(vertical_params())
    >>> [(r["unknown"], r["numeric_sign"]) for r in rows[:4]], all(r["agrees"] for r in rows)  # Lemma 1
    ([('phi_ii', 1), ('phi_ij', -1), ('phi_jj', -1), ('phi_ji', 1)], True)
    """
    d, e = _derivatives_and_elasticities(p, hold_entry_fixed, throw)  # one solve gives both
    der, ela = _by_name(d), _by_name(e)
    rows = []
    for name, (expected, lemma) in LEMMA_SIGNS.items():
        e = float(ela[name])
        sign = 0 if abs(e) < zero_tol else int(np.sign(e))
        resolved = expected == 0 or sign != 0
        rows.append(
            dict(
                unknown=name,
                lemma=lemma,
                expected_sign=expected,
                derivative=float(der[name]),
                elasticity=e,
                numeric_sign=sign,
                resolved=resolved,
                agrees=(sign == expected) if resolved else None,
            )  # fmt: skip
        )
    return rows


def closed_form_elasticities(sigma, k) -> dict:
    """Proposition 2 and its proof: the paper's closed forms.

    zeta_I = k (sigma-1) / (2(sigma-1) - k), zeta_F = k,
    xi_I = (sigma-1) / (2(sigma-1) - k) - 1, xi_F = k / (sigma-1) - 1,
    and the decomposition zeta_I = (sigma-1) + 2 (sigma-1)(k-(sigma-1))/(2(sigma-1)-k)
    (section 2.5 and Appendix A.3).

    Examples
    --------
    >>> cf = closed_form_elasticities(4.0, 4.5)
    >>> cf["zeta_I"], cf["zeta_F"]
    (9.0, 4.5)
    """
    sm1 = sigma - 1.0
    denom = 2.0 * sm1 - k
    ext_I = sm1 * (k - sm1) / denom
    return dict(
        zeta_I=k * sm1 / denom,
        zeta_F=k,
        xi_I=sm1 / denom - 1.0,
        xi_F=k / sm1 - 1.0,
        intensive=sm1,
        importer_extensive_downstream=ext_I,
        exporter_extensive_upstream=ext_I,
        exporter_extensive_final=k - sm1,
    )


def input_partial_flows(eq: InputTradeEquilibrium, p: VerticalParams):
    """Input flows j -> i with B^F_i, B^I_i, N^E and i's domestic cutoffs held at ``eq``.

    Parameters
    ----------
    eq:
        An input-trade equilibrium of ``p`` (one industry); its demand indices
        and entry masses may be shifted (the simulated panels do so).
    p:
        The parameters.

    Returns
    -------
    callable
        ``flows(ln_tau, ln_fI, ln_fF)`` of (ln tau^I_ji, ln f^I_ji, ln f^F_ji)
        giving ``[ln R^I_ji, ln Lambda~^F_ji, ln Lambda^I_ji]``: conditions (6)
        and (12) of country i are solved for (varphi~*_ii, phi*_ji) by Newton
        with implicit derivatives, and R^I_ji follows from (A.17).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from jaxtrade.models.vertical import solve_input_trade, vertical_params
    >>> p = vertical_params()
    >>> eq = solve_input_trade(p)
    >>> ln_R = input_partial_flows(eq, p)(jnp.log(p.tau_I[1, 0]), jnp.log(p.f_I[1, 0]), jnp.log(p.f_F[1, 0]))[0]
    >>> bool(jnp.isclose(jnp.exp(ln_R), eq.R_I_flow[1, 0], rtol=1e-10))
    True
    """
    s, k = p.sigma, p.k
    B_F_i, B_I_i = eq.B_F[0], eq.B_I[0]
    N_i, N_j = eq.N_E[0], eq.N_E[1]
    varphi_ii, phi_ii = eq.varphi_dom[0], eq.phi[0, 0]
    VF_dom = V(varphi_ii, p.varphi_min[0], k, s)
    VI_dom = V(phi_ii, p.phi_min[0], k, s)
    Gamma_1ms = markup_term(s) * N_i * VI_dom  # eq. (18)

    def shares(x):
        varphi_tilde, phi_ji = jnp.exp(x[0]), jnp.exp(x[1])
        Lam_F = V(varphi_tilde, p.varphi_min[0], k, s) / VF_dom
        Lam_I = N_j * V(phi_ji, p.phi_min[1], k, s) / (N_i * VI_dom)
        return varphi_tilde, phi_ji, Lam_F, Lam_I

    def residual(x, a):
        ln_tau, ln_fI, ln_fF = a
        varphi_tilde, phi_ji, Lam_F, Lam_I = shares(x)
        t1 = jnp.exp((1.0 - s) * ln_tau)
        e6 = jnp.log(Lam_I * t1 * Gamma_1ms * B_F_i * varphi_tilde ** (s - 1.0)) - ln_fF
        e12 = jnp.log(Lam_F * t1 * B_I_i * phi_ji ** (s - 1.0)) - ln_fI
        return jnp.stack([e6, e12])

    x0 = jnp.log(jnp.stack([eq.varphi_tilde[0], eq.phi[1, 0]]))

    def flows(ln_tau, ln_fI, ln_fF):
        sol = newton_root(residual, x0, (ln_tau, ln_fI, ln_fF), tol=1e-13, throw=False)
        _, phi_ji, Lam_F, Lam_I = shares(sol.value)
        R_ji = s * Lam_F * jnp.exp((1.0 - s) * ln_tau) * B_I_i * N_j * V(phi_ji, p.phi_min[1], k, s)
        return jnp.stack([jnp.log(R_ji), jnp.log(Lam_F), jnp.log(Lam_I)])

    return flows


def final_partial_flows(eqF: FinalTradeEquilibrium, p: VerticalParams):
    """Final-goods flows j -> i with B^F_i, Gamma_j and M^E held at ``eqF`` (Proposition 1(ii)).

    Returns
    -------
    callable
        ``flows(ln_tau, ln_f)`` of (ln tau^F_ji, ln f^F_ji) giving
        ``[ln R^F_ji, ln Lambda^F_ji]``: condition (6') is solved for
        varphi*_ji by Newton with implicit derivatives; Lambda^F_ji as in
        Appendix A.3.
    """
    s, k = p.sigma, p.k
    B_F_i = eqF.B_F[0]
    Gamma_j_1ms = eqF.Gamma[1] ** (1.0 - s)
    Gamma_i_1ms = eqF.Gamma[0] ** (1.0 - s)
    M_i, M_j = eqF.M_E[0], eqF.M_E[1]
    VF_ii = V(eqF.varphi[0, 0], p.varphi_min[0], k, s)

    def residual(x, a):  # condition (6') for j's exporters into i
        ln_tau, ln_f = a
        return jnp.atleast_1d(
            jnp.log(jnp.exp((1.0 - s) * ln_tau) * Gamma_j_1ms * B_F_i * jnp.exp(x[0]) ** (s - 1.0)) - ln_f
        )

    x0 = jnp.log(jnp.atleast_1d(eqF.varphi[1, 0]))

    def flows(ln_tau, ln_f):
        sol = newton_root(residual, x0, (ln_tau, ln_f), tol=1e-13, throw=False)
        VF_ji = V(jnp.exp(sol.value[0]), p.varphi_min[1], k, s)
        R_ji = s * B_F_i * jnp.exp((1.0 - s) * ln_tau) * Gamma_j_1ms * M_j * VF_ji
        Lam_F = M_j * Gamma_j_1ms * VF_ji / (M_i * Gamma_i_1ms * VF_ii)  # Appendix A.3
        return jnp.stack([jnp.log(R_ji), jnp.log(Lam_F)])

    return flows


@cached_program
@eqx.filter_jit
def _partial_trade_elasticities(p: VerticalParams):
    s = p.sigma
    eq = solve_input_trade(p, throw=False)
    flows_I = input_partial_flows(eq, p)
    a0 = (jnp.log(p.tau_I[1, 0]), jnp.log(p.f_I[1, 0]), jnp.log(p.f_F[1, 0]))
    J_tau, J_fI = jax.jacfwd(flows_I, argnums=(0, 1))(*a0)  # one trace for both derivatives

    eqF = solve_final_trade(p, throw=False)
    flows_F = final_partial_flows(eqF, p)
    b0 = (jnp.log(p.tau_F[1, 0]), jnp.log(p.f_F[1, 0]))
    JF_tau, JF_f = jax.jacfwd(flows_F, argnums=(0, 1))(*b0)

    def ln_R_ge(ln_tau):
        sol = solve_input_trade(with_tau_I(p, 1, 0, jnp.exp(ln_tau)), throw=False)
        return jnp.log(sol.R_I_flow[1, 0])

    zeta_ge = -jax.grad(ln_R_ge)(jnp.log(p.tau_I[1, 0]))
    out = dict(
        zeta_I=-J_tau[0],
        xi_I=-J_fI[0],
        zeta_F=-JF_tau[0],
        xi_F=-JF_f[0],
        intensive=s - 1.0,
        importer_extensive_downstream=-J_tau[1],
        exporter_extensive_upstream=-J_tau[2],
        exporter_extensive_final=-JF_tau[1],
        zeta_I_general_equilibrium=zeta_ge,
        closed_form=closed_form_elasticities(s, p.k),
    )
    return out, eq.info, eqF.info


def partial_trade_elasticities(p: VerticalParams, *, throw: bool = True) -> dict:
    """Partial trade elasticities of Proposition 2, numerically, beside the closed forms.

    Parameters
    ----------
    p:
        Parameters of one industry.
    throw:
        ``True`` (default): invalid parameters raise ``ValueError`` and an
        input-trade or final-goods-trade equilibrium that does not solve raises
        :class:`~jaxtrade.errors.ConvergenceError` (compiled-in checks under
        ``jit``/``vmap``). ``False``: read ``result["info"]``.

    Returns
    -------
    dict
        Flows are from j to i:

        * ``zeta_I``, ``xi_I``: -d ln R^I_ji / d ln tau^I_ji and / d ln f^I_ji
          with B and N^E held fixed (input-trade equilibrium);
        * ``zeta_F``, ``xi_F``: the same for R^F_ji in the final-goods-only
          equilibrium (B^F_i, Gamma_j, M^E held fixed);
        * the margins: ``intensive`` (sigma - 1), ``importer_extensive_downstream``
          (-d ln Lambda~^F_ji / d ln tau), ``exporter_extensive_upstream``
          (-d ln Lambda^I_ji / d ln tau), ``exporter_extensive_final``
          (-d ln Lambda^F_ji / d ln tau^F);
        * ``zeta_I_general_equilibrium``: -d ln R^I_ji / d ln tau^I_ji when every
          equilibrium object adjusts (not in the paper);
        * ``closed_form``: :func:`closed_form_elasticities`;
        * ``info``: the :class:`~jaxtrade.errors.SolverInfo` of the input-trade
          equilibrium with the final-goods-trade equilibrium folded in
          (``inner_failed`` when only the latter failed).

    Examples
    --------
    >>> from jaxtrade.models.vertical import partial_trade_elasticities, vertical_params
    >>> el = partial_trade_elasticities(vertical_params())
    >>> round(float(el["zeta_I"]), 8), round(float(el["closed_form"]["zeta_I"]), 8)
    (9.0, 9.0)
    """
    p = rules_checked(p, throw, INPUT_TRADE_RULES + FINAL_TRADE_RULES[len(RULES) :])
    out, info_I, info_F = _partial_trade_elasticities(p)
    out = finish_solve(Solution(value=out, info=info_I), p, throw=throw, what=INPUT_WHAT, rules=INPUT_TRADE_RULES).value
    out = finish_solve(Solution(value=out, info=info_F), p, throw=throw, what=FINAL_WHAT, rules=FINAL_TRADE_RULES).value
    return {**out, "info": combine_info(info_I, info_F)}
