"""Replication of Heo & Kim (2025), section 2: product proximity predicts product introductions.

The China customs panel is confidential, so the pipeline runs on the
synthetic generator's ``paper`` process (planted clusters, planted
proximity effect on introductions), scaled down to 8,000 firms by default
(``full=True``: the ``paper`` preset, about 128,000 firms; long). Every
table prints the paper's value beside jaxtrade's synthetic value with the
gap, but they are *not compared* (status a dash): the synthetic data are not
the paper's. The point is that the pipeline produces every object of
section 2 and that on data with a known effect the regressions recover it.
Footnote 10 (HS proximity of two code pairs) is reproducible and compared.
"""

from __future__ import annotations

import pathlib
import shutil
import time
from collections.abc import Callable

from jaxtrade.empirics.proximity import build_proximity_table, generate_panel, get_config
from jaxtrade.reporting import Section

from . import paper, pipeline, tables

__all__ = ["run"]


def run(out_dir: str | pathlib.Path, *, full: bool = False, data: str | pathlib.Path | None = None,
        n_firms: int | None = None, progress: bool | None = None,
        status: Callable[[str], None] | None = None) -> Section:  # fmt: skip
    """Tables 1-2, Figure 2, footnotes 10-11 of Heo & Kim (2025) on a synthetic panel.

    ``n_firms`` overrides the synthetic panel's size (default 8,000; ``full``:
    the ``paper`` preset). ``data`` is unused (the customs data are confidential).
    ``status`` receives one line per stage (``None``: silent).
    """
    del data
    say = status or (lambda line: None)
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if n_firms is not None:
        cfg = get_config("paper", n_firms=n_firms)
    else:
        cfg = get_config("paper") if full else get_config("paper", n_firms=8_000)
    sec = Section(paper.TITLE, paper=paper.SHORT)
    t0 = time.perf_counter()
    say(f"synthetic panel of {cfg.n_firms:,} firms and the proximity table")
    sp = generate_panel(cfg)
    res = build_proximity_table(sp.panel, sp.inputs, progress=progress)
    build_s = time.perf_counter() - t0
    c = res.counts
    sec.add_text(
        f"Synthetic panel (`paper` process, {cfg.n_firms:,} firms, {cfg.n_destinations} destinations, "
        f"{cfg.n_years} years, {c['products']:,} HS6 products; planted proximity effect {cfg.strength} on the "
        f"introduction probability per unit of true basket proximity): {c['panel_rows']:,} panel rows, "
        f"{c['candidates']:,} firm-candidate-destination-year rows (paper: {paper.SAMPLE['candidate_rows']:,} from "
        f"{paper.SAMPLE['firms']:,} firms), built in {build_s:.1f} s. Conventions: RCA > 1, support >= 5 firms "
        "exporting the product to the destination-year, leave-one-firm-out phi, EBP^w weights = shares of the firm's exports to the destination."
    )
    sub = out_dir / "heo_kim_empirics"
    sub.mkdir(exist_ok=True)
    say("Tables 1-2, footnote 11, Figure 2")
    out = pipeline.tables_for(res.table, sub, echo=lambda s: None)
    note = "Synthetic data, not the paper's: the gap is shown, not judged."
    sec.add_table("Table 1: prevalence and entry shares by EBP threshold (paper beside jaxtrade, %)",
                  out["table1_paper"], note=note)  # fmt: skip
    sec.add_comparison(
        "Table 2: product introduction regressions, firm-year and product-year FE, SE clustered by firm-destination",
        out["table2_paper"], None, note=note,
    )  # fmt: skip
    sec.add_comparison("Footnote 11: placebo and orthogonalized EBP", out["footnote11_paper"], None, note=note)
    sec.add_comparison("Footnote 10: HS proximity", tables.footnote10_table(), tables.FOOTNOTE10_TOLERANCE)
    for item in paper.LEFT_OUT:
        sec.leave_out(item)
    figure = out_dir / "heo_kim_figure2.png"  # beside report.md, which links figures by file name
    shutil.copyfile(out["figure2"], figure)
    sec.add_figure("Figure 2: mean introduction rate by EBP decile (synthetic)", figure)
    return sec
