"""The command line: `jaxtrade --help`, `python -m jaxtrade`, `jaxtrade vertical`, `jaxtrade replicate`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from jaxtrade.cli import main


def test_help_lists_the_main_job(capsys):
    assert main(["--help"]) == 0  # main returns argparse's exit code instead of raising SystemExit
    out = capsys.readouterr().out
    assert "replicate" in out and "vertical" in out


def test_python_dash_m_runs():
    res = subprocess.run([sys.executable, "-m", "jaxtrade", "--help"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "jaxtrade replicate" in res.stdout


def test_vertical_json_reports_elasticities_unknowns_and_lemmas(capsys):
    assert main(["vertical", "--sigma", "4", "--k", "5", "--tau-ji", "1.4", "--L-j", "1.2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in (
        "zeta_I",
        "zeta_F",
        "zeta_I_closed_form",
        "zeta_F_closed_form",
        "xi_I",
        "xi_F",
        "equilibrium",
        "lemma_signs",
    ):
        assert key in out
    assert out["zeta_I"] == pytest.approx(out["zeta_I_closed_form"], rel=1e-8)
    assert out["zeta_F"] == pytest.approx(5.0, rel=1e-8)
    assert out["zeta_I_closed_form"] == pytest.approx(5 * 3 / (6 - 5))
    assert len(out["equilibrium"]) == 12
    assert max(abs(r) for r in out["residuals"].values()) < 1e-10
    assert all(row["agrees"] for row in out["lemma_signs"])


def test_vertical_table_output(capsys):
    assert main(["vertical"]) == 0
    out = capsys.readouterr().out
    assert "Proposition 2" in out and "Lemma 3" in out


def test_vertical_rejects_assumption_1_violation(capsys):
    assert main(["vertical", "--sigma", "4", "--k", "7"]) == 2
    assert "Assumption 1" in capsys.readouterr().err


def test_replicate_writes_report_with_paper_values_beside_ours(tmp_path, capsys):
    assert main(["replicate", "--out", str(tmp_path), "--paper", "ara-zhang"]) == 0
    report = (tmp_path / "report.md").read_text()
    assert "Proposition 2" in report and "Lemma 1" in report
    assert "paper (closed form)" in report and "jaxtrade (autodiff)" in report
    assert (tmp_path / "ara_zhang_elasticities_vs_k.png").stat().st_size > 1000
    assert (tmp_path / "ara_zhang_cutoffs_vs_tau.png").stat().st_size > 1000
    assert "report written to" in capsys.readouterr().out


def test_replicate_rejects_unknown_paper(tmp_path, capsys):
    # invalid input: exit code 2 with the reason on stderr (jaxtrade.cli.common)
    assert main(["replicate", "--out", str(tmp_path), "--paper", "no-such-paper"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'no-such-paper'" in err and "ara-zhang" in err and "Traceback" not in err
