"""High-dimensional fixed-effects regressions (OLS and PPML) mirroring fixest/pyfixest.

Public API: :func:`feols`, :func:`fepois`, :func:`etable`, :class:`FixestResult`,
:func:`demean`, :func:`residualize`, :func:`shuffle_within`.
"""

from .demean import demean, demean_sharded
from .feols import feols
from .fepois import fepois
from .results import FixestResult, etable
from .tools import residualize, shuffle_within

__all__ = ["demean", "demean_sharded", "etable", "feols", "fepois", "FixestResult", "residualize", "shuffle_within"]
