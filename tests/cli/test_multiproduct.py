"""``jaxtrade multiproduct solve`` (jaxtrade/cli/multiproduct.py) through its own argparse harness."""

from __future__ import annotations

import argparse
import json
import pathlib

from jaxtrade.cli.multiproduct import add_parser
from jaxtrade.models.multiproduct import TABLE5_NAMES


def _cli(argv):
    ap = argparse.ArgumentParser()
    add_parser(ap.add_subparsers())
    args = ap.parse_args(argv)
    return args.func(args)


def test_cli_json_and_figures(capsys, tmp_path):
    rc = _cli(
        [
            "multiproduct",
            "solve",
            "--preset",
            "standard",
            "--n-z",
            "21",
            "--n-products",
            "5",
            "--json",
            "--figures",
            str(tmp_path),
        ]
    )
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["moments"]) == set(TABLE5_NAMES)
    assert out["converged"] and max(abs(v) for v in out["residuals"].values()) < 1e-10
    assert set(out["prices"]) >= {"W", "R", "D"}
    assert all(pathlib.Path(f).exists() and pathlib.Path(f).stat().st_size > 0 for f in out["figures"])
    rc = _cli(["multiproduct", "solve", "--n-z", "21", "--n-products", "5", "--smoothing", "-1"])
    assert rc == 2
    assert "smoothing >= 0" in capsys.readouterr().err
