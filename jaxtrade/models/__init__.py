"""Models: one package per model, each the same shape (``params``, ``solve``, ``simulate``, ``moments``).

* :mod:`jaxtrade.models.vertical`: Ara & Zhang (2020), the two-country
  upstream/downstream Melitz-Pareto model;
* :mod:`jaxtrade.models.multiproduct`: Heo & Kim (2025), multiproduct
  exporters with product proximity;
* :mod:`jaxtrade.models.sunk_cost`: Ruhl (2008), sunk-cost exporters with
  aggregate shocks.

:mod:`jaxtrade.models.base` holds what their parameter pytrees share.
"""

from jaxtrade.models import multiproduct as multiproduct
from jaxtrade.models import sunk_cost as sunk_cost
from jaxtrade.models import vertical as vertical

__all__ = ["multiproduct", "sunk_cost", "vertical"]
