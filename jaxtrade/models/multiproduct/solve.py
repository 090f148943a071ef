"""Stationary general equilibrium of two symmetric countries (Heo & Kim 2025, sec. 3.3), one or a batch.

GE reduction (documented in ``docs/models/multiproduct.md``):

1. Steady-state Euler condition of the household with Q = beta:
   R = 1/beta - 1 + delta (the firm's user cost of capital, eq. 8/15).
2. The firm problem (eq. 21) divided by W depends on prices only through
   A = c^(1-eps) D / W (see :mod:`.firm`); so do the decision rules and the
   stationary distribution per unit of entrants mu_hat.
3. Free entry (eq. 24): gamma_E = beta sum_z' G(z') v(z', 0).
4. Labour market (eq. 25) divided by N_E:
   1 / N_E = alpha_n (eps-1)/eps kappa A S_R(A) + F_hat(A) + gamma_E, with
   kappa the CES markup term (:func:`jaxtrade.numerics.ces.markup_term`),
   S_R = sum mu_hat z^(eps-1) [Omega_H + Omega_X(i)] and F_hat the export
   costs per entrant.
   ``entry="normalize"`` (the initial steady state): N_E = 1 and gamma_E is
   an output; one equation (labour market with free entry substituted) in
   log A. ``entry="fixed_cost"`` (counterfactuals): gamma_E is given; free
   entry alone pins log A and the labour market then gives N_E.
5. Price index = 1 (numeraire, eq. 12) gives c, then W from the
   Cobb-Douglas unit cost, D = A W / c^(1-eps); capital, materials and
   consumption follow from the cost shares and the goods market (eq. 26).

The 1-D root in log A is found by :func:`jaxtrade.numerics.root.newton_root`
(implicit derivatives); the Bellman and distribution solves inside are
fixed points with implicit derivatives. Every market-clearing residual is
then recomputed from firm-level allocations and reported; the overall
``info`` of an :class:`Equilibrium` folds the GE root, the Bellman and
distribution solves, these checks (``GE_TOL``) and the parameter rules
together (:func:`jaxtrade.errors.combine_info`).

Batches: :func:`solve_equilibrium_batch` solves many parameter vectors
(estimation draws, sensitivity grids, counterfactual tariff schedules) at
once. The batch is a :class:`MultiproductParams` whose array leaves carry a
leading batch axis (:func:`stack_params` builds one from a list); the grid
sizes ``n_z``, ``n_products`` and ``cost_form`` are static and common to the
batch. The leading axis of every leaf is placed across the devices of a
one-dimensional mesh (:func:`jaxtrade.numerics.sharding.device_mesh`) with a
:class:`jax.sharding.NamedSharding` (``PartitionSpec("batch")``), and the
solve runs under :func:`jax.shard_map`: each device solves its own slice,
with its own iteration counts and no communication between devices; every
output leaf keeps its leading axis split the same way. The batch size must
be a multiple of the device count unless ``pad=True`` (the last member is
repeated and the outputs trimmed back). On each device the local slice is
solved by

* ``method="auto"`` (default): ``"map"`` where the mesh's devices are CPUs,
  ``"vmap"`` on GPUs and TPUs (measured on a 2-core CPU, batch of 64: ``map``
  27.3 equilibria/s against 10.4 for ``vmap``, same run);
* ``method="vmap"``: ``vmap`` of the GE solve. The iterative
  solves (Newton root in log A, value-function iteration, distribution
  push-forward) then run in lockstep until every member of the slice has
  converged; members that converged earlier are frozen (``lax.while_loop``
  batching selects their old state), so each member's result is its own
  solve's. This is the layout for accelerators, where the batch fills the
  device;
* ``method="map"``: ``lax.map`` (members one after another, each with its
  own loop lengths; ``map_batch_size`` members at a time are vmapped). On
  CPU this avoids the lockstep and batched-loop overhead of ``vmap``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Literal, get_args

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import PartitionSpec

from jaxtrade.config import get_precision
from jaxtrade.errors import SolverInfo, combine_info, finish, flag_nonfinite, is_traced, rules_hold
from jaxtrade.models.multiproduct.firm import (
    Grids,
    initial_mass,
    initial_value,
    make_grids,
    solve_bellman,
    stationary_mass,
)
from jaxtrade.models.multiproduct.params import RULES, MultiproductParams, validate_params
from jaxtrade.numerics.ces import markup_term
from jaxtrade.numerics.root import newton_root_warm
from jaxtrade.numerics.sharding import batch_size, device_mesh, gather, pad_batch, shard_batch
from jaxtrade.program_cache import cached_program

__all__ = [
    "Equilibrium",
    "solve_equilibrium",
    "solve_equilibrium_batch",
    "stack_params",
    "unstack_params",
    "EntryMode",
    "ENTRY_MODES",
    "BatchMethod",
    "BATCH_METHODS",
    "resolve_batch_method",
    "RESIDUAL_NAMES",
    "GE_TOL",
    "TOLERANCES",
]

EntryMode = Literal["normalize", "fixed_cost"]
ENTRY_MODES: tuple[str, ...] = get_args(EntryMode)
BatchMethod = Literal["auto", "vmap", "map"]
BATCH_METHODS: tuple[str, ...] = get_args(BatchMethod)
RESIDUAL_NAMES = (
    "labour_market",
    "capital_market",
    "goods_market",
    "euler",
    "free_entry",
    "price_index",
    "entry_normalization",
    "bellman",
    "distribution",
    "ge_root",
)
GE_TOL = 1e-10
"""Tolerance of the recomputed equilibrium conditions (the first seven of ``RESIDUAL_NAMES``), float64."""

TOLERANCES: dict[str, dict[str, float]] = {
    "float64": {"tol": 1e-12, "tol_v": 1e-12, "tol_mu": 1e-13, "ge_check": GE_TOL},
    "float32": {"tol": 1e-5, "tol_v": 2e-6, "tol_mu": 2e-7, "ge_check": 1e-4},
}
"""Default tolerances by precision (``jaxtrade.config``): the GE root (``tol``, labour-market
residual), the Bellman equation (``tol_v``, values in wage units), the distribution (``tol_mu``)
and the recomputed equilibrium conditions (``ge_check``). float32 (machine epsilon 1.2e-7)
cannot meet the float64 ones; its defaults sit one to two orders of magnitude above the
round-off of the Standard calibration's residuals (values ~3, masses ~0.2) and give prices
within about 1e-5 of float64."""


def _resolve_tolerances(tol, tol_v, tol_mu) -> tuple[float, float, float]:
    """Fill the tolerances left ``None`` with the defaults of the precision in force (``TOLERANCES``)."""
    d = TOLERANCES[get_precision()]

    def pick(name, value):
        return float(d[name] if value is None else value)

    return pick("tol", tol), pick("tol_v", tol_v), pick("tol_mu", tol_mu)


_WHAT = "multiproduct general equilibrium (Heo & Kim 2025, eqs. 21, 24-26)"


def _choice(name: str, value, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")


class Equilibrium(eqx.Module):
    """A stationary equilibrium.

    Attributes
    ----------
    W, R, D, c, A : prices: wage, rental rate, aggregate demand (= final output), unit input cost,
        and the firm problem's scale A = c^(1-eps) D / W.
    K, M, C, N_E, gamma_E, N, T, L_prod, F : quantities: capital, materials, consumption, entrant mass,
        entry cost, firm mass, tariff revenue, production labour, labour in export costs.
    v : (nz, N+1) value function V/W.
    prob : (nz, N+1, N+1) portfolio choice probabilities.
    mu : (nz, N+1) stationary mass of firms (entrants included).
    grids : the :class:`~jaxtrade.models.multiproduct.firm.Grids`.
    residuals : dict of residual arrays (see ``RESIDUAL_NAMES``).
    info : the overall :class:`~jaxtrade.errors.SolverInfo`: iterations and residual of the GE root;
        ``converged`` only when the root, the Bellman and distribution solves converged, every recomputed
        equilibrium condition is within ``GE_TOL`` (else ``result`` is ``check_failed``) and the parameters
        satisfy the model's rules.
    root_info, bellman_info, distribution_info : the component diagnostics (GE root in log A, value
        iteration and distribution push-forward at the solution).
    """

    W: jax.Array
    R: jax.Array
    D: jax.Array
    c: jax.Array
    A: jax.Array
    K: jax.Array
    M: jax.Array
    C: jax.Array
    N_E: jax.Array
    gamma_E: jax.Array
    N: jax.Array
    T: jax.Array
    L_prod: jax.Array
    F: jax.Array
    v: jax.Array
    prob: jax.Array
    mu: jax.Array
    grids: Grids
    residuals: dict
    info: SolverInfo
    root_info: SolverInfo
    bellman_info: SolverInfo
    distribution_info: SolverInfo


def _shares(p):
    alpha_n = 1.0 - p.alpha_k - p.alpha_m
    return p.alpha_k, alpha_n, p.alpha_m


def _inner(p, g: Grids, log_A, tol_v, tol_mu, warm=None):
    """The firm problem and distribution at A = exp(log_A); ``warm = (v0, mu0)`` starts both solves."""
    A = jnp.exp(log_A)
    v0, mu0 = (None, None) if warm is None else warm
    sol = solve_bellman(p, g, A, tol=tol_v, v0=v0, throw=False)
    dist = stationary_mass(g, sol.prob, tol=tol_mu, mu0=mu0, throw=False)
    mu_hat = dist.value
    zs = g.z[:, None] ** (p.epsilon - 1.0)
    S_R = jnp.sum(mu_hat * zs * (g.omega_H + g.omega_X)[None, :])
    F_hat = jnp.sum(mu_hat[:, :, None] * sol.prob * g.cost[None, :, :])
    gE_implied = p.beta * jnp.sum(g.entrant * sol.v[:, 0])
    _, alpha_n, _ = _shares(p)
    lab = alpha_n * (p.epsilon - 1.0) / p.epsilon * markup_term(p.epsilon) * A * S_R + F_hat
    return A, sol, mu_hat, dist.info, lab, gE_implied


def _ge_residual(x, args, warm):
    """The GE equation in log A (module docstring, step 4) and the inner solutions ``(v, mu_hat)``."""
    p, g, mode, tol_v, tol_mu = args
    _, sol, mu_hat, _, lab, gE = _inner(p, g, x[0], tol_v, tol_mu, warm)
    return jnp.atleast_1d(jnp.where(mode, lab + gE - 1.0, gE / p.gamma_E - 1.0)), (sol.v, mu_hat)


def _cold_start(p, g: Grids, log_A):
    """The inner solves' default initial guesses at A = exp(log_A) (see :func:`solve_bellman`, :func:`stationary_mass`)."""
    v0 = initial_value(p, g, jnp.exp(log_A))
    return v0, initial_mass(g, v0.shape[1], v0.dtype)


