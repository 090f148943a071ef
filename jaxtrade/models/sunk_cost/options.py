"""The string options of the sunk-cost model, as ``Literal`` aliases checked in one place.

=================== ============================================================== ===========================
alias               choices                                                        used by
=================== ============================================================== ===========================
``ForecastRule``    ``"loglinear"`` (Appendix 1), ``"constant"`` (state constants) :func:`solve_stochastic`
``ExportRule``      ``"lottery"`` (cell lottery), ``"discrete"`` (grid point)      the Krusell-Smith loop
``EntryCostUnits``  ``"labor"``, ``"effective_labor"``, ``"consumption"``,         ``SunkCostParams``
                    ``"composite"``
``OutputMeasure``   ``"income"`` (Y / P_C), ``"composite"`` (gamma Y / P)          Table 1 moments
``Detrend``         ``"linear"``, ``"mean"``                                       Table 1 moments
=================== ============================================================== ===========================

:func:`check_option` is the one validator: it raises ``ValueError`` naming
the option and listing its choices.

Examples
--------
>>> choices(ExportRule)
('lottery', 'discrete')
>>> check_option("detrend", "hp", Detrend)
Traceback (most recent call last):
...
ValueError: detrend must be one of ('linear', 'mean'), got 'hp'
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "Detrend",
    "EntryCostUnits",
    "ExportRule",
    "ForecastRule",
    "OutputMeasure",
    "check_option",
    "choices",
]

#: forecasting rules of the stochastic model: Appendix 1's log-linear rules or state-specific constants
ForecastRule = Literal["loglinear", "constant"]
#: export rule in simulation: the cell lottery (continuous in the cutoff) or the grid point's decision
ExportRule = Literal["lottery", "discrete"]
#: units of the export entry cost kappa: own labour (the paper, eq. 29), effective labour kappa / z,
#: the consumption bundle P_C or the differentiated composite P (both relative to their steady state)
EntryCostUnits = Literal["labor", "effective_labor", "consumption", "composite"]
#: real output of Table 1: real income Y / P_C (eq. 13) or real differentiated consumption gamma Y / P (eq. 14)
OutputMeasure = Literal["income", "composite"]
#: treatment of simulated log output before its moments: OLS on a linear trend, or demeaning only
Detrend = Literal["linear", "mean"]


def choices(alias) -> tuple[str, ...]:
    """The strings a ``Literal`` alias allows, in order."""
    return tuple(get_args(alias))


def check_option(name: str, value, alias) -> str:
    """Return ``value`` if it is one of ``alias``'s choices, else raise ``ValueError`` naming ``name``."""
    allowed = choices(alias)
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value
