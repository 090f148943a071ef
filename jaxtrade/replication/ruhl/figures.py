"""Figures 10 and 11 of Ruhl (2008) from the time-series experiment."""

from __future__ import annotations

import pathlib

from jaxtrade.reporting import save_figure

from . import paper


def figure10(out_dir: pathlib.Path, as_written: dict, effective: dict | None) -> pathlib.Path:
    """Histogram of the Laspeyres Armington estimates, both readings of kappa, with the paper's mean and the truth."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist(as_written["sigma"], bins=30, alpha=0.6, label="jaxtrade, kappa in labour (as written)")
    if effective is not None:
        ax.hist(effective["sigma"], bins=30, alpha=0.6, label="jaxtrade, kappa in effective labour")
    ax.axvline(
        paper.TIME_SERIES["mean_sigma"], color="C3", ls="-", label=f"paper's mean {paper.TIME_SERIES['mean_sigma']}"
    )
    ax.axvline(2.0, color="k", ls="--", label="true sigma = 2")
    ax.set_xlabel("estimated Armington elasticity (Laspeyres indices)")
    ax.set_ylabel("simulated economies")
    ax.legend(fontsize=8)
    return save_figure(fig, out_dir / "ruhl_fig10.png", title="Figure 10: measured elasticity of substitution")


def figure11(out_dir: pathlib.Path, r: dict) -> pathlib.Path:
    """Laspeyres and CES import price indices of one simulated economy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(r["laspeyres_f_example"], label="Laspeyres (36)")
    ax.plot(r["ces_f_example"], label="CES (39)")
    ax.set_xlabel("period after the base year")
    ax.set_ylabel("import price index (base year = 1)")
    ax.legend()
    return save_figure(fig, out_dir / "ruhl_fig11.png", title="Figure 11: import price indices of one simulation")


__all__ = ["figure10", "figure11"]