def _initial_log_A(p, g):
    # no-export guess: firms ~ 1/(mean exit), value ~ profit / (1 - beta (1 - E))
    s_bar = jnp.sum(g.ergodic * g.survival)
    n_firms = 1.0 / (1.0 - s_bar)
    ez = jnp.sum(g.ergodic * g.z ** (p.epsilon - 1.0))
    _, alpha_n, _ = _shares(p)
    k = markup_term(p.epsilon)
    per_A = (
        k
        * ez
        * g.omega_H
        * (alpha_n * (p.epsilon - 1.0) / p.epsilon * n_firms + p.beta / p.epsilon / (1.0 - p.beta * s_bar))
    )
    return -jnp.log(per_A)


def _solve(p: MultiproductParams, mode, tol: float, tol_v: float, tol_mu: float, max_iter) -> Equilibrium:
    """The GE solve (never raises); ``mode`` a traced bool, True for ``entry="normalize"``."""
    g = make_grids(p)
    x0 = jax.lax.stop_gradient(jnp.atleast_1d(_initial_log_A(p, g)))
    # Newton in log A with the Bellman and distribution solves warm-started from the last
    # iterate's solutions (moved to first order along the step); the final evaluation at
    # the root starts from the root's own solutions, so it costs about one step of each
    root, warm = newton_root_warm(
        _ge_residual, x0, _cold_start(p, g, x0[0]), (p, g, mode, tol_v, tol_mu), tol=tol, max_iter=max_iter, throw=False
    )
    A, sol, mu_hat, dinfo, lab, gE_implied = _inner(p, g, root.value[0], tol_v, tol_mu, warm)
    eps = p.epsilon
    alpha_k, alpha_n, alpha_m = _shares(p)
    # one compilation serves both entry modes
    gamma_E = jnp.where(mode, gE_implied, p.gamma_E)
    N_E = jnp.where(mode, jnp.asarray(1.0, dtype=A.dtype), 1.0 / (lab + p.gamma_E))
    mu = N_E * mu_hat
    k = markup_term(eps)
    zs = g.z[:, None] ** (eps - 1.0)
    S_P = jnp.sum(mu_hat * zs * (g.omega_H + g.omega_XP)[None, :])
    R = 1.0 / p.beta - 1.0 + p.delta
    c = (N_E * k * S_P) ** (1.0 / (eps - 1.0))
    W = alpha_n * (c / ((R / alpha_k) ** alpha_k * (1.0 / alpha_m) ** alpha_m)) ** (1.0 / alpha_n)
    D = A * W / c ** (1.0 - eps)

    # ---- firm-level allocations (eqs. 11, 13, 16-18) and independent residuals ----
    price = eps / (eps - 1.0) * c / g.z  # (nz,)
    y = price[:, None] ** (-eps) * D * (g.omega_H + g.omega_X)[None, :]  # output sold (home + exports)
    revenue = price[:, None] * y
    tc = (c / g.z)[:, None] * y  # total variable cost MC * y
    n_firm, k_firm, m_firm = alpha_n * tc / W, alpha_k * tc / R, alpha_m * tc
    fcost = jnp.sum(sol.prob * g.cost[None, :, :], axis=-1)  # expected f paid in state (z, i)
    L_prod = jnp.sum(mu * n_firm)
    F = jnp.sum(mu * fcost)
    K = (
        alpha_k
        * (eps - 1.0)
        / eps
        * N_E
        * k
        * c ** (1.0 - eps)
        * D
        * jnp.sum(mu_hat * zs * (g.omega_H + g.omega_X))
        / R
    )
    M = jnp.sum(mu * m_firm)
    T = jnp.sum(mu * (price[:, None] ** (1.0 - eps) * D * g.tariff_X[None, :]))
    profits = jnp.sum(mu * (revenue - tc)) - W * F - W * N_E * gamma_E
    C = W * 1.0 + R * K - p.delta * K + profits + T  # household budget (eq. 8) in steady state
    price_index = jnp.sum(mu * price[:, None] ** (1.0 - eps) * (g.omega_H + g.omega_XP)[None, :])
    residuals = {
        "labour_market": L_prod + F + N_E * gamma_E - 1.0,
        "capital_market": jnp.sum(mu * k_firm) - K,
        "goods_market": C + p.delta * K + M - D,
        "euler": p.beta * (1.0 + R - p.delta) - 1.0,
        "free_entry": (p.beta * jnp.sum(g.entrant * sol.v[:, 0] * W) - W * gamma_E) / W,
        "price_index": price_index - 1.0,
        "entry_normalization": jnp.where(mode, N_E - 1.0, 0.0),
        "bellman": sol.info.residual,
        "distribution": dinfo.residual,
        "ge_root": root.info.residual,
    }
    ge_check = TOLERANCES[get_precision()]["ge_check"]  # the precision this program is traced in
    checks_hold = jnp.all(jnp.stack([jnp.abs(residuals[k_]) <= ge_check for k_ in RESIDUAL_NAMES[:7]]))
    info = combine_info(root.info, sol.info, dinfo, checks_hold=checks_hold, params_valid=rules_hold(p, RULES))
    eq = Equilibrium(
        W=W,
        R=R,
        D=D,
        c=c,
        A=A,
        K=K,
        M=M,
        C=C,
        N_E=N_E,
        gamma_E=gamma_E,
        N=jnp.sum(mu),
        T=T,
        L_prod=L_prod,
        F=F,
        v=sol.v,
        prob=sol.prob,
        mu=mu,
        grids=g,
        residuals=residuals,
        info=info,
        root_info=root.info,
        bellman_info=sol.info,
        distribution_info=dinfo,
    )
    return flag_nonfinite(eq)  # no lane reports converged=True with a NaN or inf anywhere in its outputs


