"""Tests of the Heo & Kim (2025) multiproduct exporter model (jaxtrade.models.multiproduct)."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxtrade.errors import RESULTS, ConvergenceError
from jaxtrade.models.multiproduct import (
    GE_TOL,
    RESIDUAL_NAMES,
    TABLE5_NAMES,
    MultiproductParams,
    bellman_operator,
    candidate_panel,
    choice_probabilities,
    export_cost_matrix,
    extra_moments,
    make_grids,
    moment_vector,
    npg_params,
    preset,
    product_grid,
    simulate_panel,
    solve_bellman,
    solve_equilibrium,
    standard_params,
    stationary_mass,
    table5_moments,
    validate_params,
)
from tests.models.numpy_reference import multiproduct_reference as _reference_module

SMALL = dict(n_z=21, n_products=5)


@pytest.fixture(scope="module")
def eq_standard():
    p = standard_params()
    return p, solve_equilibrium(p)


@pytest.fixture(scope="module")
def eq_npg():
    p = npg_params()
    return p, solve_equilibrium(p)


# ---------------------------------------------------------------- parameters
def test_presets_carry_tables_3_and_4():
    s, n = standard_params(), npg_params()
    for p in (s, n):
        assert float(p.sigma) == 2 and float(p.epsilon) == 5 and float(p.beta) == 0.95
        assert float(p.delta) == 0.08 and float(p.gamma_E) == 0.26
        np.testing.assert_array_equal(np.asarray(p.tau), np.full(10, 0.10))
        assert float(p.rho_z) == 0.77 and float(p.sigma_e) == 0.21
        assert float(p.alpha_k) == 0.05 and float(p.alpha_m) == 0.60
        assert float(p.mu_E) == 0.11 and float(p.xi) == 2.19 and float(p.gamma) == 3.65
        assert p.n_z == 101 and p.n_products == 10
    assert [float(s.gamma_0), float(s.gamma_1), float(s.gamma_2), float(s.gamma_3)] == [0.003, 2.23, 0.003, 4.85]
    assert [float(n.gamma_0), float(n.gamma_1), float(n.gamma_2)] == [0.002, 3.46, 0.004]
    assert s.cost_form == "standard" and n.cost_form == "npg"
    assert preset("npg").cost_form == "npg"


@pytest.mark.parametrize(
    "field, value, rule",
    [
        ("gamma", 0.0, "gamma > 0"),
        ("gamma", -1.0, "gamma > 0"),
        ("gamma_0", -0.001, "gamma_0 >= 0"),
        ("gamma_2", -0.001, "gamma_2 >= 0"),
        ("gamma_1", 0.0, "gamma_1 > 0"),
        ("delta", 1.5, "0 <= delta <= 1"),
        ("beta", 1.0, "0 < beta < 1"),
        ("epsilon", 1.0, "epsilon > 1"),
        ("xi", -1.0, "xi >= 0"),
        ("sigma_e", 0.0, "sigma_e > 0"),
        ("rho_z", 1.0, "|rho_z| < 1"),
        ("smoothing", -1e-3, "smoothing >= 0"),
        ("gamma_E", -0.1, "gamma_E > 0"),
        ("gamma_3", float("nan"), "gamma_3 > 0"),
    ],
)
def test_bad_input_raises_naming_rule(field, value, rule):
    with pytest.raises(ValueError, match=rule.replace("|", r"\|")):
        standard_params(**{field: value})


def test_bad_input_tariffs_shares_bounds():
    with pytest.raises(ValueError, match="tau >= 0"):
        standard_params(tau=-0.05)
    tau = np.full(10, 0.1)
    tau[3] = -0.01
    with pytest.raises(ValueError, match="tau >= 0"):
        standard_params(tau=tau)
    with pytest.raises(ValueError, match="alpha_k \\+ alpha_m < 1"):
        standard_params(alpha_m=0.96)
    with pytest.raises(ValueError, match="omega_lo < omega_hi"):
        standard_params(omega_lo=2.0, omega_hi=1.5)
    with pytest.raises(ValueError, match="unknown parameter"):
        standard_params(gamma_9=1.0)
    with pytest.raises(ValueError, match="cost_form"):
        standard_params(cost_form="quadratic")


def test_user_tariff_not_mutated():
    tau = np.linspace(0.05, 0.15, 10)
    before = tau.copy()
    p = standard_params(tau=tau)
    np.testing.assert_array_equal(tau, before)
    np.testing.assert_allclose(np.asarray(p.tau), before)


# ------------------------------------------------------------ static objects
def test_product_grid_masses_and_expenditure_shares():
    p = standard_params()
    omega, mass = product_grid(p)
    omega, mass = np.asarray(omega), np.asarray(mass)
    np.testing.assert_allclose(omega, np.linspace(1.2, 5.0, 10))
    np.testing.assert_allclose(mass.sum(), 1.0, rtol=0, atol=1e-14)
    # by hand: truncated standard Pareto masses of cells [w - h/2, w + h/2], clipped at 1
    h = omega[1] - omega[0]
    lo, hi = np.maximum(omega - h / 2, 1.0), omega + h / 2
    m = lo**-3.65 - hi**-3.65
    np.testing.assert_allclose(mass, m / m.sum(), rtol=1e-13)
    share = m * omega**4 / np.sum(m * omega**4)
    assert 0.05 < share.min() < 0.07 and 0.17 < share.max() < 0.19  # REFERENCE.md: about 6-18 %


def test_export_costs_eq19_eq30_and_callable():
    s = standard_params(**SMALL)
    g = make_grids(s)
    w = np.asarray(g.choices)
    f = np.asarray(export_cost_matrix(s, g.choices))
    for i in range(len(w)):
        for j in range(len(w)):
            want = 0.003 * w[j] ** 2.23 * (w[j] > 0) + 0.003 * max(0.0, w[j] - w[i]) ** 4.85
            assert f[i, j] == pytest.approx(want, rel=1e-13, abs=1e-18)
    n = npg_params(**SMALL)
    fn = np.asarray(export_cost_matrix(n, g.choices))
    for i in range(len(w)):
        for j in range(len(w)):
            want = 0.002 * w[j] ** 3.46 * (w[j] > 0) + 0.004 * (w[j] > w[i])
            assert fn[i, j] == pytest.approx(want, rel=1e-13, abs=1e-18)
    user = standard_params(cost_form=lambda a, b, p: p.gamma_0 * jnp.abs(b - a), **SMALL)
    fu = np.asarray(export_cost_matrix(user, g.choices))
    np.testing.assert_allclose(fu, 0.003 * np.abs(w[None, :] - w[:, None]), rtol=1e-14)


# ------------------------------------------------------------ Bellman and distribution
def test_bellman_fixed_point_and_policies():
    p = standard_params(smoothing=0.0, **SMALL)
    g = make_grids(p)
    A = 0.03
    sol = solve_bellman(p, g, A)
    assert bool(sol.info.converged)
    v = np.asarray(sol.v)
    Tv = np.asarray(bellman_operator(sol.v, (p, g, A)))
    assert np.max(np.abs(Tv - v)) < 1e-11
    # numpy re-statement of eq. (21) in wage units
    z, P, s = np.asarray(g.z), np.asarray(g.P), np.asarray(g.survival)
    prof = (0.8**4 / 5.0) * A * z[:, None] ** 4 * (float(g.omega_H) + np.asarray(g.omega_X))[None, :]
    x = (0.95 * s)[:, None, None] * (P @ v)[:, None, :] - np.asarray(g.cost)[None]
    np.testing.assert_allclose(prof + x.max(-1), v, rtol=0, atol=1e-10)
    prob = np.asarray(sol.prob)
    np.testing.assert_array_equal(prob.argmax(-1), x.argmax(-1))
    np.testing.assert_allclose(prob.sum(-1), 1.0)
    # smoothing: lam * logsumexp and softmax probabilities
    q = eqx.tree_at(lambda q: q.smoothing, p, jnp.asarray(1e-3))
    sq = solve_bellman(q, g, A)
    xq = (0.95 * s)[:, None, None] * (P @ np.asarray(sq.v))[:, None, :] - np.asarray(g.cost)[None]
    lse = 1e-3 * np.log(np.exp((xq - xq.max(-1, keepdims=True)) / 1e-3).sum(-1)) + xq.max(-1)
    np.testing.assert_allclose(prof + lse, np.asarray(sq.v), rtol=0, atol=1e-10)
    np.testing.assert_allclose(np.asarray(choice_probabilities(q, g, sq.v)).sum(-1), 1.0)


@pytest.mark.parametrize("smoothing", [0.0, 1e-5, 1e-3])
def test_bellman_anderson_and_plain_value_iteration_reach_one_fixed_point(smoothing):
    p = standard_params(smoothing=smoothing, **SMALL)
    g = make_grids(p)
    accelerated = solve_bellman(p, g, 0.03)
    plain = solve_bellman(p, g, 0.03, method="iterate")
    assert bool(accelerated.info.converged) and bool(plain.info.converged)
    assert int(accelerated.info.iterations) < int(plain.info.iterations) / 3
    np.testing.assert_allclose(accelerated.v, plain.v, rtol=0, atol=1e-10)
    np.testing.assert_allclose(accelerated.prob, plain.prob, rtol=0, atol=1e-8)
    with pytest.raises(ValueError, match="method"):
        solve_bellman(p, g, 0.03, method="howard")


def test_warm_started_solve_equals_a_cold_evaluation_at_its_root():
    # the GE root is found with warm-started inner solves; the equilibrium must be the
    # one a cold Bellman + distribution solve gives at the same A
    p = standard_params(**SMALL)
    eq = solve_equilibrium(p)
    g = make_grids(p)
    cold = solve_bellman(p, g, eq.A)
    np.testing.assert_allclose(eq.v, cold.v, rtol=0, atol=1e-10)
    np.testing.assert_allclose(eq.mu, stationary_mass(g, cold.prob).value, rtol=0, atol=1e-10)


def test_float32_solves_with_its_own_tolerances():
    import json
    import os
    import subprocess
    import sys

    code = (
        "import json, jaxtrade\n"
        "from jaxtrade.models.multiproduct import standard_params, solve_equilibrium\n"
        "eq = solve_equilibrium(standard_params(n_z=21, n_products=5))\n"
        "print(json.dumps({'dtype': str(eq.W.dtype), 'converged': bool(eq.info.converged),"
        " 'W': float(eq.W), 'N': float(eq.N), 'bellman': int(eq.bellman_info.iterations),"
        " 'res': max(abs(float(v)) for v in eq.residuals.values())}))\n"
    )
    env = dict(os.environ, JAXTRADE_PRECISION="float32")
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["dtype"] == "float32" and out["converged"]
    assert out["res"] <= 1e-4
    eq64 = solve_equilibrium(standard_params(**SMALL))
    assert out["W"] == pytest.approx(float(eq64.W), rel=1e-4)
    assert out["N"] == pytest.approx(float(eq64.N), rel=1e-4)


def test_stationary_distribution_balance():
    p = standard_params(**SMALL)
    g = make_grids(p)
    sol = solve_bellman(p, g, 0.03)
    out = stationary_mass(g, sol.prob)
    mu, info = out.value, out.info
    assert bool(info.converged)
    mu = np.asarray(mu)
    s = np.asarray(g.survival)
    # mass balance: exits equal the unit mass of entrants
    np.testing.assert_allclose(np.sum(mu * (1 - s)[:, None]), 1.0, rtol=1e-11)
    # one explicit push-forward reproduces mu
    moved = np.einsum("zi,zij->zj", mu * s[:, None], np.asarray(sol.prob))
    new = np.asarray(g.P).T @ moved
    new[:, 0] += np.asarray(g.entrant)
    np.testing.assert_allclose(new, mu, rtol=0, atol=1e-11)
    # entrants' distribution: the ergodic one shifted left by mu_E (keeps mass, shifts mean)
    lz = np.asarray(g.log_z)
    assert np.sum(np.asarray(g.entrant)) == pytest.approx(1.0, abs=1e-14)
    shift = np.sum(np.asarray(g.ergodic) * lz) - np.sum(np.asarray(g.entrant) * lz)
    assert shift == pytest.approx(0.11, abs=2e-3)


# ------------------------------------------------------------ general equilibrium
@pytest.mark.parametrize("which", ["eq_standard", "eq_npg"])
def test_ge_residuals_below_1e10(which, request):
    p, eq = request.getfixturevalue(which)
    assert bool(eq.info.converged)
    for name in RESIDUAL_NAMES:
        assert abs(float(eq.residuals[name])) < 1e-10, name
    assert float(eq.N_E) == 1.0
    assert float(eq.R) == pytest.approx(1 / 0.95 - 1 + 0.08, rel=1e-15)
    assert float(eq.C) > 0 and float(eq.K) > 0 and float(eq.W) > 0


def test_fixed_entry_cost_reproduces_normalized_equilibrium():
    p = standard_params(**SMALL)
    eq = solve_equilibrium(p)
    q = eqx.tree_at(lambda q: q.gamma_E, p, eq.gamma_E)
    eq2 = solve_equilibrium(q, entry="fixed_cost")
    assert float(eq2.N_E) == pytest.approx(1.0, abs=1e-10)
    for name in ("W", "D", "K", "M", "C", "A"):
        assert float(getattr(eq2, name)) == pytest.approx(float(getattr(eq, name)), rel=1e-9), name
    # a higher entry cost lowers entry
    q3 = eqx.tree_at(lambda q: q.gamma_E, p, 1.2 * eq.gamma_E)
    assert float(solve_equilibrium(q3, entry="fixed_cost").N_E) < 1.0


def test_nonconvergence_raises():
    p = standard_params(**SMALL)
    with pytest.raises(ConvergenceError, match="multiproduct general equilibrium"):
        solve_equilibrium(p, max_iter=1)
    with pytest.raises(ValueError, match="entry"):
        solve_equilibrium(p, entry="free")


# ------------------------------------------------------------ the solver contract (jaxtrade.errors)
def test_one_info_folds_root_bellman_distribution_and_checks():
    p = standard_params(**SMALL)
    eq = solve_equilibrium(p)
    assert not hasattr(eq, "converged") and not hasattr(eq, "dist_info")
    for part in (eq.root_info, eq.bellman_info, eq.distribution_info):
        assert bool(part.converged)
    assert bool(eq.info.converged) and eq.info.reason == ""
    # the overall info carries the GE root's iterations and residual
    assert int(eq.info.iterations) == int(eq.root_info.iterations)
    assert float(eq.info.residual) == float(eq.root_info.residual)
    assert float(eq.residuals["distribution"]) == float(eq.distribution_info.residual)
    # a root that stops at a loose tolerance converges, but the recomputed market clearing does not hold
    loose = solve_equilibrium(p, tol=1e-4, throw=False)
    assert bool(loose.root_info.converged) and not bool(loose.info.converged)
    assert max(abs(float(loose.residuals[k])) for k in RESIDUAL_NAMES[:7]) > GE_TOL
    assert bool(loose.info.result == RESULTS.check_failed) and "recomputed equilibrium condition" in loose.info.reason
    with pytest.raises(ConvergenceError, match="recomputed equilibrium condition"):
        solve_equilibrium(p, tol=1e-4)


def test_throw_false_reports_failure_with_reason():
    p = standard_params(**SMALL)
    eq = solve_equilibrium(p, max_iter=1, throw=False)
    assert not bool(eq.info.converged) and not bool(eq.root_info.converged)
    assert "iteration limit" in eq.info.reason
    with pytest.raises(ConvergenceError, match="iteration limit") as err:
        solve_equilibrium(p, max_iter=1)
    assert "residuals=" in str(err.value) and err.value.iterations.tolist() == 1


# A check compiled in with equinox raises when the program runs; under plain jax.jit (jax 0.10, CPU) XLA reports
# it as a JaxRuntimeError (a RuntimeError) or as ValueError("INTERNAL: CpuCallback error ...") carrying the message.
RUN_TIME_ERRORS = (RuntimeError, ValueError)


@pytest.fixture(scope="module")
def jit_solves():
    """One compilation each: the raising and the non-raising solve under jit, max_iter traced."""
    raising = jax.jit(lambda q, m: solve_equilibrium(q, max_iter=m))
    quiet = jax.jit(lambda q, m: solve_equilibrium(q, max_iter=m, throw=False))
    return raising, quiet


def test_throw_true_raises_under_jit(jit_solves):
    raising, quiet = jit_solves
    p = standard_params(**SMALL)
    good = raising(p, 50)
    assert float(good.W) == float(solve_equilibrium(p).W)
    with pytest.raises(RUN_TIME_ERRORS, match="multiproduct general equilibrium"):
        jax.block_until_ready(raising(p, 1).W)
    # the jitted non-raising solve is the public one: no _jit twin
    eq = quiet(p, 50)
    assert bool(eq.info.converged) and float(eq.W) == float(good.W)
    assert not bool(quiet(p, 1).info.converged)


def test_vmap_throw_false_flags_each_lane():
    p = standard_params(**SMALL)
    # lane 0 is stopped after one Newton step, lane 1 has an entry cost outside the domain (unused by
    # entry="normalize", so only the rule fails), lane 2 solves
    max_iter, gamma_E = jnp.array([1, 50, 50]), jnp.array([0.26, -0.1, 0.26])

    def solve(m, g, throw):
        return solve_equilibrium(eqx.tree_at(lambda q: q.gamma_E, p, g), max_iter=m, throw=throw)

    eq = jax.vmap(lambda m, g: solve(m, g, False))(max_iter, gamma_E)
    assert np.asarray(eq.info.converged).tolist() == [False, False, True]
    assert np.asarray(eq.root_info.converged).tolist() == [False, True, True]
    assert np.asarray(eq.info.result == RESULTS.invalid_parameters).tolist() == [False, True, False]
    reasons = eq.info.reason
    assert "iteration limit" in reasons[0] and "valid domain" in reasons[1] and reasons[2] == ""
    assert float(eq.W[2]) == pytest.approx(float(solve_equilibrium(p).W), rel=1e-12)
    # with throw=True one failing lane raises when the program runs
    with pytest.raises(RUN_TIME_ERRORS, match="multiproduct general equilibrium"):
        jax.block_until_ready(jax.vmap(lambda m, g: solve(m, g, True))(max_iter[::2], gamma_E[::2]).W)


def test_invalid_parameters_name_the_rule_eagerly_and_traced(jit_solves):
    raising, _ = jit_solves
    p = standard_params(**SMALL)
    # gamma_E is not used by entry="normalize", so the solve itself goes through: only the rule fails
    bad = eqx.tree_at(lambda q: q.gamma_E, p, jnp.asarray(-0.1))  # built around the factory
    with pytest.raises(ValueError, match="gamma_E must satisfy gamma_E > 0"):
        validate_params(bad)
    with pytest.raises(ValueError, match="gamma_E must satisfy gamma_E > 0"):
        solve_equilibrium(bad)
    eq = solve_equilibrium(bad, throw=False)
    assert bool(eq.root_info.converged) and not bool(eq.info.converged)
    assert bool(eq.info.result == RESULTS.invalid_parameters) and "valid domain" in eq.info.reason
    # under a trace, throw=True compiles the rule in
    with pytest.raises(RUN_TIME_ERRORS, match="gamma_E must satisfy gamma_E > 0"):
        jax.block_until_ready(raising(bad, 50).W)


def test_replace_validates_and_broadcasts():
    p = standard_params(**SMALL)
    q = p.replace(tau=0.05, xi=2.4)
    assert isinstance(q, MultiproductParams) and q.n_z == 21
    np.testing.assert_array_equal(np.asarray(q.tau), np.full(5, 0.05))
    assert float(q.xi) == 2.4 and float(p.xi) == 2.19  # p is unchanged
    with pytest.raises(ValueError, match="gamma_1 must satisfy gamma_1 > 0"):
        p.replace(gamma_1=0.0)
    with pytest.raises(ValueError, match="tau must satisfy tau >= 0"):
        p.replace(tau=[0.1, 0.1, -0.1, 0.1, 0.1])
    with pytest.raises(ValueError, match="tau must have one rate per product"):
        p.replace(tau=[0.1, 0.1])
    with pytest.raises(ValueError, match="alpha_k, alpha_m must satisfy alpha_k \\+ alpha_m < 1"):
        p.replace(alpha_m=0.96)
    with pytest.raises(ValueError, match="n_z must be an int >= 3"):
        p.replace(n_z=2)
    with pytest.raises(ValueError, match="has no field"):
        p.replace(gamma_9=1.0)


# ------------------------------------------------------------ moments
@pytest.mark.parametrize("which", ["eq_standard", "eq_npg"])
def test_table5_moment_identities(which, request):
    p, eq = request.getfixturevalue(which)
    m = {k: float(v) for k, v in table5_moments(eq).items()}
    assert set(m) == set(TABLE5_NAMES)
    for k, v in m.items():
        if k != "entrant_incumbent_gap":
            assert 0.0 <= v <= 1.0, k
    assert m["product_add_rate"] + m["product_drop_rate"] + m["product_stasis_rate"] == pytest.approx(1, abs=1e-13)
    assert m["mpef_to_mpef"] + m["mpef_to_spef"] + m["mpef_to_nx"] == pytest.approx(1, abs=1e-13)
    assert m["single_product_share"] + m["multi_product_share"] == pytest.approx(1, abs=1e-13)
    # industry survival is the mass-weighted survival; exits equal entrants
    assert m["industry_survival"] == pytest.approx(1 - 1 / float(eq.N), rel=1e-10)
    x = extra_moments(p, eq)
    assert float(jnp.sum(x["expenditure_share"])) == pytest.approx(1.0, abs=1e-10)
    assert float(jnp.sum(x["product_count_distribution"])) == pytest.approx(1.0, abs=1e-13)
    assert float(x["product_count_distribution"][0]) == pytest.approx(m["single_product_share"], rel=1e-13)
    ei = np.asarray(x["export_intensity"])
    assert ei[0] == 0 and np.all(np.diff(ei) > 0)
    # eq. (33): single product at flat tariff: share of product 1 exports
    g = eq.grids
    b1 = float(g.mass[0] * g.omega[0] ** 4)
    assert ei[1] == pytest.approx(b1 * 1.1**-5 / (float(g.omega_H) + b1 * 1.1**-5), rel=1e-13)


def test_moments_by_brute_force_transition(eq_standard):
    """Transition moments recomputed by an explicit loop over states."""
    p, eq = eq_standard
    mu, prob, s = np.asarray(eq.mu), np.asarray(eq.prob), np.asarray(eq.grids.survival)
    nz, n1 = mu.shape
    J = np.zeros((n1, n1))
    for zi in range(nz):
        for i in range(n1):
            J[i] += mu[zi, i] * s[zi] * prob[zi, i]
    m = table5_moments(eq)  # product rates among multiproduct firms that stay multiproduct (j >= 2)
    mp = J[2:]
    add = sum(mp[a, b] for a in range(mp.shape[0]) for b in range(n1) if b > a + 2) / mp[:, 2:].sum()
    assert float(m["product_add_rate"]) == pytest.approx(add, rel=1e-12)
    old = table5_moments(eq, product_rates="mp_survivors")  # among all surviving multiproduct firms
    assert float(old["product_add_rate"]) == pytest.approx(add * mp[:, 2:].sum() / mp.sum(), rel=1e-12)
    assert float(m["exporter_survival"]) == pytest.approx(J[1:, 1:].sum() / J[1:].sum(), rel=1e-12)
    assert float(m["mpef_to_nx"]) == pytest.approx(mp[:, 0].sum() / mp.sum(), rel=1e-12)


def test_smoothing_converges_to_hard_max():
    p0 = standard_params(smoothing=0.0, **SMALL)
    p1 = standard_params(smoothing=1e-7, **SMALL)
    e0 = solve_equilibrium(p0, entry="fixed_cost", throw=False)
    e1 = solve_equilibrium(p1, entry="fixed_cost", throw=False)
    assert bool(e0.info.converged) and bool(e1.info.converged)
    np.testing.assert_allclose(np.asarray(moment_vector(e1)), np.asarray(moment_vector(e0)), atol=1e-4)


# ------------------------------------------------------------ derivatives and batching
GRAD_NAMES = ("mu_E", "xi", "gamma", "gamma_0", "gamma_1", "gamma_2", "gamma_3")


def test_moment_derivatives_autodiff_vs_finite_differences():
    p = standard_params(smoothing=1e-3, **SMALL)

    def f(theta):
        q = eqx.tree_at(lambda q: [getattr(q, n) for n in GRAD_NAMES], p, [theta[i] for i in range(7)])
        return moment_vector(solve_equilibrium(q, throw=False))

    theta = jnp.array([float(getattr(p, n)) for n in GRAD_NAMES])
    fj = jax.jit(f)
    J = np.asarray(jax.jit(jax.jacfwd(f))(theta))
    assert np.all(np.isfinite(J))
    for i in range(7):
        h = 1e-4 * abs(float(theta[i]))
        fd = (np.asarray(fj(theta.at[i].add(h))) - np.asarray(fj(theta.at[i].add(-h)))) / (2 * h)
        scale = max(np.max(np.abs(fd)), 1e-3)
        np.testing.assert_allclose(J[:, i], fd, rtol=0, atol=2e-4 * scale, err_msg=GRAD_NAMES[i])
    # the entrant gap responds to mu_E almost one for one; the Pareto shape matters for product churning
    assert J[0, 0] > 0.5 and np.max(np.abs(J[2:5, 2])) > 1e-3


def test_vmap_over_parameter_batch():
    p = standard_params(**SMALL)
    xis = jnp.array([2.0, 2.19, 2.4])

    def moments_at(xi):
        return moment_vector(solve_equilibrium(eqx.tree_at(lambda q: q.xi, p, xi), throw=False))

    out = jax.vmap(moments_at)(xis)
    for k, xi in enumerate(np.asarray(xis)):
        one = moment_vector(solve_equilibrium(eqx.tree_at(lambda q: q.xi, p, jnp.asarray(xi)), throw=False))
        np.testing.assert_allclose(np.asarray(out[k]), np.asarray(one), rtol=1e-9, atol=1e-11)
    # industry survival rises with xi (eq. 29: exit falls with xi z)
    assert float(out[0, 1]) < float(out[2, 1])


# ------------------------------------------------------------ independent NumPy reference
@pytest.mark.parametrize("smoothing", [0.0, 1e-3])
def test_agrees_with_numpy_reference(smoothing):
    """Eigenvector ergodic distribution, direct linear solve of the distribution, Brent root: same GE to 1e-8."""
    ref = _reference_module()
    p = standard_params(smoothing=smoothing, **SMALL)
    r = ref.solve(ref.params_to_dict(p))
    eq = solve_equilibrium(p)
    for name in ("A", "W", "D", "c", "gamma_E"):
        assert float(getattr(eq, name)) == pytest.approx(r[name], rel=1e-8), name
    np.testing.assert_allclose(np.asarray(eq.mu), r["mu"], rtol=0, atol=1e-8)
    m = table5_moments(eq, product_rates="mp_survivors", entrant_gap="incumbent_log")  # the reference's readings
    for k in TABLE5_NAMES:
        assert float(m[k]) == pytest.approx(r["moments"][k], abs=1e-8), k


# ------------------------------------------------------------ simulated panel
def test_simulated_panel_matches_stationary_moments():
    p = standard_params(**SMALL)
    eq = solve_equilibrium(p)
    m = {k: float(v) for k, v in table5_moments(eq).items()}
    df = simulate_panel(p, eq, jax.random.PRNGKey(0), n_firms=20_000, n_years=5)
    assert len(df) == 100_000 and set(df.columns) >= {"firm", "year", "log_productivity", "threshold"}
    exp = df["products_exported"] >= 1
    assert exp.mean() == pytest.approx(m["exporter_share"], abs=0.01)
    assert df["survives"].mean() == pytest.approx(m["industry_survival"], abs=0.01)
    mp = (df["products_exported"] >= 2) & df["survives"] & (df["next_products_exported"] >= 2)  # MP stayers
    add = (df["next_products_exported"][mp] > df["products_exported"][mp]).mean()
    assert add == pytest.approx(m["product_add_rate"], abs=0.03)
    c = candidate_panel(eq, df)
    assert c["ebp"].between(0, 1).all() and (c["product"] > 0).all()
    # eq. (31): introductions are more likely for closer candidates
    close = c["ebp"] > c["ebp"].median()
    assert c.loc[close, "introduction"].mean() > c.loc[~close, "introduction"].mean()
