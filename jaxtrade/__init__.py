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

import importlib
from typing import TYPE_CHECKING

from jaxtrade.config import get_precision as get_precision
from jaxtrade.config import set_precision as set_precision
from jaxtrade.errors import RESULTS as RESULTS
from jaxtrade.errors import ConvergenceError as ConvergenceError
from jaxtrade.errors import Solution as Solution
from jaxtrade.errors import SolverInfo as SolverInfo

__version__ = "0.2.0"

# The subpackages and the regression functions are imported on first use (PEP 562), so that a command or
# script that needs one model does not wait for the others, pandas' regressions or scipy to import.
_LAZY = {
    "empirics": ("jaxtrade.empirics", None),
    "estimation": ("jaxtrade.estimation", None),
    "models": ("jaxtrade.models", None),
    "numerics": ("jaxtrade.numerics", None),
    "load_dataset": ("jaxtrade.datasets", "load_dataset"),
    "etable": ("jaxtrade.empirics.fixest", "etable"),
    "feols": ("jaxtrade.empirics.fixest", "feols"),
    "fepois": ("jaxtrade.empirics.fixest", "fepois"),
}

if TYPE_CHECKING:
    from jaxtrade import empirics as empirics
    from jaxtrade import estimation as estimation
    from jaxtrade import models as models
    from jaxtrade import numerics as numerics
    from jaxtrade.datasets import load_dataset as load_dataset
    from jaxtrade.empirics.fixest import etable as etable
    from jaxtrade.empirics.fixest import feols as feols
    from jaxtrade.empirics.fixest import fepois as fepois


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'jaxtrade' has no attribute {name!r}")
    module, attribute = _LAZY[name]
    value = importlib.import_module(module)
    if attribute is not None:
        value = getattr(value, attribute)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "RESULTS", "ConvergenceError", "Solution", "SolverInfo", "__version__", "empirics", "estimation", "etable", "feols",
    "fepois", "get_precision", "load_dataset", "models", "numerics", "set_precision",
]  # fmt: skip