# kept on disk after its first trace (jaxtrade.program_cache): a new process reads it instead of tracing it
_solve_jit = cached_program(jax.jit(_solve, static_argnames=("tol", "tol_v", "tol_mu")))


def _solve_core(
    p: MultiproductParams, entry: str, tol: float, tol_v: float, tol_mu: float, max_iter: int
) -> Equilibrium:
    """The cached jitted solve: one compilation per grid shape and tolerances serves both entry modes."""
    return _solve_jit(
        p,
        mode=jnp.asarray(entry == "normalize"),
        tol=tol,
        tol_v=tol_v,
        tol_mu=tol_mu,
        max_iter=jnp.asarray(max_iter, dtype=jnp.int32),
    )


def _diagnostics(eq: Equilibrium) -> str:
    res = {k: np.asarray(v).tolist() for k, v in eq.residuals.items()}
    return (
        f"bellman iterations={np.asarray(eq.bellman_info.iterations).tolist()}, distribution iterations="
        f"{np.asarray(eq.distribution_info.iterations).tolist()}, residuals={res}"
    )


def solve_equilibrium(
    p: MultiproductParams,
    *,
    entry: EntryMode = "normalize",
    tol: float | None = None,
    tol_v: float | None = None,
    tol_mu: float | None = None,
    max_iter: int = 50,
    throw: bool = True,
) -> Equilibrium:
    """Solve the stationary general equilibrium (eqs. 21, 24-26; GE reduction in the module docstring).

    Parameters
    ----------
    p : MultiproductParams
        Validated by its factory or ``p.replace``; under a trace with
        ``throw=True`` the rules are compiled in again, and they are always
        folded into ``info`` (``result`` ``invalid_parameters``).
    entry : {"normalize", "fixed_cost"}
        ``"normalize"``: N_E = 1 and gamma_E solved from free entry (initial
        steady state, Table 3 note); ``"fixed_cost"``: gamma_E = p.gamma_E held
        fixed, N_E endogenous (counterfactuals).
    tol, tol_v, tol_mu : float, optional
        Tolerances of the GE root, the Bellman equation and the distribution;
        ``None`` takes the default of the precision in force (``TOLERANCES``:
        1e-12, 1e-12, 1e-13 in float64; 1e-5, 2e-6, 2e-7 in float32, where the
        recomputed equilibrium conditions are checked at 1e-4 instead of ``GE_TOL``).
    max_iter : int
        Newton iterations of the GE root at most.
    throw : bool
        ``True`` (default): a failure raises, ``ConvergenceError`` with every
        residual when called eagerly (``ValueError`` naming the rule for
        parameters outside the model's domain), a ``RuntimeError`` at run time
        under ``jit``/``vmap``. ``False``: never raises; read
        ``eq.info.converged`` (one flag per lane under ``vmap``).

    Returns
    -------
    Equilibrium
        Differentiable in ``p`` (``jax.jacfwd`` through the implicit-function
        rules of the root and the inner fixed points); works under
        ``jax.jit(lambda p: solve_equilibrium(p, throw=False))`` and ``vmap``.

    Examples
    --------
    >>> from jaxtrade.models.multiproduct import standard_params
    >>> eq = solve_equilibrium(standard_params(n_z=11, n_products=4))
    >>> bool(eq.info.converged), eq.info.reason, float(eq.N_E)
    (True, '', 1.0)
    >>> max(abs(float(eq.residuals[k])) for k in RESIDUAL_NAMES) < GE_TOL
    True
    """
    _choice("entry", entry, ENTRY_MODES)
    tol, tol_v, tol_mu = _resolve_tolerances(tol, tol_v, tol_mu)
    if throw and is_traced(p):
        p = validate_params(p)  # compiled-in checks; concrete parameters were validated when built
    eq = _solve_core(p, entry, tol, tol_v, tol_mu, max_iter)
    if throw and not is_traced(eq.info) and not bool(np.all(np.asarray(eq.info.converged))):
        validate_params(p)  # parameters built around the factories: name the rule they break
    return finish(eq, throw=throw, what=_WHAT, tol=tol, extra=_diagnostics)


