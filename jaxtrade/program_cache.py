"""Traced programs kept on disk, so that a new process skips tracing as well as compiling.

JAX's persistent compilation cache (:mod:`jaxtrade.config`) saves XLA
compilation, but every new process still *traces* each solver from Python
to a JAX program and lowers it to StableHLO before it can look the
executable up. For the larger programs that is most of a warm command's time
(a second ``jaxtrade vertical --json`` spent 12 of its 17 s tracing and
lowering). :func:`cached_program` adds a second cache in front of it: the
first call exports the traced program with :mod:`jax.export` and writes it
to disk; a later process with the same code, versions and argument shapes
reads it back, skips tracing, and finds the executable in the compilation
cache.

When it is used
---------------
Only for calls from outside JAX transformations with concrete arguments.
Under ``jit``, ``vmap``, ``grad`` (any tracer among the arguments), inside
``jax.disable_jit()``, with
arguments spread over several devices, or when the program cannot be
exported (a host callback, say), the function is called as it is: the cache
never changes what a program computes or how it differentiates.

The key
-------
A program is reused only when everything that shapes its trace is equal:
the function's module and name; a SHA-256 of the file that defines it and
one of every ``.py`` file of the installed jaxtrade (any edit of the source
invalidates every entry); the versions of jax, jaxlib, equinox, lineax,
optimistix and optax; the backend and device kind; the JAX settings that
change a trace (float64 on or off, dtype promotion, matmul precision,
``EQX_ON_ERROR``); the tree structure, shapes and dtypes of the array
arguments; and the exact ``repr`` of every non-array argument. Non-array
arguments whose ``repr`` is not a faithful value (e.g. ``<object at
0x...>``) disable the cache for that call. Code outside jaxtrade and outside
the function's own file is not part of the key: the decorator is meant for
jaxtrade's own solvers. For the same reason a test that monkeypatches a
function *inside* a cached program must turn the cache off
(``JAXTRADE_PROGRAM_CACHE=off``), as it would have to clear JAX's own
in-process caches.

Where and how to turn it off
----------------------------
Entries live in a ``jaxtrade-programs`` folder inside the compilation-cache
folder (``~/.cache/jaxtrade/xla/jaxtrade-programs`` by default), so
``JAXTRADE_CACHE_DIR=off`` turns both caches off and deleting the folder
clears both. ``JAXTRADE_PROGRAM_CACHE=off`` turns off this one only; it is
also off where the ``flatbuffers`` package (a dependency, which
:mod:`jax.export` needs to serialize) is missing. The
folder is kept under :data:`PROGRAM_CACHE_MAX_BYTES` (least recently used
entries go first). An unreadable entry is deleted and the program traced
again.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import inspect
import io
import logging
import os
import pathlib
import pickle
import re
import tempfile
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import equinox as eqx
import jax
from jax import export

from jaxtrade.config import compilation_cache_dir

try:  # a declared dependency: jax.export serializes programs with it; without it this cache stays off
    import flatbuffers  # noqa: F401
except ImportError:  # pragma: no cover - e.g. a machine with jax but not jaxtrade's dependencies installed
    flatbuffers = None

__all__ = ["PROGRAM_CACHE_MAX_BYTES", "cached_program", "program_cache_dir", "program_key"]

logger = logging.getLogger(__name__)

#: Size limit of the program folder; the least recently used entries are deleted first.
PROGRAM_CACHE_MAX_BYTES = 512 * 1024**2
_FOLDER = "jaxtrade-programs"
_SUFFIX = ".jaxprogram"
_OFF = ("off", "0", "none", "false", "no")
_VERSIONED = ("jax", "jaxlib", "equinox", "lineax", "optimistix", "optax")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_F = TypeVar("_F", bound=Callable[..., Any])

# One loaded program per key and process: later calls only dispatch.
_loaded: dict[str, Callable[..., Any]] = {}
_unexportable: set[str] = set()
_lock = threading.Lock()


def program_cache_dir() -> pathlib.Path | None:
    """The folder of exported programs, or ``None`` when this cache is off (see the module docstring)."""
    if flatbuffers is None or os.environ.get("JAXTRADE_PROGRAM_CACHE", "on").strip().lower() in _OFF:
        return None
    xla = compilation_cache_dir()
    return None if xla is None else pathlib.Path(xla) / _FOLDER


@functools.cache
def _source_fingerprint() -> str:
    """SHA-256 over the path and bytes of every ``.py`` file of the jaxtrade package in use."""
    root = pathlib.Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _file_fingerprint(fn: Callable[..., Any]) -> str:
    """SHA-256 of the file that defines ``fn`` (for a function outside jaxtrade; ``""`` if it has none)."""
    try:
        path = inspect.getsourcefile(inspect.unwrap(fn))
    except TypeError:  # a built-in or a callable object without a source file
        return ""
    return "" if path is None else _file_digest(path)


@functools.cache
def _file_digest(path: str) -> str:
    try:
        return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


@functools.cache
def _versions() -> str:
    out = []
    for name in _VERSIONED:
        try:
            out.append(f"{name}={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            out.append(f"{name}=absent")
    return ";".join(out)


#: JAX settings that change what a trace produces.
_TRACE_SETTINGS = ("jax_enable_x64", "jax_numpy_dtype_promotion", "jax_numpy_rank_promotion",
                   "jax_default_matmul_precision")  # fmt: skip


def _settings() -> str:
    device = jax.devices()[0]
    flags = [f"{name}={getattr(jax.config, name)}" for name in _TRACE_SETTINGS]
    return ";".join([f"backend={jax.default_backend()}", f"device={device.device_kind}", *flags,
                     f"EQX_ON_ERROR={os.environ.get('EQX_ON_ERROR', '')}"])  # fmt: skip


def _aval(leaf) -> str:
    weak = getattr(leaf, "weak_type", False)
    return f"{leaf.dtype}{list(leaf.shape)}{'w' if weak else ''}"


def program_key(fn: Callable[..., Any], args: tuple, kwargs: dict) -> str | None:
    """The cache key of ``fn(*args, **kwargs)``, or ``None`` when the call must not be cached.

    ``None`` when an argument is traced, sits on more than one device, or a
    non-array argument has no faithful ``repr``.
    """
    return _key(fn, *_split(args, kwargs))


def _split(args: tuple, kwargs: dict):
    """``(array leaves, their tree, the non-array rest)`` of a call's arguments (``equinox.partition``)."""
    dynamic, static = eqx.partition((args, kwargs), eqx.is_array)
    leaves, tree = jax.tree.flatten(dynamic)
    return leaves, tree, static


