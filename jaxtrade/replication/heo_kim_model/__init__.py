"""Replication of Heo & Kim (2025), sections 3-6: the multiproduct exporter model.

The calibration (Tables 4-6: eq. (28) by Levenberg-Marquardt with the
autodiff Jacobian, annealed taste-shock scale; :mod:`.calibration`), read
from the calibration shipped with the package or, with ``full=True``,
recomputed; Table 5 at the paper's own Table 4 parameters for reference;
other stated facts (export costs over export profits, gamma_E); the
section-5 dynamics at the calibrated parameters beside the paper's figure
readings, and Figures 3-7; the section-6 trade-policy experiments at the
calibrated parameters (:mod:`.policy`): Tables 7-8, the readings of
Figures 8-12 and the figures.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable

from jaxtrade.models import multiproduct as mp
from jaxtrade.reporting import Section

from . import calibration, figures, paper, policy, tables

__all__ = ["run", "solve_preset"]

FIGURE_CAPTIONS = {
    "fig3": "Figure 3: distribution of the number of exported products",
    "fig4": "Figure 4: adding and dropping a product, eq. (32)",
    "fig5": "Figure 5: expanding to a high- vs a low-proximity product",
    "fig6": "Figure 6: new exporters' survival and export intensity, eq. (34)",
    "fig7": "Figure 7: productivity densities by export status",
}


def solve_preset(name: str, **overrides):
    """Parameters and stationary equilibrium of a named preset (raises on bad input or non-convergence)."""
    p = mp.preset(name, **overrides)
    return p, mp.solve_equilibrium(p)


def run(out_dir: str | pathlib.Path, *, full: bool = False, data: str | pathlib.Path | None = None,
        status: Callable[[str], None] | None = None) -> Section:  # fmt: skip
    """Tables 4-6 from a calibration (stored, or recomputed with ``full``), Table 5 at the paper's
    parameters, other facts, section-5 dynamics and Figures 3-7 at the calibrated parameters, and the
    section-6 policy experiments (Tables 7-8, Figures 8-12) at the same calibration.

    ``full`` changes only where the calibration comes from: recomputed by eq. (28)
    on the presets' grids (checkpoints in ``out_dir/calibration_<preset>``)
    instead of read from the calibration shipped with jaxtrade; the dynamics
    and the policy experiments then use the recomputed parameters. ``status``
    receives one line per stage (``None``: silent).
    """
    del data  # no data files: the customs moments are Table 5's
    say = status or (lambda line: None)
    out_dir = pathlib.Path(out_dir)
    sec = Section(paper.TITLE, paper=paper.SHORT)
    records: dict[str, dict] = {}
    for name in ("standard", "npg"):
        if full:
            say(f"calibrating {name} by eq. (28)")
            records[name] = calibration.run_calibration(name, out_dir / f"calibration_{name}",
                                                        standard=records.get("standard"), progress=False,
                                                        throw=False)  # fmt: skip
        else:
            records[name] = mp.stored_calibration()[name]
    source = (
        "recomputed in this run" if full else "the calibration shipped with jaxtrade (`replicate --full` recomputes it)"
    )
    sec.add_text(
        f"Calibration by eq. (28) ({source}): Levenberg-Marquardt on the targeted Table 5 moments with the "
        "autodiff Jacobian, the taste-shock scale annealed 1e-2 -> 1e-3 -> 1e-4 and the moments reported at the "
        "preset's 1e-5; Standard estimates (mu_E, xi, gamma, gamma_0..gamma_3) on seven moments (stasis and the "
        "multi-product share are adding-up identities), NPG re-estimates (gamma_0, gamma_1, gamma_2) on three "
        "with mu_E, xi, gamma at the Standard values, as the paper does. Gap-filling choices (product grid, "
        "Tauchen grid, moment definitions) are in docs/models/multiproduct.md."
    )
    for name in ("standard", "npg"):
        rec = records[name]
        sec.add_text(f"{name}: command `{rec['command']}`, {rec['seconds']:.0f} s on {rec['machine']} "
                     f"({rec['date']}), converged={rec['converged']}, loss={rec['loss']:.2e}.")  # fmt: skip
        sec.add_comparison(f"Table 4 ({name}): estimated parameters", calibration.table4(rec), None,
                           note="Parameters depend on the paper's unpublished grid choices, so they are shown, "
                                "not compared; the targets below are what the calibration must match.")  # fmt: skip
        sec.add_comparison(f"Table 5 ({name}) at the calibration: data, paper's model, jaxtrade",
                           calibration.table5_calibrated(rec), calibration.TARGET_TOLERANCE,
                           note="Targeted rows are compared with the data column (within 0.01); untargeted rows "
                                "are shown.")  # fmt: skip
        sec.add_comparison(f"Table 6 ({name}): model-based EBP regression", calibration.table6(rec),
                           calibration.TABLE6_TOLERANCE,
                           note="Specification: introduction ~ EBP (eq. 31) | firm-year FE, clustered by firm; the "
                                "paper's firm-year + product-year FE absorb EBP exactly in the model (see "
                                "jaxtrade.replication.heo_kim_model.table6).")  # fmt: skip
        sec.add_table(f"Identification ({name}): d log moment / d log parameter at the estimate",
                      calibration.identification_table(rec),
                      note=f"Singular values of d m / d log theta: "
                           f"{', '.join(f'{v:.3g}' for v in rec['identification']['singular_values'])} "
                           f"(condition number {rec['identification']['condition_number']:.3g}); taken at "
                           "taste-shock scale 1e-3, where the moments are smooth.")  # fmt: skip
        sec.add_table(f"Sensitivity ({name}): Andrews-Gentzkow-Shapiro Lambda = -(G'WG)^-1 G'W",
                      calibration.sensitivity_table(rec),
                      note="Row p, column m: d estimate of p / d data moment m (first order).")  # fmt: skip
    for name in ("standard", "npg"):
        say(f"{name}: Table 5, section-5 dynamics, Figures 3-7")
        p0, eq0 = solve_preset(name)
        sec.add_comparison(f"Table 5 ({name}) at the paper's Table 4 parameters (reference)", tables.table5(name, eq0),
                           tables.TABLE5_TOLERANCE)  # fmt: skip
        p = calibration.calibrated_params(name, records[name])
        eq = mp.solve_equilibrium(p)
        sec.add_comparison(f"Other model facts ({name}, calibrated)", tables.facts_table(name, p, eq),
                           tables.TABLE5_TOLERANCE)  # fmt: skip
        sec.add_comparison(f"Section 5 dynamics ({name}, calibrated): Figures 4-6 beside the paper's readings",
                           tables.dynamics_table(name, mp.dynamics_summary(p, eq)), tables.FIGURE_TOLERANCE["sd"],
                           note="Figure readings are approximate: thresholds within 0.5 sd, shares within 0.05; "
                                "inequalities (> 1) are checked as such.")  # fmt: skip
        for path in figures.write_figures(p, eq, out_dir, name):
            sec.add_figure(f"{FIGURE_CAPTIONS[path.stem.split('_')[2]]} ({name}, calibrated)", path)
    say("section 6: twelve policy experiments (Tables 7-8)")
    policy.add_section(sec, out_dir, records, origin="recomputed in this run" if full else
                       "the calibration shipped with jaxtrade")  # fmt: skip
    for item in paper.LEFT_OUT:
        sec.leave_out(item)
    return sec
