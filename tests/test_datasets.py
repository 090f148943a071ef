"""Example data in one line (jaxtrade.datasets) and the one place data files are looked up."""

from __future__ import annotations

import pathlib

import pytest

import jaxtrade as jt
from jaxtrade.datasets import DATA_ENV, DATASETS, FILES, data_path

SHARED = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data"


def test_customs_example_is_in_the_proximity_schema():
    panel = jt.load_dataset("customs")
    assert list(panel.columns)[:5] == ["firm", "product", "destination", "year", "value"]
    assert len(panel) > 1000 and (panel["value"] > 0).all()
    inputs = jt.load_dataset("customs_inputs")
    assert set(panel["product"]) <= set(inputs.index)


def test_gravity_example_carries_the_true_elasticities():
    df = jt.load_dataset("gravity")
    assert {"product", "country", "year", "goods", "R", "M", "rbar", "tariff"} <= set(df.columns)
    assert df.attrs["zeta_F"] == pytest.approx(4.5) and df.attrs["zeta_I"] == pytest.approx(9.0)
    again = jt.load_dataset("gravity")
    assert df.equals(again)  # deterministic


def test_unknown_names_and_missing_files(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match="name must be one of"):
        jt.load_dataset("nope")
    assert set(FILES) <= set(DATASETS)
    monkeypatch.delenv(DATA_ENV, raising=False)
    assert data_path("eu_trade") is None  # nothing else is probed
    with pytest.raises(FileNotFoundError, match=DATA_ENV):
        jt.load_dataset("eu_trade")
    with pytest.raises(ValueError, match="path"):
        data_path("eu_trade", tmp_path)
    (tmp_path / FILES["eu_trade"]).write_text("Origin,Destination\nFR,DE\n")
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    assert data_path("eu_trade") == tmp_path / FILES["eu_trade"]
    assert list(jt.load_dataset("eu_trade").columns) == ["Origin", "Destination"]


@pytest.mark.skipif(not (SHARED / FILES["eu_trade"]).is_file(), reason="../shared/data is not available")
def test_eu_trade_from_an_explicit_folder():
    df = jt.load_dataset("eu_trade", path=SHARED)
    assert {"Origin", "Destination", "Product", "Euros", "dist_km"} <= set(df.columns)
