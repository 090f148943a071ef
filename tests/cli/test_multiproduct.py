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


def test_cli_calibrate_json_and_resume(capsys, tmp_path):
    """NPG (three export-cost parameters) on a small grid; the second call resumes from the checkpoint."""
    argv = ["multiproduct", "calibrate", "--preset", "npg", "--n-z", "11", "--n-products", "4", "--out",
            str(tmp_path), "--json", "--no-progress", "--table6-firms", "400"]  # fmt: skip
    rc = _cli(argv)
    out = json.loads(capsys.readouterr().out)
    assert rc == (0 if out["converged"] else 1)
    assert set(out) >= {"parameters", "paper_parameters", "moments", "table6", "converged", "loss", "seconds"}
    assert set(out["parameters"]) == {"gamma_0", "gamma_1", "gamma_2"}
    assert out["moments"]["exporter_share"]["targeted"] and not out["moments"]["mpef_to_nx"]["targeted"]
    assert set(out["moments"]) == set(TABLE5_NAMES)
    assert set(out["table6"]) >= {"coef", "se", "r2", "nobs"} and out["table6"]["nobs"] > 0
    assert [s["smoothing"] for s in out["stages"]] == [1e-2, 1e-3, 1e-4, 1e-5]
    saved = json.loads((tmp_path / "calibration.json").read_text())
    assert saved["parameters"] == out["parameters"]
    assert (tmp_path / "checkpoint.json").exists()
    # resuming a finished run recomputes no stage and returns the same estimate
    rc2 = _cli([*argv, "--resume"])
    again = json.loads(capsys.readouterr().out)
    assert rc2 == rc and again["parameters"] == out["parameters"]
    assert again["evaluations"] < out["evaluations"]


def test_cli_calibrate_rejects_bad_options(capsys, tmp_path):
    rc = _cli(["multiproduct", "calibrate", "--preset", "standard", "--out", str(tmp_path), "--standard-from",
               str(tmp_path / "x.json")])  # fmt: skip
    assert rc == 2 and "--standard-from applies to --preset npg only" in capsys.readouterr().err
    rc = _cli(["multiproduct", "calibrate", "--preset", "npg", "--out", str(tmp_path), "--standard-from",
               str(tmp_path / "missing.json")])  # fmt: skip
    assert rc == 2 and "no file" in capsys.readouterr().err