def _key(fn: Callable[..., Any], leaves: list, tree, static) -> str | None:
    """:func:`program_key` of a call already split by :func:`_split`."""
    if any(isinstance(leaf, jax.core.Tracer) for leaf in leaves):
        return None
    if any(isinstance(leaf, jax.Array) and len(leaf.sharding.device_set) > 1 for leaf in leaves):
        return None
    described = f"{tree}|{static!r}"
    if _ADDRESS.search(described):
        return None
    material = "\n".join([
        f"{fn.__module__}.{fn.__qualname__}", _source_fingerprint(), _file_fingerprint(fn), _versions(), _settings(),
        described,
        ",".join(_aval(leaf) for leaf in leaves),
    ])  # fmt: skip
    return hashlib.sha256(material.encode()).hexdigest()


# -- the output's structure: pickled, with equinox's "missing" sentinel kept by identity -------------------------------

_SENTINELS: dict[str, object] = {}
try:  # equinox marks absent fields of a module's tree with one sentinel object, compared by identity
    from equinox._module._flatten import MISSING as _EQX_MISSING

    _SENTINELS["equinox.MISSING"] = _EQX_MISSING
except ImportError:  # pragma: no cover - another equinox layout: a round trip that fails disables the entry
    pass


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        for name, sentinel in _SENTINELS.items():
            if obj is sentinel:
                return name
        return None


class _Unpickler(pickle.Unpickler):
    def persistent_load(self, pid):
        return _SENTINELS[pid]


def _dumps(obj) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buffer.getvalue()


