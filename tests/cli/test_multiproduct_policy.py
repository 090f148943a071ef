"""``jaxtrade multiproduct policy`` (jaxtrade/cli/multiproduct.py) through its own argparse harness.

The solves run on a small grid (15 x 4, taste-shock scale 1e-3, T = 80): every transition of Tables 7-8
converges there. The tests of one module share JAX's compiled programs (same shapes), so the single
experiment compiles the Standard model for the tables test that follows it.
"""

from __future__ import annotations

import argparse
import json
import math
import pathlib

import pytest

from jaxtrade.cli.multiproduct import add_parser
from jaxtrade.models.multiproduct import calibration as cal

SMALL = ["--n-z", "15", "--n-products", "4", "--smoothing", "1e-3", "--T", "80", "--no-progress"]
PNG = b"\x89PNG\r\n\x1a\n"


def _cli(argv):
    ap = argparse.ArgumentParser()
    add_parser(ap.add_subparsers())
    args = ap.parse_args(argv)
    return args.func(args)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--tables", "--experiment", "trade-war"], "--tables runs all twelve"),
        (["--tables", "--preset", "npg", "--schedule", "psi2"], "--schedule, --preset choose one experiment"),
        ([], "give --experiment (liberalization or trade-war)"),
        (["--experiment", "liberalization", "--T", "1"], "--T must be >= 2"),
        (["--experiment", "liberalization", "--n-z", "2"], "n_z must be an int >= 3"),
        (["--experiment", "liberalization", "--smoothing", "-1"], "smoothing >= 0"),
        (["--tables", "--params", "table4", "--n-products", "1"], "n_products must be an int >= 2"),
    ],
)
def test_policy_rejects_bad_options(argv, message, capsys):
    assert _cli(["multiproduct", "policy", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("jaxtrade multiproduct policy: invalid input:") and message in err, err


def test_policy_rejects_a_file_as_figure_folder_and_unknown_choices(capsys, tmp_path):
    target = tmp_path / "file.png"
    target.write_bytes(b"")
    assert _cli(["multiproduct", "policy", "--experiment", "trade-war", "--figures", str(target)]) == 2
    assert "is not a folder" in capsys.readouterr().err
    for bad in (["--schedule", "psi3"], ["--experiment", "war"], ["--params", "paper"], ["--preset", "x"]):
        with pytest.raises(SystemExit) as exc:
            _cli(["multiproduct", "policy", *bad])
        assert exc.value.code == 2
        assert "invalid choice" in capsys.readouterr().err


@pytest.mark.slow
def test_policy_one_experiment_json_figure_and_fallback(capsys, tmp_path, monkeypatch):
    rc = _cli(["multiproduct", "policy", "--experiment", "trade-war", "--schedule", "flat", "--preset", "standard",
               "--json", "--figures", str(tmp_path), *SMALL])  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["converged"] and out["solver"]["residual"] < 1e-6 and out["solver"]["iterations"] > 0
    assert out["parameters"] == "calibrated" and out["parameters_note"] is None
    assert out["grid"] == {"n_z": 15, "n_products": 4, "smoothing": 1e-3} and out["T"] == 80
    assert out["paper"] == {"table": 8, "ss": -2.32, "trans": -2.59}
    assert set(out["cev"]) == {"ss", "trans", "ss_log", "trans_log"} and out["cev"]["trans"] < out["cev"]["ss"] < 0
    assert out["tariffs"]["after"] == pytest.approx([0.2] * 4) and out["tariffs"]["weighted_average_after"] == (
        pytest.approx(0.2)
    )
    assert out["paths"]["N"]["long_run"] > 0 > out["paths"]["C"]["long_run"]  # protection: more firms, less C
    assert out["paper_readings"]["C/long_run"] == {"figure": "Figure 12", "value": -2.5}
    (figure,) = out["figures"]
    assert pathlib.Path(figure).parent == tmp_path and pathlib.Path(figure).read_bytes()[:8] == PNG

    # without a stored calibration the command falls back to Table 4 and says so
    def unavailable(path=None):
        raise FileNotFoundError("no stored calibration (test)")

    monkeypatch.setattr(cal, "stored_calibration", unavailable)
    rc = _cli(["multiproduct", "policy", "--experiment", "liberalization", *SMALL])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "note: the stored calibration is unavailable" in captured.err
    assert "parameters: the paper's Table 4 parameters" in captured.out and "unavailable" in captured.out
    for text in ("beside the paper's Table 7", "SS (Table 7)", "export scope (average)", "solver: iterations="):
        assert text in captured.out, text


@pytest.mark.slow
def test_policy_tables_json(capsys, tmp_path):
    rc = _cli(["multiproduct", "policy", "--tables", "--json", *SMALL])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert out["parameters"] == "calibrated" and "calibrated parameters" in out["parameters_description"]
    assert out["converged"] is True and out["max_path_residual"] < 1e-6
    assert len(out["experiments"]) == 12 and all(e["converged"] for e in out["experiments"])
    for key, sign in (("table7", 1.0), ("table8", -1.0)):
        assert set(out[key]) == {"standard", "npg"}
        for model in ("standard", "npg"):
            assert set(out[key][model]) == {"flat", "psi0.5", "psi2"}
            for cell in out[key][model].values():
                for form in ("ss", "trans"):
                    assert math.isfinite(cell[form]) and sign * cell[form] > 0, (key, model, cell)
        assert set(out[f"{key}_ratio"]) == {"flat", "psi0.5", "psi2"}
    assert out["paper"]["table7"]["standard"]["flat"] == {"ss": 1.00, "trans": 1.28}
    assert out["paper"]["table8_ratio"]["psi2"] == {"ss": 1.01, "trans": 1.06}
    # the log forms are ln(1 + CEV)
    cell, log = out["table7"]["standard"]["flat"], out["table7_log"]["standard"]["flat"]
    assert log["trans"] == pytest.approx(100 * math.log1p(cell["trans"] / 100), rel=1e-9)
