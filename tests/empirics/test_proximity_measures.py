"""Proximity measures (Heo & Kim 2025, section 2) against an independent brute-force implementation.

The brute force below rebuilds, for every firm of every destination-year,
the dense co-export matrix from the panel without that firm's rows (no
downdating), with pandas groupbys and NumPy loops; the pipeline's sparse,
downdated, jit-compiled numbers must agree to 1e-12.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jaxtrade.empirics.proximity import (
    ProximityOptions,
    build_proximity_table,
    generate_panel,
    hs_similarity,
    io_cosine,
)

TOL = 1e-12


def brute_force(panel: pd.DataFrame, inputs: pd.DataFrame, opts: ProximityOptions) -> tuple[pd.DataFrame, dict]:
    products = np.sort(panel["product"].unique())
    P = len(products)
    pidx = {p: k for k, p in enumerate(products)}
    years = sorted(panel["year"].unique())
    digits = opts.hs_digits or len(products[0])
    V = np.array([int(p[:digits]) for p in products], dtype=float)
    U = inputs.loc[products].to_numpy(float)
    cos = np.zeros((P, P))
    for i in range(P):
        for j in range(P):
            ni, nj = np.linalg.norm(U[i]), np.linalg.norm(U[j])
            cos[i, j] = U[i] @ U[j] / (ni * nj) if ni > 0 and nj > 0 else 0.0
    exported = set(zip(panel.firm, panel["product"], panel.destination, panel.year, strict=True))
    world = panel.groupby(["firm", "year"])["product"].apply(set).to_dict()
    rows, phi_full = [], {}

    def phi_from(M, E):
        C = M.T @ M
        u = M.sum(axis=0)
        supp = (u if opts.support == "presence" else E.sum(axis=0)) >= opts.min_support
        phi = np.zeros((P, P))
        for i in range(P):
            for j in range(P):
                if not (supp[i] and supp[j]):
                    continue
                if i == j:
                    phi[i, j] = 1.0
                elif max(u[i], u[j]) > 0:
                    phi[i, j] = min(C[i, j] / u[j] if u[j] else 0.0, C[i, j] / u[i] if u[i] else 0.0)
        return phi

    for (d, t), g in panel.groupby(["destination", "year"]):
        firms = sorted(g["firm"].unique())
        N = len(firms)
        total = g.groupby("firm")["value"].sum()
        share = g["value"].to_numpy() / total.loc[g["firm"]].to_numpy()
        mean_share = pd.Series(share).groupby(g["product"].to_numpy()).sum() / N
        rca = share / mean_share.loc[g["product"]].to_numpy()
        pres = rca > 1 if opts.rca_threshold == "gt" else rca >= 1
        M = np.zeros((N, P))
        E = np.zeros((N, P))
        W = np.zeros((N, P))
        fpos = {f: k for k, f in enumerate(firms)}
        for f, p, pr, sh in zip(g["firm"], g["product"], pres, share, strict=True):
            M[fpos[f], pidx[p]] = float(pr)
            E[fpos[f], pidx[p]] = 1.0
            W[fpos[f], pidx[p]] = sh
        full = phi_from(M, E)
        phi_full[(d, t)] = full
        for f in firms:
            k = fpos[f]
            if opts.leave_one_out:
                keep = np.arange(N) != k
                phi = phi_from(M[keep], E[keep])
            else:
                phi = full
            basket = np.flatnonzero(E[k])
            for p in sorted(world[(f, t)]):
                if (f, p, d, t) in exported:
                    continue
                j = pidx[p]
                col = phi[basket, j]
                tot = phi[:, j].sum()
                rows.append(
                    {
                        "firm": f, "product": p, "destination": d, "year": t,
                        "ebp": col.mean(), "ebp_w": W[k, basket] @ col, "ebp_norm": col.sum() / tot if tot > 0 else 0.0,
                        "hsp": np.mean(1 - (np.abs(V[basket] - V[j]) / (10.0**digits - 1)) ** (1 / opts.hs_curvature)),
                        "iop": cos[basket, j].mean(),
                        "introduction": float((f, p, d, t + 1) in exported) if t + 1 in years else np.nan,
                        "basket_size": len(basket),
                    }
                )  # fmt: skip
    return pd.DataFrame(rows), phi_full


@pytest.fixture(scope="module")
def tiny():
    return generate_panel("tiny", n_firms=150, n_years=3, seed=11)


OPTION_SETS = [
    ProximityOptions(),
    ProximityOptions(rca_threshold="ge", support="presence", hs_digits=4, min_support=3, hs_curvature=3.0),
    ProximityOptions(leave_one_out=False, min_support=2),
]


@pytest.mark.parametrize("opts", OPTION_SETS, ids=["paper-defaults", "ge-presence-hs4", "no-loo"])
def test_every_measure_matches_brute_force(tiny, opts):
    res = build_proximity_table(tiny.panel, tiny.inputs, opts)
    expected, phi_dense = brute_force(tiny.panel, tiny.inputs, opts)
    keys = ["firm", "product", "destination", "year"]
    got = res.table.set_index(keys).sort_index()
    exp = expected.set_index(keys).sort_index()
    assert len(got) == len(exp) > 100
    assert got.index.equals(exp.index)
    assert (got["ebp"] > 0).mean() > 0.05  # the comparison is not all zeros
    for col in ["ebp", "ebp_w", "ebp_norm", "hsp", "iop"]:
        np.testing.assert_allclose(got[col].to_numpy(), exp[col].to_numpy(), rtol=0, atol=TOL, err_msg=col)
    np.testing.assert_array_equal(got["introduction"].to_numpy(), exp["introduction"].to_numpy())
    np.testing.assert_array_equal(got["basket_size"].to_numpy(), exp["basket_size"].to_numpy())
    # the full-sample sparse phi of every cell equals the dense brute force
    dense = np.asarray(res.phi.todense())
    for c, (d, t) in enumerate(zip(res.cells["destination"], res.cells["year"], strict=True)):
        if (d, t) in phi_dense:
            np.testing.assert_allclose(dense[c], phi_dense[(d, t)], rtol=0, atol=TOL)


def test_leave_one_out_changes_ebp(tiny):
    loo = build_proximity_table(tiny.panel, tiny.inputs, ProximityOptions(min_support=2)).table
    full = build_proximity_table(tiny.panel, tiny.inputs, ProximityOptions(min_support=2, leave_one_out=False)).table
    assert np.abs(loo["ebp"] - full["ebp"]).max() > 1e-3


def test_small_chunks_give_the_same_table(tiny):
    a = build_proximity_table(tiny.panel, tiny.inputs).table
    b = build_proximity_table(tiny.panel, tiny.inputs, ProximityOptions(chunk_size=1024)).table
    pd.testing.assert_frame_equal(a, b, check_exact=False, atol=1e-14, rtol=0)


def test_hsp_footnote_10():
    assert round(float(hs_similarity("1111", "1112", curvature=5, digits=4)), 2) == 0.84
    assert round(float(hs_similarity("1111", "1199", curvature=5, digits=4)), 2) == 0.61
    assert float(hs_similarity("111100", "111299", digits=4)) == pytest.approx(1 - (1 / 9999) ** 0.2, abs=1e-15)
    assert float(hs_similarity("1111", "1111", digits=4)) == 1.0


def test_io_cosine_bounds_and_zero_vector():
    sim = np.asarray(io_cosine(np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])))
    assert sim[0, 1] == pytest.approx(1 / np.sqrt(2), abs=1e-15)
    assert sim[2].tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match=">= 0"):
        io_cosine(np.array([[1.0, -1.0]]))


def test_candidates_are_exported_elsewhere_not_here(tiny):
    tab = build_proximity_table(tiny.panel, tiny.inputs).table
    panel = tiny.panel
    here = set(zip(panel.firm, panel["product"], panel.destination, panel.year, strict=True))
    world = set(zip(panel.firm, panel["product"], panel.year, strict=True))
    for f, p, d, t in zip(tab.firm, tab["product"], tab.destination, tab.year, strict=True):
        assert (f, p, d, t) not in here and (f, p, t) in world
    last = tab["year"] == panel["year"].max()
    assert last.any() and tab.loc[last, "introduction"].isna().all()  # the last year: no outcome
    assert tab.loc[~last, "introduction"].isin([0.0, 1.0]).all()


def test_bad_inputs_and_options_are_reported(tiny):
    with pytest.raises(ValueError, match="inputs lack 1 panel product"):
        build_proximity_table(tiny.panel, tiny.inputs.iloc[1:])
    with pytest.raises(ValueError, match="duplicate product code"):
        build_proximity_table(tiny.panel, pd.concat([tiny.inputs, tiny.inputs.iloc[:1]]))
    with pytest.raises(ValueError, match="rca_threshold"):
        ProximityOptions(rca_threshold=">")
    with pytest.raises(ValueError, match="support"):
        ProximityOptions(support="firms")
    with pytest.raises(ValueError, match="hs_digits=8"):
        build_proximity_table(tiny.panel, tiny.inputs, ProximityOptions(hs_digits=8))


def test_table_without_inputs_has_nan_iop_and_user_panel_is_untouched(tiny):
    before = tiny.panel.copy()
    tab = build_proximity_table(tiny.panel).table
    pd.testing.assert_frame_equal(tiny.panel, before)
    assert tab["iop"].isna().all() and tab["ebp"].notna().all()
