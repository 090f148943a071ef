"""Example data in one line, like fixest's ``data(trade)``.

>>> import jaxtrade as jt
>>> customs = jt.load_dataset("customs")      # doctest: +SKIP
>>> gravity = jt.load_dataset("gravity")      # doctest: +SKIP

Datasets (:data:`DATASETS` lists them with a description):

* ``"gravity"``: a product x country x year panel of imports simulated from
  the Ara & Zhang (2020) model (:func:`jaxtrade.models.vertical.simulate_panel`),
  whose true partial trade elasticities are known (``df.attrs``); the
  margins R = M x rbar of eq. (23) are columns. Built in a few seconds,
  deterministic.
* ``"customs"``: a small synthetic customs panel in the proximity pipeline's
  schema (firm, product, destination, year, value), from
  :func:`jaxtrade.empirics.proximity.generate_panel` with the ``"tiny"``
  preset and a planted proximity effect; ``"customs_inputs"`` is its product
  x input matrix (for input-output proximity).
* ``"eu_trade"``: real bilateral EU-15 flows by product (2007), fixest's
  ``trade`` data, read from a file that jaxtrade does not ship: pass
  ``path=`` or set ``JAXTRADE_DATA`` to the folder holding
  ``eu-trade-fixest.csv`` (see :func:`data_path`).

Files are found in one documented place only (:func:`data_path`): an
explicit argument, then the folder in the environment variable
``JAXTRADE_DATA``; jaxtrade never probes other folders.
"""

from __future__ import annotations

import os
import pathlib

import pandas as pd

__all__ = ["DATASETS", "DATA_ENV", "FILES", "data_path", "load_dataset"]

DATA_ENV = "JAXTRADE_DATA"
"""Environment variable naming the folder that holds the optional data files."""

FILES = {"eu_trade": "eu-trade-fixest.csv"}
"""File name of each optional dataset inside the data folder."""

DATASETS = {
    "gravity": "product x country x year import panel simulated from Ara & Zhang (2020), known elasticities",
    "customs": "synthetic customs panel (firm, product, destination, year, value) with a planted proximity effect",
    "customs_inputs": "product x input matrix of the synthetic customs panel (input-output proximity)",
    "eu_trade": "EU-15 bilateral flows by product, 2007 (fixest's trade data; optional file, see data_path)",
}


def data_path(name: str, path: str | os.PathLike | None = None) -> pathlib.Path | None:
    """Where the optional data file ``name`` is, or ``None`` when it is not available.

    Looks, in order, at ``path`` (a file, or a folder holding the file) and at
    the folder in ``$JAXTRADE_DATA``. Nothing else is searched.

    Raises
    ------
    ValueError
        ``name`` is not an optional dataset, or ``path`` was given and holds no such file.
    """
    if name not in FILES:
        raise ValueError(f"name must be one of {sorted(FILES)} (the optional data files), got {name!r}")
    if path is not None:
        p = pathlib.Path(path)
        p = p / FILES[name] if p.is_dir() else p
        if not p.is_file():
            raise ValueError(f"path: no file {FILES[name]!r} at {str(path)!r}")
        return p
    folder = os.environ.get(DATA_ENV)
    if folder:
        p = pathlib.Path(folder) / FILES[name]
        if p.is_file():
            return p
    return None


def _gravity(seed: int) -> pd.DataFrame:
    from jaxtrade.models import vertical

    # the default design: 25 products x 20 exporters x 4 years, both goods types
    return vertical.simulate_panel(vertical.vertical_params(), None, seed, vertical.PanelConfig())


def _customs(seed: int | None, part: str) -> pd.DataFrame:
    from jaxtrade.empirics.proximity import generate_panel

    synthetic = generate_panel("tiny", **({} if seed is None else {"seed": seed}))
    if part == "panel":
        return synthetic.panel
    return synthetic.inputs


def load_dataset(name: str, *, seed: int | None = None, path: str | os.PathLike | None = None) -> pd.DataFrame:
    """One of the example datasets of :data:`DATASETS` as a DataFrame.

    Parameters
    ----------
    name:
        ``"gravity"``, ``"customs"``, ``"customs_inputs"`` or ``"eu_trade"``.
    seed:
        Seed of a simulated dataset (the default gives the documented data).
    path:
        For ``"eu_trade"``: the CSV file or its folder (else ``$JAXTRADE_DATA``).

    Raises
    ------
    ValueError
        Unknown ``name``. ``FileNotFoundError`` when ``"eu_trade"`` is not available.
    """
    if name not in DATASETS:
        raise ValueError(f"name must be one of {sorted(DATASETS)}, got {name!r}")
    if name == "gravity":
        return _gravity(2020 if seed is None else seed)
    if name in ("customs", "customs_inputs"):
        return _customs(seed, "panel" if name == "customs" else "inputs")
    found = data_path(name, path)
    if found is None:
        raise FileNotFoundError(
            f"{FILES[name]} is not shipped with jaxtrade: pass path= or set {DATA_ENV} to the folder that holds it"
        )
    return pd.read_csv(found)
