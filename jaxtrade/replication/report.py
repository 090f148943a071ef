"""Markdown report assembly shared by every paper's replication module."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import pathlib
import platform
from typing import Callable

import jax
import pandas as pd


@dataclasses.dataclass
class Section:
    """One paper's part of the report: a title, markdown blocks and figure paths."""

    title: str
    blocks: list[str] = dataclasses.field(default_factory=list)
    figures: list[pathlib.Path] = dataclasses.field(default_factory=list)

    def add_table(self, caption: str, table: pd.DataFrame, note: str = "") -> None:
        """Add a captioned table (rendered as a markdown pipe table)."""
        text = f"**{caption}**\n\n{frame_to_markdown(table)}\n"
        if note:
            text += f"\n{note}\n"
        self.blocks.append(text)

    def add_text(self, text: str) -> None:
        self.blocks.append(text.strip() + "\n")

    def add_figure(self, caption: str, path: pathlib.Path) -> None:
        self.figures.append(path)
        self.blocks.append(f"**{caption}**\n\n![{caption}]({path.name})\n")

    def markdown(self) -> str:
        return f"## {self.title}\n\n" + "\n".join(self.blocks)


def frame_to_markdown(df: pd.DataFrame, floatfmt: str = "{:.6g}") -> str:
    """A pandas DataFrame as a GitHub pipe table, without optional dependencies."""

    def fmt(x):
        if isinstance(x, float):
            return floatfmt.format(x)
        return str(x)

    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "| " + " | ".join("---" for _ in cols) + " |"]
    for _, row in df.iterrows():
        lines.append("| " + " | ".join(fmt(v) for v in row.tolist()) + " |")
    return "\n".join(lines)


def machine_line() -> str:
    devs = ", ".join(sorted({d.device_kind for d in jax.devices()}))
    return f"{platform.platform()}, Python {platform.python_version()}, JAX {jax.__version__} on {jax.default_backend()} ({devs})"


def write_report(out_dir: pathlib.Path, sections: list[Section]) -> pathlib.Path:
    """Write ``report.md`` in ``out_dir`` and return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    head = (
        "# jaxtrade replication report\n\n"
        f"Generated {stamp} on {machine_line()}.\n\n"
        "Every table prints the paper's value beside jaxtrade's, with the paper's table, "
        "equation or proposition number.\n\n"
    )
    path = out_dir / "report.md"
    path.write_text(head + "\n".join(s.markdown() for s in sections))
    return path


PAPERS: dict[str, Callable[..., Section]] = {}


def register(name: str):
    """Decorator: register a paper's ``run(out_dir, full)`` under ``name``."""

    def deco(fn):
        PAPERS[name] = fn
        return fn

    return deco


def replicate(out_dir: pathlib.Path, papers: list[str] | None = None, full: bool = False, echo: Callable[[str], None] = print) -> pathlib.Path:
    """Run the registered replications and write the report."""
    import jaxtrade.replication.ara_zhang  # noqa: F401  (each module registers itself)
    import jaxtrade.replication.heo_kim_empirics  # noqa: F401
    import jaxtrade.replication.heo_kim_model  # noqa: F401
    import jaxtrade.replication.ruhl  # noqa: F401

    names = papers or list(PAPERS)
    unknown = [n for n in names if n not in PAPERS]
    if unknown:
        raise ValueError(f"unknown paper(s) {unknown}; available: {sorted(PAPERS)}")
    sections = []
    for name in names:
        echo(f"== {name} ==")
        section = PAPERS[name](out_dir, full=full)
        echo(section.markdown())
        sections.append(section)
    path = write_report(out_dir, sections)
    echo(f"report written to {path}")
    return path
