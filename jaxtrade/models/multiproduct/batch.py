"""Batched and device-sharded stationary equilibria (Heo & Kim 2025, sec. 3.3).

Many parameter vectors (estimation draws, sensitivity grids, counterfactual
tariff schedules) are solved at once by ``vmap`` over the GE solve of
:func:`~jaxtrade.models.multiproduct.equilibrium.solve_equilibrium_jit`
(eqs. 21, 24-26 per member). The batch is a :class:`MultiproductParams`
whose array leaves carry a leading batch axis (:func:`stack_params` builds
one from a list); the grid sizes ``n_z``, ``n_products`` and ``cost_form``
are static and must be common to the batch.

Sharding: the leading axis of every leaf is placed across the devices of a
one-dimensional mesh (:func:`jaxtrade.numerics.sharding.device_mesh`) with a
:class:`jax.sharding.NamedSharding` (``PartitionSpec("batch")``), and the
solve runs under :func:`jax.shard_map`: each device solves its own slice,
with its own iteration counts and no communication between devices; every
output leaf of the returned batched :class:`Equilibrium` keeps its leading
axis split the same way. The batch size must be a multiple of the device
count unless ``pad=True`` (the last member is repeated and the outputs
trimmed back).

On each device the local slice is solved by

* ``method="vmap"`` (default): ``vmap`` of the GE solve. The iterative
  solves (Newton root in log A, value-function iteration, distribution
  push-forward) then run in lockstep until every member of the slice has
  converged; members that converged earlier are frozen (``lax.while_loop``
  batching selects their old state), so each member's result is its own
  solve's. This is the layout for accelerators, where the batch fills the
  device;
* ``method="map"``: ``lax.map`` (members one after another, each with its
  own loop lengths; ``map_batch_size`` members at a time are vmapped). On
  CPU this avoids the lockstep and batched-loop overhead of ``vmap``.

Each member reports its own ``converged`` flag, iterations and residuals.
"""

from __future__ import annotations

import functools
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import PartitionSpec

import jaxtrade._config  # noqa: F401
from jaxtrade.numerics.sharding import batch_size, device_mesh, pad_batch, shard_batch

from .equilibrium import ENTRY_MODES, Equilibrium, solve_equilibrium_jit
from .params import MultiproductParams, validate_params

__all__ = ["stack_params", "unstack_params", "solve_equilibrium_batch", "METHODS"]


def _static(p: MultiproductParams):
    return (p.n_z, p.n_products, p.cost_form)


def stack_params(params: Sequence[MultiproductParams]) -> MultiproductParams:
    """Stack parameter pytrees along a new leading batch axis.

    Every member must share the static fields (``n_z``, ``n_products``,
    ``cost_form``); each member is validated (:func:`validate_params`).
    """
    params = list(params)
    if not params:
        raise ValueError("params must contain at least one MultiproductParams")
    if not all(isinstance(p, MultiproductParams) for p in params):
        raise ValueError("params must be a sequence of MultiproductParams")
    first = _static(params[0])
    for i, p in enumerate(params):
        if _static(p) != first:
            raise ValueError(f"params[{i}] must share (n_z, n_products, cost_form) = {first} with params[0], "
                             f"got {_static(p)}")
        validate_params(p)
    return jax.tree_util.tree_map(lambda *xs: jnp.asarray(np.stack([np.asarray(x) for x in xs])), *params)


def unstack_params(batch: MultiproductParams) -> list[MultiproductParams]:
    """Split a batched parameter pytree into its members (inverse of :func:`stack_params`)."""
    n = batch_size(batch)
    host = jax.tree_util.tree_map(np.asarray, batch)
    return [jax.tree_util.tree_map(lambda x, i=i: jnp.asarray(x[i]), host) for i in range(n)]


def _validate_batch(batch: MultiproductParams) -> int:
    """Check the leading axes and every member's domain; return the batch size."""
    if not isinstance(batch, MultiproductParams):
        raise ValueError("params_batch must be a MultiproductParams with a leading batch axis or a sequence of them")
    n = batch_size(batch)
    if np.shape(batch.tau) != (n, batch.n_products):
        raise ValueError(f"tau must have shape (batch, n_products) = ({n}, {batch.n_products}), got "
                         f"{np.shape(batch.tau)}")
    for name in ("sigma", "epsilon", "beta", "mu_E", "xi", "gamma", "gamma_0"):
        if np.ndim(getattr(batch, name)) != 1:
            raise ValueError(f"{name} must have shape (batch,), got {np.shape(getattr(batch, name))}")
    host = jax.tree_util.tree_map(np.asarray, batch)
    for i in range(n):
        validate_params(jax.tree_util.tree_map(lambda x, i=i: x[i], host))
    return n


