"""The solver contract: one result shape, one failure switch, one validation rule.

Every public solve in jaxtrade follows the same three rules (the pattern of
optimistix's ``throw=``):

1. **It returns a result carrying an** ``info`` **field**, a
   :class:`SolverInfo` with the number of iterations, the final residual
   (max-abs norm), a ``converged`` flag and ``result``, a :class:`RESULTS`
   item that says *why* a solve failed. Generic solvers return a
   :class:`Solution` ``(value, info)``; model solvers return their own
   equilibrium record with the same ``info`` field.
2. **It takes** ``throw: bool = True``. With ``throw=True`` a failed solve is
   an error: called eagerly it raises :class:`ConvergenceError` carrying the
   iterations, residual and reason; called under ``jit``/``vmap``/``grad`` the
   same check is compiled in with :func:`equinox.error_if` and a failure raises
   when the compiled program runs: a ``jax.errors.JaxRuntimeError`` (a
   ``RuntimeError``; some JAX code paths re-raise it as a ``ValueError``)
   whose text contains the message naming the solve and the reason, or, under
   :func:`equinox.filter_jit`, a clean ``equinox.EquinoxRuntimeError``.
   ``EQX_ON_ERROR=nan`` or ``off`` change the behaviour (see equinox). With
   ``throw=False`` nothing is raised and the caller reads ``info.converged``
   (one flag per lane under ``vmap``). Both paths go through :func:`finish`.
3. **Parameters are checked by declared rules.** A model lists its valid
   domain as :class:`Rule` objects; :func:`enforce` raises ``ValueError``
   naming the field, the rule and the offending value on concrete input and
   compiles the same checks in with :func:`equinox.error_if` under a trace;
   :func:`rules_hold` gives the per-lane flag a ``throw=False`` batch folds
   into its ``info``.

Inside their own loops the solvers always call each other with
``throw=False`` and combine the inner diagnostics with :func:`combine_info`,
so a failure anywhere reaches the caller once, through the outer ``info``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypeVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "RESULTS",
    "ConvergenceError",
    "Rule",
    "Solution",
    "SolverInfo",
    "combine_info",
    "enforce",
    "finish",
    "flag_nonfinite",
    "is_traced",
    "outputs_finite",
    "rules_hold",
    "solver_info",
]

T = TypeVar("T")


class RESULTS(eqx.Enumeration):
    """Why a solve ended. ``RESULTS.successful`` is the only success.

    Under ``vmap`` a result is one item per lane; when several lanes fail, a
    raised error reports the one listed last here.
    """

    successful = ""
    max_iterations = "the iteration limit was reached before the tolerance was met"
    stalled = "the step could not reduce the residual any further (no solution near the iterate)"
    inner_failed = "an inner solve (value function, distribution or market clearing) did not converge"
    check_failed = "a recomputed equilibrium condition exceeds its tolerance"
    no_bracket = "no starting bracket exists: these parameters admit no interior solution of this kind"
    nonfinite = "the residual or an output became NaN or infinite"
    invalid_parameters = "the parameters are outside the model's valid domain"


# ``RESULTS.successful`` etc. are items at run time but strings to a type checker (equinox's Enumeration)
_RESULTS: Any = None  # set below, once RESULTS exists


class SolverInfo(eqx.Module):
    """Diagnostics every jaxtrade solver returns.

    Attributes
    ----------
    iterations:
        Iterations performed (int array; one per lane under ``vmap``).
    residual:
        Max-abs residual at the returned point (float array; ``inf`` when not finite).
    converged:
        ``True`` when the solve met its tolerance and every inner solve and
        check succeeded (bool array).
    result:
        A :class:`RESULTS` item; ``info.reason`` is its message.
    """

    iterations: jax.Array
    residual: jax.Array
    converged: jax.Array
    result: RESULTS

    def __repr__(self) -> str:
        """The numbers (not ``i32[]`` shapes): ``SolverInfo(iterations=7, residual=2.1e-13, converged=True, ...)``.

        Under a trace (abstract values) the field shapes are shown instead.
        """
        leaves = (self.iterations, self.residual, self.converged, self.result._value)
        if any(isinstance(x, jax.core.Tracer) for x in leaves):
            return f"SolverInfo(iterations={self.iterations}, residual={self.residual}, converged={self.converged})"
        it, res, conv = (np.asarray(x) for x in leaves[:3])
        if it.ndim == 0:
            return (f"SolverInfo(iterations={int(it)}, residual={float(res):.3g}, converged={bool(conv)}, "
                    f"reason={self.reason!r})")  # fmt: skip
        return (f"SolverInfo(iterations={it.tolist()}, residual={np.array2string(res, precision=3)}, "
                f"converged={conv.tolist()}, reason={self.reason!r})")  # fmt: skip

    @property
    def reason(self) -> str | list[str]:
        """Why the solve stopped: ``""`` on success, else the :class:`RESULTS` message.

        A list (one message per lane) for batched results. Needs concrete values.
        """
        values = np.asarray(self.result._value)
        messages = RESULTS._index_to_message
        if values.ndim == 0:
            return messages[int(values)]
        return [messages[int(v)] for v in values.ravel()]


_RESULTS = RESULTS


class Solution(eqx.Module):
    """The result of a generic solve: ``value`` (same structure as the initial guess) and ``info``."""

    value: Any
    info: SolverInfo


class ConvergenceError(RuntimeError):
    """A solver stopped before meeting its tolerance (raised eagerly by ``throw=True``).

    Attributes
    ----------
    what:
        A short name of the solve that failed.
    iterations, residual:
        What the solver reached (arrays when the solve was batched).
    tol:
        The tolerance, when known.
    reason:
        The :class:`RESULTS` message(s) of the failure.
    """

    def __init__(self, what: str, iterations, residual, tol=None, extra: str = "", reason: str | list | None = None):
        self.what = what
        self.iterations = np.asarray(iterations)
        self.residual = np.asarray(residual)
        self.tol = tol
        self.reason = reason
        msg = f"{what} did not converge"
        if reason:
            msg += f" ({_unique_reasons(reason)})"
        msg += f": iterations={self.iterations.tolist()}, residual={self.residual.tolist()}"
        if tol is not None:
            msg += f", tolerance={tol}"
        if extra:
            msg += f"; {extra}"
        super().__init__(msg)


def _unique_reasons(reason) -> str:
    if isinstance(reason, str):
        return reason
    return "; ".join(dict.fromkeys(r for r in reason if r))


def is_traced(x) -> bool:
    """True when ``x`` (or any leaf of it) is a JAX tracer (inside jit/vmap/grad)."""
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(x))


def solver_info(iterations, residual, tol, *, stalled=False, bracketed=True) -> SolverInfo:
    """The :class:`SolverInfo` of an iterative solve that stopped at ``residual`` after ``iterations``.

    ``converged`` is ``residual <= tol`` and finite: the one definition of
    convergence in jaxtrade. The reason for a failure is, in order of
    precedence: no bracket (``bracketed`` false), a non-finite residual, a
    stalled step (``stalled`` true), otherwise the iteration limit.
    """
    residual = jnp.asarray(residual)
    finite = jnp.isfinite(residual)
    converged = finite & (residual <= tol)
    failure = _RESULTS.where(
        ~jnp.asarray(bracketed),
        _RESULTS.no_bracket,
        _RESULTS.where(
            ~finite, _RESULTS.nonfinite, _RESULTS.where(jnp.asarray(stalled), _RESULTS.stalled, _RESULTS.max_iterations)
        ),
    )
    result = _RESULTS.where(converged, _RESULTS.successful, failure)
    return SolverInfo(iterations=jnp.asarray(iterations), residual=residual, converged=converged, result=result)


def combine_info(
    outer: SolverInfo, *inner: SolverInfo, checks_hold: Any = True, params_valid: Any = True
) -> SolverInfo:
    """Fold inner solves and final checks into the outer solve's :class:`SolverInfo`.

    Iterations and residual are the outer solve's. ``converged`` holds only
    when the outer and every inner solve converged, the recomputed checks
    (``checks_hold``) hold and the parameters are valid (``params_valid``).
    The reason is the first failure among: invalid parameters, the outer
    solve's own reason, an inner solve (:attr:`RESULTS.inner_failed`), the checks.
    """
    inner_ok = jnp.asarray(True)
    for info in inner:
        inner_ok = inner_ok & jnp.all(info.converged)
    checks_hold = jnp.asarray(checks_hold)
    params_valid = jnp.asarray(params_valid)
    converged = outer.converged & inner_ok & checks_hold & params_valid
    result = _RESULTS.where(
        ~params_valid,
        _RESULTS.invalid_parameters,
        _RESULTS.where(
            ~outer.converged,
            outer.result,
            _RESULTS.where(
                ~inner_ok,
                _RESULTS.inner_failed,
                _RESULTS.where(~checks_hold, _RESULTS.check_failed, _RESULTS.successful),
            ),
        ),
    )
    return SolverInfo(iterations=outer.iterations, residual=outer.residual, converged=converged, result=result)


def outputs_finite(out) -> jax.Array:
    """``True`` where every floating-point array in ``out`` is finite; its :class:`SolverInfo` fields are skipped.

    Reduces over all elements, so it is one flag per lane when called inside
    the function a ``vmap`` maps (the model solvers call it in their jitted
    bodies). Integer, boolean and non-array leaves are ignored.
    """
    ok = jnp.asarray(True)
    for leaf in jax.tree_util.tree_leaves(out, is_leaf=lambda x: isinstance(x, SolverInfo)):
        if not isinstance(leaf, SolverInfo) and eqx.is_inexact_array(leaf):
            ok = ok & jnp.all(jnp.isfinite(leaf))
    return ok


def flag_nonfinite(out: T, outputs=None) -> T:
    """``out`` (a record with an ``info`` field) with a NaN or infinite output counted as a failure.

    Where :func:`outputs_finite` is false, ``info.converged`` becomes false and
    the reason :attr:`RESULTS.nonfinite`, unless the solve already failed for a
    reason that explains the non-finite numbers better
    (:attr:`RESULTS.invalid_parameters`, :attr:`RESULTS.no_bracket`). The
    model solvers apply it to their final record, so that no lane reports
    ``converged=True`` with NaN or inf in its outputs. ``outputs`` (default:
    ``out`` itself) names the part to check where a record holds NaN by
    design (e.g. the unused tail of an iteration history).
    """
    info: SolverInfo = out.info  # type: ignore[attr-defined]
    finite = outputs_finite(out if outputs is None else outputs)
    explained = (info.result == _RESULTS.invalid_parameters) | (info.result == _RESULTS.no_bracket)
    result = _RESULTS.where(finite | explained, info.result, _RESULTS.nonfinite)
    flagged = SolverInfo(
        iterations=info.iterations, residual=info.residual, converged=info.converged & finite, result=result
    )
    return eqx.tree_at(lambda o: o.info, out, flagged)


def finish(out: T, *, throw: bool, what: str, tol=None, extra: Callable[[T], str] | None = None) -> T:
    """Apply the ``throw`` switch to a solver's result ``out`` (a :class:`SolverInfo` or anything with an ``info`` field).

    ``throw=False``: return ``out`` unchanged. ``throw=True`` and concrete
    values: raise :class:`ConvergenceError` (with ``extra(out)`` appended to
    the message) unless every lane converged. ``throw=True`` under a trace:
    compile the same check in with :func:`equinox.branched_error_if`, so the
    error is raised when the traced program runs.
    """
    if not throw:
        return out
    info: SolverInfo = out if isinstance(out, SolverInfo) else out.info  # type: ignore[attr-defined]
    if is_traced(info):
        messages = [f"{what} did not converge: {m}" for m in RESULTS._index_to_message]
        return eqx.branched_error_if(out, ~info.converged, info.result._value, messages)
    if not bool(np.all(np.asarray(info.converged))):
        raise ConvergenceError(
            what, info.iterations, info.residual, tol=tol, reason=info.reason, extra=extra(out) if extra else ""
        )
    return out


class Rule(NamedTuple):
    """One condition of a model's valid domain.

    ``fields`` names the parameter(s) involved (comma-separated); ``rule``
    completes the sentence "<fields> must ..." of the error message, with its
    source where there is one (e.g. ``"satisfy sigma - 1 < k < 2(sigma - 1)
    (Assumption 1, eq. 19)"`` or ``"be > 0"``); ``holds`` maps the parameters
    to a boolean array (false for NaN).
    """

    fields: str
    rule: str
    holds: Callable[[Any], Any]


def _field_values(params, fields: str) -> str:
    parts = []
    for name in (f.strip() for f in fields.split(",")):
        value = getattr(params, name, None)
        if value is not None and not callable(value):
            parts.append(f"{name}={np.asarray(value).tolist()}")
    return ", ".join(parts)


def enforce(params: T, rules: Sequence[Rule], *, traced: str = "error") -> T:
    """Check ``params`` against ``rules``; return ``params``.

    Concrete values: raise ``ValueError("<fields> must <rule>, got
    <values>")`` for the first rule broken. Traced values (inside
    ``jit``/``vmap``/``grad``): with ``traced="error"`` (models) the checks are
    compiled in with :func:`equinox.error_if` and raise the same message at
    run time, provided the returned ``params`` are used; with
    ``traced="skip"`` (numerical kernels, whose callers validate their own
    parameters) they are left out.
    """
    if traced not in ("error", "skip"):
        raise ValueError(f"traced must be 'error' or 'skip', got {traced!r}")
    for r in rules:
        ok = r.holds(params)
        if is_traced(ok):
            if traced == "error":
                params = eqx.error_if(params, ~jnp.all(jnp.asarray(ok)), f"{r.fields} must {r.rule}")
        elif not bool(np.all(np.asarray(ok))):
            raise ValueError(f"{r.fields} must {r.rule}, got {_field_values(params, r.fields)}")
    return params


def rules_hold(params, rules: Sequence[Rule]) -> jax.Array:
    """``True`` where every rule holds (one flag per lane under ``vmap``); never raises."""
    ok = jnp.asarray(True)
    for r in rules:
        ok = ok & jnp.all(jnp.asarray(r.holds(params)))
    return ok
