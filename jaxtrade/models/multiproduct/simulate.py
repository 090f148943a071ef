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

from .equilibrium import Equilibrium

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


def simulate_states(eq: Equilibrium, n_firms: int, n_years: int, key) -> dict:
    """Arrays (n_firms, n_years): z index, threshold index, chosen next threshold, survival, generation."""
    g = eq.grids
    z, a, j, alive, gen = _simulate(key, eq.mu, eq.prob, g.survival, g.P, g.entrant,
                                    n_firms=int(n_firms), n_years=int(n_years))
    return {"z_idx": z, "threshold_idx": a, "next_threshold_idx": j, "survives": alive, "generation": gen}


def simulate_panel(eq: Equilibrium, n_firms: int, n_years: int, key) -> pd.DataFrame:
    """Firm-year panel: firm, year, productivity (log z), threshold omega-tilde, products exported,
    next year's threshold choice and survival. ``firm`` = slot * (n_years + 1) + generation."""
    s = {k: np.asarray(v) for k, v in simulate_states(eq, n_firms, n_years, key).items()}
    g = eq.grids
    choices = np.asarray(g.choices)
    slot = np.repeat(np.arange(n_firms), n_years)
    return pd.DataFrame({
        "firm": slot * (n_years + 1) + s["generation"].ravel(),
        "year": np.tile(np.arange(n_years), n_firms),
        "log_productivity": np.asarray(g.log_z)[s["z_idx"].ravel()],
        "threshold": choices[s["threshold_idx"].ravel()],
        "products_exported": s["threshold_idx"].ravel(),
        "next_products_exported": s["next_threshold_idx"].ravel(),
        "survives": s["survives"].ravel(),
    })


def candidate_panel(eq: Equilibrium, panel: pd.DataFrame) -> pd.DataFrame:
    """Firm-candidate-year rows with the model-based EBP of eq. (31) and the introduction indicator.

    Rows: exporters (threshold >= omega_1) that survive to next year, one row per
    product not yet exported (omega_k > omega-tilde).
    EBP = 1 - max(0, (omega_k - omega-tilde) / (omega_hi - omega_lo)); introduction = 1 if
    product k is exported next year (next threshold index >= k).
    """
    g = eq.grids
    omega = np.asarray(g.omega)
    n = omega.size
    base = panel[(panel["products_exported"] >= 1) & panel["survives"]]
    a = base["products_exported"].to_numpy()
    k = np.arange(1, n + 1)
    mask = k[None, :] > a[:, None]
    rows, cols = np.nonzero(mask)
    thr = base["threshold"].to_numpy()[rows]
    ebp = 1.0 - np.maximum(0.0, (omega[cols] - thr) / (omega[-1] - omega[0]))
    return pd.DataFrame({
        "firm": base["firm"].to_numpy()[rows],
        "year": base["year"].to_numpy()[rows],
        "product": cols + 1,
        "threshold": thr,
        "ebp": ebp,
        "introduction": (base["next_products_exported"].to_numpy()[rows] >= cols + 1).astype(np.int8),
    })
