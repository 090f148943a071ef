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
    "basket_chunk",
    "basket_kernel",
    "bcoo_from_keys",
    "cooccurrence",
    "cooccurrence_keys",
    "hs_integer",
    "hs_similarity",
    "hs_similarity_int",
    "io_cosine",
    "pair_proximity",
    "presence",
    "proximity_matrix",
    "proximity_values",
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


def _grouped_order(group: np.ndarray) -> np.ndarray | None:
    """None when equal values of ``group`` are already contiguous, else a stable order that makes them so."""
    n = len(group)
    if n == 0:
        return None
    runs = 1 + int(np.count_nonzero(group[1:] != group[:-1]))
    distinct = int(np.count_nonzero(np.bincount(group - group.min())))
    return None if runs == distinct else np.argsort(group, kind="stable")


def cooccurrence_keys(group, cell_product, n_products: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted keys ``(cell * P + i) * P + j`` of the nonzero ``C = M'M`` and their counts ``C_ij,dt``.

    ``group`` (n,) int >= 0 codes the presence rows' firm-cell (a firm in
    one destination-year), ``cell_product`` (n,) int the row's
    ``cell * P + product``; every (group, product) appears once. ``C_ij,dt =
    #{f : m_fi = m_fj = 1}`` counts the firm-cells holding both ``i`` and
    ``j``: the outer products ``m_f m_f'`` of the groups, laid out for all
    groups of one size at a time (a 3-D broadcast, no per-row division),
    then sorted and counted. Integer work only; counts are exact.
    """
    group = np.asarray(group, dtype=np.int64)
    cp = np.asarray(cell_product, dtype=np.int64)
    order = _grouped_order(group)
    if order is not None:
        group, cp = group[order], cp[order]
    P = int(n_products)
    n = len(group)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if n else np.zeros(0, dtype=np.int64)
    sizes = np.diff(np.append(starts, n))
    prod = cp % P
    keys = np.empty(int(np.sum(sizes * sizes)), dtype=np.int64)
    at = 0
    for k in np.unique(sizes):  # one pass per distinct group size (at most about sqrt(2 n) of them)
        rows = starts[sizes == k][:, None] + np.arange(k)
        block = (cp[rows] * P)[:, :, None] + prod[rows][:, None, :]
        keys[at : at + block.size] = block.ravel()
        at += block.size
    keys.sort()
    first = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.zeros(0, dtype=np.int64)
    counts = np.diff(np.append(first, len(keys))).astype(np.float64)
    return keys[first], counts


def bcoo_from_keys(data, keys: np.ndarray, n_cells: int, n_products: int) -> sparse.BCOO:
    """The (cells, P, P) BCOO with entries ``data`` at the sorted unique keys ``(cell * P + i) * P + j``."""
    P = int(n_products)
    cell_i, j = np.divmod(keys, P)
    cell, i = np.divmod(cell_i, P)
    idx = np.stack([cell, i, j], axis=1).astype(np.int32)
    return sparse.BCOO(
        (jnp.asarray(data, dtype=jnp.float64), jnp.asarray(idx)), shape=(n_cells, P, P), indices_sorted=True,
        unique_indices=True,
    )  # fmt: skip


def cooccurrence(firm_cell, cell, product, n_cells: int, n_products: int) -> sparse.BCOO:
    """Co-export counts ``C = M'M`` of each destination-year as a (cells, P, P) BCOO.

    ``M`` is the sparse firm x product presence matrix of a cell (rows given by
    ``firm_cell``, ``cell`` and ``product`` for the present pairs only):
    ``C_ij,dt = #{f : m_fi = m_fj = 1}``, the sum of the firms' outer
    products ``m_f m_f'`` (:func:`cooccurrence_keys`). Indices are sorted
    and unique (what ``bcoo_sum_duplicates`` of the outer products gives).
    """
    cp = np.asarray(cell, dtype=np.int64) * int(n_products) + np.asarray(product, dtype=np.int64)
    keys, counts = cooccurrence_keys(firm_cell, cp, n_products)
    return bcoo_from_keys(counts, keys, n_cells, n_products)


def proximity_matrix(C: sparse.BCOO, presence_count, support_count, min_support: int = 5) -> sparse.BCOO:
    """phi of eq. (2) for every cell: ``min{P(i|j), P(j|i)} = C_ij / max(u_i, u_j)``.

    ``presence_count[c, i] = u_i`` (firms with RCA presence in ``i``);
    ``support_count[c, i]`` is the count the support rule uses (Figure 1's
    note): a product with ``support_count < min_support`` gets no proximity
    (its row and column are 0, its diagonal 0); the diagonal is 1 for
    supported products. Returns a BCOO with the pattern of ``C``.
    """
    idx = np.asarray(C.indices, dtype=np.int64)
    P = C.shape[1]
    phi = proximity_values(
        C.data, (idx[:, 0] * P + idx[:, 1]) * P + idx[:, 2], np.asarray(presence_count, dtype=np.float64).ravel(),
        np.asarray(support_count, dtype=np.float64).ravel(), P, min_support,
    )  # fmt: skip
    return sparse.BCOO((phi, C.indices), shape=C.shape, indices_sorted=True, unique_indices=True)


def proximity_values(c_vals, keys: np.ndarray, u_flat: np.ndarray, s_flat: np.ndarray, n_products: int, min_support):
    """phi of eq. (2) at the keys ``(cell * P + i) * P + j`` of C (values ``c_vals``); ``u``, ``s`` flat by ``cell * P + i``.

    The gathers are integer NumPy indexing, eq. (2) itself one jit-compiled
    call of :func:`pair_proximity` (the function the basket kernel uses).
    """
    P = int(n_products)
    row, j = np.divmod(keys, P)  # row = cell * P + i
    col = row - row % P + j  # cell * P + j
    return _pair_proximity_jit(c_vals, u_flat[row], u_flat[col], s_flat[row], s_flat[col], row == col, min_support)


def pair_proximity(c_ij, u_i, u_j, s_i, s_j, diagonal, min_support):
    """Elementwise eq. (2) with the support rule: 0 unless both supported; 1 on a supported diagonal."""
    denom = jnp.maximum(u_i, u_j)
    supported = (s_i >= min_support) & (s_j >= min_support)
    off = jnp.where(denom > 0, c_ij / jnp.where(denom > 0, denom, 1.0), 0.0)
    return jnp.where(supported, jnp.where(diagonal, 1.0, off), 0.0)


_pair_proximity_jit = jax.jit(pair_proximity)


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


def _pair_sums(c_ip, u_i, u_p, s_i, s_p, m_fi, m_fp, a_fi, a_fp, weight, hs_ip, io_ip, min_support):
    """The seven per-pair columns summed over a basket (see :func:`basket_kernel`)."""
    diag = jnp.zeros_like(c_ip, dtype=bool)
    phi_full = pair_proximity(c_ip, u_i, u_p, s_i, s_p, diag, min_support)
    phi_loo = pair_proximity(c_ip - m_fi * m_fp, u_i - m_fi, u_p - m_fp, s_i - a_fi, s_p - a_fp, diag, min_support)
    ones = jnp.ones_like(c_ip)
    return jnp.stack([ones, phi_loo, weight * phi_loo, phi_full, hs_ip, io_ip, weight * phi_full], axis=1)


def _lookup(c_keys, c_vals, key):
    """``C`` at ``key`` (0 where the key is not among the sorted ``c_keys``)."""
    pos = jnp.clip(jnp.searchsorted(c_keys, key), 0, c_keys.shape[0] - 1)
    return jnp.where(c_keys[pos] == key, c_vals[pos], 0.0)


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
    :func:`basket_chunk` is the same computation with the pairs laid out and gathered inside the kernel.
    """
    c_ip = _lookup(c_keys, c_vals, key_ip)
    cols = _pair_sums(c_ip, u_i, u_p, s_i, s_p, m_fi, m_fp, a_fi, a_fp, weight, hs_ip, io_ip, min_support)
    return jax.ops.segment_sum(cols, cand, num_segments=n_candidates + 1)[:n_candidates]


