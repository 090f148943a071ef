"""Plain NumPy/SciPy reference for the perfect-foresight transition of the Heo & Kim (2025) multiproduct model.

Independent of jaxtrade's transition code: the two steady states come from the stationary NumPy reference
``multiproduct_numpy.py`` (next to this file, loaded by path; the terminal one with ``entry="fixed_cost"`` is
built here on top of its ``setup`` and ``_firm``), and the path is solved by a plain stacked Newton method on
the 4T unknowns whose Jacobian is recomputed at every iteration by central finite differences of the full
nonlinear residual (no sequence-space / fake-news Jacobian, no autodiff).

Model (same equations and timing as ``jaxtrade.models.multiproduct.transition``, docs/models/multiproduct.md):

* unknowns, t = 0..T-1: log A_t (A_t = c_t^(1-eps) D_t / W_t), log d_t (d_t = Q_t W_{t+1} / W_t), the entrant
  mass N_E,t and log K_{t+1};
* firm block: v_t = Pi_t/W_t + lam logsumexp_j [(-f(i, j) + (1 - E(z)) d_t (P v_{t+1})(z, j)) / lam] backward
  from v_T = ss1.v, Pr_t = softmax of the same bracket; mu_{t+1}(z', j) = sum_{z,i} mu_t(z, i) (1 - E(z))
  Pr_t(j|z, i) P(z, z') + N_E,t G(z') 1(j = 0) forward from mu_0 = ss0.mu; period t's tariffs tau_t enter the
  export demand indices of period t;
* aggregates: c_t = (kappa S_P,t)^(1/(eps-1)); TC_t = (eps-1)/eps kappa A_t W_t S_R,t; R_t K_t = alpha_k TC_t
  and c_t = (R_t/alpha_k)^alpha_k (W_t/alpha_n)^alpha_n alpha_m^-alpha_m give W_t, R_t; D_t = A_t W_t
  c_t^(eps-1); M_t = alpha_m TC_t; C_t = D_t - K_{t+1} + (1-delta) K_t - M_t; Q_t = beta (C_{t+1}/C_t)^-sigma,
  with C_T, R_T, W_T those of ss1;
* targets: d_t EV_t / gamma_E - 1 (EV_t = sum_z G(z) v_{t+1}(z, 0)); alpha_n TC_t/W_t + F_t + N_E,t gamma_E - 1;
  Q_t (R_{t+1} + 1 - delta) - 1; log d_t - log(Q_t W_{t+1} / W_t).
"""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
from scipy import optimize

__all__ = ["stationary_reference", "steady_state", "solve_transition", "residual", "cev"]


