"""The simulated gravity panel of the Ara & Zhang replication at ``replicate --full`` size (issue 15).

``replicate --paper ara-zhang --full`` failed after ~7 minutes because the
60 x 40 x 5 panel with seed 2020 has one input-goods cell, (p, c, t) =
(30, 35, 4), whose log-normal demand/supply shifters and low tau push the
foreign-sourcing cutoff below the domestic one, condition (7). The panel
alone reproduces it in seconds (``expected=True``: no firm draws).
"""

from __future__ import annotations

import numpy as np
import pytest

from jaxtrade.models import vertical as v
from jaxtrade.replication.ara_zhang import tables

FULL = dict(n_products=60, n_countries=40, years=5)  # the runner's full-size panel
BAD_CELL = (30, 35, 4)


@pytest.fixture(scope="module")
def base():
    p = v.vertical_params()
    return p, v.solve_input_trade(p)


def test_full_panel_has_a_cell_outside_the_regime(base):
    p, eq = base
    with pytest.raises(ValueError, match=r"1 cell\(s\) leave the regime .*\[\[30, 35, 4\]\].*outside_regime='drop'"):
        v.simulate_panel(p, eq, 2020, v.PanelConfig(**FULL, goods="I", expected=True))


def test_drop_excludes_exactly_that_cell_and_reports_it(base):
    p, eq = base
    df = v.simulate_panel(p, eq, 2020, v.PanelConfig(**FULL, goods="I", expected=True, outside_regime="drop"))
    assert df.attrs["cells_outside_regime"] == {"I": 1}
    assert len(df) == 60 * 40 * 5 - 1
    key = set(zip(df["product"], df["country"], df["year"], strict=True))
    assert BAD_CELL not in key and (30, 35, 3) in key
    assert np.isfinite(df["R"]).all() and (df["R"] > 0).all()


def test_drop_draws_no_firms_for_the_excluded_cell(base):
    p, eq = base
    cfg = v.PanelConfig(**FULL, goods="I", outside_regime="drop", return_firms=True, firms_per_cell=4)
    df, firms = v.simulate_panel(p, eq, 2020, cfg)
    assert df.attrs["cells_outside_regime"] == {"I": 1} and len(df) == 60 * 40 * 5 - 1
    cell = (firms["product"] == 30) & (firms["country"] == 35) & (firms["year"] == 4)
    assert not cell.any()
    assert len(firms) > 0


def test_default_panel_drops_nothing(base):
    p, eq = base
    small = dict(n_products=5, n_countries=6, years=2, goods="I", expected=True)
    a = v.simulate_panel(p, eq, 2020, v.PanelConfig(**small))
    b = v.simulate_panel(p, eq, 2020, v.PanelConfig(**small, outside_regime="drop"))
    assert b.attrs["cells_outside_regime"] == {"I": 0} and a.attrs["cells_outside_regime"] == {"I": 0}
    assert a.equals(b)


def test_outside_regime_is_checked():
    with pytest.raises(ValueError, match="outside_regime must be 'raise' or 'drop'"):
        v.PanelConfig(outside_regime="skip")


def test_runner_reports_the_excluded_count(monkeypatch):
    """The replication's gravity table uses outside_regime='drop' and returns the count it prints."""
    seen = {}
    real = v.simulate_panel

    def fake(params, solution, key, config):
        seen["config"] = config
        df = real(
            params,
            solution,
            key,
            config.__class__(**{**FULL, "goods": "I", "expected": True, "outside_regime": config.outside_regime}),
        )
        raise _Stop(int(sum(df.attrs["cells_outside_regime"].values())))

    monkeypatch.setattr(v, "simulate_panel", fake)
    with pytest.raises(_Stop) as stop:
        tables.simulated_gravity_table(v.vertical_params(), full=True)
    assert seen["config"].outside_regime == "drop" and seen["config"].shape == (60, 40, 5)
    assert stop.value.args[0] == 1


class _Stop(Exception):
    pass
