"""Export entry costs and the international elasticity puzzle (Ruhl 2008).

Module map (``docs/models/sunk_cost.md``): :mod:`.params` (parameters, rules,
presets), :mod:`.options` (string options), :mod:`.types` (the (phi, kappa)
type grid, densities (33)-(34)), :mod:`.equilibrium` (period equilibrium,
steady state), :mod:`.aggregate` (aggregate shocks, simulation state, one
market period), :mod:`.constant_rule` and :mod:`.krusell_smith` (the two
forecasting rules), :mod:`.solve` (the public solves), :mod:`.simulate`
(simulated economies), :mod:`.moments` (Tables 1-2, section 6.1),
:mod:`.calibration` (L, home bias, data targets), :mod:`.liberalization`
(Table 3). The paper's reported numbers are in :mod:`jaxtrade.replication.ruhl`.

Examples
--------
>>> from jaxtrade.models import sunk_cost as sc
>>> p = sc.ruhl_params(n_phi=20, n_kappa=20)   # Tables 1-2 (the paper's grid is 200 x 200)
>>> ss = sc.steady_state(p)                    # deterministic steady state, section 4.5
>>> bool(ss.info.converged), bool(0.0 < ss.exporter_share < 1.0)
(True, True)

The full workflow (minutes on the paper's grid)::

    p = sc.ruhl_params()                       # L calibrated to trade/output 0.091
    t3 = sc.table3(p)                          # section 6.2, Table 3
    sol = sc.solve_stochastic(p)               # aggregate shocks, Krusell-Smith loop (Appendix 1)
    ts = sc.time_series_experiment(p, sol)     # section 6.1, regression (37)
    sim = sc.simulate_panel(p, sol, key=0)     # one simulated economy
"""

