"""Issue 15: the proximity pipeline's inputs, options and edge cases (jaxtrade.empirics.proximity, ``jaxtrade proximity``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jaxtrade.cli import main
from jaxtrade.empirics.proximity import ProximityOptions, build_proximity_table, generate_panel, get_config

NAN, INF = float("nan"), float("inf")


@pytest.fixture(scope="module")
def small():
    return generate_panel("tiny", n_firms=60, n_years=2, seed=1)


# --------------------------------------------------------------------------- 1. options checked up front
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hs_digits": 0}, "hs_digits must be a positive integer, got 0"),
        ({"hs_digits": -3}, "hs_digits must be a positive integer, got -3"),
        ({"hs_digits": 4.5}, "hs_digits must be a positive integer, got 4.5"),
        ({"hs_curvature": NAN}, "hs_curvature must be a finite number > 0, got nan"),
        ({"hs_curvature": INF}, "hs_curvature must be a finite number > 0, got inf"),
        ({"hs_curvature": 0.0}, "hs_curvature must be a finite number > 0, got 0.0"),
        ({"min_support": NAN}, "min_support must be an integer >= 0, got nan"),
        ({"min_support": -1}, "min_support must be an integer >= 0, got -1"),
        ({"chunk_size": 10}, "chunk_size must be an integer >= 1024, got 10"),
        ({"leave_one_out": "no"}, "leave_one_out must be True or False"),
    ],
)
def test_options_rejected_with_their_rule(kwargs, message):
    with pytest.raises(ValueError, match=f"^{message}"):
        ProximityOptions(**kwargs)


def test_valid_options_still_accepted():
    assert ProximityOptions(hs_digits=4, hs_curvature=3.0, min_support=0).hs_digits == 4
    assert ProximityOptions(min_support=np.int64(5), hs_digits=None).min_support == 5


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("strength", NAN, "a finite number"),
        ("strength", INF, "a finite number"),
        ("value_sigma", -1.0, "a finite number >= 0"),
        ("value_sigma", NAN, "a finite number >= 0"),
        ("scope_mean", INF, "a finite number >= 1"),
        ("dest_mean", NAN, "a finite number >= 1"),
        ("popularity_sd", INF, "a finite number >= 0"),
        ("firm_pareto_shape", 0.0, "a finite number > 0"),
        ("persistence", NAN, r"a finite number >= 0 and <= 1"),
        ("seed", -1, "an integer >= 0"),
        ("n_firms", 2.5, "an integer >= 2"),
        ("n_years", 1, "an integer >= 2"),
    ],
)
def test_synthetic_parameters_rejected_with_their_rule(field, value, rule):
    with pytest.raises(ValueError, match=f"^SyntheticConfig.{field} must be {rule}, got"):
        get_config("tiny", **{field: value})
    assert get_config("tiny", strength=-0.1).strength == -0.1  # a negative planted effect is allowed


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--hs-digits", "0"], "hs_digits must be a positive integer, got 0"),
        (["--hs-curvature", "nan"], "hs_curvature must be a finite number > 0, got nan"),
        (["--hs-curvature", "inf"], "hs_curvature must be a finite number > 0, got inf"),
        (["--min-support", "-2"], "min_support must be an integer >= 0, got -2"),
        (["--strength", "nan"], "SyntheticConfig.strength must be a finite number, got nan"),
        (["--seed", "-1"], "SyntheticConfig.seed must be an integer >= 0, got -1"),
    ],
)
def test_cli_exits_2_with_one_line(tmp_path, capsys, flags, message):
    out = tmp_path / "o"
    code = main(["proximity", "build", "--synthetic", "tiny", "--out", str(out), "--no-progress", *flags])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err == f"jaxtrade proximity build: invalid input: {message}\n"
    assert not (out / "proximity_table.parquet").exists()


# --------------------------------------------------------------------------- 2. the input-requirements matrix
def test_inputs_array_is_a_type_error(small):
    with pytest.raises(TypeError, match="inputs must be a pandas DataFrame indexed by product code.*numpy.ndarray"):
        build_proximity_table(small.panel, small.inputs.to_numpy(), progress=False)


@pytest.mark.parametrize("bad", [NAN, INF, -INF])
def test_inputs_nonfinite_cell_names_the_product(small, bad):
    product = str(small.panel["product"].iloc[0])
    inputs = small.inputs.copy()
    inputs.loc[product, "input_03"] = bad
    with pytest.raises(ValueError, match=f"NaN or inf cell.*product '{product}' in column 'input_03'"):
        build_proximity_table(small.panel, inputs, progress=False)


def test_inputs_nonfinite_outside_the_panel_is_ignored(small):
    unused = sorted(set(small.inputs.index) - set(small.panel["product"]))[0]
    inputs = small.inputs.copy()
    inputs.loc[unused, "input_00"] = NAN
    res = build_proximity_table(small.panel, inputs, progress=False)
    assert res.table["iop"].notna().all()


def test_cli_inputs_with_nan_exit_2(tmp_path, capsys, small):
    small.panel.to_csv(tmp_path / "panel.csv", index=False)
    inputs = small.inputs.copy()
    inputs.loc[str(small.panel["product"].iloc[0]), "input_01"] = NAN
    inputs.reset_index().to_csv(tmp_path / "inputs.csv", index=False)
    argv = ["proximity", "build", "--input", str(tmp_path / "panel.csv"), "--inputs", str(tmp_path / "inputs.csv")]
    assert main([*argv, "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "NaN or inf cell" in err and "input_01" in err
