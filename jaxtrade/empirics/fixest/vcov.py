"""Variance-covariance estimators and small-sample corrections, as pyfixest/fixest.

Notation: N observations, k estimated slopes, bread ``B = (X'WX)^{-1}`` of
the (weighted, demeaned) design, scores ``s_i = x_i u_i`` (rows of the
sqrt-weighted design times the sqrt-weighted residual).

* ``"iid"``: ``V = c * sigma^2 B`` with ``sigma^2 = sum(u^2)/(N-1)`` for OLS
  (``sigma^2 = 1`` for Poisson) and ``c = (N-1)/(N-K)``.
* ``"hetero"`` / ``"HC1"``: ``V = c * B (sum_i s_i s_i') B`` with ``c = N/(N-K)``.
* ``{"CRV1": "g"}``: ``V = c * B (sum_g S_g S_g') B`` with ``S_g`` the sum of
  scores in cluster g and ``c = (N-1)/(N-K) * G/(G-1)``.
* ``{"CRV1": "g1+g2"}`` (Cameron-Gelbach-Miller two-way):
  ``V = V_1 + V_2 - V_12`` where ``V_12`` clusters by the intersection; with
  the default ``G_df="min"`` every term uses ``G = min(G_1, G_2)``.

The number of parameters K ("df_k") counts the slopes plus fixed-effect
levels: ``K = k + sum_j G_j - (n_fe - 1)`` (fixest issue #554). With
clustered errors, fixed effects nested in a cluster variable (every level
inside one cluster, or the same column) do not count except for one each:
``K = k + sum_j G_j - (n_fe - 1) - sum_{nested} G_j + n_nested``.
The t distribution has ``N - K`` degrees of freedom for iid/hetero and
``G - 1`` (smallest G) for clustered errors.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxtrade.empirics.fixest.encode import combine_codes
from jaxtrade.empirics.literals import GDf, KFixef, check_literal

__all__ = [
    "SSC_DEFAULTS",
    "VcovMeta",
    "VcovSpec",
    "cluster_meat",
    "compute_vcov",
    "is_nested",
    "nested_fixed_effects",
    "parse_vcov",
    "resolve_ssc",
    "small_sample_correction",
]

SSC_DEFAULTS = {"k_adj": True, "k_fixef": "nonnested", "G_adj": True, "G_df": "min"}
"""pyfixest's default small-sample options (``pyfixest.ssc()``)."""


@dataclasses.dataclass(frozen=True)
class VcovSpec:
    """A parsed ``vcov`` argument.

    Attributes
    ----------
    kind : ``"iid"``, ``"hetero"`` or ``"CRV1"``.
    cluster : tuple of cluster variable specs (each a tuple of column names;
        more than one name for a combined cluster ``a^b``).
    label : human-readable description used in tables.
    """

    kind: str
    cluster: tuple[tuple[str, ...], ...] = ()
    label: str = ""


class VcovMeta(NamedTuple):
    """Small-sample metadata of a vcov (:func:`compute_vcov`).

    Attributes
    ----------
    ssc : float or list of float
        Small-sample factor (one per term, signed, for two-way clustering).
    df_k : int
        The parameter count K of the correction.
    df_t : int
        Degrees of freedom of the t distribution.
    G : int or None
        The smallest number of clusters (clustered errors), else None.
    """

    ssc: float | list[float]
    df_k: int
    df_t: int
    G: int | None


def parse_vcov(vcov) -> VcovSpec:
    """Parse ``"iid"``, ``"hetero"``/``"HC1"``, ``{"CRV1": "cl"}`` or ``{"CRV1": "cl1+cl2"}``.

    Raises
    ------
    ValueError
        For an unknown type, CRV3 or other estimators, or more than two-way clustering.

    Examples
    --------
    >>> parse_vcov({"CRV1": "firm + dest^year"})
    VcovSpec(kind='CRV1', cluster=(('firm',), ('dest', 'year')), label='CRV1: firm + dest^year')
    """
    if vcov is None:
        vcov = "iid"
    if isinstance(vcov, str):
        if vcov == "iid":
            return VcovSpec("iid", (), "iid")
        if vcov in ("hetero", "HC1"):
            return VcovSpec("hetero", (), "hetero")
        raise ValueError(f"vcov must be 'iid', 'hetero', 'HC1' or {{'CRV1': 'cluster'}}, got {vcov!r}")
    if isinstance(vcov, dict):
        if len(vcov) != 1:
            raise ValueError(f"vcov dict must have exactly one key, got {vcov!r}")
        ((key, value),) = vcov.items()
        if key != "CRV1":
            raise ValueError(f"vcov dict key must be 'CRV1' (CRV3 is not supported), got {key!r}")
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"vcov['CRV1'] must be a non-empty string of cluster columns, got {value!r}")
        parts = [p.strip() for p in value.split("+")]
        if len(parts) > 2:
            raise ValueError(f"at most two-way clustering is supported, got {value!r}")
        cluster = tuple(tuple(c.strip() for c in p.split("^")) for p in parts)
        return VcovSpec("CRV1", cluster, "CRV1: " + " + ".join(parts))
    raise ValueError(f"vcov must be a string or a dict, got {type(vcov).__name__}")


