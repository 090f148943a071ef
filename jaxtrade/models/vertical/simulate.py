"""Firm-level gravity panels simulated from Ara & Zhang (2020), section 3.

:func:`simulate_panel` draws a product x country x year panel of China-style
import flows from the two-country vertical-production model of section 2,
with known partial trade elasticities (Proposition 2), for testing the gravity
regressions of section 3 (eqs. 23-30). For every cell (p, c, t) and goods
type h in {I, F} it reports the total imports R_pct, the number of importing
firms M_pct and the average imports per importing firm rbar_pct, so that
R = M x rbar, eq. (23).

Design
------
**Cells.** Country i (index 0 of ``params``, "China") imports; each exporter
c plays the role of country j (index 1). Every cell (p, c, t) is the
two-country model between i and c with the variable trade cost

    tau_pct = dist_c^delta * (1 + tariff_pct),

used as tau^I_ji for intermediate goods (h = I) and as tau^F_ji for final
goods (h = F). Each product is simulated both as an intermediate good and as
a final good (``goods`` selects which), with the same tau.

**Partial equilibrium.** As in the paper's partial elasticities ("estimated
from gravity equations with origin and destination fixed effects where
incomes and price indices are held constant", section 2.5), the importer's
demand indices and the exporter's entry masses do not respond to tau. They
are taken from the base equilibrium of ``params`` (``solve_input_trade`` for
h = I, ``solve_final_trade`` for h = F) and multiplied by log-normal
shifters:

* a product-year demand shifter b_pt multiplies B^F_i and B^I_i (h = I) or
  B^F_i (h = F) -- absorbed by product-year fixed effects;
* a country-year supply shifter n_ct multiplies the exporter's upstream entry
  mass N^E_j (h = I) or downstream entry mass M^E_j (h = F) -- absorbed by
  country-year fixed effects.

The importer's domestic cutoffs varphi*_ii, phi*_ii, its entry masses N^E_i,
M^E_i and (h = F) the exporter's unit cost Gamma_j stay at the base values.
Within a cell the trade-selection cutoffs move with tau by the model's own
conditions:

* h = I: conditions (6) and (12) of country i, solved jointly for the
  foreign-sourcing cutoff varphi~*_ii and the input exporters' cutoff
  phi*_ji. Under Pareto, with a = sigma - 1, theta = k - a,
  x = ln varphi~*_ii, y = ln phi*_ji, they are linear:

      a x - theta y = ln f^F_ji + a ln tau - ln B^F_i - ln[(sigma/(sigma-1))^(1-sigma) N^E_j k phi_min,j^k / theta] (6)
     -theta x + a y = ln f^I_ji + a ln tau - ln B^I_i - ln[k varphi_min,i^k / theta] + ln V^F_i(varphi*_ii)      (12)

  with determinant a^2 - theta^2 = k (2(sigma-1) - k) > 0 under Assumption 1
  (eq. 19); the closed-form solution is the one the Newton system of
  :func:`jaxtrade.models.vertical.moments.input_partial_flows` converges to
  (checked in the tests). Flow (A.17):
  R^I_ji = sigma Lambda~^F_ji tau^(1-sigma) B^I_i N^E_j V^I_j(phi*_ji).
* h = F (Proposition 1(ii)): condition (6'),
  tau^(1-sigma) Gamma_j^(1-sigma) B^F_i (varphi*_ji)^(sigma-1) = f^F_ji, in
  closed form; flow R^F_ji = sigma B^F_i tau^(1-sigma) Gamma_j^(1-sigma) M^E_j V^F_j(varphi*_ji).

Every cell must stay in the Pareto regime with selection: the moving
cutoffs above their Pareto lower bounds, varphi~*_ii > varphi*_ii (7),
phi*_ji > phi*_ii (13) and, for final goods, varphi*_ji > varphi*_jj.
The demand and supply shifters are log-normal, so with enough cells some
draw (a near country, a low tariff and a large demand shifter) leaves the
regime: with the default design about 1 seed in 20 at 25 x 20 x 4 cells and
1 in 6 at 60 x 40 x 5. ``outside_regime="raise"`` (default) then raises a
``ValueError`` naming the cells and the dispersion arguments to change;
``outside_regime="drop"`` excludes those cells from the panel (no firms are
drawn for them) and reports their number per goods type in
``df.attrs["cells_outside_regime"]``. Inside the regime the expected flows
are exact power laws in tau, so the partial elasticities are the paper's closed forms (see below).

**Firms.** A simulated firm stands for a mass 1/``scale`` of the model's
continuum. In a cell the number of active firms on each side is Poisson with
mean ``scale`` x (mass above the cutoff), and each firm's productivity is
Pareto(k) above the cutoff (drawn as cutoff x U^(-1/k)).

* h = F: exporters are j's final-goods firms with varphi > varphi*_ji; firm
  revenue r^F_ji(varphi) = sigma B^F_i (tau Gamma_j)^(1-sigma) varphi^(sigma-1).
  The model's consumers import directly, so each foreign variety is counted
  as one importing firm: M = n_exporters.
* h = I: exporters are j's input firms with phi > phi*_ji; importers are
  i's foreign-sourcing final firms with varphi > varphi~*_ii, whose count is
  the paper's M_pct (number of importing firms in i, "M_pct does not include
  the number of exporting firms"), with mass M^E_i (1 - G(varphi~*_ii)).
  Each foreign-sourcing firm buys every imported variety, and its spending
  on imported variety phi is proportional to varphi^(sigma-1) phi^(sigma-1)
  (section 2.4). The flow from exporter x to importer m is therefore

      r_xm = sigma tau^(1-sigma) B^I_i phi_x^(sigma-1) varphi_m^(sigma-1) / (scale M^E_i V^F_i(varphi*_ii)),

  which integrates, over the continuum of importers, to the model's
  r^I_ji(phi) = sigma Lambda~^F_ji tau^(1-sigma) B^I_i phi^(sigma-1). An
  importer's flow is its row sum (the cell total allocated across importers
  in proportion to their input demand varphi^(sigma-1)); an exporter's flow is
  its column sum. The cell total is
  R = sigma tau^(1-sigma) B^I_i (sum_x phi_x^(sigma-1)) (sum_m varphi_m^(sigma-1)) / (scale M^E_i V^F_i(varphi*_ii)).

Because the two sides are drawn independently, E[R] = ``scale`` x R_model in
both cases, where R_model (column ``R_model``, model units) is the model's
partial-equilibrium flow j -> i. A cell with no importer or no exporter has
zero trade: R = M = n_exporters = 0 and rbar is NaN (the paper drops zero
flows when taking logs). With ``expected=True`` no firm is drawn: M and
n_exporters are the Poisson means scale x mass, R = scale x R_model and
rbar = R / M.

**Elasticities.** In the Pareto regime, with zeta_I = k(sigma-1)/(2(sigma-1)-k)
and zeta_F = k (Proposition 2), the partial elasticities
-d ln E[Z] / d ln tau of the noise-free cell quantities are

* h = I: R: zeta_I; M: zeta_I (varphi~*_ii moves with elasticity
  (sigma-1)/(2(sigma-1)-k), times k); rbar: 0; n_exporters: zeta_I;
* h = F: R: k; M = n_exporters: k; rbar: 0,

matching the Arkolakis-style decomposition of section 2.5 (average sales per
firm independent of tau, all the response on the number of firms). They are
stored in ``df.attrs["elasticities"]`` beside the paper's margin
decomposition (``df.attrs["closed_form"]``, from
:func:`~jaxtrade.models.vertical.moments.closed_form_elasticities`). The
elasticity with respect to ln(1 + tariff) is the same; with respect to
ln dist it is delta times it.

**Calling convention.** ``simulate_panel(params, solution, key, config, **options)``
as every model of jaxtrade: ``solution`` holds the base equilibria (``None``
solves them), ``key`` is a ``jax.random`` key or an int seed, and the panel's
design is a :class:`PanelConfig` (its fields may also be passed as keyword
``options``).

**Computation.** Cell quantities are elementwise JAX functions of the cell
arrays; firm draws use ``jax.random`` with one key per cell and ``jax.vmap``
over cells, with a fixed maximum number of firms per cell (the largest
Poisson draw, rounded up to a power of two) and a mask. All arithmetic is
float64. The optional firm-level frame lists the firms of cells with
positive trade only (they are the importing and exporting firms).
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from jaxtrade.models.vertical.moments import closed_form_elasticities
from jaxtrade.models.vertical.params import VerticalParams, validate_params
from jaxtrade.models.vertical.pareto import V, survival
from jaxtrade.models.vertical.solve import (
    FinalTradeEquilibrium,
    InputTradeEquilibrium,
    final_trade_residuals,
    input_trade_residuals,
    solve_final_trade,
    solve_input_trade,
)
from jaxtrade.numerics.ces import log_markup_term

__all__ = [
    "FIRM_COLUMNS", "GOODS", "PANEL_COLUMNS", "FinalCell", "FinalCellBase", "InputCell", "InputCellBase",
    "PanelConfig", "final_cell_base", "final_cell_expected", "input_cell_base", "input_cell_cutoffs",
    "input_cell_expected", "simulate_panel", "true_elasticities",
]  # fmt: skip

GOODS = ("I", "F")
PANEL_COLUMNS = (
    "product", "country", "year", "goods", "tau", "tariff", "dist", "R", "M", "rbar", "n_exporters",
)  # fmt: skip
"""The panel's leading columns (eq. 23: R = M x rbar); :func:`simulate_panel` adds
``R_model``, ``ln_demand_shift`` and ``ln_supply_shift`` after them."""
FIRM_COLUMNS = ("product", "country", "year", "goods", "side", "productivity", "flow")
"""Columns of the firm-level frame of ``simulate_panel(..., return_firms=True)``."""

_MAX_FIRM_SLOTS = 20_000_000  # cells x max firms per cell, per side


# ---------------------------------------------------------------------------
# base objects held fixed across cells
# ---------------------------------------------------------------------------


class InputCellBase(eqx.Module):
    """Objects of the input-trade equilibrium held fixed in every h = I cell.

    Attributes (scalars)
    --------------------
    sigma, k: CES elasticity and Pareto shape.
    varphi_min_i, phi_min_j: Pareto lower bounds of i's final firms and j's input firms.
    B_F_i, B_I_i: demand indices of country i (before the product-year shifter).
    N_E_j: upstream entry mass of the exporter (before the country-year shifter).
    M_E_i: downstream entry mass of the importer.
    varphi_ii, phi_ii: domestic cutoffs of country i, eqs. (5), (11).
    VF_dom: V^F_i(varphi*_ii).
    f_F_ji, f_I_ji: fixed costs of foreign sourcing (6) and of input exporting (12).
    """

    sigma: jax.Array
    k: jax.Array
    varphi_min_i: jax.Array
    phi_min_j: jax.Array
    B_F_i: jax.Array
    B_I_i: jax.Array
    N_E_j: jax.Array
    M_E_i: jax.Array
    varphi_ii: jax.Array
    phi_ii: jax.Array
    VF_dom: jax.Array
    f_F_ji: jax.Array
    f_I_ji: jax.Array


class FinalCellBase(eqx.Module):
    """Objects of the final-goods-trade equilibrium held fixed in every h = F cell.

    Attributes (scalars)
    --------------------
    sigma, k: CES elasticity and Pareto shape.
    varphi_min_j: Pareto lower bound of the exporter's final firms.
    B_F_i: final-goods demand index of i (before the product-year shifter).
    Gamma_j_1ms: Gamma_j^(1-sigma), the exporter's unit-cost term, eq. (18).
    M_E_j: downstream entry mass of the exporter (before the country-year shifter).
    varphi_jj: the exporter's domestic cutoff, eq. (5').
    f_F_ji: fixed cost of exporting final goods from j to i, eq. (6').
    """

    sigma: jax.Array
    k: jax.Array
    varphi_min_j: jax.Array
    B_F_i: jax.Array
    Gamma_j_1ms: jax.Array
    M_E_j: jax.Array
    varphi_jj: jax.Array
    f_F_ji: jax.Array


def input_cell_base(params: VerticalParams, eq: InputTradeEquilibrium | None = None) -> InputCellBase:
    """Fixed objects for h = I cells from the input-trade equilibrium of ``params``.

    Parameters
    ----------
    params:
        One industry (no stacked axis).
    eq:
        ``solve_input_trade(params)`` if already solved.
    """
    eq = solve_input_trade(params) if eq is None else eq
    p = params
    return InputCellBase(
        sigma=p.sigma, k=p.k, varphi_min_i=p.varphi_min[0], phi_min_j=p.phi_min[1],
        B_F_i=eq.B_F[0], B_I_i=eq.B_I[0], N_E_j=eq.N_E[1], M_E_i=eq.M_E[0],
        varphi_ii=eq.varphi_dom[0], phi_ii=eq.phi[0, 0],
        VF_dom=V(eq.varphi_dom[0], p.varphi_min[0], p.k, p.sigma),
        f_F_ji=p.f_F[1, 0], f_I_ji=p.f_I[1, 0],
    )  # fmt: skip


def final_cell_base(params: VerticalParams, eqF: FinalTradeEquilibrium | None = None) -> FinalCellBase:
    """Fixed objects for h = F cells from the final-goods-trade equilibrium of ``params`` (Proposition 1(ii))."""
    eqF = solve_final_trade(params) if eqF is None else eqF
    p = params
    return FinalCellBase(
        sigma=p.sigma, k=p.k, varphi_min_j=p.varphi_min[1], B_F_i=eqF.B_F[0],
        Gamma_j_1ms=eqF.Gamma[1] ** (1.0 - p.sigma), M_E_j=eqF.M_E[1], varphi_jj=eqF.varphi[1, 1],
        f_F_ji=p.f_F[1, 0],
    )  # fmt: skip


# ---------------------------------------------------------------------------
# noise-free cell quantities (elementwise in the cell arrays)
# ---------------------------------------------------------------------------


def input_cell_cutoffs(ln_tau, ln_b, ln_n, base: InputCellBase):
    """varphi~*_ii and phi*_ji from conditions (6) and (12) of country i, in closed form.

    Parameters
    ----------
    ln_tau:
        ln tau^I_ji of each cell (any shape).
    ln_b, ln_n:
        Log demand shifter (multiplies B^F_i and B^I_i) and log supply shifter
        (multiplies N^E_j), broadcastable to ``ln_tau``.
    base:
        :class:`InputCellBase`.

    Returns
    -------
    (varphi_tilde_ii, phi_ji): arrays of the broadcast shape. Valid in the
    Pareto regime (both above their lower bounds), where (6) and (12) are
    linear in the log cutoffs with determinant k (2(sigma-1) - k).
    """
    s, k = base.sigma, base.k
    a = s - 1.0
    th = k - a
    lnC = jnp.log(k / th)
    ln_g = log_markup_term(s)  # ln (sigma/(sigma-1))^(1-sigma), eq. (18)
    c1 = (
        jnp.log(base.f_F_ji) + a * ln_tau - (jnp.log(base.B_F_i) + ln_b)
        - (ln_g + jnp.log(base.N_E_j) + ln_n + lnC + k * jnp.log(base.phi_min_j))
    )  # fmt: skip
    c2 = (
        jnp.log(base.f_I_ji) + a * ln_tau - (jnp.log(base.B_I_i) + ln_b)
        - (lnC + k * jnp.log(base.varphi_min_i)) + jnp.log(base.VF_dom)
    )  # fmt: skip
    det = a * a - th * th
    x = (a * c1 + th * c2) / det
    y = (th * c1 + a * c2) / det
    return jnp.exp(x), jnp.exp(y)


class InputCell(eqx.Module):
    """Noise-free quantities of h = I cells in model units (arrays of the cells' shape).

    Attributes
    ----------
    varphi_tilde, phi_ji:
        varphi~*_ii and phi*_ji, conditions (6) and (12) (:func:`input_cell_cutoffs`).
    Lambda_F_tilde:
        V^F(varphi~*_ii) / V^F(varphi*_ii), after eq. (9).
    R:
        R^I_ji = sigma Lambda~^F_ji tau^(1-sigma) B^I_i N^E_j V^I_j(phi*_ji), eq. (A.17).
    importers, exporters:
        M^E_i (1 - G(varphi~*_ii)) and N^E_j (1 - G(phi*_ji)).
    demand:
        sigma tau^(1-sigma) B^I_i, the pair-flow factor of the module docstring.
    """

    varphi_tilde: jax.Array
    phi_ji: jax.Array
    Lambda_F_tilde: jax.Array
    R: jax.Array
    importers: jax.Array
    exporters: jax.Array
    demand: jax.Array


class FinalCell(eqx.Module):
    """Noise-free quantities of h = F cells in model units (Proposition 1(ii)).

    Attributes
    ----------
    varphi_ji:
        Cutoff of j's final-goods exporters to i, condition (6').
    R:
        sigma B^F_i tau^(1-sigma) Gamma_j^(1-sigma) M^E_j V^F_j(varphi*_ji).
    exporters, importers:
        M^E_j (1 - G(varphi*_ji)), the same number on both sides.
    demand:
        sigma B^F_i (tau Gamma_j)^(1-sigma), so that r(varphi) = demand varphi^(sigma-1).
    """

    varphi_ji: jax.Array
    R: jax.Array
    exporters: jax.Array
    importers: jax.Array
    demand: jax.Array


@jax.jit
def input_cell_expected(ln_tau, ln_b, ln_n, base: InputCellBase) -> InputCell:
    """Noise-free h = I cell quantities in model units (continuum of firms): an :class:`InputCell`."""
    s, k = base.sigma, base.k
    varphi_t, phi_ji = input_cell_cutoffs(ln_tau, ln_b, ln_n, base)
    Lam_F = V(varphi_t, base.varphi_min_i, k, s) / base.VF_dom
    demand = s * jnp.exp((1.0 - s) * ln_tau) * base.B_I_i * jnp.exp(ln_b)
    N_j = base.N_E_j * jnp.exp(ln_n)
    R = demand * Lam_F * N_j * V(phi_ji, base.phi_min_j, k, s)
    return InputCell(
        varphi_tilde=varphi_t, phi_ji=phi_ji, Lambda_F_tilde=Lam_F, R=R,
        importers=jnp.broadcast_to(base.M_E_i * survival(varphi_t, base.varphi_min_i, k), R.shape),
        exporters=N_j * survival(phi_ji, base.phi_min_j, k), demand=demand,
    )  # fmt: skip


@jax.jit
def final_cell_expected(ln_tau, ln_b, ln_n, base: FinalCellBase) -> FinalCell:
    """Noise-free h = F cell quantities in model units: a :class:`FinalCell`.

    Condition (6') gives varphi*_ji = [f^F_ji / (tau^(1-sigma) Gamma_j^(1-sigma) B^F_i)]^(1/(sigma-1)).
    """
    s, k = base.sigma, base.k
    a = s - 1.0
    demand = s * jnp.exp(a * (-ln_tau)) * base.Gamma_j_1ms * base.B_F_i * jnp.exp(ln_b)
    varphi_ji = (base.f_F_ji * s / demand) ** (1.0 / a)
    M_j = base.M_E_j * jnp.exp(ln_n)
    R = demand * M_j * V(varphi_ji, base.varphi_min_j, k, s)
    ex = M_j * survival(varphi_ji, base.varphi_min_j, k)
    return FinalCell(varphi_ji=varphi_ji, R=R, exporters=ex, importers=ex, demand=demand)


# ---------------------------------------------------------------------------
# random draws
# ---------------------------------------------------------------------------


class _DesignDraws(NamedTuple):
    """Standard uniform / normal draws behind distances, tariffs and shifters."""

    u_dist: jax.Array  # (C,)
    u_tariff: jax.Array  # (P, C, 1)
    e_tariff: jax.Array  # (P, C, T)
    e_demand: jax.Array  # (goods, P, 1, T)
    e_supply: jax.Array  # (goods, 1, C, T)


@partial(jax.jit, static_argnums=(1, 2, 3))
def _design_draws(key, P: int, C: int, T: int) -> _DesignDraws:
    """The draws of the panel's design, one fixed key layout whatever is passed in."""
    k_dist, k_tar0, k_tarn, k_dem, k_sup = jax.random.split(key, 5)
    f = jnp.float64
    return _DesignDraws(
        u_dist=jax.random.uniform(k_dist, (C,), dtype=f),
        u_tariff=jax.random.uniform(k_tar0, (P, C, 1), dtype=f),
        e_tariff=jax.random.normal(k_tarn, (P, C, T), dtype=f),
        e_demand=jax.random.normal(k_dem, (len(GOODS), P, 1, T), dtype=f),
        e_supply=jax.random.normal(k_sup, (len(GOODS), 1, C, T), dtype=f),
    )


def _pareto_cell(key, count, cutoff, k, n_max: int):
    """One cell: ``n_max`` Pareto(k) draws above ``cutoff``, masked to the first ``count``."""
    u = jax.random.uniform(key, (n_max,), dtype=jnp.float64)
    prod = cutoff * (1.0 - u) ** (-1.0 / k)  # 1 - u in (0, 1]
    mask = jnp.arange(n_max) < count
    return jnp.where(mask, prod, 0.0), mask


def _draw_counts(key, means):
    return jax.random.poisson(key, means, shape=means.shape)


_draw_counts_jit = jax.jit(_draw_counts)
_split_jit = jax.jit(jax.random.split, static_argnums=(1,))


def _draw_firms(key, counts, cutoffs, k, n_max: int):
    """vmap of :func:`_pareto_cell` over cells with one key per cell."""
    keys = jax.random.split(key, counts.shape[0])
    return jax.vmap(lambda kk, n, c: _pareto_cell(kk, n, c, k, n_max))(keys, counts, cutoffs)


_draw_firms_jit = jax.jit(_draw_firms, static_argnums=(4,))


def _slots(max_count: int) -> int:
    """Firm slots per cell: the largest count rounded up to a power of two, at least 16 (fewer recompiles)."""
    return int(max(16, 1 << int(max(int(max_count), 1) - 1).bit_length()))


# ---------------------------------------------------------------------------
# argument checks
# ---------------------------------------------------------------------------


def _positive_int(x, name: str) -> int:
    if isinstance(x, bool) or not isinstance(x, numbers.Integral) or int(x) < 1:
        raise ValueError(f"{name} must be a positive integer, got {x!r}")
    return int(x)


def _nonneg_float(x, name: str, *, positive: bool = False) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {x!r}") from None
    if not np.isfinite(v) or v < 0.0 or (positive and v == 0.0):
        raise ValueError(f"{name} must be {'positive' if positive else 'non-negative'} and finite, got {x!r}")
    return v


def _year_labels(years) -> np.ndarray:
    if isinstance(years, numbers.Integral) and not isinstance(years, bool):
        return np.arange(_positive_int(years, "years"))
    if isinstance(years, (str, bytes)) or not isinstance(years, (Sequence, np.ndarray, range)):
        raise ValueError(
            f"years must be a positive integer (number of years) or a sequence of year labels, got {years!r}"
        )
    lab = np.asarray(list(years))
    if lab.ndim != 1 or lab.size == 0:
        raise ValueError(f"years must be a non-empty 1-D sequence of labels, got {years!r}")
    if len(set(lab.tolist())) != lab.size:
        raise ValueError(f"years labels must be distinct, got {lab.tolist()}")
    return lab


def _as_key(key):
    if isinstance(key, numbers.Integral) and not isinstance(key, bool):
        return jax.random.PRNGKey(int(key))
    if isinstance(key, jax.Array):
        if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
            return key
        if key.dtype == jnp.uint32 and key.shape == (2,):
            return key
    raise ValueError(f"key must be a jax.random key (jax.random.PRNGKey / jax.random.key) or an int seed, got {key!r}")


def _array_arg(x, shape, name: str, *, lower=None, lower_name: str = "") -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite")
    if lower is not None and np.any(a < lower):
        raise ValueError(f"{name} must be {lower_name}, got min {a.min()}")
    return a


# ---------------------------------------------------------------------------
# the panel's design
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class PanelConfig:
    """Design of a simulated panel (:func:`simulate_panel`); checked and normalised on construction.

    Parameters
    ----------
    n_products, n_countries:
        Numbers of products p and exporting countries c.
    years:
        Number of years, or a sequence of distinct year labels.
    goods:
        Goods types to simulate, a subset of ``("I", "F")`` (or one of them as a string).
    delta:
        Distance elasticity of tau, tau_pct = dist_c^delta (1 + tariff_pct).
    dist:
        Distances dist_c, shape (n_countries,), each >= 1 (units in which
        dist^delta is the distance part of the iceberg cost). Default: drawn
        log-uniformly on ``dist_range``.
    dist_range:
        ``(low, high)`` with 1 <= low <= high, for the default distances.
    tariffs:
        Ad-valorem tariffs t_pct >= 0, shape (n_products, n_countries,
        n_years). Default: t_pct = u_pc (1 - tariff_decline x t/(T-1))
        exp(tariff_noise e_pct - tariff_noise^2/2) with u_pc ~ U(0, max_tariff),
        e_pct ~ N(0, 1).
    max_tariff, tariff_decline, tariff_noise:
        Parameters of the default tariffs (``tariff_decline`` in [0, 1]).
    demand_sd, supply_sd:
        Standard deviations of the log product-year demand shifter (on B_i)
        and of the log country-year supply shifter (on N^E_j or M^E_j).
    scale:
        Simulated firms per unit mass of the model's continuum. Default
        (``None``): chosen so that the median expected number of importing
        firms over all simulated cells is ``firms_per_cell``.
    firms_per_cell:
        Target median number of importing firms per cell for the default ``scale``.
    expected:
        True: no firm noise; R = scale x R_model, M and n_exporters are the
        Poisson means (non-integer).
    return_firms:
        Also return the firm-level DataFrame (empty when ``expected``).
    outside_regime:
        What to do with cells outside the Pareto/selection regime (module
        docstring): ``"raise"`` a ``ValueError`` naming them (default), or
        ``"drop"`` them from the panel, their count per goods type in
        ``df.attrs["cells_outside_regime"]``.

    Raises
    ------
    ValueError
        Naming the argument that is out of its domain.

    Examples
    --------
    >>> cfg = PanelConfig(n_products=5, n_countries=6, years=[2000, 2001], goods="F")
    >>> cfg.goods, cfg.year_labels.tolist(), cfg.shape
    (('F',), [2000, 2001], (5, 6, 2))
    """

    n_products: int = 25
    n_countries: int = 20
    years: int | Sequence = 4
    goods: Sequence[str] = GOODS
    delta: float = 0.15
    dist: np.ndarray | None = None
    dist_range: tuple[float, float] = (5.0, 20.0)
    tariffs: np.ndarray | None = None
    max_tariff: float = 0.2
    tariff_decline: float = 0.5
    tariff_noise: float = 0.1
    demand_sd: float = 0.2
    supply_sd: float = 0.2
    scale: float | None = None
    firms_per_cell: float = 40.0
    expected: bool = False
    return_firms: bool = False
    outside_regime: str = "raise"

    def __post_init__(self):
        def put(name, value):
            object.__setattr__(self, name, value)

        P = _positive_int(self.n_products, "n_products")
        C = _positive_int(self.n_countries, "n_countries")
        put("n_products", P)
        put("n_countries", C)
        T = _year_labels(self.years).size
        goods = (self.goods,) if isinstance(self.goods, str) else tuple(self.goods)
        if not goods or any(g not in GOODS for g in goods) or len(set(goods)) != len(goods):
            raise ValueError(f"goods must be a non-empty subset of {GOODS} without repeats, got {goods!r}")
        put("goods", goods)
        for name in ("delta", "max_tariff", "tariff_decline", "tariff_noise", "demand_sd", "supply_sd"):
            put(name, _nonneg_float(getattr(self, name), name))
        if self.tariff_decline > 1.0:
            raise ValueError(f"tariff_decline must lie in [0, 1], got {self.tariff_decline}")
        put("firms_per_cell", _nonneg_float(self.firms_per_cell, "firms_per_cell", positive=True))
        if self.scale is not None:
            put("scale", _nonneg_float(self.scale, "scale", positive=True))
        try:
            lo, hi = (float(v) for v in self.dist_range)
        except (TypeError, ValueError):
            raise ValueError(f"dist_range must be a pair (low, high), got {self.dist_range!r}") from None
        if not (np.isfinite(lo) and np.isfinite(hi) and 1.0 <= lo <= hi):
            raise ValueError(f"dist_range must satisfy 1 <= low <= high (finite), got {self.dist_range!r}")
        put("dist_range", (lo, hi))
        if self.dist is not None:
            rule = ">= 1 (iceberg cost dist^delta >= 1)"
            put("dist", _array_arg(self.dist, (C,), "dist", lower=1.0, lower_name=rule))
        if self.tariffs is not None:
            put("tariffs", _array_arg(self.tariffs, (P, C, T), "tariffs", lower=0.0, lower_name="non-negative"))
        put("expected", bool(self.expected))
        put("return_firms", bool(self.return_firms))
        if self.outside_regime not in ("raise", "drop"):
            raise ValueError(f"outside_regime must be 'raise' or 'drop', got {self.outside_regime!r}")

    @property
    def year_labels(self) -> np.ndarray:
        """The year labels: ``0, ..., years - 1`` or the labels given."""
        return _year_labels(self.years)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(products, countries, years), the shape of each goods type's cell arrays."""
        return (self.n_products, self.n_countries, self.year_labels.size)


def _panel_config(config: PanelConfig | None, options: dict) -> PanelConfig:
    """``config`` (default :class:`PanelConfig`) with the keyword ``options`` applied."""
    names = {f.name for f in dataclasses.fields(PanelConfig)}
    unknown = sorted(set(options) - names)
    if unknown:
        raise ValueError(f"simulate_panel: unknown option(s) {unknown}; options are PanelConfig fields {sorted(names)}")
    if config is None:
        return PanelConfig(**options)
    if not isinstance(config, PanelConfig):
        raise ValueError(f"config must be a PanelConfig or None, got {type(config).__name__}")
    return dataclasses.replace(config, **options) if options else config


class _Design(NamedTuple):
    """Trade costs and shifters of every cell."""

    dist: np.ndarray  # (C,)
    tariff: np.ndarray  # (P, C, T)
    ln_tau: np.ndarray  # (P, C, T)
    ln_b: np.ndarray  # (goods, P, 1, T): log product-year demand shifters
    ln_n: np.ndarray  # (goods, 1, C, T): log country-year supply shifters


def _design(config: PanelConfig, key) -> _Design:
    """Distances, tariffs, tau_pct = dist_c^delta (1 + tariff_pct) and the log shifters of every cell."""
    P, C, T = config.shape
    d = jax.tree_util.tree_map(np.asarray, _design_draws(key, P, C, T))
    if config.dist is None:
        lo, hi = config.dist_range
        dist = np.exp(np.log(lo) + (np.log(hi) - np.log(lo)) * d.u_dist)
    else:
        dist = config.dist
    if config.tariffs is None:
        trend = 1.0 - config.tariff_decline * (np.arange(T) / max(T - 1, 1))
        noise = np.exp(config.tariff_noise * d.e_tariff - 0.5 * config.tariff_noise**2)
        tariff = config.max_tariff * d.u_tariff * trend[None, None, :] * noise
    else:
        tariff = config.tariffs
    ln_tau = config.delta * np.log(dist)[None, :, None] + np.log1p(tariff)
    return _Design(dist, tariff, ln_tau, config.demand_sd * d.e_demand, config.supply_sd * d.e_supply)


# ---------------------------------------------------------------------------
# base equilibria and noise-free cells
# ---------------------------------------------------------------------------


def _base_equilibria(params: VerticalParams, solution, goods: Sequence[str]):
    """The input-trade and final-goods-trade equilibria the panel needs: given, else solved."""
    given: tuple = ()
    if solution is None:
        pass
    elif isinstance(solution, (InputTradeEquilibrium, FinalTradeEquilibrium)):
        given = (solution,)
    elif isinstance(solution, (tuple, list)):
        given = tuple(solution)
    else:
        raise ValueError(
            "solution must be None, an InputTradeEquilibrium, a FinalTradeEquilibrium or a tuple of them, "
            f"got {type(solution).__name__}"
        )
    eqs: dict[str, InputTradeEquilibrium | FinalTradeEquilibrium] = {}
    for eq in given:
        h = "I" if isinstance(eq, InputTradeEquilibrium) else "F" if isinstance(eq, FinalTradeEquilibrium) else None
        if h is None:
            raise ValueError(f"solution must hold equilibrium records, got {type(eq).__name__}")
        if h in eqs:
            raise ValueError(f"solution holds two {type(eq).__name__}s")
        eqs[h] = _check_given(params, eq)
    solvers: dict[str, Callable] = {"I": solve_input_trade, "F": solve_final_trade}
    for h in goods:
        if h not in eqs:
            eqs[h] = solvers[h](params)
        if not bool(eqs[h].valid):
            what = "input-trade" if h == "I" else "final-goods-trade"
            raise ValueError(
                f"params: the base {what} equilibrium is not valid (selection, Pareto bounds or outside good fail)"
            )
    return eqs


def _check_given(params: VerticalParams, eq):
    """``eq`` if it is a one-industry equilibrium of ``params`` (its conditions recomputed at ``params``)."""
    if jnp.ndim(eq.B_F) != 1:
        raise ValueError("solution must describe one industry (no stacked axis)")
    residuals = input_trade_residuals if isinstance(eq, InputTradeEquilibrium) else final_trade_residuals
    gap = float(jnp.max(jnp.abs(residuals(jnp.log(eq.unknown_vector()), params) - eq.residuals)))
    if not gap <= 1e-9:
        raise ValueError(
            f"solution: the {type(eq).__name__} is not an equilibrium of params (its conditions differ by "
            f"{gap:.3g} at params; solve it with these params and, for input trade, entry_masses=None)"
        )
    return eq


class _Cells(NamedTuple):
    """Noise-free quantities of one goods type's cells and what the firm draws need."""

    expected: InputCell | FinalCell  # numpy leaves, shape (P, C, T)
    base: InputCellBase | FinalCellBase
    ln_b: np.ndarray  # (P, C, T)
    ln_n: np.ndarray
    cut_imp: np.ndarray  # importers' cutoff
    cut_exp: np.ndarray  # exporters' cutoff
    outside: np.ndarray  # (P, C, T) bool: cells outside the regime (dropped with outside_regime="drop")


def _cells(h: str, params: VerticalParams, eq, design: _Design, outside_regime: str = "raise") -> _Cells:
    """Noise-free h cells; cells that leave the Pareto/selection regime raise a ``ValueError`` naming them,
    or with ``outside_regime="drop"`` are marked in ``outside``."""
    shape = design.ln_tau.shape
    g = GOODS.index(h)
    ln_b = np.broadcast_to(design.ln_b[g], shape)
    ln_n = np.broadcast_to(design.ln_n[g], shape)
    base: Any
    ex: Any
    if h == "I":
        base = input_cell_base(params, eq)
        ex = jax.tree_util.tree_map(np.asarray, input_cell_expected(design.ln_tau, ln_b, ln_n, base))
        bad = (
            (ex.varphi_tilde <= float(base.varphi_ii)) | (ex.phi_ji <= float(base.phi_ii))
            | (ex.varphi_tilde < float(base.varphi_min_i)) | (ex.phi_ji < float(base.phi_min_j))
        )  # fmt: skip
        rule = "varphi~*_ii > varphi*_ii (7), phi*_ji > phi*_ii (13), cutoffs above the Pareto lower bounds"
        cut_imp, cut_exp = ex.varphi_tilde, ex.phi_ji
    else:
        base = final_cell_base(params, eq)
        ex = jax.tree_util.tree_map(np.asarray, final_cell_expected(design.ln_tau, ln_b, ln_n, base))
        bad = (ex.varphi_ji <= float(base.varphi_jj)) | (ex.varphi_ji < float(base.varphi_min_j))
        rule = "varphi*_ji > varphi*_jj (selection into exporting) and above the Pareto lower bound"
        cut_imp = cut_exp = ex.varphi_ji
    bad = np.asarray(bad)
    if np.any(bad) and outside_regime == "raise":
        idx = np.argwhere(bad)[:5].tolist()
        raise ValueError(
            f"goods={h!r}: {int(bad.sum())} cell(s) leave the regime {rule}, e.g. (p, c, t) = {idx} "
            f"with tau = {np.exp(design.ln_tau[bad][:5]).round(4).tolist()}; raise delta or dist/dist_range, "
            "or lower demand_sd/supply_sd, or use params whose base tau is lower, or pass "
            "outside_regime='drop' to exclude such cells (their count is reported)"
        )
    return _Cells(ex, base, ln_b, ln_n, cut_imp, cut_exp, bad)


# ---------------------------------------------------------------------------
# firm level
# ---------------------------------------------------------------------------


class _Side(NamedTuple):
    """The firms drawn on one side (importers or exporters) of every cell, flattened over cells."""

    n_firms: np.ndarray  # (cells,)
    productivity: np.ndarray  # (cells, slots), 0 in empty slots
    mask: np.ndarray  # (cells, slots)
    weight: np.ndarray  # productivity^(sigma-1), 0 in empty slots


def _draw_side(key_count, key_draw, mean, cutoff, k: float, s: float) -> _Side:
    """Poisson(``mean``) firms per cell with Pareto(k) productivity above ``cutoff`` (flat cell arrays)."""
    n_cells = mean.size
    count = np.asarray(_draw_counts_jit(key_count, jnp.asarray(mean)))
    slots = _slots(count.max())
    if slots * n_cells > _MAX_FIRM_SLOTS:
        raise ValueError(
            f"scale: {slots} firm slots x {n_cells} cells exceeds {_MAX_FIRM_SLOTS}; lower scale or firms_per_cell"
        )
    prod, mask = _draw_firms_jit(key_draw, jnp.asarray(count), jnp.asarray(cutoff), k, slots)
    prod, mask = np.asarray(prod), np.asarray(mask)
    return _Side(count, prod, mask, np.where(mask, prod ** (s - 1.0), 0.0))


class _Flows(NamedTuple):
    """Cell totals of one goods type (shape (P, C, T)) and, when drawn, its firm-level frames."""

    R: np.ndarray
    M: np.ndarray
    n_exporters: np.ndarray
    firms: list[pd.DataFrame]


def _expected_flows(cells: _Cells, scale: float) -> _Flows:
    """No firm noise: the Poisson means and scale x R_model."""
    ex = cells.expected
    return _Flows(np.asarray(scale * ex.R), np.asarray(scale * ex.importers), np.asarray(scale * ex.exporters), [])


def _firm_frame(h: str, side: str, drawn: _Side, flow, traded, config: PanelConfig) -> pd.DataFrame:
    """The firms of one side of the h cells with positive trade (they import or export)."""
    pcs = np.stack(np.unravel_index(np.arange(drawn.mask.shape[0]), config.shape), axis=1)  # (cells, 3)
    mask = drawn.mask & traded[:, None]
    ci, _ = np.nonzero(mask)
    return pd.DataFrame(
        {
            "product": pcs[ci, 0], "country": pcs[ci, 1], "year": config.year_labels[pcs[ci, 2]],
            "goods": h, "side": side, "productivity": drawn.productivity[mask], "flow": flow[mask],
        }
    )  # fmt: skip


def _drawn_flows(h: str, cells: _Cells, keys, scale: float, k: float, s: float, config: PanelConfig) -> _Flows:
    """Draw both sides of every h cell and split the cell totals across firms (module docstring)."""
    k_cnt_imp, k_cnt_exp, k_draw_imp, k_draw_exp = keys
    ex, base = cells.expected, cells.base
    demand = np.asarray(ex.demand).ravel()
    inside = ~cells.outside.ravel()  # no firms in cells outside the regime (dropped from the panel)
    exp = _draw_side(k_cnt_exp, k_draw_exp, np.where(inside, scale * ex.exporters.ravel(), 0.0),
                     cells.cut_exp.ravel(), k, s)  # fmt: skip
    if isinstance(base, InputCellBase):
        imp = _draw_side(k_cnt_imp, k_draw_imp, np.where(inside, scale * ex.importers.ravel(), 0.0),
                         cells.cut_imp.ravel(), k, s)  # fmt: skip
        norm = scale * float(base.M_E_i) * float(base.VF_dom)
        S_exp, S_imp = exp.weight.sum(axis=1), imp.weight.sum(axis=1)
        R = demand * S_exp * S_imp / norm
        flow_imp = (demand * S_exp / norm)[:, None] * imp.weight  # row sums of r_xm
        flow_exp = (demand * S_imp / norm)[:, None] * exp.weight  # column sums of r_xm
        trade = (imp.n_firms > 0) & (exp.n_firms > 0)
        M, n_exp = np.where(trade, imp.n_firms, 0), np.where(trade, exp.n_firms, 0)
    else:  # consumers import directly: each exporter is paired with one importer of the same flow
        flow_exp = demand[:, None] * exp.weight
        R = flow_exp.sum(axis=1)
        imp, flow_imp = exp, flow_exp
        M = n_exp = exp.n_firms
    firms = []
    if config.return_firms:
        traded = R > 0  # firms of cells without trade are not importers/exporters
        for side, drawn, flow in (("importer", imp, flow_imp), ("exporter", exp, flow_exp)):
            firms.append(_firm_frame(h, side, drawn, flow, traded, config))
    shape = config.shape
    return _Flows(R.reshape(shape), M.reshape(shape).astype(float), n_exp.reshape(shape).astype(float), firms)


# ---------------------------------------------------------------------------
# assembly
# ---------------------------------------------------------------------------


def _goods_frame(h: str, design: _Design, cells: _Cells, flows: _Flows, year_labels) -> pd.DataFrame:
    """One row per (p, c, t) cell of goods type h, in :data:`PANEL_COLUMNS` order and the extras."""
    P, C, T = design.ln_tau.shape
    pp, cc, tt = (a.ravel() for a in np.meshgrid(np.arange(P), np.arange(C), np.arange(T), indexing="ij"))
    with np.errstate(divide="ignore", invalid="ignore"):
        rbar = np.where(flows.M > 0, flows.R / np.where(flows.M > 0, flows.M, 1.0), np.nan)
    frame = pd.DataFrame(
        {
            "product": pp, "country": cc, "year": year_labels[tt], "goods": h,
            "tau": np.exp(design.ln_tau).ravel(), "tariff": design.tariff.ravel(), "dist": design.dist[cc],
            "R": flows.R.ravel(), "M": flows.M.ravel(), "rbar": rbar.ravel(),
            "n_exporters": flows.n_exporters.ravel(), "R_model": cells.expected.R.ravel(),
            "ln_demand_shift": cells.ln_b.ravel(), "ln_supply_shift": cells.ln_n.ravel(),
        }
    )  # fmt: skip
    return frame[~cells.outside.ravel()] if cells.outside.any() else frame


def true_elasticities(sigma, k) -> dict:
    """Partial elasticities -d ln E[Z] / d ln tau of the simulated cell quantities.

    Returns ``{"I": {...}, "F": {...}}`` with keys ``R``, ``M``, ``rbar``,
    ``n_exporters`` (see the module docstring); zeta_I = k(sigma-1)/(2(sigma-1)-k),
    zeta_F = k (Proposition 2).

    Examples
    --------
    >>> true_elasticities(4.0, 4.5)["I"]
    {'R': 9.0, 'M': 9.0, 'rbar': 0.0, 'n_exporters': 9.0}
    """
    cf = closed_form_elasticities(float(sigma), float(k))
    zI, zF = float(cf["zeta_I"]), float(cf["zeta_F"])
    return {
        "I": {"R": zI, "M": zI, "rbar": 0.0, "n_exporters": zI},
        "F": {"R": zF, "M": zF, "rbar": 0.0, "n_exporters": zF},
    }


# ---------------------------------------------------------------------------
# main entry point
# ---------------------------------------------------------------------------


def simulate_panel(
    params: VerticalParams,
    solution,
    key,
    config: PanelConfig | None = None,
    **options,
):
    """Simulate a product x country x year panel of import flows into country i (section 3).

    Implements the design of the module docstring: each cell (p, c, t) is the
    two-country model between the importer i and exporter c with
    tau_pct = dist_c^delta (1 + tariff_pct); demand indices (product-year
    shifters) and exporter entry masses (country-year shifters) are held
    fixed while the trade-selection cutoffs solve (6) and (12) (h = I) or
    (6') (h = F); firms are Poisson in number and Pareto in productivity
    above the cutoffs. The output decomposes imports as in eq. (23),
    R_pct = M_pct x rbar_pct.

    Parameters
    ----------
    params:
        :class:`~jaxtrade.models.vertical.params.VerticalParams` of one
        industry; country i (index 0) imports, country j (index 1) is the
        template of every exporter.
    solution:
        The base equilibria of ``params`` the cells are built on: an
        :class:`~jaxtrade.models.vertical.solve.InputTradeEquilibrium` (needed
        for ``goods`` "I"), a
        :class:`~jaxtrade.models.vertical.solve.FinalTradeEquilibrium` (for
        "F"), a tuple of both, or ``None``: what is missing is solved here
        (``solve_input_trade(params)``, ``solve_final_trade(params)``). Given
        equilibria are checked against ``params`` (their conditions recomputed).
        Each must be valid.
    key:
        A ``jax.random`` key or an int seed (``jax.random.PRNGKey(seed)``).
        Equal keys give identical panels.
    config:
        The panel's design, a :class:`PanelConfig` (default ``PanelConfig()``).
    **options:
        :class:`PanelConfig` fields overriding ``config`` (``n_products``,
        ``n_countries``, ``years``, ``goods``, ``delta``, ``dist``,
        ``dist_range``, ``tariffs``, ``max_tariff``, ``tariff_decline``,
        ``tariff_noise``, ``demand_sd``, ``supply_sd``, ``scale``,
        ``firms_per_cell``, ``expected``, ``return_firms``, ``outside_regime``).

    Returns
    -------
    pandas.DataFrame
        One row per (goods, product, country, year) and columns
        ``product, country, year, goods, tau, tariff, dist, R, M, rbar,
        n_exporters, R_model, ln_demand_shift, ln_supply_shift``. ``R`` is the
        sum of firm flows (model units per firm), ``M`` the number of importing
        firms with positive imports, ``rbar = R / M`` (NaN when M = 0),
        ``R_model`` the model's partial-equilibrium flow (model units, no firm
        noise). ``df.attrs`` holds ``elasticities`` (:func:`true_elasticities`),
        ``zeta_I``, ``zeta_F``, ``closed_form`` (Proposition 2 and its margin
        decomposition), ``scale``, ``delta``, ``sigma``, ``k``, ``expected``,
        ``cells_outside_regime`` (goods -> number of cells excluded; 0 unless
        ``outside_regime="drop"``).

        With ``return_firms=True``: ``(df, firms)`` where ``firms`` has the
        columns :data:`FIRM_COLUMNS` (``side`` is "importer" or "exporter");
        for h = F every exporter is paired with one importer of the same flow
        and productivity.

    Raises
    ------
    ValueError
        For bad arguments (the message names the argument), an invalid base
        equilibrium, a cell outside the Pareto/selection regime, or too many
        firm slots (reduce ``scale`` / ``firms_per_cell``).

    Examples
    --------
    >>> from jaxtrade.models.vertical import PanelConfig, simulate_panel, vertical_params
    >>> cfg = PanelConfig(n_products=3, n_countries=4, years=2, goods="I", expected=True)
    >>> df = simulate_panel(vertical_params(), None, 0, cfg)  # no firm noise: R = scale x R_model
    >>> len(df), df.attrs["zeta_I"], bool((df["rbar"] > 0).all())
    (24, 9.0, True)
    """
    config = _panel_config(config, options)
    if not isinstance(params, VerticalParams):
        raise ValueError(f"params must be a VerticalParams, got {type(params).__name__}")
    if params.n_industries is not None:
        raise ValueError(f"params must describe one industry, got {params.n_industries} stacked industries")
    validate_params(params)
    k_design, k_firm = _split_jit(_as_key(key), 2)  # fixed key layout, whatever is simulated
    design = _design(config, k_design)
    eqs = _base_equilibria(params, solution, config.goods)
    s, k = float(params.sigma), float(params.k)
    cells = {h: _cells(h, params, eqs[h], design, config.outside_regime) for h in config.goods}
    if all(cells[h].outside.all() for h in config.goods):
        raise ValueError("every cell leaves the Pareto/selection regime; change the design (delta, dist_range, "
                         "demand_sd, supply_sd) or params")  # fmt: skip
    scale = config.scale
    if scale is None:
        inside = [cells[h].expected.importers[~cells[h].outside] for h in config.goods]
        med = np.median(np.concatenate(inside))
        scale = config.firms_per_cell / float(med)

    firm_keys = _split_jit(k_firm, 4 * len(GOODS))  # per goods: counts (imp, exp), draws (imp, exp)
    flows = {}
    for h in config.goods:
        g = GOODS.index(h)
        keys = tuple(firm_keys[4 * g + r] for r in range(4))
        if config.expected:
            flows[h] = _expected_flows(cells[h], scale)
        else:
            flows[h] = _drawn_flows(h, cells[h], keys, scale, k, s, config)

    labels = config.year_labels
    df = pd.concat([_goods_frame(h, design, cells[h], flows[h], labels) for h in config.goods], ignore_index=True)
    cf = closed_form_elasticities(s, k)
    el = true_elasticities(s, k)
    df.attrs.update(
        elasticities=el, zeta_I=el["I"]["R"], zeta_F=el["F"]["R"],
        closed_form={n: float(v) for n, v in cf.items()}, scale=float(scale), delta=float(config.delta),
        sigma=s, k=k, expected=config.expected,
        cells_outside_regime={h: int(cells[h].outside.sum()) for h in config.goods},
    )  # fmt: skip
    if config.return_firms:
        frames = [f for h in config.goods for f in flows[h].firms]
        firms = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(FIRM_COLUMNS))
        return df, firms
    return df
