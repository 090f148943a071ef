"""The solver contract (jaxtrade.errors) and the one model shape, for the Ara & Zhang (2020) vertical model."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from jaxtrade.errors import RESULTS, ConvergenceError, rules_hold
from jaxtrade.models import vertical as v


@pytest.fixture(scope="module")
def p():
    return v.vertical_params()


@pytest.fixture(scope="module")
def no_equilibrium():
    """Valid parameters (Assumption 1 holds) for which upstream production agglomerates: no interior solution."""
    return v.vertical_params(sigma=3.0, k=2.1, beta=0.2)


@pytest.fixture(scope="module")
def invalid():
    """Parameters breaking Assumption 1 (k > 2(sigma - 1)), built without validation."""
    return v.vertical_params(validate=False, k=7.0)


def _batch(*params):
    """A vmappable batch (leading axis: lanes, not stacked industries)."""
    return jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *params)


# --------------------------------------------------------------------------- throw=True


def test_throw_true_eagerly_raises_value_error_naming_the_rule(invalid):
    rule = r"sigma, k must satisfy sigma - 1 < k < 2\(sigma - 1\) \(Assumption 1, eq. 19\)"
    with pytest.raises(ValueError, match=rule):
        v.solve_input_trade(invalid)
    with pytest.raises(ValueError, match="Assumption 1"):
        v.solve_final_trade(invalid)
    with pytest.raises(ValueError, match="Assumption 1"):
        v.partial_trade_elasticities(invalid)
    with pytest.raises(ValueError, match="Assumption 1"):
        v.unknown_jacobian(invalid)


def test_throw_true_eagerly_raises_convergence_error_with_reason(no_equilibrium):
    with pytest.raises(ConvergenceError, match="no starting bracket") as err:
        v.solve_input_trade(no_equilibrium)
    assert err.value.reason == RESULTS[RESULTS.no_bracket]
    assert "input-trade" in str(err.value)
    with pytest.raises(ConvergenceError, match="no starting bracket"):
        v.partial_trade_elasticities(no_equilibrium)


# equinox's run-time errors reach the caller as a RuntimeError under eqx.filter_jit; under jax.jit, jax
# re-raises them as JaxRuntimeError (a RuntimeError) or, from its compiled fast path, as a ValueError
JIT_ERRORS = (RuntimeError, ValueError)


def test_throw_true_under_jit_raises_for_traced_invalid_parameters(p):
    solve_at_k = jax.jit(lambda k: v.solve_input_trade(eqx.tree_at(lambda q: q.k, p, k)).B_F)
    assert np.all(np.isfinite(np.asarray(solve_at_k(jnp.asarray(5.0)))))
    with pytest.raises(JIT_ERRORS, match=r"sigma, k must satisfy .*\(Assumption 1, eq. 19\)"):
        solve_at_k(jnp.asarray(7.0))
    final_at_L = eqx.filter_jit(lambda L: v.solve_final_trade(eqx.tree_at(lambda q: q.L, p, L)).B_F)
    with pytest.raises(RuntimeError, match="L must be strictly positive"):
        final_at_L(jnp.array([1.0, -1.0]))


def test_throw_true_under_jit_raises_when_no_equilibrium_exists(no_equilibrium):
    solve = jax.jit(lambda q: v.solve_input_trade(q).B_F)
    with pytest.raises(JIT_ERRORS, match="input-trade equilibrium .* did not converge: no starting bracket"):
        solve(no_equilibrium)
    with pytest.raises(RuntimeError, match="did not converge: no starting bracket"):
        eqx.filter_jit(lambda q: v.partial_trade_elasticities(q)["zeta_I"])(no_equilibrium)


# --------------------------------------------------------------------------- throw=False


def test_throw_false_under_vmap_flags_each_lane(p, no_equilibrium, invalid):
    batch = _batch(p, no_equilibrium, invalid)
    eq = jax.vmap(lambda q: v.solve_input_trade(q, throw=False))(batch)
    np.testing.assert_array_equal(eq.info.converged, [True, False, False])
    np.testing.assert_array_equal(eq.valid, [True, False, False])
    assert eq.info.reason == ["", RESULTS[RESULTS.no_bracket], RESULTS[RESULTS.invalid_parameters]]
    # the valid lane is the unbatched solve
    np.testing.assert_allclose(eq.phi[0], v.solve_input_trade(p).phi, rtol=1e-12)
    np.testing.assert_array_equal(jax.vmap(lambda q: rules_hold(q, v.RULES))(batch), [True, True, False])


def test_final_trade_throw_false_under_vmap_flags_invalid_lane(p, invalid):
    eqF = jax.vmap(lambda q: v.solve_final_trade(q, throw=False))(_batch(p, invalid))
    np.testing.assert_array_equal(eqF.info.converged, [True, False])
    assert eqF.info.reason == ["", RESULTS[RESULTS.invalid_parameters]]


def test_throw_false_never_raises_and_reports_reason(no_equilibrium, invalid):
    assert v.solve_input_trade(no_equilibrium, throw=False).info.result == RESULTS.no_bracket
    assert v.solve_input_trade(invalid, throw=False).info.result == RESULTS.invalid_parameters
    el = v.partial_trade_elasticities(no_equilibrium, throw=False)
    assert not bool(el["info"].converged)
    d = jax.vmap(lambda q: v.unknown_jacobian(q, throw=False))(_batch(v.vertical_params(), no_equilibrium))
    assert d.shape == (2, 12) and np.all(np.isfinite(np.asarray(d[0])))


def test_stacked_industries_fold_the_joint_rule():
    """sum(beta) < 1 concerns the stacked industries together: every industry is flagged."""
    one = v.vertical_params(beta=0.6)
    stacked = jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), one, one)  # not stack_industries: it validates
    eq = v.solve_input_trade(stacked, throw=False)
    np.testing.assert_array_equal(eq.info.converged, [False, False])
    assert eq.info.reason == [RESULTS[RESULTS.invalid_parameters]] * 2
    with pytest.raises(ValueError, match="beta_0 > 0"):
        v.solve_input_trade(stacked)


# --------------------------------------------------------------------------- parameters


def test_replace_validates_and_broadcasts(p):
    q = p.replace(sigma=5.0, k=6.0)
    assert (float(q.sigma), float(q.k)) == (5.0, 6.0)
    assert bool(v.solve_input_trade(q).valid)
    with pytest.raises(ValueError, match=r"sigma, k must satisfy .*got sigma=4.0, k=7.0"):
        p.replace(k=7.0)
    with pytest.raises(ValueError, match="L must be strictly positive"):
        p.replace(L=(1.0, -1.0))
    with pytest.raises(ValueError, match="tau_I must be 1 on the diagonal"):
        p.replace(tau_I=1.5)  # a scalar broadcasts to every entry, the diagonal included
    with pytest.raises(ValueError, match="no field"):
        p.replace(theta=1.0)
    assert float(p.k) == 4.5  # the original is untouched


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(f_E=0.0), "f_E must be strictly positive, got f_E=[0.0, 0.0]"),
        (dict(sigma=0.5, k=0.2), "sigma must exceed 1 (CES, section 2.2), got sigma=0.5"),
        (dict(L=(1.0, float("inf"))), "L must be finite, got L=[1.0, inf]"),
        (dict(tau_F=(1.2, float("nan"))), "tau_F must not be NaN"),
        (dict(tau_I=(0.9, 1.2)), "tau_I must satisfy tau >= 1 (iceberg trade cost), got tau_I=[[1.0, 1.2], [0.9, 1.0]"),
        (dict(beta=-0.1), "beta must be positive"),
    ],
)
def test_rule_violations_name_the_field_the_rule_and_the_value(kwargs, message):
    with pytest.raises(ValueError) as err:
        v.vertical_params(**kwargs)
    assert str(err.value).startswith(message)


def test_infinite_trade_costs_are_in_the_domain():
    p = v.vertical_params(tau_F=(float("inf"), 1.3))  # prohibitive final-goods trade into i
    assert float(p.tau_F[1, 0]) == float("inf")


def test_presets_and_rules_are_declared(p):
    assert set(v.PRESETS) == {"default"}
    q = v.preset("default", k=5.0)
    assert float(q.k) == 5.0 and float(q.sigma) == float(p.sigma)
    with pytest.raises(ValueError, match="preset must be one of"):
        v.preset("nope")
    assert v.VerticalParams.RULES is v.RULES
    assert all(r.fields and r.rule for r in v.RULES)


# --------------------------------------------------------------------------- records and simulation


def test_unknowns_and_unknown_vector_agree(p):
    for eq in (v.solve_input_trade(p), v.solve_final_trade(p)):
        d = eq.unknowns()
        assert tuple(d) == type(eq).UNKNOWNS
        np.testing.assert_array_equal(np.stack([d[n] for n in type(eq).UNKNOWNS]), eq.unknown_vector())


def test_simulate_panel_accepts_given_solutions(p):
    cfg = v.PanelConfig(n_products=3, n_countries=4, years=2, scale=30.0)  # scale fixed: it depends on goods
    solved = v.simulate_panel(p, None, 11, cfg)
    given = v.simulate_panel(p, (v.solve_input_trade(p), v.solve_final_trade(p)), jax.random.PRNGKey(11), cfg)
    pd.testing.assert_frame_equal(solved, given)  # an int seed is jax.random.PRNGKey(seed)
    only_F = v.simulate_panel(p, v.solve_final_trade(p), 11, cfg, goods="F")
    pd.testing.assert_frame_equal(only_F, solved[solved.goods == "F"].reset_index(drop=True))
    other = v.solve_input_trade(p.replace(k=5.0))
    with pytest.raises(ValueError, match="not an equilibrium of params"):
        v.simulate_panel(p, other, 0, cfg)
    with pytest.raises(ValueError, match="unknown option"):
        v.simulate_panel(p, None, 0, cfg, n_firms=3)


def test_panel_config_is_checked_on_construction():
    with pytest.raises(ValueError, match="n_products"):
        v.PanelConfig(n_products=0)
    with pytest.raises(ValueError, match="tariffs must have shape"):
        v.PanelConfig(n_products=2, n_countries=3, years=4, tariffs=np.zeros((2, 3, 3)))
    cfg = v.PanelConfig(goods="I")
    assert cfg.goods == ("I",) and cfg.shape == (25, 20, 4)