# ------------------------------------------------------------------ batches
def _static(p: MultiproductParams):
    return (p.n_z, p.n_products, p.cost_form)


def stack_params(params: Sequence[MultiproductParams]) -> MultiproductParams:
    """Stack parameter pytrees along a new leading batch axis.

    Every member must share the static fields (``n_z``, ``n_products``,
    ``cost_form``); each member is validated (:func:`validate_params`).
    """
    params = list(params)
    if not params:
        raise ValueError("params must contain at least one MultiproductParams")
    if not all(isinstance(p, MultiproductParams) for p in params):
        raise ValueError("params must be a sequence of MultiproductParams")
    first = _static(params[0])
    for i, p in enumerate(params):
        if _static(p) != first:
            raise ValueError(
                f"params[{i}] must share (n_z, n_products, cost_form) = {first} with params[0], got {_static(p)}"
            )
        validate_params(p)
    return jax.tree_util.tree_map(lambda *xs: jnp.asarray(np.stack([np.asarray(x) for x in xs])), *params)


def unstack_params(batch: MultiproductParams) -> list[MultiproductParams]:
    """Split a batched parameter pytree into its members (inverse of :func:`stack_params`)."""
    n = batch_size(batch)
    host = jax.tree_util.tree_map(np.asarray, batch)
    return [jax.tree_util.tree_map(lambda x, i=i: jnp.asarray(x[i]), host) for i in range(n)]


