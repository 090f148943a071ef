"""CES demand algebra shared by the models: markups and the markup term of unit costs.

With a constant elasticity of substitution ``sigma > 1`` a monopolistic
competitor charges the constant markup ``sigma / (sigma - 1)`` over marginal
cost ``c / z``, so its price raised to ``1 - sigma`` is

    p^(1 - sigma) = (sigma / (sigma - 1))^(1 - sigma) c^(1 - sigma) z^(sigma - 1),

and the factor ``(sigma / (sigma - 1))^(1 - sigma)`` (:func:`markup_term`)
appears in every price index and revenue of the three papers: Ara & Zhang
eq. (18) (Gamma), Heo & Kim eq. (18) (their kappa), Ruhl eq. (25).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

__all__ = ["markup", "markup_term", "log_markup_term"]


def markup(sigma) -> jax.Array:
    """Constant CES markup ``sigma / (sigma - 1)`` over marginal cost."""
    return sigma / (sigma - 1.0)


def markup_term(sigma) -> jax.Array:
    """``(sigma / (sigma - 1))^(1 - sigma)``: the markup's factor in ``p^(1 - sigma)``.

    Examples
    --------
    >>> float(markup_term(2.0))
    0.5
    """
    return markup(sigma) ** (1.0 - sigma)


def log_markup_term(sigma) -> jax.Array:
    """``(1 - sigma) log(sigma / (sigma - 1))``, the log of :func:`markup_term`."""
    return (1.0 - sigma) * jnp.log(markup(sigma))
