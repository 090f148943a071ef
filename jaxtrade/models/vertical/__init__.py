"""Two-country upstream/downstream Melitz-Pareto model of Ara & Zhang (2020).

>>> from jaxtrade.models import vertical
>>> p = vertical.vertical_params(sigma=4.0, k=4.5)
>>> eq = vertical.solve_input_trade(p)          # the twelve conditions (5)-(14)
>>> el = vertical.partial_trade_elasticities(p)  # Proposition 2, numerically
"""

from jaxtrade.models.vertical.equilibrium import (
    FINAL_TRADE_CONDITIONS,
    FINAL_TRADE_UNKNOWNS,
    INPUT_TRADE_CONDITIONS,
    INPUT_TRADE_UNKNOWNS,
    FinalTradeEquilibrium,
    InputTradeEquilibrium,
    final_trade_residuals,
    input_trade_residuals,
    solve_final_trade,
    solve_input_trade,
)
from jaxtrade.models.vertical.params import VerticalParams, stack_industries, validate_params, vertical_params
from jaxtrade.models.vertical.simulate import simulate_panel, true_elasticities
from jaxtrade.models.vertical.statics import (
    LEMMA_SIGNS,
    closed_form_elasticities,
    cutoff_derivatives,
    lemma_sign_table,
    partial_trade_elasticities,
    unknown_jacobian,
    with_tau_I,
)

__all__ = [
    "FINAL_TRADE_CONDITIONS", "FINAL_TRADE_UNKNOWNS", "INPUT_TRADE_CONDITIONS", "INPUT_TRADE_UNKNOWNS",
    "FinalTradeEquilibrium", "InputTradeEquilibrium", "LEMMA_SIGNS", "VerticalParams",
    "closed_form_elasticities", "cutoff_derivatives", "final_trade_residuals", "input_trade_residuals",
    "lemma_sign_table", "partial_trade_elasticities", "simulate_panel", "true_elasticities", "solve_final_trade", "solve_input_trade",
    "stack_industries", "unknown_jacobian", "validate_params", "vertical_params", "with_tau_I",
]  # fmt: skip
