"""Heo & Kim (2025) multiproduct exporter model with product proximity (sections 3-5).

Firms with AR(1) productivity (eq. 27) choose an export threshold over an
ordered product space, paying export costs that depend on how far the
portfolio moves (eq. 19, or eq. 30 without proximity gains); free entry and
market clearing close two symmetric countries (eqs. 21-26).

* :mod:`~jaxtrade.models.multiproduct.params`: :class:`MultiproductParams`,
  its :data:`RULES`, the ``standard``/``npg`` presets (Tables 3-4);
* :mod:`~jaxtrade.models.multiproduct.firm`: grids, profits, the Bellman
  equation (21) and the stationary firm distribution;
* :mod:`~jaxtrade.models.multiproduct.solve`: the stationary general
  equilibrium, one parameter vector or a sharded batch;
* :mod:`~jaxtrade.models.multiproduct.simulate`: simulated firm panels;
* :mod:`~jaxtrade.models.multiproduct.moments`: Table 5 and other moments
  (``product_rates=`` and ``entrant_gap=`` choose the readings);
* :mod:`~jaxtrade.models.multiproduct.product_space`: product-grid bounds
  fitted to an expenditure-share range (section 6);
* :mod:`~jaxtrade.models.multiproduct.dynamics`: eq. (32) thresholds and
  new-exporter dynamics (section 5, Figures 4-6);
* :mod:`~jaxtrade.models.multiproduct.calibration`: the calibration of eq. (28)
  on :mod:`jaxtrade.estimation` (Tables 4-5) and the stored calibration;
* :mod:`~jaxtrade.models.multiproduct.transition`: perfect-foresight transitions
  after tariff changes, solved in sequence space (fake-news Jacobian by autodiff);
* :mod:`~jaxtrade.models.multiproduct.policy`: tariff schedules (eqs. 35-36),
  welfare (CEV), Tables 7-8, and differentiable welfare (section 6).

Examples
--------
>>> from jaxtrade.models import multiproduct as mp
>>> p = mp.standard_params(n_z=11, n_products=4)
>>> eq = mp.solve_equilibrium(p)
>>> bool(eq.info.converged), float(eq.N_E)
(True, 1.0)
>>> m = mp.table5_moments(eq)
>>> 0.0 < float(m["exporter_share"]) < 1.0
True
>>> flags = mp.solve_equilibrium(p.replace(tau=0.05), entry="fixed_cost", throw=False).info.converged
>>> bool(flags)
True
"""

