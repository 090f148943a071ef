"""Synthetic firm-product-destination-year export panels with a planted proximity effect.

The China customs data behind Heo & Kim (2025, section 2) are confidential.
:func:`generate_panel` simulates a panel in the schema of
:mod:`jaxtrade.empirics.proximity.schema`, deterministic given the seed,
so that every stage of the pipeline runs, is validated and is benchmarked
without private data.

Data-generating process
-----------------------
* **Products.** ``n_products`` HS6 codes in ``n_chapters`` HS2 chapters,
  each chapter split into HS4 headings of up to ``codes_per_heading``
  HS6 codes. Products are grouped into *planted clusters* of
  ``cluster_size`` products that are contiguous in code order (so the
  clusters nest in the HS hierarchy); a share ``misfiled_share`` of products
  is moved to a random other cluster, so the clusters are not fully
  recoverable from the HS codes (HSP) alone.
* **True proximity** ``A_ij = 1`` if ``i`` and ``j`` share a cluster,
  else 0. The true basket proximity of a product ``k`` not exported by
  firm ``f`` to ``d`` at ``t`` is ``prox = (1/|S_fdt|) sum_{i in S_fdt} A_ik``
  (0 for an empty basket), the analogue of eq. (3) with the true matrix.
* **Inputs.** A product x input matrix (``n_inputs`` columns, shares
  summing to 1): each cluster has a sparse Dirichlet input profile, mixed
  with a chapter profile and product noise, so IOP (eq. 5) is informative
  about clusters but not identical to them.
* **Firms.** Pareto(``firm_pareto_shape``) sizes ``z_f`` (heavy tail); a
  home cluster; a set of producible products ``G_f`` (its size rising with
  ``z_f``), a share ``home_share`` drawn from the home cluster, the rest
  from all products by popularity; a set of destinations (its size rising
  with ``z_f``), drawn by destination size.
* **Dynamics.** Each (firm, destination, product in ``G_f``) is exported
  or not. After ``burn_in`` years from random initial baskets, each year an
  exported product survives with probability ``persistence``; a product
  not exported is introduced with probability
  ``clip(intro_base + popularity_k + strength * prox, 0, 1)``, where
  ``popularity_k`` is a product effect with mean zero (absorbed by
  product-year effects). ``strength`` is the planted proximity effect on the
  introduction probability (an LPM slope on the true ``prox``); 0 switches it off.
* **Values.** ``z_f * size_d * scale_k * exp(noise)`` with a persistent
  firm-destination-product lognormal effect and yearly noise.

Presets: ``tiny`` (tests, about 300 firms), ``small`` (about 8,000 firms),
``paper`` (about 128,000 firms, 55 destinations, 7 years, about 5,000 HS6
products, about 19 million firm-candidate-destination-year rows; Heo & Kim's
footnote 7 has 17,988,722).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from jaxtrade.empirics.proximity.checks import check_int, check_real


@dataclasses.dataclass(frozen=True)
class SyntheticConfig:
    """Parameters of the synthetic panel (see the module docstring for the process)."""

    n_firms: int = 300
    n_destinations: int = 6
    n_years: int = 4
    first_year: int = 2000
    n_products: int = 120
    n_chapters: int = 6
    codes_per_heading: int = 6
    cluster_size: int = 6
    misfiled_share: float = 0.2
    n_inputs: int = 12
    io_cluster_weight: float = 0.15  # weight of the cluster's input profile (rest: chapter 0.35, noise)
    firm_pareto_shape: float = 1.2
    scope_mean: float = 5.0  # mean size of G_f for z_f = 1
    scope_max: int = 40
    home_share: float = 0.7
    dest_mean: float = 2.0  # mean number of destinations for z_f = 1
    initial_export_prob: float = 0.35
    persistence: float = 0.7
    intro_base: float = 0.03
    popularity_sd: float = 0.01
    strength: float = 0.3
    burn_in: int = 3
    value_sigma: float = 1.0
    seed: int = 0

    def __post_init__(self):
        """Check every field up front: a ``ValueError`` names the field and its rule."""
        ints = {
            "n_firms": (2, None), "n_destinations": (1, None), "n_years": (2, None), "first_year": (None, None),
            "n_products": (2, None), "n_chapters": (1, 97), "codes_per_heading": (1, 99), "cluster_size": (2, None),
            "n_inputs": (2, None), "scope_max": (1, None), "burn_in": (0, None), "seed": (0, None),
        }  # fmt: skip
        for name, (lo, hi) in ints.items():
            check_int(f"SyntheticConfig.{name}", getattr(self, name), minimum=lo, maximum=hi)
        reals = {  # (minimum, maximum, minimum exclusive)
            "misfiled_share": (0.0, 1.0, False), "io_cluster_weight": (0.0, 0.65, False),
            "firm_pareto_shape": (0.0, None, True), "scope_mean": (1.0, None, False), "home_share": (0.0, 1.0, False),
            "dest_mean": (1.0, None, False), "initial_export_prob": (0.0, 1.0, True), "persistence": (0.0, 1.0, False),
            "intro_base": (0.0, 1.0, False), "popularity_sd": (0.0, None, False), "strength": (None, None, False),
            "value_sigma": (0.0, None, False),
        }  # fmt: skip
        for name, (lo, hi, strict) in reals.items():
            check_real(f"SyntheticConfig.{name}", getattr(self, name), minimum=lo, maximum=hi, strict=strict)
        if self.n_products < 2 * self.cluster_size:
            raise ValueError(
                f"SyntheticConfig.n_products must be >= 2 * cluster_size = {2 * self.cluster_size}, "
                f"got {self.n_products}"
            )
        per_chapter = -(-self.n_products // self.n_chapters)
        if -(-per_chapter // self.codes_per_heading) > 99:
            raise ValueError(
                f"n_products={self.n_products} needs more than 99 HS4 headings per chapter; raise n_chapters"
            )


PRESETS: dict[str, SyntheticConfig] = {
    "tiny": SyntheticConfig(),
    "small": SyntheticConfig(
        n_firms=8_000, n_destinations=20, n_years=5, n_products=1_000, n_chapters=40, n_inputs=30
    ),
    "paper": SyntheticConfig(
        n_firms=128_000, n_destinations=55, n_years=7, n_products=5_000, n_chapters=90, n_inputs=60,
        cluster_size=8, scope_mean=12.0, dest_mean=5.0, intro_base=0.01, popularity_sd=0.005, strength=0.06,
        io_cluster_weight=0.05,
    ),
}  # fmt: skip


@dataclasses.dataclass
class SyntheticPanel:
    """A simulated panel and what generated it.

    Attributes
    ----------
    panel : DataFrame in the schema (firm int64, product str, destination str, year, value).
    inputs : DataFrame, product codes (index) x input shares, for IOP.
    products : DataFrame with ``product``, ``cluster``, ``popularity`` (the planted truth).
    config : the :class:`SyntheticConfig` used.
    """

    panel: pd.DataFrame
    inputs: pd.DataFrame
    products: pd.DataFrame
    config: SyntheticConfig


def get_config(preset: str | SyntheticConfig = "tiny", **overrides) -> SyntheticConfig:
    """A preset by name (``tiny``, ``small``, ``paper``) or a config, with fields overridden."""
    if isinstance(preset, SyntheticConfig):
        cfg = preset
    else:
        if preset not in PRESETS:
            raise ValueError(f"unknown synthetic preset {preset!r}; choose one of {sorted(PRESETS)}")
        cfg = PRESETS[preset]
    return dataclasses.replace(cfg, **overrides) if overrides else cfg


def _product_codes(cfg: SyntheticConfig, rng: np.random.Generator) -> np.ndarray:
    chapters = np.sort(rng.choice(np.arange(1, 98), size=cfg.n_chapters, replace=False))
    per_chapter = np.full(cfg.n_chapters, cfg.n_products // cfg.n_chapters)
    per_chapter[: cfg.n_products % cfg.n_chapters] += 1
    codes: list[str] = []
    for ch, n in zip(chapters, per_chapter, strict=True):  # loop over chapters (<= 97), not firms
        n_head = -(-n // cfg.codes_per_heading)
        heads = np.sort(rng.choice(np.arange(1, 100), size=n_head, replace=False))
        for j, hd in enumerate(heads):
            m = min(cfg.codes_per_heading, n - j * cfg.codes_per_heading)
            subs = np.sort(rng.choice(np.arange(0, 100), size=m, replace=False))
            codes.extend(f"{ch:02d}{hd:02d}{sb:02d}" for sb in subs)
    return np.array(codes, dtype=object)


def _ragged_cross(counts_a: np.ndarray, counts_b: np.ndarray):
    """For groups g with a_g and b_g items: (g, i, j) for i < a_g, j < b_g, flattened."""
    n = counts_a * counts_b
    g = np.repeat(np.arange(len(n)), n)
    start = np.repeat(np.cumsum(n) - n, n)
    pos = np.arange(n.sum()) - start
    b = counts_b[g]
    return g, pos // b, pos % b


@dataclasses.dataclass(frozen=True)
class _Products:
    """Products: HS codes, planted clusters (with their members), popularity, cluster weights, input shares."""

    codes: np.ndarray
    cluster: np.ndarray
    n_clusters: int
    popularity: np.ndarray
    cluster_weight: np.ndarray
    inputs: np.ndarray
    members_order: np.ndarray
    members_start: np.ndarray
    members_count: np.ndarray


def _products(cfg: SyntheticConfig, rng: np.random.Generator) -> _Products:
    """Codes, clusters contiguous in HS order with a misfiled share, popularity, and the input matrix (eq. 5's U)."""
    codes = _product_codes(cfg, rng)
    P = len(codes)
    n_clusters = -(-P // cfg.cluster_size)
    cluster = np.arange(P) // cfg.cluster_size
    misfiled = rng.random(P) < cfg.misfiled_share
    cluster[misfiled] = rng.integers(0, n_clusters, misfiled.sum())
    chapter_of = np.unique(np.array([c[:2] for c in codes]), return_inverse=True)[1]
    popularity = rng.normal(0.0, cfg.popularity_sd, P)
    popularity -= popularity.mean()
    cluster_weight = rng.pareto(1.5, n_clusters) + 1.0
    K = cfg.n_inputs
    cluster_profile = rng.dirichlet(np.full(K, 0.15), n_clusters)
    chapter_profile = rng.dirichlet(np.full(K, 0.3), cfg.n_chapters)
    w_c = cfg.io_cluster_weight
    noise = rng.dirichlet(np.full(K, 0.5), P)
    inputs = w_c * cluster_profile[cluster] + 0.35 * chapter_profile[chapter_of] + (0.65 - w_c) * noise
    inputs /= inputs.sum(axis=1, keepdims=True)
    members_order = np.argsort(cluster, kind="stable")
    return _Products(
        codes=codes, cluster=cluster, n_clusters=n_clusters, popularity=popularity, cluster_weight=cluster_weight,
        inputs=inputs, members_order=members_order,
        members_start=np.searchsorted(cluster[members_order], np.arange(n_clusters)),
        members_count=np.bincount(cluster, minlength=n_clusters),
    )  # fmt: skip


def _firm_scopes(cfg: SyntheticConfig, rng: np.random.Generator, prods: _Products):
    """Pareto firm sizes ``z``, home clusters and the producible products ``G_f`` as (firm, product) pairs."""
    F, P = cfg.n_firms, len(prods.codes)
    z = rng.pareto(cfg.firm_pareto_shape, F) + 1.0
    pop_clusters = np.flatnonzero(prods.members_count > 0)
    w = prods.cluster_weight[pop_clusters] / prods.cluster_weight[pop_clusters].sum()
    home = rng.choice(pop_clusters, size=F, p=w)
    n_draw = np.minimum(1 + rng.poisson((cfg.scope_mean - 1) * z**0.35), cfg.scope_max)
    firm_of_draw = np.repeat(np.arange(F), n_draw)
    from_home = rng.random(len(firm_of_draw)) < cfg.home_share
    h = home[firm_of_draw]
    offset = (rng.random(len(h)) * prods.members_count[h]).astype(np.int64)
    home_pick = prods.members_order[prods.members_start[h] + offset]
    weight = prods.cluster_weight[prods.cluster]
    global_pick = rng.choice(P, size=len(h), p=weight / weight.sum())
    fk = np.unique(firm_of_draw * P + np.where(from_home, home_pick, global_pick))
    return z, fk // P, fk % P


def _firm_destinations(cfg: SyntheticConfig, rng: np.random.Generator, z: np.ndarray):
    """Destination sizes and each firm's destinations (their number rising with ``z``) as sorted keys ``f * D + d``."""
    F, D = cfg.n_firms, cfg.n_destinations
    dest_size = np.sort(rng.pareto(1.5, D) + 1.0)[::-1]
    n_dd = np.minimum(1 + rng.poisson((cfg.dest_mean - 1) * z**0.35), D)
    # n_dd destinations per firm without replacement, by size (Gumbel top-k), in blocks of firms
    fd_parts = []
    for lo in range(0, F, 65_536):  # blocks bound the (firms x destinations) key matrix
        hi = min(F, lo + 65_536)
        keys = np.log(dest_size)[None, :] - np.log(-np.log(rng.random((hi - lo, D))))
        ranked = np.argsort(-keys, axis=1)
        take = np.arange(D)[None, :] < n_dd[lo:hi, None]
        fd_parts.append(((np.arange(lo, hi)[:, None] * D) + ranked)[take])
    return dest_size, np.sort(np.concatenate(fd_parts))


@dataclasses.dataclass(frozen=True)
class _Entries:
    """(firm, destination, product) entries: firm, (firm, destination) pair, destination, product, value scale."""

    firm: np.ndarray
    fd: np.ndarray
    dest: np.ndarray
    prod: np.ndarray
    fd_cluster: np.ndarray
    n_fd: int
    log_scale: np.ndarray


def _entries(cfg, rng, prods: _Products, z, fk_firm, fk_prod, dest_size, fd) -> _Entries:
    """The cross of each firm's destinations and products, with persistent lognormal value scales."""
    D, P = cfg.n_destinations, len(prods.codes)
    fd_firm, fd_dest = fd // D, fd % D
    n_dest = np.bincount(fd_firm, minlength=cfg.n_firms)
    scope = np.bincount(fk_firm, minlength=cfg.n_firms)
    fd_start = np.cumsum(n_dest) - n_dest
    fk_start = np.cumsum(scope) - scope
    f_e, di, ki = _ragged_cross(n_dest, scope)
    e_fd = fd_start[f_e] + di  # index of the (firm, destination) pair
    e_dest = fd_dest[e_fd]
    e_prod = fk_prod[fk_start[f_e] + ki]
    persistent = rng.normal(0.0, cfg.value_sigma, len(f_e))
    log_scale = np.log(z)[f_e] + np.log(dest_size)[e_dest] + rng.normal(0.0, 0.5, P)[e_prod] + persistent
    # group of each entry: (firm-destination, cluster); fixed over the years
    fd_cluster = np.unique(e_fd.astype(np.int64) * prods.n_clusters + prods.cluster[e_prod], return_inverse=True)[1]
    return _Entries(
        firm=f_e, fd=e_fd, dest=e_dest, prod=e_prod, fd_cluster=fd_cluster, n_fd=len(fd), log_scale=log_scale
    )


def _true_prox(entries: _Entries, x: np.ndarray) -> np.ndarray:
    """Share of the current basket S_fdt in the entry's cluster (0 for an empty basket)."""
    basket = np.bincount(entries.fd, weights=x, minlength=entries.n_fd)[entries.fd]
    same = np.bincount(entries.fd_cluster, weights=x)[entries.fd_cluster] - x  # excludes the product itself
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(basket > 0, same / basket, 0.0)


def _simulate_years(cfg: SyntheticConfig, rng: np.random.Generator, prods: _Products, e: _Entries) -> pd.DataFrame:
    """Burn-in, then ``n_years`` of survival and introductions (planted effect ``strength``); the exported rows."""
    n_entries = len(e.firm)
    x = rng.random(n_entries) < cfg.initial_export_prob
    frames = []
    p_base = cfg.intro_base + prods.popularity[e.prod]
    product_names = pd.Index(prods.codes)
    dest_names = pd.Index([f"D{d:02d}" for d in range(cfg.n_destinations)])
    for step in range(cfg.burn_in + cfg.n_years):  # loop over years, not firms
        if step >= cfg.burn_in:
            on = np.flatnonzero(x)
            value = np.exp(e.log_scale[on] + rng.normal(0.0, 0.3, len(on)))
            frames.append(
                pd.DataFrame(
                    {
                        "firm": e.firm[on].astype(np.int64),
                        "product": pd.Categorical.from_codes(e.prod[on], categories=product_names),
                        "destination": pd.Categorical.from_codes(e.dest[on], categories=dest_names),
                        "year": np.full(len(on), cfg.first_year + step - cfg.burn_in, dtype=np.int64),
                        "value": value,
                    }
                )
            )
        prox = _true_prox(e, x.astype(np.float64))
        keep = x & (rng.random(n_entries) < cfg.persistence)
        p_intro = np.clip(p_base + cfg.strength * prox, 0.0, 1.0)
        intro = ~x & (rng.random(n_entries) < p_intro)
        x = keep | intro
    panel = pd.concat(frames, ignore_index=True)
    panel["product"] = panel["product"].astype(str)
    panel["destination"] = panel["destination"].astype(str)
    return panel


def generate_panel(preset: str | SyntheticConfig = "tiny", **overrides) -> SyntheticPanel:
    """Simulate a firm-product-destination-year panel (deterministic given ``seed``).

    ``preset`` is ``"tiny"``, ``"small"``, ``"paper"`` or a :class:`SyntheticConfig`;
    keyword overrides replace config fields (e.g. ``strength=0.0, seed=3``).

    Examples
    --------
    >>> sp = generate_panel("tiny", n_firms=50, seed=3)
    >>> list(sp.panel.columns)
    ['firm', 'product', 'destination', 'year', 'value']
    >>> sorted(sp.panel["year"].unique().tolist()), bool(np.allclose(sp.inputs.sum(axis=1), 1.0))
    ([2000, 2001, 2002, 2003], True)
    """
    cfg = get_config(preset, **overrides)
    rng = np.random.default_rng(cfg.seed)  # the draws below come in a fixed order: same seed, same panel
    prods = _products(cfg, rng)
    z, fk_firm, fk_prod = _firm_scopes(cfg, rng, prods)
    dest_size, fd = _firm_destinations(cfg, rng, z)
    entries = _entries(cfg, rng, prods, z, fk_firm, fk_prod, dest_size, fd)
    panel = _simulate_years(cfg, rng, prods, entries)
    input_names = [f"input_{i:02d}" for i in range(cfg.n_inputs)]
    inputs_df = pd.DataFrame(prods.inputs, index=pd.Index(prods.codes, name="product"), columns=input_names)
    products = pd.DataFrame({"product": prods.codes, "cluster": prods.cluster, "popularity": prods.popularity})
    return SyntheticPanel(panel=panel, inputs=inputs_df, products=products, config=cfg)
