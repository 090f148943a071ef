"""Pareto versions of the paper's J and V functions (section 2.1).

For a cutoff a* and G(a) = 1 - (a_min / a)^k on [a_min, inf),

    V(a*) = int_{a*}^inf a^(sigma-1) dG(a),
    J(a*) = int_{a*}^inf [(a / a*)^(sigma-1) - 1] dG(a) = a*^(1-sigma) V(a*) - [1 - G(a*)].

Both are written for every a* > 0: below the lower bound the integrals run
from a_min (every firm is active), so a Newton step that wanders below a_min
still sees a continuous system. Above a_min they reduce to the closed forms
used throughout the paper's appendix,
V(a*) = k a_min^k a*^(sigma-1-k) / (k - sigma + 1) and
J(a*) = (sigma - 1) / (k - sigma + 1) (a_min / a*)^k.
"""

from __future__ import annotations

import jax.numpy as jnp


def survival(a_star, a_min, k):
    """1 - G(a*): share of entrants with productivity above the cutoff."""
    return (a_min / jnp.maximum(a_star, a_min)) ** k


def V(a_star, a_min, k, sigma):
    """V(a*) of section 2.1 under Pareto(a_min, k); requires k > sigma - 1."""
    a = jnp.maximum(a_star, a_min)
    return k * a_min**k * a ** (sigma - 1.0 - k) / (k - sigma + 1.0)


def J(a_star, a_min, k, sigma):
    """J(a*) of section 2.1 under Pareto(a_min, k); requires k > sigma - 1."""
    return a_star ** (1.0 - sigma) * V(a_star, a_min, k, sigma) - survival(a_star, a_min, k)
