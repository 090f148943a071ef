"""What every model's parameter pytree shares: a validated ``replace``.

A model's parameters are an :class:`equinox.Module` subclass of
:class:`ModelParams` whose class attribute ``RULES`` lists the model's valid
domain as :class:`~jaxtrade.errors.Rule` objects. ``p.replace(**changes)``
returns a copy with some fields changed and checked against ``RULES``
(:func:`~jaxtrade.errors.enforce`: a ``ValueError`` naming the field and the
rule for concrete values, a compiled-in check under a trace). Array fields
are converted to float arrays (a scalar broadcasts to the field's shape, so
``p.replace(tau=0.05)`` sets every product's tariff); static fields (grid
sizes, functional forms) are taken as given.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import equinox as eqx
import jax.numpy as jnp

from jaxtrade.errors import Rule, enforce

__all__ = ["ModelParams"]


class ModelParams(eqx.Module):
    """Base class of the models' parameter pytrees (see the module docstring)."""

    RULES: ClassVar[tuple[Rule, ...]] = ()

    def replace(self, **changes: Any):
        """A copy with ``changes`` applied, validated against the model's rules.

        Examples
        --------
        >>> from jaxtrade.models import multiproduct as mp
        >>> p = mp.standard_params(n_z=11).replace(tau=0.05)
        >>> p.tau.tolist()[:3]
        [0.05, 0.05, 0.05]
        """
        fields = {f.name: f for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - set(fields))
        if unknown:
            raise ValueError(f"{type(self).__name__} has no field(s) {unknown}; fields are {sorted(fields)}")
        converted = {}
        for name, value in changes.items():
            if fields[name].metadata.get("static", False):
                converted[name] = value
                continue
            old = jnp.asarray(getattr(self, name))
            new = jnp.asarray(value, dtype=jnp.result_type(float))
            if new.ndim < old.ndim:
                new = jnp.broadcast_to(new, old.shape)
            converted[name] = new
        return enforce(dataclasses.replace(self, **converted), type(self).RULES)
