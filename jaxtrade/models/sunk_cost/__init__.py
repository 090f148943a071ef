"""Export entry costs and the international elasticity puzzle (Ruhl 2008).

>>> from jaxtrade.models import sunk_cost as sc
>>> p = sc.ruhl_params()                 # Tables 1-2, L calibrated to trade/output 0.091
>>> ss = sc.steady_state(p)              # deterministic steady state
>>> t3 = sc.table3(p)                    # section 6.2, Table 3
>>> sol = sc.solve_stochastic(p)         # aggregate shocks, Krusell-Smith loop (Appendix 1)
>>> ts = sc.time_series_experiment(p, sol)   # section 6.1, regression (37)
"""

from jaxtrade.models.sunk_cost.business_cycle import PAPER_TABLE1, output_moments, shocks_for_targets
from jaxtrade.models.sunk_cost.calibration import (
    ALL_BINS,
    ALL_DATA,
    ALL_MODEL_PAPER,
    EXPORTER_BINS,
    EXPORTER_DATA,
    EXPORTER_MODEL_PAPER,
    TRADE_OUTPUT_TARGET,
    calibrate_home_bias,
    calibrate_labor,
    employment,
    size_distribution,
)
from jaxtrade.models.sunk_cost.equilibrium import (
    PeriodEquilibrium,
    SteadyState,
    period_equilibrium,
    stationary_masses,
    steady_state,
)
from jaxtrade.models.sunk_cost.krusell_smith import OBJECTS as KS_OBJECTS
from jaxtrade.models.sunk_cost.krusell_smith import PAPER_KS_COEF, PAPER_KS_R2, PAPER_KS_SST
from jaxtrade.models.sunk_cost.krusell_smith import PAPER_OBJECTS as KS_PAPER_OBJECTS
from jaxtrade.models.sunk_cost.krusell_smith import (
    KSResult,
    LogLinearPolicy,
    bilinear_weights,
    export_shares,
    ols_by_state,
    simulate_loglinear,
    solve_firms_loglinear,
    solve_loglinear,
    symmetric_rules,
)
from jaxtrade.models.sunk_cost.liberalization import PAPER_TABLE3, imports_to_domestic, table3, tariff_removal
from jaxtrade.models.sunk_cost.params import DEFAULT_LABOR, SunkCostParams, ruhl_params, validate_params
from jaxtrade.models.sunk_cost.stochastic import (
    STATE_NAMES,
    FirmPolicy,
    SimState,
    StochasticSolution,
    draw_shocks,
    initial_state,
    productivity_states,
    simulate,
    solve_firms,
    solve_stochastic,
    transition_matrix,
)
from jaxtrade.models.sunk_cost.timeseries import (
    PAPER_TIME_SERIES,
    armington_regression,
    ols,
    price_indices,
    time_series_experiment,
)
from jaxtrade.models.sunk_cost.types import (
    TypeGrid,
    entry_cost_cdf,
    entry_cost_pdf,
    productivity_cdf,
    productivity_pdf,
    theta_kappa,
    type_grid,
)

__all__ = [
    "PAPER_TABLE1", "output_moments", "shocks_for_targets",
    "ALL_BINS", "ALL_DATA", "ALL_MODEL_PAPER", "DEFAULT_LABOR", "EXPORTER_BINS", "EXPORTER_DATA",
    "EXPORTER_MODEL_PAPER", "KSResult", "KS_OBJECTS", "KS_PAPER_OBJECTS", "LogLinearPolicy", "PAPER_KS_COEF",
    "PAPER_KS_R2", "PAPER_KS_SST", "PAPER_TABLE3", "bilinear_weights", "export_shares", "ols_by_state",
    "simulate_loglinear", "solve_firms_loglinear", "solve_loglinear", "symmetric_rules", "PAPER_TIME_SERIES", "STATE_NAMES", "TRADE_OUTPUT_TARGET",
    "FirmPolicy", "PeriodEquilibrium", "SimState", "SteadyState", "StochasticSolution", "SunkCostParams", "TypeGrid",
    "armington_regression", "calibrate_home_bias", "calibrate_labor", "draw_shocks", "employment",
    "entry_cost_cdf", "entry_cost_pdf", "imports_to_domestic", "initial_state", "ols", "period_equilibrium",
    "price_indices", "productivity_cdf", "productivity_pdf", "productivity_states", "ruhl_params", "simulate",
    "size_distribution", "solve_firms", "solve_stochastic", "stationary_masses", "steady_state", "table3",
    "tariff_removal", "theta_kappa", "time_series_experiment", "transition_matrix", "type_grid", "validate_params",
]  # fmt: skip