def resolve_ssc(ssc: dict | None) -> dict:
    """Merge user small-sample options with pyfixest's defaults and validate them."""
    out = dict(SSC_DEFAULTS)
    if ssc:
        unknown = set(ssc) - set(SSC_DEFAULTS)
        if unknown:
            raise ValueError(f"unknown ssc options {sorted(unknown)}; allowed {sorted(SSC_DEFAULTS)}")
        out.update(ssc)
    check_literal("ssc k_fixef", out["k_fixef"], KFixef)
    check_literal("ssc G_df", out["G_df"], GDf)
    return out


def small_sample_correction(
    *,
    ssc: dict,
    vcov_kind: str,
    N: int,
    k: int,
    k_fe: int,
    n_fe: int,
    k_fe_nested: int = 0,
    n_fe_fully_nested: int = 0,
    G: int = 1,
) -> tuple[float, int, int]:
    """Small-sample factor, parameter count and t degrees of freedom (pyfixest ``get_ssc``).

    Parameters
    ----------
    ssc : dict with keys ``k_adj``, ``k_fixef``, ``G_adj``, ``G_df``.
    vcov_kind : ``"iid"``, ``"hetero"`` or ``"CRV1"``.
    N, k : observations and slopes.
    k_fe, n_fe : total fixed-effect levels and number of fixed effects.
    k_fe_nested, n_fe_fully_nested : levels of, and number of, fixed
        effects nested in a cluster variable (clustered errors only).
    G : number of clusters (clustered errors only).

    Returns
    -------
    factor : float
    df_k : int, the parameter count K
    df_t : int, degrees of freedom of the t distribution

    Raises
    ------
    ValueError
        If ``N <= K`` where the factor or ``df_t`` needs ``N - K`` (no
        residual degrees of freedom).
    """
    k_fe_adj = k_fe - (n_fe - 1) if n_fe > 1 else k_fe
    if ssc["k_fixef"] == "none" or n_fe == 0:
        df_k = k
    elif ssc["k_fixef"] == "full" or k_fe_nested == 0:
        df_k = k + k_fe_adj
    else:
        df_k = k + k_fe_adj - k_fe_nested + n_fe_fully_nested
    if N - df_k <= 0 and (ssc["k_adj"] or vcov_kind != "CRV1"):
        raise ValueError(
            f"no residual degrees of freedom: {N} observation(s) for {df_k} parameters "
            "(slopes and fixed-effect levels); the vcov is undefined"
        )
    adj = 1.0
    if ssc["k_adj"]:
        adj = (N - 1) / (N - df_k) if vcov_kind != "hetero" else N / (N - df_k)
    g_adj = 1.0
    if vcov_kind == "CRV1" and ssc["G_adj"]:
        g_adj = G / (G - 1)
    df_t = N - df_k if vcov_kind in ("iid", "hetero") else G - 1
    return adj * g_adj, int(df_k), int(df_t)


@jax.jit
def _sandwich(bread, meat):
    return bread @ meat @ bread


def cluster_meat(scores, cluster_codes, n_clusters: int):
    """``sum_g S_g S_g'`` with ``S_g`` the score sums of cluster ``g``."""
    sums = jax.ops.segment_sum(jnp.asarray(scores), jnp.asarray(cluster_codes), num_segments=n_clusters)
    return np.asarray(sums.T @ sums)


@functools.partial(jax.jit, static_argnames=("n_inner",))
def _nested_flag(inner_codes, outer_codes, n_inner):
    lo = jax.ops.segment_min(outer_codes, inner_codes, num_segments=n_inner)
    hi = jax.ops.segment_max(outer_codes, inner_codes, num_segments=n_inner)
    return jnp.all(lo == hi)


def is_nested(inner_codes: np.ndarray, outer_codes: np.ndarray) -> bool:
    """True if every level of ``inner_codes`` lies within a single level of ``outer_codes``."""
    if len(inner_codes) == 0:
        return True
    n_inner = int(inner_codes.max()) + 1
    return bool(_nested_flag(jnp.asarray(inner_codes), jnp.asarray(outer_codes), n_inner))


def _with_intersection(codes: list[np.ndarray]) -> list[np.ndarray]:
    """Two-way clustering: append the codes of the intersection of the two cluster variables."""
    if len(codes) != 2:
        return codes
    pair, _ = combine_codes(codes[0], int(codes[0].max()) + 1, codes[1], int(codes[1].max()) + 1)
    return [*codes, pair]


