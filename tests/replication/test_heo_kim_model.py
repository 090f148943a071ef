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


def test_replication_section(tmp_path, monkeypatch):
    # section 6 (twelve transitions) is built and checked in test_heo_kim_policy.py; here: that run() asks for it
    calls = []
    monkeypatch.setattr(heo_kim_model.policy, "add_section", lambda sec, out, records, **kw: calls.append(records))
    assert PAPERS["heo-kim-model"] is heo_kim_model.run
    sec = heo_kim_model.run(tmp_path)
    assert len(calls) == 1 and set(calls[0]) == {"standard", "npg"}
    text = sec.markdown()
    for table in ("Table 4 (standard)", "Table 4 (npg)", "Table 5 (standard) at the calibration",
                  "Table 5 (npg) at the calibration", "Table 6 (standard)", "Identification (standard)",
                  "Table 5 (standard) at the paper's Table 4 parameters"):  # fmt: skip
        assert table in text, table
    assert "Share of single-product exporters" in text and "jaxtrade multiproduct calibrate --preset npg" in text
    assert all(path.exists() for path in sec.figures) and len(sec.figures) == 10
    # targeted moments (7 + 3), Table 6's coefficient and the reference Table 5 rows are judged; counted
    assert sec.reproduced + sec.outside >= 7 + 3 + 1 + 12 + 9 and sec.left_out


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


def test_table6_paper_specification_is_collinear_and_ours_is_identified(small_standard):
    from jaxtrade.replication.heo_kim_model.table6 import model_ebp_regression, paper_specification_is_collinear

    p, eq = small_standard
    # eq. (31) on candidates is a firm-year term plus a product term: firm-year + product-year FE absorb it
    assert paper_specification_is_collinear(p, eq, n_firms=300, n_years=4)
    out = model_ebp_regression(p, eq, n_firms=800, n_years=5)
    assert out["nobs"] > 0 and out["se"] > 0 and 0 < out["r2"] < 1
    assert out["coef"] > 0  # closer products are introduced more often (the mechanism of eq. 19)
    assert {k: out[k] for k in ("n_firms", "n_years", "seed")} == {"n_firms": 800, "n_years": 5, "seed": 0}
