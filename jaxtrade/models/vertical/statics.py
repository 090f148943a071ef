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
  model's own cutoff conditions (6), (12) and (6'), and the margin
  decomposition of section 2.5 and Appendix A.3; :func:`closed_form_elasticities`
  gives the paper's formulas beside them.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from jaxtrade.errors import finish
from jaxtrade.models.vertical.equilibrium import (
    INPUT_TRADE_UNKNOWNS,
    _input_trade_blocks,
    solve_final_trade,
    solve_input_trade,
)
from jaxtrade.models.vertical.params import VerticalParams
from jaxtrade.models.vertical.pareto import V
from jaxtrade.numerics.root import newton_root

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


def with_tau_I(p: VerticalParams, origin: int, destination: int, value) -> VerticalParams:
    """``p`` with tau^I[origin, destination] replaced by ``value`` (differentiable)."""
    return eqx.tree_at(lambda q: q.tau_I, p, p.tau_I.at[..., origin, destination].set(value))


def _unknown_vector(eq) -> jax.Array:
    d = eq.unknowns()
    return jnp.stack([d[name] for name in INPUT_TRADE_UNKNOWNS], axis=-1)


@eqx.filter_jit
def _unknown_jacobian(p: VerticalParams, hold_entry_fixed: bool, log: bool) -> jax.Array:
    eq = solve_input_trade(p, throw=False)
    fixed = jax.lax.stop_gradient(eq.N_E) if hold_entry_fixed else None
    tau0 = p.tau_I[1, 0]

    def unknowns_at(t):
        sol = solve_input_trade(with_tau_I(p, 1, 0, t), entry_masses=fixed, throw=False)
        x = _unknown_vector(sol)
        return jnp.log(x) if log else x

    d = jax.jacfwd(unknowns_at)(tau0)
    return d * tau0 if log else d


def cutoff_derivatives(p: VerticalParams, *, hold_entry_fixed: bool = True, log: bool = False) -> dict:
    """d(unknown)/d(tau^I_ji) for the twelve unknowns, by implicit differentiation.

    Parameters
    ----------
    hold_entry_fixed:
        True: N^E_i, N^E_j held at their equilibrium values, as in the proofs
        of Lemmas 1-3 (Appendix A.1). False: general equilibrium, N^E clearing
        the intermediate-goods market (15).
    log:
        Return elasticities d ln x / d ln tau instead of derivatives.

    Jitted; vmap over parameter batches with ``jax.vmap(_unknown_jacobian)``
    semantics is available through :func:`unknown_jacobian`.
    """
    d = _unknown_jacobian(p, bool(hold_entry_fixed), bool(log))
    return {name: d[..., i] for i, name in enumerate(INPUT_TRADE_UNKNOWNS)}


def unknown_jacobian(p: VerticalParams, *, hold_entry_fixed: bool = True, log: bool = False) -> jax.Array:
    """The twelve derivatives of :func:`cutoff_derivatives` as one array (order :data:`INPUT_TRADE_UNKNOWNS`).

    Pure and traceable: use under ``jax.vmap`` for parameter batches.
    """
    return _unknown_jacobian(p, hold_entry_fixed, log)


def lemma_sign_table(p: VerticalParams, *, hold_entry_fixed: bool = True, zero_tol: float = 1e-9) -> list[dict]:
    """Signs of the derivatives with respect to tau^I_ji beside Lemmas 1-3.

    An elasticity d ln x / d ln tau below ``zero_tol`` in absolute value
    counts as zero. Where a Lemma predicts a strict sign and the elasticity
    is below ``zero_tol``, float64 cannot resolve the sign (this happens when
    the input exporters' market share is negligible: the effects scale with
    it); such rows have ``resolved=False`` and ``agrees=None``.

    Returns one row per unknown: name, lemma, expected sign, derivative,
    elasticity, numeric sign, resolved, agrees.
    """
    der = cutoff_derivatives(p, hold_entry_fixed=hold_entry_fixed)
    ela = cutoff_derivatives(p, hold_entry_fixed=hold_entry_fixed, log=True)
    rows = []
    for name, (expected, lemma) in LEMMA_SIGNS.items():
        e = float(ela[name])
        sign = 0 if abs(e) < zero_tol else int(np.sign(e))
        resolved = expected == 0 or sign != 0
        rows.append(
            dict(
                unknown=name, lemma=lemma, expected_sign=expected, derivative=float(der[name]),
                elasticity=e, numeric_sign=sign, resolved=resolved,
                agrees=(sign == expected) if resolved else None,
            )  # fmt: skip
        )
    return rows


