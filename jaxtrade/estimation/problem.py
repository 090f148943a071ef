"""A minimum-distance problem: moments of a model, data moments, weights, parameters.

The problem of Heo & Kim (2025) eq. (28), written for any model of the
library: choose ``theta`` to minimise

    F(theta) = (m(theta) - m_data)' W (m(theta) - m_data)

over the targeted moments, with ``W`` the identity (eq. 28), ``diag(1 / var)``
(``"diagonal"``) or a user matrix. ``m(theta)`` is a *moment function*: a
pure, jit-able, differentiable function of a dict of parameter values that
returns the model's moment vector, or ``(moments, ok)`` with ``ok`` a bool
that is ``False`` where the model could not be solved (an optimizer then
treats the point as infeasible instead of crashing). Parameters that are not
estimated are passed to the moment function from ``fixed`` (a dict of
arrays, so changing them, e.g. annealing a smoothing scale, does not
recompile).

Examples
--------
>>> import jax.numpy as jnp
>>> def moments(p):  # a toy model: mean and variance of a lognormal
...     return jnp.stack([jnp.exp(p["mu"] + p["s"] ** 2 / 2), p["s"]])
>>> prob = MomentProblem(moments, {"mean": 1.2, "sd": 0.5}, ("mean", "sd"),
...                      ParameterSpace([Parameter("mu"), Parameter("s", lower=0.0)]))
>>> prob.targets, prob.weights.tolist()
(('mean', 'sd'), [[1.0, 0.0], [0.0, 1.0]])
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec

from jaxtrade.errors import RESULTS, SolverInfo
from jaxtrade.estimation.space import Parameter, ParameterSpace
from jaxtrade.numerics.sharding import device_mesh, pad_batch, shard_batch

__all__ = ["Identity", "MomentProblem", "check_identities", "moment_covariance", "run_info"]


class Identity(NamedTuple):
    """An adding-up identity: the moments ``names`` sum to ``total`` (in the model, so also in the data).

    Two moments tied by an identity carry one piece of information; target at
    most all but one of them, and the data must satisfy it (within ``tol``,
    e.g. the rounding of published shares).
    """

    names: tuple[str, ...]
    total: float = 1.0
    tol: float = 1e-6


def check_identities(data: Mapping[str, float], identities: Sequence[Identity]) -> None:
    """``ValueError`` naming the identity when data moments that ``identities`` tie together do not add up.

    Identities that mention a moment absent from ``data`` are skipped.

    Examples
    --------
    >>> check_identities({"sp": 0.45, "mp": 0.60}, [Identity(("sp", "mp"))])
    Traceback (most recent call last):
    ...
    ValueError: data moments are inconsistent: sp + mp must equal 1.0 (an identity of the model), got 1.05
    """
    for ident in identities:
        if not all(n in data for n in ident.names):
            continue
        total = sum(float(data[n]) for n in ident.names)
        if abs(total - ident.total) > ident.tol:
            raise ValueError(
                f"data moments are inconsistent: {' + '.join(ident.names)} must equal {ident.total} "
                f"(an identity of the model), got {round(total, 12)}"
            )


def moment_covariance(cov, n: int, what: str = "moments_cov") -> np.ndarray:
    """A (n, n) covariance from a matrix or a vector of standard errors, checked (symmetric, PSD, finite)."""
    arr = np.asarray(cov, dtype=float)
    if arr.ndim == 1:
        if arr.shape != (n,) or not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise ValueError(f"{what}: a vector of standard errors must have shape ({n},), finite and >= 0")
        return np.diag(arr**2)
    if arr.shape != (n, n) or not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} must be ({n}, {n}) and finite, or a ({n},) vector of standard errors")
    if not np.allclose(arr, arr.T, rtol=1e-10, atol=1e-14):
        raise ValueError(f"{what} must be symmetric")
    if np.linalg.eigvalsh(arr).min() < -1e-12 * max(1.0, np.abs(arr).max()):
        raise ValueError(f"{what} must be positive semi-definite")
    return arr


def _weights(weights, cov: np.ndarray | None, n: int) -> np.ndarray:
    if isinstance(weights, str):
        if weights == "identity":
            return np.eye(n)
        if weights == "diagonal":
            if cov is None:
                raise ValueError('weights="diagonal" needs moments_cov (W = diag(1 / var))')
            var = np.diag(cov)
            if np.any(var <= 0):
                raise ValueError('weights="diagonal" needs a positive variance for every targeted moment')
            return np.diag(1.0 / var)
        raise ValueError(f'weights must be "identity", "diagonal" or a ({n}, {n}) matrix, got {weights!r}')
    w = np.asarray(weights, dtype=float)
    if w.shape != (n, n) or not np.all(np.isfinite(w)):
        raise ValueError(f"weights must be a finite ({n}, {n}) matrix for the {n} targeted moments, got {w.shape}")
    if not np.allclose(w, w.T, rtol=1e-10, atol=1e-14) or np.linalg.eigvalsh(w).min() <= 0:
        raise ValueError("weights must be symmetric positive definite")
    return w


# compiled kernels per MomentProblem.kernel_key (bounded: one entry per model, grid and parameter set)
_KERNELS: dict[tuple, dict[str, Any]] = {}


def _check_data(targets: Sequence[str], data: Mapping[str, float]) -> None:
    missing = [t for t in targets if t not in data]
    if missing:
        raise ValueError(f"data must give every targeted moment; missing {missing}")
    bad = [t for t in targets if not np.isfinite(float(data[t]))]
    if bad:
        raise ValueError(f"data moments must be finite; not finite: {bad}")


def run_info(iterations: int, residual: float, result) -> SolverInfo:
    """The :class:`~jaxtrade.errors.SolverInfo` of an estimation run (host values in, arrays out)."""
    return SolverInfo(
        iterations=jnp.asarray(iterations, dtype=jnp.int32),
        residual=jnp.asarray(residual if np.isfinite(residual) else np.inf),
        converged=jnp.asarray(result == RESULTS.successful),
        result=result,
    )


def _split(out) -> tuple[jax.Array, jax.Array]:
    if isinstance(out, tuple):
        m, ok = out
    else:
        m, ok = out, jnp.asarray(True)
    m = jnp.asarray(m, dtype=float)
    return m, jnp.asarray(ok, dtype=bool) & jnp.all(jnp.isfinite(m))


class MomentProblem:
    """Moments, data, weights and parameters of a minimum-distance estimation (module docstring).

    Parameters
    ----------
    moment_fn : callable
        ``moment_fn(params) -> moments`` or ``-> (moments, ok)``; ``params`` is
        a dict with every estimated parameter and every entry of ``fixed``
        (JAX scalars / arrays); ``moments`` is a 1-D array in
        ``moment_names`` order. Must be jit-able and differentiable
        (forward mode for the Jacobian, reverse mode for the first-order path).
    data : mapping name -> float
        Data moments: every target must be present; other entries are kept for
        reports and for the ``identities`` check.
    targets : sequence of str
        The moments the estimation matches, a subset of ``moment_names``.
    space : ParameterSpace or sequence of Parameter
        The estimated parameters with their bounds.
    fixed : mapping, optional
        Inputs of ``moment_fn`` that are not estimated (arrays; a stage of an
        estimation may change them).
    moment_names : sequence of str, optional
        Names of the entries of ``moment_fn``'s output; default ``targets``.
    weights : "identity", "diagonal" or (t, t) array
        Weighting matrix W over the targets (eq. 28 is the identity).
    moments_cov : (t, t) array or (t,) standard errors, optional
        Covariance of the targeted data moments (for standard errors and
        ``weights="diagonal"``).
    identities : sequence of Identity
        Adding-up identities among moments; checked on ``data``, and two
        moments of one identity cannot both be targeted unless ``W`` is given
        explicitly.
    """

    def __init__(
        self,
        moment_fn: Callable[[dict[str, Any]], Any],
        data: Mapping[str, float],
        targets: Sequence[str],
        space: ParameterSpace | Sequence[Parameter],
        *,
        fixed: Mapping[str, Any] | None = None,
        moment_names: Sequence[str] | None = None,
        weights: Any = "identity",
        moments_cov=None,
        identities: Sequence[Identity] = (),
    ):
        self.space = space if isinstance(space, ParameterSpace) else ParameterSpace(space)
        self.moment_fn = moment_fn
        self.targets = tuple(targets)
        self.moment_names = tuple(moment_names) if moment_names is not None else self.targets
        if not self.targets:
            raise ValueError("targets must name at least one moment")
        for label, names in (("targets", self.targets), ("moment_names", self.moment_names)):
            dup = sorted({n for n in names if names.count(n) > 1})
            if dup:
                raise ValueError(f"{label} must be unique, got duplicates {dup}")
        unknown = [t for t in self.targets if t not in self.moment_names]
        if unknown:
            raise ValueError(f"targets {unknown} are not among moment_names {self.moment_names}")
        _check_data(self.targets, data)
        if len(self.targets) < len(self.space):
            raise ValueError(
                f"{len(self.space)} parameters {self.space.names} cannot be identified by "
                f"{len(self.targets)} targeted moments {self.targets}"
            )
        check_identities(data, identities)
        explicit_w = not isinstance(weights, str)
        for ident in identities:
            tied = [n for n in ident.names if n in self.targets]
            if len(tied) == len(ident.names) and not explicit_w:
                raise ValueError(
                    f"targets {tied} add up to {ident.total} (an identity of the model): target all but one "
                    "of them (the last carries no information and makes the moment covariance singular)"
                )
        self.data = {k: float(v) for k, v in data.items()}
        self.identities = tuple(identities)
        self.fixed = {k: jnp.asarray(v, dtype=float) for k, v in (fixed or {}).items()}
        overlap = sorted(set(self.fixed) & set(self.space.names))
        if overlap:
            raise ValueError(f"parameters {overlap} are both estimated and fixed")
        n = len(self.targets)
        self.moments_cov = None if moments_cov is None else moment_covariance(moments_cov, n)
        self.weights = _weights(weights, self.moments_cov, n)
        self.target_index = np.array([self.moment_names.index(t) for t in self.targets])
        self.data_vector = np.array([self.data[t] for t in self.targets])

    def __repr__(self) -> str:
        return f"MomentProblem(targets={self.targets}, space={self.space!r}, fixed={sorted(self.fixed)})"

    def with_data(self, data: Mapping[str, float], *, moments_cov=None) -> MomentProblem:
        """The same problem with other data moments (and covariance), sharing the compiled kernels.

        The kernels (moments, Jacobian, batches, first-order steps) do not depend on the data, so
        re-estimating on perturbed or bootstrapped data moments compiles nothing new. The weighting
        matrix stays the one the problem was built with (also for ``weights="diagonal"``); a new
        ``moments_cov`` changes the standard errors only.
        """
        new = copy.copy(self)
        _check_data(self.targets, data)
        check_identities(data, self.identities)
        new.data = {k: float(v) for k, v in data.items()}
        new.data_vector = np.array([new.data[t] for t in self.targets])
        if moments_cov is not None:
            new.moments_cov = moment_covariance(moments_cov, len(self.targets))
        return new

    def with_fixed(self, **changes) -> dict[str, jax.Array]:
        """``fixed`` with ``changes`` applied (unknown names are an error)."""
        unknown = sorted(set(changes) - set(self.fixed))
        if unknown:
            raise ValueError(f"fixed has no entries {unknown}; entries are {sorted(self.fixed)}")
        return {**self.fixed, **{k: jnp.asarray(v, dtype=float) for k, v in changes.items()}}

    # ------------------------------------------------------------------ compiled kernels
    def moment_values(self, theta, fixed):
        """``(moments, ok)`` at natural ``theta`` (traceable, differentiable)."""
        m, ok = _split(self.moment_fn({**fixed, **self.space.as_dict(theta)}))
        if m.shape != (len(self.moment_names),):
            raise ValueError(f"moment_fn returned shape {m.shape}; expected ({len(self.moment_names)},)")
        return m, ok

    def moments_at(self, u, fixed):
        """``(moments, ok)`` at unconstrained ``u`` (traceable; the kernels below jit it)."""
        return self.moment_values(self.space.to_natural(u), fixed)

    @property
    def kernel_key(self) -> tuple:
        """What the compiled kernels depend on: the moment function, the parameters and the moment names.

        Problems with equal keys (e.g. the same model on the same grid with other data or fixed values)
        share their compiled kernels.
        """
        return (self.moment_fn, self.space.parameters, self.moment_names)

    @property
    def _kernels(self) -> dict[str, Any]:
        try:
            key = self.kernel_key
            hash(key)
        except TypeError:  # an unhashable moment function: kernels of this problem only
            return self.__dict__.setdefault("_own_kernels", {})
        return _KERNELS.setdefault(key, {})

    def kernel_cache(self, name: str) -> dict[Any, Any]:
        """A named cache of compiled kernels shared by problems with the same :attr:`kernel_key`."""
        return self._kernels.setdefault(name, {})

    @property
    def evaluate(self) -> Callable:
        """``evaluate(u, fixed) -> (moments, ok)`` (jitted) at unconstrained ``u``."""
        k = self._kernels
        if "evaluate" not in k:
            k["evaluate"] = jax.jit(self.moments_at)
        return k["evaluate"]

    @property
    def linearize(self) -> Callable:
        """``linearize(u, fixed) -> (moments, ok, d moments / d u)`` (jitted, forward mode)."""
        k = self._kernels
        if "linearize" not in k:

            def f(u, fixed):
                m, ok = self.moments_at(u, fixed)
                return m, (m, ok)

            def lin(u, fixed):
                jac, (m, ok) = jax.jacfwd(f, has_aux=True)(u, fixed)
                return m, ok & jnp.all(jnp.isfinite(jac)), jac

            k["linearize"] = jax.jit(lin)
        return k["linearize"]

    def loss(self, moments) -> float:
        """F = r' W r at a moment vector (all ``moment_names``)."""
        r = np.asarray(moments)[self.target_index] - self.data_vector
        return float(r @ self.weights @ r)

    def natural(self, u) -> np.ndarray:
        """``theta`` (natural units) of an unconstrained point."""
        return np.asarray(self.space.to_natural(jnp.asarray(u, dtype=float)))

    def _batched(self, mesh, method: str) -> Callable:
        cache = self.kernel_cache("batched")
        key = (mesh, method)
        if key not in cache:

            def one(u, fixed):
                return self.moments_at(u, fixed)

            def local(ub, fixed):
                if method == "vmap":
                    return jax.vmap(one, in_axes=(0, None))(ub, fixed)
                return jax.lax.map(lambda u: one(u, fixed), ub)

            spec, rep = PartitionSpec("batch"), PartitionSpec()
            cache[key] = jax.jit(jax.shard_map(local, mesh=mesh, in_specs=(spec, rep), out_specs=spec, check_vma=False))
        return cache[key]

    def evaluate_batch(self, us, fixed, devices=None, method: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Moments and ``ok`` flags at many points ``us`` (n, k), the batch split over ``devices``.

        The batch axis is sharded over a one-dimensional mesh
        (:func:`jaxtrade.numerics.sharding.device_mesh`, all devices by
        default). Each device solves its slice with ``method``: ``"vmap"``
        (the members in lockstep: the layout for accelerators, where the batch
        fills the device) or ``"map"`` (``lax.map``, one after another with
        their own iteration counts: the layout for CPUs); ``None`` picks
        ``"vmap"`` on GPU/TPU and ``"map"`` on CPU. The same code runs on one
        CPU, many forced CPU devices or a GPU.
        """
        if method is None:
            method = "map" if jax.default_backend() == "cpu" else "vmap"
        if method not in ("map", "vmap"):
            raise ValueError(f'method must be "map", "vmap" or None, got {method!r}')
        us = jnp.asarray(us, dtype=float)
        mesh = device_mesh("batch", devices)
        padded, n = pad_batch(us, mesh.shape["batch"])
        sharded = shard_batch(padded, mesh, "batch")
        fixed_r = jax.device_put(fixed, NamedSharding(mesh, PartitionSpec()))
        m, ok = self._batched(mesh, method)(sharded, fixed_r)
        return np.asarray(m)[:n], np.asarray(ok)[:n]
