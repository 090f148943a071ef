"""Models: one package per model, each the same shape (``params``, ``solve``, ``simulate``, ``moments``).

* :mod:`jaxtrade.models.vertical`: Ara & Zhang (2020), the two-country
  upstream/downstream Melitz-Pareto model;
* :mod:`jaxtrade.models.multiproduct`: Heo & Kim (2025), multiproduct
  exporters with product proximity;
* :mod:`jaxtrade.models.sunk_cost`: Ruhl (2008), sunk-cost exporters with
  aggregate shocks.

:mod:`jaxtrade.models.base` holds what their parameter pytrees share.
"""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jaxtrade.models import multiproduct as multiproduct
    from jaxtrade.models import sunk_cost as sunk_cost
    from jaxtrade.models import vertical as vertical

__all__ = ["multiproduct", "sunk_cost", "vertical"]


def __getattr__(name: str):
    """Import a model on first use (PEP 562): one model's users do not wait for the others."""
    if name not in __all__:
        raise AttributeError(f"module 'jaxtrade.models' has no attribute {name!r}")
    return importlib.import_module(f"jaxtrade.models.{name}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
