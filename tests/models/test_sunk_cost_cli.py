"""The ``sunk-cost`` CLI subcommands through a local argparse harness."""

import argparse
import json

import pytest

from jaxtrade.cli_sunk_cost import add_parser


def _run(argv, capsys):
    parser = argparse.ArgumentParser(prog="jaxtrade")
    sub = parser.add_subparsers(dest="command")
    add_parser(sub)
    args = parser.parse_args(argv)
    rc = args.func(args)
    return rc, capsys.readouterr()


def test_steady_state_json(capsys):
    rc, out = _run(["sunk-cost", "steady-state", "--n-phi", "40", "--n-kappa", "40", "--calibrate-labor", "--json"], capsys)
    assert rc == 0
    d = json.loads(out.out)
    assert d["no_entry_costs"]["implied_sigma_log"] == pytest.approx(2.0, abs=1e-9)
    assert d["entry_costs"]["implied_sigma"] > d["no_entry_costs"]["implied_sigma"]
    assert d["entry_costs"]["trade_output_before"] == pytest.approx(0.091, abs=5e-3)


def test_time_series_json(capsys):
    rc, out = _run(["sunk-cost", "time-series", "--n-phi", "40", "--n-kappa", "40", "--economies", "4",
                    "--periods", "80", "--drop", "10", "--json"], capsys)  # fmt: skip
    assert rc == 0
    d = json.loads(out.out)
    assert d["mean_sigma_ces"] == pytest.approx(2.0, abs=1e-8)


def test_bad_input_exit_code(capsys):
    rc, out = _run(["sunk-cost", "steady-state", "--tau", "-0.5"], capsys)
    assert rc == 2 and "tau" in out.err
