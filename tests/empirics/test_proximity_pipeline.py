"""The stages of the proximity build (Heo & Kim 2025, section 2): each on its own, timings, progress bar."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jaxtrade.empirics.proximity import (
    STAGES,
    ProximityOptions,
    build_proximity_table,
    generate_panel,
    presence,
)
from jaxtrade.empirics.proximity import pipeline as pl


@pytest.fixture(scope="module")
def tiny():
    return generate_panel("tiny", n_firms=120, n_years=3, seed=4)


def test_stages_compose_to_the_table(tiny):
    opts = ProximityOptions()
    index = pl.index_panel(tiny.panel, opts)
    pres = pl.rca_presence(index, opts)
    prox = pl.cell_proximity(index, pres, opts)
    cand = pl.candidate_sets(index)
    io = pl.input_output_proximity(tiny.inputs, index.products)
    baskets = pl.basket_sums(index, pres, prox, cand, io, opts)
    table = pl.assemble_table(index, prox, cand, baskets, opts, has_inputs=True)
    res = build_proximity_table(tiny.panel, tiny.inputs, opts, progress=False)
    pd.testing.assert_frame_equal(table, res.table)
    assert len(cand) == len(res.table) == res.counts["candidates"]
    assert baskets.n_pairs == res.counts["basket_pairs"] == int(res.table["basket_size"].sum())
    assert pres.m.sum() == res.counts["presence_rows"] and np.all(pres.rca > 0)
    # eq. (1): RCA divides by the mean share over the N_dt active firms, so it sums to N_dt over a product's firms
    rca_sums = np.bincount(index.pc, weights=pres.rca)
    n_active = index.n_active[index.pc_uniq // index.P]
    np.testing.assert_allclose(rca_sums, n_active, rtol=1e-12)
    # u counts the present firms of each (cell, product)
    assert pres.u.sum() == pres.m.sum()


def test_timings_follow_the_stages_and_the_bar_shows_them(tiny, capsys):
    res = build_proximity_table(tiny.panel, tiny.inputs, progress=True)
    assert list(res.timings) == list(STAGES)
    assert all(t >= 0 for t in res.timings.values())
    err = capsys.readouterr().err
    assert "proximity build" in err and "/6 " in err and "stage" in err
    build_proximity_table(tiny.panel, tiny.inputs, progress=False)
    assert capsys.readouterr().err == ""


def test_string_options_name_the_choices():
    with pytest.raises(ValueError, match=r"rca_threshold must be 'gt' or 'ge', got '>'"):
        ProximityOptions(rca_threshold=">")
    with pytest.raises(ValueError, match=r"support must be 'presence' or 'exporters', got 'firms'"):
        ProximityOptions(support="firms")
    with pytest.raises(ValueError, match=r"rca_threshold must be 'gt' or 'ge', got 'gte'"):
        presence(np.array([1.0]), "gte")


def test_missing_inputs_are_named(tiny):
    with pytest.raises(ValueError, match="inputs lack 1 panel product"):
        pl.input_output_proximity(tiny.inputs.iloc[1:], tiny.inputs.index)
    assert float(np.abs(pl.input_output_proximity(None, ["01", "02"])).max()) == 0.0
