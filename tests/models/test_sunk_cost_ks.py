"""Krusell-Smith solution of Ruhl (2008), Appendix 1: log-linear rules, moment grid, cell lottery."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxtrade.errors import RESULTS, ConvergenceError
from jaxtrade.models import sunk_cost as sc
from jaxtrade.models.sunk_cost import krusell_smith as ks


@pytest.fixture(scope="module")
def p20():
    return sc.ruhl_params(n_phi=20, n_kappa=20)


@pytest.fixture(scope="module")
def sol20(p20):
    return sc.solve_stochastic(p20, T=400, burn=100, n_m=3, n_x=400, max_outer=150)


def test_ols_by_state_recovers_known_coefficients():
    rng = np.random.default_rng(0)
    T, K = 600, 3
    states = rng.integers(0, 4, T)
    lh = -2.0 + 0.05 * rng.standard_normal(T)
    lf = -2.0 + 0.3 * (lh + 2.0) + 0.05 * rng.standard_normal(T)  # correlated regressors, like m and m*
    true = rng.normal(size=(K, 4, 3))
    y = true[:, states, 0].T + true[:, states, 1].T * lh[:, None] + true[:, states, 2].T * lf[:, None]
    coef, r2, sst, resid = ks.ols_by_state(jnp.asarray(y), jnp.asarray(lh), jnp.asarray(lf), jnp.asarray(states))
    np.testing.assert_allclose(np.asarray(coef), true, atol=1e-8)
    np.testing.assert_allclose(np.asarray(r2), 1.0, atol=1e-10)
    # with noise: the same numbers as numpy's least squares, state by state
    yn = y + 0.01 * rng.standard_normal(y.shape)
    coef, r2, sst, _ = ks.ols_by_state(jnp.asarray(yn), jnp.asarray(lh), jnp.asarray(lf), jnp.asarray(states))
    ssr = 0.0
    for n in range(4):
        sel = states == n
        X = np.column_stack([np.ones(sel.sum()), lh[sel], lf[sel]])
        b, res, *_ = np.linalg.lstsq(X, yn[sel], rcond=None)
        np.testing.assert_allclose(np.asarray(coef[:, n, :]), b.T, rtol=1e-6, atol=1e-8)
        ssr = ssr + ((yn[sel] - X @ b) ** 2).sum(0)
    np.testing.assert_allclose(np.asarray(r2), 1.0 - ssr / ((yn - yn.mean(0)) ** 2).sum(0), rtol=1e-8)


def test_bilinear_interpolation_exact_for_bilinear_functions():
    rng = np.random.default_rng(1)
    nh = jnp.asarray(np.sort(rng.uniform(-2.2, -1.8, 5)))
    nf = jnp.asarray(np.sort(rng.uniform(-2.3, -1.7, 4)))

    def f(x, y):
        return 0.3 - 1.2 * x + 0.7 * y + 2.5 * x * y

    H, F = np.meshgrid(np.asarray(nh), np.asarray(nf), indexing="ij")
    vals = f(H, F).ravel()
    xh = rng.uniform(float(nh[0]), float(nh[-1]), 50)
    xf = rng.uniform(float(nf[0]), float(nf[-1]), 50)
    w = np.asarray(ks.bilinear_weights(nh, nf, jnp.asarray(xh), jnp.asarray(xf)))
    assert w.shape == (50, 20) and np.allclose(w.sum(1), 1.0) and w.min() >= 0.0
    np.testing.assert_allclose(w @ vals, f(xh, xf), rtol=1e-12, atol=1e-12)
    # outside the grid the point is clamped to the edge
    w_out = np.asarray(ks.bilinear_weights(nh, nf, float(nh[-1]) + 1.0, float(nf[0]) - 1.0))
    assert w_out @ vals == pytest.approx(f(float(nh[-1]), float(nf[0])))


def test_lottery_share_is_the_exact_mass_below_the_cutoff_and_continuous(p20):
    grid = sc.type_grid(p20)
    xs = jnp.linspace(0.01, 0.6, 2001)
    share, paid = ks.export_shares(p20, grid, xs)  # (n, I, J)
    switched = np.asarray((share * grid.mass).sum(-1))  # (n, I)
    kstar = np.asarray(xs)[:, None] * np.asarray(grid.phi)[None, :] ** float(p20.sigma - 1.0)
    exact = np.asarray(grid.phi_mass)[None, :] * np.asarray(sc.entry_cost_cdf(p20, kstar, grid.phi[None, :]))
    np.testing.assert_allclose(switched, exact, rtol=1e-10, atol=1e-14)
    # the entry labour paid is the partial mean of kappa below kappa* (quadrature of density (34))
    i = 7
    k = np.linspace(0.0, kstar[1000, i], 200001)[1:]
    dens = np.asarray(sc.entry_cost_pdf(p20, k, grid.phi[i]))
    mean_part = np.sum(0.5 * ((k * dens)[1:] + (k * dens)[:-1]) * np.diff(k)) * float(grid.phi_mass[i])
    assert float((paid[1000, i] * grid.mass[i]).sum()) == pytest.approx(mean_part, rel=2e-3)
    # continuity: the switched mass moves by O(dx) (no jumps), unlike the discrete rule
    tot = switched.sum(1)
    steps = np.abs(np.diff(tot))
    assert steps.max() < 5.0 * np.median(steps[steps > 0]) and steps.max() < 1e-3
    d, _ = ks.export_shares(p20, grid, xs, lottery=False)
    tot_d = np.asarray((d * grid.mass).sum((-1, -2)))
    assert np.abs(np.diff(tot_d)).max() > 20.0 * steps.max()


def test_loglinear_rule_with_zero_slopes_is_the_constant_rule(p20):
    ss = sc.steady_state(p20)
    coef = ks.initial_rules(p20, ss)
    la_d, la_x, lY = coef[0:2, :, 0].T, coef[2:4, :, 0].T, coef[4:6, :, 0].T  # (4, 2)
    const = sc.solve_firms(p20, ss.grid, jnp.exp(la_d), jnp.exp(la_x), jnp.exp(lY))
    # m' rule with slopes: the moments move, but no other forecast depends on them
    coef = coef.at[6:8, :, 1].set(0.5).at[6:8, :, 0].set(0.5 * jnp.log(ss.m))
    nodes = ks.moment_nodes(jnp.log(ss.m), 0.02, 3)
    xg = ks.x_grid_default(p20, 1500, ks.steady_state_cutoff(p20, ss))
    pol = ks.solve_firms_loglinear(p20, coef, nodes, xg, lottery=False)
    assert bool(pol.info.converged) and bool(const.info.converged)
    for g in range(9):
        np.testing.assert_allclose(np.asarray(pol.v_x[:, :, g]), np.asarray(const.v_x), rtol=1e-10)
    Vd = np.asarray(ks.values_on_types(p20, ss.grid, pol))  # (2, I, J, 4, G)
    np.testing.assert_allclose(Vd[..., 4], np.asarray(const.V_d), rtol=2e-5)
    # decisions: export iff kappa <= x* phi^(sigma-1), the same types as gain >= kappa (away from ties)
    kstar = np.asarray(pol.x_star[:, :, 4])[:, None, None, :] * np.asarray(ss.grid.phi)[None, :, None, None]
    d_ll = np.asarray(ss.grid.kappa)[None, None, :, None] <= kstar
    gap = np.abs(np.asarray(const.gain) - np.asarray(ss.grid.kappa)[None, None, :, None])
    clear = gap > 1e-4
    assert np.array_equal(d_ll[clear], np.asarray(const.export)[clear] == 1.0)
    # simulations coincide when no type is near its cutoff
    shocks = sc.draw_shocks(p20, jax.random.PRNGKey(3), 60)
    a = sc.simulate_path(p20, ss.grid, const, sc.initial_state(ss), shocks)
    b = sc.simulate_path(p20, ss.grid, pol, sc.initial_state(ss), shocks)
    assert clear.all()  # no type within 1e-4 of indifference at these forecasts
    np.testing.assert_allclose(np.asarray(b["m"]), np.asarray(a["m"]), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(b["w_f"]), np.asarray(a["w_f"]), rtol=1e-10)


def test_loglinear_solution_is_a_fixed_point(p20, sol20):
    assert sol20.rule == "loglinear" and bool(sol20.info.converged)
    r = sol20.ks
    assert r.coef.shape == (8, 4, 3) and np.all(np.asarray(r.r2) > 0.9)
    ss = sol20.steady
    shocks = sc.draw_shocks(p20, jax.random.PRNGKey(0), 400)  # the loop's seed-0 shocks
    step = jax.jit(lambda c, nd, v: ks.forecast_update(p20, ss, shocks, c, nd, sol20.policy.x_grid, v, burn=100))
    new = step(r.coef, r.nodes, sol20.policy.v).coef
    assert float(jnp.max(jnp.abs(new - r.coef))) < 5e-5  # the loop stopped at a change < 1e-5 (damped 0.2)
    # away from the fixed point the map moves the coefficients
    new0 = step(r.coef.at[6, :, 1].add(0.05), r.nodes, sol20.policy.v).coef
    assert float(jnp.max(jnp.abs(new0 - r.coef.at[6, :, 1].add(0.05)))) > 1e-3
    # symmetric rules: foreign's a_x rule in (H,L) is home's in (L,H) with m and m* swapped
    c = np.asarray(r.coef)
    np.testing.assert_array_equal(c[3, 1], c[2, 2][[0, 2, 1]])
    # the foreign wage rises with the foreign moment and falls with the home one (paper: -0.33 / +0.33)
    pc = np.asarray(r.paper_coef)
    assert np.all(pc[3, :, 1] < 0) and np.all(pc[3, :, 2] > 0)


def test_time_series_with_loglinear_rules(p20, sol20):
    r = sc.time_series_experiment(p20, sol20, n_economies=4, T=80, burn=10)
    np.testing.assert_allclose(r["sigma_ces"], 2.0, atol=1e-8)
    assert np.all(np.isfinite(r["sigma"]))


def test_nonconverged_loop_carries_coefficients_and_r2(p20):
    kw = dict(T=150, burn=50, n_m=3, n_x=200, max_outer=2, n_regrid=1, tol=1e-30)
    with pytest.raises(ConvergenceError, match="last coefficients") as e:
        sc.solve_stochastic(p20, **kw)
    assert "R2" in str(e.value)
    # throw=False: the last coefficients and R^2 come back in the solution, flagged as not converged
    sol = sc.solve_stochastic(p20, throw=False, **kw)
    assert sol.ks.coef.shape == (8, 4, 3) and sol.ks.r2.shape == (8,)
    assert not bool(sol.info.converged) and sol.info.result == RESULTS.max_iterations


@pytest.mark.parametrize("kw, word", [({"rule": "quadratic"}, "rule"), ({"export_rule": "coin"}, "export_rule"),
                                      ({"n_m": 1}, "n_m"), ({"damping": 0.0}, "damping")])  # fmt: skip
def test_bad_options_raise(p20, kw, word):
    with pytest.raises(ValueError, match=word):
        sc.solve_stochastic(p20, T=200, burn=50, **kw)


def test_entry_cost_price_by_unit(p20):
    """Own-wage price of one unit of kappa: 1 (labour), 1/z (effective labour), 1 at the steady state (bundles)."""
    ss = sc.steady_state(p20)
    z = jnp.array([1.025, 0.975])
    lad, ly = jnp.log(ss.period.a_d), jnp.log(ss.period.Y)
    assert np.allclose(ks.entry_cost_price(p20, z, lad, ly), 1.0)
    pe = sc.ruhl_params(n_phi=20, n_kappa=20, entry_cost_units="effective_labor")
    assert np.allclose(ks.entry_cost_price(pe, z, lad, ly), 1.0 / z, rtol=1e-14)
    for units in ("consumption", "composite"):
        pu = sc.ruhl_params(n_phi=20, n_kappa=20, entry_cost_units=units)
        ref = ks.steady_log_p_ref(pu, ss)
        assert np.allclose(ks.entry_cost_price(pu, jnp.ones(2), lad, ly, ref), 1.0, atol=1e-12)
    with pytest.raises(ValueError, match="entry_cost_units"):
        sc.ruhl_params(n_phi=20, n_kappa=20, entry_cost_units="gold")
    with pytest.raises(ValueError, match="entry_cost_units"):
        sc.solve_stochastic(pe, T=200, burn=50, rule="constant")


def test_effective_labour_entry_cost_moves_the_exporter_moment_with_the_state(p20, sol20):
    """With kappa in labour, (H,H) and (L,L) differ by a common scale and the m' rule cannot tell them apart;
    with kappa in effective labour (cheaper when own productivity is high) exporters rise in (H,H)."""
    pe = sc.ruhl_params(n_phi=20, n_kappa=20, entry_cost_units="effective_labor")
    sol_e = sc.solve_stochastic(pe, T=400, burn=100, n_m=3, n_x=400, max_outer=150)
    gap_labour = ks.moment_rule_gap(np.asarray(sol20.ks.paper_coef)[2])
    gap_effective = ks.moment_rule_gap(np.asarray(sol_e.ks.paper_coef)[2])
    assert abs(gap_labour) < 1e-3 and gap_effective > 0.05


def test_time_series_does_not_depend_on_economies_per_step(p20, sol20):
    """Grouped lax.map (with a remainder group) and one vmapped batch give the same estimates."""
    kw = dict(n_economies=7, T=80, burn=10, seed=3)
    a = sc.time_series_experiment(p20, sol20, economies_per_step=3, **kw)
    b = sc.time_series_experiment(p20, sol20, economies_per_step=7, **kw)
    np.testing.assert_allclose(a["sigma"], b["sigma"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(a["r2"], b["r2"], rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="economies_per_step"):
        sc.time_series_experiment(p20, sol20, economies_per_step=0, **kw)


# ------------------------------------------------------------------ the contract: throw, options


def test_krusell_smith_throw_true_raises_with_max_outer_1(p20):
    with pytest.raises(ConvergenceError, match=r"Krusell-Smith loop .*iteration limit.*iterations=1") as e:
        sc.solve_stochastic(p20, T=150, burn=50, n_m=3, n_x=200, max_outer=1)
    assert e.value.tol == 1e-5 and e.value.iterations.tolist() == 1 and "last coefficients" in str(e.value)


def test_krusell_smith_throw_false_returns_flags(p20):
    sol = sc.solve_stochastic(p20, T=150, burn=50, n_m=3, n_x=200, max_outer=1, throw=False)
    assert not bool(sol.info.converged) and int(sol.info.iterations) == 1
    assert sol.info.reason == "the iteration limit was reached before the tolerance was met"
    assert bool(sol.policy.info.converged) and bool(sol.steady.info.converged)  # inner solves fine
    assert sol.ks.changes.shape == (1,) and float(sol.info.residual) == pytest.approx(float(sol.ks.changes[0]))


def test_moment_rule_gap():
    c = np.array([[0.1, 0.5, 0.0], [0.0, 0.5, 0.0], [0.0, 0.5, 0.0], [0.05, 0.5, 0.0]])
    assert ks.moment_rule_gap(c) == pytest.approx(0.1)  # 0.2 in (H,H) minus 0.1 in (L,L)


def test_options_are_checked_in_one_place(p20):
    with pytest.raises(ValueError, match=r"rule must be one of \('loglinear', 'constant'\)"):
        sc.solve_stochastic(p20, rule="quadratic")
    with pytest.raises(ValueError, match=r"export_rule must be one of \('lottery', 'discrete'\)"):
        sc.KSOptions(export_rule="coin")
    with pytest.raises(ValueError, match="unknown options"):
        sc.solve_stochastic(p20, n_grid=3)
    with pytest.raises(ValueError, match="apply only to rule='loglinear'"):
        sc.solve_stochastic(p20, rule="constant", n_m=3)
    with pytest.raises(ValueError, match="damping"):
        sc.solve_stochastic(p20, rule="constant", damping=1.5)
    assert sc.DEFAULT_DAMPING == {"loglinear": 0.2, "constant": 0.5}


def _cell_by_cell(p, grid, policy, state0, shocks):
    """The simulation written cell by cell: export_shares on the whole histogram and market_period (the reference)."""
    phith = grid.phi[:, None] ** (p.sigma - 1.0)
    zs = sc.productivity_states(p)
    entrants = p.nu * grid.mass[None]

    def step(st, s):
        m, M = sc.exporter_moments(st, phith)
        lm = jnp.log(m)
        xs = policy.x_star[:, s, :] @ ks.bilinear_weights(policy.nodes[0], policy.nodes[1], lm[0], lm[1])
        share, paid = ks.export_shares(p, grid, xs, lottery=policy.lottery)
        if p.entry_cost_units != "labor":
            F = ks.evaluate_rules(policy.coef, s, lm[0], lm[1])
            paid = paid * ks.entry_cost_price(p, zs[s], F[0:2], F[4:6], policy.log_p_ref)[:, None, None]
        new, out = sc.market_period(p, st, s, zs[s], m, M, share, paid, entrants)
        pool = st.mu_d + entrants
        out["m_next"] = jnp.sum(new.mu_x * phith, axis=(1, 2))
        out["x_star"] = xs
        out["switch_share"] = jnp.sum(share * pool, axis=(1, 2)) / jnp.sum(pool, axis=(1, 2))
        return new, out

    return jax.jit(lambda st: jax.lax.scan(step, st, shocks)[1])(state0)


@pytest.mark.parametrize(
    "export_rule, change",
    [
        ("lottery", {}),
        ("discrete", {}),
        ("lottery", {"entry_cost_units": "effective_labor"}),
        ("lottery", {"entry_costs": False}),
    ],  # fmt: skip
)
def test_fast_simulation_equals_the_cell_by_cell_push_forward(p20, export_rule, change):
    # simulate_loglinear carries mu_d only, the exporters' moment and mass by their laws of motion, and evaluates
    # the lottery in one cell per row: the same economy as export_shares + market_period, to rounding and the
    # balanced-trade tolerance (1e-12), also from a distribution off the steady state
    p = p20.replace(**change)
    ss = sc.steady_state(p)
    coef = ks.initial_rules(p, ss).at[:, :, 1].set(0.3).at[:, :, 2].set(-0.1)  # slopes: the cutoffs move
    nodes = ks.moment_nodes(jnp.log(ss.m), 0.05, 3)
    xg = ks.x_grid_default(p, 400, ks.steady_state_cutoff(p, ss))
    pol = ks.solve_firms_loglinear(p, coef, nodes, xg, lottery=export_rule == "lottery",
                                   log_p_ref=ks.steady_log_p_ref(p, ss))  # fmt: skip
    st0 = sc.initial_state(ss)
    st0 = sc.SimState(mu_x=0.9 * st0.mu_x, mu_d=1.05 * st0.mu_d, log_wf=jnp.asarray(0.01))
    shocks = sc.draw_shocks(p, jax.random.PRNGKey(5), 80)
    a = _cell_by_cell(p, ss.grid, pol, st0, shocks)
    b = ks.simulate_loglinear(p, ss.grid, pol, st0, shocks)
    assert set(a) == set(b)
    assert bool(jnp.all(b["converged"])) and float(b["root_residual"].max()) <= 1e-12
    assert np.ptp(np.asarray(b["x_star"])) > 0.0 and float(np.asarray(b["switch_share"]).max()) > 0.0
    for k in ("m", "m_next", "M", "K", "exporters", "switch_share", "x_star"):
        np.testing.assert_allclose(np.asarray(b[k]), np.asarray(a[k]), rtol=1e-11, atol=1e-15, err_msg=k)
    for k in ("w_f", "w", "Y", "P", "Pi", "a_d", "a_x", "imports", "domestic"):
        np.testing.assert_allclose(np.asarray(b[k]), np.asarray(a[k]), rtol=1e-10, err_msg=k)
    np.testing.assert_array_equal(np.asarray(b["state"]), np.asarray(a["state"]))
    np.testing.assert_array_equal(np.asarray(b["z"]), np.asarray(a["z"]))


@pytest.mark.parametrize(
    "export_rule, change",
    [("lottery", {}), ("discrete", {}), ("lottery", {"entry_cost_units": "effective_labor"})],
)
def test_band_simulation_equals_the_whole_histogram(p20, export_rule, change):
    # simulate_loglinear carries only a band of cells per row around the cutoff cells (the cutoffs in the policy
    # bound them); left of it every cell switches each period, right of it none does. The narrowest band that
    # holds the cutoffs, the whole histogram (band=None), a band too narrow (the lax.cond falls back to the whole
    # histogram) and the cell-by-cell reference give the same economy, also from a distribution off the steady
    # state (mass left and right of the band in the first period)
    p = p20.replace(**change)
    ss = sc.steady_state(p)
    lottery = export_rule == "lottery"
    coef = ks.initial_rules(p, ss).at[:, :, 1].set(0.05).at[:, :, 2].set(-0.02)
    nodes = ks.moment_nodes(jnp.log(ss.m), 0.05, 3)
    xg = ks.x_grid_default(p, 400, ks.steady_state_cutoff(p, ss))
    pol = ks.solve_firms_loglinear(p, coef, nodes, xg, lottery=lottery, log_p_ref=ks.steady_log_p_ref(p, ss))
    st0 = sc.initial_state(ss)
    st0 = sc.SimState(mu_x=0.9 * st0.mu_x, mu_d=1.05 * st0.mu_d + 1e-3 * ss.grid.mass, log_wf=jnp.asarray(0.01))
    shocks = sc.draw_shocks(p, jax.random.PRNGKey(5), 80)
    plan = ks._switch_plan(p, ss.grid, lottery)
    J = p.n_kappa
    width = next(w for w in range(1, J + 1) if bool(ks._band_start(p, ss.grid, plan, pol, w)[1]))
    lo = np.asarray(ks._band_start(p, ss.grid, plan, pol, width)[0])
    assert width <= J // 2 and lo.min() == 0 and lo.max() > 0 and (lo + width).min() < J  # cells on both sides
    ref = _cell_by_cell(p, ss.grid, pol, st0, shocks)
    sims = {w: ks.simulate_loglinear(p, ss.grid, pol, st0, shocks, band=w) for w in (width, None, width - 1)}
    assert np.ptp(np.asarray(ref["x_star"])) > 0.0
    for w, b in sims.items():
        assert set(b) == set(ref)
        for k in ("m", "m_next", "M", "K", "exporters", "switch_share", "x_star"):
            np.testing.assert_allclose(np.asarray(b[k]), np.asarray(ref[k]), rtol=1e-11, atol=1e-15, err_msg=f"{w} {k}")
        for k in ("w_f", "Y", "P", "Pi", "a_d", "a_x", "imports", "domestic"):
            np.testing.assert_allclose(np.asarray(b[k]), np.asarray(ref[k]), rtol=1e-10, err_msg=f"{w} {k}")


def test_warm_period_equilibrium_is_the_balanced_trade_root(p20):
    from jaxtrade.models.sunk_cost.equilibrium import warm_period_equilibrium

    z, M, m, K = jnp.array([1.025, 0.975]), jnp.ones(2), jnp.array([0.5, 0.45]), jnp.array([0.01, 0.02])
    ref = sc.period_equilibrium(p20, z, M, m, K)
    # from a close start the three unrolled steps converge and the damped loop stops at its first check;
    # from a far start with one step the loop finishes the solve
    for start, steps in ((float(jnp.log(ref.w[1])) + 0.01, 3), (1.5, 1)):
        e = jax.jit(lambda x0, k=steps: warm_period_equilibrium(p20, z, M, m, K, x0, steps=k))(start)
        assert bool(e.info.converged) and float(e.info.residual) <= 1e-12
        np.testing.assert_allclose(np.asarray(e.w), np.asarray(ref.w), rtol=1e-11)
        np.testing.assert_allclose(np.asarray(e.Y), np.asarray(ref.Y), rtol=1e-11)
        assert (int(e.info.iterations) == 3) if steps == 3 else (int(e.info.iterations) > 1)
