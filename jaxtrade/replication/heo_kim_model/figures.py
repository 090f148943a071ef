"""Figures 3-7 of Heo & Kim (2025) from a solved stationary equilibrium."""

from __future__ import annotations

import pathlib

import numpy as np

from jaxtrade.models.multiproduct import choice_value_gaps, dynamics_summary, extra_moments
from jaxtrade.reporting import save_figure

__all__ = ["write_figures"]


def write_figures(p, eq, out_dir: pathlib.Path, name: str = "standard") -> list[pathlib.Path]:
    """Figures 3-7 as PNG: product-count distribution (3), add/drop decisions (4, eq. 32), high- vs
    low-proximity expansion thresholds (5; panel a for the standard preset, b for NPG), new-exporter
    survival and export intensity (6, eq. 34) and productivity densities by export status (7)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    x = extra_moments(p, eq)
    count = np.asarray(x["product_count_distribution"])
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.bar(np.arange(1, count.size + 1), count)
    ax.set_xlabel("number of exported products")
    ax.set_ylabel("share of exporters")
    ax.set_title(f"Figure 3: product-count distribution ({name})")
    path = out_dir / f"multiproduct_{name}_fig3_product_count.png"
    paths.append(save_figure(fig, path))
    paths += _write_section5_figures(p, eq, out_dir, name, plt)

    mu = np.asarray(eq.mu)
    lz = np.asarray(eq.grids.log_z)
    sd = np.sqrt(np.sum(mu.sum(1) * lz**2) / mu.sum() - (np.sum(mu.sum(1) * lz) / mu.sum()) ** 2)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for label, dens in (("non-exporters", mu[:, 0]), ("single-product", mu[:, 1]), ("multi-product", mu[:, 2:].sum(1))):
        ax.plot(lz / sd, dens / dens.sum(), label=label)
    ax.set_xlabel("log productivity (standard deviations)")
    ax.set_ylabel("density (grid mass)")
    ax.set_title(f"Figure 7: stationary distribution ({name})")
    ax.legend()
    path = out_dir / f"multiproduct_{name}_fig7_densities.png"
    paths.append(save_figure(fig, path))
    return paths


def _write_section5_figures(p, eq, out_dir: pathlib.Path, name: str, plt) -> list[pathlib.Path]:
    """Figures 4, 5 and 6 (section 5) for one preset."""
    dyn = {k: np.asarray(v) for k, v in dynamics_summary(p, eq).items()}
    benefit, cost = (np.asarray(a) for a in choice_value_gaps(p, eq))
    m, s = float(dyn["productivity_mean_log_z"]), float(dyn["productivity_sd_log_z"])
    zn = (np.asarray(eq.grids.log_z) - m) / s
    i = int(dyn["figure_portfolio"])
    paths = []

    def vline(ax, x):
        if np.isfinite(x):
            ax.axvline(x, color="grey", ls=":", lw=1)

    def ylim(ax, c):
        if np.isfinite(c) and c != 0:
            ax.set_ylim(-0.5 * abs(c), 3.0 * abs(c))

    # Figure 4: keep i vs add (j = i + 1) and keep i vs drop (j = i - 1), eq. (32)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    ax = axes[0]
    ax.plot(zn, np.full_like(zn, cost[i, i + 1]), color="tab:blue", label="extra export cost")
    ax.plot(zn, benefit[:, i, i + 1], color="black", label="discounted expected gain")
    vline(ax, dyn["z_add_std"][i])
    ylim(ax, cost[i, i + 1])
    ax.set_title(f"add product {i + 1}: z_add = {dyn['z_add_std'][i]:.2f} sd")
    ax = axes[1]
    ax.plot(zn, np.full_like(zn, -cost[i, i - 1]), color="tab:blue", label="export cost saved")
    ax.plot(zn, -benefit[:, i, i - 1], color="black", label="discounted expected loss")
    vline(ax, dyn["z_drop_std"][i])
    ylim(ax, cost[i, i - 1])
    ax.set_title(f"drop product {i}: z_drop = {dyn['z_drop_std'][i]:.2f} sd")
    for ax in axes:
        ax.set_xlabel("normalized log productivity (sd)")
        ax.legend(fontsize=7)
    axes[0].set_ylabel("wage units")
    fig.suptitle(f"Figure 4: firm-level decisions, current portfolio {i} products ({name})")
    path = out_dir / f"multiproduct_{name}_fig4_add_drop.png"
    paths.append(save_figure(fig, path))

    # Figure 5: high- vs low-proximity expansion from the same portfolio
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for tag, ls in (("hp", "-"), ("lp", "--")):
        j = int(dyn[f"z_{tag}_portfolio"])
        if j >= cost.shape[0]:
            continue
        ax.plot(zn, np.full_like(zn, cost[i, j]), color="tab:blue", ls=ls, label=f"cost, {tag.upper()} (to {j})")
        ax.plot(zn, benefit[:, i, j], color="black", ls=ls, label=f"gain, {tag.upper()} (to {j})")
        vline(ax, dyn[f"z_{tag}_std"])
    j_lp = min(int(dyn["z_lp_portfolio"]), cost.shape[0] - 1)
    ylim(ax, cost[i, j_lp])
    panel = {"standard": "5a", "npg": "5b"}.get(name, "5")
    ax.set_title(f"Figure {panel}: z_HP = {dyn['z_hp_std']:.2f}, z_LP = {dyn['z_lp_std']:.2f} sd ({name})", fontsize=9)
    ax.set_xlabel("normalized log productivity (sd)")
    ax.set_ylabel("wage units")
    ax.legend(fontsize=7)
    path = out_dir / f"multiproduct_{name}_fig5_proximity_thresholds.png"
    paths.append(save_figure(fig, path))

    # Figure 6: new exporters by years since export entry
    years = np.arange(dyn["new_exporter_survival"].size)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    axes[0].plot(years, dyn["new_exporter_survival"], marker="o", label="given firm survival")
    axes[0].plot(years, dyn["new_exporter_survival_unconditional"], ls="--", label="incl. firm exit")
    axes[0].set_ylabel("export survival rate")
    axes[1].plot(years, dyn["new_exporter_export_intensity"], marker="o", label="mean over firms (eq. 34)")
    axes[1].plot(years, dyn["new_exporter_export_intensity_aggregate"], ls="--", label="cohort exports / sales")
    axes[1].set_ylabel("export intensity")
    for ax in axes:
        ax.set_xlabel("years since export entry")
        ax.legend(fontsize=7)
    fig.suptitle(f"Figure 6: new exporter dynamics ({name})")
    path = out_dir / f"multiproduct_{name}_fig6_new_exporters.png"
    paths.append(save_figure(fig, path))
    return paths
