"""Numerical precision: the one place where jaxtrade sets JAX's float width.

jaxtrade computes in float64 by default: equilibrium residuals of 1e-10 and
agreement with reference libraries to 1e-12 need it. GPU users who prefer
speed over the last digits can opt in to float32 in either of two ways:

* set the environment variable ``JAXTRADE_PRECISION=float32`` before
  ``import jaxtrade``; or
* call :func:`set_precision` with ``"float32"`` before building any arrays.

Tolerances of the solvers are stated for float64; in float32 pass looser
tolerances (about 1e-5) or the solvers will report ``converged=False``.
"""

from __future__ import annotations

import os

import jax

_VALID = ("float64", "float32")


def set_precision(precision: str = "float64") -> None:
    """Switch JAX between float64 (default) and float32 computation."""
    if precision not in _VALID:
        raise ValueError(f"precision must be one of {_VALID}, got {precision!r}")
    jax.config.update("jax_enable_x64", precision == "float64")


def get_precision() -> str:
    """Return ``"float64"`` or ``"float32"``, the precision now in force."""
    return "float64" if jax.config.read("jax_enable_x64") else "float32"


set_precision(os.environ.get("JAXTRADE_PRECISION", "float64"))
