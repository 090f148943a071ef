"""Replications: one package per paper, each building its tables and figures from the library.

Each paper package (``ara_zhang``, ``heo_kim_empirics``, ``heo_kim_model``,
``ruhl``) holds the paper's reported numbers once (its ``paper`` module) and
exposes ``run(out_dir, *, full=False, data=None) -> Section``.
:data:`PAPERS` is the static registry and :func:`replicate` runs the papers,
shows their progress, and writes ``report.md`` (scorecard first) with the
jaxtrade version, git commit, settings and run times.
"""

from __future__ import annotations

import pathlib
import time
from collections.abc import Callable

from jaxtrade.progress import progress_bar
from jaxtrade.reporting import Section, write_report

from . import ara_zhang, heo_kim_empirics, heo_kim_model, ruhl

__all__ = ["PAPERS", "replicate"]

PAPERS: dict[str, Callable[..., Section]] = {
    "ara-zhang": ara_zhang.run,
    "heo-kim-empirics": heo_kim_empirics.run,
    "heo-kim-model": heo_kim_model.run,
    "ruhl": ruhl.run,
}
"""Paper name (as the command line spells it) -> its ``run`` function."""


def replicate(
    out_dir: str | pathlib.Path,
    papers: list[str] | None = None,
    *,
    full: bool = False,
    data: str | pathlib.Path | None = None,
    progress: bool | None = None,
    echo: Callable[[str], None] = print,
) -> pathlib.Path:
    """Run the replications of ``papers`` (default: all) and write ``out_dir/report.md``.

    Parameters
    ----------
    out_dir:
        Folder for ``report.md`` and the figures.
    papers:
        Names from :data:`PAPERS`; ``None`` runs every paper.
    full:
        Full-size settings (the papers' grids and sample sizes; long) instead
        of the defaults, which finish in a few minutes on a laptop.
    data:
        Folder (or file) with the optional data files (:func:`jaxtrade.datasets.data_path`);
        default ``$JAXTRADE_DATA``.
    progress:
        Show a progress bar per paper (default: when standard error is a terminal).
    echo:
        Where to print each section's markdown and the report's path (``print``).
    """
    names = list(papers) if papers else list(PAPERS)
    unknown = [n for n in names if n not in PAPERS]
    if unknown:
        raise ValueError(f"papers must be among {sorted(PAPERS)}, got unknown paper(s) {unknown}")
    out_dir = pathlib.Path(out_dir)
    start = time.perf_counter()
    sections = []
    with progress_bar(len(names), "jaxtrade replicate", unit="paper", progress=progress) as bar:
        for name in names:
            bar.set_postfix_str(name)
            t0 = time.perf_counter()
            section = PAPERS[name](out_dir, full=full, data=data)
            section.seconds = time.perf_counter() - t0
            echo(f"== {name} ({section.seconds:.1f} s) ==")
            echo(section.markdown())
            sections.append(section)
            bar.update()
    settings = {"papers": ",".join(names), "full": full, "data": data if data else "$JAXTRADE_DATA or none"}
    path = write_report(out_dir, sections, settings=settings, seconds=time.perf_counter() - start)
    echo(f"report written to {path}")
    return path
