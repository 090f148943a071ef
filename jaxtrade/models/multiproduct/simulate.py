"""Simulated firm panel from the stationary equilibrium (Heo & Kim 2025, sections 4-5, eq. 31).

Firms are drawn from the stationary distribution mu(z, omega-tilde); each year
a firm picks next year's threshold from Pr(j | z, i), survives with
probability 1 - E(z) and draws z' from the AR(1) chain (eq. 27). An exiting
firm's slot is taken by an entrant (z ~ G, non-exporter) with a new firm id,
so the number of slots is constant. Everything is one ``lax.scan`` over years,
``vmap``-ed over slots, with ``jax.random``.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from jaxtrade.models.multiproduct.params import MultiproductParams
from jaxtrade.models.multiproduct.solve import Equilibrium

__all__ = ["simulate_states", "simulate_panel", "candidate_panel"]


def _log(x):
    return jnp.where(x > 0, jnp.log(jnp.where(x > 0, x, 1.0)), -jnp.inf)


@partial(jax.jit, static_argnames=("n_firms", "n_years"))
def _simulate(key, mu, prob, survival, P, entrant, *, n_firms, n_years):
    nz, na = mu.shape
    k0, k1 = jax.random.split(key)
    start = jax.random.categorical(k0, _log(mu.ravel() / jnp.sum(mu)), shape=(n_firms,))
    z0, a0 = start // na, start % na
    logP, logG, logprob = _log(P), _log(entrant), _log(prob)

    def one_firm(key, z, a):
        def step(carry, k):
            z, a, gen = carry
            kc, ks, kz, ke = jax.random.split(k, 4)
            j = jax.random.categorical(kc, logprob[z, a])
            alive = jax.random.uniform(ks) < survival[z]
            z_next = jnp.where(alive, jax.random.categorical(kz, logP[z]), jax.random.categorical(ke, logG))
            a_next = jnp.where(alive, j, 0)
            out = (z, a, j, alive, gen)
            return (z_next, a_next, gen + (~alive).astype(gen.dtype)), out

        keys = jax.random.split(key, n_years)
        _, out = jax.lax.scan(step, (z, a, jnp.asarray(0, jnp.int32)), keys)
        return out

    keys = jax.random.split(k1, n_firms)
    return jax.vmap(one_firm)(keys, z0, a0)


def _key(key) -> jax.Array:
    """A ``jax.random`` key as given, or one made from an int seed."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        return jax.random.PRNGKey(int(key))
    return key


def simulate_states(params: MultiproductParams, solution: Equilibrium, key, *, n_firms: int, n_years: int) -> dict:
    """The simulated firm states as arrays (n_firms, n_years).

    Parameters
    ----------
    params : MultiproductParams
        The parameters ``solution`` was solved at (the simulation reads everything it needs from
        ``solution``; ``params`` is there for the ``(params, solution, key)`` convention of every model).
    solution : Equilibrium
        A stationary equilibrium (:func:`~jaxtrade.models.multiproduct.solve.solve_equilibrium`).
    key : jax.random key or int
        Random key (an int is a seed for ``jax.random.PRNGKey``).
    n_firms, n_years : int
        Firm slots and years (static).

    Returns
    -------
    dict
        ``z_idx``, ``threshold_idx``, ``next_threshold_idx`` (int), ``survives`` (bool) and
        ``generation`` (int: how many times the slot's firm exited and was replaced).
    """
    g = solution.grids
    z, a, j, alive, gen = _simulate(
        _key(key), solution.mu, solution.prob, g.survival, g.P, g.entrant, n_firms=int(n_firms), n_years=int(n_years)
    )
    return {"z_idx": z, "threshold_idx": a, "next_threshold_idx": j, "survives": alive, "generation": gen}


def simulate_panel(
    params: MultiproductParams, solution: Equilibrium, key, *, n_firms: int, n_years: int
) -> pd.DataFrame:
    """Firm-year panel simulated from the stationary equilibrium (sections 4-5).

    Arguments as in :func:`simulate_states`.

    Returns
    -------
    pandas.DataFrame
        One row per slot and year: ``firm`` (= slot * (n_years + 1) + generation), ``year``,
        ``log_productivity`` (log z), ``threshold`` (omega-tilde), ``products_exported`` (threshold
        index), ``next_products_exported`` (next year's choice) and ``survives``.

    Examples
    --------
    >>> from jaxtrade.models.multiproduct import solve_equilibrium, standard_params
    >>> p = standard_params(n_z=11, n_products=4)
    >>> df = simulate_panel(p, solve_equilibrium(p), 0, n_firms=100, n_years=3)
    >>> len(df), list(df.columns)[:4]
    (300, ['firm', 'year', 'log_productivity', 'threshold'])
    """
    s = {k: np.asarray(v) for k, v in simulate_states(params, solution, key, n_firms=n_firms, n_years=n_years).items()}
    g = solution.grids
    choices = np.asarray(g.choices)
    slot = np.repeat(np.arange(n_firms), n_years)
    return pd.DataFrame(
        {
            "firm": slot * (n_years + 1) + s["generation"].ravel(),
            "year": np.tile(np.arange(n_years), n_firms),
            "log_productivity": np.asarray(g.log_z)[s["z_idx"].ravel()],
            "threshold": choices[s["threshold_idx"].ravel()],
            "products_exported": s["threshold_idx"].ravel(),
            "next_products_exported": s["next_threshold_idx"].ravel(),
            "survives": s["survives"].ravel(),
        }
    )


def candidate_panel(solution: Equilibrium, panel: pd.DataFrame) -> pd.DataFrame:
    """Firm-candidate-year rows of a :func:`simulate_panel` panel with the model-based EBP of eq. (31).

    Rows: exporters (threshold >= omega_1) that survive to next year, one row per
    product not yet exported (omega_k > omega-tilde).
    EBP = 1 - max(0, (omega_k - omega-tilde) / (omega_hi - omega_lo)); introduction = 1 if
    product k is exported next year (next threshold index >= k).
    """
    g = solution.grids
    omega = np.asarray(g.omega)
    n = omega.size
    base = panel[(panel["products_exported"] >= 1) & panel["survives"]]
    a = base["products_exported"].to_numpy()
    k = np.arange(1, n + 1)
    mask = k[None, :] > a[:, None]
    rows, cols = np.nonzero(mask)
    thr = base["threshold"].to_numpy()[rows]
    ebp = 1.0 - np.maximum(0.0, (omega[cols] - thr) / (omega[-1] - omega[0]))
    return pd.DataFrame(
        {
            "firm": base["firm"].to_numpy()[rows],
            "year": base["year"].to_numpy()[rows],
            "product": cols + 1,
            "threshold": thr,
            "ebp": ebp,
            "introduction": (base["next_products_exported"].to_numpy()[rows] >= cols + 1).astype(np.int8),
        }
    )
