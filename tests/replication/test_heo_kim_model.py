"""The ``heo-kim-model`` replication (jaxtrade/replication/heo_kim_model): tables, figures, the JSON summary."""

from __future__ import annotations

import json

import pytest

from jaxtrade.models.multiproduct import add_drop_thresholds, solve_equilibrium, standard_params
from jaxtrade.replication import PAPERS, heo_kim_model
from jaxtrade.replication.heo_kim_model import figures, tables

SMALL = dict(n_z=21, n_products=5)


@pytest.fixture(scope="module")
def small_standard():
    p = standard_params(**SMALL)
    return p, solve_equilibrium(p)


def test_replication_section(tmp_path):
    assert PAPERS["heo-kim-model"] is heo_kim_model.run
    sec = heo_kim_model.run(tmp_path)
    text = sec.markdown()
    assert "Table 5 (standard)" in text and "Table 5 (npg)" in text
    assert "Share of single-product exporters" in text
    assert all(path.exists() for path in sec.figures) and len(sec.figures) == 10
    # every Table 5 row with a paper value is judged against the tolerance; the scorecard counts them
    assert sec.reproduced + sec.outside >= 12 + 9 and sec.left_out


def test_write_figures_and_summary(small_standard, tmp_path):
    p, eq = small_standard
    paths = figures.write_figures(p, eq, tmp_path, "standard")
    names = [path.name for path in paths]
    for fig in ("fig3", "fig4", "fig5", "fig6", "fig7"):
        assert any(fig in nm for nm in names), fig
    assert all(path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for path in paths)
    out = tables.summary_dict("standard", p, eq)
    text = json.dumps(out, allow_nan=False)  # strict JSON: NaN thresholds are null
    extra = json.loads(text)["extra"]
    assert len(extra["z_add_std"]) == p.n_products + 1 and extra["z_add_std"][-1] is None
    assert len(extra["new_exporter_survival"]) == 11
    ad = add_drop_thresholds(p, eq)
    assert extra["z_drop_std"][1] == pytest.approx(float(ad.drop_std[1]), rel=1e-12)
