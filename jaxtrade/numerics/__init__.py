"""Shared numerical kernels used by every jaxtrade model.

* :mod:`~jaxtrade.numerics.root`: Newton root finding with implicit derivatives.
* :mod:`~jaxtrade.numerics.fixed_point`: fixed points (plain / Anderson) with
  implicit, matrix-free derivatives.
* :mod:`~jaxtrade.numerics.markov`: Tauchen and Rouwenhorst AR(1) chains,
  stationary distributions of Markov chains.
* :mod:`~jaxtrade.numerics.grids`: uniform, log and Pareto-quantile grids,
  Pareto CDF/PDF and cell masses.
* :mod:`~jaxtrade.numerics.distribution`: Young lotteries, histogram
  push-forward, stationary distributions with entry and exit.
* :mod:`~jaxtrade.numerics.sharding`: device meshes and sharded batches.
"""

from jaxtrade.numerics.distribution import push_forward, stationary_distribution, young_lottery
from jaxtrade.numerics.fixed_point import FixedPointResult, fixed_point, fixed_point_checked, value_iteration
from jaxtrade.numerics.grids import (
    log_grid,
    pareto_cdf,
    pareto_cell_masses,
    pareto_pdf,
    pareto_quantile_grid,
    uniform_grid,
)
from jaxtrade.numerics.linalg import solve_small
from jaxtrade.numerics.markov import (
    MarkovChain,
    StationaryResult,
    rouwenhorst,
    stationary_distribution_markov,
    tauchen,
)
from jaxtrade.numerics.root import RootResult, newton_root, newton_root_checked
from jaxtrade.numerics.sharding import batch_size, device_mesh, pad_batch, shard_batch, sharded_vmap

__all__ = [
    "solve_small",
    "FixedPointResult",
    "MarkovChain",
    "RootResult",
    "StationaryResult",
    "batch_size",
    "device_mesh",
    "fixed_point",
    "fixed_point_checked",
    "value_iteration",
    "log_grid",
    "newton_root",
    "newton_root_checked",
    "pad_batch",
    "pareto_cdf",
    "pareto_cell_masses",
    "pareto_pdf",
    "pareto_quantile_grid",
    "push_forward",
    "rouwenhorst",
    "shard_batch",
    "sharded_vmap",
    "stationary_distribution",
    "stationary_distribution_markov",
    "tauchen",
    "uniform_grid",
    "young_lottery",
]
