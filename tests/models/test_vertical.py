"""Correctness and robustness tests of the Ara & Zhang (2020) vertical model."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import jaxtrade
from jaxtrade.errors import ConvergenceError
from jaxtrade.models import vertical as v

HYP = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def valid_params(draw):
    """Asymmetric parameters inside Assumption 1 with trade shares resolvable in float64."""
    sigma = draw(st.floats(2.5, 6.0))
    u = draw(st.floats(0.2, 0.8))
    k = (sigma - 1.0) * (1.0 + u)
    pair = lambda lo, hi: (draw(st.floats(lo, hi)), draw(st.floats(lo, hi)))  # noqa: E731
    return v.vertical_params(
        sigma=sigma,
        k=k,
        L=(1.0, draw(st.floats(0.6, 1.8))),
        beta=draw(st.floats(0.05, 0.35)),
        f_E=pair(0.5, 1.0),
        f_F_domestic=pair(1.0, 1.5),
        f_I_domestic=pair(1.0, 1.5),
        f_F_foreign=pair(1.6, 2.5),
        f_I_foreign=pair(1.6, 2.5),
        tau_I=pair(1.05, 1.6),
        tau_F=pair(1.05, 1.6),
    )


def _solve_valid(p):
    eq = v.solve_input_trade(p, throw=False)
    assume(bool(eq.valid))
    # shares large enough that float64 resolves every comparative-static sign
    assume(bool(jnp.all(1.0 - eq.lambda_I_dom > 1e-3)))
    return eq


# --------------------------------------------------------------------------- equilibrium


def test_default_equilibrium_solves_all_twelve_conditions():
    p = v.vertical_params()
    eq = v.solve_input_trade(p)
    assert eq.residuals.shape == (12,)
    assert float(jnp.max(jnp.abs(eq.residuals))) < 1e-10
    assert bool(eq.valid)
    assert set(eq.unknowns()) == set(v.INPUT_TRADE_UNKNOWNS)


@HYP
@given(valid_params())
def test_residuals_below_1e10_on_random_valid_parameters(p):
    eq = _solve_valid(p)
    assert float(jnp.max(jnp.abs(eq.residuals))) < 1e-10
    assert bool(eq.info.converged)


def test_entry_masses_match_eq_20_and_sales_per_firm_match_pareto():
    p = v.vertical_params(L=(1.0, 1.7), f_E=(0.8, 1.1))
    eq = v.solve_input_trade(p)
    s, k = float(p.sigma), float(p.k)
    # (20): M^E = (sigma-1)/(k sigma) R^F / f^E, N^E = (sigma-1)/(k sigma) L^I / f^E
    np.testing.assert_allclose(eq.M_E, (s - 1) / (k * s) * p.beta * p.L / p.f_E, rtol=1e-12)
    np.testing.assert_allclose(eq.N_E, (s - 1) / (k * s) * eq.L_I / p.f_E, rtol=1e-10)
    # average sales per firm k sigma f / (k - sigma + 1) (section 2.5)
    np.testing.assert_allclose(eq.sales_per_firm_I, k * s * p.f_I / (k - s + 1), rtol=1e-10)
    # domestic share (16) equals R_ii / R_i
    np.testing.assert_allclose(eq.lambda_I_dom, jnp.diagonal(eq.R_I_flow) / eq.R_I_flow.sum(axis=0), rtol=1e-12)


def test_gravity_equation_21_and_lambda_tilde_closed_form():
    p = v.vertical_params(L=(1.0, 1.4), tau_I=(1.25, 1.45))
    eq = v.solve_input_trade(p)
    s, k = float(p.sigma), float(p.k)
    e = k / (s - 1)
    # Proposition 1(i), flows j -> i; domestic entry has tau = Lambda~ = 1
    B, f, tau = eq.B_I, p.f_I, p.tau_I
    lam = jnp.array([[1.0, eq.Lambda_F_tilde[1]], [eq.Lambda_F_tilde[0], 1.0]])  # [o, d]
    terms = B[None, :] ** e * tau ** (-k) * f ** (1 - e) * lam**e
    Xi = terms.sum(axis=1)
    R_pred = eq.L_I[:, None] / Xi[:, None] * terms
    np.testing.assert_allclose(eq.R_I_flow, R_pred, rtol=1e-10)
    # Appendix A.2: closed form of Lambda~^F_ji
    N, fF = eq.N_E, p.f_F
    fI_ratio = (f[1, 0] / f[0, 0]) ** (-(k - s + 1) / (s - 1))
    power = (k - s + 1) / (2 * (s - 1) - k)
    rhs = (N[1] / N[0] * tau[1, 0] ** (-k) * (fF[1, 0] / fF[0, 0]) ** -1 * fI_ratio) ** power
    np.testing.assert_allclose(eq.Lambda_F_tilde[0] ** e, rhs, rtol=1e-10)


def test_final_trade_equilibrium_and_gravity_22():
    p = v.vertical_params(L=(1.0, 1.2), tau_F=(1.6, 1.8))
    eq = v.solve_final_trade(p)
    assert float(jnp.max(jnp.abs(eq.residuals))) < 1e-10
    assert bool(eq.valid)
    s, k = float(p.sigma), float(p.k)
    e = k / (s - 1)
    revenue = eq.R_F_flow.sum(axis=1)  # L^F_j in (A.20): revenues of j's final firms
    np.testing.assert_allclose(eq.M_E, (s - 1) / (k * s) * revenue / p.f_E, rtol=1e-10)
    terms = eq.B_F[None, :] ** e * p.tau_F ** (-k) * p.f_F ** (1 - e)
    R_pred = revenue[:, None] / terms.sum(axis=1)[:, None] * terms  # (22)
    np.testing.assert_allclose(eq.R_F_flow, R_pred, rtol=1e-10)


def test_stacked_industries_equal_separate_solves():
    p1 = v.vertical_params(sigma=4.0, k=4.5, beta=0.2)
    p2 = v.vertical_params(sigma=3.0, k=3.4, beta=0.3, tau_I=1.5)
    both = v.solve_input_trade(v.stack_industries([p1, p2]))
    for s, p in enumerate((p1, p2)):
        one = v.solve_input_trade(p)
        np.testing.assert_allclose(both.phi[s], one.phi, rtol=1e-12)
        np.testing.assert_allclose(both.B_F[s], one.B_F, rtol=1e-12)


def test_vmap_over_parameter_batch_equals_loop():
    base = v.vertical_params()
    taus = jnp.array([1.1, 1.3, 1.6, 2.0])

    def solve_at(t):
        return v.solve_input_trade(v.with_tau_I(base, 1, 0, t), throw=False).phi

    batched = jax.vmap(solve_at)(taus)
    for b, t in enumerate(taus):
        np.testing.assert_allclose(batched[b], solve_at(t), rtol=1e-12)


def test_symmetric_countries_give_symmetric_equilibrium():
    p = v.vertical_params(L=(1.0, 1.0))
    eq = v.solve_input_trade(p)
    np.testing.assert_allclose(eq.varphi_dom[0], eq.varphi_dom[1], rtol=1e-12)
    np.testing.assert_allclose(eq.phi, eq.phi.T, rtol=1e-12)


# --------------------------------------------------------------------------- derivatives


def _central_difference(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize("hold_entry_fixed", [True, False])
def test_implicit_derivatives_equal_finite_differences(hold_entry_fixed):
    p = v.vertical_params(L=(1.0, 1.3))
    ad = v.unknown_jacobian(p, hold_entry_fixed=hold_entry_fixed)
    fixed = v.solve_input_trade(p).N_E if hold_entry_fixed else None

    def unknowns(t):
        eq = v.solve_input_trade(v.with_tau_I(p, 1, 0, t), entry_masses=fixed)
        return np.array([eq.unknowns()[n] for n in v.INPUT_TRADE_UNKNOWNS])

    fd = _central_difference(unknowns, float(p.tau_I[1, 0]))
    np.testing.assert_allclose(ad, fd, rtol=1e-6, atol=1e-8)


def test_reverse_mode_gradient_of_equilibrium_flow_equals_finite_differences():
    p = v.vertical_params()

    def import_flow(f_E_i):
        q = jax.tree_util.tree_map(lambda x: x, p)
        fields = {f.name: getattr(q, f.name) for f in dataclasses.fields(q) if f.name != "f_E"}
        q = v.VerticalParams(**fields, f_E=p.f_E.at[0].set(f_E_i))
        return v.solve_input_trade(q, throw=False).R_I_flow[1, 0]

    g = jax.grad(import_flow)(1.0)
    fd = _central_difference(lambda x: float(import_flow(x)), 1.0)
    np.testing.assert_allclose(g, fd, rtol=1e-6)


@HYP
@given(valid_params())
def test_lemma_signs_hold_on_every_valid_draw(p):
    _solve_valid(p)
    rows = v.lemma_sign_table(p, hold_entry_fixed=True)
    assert all(r["resolved"] for r in rows), rows
    assert all(r["agrees"] for r in rows), [r for r in rows if not r["agrees"]]


def test_general_equilibrium_lemma1_signs_on_default():
    """With N^E adjusting (15), Lemma 1 still holds on the default parameters.

    Lemma 2's zero responses of country j's downstream cutoffs and Lemma 3's
    signs for B^F rely on N^E held fixed (Appendix A.1); in general
    equilibrium they differ (docs/models/vertical.md).
    """
    rows = {r["unknown"]: r for r in v.lemma_sign_table(v.vertical_params(), hold_entry_fixed=False)}
    for name in ("phi_ii", "phi_ij", "phi_jj", "phi_ji"):
        assert rows[name]["agrees"]
    assert abs(rows["varphi_jj"]["elasticity"]) > 1e-6  # not zero in GE


@HYP
@given(valid_params())
def test_partial_elasticities_equal_proposition_2(p):
    _solve_valid(p)
    assume(bool(v.solve_final_trade(p, throw=False).valid))
    el = v.partial_trade_elasticities(p)
    cf = el["closed_form"]
    keys = ("zeta_I", "zeta_F", "xi_I", "xi_F", "importer_extensive_downstream", "exporter_extensive_upstream",
            "exporter_extensive_final")  # fmt: skip
    for key in keys:
        np.testing.assert_allclose(el[key], cf[key], rtol=1e-6, err_msg=key)
    total = el["intensive"] + el["importer_extensive_downstream"] + el["exporter_extensive_upstream"]
    np.testing.assert_allclose(total, el["zeta_I"], rtol=1e-8)
    assert float(el["zeta_I"]) > float(el["zeta_F"])  # Proposition 2
    assert float(el["xi_I"]) > float(el["xi_F"])


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(sigma=4.0, k=3.0), "Assumption 1"),
        (dict(sigma=4.0, k=6.0), "Assumption 1"),
        (dict(sigma=1.0, k=0.5), "sigma must exceed 1"),
        (dict(L=(1.0, -1.0)), "L must be strictly positive"),
        (dict(f_E=0.0), "f_E must be strictly positive"),
        (dict(f_I_foreign=(-1.0, 1.0)), "f_I must be strictly positive"),
        (dict(f_F_domestic=0.0), "f_F must be strictly positive"),
        (dict(tau_I=0.9), "tau_I must satisfy tau >= 1"),
        (dict(tau_F=(1.2, 0.5)), "tau_F must satisfy tau >= 1"),
        (dict(beta=1.2), "beta"),
        (dict(beta=0.0), "beta"),
        (dict(phi_min=0.0), "phi_min must be strictly positive"),
        (dict(sigma=float("nan")), "sigma must"),
    ],
)
def test_bad_parameters_raise_value_error_naming_the_rule(kwargs, match):
    with pytest.raises(ValueError, match=match):
        v.vertical_params(**kwargs)


def test_industries_must_share_labour_and_leave_room_for_outside_good():
    with pytest.raises(ValueError, match="L must be common"):
        v.stack_industries([v.vertical_params(), v.vertical_params(L=(2.0, 2.0))])
    with pytest.raises(ValueError, match="beta_0 > 0"):
        v.stack_industries([v.vertical_params(beta=0.6), v.vertical_params(beta=0.5)])


def test_no_interior_equilibrium_raises_convergence_error_not_nan():
    p = v.vertical_params(sigma=3.0, k=2.1, beta=0.2)  # upstream agglomerates: no interior solution
    with pytest.raises(ConvergenceError, match="did not converge"):
        v.solve_input_trade(p)
    eq = v.solve_input_trade(p, throw=False)
    assert not bool(eq.info.converged)
    assert not bool(eq.valid)


def test_inputs_are_not_mutated():
    p = v.vertical_params()
    before = jax.tree_util.tree_map(np.array, p)
    v.solve_input_trade(p)
    v.partial_trade_elasticities(p)
    after = jax.tree_util.tree_map(np.array, p)
    for a, b in zip(jax.tree_util.tree_leaves(before), jax.tree_util.tree_leaves(after), strict=True):
        np.testing.assert_array_equal(a, b)


def test_float64_is_default():
    assert jaxtrade.get_precision() == "float64"
    assert v.solve_input_trade(v.vertical_params()).B_F.dtype == jnp.float64


# --------------------------------------------------------------------------- multi-device

_SHARDED_SCRIPT = r"""
import jax, jax.numpy as jnp, numpy as np
import jaxtrade
from jaxtrade.models import vertical as v
from jaxtrade.numerics.sharding import sharded_vmap
assert len(jax.devices()) == 4, jax.devices()
base = v.vertical_params()
taus = jnp.linspace(1.25, 2.0, 10)   # all interior equilibria; 10 is not a multiple of 4: padded and trimmed

def one(t):
    eq = v.solve_input_trade(v.with_tau_I(base, 1, 0, t), throw=False)
    return eq.phi, eq.info.converged

phi_sharded, conv = sharded_vmap(one)(taus)
phi_plain, _ = jax.vmap(one)(taus)
np.testing.assert_allclose(np.asarray(phi_sharded), np.asarray(phi_plain), rtol=1e-12)
assert bool(np.all(conv))
print("ok")
"""


def test_parameter_batch_sharded_over_four_cpu_devices():
    import os
    import subprocess
    import sys

    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4", JAX_PLATFORMS="cpu")
    res = subprocess.run([sys.executable, "-c", _SHARDED_SCRIPT], capture_output=True, text=True, env=env, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.strip().endswith("ok")