from jaxtrade.models.multiproduct.calibration import BOUNDS as BOUNDS
from jaxtrade.models.multiproduct.calibration import FREE as FREE
from jaxtrade.models.multiproduct.calibration import IDENTITIES as IDENTITIES
from jaxtrade.models.multiproduct.calibration import MATCH_TOL as MATCH_TOL
from jaxtrade.models.multiproduct.calibration import SMOOTHING_PATH as SMOOTHING_PATH
from jaxtrade.models.multiproduct.calibration import TARGETS as TARGETS
from jaxtrade.models.multiproduct.calibration import calibrate as calibrate
from jaxtrade.models.multiproduct.calibration import calibration_problem as calibration_problem
from jaxtrade.models.multiproduct.calibration import calibration_stages as calibration_stages
from jaxtrade.models.multiproduct.calibration import stored_calibration as stored_calibration
from jaxtrade.models.multiproduct.dynamics import ALWAYS as ALWAYS
from jaxtrade.models.multiproduct.dynamics import CROSSING as CROSSING
from jaxtrade.models.multiproduct.dynamics import NEVER as NEVER
from jaxtrade.models.multiproduct.dynamics import NOT_APPLICABLE as NOT_APPLICABLE
from jaxtrade.models.multiproduct.dynamics import AddDropThresholds as AddDropThresholds
from jaxtrade.models.multiproduct.dynamics import NewExporterDynamics as NewExporterDynamics
from jaxtrade.models.multiproduct.dynamics import PairwiseThresholds as PairwiseThresholds
from jaxtrade.models.multiproduct.dynamics import ProximityThresholds as ProximityThresholds
from jaxtrade.models.multiproduct.dynamics import add_drop_thresholds as add_drop_thresholds
from jaxtrade.models.multiproduct.dynamics import choice_value_gaps as choice_value_gaps
from jaxtrade.models.multiproduct.dynamics import dynamics_summary as dynamics_summary
from jaxtrade.models.multiproduct.dynamics import figure_portfolio as figure_portfolio
from jaxtrade.models.multiproduct.dynamics import new_exporter_dynamics as new_exporter_dynamics
from jaxtrade.models.multiproduct.dynamics import pairwise_thresholds as pairwise_thresholds
from jaxtrade.models.multiproduct.dynamics import productivity_normalization as productivity_normalization
from jaxtrade.models.multiproduct.dynamics import proximity_thresholds as proximity_thresholds
from jaxtrade.models.multiproduct.firm import BellmanSolution as BellmanSolution
from jaxtrade.models.multiproduct.firm import Grids as Grids
from jaxtrade.models.multiproduct.firm import bellman_operator as bellman_operator
from jaxtrade.models.multiproduct.firm import choice_probabilities as choice_probabilities
from jaxtrade.models.multiproduct.firm import choice_values as choice_values
from jaxtrade.models.multiproduct.firm import entrant_distribution as entrant_distribution
from jaxtrade.models.multiproduct.firm import exit_probability as exit_probability
from jaxtrade.models.multiproduct.firm import export_cost_matrix as export_cost_matrix
from jaxtrade.models.multiproduct.firm import export_intensity as export_intensity
from jaxtrade.models.multiproduct.firm import initial_mass as initial_mass
from jaxtrade.models.multiproduct.firm import initial_value as initial_value
from jaxtrade.models.multiproduct.firm import make_grids as make_grids
from jaxtrade.models.multiproduct.firm import product_grid as product_grid
from jaxtrade.models.multiproduct.firm import profit_w as profit_w
from jaxtrade.models.multiproduct.firm import solve_bellman as solve_bellman
from jaxtrade.models.multiproduct.firm import stationary_mass as stationary_mass
from jaxtrade.models.multiproduct.moments import ENTRANT_GAPS as ENTRANT_GAPS
from jaxtrade.models.multiproduct.moments import PRODUCT_RATES as PRODUCT_RATES
from jaxtrade.models.multiproduct.moments import TABLE5_DATA as TABLE5_DATA
from jaxtrade.models.multiproduct.moments import TABLE5_LABELS as TABLE5_LABELS
from jaxtrade.models.multiproduct.moments import TABLE5_NAMES as TABLE5_NAMES
from jaxtrade.models.multiproduct.moments import EntrantGap as EntrantGap
from jaxtrade.models.multiproduct.moments import ProductRates as ProductRates
from jaxtrade.models.multiproduct.moments import extra_moments as extra_moments
from jaxtrade.models.multiproduct.moments import moment_vector as moment_vector
from jaxtrade.models.multiproduct.moments import table5_moments as table5_moments
from jaxtrade.models.multiproduct.moments import transition_mass as transition_mass
from jaxtrade.models.multiproduct.params import PRESETS as PRESETS
from jaxtrade.models.multiproduct.params import RULES as RULES
from jaxtrade.models.multiproduct.params import MultiproductParams as MultiproductParams
from jaxtrade.models.multiproduct.params import npg_params as npg_params
from jaxtrade.models.multiproduct.params import preset as preset
from jaxtrade.models.multiproduct.params import standard_params as standard_params
from jaxtrade.models.multiproduct.params import validate_params as validate_params
from jaxtrade.models.multiproduct.policy import EXPERIMENTS as EXPERIMENTS
from jaxtrade.models.multiproduct.policy import SCHEDULES as SCHEDULES
from jaxtrade.models.multiproduct.policy import OptimalSchedule as OptimalSchedule
from jaxtrade.models.multiproduct.policy import PolicyResult as PolicyResult
from jaxtrade.models.multiproduct.policy import Welfare as Welfare
from jaxtrade.models.multiproduct.policy import cev_gradient as cev_gradient
from jaxtrade.models.multiproduct.policy import expenditure_shares as expenditure_shares
from jaxtrade.models.multiproduct.policy import optimal_schedule as optimal_schedule
from jaxtrade.models.multiproduct.policy import policy_experiment as policy_experiment
from jaxtrade.models.multiproduct.policy import policy_tables as policy_tables
from jaxtrade.models.multiproduct.policy import project_weighted_average as project_weighted_average
from jaxtrade.models.multiproduct.policy import schedule_for as schedule_for
from jaxtrade.models.multiproduct.policy import tariff_schedule as tariff_schedule
from jaxtrade.models.multiproduct.policy import transition_cev as transition_cev
from jaxtrade.models.multiproduct.policy import welfare as welfare
from jaxtrade.models.multiproduct.product_space import PAPER_SHARE_RANGE as PAPER_SHARE_RANGE
from jaxtrade.models.multiproduct.product_space import ProductBoundsFit as ProductBoundsFit
from jaxtrade.models.multiproduct.product_space import expenditure_share_range as expenditure_share_range
from jaxtrade.models.multiproduct.product_space import fit_product_bounds as fit_product_bounds
from jaxtrade.models.multiproduct.simulate import candidate_panel as candidate_panel
from jaxtrade.models.multiproduct.simulate import simulate_panel as simulate_panel
from jaxtrade.models.multiproduct.simulate import simulate_states as simulate_states
from jaxtrade.models.multiproduct.solve import BATCH_METHODS as BATCH_METHODS
from jaxtrade.models.multiproduct.solve import ENTRY_MODES as ENTRY_MODES
from jaxtrade.models.multiproduct.solve import GE_TOL as GE_TOL
from jaxtrade.models.multiproduct.solve import RESIDUAL_NAMES as RESIDUAL_NAMES
from jaxtrade.models.multiproduct.solve import TOLERANCES as TOLERANCES
from jaxtrade.models.multiproduct.solve import BatchMethod as BatchMethod
from jaxtrade.models.multiproduct.solve import EntryMode as EntryMode
from jaxtrade.models.multiproduct.solve import Equilibrium as Equilibrium
from jaxtrade.models.multiproduct.solve import resolve_batch_method as resolve_batch_method
from jaxtrade.models.multiproduct.solve import solve_equilibrium as solve_equilibrium
from jaxtrade.models.multiproduct.solve import solve_equilibrium_batch as solve_equilibrium_batch
from jaxtrade.models.multiproduct.solve import stack_params as stack_params
from jaxtrade.models.multiproduct.solve import unstack_params as unstack_params
from jaxtrade.models.multiproduct.transition import SequenceJacobian as SequenceJacobian
from jaxtrade.models.multiproduct.transition import Transition as Transition
from jaxtrade.models.multiproduct.transition import evaluate_path as evaluate_path
from jaxtrade.models.multiproduct.transition import path_residual as path_residual
from jaxtrade.models.multiproduct.transition import sequence_jacobian as sequence_jacobian
from jaxtrade.models.multiproduct.transition import solve_transition as solve_transition
from jaxtrade.models.multiproduct.transition import tariff_path as tariff_path
from jaxtrade.models.multiproduct.transition import terminal_steady_state as terminal_steady_state

