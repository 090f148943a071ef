"""Gravity margins (Ara & Zhang 2020, eqs. 23-30) on panels simulated from the vertical model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jaxtrade.empirics.gravity import gravity_margins, margin_decomposition
from jaxtrade.models import vertical as v


@pytest.fixture(scope="module")
def simulated():
    p = v.vertical_params()
    return v.simulate_panel(p, None, 3, n_products=10, n_countries=12, years=3, return_firms=True)


def test_margin_decomposition_reproduces_simulated_cells(simulated):
    panel, firms = simulated
    imp = firms[firms["side"] == "importer"].copy()
    imp["firm"] = imp.groupby(["product", "country", "year", "goods"]).cumcount()
    before = imp.copy()
    m = margin_decomposition(imp, keys=("product", "country", "year", "goods"), value="flow")
    pd.testing.assert_frame_equal(imp, before)  # input not mutated
    merged = m.merge(panel, on=["product", "country", "year", "goods"], suffixes=("", "_sim"))
    np.testing.assert_allclose(merged["R"], merged["R_sim"], rtol=1e-10)
    np.testing.assert_array_equal(merged["M"], merged["M_sim"])
    np.testing.assert_allclose(merged["R"], merged["M"] * merged["rbar"], rtol=1e-12)  # eq. (23)


def test_margins_add_up_and_noise_free_flows_recover_proposition_2():
    p = v.vertical_params()
    panel = v.simulate_panel(p, None, 0, n_products=8, n_countries=10, years=3, expected=True)
    panel["ln_tau"] = np.log(panel["tau"])
    for goods, zeta in (("I", panel.attrs["zeta_I"]), ("F", panel.attrs["zeta_F"])):
        sub = panel[panel["goods"] == goods]
        res, table = gravity_margins(sub, "ln_tau", "product^year + country^year", vcov={"CRV1": "product"})
        b = {z: float(r.coef()["ln_tau"]) for z, r in res.items()}
        assert b["R"] == pytest.approx(b["M"] + b["rbar"], abs=1e-10)  # OLS is linear in ln R = ln M + ln rbar
        assert b["R"] == pytest.approx(-zeta, rel=1e-6)
        assert b["M"] == pytest.approx(-zeta, rel=1e-6)
        assert abs(b["rbar"]) < 1e-6
        assert len(table.columns) == 3


def test_bad_inputs_name_the_rule():
    df = pd.DataFrame({"product": [1, 1], "country": [1, 1], "year": [1, 1], "firm": [1, 1], "value": [1.0, 2.0]})
    with pytest.raises(ValueError, match="duplicate"):
        margin_decomposition(df)
    with pytest.raises(ValueError, match="negative"):
        margin_decomposition(df.assign(firm=[1, 2], value=[1.0, -2.0]))
    with pytest.raises(ValueError, match="NaN"):
        margin_decomposition(df.assign(firm=[1, 2], value=[1.0, np.nan]))
    with pytest.raises(ValueError, match="missing column"):
        margin_decomposition(df.drop(columns="firm"))
    with pytest.raises(ValueError, match="not in the panel"):
        gravity_margins(df, "value", margins=("R",))
