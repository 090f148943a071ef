"""Building reports: tables beside the paper, figures, markdown, a scorecard.

This module knows nothing about the models or the papers; the replication
packages (:mod:`jaxtrade.replication`) and the command line use it.

* :class:`Tolerance` says when a number reproduces a paper's:
  ``|ours - paper| <= max(abs, rel |paper|)``.
* :func:`comparison_frame` turns rows ``(quantity, paper, ours)`` into a
  table with a gap column and a within/outside-tolerance mark.
* :class:`Section` is one paper's part of a report: text, tables (plain or
  compared with the paper), figures with captions, and the list of what it
  leaves out. Its counts feed the scorecard that opens the report.
* :func:`frame_to_markdown` writes a pipe table with every cell escaped and
  missing values as a dash; :func:`save_figure` writes a titled PNG.
* :func:`write_report` writes ``report.md``: a header with the jaxtrade
  version, git commit, machine, settings and run time, the scorecard, then
  the sections.
* :func:`atomic_output_dir` is how every output folder is written (report,
  proximity build, figures): into a temporary sibling folder renamed into
  place at the end, so an interrupted run leaves the previous output intact
  and a rerun replaces it as a whole; a non-empty folder jaxtrade did not
  write (no :data:`OUTPUT_MARKER` file) is refused, never deleted.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import math
import os
import pathlib
import platform
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "DASH",
    "OUTPUT_MARKER",
    "Section",
    "Tolerance",
    "atomic_output_dir",
    "check_output_dir",
    "comparison_frame",
    "frame_to_markdown",
    "git_commit",
    "machine_line",
    "save_figure",
    "scorecard_frame",
    "write_report",
]

DASH = "\u2014"
"""What a table prints where there is no value (e.g. the paper reports none)."""

WITHIN = "within"
OUTSIDE = "OUTSIDE"
NOT_COMPARED = DASH


@dataclasses.dataclass(frozen=True)
class Tolerance:
    """When a value reproduces the paper's: ``|ours - paper| <= max(abs, rel * |paper|)``.

    Examples
    --------
    >>> Tolerance(rel=0.15).holds(paper=2.0, ours=2.2)
    True
    >>> Tolerance(abs=0.02).holds(paper=0.31, ours=0.51)
    False
    """

    rel: float = 0.0
    abs: float = 0.0

    def __post_init__(self):
        if self.rel < 0 or self.abs < 0 or (self.rel == 0 and self.abs == 0):
            raise ValueError(f"Tolerance needs rel >= 0, abs >= 0 and one of them positive, got {self}")

    def bound(self, paper: float) -> float:
        """The largest admissible ``|ours - paper|``."""
        return max(self.abs, self.rel * abs(paper))

    def holds(self, paper: float, ours: float) -> bool:
        """Whether ``ours`` reproduces ``paper``; ``False`` when ``ours`` is not finite."""
        return bool(np.isfinite(ours)) and abs(ours - paper) <= self.bound(paper) * (1 + 1e-12)

    def describe(self) -> str:
        """The rule in words, for table notes."""
        parts = []
        if self.abs:
            parts.append(f"{self.abs:g}")
        if self.rel:
            parts.append(f"{100 * self.rel:g} % of the paper's value")
        return "|gap| <= " + (" or ".join(parts) if len(parts) == 1 else f"max({', '.join(parts)})")


def _number(x) -> float | None:
    """A float, or None for missing (None, NaN, empty string)."""
    if x is None or (isinstance(x, str) and not x.strip()):
        return None
    try:
        value = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


_INEQUALITY = re.compile(r"^\s*(<=|>=|<|>)\s*([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)\s*$")


def _inequality_holds(reading: str, value: float) -> bool:
    """Whether ``value`` satisfies a reading such as ``"> 1"`` or ``"<= 0.5"``."""
    m = _INEQUALITY.match(reading)
    assert m is not None
    op, bound = m.group(1), float(m.group(2))
    return {"<": value < bound, "<=": value <= bound, ">": value > bound, ">=": value >= bound}[op]


def comparison_frame(
    rows: Iterable[Sequence[Any]],
    tolerance: Tolerance | None,
    *,
    columns: Sequence[str] = ("quantity", "paper", "jaxtrade"),
) -> pd.DataFrame:
    """Rows ``(quantity, paper, ours[, tolerance])`` as a table with ``gap`` and ``status`` columns.

    ``gap`` is ``ours - paper``. ``status`` is ``"within"`` or ``"OUTSIDE"``
    the row's tolerance (the fourth entry of a row, else ``tolerance``). Where
    both values are text (a sign, a label) the status is ``"within"`` when
    they are equal and ``"OUTSIDE"`` otherwise. A paper value that is an
    inequality (a figure reading such as ``"> 1"`` or ``"<= 0.5"``) is
    checked as one. Where the paper gives no value, or text of any other
    kind, the status is a dash: not compared. ``tolerance=None`` marks a whole table as not
    compared (e.g. the paper's numbers come from data jaxtrade does not have):
    the gap is still shown, the status is a dash.

    Examples
    --------
    >>> rows = [("sigma", 1.21, 1.29), ("R2", None, 0.25), ("sign", "+", "-"), ("z_add", "> 1", 1.13)]
    >>> comparison_frame(rows, Tolerance(rel=0.15))["status"].tolist()
    ['within', '\u2014', 'OUTSIDE', 'within']
    """
    out = []
    for row in rows:
        quantity, paper, ours = row[0], row[1], row[2]
        tol = row[3] if len(row) > 3 and row[3] is not None else tolerance
        p, o = _number(paper), _number(ours)
        if tol is None:
            numeric = p is not None and o is not None and not isinstance(paper, str) and not isinstance(ours, str)
            gap, status = (o - p if (numeric and o is not None and p is not None) else np.nan), NOT_COMPARED
        elif isinstance(paper, str) and o is not None and not isinstance(ours, str) and _INEQUALITY.match(paper):
            gap, status = np.nan, (WITHIN if _inequality_holds(paper, o) else OUTSIDE)
        elif isinstance(paper, str) and isinstance(ours, str) and paper.strip() and ours.strip():
            gap, status = np.nan, (WITHIN if paper.strip() == ours.strip() else OUTSIDE)
        elif p is None or o is None or isinstance(paper, str) or isinstance(ours, str):
            gap, status = np.nan, NOT_COMPARED
        else:
            gap = o - p
            status = WITHIN if tol.holds(p, o) else OUTSIDE
        out.append({columns[0]: quantity, columns[1]: paper, columns[2]: ours, "gap": gap, "status": status})
    return pd.DataFrame(out, columns=[*columns, "gap", "status"])


def _cell(x, floatfmt: str) -> str:
    if x is None:
        return DASH
    if isinstance(x, (float, np.floating)):
        if math.isnan(x):
            return DASH
        text = floatfmt.format(float(x))
    elif isinstance(x, (np.integer, int)) and not isinstance(x, bool):
        text = f"{int(x):,}" if abs(int(x)) >= 10_000 else str(int(x))
    else:
        text = str(x)
        if not text.strip():
            return DASH
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def frame_to_markdown(df: pd.DataFrame, floatfmt: str = "{:.6g}") -> str:
    """A DataFrame as a GitHub pipe table: cells escaped (``|`` -> ``\\|``), missing values as a dash.

    Examples
    --------
    >>> print(frame_to_markdown(pd.DataFrame({"a": ["max |x|"], "b": [float("nan")]})))
    | a | b |
    | --- | --- |
    | max \\|x\\| | \u2014 |
    """
    cols = [_cell(str(c), floatfmt) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "| " + " | ".join("---" for _ in cols) + " |"]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v, floatfmt) for v in row) + " |")
    return "\n".join(lines)


def save_figure(fig, path: str | pathlib.Path, *, title: str | None = None, dpi: int = 120) -> pathlib.Path:
    """Give ``fig`` a title (unless it has one), lay it out, write it as PNG and close it."""
    import matplotlib.pyplot as plt

    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if title and fig._suptitle is None:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


@dataclasses.dataclass
class Section:
    """One paper's part of a report.

    Tables compared with the paper (:meth:`add_comparison`) are counted: each
    row with a paper value is reproduced (within tolerance) or outside it.
    :meth:`leave_out` records what the section does not attempt; both feed
    the scorecard.
    """

    title: str
    paper: str = ""
    blocks: list[str] = dataclasses.field(default_factory=list)
    figures: list[pathlib.Path] = dataclasses.field(default_factory=list)
    reproduced: int = 0
    outside: int = 0
    left_out: list[str] = dataclasses.field(default_factory=list)
    seconds: float = float("nan")
    compile_seconds: float = float("nan")  # of ``seconds``: JAX tracing and XLA compilation (jaxtrade.timing)

    def add_text(self, text: str) -> None:
        """Add a paragraph of markdown."""
        self.blocks.append(text.strip() + "\n")

    def add_table(self, caption: str, table: pd.DataFrame, note: str = "") -> None:
        """Add a captioned table (not compared with the paper: no counts)."""
        text = f"**{caption}**\n\n{frame_to_markdown(table)}\n"
        if note:
            text += f"\n{note.strip()}\n"
        self.blocks.append(text)

    def add_comparison(
        self, caption: str, table: pd.DataFrame, tolerance: Tolerance | None, note: str = ""
    ) -> pd.DataFrame:
        """Add a table from :func:`comparison_frame` and count its rows into the scorecard."""
        if "status" not in table.columns:
            raise ValueError("add_comparison needs a table from comparison_frame (a 'status' column)")
        self.reproduced += int((table["status"] == WITHIN).sum())
        self.outside += int((table["status"] == OUTSIDE).sum())
        numeric_gaps = pd.to_numeric(table["gap"], errors="coerce").notna().any()
        if tolerance is None:
            rule = "Not compared (status a dash): the paper's values come from data jaxtrade does not have."
        elif not numeric_gaps:
            rule = "Text values (signs, labels) are compared for equality and inequalities (> x) as such."
        else:
            rule = f"Tolerance: {tolerance.describe()} (rows may set their own)."
        self.add_table(caption, table, note=(note.strip() + " " + rule).strip())
        return table

    def leave_out(self, what: str) -> None:
        """Record something of the paper this section does not attempt, and why."""
        self.left_out.append(what.strip())

    def add_figure(self, caption: str, path: pathlib.Path) -> None:
        """Add a figure written by :func:`save_figure`, with its caption."""
        path = pathlib.Path(path)
        self.figures.append(path)
        self.blocks.append(f"**{caption}**\n\n![{_cell(caption, '{}')}]({path.name})\n")

    def markdown(self) -> str:
        """The section as markdown, ending with what it leaves out."""
        text = f"## {self.title}\n\n" + "\n".join(self.blocks)
        if self.left_out:
            text += "\n**Not attempted here**\n\n" + "".join(f"- {item}\n" for item in self.left_out)
        return text


def git_commit(directory: str | pathlib.Path | None = None) -> str:
    """The git commit of the jaxtrade source (with ``+dirty`` for local changes), or ``"unknown"``."""
    here = pathlib.Path(directory) if directory else pathlib.Path(__file__).resolve().parent
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10)
        if sha.returncode != 0:
            return "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=10)  # fmt: skip
        return sha.stdout.strip()[:12] + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def machine_line() -> str:
    """Platform, Python, JAX version, backend and device kinds, in one line."""
    import jax

    devs = ", ".join(sorted({d.device_kind for d in jax.devices()}))
    return (f"{platform.platform()}, Python {platform.python_version()}, JAX {jax.__version__} on "
            f"{jax.default_backend()} ({devs})")  # fmt: skip


def scorecard_frame(sections: Sequence[Section]) -> pd.DataFrame:
    """Per section: values reproduced, outside tolerance, items not attempted, run time."""
    return pd.DataFrame(
        [
            {
                "paper": s.paper or s.title,
                "reproduced (within tolerance)": s.reproduced,
                "outside tolerance": s.outside,
                "not attempted": len(s.left_out),
                "run time (s)": s.seconds,
                "of which compilation (s)": s.compile_seconds,
            }
            for s in sections
        ]
    )


def write_report(
    out_dir: str | pathlib.Path,
    sections: Sequence[Section],
    *,
    settings: dict | None = None,
    seconds: float | None = None,
    compile_seconds: float | None = None,
    title: str = "jaxtrade replication report",
) -> pathlib.Path:
    """Write ``report.md`` in ``out_dir`` (header, scorecard, sections) and return its path."""
    from jaxtrade import __version__

    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"# {title}\n",
        f"- generated: {stamp}",
        f"- jaxtrade {__version__}, commit {git_commit()}",
        f"- machine: {machine_line()}",
    ]
    if settings:
        lines.append("- settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()))
    if seconds is not None:
        split = "" if compile_seconds is None else f" (of which JAX tracing and compilation {compile_seconds:.1f} s)"
        lines.append(f"- run time: {seconds:.1f} s{split}")
    lines.append(
        "\nEvery table compared with a paper prints the paper's value beside jaxtrade's, with the paper's "
        "table, equation or figure number, the gap (jaxtrade - paper) and whether the gap is within the "
        "stated tolerance. A dash marks a value the paper does not report.\n"
    )
    lines.append("## Scorecard\n")
    lines.append(frame_to_markdown(scorecard_frame(sections), floatfmt="{:.1f}") + "\n")
    path = out_dir / "report.md"
    path.write_text("\n".join(lines) + "\n" + "\n".join(s.markdown() for s in sections))
    return path


OUTPUT_MARKER = ".jaxtrade-output"
"""File :func:`atomic_output_dir` writes into every output folder: the sign that jaxtrade may replace it."""


def check_output_dir(path: str | pathlib.Path, *, what: str = "out") -> pathlib.Path:
    """``path`` as a folder :func:`atomic_output_dir` may write: absent, empty, or a previous jaxtrade output.

    Raises ``ValueError`` naming ``what`` when ``path`` exists and is not a
    folder, or is a non-empty folder without :data:`OUTPUT_MARKER` (a folder
    jaxtrade did not write is never replaced); ``PermissionError`` or
    ``NotADirectoryError`` when the folder it would be created in cannot be
    written. Commands call it before a long run, so a bad output path fails at once.
    """
    path = pathlib.Path(path)
    if path.exists() or path.is_symlink():
        if not path.is_dir() or path.is_symlink():
            raise ValueError(f"{what}: {path} exists and is not a folder; give a folder path")
        if any(path.iterdir()) and not (path / OUTPUT_MARKER).is_file():
            raise ValueError(
                f"{what}: {path} is a non-empty folder that jaxtrade did not write (no {OUTPUT_MARKER} file); "
                "jaxtrade replaces an output folder as a whole, so give a new or empty folder"
            )
    ancestor = pathlib.Path(os.path.abspath(path)).parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise NotADirectoryError(20, "Not a directory", str(ancestor))
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise PermissionError(13, "Permission denied", str(ancestor))
    return path


UNFINISHED_OUTPUTS: set[pathlib.Path] = set()
"""Temporary folders of :func:`atomic_output_dir` whose body is still running (removed by
:func:`remove_unfinished_outputs` when a process must stop at once, e.g. on a Ctrl-C that the
running computation does not let through)."""


def remove_unfinished_outputs() -> None:
    """Delete the temporary folders of every unfinished :func:`atomic_output_dir` (previous outputs stay)."""
    for tmp in list(UNFINISHED_OUTPUTS):
        shutil.rmtree(tmp, ignore_errors=True)
        UNFINISHED_OUTPUTS.discard(tmp)


@contextlib.contextmanager
def atomic_output_dir(path: str | pathlib.Path, *, what: str = "out") -> Iterator[pathlib.Path]:
    """Write an output folder atomically: yield a temporary sibling folder, rename it to ``path`` on success.

    * ``path`` is checked first (:func:`check_output_dir`): absent, an empty
      folder, or a folder written by jaxtrade (it holds :data:`OUTPUT_MARKER`);
      anything else raises ``ValueError`` before any work, so a user's
      unrelated folder is never deleted. An unwritable parent raises
      ``PermissionError`` (an ``OSError``) at once, not at the end of a long run.
    * The body writes into the yielded temporary folder
      (``.<name>.tmp-*`` beside ``path``). When it returns, the marker file is
      written and the folder replaces ``path`` as a whole: no file of an
      earlier run remains beside the new ones.
    * When the body raises (including ``KeyboardInterrupt``) the temporary
      folder is removed and ``path`` is left as it was.

    Paths written inside the temporary folder move with it: map them with
    ``path / p.relative_to(tmp)``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "report"
    >>> with atomic_output_dir(out) as tmp:
    ...     _ = (tmp / "report.md").write_text("new")
    >>> sorted(p.name for p in out.iterdir())
    ['.jaxtrade-output', 'report.md']
    """
    final = pathlib.Path(os.path.abspath(check_output_dir(path, what=what)))
    if not final.name:
        raise ValueError(f"{what}: {path} cannot be an output folder (it is a file system root)")
    parent = final.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=parent))
    UNFINISHED_OUTPUTS.add(tmp)
    try:
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)
        yield tmp
        UNFINISHED_OUTPUTS.discard(tmp)  # from here on the folder is being put in place
        (tmp / OUTPUT_MARKER).write_text("written by jaxtrade; the folder is replaced as a whole on the next run\n")
        check_output_dir(final, what=what)  # still replaceable after the run?
        target = final
        if target.exists():
            old = pathlib.Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=parent))
            os.replace(target, old / "previous")
            try:
                os.replace(tmp, target)
            except BaseException:
                os.replace(old / "previous", target)  # put the previous output back
                shutil.rmtree(old, ignore_errors=True)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        UNFINISHED_OUTPUTS.discard(tmp)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