from jaxtrade.models.sunk_cost.aggregate import STATE_NAMES as STATE_NAMES
from jaxtrade.models.sunk_cost.aggregate import SimState as SimState
from jaxtrade.models.sunk_cost.aggregate import StochasticSolution as StochasticSolution
from jaxtrade.models.sunk_cost.aggregate import draw_shocks as draw_shocks
from jaxtrade.models.sunk_cost.aggregate import exporter_moments as exporter_moments
from jaxtrade.models.sunk_cost.aggregate import initial_state as initial_state
from jaxtrade.models.sunk_cost.aggregate import market_period as market_period
from jaxtrade.models.sunk_cost.aggregate import productivity_states as productivity_states
from jaxtrade.models.sunk_cost.aggregate import simulation_info as simulation_info
from jaxtrade.models.sunk_cost.aggregate import transition_matrix as transition_matrix
from jaxtrade.models.sunk_cost.calibration import ALL_BINS as ALL_BINS
from jaxtrade.models.sunk_cost.calibration import ALL_DATA as ALL_DATA
from jaxtrade.models.sunk_cost.calibration import EXPORTER_BINS as EXPORTER_BINS
from jaxtrade.models.sunk_cost.calibration import EXPORTER_DATA as EXPORTER_DATA
from jaxtrade.models.sunk_cost.calibration import TABLE1_DATA as TABLE1_DATA
from jaxtrade.models.sunk_cost.calibration import calibrate_home_bias as calibrate_home_bias
from jaxtrade.models.sunk_cost.calibration import calibrate_labor as calibrate_labor
from jaxtrade.models.sunk_cost.constant_rule import FirmPolicy as FirmPolicy
from jaxtrade.models.sunk_cost.constant_rule import simulate_constant as simulate_constant
from jaxtrade.models.sunk_cost.constant_rule import solve_constant as solve_constant
from jaxtrade.models.sunk_cost.constant_rule import solve_firms as solve_firms
from jaxtrade.models.sunk_cost.equilibrium import PeriodEquilibrium as PeriodEquilibrium
from jaxtrade.models.sunk_cost.equilibrium import SteadyState as SteadyState
from jaxtrade.models.sunk_cost.equilibrium import stationary_masses as stationary_masses
from jaxtrade.models.sunk_cost.krusell_smith import OBJECTS as KS_OBJECTS
from jaxtrade.models.sunk_cost.krusell_smith import PAPER_OBJECTS as KS_PAPER_OBJECTS
from jaxtrade.models.sunk_cost.krusell_smith import KSOptions as KSOptions
from jaxtrade.models.sunk_cost.krusell_smith import KSResult as KSResult
from jaxtrade.models.sunk_cost.krusell_smith import KSStep as KSStep
from jaxtrade.models.sunk_cost.krusell_smith import LogLinearPolicy as LogLinearPolicy
from jaxtrade.models.sunk_cost.krusell_smith import RuleFit as RuleFit
from jaxtrade.models.sunk_cost.krusell_smith import bilinear_weights as bilinear_weights
from jaxtrade.models.sunk_cost.krusell_smith import export_shares as export_shares
from jaxtrade.models.sunk_cost.krusell_smith import forecast_update as forecast_update
from jaxtrade.models.sunk_cost.krusell_smith import initial_rules as initial_rules
from jaxtrade.models.sunk_cost.krusell_smith import moment_rule_gap as moment_rule_gap
from jaxtrade.models.sunk_cost.krusell_smith import ols_by_state as ols_by_state
from jaxtrade.models.sunk_cost.krusell_smith import simulate_loglinear as simulate_loglinear
from jaxtrade.models.sunk_cost.krusell_smith import solve_firms_loglinear as solve_firms_loglinear
from jaxtrade.models.sunk_cost.krusell_smith import solve_loglinear as solve_loglinear
from jaxtrade.models.sunk_cost.krusell_smith import symmetric_rules as symmetric_rules
from jaxtrade.models.sunk_cost.liberalization import imports_to_domestic as imports_to_domestic
from jaxtrade.models.sunk_cost.liberalization import table3 as table3
from jaxtrade.models.sunk_cost.liberalization import tariff_removal as tariff_removal
from jaxtrade.models.sunk_cost.moments import armington_regression as armington_regression
from jaxtrade.models.sunk_cost.moments import detrend_series as detrend_series
from jaxtrade.models.sunk_cost.moments import employment as employment
from jaxtrade.models.sunk_cost.moments import frozen_distribution_moments as frozen_distribution_moments
from jaxtrade.models.sunk_cost.moments import log_real_output as log_real_output
from jaxtrade.models.sunk_cost.moments import markov_moments as markov_moments
from jaxtrade.models.sunk_cost.moments import output_moments as output_moments
from jaxtrade.models.sunk_cost.moments import price_indices as price_indices
from jaxtrade.models.sunk_cost.moments import productivity_moments as productivity_moments
from jaxtrade.models.sunk_cost.moments import sd_autocorr as sd_autocorr
from jaxtrade.models.sunk_cost.moments import shocks_for_targets as shocks_for_targets
from jaxtrade.models.sunk_cost.moments import size_distribution as size_distribution
from jaxtrade.models.sunk_cost.moments import time_series_experiment as time_series_experiment
from jaxtrade.models.sunk_cost.options import Detrend as Detrend
from jaxtrade.models.sunk_cost.options import EntryCostUnits as EntryCostUnits
from jaxtrade.models.sunk_cost.options import ExportRule as ExportRule
from jaxtrade.models.sunk_cost.options import ForecastRule as ForecastRule
from jaxtrade.models.sunk_cost.options import OutputMeasure as OutputMeasure
from jaxtrade.models.sunk_cost.params import DEFAULT_LABOR as DEFAULT_LABOR
from jaxtrade.models.sunk_cost.params import PRESETS as PRESETS
from jaxtrade.models.sunk_cost.params import RULES as RULES
from jaxtrade.models.sunk_cost.params import TRADE_OUTPUT_TARGET as TRADE_OUTPUT_TARGET
from jaxtrade.models.sunk_cost.params import SunkCostParams as SunkCostParams
from jaxtrade.models.sunk_cost.params import home_bias_for_trade_output as home_bias_for_trade_output
from jaxtrade.models.sunk_cost.params import no_entry_cost_params as no_entry_cost_params
from jaxtrade.models.sunk_cost.params import preset as preset
from jaxtrade.models.sunk_cost.params import ruhl_params as ruhl_params
from jaxtrade.models.sunk_cost.params import validate_params as validate_params
from jaxtrade.models.sunk_cost.simulate import Simulation as Simulation
from jaxtrade.models.sunk_cost.simulate import over_economies as over_economies
from jaxtrade.models.sunk_cost.simulate import simulate_panel as simulate_panel
from jaxtrade.models.sunk_cost.simulate import simulate_path as simulate_path
from jaxtrade.models.sunk_cost.solve import DEFAULT_DAMPING as DEFAULT_DAMPING
from jaxtrade.models.sunk_cost.solve import period_equilibrium as period_equilibrium
from jaxtrade.models.sunk_cost.solve import solve_stochastic as solve_stochastic
from jaxtrade.models.sunk_cost.solve import steady_state as steady_state
from jaxtrade.models.sunk_cost.types import TypeGrid as TypeGrid
from jaxtrade.models.sunk_cost.types import entry_cost_cdf as entry_cost_cdf
from jaxtrade.models.sunk_cost.types import entry_cost_pdf as entry_cost_pdf
from jaxtrade.models.sunk_cost.types import productivity_cdf as productivity_cdf
from jaxtrade.models.sunk_cost.types import productivity_pdf as productivity_pdf
from jaxtrade.models.sunk_cost.types import theta_kappa as theta_kappa
from jaxtrade.models.sunk_cost.types import type_grid as type_grid

