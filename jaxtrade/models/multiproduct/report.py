"""Tables and figures of a solved equilibrium (shared by the CLI and the replication report)."""

from __future__ import annotations

import pathlib

import numpy as np
import pandas as pd

from .equilibrium import RESIDUAL_NAMES, solve_equilibrium
from .moments import TABLE5_LABELS, TABLE5_NAMES, TABLE5_PAPER, extra_moments, table5_moments
from .params import preset

__all__ = ["solve_preset", "table5_frame", "summary_dict", "write_figures"]


def solve_preset(name: str, **kwargs):
    """Parameters and equilibrium of a named preset (raises on bad input / non-convergence)."""
    p = preset(name, **kwargs)
    return p, solve_equilibrium(p)


def table5_frame(name: str, eq) -> pd.DataFrame:
    """Table 5: data, the paper's model column for ``name`` and ours."""
    col = 1 if name == "standard" else 2
    m = table5_moments(eq)
    rows = []
    for k in TABLE5_NAMES:
        paper = TABLE5_PAPER[k]
        rows.append({"moment": TABLE5_LABELS[k], "data (Table 5)": paper[0],
                     f"paper {name} (Table 5)": np.nan if paper[col] is None else paper[col],
                     "jaxtrade": float(m[k])})
    return pd.DataFrame(rows)


def summary_dict(name: str, p, eq) -> dict:
    """JSON-ready summary: moments (snake_case), prices and quantities, residuals."""
    m = {k: float(v) for k, v in table5_moments(eq).items()}
    x = extra_moments(p, eq)
    return {
        "preset": name,
        "moments": m,
        "extra": {k: np.asarray(v).tolist() for k, v in x.items()},
        "prices": {k: float(getattr(eq, k)) for k in ("W", "R", "D", "c", "A")},
        "quantities": {k: float(getattr(eq, k)) for k in ("K", "M", "C", "N_E", "gamma_E", "N", "T", "L_prod", "F")},
        "residuals": {k: float(eq.residuals[k]) for k in RESIDUAL_NAMES},
        "converged": bool(eq.converged),
        "ge_iterations": int(eq.info.iterations),
    }


def write_figures(p, eq, out_dir: pathlib.Path, name: str = "standard") -> list[pathlib.Path]:
    """Figure 3 (product-count distribution) and Figure 7 (productivity densities by export status) as PNG."""
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
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    paths.append(path)

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
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    paths.append(path)
    return paths
