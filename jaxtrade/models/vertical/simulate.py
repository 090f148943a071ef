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

      a x - theta y = ln f^F_ji + a ln tau - ln B^F_i - ln[(sigma/(sigma-1))^(1-sigma) N^E_j k phi_min,j^k / theta]   (6)
     -theta x + a y = ln f^I_ji + a ln tau - ln B^I_i - ln[k varphi_min,i^k / theta] + ln V^F_i(varphi*_ii)          (12)

  with determinant a^2 - theta^2 = k (2(sigma-1) - k) > 0 under Assumption 1
  (eq. 19); the closed-form solution is the one the Newton system of
  :func:`jaxtrade.models.vertical.statics._input_partial_system` converges to
  (checked in the tests). Flow (A.17):
  R^I_ji = sigma Lambda~^F_ji tau^(1-sigma) B^I_i N^E_j V^I_j(phi*_ji).
* h = F (Proposition 1(ii)): condition (6'),
  tau^(1-sigma) Gamma_j^(1-sigma) B^F_i (varphi*_ji)^(sigma-1) = f^F_ji, in
  closed form; flow R^F_ji = sigma B^F_i tau^(1-sigma) Gamma_j^(1-sigma) M^E_j V^F_j(varphi*_ji).

Every cell must stay in the Pareto regime with selection: the moving
cutoffs above their Pareto lower bounds, varphi~*_ii > varphi*_ii (7),
phi*_ji > phi*_ii (13) and, for final goods, varphi*_ji > varphi*_jj;
otherwise a ``ValueError`` names the cells and the dispersion arguments to
change. Inside the regime the expected flows are exact power laws in tau, so
the partial elasticities are the paper's closed forms (see below).

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
:func:`~jaxtrade.models.vertical.statics.closed_form_elasticities`). The
elasticity with respect to ln(1 + tariff) is the same; with respect to
ln dist it is delta times it.

