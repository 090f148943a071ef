"""Parameters of an estimation and the map to an unconstrained space.

Every estimated parameter has bounds ``lower < theta < upper`` (either may
be infinite). The optimizers work on ``u`` in R^k, with

* both bounds finite: a scaled logit, ``theta = lower + (upper - lower) / (1 + exp(-u))``
  (shares: ``lower=0, upper=1``);
* only ``lower`` finite: ``theta = lower + exp(u)`` (positive parameters: ``lower=0``);
* only ``upper`` finite: ``theta = upper - exp(u)``;
* neither: ``theta = u``.

The maps are smooth and strictly monotone, so a Jacobian in ``u`` converts
to one in ``theta`` by the chain rule, and an optimizer can never leave the
domain. Bounds are strict: a starting value on or outside a bound is an
error that names the parameter.

Examples
--------
>>> import jax.numpy as jnp
>>> space = ParameterSpace((Parameter("xi", lower=0.0), Parameter("share", lower=0.0, upper=1.0)))
>>> u = space.to_unconstrained(jnp.array([2.0, 0.25]))
>>> [round(float(x), 12) for x in space.to_natural(u)]
[2.0, 0.25]
>>> space.check([2.0, 1.0])
Traceback (most recent call last):
...
ValueError: share must satisfy 0.0 < share < 1.0, got share=1.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["Parameter", "ParameterSpace"]


class Parameter(NamedTuple):
    """An estimated parameter: its name and strict bounds (``-inf``/``inf`` for none)."""

    name: str
    lower: float = -math.inf
    upper: float = math.inf

    @property
    def kind(self) -> str:
        """``"logit"``, ``"log"`` (lower bound only), ``"neglog"`` (upper bound only) or ``"identity"``."""
        lo, hi = math.isfinite(self.lower), math.isfinite(self.upper)
        return {(True, True): "logit", (True, False): "log", (False, True): "neglog"}.get((lo, hi), "identity")


class ParameterSpace:
    """An ordered set of :class:`Parameter` with the maps ``theta <-> u`` (module docstring).

    ``theta`` is a 1-D array in the order of :attr:`names`; :meth:`as_dict` and
    :meth:`vector` convert to and from ``{name: value}``.
    """

    def __init__(self, parameters: Sequence[Parameter]):
        params = tuple(Parameter(*p) if not isinstance(p, Parameter) else p for p in parameters)
        if not params:
            raise ValueError("parameters must name at least one parameter to estimate")
        names = [p.name for p in params]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"parameters must have unique names, got duplicates {dup}")
        for p in params:
            if math.isnan(p.lower) or math.isnan(p.upper) or not p.lower < p.upper:
                raise ValueError(f"{p.name}: bounds must satisfy lower < upper, got ({p.lower}, {p.upper})")
        self.parameters = params
        self.names: tuple[str, ...] = tuple(names)
        self._lower = np.array([p.lower for p in params], dtype=float)
        self._upper = np.array([p.upper for p in params], dtype=float)
        kinds = [p.kind for p in params]
        self._is = {k: np.array([x == k for x in kinds]) for k in ("logit", "log", "neglog", "identity")}

    def __len__(self) -> int:
        return len(self.parameters)

    def __repr__(self) -> str:
        inner = ", ".join(f"{p.name} in ({p.lower:g}, {p.upper:g})" for p in self.parameters)
        return f"ParameterSpace({inner})"

    @property
    def lower(self) -> np.ndarray:
        """Lower bounds, (k,)."""
        return self._lower.copy()

    @property
    def upper(self) -> np.ndarray:
        """Upper bounds, (k,)."""
        return self._upper.copy()

    def vector(self, values: Mapping[str, float] | Sequence[float] | np.ndarray) -> np.ndarray:
        """``theta`` as a float array in :attr:`names` order (from a dict naming every parameter, or a sequence)."""
        if isinstance(values, Mapping):
            missing = [n for n in self.names if n not in values]
            if missing:
                raise ValueError(f"values must give every estimated parameter; missing {missing}")
            return np.array([float(values[n]) for n in self.names])
        arr = np.asarray(values, dtype=float)
        if arr.shape != (len(self),):
            raise ValueError(f"theta must have shape ({len(self)},) for {self.names}, got {arr.shape}")
        return arr

    def as_dict(self, theta) -> dict[str, jax.Array]:
        """``{name: theta[i]}`` (JAX arrays; works under a trace)."""
        return {n: theta[i] for i, n in enumerate(self.names)}

    def check(self, values) -> np.ndarray:
        """``values`` as a vector, or ``ValueError`` naming the first parameter outside its bounds."""
        theta = self.vector(values)
        for p, x in zip(self.parameters, theta):
            if not (np.isfinite(x) and p.lower < x < p.upper):
                raise ValueError(f"{p.name} must satisfy {p.lower} < {p.name} < {p.upper}, got {p.name}={x}")
        return theta

    def _bounds(self):
        # finite stand-ins where a bound is absent, so that no branch below computes a NaN or infinity
        lo = np.where(self._is["identity"] | self._is["neglog"], 0.0, self._lower)
        hi = np.where(self._is["identity"] | self._is["log"], 1.0, self._upper)
        return lo, hi

    def to_unconstrained(self, theta) -> jax.Array:
        """``u`` from ``theta`` (strictly inside the bounds)."""
        theta = jnp.asarray(theta, dtype=float)
        lo, hi = self._bounds()
        is_logit, is_log, is_neglog = self._is["logit"], self._is["log"], self._is["neglog"]
        x = jnp.where(is_logit, (theta - lo) / (hi - lo), 0.5)
        logit = jnp.log(x) - jnp.log1p(-x)
        log = jnp.log(jnp.where(is_log, theta - lo, 1.0))
        neglog = jnp.log(jnp.where(is_neglog, hi - theta, 1.0))
        return jnp.where(is_logit, logit, jnp.where(is_log, log, jnp.where(is_neglog, neglog, theta)))

    def to_natural(self, u) -> jax.Array:
        """``theta`` from ``u`` (differentiable; the inverse of :meth:`to_unconstrained`)."""
        u = jnp.asarray(u, dtype=float)
        lo, hi = self._bounds()
        is_logit, is_log, is_neglog = self._is["logit"], self._is["log"], self._is["neglog"]
        expu = jnp.exp(jnp.where(is_log | is_neglog, u, 0.0))
        logit = lo + (hi - lo) * jax.nn.sigmoid(u)
        return jnp.where(is_logit, logit, jnp.where(is_log, lo + expu, jnp.where(is_neglog, hi - expu, u)))