def _validate_batch(batch: MultiproductParams) -> int:
    """Check the leading axes and every member's domain; return the batch size."""
    if not isinstance(batch, MultiproductParams):
        raise ValueError("params_batch must be a MultiproductParams with a leading batch axis or a sequence of them")
    n = batch_size(batch)
    if np.shape(batch.tau) != (n, batch.n_products):
        raise ValueError(
            f"tau must have shape (batch, n_products) = ({n}, {batch.n_products}), got {np.shape(batch.tau)}"
        )
    for name in ("sigma", "epsilon", "beta", "mu_E", "xi", "gamma", "gamma_0"):
        if np.ndim(getattr(batch, name)) != 1:
            raise ValueError(f"{name} must have shape (batch,), got {np.shape(getattr(batch, name))}")
    host = jax.tree_util.tree_map(np.asarray, batch)
    for i in range(n):
        validate_params(jax.tree_util.tree_map(lambda x, i=i: x[i], host))
    return n


@functools.cache
def _batched_solver(
    mesh, method: str, map_batch_size, entry: str, tol: float, tol_v: float, tol_mu: float, max_iter: int
):
    """Jitted, sharded batch solve per mesh and option set (cached, so repeated calls do not recompile)."""

    def one(p):
        return _solve_core(p, entry, tol, tol_v, tol_mu, max_iter)

    if method == "vmap":
        local = jax.vmap(one)
    else:

        def local(pb):
            return jax.lax.map(one, pb, batch_size=map_batch_size)

    spec = PartitionSpec("batch")
    return jax.jit(jax.shard_map(local, mesh=mesh, in_specs=spec, out_specs=spec, check_vma=False))


