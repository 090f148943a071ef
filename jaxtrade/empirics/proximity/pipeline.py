"""From a validated panel to the regression-ready firm-candidate-destination-year table.

Stages (Heo & Kim 2025, section 2): RCA (eq. 1) and presence, co-export
counts and phi (eq. 2) per destination-year, candidate sets
``C_fdt = S_ft \\ S_fdt`` and ``Introduction_{fpd,t+1}`` (section 2.2), and
the basket summaries EBP (eq. 3), EBP^w, the working-paper normalised EBP,
HSP and IOP (eq. 5), leave-one-firm-out.
"""

from __future__ import annotations

import dataclasses
import time

import jax.numpy as jnp
import numpy as np
import pandas as pd
from jax.experimental import sparse

from . import measures
from .schema import validate_panel


@dataclasses.dataclass(frozen=True)
class ProximityOptions:
    """Conventions of the measures (defaults follow the paper; see docs/empirics/proximity.md).

    rca_threshold : ``"gt"`` presence is RCA > 1 (paper), ``"ge"`` RCA >= 1.
    min_support : a product needs this many supporting firms in the cell to get proximity (Figure 1: 5).
    support : ``"presence"`` counts firms with RCA presence in the product (u of eq. 2),
        ``"exporters"`` counts firms exporting it (X > 0).
    leave_one_out : exclude the firm's own rows from the counts of its phi (section 2.2).
    hs_digits : digit level of HSP (None: the panel's HS digit length).
    hs_curvature : n of HSP (footnote 9: 5).
    chunk_size : rows (candidate x basket product) per jit call of the basket kernel.
    """

    rca_threshold: str = "gt"
    min_support: int = 5
    support: str = "presence"
    leave_one_out: bool = True
    hs_digits: int | None = None
    hs_curvature: float = 5.0
    chunk_size: int = 2**21

    def __post_init__(self):
        if self.rca_threshold not in ("gt", "ge"):
            raise ValueError(f"rca_threshold must be 'gt' or 'ge', got {self.rca_threshold!r}")
        if self.support not in ("presence", "exporters"):
            raise ValueError(f"support must be 'presence' or 'exporters', got {self.support!r}")
        if self.min_support < 0:
            raise ValueError(f"min_support must be >= 0, got {self.min_support}")
        if self.hs_curvature <= 0:
            raise ValueError(f"hs_curvature must be > 0, got {self.hs_curvature}")
        if self.chunk_size < 1024:
            raise ValueError(f"chunk_size must be >= 1024, got {self.chunk_size}")


@dataclasses.dataclass
class ProximityResult:
    """Output of :func:`build_proximity_table`.

    table : regression-ready DataFrame, one row per (firm, candidate product, destination, year).
    phi : (cells, P, P) BCOO of eq. (2), full sample (no leave-one-out).
    cooccurrence : (cells, P, P) BCOO of C = M'M.
    products : product codes (index of the P axis).
    cells : DataFrame (destination, year, n_active) of the cell axis.
    panel_rows : the panel with rca and presence columns.
    timings : seconds per stage.
    counts : row counts reported by the stages.
    """

    table: pd.DataFrame
    phi: sparse.BCOO
    cooccurrence: sparse.BCOO
    products: np.ndarray
    cells: pd.DataFrame
    panel_rows: pd.DataFrame
    timings: dict
    counts: dict


def _ragged_offsets(counts: np.ndarray):
    """(group, position) for every item of groups with the given sizes."""
    g = np.repeat(np.arange(len(counts)), counts)
    pos = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    return g, pos


