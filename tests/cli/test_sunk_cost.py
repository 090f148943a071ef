"""The ``sunk-cost`` CLI subcommands (jaxtrade/cli/sunk_cost.py) through a local argparse harness."""

import argparse
import json

import pytest

from jaxtrade.cli.sunk_cost import add_parser, params_from_args


def _run(argv, capsys):
    parser = argparse.ArgumentParser(prog="jaxtrade")
    sub = parser.add_subparsers(dest="command")
    add_parser(sub)
    args = parser.parse_args(argv)
    rc = args.func(args)
    return rc, capsys.readouterr()


def test_steady_state_json(capsys):
    rc, out = _run(
        ["sunk-cost", "steady-state", "--n-phi", "40", "--n-kappa", "40", "--calibrate-labor", "--json"], capsys
    )
    assert rc == 0
    d = json.loads(out.out)
    assert d["no_entry_costs"]["implied_sigma_log"] == pytest.approx(2.0, abs=1e-9)
    assert d["entry_costs"]["implied_sigma"] > d["no_entry_costs"]["implied_sigma"]
    assert d["entry_costs"]["trade_output_before"] == pytest.approx(0.091, abs=5e-3)
    timing = d["timing"]  # compile and run time reported apart (jaxtrade.timing)
    assert set(timing) == {"total_s", "compile_s", "run_s"}
    assert 0 <= timing["compile_s"] <= timing["total_s"] and timing["run_s"] >= 0


def test_time_series_json(capsys):
    rc, out = _run(["sunk-cost", "time-series", "--n-phi", "40", "--n-kappa", "40", "--economies", "4",
                    "--periods", "80", "--drop", "10", "--rule", "constant", "--json"], capsys)  # fmt: skip
    assert rc == 0
    d = json.loads(out.out)
    assert d["mean_sigma_ces"] == pytest.approx(2.0, abs=1e-8) and d["rule"] == "constant"


def test_krusell_smith_loglinear_table(capsys):
    argv = ["sunk-cost", "krusell-smith", "--n-phi", "20", "--n-kappa", "20", "--periods", "400", "--burn", "100",
            "--n-m", "3", "--n-x", "400", "--max-outer", "150"]  # fmt: skip
    rc, out = _run(argv + ["--json"], capsys)
    assert rc == 0, out.err
    d = json.loads(out.out)
    assert d["rule"] == "loglinear" and d["converged"] and d["residual"] < 1e-5
    assert d["paper_objects"] == ["P", "Pi", "m'", "w_f"]
    assert len(d["paper_object_coefficients"]) == 4 and len(d["paper_object_coefficients"][0]) == 4
    assert d["paper"]["r2"]["P"] == 0.999
    # the foreign wage falls with the home moment and rises with the foreign one, as in the paper's table
    wf = d["paper_object_coefficients"][3]
    assert all(row[1] < 0 < row[2] for row in wf)
    rc, out = _run(argv, capsys)
    assert rc == 0 and "Appendix 1 table" in out.out and "paper" in out.out


def test_bad_input_exit_code(capsys):
    rc, out = _run(["sunk-cost", "steady-state", "--tau", "-0.5"], capsys)
    assert rc == 2 and "tau" in out.err


def test_business_cycle_json(capsys):
    argv = ["sunk-cost", "business-cycle", "--n-phi", "20", "--n-kappa", "20", "--economies", "4", "--periods", "120",
            "--drop", "20", "--ks-periods", "400", "--ks-burn", "100", "--n-m", "3", "--n-x", "400", "--json"]  # fmt: skip
    rc, out = _run(argv, capsys)
    assert rc == 0, out.err
    d = json.loads(out.out)
    # the productivity-only closed forms of the two-state chain: sd atanh(epsilon), autocorrelation 2 lambda - 1
    assert d["productivity"]["autocorr"] == pytest.approx(2 * 0.803 - 1, abs=1e-12)
    assert d["paper"]["autocorr_log_output"] == 0.793 and 0.0 < d["mean_sd"] < 0.1 and -1.0 < d["mean_autocorr"] < 1.0


def test_entry_cost_units_option_reaches_the_parameters():
    parser = argparse.ArgumentParser(prog="jaxtrade")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["sunk-cost", "time-series", "--n-phi", "10", "--n-kappa", "10",
                              "--entry-cost-units", "effective_labor"])  # fmt: skip
    assert params_from_args(args).entry_cost_units == "effective_labor"
    args = parser.parse_args(["sunk-cost", "steady-state", "--n-phi", "10", "--n-kappa", "10"])
    assert params_from_args(args).entry_cost_units == "labor"


def test_paper_values_only_beside_the_papers_experiment(capsys):
    """The paper's Table 3 is for its own tariff: another --tau prints no paper column (issue 15)."""
    argv = ["sunk-cost", "steady-state", "--n-phi", "20", "--n-kappa", "20"]
    rc, out = _run([*argv, "--json"], capsys)
    d = json.loads(out.out)
    assert rc == 0 and d["paper"] is not None and "paper_note" not in d
    rc, out = _run([*argv, "--tau", "0.10", "--json"], capsys)
    d = json.loads(out.out)
    assert rc == 0 and d["paper"] is None and "tau = 0.1" in d["paper_note"]
    rc, out = _run([*argv, "--tau", "0.10"], capsys)
    assert "no paper values" in out.out and "23.39" not in out.out