METHODS = ("vmap", "map")


@functools.lru_cache(maxsize=None)
def _batched_solver(mesh, method: str, map_batch_size, entry: str, tol: float, tol_v: float, tol_mu: float,
                    max_iter: int):
    """Jitted, sharded batch solve per mesh and option set (cached, so repeated calls do not recompile)."""

    def one(p):
        return solve_equilibrium_jit(p, entry=entry, tol=tol, tol_v=tol_v, tol_mu=tol_mu, max_iter=max_iter)

    if method == "vmap":
        local = jax.vmap(one)
    else:
        def local(pb):
            return jax.lax.map(one, pb, batch_size=map_batch_size)

    spec = PartitionSpec("batch")
    return jax.jit(jax.shard_map(local, mesh=mesh, in_specs=spec, out_specs=spec, check_vma=False))


def solve_equilibrium_batch(params_batch, *, devices=None, entry: str = "normalize", tol: float = 1e-12,
                            tol_v: float = 1e-12, tol_mu: float = 1e-13, max_iter: int = 50, method: str = "vmap",
                            map_batch_size: int | None = None, pad: bool = False,
                            validate: bool = True) -> Equilibrium:
    """Solve the stationary GE for a batch of parameter vectors, sharded over ``devices``.

    Parameters
    ----------
    params_batch:
        A sequence of :class:`MultiproductParams` (stacked with
        :func:`stack_params`) or an already stacked one (leading batch axis on
        every array leaf).
    devices:
        Devices of the one-dimensional mesh over which the batch axis is split
        (``NamedSharding`` with ``PartitionSpec("batch")``); ``None`` uses all
        devices of the default backend (``jax.devices()``); a list of one device
        solves the whole batch on that device.
    method:
        ``"vmap"`` (default) or ``"map"``: how each device solves its slice
        (module docstring).
    map_batch_size:
        With ``method="map"``: members vmapped together per ``lax.map`` step
        (``None``: one at a time).
    entry, tol, tol_v, tol_mu, max_iter:
        As in :func:`~jaxtrade.models.multiproduct.equilibrium.solve_equilibrium_jit`.
    pad:
        When the batch size is not a multiple of the device count: ``False``
        (default) raises ``ValueError``; ``True`` pads by repeating the last
        member and trims the outputs (the trimmed outputs may then be
        re-laid out by XLA).
    validate:
        Check every member with :func:`validate_params` (host-side, once per call).

    Returns
    -------
    Equilibrium
        Batched: every leaf has the leading batch axis, e.g. ``eq.W`` is
        ``(batch,)``, ``eq.v`` is ``(batch, n_z, n_products + 1)``;
        ``eq.converged`` is one flag per member (the call never raises on
        non-convergence; check the flags).
    """
    if entry not in ENTRY_MODES:
        raise ValueError(f"entry must be one of {ENTRY_MODES}, got {entry!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if map_batch_size is not None and (isinstance(map_batch_size, bool) or int(map_batch_size) < 1):
        raise ValueError(f"map_batch_size must be None or an int >= 1, got {map_batch_size!r}")
    if isinstance(params_batch, (list, tuple)):
        batch = stack_params(params_batch)
    else:
        batch = params_batch
        if validate:
            _validate_batch(batch)
    if not isinstance(batch, MultiproductParams):
        raise ValueError("params_batch must be a MultiproductParams with a leading batch axis or a sequence of them")
    n = batch_size(batch)
    mesh = device_mesh("batch", devices)
    n_dev = mesh.shape["batch"]
    if n % n_dev != 0:
        if not pad:
            raise ValueError(f"batch size {n} must be a multiple of the {n_dev} devices (or pass pad=True)")
        batch, n = pad_batch(batch, n_dev)
    sharded = shard_batch(batch, mesh, "batch")
    mbs = None if map_batch_size is None else int(map_batch_size)
    solver = _batched_solver(mesh, method, mbs, entry, float(tol), float(tol_v), float(tol_mu), int(max_iter))
    eq = solver(sharded)
    if batch_size(sharded) != n:
        eq = jax.tree_util.tree_map(lambda leaf: leaf[:n], eq)
    return eq
