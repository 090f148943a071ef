"""Tests of the Heo & Kim (2025) multiproduct exporter model (jaxtrade.models.multiproduct)."""

from __future__ import annotations

import argparse
import pathlib
import json

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxtrade.errors import ConvergenceError
from jaxtrade.models.multiproduct import (
    RESIDUAL_NAMES, bellman_operator, choice_probabilities, export_cost_matrix, make_grids, npg_params,
    preset, product_grid, solve_bellman, solve_equilibrium, solve_equilibrium_jit, standard_params,
    stationary_mass,
)
from jaxtrade.models.multiproduct.moments import TABLE5_NAMES, extra_moments, moment_vector, table5_moments

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
    m = lo ** -3.65 - hi ** -3.65
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


def test_stationary_distribution_balance():
    p = standard_params(**SMALL)
    g = make_grids(p)
    sol = solve_bellman(p, g, 0.03)
    mu, info = stationary_mass(g, sol.prob)
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
    assert bool(eq.converged)
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
    m = table5_moments(eq)
    mp = J[2:]
    add = sum(mp[a, b] for a in range(mp.shape[0]) for b in range(n1) if b > a + 2) / mp.sum()
    assert float(m["product_add_rate"]) == pytest.approx(add, rel=1e-12)
    assert float(m["exporter_survival"]) == pytest.approx(J[1:, 1:].sum() / J[1:].sum(), rel=1e-12)
    assert float(m["mpef_to_nx"]) == pytest.approx(mp[:, 0].sum() / mp.sum(), rel=1e-12)


def test_smoothing_converges_to_hard_max():
    p0 = standard_params(smoothing=0.0, **SMALL)
    p1 = standard_params(smoothing=1e-7, **SMALL)
    e0 = solve_equilibrium_jit(p0, entry="fixed_cost")
    e1 = solve_equilibrium_jit(p1, entry="fixed_cost")
    assert bool(e0.converged) and bool(e1.converged)
    np.testing.assert_allclose(np.asarray(moment_vector(e1)), np.asarray(moment_vector(e0)), atol=1e-4)


# ------------------------------------------------------------ derivatives and batching
GRAD_NAMES = ("mu_E", "xi", "gamma", "gamma_0", "gamma_1", "gamma_2", "gamma_3")


def test_moment_derivatives_autodiff_vs_finite_differences():
    p = standard_params(smoothing=1e-3, **SMALL)

    def f(theta):
        q = eqx.tree_at(lambda q: [getattr(q, n) for n in GRAD_NAMES], p, [theta[i] for i in range(7)])
        return moment_vector(solve_equilibrium_jit(q))

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
        return moment_vector(solve_equilibrium_jit(eqx.tree_at(lambda q: q.xi, p, xi)))

    out = jax.vmap(moments_at)(xis)
    for k, xi in enumerate(np.asarray(xis)):
        one = moment_vector(solve_equilibrium_jit(eqx.tree_at(lambda q: q.xi, p, jnp.asarray(xi))))
        np.testing.assert_allclose(np.asarray(out[k]), np.asarray(one), rtol=1e-9, atol=1e-11)
    # industry survival rises with xi (eq. 29: exit falls with xi z)
    assert float(out[0, 1]) < float(out[2, 1])


# ------------------------------------------------------------ CLI (own argparse harness; cli.py wires add_parser)
def _cli(argv):
    from jaxtrade.cli_multiproduct import add_parser

    ap = argparse.ArgumentParser()
    add_parser(ap.add_subparsers())
    args = ap.parse_args(argv)
    return args.func(args)


def test_cli_json_and_figures(capsys, tmp_path):
    rc = _cli(["multiproduct", "solve", "--preset", "standard", "--n-z", "21", "--n-products", "5", "--json",
               "--figures", str(tmp_path)])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["moments"]) == set(TABLE5_NAMES)
    assert out["converged"] and max(abs(v) for v in out["residuals"].values()) < 1e-10
    assert set(out["prices"]) >= {"W", "R", "D"}
    assert all(pathlib.Path(f).exists() and pathlib.Path(f).stat().st_size > 0 for f in out["figures"])
    rc = _cli(["multiproduct", "solve", "--n-z", "21", "--n-products", "5", "--smoothing", "-1"])
    assert rc == 2
    assert "smoothing >= 0" in capsys.readouterr().err


# ------------------------------------------------------------ independent NumPy reference
from tests.models._reference import multiproduct_reference as _reference_module  # noqa: E402


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
    m = table5_moments(eq)
    for k in TABLE5_NAMES:
        assert float(m[k]) == pytest.approx(r["moments"][k], abs=1e-8), k


def test_replication_section(tmp_path, eq_standard, eq_npg):
    from jaxtrade.replication import heo_kim_model
    from jaxtrade.replication.report import PAPERS

    assert PAPERS["heo-kim-model"] is heo_kim_model.run
    sec = heo_kim_model.run(tmp_path)
    text = sec.markdown()
    assert "Table 5 (standard)" in text and "Table 5 (npg)" in text
    assert "Share of single-product exporters" in text
    assert all(path.exists() for path in sec.figures) and len(sec.figures) == 10


# ------------------------------------------------------------ simulated panel
def test_simulated_panel_matches_stationary_moments():
    from jaxtrade.models.multiproduct.simulate import candidate_panel, simulate_panel

    p = standard_params(**SMALL)
    eq = solve_equilibrium(p)
    m = {k: float(v) for k, v in table5_moments(eq).items()}
    df = simulate_panel(eq, 20_000, 5, jax.random.PRNGKey(0))
    assert len(df) == 100_000 and set(df.columns) >= {"firm", "year", "log_productivity", "threshold"}
    exp = df["products_exported"] >= 1
    assert exp.mean() == pytest.approx(m["exporter_share"], abs=0.01)
    assert df["survives"].mean() == pytest.approx(m["industry_survival"], abs=0.01)
    mp = (df["products_exported"] >= 2) & df["survives"]
    add = (df["next_products_exported"][mp] > df["products_exported"][mp]).mean()
    assert add == pytest.approx(m["product_add_rate"], abs=0.03)
    c = candidate_panel(eq, df)
    assert c["ebp"].between(0, 1).all() and (c["product"] > 0).all()
    # eq. (31): introductions are more likely for closer candidates
    assert c.loc[c["ebp"] > c["ebp"].median(), "introduction"].mean() > c.loc[c["ebp"] <= c["ebp"].median(), "introduction"].mean()
