"""Issue 15: the proximity pipeline's inputs, options and edge cases (jaxtrade.empirics.proximity, ``jaxtrade proximity``)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from jaxtrade.cli import main
from jaxtrade.empirics.proximity import (
    NoCandidatesWarning,
    ProximityOptions,
    build_proximity_table,
    figure2_data,
    footnote11,
    generate_panel,
    get_config,
    table1,
    table2,
)

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


# --------------------------------------------------------------------------- 4. the support rule of Figure 1
A, B, C = "010101", "010102", "020101"


def support_panel() -> pd.DataFrame:
    """Seven firms in (USA, 2000): firms 1-3 export A and B (1 each), firms 4-6 A, B (1 each) and C (8), firm 7 (F) A.

    F also exports B to JPN in 2000, so B is its candidate in the USA; 2001 is there for the outcome.
    """
    rows = [(f, p, "USA", 2000, 1.0) for f in (1, 2, 3) for p in (A, B)]
    rows += [(f, p, "USA", 2000, v) for f in (4, 5, 6) for p, v in ((A, 1.0), (B, 1.0), (C, 8.0))]
    rows += [(7, A, "USA", 2000, 1.0), (7, B, "JPN", 2000, 1.0), (7, A, "USA", 2001, 1.0), (7, B, "USA", 2001, 1.0)]
    return pd.DataFrame(rows, columns=["firm", "product", "destination", "year", "value"])


def test_support_counts_active_exporters_by_default():
    """Hand computation of EBP(F, B, USA, 2000) from eqs. (1)-(3) and Figure 1's note.

    N = 7 active firms. Shares: firms 1-3 (A .5, B .5), firms 4-6 (A .1, B .1, C .8), F (A 1).
    Mean shares (eq. 1): A (1.5 + .3 + 1)/7 = .4, B 1.8/7, C 2.4/7; so RCA_A = 1.25 (firms 1-3),
    .25 (4-6), 2.5 (F); RCA_B = 1.94 (1-3), .39 (4-6): presence u_A = 4 (1, 2, 3, F), u_B = 3
    (1, 2, 3), C_AB = 3. Exporters: A 7, B 6. F's basket in the USA is {A}, its candidate B.
    Leaving F out: C_AB = 3, u_A = 3, u_B = 3, so phi_AB = 3 / 3 = 1; exporters of A 6, of B 6,
    both >= 5 ("at least five active exporters"): EBP = 1. Counting only RCA-present firms
    (3 and 3, both < 5) would give 0. Full sample: phi_AB = 3 / max(4, 3) = .75.
    """
    assert ProximityOptions().support == "exporters"
    panel = support_panel()
    res = build_proximity_table(panel, progress=False)
    row = res.table.set_index(["firm", "product", "destination", "year"]).loc[(7, B, "USA", 2000)]
    assert row["ebp"] == pytest.approx(1.0, abs=1e-12)
    assert row["basket_size"] == 1 and row["introduction"] == 1
    usa = int(np.flatnonzero((res.cells["destination"] == "USA") & (res.cells["year"] == 2000))[0])
    phi = np.asarray(res.phi.todense())[usa]
    a, b, c = (list(res.products).index(p) for p in (A, B, C))
    assert phi[a, b] == pytest.approx(0.75, abs=1e-12)  # full sample, no leave-one-out
    assert (phi[a, a], phi[b, b], phi[c, c]) == (1.0, 1.0, 0.0)  # C has 3 exporters < 5: no proximity
    rca = res.panel_rows.set_index(["firm", "product", "destination", "year"])["rca"]
    assert rca.loc[(1, A, "USA", 2000)] == pytest.approx(1.25) and rca.loc[(7, A, "USA", 2000)] == pytest.approx(2.5)
    assert rca.loc[(1, B, "USA", 2000)] == pytest.approx(0.5 / (1.8 / 7))

    presence = build_proximity_table(panel, options=ProximityOptions(support="presence"), progress=False).table
    assert presence.set_index(["firm", "product", "destination", "year"]).loc[(7, B, "USA", 2000), "ebp"] == 0.0
    full = build_proximity_table(panel, options=ProximityOptions(leave_one_out=False), progress=False).table
    assert full.set_index(["firm", "product", "destination", "year"]).loc[(7, B, "USA", 2000), "ebp"] == pytest.approx(
        0.75
    )


def test_cli_support_default_and_option(tmp_path, capsys):
    support_panel().to_csv(tmp_path / "panel.csv", index=False)
    base = ["proximity", "build", "--input", str(tmp_path / "panel.csv"), "--no-progress"]
    ebp = {}
    for name, flags in (("default", []), ("presence", ["--support", "presence"])):
        assert main([*base, "--out", str(tmp_path / name), *flags]) == 0
        table = pd.read_parquet(tmp_path / name / "proximity_table.parquet")
        table["product"] = table["product"].astype(str)
        ebp[name] = table.loc[(table["firm"] == 7) & (table["product"] == B) & (table["destination"] == "USA"), "ebp"]
    assert ebp["default"].item() == pytest.approx(1.0) and ebp["presence"].item() == 0.0
    capsys.readouterr()


# --------------------------------------------------------------------------- 3. a panel too small for any candidate
def test_single_year_panel_has_candidates_without_outcome_and_tables_raise():
    """One year: the candidates are there (the last year's rows, outcome NaN) but no table can be made."""
    panel = support_panel().query("year == 2000")
    with warnings.catch_warnings():
        warnings.simplefilter("error", NoCandidatesWarning)
        res = build_proximity_table(panel, progress=False)
    assert len(res.table) == res.counts["candidates"] == res.counts["candidates_without_outcome"] == 2
    assert res.table["introduction"].isna().all() and res.table["ebp"].notna().all()
    for fn in (table1, table2, footnote11, figure2_data):
        with pytest.raises(ValueError, match="no candidate row has an observed outcome"):
            fn(res.table)


def test_empty_single_year_panel_warns_and_tables_raise():
    panel = support_panel().query("year == 2000 and firm != 7")  # one destination: no candidate at all
    with pytest.warns(NoCandidatesWarning, match=r"C_fdt = S_ft \\ S_fdt is empty.*0 of 6 firm-years"):
        res = build_proximity_table(panel, progress=False)
    assert len(res.table) == 0 and res.counts["candidates"] == 0
    for fn in (table1, table2, footnote11, figure2_data):
        with pytest.raises(ValueError, match="proximity table is empty"):
            fn(res.table)


def test_no_missing_product_warns():
    base = support_panel().query("firm != 7")  # firms 1-6 export all their products to their one destination
    panel = pd.concat([base, base.assign(year=2001)], ignore_index=True)
    with pytest.warns(NoCandidatesWarning, match=r"C_fdt = S_ft \\ S_fdt is empty.*0 of 12 firm-years"):
        res = build_proximity_table(panel, progress=False)
    assert len(res.table) == 0


def test_cli_tables_on_empty_build_exit_2(tmp_path, capsys):
    support_panel().query("year == 2000").to_csv(tmp_path / "panel.csv", index=False)
    out = tmp_path / "o"
    assert main(["proximity", "build", "--input", str(tmp_path / "panel.csv"), "--out", str(out), "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["proximity", "tables", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no candidate row has an observed outcome" in err
