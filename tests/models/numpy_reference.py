"""Load the independent NumPy implementations under ``benchmarks/reference/`` for the model tests."""

import importlib.util
import pathlib


def reference_module(name: str):
    """The module ``benchmarks/reference/<name>.py`` (not a package; loaded by path)."""
    path = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "reference" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def multiproduct_reference():
    """The stationary-equilibrium reference ``benchmarks/reference/multiproduct_numpy.py``."""
    return reference_module("multiproduct_numpy")
