"""jaxtrade: JAX solvers for quantitative international trade with heterogeneous firms."""

from jaxtrade import _config  # noqa: F401  (float64 by default, set in one place)
from jaxtrade._config import get_precision, set_precision
from jaxtrade.errors import ConvergenceError, SolverInfo

__version__ = "0.1.0"

__all__ = ["ConvergenceError", "SolverInfo", "get_precision", "set_precision", "__version__"]
