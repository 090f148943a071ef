"""Tests of the Ara & Zhang (2020) gravity-panel simulator (jaxtrade.models.vertical.simulate)."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from jaxtrade.models.vertical.moments import final_partial_flows, input_partial_flows
from jaxtrade.models.vertical.params import vertical_params
from jaxtrade.models.vertical.simulate import (
    PANEL_COLUMNS,
    PanelConfig,
    input_cell_base,
    input_cell_expected,
    simulate_panel,
)
from jaxtrade.models.vertical.solve import solve_final_trade, solve_input_trade


@pytest.fixture(scope="module")
def params():
    return vertical_params()


@pytest.fixture(scope="module")
def expected_panel(params):
    return simulate_panel(params, None, jax.random.PRNGKey(0), n_products=5, n_countries=6, years=3, expected=True)


@pytest.fixture(scope="module")
def noisy_panel(params):
    cfg = PanelConfig(n_products=4, n_countries=5, years=3)
    return simulate_panel(params, None, jax.random.PRNGKey(7), cfg, return_firms=True)


def fe_slope(d: pd.DataFrame, y: str, x: str) -> float:
    """OLS slope of ln d[y] on ln d[x] with product-year and country-year fixed effects (dummy LS)."""
    d = d[(d[y] > 0) & np.isfinite(d[y])]
    yy = np.log(d[y].to_numpy())
    xx = np.log(d["tau"].to_numpy()) if x == "tau" else np.log1p(d["tariff"].to_numpy())
    pt = np.unique(d["product"].to_numpy() * 10_000 + d["year"].to_numpy(), return_inverse=True)[1]
    ct = np.unique(d["country"].to_numpy() * 10_000 + d["year"].to_numpy(), return_inverse=True)[1]
    X = np.column_stack([xx, np.eye(pt.max() + 1)[pt], np.eye(ct.max() + 1)[ct][:, 1:]])
    return float(np.linalg.lstsq(X, yy, rcond=None)[0][0])


# ---------------------------------------------------------------------------
# structure
# ---------------------------------------------------------------------------


def test_columns_shapes_and_attrs(expected_panel, noisy_panel):
    df, _ = noisy_panel
    for d, (P, C, T) in ((expected_panel, (5, 6, 3)), (df, (4, 5, 3))):
        assert list(d.columns[: len(PANEL_COLUMNS)]) == list(PANEL_COLUMNS)
        assert len(d) == 2 * P * C * T
        assert set(d["goods"]) == {"I", "F"}
        assert not d.duplicated(["product", "country", "year", "goods"]).any()
        for h in "IF":
            sub = d[d.goods == h]
            assert sub["product"].nunique() == P and sub["country"].nunique() == C and sub["year"].nunique() == T
        assert (d["tau"] >= 1.0).all()
        np.testing.assert_allclose(d["tau"], d["dist"] ** d.attrs["delta"] * (1.0 + d["tariff"]), rtol=1e-12)
    el = expected_panel.attrs["elasticities"]
    s, k = 4.0, 4.5
    assert expected_panel.attrs["zeta_I"] == pytest.approx(k * (s - 1) / (2 * (s - 1) - k))
    assert expected_panel.attrs["zeta_F"] == pytest.approx(k)
    assert el["I"]["rbar"] == 0.0 and el["F"]["M"] == pytest.approx(k)


def test_no_negative_flows_and_decomposition(noisy_panel):
    df, firms = noisy_panel
    for col in ("R", "M", "n_exporters", "R_model"):
        assert (df[col] >= 0).all()
    assert (firms["flow"] > 0).all()
    pos = df["M"] > 0
    np.testing.assert_allclose(df.loc[pos, "R"], df.loc[pos, "M"] * df.loc[pos, "rbar"], rtol=1e-12)  # eq. (23)
    assert df.loc[~pos, "rbar"].isna().all() and (df.loc[~pos, "R"] == 0).all()
    assert np.all(np.mod(df["M"], 1.0) == 0)  # counts
    assert (df.loc[df.goods == "F", "M"] == df.loc[df.goods == "F", "n_exporters"]).all()
    # firm flows add up to the cell totals on both sides (h = I: importers and exporters)
    keys = ["product", "country", "year", "goods"]
    for side in ("importer", "exporter"):
        tot = firms[firms.side == side].groupby(keys)["flow"].sum()
        cnt = firms[firms.side == side].groupby(keys).size()
        m = df.set_index(keys)
        trade = m["R"] > 0
        np.testing.assert_allclose(tot.reindex(m.index[trade]).to_numpy(), m.loc[trade, "R"].to_numpy(), rtol=1e-10)
        col = "M" if side == "importer" else "n_exporters"
        np.testing.assert_array_equal(cnt.reindex(m.index[trade]).to_numpy(), m.loc[trade, col].to_numpy())
    # importers' flows are proportional to varphi^(sigma-1) within a cell
    imp = firms[(firms.side == "importer") & (firms.goods == "I")]
    ratio = imp["flow"] / imp["productivity"] ** 3.0
    spread = ratio.groupby([imp["product"], imp["country"], imp["year"]]).agg(lambda r: r.max() / r.min() - 1.0)
    assert spread.max() < 1e-10


def test_year_labels_and_goods_subset(params):
    cfg = PanelConfig(5, 6, [2000, 2001, 2002], goods=("F",), expected=True, return_firms=True)
    df, firms = simulate_panel(params, None, 0, cfg)
    assert set(df["year"]) == {2000, 2001, 2002} and set(df["goods"]) == {"F"} and len(df) == 90 and len(firms) == 0


def test_deterministic_by_seed(params, noisy_panel):
    df, firms = noisy_panel
    cfg = PanelConfig(n_products=4, n_countries=5, years=3)
    df2, firms2 = simulate_panel(params, None, jax.random.PRNGKey(7), cfg, return_firms=True)
    pd.testing.assert_frame_equal(df, df2)
    pd.testing.assert_frame_equal(firms, firms2)
    df3 = simulate_panel(params, None, jax.random.PRNGKey(8), cfg)
    assert not np.allclose(df["R"], df3["R"])


# ---------------------------------------------------------------------------
# noise-free flows equal statics' partial-equilibrium flows
# ---------------------------------------------------------------------------


def test_expected_flows_match_statics(params, expected_panel):
    p, df = params, expected_panel
    eq, eqF = solve_input_trade(p), solve_final_trade(p)
    scale = df.attrs["scale"]

    @jax.jit
    def statics_I(ln_tau, ln_b, ln_n):
        b, n = jnp.exp(ln_b), jnp.exp(ln_n)
        shifted = (eq.B_F.at[0].multiply(b), eq.B_I.at[0].multiply(b), eq.N_E.at[1].multiply(n))
        e = eqx.tree_at(lambda q: (q.B_F, q.B_I, q.N_E), eq, shifted)
        return input_partial_flows(e, p)(ln_tau, jnp.log(p.f_I[1, 0]), jnp.log(p.f_F[1, 0]))

    @jax.jit
    def statics_F(ln_tau, ln_b, ln_n):
        shifted = (eqF.B_F.at[0].multiply(jnp.exp(ln_b)), eqF.M_E.at[1].multiply(jnp.exp(ln_n)))
        e = eqx.tree_at(lambda q: (q.B_F, q.M_E), eqF, shifted)
        return final_partial_flows(e, p)(ln_tau, jnp.log(p.f_F[1, 0]))

    for h, fn in (("I", statics_I), ("F", statics_F)):
        sub = df[df.goods == h].iloc[[0, 7, 31, 58, 89]]
        args = [jnp.asarray(np.log(sub["tau"].to_numpy())), jnp.asarray(sub["ln_demand_shift"].to_numpy()),
                jnp.asarray(sub["ln_supply_shift"].to_numpy())]  # fmt: skip
        out = np.asarray(jax.vmap(fn)(*args))
        ref = np.exp(out[:, 0])
        np.testing.assert_allclose(sub["R_model"].to_numpy(), ref, rtol=1e-8)
        if h == "I":  # the closed-form cutoffs of (6) and (12) are statics' Newton solution
            mine = input_cell_expected(*args, input_cell_base(p, eq))
            np.testing.assert_allclose(np.asarray(mine.Lambda_F_tilde), np.exp(out[:, 1]), rtol=1e-8)
        np.testing.assert_allclose(sub["R"].to_numpy() / scale, ref, rtol=1e-8)
    # without shifters and at the base tau, the cell is the base equilibrium itself
    ln_R_base = float(statics_I(jnp.log(p.tau_I[1, 0]), 0.0, 0.0)[0])
    np.testing.assert_allclose(ln_R_base, np.log(float(eq.R_I_flow[1, 0])), rtol=1e-10)
    mine = input_cell_expected(jnp.log(p.tau_I[1, 0]), 0.0, 0.0, input_cell_base(p, eq))
    np.testing.assert_allclose(float(mine.varphi_tilde), float(eq.varphi_tilde[0]), rtol=1e-10)
    np.testing.assert_allclose(float(mine.phi_ji), float(eq.phi[1, 0]), rtol=1e-10)
    np.testing.assert_allclose(float(mine.importers), float(eq.importers_F[0]), rtol=1e-10)
    np.testing.assert_allclose(float(mine.exporters), float(eq.firms_I[1, 0]), rtol=1e-10)


def test_expected_sales_per_exporter(params, expected_panel):
    df, p = expected_panel, params
    s, k = float(p.sigma), float(p.k)
    # Pareto: average sales per exporter k sigma f_ji / (k - sigma + 1) (section 2.5), independent of tau
    for h, f in (("I", float(p.f_I[1, 0])), ("F", float(p.f_F[1, 0]))):
        sub = df[df.goods == h]
        np.testing.assert_allclose(sub["R"] / sub["n_exporters"], k * s * f / (k - s + 1.0), rtol=1e-10)


# ---------------------------------------------------------------------------
# gravity regressions with product-year and country-year fixed effects
# ---------------------------------------------------------------------------


def test_fe_regression_recovers_zeta_noise_free(expected_panel):
    df = expected_panel
    el = df.attrs["elasticities"]
    for h in "IF":
        sub = df[df.goods == h]
        for z in ("R", "M", "rbar", "n_exporters"):
            for x in ("tau", "tariff"):
                assert -fe_slope(sub, z, x) == pytest.approx(el[h][z], abs=1e-6), (h, z, x)
    assert df.attrs["zeta_I"] > df.attrs["zeta_F"]  # Proposition 2


def test_fe_regression_with_firm_noise(params):
    cfg = PanelConfig(n_products=12, n_countries=8, years=3, firms_per_cell=150.0)
    df = simulate_panel(params, None, jax.random.PRNGKey(4), cfg)
    assert (df["M"] > 0).mean() > 0.97
    el = df.attrs["elasticities"]
    est = {h: {z: -fe_slope(df[df.goods == h], z, "tariff") for z in ("R", "M")} for h in "IF"}
    # counts: Poisson noise only
    assert est["I"]["M"] == pytest.approx(el["I"]["M"], rel=0.1)
    assert est["F"]["M"] == pytest.approx(el["F"]["M"], rel=0.1)
    # values: Pareto^(sigma-1) has infinite variance under Assumption 1, so ln of a cell sum is biased
    # downward in cells with few firms, which biases the slope up (more for h = I: two such sums)
    assert est["F"]["R"] == pytest.approx(el["F"]["R"], rel=0.25)
    assert est["I"]["R"] == pytest.approx(el["I"]["R"], rel=0.35)
    assert est["I"]["R"] > est["F"]["R"] and est["I"]["M"] > est["F"]["M"]


# ---------------------------------------------------------------------------
# bad inputs
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_products=0), "n_products"),
        (dict(n_countries=2.5), "n_countries"),
        (dict(years=0), "years"),
        (dict(key="abc"), "key"),
        (dict(goods=("I", "X")), "goods"),
        (dict(delta=-1.0), "delta"),
        (dict(dist=[0.5] + [2.0] * 5), "dist"),
        (dict(dist=[2.0, 3.0, 4.0]), "dist"),
        (dict(tariffs=np.zeros((5, 6, 2))), "tariffs"),
        (dict(tariffs=-0.1 * np.ones((5, 6, 3))), "tariffs"),
        (dict(demand_sd=np.nan), "demand_sd"),
        (dict(scale=0.0), "scale"),
        (dict(tariff_decline=1.5), "tariff_decline"),
        (dict(dist_range=(0.5, 2.0)), "dist_range"),
        # tau = 1 in every cell: foreign sourcing no longer selective, (7) fails
        (dict(dist=np.ones(6), tariffs=np.zeros((5, 6, 3)), goods=("I",)), "regime"),
    ],
)
def test_bad_inputs(params, kwargs, match):
    # the shapes of expected_panel
    base = dict(params=params, solution=None, key=0, n_products=5, n_countries=6, years=3, expected=True)
    base.update(kwargs)
    with pytest.raises(ValueError, match=match):
        simulate_panel(**base)


def test_bad_params():
    with pytest.raises(ValueError, match="params"):
        simulate_panel("not params", None, 0, n_products=2, n_countries=2, years=2)
