"""Issue 15, "Last year": candidates of the panel's last year are output with a missing outcome.

Heo & Kim (2025, section 2.2) define ``Introduction_{fpd,t+1}``; it is unobserved
for the last year t of a panel, but EBP (eq. 3), EBP^w, HSP and IOP (eq. 5)
are not, and a user predicting next year's introductions needs those rows.
The tables (Table 1, Table 2, footnote 11, Figure 2) leave them out and say how many.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from jaxtrade.cli import main
from jaxtrade.empirics.fixest import feols
from jaxtrade.empirics.proximity import (
    build_proximity_table,
    figure2_data,
    footnote11,
    generate_panel,
    table1,
    table2,
    with_outcome,
)

A, B, C = "010101", "010102", "020101"
KEYS = ["firm", "product", "destination", "year"]
INPUTS = pd.DataFrame({"i1": [1.0, 1.0, 0.0], "i2": [0.0, 1.0, 1.0]}, index=[A, B, C])


def year_rows(year: int) -> list[tuple]:
    """The (USA, year) cell of the support case (see test_proximity_inputs.support_panel) and F's B in Japan.

    Firms 1-3 export A and B (1 each) to the USA, firms 4-6 A, B (1 each) and C (8), firm 7 (F)
    exports A to the USA and B to Japan. By hand (eqs. 1-2, leave-one-out): EBP(F, B, USA) = 1.
    """
    rows = [(f, p, "USA", year, 1.0) for f in (1, 2, 3) for p in (A, B)]
    rows += [(f, p, "USA", year, v) for f in (4, 5, 6) for p, v in ((A, 1.0), (B, 1.0), (C, 8.0))]
    rows += [(7, A, "USA", year, 1.0), (7, B, "JPN", year, 1.0)]
    return rows


def hand_panel(years=(2000, 2001), extra=()) -> pd.DataFrame:
    rows = [r for y in years for r in year_rows(y)] + list(extra)
    return pd.DataFrame(rows, columns=KEYS + ["value"])


# hand values of F's candidates: basket {A} in the USA (candidate B), basket {B} in Japan (candidate A)
HSP_AB = 1.0 - (abs(10101 - 10102) / 999999.0) ** (1 / 5)
IOP_AB = 1.0 / np.sqrt(2.0)


def test_last_year_rows_are_output_with_missing_outcome():
    # F introduces B in the USA in 2001: the 2000 outcome is 1, the 2001 outcome is unobserved
    panel = hand_panel(extra=[(7, B, "USA", 2001, 1.0)])
    res = build_proximity_table(panel, INPUTS, progress=False)
    t = res.table.set_index(KEYS)
    assert t.loc[(7, B, "USA", 2000), "introduction"] == 1.0
    assert t.loc[(7, A, "JPN", 2000), "introduction"] == 0.0
    # 2001 (last year): F's only candidate left is A in Japan (B is now exported to the USA)
    last = res.table[res.table["year"] == 2001]
    assert list(zip(last["firm"], last["product"], last["destination"], strict=True)) == [(7, A, "JPN")]
    assert last["introduction"].isna().all()
    assert res.table["introduction"].dtype == np.float64
    assert res.counts["candidates_without_outcome"] == 1 and res.counts["introductions"] == 1
    assert res.counts["candidates"] == len(res.table) == 3


def test_last_year_measures_by_hand():
    """2001 identical to 2000: the last year's row of F's candidate B in the USA has the 2000 values."""
    res = build_proximity_table(hand_panel(), INPUTS, progress=False)
    t = res.table.set_index(KEYS)
    for year in (2000, 2001):
        row = t.loc[(7, B, "USA", year)]
        assert row["ebp"] == pytest.approx(1.0, abs=1e-12)  # eq. (3), hand computation in year_rows
        assert row["ebp_w"] == pytest.approx(1.0, abs=1e-12)  # basket {A}, share 1
        assert row["hsp"] == pytest.approx(HSP_AB, abs=1e-12)
        assert row["iop"] == pytest.approx(IOP_AB, abs=1e-12)
        assert row["basket_size"] == 1
    assert t.loc[(7, B, "USA", 2000), "introduction"] == 0.0
    assert np.isnan(t.loc[(7, B, "USA", 2001), "introduction"])
    # Japan has one exporter (< 5): no proximity there
    assert t.loc[(7, A, "JPN", 2001), "ebp"] == 0.0 and np.isnan(t.loc[(7, A, "JPN", 2001), "introduction"])


def test_year_before_a_gap_has_missing_outcome():
    """Years 2000 and 2002: t+1 is not in the panel for either, so both outcomes are unobserved."""
    res = build_proximity_table(hand_panel(years=(2000, 2002)), progress=False)
    assert set(res.table["year"]) == {2000, 2002}
    assert res.table["introduction"].isna().all()
    with pytest.raises(ValueError, match="no candidate row has an observed outcome"):
        table1(res.table)


@pytest.fixture(scope="module")
def synthetic():
    sp = generate_panel("tiny", n_firms=400, n_years=3, seed=5)
    return build_proximity_table(sp.panel, sp.inputs, progress=False)


def test_tables_leave_out_the_last_year_and_say_so(synthetic):
    table = synthetic.table
    last = table["year"] == table["year"].max()
    n_last = int(last.sum())
    assert n_last > 0 and table.loc[last, "introduction"].isna().all()
    assert table.loc[~last, "introduction"].notna().all()
    assert synthetic.counts["candidates_without_outcome"] == n_last
    observed = table.loc[~last]
    rows, n_left = with_outcome(table)
    assert n_left == n_last and rows.equals(observed)

    t1 = table1(table)
    assert t1.attrs["n_no_outcome"] == n_last and t1.attrs["n_candidates"] == len(observed)
    assert t1.attrs["baseline"] == pytest.approx(observed["introduction"].mean())
    pd.testing.assert_frame_equal(t1, table1(observed), check_exact=True)

    long, fits = table2(table)
    assert (long["n_no_outcome"] == n_last).all() and long.attrs["n_no_outcome"] == n_last
    ref = feols("introduction ~ ebp | firm_year + product_year", observed, vcov={"CRV1": "firm_destination"})
    res = fits["(1) EBP"]
    assert res.nobs == ref.nobs and res.n_dropped == 0
    np.testing.assert_allclose(res.coef().to_numpy(), ref.coef().to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(res.se().to_numpy(), ref.se().to_numpy(), rtol=1e-12)

    f11, f11_fits = footnote11(table)
    assert (f11["n_no_outcome"] == n_last).all()
    # FWL: the residualised EBP's slope equals column (3)'s EBP coefficient on the same (observed) rows
    resid_fit = f11_fits["EBP orthogonalized on HSP, IOP, FE"]
    assert resid_fit.nobs == fits["(3) EBP+HSP+IOP"].nobs
    assert float(resid_fit.coef().iloc[0]) == pytest.approx(float(fits["(3) EBP+HSP+IOP"].coef()["ebp"]), rel=1e-8)

    fig = figure2_data(table)
    assert fig.attrs["n_no_outcome"] == n_last and int(fig["n"].sum()) == len(observed)


def test_cli_build_writes_last_year_rows(tmp_path, capsys):
    hand_panel().to_csv(tmp_path / "panel.csv", index=False)
    out = tmp_path / "o"
    assert main(["proximity", "build", "--input", str(tmp_path / "panel.csv"), "--out", str(out), "--no-progress"]) == 0
    table = pd.read_parquet(out / "proximity_table.parquet")
    table["product"] = table["product"].astype(str)
    last = table[table["year"] == 2001]
    assert len(last) == 2 and last["introduction"].isna().all() and last["ebp"].notna().all()
    counts = json.loads((out / "build.json").read_text())["counts"]
    assert counts["candidates_without_outcome"] == 2
    capsys.readouterr()
