"""From a validated panel to the regression-ready firm-candidate-destination-year table.

:func:`build_proximity_table` runs the stages of Heo & Kim (2025, section 2),
each a function of its own, timed and shown on one progress bar
(:class:`jaxtrade.progress.Stages`):

1. ``index`` (:func:`index_panel`): validate the panel and code firms,
   products, destinations and years;
2. ``rca`` (:func:`rca_presence`): RCA (eq. 1), presence ``RCA > 1`` and the
   per-cell presence and support counts;
3. ``phi`` (:func:`cell_proximity`): co-export counts ``C = M'M`` and phi
   (eq. 2) per destination-year;
4. ``candidates`` (:func:`candidate_sets`): ``C_fdt = S_ft \\ S_fdt`` and the
   outcome ``Introduction_{fpd,t+1}`` (section 2.2);
5. ``basket`` (:func:`basket_sums`): sums over each basket ``S_fdt`` for EBP
   (eq. 3), EBP^w, HSP (section 2.2) and IOP (eq. 5), leave-one-firm-out;
6. ``table`` (:func:`assemble_table`): the basket summaries and the
   fixed-effect keys, one row per candidate.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import jax.numpy as jnp
import numpy as np
import pandas as pd
from jax.experimental import sparse

from jaxtrade.empirics.literals import RcaThreshold, Support, check_literal
from jaxtrade.empirics.proximity import measures
from jaxtrade.empirics.proximity.checks import check_int, check_real
from jaxtrade.empirics.proximity.schema import validate_panel
from jaxtrade.progress import Stages

__all__ = [
    "STAGES",
    "BasketSums",
    "Candidates",
    "CellProximity",
    "NoCandidatesWarning",
    "PanelIndex",
    "Presence",
    "ProximityOptions",
    "ProximityResult",
    "assemble_table",
    "basket_sums",
    "build_proximity_table",
    "candidate_sets",
    "cell_proximity",
    "check_inputs_type",
    "index_panel",
    "input_matrix",
    "input_output_proximity",
    "rca_presence",
]

STAGES = ("index", "rca", "phi", "candidates", "basket", "table")
"""The stages of :func:`build_proximity_table`, in order (the keys of ``ProximityResult.timings``)."""


@dataclasses.dataclass(frozen=True)
class ProximityOptions:
    """Conventions of the measures (defaults follow the paper; see docs/empirics/proximity.md).

    rca_threshold : ``"gt"`` presence is RCA > 1 (paper), ``"ge"`` RCA >= 1.
    min_support : a product needs this many supporting firms in the cell to get proximity (Figure 1: 5).
    support : which firms count towards ``min_support``: ``"exporters"`` (default, the paper) the
        firms exporting the product to the destination-year (X > 0; Figure 1's note asks for "at least
        five active exporters in that destination-year", and eq. 1 calls a firm with positive exports
        active), ``"presence"`` only those with RCA presence in it (u of eq. 2), a stricter rule.
    leave_one_out : exclude the firm's own rows from the counts of its phi (section 2.2).
    hs_digits : digit level of HSP (None: the panel's HS digit length).
    hs_curvature : n of HSP (footnote 9: 5).
    chunk_size : most (candidate, basket product) pairs per jit call of the basket kernel (the default,
        2**16, keeps a call's arrays in the CPU caches; larger chunks ran slower on a 2-core CPU).

    Every option is checked on construction: a ``ValueError`` names the
    option and its rule (``min_support`` an integer >= 0, ``hs_digits``
    None or a positive integer, ``hs_curvature`` a finite number > 0,
    ``chunk_size`` an integer >= 1024, the string options one of their choices).
    """

    rca_threshold: RcaThreshold = "gt"
    min_support: int = 5
    support: Support = "exporters"
    leave_one_out: bool = True
    hs_digits: int | None = None
    hs_curvature: float = 5.0
    chunk_size: int = 2**16

    def __post_init__(self):
        check_literal("rca_threshold", self.rca_threshold, RcaThreshold)
        check_literal("support", self.support, Support)
        check_int("min_support", self.min_support, minimum=0)
        if not isinstance(self.leave_one_out, (bool, np.bool_)):
            raise ValueError(f"leave_one_out must be True or False, got {self.leave_one_out!r}")
        if self.hs_digits is not None:
            check_int("hs_digits", self.hs_digits, minimum=1)
        check_real("hs_curvature", self.hs_curvature, minimum=0.0, strict=True)
        check_int("chunk_size", self.chunk_size, minimum=1024)


@dataclasses.dataclass
class ProximityResult:
    """Output of :func:`build_proximity_table`.

    table : regression-ready DataFrame, one row per (firm, candidate product, destination, year).
    phi : (cells, P, P) BCOO of eq. (2), full sample (no leave-one-out).
    cooccurrence : (cells, P, P) BCOO of C = M'M.
    products : product codes (index of the P axis).
    cells : DataFrame (destination, year, n_active) of the cell axis.
    panel_rows : the panel with rca and presence columns.
    timings : seconds per stage (:data:`STAGES`).
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


# --------------------------------------------------------------------------- stage records
@dataclasses.dataclass(frozen=True)
class PanelIndex:
    """Stage ``index``: the validated panel and its integer codes.

    Labels ``firms, products, dests, years`` (sorted); per panel row the codes
    ``firm, product, dest, year``, the cell ``dest * T + year`` and the
    export ``value``; the (firm, cell) keys ``fc_uniq`` with each row's
    position ``fc``, the (cell, product) keys ``pc_key`` with their uniques
    ``pc_uniq`` and each row's position ``pc``; ``n_active`` = N_dt (firms
    exporting to the cell); ``hs_digits`` the HS level of HSP.
    """

    panel: pd.DataFrame
    firms: pd.Index
    products: pd.Index
    dests: pd.Index
    years: pd.Index
    firm: np.ndarray
    product: np.ndarray
    dest: np.ndarray
    year: np.ndarray
    cell: np.ndarray
    value: np.ndarray
    fc_uniq: np.ndarray
    fc: np.ndarray
    pc_key: np.ndarray
    pc_uniq: np.ndarray
    pc: np.ndarray
    n_active: np.ndarray
    hs_digits: int

    @property
    def P(self) -> int:
        """Number of products."""
        return len(self.products)

    @property
    def D(self) -> int:
        """Number of destinations."""
        return len(self.dests)

    @property
    def T(self) -> int:
        """Number of years."""
        return len(self.years)

    @property
    def n_cells(self) -> int:
        """Number of destination-year cells, ``D * T``."""
        return self.D * self.T


@dataclasses.dataclass(frozen=True)
class Presence:
    """Stage ``rca``: RCA (eq. 1) and presence per panel row, presence and support counts per (cell, product).

    ``rca``, presence ``m`` and the within-(f, d, t) export ``share`` per
    row; ``u`` (firms with presence) and ``s`` (the support count: ``u`` or
    the exporters) per (cell, product), flattened ``cell * P + product``.
    """

    rca: np.ndarray
    m: np.ndarray
    share: np.ndarray
    u: np.ndarray
    s: np.ndarray


@dataclasses.dataclass(frozen=True)
class CellProximity:
    """Stage ``phi``: ``C = M'M`` and phi (eq. 2) per cell, the sorted keys and values of C, phi's row sums."""

    C: sparse.BCOO
    phi: sparse.BCOO
    c_keys: jnp.ndarray
    c_vals: jnp.ndarray
    rowsum: np.ndarray


@dataclasses.dataclass(frozen=True)
class Candidates:
    """Stage ``candidates``: one entry per (f, p, d, t) with p in ``C_fdt``, grouped by (f, d, t).

    Codes ``firm, year, dest, prod, cell``; ``fc`` the position of (f, d, t)
    among the panel's (firm, cell) keys; ``introduction`` (float64: 1.0/0.0)
    whether p is exported to d at t + 1, NaN when t + 1 is not in the panel;
    ``n_checked`` the (f, p, d, t) pairs examined.
    """

    firm: np.ndarray
    year: np.ndarray
    dest: np.ndarray
    prod: np.ndarray
    cell: np.ndarray
    fc: np.ndarray
    introduction: np.ndarray
    n_checked: int

    def __len__(self) -> int:
        return len(self.fc)


@dataclasses.dataclass(frozen=True)
class BasketSums:
    """Stage ``basket``: per candidate, sums over its basket (columns of :func:`~.measures.basket_kernel`).

    ``sums[:, j]``: 0 basket size, 1 sum of phi^(-f), 2 share-weighted sum
    of phi^(-f), 3 sum of full-sample phi, 4 sum of H, 5 sum of IO cosine,
    6 share-weighted sum of full phi. ``n_pairs``: (candidate, basket
    product) rows processed.
    """

    sums: np.ndarray
    n_pairs: int


# --------------------------------------------------------------------------- stages
def index_panel(panel: pd.DataFrame, options: ProximityOptions, *, validate: bool = True) -> PanelIndex:
    """Stage ``index``: validate the panel (:func:`~.schema.validate_panel`) and code it.

    Raises
    ------
    ValueError
        An invalid panel, or ``hs_digits`` above the panel's HS digit length.
    """
    if validate:
        panel, _ = validate_panel(panel)
    digits = len(str(panel["product"].iloc[0]))
    hs_digits = digits if options.hs_digits is None else int(options.hs_digits)
    if hs_digits > digits:
        raise ValueError(f"hs_digits={hs_digits} exceeds the panel's HS digit length {digits}")
    firm, firms = pd.factorize(panel["firm"], sort=True)
    product, products = pd.factorize(panel["product"].astype(str), sort=True)
    dest, dests = pd.factorize(panel["destination"], sort=True)
    year, years = pd.factorize(panel["year"], sort=True)
    firm, product, dest, year = (c.astype(np.int64) for c in (firm, product, dest, year))
    P, T = len(products), len(years)
    n_cells = len(dests) * T
    cell = dest * T + year
    fc_uniq, fc = np.unique(firm * n_cells + cell, return_inverse=True)
    pc_key = cell * P + product
    pc_uniq, pc = np.unique(pc_key, return_inverse=True)
    return PanelIndex(
        panel=panel, firms=firms, products=products, dests=dests, years=years, firm=firm, product=product,
        dest=dest, year=year, cell=cell, value=panel["value"].to_numpy(np.float64), fc_uniq=fc_uniq, fc=fc,
        pc_key=pc_key, pc_uniq=pc_uniq, pc=pc, n_active=np.bincount(fc_uniq % n_cells, minlength=n_cells),
        hs_digits=hs_digits,
    )  # fmt: skip


def _normal_scale(value: np.ndarray, fc: np.ndarray, n_fc: int) -> np.ndarray:
    """``value`` with every (firm, cell) that holds a subnormal number scaled by a power of two (exact).

    XLA flushes subnormal numbers (below 2.2e-308) to zero, so a firm whose
    exports to a cell are all subnormal would get the total 0 and a NaN
    share, spreading NaN to the cell's RCA benchmark (eq. 1). Eq. (1) uses
    only shares within a (firm, cell), so scaling them by 2^k changes
    nothing else; scaling by a power of two is exact, and normal panels are
    returned untouched (no copy).
    """
    tiny = np.finfo(np.float64).tiny
    if not len(value) or value.min() >= tiny:
        return value
    cell_max = np.zeros(n_fc)
    np.maximum.at(cell_max, fc, value)
    _, exponent = np.frexp(cell_max)
    scale = np.where(cell_max[fc] < 2.0**-900, -exponent[fc], 0)  # only the cells of tiny values move
    return np.ldexp(value, scale)


def rca_presence(index: PanelIndex, options: ProximityOptions) -> Presence:
    """Stage ``rca``: market RCA (eq. 1), presence (eq. 2's ``m_fi``) and the per-cell counts.

    ``RCA_fpdt = (X_fpdt / X_fdt) / ((1/N_dt) sum_f' X_f'pdt / X_f'dt)``
    (:func:`~.measures.rca_market`); ``u`` counts firms with presence in
    (cell, product); ``s`` is the support count of ``options.support``.
    A (firm, cell) whose values are subnormal is first scaled by a power of
    two (:func:`_normal_scale`; XLA flushes subnormal numbers to zero).
    """
    n = index.n_cells * index.P
    value = _normal_scale(index.value, index.fc, len(index.fc_uniq))
    rca = np.asarray(
        measures.rca_market(value, index.fc, index.pc, index.pc_uniq // index.P, np.maximum(index.n_active, 1))
    )
    m = measures.presence(rca, options.rca_threshold)
    share = value / np.bincount(index.fc, weights=value)[index.fc]
    u = np.bincount(index.pc_key, weights=m.astype(np.float64), minlength=n)
    if options.support == "presence":
        s = u
    else:
        s = np.bincount(index.pc_key, minlength=n).astype(np.float64)
    return Presence(rca=rca, m=m, share=share, u=u, s=s)


def cell_proximity(index: PanelIndex, presence: Presence, options: ProximityOptions) -> CellProximity:
    """Stage ``phi``: ``C = M'M`` (:func:`~.measures.cooccurrence_keys`) and phi (eq. 2) per destination-year.

    ``phi_ij = min{P(i|j), P(j|i)} = C_ij / max(u_i, u_j)`` with the support
    rule (:func:`~.measures.proximity_values`); also the sorted keys
    ``(cell, i, j)`` of C for the basket lookups and the row sums of phi
    (the denominator of the normalised EBP). C and phi are (cells, P, P)
    BCOO matrices with sorted unique indices.
    """
    P, m = index.P, presence.m
    keys, counts = measures.cooccurrence_keys(index.fc[m], index.pc_key[m], P)
    phi_vals = measures.proximity_values(counts, keys, presence.u, presence.s, P, options.min_support)
    C = measures.bcoo_from_keys(counts, keys, index.n_cells, P)
    phi = sparse.BCOO((phi_vals, C.indices), shape=C.shape, indices_sorted=True, unique_indices=True)
    rowsum = np.bincount(keys // (P * P) * P + keys % P, weights=np.asarray(phi_vals), minlength=index.n_cells * P)
    return CellProximity(C=C, phi=phi, c_keys=jnp.asarray(keys), c_vals=C.data, rowsum=rowsum)


def _previous_year(years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Code of year t - 1 for each year code, and whether t - 1 is in the panel (``years`` sorted, unique)."""
    prev = np.maximum(np.arange(len(years)) - 1, 0)
    return prev, (np.arange(len(years)) > 0) & (years[prev] + 1 == years)


def _lookup_sorted(sorted_ref: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position of each key in the sorted unique ``sorted_ref`` and whether it is there."""
    pos = np.minimum(np.searchsorted(sorted_ref, keys), max(len(sorted_ref) - 1, 0))
    found = sorted_ref[pos] == keys if len(sorted_ref) else np.zeros(len(keys), dtype=bool)
    return pos, found


def candidate_sets(index: PanelIndex) -> Candidates:
    """Stage ``candidates``: ``C_fdt = S_ft \\ S_fdt`` and ``Introduction_{fpd,t+1}`` (section 2.2).

    For every firm-year (f, t), the cross of the products it exports
    anywhere (``S_ft``) and its destinations, less the products it already
    exports to d (``S_fdt``); the outcome is 1.0 when p is exported to d at
    t + 1, 0.0 when it is not, and NaN when t + 1 is not a year of the panel
    (the panel's last year, or a year before a gap): those candidates keep
    their measures, so next year's introductions can be predicted, and the
    regressions of :mod:`.tables` leave them out. Candidates come grouped by
    (f, d, t) in the order of the panel's (firm, cell) keys, products
    ascending within a group.

    Every (f, d, t) group (a (firm, cell) key) gets one *slot* per product
    of ``S_ft``, in product order, so the slots are already in the output
    order (no sort). Each panel row (f, p, d, t) marks its own slot
    (``p in S_fdt``: not a candidate) and, when t - 1 is a year of the
    panel, the slot of (f, p, d, t - 1) if there is one (p introduced to d
    at t): both are integer lookups on sorted keys, one per panel row.
    """
    P, T, n_cells = index.P, index.T, index.n_cells
    years = index.years.to_numpy()
    ft = index.firm * T + index.year
    sft, row_s = np.unique(ft * P + index.product, return_inverse=True)  # S_ft, sorted; each row's place in it
    ft_s, s_start = np.unique(sft // P, return_index=True)
    # the (f, d, t) groups: the panel's (firm, cell) keys, sorted by (firm, destination, year)
    g_firm, g_cell = np.divmod(index.fc_uniq, n_cells)
    g_dest, g_year = np.divmod(g_cell, T)
    g_start = s_start[np.searchsorted(ft_s, g_firm * T + g_year)]  # first product of S_ft in sft
    g_slots = np.diff(np.append(s_start, len(sft)))[np.searchsorted(ft_s, g_firm * T + g_year)]  # |S_ft|
    g_off = np.cumsum(g_slots) - g_slots  # first slot of the group
    n_checked = int(g_slots.sum())
    shift = g_off - g_start  # slot of (group g, product at sft position j) = shift[g] + j
    candidate = np.ones(n_checked, dtype=bool)
    candidate[shift[index.fc] + row_s] = False  # p in S_fdt
    introduced = np.zeros(n_checked, dtype=bool)
    prev, has_prev = _previous_year(years)
    r = np.flatnonzero(has_prev[index.year])
    if len(r):
        t0 = prev[index.year[r]]
        g, in_panel = _lookup_sorted(index.fc_uniq, index.firm[r] * n_cells + index.dest[r] * T + t0)
        j, in_s = _lookup_sorted(sft, (index.firm[r] * T + t0) * P + index.product[r])
        ok = in_panel & in_s
        introduced[shift[g[ok]] + j[ok]] = True
    kept = np.flatnonzero(candidate)
    g = np.repeat(np.arange(len(g_off)), g_slots - np.bincount(index.fc, minlength=len(g_off)))
    prod = sft[kept - shift[g]] % P
    _, has_next = _next_year(years)
    introduction = np.where(has_next[g_year[g]], introduced[kept], np.nan)
    return Candidates(
        firm=g_firm[g], year=g_year[g], dest=g_dest[g], prod=prod, cell=g_cell[g], fc=g, introduction=introduction,
        n_checked=n_checked,
    )  # fmt: skip


def _next_year(years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Code of year t + 1 for each year code, and whether t + 1 is in the panel."""
    T = len(years)
    nxt = np.searchsorted(years, years + 1)
    return nxt, (nxt < T) & (years[np.minimum(nxt, T - 1)] == years + 1)


def input_output_proximity(inputs: pd.DataFrame | None, products) -> jnp.ndarray:
    """IOP of eq. (5) between the panel's products: cosine similarity of their input vectors.

    ``inputs`` is indexed by product code (one column per input); without
    it the matrix is zeros (the table's ``iop`` is then NaN).

    Raises
    ------
    TypeError
        ``inputs`` is not a DataFrame (e.g. a NumPy array: rows must be labelled by product code).
    ValueError
        Duplicate product codes in ``inputs``, panel products it lacks, or
        NaN/inf cells in the panel products' rows (the message names them).
    """
    if inputs is None:
        return jnp.zeros((len(products), len(products)))
    return measures.io_cosine(input_matrix(inputs, products))


def input_matrix(inputs: pd.DataFrame, products) -> np.ndarray:
    """The rows of ``inputs`` for ``products``, in their order, checked (see :func:`input_output_proximity`)."""
    check_inputs_type(inputs)
    dup = inputs.index[inputs.index.astype(str).duplicated()]
    if len(dup):
        raise ValueError(f"inputs has {len(dup)} duplicate product code(s) in its index, e.g. {list(dup[:5])}")
    missing = pd.Index(products).difference(inputs.index.astype(str))
    if len(missing):
        raise ValueError(f"inputs lack {len(missing)} panel product(s), e.g. {list(missing[:5])}")
    rows = inputs.loc[:, :].set_axis(inputs.index.astype(str)).loc[products]
    try:
        matrix = rows.to_numpy(np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"inputs must hold numbers (input shares) in every column: {err}") from None
    bad = ~np.isfinite(matrix)
    if bad.any():
        rr, cc = np.nonzero(bad)
        names = list(dict.fromkeys(str(products[r]) for r in rr))
        raise ValueError(
            f"inputs has {int(bad.sum())} NaN or inf cell(s) in the rows of {len(names)} product(s), e.g. product "
            f"{names[0]!r} in column {rows.columns[cc[0]]!r}; products {names[:5]} (IOP, eq. 5, needs finite shares)"
        )
    return matrix


def check_inputs_type(inputs) -> None:
    """Raise ``TypeError`` unless ``inputs`` is None or a DataFrame (product codes as index, one column per input)."""
    if inputs is not None and not isinstance(inputs, pd.DataFrame):
        raise TypeError(
            "inputs must be a pandas DataFrame indexed by product code (one column per input) so its rows can be "
            f"matched to the panel's products, got {type(inputs).__module__}.{type(inputs).__qualname__}; "
            "e.g. pd.DataFrame(array, index=product_codes)"
        )


def _chunk_capacity(per_cand: np.ndarray, cum: np.ndarray, chunk_size: int) -> int:
    """Pairs per kernel call: a power of two, at most ``chunk_size`` unless one candidate's basket needs more."""
    n_cand = len(per_cand)
    cap = int(min(chunk_size, max(1024, 1 << int(np.ceil(np.log2(max(cum[-1] if n_cand else 1, 1)))))))
    if n_cand and per_cand.max() > cap:
        cap = int(1 << int(np.ceil(np.log2(per_cand.max()))))
    return cap


def _padded(x: np.ndarray, size: int) -> np.ndarray:
    """``x`` followed by zeros up to ``size``."""
    out = np.zeros(size, dtype=x.dtype)
    out[: len(x)] = x
    return out


def basket_sums(
    index: PanelIndex,
    presence: Presence,
    prox: CellProximity,
    cand: Candidates,
    io: jnp.ndarray,
    options: ProximityOptions,
) -> BasketSums:
    """Stage ``basket``: per candidate (f, p, d, t), sums over its basket i in ``S_fdt``.

    EBP (eq. 3) averages ``phi_ip`` (eq. 2) over the basket, EBP^w weights
    it by the firm's export shares in the cell, HSP averages the HS
    similarity ``1 - (|V_i - V_p| / V_max)^(1/n)`` (section 2.2) and IOP the
    input cosine (eq. 5). With leave-one-out the firm's phi uses the counts
    without its own rows (section 2.2). The panel rows are put in (f, d, t)
    order once, so a candidate's basket is a contiguous run of them; the
    candidates go through :func:`~.measures.basket_chunk` in chunks of at
    most ``options.chunk_size`` (candidate, basket product) pairs, padded to
    one capacity so the kernel compiles once, and the pairs are laid out
    and gathered inside the kernel.
    """
    row_order = np.argsort(index.fc, kind="stable")  # panel rows grouped by (f, d, t)
    basket_count = np.bincount(index.fc, minlength=len(index.fc_uniq))
    basket_start = np.cumsum(basket_count) - basket_count
    hs = jnp.asarray(measures.hs_integer(np.asarray(index.products, dtype=str), index.hs_digits))
    u, s = jnp.asarray(presence.u), jnp.asarray(presence.s)
    m = presence.m[row_order].astype(np.float64)
    a_row = m if options.support == "presence" else np.ones(len(m))
    rows = [jnp.asarray(x) for x in (index.product[row_order], m, a_row, presence.share[row_order])]
    n_cand = len(cand)
    sums = np.zeros((n_cand, 7), order="F")  # column-major: each summary is contiguous
    per_cand = basket_count[cand.fc]
    cum = np.cumsum(per_cand)
    cap = _chunk_capacity(per_cand, cum, options.chunk_size)
    lo = 0
    while lo < n_cand:
        hi = max(int(np.searchsorted(cum, (cum[lo - 1] if lo else 0) + cap, side="right")), lo + 1)
        fc = cand.fc[lo:hi]
        out = measures.basket_chunk(
            _padded(basket_start[fc], cap), _padded(per_cand[lo:hi], cap), _padded(cand.cell[lo:hi], cap),
            _padded(cand.prod[lo:hi], cap), *rows, u, s, hs, io, prox.c_keys, prox.c_vals, options.min_support,
            capacity=cap, hs_curvature=float(options.hs_curvature), hs_digits=index.hs_digits,
        )  # fmt: skip
        sums[lo:hi] = np.asarray(out)[: hi - lo]
        lo = hi
    return BasketSums(sums=sums, n_pairs=int(cum[-1]) if n_cand else 0)


def assemble_table(
    index: PanelIndex,
    prox: CellProximity,
    cand: Candidates,
    baskets: BasketSums,
    options: ProximityOptions,
    *,
    has_inputs: bool,
) -> pd.DataFrame:
    """Stage ``table``: the basket summaries and fixed-effect keys, one row per candidate.

    ``ebp = sum phi / |S_fdt|`` (eq. 3), ``ebp_w`` the share-weighted sum,
    ``ebp_norm`` the sum over the basket relative to the sum over all
    products (the working-paper variant), ``hsp`` and ``iop`` basket means
    (``iop`` NaN without inputs), the outcome, ``basket_size`` and the keys
    of the fixed effects of eqs. (4) and (6).
    """
    sums, P, D, T = baskets.sums, index.P, index.D, index.T
    size = sums[:, 0]
    phi_sum = sums[:, 1] if options.leave_one_out else sums[:, 3]
    phi_w = sums[:, 2] if options.leave_one_out else sums[:, 6]
    denom = prox.rowsum[cand.cell * P + cand.prod] - sums[:, 3] + phi_sum
    positive = denom > 0
    ebp_norm = np.zeros(len(cand))
    np.divide(phi_sum, denom, out=ebp_norm, where=positive)
    columns = {
        "firm": index.firms.take(cand.firm),  # label Index takes: no per-row Python objects
        "product": index.products.take(cand.prod),
        "destination": index.dests.take(cand.dest),
        "year": index.years.to_numpy()[cand.year],
        "ebp": phi_sum / size,
        "ebp_w": np.array(phi_w),
        "ebp_norm": ebp_norm,
        "hsp": sums[:, 4] / size,
        "iop": sums[:, 5] / size if has_inputs else np.full(len(cand), np.nan),
        "introduction": cand.introduction,
        "basket_size": size.astype(np.int64),
        "firm_id": cand.firm,
        "product_id": cand.prod,
        "destination_id": cand.dest,
        "year_id": cand.year,
        "firm_year": cand.firm * T + cand.year,
        "product_year": cand.prod * T + cand.year,
        "firm_destination": cand.firm * D + cand.dest,
        "dest_year": cand.cell,
    }
    # copy=False: the columns are taken as they are (fresh arrays or the stage records' own), not stacked
    # into one 2-D block per dtype, which would copy the whole table once more
    return pd.DataFrame(columns, copy=False)


def _counts(index: PanelIndex, presence: Presence, prox: CellProximity, cand: Candidates, baskets: BasketSums) -> dict:
    return {
        "panel_rows": len(index.panel),
        "firms": len(index.firms),
        "products": index.P,
        "destinations": index.D,
        "years": index.T,
        "cells": index.n_cells,
        "presence_rows": int(presence.m.sum()),
        "cooccurrence_nse": int(prox.C.nse),
        "firm_product_destination_pairs_checked": int(cand.n_checked),
        "candidates": len(cand),
        "basket_pairs": baskets.n_pairs,
        "candidates_without_outcome": int(np.isnan(cand.introduction).sum()),
        "introductions": int(np.nansum(cand.introduction)),
    }


class NoCandidatesWarning(UserWarning):
    """The panel gave no firm-candidate-destination-year rows; the message says why."""


def _why_no_candidates(index: PanelIndex) -> str:
    """Why :func:`candidate_sets` found nothing: no firm exports a product to one destination and not to another."""
    ft = index.firm * index.T + index.year
    n_dest = pd.Series(index.dest).groupby(ft).nunique()
    multi = int((n_dest > 1).sum())
    return "the proximity table is empty (no candidate rows): " + (
        "no firm exports, in some year, a product to one of its destinations that it does not "
        "already export to another (C_fdt = S_ft \\ S_fdt is empty for every firm, destination and year; "
        f"{multi} of {len(n_dest)} firm-years export to more than one destination)"
    )


def build_proximity_table(
    panel: pd.DataFrame,
    inputs: pd.DataFrame | None = None,
    options: ProximityOptions | None = None,
    *,
    validate: bool = True,
    progress: bool | None = None,
) -> ProximityResult:
    """Build the firm-candidate-destination-year table with EBP, EBP^w, HSP, IOP and the outcome.

    Runs the stages of :data:`STAGES` (see the module docstring), timing
    each (``result.timings``) and showing one progress bar.

    Parameters
    ----------
    panel : pandas.DataFrame
        Firm-product-destination-year panel (schema in :mod:`.schema`).
    inputs : pandas.DataFrame, optional
        Indexed by product code, one column per input (non-negative);
        without it ``iop`` is NaN. Panel products missing from ``inputs``
        are an error.
    options : ProximityOptions, optional
        The measures' conventions (the paper's by default).
    validate : bool
        Run :func:`~.schema.validate_panel` first (duplicates are an error).
    progress : bool, optional
        Show a progress bar of the stages (tqdm, on standard error); None:
        when standard error is a terminal or ``JAXTRADE_PROGRESS=1``
        (:func:`jaxtrade.progress.progress_enabled`).

    Returns
    -------
    ProximityResult
        Columns of ``table``: ``firm, product, destination, year`` (labels),
        ``ebp`` (eq. 3), ``ebp_w`` (basket weighted by the firm's export
        shares in the destination), ``ebp_norm`` (sum of proximities to the
        basket over the sum over all products, the working-paper variant),
        ``hsp``, ``iop``, ``introduction`` (float64, 1.0/0.0, eq. in
        section 2.2; NaN for the candidates of a year t whose t+1 is not in
        the panel, i.e. the last year: predictions of next year's
        introductions, left out of the regressions of :mod:`.tables`),
        ``basket_size`` (|S_fdt|), and integer keys ``firm_id, product_id,
        destination_id, year_id, firm_year, product_year, firm_destination,
        dest_year``. Candidate rows are formed for every year and every
        (f, d, t) with a non-empty basket; ``counts["candidates_without_outcome"]``
        counts those with a NaN outcome. A panel that gives none (every firm
        selling the same products to all its destinations) returns an empty
        table with a :class:`NoCandidatesWarning` saying why;
        :func:`~.tables.table1` and :func:`~.tables.table2` then raise (as
        they do when no candidate has an observed outcome, e.g. a one-year
        panel).

    Examples
    --------
    >>> from jaxtrade.empirics.proximity import generate_panel
    >>> sp = generate_panel("tiny", n_firms=60, n_years=2, seed=1)
    >>> res = build_proximity_table(sp.panel, sp.inputs, progress=False)
    >>> list(res.timings) == list(STAGES)
    True
    >>> res.counts["candidates"] == len(res.table) > 0
    True
    >>> bool(res.table["ebp"].between(0, 1).all())
    True
    """
    opts = options or ProximityOptions()
    if not isinstance(opts, ProximityOptions):
        raise TypeError(f"options must be a ProximityOptions, got {type(opts).__qualname__}")
    check_inputs_type(inputs)
    stages = Stages(list(STAGES), "proximity build", progress=progress)
    try:
        with stages.stage("index"):
            index = index_panel(panel, opts, validate=validate)
            matrix = None if inputs is None else input_matrix(inputs, index.products)  # checked before the work
        with stages.stage("rca"):
            presence = rca_presence(index, opts)
        with stages.stage("phi"):
            prox = cell_proximity(index, presence, opts)
        with stages.stage("candidates"):
            cand = candidate_sets(index)
        with stages.stage("basket"):
            io = jnp.zeros((index.P, index.P)) if matrix is None else measures.io_cosine(matrix)
            baskets = basket_sums(index, presence, prox, cand, io, opts)
        with stages.stage("table"):
            table = assemble_table(index, prox, cand, baskets, opts, has_inputs=inputs is not None)
            panel_rows = index.panel.assign(rca=presence.rca, presence=presence.m, share=presence.share)
            cells = pd.DataFrame(
                {
                    "destination": np.repeat(index.dests.to_numpy(), index.T),
                    "year": np.tile(index.years.to_numpy(), index.D),
                    "n_active": index.n_active,
                }
            )
    finally:
        stages.close()
    if len(cand) == 0:
        warnings.warn(_why_no_candidates(index), NoCandidatesWarning, stacklevel=2)
    counts = _counts(index, presence, prox, cand, baskets)
    timings: dict[str, Any] = dict(stages.seconds)
    return ProximityResult(table, prox.phi, prox.C, np.asarray(index.products), cells, panel_rows, timings, counts)
