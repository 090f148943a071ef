"""End-to-end runs of section 2 used by the CLI and the replication: build the table to a folder, then the tables.

Glue of the command line (``jaxtrade proximity build|tables``) and the
replication report.

``build_to_dir`` writes ``proximity_table.parquet`` (the regression-ready
table), ``build.json`` (options, counts, timings, panel report) and, for a
synthetic panel, ``panel.parquet`` and ``inputs.parquet``. ``tables_from_dir``
reads the table and writes ``table1.csv``, ``table2.csv``, ``footnote11.csv``,
``figure2.png`` and ``tables.md`` (each beside the paper's values).

Both write atomically. ``build_to_dir`` writes the folder through
:func:`~jaxtrade.reporting.atomic_output_dir`: a temporary folder renamed
into place at the end, replacing an earlier build as a whole (its tables
included, so no Table 1/2 of an earlier build stays beside a new table); an
interrupted build leaves the previous folder as it was. ``tables_from_dir``
writes its five files into a temporary folder inside the build folder and
moves them into place (one rename each) when all are written.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import shutil
import tempfile
import time

import pandas as pd

from jaxtrade.empirics.proximity import (
    ProximityOptions,
    build_proximity_table,
    footnote11,
    generate_panel,
    get_config,
    read_panel,
    table1,
    table2,
    validate_panel,
    write_panel,
)
from jaxtrade.empirics.proximity import figure2 as figure2_plot
from jaxtrade.reporting import atomic_output_dir, frame_to_markdown

from . import paper, tables

__all__ = ["TABLE_FILE", "build_to_dir", "tables_for", "tables_from_dir"]

TABLE_FILE = "proximity_table.parquet"
TABLES_FILES = ("table1.csv", "table2.csv", "footnote11.csv", "figure2.png", "tables.md")
"""The files :func:`tables_from_dir` writes."""


def build_to_dir(
    out_dir: str | pathlib.Path,
    *,
    input_path: str | pathlib.Path | None = None,
    inputs_path: str | pathlib.Path | None = None,
    synthetic: str | None = None,
    synthetic_overrides: dict | None = None,
    options: ProximityOptions | None = None,
    aggregate_duplicates: bool = False,
    echo=print,
    progress: bool | None = None,
) -> dict:
    """Read (or simulate) a panel, build the proximity table and write it to ``out_dir``.

    Exactly one of ``input_path`` (parquet file/folder or CSV in the schema) and
    ``synthetic`` (a preset name) is required. ``inputs_path`` is an optional
    parquet/CSV product x input matrix (first column the product code) for IOP.
    ``progress`` shows the build stages on a progress bar (see
    :func:`~jaxtrade.empirics.proximity.build_proximity_table`).
    ``out_dir`` is replaced as a whole when the build succeeds (module
    docstring); it must be absent, empty or an earlier jaxtrade output.
    """
    if (input_path is None) == (synthetic is None):
        raise ValueError("give exactly one of input_path and synthetic")
    if input_path is not None and not pathlib.Path(input_path).exists():
        raise FileNotFoundError(2, "No such file or directory", str(input_path))
    if inputs_path is not None and not pathlib.Path(inputs_path).is_file():
        raise FileNotFoundError(2, "No such file or directory", str(inputs_path))
    with atomic_output_dir(out_dir, what="out") as tmp:
        summary, line = _build(tmp, input_path, inputs_path, synthetic, synthetic_overrides, options,
                               aggregate_duplicates, echo, progress)  # fmt: skip
    echo(f"{line} -> {pathlib.Path(out_dir) / TABLE_FILE}")
    return summary


def _build(out, input_path, inputs_path, synthetic, synthetic_overrides, options, aggregate_duplicates, echo,
           progress) -> tuple[dict, str]:  # fmt: skip
    """The body of :func:`build_to_dir`, writing into the folder ``out``; the summary and its one-line account."""
    timings = {}
    t0 = time.perf_counter()
    inputs = None
    if synthetic is not None:
        cfg = get_config(synthetic, **(synthetic_overrides or {}))
        sp = generate_panel(cfg)
        raw, inputs = sp.panel, sp.inputs
        source = {"synthetic": synthetic, "config": dataclasses.asdict(cfg)}
    else:
        assert input_path is not None
        raw = read_panel(input_path)
        source = {"input": str(input_path)}
    if inputs_path is not None:
        p = pathlib.Path(inputs_path)
        inputs = pd.read_parquet(p) if p.suffix in (".parquet", ".pq") else pd.read_csv(p, dtype={0: str})
        inputs = inputs.set_index(inputs.columns[0])
        inputs.index = inputs.index.astype(str)
    timings["read_or_generate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    panel, report = validate_panel(raw, aggregate_duplicates=aggregate_duplicates)
    timings["validate"] = time.perf_counter() - t0
    if report.n_duplicate_rows:
        echo(f"aggregated {report.n_duplicate_rows} duplicate rows into {report.n_duplicate_keys} keys")
    res = build_proximity_table(panel, inputs, options, validate=False, progress=progress)
    timings.update({f"build_{k}": v for k, v in res.timings.items()})
    t0 = time.perf_counter()
    res.table.to_parquet(out / TABLE_FILE, index=False)
    if synthetic is not None and inputs is not None:
        write_panel(panel, out / "panel.parquet")
        inputs.reset_index().to_parquet(out / "inputs.parquet", index=False)
    timings["write"] = time.perf_counter() - t0
    summary = {
        "source": source,
        "options": dataclasses.asdict(options or ProximityOptions()),
        "panel_report": report.as_dict(),
        "counts": res.counts,
        "timings_s": timings,
    }
    (out / "build.json").write_text(json.dumps(summary, indent=2, default=str))
    return summary, (
        f"{res.counts['candidates']:,} candidate rows ({res.counts['candidates_without_outcome']:,} without an "
        f"outcome: the last year's, for prediction) from {len(panel):,} panel rows"
    )


def tables_from_dir(out_dir: str | pathlib.Path, *, seed: int = 0, echo=print) -> dict:
    """Tables 1-2, footnote 11 and Figure 2 from ``out_dir/proximity_table.parquet``."""
    out = pathlib.Path(out_dir)
    path = out / TABLE_FILE
    if not path.exists():
        raise ValueError(f"{path} not found; run `jaxtrade proximity build` first")
    table = pd.read_parquet(path)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix=".tables.tmp-", dir=out))
    try:
        result = tables_for(table, tmp, seed=seed, echo=echo)
        for name in TABLES_FILES:
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result["figure2"] = out / pathlib.Path(result["figure2"]).name
    return result


def tables_for(table: pd.DataFrame, out: pathlib.Path, *, seed: int = 0, echo=print) -> dict:
    """Tables 1-2, footnote 11 and Figure 2 of ``table``, written to ``out`` beside the paper's values."""
    t1 = table1(table)
    long, _ = table2(table)
    f11, _ = footnote11(table, seed=seed)
    fig = figure2_plot(table, out / "figure2.png")
    t1.to_csv(out / "table1.csv", index=False)
    long.to_csv(out / "table2.csv", index=False)
    f11.to_csv(out / "footnote11.csv", index=False)
    t1p = tables.table1_beside_paper(t1)
    t2p = tables.table2_beside_paper(long)
    f11p = tables.footnote11_beside_paper(f11)
    text = (
        f"Table 1 ({t1.attrs['n_candidates']:,} candidate rows with an observed outcome, "
        f"{t1.attrs['n_no_outcome']:,} of the last year left out; baseline introduction rate {t1.attrs['baseline']:.4f}, "
        f"paper {paper.BASELINE:g})\n\n"
        f"{frame_to_markdown(t1p)}\n\nTable 2\n\n{frame_to_markdown(t2p)}\n\nFootnote 11\n\n{frame_to_markdown(f11p)}\n"
    )
    (out / "tables.md").write_text(text)
    echo(text)
    return {"table1": t1, "table2": long, "footnote11": f11, "figure2": fig, "table1_paper": t1p,
            "table2_paper": t2p, "footnote11_paper": f11p}  # fmt: skip
