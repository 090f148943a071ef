"""The ``heo-kim-empirics`` replication (jaxtrade/replication/heo_kim_empirics) on reduced synthetic panels."""

from __future__ import annotations

import pytest

import jaxtrade.replication.heo_kim_empirics as hk
from jaxtrade.empirics.proximity import build_proximity_table, generate_panel, get_config, table1, table2
from jaxtrade.replication import PAPERS
from jaxtrade.replication.heo_kim_empirics import paper, pipeline, tables

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

MEDIUM = dict(n_firms=3000, n_destinations=10, n_years=5, n_products=400, n_chapters=20, n_inputs=20)


@pytest.fixture(scope="module")
def built():
    sp = generate_panel("tiny", strength=0.3, seed=2, **MEDIUM)
    return build_proximity_table(sp.panel, sp.inputs).table


def test_section_prints_paper_values_beside_ours(tmp_path, monkeypatch):
    small = get_config("paper", n_firms=1500, n_destinations=10, n_products=600, n_chapters=30)
    monkeypatch.setattr(hk, "get_config", lambda *a, **k: small)
    assert PAPERS["heo-kim-empirics"] is hk.run
    sec = hk.run(tmp_path)
    text = sec.markdown()
    for paper_value in ["5.42", "0.3104 (0.0017)", "0.2610 (0.0015)", "0.0085 (0.00077)", "0.84", "0.61"]:
        assert paper_value in text
    assert "Table 1" in text and "Table 2" in text and "Footnote 11" in text and "Figure 2" in text
    assert "n/a" not in text
    assert (tmp_path / "heo_kim_figure2.png").exists() and sec.figures == [tmp_path / "heo_kim_figure2.png"]
    # footnote 10 is reproduced and counted; the synthetic tables are shown, not judged
    assert sec.reproduced == 2 and sec.outside == 0 and sec.left_out


def test_beside_paper_layouts(built):
    t1 = tables.table1_beside_paper(table1(built))
    assert t1["candidates % (paper)"].iloc[0] == 5.42 and len(t1) == 4
    long, _ = table2(built)
    t2 = tables.table2_beside_paper(long)
    assert (t2["paper, coef (se)"] == "0.3104 (0.0017)").any()
    assert not (t2["jaxtrade, coef (se)"] == "n/a").any()
    assert {"gap", "status"} <= set(t2.columns)


def test_tables_markdown_quotes_the_paper_constants(built, tmp_path):
    """``pipeline.tables_for`` prints the paper's baseline from ``paper.BASELINE`` (no second literal)."""
    printed = []
    out = pipeline.tables_for(built, tmp_path, echo=printed.append)
    text = (tmp_path / "tables.md").read_text()
    assert printed == [text]
    assert f"paper {paper.BASELINE:g})" in text and "paper 0.027)" in text
    assert "0.3104 (0.0017)" in text and "EBP > 0.1" in text
    for name in ["table1.csv", "table2.csv", "footnote11.csv", "figure2.png"]:
        assert (tmp_path / name).exists()
    assert set(out) >= {"table1", "table2", "footnote11", "table1_paper"}
