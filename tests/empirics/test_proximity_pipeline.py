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
    measures,
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


def _reference_candidates(index):
    """C_fdt = S_ft minus S_fdt and the outcome, from Python sets, in the documented order (f, d, t, then p)."""
    T, n_cells = index.T, index.n_cells
    years = index.years.to_numpy()
    rows = set(zip(index.firm.tolist(), index.product.tolist(), index.dest.tolist(), index.year.tolist(), strict=True))
    s_ft: dict = {}
    for f, p, _, t in rows:
        s_ft.setdefault((f, t), set()).add(p)
    out = []
    for g, key in enumerate(index.fc_uniq.tolist()):
        f, cell = divmod(key, n_cells)
        d, t = divmod(cell, T)
        nxt = np.flatnonzero(years == years[t] + 1)
        for p in sorted(s_ft[(f, t)]):
            if (f, p, d, t) in rows:
                continue
            intro = float((f, p, d, int(nxt[0])) in rows) if len(nxt) else np.nan
            out.append((f, t, d, p, cell, g, intro))
    cols = np.array(out, dtype=float).reshape(-1, 7).T
    n_checked = sum(len(s_ft[(f, divmod(k % n_cells, T)[1])]) for f, k in zip(index.fc_uniq // n_cells, index.fc_uniq))
    return cols, n_checked


def _reference_cooccurrence(index, m):
    """C = M'M as sorted unique (cell, i, j) keys and counts, from every firm-cell's pairs and np.unique."""
    P = index.P
    groups: dict = {}
    for g, c, i in zip(index.fc[m].tolist(), index.cell[m].tolist(), index.product[m].tolist(), strict=True):
        groups.setdefault(g, []).append((c, i))
    keys = [(c * P + i) * P + j for rows in groups.values() for c, i in rows for _, j in rows]
    return np.unique(np.array(keys, dtype=np.int64), return_counts=True)


@pytest.mark.parametrize("opts", [ProximityOptions(), ProximityOptions(support="presence", chunk_size=1024)])
def test_stages_equal_a_plain_reference_exactly(opts):
    """The integer-code stages (no sorts, no per-row loops) against plain set/loop versions: same rows, same order.

    A year is dropped so that the year before the gap has a missing outcome; the basket sums are compared with
    :func:`~.measures.basket_kernel` fed the (candidate, basket product) pairs laid out on the host.
    """
    sp = generate_panel("tiny", n_firms=100, n_years=5, seed=7)
    panel = sp.panel[sp.panel["year"] != sp.panel["year"].min() + 2]  # years 0, 1, 3, 4: 1 and 4 lack t + 1
    index = pl.index_panel(panel, opts)
    pres = pl.rca_presence(index, opts)
    cand = pl.candidate_sets(index)
    ref, n_checked = _reference_candidates(index)
    assert len(cand) > 100 and cand.n_checked == n_checked
    for k, name in enumerate(["firm", "year", "dest", "prod", "cell", "fc"]):
        got = getattr(cand, name)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, ref[k].astype(np.int64), err_msg=name)
    np.testing.assert_array_equal(cand.introduction, ref[6])
    assert np.isnan(cand.introduction).any() and (cand.introduction == 1).any()
    prox = pl.cell_proximity(index, pres, opts)
    keys, counts = _reference_cooccurrence(index, pres.m)
    np.testing.assert_array_equal(np.asarray(prox.c_keys), keys)
    np.testing.assert_array_equal(np.asarray(prox.c_vals), counts.astype(np.float64))
    P = index.P
    idx = np.asarray(prox.C.indices)
    np.testing.assert_array_equal((idx[:, 0].astype(np.int64) * P + idx[:, 1]) * P + idx[:, 2], keys)
    # basket sums: the pairs laid out on the host, one call of the pair-level kernel
    io = pl.input_output_proximity(sp.inputs, index.products)
    sums = pl.basket_sums(index, pres, prox, cand, io, opts).sums
    order = np.argsort(index.fc, kind="stable")
    count = np.bincount(index.fc, minlength=len(index.fc_uniq))
    start = np.cumsum(count) - count
    cg = np.repeat(np.arange(len(cand)), count[cand.fc])
    rows = order[
        start[cand.fc[cg]] + np.arange(len(cg)) - np.repeat(np.cumsum(count[cand.fc]) - count[cand.fc], count[cand.fc])
    ]
    c, i, p = cand.cell[cg], index.product[rows], cand.prod[cg]
    hs = measures.hs_integer(np.asarray(index.products, dtype=str), index.hs_digits)
    m = pres.m[rows].astype(np.float64)
    zeros = np.zeros(len(cg))
    ref_sums = measures.basket_kernel(
        prox.c_keys, prox.c_vals, (c * P + i) * P + p, pres.u[c * P + i], pres.u[c * P + p], pres.s[c * P + i],
        pres.s[c * P + p], m, zeros, m if opts.support == "presence" else np.ones(len(cg)), zeros, pres.share[rows],
        measures.hs_similarity_int(hs[i], hs[p], opts.hs_curvature, index.hs_digits), np.asarray(io)[i, p], cg,
        n_candidates=len(cand), min_support=opts.min_support,
    )  # fmt: skip
    np.testing.assert_allclose(sums, np.asarray(ref_sums), rtol=1e-12, atol=0)