def _loads(data: bytes):
    return _Unpickler(io.BytesIO(data)).load()


# -- export, store, load ----------------------------------------------------------------------------------------------


def _export(fn, leaves, in_tree, static):
    """Trace ``fn`` once on a call split by :func:`_split`, export it; returns (blob to store, program)."""
    out_box: dict[str, Any] = {}

    def on_leaves(*arrays):
        call_args, call_kwargs = eqx.combine(jax.tree.unflatten(in_tree, arrays), static)
        out_dynamic, out_static = eqx.partition(fn(*call_args, **call_kwargs), eqx.is_array)
        out_leaves, out_tree = jax.tree.flatten(out_dynamic)
        out_box.update(tree=out_tree, static=out_static)
        return out_leaves

    on_leaves.__name__ = on_leaves.__qualname__ = getattr(fn, "__name__", "program")  # JAX's events name it
    exported = export.export(jax.jit(on_leaves))(*leaves)
    blob = _dumps(
        {"exported": bytes(exported.serialize()), "out_tree": out_box["tree"], "out_static": out_box["static"]}
    )
    return blob, _program_from_blob(blob)  # the stored form, so that every process runs the same program


def _program_from_blob(blob: bytes) -> Callable[..., Any]:
    entry = _loads(blob)
    exported = export.deserialize(bytearray(entry["exported"]))
    run = jax.jit(exported.call)
    out_tree, out_static = entry["out_tree"], entry["out_static"]

    def program(leaves):
        return eqx.combine(jax.tree.unflatten(out_tree, run(*leaves)), out_static)

    return program


def _write(folder: pathlib.Path, key: str, blob: bytes) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{key}.", delete=False) as tmp:
            tmp.write(blob)
        os.replace(tmp.name, folder / f"{key}{_SUFFIX}")
        _evict(folder)
    except OSError as err:  # a read-only or full disk never stops a computation
        logger.debug("program cache: could not write %s: %s", key, err)


def _evict(folder: pathlib.Path, limit: int = PROGRAM_CACHE_MAX_BYTES) -> None:
    entries = []
    for path in folder.glob(f"*{_SUFFIX}"):
        try:
            stat = path.stat()
        except OSError:
            continue
        entries.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries):
        if total <= limit:
            break
        path.unlink(missing_ok=True)
        total -= size


def _read(folder: pathlib.Path, key: str) -> Callable[..., Any] | None:
    path = folder / f"{key}{_SUFFIX}"
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    try:
        program = _program_from_blob(blob)
        os.utime(path)  # recently used: evicted last
        return program
    except Exception as err:  # noqa: BLE001 - a damaged or foreign entry is dropped and the program traced again
        logger.warning("program cache: dropping unreadable entry %s (%s)", path.name, err)
        path.unlink(missing_ok=True)
        return None


def cached_program(fn: _F) -> _F:
    """Decorate a jitted function so that its traced program is kept on disk across processes.

    ``fn`` must be pure and already compiled with ``jax.jit`` or
    ``equinox.filter_jit`` (array arguments traced, the others static). The
    decorated function computes exactly what ``fn`` computes; see the module
    docstring for when the stored program is used and what the key holds.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        folder = None if jax.config.jax_disable_jit else program_cache_dir()
        if folder is None:
            return fn(*args, **kwargs)
        leaves, in_tree, static = _split(args, kwargs)
        key = _key(fn, leaves, in_tree, static)
        if key is None or key in _unexportable:
            return fn(*args, **kwargs)
        with _lock:
            program = _loaded.get(key)
        if program is None:
            program = _read(folder, key)
            if program is None:
                try:
                    blob, program = _export(fn, leaves, in_tree, static)
                except Exception as err:  # noqa: BLE001 - not exportable (e.g. a host callback): call it as it is
                    logger.debug("program cache: %s.%s not exported: %s", fn.__module__, fn.__qualname__, err)
                    with _lock:
                        _unexportable.add(key)
                    return fn(*args, **kwargs)
                _write(folder, key, blob)
            with _lock:
                _loaded[key] = program
        return program(leaves)

    return wrapper  # type: ignore[return-value]
