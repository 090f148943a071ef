"""Heo & Kim (2025) multiproduct exporter model with product proximity (sections 3-5)."""

from .equilibrium import ENTRY_MODES, RESIDUAL_NAMES, Equilibrium, solve_equilibrium, solve_equilibrium_jit
from .model import (BellmanSolution, Grids, bellman_operator, choice_probabilities, exit_probability,
                    export_cost_matrix, export_intensity, make_grids, product_grid, profit_w, solve_bellman,
                    stationary_mass)
from .params import PRESETS, MultiproductParams, npg_params, preset, standard_params, validate_params

__all__ = [
    "MultiproductParams", "standard_params", "npg_params", "preset", "PRESETS", "validate_params",
    "Grids", "make_grids", "product_grid", "export_cost_matrix", "exit_probability", "profit_w",
    "export_intensity", "bellman_operator", "choice_probabilities", "solve_bellman", "BellmanSolution",
    "stationary_mass", "Equilibrium", "solve_equilibrium", "solve_equilibrium_jit", "RESIDUAL_NAMES",
    "ENTRY_MODES",
]

from .moments import TABLE5_NAMES, TABLE5_PAPER, extra_moments, moment_vector, table5_moments  # noqa: E402
from .simulate import candidate_panel, simulate_panel, simulate_states  # noqa: E402

__all__ += ["TABLE5_NAMES", "TABLE5_PAPER", "table5_moments", "extra_moments", "moment_vector",
            "simulate_panel", "simulate_states", "candidate_panel"]

from .dynamics import (ALWAYS, CROSSING, NEVER, NOT_APPLICABLE, AddDropThresholds, NewExporterDynamics,  # noqa: E402
                       PairwiseThresholds, ProximityThresholds, add_drop_thresholds, choice_value_gaps,
                       dynamics_summary, figure_portfolio, new_exporter_dynamics, pairwise_thresholds,
                       productivity_normalization, proximity_thresholds)

__all__ += ["add_drop_thresholds", "pairwise_thresholds", "proximity_thresholds", "new_exporter_dynamics",
            "dynamics_summary", "choice_value_gaps", "productivity_normalization", "figure_portfolio",
            "AddDropThresholds", "PairwiseThresholds", "ProximityThresholds", "NewExporterDynamics",
            "CROSSING", "ALWAYS", "NEVER", "NOT_APPLICABLE"]

from .batch import METHODS as BATCH_METHODS  # noqa: E402
from .batch import solve_equilibrium_batch, stack_params, unstack_params  # noqa: E402

__all__ += ["solve_equilibrium_batch", "stack_params", "unstack_params", "BATCH_METHODS"]