def nested_fixed_effects(
    fe_codes: list[np.ndarray], fe_names: list[str], cluster_codes: list[np.ndarray], cluster_names: list[str]
) -> tuple[int, int]:
    """Levels of, and number of, fixed effects nested in a cluster variable (fixest's ``k_fixef="nonnested"``).

    A fixed effect is nested when it is a cluster variable (same name) or
    every one of its levels lies within one cluster (:func:`is_nested`).
    """
    plain_cluster_names = [n.replace("^", "_") for n in cluster_names]
    k_fe_nested, n_fe_fully_nested = 0, 0
    for fe_name, fe in zip(fe_names, fe_codes, strict=True):
        nested = fe_name.replace("^", "_") in plain_cluster_names or any(is_nested(fe, c) for c in cluster_codes)
        if nested:
            k_fe_nested += int(fe.max()) + 1
            n_fe_fully_nested += 1
    return k_fe_nested, n_fe_fully_nested


def compute_vcov(
    spec: VcovSpec,
    *,
    bread: np.ndarray,
    scores: np.ndarray,
    resid_ssr: float,
    N: int,
    k: int,
    fe_codes: list[np.ndarray],
    fe_names: list[str],
    n_fe_for_dof: int | None,
    cluster_codes: list[np.ndarray],
    cluster_names: list[str],
    ssc: dict,
    is_poisson: bool = False,
) -> tuple[np.ndarray, VcovMeta]:
    """Compute the vcov matrix and its small-sample metadata.

    Parameters
    ----------
    spec : VcovSpec
    bread : (k, k) inverse of the (weighted, demeaned) cross-product.
    scores : (N, k) scores.
    resid_ssr : sum of squared (weighted) residuals (OLS iid only).
    N, k : observations and slopes.
    fe_codes, fe_names : fixed-effect codes and names (``a^b`` for combined).
    n_fe_for_dof : number of fixed effects counted in the dof (None: len(fe_codes)).
    cluster_codes, cluster_names : for CRV1, one array per cluster variable
        (two for two-way clustering; the intersection is built here).
    ssc : resolved small-sample options.
    is_poisson : iid vcov uses sigma^2 = 1.

    Returns
    -------
    vcov : (k, k) ndarray
    meta : VcovMeta

    Raises
    ------
    ValueError
        If a cluster variable has a single group (``G / (G - 1)`` undefined).
    """
    k_fe = int(sum(int(c.max()) + 1 for c in fe_codes)) if fe_codes else 0
    n_fe = len(fe_codes) if n_fe_for_dof is None else n_fe_for_dof
    correction = functools.partial(small_sample_correction, ssc=ssc, N=N, k=k, k_fe=k_fe, n_fe=n_fe)
    if spec.kind == "iid":
        factor, df_k, df_t = correction(vcov_kind="iid")
        sigma2 = 1.0 if is_poisson else resid_ssr / (N - 1)
        return factor * sigma2 * bread, VcovMeta(ssc=factor, df_k=df_k, df_t=df_t, G=None)
    if spec.kind == "hetero":
        factor, df_k, df_t = correction(vcov_kind="hetero", G=N)
        s = jnp.asarray(scores)
        meat = np.asarray(s.T @ s)
        return factor * np.asarray(_sandwich(bread, meat)), VcovMeta(ssc=factor, df_k=df_k, df_t=df_t, G=None)

    # CRV1, one- or two-way (Cameron-Gelbach-Miller: V_1 + V_2 - V_12)
    for name, c in zip(cluster_names, cluster_codes, strict=True):
        if len(c) == 0 or int(np.max(c)) == 0:
            raise ValueError(
                f"cluster variable {name!r} has a single group in the estimation sample; "
                "clustered standard errors need at least two clusters"
            )
    codes = _with_intersection([np.asarray(c) for c in cluster_codes])
    G_list = [int(c.max()) + 1 for c in codes]
    if ssc["G_df"] == "min":
        G_list = [min(G_list)] * len(G_list)
    k_fe_nested, n_fe_fully_nested = 0, 0
    if fe_codes and ssc["k_fixef"] == "nonnested":
        k_fe_nested, n_fe_fully_nested = nested_fixed_effects(fe_codes, fe_names, codes, cluster_names)

    signs = [1.0, 1.0, -1.0]
    vcov = np.zeros((k, k))
    factors, df_ts = [], []
    df_k = 0
    for idx, c in enumerate(codes):
        factor, df_k, df_t = correction(
            vcov_kind="CRV1", k_fe_nested=k_fe_nested, n_fe_fully_nested=n_fe_fully_nested, G=G_list[idx]
        )
        meat = cluster_meat(scores, c, int(c.max()) + 1)
        vcov = vcov + signs[idx] * factor * np.asarray(_sandwich(bread, meat))
        factors.append(signs[idx] * factor)
        df_ts.append(df_t)
    meta = VcovMeta(
        ssc=factors[0] if len(factors) == 1 else factors,
        df_k=df_k,
        df_t=min(df_ts),
        G=min(int(c.max()) + 1 for c in codes),
    )
    return vcov, meta
