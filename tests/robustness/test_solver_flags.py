"""Solver flags never lie (issue 15): no ``converged=True`` with NaN/inf outputs or invalid parameters.

Covers :func:`jaxtrade.errors.outputs_finite` / :func:`~jaxtrade.errors.flag_nonfinite`,
the sunk-cost steady state and period equilibrium (single and vmapped solves),
the finite-trade-cost rules of the vertical model and its batched solves.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxtrade.errors import RESULTS, ConvergenceError, SolverInfo, flag_nonfinite, outputs_finite, solver_info
from jaxtrade.models import sunk_cost as sc
from jaxtrade.models import vertical as v

INF = float("inf")
NONFINITE = RESULTS[RESULTS.nonfinite]
INVALID = RESULTS[RESULTS.invalid_parameters]


class _Record(eqx.Module):
    x: jax.Array
    n: jax.Array
    info: SolverInfo


# --------------------------------------------------------------------------- the helpers


def test_outputs_finite_skips_info_and_non_float_leaves():
    ok = solver_info(jnp.asarray(1), jnp.asarray(jnp.inf), 1e-8)  # an info with residual inf is not an output
    assert bool(outputs_finite(_Record(x=jnp.ones(3), n=jnp.arange(3), info=ok)))
    assert not bool(outputs_finite(_Record(x=jnp.array([1.0, jnp.nan]), n=jnp.arange(3), info=ok)))
    assert not bool(outputs_finite({"a": jnp.array([jnp.inf])}))


def test_flag_nonfinite_per_lane():
    def solve(x):
        info = solver_info(jnp.asarray(3), jnp.asarray(0.0), 1e-8)  # the solver itself says converged
        return flag_nonfinite(_Record(x=jnp.stack([x, 1.0 / x]), n=jnp.asarray(1), info=info))

    out = jax.vmap(solve)(jnp.array([2.0, 0.0, jnp.nan]))
    assert out.info.converged.tolist() == [True, False, False]
    assert out.info.reason == ["", NONFINITE, NONFINITE]


def test_flag_nonfinite_keeps_the_reasons_that_explain_nan():
    info = solver_info(jnp.asarray(0), jnp.asarray(1.0), 1e-8, bracketed=False)
    out = flag_nonfinite(_Record(x=jnp.array([jnp.nan]), n=jnp.asarray(0), info=info))
    assert not bool(out.info.converged) and out.info.reason == RESULTS[RESULTS.no_bracket]


# --------------------------------------------------------------------------- sunk cost (Ruhl 2008)


@pytest.fixture(scope="module")
def p_sc():
    return sc.ruhl_params(n_phi=20, n_kappa=20)


def _steady_lane(p, tau, rho):
    return sc.steady_state(eqx.tree_at(lambda q: (q.tau, q.rho), p, (tau, rho)), throw=False)


def test_steady_state_near_rho_one_is_not_converged(p_sc):
    """rho = 0.999 (sigma = 1000) is inside the rules but phi^(sigma-1) overflows: NaN outputs, not converged."""
    p = p_sc.replace(rho=0.999)
    ss = sc.steady_state(p, throw=False)
    assert not bool(ss.info.converged) and ss.info.reason == NONFINITE
    assert not np.all(np.isfinite(np.asarray(ss.trade_output)))
    with pytest.raises(ConvergenceError, match="NaN or infinite"):
        sc.steady_state(p)


def test_steady_state_batch_flags_every_bad_lane(p_sc):
    """A vmapped batch: tau = -0.5 breaks a rule, rho = 0.999 gives NaN; the good lanes are untouched."""
    taus = jnp.array([0.05, -0.5, 0.05, 0.10])
    rhos = jnp.array([0.5, 0.5, 0.999, 0.5])
    ss = jax.vmap(lambda t, r: _steady_lane(p_sc, t, r))(taus, rhos)
    assert ss.info.converged.tolist() == [True, False, False, True]
    assert ss.info.reason == ["", INVALID, NONFINITE, ""]
    finite = jax.vmap(outputs_finite)(ss)
    assert bool(jnp.all(finite | ~ss.info.converged))  # never converged with NaN/inf outputs
    one = sc.steady_state(p_sc, throw=False)
    np.testing.assert_allclose(ss.exporter_share[0], one.exporter_share, rtol=1e-12)


def test_period_equilibrium_flags_invalid_lanes(p_sc):
    """The balanced-trade root converges at tau = -0.5, but the parameters are outside the domain."""

    def lane(tau):
        p = eqx.tree_at(lambda q: q.tau, p_sc, tau)
        return sc.period_equilibrium(p, jnp.ones(2), jnp.ones(2), 0.5 * jnp.ones(2), jnp.zeros(2), throw=False)

    eq = jax.vmap(lane)(jnp.array([0.05, -0.5]))
    assert eq.info.converged.tolist() == [True, False]
    assert eq.info.reason == ["", INVALID]


# --------------------------------------------------------------------------- vertical (Ara & Zhang 2020)


def test_infinite_input_trade_cost_is_named():
    """tau_I = inf is a parameter of the final-goods case; the input-trade solve names the rule."""
    p = v.vertical_params(tau_I=(INF, 1.3))  # in the domain of the parameters ...
    with pytest.raises(ValueError, match=r"tau_I must be finite for the input-trade equilibrium.*solve_final_trade"):
        v.solve_input_trade(p)  # ... not of the input-trade equilibrium
    eq = v.solve_input_trade(p, throw=False)
    assert not bool(eq.info.converged) and eq.info.reason == INVALID
    assert bool(v.solve_final_trade(p).valid)  # tau_I is ignored there
    with pytest.raises(ValueError, match="tau_F must be finite for the final-goods-only equilibrium"):
        v.solve_final_trade(v.vertical_params(tau_F=(INF, 1.3)))


def test_infinite_input_trade_cost_under_jit_and_vmap():
    p = v.vertical_params()
    batch = jax.vmap(lambda t: v.solve_input_trade(v.with_tau_I(p, 1, 0, t), throw=False))(jnp.array([1.5, INF]))
    assert batch.info.converged.tolist() == [True, False]
    assert batch.info.reason == ["", INVALID]
    with pytest.raises(Exception, match="tau_I must be finite"):
        jax.jit(lambda t: v.solve_input_trade(v.with_tau_I(p, 1, 0, t)).B_F)(INF).block_until_ready()


def test_vertical_batch_never_converged_with_nonfinite_outputs():
    """Lanes: invalid (tau < 1), near the edge of the interior region, valid, huge trade costs; flags agree."""
    p = v.vertical_params()
    taus = jnp.array([0.5, 1.0, 1.3, 2.0, 50.0, 1e30, 1e300])
    batch = jax.vmap(lambda t: v.solve_input_trade(v.with_tau_I(p, 1, 0, t), throw=False))(taus)
    conv = batch.info.converged
    assert conv.tolist()[0] is False and conv.tolist()[2:4] == [True, True]
    assert batch.info.reason[0] == INVALID
    assert bool(jnp.all(jax.vmap(outputs_finite)(batch) | ~conv))
    assert bool(jnp.all(batch.valid <= conv))  # valid implies converged


# --------------------------------------------------------------------------- final-goods bracketing (Prop. 1(ii))


def _asymmetric_draws(n: int, seed: int = 0) -> v.VerticalParams:
    """``n`` random asymmetric parameter sets inside Assumption 1 (sigma - 1 < k < 2(sigma - 1)), stacked."""
    rng = np.random.default_rng(seed)
    sigma = rng.uniform(2.0, 6.0, n)
    k = (sigma - 1.0) * (1.0 + rng.uniform(0.05, 0.95, n))
    draws = [
        v.vertical_params(
            L=(1.0, rng.uniform(0.5, 3.0)),
            beta=rng.uniform(0.05, 0.4),
            sigma=sigma[i],
            k=k[i],
            varphi_min=rng.uniform(0.8, 1.5, 2),
            phi_min=rng.uniform(0.8, 1.5, 2),
            f_E=rng.uniform(0.5, 2.0, 2),
            f_F_domestic=rng.uniform(0.5, 2.0, 2),
            f_F_foreign=rng.uniform(1.0, 3.0, 2),
            f_I_domestic=rng.uniform(0.5, 2.0, 2),
            tau_F=rng.uniform(1.05, 2.5, 2),
        )  # fmt: skip
        for i in range(n)
    ]
    return jax.tree_util.tree_map(lambda *x: jnp.stack(x), *draws)


def test_final_trade_finds_roots_next_to_the_edge_of_the_valid_region():
    """200 random asymmetric draws: the final-goods equilibrium is found wherever one exists.

    In many draws the region where both implied entry masses are positive is
    one or two narrow windows in ln(N_j/N_i) and the root lies within a few
    hundredths of a window's edge; the old 41-point grid missed about a third
    of them (``no_bracket``). A dense scan of the reduced form (400,001
    points, then Newton) finds an equilibrium in every draw but draw 60,
    which has none that Proposition 1(ii) admits: its reduced form has three
    brackets, Newton converges only from the one at ln r = -1.32, and there a
    final-goods cutoff lies below its lower bound
    (:func:`test_final_trade_draw_without_an_admissible_equilibrium`).
    """
    sol = jax.vmap(lambda q: v.solve_final_trade(q, throw=False))(_asymmetric_draws(200))
    failed = set(np.flatnonzero(~np.asarray(sol.info.converged)).tolist())
    assert failed == {60}, {i: sol.info.reason[i] for i in failed}
    conv = np.asarray(sol.info.converged)
    assert np.max(np.abs(np.asarray(sol.residuals)[conv])) < 1e-10


def test_final_trade_draw_without_an_admissible_equilibrium():
    """Draw 60: Newton from every bracket of the reduced form either stalls or ends below a cutoff's bound."""
    from jaxtrade.models.vertical import solve as vs
    from jaxtrade.numerics import newton_root

    p = jax.tree_util.tree_map(lambda x: x[60], _asymmetric_draws(200))

    def implied(N):
        return vs.final_blocks(vs._final_trade_guess_given_N(N, p), p).N_E

    def gap(log_ratio):
        N_new = implied(jnp.stack([jnp.ones_like(log_ratio), jnp.exp(log_ratio)]))
        return jnp.where(jnp.all(N_new > 0), jnp.log(N_new[1] / N_new[0]) - log_ratio, jnp.nan)

    grid = np.linspace(-12.0, 12.0, 48_001)
    g = np.asarray(jax.jit(jax.vmap(gap))(jnp.asarray(grid)))
    sign_change = np.isfinite(g[:-1]) & np.isfinite(g[1:]) & (np.sign(g[:-1]) != np.sign(g[1:]))
    starts = 0.5 * (grid[:-1] + grid[1:])[sign_change]
    assert len(starts) == 3
    admissible = []
    level = (p.sigma - 1.0) / (p.k * p.sigma) * ((p.sigma - 1.0) / p.sigma * p.beta * p.L[0]) / p.f_E[0]
    for log_ratio in starts:
        N = implied(level * jnp.stack([1.0, jnp.exp(log_ratio)]))  # as the solver's guess does
        u0 = vs._final_trade_guess_given_N(N, p)
        root = newton_root(lambda u, q: vs.final_trade_residuals(u, q), u0, p, max_iter=100, throw=False)
        eq = vs._final_trade_outputs(root.value, p, root.info)
        admissible.append(bool(root.info.converged) and bool(eq.cutoffs_above_lower_bounds))
    assert admissible == [False, False, False]  # so the solver must report draw 60 as failed (test above)


# --------------------------------------------------------------------------- multiproduct (Heo & Kim 2025)


def test_multiproduct_lanes_with_nonfinite_outputs_are_not_converged():
    from jaxtrade.models import multiproduct as mp

    p = mp.standard_params(n_z=7, n_products=3)
    lanes = [p, p.replace(smoothing=1e-300), p.replace(rho_z=0.99999999, sigma_e=3.0)]
    eq = jax.jit(jax.vmap(lambda q: mp.solve_equilibrium(q, throw=False)))(mp.stack_params(lanes))
    finite = [bool(outputs_finite(jax.tree_util.tree_map(lambda leaf, i=i: leaf[i], eq))) for i in range(3)]
    assert finite == [True, False, False]
    assert np.asarray(eq.info.converged).tolist() == [True, False, False]
    assert eq.info.reason[1:] == [NONFINITE, NONFINITE]