__all__ = [
    # parameters (params.py)
    "MultiproductParams", "RULES", "validate_params", "standard_params", "npg_params", "PRESETS", "preset",
    # the firm problem (firm.py)
    "Grids", "make_grids", "product_grid", "entrant_distribution", "export_cost_matrix", "exit_probability",
    "profit_w", "export_intensity", "choice_values", "choice_probabilities", "bellman_operator",
    "BellmanSolution", "solve_bellman", "stationary_mass", "initial_value", "initial_mass",
    # general equilibrium (solve.py)
    "Equilibrium", "solve_equilibrium", "solve_equilibrium_batch", "stack_params", "unstack_params",
    "EntryMode", "ENTRY_MODES", "BatchMethod", "BATCH_METHODS", "resolve_batch_method", "RESIDUAL_NAMES", "GE_TOL", "TOLERANCES",
    # simulated panels (simulate.py)
    "simulate_panel", "simulate_states", "candidate_panel",
    # moments (moments.py)
    "TABLE5_DATA", "TABLE5_LABELS", "TABLE5_NAMES", "table5_moments", "extra_moments", "moment_vector",
    "transition_mass", "ProductRates", "PRODUCT_RATES", "EntrantGap", "ENTRANT_GAPS",
    # product-grid bounds (product_space.py)
    "fit_product_bounds", "ProductBoundsFit", "expenditure_share_range", "PAPER_SHARE_RANGE",
    # section 5 (dynamics.py)
    "add_drop_thresholds", "pairwise_thresholds", "proximity_thresholds", "new_exporter_dynamics",
    "dynamics_summary", "choice_value_gaps", "productivity_normalization", "figure_portfolio",
    "AddDropThresholds", "PairwiseThresholds", "ProximityThresholds", "NewExporterDynamics",
    "CROSSING", "ALWAYS", "NEVER", "NOT_APPLICABLE",
    # calibration (calibrate.py)
    "calibrate", "calibration_problem", "calibration_stages", "stored_calibration", "FREE", "TARGETS", "BOUNDS",
    "IDENTITIES", "SMOOTHING_PATH", "MATCH_TOL",
    # transitions (transition.py)
    "solve_transition", "Transition", "sequence_jacobian", "SequenceJacobian", "terminal_steady_state",
    "tariff_path", "path_residual", "evaluate_path",
    # policy experiments and welfare (policy.py)
    "EXPERIMENTS", "SCHEDULES", "tariff_schedule", "schedule_for", "expenditure_shares", "welfare", "Welfare",
    "policy_experiment", "policy_tables", "PolicyResult", "transition_cev", "cev_gradient", "optimal_schedule",
    "OptimalSchedule", "project_weighted_average",
]  # fmt: skip