@functools.partial(jax.jit, static_argnames=("capacity", "hs_curvature", "hs_digits"))
def basket_chunk(
    start, count, cell, prod, row_product, row_m, row_a, row_weight, u, s, hs, io, c_keys, c_vals, min_support,
    *, capacity, hs_curvature, hs_digits,
):  # fmt: skip
    """Basket sums (columns of :func:`basket_kernel`) for a chunk of candidates (f, p, d, t), EBP of eq. (3) and kin.

    Candidate ``k`` of the chunk (arrays of length ``capacity``, padded with
    ``count = 0``) is product ``prod[k]`` in cell ``cell[k]`` with basket
    ``S_fdt`` = rows ``start[k] ... start[k] + count[k] - 1`` of the
    per-row arrays (panel rows grouped by (f, d, t): product code, presence
    m, the support indicator a and the export share). The ``capacity``
    (candidate, basket product) pairs are laid out here (pair ``j`` belongs
    to the candidate whose cumulative count first exceeds ``j``), each
    looks up ``C_ip`` in the sorted keys ``(cell * P + i) * P + p``, the
    counts ``u``, ``s`` (flat by ``cell * P + product``), the HS codes
    ``hs`` and the IO cosine ``io``; pairs past the chunk's total are
    dropped. One compilation serves every chunk of a build.
    """
    P = hs.shape[0]
    end = jnp.cumsum(count)
    j = jnp.arange(capacity, dtype=end.dtype)
    # k = #{candidates whose pairs end at or before j}: a histogram of the ends and its running sum
    k = jnp.cumsum(jnp.zeros(capacity + 1, dtype=end.dtype).at[end].add(1))[:capacity]  # capacity for padding
    kc = jnp.minimum(k, capacity - 1)
    r = jnp.clip(start[kc] + j - (end[kc] - count[kc]), 0, row_product.shape[0] - 1)
    i, c, p = row_product[r], cell[kc], prod[kc]
    ci, cp = c * P + i, c * P + p
    c_ip = _lookup(c_keys, c_vals, ci * P + p)
    zeros = jnp.zeros_like(c_ip)
    hs_ip = hs_similarity_int(hs[i], hs[p], hs_curvature, hs_digits)
    cols = _pair_sums(
        c_ip, u[ci], u[cp], s[ci], s[cp], row_m[r], zeros, row_a[r], zeros, row_weight[r], hs_ip, io[i, p], min_support
    )
    return jax.ops.segment_sum(cols, k, num_segments=capacity + 1, indices_are_sorted=True)[:capacity]
