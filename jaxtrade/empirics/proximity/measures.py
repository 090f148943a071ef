"""Proximity measures of Heo & Kim (2025), section 2: RCA, phi, EBP, EBP^w, HSP, IOP.

All destination-year cells are handled at once: a product is indexed by
``(cell, product)``, so the co-export matrix of every cell is one block of
a block-diagonal sparse matrix (a 3-D ``BCOO`` of shape (cells, P, P)).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import sparse

from jaxtrade.empirics.literals import RcaThreshold, check_literal

__all__ = [
    "basket_kernel",
    "cooccurrence",
    "hs_integer",
    "hs_similarity",
    "hs_similarity_int",
    "io_cosine",
    "pair_proximity",
    "presence",
    "proximity_matrix",
    "rca_market",
]


@functools.partial(jax.jit, static_argnames=("n_firm_cells", "n_product_cells"))
def _rca_kernel(value, firm_cell, product_cell, cell_of_product_cell, n_active, n_firm_cells, n_product_cells):
    total = jax.ops.segment_sum(value, firm_cell, num_segments=n_firm_cells)
    share = value / total[firm_cell]
    mean_share = jax.ops.segment_sum(share, product_cell, num_segments=n_product_cells) / n_active[cell_of_product_cell]
    return share / mean_share[product_cell]


def rca_market(value, firm_cell, product_cell, cell_of_product_cell, n_active):
    """Market RCA of eq. (1): ``(X_fpdt / X_fdt) / ((1/N_dt) sum_f' X_f'pdt / X_f'dt)``.

    Parameters
    ----------
    value : (n,) export values X_fpdt > 0, one per row.
    firm_cell : (n,) int, index of the row's (firm, destination, year).
    product_cell : (n,) int, index of the row's (product, destination, year).
    cell_of_product_cell : (n_product_cells,) int, the (destination, year) cell of each product-cell.
    n_active : (n_cells,) N_dt, the number of firms with X_fdt > 0 in each cell.

    Examples
    --------
    Two firms in one cell; firm 0 exports only product 0, firm 1 both equally:

    >>> rca = rca_market([4.0, 1.0, 1.0], [0, 1, 1], [0, 0, 1], np.array([0, 0]), np.array([2]))
    >>> np.round(np.asarray(rca), 6).tolist()
    [1.333333, 0.666667, 2.0]
    """
    value = jnp.asarray(value, dtype=jnp.float64)
    return _rca_kernel(
        value, jnp.asarray(firm_cell), jnp.asarray(product_cell), jnp.asarray(cell_of_product_cell),
        jnp.asarray(n_active, dtype=jnp.float64), n_firm_cells=int(np.max(firm_cell)) + 1,
        n_product_cells=len(cell_of_product_cell),
    )  # fmt: skip


def presence(rca, threshold: RcaThreshold = "gt"):
    """RCA presence indicator: ``RCA > 1`` (``"gt"``, the paper's eq. 2) or ``RCA >= 1`` (``"ge"``).

    Examples
    --------
    >>> presence([0.5, 1.0, 2.0]).tolist(), presence([0.5, 1.0, 2.0], "ge").tolist()
    ([False, False, True], [False, True, True])
    """
    check_literal("rca_threshold", threshold, RcaThreshold)
    return np.asarray(rca) > 1.0 if threshold == "gt" else np.asarray(rca) >= 1.0


def cooccurrence(firm_cell, cell, product, n_cells: int, n_products: int) -> sparse.BCOO:
    """Co-export counts ``C = M'M`` of each destination-year as a (cells, P, P) BCOO.

    ``M`` is the sparse firm x product presence matrix of a cell (rows given by
    ``firm_cell``, ``cell`` and ``product`` for the present pairs only):
    ``C_ij,dt = #{f : m_fi = m_fj = 1}``. The outer products ``m_f m_f'`` are
    laid out as BCOO entries and summed with ``bcoo_sum_duplicates``.
    """
    firm_cell = np.asarray(firm_cell)
    order = np.argsort(firm_cell, kind="stable")
    fc, c, p = firm_cell[order], np.asarray(cell)[order], np.asarray(product)[order]
    _, start, count = np.unique(fc, return_index=True, return_counts=True)
    n_pairs = count * count
    g = np.repeat(np.arange(len(count)), n_pairs)
    pos = np.arange(n_pairs.sum()) - np.repeat(np.cumsum(n_pairs) - n_pairs, n_pairs)
    a = start[g] + pos // count[g]
    b = start[g] + pos % count[g]
    idx = np.stack([c[a], p[a], p[b]], axis=1).astype(np.int32)
    M = sparse.BCOO((jnp.ones(len(idx), dtype=jnp.float64), jnp.asarray(idx)), shape=(n_cells, n_products, n_products))
    return sparse.bcoo_sum_duplicates(M)


def proximity_matrix(C: sparse.BCOO, presence_count, support_count, min_support: int = 5) -> sparse.BCOO:
    """phi of eq. (2) for every cell: ``min{P(i|j), P(j|i)} = C_ij / max(u_i, u_j)``.

    ``presence_count[c, i] = u_i`` (firms with RCA presence in ``i``);
    ``support_count[c, i]`` is the count the support rule uses (Figure 1's
    note): a product with ``support_count < min_support`` gets no proximity
    (its row and column are 0, its diagonal 0); the diagonal is 1 for
    supported products. Returns a BCOO with the pattern of ``C``.
    """
    u = jnp.asarray(presence_count, dtype=jnp.float64)
    s = jnp.asarray(support_count, dtype=jnp.float64)
    c, i, j = C.indices[:, 0], C.indices[:, 1], C.indices[:, 2]
    phi = pair_proximity(C.data, u[c, i], u[c, j], s[c, i], s[c, j], i == j, min_support)
    return sparse.BCOO((phi, C.indices), shape=C.shape, indices_sorted=True, unique_indices=True)


def pair_proximity(c_ij, u_i, u_j, s_i, s_j, diagonal, min_support):
    """Elementwise eq. (2) with the support rule: 0 unless both supported; 1 on a supported diagonal."""
    denom = jnp.maximum(u_i, u_j)
    supported = (s_i >= min_support) & (s_j >= min_support)
    off = jnp.where(denom > 0, c_ij / jnp.where(denom > 0, denom, 1.0), 0.0)
    return jnp.where(supported, jnp.where(diagonal, 1.0, off), 0.0)


def hs_similarity(code_a, code_b, curvature: float = 5.0, digits: int = 4):
    """HS proximity (section 2.2): ``H = 1 - (|V_1 - V_2| / V_max)^(1/n)``.

    Codes (strings, or integers already at ``digits``) are cut to their first
    ``digits`` digits; ``V_max = 10**digits - 1``; ``n = curvature``.

    Examples
    --------
    Footnote 10 of the paper, at HS4 with n = 5:

    >>> round(float(hs_similarity("1111", "1112")), 2), round(float(hs_similarity("1111", "1199")), 2)
    (0.84, 0.61)
    """
    va = hs_integer(code_a, digits)
    vb = hs_integer(code_b, digits)
    return hs_similarity_int(jnp.asarray(va), jnp.asarray(vb), curvature, digits)


def hs_integer(codes, digits: int):
    """Integer value of HS codes cut to ``digits`` digits (strings zero-padded to a common length)."""
    arr = np.atleast_1d(np.asarray(codes))
    if arr.dtype.kind in "iu":
        out = arr.astype(np.int64)
    else:
        s = arr.astype(str)
        short = [x for x in s.ravel() if len(x) < digits]
        if short:
            raise ValueError(f"HS codes shorter than digits={digits}: {short[:5]}")
        out = np.array([int(x[:digits]) for x in s.ravel()], dtype=np.int64).reshape(s.shape)
    return out if np.ndim(codes) else out[0]


def hs_similarity_int(va, vb, curvature, digits):
    """HS proximity of integer codes already cut to ``digits`` digits (see :func:`hs_similarity`)."""
    vmax = 10.0**digits - 1.0
    return 1.0 - (jnp.abs(va - vb).astype(jnp.float64) / vmax) ** (1.0 / curvature)


def io_cosine(inputs) -> jnp.ndarray:
    """Input-output proximity of eq. (5): cosine similarity of input vectors (rows of ``inputs``).

    A product with an all-zero input vector has proximity 0 to every product.
    Negative inputs are an error (the paper's measure lies in [0, 1]).
    """
    u = jnp.asarray(inputs, dtype=jnp.float64)
    if bool(jnp.any(u < 0)):
        raise ValueError("input shares must be >= 0 for IOP (eq. 5)")
    norm = jnp.sqrt(jnp.sum(u * u, axis=1, keepdims=True))
    unit = jnp.where(norm > 0, u / jnp.where(norm > 0, norm, 1.0), 0.0)
    return unit @ unit.T


@functools.partial(jax.jit, static_argnames=("n_candidates",))
def basket_kernel(
    c_keys, c_vals, key_ip, u_i, u_p, s_i, s_p, m_fi, m_fp, a_fi, a_fp, weight, hs_ip, io_ip, cand,
    n_candidates, min_support,
):  # fmt: skip
    """Sums over the basket i in S_fdt for each candidate (f, p, d, t); one row per (candidate, i).

    Leave-one-out (section 2.2): the firm's phi uses ``C_ip - m_fi m_fp``,
    ``u - m_f`` and support counts ``s - a_f`` (``a`` = presence or export
    indicator). Returns per candidate: number of basket products, sum of
    phi^(-f), share-weighted sum of phi^(-f), sum of full-sample phi, sum of
    H, sum of IO cosine, share-weighted sum of full phi. Padding rows carry ``cand = n_candidates`` and are dropped.
    """
    pos = jnp.clip(jnp.searchsorted(c_keys, key_ip), 0, c_keys.shape[0] - 1)
    c_ip = jnp.where(c_keys[pos] == key_ip, c_vals[pos], 0.0)
    diag = jnp.zeros_like(c_ip, dtype=bool)
    phi_full = pair_proximity(c_ip, u_i, u_p, s_i, s_p, diag, min_support)
    phi_loo = pair_proximity(c_ip - m_fi * m_fp, u_i - m_fi, u_p - m_fp, s_i - a_fi, s_p - a_fp, diag, min_support)
    ones = jnp.ones_like(c_ip)
    cols = jnp.stack([ones, phi_loo, weight * phi_loo, phi_full, hs_ip, io_ip, weight * phi_full], axis=1)
    return jax.ops.segment_sum(cols, cand, num_segments=n_candidates + 1)[:n_candidates]
