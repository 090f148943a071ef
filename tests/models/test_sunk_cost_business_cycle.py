"""Tests of the Table 1 business-cycle moments of Ruhl (2008) (jaxtrade.models.sunk_cost.moments)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxtrade.errors import ConvergenceError, finish
from jaxtrade.models import sunk_cost as sc
from jaxtrade.models.sunk_cost import moments as bc
from jaxtrade.replication.ruhl import tables as ruhl_tables

# ----------------------------------------------------------------- statistics


def test_sd_autocorr_matches_independent_numpy():
    rng = np.random.default_rng(0)
    x = np.cumsum(rng.normal(size=(3, 80)), axis=1) + 0.05 * np.arange(80)
    sd, ac = bc.sd_autocorr(jnp.asarray(x), detrend="linear")
    for i in range(3):
        t = np.arange(80)
        r = x[i] - np.polyval(np.polyfit(t, x[i], 1), t)
        assert float(sd[i]) == pytest.approx(np.std(r), rel=1e-10)
        assert float(ac[i]) == pytest.approx(np.dot(r[1:], r[:-1]) / np.dot(r, r), rel=1e-10)
    sd_m, ac_m = bc.sd_autocorr(jnp.asarray(x), detrend="mean")
    r = x[0] - x[0].mean()
    assert float(sd_m[0]) == pytest.approx(np.std(r), rel=1e-10)
    assert float(ac_m[0]) == pytest.approx(np.dot(r[1:], r[:-1]) / np.dot(r, r), rel=1e-10)


def test_linear_detrending_removes_a_trend():
    rng = np.random.default_rng(1)
    x = rng.normal(size=200)
    a = bc.sd_autocorr(jnp.asarray(x))
    b = bc.sd_autocorr(jnp.asarray(x + 3.0 - 0.02 * np.arange(200)))
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-9)


def test_ar1_population_moments():
    # y_t = 0.7 y_(t-1) + e_t, sd(e) = 0.01: sd 0.01 / sqrt(1 - 0.49), autocorrelation 0.7
    rho, s, T, n = 0.7, 0.01, 4000, 40
    e = np.random.default_rng(2).normal(scale=s, size=(n, T))
    y = np.zeros((n, T))
    y[:, 0] = e[:, 0] / np.sqrt(1 - rho**2)
    for t in range(1, T):
        y[:, t] = rho * y[:, t - 1] + e[:, t]
    sd, ac = bc.sd_autocorr(jnp.asarray(y))
    assert float(sd.mean()) == pytest.approx(s / np.sqrt(1 - rho**2), rel=0.01)
    assert float(ac.mean()) == pytest.approx(rho, abs=0.005)


@pytest.mark.parametrize("lam, eps", [(0.803, 0.025), (0.6, 0.05)])
def test_two_state_chain_closed_form_vs_simulation(lam, eps):
    """log z_h alone: autocorrelation 2 lambda - 1, sd atanh(epsilon)."""
    p = sc.ruhl_params(n_phi=4, n_kappa=4, lam=lam, epsilon=eps)
    keys = jax.random.split(jax.random.PRNGKey(3), 100)
    states = jax.vmap(lambda k: sc.draw_shocks(p, k, 3000))(keys)
    log_zh = jnp.log(sc.productivity_states(p)[states, 0])
    sd, ac = bc.sd_autocorr(log_zh, detrend="mean")
    cf = bc.productivity_moments(p)
    assert cf["autocorr"] == pytest.approx(2 * lam - 1)
    assert float(ac.mean()) == pytest.approx(2 * lam - 1, abs=0.006)
    assert float(sd.mean()) == pytest.approx(np.arctanh(eps), rel=0.01)
    # the Markov-chain formula on the joint 4-state chain gives the same closed form
    sd_m, ac_m = bc.markov_moments(jnp.log(sc.productivity_states(p)[:, 0]), sc.transition_matrix(p))
    assert float(ac_m) == pytest.approx(2 * lam - 1, abs=1e-9)
    assert float(sd_m) == pytest.approx(np.arctanh(eps), rel=1e-9)


def test_shocks_for_targets_inverts_the_closed_form():
    t = bc.shocks_for_targets(0.036, 0.793)
    cf = bc.productivity_moments(sc.ruhl_params(n_phi=4, n_kappa=4, epsilon=t["epsilon"], lam=t["lam"]))
    assert cf["sd"] == pytest.approx(0.036, rel=1e-12) and cf["autocorr"] == pytest.approx(0.793, rel=1e-12)
    with pytest.raises(ValueError, match="autocorr"):
        bc.shocks_for_targets(0.03, 1.5)


def test_markov_moments_asymmetric_chain_vs_simulation():
    P = np.array([[0.7, 0.2, 0.1], [0.3, 0.5, 0.2], [0.1, 0.3, 0.6]])
    f = np.array([0.0, 1.0, -2.0])
    sd, ac = bc.markov_moments(jnp.asarray(f), jnp.asarray(P))
    rng = np.random.default_rng(4)
    T, s, xs = 200_000, 0, np.empty(200_000)
    u = rng.random(T)
    cum = np.cumsum(P, axis=1)
    for t in range(T):
        s = int(np.searchsorted(cum[s], u[t]))
        xs[t] = f[s]
    d = xs - xs.mean()
    assert float(sd) == pytest.approx(d.std(), rel=0.01)
    assert float(ac) == pytest.approx(np.dot(d[1:], d[:-1]) / np.dot(d, d), abs=0.01)


# ---------------------------------------------------------------------- model


@pytest.fixture(scope="module")
def small():
    p = sc.ruhl_params(n_phi=20, n_kappa=20)
    sol = sc.solve_stochastic(p, T=300, burn=100, throw=False, max_outer=2)
    return p, sol


def test_output_moments_small_grid(small):
    p, sol = small
    m = bc.output_moments(p, sol, n_economies=8, T=200, burn=50)
    assert m["all_converged"] and m["periods"] == 150 and m["sd"].shape == (8,)
    assert np.all(np.isfinite(m["sd"])) and np.all(np.isfinite(m["autocorr"]))
    # output moves with z: near the closed forms of the frozen-distribution economy (sampling error ~ 0.03)
    assert m["mean_sd"] == pytest.approx(m["frozen"]["sd"], rel=0.25)
    assert m["mean_autocorr"] == pytest.approx(m["frozen"]["autocorr"], abs=0.12)
    df = ruhl_tables.table1(p, m)  # Table 1 beside the paper (jaxtrade.replication.ruhl)
    assert list(df["paper (data)"]) == [0.036, 0.793]
    assert df.loc[1, "log z alone (closed form)"] == pytest.approx(2 * 0.803 - 1)


def test_no_entry_costs_output_is_a_function_of_the_state():
    """Without entry costs the distribution is constant: log output = f(s_t) exactly, moments -> closed form."""
    p = sc.ruhl_params(n_phi=6, n_kappa=6, entry_costs=False)
    sol = sc.solve_stochastic(p, T=60, burn=10, throw=False, max_outer=1)
    T, burn, n = 1000, 100, 16
    m = bc.output_moments(p, sol, n_economies=n, T=T, burn=burn, seed=5, detrend="mean")
    fr = m["frozen"]
    key0 = jax.random.split(jax.random.PRNGKey(5), n)[0]
    states = np.asarray(sc.draw_shocks(p, key0, T))[burn:]
    np.testing.assert_allclose(m["log_output_example"], fr["log_output_by_state"][states], rtol=0, atol=1e-10)
    assert m["mean_autocorr"] == pytest.approx(fr["autocorr"], abs=0.02)
    assert m["mean_sd"] == pytest.approx(fr["sd"], rel=0.02)


@pytest.mark.parametrize("kw, field", [({"measure": "gdp"}, "measure"), ({"detrend": "hp"}, "detrend"),
                                       ({"T": 52, "burn": 50}, "T"), ({"n_economies": 0}, "n_economies"),
                                       ({"country": 2}, "country")])  # fmt: skip
def test_bad_arguments_raise(small, kw, field):
    p, sol = small
    with pytest.raises(ValueError, match=field):
        bc.output_moments(p, sol, **kw)


def test_output_moments_info_and_throw(small):
    """The per-period balanced-trade roots are folded into one info (RESULTS.inner_failed when one fails)."""
    p, sol = small
    m = bc.output_moments(p, sol, n_economies=2, T=60, burn=10)
    assert bool(m["info"].converged) and int(m["info"].iterations) == 50 and m["all_converged"]
    info = sc.simulation_info(np.array([[True, True], [True, False]]), np.array([[0.0, 1e-13], [0.0, 0.5]]))
    assert not bool(info.converged) and float(info.residual) == 0.5 and int(info.iterations) == 2
    assert info.reason == "an inner solve (value function, distribution or market clearing) did not converge"
    with pytest.raises(ConvergenceError, match="inner solve"):
        finish(info, throw=True, what="a simulation")
