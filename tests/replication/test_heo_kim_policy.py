"""Section 6 of the ``heo-kim-model`` replication (jaxtrade/replication/heo_kim_model/policy.py).

The section is built once on a small grid (15 x 4, taste-shock scale 1e-3, T = 80), where every transition of
Tables 7-8 converges; the paper's numbers and the parameter sources are checked without solving.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from jaxtrade.models.multiproduct import calibration as cal
from jaxtrade.models.multiproduct import stored_calibration
from jaxtrade.replication.heo_kim_model import paper, policy
from jaxtrade.reporting import Section

SMALL = dict(n_z=15, n_products=4, smoothing=1e-3, T=80)
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def section(tmp_path_factory):
    out = tmp_path_factory.mktemp("policy")
    sec = Section("test", paper="test")
    run = policy.add_section(sec, out, **SMALL)
    return sec, run


def test_paper_tables_are_consistent_with_their_ratio_rows():
    """The transcribed (1)/(2) rows agree with the transcribed cells to the paper's rounding."""
    for number, table, ratio in paper.POLICY_TABLES.values():
        for schedule, (ss, trans) in ratio.items():
            std, npg = table["standard"][schedule], table["npg"][schedule]
            assert std[0] / npg[0] == pytest.approx(ss, abs=0.01), (number, schedule)
            assert std[1] / npg[1] == pytest.approx(trans, abs=0.01), (number, schedule)
    assert not any("Tables 7-8" in item for item in paper.LEFT_OUT)


def test_policy_parameters_sources_and_fallback(monkeypatch):
    stored = stored_calibration()
    pp = policy.policy_parameters()
    assert pp.source == "calibrated" and pp.note is None and set(pp.params) == {"standard", "npg"}
    assert float(pp.params["npg"].gamma_0) == pytest.approx(stored["npg"]["parameters"]["gamma_0"])
    assert float(pp.params["npg"].mu_E) == pytest.approx(stored["standard"]["parameters"]["mu_E"])
    assert pp.params["standard"].n_z == stored["standard"]["grid"]["n_z"]
    assert "calibrated parameters (the calibration shipped with jaxtrade)" in pp.description
    small = policy.policy_parameters(models=("npg",), n_z=15, n_products=4, smoothing=1e-3)
    p = small.params["npg"]
    assert (p.n_z, p.n_products, float(p.smoothing)) == (15, 4, 1e-3) and p.cost_form == "npg"
    assert float(p.gamma_0) == pytest.approx(stored["npg"]["parameters"]["gamma_0"])
    table4 = policy.policy_parameters("table4")
    assert table4.source == "table4" and table4.note is None and "Table 4" in table4.description
    with pytest.raises(ValueError, match="parameters must be one of"):
        policy.policy_parameters("paper")

    def unavailable(path=None):
        raise FileNotFoundError("no stored calibration (test)")

    monkeypatch.setattr(cal, "stored_calibration", unavailable)
    fallback = policy.policy_parameters()
    assert fallback.source == "table4" and "unavailable" in fallback.note and "Table 4" in fallback.description
    # records given explicitly (``replicate --full``) need no stored calibration
    given = policy.policy_parameters(records=stored, origin="recomputed in this run")
    assert given.source == "calibrated" and "recomputed in this run" in given.description


@pytest.mark.slow
def test_section_tables_readings_and_figures(section):
    sec, run = section
    text = sec.markdown()
    for caption in ("Table 7: welfare gains", "Table 8: welfare losses", "Figures 8-12: long-run values",
                    "Transitions: tariffs and path solves", "calibrated parameters (the calibration shipped"):  # fmt: skip
        assert caption in text, caption
    t7, t8 = policy.welfare_table(run, "liberalization"), policy.welfare_table(run, "trade-war")
    assert len(t7) == len(t8) == 12 + 6  # 2 models x 3 schedules x (SS, Trans), then the ratio rows
    assert t7["paper (Table 7)"].tolist()[:2] == [1.00, 1.28] and t8["paper (Table 8)"].tolist()[-1] == 1.06
    assert (t7["jaxtrade"][:12] > 0).all() and (t8["jaxtrade"][:12] < 0).all()
    assert set(t7["status"]) <= {"within", "OUTSIDE"}
    readings = policy.readings_table(run)
    labels = " ".join(readings.iloc[:, 0])
    for figure in ("Figure 8", "Figure 9", "Figure 10a", "Figure 10b", "Figure 11", "Figure 12"):
        assert figure in labels, figure
    assert np.isfinite(readings["jaxtrade"].astype(float)).all()
    # every compared row is counted in the scorecard
    assert sec.reproduced + sec.outside == 2 * 18 + len(readings)
    assert len(sec.figures) == 5 and all(path.read_bytes()[:8] == PNG for path in sec.figures)
    assert [path.name.split("_")[2] for path in sec.figures] == ["fig8", "fig9", "fig10", "fig11", "fig12"]
    info = json.loads(json.dumps(policy.tables_dict(run), allow_nan=False))
    assert info["converged"] and info["parameters"] == "calibrated" and info["T"] == 80
    assert info["max_path_residual"] == max(e["residual"] for e in info["experiments"])
    assert info["table7"]["npg"]["flat"]["ss"] == pytest.approx(t7["jaxtrade"][6])


@pytest.mark.slow
def test_one_experiment_tables_and_statistics(section):
    _, run = section
    p = run.parameters.params["standard"]
    result = run.results["standard"][("liberalization", "psi2")]
    tabs = policy.experiment_tables(result, "standard", p)
    shares = tabs["tariffs"]["expenditure share s_k (%)"].to_numpy()
    after = tabs["tariffs"]["tariff after (%)"].to_numpy()
    assert shares.sum() == pytest.approx(100.0) and shares @ after / 100 == pytest.approx(5.0)
    assert after[np.argmax(shares)] == after.min()  # eq. (35): the deepest cut on the largest share
    assert tabs["welfare"]["paper (Table 7)"].tolist()[:2] == [1.35, 1.76]
    assert "export scope (average), long run (Figure 10a)" in tabs["readings"].iloc[:, 0].tolist()
    stats = policy.path_statistics(result)
    dev = np.asarray(result.transition.deviation("D"))
    assert stats["D"]["peak"] == pytest.approx(dev.max()) and stats["D"]["long_run"] == pytest.approx(dev[-1])
    assert stats["K"]["impact"] == 0.0  # capital is predetermined
    war = policy.path_statistics(run.results["standard"][("trade-war", "flat")])
    assert war["C"]["peak"] == pytest.approx(np.asarray(run.results["standard"][("trade-war", "flat")]
                                                        .transition.deviation("C")).min())  # fmt: skip