**Computation.** Cell quantities are elementwise JAX functions of the cell
arrays; firm draws use ``jax.random`` with one key per cell and ``jax.vmap``
over cells, with a fixed maximum number of firms per cell (the largest
Poisson draw, rounded up to a power of two) and a mask. All arithmetic is
float64. The optional firm-level frame lists the firms of cells with
positive trade only (they are the importing and exporting firms).
"""

from __future__ import annotations

import numbers
from functools import partial
from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from jaxtrade.models.vertical.equilibrium import solve_final_trade, solve_input_trade
from jaxtrade.models.vertical.params import VerticalParams, validate_params
from jaxtrade.models.vertical.pareto import V, survival
from jaxtrade.models.vertical.statics import closed_form_elasticities

__all__ = [
    "GOODS", "PANEL_COLUMNS", "FinalCellBase", "InputCellBase", "final_cell_base", "final_cell_expected",
    "input_cell_base", "input_cell_cutoffs", "input_cell_expected", "simulate_panel", "true_elasticities",
]  # fmt: skip

GOODS = ("I", "F")
PANEL_COLUMNS = (
    "product", "country", "year", "goods", "tau", "tariff", "dist", "R", "M", "rbar", "n_exporters",
)  # fmt: skip
"""Columns required by the brief; :func:`simulate_panel` adds ``R_model``,
``ln_demand_shift`` and ``ln_supply_shift`` after them."""

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


def input_cell_base(params: VerticalParams, eq=None) -> InputCellBase:
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


def final_cell_base(params: VerticalParams, eqF=None) -> FinalCellBase:
    """Fixed objects for h = F cells from the final-goods-trade equilibrium of ``params``."""
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
    ln_g = (1.0 - s) * jnp.log(s / (s - 1.0))  # (sigma/(sigma-1))^(1-sigma), eq. (18)
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


@jax.jit
def input_cell_expected(ln_tau, ln_b, ln_n, base: InputCellBase) -> dict:
    """Noise-free h = I cell quantities in model units (continuum of firms).

    Returns a dict of arrays: ``varphi_tilde`` (varphi~*_ii), ``phi_ji``,
    ``Lambda_F_tilde`` (V^F(varphi~*_ii) / V^F(varphi*_ii), after eq. 9),
    ``R`` (R^I_ji = sigma Lambda~^F_ji tau^(1-sigma) B^I_i N^E_j V^I_j(phi*_ji), A.17),
    ``importers`` (M^E_i (1 - G(varphi~*_ii))), ``exporters``
    (N^E_j (1 - G(phi*_ji))) and ``demand`` (sigma tau^(1-sigma) B^I_i, the
    pair-flow factor of the module docstring).
    """
    s, k = base.sigma, base.k
    varphi_t, phi_ji = input_cell_cutoffs(ln_tau, ln_b, ln_n, base)
    Lam_F = V(varphi_t, base.varphi_min_i, k, s) / base.VF_dom
    demand = s * jnp.exp((1.0 - s) * ln_tau) * base.B_I_i * jnp.exp(ln_b)
    N_j = base.N_E_j * jnp.exp(ln_n)
    R = demand * Lam_F * N_j * V(phi_ji, base.phi_min_j, k, s)
    return dict(
        varphi_tilde=varphi_t, phi_ji=phi_ji, Lambda_F_tilde=Lam_F, R=R,
        importers=jnp.broadcast_to(base.M_E_i * survival(varphi_t, base.varphi_min_i, k), R.shape),
        exporters=N_j * survival(phi_ji, base.phi_min_j, k), demand=demand,
    )  # fmt: skip


@jax.jit
def final_cell_expected(ln_tau, ln_b, ln_n, base: FinalCellBase) -> dict:
    """Noise-free h = F cell quantities in model units (Proposition 1(ii)).

    Condition (6') gives varphi*_ji = [f^F_ji / (tau^(1-sigma) Gamma_j^(1-sigma) B^F_i)]^(1/(sigma-1)).
    Returns ``varphi_ji``, ``R`` (sigma B^F_i tau^(1-sigma) Gamma_j^(1-sigma) M^E_j V^F_j(varphi*_ji)),
    ``exporters`` (M^E_j (1 - G(varphi*_ji))), ``importers`` (= exporters) and
    ``demand`` (sigma B^F_i (tau Gamma_j)^(1-sigma), so that r(varphi) = demand varphi^(sigma-1)).
    """
    s, k = base.sigma, base.k
    a = s - 1.0
    demand = s * jnp.exp(a * (-ln_tau)) * base.Gamma_j_1ms * base.B_F_i * jnp.exp(ln_b)
    varphi_ji = (base.f_F_ji * s / demand) ** (1.0 / a)
    M_j = base.M_E_j * jnp.exp(ln_n)
    R = demand * M_j * V(varphi_ji, base.varphi_min_j, k, s)
    ex = M_j * survival(varphi_ji, base.varphi_min_j, k)
    return dict(varphi_ji=varphi_ji, R=R, exporters=ex, importers=ex, demand=demand)


# ---------------------------------------------------------------------------
# firm draws
# ---------------------------------------------------------------------------


def _pareto_cell(key, count, cutoff, k, n_max: int):
    """One cell: ``n_max`` Pareto(k) draws above ``cutoff``, masked to the first ``count``."""
    u = jax.random.uniform(key, (n_max,), dtype=jnp.float64)
    prod = cutoff * (1.0 - u) ** (-1.0 / k)  # 1 - u in (0, 1]
    mask = jnp.arange(n_max) < count
    return jnp.where(mask, prod, 0.0), mask


@partial(jax.jit, static_argnums=(1, 2, 3))
def _design_draws(key, P: int, C: int, T: int) -> dict:
    """Standard uniform / normal draws behind distances, tariffs and shifters (one key layout)."""
    k_dist, k_tar0, k_tarn, k_dem, k_sup = jax.random.split(key, 5)
    f = jnp.float64
    return dict(
        u_dist=jax.random.uniform(k_dist, (C,), dtype=f),
        u_tariff=jax.random.uniform(k_tar0, (P, C, 1), dtype=f),
        e_tariff=jax.random.normal(k_tarn, (P, C, T), dtype=f),
        e_demand=jax.random.normal(k_dem, (len(GOODS), P, 1, T), dtype=f),
        e_supply=jax.random.normal(k_sup, (len(GOODS), 1, C, T), dtype=f),
    )


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
        raise ValueError(f"years must be a positive integer (number of years) or a sequence of year labels, got {years!r}")
    lab = np.asarray(list(years))
    if lab.ndim != 1 or lab.size == 0:
        raise ValueError(f"years must be a non-empty 1-D sequence of labels, got {years!r}")
    if len(set(lab.tolist())) != lab.size:
        raise ValueError(f"years labels must be distinct, got {lab.tolist()}")
    return lab


def _as_key(seed):
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return jax.random.PRNGKey(int(seed))
    if isinstance(seed, jax.Array):
        if jnp.issubdtype(seed.dtype, jax.dtypes.prng_key):
            return seed
        if seed.dtype == jnp.uint32 and seed.shape == (2,):
            return seed
    raise ValueError(f"seed must be an int or a jax.random.PRNGKey, got {seed!r}")


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
# main entry point
# ---------------------------------------------------------------------------


def true_elasticities(sigma, k) -> dict:
    """Partial elasticities -d ln E[Z] / d ln tau of the simulated cell quantities.

    Returns ``{"I": {...}, "F": {...}}`` with keys ``R``, ``M``, ``rbar``,
    ``n_exporters`` (see the module docstring); zeta_I = k(sigma-1)/(2(sigma-1)-k),
    zeta_F = k (Proposition 2).
    """
    cf = closed_form_elasticities(float(sigma), float(k))
    zI, zF = float(cf["zeta_I"]), float(cf["zeta_F"])
    return {
        "I": {"R": zI, "M": zI, "rbar": 0.0, "n_exporters": zI},
        "F": {"R": zF, "M": zF, "rbar": 0.0, "n_exporters": zF},
    }


def simulate_panel(
    params: VerticalParams,
    n_products: int,
    n_countries: int,
    years,
    seed,
    *,
    goods: Sequence[str] = GOODS,
    delta: float = 0.15,
    dist=None,
    dist_range: tuple[float, float] = (5.0, 20.0),
    tariffs=None,
    max_tariff: float = 0.2,
    tariff_decline: float = 0.5,
    tariff_noise: float = 0.1,
    demand_sd: float = 0.2,
    supply_sd: float = 0.2,
    scale: float | None = None,
    firms_per_cell: float = 40.0,
    expected: bool = False,
    return_firms: bool = False,
):
    """Simulate a product x country x year panel of import flows into country i.

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
        :class:`VerticalParams` of one industry; country i (index 0) imports,
        country j (index 1) is the template of every exporter. Its base
        equilibria (input trade and final-goods trade) must be valid.
    n_products, n_countries:
        Numbers of products p and exporting countries c.
    years:
        Number of years, or a sequence of distinct year labels.
    seed:
        ``jax.random.PRNGKey`` or int. Equal seeds give identical panels.
    goods:
        Goods types to simulate, a subset of ``("I", "F")``.
    delta:
        Distance elasticity of tau, tau_pct = dist_c^delta (1 + tariff_pct).
    dist:
        Distances dist_c, shape (n_countries,), each >= 1 (units in which
        dist^delta is the distance part of the iceberg cost). Default: drawn
        log-uniformly on ``dist_range``.
    tariffs:
        Ad-valorem tariffs t_pct >= 0, shape (n_products, n_countries,
        n_years). Default: t_pct = u_pc (1 - tariff_decline x t/(T-1))
        exp(tariff_noise e_pct - tariff_noise^2/2) with u_pc ~ U(0, max_tariff),
        e_pct ~ N(0, 1).
    demand_sd, supply_sd:
        Standard deviations of the log product-year demand shifter (on B_i)
        and of the log country-year supply shifter (on N^E_j or M^E_j).
    scale:
        Simulated firms per unit mass of the model's continuum. Default:
        chosen so that the median expected number of importing firms over
        all simulated cells is ``firms_per_cell``.
    expected:
        True: no firm noise; R = scale x R_model, M and n_exporters are the
        Poisson means (non-integer).
    return_firms:
        Also return the firm-level DataFrame (empty when ``expected``).

    Returns
    -------
    DataFrame with one row per (goods, product, country, year) and columns
    ``product, country, year, goods, tau, tariff, dist, R, M, rbar,
    n_exporters, R_model, ln_demand_shift, ln_supply_shift``. ``R`` is the
    sum of firm flows (model units per firm), ``M`` the number of importing
    firms with positive imports, ``rbar = R / M`` (NaN when M = 0),
    ``R_model`` the model's partial-equilibrium flow (model units, no firm
    noise). ``df.attrs`` holds ``elasticities`` (:func:`true_elasticities`),
    ``zeta_I``, ``zeta_F``, ``closed_form`` (Proposition 2 and its margin
    decomposition), ``scale``, ``delta``, ``sigma``, ``k``, ``expected``.

    With ``return_firms=True``: ``(df, firms)`` where ``firms`` has columns
    ``product, country, year, goods, side ("importer" or "exporter"),
    productivity, flow``; for h = F every exporter is paired with one
    importer of the same flow and productivity.

    Raises
    ------
    ValueError
        For bad arguments (the message names the argument), an invalid base
        equilibrium, a cell outside the Pareto/selection regime, or too many
        firm slots (reduce ``scale`` / ``firms_per_cell``).
    """
    # ---- arguments -------------------------------------------------------
    if not isinstance(params, VerticalParams):
        raise ValueError(f"params must be a VerticalParams, got {type(params).__name__}")
    if params.n_industries is not None:
        raise ValueError(f"params must describe one industry, got {params.n_industries} stacked industries")
    validate_params(params)
    P = _positive_int(n_products, "n_products")
    C = _positive_int(n_countries, "n_countries")
    year_labels = _year_labels(years)
    T = year_labels.size
    key = _as_key(seed)
    if isinstance(goods, str):
        goods = (goods,)
    goods = tuple(goods)
    if not goods or any(g not in GOODS for g in goods) or len(set(goods)) != len(goods):
        raise ValueError(f"goods must be a non-empty subset of {GOODS} without repeats, got {goods!r}")
    delta = _nonneg_float(delta, "delta")
    max_tariff = _nonneg_float(max_tariff, "max_tariff")
    tariff_decline = _nonneg_float(tariff_decline, "tariff_decline")
    if tariff_decline > 1.0:
        raise ValueError(f"tariff_decline must lie in [0, 1], got {tariff_decline}")
    tariff_noise = _nonneg_float(tariff_noise, "tariff_noise")
    demand_sd = _nonneg_float(demand_sd, "demand_sd")
    supply_sd = _nonneg_float(supply_sd, "supply_sd")
    firms_per_cell = _nonneg_float(firms_per_cell, "firms_per_cell", positive=True)
    if scale is not None:
        scale = _nonneg_float(scale, "scale", positive=True)
    try:
        lo, hi = (float(v) for v in dist_range)
    except (TypeError, ValueError):
        raise ValueError(f"dist_range must be a pair (low, high), got {dist_range!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and 1.0 <= lo <= hi):
        raise ValueError(f"dist_range must satisfy 1 <= low <= high (finite), got {dist_range!r}")

    if dist is not None:
        dist = _array_arg(dist, (C,), "dist", lower=1.0, lower_name=">= 1 (iceberg cost dist^delta >= 1)")
    if tariffs is not None:
        tariffs = _array_arg(tariffs, (P, C, T), "tariffs", lower=0.0, lower_name="non-negative")

    # ---- random draws (fixed key layout, whatever is passed in) ----------
    k_design, k_firm = _split_jit(key, 2)
    d = {n: np.asarray(v) for n, v in _design_draws(k_design, P, C, T).items()}
    dist_c = np.exp(np.log(lo) + (np.log(hi) - np.log(lo)) * d["u_dist"]) if dist is None else dist
    if tariffs is None:
        trend = 1.0 - tariff_decline * (np.arange(T) / max(T - 1, 1))
        tariff = max_tariff * d["u_tariff"] * trend[None, None, :] * np.exp(tariff_noise * d["e_tariff"] - 0.5 * tariff_noise**2)
    else:
        tariff = tariffs
    ln_tau = delta * np.log(dist_c)[None, :, None] + np.log1p(tariff)  # (P, C, T)
    n_goods_all = len(GOODS)
    ln_b_all = demand_sd * d["e_demand"]  # (goods, P, 1, T)
    ln_n_all = supply_sd * d["e_supply"]  # (goods, 1, C, T)

    # ---- base equilibria and noise-free cells ----------------------------
    s, k = float(params.sigma), float(params.k)
    shape = (P, C, T)
    cells = {}
    for h in goods:
        g = GOODS.index(h)
        ln_b = np.broadcast_to(ln_b_all[g], shape)
        ln_n = np.broadcast_to(ln_n_all[g], shape)
        if h == "I":
            eq = solve_input_trade(params)
            if not bool(eq.valid):
                raise ValueError("params: the base input-trade equilibrium is not valid (selection, Pareto bounds or outside good fail)")
            base = input_cell_base(params, eq)
            ex = {n: np.asarray(v) for n, v in input_cell_expected(ln_tau, ln_b, ln_n, base).items()}
            bad = (
                (ex["varphi_tilde"] <= float(base.varphi_ii)) | (ex["phi_ji"] <= float(base.phi_ii))
                | (ex["varphi_tilde"] < float(base.varphi_min_i)) | (ex["phi_ji"] < float(base.phi_min_j))
            )  # fmt: skip
            rule = "varphi~*_ii > varphi*_ii (7), phi*_ji > phi*_ii (13), cutoffs above the Pareto lower bounds"
            cut_imp, cut_exp = ex["varphi_tilde"], ex["phi_ji"]
        else:
            eqF = solve_final_trade(params)
            if not bool(eqF.valid):
                raise ValueError("params: the base final-goods-trade equilibrium is not valid (selection, Pareto bounds or outside good fail)")
            base = final_cell_base(params, eqF)
            ex = {n: np.asarray(v) for n, v in final_cell_expected(ln_tau, ln_b, ln_n, base).items()}
            bad = (ex["varphi_ji"] <= float(base.varphi_jj)) | (ex["varphi_ji"] < float(base.varphi_min_j))
            rule = "varphi*_ji > varphi*_jj (selection into exporting) and above the Pareto lower bound"
            cut_imp = cut_exp = ex["varphi_ji"]
        if np.any(bad):
            idx = np.argwhere(bad)[:5].tolist()
            raise ValueError(
                f"goods={h!r}: {int(bad.sum())} cell(s) leave the regime {rule}, e.g. (p, c, t) = {idx} "
                f"with tau = {np.exp(ln_tau[bad][:5]).round(4).tolist()}; raise delta or dist/dist_range, "
                "or lower demand_sd/supply_sd, or use params whose base tau is lower"
            )
        cells[h] = dict(ex=ex, base=base, ln_b=ln_b, ln_n=ln_n, cut_imp=cut_imp, cut_exp=cut_exp)

    if scale is None:
        med = np.median(np.concatenate([cells[h]["ex"]["importers"].ravel() for h in goods]))
        scale = firms_per_cell / float(med)

    # ---- firm level -------------------------------------------------------
    n_cells = P * C * T
    firm_keys = _split_jit(k_firm, 4 * n_goods_all)  # per goods: counts (imp, exp), draws (imp, exp)
    out = {}
    firm_frames = []
    for h in goods:
        c = cells[h]
        ex = c["ex"]
        R_model = ex["R"]
        if expected:
            M = scale * ex["importers"]
            n_exp = scale * ex["exporters"]
            R = scale * R_model
        else:
            g = GOODS.index(h)
            k_cnt_imp, k_cnt_exp, k_draw_imp, k_draw_exp = (firm_keys[4 * g + r] for r in range(4))
            mean_exp = jnp.asarray(scale * ex["exporters"].ravel())
            cnt_exp = np.asarray(_draw_counts_jit(k_cnt_exp, mean_exp))
            K_exp = _slots(cnt_exp.max())
            if K_exp * n_cells > _MAX_FIRM_SLOTS:
                raise ValueError(
                    f"scale: {K_exp} firm slots x {n_cells} cells exceeds {_MAX_FIRM_SLOTS}; lower scale or firms_per_cell"
                )
            prod_exp, mask_exp = _draw_firms_jit(k_draw_exp, jnp.asarray(cnt_exp), jnp.asarray(c["cut_exp"].ravel()), k, K_exp)
            prod_exp, mask_exp = np.asarray(prod_exp), np.asarray(mask_exp)
            w_exp = np.where(mask_exp, prod_exp ** (s - 1.0), 0.0)
            demand = ex["demand"].ravel()
            if h == "I":
                mean_imp = jnp.asarray(scale * ex["importers"].ravel())
                cnt_imp = np.asarray(_draw_counts_jit(k_cnt_imp, mean_imp))
                K_imp = _slots(cnt_imp.max())
                if K_imp * n_cells > _MAX_FIRM_SLOTS:
                    raise ValueError(
                        f"scale: {K_imp} firm slots x {n_cells} cells exceeds {_MAX_FIRM_SLOTS}; lower scale or firms_per_cell"
                    )
                prod_imp, mask_imp = _draw_firms_jit(k_draw_imp, jnp.asarray(cnt_imp), jnp.asarray(c["cut_imp"].ravel()), k, K_imp)
                prod_imp, mask_imp = np.asarray(prod_imp), np.asarray(mask_imp)
                w_imp = np.where(mask_imp, prod_imp ** (s - 1.0), 0.0)
                norm = scale * float(c["base"].M_E_i) * float(c["base"].VF_dom)
                S_exp, S_imp = w_exp.sum(axis=1), w_imp.sum(axis=1)
                R_flat = demand * S_exp * S_imp / norm
                flow_imp = (demand * S_exp / norm)[:, None] * w_imp  # row sums of r_xm
                flow_exp = (demand * S_imp / norm)[:, None] * w_exp  # column sums of r_xm
                trade = (cnt_imp > 0) & (cnt_exp > 0)
                M_flat = np.where(trade, cnt_imp, 0)
                n_exp_flat = np.where(trade, cnt_exp, 0)
            else:
                flow_exp = demand[:, None] * w_exp
                R_flat = flow_exp.sum(axis=1)
                prod_imp, mask_imp, flow_imp = prod_exp, mask_exp, flow_exp
                M_flat = n_exp_flat = cnt_exp
            M = M_flat.reshape(shape).astype(float)
            n_exp = n_exp_flat.reshape(shape).astype(float)
            R = R_flat.reshape(shape)
            if return_firms:
                pcs = np.stack(np.unravel_index(np.arange(n_cells), shape), axis=1)  # (cells, 3)
                traded = (R_flat > 0)[:, None]  # firms of cells without trade are not importers/exporters
                for side, prod, mask, flow in (("importer", prod_imp, mask_imp, flow_imp), ("exporter", prod_exp, mask_exp, flow_exp)):
                    mask = mask & traded
                    ci, _ = np.nonzero(mask)
                    firm_frames.append(
                        pd.DataFrame(
                            {
                                "product": pcs[ci, 0], "country": pcs[ci, 1], "year": year_labels[pcs[ci, 2]],
                                "goods": h, "side": side, "productivity": prod[mask], "flow": flow[mask],
                            }
                        )  # fmt: skip
                    )
        with np.errstate(divide="ignore", invalid="ignore"):
            rbar = np.where(M > 0, R / np.where(M > 0, M, 1.0), np.nan)
        out[h] = dict(R=R, M=M, rbar=rbar, n_exporters=n_exp, R_model=R_model, ln_b=c["ln_b"], ln_n=c["ln_n"])

    # ---- assemble ---------------------------------------------------------
    pp, cc, tt = (a.ravel() for a in np.meshgrid(np.arange(P), np.arange(C), np.arange(T), indexing="ij"))
    frames = []
    for h in goods:
        o = out[h]
        frames.append(
            pd.DataFrame(
                {
                    "product": pp, "country": cc, "year": year_labels[tt], "goods": h,
                    "tau": np.exp(ln_tau).ravel(), "tariff": tariff.ravel(), "dist": dist_c[cc],
                    "R": o["R"].ravel(), "M": o["M"].ravel(), "rbar": o["rbar"].ravel(),
                    "n_exporters": o["n_exporters"].ravel(), "R_model": o["R_model"].ravel(),
                    "ln_demand_shift": o["ln_b"].ravel(), "ln_supply_shift": o["ln_n"].ravel(),
                }
            )  # fmt: skip
        )
    df = pd.concat(frames, ignore_index=True)
    cf = closed_form_elasticities(s, k)
    el = true_elasticities(s, k)
    df.attrs.update(
        elasticities=el, zeta_I=el["I"]["R"], zeta_F=el["F"]["R"],
        closed_form={n: float(v) for n, v in cf.items()}, scale=float(scale), delta=float(delta),
        sigma=s, k=k, expected=bool(expected),
    )  # fmt: skip
    if return_firms:
        cols = ["product", "country", "year", "goods", "side", "productivity", "flow"]
        firms = pd.concat(firm_frames, ignore_index=True) if firm_frames else pd.DataFrame(columns=cols)
        return df, firms
    return df
