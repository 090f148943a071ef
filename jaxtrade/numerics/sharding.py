"""Spread a batch of independent solves over all devices.

Batches (of parameter draws, countries, bootstrap samples, ...) are pytrees
whose leaves share a leading batch axis. :func:`shard_batch` places that axis
across the devices of a one-dimensional mesh (:func:`device_mesh`) with a
:class:`jax.sharding.NamedSharding`; ``jit(vmap(fn))`` on such inputs then
runs each device's slice locally (XLA's sharding propagation), which is what
:func:`sharded_vmap` does. On a single device everything still works and is a
plain ``jit(vmap(fn))``.

Divisibility rule: :func:`shard_batch` *raises* ``ValueError`` when the batch
size is not a multiple of the device count (it never changes the data behind
your back); :func:`pad_batch` pads explicitly, and :func:`sharded_vmap` pads
internally by repeating the last batch element and trims the outputs back to
the original batch size.

Several processes (JAX's multi-controller runtime, one process per GPU or
host, started with :func:`jax.distributed.initialize`): every process runs
the same program with the same inputs; ``jax.devices()`` then lists the
devices of *all* processes, so the mesh, and the batch, span them.
:func:`gather` brings a result sharded over several processes back to every
process as one host array (:func:`jax.experimental.multihost_utils.process_allgather`);
the solvers that return sharded results call it, so their outputs read the
same on every process. On CPUs, cross-process collectives need
``jax.config.update("jax_cpu_collectives_implementation", "gloo")`` before
``jax.distributed.initialize``. See ``docs/numerics.md`` for launching on a
cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

__all__ = ["batch_size", "device_mesh", "gather", "pad_batch", "shard_batch", "sharded_vmap"]


def device_mesh(axis_name: str = "batch", devices: Sequence[Any] | None = None) -> Mesh:
    """One-dimensional :class:`jax.sharding.Mesh` named ``axis_name`` over ``devices``.

    ``devices`` defaults to ``jax.devices()`` (all devices of the default backend).
    """
    devices = list(jax.devices() if devices is None else devices)
    if not devices:
        raise ValueError("devices must contain at least one device")
    return Mesh(np.asarray(devices, dtype=object), (axis_name,))


def gather(pytree):
    """Every array leaf readable on this process: arrays spread over several processes are all-gathered.

    A :class:`jax.Array` whose shards live on devices of other processes
    (multi-controller runs, see the module docstring) cannot be read with
    ``np.asarray``; such leaves are gathered with
    :func:`~jax.experimental.multihost_utils.process_allgather` (every
    process receives the whole array) and put back on a local device. Other
    leaves (single process, fully replicated) are returned as they are, so
    on one process this is the identity.
    """

    def one(leaf):
        if not isinstance(leaf, jax.Array) or leaf.is_fully_addressable or leaf.is_fully_replicated:
            return leaf
        from jax.experimental import multihost_utils

        return jnp.asarray(multihost_utils.process_allgather(leaf, tiled=True))

    return jax.tree_util.tree_map(one, pytree)


def batch_size(pytree) -> int:
    """The common leading-axis length of all leaves of ``pytree``.

    Raises ``ValueError`` if a leaf is a scalar or the leading lengths differ.
    """
    leaves = jax.tree_util.tree_leaves(pytree)
    if not leaves:
        raise ValueError("the batch pytree has no array leaves")
    sizes = set()
    for leaf in leaves:
        shape = np.shape(leaf)
        if len(shape) == 0:
            raise ValueError("every leaf of a batch must have a leading batch axis; found a scalar leaf")
        sizes.add(shape[0])
    if len(sizes) != 1:
        raise ValueError(f"all leaves of a batch must share the leading axis length, got {sorted(sizes)}")
    return sizes.pop()


def pad_batch(pytree, multiple: int):
    """Pad the leading axis of every leaf up to a multiple of ``multiple``.

    Padding repeats the last batch element (so padded entries are valid
    inputs for solvers, not zeros or NaN).

    Returns
    -------
    (padded_pytree, original_batch_size)
    """
    if int(multiple) < 1:
        raise ValueError(f"multiple must be >= 1, got {multiple}")
    n = batch_size(pytree)
    n_pad = (-n) % int(multiple)
    if n_pad == 0:
        return pytree, n

    def pad(leaf):
        leaf = jnp.asarray(leaf)
        tail = jnp.repeat(leaf[-1:], n_pad, axis=0)
        return jnp.concatenate([leaf, tail], axis=0)

    return jax.tree_util.tree_map(pad, pytree), n


def _axis_name(mesh: Mesh, axis_name: str | None) -> str:
    if axis_name is None:
        if len(mesh.axis_names) != 1:
            raise ValueError(f"axis_name must be given for a mesh with axes {mesh.axis_names}")
        return mesh.axis_names[0]
    if axis_name not in mesh.axis_names:
        raise ValueError(f"axis_name {axis_name!r} is not an axis of the mesh {mesh.axis_names}")
    return axis_name


def shard_batch(pytree, mesh: Mesh, axis_name: str | None = None):
    """Place the leading axis of every leaf across the devices of ``mesh``.

    Each leaf gets ``NamedSharding(mesh, PartitionSpec(axis_name))``: the batch
    axis is split evenly over the mesh axis, trailing axes are not split.

    Raises
    ------
    ValueError
        If the batch size is not divisible by the number of devices along
        ``axis_name`` (pad first with :func:`pad_batch`), or the leaves do
        not share a leading axis.
    """
    axis = _axis_name(mesh, axis_name)
    n = batch_size(pytree)
    n_dev = mesh.shape[axis]
    if n % n_dev != 0:
        raise ValueError(
            f"batch size {n} is not divisible by the {n_dev} devices of mesh axis {axis!r}; "
            f"pad the batch with pad_batch(pytree, {n_dev}) or use sharded_vmap, which pads and trims"
        )
    sharding = NamedSharding(mesh, PartitionSpec(axis))
    return jax.device_put(pytree, sharding)


def sharded_vmap(
    fn: Callable, mesh: Mesh | None = None, in_axes: int | None | Sequence[int | None] = 0, axis_name: str | None = None
) -> Callable:
    """``jit(vmap(fn))`` run on inputs whose batch axis is sharded over ``mesh``.

    Parameters
    ----------
    fn:
        Function of one (unbatched) problem.
    mesh:
        Device mesh; :func:`device_mesh` over all devices when ``None``
        (built at call time).
    in_axes:
        ``0`` (every positional argument is batched along its leading axis),
        or a sequence with ``0`` (batched) or ``None`` (shared, replicated on
        every device) per positional argument.

    Returns
    -------
    Callable
        ``wrapped(*args)``: pads the batched arguments to a multiple of the
        device count (repeating the last element), shards them with
        :func:`shard_batch`, replicates the shared ones, runs the jitted
        ``vmap`` and trims every output leaf back to the original batch size
        (gathered onto every process in a multi-process run, :func:`gather`).
    """
    batched_fn = jax.jit(
        jax.vmap(fn, in_axes=in_axes if in_axes is None or isinstance(in_axes, int) else tuple(in_axes))
    )

    def wrapped(*args):
        mesh_ = device_mesh() if mesh is None else mesh
        axis = _axis_name(mesh_, axis_name)
        axes = [in_axes] * len(args) if in_axes is None or isinstance(in_axes, int) else list(in_axes)
        if len(axes) != len(args):
            raise ValueError(f"in_axes has {len(axes)} entries for {len(args)} positional arguments")
        if any(ax not in (0, None) for ax in axes):
            raise ValueError(f"in_axes entries must be 0 or None, got {axes}")
        batched = [a for a, ax in zip(args, axes) if ax == 0]
        if not batched:
            raise ValueError("at least one argument must be batched (in_axes 0)")
        n_dev = mesh_.shape[axis]
        padded, n = pad_batch(tuple(batched), n_dev)
        sharded = iter(shard_batch(padded, mesh_, axis))
        replicated = NamedSharding(mesh_, PartitionSpec())
        call_args = [next(sharded) if ax == 0 else jax.device_put(a, replicated) for a, ax in zip(args, axes)]
        out = batched_fn(*call_args)
        return gather(jax.tree_util.tree_map(lambda leaf: leaf[:n], out))

    return wrapped
