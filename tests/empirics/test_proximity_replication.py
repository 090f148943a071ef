"""The ``heo_kim_empirics`` replication section, on a reduced synthetic panel."""

from __future__ import annotations

import pytest

import jaxtrade.replication.heo_kim_empirics as hk
from jaxtrade.empirics.proximity import get_config
from jaxtrade.replication.report import PAPERS

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


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
