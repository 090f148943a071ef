"""jaxtrade.reporting: comparisons with a gap and a tolerance mark, escaped markdown, the scorecard."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from jaxtrade.reporting import DASH, Section, Tolerance, comparison_frame, frame_to_markdown, write_report


def test_tolerance_rule_and_validation():
    tol = Tolerance(rel=0.15, abs=0.01)
    assert tol.bound(2.0) == pytest.approx(0.3) and tol.bound(0.0) == 0.01
    assert tol.holds(2.0, 2.29) and not tol.holds(2.0, 2.31) and not tol.holds(2.0, math.nan)
    with pytest.raises(ValueError, match="one of them positive"):
        Tolerance()


def test_comparison_frame_gap_and_status():
    rows = [
        ("number within", 1.0, 1.1),
        ("number outside", 1.0, 2.0),
        ("own tolerance", 1.0, 2.0, Tolerance(abs=5.0)),
        ("no paper value", None, 3.0),
        ("nan paper value", math.nan, 3.0),
        ("sign equal", "+", "+"),
        ("sign differs", "+", "-"),
        ("inequality holds", "> 1", 1.5),
        ("inequality fails", "< 0.5", 0.9),
        ("other text", "about 2", 1.9),
    ]
    df = comparison_frame(rows, Tolerance(rel=0.2))
    assert df["status"].tolist() == ["within", "OUTSIDE", "within", DASH, DASH, "within", "OUTSIDE", "within",
                                     "OUTSIDE", DASH]  # fmt: skip
    assert df["gap"].iloc[0] == pytest.approx(0.1) and math.isnan(df["gap"].iloc[3])
    # not compared: the gap is shown, the status is a dash
    shown = comparison_frame([("synthetic", 0.31, 0.30)], None)
    assert shown["status"].iloc[0] == DASH and shown["gap"].iloc[0] == pytest.approx(-0.01)


def test_markdown_escapes_cells_and_prints_missing_as_a_dash():
    text = frame_to_markdown(pd.DataFrame({"a|b": ["max |x|", "line\nbreak"], "c": [math.nan, None]}))
    lines = text.splitlines()
    assert lines[0] == "| a\\|b | c |"
    assert lines[2] == f"| max \\|x\\| | {DASH} |" and lines[3] == f"| line break | {DASH} |"
    assert all(line.count("|") - line.count("\\|") == 3 for line in lines)


def test_section_counts_and_report_scorecard(tmp_path):
    sec = Section("A paper: its model", paper="A paper")
    sec.add_comparison("Table 1", comparison_frame([("x", 1.0, 1.0), ("y", 1.0, 9.0)], Tolerance(abs=0.1)),
                       Tolerance(abs=0.1))  # fmt: skip
    sec.leave_out("Table 2: confidential data")
    assert (sec.reproduced, sec.outside, sec.left_out) == (1, 1, ["Table 2: confidential data"])
    with pytest.raises(ValueError, match="comparison_frame"):
        sec.add_comparison("plain", pd.DataFrame({"a": [1]}), Tolerance(abs=1))
    path = write_report(tmp_path, [sec], settings={"full": False}, seconds=1.5)
    report = path.read_text()
    head, body = report.split("## Scorecard", 1)
    assert "jaxtrade" in head and "commit" in head and "settings: full=False" in head and "run time: 1.5 s" in head
    assert "| A paper | 1 | 1 | 1 |" in body
    assert "**Not attempted here**" in body and "Table 2: confidential data" in body
    assert "Tolerance: |gap| <= 0.1" in body
