"""Tests of the Ruhl (2008) export entry-cost model (jaxtrade.models.sunk_cost)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxtrade.errors import RESULTS, ConvergenceError
from jaxtrade.models import sunk_cost as sc
from jaxtrade.numerics import simple_ols


@pytest.fixture(scope="module")
def p_default():
    return sc.ruhl_params()


@pytest.fixture(scope="module")
def ss_default(p_default):
    return sc.steady_state(p_default)


# --------------------------------------------------------------------- params


@pytest.mark.parametrize(
    "kw, field",
    [
        ({"zeta": -1.5}, "zeta"),  # exponent 1 + zeta + xi phi^2 <= 0 at phi = 1: invalid density (34)
        ({"xi": -0.01}, "zeta, xi"),  # negative at phi_bar
        ({"kappa_bar": 0.0}, "kappa_bar"),
        ({"kappa_bar": -1.0}, "kappa_bar"),
        ({"lam": 1.2}, "lam"),
        ({"lam": -0.1}, "lam"),
        ({"theta_phi": 0.0}, "theta_phi"),
        ({"phi_bar": 1.0}, "phi_bar"),
        ({"rho": 1.0}, "rho"),
        ({"epsilon": 1.0}, "epsilon"),
        ({"L": 0.0}, "L"),
        ({"omega": 1.0}, "omega"),
        ({"n_phi": 1}, "n_phi"),
        ({"beta": float("nan")}, "beta"),
    ],
)
def test_bad_parameters_raise(kw, field):
    with pytest.raises(ValueError, match=field):
        sc.ruhl_params(**kw)


def test_defaults_are_tables_1_and_2(p_default):
    assert float(p_default.tau) == 0.05 and float(p_default.sigma) == 2.0
    assert float(p_default.beta) == 0.961 and float(p_default.delta) == 0.094
    assert float(p_default.theta_phi) == 0.672 and float(p_default.phi_bar) == 134.4
    assert float(p_default.zeta) == -0.19 and float(p_default.kappa_bar) == 10.0
    assert (p_default.n_phi, p_default.n_kappa) == (200, 200)


# ------------------------------------------------------------------ densities


@pytest.mark.parametrize("phi", [1.0, 5.0, 14.0, 60.0, 134.4])
def test_entry_cost_density_integrates_to_one(p_default, phi):
    k = np.linspace(0.0, 10.0, 400001)[1:]
    dens = np.asarray(sc.entry_cost_pdf(p_default, k, phi))
    assert np.all(dens >= 0.0)
    total = np.trapezoid(dens, k) if hasattr(np, "trapezoid") else np.trapz(dens, k)
    assert total == pytest.approx(1.0, abs=2e-3)  # kappa^(-0.19) singularity at 0 costs a little accuracy
    assert float(sc.entry_cost_cdf(p_default, 10.0, phi)) == pytest.approx(1.0)


def test_productivity_density_and_grid_masses(p_default):
    x = np.exp(np.linspace(0.0, np.log(134.4), 200001))
    dens = np.asarray(sc.productivity_pdf(p_default, x))
    total = np.sum(0.5 * (dens[1:] + dens[:-1]) * np.diff(x))
    assert total == pytest.approx(1.0, rel=1e-6)
    g = sc.type_grid(p_default)
    assert g.mass.shape == (200, 200)
    assert float(g.mass.sum()) == pytest.approx(1.0, abs=1e-12)
    assert float(g.mass.min()) >= 0.0
    # high-productivity firms draw high entry costs (theta_kappa increasing in phi)
    mean_k = (g.mass * g.kappa[None, :]).sum(1) / g.mass.sum(1)
    assert np.all(np.diff(np.asarray(mean_k)) > 0)


# --------------------------------------------------------------- steady state


def test_steady_state_equilibrium_conditions(p_default, ss_default):
    ss = ss_default
    assert bool(ss.info.converged) and bool(ss.period.info.converged)
    assert float(ss.period.w[1]) == pytest.approx(1.0, abs=1e-10)  # symmetric countries
    # balanced trade (31)
    assert float(ss.period.exports[0]) == pytest.approx(float(ss.period.exports[1]), rel=1e-10)
    # mass of producing firms normalised to one
    assert float((ss.mu_x + ss.mu_d).sum()) == pytest.approx(1.0, abs=1e-12)
    # decision rule is the cutoff rule (32): export iff phi >= phi_hat(kappa)
    phi = np.asarray(ss.grid.phi)[:, None]
    cut = np.asarray(ss.cutoff)[None, :]
    d = np.asarray(ss.export)
    clear = np.abs(phi - cut) > 1e-9 * phi
    assert np.array_equal(d[clear] == 1.0, (phi >= cut)[clear])
    # income: Y = L - K + Pi with Pi = gamma Y / sigma - K (30)
    e = ss.period
    assert float(e.Y[0]) == pytest.approx(float(p_default.L + e.Pi[0]), rel=1e-12)
    # value functions: switching is optimal exactly where the gain exceeds kappa
    R = float(p_default.beta * (1 - p_default.delta))
    gain = R * (np.asarray(ss.V_x)[:, None] - np.asarray(ss.V_d)) + 0 * d
    assert np.all((gain >= -1e-12) | (d == 0))


def test_default_labour_is_the_trade_output_calibration(p_default, ss_default):
    assert float(ss_default.trade_output) == pytest.approx(0.091, abs=2e-4)
    q = sc.calibrate_labor(sc.ruhl_params(L=1.0), tol=1e-6)
    assert float(q.L) == pytest.approx(sc.DEFAULT_LABOR, rel=1e-4)


def test_size_distribution_matches_table2_shape(p_default, ss_default):
    sd = sc.size_distribution(ss_default, p_default)
    assert sd["all"].sum() == pytest.approx(1.0)
    assert sd["sse_all"] < 0.005  # paper's model: 0.001
    assert sd["exporters"][0] > sd["exporters"][1] > sd["exporters"][2]


def test_balanced_trade_with_asymmetric_shocks(ss_default, p_default):
    e = sc.period_equilibrium(
        p_default,
        jnp.array([1.025, 0.975]),
        ss_default.M * jnp.ones(2),
        ss_default.m * jnp.ones(2),
        ss_default.K * jnp.ones(2),
    )
    assert bool(e.info.converged)
    assert float(e.exports[0]) == pytest.approx(float(e.exports[1]), rel=1e-10)
    assert float(e.w[1]) < 1.0  # the less productive foreign country has the lower wage


# ------------------------------------------------------------------- Table 3


def test_table3_within_target(p_default):
    t = sc.table3(p_default)
    w, n = t["entry_costs"], t["no_entry_costs"]
    assert w["implied_sigma"] == pytest.approx(6.38, rel=0.15)
    assert n["implied_sigma"] == pytest.approx(2.01, rel=0.15)
    # without entry costs there is no extensive margin: the log elasticity is the true sigma
    assert n["implied_sigma_log"] == pytest.approx(2.0, abs=1e-9)
    assert n["exporting_plants_pp"] == 0.0
    assert n["trade_output_before"] == pytest.approx(0.091, abs=1e-9)
    assert w["exporting_plants_pp"] > 0.0 and w["implied_sigma_log"] > 3.0


def test_tariff_removal_rejects_increase(p_default):
    with pytest.raises(ValueError, match="tau_after"):
        sc.tariff_removal(p_default, tau_after=0.1)


# ----------------------------------------------------------- stochastic model


@pytest.fixture(scope="module")
def small():
    p = sc.ruhl_params(n_phi=40, n_kappa=40)
    sol = sc.solve_stochastic(p, T=1000, burn=200, rule="constant")
    return p, sol


def test_transition_matrix_is_stochastic(p_default):
    L = np.asarray(sc.transition_matrix(p_default))
    assert L.shape == (4, 4) and np.allclose(L.sum(1), 1.0) and np.all(L >= 0)
    assert L[0, 0] == pytest.approx(0.803**2)


def test_bellman_without_shocks_reproduces_steady_state_cutoffs():
    p = sc.ruhl_params(n_phi=40, n_kappa=40, epsilon=0.0)
    ss = sc.steady_state(p)
    e = ss.period
    ones = jnp.ones((4, 1))
    pol = sc.solve_firms(p, ss.grid, ones * e.a_d[None], ones * e.a_x[None], ones * e.Y[None])
    assert bool(pol.info.converged)
    for s in range(4):
        assert np.array_equal(np.asarray(pol.export[0, :, :, s]), np.asarray(ss.export))
    np.testing.assert_allclose(np.asarray(pol.V_d[0, :, :, 0]), np.asarray(ss.V_d), rtol=1e-8)


def test_stochastic_solution_symmetric(small):
    p, sol = small
    assert bool(sol.info.converged)
    la = np.asarray(sol.log_a_x)
    # (H,L) for home mirrors (L,H) for foreign
    assert la[1, 0] == pytest.approx(la[2, 1], abs=1e-3)
    assert la[0, 0] == pytest.approx(la[0, 1], abs=1e-3)


def test_ces_indices_return_true_elasticity(small):
    p, sol = small
    r = sc.time_series_experiment(p, sol, n_economies=8, T=120, burn=20)
    np.testing.assert_allclose(r["sigma_ces"], 2.0, atol=1e-8)
    np.testing.assert_allclose(r["r2_ces"], 1.0, atol=1e-8)
    assert np.all(np.isfinite(r["sigma"]))


def test_ols_closed_form():
    """The Armington regression (37) runs numerics.simple_ols (formerly sunk_cost.ols)."""
    x = jnp.linspace(0.0, 1.0, 50)
    b, a, r2 = simple_ols(3.0 + 1.5 * x, x)
    assert float(b) == pytest.approx(1.5) and float(a) == pytest.approx(3.0) and float(r2) == pytest.approx(1.0)


def test_forecast_loop_that_does_not_converge_raises():
    p = sc.ruhl_params(n_phi=20, n_kappa=20)
    with pytest.raises(ConvergenceError, match="last log forecasts"):
        sc.solve_stochastic(p, T=200, burn=50, tol=1e-30, max_outer=2, rule="constant")


# ------------------------------------------------------------ the contract: params, throw, presets


def test_rule_violation_names_field_rule_and_value():
    with pytest.raises(ValueError, match=r"rho must satisfy 0 < rho < 1 .*got rho=1.5"):
        sc.ruhl_params(n_phi=4, n_kappa=4, rho=1.5)
    with pytest.raises(ValueError, match=r"n_kappa must be an integer >= 2"):
        sc.ruhl_params(n_phi=4, n_kappa=1)
    with pytest.raises(ValueError, match="tau must be a finite scalar"):
        sc.ruhl_params(n_phi=4, n_kappa=4, tau=[0.05, 0.1])
    assert [r.fields for r in sc.RULES].count("lam") == 2  # finite scalar, then the range of eq. (35)


def test_replace_validates_and_keeps_static_fields():
    p = sc.ruhl_params(n_phi=20, n_kappa=20, entry_cost_units="effective_labor")
    q = p.replace(tau=0.0, lam=0.9)
    assert float(q.tau) == 0.0 and float(q.lam) == 0.9 and float(q.beta) == float(p.beta)
    assert (q.n_phi, q.n_kappa, q.entry_costs, q.entry_cost_units) == (20, 20, True, "effective_labor")
    assert q.replace(entry_costs=False).entry_costs is False
    with pytest.raises(ValueError, match="tau must satisfy tau >= 0"):
        p.replace(tau=-0.01)
    with pytest.raises(ValueError, match="entry_cost_units"):
        p.replace(entry_cost_units="gold")
    with pytest.raises(ValueError, match="no field"):
        p.replace(sigma=3.0)


def test_validate_params_under_jit_raises_at_run_time():
    p = sc.ruhl_params(n_phi=4, n_kappa=4)
    f = jax.jit(lambda q: sc.validate_params(q).beta)
    assert float(f(p)) == pytest.approx(0.961)
    with pytest.raises(Exception, match="beta must satisfy 0 < beta < 1"):
        jax.block_until_ready(f(sc.ruhl_params(n_phi=4, n_kappa=4, beta=1.5, validate=False)))


def test_presets():
    assert set(sc.PRESETS) == {"ruhl", "no_entry_costs"}
    p = sc.preset("ruhl", n_phi=20, n_kappa=20)
    q = sc.preset("no_entry_costs", n_phi=20, n_kappa=20)
    assert p.entry_costs and not q.entry_costs
    # the no-entry-cost preset is the model calibrate_home_bias builds (Table 3)
    c = sc.calibrate_home_bias(p)
    assert float(q.omega) == float(c.omega) and c.entry_costs is False
    assert float(sc.steady_state(q).trade_output) == pytest.approx(sc.TRADE_OUTPUT_TARGET, abs=1e-9)
    with pytest.raises(ValueError, match="name must be one of"):
        sc.preset("melitz")


def test_steady_state_throw_false_reports_invalid_parameters_per_lane():
    p = sc.ruhl_params(n_phi=20, n_kappa=20)
    bad = sc.ruhl_params(n_phi=20, n_kappa=20, omega=1.5, validate=False)
    ss = sc.steady_state(bad, throw=False)
    assert not bool(ss.info.converged) and ss.info.result == RESULTS.invalid_parameters
    with pytest.raises(ConvergenceError, match="outside the model's valid domain"):
        sc.steady_state(bad)
    # vmapped over the tariff: one flag per lane; a negative tariff is outside the domain
    taus = jnp.array([0.05, -0.1, 0.0])
    batch = jax.vmap(lambda t: sc.steady_state(p.replace(tau=t), throw=False))
    with pytest.raises(Exception, match="tau must satisfy tau >= 0"):  # replace checks the rules under the trace
        jax.block_until_ready(batch(taus).trade_output)
    lanes = jax.vmap(lambda t: sc.steady_state(sc.ruhl_params(n_phi=20, n_kappa=20, tau=t, validate=False),
                                               throw=False))(taus)  # fmt: skip
    assert np.asarray(lanes.info.converged).tolist() == [True, False, True]
    assert lanes.info.reason == ["", "the parameters are outside the model's valid domain", ""]


def test_steady_state_throw_under_jit():
    p = sc.ruhl_params(n_phi=20, n_kappa=20)
    ok = jax.jit(lambda q: sc.steady_state(q).trade_output)(p)
    assert float(ok) == pytest.approx(float(sc.steady_state(p).trade_output), rel=1e-14)
    # max_iter=3 bisection steps leave a bracket far wider than tol: a run-time error under jit
    with pytest.raises(Exception, match="steady state"):
        jax.block_until_ready(jax.jit(lambda q: sc.steady_state(q, max_iter=3).trade_output)(p))
    ss = sc.steady_state(p, max_iter=3, throw=False)
    assert not bool(ss.info.converged) and ss.info.result == RESULTS.max_iterations


def test_period_equilibrium_throw():
    p = sc.ruhl_params(n_phi=20, n_kappa=20)
    ss = sc.steady_state(p)
    args = (jnp.array([1.025, 0.975]), ss.M * jnp.ones(2), ss.m * jnp.ones(2), ss.K * jnp.ones(2))
    e = sc.period_equilibrium(p, *args, tol=-1.0, throw=False)  # a negative tolerance is never met
    assert not bool(e.info.converged)
    with pytest.raises(ConvergenceError, match="balanced trade"):
        sc.period_equilibrium(p, *args, tol=-1.0)


def test_constant_rule_throw_false_returns_flags():
    p = sc.ruhl_params(n_phi=20, n_kappa=20)
    sol = sc.solve_stochastic(p, T=200, burn=50, tol=1e-30, max_outer=2, rule="constant", throw=False)
    assert sol.rule == "constant" and not bool(sol.info.converged)
    assert int(sol.info.iterations) == 2 and sol.info.result == RESULTS.max_iterations
    assert sol.policy.V_d.shape == (2, 20, 20, 4)


def test_simulate_panel_convention():
    p = sc.ruhl_params(n_phi=20, n_kappa=20)
    sol = sc.solve_stochastic(p, T=200, burn=50, max_outer=3, rule="constant", throw=False)
    sim = sc.simulate_panel(p, sol, 7, periods=60, burn=10)
    assert bool(sim.info.converged) and int(sim.info.iterations) == 50
    assert sim.series["Y"].shape == (50, 2) and sim.series["state"].shape == (50,)
    # an int seed and its key give the same economy; it is simulate_path from the steady state, burn dropped
    same = sc.simulate_panel(p, sol, jax.random.PRNGKey(7), periods=60, burn=10)
    np.testing.assert_array_equal(np.asarray(sim.series["m"]), np.asarray(same.series["m"]))
    full = sc.simulate_path(p, sol.steady.grid, sol.policy, sc.initial_state(sol.steady),
                            sc.draw_shocks(p, jax.random.PRNGKey(7), 60))  # fmt: skip
    np.testing.assert_array_equal(np.asarray(full["w_f"][10:]), np.asarray(sim.series["w_f"]))
    # vmapped over keys with throw=True: the check is compiled in and passes
    keys = jax.random.split(jax.random.PRNGKey(0), 3)
    many = jax.vmap(lambda k: sc.simulate_panel(p, sol, k, periods=30))(keys)
    assert many.series["Y"].shape == (3, 30, 2) and np.asarray(many.info.converged).all()
    with pytest.raises(ValueError, match="periods"):
        sc.simulate_panel(p, sol, 0, periods=10, burn=10)


def test_one_import_direction_and_no_hidden_imports():
    """The rule modules import aggregate, never each other or solve; no import inside a function body."""
    import ast
    import pathlib

    pkg = pathlib.Path(sc.__file__).parent
    for path in pkg.glob("*.py"):
        tree = ast.parse(path.read_text())
        nested = [n.lineno for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                  for n in ast.walk(f) if isinstance(n, (ast.Import, ast.ImportFrom))]  # fmt: skip
        assert not nested, f"{path.name}: imports inside functions at lines {nested}"
    imports = {path.stem: {n.module for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.ImportFrom)}
               for path in pkg.glob("*.py")}  # fmt: skip
    own = "jaxtrade.models.sunk_cost."
    for rule in ("constant_rule", "krusell_smith"):
        assert own + "aggregate" in imports[rule]
        assert not {own + "solve", own + "simulate", own + "constant_rule", own + "krusell_smith"} & imports[rule]
    assert not {own + "constant_rule", own + "krusell_smith", own + "solve"} & imports["aggregate"]