__all__ = [
    # parameters and options
    "DEFAULT_LABOR", "PRESETS", "RULES", "TRADE_OUTPUT_TARGET", "SunkCostParams", "home_bias_for_trade_output",
    "no_entry_cost_params", "preset", "ruhl_params", "validate_params",
    "Detrend", "EntryCostUnits", "ExportRule", "ForecastRule", "OutputMeasure",
    # types and densities (33)-(34)
    "TypeGrid", "entry_cost_cdf", "entry_cost_pdf", "productivity_cdf", "productivity_pdf", "theta_kappa",
    "type_grid",
    # solves
    "DEFAULT_DAMPING", "PeriodEquilibrium", "SteadyState", "StochasticSolution", "period_equilibrium",
    "solve_stochastic", "stationary_masses", "steady_state",
    # aggregate shocks and simulation state
    "STATE_NAMES", "SimState", "draw_shocks", "exporter_moments", "initial_state", "market_period",
    "productivity_states", "simulation_info", "transition_matrix",
    # state-constant rules
    "FirmPolicy", "simulate_constant", "solve_constant", "solve_firms",
    # log-linear rules (Krusell-Smith, Appendix 1)
    "KSOptions", "KSResult", "KSStep", "KS_OBJECTS", "KS_PAPER_OBJECTS", "LogLinearPolicy", "RuleFit",
    "bilinear_weights", "export_shares", "forecast_update", "initial_rules", "moment_rule_gap", "ols_by_state",
    "simulate_loglinear", "solve_firms_loglinear", "solve_loglinear", "symmetric_rules",
    # simulation
    "Simulation", "over_economies", "simulate_panel", "simulate_path",
    # moments: Tables 1-2, section 6.1
    "armington_regression", "detrend_series", "employment", "frozen_distribution_moments", "log_real_output",
    "markov_moments", "output_moments", "price_indices", "productivity_moments", "sd_autocorr",
    "shocks_for_targets", "size_distribution", "time_series_experiment",
    # calibration and data targets
    "ALL_BINS", "ALL_DATA", "EXPORTER_BINS", "EXPORTER_DATA", "TABLE1_DATA", "calibrate_home_bias",
    "calibrate_labor",
    # Table 3
    "imports_to_domestic", "table3", "tariff_removal",
    # the paper's reported numbers
]  # fmt: skip