def closed_form_elasticities(sigma, k) -> dict:
    """Proposition 2 and its proof: the paper's closed forms.

    zeta_I = k (sigma-1) / (2(sigma-1) - k), zeta_F = k,
    xi_I = (sigma-1) / (2(sigma-1) - k) - 1, xi_F = k / (sigma-1) - 1,
    and the decomposition zeta_I = (sigma-1) + 2 (sigma-1)(k-(sigma-1))/(2(sigma-1)-k).
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


def _input_partial_system(eq, p: VerticalParams):
    """Flows j -> i with B^F_i, B^I_i, N^E and the domestic cutoffs held at ``eq``.

    Returns a function of (ln tau^I_ji, ln f^I_ji, ln f^F_ji) giving
    (ln R^I_ji, ln Lambda~^F_ji, ln Lambda^I_ji): conditions (6) and (12) of
    country i are solved for (varphi~*_ii, phi*_ji) by Newton with implicit
    derivatives.
    """
    s, k = p.sigma, p.k
    B_F_i, B_I_i = eq.B_F[0], eq.B_I[0]
    N_i, N_j = eq.N_E[0], eq.N_E[1]
    varphi_ii, phi_ii = eq.varphi_dom[0], eq.phi[0, 0]
    VF_dom = V(varphi_ii, p.varphi_min[0], k, s)
    VI_dom = V(phi_ii, p.phi_min[0], k, s)
    Gamma_1ms = (s / (s - 1.0)) ** (1.0 - s) * N_i * VI_dom

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


def _final_partial_flow(eqF, p: VerticalParams):
    """ln R^F_ji and ln Lambda^F_ji with B^F_i, Gamma_j, M^E held at the final-trade equilibrium."""
    s, k = p.sigma, p.k
    B_F_i = eqF.B_F[0]
    Gamma_j_1ms = eqF.Gamma[1] ** (1.0 - s)
    Gamma_i_1ms = eqF.Gamma[0] ** (1.0 - s)
    M_i, M_j = eqF.M_E[0], eqF.M_E[1]
    VF_ii = V(eqF.varphi[0, 0], p.varphi_min[0], k, s)

    def residual(x, a):  # condition (6') for j's exporters into i
        ln_tau, ln_f = a
        return jnp.atleast_1d(jnp.log(jnp.exp((1.0 - s) * ln_tau) * Gamma_j_1ms * B_F_i * jnp.exp(x[0]) ** (s - 1.0)) - ln_f)

    x0 = jnp.log(jnp.atleast_1d(eqF.varphi[1, 0]))

    def flows(ln_tau, ln_f):
        sol = newton_root(residual, x0, (ln_tau, ln_f), tol=1e-13, throw=False)
        VF_ji = V(jnp.exp(sol.value[0]), p.varphi_min[1], k, s)
        R_ji = s * B_F_i * jnp.exp((1.0 - s) * ln_tau) * Gamma_j_1ms * M_j * VF_ji
        Lam_F = M_j * Gamma_j_1ms * VF_ji / (M_i * Gamma_i_1ms * VF_ii)  # Appendix A.3
        return jnp.stack([jnp.log(R_ji), jnp.log(Lam_F)])

    return flows


@eqx.filter_jit
def _partial_trade_elasticities(p: VerticalParams):
    s = p.sigma
    eq = solve_input_trade(p, throw=False)
    flows_I = _input_partial_system(eq, p)
    a0 = (jnp.log(p.tau_I[1, 0]), jnp.log(p.f_I[1, 0]), jnp.log(p.f_F[1, 0]))
    J_tau = jax.jacfwd(flows_I, argnums=0)(*a0)
    J_fI = jax.jacfwd(flows_I, argnums=1)(*a0)

    eqF = solve_final_trade(p, throw=False)
    flows_F = _final_partial_flow(eqF, p)
    b0 = (jnp.log(p.tau_F[1, 0]), jnp.log(p.f_F[1, 0]))
    JF_tau = jax.jacfwd(flows_F, argnums=0)(*b0)
    JF_f = jax.jacfwd(flows_F, argnums=1)(*b0)

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

    Flows are from j to i. Returns a dict with

    * ``zeta_I``, ``xi_I``: -d ln R^I_ji / d ln tau^I_ji and / d ln f^I_ji with
      B and N^E held fixed (input-trade equilibrium);
    * ``zeta_F``, ``xi_F``: the same for R^F_ji in the final-goods-only
      equilibrium (B^F_i, Gamma_j, M^E held fixed);
    * the margins: ``intensive`` (sigma - 1), ``importer_extensive_downstream``
      (-d ln Lambda~^F_ji / d ln tau), ``exporter_extensive_upstream``
      (-d ln Lambda^I_ji / d ln tau), ``exporter_extensive_final``
      (-d ln Lambda^F_ji / d ln tau^F);
    * ``zeta_I_general_equilibrium``: -d ln R^I_ji / d ln tau^I_ji when every
      equilibrium object adjusts (not in the paper);
    * ``closed_form``: :func:`closed_form_elasticities`.

    Jitted. With ``throw`` (default) a failed equilibrium solve raises
    :class:`~jaxtrade.errors.ConvergenceError`.
    """
    out, info_I, info_F = _partial_trade_elasticities(p)
    if throw:
        finish(info_I, throw=True, what="vertical input-trade equilibrium (Ara & Zhang eqs. 5-14)")
        finish(info_F, throw=True, what="vertical final-goods-trade equilibrium (Ara & Zhang Prop. 1(ii))")
    return out
