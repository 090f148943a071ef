"""Firm-level decisions and new-exporter dynamics (Heo & Kim 2025, section 5: eq. 32-34, Figures 4-6).

Everything is computed from a solved :class:`~.solve.Equilibrium`
(no re-solve) and is a pure, ``jit``/``vmap``-able function of it.

Add/drop thresholds (eq. 32, Figures 4 and 5). For a firm at threshold
index ``i`` comparing its current portfolio with ``j``, eq. (32) divided by W
(values are v = V/W, Q = beta in the steady state) is ``gap(z) = 0`` with

    gap_ij(z) = benefit_ij(z) - cost_ij,
    benefit_ij(z) = (1 - E(z)) beta E[v(z', j) - v(z', i) | z],
    cost_ij = f(omega_i, omega_j) - f(omega_i, omega_i),

i.e. the difference of the hard-max choice values ``x(z, i, j) - x(z, i, i)``
of the Bellman equation (21) (with logit smoothing on, the values v solved
with the taste shocks are kept, but the comparison is the deterministic
one, without the shocks). ``gap`` is known on the z grid; the crossing is
found by linear interpolation of ``gap`` in log z between the two grid
points that bracket the sign change.

* ``j > i`` (expansion): switching is optimal where ``gap > 0``; the
  threshold is the upper end of the last interval where ``gap`` turns from
  <= 0 to > 0, so every grid point above it prefers j (``z_add`` for
  ``j = i + 1``).
* ``j < i`` (contraction): the threshold is the first interval from the
  bottom where ``gap`` turns from > 0 to <= 0, so every grid point below it
  prefers j (``z_drop`` for ``j = i - 1``).

Where there is no such crossing the threshold is NaN and ``status`` says
why: ``ALWAYS`` (j beats i at every grid point), ``NEVER`` (j does not beat
i at the end of the grid where switching would happen: the top for an
expansion, the bottom for a contraction), ``NOT_APPLICABLE`` (``j == i``, or
no such portfolio, e.g. adding at ``i = N``). ``n_crossings`` counts sign
changes of ``gap`` on the grid (1 at the paper's parameters for every
pair with a crossing: single crossing).

Normalization: thresholds are reported in log z and in standard deviations
of normalized productivity, ``(log z - m) / s`` with m and s the mean and
standard deviation of log z under the stationary distribution of producing
firms ``mu(z, i)`` summed over thresholds (entrants included).

New exporters (Figure 6): the cohort of firms that were non-exporters last
year and export this year (year 0), followed by histogram push-forward with
the equilibrium transition (exit E(z), choice probabilities, Markov matrix
P) through its first export spell; firms that stop exporting (or exit)
leave the cohort. See :func:`new_exporter_dynamics`.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from jaxtrade.models.multiproduct.firm import choice_values, export_intensity
from jaxtrade.models.multiproduct.solve import Equilibrium

__all__ = [
    "CROSSING",
    "ALWAYS",
    "NEVER",
    "NOT_APPLICABLE",
    "choice_value_gaps",
    "productivity_normalization",
    "PairwiseThresholds",
    "pairwise_thresholds",
    "AddDropThresholds",
    "add_drop_thresholds",
    "figure_portfolio",
    "ProximityThresholds",
    "proximity_thresholds",
    "NewExporterDynamics",
    "new_exporter_dynamics",
    "dynamics_summary",
]

CROSSING, ALWAYS, NEVER, NOT_APPLICABLE = 0, 1, -1, 2


def choice_value_gaps(p, eq: Equilibrium):
    """The two sides of eq. (32) in wage units on the z grid.

    Returns ``(benefit, cost)``: benefit (nz, N+1, N+1) = (1 - E(z)) beta
    E[v(z', j) - v(z', i) | z] and cost (N+1, N+1) = f(omega_i, omega_j) -
    f(omega_i, omega_i); row i is the current threshold, column j the
    alternative. ``benefit - cost`` is x(z, i, j) - x(z, i, i), the hard-max
    choice-value difference of eq. (21).
    """
    g = eq.grids
    x = choice_values(p, g, eq.v)  # x[z, i, j] = -f(i, j) + (1 - E) beta E v(z', j)
    cost = g.cost - jnp.diagonal(g.cost)[:, None]
    keep = jnp.diagonal(x, axis1=1, axis2=2)  # (nz, N+1): x[z, i, i]
    benefit = x - keep[:, :, None] + cost[None, :, :]
    return benefit, cost


def productivity_normalization(eq: Equilibrium):
    """Mean and standard deviation of log z under the stationary mass of producing firms (all thresholds)."""
    w = jnp.sum(eq.mu, axis=1)
    w = w / jnp.sum(w)
    lz = eq.grids.log_z
    m = jnp.sum(w * lz)
    s = jnp.sqrt(jnp.sum(w * (lz - m) ** 2))
    return m, s


class PairwiseThresholds(eqx.Module):
    """Eq. (32) thresholds for every (current i, alternative j) pair, (N+1, N+1) arrays.

    log_z: threshold in log z (NaN where ``status != CROSSING``); std: the same
    in standard deviations of normalized productivity; status: CROSSING /
    ALWAYS / NEVER / NOT_APPLICABLE (int); n_crossings: sign changes of the
    gap on the grid; mean, sd: the normalization (log z mean and sd of
    producing firms).
    """

    log_z: jax.Array
    std: jax.Array
    status: jax.Array
    n_crossings: jax.Array
    mean: jax.Array
    sd: jax.Array


def _thresholds_from_gap(log_z, gap):
    """Vectorized crossing search; gap (nz, n, n) with rows i (current), columns j (alternative)."""
    nz, n = gap.shape[0], gap.shape[1]
    pos = gap > 0
    up = (~pos[:-1]) & pos[1:]  # (nz-1, n, n): <= 0 then > 0
    down = pos[:-1] & (~pos[1:])  # > 0 then <= 0
    k_up = (nz - 2) - jnp.argmax(up[::-1], axis=0)  # last up-crossing
    k_down = jnp.argmax(down, axis=0)  # first down-crossing
    i_idx = jnp.arange(n)[:, None]
    j_idx = jnp.arange(n)[None, :]
    expand = j_idx > i_idx
    k = jnp.where(expand, k_up, k_down)
    g0 = jnp.take_along_axis(gap, k[None], axis=0)[0]
    g1 = jnp.take_along_axis(gap, (k + 1)[None], axis=0)[0]
    denom = g0 - g1
    t = g0 / jnp.where(denom != 0, denom, 1.0)
    lz = log_z[k] + t * (log_z[k + 1] - log_z[k])
    all_pos = jnp.all(pos, axis=0)
    end_pos = jnp.where(expand, pos[-1], pos[0])  # switching at the end where it should happen
    found = jnp.where(expand, jnp.any(up, axis=0), jnp.any(down, axis=0))
    status = jnp.where(all_pos, ALWAYS, jnp.where(end_pos & found, CROSSING, NEVER))
    status = jnp.where(i_idx == j_idx, NOT_APPLICABLE, status)
    n_cross = jnp.sum((up | down).astype(jnp.int32), axis=0)
    return jnp.where(status == CROSSING, lz, jnp.nan), status.astype(jnp.int32), n_cross


def pairwise_thresholds(p, eq: Equilibrium) -> PairwiseThresholds:
    """Eq. (32) productivity thresholds for every pair (i, j), see the module docstring."""
    benefit, cost = choice_value_gaps(p, eq)
    gap = benefit - cost[None, :, :]
    lz, status, n_cross = _thresholds_from_gap(eq.grids.log_z, gap)
    m, s = productivity_normalization(eq)
    return PairwiseThresholds(log_z=lz, std=(lz - m) / s, status=status, n_crossings=n_cross, mean=m, sd=s)


class AddDropThresholds(eqx.Module):
    """Eq. (32) add and drop thresholds by current threshold index i = 0..N, (N+1,) arrays (Figure 4).

    z_add: indifference between keeping i and adding the next product
    (j = i + 1); NaN at i = N (status NOT_APPLICABLE). z_drop: between keeping
    i and dropping the last product (j = i - 1; i = 1 -> stop exporting); NaN
    at i = 0. ``*_log_z`` in log z, ``*_std`` in standard deviations of
    normalized productivity; ``*_status`` as in :class:`PairwiseThresholds`.
    """

    add_log_z: jax.Array
    drop_log_z: jax.Array
    add_std: jax.Array
    drop_std: jax.Array
    add_status: jax.Array
    drop_status: jax.Array
    mean: jax.Array
    sd: jax.Array


def _offdiag(a, offset, fill):
    """a[i, i + offset] for i = 0..n-1, ``fill`` where i + offset is outside 0..n-1."""
    n = a.shape[0]
    i = jnp.arange(n)
    j = i + offset
    ok = (j >= 0) & (j < n)
    return jnp.where(ok, a[i, jnp.clip(j, 0, n - 1)], fill)


def add_drop_thresholds(p, eq: Equilibrium) -> AddDropThresholds:
    """z_add(i) and z_drop(i) of eq. (32) for every current portfolio i, vectorized (Figure 4)."""
    pw = pairwise_thresholds(p, eq)
    return AddDropThresholds(
        add_log_z=_offdiag(pw.log_z, 1, jnp.nan),
        drop_log_z=_offdiag(pw.log_z, -1, jnp.nan),
        add_std=_offdiag(pw.std, 1, jnp.nan),
        drop_std=_offdiag(pw.std, -1, jnp.nan),
        add_status=_offdiag(pw.status, 1, NOT_APPLICABLE),
        drop_status=_offdiag(pw.status, -1, NOT_APPLICABLE),
        mean=pw.mean,
        sd=pw.sd,
    )


def figure_portfolio(eq: Equilibrium) -> jax.Array:
    """The "particular multiproduct exporter" of Figures 4-5: the most common multiproduct threshold
    index i in 2..N-1 under the stationary distribution (a threshold that can both add and drop;
    i = 1 when N = 2)."""
    mass = jnp.sum(eq.mu, axis=0)
    n = mass.shape[0]
    idx = jnp.arange(n)
    ok = (idx >= min(2, n - 2)) & (idx <= n - 2)
    return jnp.argmax(jnp.where(ok, mass, -jnp.inf))


class ProximityThresholds(eqx.Module):
    """Figure 5: expansion thresholds to a high- and a low-proximity portfolio from the same current one.

    portfolio: current threshold index i; j_hp, j_lp: alternatives (i + hp_step,
    i + lp_step); z_hp_*/z_lp_*: eq. (32) thresholds in log z and standard
    deviations (NaN when the alternative does not exist or there is no
    crossing, see the status fields).
    """

    portfolio: jax.Array
    j_hp: jax.Array
    j_lp: jax.Array
    z_hp_log_z: jax.Array
    z_lp_log_z: jax.Array
    z_hp_std: jax.Array
    z_lp_std: jax.Array
    z_hp_status: jax.Array
    z_lp_status: jax.Array


def proximity_thresholds(p, eq: Equilibrium, portfolio=None, hp_step: int = 1, lp_step: int = 2) -> ProximityThresholds:
    """z_HP and z_LP of Figure 5 (section 5).

    The paper holds the current portfolio omega-tilde fixed and compares two
    expansions, omega^HP < omega^LP (high proximity: small omega' - omega-tilde).
    Here omega^HP is the threshold ``hp_step`` products up (default: the next
    product) and omega^LP is ``lp_step`` products up (default 2: the smallest
    expansion that skips a product); the paper does not give the grid
    positions. ``portfolio`` defaults to :func:`figure_portfolio`.
    """
    if hp_step < 1 or lp_step <= hp_step:
        raise ValueError(f"hp_step, lp_step must satisfy 1 <= hp_step < lp_step, got {hp_step}, {lp_step}")
    pw = pairwise_thresholds(p, eq)
    n = pw.log_z.shape[0]
    i = figure_portfolio(eq) if portfolio is None else jnp.asarray(portfolio)
    out = {}
    for tag, step in (("hp", hp_step), ("lp", lp_step)):
        j = i + step
        ok = j < n
        jc = jnp.clip(j, 0, n - 1)
        out[f"j_{tag}"] = j
        out[f"z_{tag}_log_z"] = jnp.where(ok, pw.log_z[i, jc], jnp.nan)
        out[f"z_{tag}_std"] = jnp.where(ok, pw.std[i, jc], jnp.nan)
        out[f"z_{tag}_status"] = jnp.where(ok, pw.status[i, jc], NOT_APPLICABLE)
    return ProximityThresholds(portfolio=i, **out)


class NewExporterDynamics(eqx.Module):
    """Figure 6: a cohort of new exporters by years since export entry t = 0..T, (T+1,) arrays.

    survival: share of the cohort's firms exporting in year t (in their first
        spell) that survive and still export in t+1, conditional on firm
        survival (the definition of the Table 5 exporter survival rate).
    survival_unconditional: the same counting firm exit as a stop.
    export_intensity: mean over the cohort's exporters in year t of the
        firm's exports / sales (eq. 34; depends on the threshold only).
    export_intensity_aggregate: cohort exports / cohort sales in year t.
    mean_products: mean number of exported products in year t.
    cohort_share: mass still in the first export spell in year t over the
        year-0 cohort mass (= product of survival_unconditional up to t-1).
    cohort_mass: year-0 mass of new exporters (same units as ``eq.mu``).
    """

    survival: jax.Array
    survival_unconditional: jax.Array
    export_intensity: jax.Array
    export_intensity_aggregate: jax.Array
    mean_products: jax.Array
    cohort_share: jax.Array
    cohort_mass: jax.Array


def new_exporter_dynamics(p, eq: Equilibrium, years: int = 10) -> NewExporterDynamics:
    """Survival and export intensity of new exporters by years since entry (Figure 6), by push-forward.

    Year-0 cohort (export entrants): c_0(z', j) = 1(j >= 1) sum_z mu(z, 0)
    (1 - E(z)) Pr(j | z, 0) P(z, z'), the firms that were non-exporters last
    year (entrants included) and export this year. Then
    c_{t+1}(z', j) = 1(j >= 1) sum_{z, i} c_t(z, i) (1 - E(z)) Pr(j | z, i) P(z, z'):
    firms that stop exporting or exit leave the cohort (the first export
    spell, as in Ruhl and Willis 2017). No Monte Carlo; ``years`` is static
    (one ``lax.scan``).
    """
    years = int(years)
    if years < 0:
        raise ValueError(f"years must satisfy years >= 0, got {years}")
    g = eq.grids
    prob, surv, P = eq.prob, g.survival, g.P
    inten = export_intensity(g)
    n = prob.shape[1]
    exporting = (jnp.arange(n) >= 1).astype(prob.dtype)
    size = g.z ** (p.epsilon - 1.0)  # sales ~ z^(eps-1) (Omega_H + Omega_X(i)) (eq. 18)

    def advance(c):
        chosen = jnp.einsum("zi,zij->zj", c * surv[:, None], prob)  # survivors by chosen threshold
        return chosen, (P.T @ chosen) * exporting[None, :]

    _, c0 = advance(eq.mu[:, :1] * jnp.eye(1, n, dtype=prob.dtype))
    mass0 = jnp.sum(c0)

    def step(c, _):
        chosen, c_next = advance(c)
        total = jnp.sum(c)
        alive = jnp.sum(c * surv[:, None])
        stay = jnp.sum(chosen * exporting[None, :])
        sales = size[:, None] * (g.omega_H + g.omega_X)[None, :]
        out = (
            stay / alive,
            stay / total,
            jnp.sum(c * inten[None, :]) / total,
            jnp.sum(c * size[:, None] * g.omega_X[None, :]) / jnp.sum(c * sales),
            jnp.sum(c * jnp.arange(n, dtype=c.dtype)[None, :]) / total,
            total / mass0,
        )
        return c_next, out

    _, (sv, sv_u, it, it_agg, prods, share) = jax.lax.scan(step, c0, None, length=years + 1)
    return NewExporterDynamics(
        survival=sv,
        survival_unconditional=sv_u,
        export_intensity=it,
        export_intensity_aggregate=it_agg,
        mean_products=prods,
        cohort_share=share,
        cohort_mass=mass0,
    )


def _summarize(p, eq: Equilibrium, years: int, hp_step: int, lp_step: int) -> dict:
    ad = add_drop_thresholds(p, eq)
    px = proximity_thresholds(p, eq, hp_step=hp_step, lp_step=lp_step)
    nd = new_exporter_dynamics(p, eq, years=years)
    return {
        "productivity_mean_log_z": ad.mean,
        "productivity_sd_log_z": ad.sd,
        "z_add_log_z": ad.add_log_z,
        "z_drop_log_z": ad.drop_log_z,
        "z_add_std": ad.add_std,
        "z_drop_std": ad.drop_std,
        "z_add_status": ad.add_status,
        "z_drop_status": ad.drop_status,
        "figure_portfolio": px.portfolio,
        "z_hp_portfolio": px.j_hp,
        "z_lp_portfolio": px.j_lp,
        "z_hp_std": px.z_hp_std,
        "z_lp_std": px.z_lp_std,
        "z_hp_status": px.z_hp_status,
        "z_lp_status": px.z_lp_status,
        "new_exporter_survival": nd.survival,
        "new_exporter_survival_unconditional": nd.survival_unconditional,
        "new_exporter_export_intensity": nd.export_intensity,
        "new_exporter_export_intensity_aggregate": nd.export_intensity_aggregate,
        "new_exporter_mean_products": nd.mean_products,
        "new_exporter_cohort_share": nd.cohort_share,
    }


_summarize_jit = jax.jit(_summarize, static_argnames=("years", "hp_step", "lp_step"))


def dynamics_summary(p, eq: Equilibrium, years: int = 10, hp_step: int = 1, lp_step: int = 2) -> dict:
    """Every section-5 quantity (Figures 4-6) as a flat dict of arrays, computed under one ``jit``.

    Keys: ``z_add_*``/``z_drop_*`` (by threshold index 0..N; ``_log_z``, ``_std``,
    ``_status``), the normalization, ``figure_portfolio`` and ``z_hp_*``/``z_lp_*``
    (Figure 5), and ``new_exporter_*`` (Figure 6, years 0..``years``).

    Examples
    --------
    >>> from jaxtrade.models.multiproduct import solve_equilibrium, standard_params
    >>> p = standard_params(n_z=11, n_products=4)
    >>> d = dynamics_summary(p, solve_equilibrium(p), years=3)
    >>> d["z_add_std"].shape, d["new_exporter_survival"].shape
    ((5,), (4,))
    """
    if int(years) < 0:
        raise ValueError(f"years must satisfy years >= 0, got {years}")
    if hp_step < 1 or lp_step <= hp_step:
        raise ValueError(f"hp_step, lp_step must satisfy 1 <= hp_step < lp_step, got {hp_step}, {lp_step}")
    return _summarize_jit(p, eq, years=int(years), hp_step=int(hp_step), lp_step=int(lp_step))