def stationary_reference():
    """The stationary NumPy reference module ``multiproduct_numpy.py`` (loaded by path)."""
    path = pathlib.Path(__file__).resolve().parent / "multiproduct_numpy.py"
    spec = importlib.util.spec_from_file_location("multiproduct_numpy_for_transition", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_REF = stationary_reference()


def _shares(q):
    ak, am = q["alpha_k"], q["alpha_m"]
    return ak, 1.0 - ak - am, am


def _kappa(eps):
    return (eps / (eps - 1.0)) ** (1.0 - eps)


def _choices(q):
    return np.r_[0.0, np.linspace(q["omega_lo"], q["omega_hi"], q["n_products"])]


def steady_state(q: dict, entry: str = "normalize", gamma_E: float | None = None) -> dict:
    """A stationary equilibrium with the aggregates the transition needs.

    ``entry="normalize"``: N_E = 1, gamma_E implied (the reference's ``solve``). ``entry="fixed_cost"``: gamma_E
    given; free entry gamma_E = beta sum_z G(z) v(z, 0) pins log A (Brent), the labour market then gives
    N_E = 1 / (lab + gamma_E) (lab = production and export-cost labour per unit of entrants).
    """
    S = _REF.setup(q)
    if entry == "normalize":
        A = _REF.solve(q)["A"]
    elif entry == "fixed_cost":
        if gamma_E is None:
            raise ValueError("entry='fixed_cost' needs gamma_E")

        def fe(la):
            return _REF._firm(q, S, np.exp(la))[3] / gamma_E - 1.0

        la = optimize.brentq(fe, -12, 4, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=400)
        A = np.exp(la)
    else:
        raise ValueError(f"entry must be 'normalize' or 'fixed_cost', got {entry!r}")
    v, prob, mu_hat, gE_implied, lab, kap = _REF._firm(q, S, A)
    if entry == "normalize":
        gamma_E, N_E = gE_implied, 1.0
    else:
        N_E = 1.0 / (lab + gamma_E)
    mu = N_E * mu_hat
    eps, beta, delta = q["epsilon"], q["beta"], q["delta"]
    ak, an, am = _shares(q)
    zs = S["z"][:, None] ** (eps - 1.0)
    SP = np.sum(mu * zs * (S["OH"] + S["OXP"])[None, :])
    SR = np.sum(mu * zs * (S["OH"] + S["OX"])[None, :])
    R = 1.0 / beta - 1.0 + delta
    c = (kap * SP) ** (1.0 / (eps - 1.0))
    W = an * (c / ((R / ak) ** ak * (1.0 / am) ** am)) ** (1.0 / an)
    D = A * W * c ** (eps - 1.0)
    TC = (eps - 1.0) / eps * kap * A * W * SR
    K = ak * TC / R
    M = am * TC
    C = D - delta * K - M
    F = np.sum(mu[:, :, None] * prob * S["f"][None])
    return dict(
        A=A, W=W, R=R, c=c, D=D, K=K, M=M, C=C, N_E=N_E, gamma_E=gamma_E, mu=mu, v=v, prob=prob, F=F,
        N=mu.sum(), labour=an * TC / W + F + N_E * gamma_E, free_entry=beta * np.sum(S["G"] * v[:, 0]) - gamma_E,
    )  # fmt: skip


class _Economy:
    """Everything the path residual depends on besides the unknowns."""

    def __init__(self, q0: dict, tau_path: np.ndarray, ss0: dict, ss1: dict):
        self.q = q0
        self.T = tau_path.shape[0]
        S = _REF.setup(q0)
        self.z, self.P, self.G, self.s, self.f, self.OH = S["z"], S["P"], S["G"], S["s"], S["f"], S["OH"]
        # period t's export demand indices at its tariffs tau_t
        per = [_REF.setup({**q0, "tau": np.asarray(tau_path[t], float)}) for t in range(self.T)]
        self.OX = np.stack([S_t["OX"] for S_t in per])  # (T, N+1)
        self.OXP = np.stack([S_t["OXP"] for S_t in per])
        self.ss0, self.ss1 = ss0, ss1
        self.choices = _choices(q0)

    def evaluate(self, U: np.ndarray):
        """Residual (..., 4, T) and the paths (each (..., T)) at the unknowns U (..., 4, T).

        Leading axes of U are a batch of independent paths (the finite-difference Jacobian evaluates all its
        perturbed columns in one pass).
        """
        q, T = self.q, self.T
        eps, beta, delta, sigma, lam = q["epsilon"], q["beta"], q["delta"], q["sigma"], q["smoothing"]
        ak, an, am = _shares(q)
        kap = _kappa(eps)
        U = np.asarray(U, float)
        batch = U.shape[:-2]
        A, d, NE, Kn = np.exp(U[..., 0, :]), np.exp(U[..., 1, :]), U[..., 2, :], np.exp(U[..., 3, :])
        zs = self.z[:, None] ** (eps - 1.0)
        nz, na = self.ss1["v"].shape

        # backward: values and choice probabilities (logit over the next threshold j)
        probs = np.empty(batch + (T, nz, na, na))
        EV = np.empty(batch + (T,))
        v_next = np.broadcast_to(self.ss1["v"], batch + (nz, na))
        for t in range(T - 1, -1, -1):
            EV[..., t] = np.sum(self.G * v_next[..., :, 0], axis=-1)
            cont = self.s[:, None] * d[..., t, None, None] * (self.P @ v_next)  # (..., z, j)
            x = cont[..., :, None, :] - self.f  # (..., z, i, j)
            profit = kap / eps * A[..., t, None, None] * zs * (self.OH + self.OX[t])
            xmax = x.max(axis=-1)
            if lam > 0:
                e = np.exp((x - xmax[..., None]) / lam)
                tot = e.sum(axis=-1)
                v_next = profit + xmax + lam * np.log(tot)
                probs[..., t, :, :, :] = e / tot[..., None]
            else:
                v_next = profit + xmax
                probs[..., t, :, :, :] = np.eye(na)[x.argmax(-1)]

        # forward: distribution and firm-block outputs
        SP, SR, F, N, scope = (np.empty(batch + (T,)) for _ in range(5))
        mu = np.broadcast_to(self.ss0["mu"], batch + (nz, na))
        for t in range(T):
            prob = probs[..., t, :, :, :]
            SP[..., t] = np.sum(mu * zs * (self.OH + self.OXP[t]), axis=(-2, -1))
            SR[..., t] = np.sum(mu * zs * (self.OH + self.OX[t]), axis=(-2, -1))
            F[..., t] = np.einsum("...zi,...zij,ij->...", mu, prob, self.f)
            N[..., t] = mu.sum(axis=(-2, -1))
            scope[..., t] = np.sum(mu * self.choices, axis=(-2, -1)) / N[..., t]
            chosen = np.einsum("...zi,...zij->...zj", mu * self.s[:, None], prob)
            mu = self.P.T @ chosen
            mu[..., :, 0] += NE[..., t, None] * self.G

        # aggregates
        def shift(x, last):  # x_{t+1}, t = 0..T-1, with x_T = last
            return np.concatenate([x[..., 1:], np.broadcast_to(last, batch + (1,))], axis=-1)

        K = np.concatenate([np.broadcast_to(self.ss0["K"], batch + (1,)), Kn[..., :-1]], axis=-1)  # K_t
        c = (kap * SP) ** (1.0 / (eps - 1.0))
        tcw = (eps - 1.0) / eps * kap * A * SR  # TC_t / W_t
        # R = alpha_k tcw W / K in the unit cost: W^(alpha_k + alpha_n) = c alpha_m^alpha_m alpha_n^alpha_n (K/tcw)^ak
        W = (c * am**am * an**an * (K / tcw) ** ak) ** (1.0 / (ak + an))
        R = ak * tcw * W / K
        D = A * W * c ** (eps - 1.0)
        M = am * tcw * W
        C = D - Kn + (1.0 - delta) * K - M
        C_next, R_next, W_next = shift(C, self.ss1["C"]), shift(R, self.ss1["R"]), shift(W, self.ss1["W"])
        Q = beta * (C_next / C) ** (-sigma)
        gE = self.ss0["gamma_E"]
        res = np.stack(
            [
                d * EV / gE - 1.0,
                an * tcw + F + NE * gE - 1.0,
                Q * (R_next + 1.0 - delta) - 1.0,
                np.log(d) - np.log(Q * W_next / W),
            ],
            axis=-2,
        )
        paths = dict(
            C=C, K=K, W=W, R=R, D=D, M=M, c=c, Q=Q, A=A, d=d, N_E=NE, N=N, F=F, I=Kn - (1.0 - delta) * K,
            avg_export_scope=scope, EV=EV,
        )  # fmt: skip
        return res, paths


def _fd_jacobian(fun, U, h):
    """Central finite-difference Jacobian of the flattened residual in the flattened unknowns.

    Column k is (F(U + h e_k) - F(U - h e_k)) / 2h; all 2 x 4T perturbed paths are evaluated as one batch.
    """
    n = U.size
    E = h * np.eye(n).reshape((n,) + U.shape)
    Fp = fun(U + E).reshape(n, n)  # row k: F(U + h e_k)
    Fm = fun(U - E).reshape(n, n)
    return ((Fp - Fm) / (2.0 * h)).T


def residual(q0: dict, tau_path: np.ndarray, U: np.ndarray, ss0: dict | None = None, ss1: dict | None = None):
    """The residual (4, T) and paths at the unknowns U (for checks); steady states solved when not given."""
    tau_path = np.asarray(tau_path, float)
    ss0 = steady_state(q0) if ss0 is None else ss0
    ss1 = steady_state({**q0, "tau": tau_path[-1]}, "fixed_cost", ss0["gamma_E"]) if ss1 is None else ss1
    return _Economy(q0, tau_path, ss0, ss1).evaluate(np.asarray(U, float))


def solve_transition(q0: dict, tau_path: np.ndarray, T: int, tol: float = 1e-11, max_iter: int = 30, h=1e-6) -> dict:
    """Solve the transition from the stationary equilibrium at ``q0`` after the tariffs switch to ``tau_path``.

    Parameters
    ----------
    q0 : the initial parameters, ``multiproduct_numpy.params_to_dict(p)`` (its ``tau`` are the old tariffs).
    tau_path : (N,) new tariffs from t = 0 on, or (T, N) (the terminal steady state has the last row).
    T : horizon.
    tol : stop when max |residual| < tol.
    max_iter : Newton iterations at most.
    h : finite-difference step of the Jacobian (central differences, recomputed every iteration).

    Returns
    -------
    dict with ``unknowns`` (4, T) (log A, log d, N_E, log K_{t+1}), ``paths`` (C, K, W, R, D, N,
    avg_export_scope, ...), each also at the top level, ``residual`` (4, T), ``max_residual``, ``iterations``,
    ``converged``, ``history`` and the steady states ``ss0``, ``ss1``.
    """
    tau_path = np.asarray(tau_path, float)
    if tau_path.ndim == 1:
        tau_path = np.broadcast_to(tau_path, (T, tau_path.size)).copy()
    if tau_path.shape[0] != T:
        raise ValueError(f"tau_path must have T = {T} rows, got {tau_path.shape}")
    ss0 = steady_state(q0, "normalize")
    q1 = {**q0, "tau": tau_path[-1]}
    ss1 = steady_state(q1, "fixed_cost", ss0["gamma_E"])
    econ = _Economy(q0, tau_path, ss0, ss1)

    def fun(U):
        return econ.evaluate(U)[0]

    one = np.ones(T)
    U = np.stack([np.log(ss1["A"]) * one, np.log(q0["beta"]) * one, ss1["N_E"] * one, np.log(ss1["K"]) * one])
    r = fun(U)
    err = np.max(np.abs(r))
    history = [err]
    it = 0
    while err >= tol and it < max_iter:
        J = _fd_jacobian(fun, U, h)
        step = np.linalg.solve(J, -r.ravel()).reshape(U.shape)
        a = 1.0
        for _ in range(20):  # backtracking on the max-abs residual
            U_try = U + a * step
            with np.errstate(all="ignore"):
                r_try = fun(U_try)
            err_try = np.max(np.abs(r_try))
            if np.isfinite(err_try) and err_try < err:
                break
            a *= 0.5
        U, r, err = U_try, r_try, err_try
        it += 1
        history.append(err)
    r, paths = econ.evaluate(U)
    out = dict(
        unknowns=U, paths=paths, residual=r, max_residual=float(np.max(np.abs(r))), iterations=it,
        converged=bool(np.max(np.abs(r)) < tol), history=np.array(history), ss0=ss0, ss1=ss1, tau=tau_path,
    )  # fmt: skip
    out.update(paths)
    return out


def cev(C_path, C0, C_T, beta, sigma, T) -> float:
    """Consumption-equivalent welfare gain of the transition: (W1/W0)^(1/(1-sigma)) - 1.

    W1 = sum_{t<T} beta^t u(C_t) + beta^T u(C_T)/(1-beta), W0 = u(C0)/(1-beta), u(C) = C^(1-sigma)/(1-sigma)
    (sigma != 1; log utility at sigma = 1 gives exp((1-beta)(W1 - W0)) - 1).
    """
    C_path = np.asarray(C_path, float)[:T]
    disc = beta ** np.arange(T)
    if sigma == 1.0:
        W1 = np.sum(disc * np.log(C_path)) + beta**T * np.log(C_T) / (1.0 - beta)
        W0 = np.log(C0) / (1.0 - beta)
        return float(np.exp((1.0 - beta) * (W1 - W0)) - 1.0)

    def u(C):
        return C ** (1.0 - sigma) / (1.0 - sigma)

    W1 = np.sum(disc * u(C_path)) + beta**T * u(C_T) / (1.0 - beta)
    W0 = u(C0) / (1.0 - beta)
    return float((W1 / W0) ** (1.0 / (1.0 - sigma)) - 1.0)
