"""Replications: one module per paper, each producing its tables and figures.

Each module exposes ``run(out_dir: pathlib.Path, full: bool = False) -> Section``;
:func:`jaxtrade.replication.report.replicate` runs them and writes the report.
"""
