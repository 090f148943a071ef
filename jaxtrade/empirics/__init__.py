"""Empirical tools: fixed-effects regressions, gravity margins, proximity measures.

* :mod:`jaxtrade.empirics.fixest`: OLS and PPML with high-dimensional fixed
  effects (``feols``, ``fepois``, ``etable``), fixest/pyfixest conventions;
* :mod:`jaxtrade.empirics.gravity`: extensive and intensive margins of
  gravity regressions (Ara & Zhang 2020, eqs. 23-30);
* :mod:`jaxtrade.empirics.proximity`: export-basket proximity and its
  regression table (Heo & Kim 2025, section 2);
* :mod:`jaxtrade.empirics.literals`: the string options of all three and their checker.

The empirics layer imports only ``numerics``, ``errors`` and ``progress``,
never a model, the report layer or a replication.
"""

from jaxtrade.empirics import fixest as fixest
from jaxtrade.empirics import gravity as gravity
from jaxtrade.empirics import proximity as proximity

__all__ = ["fixest", "gravity", "proximity"]
