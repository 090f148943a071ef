"""Plain NumPy/SciPy reference implementation of the Heo & Kim (2025) stationary equilibrium.

Independent of jaxtrade's code paths: Tauchen grid and ergodic distribution
by eigenvector, value iteration in NumPy, the stationary distribution by a
direct sparse-free linear solve (I - T) mu = e, and the GE root in log A by
Brent's method. Same model and gap-filling choices as
``jaxtrade.models.multiproduct`` (docs/models/multiproduct.md).
"""

from __future__ import annotations

import numpy as np
from scipy import optimize
from scipy.special import logsumexp, ndtr, softmax


def _tauchen(n, rho, sigma, n_std):
    sy = np.sqrt(sigma**2 / (1 - rho**2))
    x = np.linspace(-n_std * sy, n_std * sy, n)
    h = (x[1] - x[0]) / 2
    d = x[None, :] - rho * x[:, None]
    P = ndtr((d + h) / sigma) - ndtr((d - h) / sigma)
    P[:, 0] = ndtr((d[:, 0] + h) / sigma)
    P[:, -1] = 1 - ndtr((d[:, -1] - h) / sigma)
    return x, P


def setup(q: dict):
    """Price-independent objects from a dict of parameter values (floats; tau an array)."""
    lz, P = _tauchen(q["n_z"], q["rho_z"], q["sigma_e"], q["n_std"])
    w, vecs = np.linalg.eig(P.T)
    erg = np.real(vecs[:, np.argmin(np.abs(w - 1))])
    erg = erg / erg.sum()
    x = np.clip(lz - q["mu_E"], lz[0], lz[-1])
    G = np.zeros_like(erg)
    for k in range(len(lz)):
        i = min(max(np.searchsorted(lz, x[k], side="right") - 1, 0), len(lz) - 2)
        a = np.clip((lz[i + 1] - x[k]) / (lz[i + 1] - lz[i]), 0, 1)
        G[i] += erg[k] * a
        G[i + 1] += erg[k] * (1 - a)
    N = q["n_products"]
    om = np.linspace(q["omega_lo"], q["omega_hi"], N)
    h = om[1] - om[0]
    lo = np.maximum(om - h / 2, q["omega_min"])
    m = (q["omega_min"] / lo) ** q["gamma"] - (q["omega_min"] / (om + h / 2)) ** q["gamma"]
    m = m / m.sum()
    eps, tau = q["epsilon"], np.asarray(q["tau"], float)
    b = m * om ** (eps - 1)
    OX = np.r_[0, np.cumsum(b * (1 + tau) ** -eps)]
    OXP = np.r_[0, np.cumsum(b * (1 + tau) ** (1 - eps))]
    ch = np.r_[0, om]
    wn, wc = ch[None, :], ch[:, None]
    cont = q["gamma_0"] * np.where(wn > 0, np.abs(wn) ** q["gamma_1"], 0)
    if q["cost_form"] == "standard":
        d = np.maximum(wn - wc, 0)
        f = cont + q["gamma_2"] * np.where(d > 0, d ** q["gamma_3"], 0)
    else:
        f = cont + q["gamma_2"] * (wn > wc)
    z = np.exp(lz)
    s = 1 - 1 / (1 + np.exp(q["xi"] * z))
    return dict(lz=lz, z=z, P=P, G=G, OH=b.sum(), OX=OX, OXP=OXP, f=f, s=s)


