"""Load the independent NumPy implementation under ``benchmarks/reference/`` for the model tests."""

import importlib.util
import pathlib


def multiproduct_reference():
    """The module ``benchmarks/reference/multiproduct_numpy.py`` (not a package; loaded by path)."""
    path = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "reference" / "multiproduct_numpy.py"
    spec = importlib.util.spec_from_file_location("multiproduct_numpy", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod
