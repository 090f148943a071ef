"""Minimum-distance / method-of-simulated-moments estimation for any model of the library.

The pieces (each a module):

* :mod:`.space`: estimated parameters with bounds, mapped to an unconstrained
  space (log for positive parameters, logit for shares and boxes);
* :mod:`.problem`: :class:`MomentProblem` (moment function, data moments,
  targets, weights, adding-up identities; jitted kernels for the moments, the
  forward-mode Jacobian, the reverse-mode gradient and sharded batches);
* :mod:`.least_squares`: Levenberg-Marquardt with the autodiff Jacobian;
* :mod:`.first_order`: Adam then L-BFGS (optax);
* :mod:`.multistart`: TikTak over a Sobol sample evaluated as one sharded batch;
* :mod:`.inference`: the moment Jacobian, robust standard errors, the
  Andrews-Gentzkow-Shapiro sensitivity, identification diagnostics, and the
  derivative of the estimate with respect to the data moments by implicit
  differentiation;
* :mod:`.checkpoint`: checkpoints after every iteration and exact resume;
* :mod:`.estimate`: the driver (:func:`estimate`: stages such as an annealed
  smoothing scale, multi-start, checkpoints, the :class:`Estimate` record).

The objective is Heo & Kim (2025) eq. (28), F = (m(theta) - m_data)' W
(m(theta) - m_data). A model plugs in through a moment function of a dict of
parameters; see ``docs/estimation.md`` for examples with the multiproduct and
vertical models.

Examples
--------
>>> import jax.numpy as jnp
>>> from jaxtrade.estimation import MomentProblem, Parameter, estimate
>>> def moments(p):  # mean and sd of a lognormal(mu, s)
...     return jnp.stack([jnp.exp(p["mu"] + p["s"] ** 2 / 2), p["s"]])
>>> prob = MomentProblem(moments, {"mean": 1.5, "sd": 0.4}, ("mean", "sd"),
...                      [Parameter("mu"), Parameter("s", lower=0.0)])
>>> est = estimate(prob, {"mu": 0.0, "s": 1.0}, progress=False)
>>> est.converged, round(est.theta["s"], 8), round(est.moments["mean"], 8)
(True, 0.4, 1.5)
"""

from jaxtrade.estimation.checkpoint import Checkpoint
from jaxtrade.estimation.estimate import METHODS, Estimate, Method, Multistart, Stage, StageResult, estimate
from jaxtrade.estimation.first_order import adam_lbfgs
from jaxtrade.estimation.inference import Inference, data_derivative, inference, moment_jacobian
from jaxtrade.estimation.least_squares import LMResult, LMState, levenberg_marquardt
from jaxtrade.estimation.multistart import MultistartResult, sobol_points, tiktak
from jaxtrade.estimation.problem import Identity, MomentProblem, check_identities, moment_covariance
from jaxtrade.estimation.space import Parameter, ParameterSpace

__all__ = [
    "Checkpoint",
    "Estimate",
    "Identity",
    "Inference",
    "LMResult",
    "LMState",
    "METHODS",
    "Method",
    "MomentProblem",
    "Multistart",
    "MultistartResult",
    "Parameter",
    "ParameterSpace",
    "Stage",
    "StageResult",
    "adam_lbfgs",
    "check_identities",
    "data_derivative",
    "estimate",
    "inference",
    "levenberg_marquardt",
    "moment_covariance",
    "moment_jacobian",
    "sobol_points",
    "tiktak",
]
