"""Figures of the Ara & Zhang (2020) replication: Proposition 2 across k, cutoffs against tau^I_ji."""

from __future__ import annotations

import pathlib

import jax
import jax.numpy as jnp
import numpy as np

from jaxtrade.models import vertical as v
from jaxtrade.reporting import save_figure


def elasticities_vs_k(out_dir: pathlib.Path, sigma: float = 4.0, n: int = 13) -> pathlib.Path:
    """zeta_I and zeta_F by autodiff beside Proposition 2's closed forms across Assumption 1's range of k."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lo, hi = sigma - 1.0, 2.0 * (sigma - 1.0)
    ks = np.linspace(lo + 0.1 * (hi - lo), lo + 0.85 * (hi - lo), n)
    num_I, num_F = [], []
    for k in ks:
        # symmetric countries: an interior equilibrium exists over the whole range of k
        q = v.vertical_params(sigma=sigma, k=float(k), L=(1.0, 1.0))
        ok = bool(v.solve_input_trade(q, throw=False).valid) and bool(v.solve_final_trade(q, throw=False).valid)
        el = v.partial_trade_elasticities(q, throw=False)
        num_I.append(float(el["zeta_I"]) if ok else np.nan)
        num_F.append(float(el["zeta_F"]) if ok else np.nan)
    kk = np.linspace(ks[0], ks[-1], 200)
    cf = v.closed_form_elasticities(sigma, kk)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(kk, cf["zeta_I"], "C0-", label="zeta_I, Prop. 2 closed form")
    ax.plot(kk, cf["zeta_F"], "C1-", label="zeta_F, Prop. 2 closed form")
    ax.plot(ks, num_I, "C0o", label="zeta_I, jaxtrade autodiff")
    ax.plot(ks, num_F, "C1s", label="zeta_F, jaxtrade autodiff")
    ax.set_xlabel("Pareto shape k (Assumption 1: sigma-1 < k < 2(sigma-1))")
    ax.set_ylabel("partial trade elasticity")
    ax.legend()
    return save_figure(
        fig,
        out_dir / "ara_zhang_elasticities_vs_k.png",
        title=f"Proposition 2: trade elasticities across k (sigma = {sigma:g}, symmetric countries)",
    )


def cutoffs_vs_tau(out_dir: pathlib.Path, p: v.VerticalParams) -> pathlib.Path:
    """The cutoffs of the input-trade equilibrium against tau^I_ji (vmapped solves; invalid points dropped)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    taus = jnp.linspace(1.05, 2.5, 59)

    def solve_at(t):
        eq = v.solve_input_trade(v.with_tau_I(p, 1, 0, t), throw=False)
        cut = jnp.stack([eq.phi[0, 0], eq.phi[1, 0], eq.phi[0, 1], eq.phi[1, 1], eq.varphi_dom[0], eq.varphi_tilde[0]])
        return cut, eq.valid

    cut, valid = jax.vmap(solve_at)(taus)
    cut = np.where(np.asarray(valid)[:, None], np.asarray(cut), np.nan)
    ref = int(np.argmin(np.abs(np.asarray(taus) - float(p.tau_I[1, 0]))))  # normalise at the default tau
    names = ["phi*_ii", "phi*_ji", "phi*_ij", "phi*_jj", "varphi*_ii", "varphi~*_ii"]
    fig, ax = plt.subplots(figsize=(6, 4))
    for c, name in enumerate(names):
        ax.plot(np.asarray(taus), cut[:, c] / cut[ref, c], label=name)
    ax.set_xlabel("tau^I_ji (country i's input import cost from j)")
    ax.set_ylabel(f"cutoff relative to its value at tau = {float(taus[ref]):.2f}")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    return save_figure(
        fig,
        out_dir / "ara_zhang_cutoffs_vs_tau.png",
        title="Lemmas 1-2: cutoffs against tau^I_ji in general equilibrium",
    )