def build_proximity_table(
    panel: pd.DataFrame,
    inputs: pd.DataFrame | None = None,
    options: ProximityOptions | None = None,
    *,
    validate: bool = True,
) -> ProximityResult:
    """Build the firm-candidate-destination-year table with EBP, EBP^w, HSP, IOP and the outcome.

    Parameters
    ----------
    panel : firm-product-destination-year panel (schema in :mod:`.schema`).
    inputs : optional DataFrame indexed by product code, one column per input
        (non-negative); without it ``iop`` is NaN. Panel products missing
        from ``inputs`` are an error.
    options : :class:`ProximityOptions`.
    validate : run :func:`validate_panel` first (duplicates are an error).

    Columns of ``table``: ``firm, product, destination, year`` (labels),
    ``ebp`` (eq. 3), ``ebp_w`` (basket weighted by the firm's export shares
    in the destination), ``ebp_norm`` (sum of proximities to the basket over
    the sum over all products, the working-paper variant), ``hsp``, ``iop``,
    ``introduction`` (0/1, eq. in section 2.2), ``basket_size`` (|S_fdt|),
    and integer keys ``firm_id, product_id, destination_id, year_id,
    firm_year, product_year, firm_destination, dest_year``. Candidate rows
    are formed for years t whose t+1 is in the panel and for (f, d, t) with a
    non-empty basket.
    """
    opts = options or ProximityOptions()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if validate:
        panel, _ = validate_panel(panel)
    digits = len(str(panel["product"].iloc[0]))
    hs_digits = opts.hs_digits or digits
    if hs_digits > digits:
        raise ValueError(f"hs_digits={hs_digits} exceeds the panel's HS digit length {digits}")
    firm_code, firms = pd.factorize(panel["firm"], sort=True)
    prod_code, products = pd.factorize(panel["product"].astype(str), sort=True)
    dest_code, dests = pd.factorize(panel["destination"], sort=True)
    year_code, years = pd.factorize(panel["year"], sort=True)
    firm_code, prod_code = firm_code.astype(np.int64), prod_code.astype(np.int64)
    dest_code, year_code = dest_code.astype(np.int64), year_code.astype(np.int64)
    F, P, D, T = len(firms), len(products), len(dests), len(years)
    n_cells = D * T
    cell = dest_code * T + year_code
    value = panel["value"].to_numpy(np.float64)
    fc_key = firm_code * n_cells + cell
    fc_uniq, fc = np.unique(fc_key, return_inverse=True)
    pc_key = cell * P + prod_code
    pc_uniq, pc = np.unique(pc_key, return_inverse=True)
    n_active = np.bincount(fc_uniq % n_cells, minlength=n_cells)
    timings["index"] = time.perf_counter() - t0

    # ---- eq. (1) and presence
    t0 = time.perf_counter()
    rca = np.asarray(measures.rca_market(value, fc, pc, pc_uniq // P, np.maximum(n_active, 1)))
    m = measures.presence(rca, opts.rca_threshold)
    share = value / np.bincount(fc, weights=value)[fc]
    u = np.bincount(pc_key, weights=m.astype(np.float64), minlength=n_cells * P)
    exporters = np.bincount(pc_key, minlength=n_cells * P).astype(np.float64)
    s = u if opts.support == "presence" else exporters
    timings["rca"] = time.perf_counter() - t0

    # ---- eq. (2): C = M'M and phi, per destination-year
    t0 = time.perf_counter()
    C = measures.cooccurrence(fc[m], cell[m], prod_code[m], n_cells, P)
    phi = measures.proximity_matrix(C, u.reshape(n_cells, P), s.reshape(n_cells, P), opts.min_support)
    ci = np.asarray(C.indices, dtype=np.int64)
    c_keys = jnp.asarray((ci[:, 0] * P + ci[:, 1]) * P + ci[:, 2])
    c_vals = C.data
    rowsum = np.bincount(ci[:, 0] * P + ci[:, 2], weights=np.asarray(phi.data), minlength=n_cells * P)
    timings["phi"] = time.perf_counter() - t0

    # ---- candidates C_fdt = S_ft \ S_fdt and Introduction_{fpd,t+1}
    t0 = time.perf_counter()
    panel_key = ((firm_code * T + year_code) * D + dest_code) * P + prod_code
    panel_key_sorted = np.sort(panel_key)
    ft = firm_code * T + year_code
    sft = np.unique(ft * P + prod_code)
    dft = np.unique(ft * D + dest_code)
    ft_s, cnt_s = np.unique(sft // P, return_counts=True)
    ft_d, cnt_d = np.unique(dft // D, return_counts=True)
    assert np.array_equal(ft_s, ft_d)
    next_year = np.searchsorted(years.to_numpy(), years.to_numpy() + 1)
    has_next = (next_year < T) & (years.to_numpy()[np.minimum(next_year, T - 1)] == years.to_numpy() + 1)
    keep_ft = has_next[ft_s % T]
    n_pairs = np.where(keep_ft, cnt_s * cnt_d, 0)
    g, pos = _ragged_offsets(n_pairs)
    start_s = np.cumsum(cnt_s) - cnt_s
    start_d = np.cumsum(cnt_d) - cnt_d
    cand_prod = sft[start_s[g] + pos % cnt_s[g]] % P
    cand_dest = dft[start_d[g] + pos // cnt_s[g]] % D
    cand_ft = ft_s[g]
    del g, pos
    cand_firm, cand_year = cand_ft // T, cand_ft % T
    key = ((cand_ft * D + cand_dest) * P) + cand_prod
    exported = _isin_sorted(key, panel_key_sorted)
    n_cross = len(key)
    cand_firm, cand_year, cand_dest, cand_prod = (x[~exported] for x in (cand_firm, cand_year, cand_dest, cand_prod))
    nxt = next_year[cand_year]
    key_next = (((cand_firm * T + nxt) * D + cand_dest) * P) + cand_prod
    introduction = _isin_sorted(key_next, panel_key_sorted).astype(np.int8)
    cand_cell = cand_dest * T + cand_year
    cand_fc = np.searchsorted(fc_uniq, cand_firm * n_cells + cand_cell)
    order = np.argsort(cand_fc, kind="stable")
    cand_firm, cand_year, cand_dest, cand_prod, cand_cell, cand_fc, introduction = (
        x[order] for x in (cand_firm, cand_year, cand_dest, cand_prod, cand_cell, cand_fc, introduction)
    )
    n_cand = len(cand_fc)
    timings["candidates"] = time.perf_counter() - t0

    # ---- basket sums (eq. 3, EBP^w, HSP, IOP), leave-one-out, in chunks
    t0 = time.perf_counter()
    row_order = np.argsort(fc, kind="stable")  # panel rows grouped by (f, d, t)
    basket_count = np.bincount(fc, minlength=len(fc_uniq))
    basket_start = np.cumsum(basket_count) - basket_count
    hs_int = measures.hs_integer(np.asarray(products, dtype=str), hs_digits)
    if inputs is not None:
        dup = inputs.index[inputs.index.astype(str).duplicated()]
        if len(dup):
            raise ValueError(f"inputs has {len(dup)} duplicate product code(s) in its index, e.g. {list(dup[:5])}")
        missing = pd.Index(products).difference(inputs.index.astype(str))
        if len(missing):
            raise ValueError(f"inputs lack {len(missing)} panel product(s), e.g. {list(missing[:5])}")
        io = measures.io_cosine(inputs.loc[:, :].set_axis(inputs.index.astype(str)).loc[products].to_numpy(np.float64))
    else:
        io = jnp.zeros((P, P))
    u_j, s_j = jnp.asarray(u), jnp.asarray(s)
    a_row = m.astype(np.float64) if opts.support == "presence" else np.ones(len(m))
    hs_j = jnp.asarray(hs_int)
    sums = np.zeros((n_cand, 7))
    per_cand = basket_count[cand_fc]
    cum = np.cumsum(per_cand)
    cap = int(min(opts.chunk_size, max(1024, 1 << int(np.ceil(np.log2(max(cum[-1] if n_cand else 1, 1)))))))
    if n_cand and per_cand.max() > cap:
        cap = int(1 << int(np.ceil(np.log2(per_cand.max()))))
    lo = 0
    while lo < n_cand:
        hi = int(np.searchsorted(cum, (cum[lo - 1] if lo else 0) + cap, side="right"))
        hi = max(hi, lo + 1)
        cg, cpos = _ragged_offsets(per_cand[lo:hi])
        cidx = lo + cg
        rows = row_order[basket_start[cand_fc[cidx]] + cpos]
        n_t = len(rows)
        pad = cap - n_t
        c_ = cand_cell[cidx]
        i_ = prod_code[rows]
        p_ = cand_prod[cidx]

        def padded(x, fill=0):
            return jnp.asarray(np.concatenate([x, np.full(pad, fill, dtype=x.dtype)]))

        ci_flat = padded(c_ * P + i_)
        cp_flat = padded(c_ * P + p_)
        i_j, p_j = padded(i_), padded(p_)
        zeros = jnp.zeros(cap)
        out = measures.basket_kernel(
            c_keys, c_vals, padded((c_ * P + i_) * P + p_, -1), u_j[ci_flat], u_j[cp_flat], s_j[ci_flat], s_j[cp_flat],
            padded(m[rows].astype(np.float64)), zeros, padded(a_row[rows]), zeros, padded(share[rows]),
            measures.hs_similarity_int(hs_j[i_j], hs_j[p_j], opts.hs_curvature, hs_digits), io[i_j, p_j],
            padded(cg, cap), n_candidates=cap, min_support=opts.min_support,
        )  # fmt: skip
        sums[lo:hi] = np.asarray(out)[: hi - lo]
        lo = hi
    timings["basket"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    size = sums[:, 0]
    phi_sum = sums[:, 1] if opts.leave_one_out else sums[:, 3]
    full_sum = sums[:, 3]
    phi_w = sums[:, 2] if opts.leave_one_out else sums[:, 6]
    denom = rowsum[cand_cell * P + cand_prod] - full_sum + phi_sum
    table = pd.DataFrame(
        {
            "firm": firms[cand_firm],
            "product": np.asarray(products)[cand_prod],
            "destination": dests[cand_dest],
            "year": years.to_numpy()[cand_year],
            "ebp": phi_sum / size,
            "ebp_w": phi_w,
            "ebp_norm": np.where(denom > 0, phi_sum / np.where(denom > 0, denom, 1.0), 0.0),
            "hsp": sums[:, 4] / size,
            "iop": sums[:, 5] / size if inputs is not None else np.nan,
            "introduction": introduction,
            "basket_size": size.astype(np.int64),
            "firm_id": cand_firm,
            "product_id": cand_prod,
            "destination_id": cand_dest,
            "year_id": cand_year,
        }
    )
    table["firm_year"] = cand_firm * T + cand_year
    table["product_year"] = cand_prod * T + cand_year
    table["firm_destination"] = cand_firm * D + cand_dest
    table["dest_year"] = cand_cell
    panel_rows = panel.assign(rca=rca, presence=m, share=share)
    cells = pd.DataFrame(
        {"destination": np.repeat(dests.to_numpy(), T), "year": np.tile(years.to_numpy(), D), "n_active": n_active}
    )
    timings["table"] = time.perf_counter() - t0
    counts = {
        "panel_rows": len(panel),
        "firms": F,
        "products": P,
        "destinations": D,
        "years": T,
        "cells": n_cells,
        "presence_rows": int(m.sum()),
        "cooccurrence_nse": int(C.nse),
        "firm_product_destination_pairs_checked": int(n_cross),
        "candidates": n_cand,
        "basket_pairs": int(cum[-1]) if n_cand else 0,
        "introductions": int(introduction.sum()),
    }
    return ProximityResult(table, phi, C, np.asarray(products), cells, panel_rows, timings, counts)


def _isin_sorted(keys: np.ndarray, sorted_ref: np.ndarray) -> np.ndarray:
    pos = np.searchsorted(sorted_ref, keys)
    pos = np.minimum(pos, len(sorted_ref) - 1)
    return sorted_ref[pos] == keys
