"""Replications: one package per paper, each building its tables and figures from the library.

Each paper package (``ara_zhang``, ``heo_kim_empirics``, ``heo_kim_model``,
``ruhl``) holds the paper's reported numbers once (its ``paper`` module) and
exposes ``run(out_dir, *, full=False, data=None, status=None) -> Section``
(``status`` receives a line per stage, so a long run shows where it is).
:data:`PAPERS` is the static registry, :data:`FULL_SETTINGS` says what
``full=True`` changes for each paper and how long it takes, and
:func:`replicate` runs the papers, shows their progress, and writes
``report.md`` (scorecard first) with the jaxtrade version, git commit,
settings and run times. The report folder is written atomically
(:func:`~jaxtrade.reporting.atomic_output_dir`): an interrupted run leaves
the previous report as it was, a rerun replaces the folder as a whole.
"""

from __future__ import annotations

import pathlib
import sys
import time
from collections.abc import Callable

from jaxtrade.datasets import data_path
from jaxtrade.progress import progress_bar, progress_enabled
from jaxtrade.reporting import Section, atomic_output_dir, write_report
from jaxtrade.timing import Stopwatch

from . import ara_zhang, heo_kim_empirics, heo_kim_model, ruhl

__all__ = ["FULL_SETTINGS", "PAPERS", "replicate"]

PAPERS: dict[str, Callable[..., Section]] = {
    "ara-zhang": ara_zhang.run,
    "heo-kim-empirics": heo_kim_empirics.run,
    "heo-kim-model": heo_kim_model.run,
    "ruhl": ruhl.run,
}
"""Paper name (as the command line spells it) -> its ``run`` function."""

FULL_SETTINGS: dict[str, str] = {
    "ara-zhang": "6 parameter sets instead of 3 for Proposition 2, a 60 x 40 x 5 simulated gravity panel instead "
    "of 25 x 20 x 4, 17 points instead of 9 in the elasticity figure (about 8-10 min on a 2-core CPU, default 2 min)",
    "heo-kim-empirics": "the 128,000-firm `paper` synthetic panel instead of 8,000 firms (16 times the rows; "
    "several minutes on a 2-core CPU, default 20 s)",
    "heo-kim-model": "recomputes the Standard and NPG calibrations of eq. (28) (Tables 4-6) instead of reading "
    "the ones shipped with jaxtrade (about 2 min more than the default run)",
    "ruhl": "the paper's 200 x 200 type grid and 250 economies for Appendix 1, section 6.1 and Table 1 instead "
    "of 40 x 40 types and 100 economies (default 1.5 min). Estimated from timed pieces: about 5 min on a quiet "
    "2-core CPU, 30-40 min on a busy one: two Krusell-Smith loops of about 50 iterations at 1.5-12 s each on "
    "200 x 200 types, and three 250-economy simulations of 20 s-6 min each",
}
"""Paper name -> what ``full=True`` changes and roughly how long it takes (``jaxtrade replicate --help``)."""


def replicate(
    out_dir: str | pathlib.Path,
    papers: list[str] | None = None,
    *,
    full: bool = False,
    data: str | pathlib.Path | None = None,
    progress: bool | None = None,
    echo: Callable[[str], None] = print,
    status: Callable[[str], None] | None = None,
) -> pathlib.Path:
    """Run the replications of ``papers`` (default: all) and write ``out_dir/report.md``.

    ``out_dir`` is written atomically (:func:`~jaxtrade.reporting.atomic_output_dir`):
    the papers write into a temporary folder beside it, renamed to ``out_dir``
    when every paper has finished. An interrupted or failed run leaves
    ``out_dir`` as it was; a finished one replaces it as a whole. An existing
    ``out_dir`` must be empty or an earlier jaxtrade output (``ValueError``
    otherwise, before any paper runs).

    Parameters
    ----------
    out_dir:
        Folder for ``report.md`` and the figures.
    papers:
        Names from :data:`PAPERS`; ``None`` runs every paper.
    full:
        Full-size settings (:data:`FULL_SETTINGS`: the papers' grids and sample
        sizes; long) instead of the defaults, which finish in a few minutes on
        a laptop.
    data:
        Folder (or file) with the optional data files (:func:`jaxtrade.datasets.data_path`);
        default ``$JAXTRADE_DATA``.
    progress:
        Show a progress bar per paper (default: when standard error is a terminal).
    echo:
        Where to print each section's markdown and the report's path (``print``).
    status:
        Where each paper's stages are announced (one line each, with the
        elapsed time); default: standard error when progress is shown.
    """
    names = list(papers) if papers else list(PAPERS)
    unknown = [n for n in names if n not in PAPERS]
    if unknown:
        raise ValueError(f"papers must be among {sorted(PAPERS)}, got unknown paper(s) {unknown}")
    if data is not None and "ara-zhang" in names:
        data_path("eu_trade", data)  # a bad data path fails now, not after the first papers
    start = time.perf_counter()
    if status is None:
        status = _stderr_status if progress_enabled(progress) else (lambda line: None)
    sections = []
    with atomic_output_dir(out_dir, what="out_dir") as tmp:
        with progress_bar(len(names), "jaxtrade replicate", unit="paper", progress=progress) as bar:
            for name in names:
                bar.set_postfix_str(name)
                t0 = time.perf_counter()

                def stage(line: str, name=name, t0=t0) -> None:
                    status(f"{name}: {line} ({time.perf_counter() - t0:.0f} s)")

                with Stopwatch() as clock:
                    section = PAPERS[name](tmp, full=full, data=data, status=stage)
                section.seconds, section.compile_seconds = clock.total_s, clock.compile_s
                echo(f"== {name} ({section.seconds:.1f} s, of which compilation {section.compile_seconds:.1f} s) ==")
                echo(section.markdown())
                sections.append(section)
                bar.update()
        settings = {"papers": ",".join(names), "full": full, "data": data if data else "$JAXTRADE_DATA or none"}
        if full:
            settings["full settings"] = "; ".join(f"{n}: {FULL_SETTINGS[n]}" for n in names)
        write_report(tmp, sections, settings=settings, seconds=time.perf_counter() - start,
                     compile_seconds=sum(sec.compile_seconds for sec in sections))  # fmt: skip
    path = pathlib.Path(out_dir) / "report.md"
    echo(f"report written to {path}")
    return path


def _stderr_status(line: str) -> None:
    print(f"jaxtrade replicate: {line}", file=sys.stderr, flush=True)
