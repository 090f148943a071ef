"""Numerical precision and compiled-program caching: the one place where jaxtrade configures JAX.

Precision
---------

jaxtrade computes in float64 by default: equilibrium residuals of 1e-10 and
agreement with reference libraries to 1e-12 need it. GPU users who prefer
speed over the last digits can opt in to float32 in either of two ways:

* set the environment variable ``JAXTRADE_PRECISION=float32`` before
  ``import jaxtrade``; or
* call :func:`set_precision` with ``"float32"`` before building any arrays.

Tolerances of the solvers are stated for float64; in float32 pass looser
tolerances (about 1e-5) or the solvers will report ``converged=False``. The
multiproduct equilibrium solvers pick float32 defaults themselves
(``jaxtrade.models.multiproduct.TOLERANCES``), and the implicit-derivative
Krylov solves of :func:`jaxtrade.numerics.fixed_point` never ask for less than
100 machine epsilons.

Compilation cache
-----------------
XLA compilation is most of the time of a first call (minutes of a busy
2-core machine for a replication). jaxtrade turns on JAX's *persistent*
compilation cache at import, so a second process that compiles the same
program (the same command line again, the next test file, the next Python
session) reads the executable from disk instead of recompiling it:

* the folder is ``$JAXTRADE_CACHE_DIR`` if set, else
  ``$XDG_CACHE_HOME/jaxtrade/xla`` (``~/.cache/jaxtrade/xla`` on Linux and
  macOS);
* ``JAXTRADE_CACHE_DIR=off`` (or ``0``, ``none``, ``false``) before
  ``import jaxtrade`` turns it off; :func:`disable_compilation_cache` does
  the same at run time;
* a cache folder the user has already given JAX
  (``jax.config.update("jax_compilation_cache_dir", ...)`` or
  ``JAX_COMPILATION_CACHE_DIR``) is respected and left as it is.

The folder is kept under 2 GiB (least recently used entries are evicted;
reads and writes are file-locked, so parallel processes share it safely).
Entries are keyed by JAX on the program, the JAX/XLA version and the device,
so results never depend on the cache (a stale entry cannot be used by
another version). The folder may be deleted at any time. This cache saves
compilation only; the traced programs of the models' main solvers are kept
beside it by :mod:`jaxtrade.program_cache`, so that a new process skips
tracing too (``JAXTRADE_PROGRAM_CACHE=off`` turns that part off;
:mod:`jaxtrade.timing` reports compilation and run time separately).
"""

from __future__ import annotations

import os

import filelock  # noqa: F401  (a dependency: JAX's cache size limit locks the folder with it)
import jax

_VALID = ("float64", "float32")
_OFF = ("off", "0", "none", "false", "no")
#: Size limit of the compilation-cache folder; the least recently used entries go first (file-locked, so
#: concurrent processes, e.g. pytest-xdist workers, share one folder safely).
CACHE_MAX_BYTES = 2 * 1024**3


def set_precision(precision: str = "float64") -> None:
    """Switch JAX between float64 (default) and float32 computation."""
    if precision not in _VALID:
        raise ValueError(f"precision must be one of {_VALID}, got {precision!r}")
    jax.config.update("jax_enable_x64", precision == "float64")


def get_precision() -> str:
    """Return ``"float64"`` or ``"float32"``, the precision now in force."""
    return "float64" if jax.config.read("jax_enable_x64") else "float32"


def default_cache_dir() -> str | None:
    """The compilation-cache folder of the module docstring, or ``None`` when turned off by the environment."""
    env = os.environ.get("JAXTRADE_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in _OFF or not env.strip() else os.path.expanduser(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "jaxtrade", "xla")


def enable_compilation_cache(path: str | None = None) -> str | None:
    """Turn on JAX's persistent compilation cache in ``path`` (default :func:`default_cache_dir`).

    Every compiled program is stored, however short its compilation (a
    command line compiles dozens of small programs). Returns the folder in
    use, or ``None`` when caching stays off (``JAXTRADE_CACHE_DIR=off``, or
    the folder cannot be created: a read-only home never stops a
    computation).
    """
    folder = default_cache_dir() if path is None else os.path.expanduser(path)
    if folder is None:
        return None
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return None
    jax.config.update("jax_enable_compilation_cache", True)
    jax.config.update("jax_compilation_cache_dir", folder)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    jax.config.update("jax_compilation_cache_max_size", CACHE_MAX_BYTES)  # LRU eviction, locked with filelock
    _reset_jax_cache_state()
    return folder


def disable_compilation_cache() -> None:
    """Turn JAX's persistent compilation cache off for the rest of this process."""
    jax.config.update("jax_enable_compilation_cache", False)
    _reset_jax_cache_state()


def _reset_jax_cache_state() -> None:
    """JAX decides once per process whether the cache is used; make a change made after a compilation count."""
    try:
        from jax._src import compilation_cache

        compilation_cache.reset_cache()
    except (ImportError, AttributeError):  # pragma: no cover - a JAX without the hook: the change applies at start-up
        pass


def compilation_cache_dir() -> str | None:
    """The persistent compilation-cache folder in use, or ``None``."""
    if not jax.config.jax_enable_compilation_cache:  # type: ignore[attr-defined]
        return None
    return jax.config.jax_compilation_cache_dir  # type: ignore[attr-defined]


set_precision(os.environ.get("JAXTRADE_PRECISION", "float64"))
if jax.config.jax_compilation_cache_dir is None:  # type: ignore[attr-defined]
    enable_compilation_cache()
