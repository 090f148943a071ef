"""jaxtrade: JAX solvers for quantitative international trade with heterogeneous firms.

The public face, in one import::

    import jaxtrade as jt

    jt.feols("log(Euros) ~ log(dist_km) | Origin + Destination", data)   # fixed-effects OLS (fixest syntax)
    jt.fepois("Euros ~ log(dist_km) | Origin + Destination", data)       # PPML
    jt.etable(fit1, fit2)                                                 # regression table
    jt.models.vertical, jt.models.multiproduct, jt.models.sunk_cost      # the papers' models
    jt.numerics                                                           # shared solvers and kernels
    jt.estimation.estimate(problem, start)                               # minimum distance / MSM, any model
    jt.load_dataset("gravity")                                           # example data in one line

Every solver follows one contract (:mod:`jaxtrade.errors`): a result with an
``info`` (:class:`SolverInfo`) and a ``throw=True`` keyword. jaxtrade computes
in float64 (set once, in :mod:`jaxtrade.config`).
"""

from jaxtrade.config import get_precision as get_precision
from jaxtrade.config import set_precision as set_precision

__version__ = "0.2.0"

from jaxtrade import empirics as empirics  # noqa: E402
from jaxtrade import estimation as estimation  # noqa: E402
from jaxtrade import models as models  # noqa: E402
from jaxtrade import numerics as numerics  # noqa: E402
from jaxtrade.datasets import load_dataset as load_dataset  # noqa: E402
from jaxtrade.empirics.fixest import etable as etable  # noqa: E402
from jaxtrade.empirics.fixest import feols as feols  # noqa: E402
from jaxtrade.empirics.fixest import fepois as fepois  # noqa: E402
from jaxtrade.errors import RESULTS as RESULTS  # noqa: E402
from jaxtrade.errors import ConvergenceError as ConvergenceError  # noqa: E402
from jaxtrade.errors import Solution as Solution  # noqa: E402
from jaxtrade.errors import SolverInfo as SolverInfo  # noqa: E402

__all__ = [
    "RESULTS", "ConvergenceError", "Solution", "SolverInfo", "__version__", "empirics", "estimation", "etable", "feols",
    "fepois", "get_precision", "load_dataset", "models", "numerics", "set_precision",
]  # fmt: skip
