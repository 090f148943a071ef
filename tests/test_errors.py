"""The solver contract (jaxtrade.errors): reasons, folding inner solves, throw eagerly and compiled in, rules."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxtrade.errors import (
    RESULTS,
    ConvergenceError,
    Rule,
    Solution,
    combine_info,
    enforce,
    finish,
    rules_hold,
    solver_info,
)


def test_solver_info_reasons_in_order_of_precedence():
    ok = solver_info(3, 1e-13, 1e-12)
    assert bool(ok.converged) and ok.reason == ""
    assert solver_info(9, 1e-3, 1e-12).reason == RESULTS[RESULTS.max_iterations]
    assert solver_info(9, jnp.inf, 1e-12).reason == RESULTS[RESULTS.nonfinite]
    assert solver_info(9, 1e-3, 1e-12, stalled=True).reason == RESULTS[RESULTS.stalled]
    assert solver_info(0, jnp.nan, 1e-12, bracketed=False).reason == RESULTS[RESULTS.no_bracket]
    lanes = jax.vmap(lambda r: solver_info(1, r, 1e-12))(jnp.array([0.0, 1.0, jnp.nan]))
    assert lanes.converged.tolist() == [True, False, False]
    assert lanes.reason == ["", RESULTS[RESULTS.max_iterations], RESULTS[RESULTS.nonfinite]]


def test_combine_info_folds_inner_solves_checks_and_parameters():
    outer, bad = solver_info(2, 0.0, 1e-12), solver_info(5, 1.0, 1e-12)
    assert bool(combine_info(outer, outer).converged)
    assert combine_info(outer, bad).reason == RESULTS[RESULTS.inner_failed]
    assert combine_info(outer, checks_hold=False).reason == RESULTS[RESULTS.check_failed]
    assert combine_info(bad, bad, params_valid=False).reason == RESULTS[RESULTS.invalid_parameters]
    assert combine_info(bad).reason == RESULTS[RESULTS.max_iterations]
    assert int(combine_info(outer, bad).iterations) == 2  # the outer solve's count


def test_finish_raises_eagerly_and_when_compiled_and_passes_with_throw_false():
    failed = Solution(value=jnp.ones(2), info=solver_info(7, 0.5, 1e-12))
    with pytest.raises(ConvergenceError) as err:
        finish(failed, throw=True, what="demo solve", tol=1e-12, extra=lambda s: "hint")
    assert err.value.what == "demo solve" and int(err.value.iterations) == 7 and err.value.tol == 1e-12
    assert "iteration limit" in str(err.value) and "hint" in str(err.value)
    assert finish(failed, throw=False, what="demo solve") is failed
    assert finish(failed.info, throw=False, what="an info alone") is failed.info

    def run(residual):
        sol = Solution(value=residual * 2.0, info=solver_info(1, residual, 1e-12))
        return finish(sol, throw=True, what="compiled demo").value

    assert float(jax.jit(run)(0.0)) == 0.0
    with pytest.raises((RuntimeError, ValueError), match="compiled demo did not converge"):
        jax.block_until_ready(jax.jit(run)(1.0))
    with pytest.raises((RuntimeError, ValueError), match="compiled demo did not converge"):
        jax.block_until_ready(jax.jit(jax.vmap(run))(jnp.array([0.0, 1.0])))


class _P(NamedTuple):
    a: Any
    b: Any


RULES = (
    Rule("a", "be > 0 (a demo rule)", lambda p: p.a > 0),
    Rule("a, b", "satisfy a < b", lambda p: p.a < p.b),
)


def test_rules_name_the_field_the_rule_and_the_value():
    assert enforce(_P(1.0, 2.0), RULES) == _P(1.0, 2.0)
    with pytest.raises(ValueError, match=r"a must be > 0 \(a demo rule\), got a=-1.0"):
        enforce(_P(-1.0, 2.0), RULES)
    with pytest.raises(ValueError, match=r"a, b must satisfy a < b, got a=3.0, b=2.0"):
        enforce(_P(3.0, 2.0), RULES)
    with pytest.raises(ValueError, match="a must be > 0"):
        enforce(_P(np.nan, 2.0), RULES)  # NaN breaks every rule
    # traced: compiled in (traced="error") or left to the caller (traced="skip")
    with pytest.raises((RuntimeError, ValueError), match="a must be > 0"):
        jax.block_until_ready(jax.jit(lambda a: enforce(_P(a, 2.0), RULES).a)(-1.0))
    assert float(jax.jit(lambda a: enforce(_P(a, 2.0), RULES, traced="skip").a)(-1.0)) == -1.0
    flags = jax.vmap(lambda a: rules_hold(_P(a, 2.0), RULES))(jnp.array([1.0, -1.0, 3.0]))
    assert flags.tolist() == [True, False, False]


def test_solver_info_prints_its_numbers():
    """``print(eq.info)`` shows values, not ``i32[]`` shapes (issue 15); batched infos show one per lane."""
    import jax
    import jax.numpy as jnp

    from jaxtrade.errors import solver_info

    info = solver_info(jnp.asarray(7), jnp.asarray(2.5e-13), 1e-10)
    assert repr(info) == "SolverInfo(iterations=7, residual=2.5e-13, converged=True, reason='')"
    batch = jax.vmap(lambda r: solver_info(jnp.asarray(3), r, 1e-10))(jnp.array([1e-12, 1.0]))
    text = repr(batch)
    assert "converged=[True, False]" in text and "iteration limit" in text and "i32[" not in text
