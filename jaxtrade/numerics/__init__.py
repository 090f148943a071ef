"""Shared numerical kernels used by every jaxtrade model.

* :mod:`~jaxtrade.numerics.root`: Newton root finding with implicit derivatives.
* :mod:`~jaxtrade.numerics.fixed_point`: fixed points (plain / Anderson) with
  implicit, matrix-free derivatives; value iteration.
* :mod:`~jaxtrade.numerics.markov`: Tauchen and Rouwenhorst AR(1) chains,
  stationary distributions of Markov chains.
* :mod:`~jaxtrade.numerics.grids`: uniform, log and Pareto-quantile grids,
  Pareto CDF/PDF and cell masses.
* :mod:`~jaxtrade.numerics.distribution`: Young lotteries, histogram
  push-forward, stationary distributions with entry and exit.
* :mod:`~jaxtrade.numerics.ces`: CES markups.
* :mod:`~jaxtrade.numerics.ols`: closed-form least squares inside solvers.
* :mod:`~jaxtrade.numerics.linalg`: small dense linear solves in pure ``lax``.
* :mod:`~jaxtrade.numerics.sharding`: device meshes and sharded batches.

Every solver returns a :class:`~jaxtrade.errors.Solution` and takes
``throw`` (see :mod:`jaxtrade.errors`).
"""

from jaxtrade.errors import Solution as Solution
from jaxtrade.numerics.ces import log_markup_term as log_markup_term
from jaxtrade.numerics.ces import markup as markup
from jaxtrade.numerics.ces import markup_term as markup_term
from jaxtrade.numerics.distribution import push_forward as push_forward
from jaxtrade.numerics.distribution import stationary_distribution as stationary_distribution
from jaxtrade.numerics.distribution import young_lottery as young_lottery
from jaxtrade.numerics.fixed_point import fixed_point as fixed_point
from jaxtrade.numerics.fixed_point import value_iteration as value_iteration
from jaxtrade.numerics.grids import grid_size as grid_size
from jaxtrade.numerics.grids import log_grid as log_grid
from jaxtrade.numerics.grids import pareto_cdf as pareto_cdf
from jaxtrade.numerics.grids import pareto_cell_masses as pareto_cell_masses
from jaxtrade.numerics.grids import pareto_interval_masses as pareto_interval_masses
from jaxtrade.numerics.grids import pareto_pdf as pareto_pdf
from jaxtrade.numerics.grids import pareto_quantile_grid as pareto_quantile_grid
from jaxtrade.numerics.grids import pareto_survival as pareto_survival
from jaxtrade.numerics.grids import uniform_grid as uniform_grid
from jaxtrade.numerics.linalg import solve_small as solve_small
from jaxtrade.numerics.markov import MarkovChain as MarkovChain
from jaxtrade.numerics.markov import rouwenhorst as rouwenhorst
from jaxtrade.numerics.markov import stationary_distribution_markov as stationary_distribution_markov
from jaxtrade.numerics.markov import tauchen as tauchen
from jaxtrade.numerics.ols import GroupFit as GroupFit
from jaxtrade.numerics.ols import ols_by_group as ols_by_group
from jaxtrade.numerics.ols import simple_ols as simple_ols
from jaxtrade.numerics.root import newton_root as newton_root
from jaxtrade.numerics.root import newton_root_warm as newton_root_warm
from jaxtrade.numerics.sharding import batch_size as batch_size
from jaxtrade.numerics.sharding import device_mesh as device_mesh
from jaxtrade.numerics.sharding import gather as gather
from jaxtrade.numerics.sharding import pad_batch as pad_batch
from jaxtrade.numerics.sharding import shard_batch as shard_batch
from jaxtrade.numerics.sharding import sharded_vmap as sharded_vmap

__all__ = [
    "GroupFit", "MarkovChain", "Solution", "batch_size", "device_mesh", "fixed_point", "gather", "grid_size",
    "log_grid", "log_markup_term", "markup", "markup_term", "newton_root", "newton_root_warm", "ols_by_group", "pad_batch",
    "pareto_cdf", "pareto_cell_masses", "pareto_interval_masses", "pareto_pdf", "pareto_survival", "pareto_quantile_grid", "push_forward", "rouwenhorst",
    "shard_batch", "sharded_vmap", "simple_ols", "solve_small", "stationary_distribution",
    "stationary_distribution_markov", "tauchen", "uniform_grid", "value_iteration", "young_lottery",
]  # fmt: skip
