"""Two-country upstream/downstream Melitz-Pareto model of Ara & Zhang (2020).

The package has the shape of every jaxtrade model: ``params`` (the
parameters, their rules and presets), ``solve`` (the input-trade equilibrium
of section 2.5 and the final-goods-only equilibrium of Proposition 1(ii)),
``moments`` (comparative statics, Lemmas 1-3, the trade elasticities of
Proposition 2), ``simulate`` (firm-level gravity panels for section 3) and
``pareto`` (J, V and survival of section 2.1).

Examples
--------
>>> from jaxtrade.models import vertical
>>> p = vertical.vertical_params(sigma=4.0, k=4.5)
>>> eq = vertical.solve_input_trade(p)  # the twelve conditions (5)-(14)
>>> bool(eq.valid), bool(abs(eq.residuals).max() < 1e-10)
(True, True)
>>> vertical.closed_form_elasticities(4.0, 4.5)["zeta_I"]  # Proposition 2; partial_trade_elasticities(p) by autodiff
9.0
"""

from jaxtrade.models.vertical.moments import LEMMA_SIGNS as LEMMA_SIGNS
from jaxtrade.models.vertical.moments import closed_form_elasticities as closed_form_elasticities
from jaxtrade.models.vertical.moments import cutoff_derivatives as cutoff_derivatives
from jaxtrade.models.vertical.moments import final_partial_flows as final_partial_flows
from jaxtrade.models.vertical.moments import input_partial_flows as input_partial_flows
from jaxtrade.models.vertical.moments import lemma_sign_table as lemma_sign_table
from jaxtrade.models.vertical.moments import partial_trade_elasticities as partial_trade_elasticities
from jaxtrade.models.vertical.moments import unknown_jacobian as unknown_jacobian
from jaxtrade.models.vertical.params import FINAL_TRADE_RULES as FINAL_TRADE_RULES
from jaxtrade.models.vertical.params import INPUT_TRADE_RULES as INPUT_TRADE_RULES
from jaxtrade.models.vertical.params import PRESETS as PRESETS
from jaxtrade.models.vertical.params import RULES as RULES
from jaxtrade.models.vertical.params import VerticalParams as VerticalParams
from jaxtrade.models.vertical.params import preset as preset
from jaxtrade.models.vertical.params import stack_industries as stack_industries
from jaxtrade.models.vertical.params import validate_params as validate_params
from jaxtrade.models.vertical.params import vertical_params as vertical_params
from jaxtrade.models.vertical.params import with_tau_I as with_tau_I
from jaxtrade.models.vertical.simulate import PANEL_COLUMNS as PANEL_COLUMNS
from jaxtrade.models.vertical.simulate import PanelConfig as PanelConfig
from jaxtrade.models.vertical.simulate import simulate_panel as simulate_panel
from jaxtrade.models.vertical.simulate import true_elasticities as true_elasticities
from jaxtrade.models.vertical.solve import FINAL_TRADE_CONDITIONS as FINAL_TRADE_CONDITIONS
from jaxtrade.models.vertical.solve import FINAL_TRADE_UNKNOWNS as FINAL_TRADE_UNKNOWNS
from jaxtrade.models.vertical.solve import INPUT_TRADE_CONDITIONS as INPUT_TRADE_CONDITIONS
from jaxtrade.models.vertical.solve import INPUT_TRADE_UNKNOWNS as INPUT_TRADE_UNKNOWNS
from jaxtrade.models.vertical.solve import FinalTradeEquilibrium as FinalTradeEquilibrium
from jaxtrade.models.vertical.solve import InputTradeEquilibrium as InputTradeEquilibrium
from jaxtrade.models.vertical.solve import final_trade_residuals as final_trade_residuals
from jaxtrade.models.vertical.solve import input_trade_residuals as input_trade_residuals
from jaxtrade.models.vertical.solve import solve_final_trade as solve_final_trade
from jaxtrade.models.vertical.solve import solve_input_trade as solve_input_trade

__all__ = [
    # params
    "FINAL_TRADE_RULES", "INPUT_TRADE_RULES", "PRESETS", "RULES", "VerticalParams", "preset", "stack_industries", "validate_params", "vertical_params",
    "with_tau_I",
    # solve
    "FINAL_TRADE_CONDITIONS", "FINAL_TRADE_UNKNOWNS", "INPUT_TRADE_CONDITIONS", "INPUT_TRADE_UNKNOWNS",
    "FinalTradeEquilibrium", "InputTradeEquilibrium", "final_trade_residuals", "input_trade_residuals",
    "solve_final_trade", "solve_input_trade",
    # moments
    "LEMMA_SIGNS", "closed_form_elasticities", "cutoff_derivatives", "final_partial_flows", "input_partial_flows",
    "lemma_sign_table", "partial_trade_elasticities", "unknown_jacobian",
    # simulate
    "PANEL_COLUMNS", "PanelConfig", "simulate_panel", "true_elasticities",
]  # fmt: skip
