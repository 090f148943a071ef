"""Tables 1-2, Figure 2 and footnote 11 (Heo & Kim 2025) on synthetic panels with a planted effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jaxtrade.empirics.fixest import feols
from jaxtrade.empirics.proximity import build_proximity_table, generate_panel, tables

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

MEDIUM = dict(n_firms=3000, n_destinations=10, n_years=5, n_products=400, n_chapters=20, n_inputs=20)


def true_basket_proximity(table: pd.DataFrame, panel: pd.DataFrame, products: pd.DataFrame) -> np.ndarray:
    """Share of the firm's basket S_fdt in the candidate's planted cluster (the generator's true prox)."""
    clu = products.set_index("product")["cluster"]
    keys = ["firm", "destination", "year"]
    basket = panel.assign(cluster=clu.loc[panel["product"]].to_numpy())
    size = basket.groupby(keys).size().rename("size")
    same = basket.groupby([*keys, "cluster"]).size().rename("same")
    t = table.loc[:, [*keys, "product"]].assign(cluster=clu.loc[table["product"]].to_numpy())
    t = t.join(size, on=keys).join(same, on=[*keys, "cluster"])
    return (t["same"].fillna(0) / t["size"]).to_numpy()


@pytest.fixture(scope="module", params=[0.3, 0.0], ids=["planted", "off"])
def built(request):
    sp = generate_panel("tiny", strength=request.param, seed=2, **MEDIUM)
    res = build_proximity_table(sp.panel, sp.inputs)
    return request.param, sp, res.table


def test_planted_effect_recovered_or_absent(built):
    strength, sp, table = built
    long, fits = tables.table2(table)
    assert set(long["column"]) == set(tables.TABLE2_SPECS)
    ebp = long[(long["column"] == "(1) EBP") & (long["term"] == "ebp")].iloc[0]
    # the generator's own truth: the LPM on the true basket proximity recovers the planted slope
    truth = table.assign(prox=true_basket_proximity(table, sp.panel, sp.products))
    res = feols("introduction ~ prox | firm_year + product_year", truth, vcov={"CRV1": "firm_destination"})
    assert abs(res.coef()["prox"] - strength) < 4 * res.se()["prox"]
    if strength > 0:
        assert ebp["tstat"] > 5
        assert strength / 10 < ebp["coef"] < 10 * strength  # planted sign and order of magnitude
        ebpw = long[(long["column"] == "(2) EBP^w") & (long["term"] == "ebp_w")].iloc[0]
        assert ebpw["tstat"] > 5
    else:
        assert abs(ebp["tstat"]) < 3.5  # statistically indistinguishable from zero
        for _, row in long.iterrows():
            assert abs(row["tstat"]) < 3.5, row.to_dict()


def test_table1_is_consistent(built):
    strength, _, table = built
    t1 = tables.table1(table)
    base = t1.attrs["baseline"]
    assert base == pytest.approx(table["introduction"].mean())
    for _, r in t1.iterrows():
        implied = r["share_of_entries"] / r["share_of_candidates"] * base
        assert r["implied_entry_probability"] == pytest.approx(implied, rel=1e-12)
    assert np.all(np.diff(t1["share_of_candidates"]) <= 0)
    if strength > 0:
        assert t1["implied_entry_probability"].iloc[0] > 1.5 * base


def test_footnote11_checks(built):
    strength, _, table = built
    f11, fits = tables.footnote11(table, seed=1)
    long, table2_fits = tables.table2(table)
    col3 = table2_fits["(3) EBP+HSP+IOP"]
    orth = f11.set_index("check").loc["EBP orthogonalized on HSP, IOP, FE"]
    # Frisch-Waugh-Lovell: the residualised EBP has column (3)'s coefficient
    assert orth["coef"] == pytest.approx(col3.coef()["ebp"], abs=1e-8)
    placebo = f11.set_index("check").loc["placebo: EBP shuffled within (d,t)"]
    full = long[(long["column"] == "(1) EBP") & (long["term"] == "ebp")].iloc[0]
    if strength > 0:
        assert abs(placebo["coef"]) < 0.5 * full["coef"]
    assert placebo["r2_within"] < 0.01


def test_figure2_png(built, tmp_path):
    strength, _, table = built
    data = tables.figure2_data(table)
    n_observed = int(table["introduction"].notna().sum())
    assert len(data) == 10 and data["n"].sum() == n_observed == len(table) - data.attrs["n_no_outcome"]
    assert np.all(np.diff(data["mean_ebp"]) >= 0)
    if strength > 0:
        assert data["introduction_rate"].iloc[-1] > data["introduction_rate"].iloc[:5].mean()
    path = tables.figure2(table, tmp_path / "fig2.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