def resolve_batch_method(method: BatchMethod, devices=None) -> Literal["vmap", "map"]:
    """The per-device layout ``method`` stands for: ``"auto"`` is ``"map"`` on CPU devices, else ``"vmap"``.

    On a CPU the lockstep of a vmapped batch costs more than it saves (module
    docstring); ``devices`` default to ``jax.devices()``.

    >>> resolve_batch_method("auto", jax.devices("cpu")), resolve_batch_method("vmap", jax.devices("cpu"))
    ('map', 'vmap')
    """
    _choice("method", method, BATCH_METHODS)
    if method == "vmap" or method == "map":
        return method
    first = (jax.devices() if devices is None else list(devices))[0]
    return "map" if first.platform == "cpu" else "vmap"


def solve_equilibrium_batch(
    params_batch,
    *,
    devices=None,
    entry: EntryMode = "normalize",
    tol: float | None = None,
    tol_v: float | None = None,
    tol_mu: float | None = None,
    max_iter: int = 50,
    method: BatchMethod = "auto",
    map_batch_size: int | None = None,
    pad: bool = False,
    validate: bool = True,
    throw: bool = True,
) -> Equilibrium:
    """Solve the stationary GE for a batch of parameter vectors, sharded over ``devices``.

    Parameters
    ----------
    params_batch : sequence of MultiproductParams or MultiproductParams
        A sequence (stacked with :func:`stack_params`) or an already stacked
        pytree (leading batch axis on every array leaf).
    devices : sequence of devices, optional
        Devices of the one-dimensional mesh over which the batch axis is split
        (``NamedSharding`` with ``PartitionSpec("batch")``); ``None`` uses all
        devices of the default backend (``jax.devices()``); a list of one device
        solves the whole batch on that device.
    entry, tol, tol_v, tol_mu, max_iter :
        As in :func:`solve_equilibrium`.
    method : {"auto", "vmap", "map"}
        How each device solves its slice (module docstring); ``"auto"``:
        ``"map"`` on CPU devices, ``"vmap"`` on accelerators.
    map_batch_size : int, optional
        With ``method="map"``: members vmapped together per ``lax.map`` step
        (``None``: one at a time).
    pad : bool
        When the batch size is not a multiple of the device count: ``False``
        (default) raises ``ValueError``; ``True`` pads by repeating the last
        member and trims the outputs (the trimmed outputs may then be
        re-laid out by XLA).
    validate : bool
        Check every member of a stacked batch against the rules
        (host-side, once per call; a sequence is checked by :func:`stack_params`).
    throw : bool
        ``True`` (default): raise ``ConvergenceError`` (per-member iterations
        and residuals) unless every member converged. ``False``: never raises;
        ``eq.info.converged`` has one flag per member.

    Returns
    -------
    Equilibrium
        Batched: every leaf has the leading batch axis, e.g. ``eq.W`` is
        ``(batch,)``, ``eq.v`` is ``(batch, n_z, n_products + 1)``.

    Examples
    --------
    The batch compiles its own sharded program (tens of seconds on a small CPU;
    run by ``tests/models/test_multiproduct_sharding.py``, skipped as a doctest):

    >>> from jaxtrade.models.multiproduct import standard_params
    >>> p = standard_params(n_z=11, n_products=4)
    >>> eq = solve_equilibrium_batch([p, p.replace(xi=2.4)], devices=jax.devices()[:1],
    ...                              method="map")  # doctest: +SKIP
    >>> eq.W.shape, np.asarray(eq.info.converged).tolist()  # doctest: +SKIP
    ((2,), [True, True])
    """
    _choice("entry", entry, ENTRY_MODES)
    tol, tol_v, tol_mu = _resolve_tolerances(tol, tol_v, tol_mu)
    if map_batch_size is not None and (isinstance(map_batch_size, bool) or int(map_batch_size) < 1):
        raise ValueError(f"map_batch_size must be None or an int >= 1, got {map_batch_size!r}")
    if isinstance(params_batch, (list, tuple)):
        batch = stack_params(params_batch)
    else:
        batch = params_batch
        if validate:
            _validate_batch(batch)
    if not isinstance(batch, MultiproductParams):
        raise ValueError("params_batch must be a MultiproductParams with a leading batch axis or a sequence of them")
    n = batch_size(batch)
    mesh = device_mesh("batch", devices)
    n_dev = mesh.shape["batch"]
    layout = resolve_batch_method(method, list(mesh.devices.flat))  # checks ``method`` too
    if n % n_dev != 0:
        if not pad:
            raise ValueError(f"batch size {n} must be a multiple of the {n_dev} devices (or pass pad=True)")
        batch, n = pad_batch(batch, n_dev)
    sharded = shard_batch(batch, mesh, "batch")
    mbs = None if map_batch_size is None else int(map_batch_size)
    solver = _batched_solver(mesh, layout, mbs, entry, float(tol), float(tol_v), float(tol_mu), int(max_iter))
    eq = solver(sharded)
    if batch_size(sharded) != n:
        eq = jax.tree_util.tree_map(lambda leaf: leaf[:n], eq)
    eq = gather(eq)  # members solved on other processes' devices (jax.distributed) come back to every process
    return finish(eq, throw=throw, what=f"{_WHAT}, batch", tol=tol, extra=_diagnostics)