def _firm(q, S, A, tol=1e-13):
    eps, beta, lam = q["epsilon"], q["beta"], q["smoothing"]
    kap = (eps / (eps - 1)) ** (1 - eps)
    prof = kap / eps * A * S["z"][:, None] ** (eps - 1) * (S["OH"] + S["OX"])[None, :]
    v = prof / (1 - beta)
    for _ in range(100_000):
        x = (S["s"] * beta)[:, None, None] * (S["P"] @ v)[:, None, :] - S["f"][None]
        vn = prof + (lam * logsumexp(x / lam, axis=-1) if lam > 0 else x.max(-1))
        if np.max(np.abs(vn - v)) <= tol:
            v = vn
            break
        v = vn
    x = (S["s"] * beta)[:, None, None] * (S["P"] @ v)[:, None, :] - S["f"][None]
    if lam > 0:
        prob = softmax(x / lam, axis=-1)
    else:
        prob = np.eye(x.shape[-1])[x.argmax(-1)]
    nz, na = v.shape
    # stationary distribution: mu = T mu + e, solved directly
    T = np.einsum("z,zij,zy->ziyj", S["s"], prob, S["P"]).reshape(nz * na, nz * na)
    e = np.zeros((nz, na))
    e[:, 0] = S["G"]
    mu = np.linalg.solve(np.eye(nz * na) - T.T, e.ravel()).reshape(nz, na)
    zs = S["z"][:, None] ** (eps - 1)
    SR = np.sum(mu * zs * (S["OH"] + S["OX"]))
    Fh = np.sum(mu[:, :, None] * prob * S["f"][None])
    gE = beta * np.sum(S["G"] * v[:, 0])
    an = 1 - q["alpha_k"] - q["alpha_m"]
    lab = an * (eps - 1) / eps * kap * A * SR + Fh
    return v, prob, mu, gE, lab, kap


def solve(q: dict):
    """Stationary equilibrium with N_E = 1 (gamma_E solved for). Returns a dict."""
    S = setup(q)
    res = lambda la: (lambda o: o[4] + o[3] - 1)(_firm(q, S, np.exp(la)))  # noqa: E731
    la = optimize.brentq(res, -12, 4, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=400)
    A = np.exp(la)
    v, prob, mu, gE, lab, kap = _firm(q, S, A)
    eps = q["epsilon"]
    an, ak, am = 1 - q["alpha_k"] - q["alpha_m"], q["alpha_k"], q["alpha_m"]
    R = 1 / q["beta"] - 1 + q["delta"]
    SP = np.sum(mu * S["z"][:, None] ** (eps - 1) * (S["OH"] + S["OXP"]))
    c = (kap * SP) ** (1 / (eps - 1))
    W = an * (c / ((R / ak) ** ak * (1 / am) ** am)) ** (1 / an)
    D = A * W / c ** (1 - eps)
    J = np.einsum("zi,zij->ij", mu * S["s"][:, None], prob)
    tot = mu.sum()
    expo = mu[:, 1:].sum()
    mp = J[2:]
    i_mp = np.arange(2, J.shape[0])[:, None]
    j = np.arange(J.shape[0])[None, :]
    inc = mu.copy()
    inc[:, 0] -= S["G"]
    moments = dict(
        entrant_incumbent_gap=np.sum(inc * S["lz"][:, None]) / inc.sum() - np.sum(S["G"] * S["lz"]),
        industry_survival=np.sum(mu * S["s"][:, None]) / tot,
        product_drop_rate=mp[j < i_mp].sum() / mp.sum(),
        product_stasis_rate=mp[j == i_mp].sum() / mp.sum(),
        product_add_rate=mp[j > i_mp].sum() / mp.sum(),
        exporter_share=expo / tot,
        exporter_survival=J[1:, 1:].sum() / J[1:].sum(),
        single_product_share=mu[:, 1].sum() / expo,
        multi_product_share=mu[:, 2:].sum() / expo,
        mpef_to_mpef=mp[:, 2:].sum() / mp.sum(),
        mpef_to_spef=mp[:, 1].sum() / mp.sum(),
        mpef_to_nx=mp[:, 0].sum() / mp.sum(),
    )
    return dict(A=A, W=W, D=D, c=c, gamma_E=gE, mu=mu, v=v, moments=moments)


def params_to_dict(p) -> dict:
    """Convert a jaxtrade MultiproductParams to the plain dict used here."""
    out = {
        k: float(np.asarray(getattr(p, k)))
        for k in (
            "sigma",
            "epsilon",
            "beta",
            "delta",
            "gamma_E",
            "rho_z",
            "sigma_e",
            "alpha_k",
            "alpha_m",
            "mu_E",
            "xi",
            "gamma",
            "gamma_0",
            "gamma_1",
            "gamma_2",
            "gamma_3",
            "omega_lo",
            "omega_hi",
            "omega_min",
            "smoothing",
            "n_std",
        )
    }
    out.update(tau=np.asarray(p.tau, float), n_z=p.n_z, n_products=p.n_products, cost_form=p.cost_form)
    return out
