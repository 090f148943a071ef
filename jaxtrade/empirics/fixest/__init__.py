"""High-dimensional fixed-effects regressions (OLS and PPML) mirroring fixest/pyfixest.

Three layers, as pyfixest:

* **api** (:mod:`.api`): the thin public functions :func:`feols`,
  :func:`fepois`, :func:`etable`, :func:`residualize`, :func:`shuffle_within`;
* **models** (:mod:`.models`): the estimators ``Feols`` and ``Fepois(Feols)``
  and their result :class:`FixestResult` (with :meth:`FixestResult.vcov`
  recomputing the standard errors without refitting);
* **internals**: formula parsing (:mod:`.formula`), the estimation sample
  and its row drops (:mod:`.sample`), collinearity (:mod:`.collinear`), the
  IRLS step (:mod:`.irls`), demeaning (:mod:`.demean`: :func:`demean`,
  :func:`demean_sharded` and the jit-compiled cores) and the vcov
  (:mod:`.vcov`); label encoding (:mod:`.encode`, with
  :func:`shared_encodings` to reuse it across regressions). String options are the ``Literal`` aliases of
  :mod:`jaxtrade.empirics.literals`.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from jaxtrade.empirics.fixest import feols
>>> df = pd.DataFrame({"g": [0, 0, 1, 1, 2, 2], "x": [1.0, 2.0, 3.0, 5.0, 0.0, 1.0]})
>>> df["y"] = 2.0 * df["x"] + df["g"]
>>> float(np.round(feols("y ~ x | g", df).coef()["x"], 12))
2.0
"""

from jaxtrade.empirics.fixest.api import etable as etable
from jaxtrade.empirics.fixest.api import feols as feols
from jaxtrade.empirics.fixest.api import fepois as fepois
from jaxtrade.empirics.fixest.api import residualize as residualize
from jaxtrade.empirics.fixest.api import shuffle_within as shuffle_within
from jaxtrade.empirics.fixest.demean import demean as demean
from jaxtrade.empirics.fixest.demean import demean_sharded as demean_sharded
from jaxtrade.empirics.fixest.encode import shared_encodings as shared_encodings
from jaxtrade.empirics.fixest.models import FixestResult as FixestResult

__all__ = [
    "FixestResult",
    "demean",
    "demean_sharded",
    "etable",
    "feols",
    "fepois",
    "residualize",
    "shared_encodings",
    "shuffle_within",
]
