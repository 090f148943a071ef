"""``jaxtrade proximity build|tables`` (jaxtrade/cli/proximity.py) through its own argparse harness."""

from __future__ import annotations

import argparse
import json

import pandas as pd
import pytest

from jaxtrade.cli.proximity import add_parser
from jaxtrade.empirics.proximity import generate_panel

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="jaxtrade")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_build_synthetic_then_tables(tmp_path, capsys):
    out = tmp_path / "run"
    assert run_cli(["proximity", "build", "--synthetic", "tiny", "--seed", "3", "--out", str(out)]) == 0
    table = pd.read_parquet(out / "proximity_table.parquet")
    for col in ["firm", "product", "destination", "year", "ebp", "ebp_w", "hsp", "iop", "introduction",
                "firm_year", "product_year", "firm_destination"]:  # fmt: skip
        assert col in table.columns
    meta = json.loads((out / "build.json").read_text())
    assert meta["counts"]["candidates"] == len(table) and meta["source"]["config"]["seed"] == 3
    assert run_cli(["proximity", "tables", str(out)]) == 0
    text = capsys.readouterr().out
    assert "0.3104 (0.0017)" in text and "EBP > 0.1" in text
    for name in ["table1.csv", "table2.csv", "footnote11.csv", "figure2.png", "tables.md"]:
        assert (out / name).exists()


def test_build_from_user_csv_with_duplicates(tmp_path, capsys):
    sp = generate_panel("tiny", seed=4)
    panel = pd.concat([sp.panel, sp.panel.iloc[:3]], ignore_index=True)
    panel.to_csv(tmp_path / "panel.csv", index=False)
    sp.inputs.reset_index().to_csv(tmp_path / "inputs.csv", index=False)
    argv = ["proximity", "build", "--input", str(tmp_path / "panel.csv"), "--out", str(tmp_path / "o")]
    assert run_cli(argv) == 2
    assert "duplicate" in capsys.readouterr().err
    assert run_cli(argv + ["--aggregate-duplicates", "--inputs", str(tmp_path / "inputs.csv")]) == 0
    assert "aggregated 6 duplicate rows into 3 keys" in capsys.readouterr().out
    table = pd.read_parquet(tmp_path / "o" / "proximity_table.parquet")
    assert table["iop"].notna().all()


def test_tables_on_missing_folder(tmp_path, capsys):
    assert run_cli(["proximity", "tables", str(tmp_path)]) == 2
    assert "run `jaxtrade proximity build` first" in capsys.readouterr().err


def test_source_is_required():
    with pytest.raises(SystemExit):
        run_cli(["proximity", "build", "--out", "x"])
