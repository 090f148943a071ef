"""Transitions after tariff changes (jaxtrade.models.multiproduct.transition) on a small grid.

Correctness: the fake-news Jacobian against a brute-force ``jax.jacfwd`` of the
stacked residual; a zero shock returns the steady state; the path reaches the
terminal steady state; the answer does not depend on T; small liberalizations
and trade wars are mirror images; per-period accounting; both methods agree.
Robustness: bad tariffs and options are named errors; a solve cut short
reports it (flag or ``ConvergenceError``). The independent NumPy reference is
in ``test_multiproduct_transition_reference.py``; welfare and tariff schedules
in ``test_multiproduct_policy.py``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxtrade.errors import ConvergenceError
from jaxtrade.models import multiproduct as mp
from jaxtrade.models.multiproduct import transition as tr

pytestmark = pytest.mark.slow  # each (grid, T) compiles the path solver once (~20 s on a small CPU)

T = 120  # long enough that the small economy is within 1e-6 of its terminal steady state


@pytest.fixture(scope="module")
def model():
    p = mp.standard_params(n_z=15, n_products=4, smoothing=1e-3)
    return p, mp.solve_equilibrium(p)


@pytest.fixture(scope="module")
def liberalization(model):
    p, ss0 = model
    return tr.solve_transition(p, jnp.full((4,), 0.05), ss0=ss0, T=T)


# ---------------------------------------------------------------------------------------------- correctness
def test_fake_news_jacobian_equals_brute_force_jacfwd(model):
    p, ss0 = model
    Tj = 25
    jac = tr.sequence_jacobian(p, ss0, Tj)
    data = tr.path_data(p, tr.tariff_path(p.tau, Tj), ss0, ss0)
    U = tr.steady_state_unknowns(p, ss0, Tj)
    brute = jax.jacfwd(lambda u: tr.path_residual(u.reshape(4, Tj), data).ravel())(U.ravel())
    assert float(jnp.max(jnp.abs(brute))) > 0.1  # a non-trivial Jacobian
    np.testing.assert_allclose(np.asarray(jac.G), np.asarray(brute), atol=1e-9, rtol=0)
    # the firm block's own Jacobian: entrants raise next year's mass and price-index sum, not this year's
    J = np.asarray(jac.firm["S_P/N_E"])
    assert np.all(np.diag(J) == 0) and np.all(np.diag(J, -1) > 0)


def test_zero_shock_returns_the_steady_state(model):
    p, ss0 = model
    out = tr.solve_transition(p, p.tau, ss0=ss0, T=T)
    assert bool(out.info.converged) and int(out.info.iterations) == 0
    for name in ("C", "K", "W", "D", "N", "avg_export_scope"):
        np.testing.assert_allclose(np.asarray(out.paths[name]), float(tr.steady_state_value(ss0, name)), rtol=1e-9)
    assert float(jnp.max(jnp.abs(out.residuals))) < 1e-9


def test_path_converges_to_the_terminal_steady_state(liberalization):
    out = liberalization
    assert bool(out.info.converged) and float(out.info.residual) <= 1e-8
    assert bool(out.entry_interior)
    for name in ("C", "K", "W", "D", "N", "avg_export_scope"):
        last = float(out.paths[name][-1])
        assert abs(last / float(tr.steady_state_value(out.ss1, name)) - 1.0) < 1e-5, name
    # the change is not trivial: consumption and export scope move on impact or soon after
    assert float(out.deviation("C")[0]) > 0.5 and float(out.deviation("avg_export_scope")[5]) > 5.0


def test_answer_does_not_depend_on_the_horizon(model, liberalization):
    p, ss0 = model
    longer = tr.solve_transition(p, jnp.full((4,), 0.05), ss0=ss0, T=2 * T)
    for name in ("C", "K", "W", "N_E"):
        np.testing.assert_allclose(
            np.asarray(longer.paths[name][: T // 2]), np.asarray(liberalization.paths[name][: T // 2]), rtol=1e-8
        )


def test_small_liberalization_and_trade_war_are_mirror_images(model):
    p, ss0 = model
    dtau = 1e-3
    up = tr.solve_transition(p, p.tau + dtau, ss0=ss0, T=T)
    down = tr.solve_transition(p, p.tau - dtau, ss0=ss0, T=T)
    for name in ("C", "K", "W", "avg_export_scope"):
        a, b = np.asarray(up.deviation(name))[: T // 2], np.asarray(down.deviation(name))[: T // 2]
        scale = np.max(np.abs(b))
        assert scale > 1e-4
        np.testing.assert_allclose(a, -b, atol=0.05 * scale)  # equal and opposite up to second order


def test_per_period_accounting(liberalization):
    acc = {k: float(v) for k, v in liberalization.accounting.items()}
    assert set(acc) == {"household_budget", "goods_market", "labour_market"}
    assert max(acc.values()) < 1e-7, acc


def test_quasi_newton_and_broyden_agree(model, liberalization):
    p, ss0 = model
    qn = tr.solve_transition(p, jnp.full((4,), 0.05), ss0=ss0, T=T, method="quasi_newton")
    assert bool(qn.info.converged)
    np.testing.assert_allclose(np.asarray(qn.unknowns), np.asarray(liberalization.unknowns), atol=1e-7)


def test_a_tariff_path_with_a_phase_in(model):
    p, ss0 = model
    path = np.full((T, 4), 0.05)
    path[:5] = np.linspace(0.09, 0.05, 5)[:, None]  # announced five-year phase-in
    out = tr.solve_transition(p, path, ss0=ss0, T=T)
    assert bool(out.info.converged)
    np.testing.assert_allclose(np.asarray(out.tau), path)


# ---------------------------------------------------------------------------------------------- robustness
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(tau=np.full((3,), 0.05)), "tau must have shape"),
        (dict(tau=np.full((4,), -0.05)), "tau must satisfy tau >= 0"),
        (dict(tau=np.array([0.05, np.nan, 0.05, 0.05])), "tau must satisfy tau >= 0 and finite"),
        (dict(tau=np.full((4,), 0.05), method="secant"), "method must be one of"),
        (dict(tau=np.full((4,), 0.05), fallback="secant"), "fallback must be None or one of"),
        (dict(tau=np.full((4,), 0.05), T=1), "T must satisfy T >= 2"),
    ],
)
def test_bad_input_is_a_named_error(model, kwargs, match):
    p, ss0 = model
    with pytest.raises(ValueError, match=match):
        tr.solve_transition(p, ss0=ss0, **{"T": T, **kwargs})


def test_a_solve_cut_short_is_reported(model):
    p, ss0 = model
    out = tr.solve_transition(p, jnp.full((4,), 0.05), ss0=ss0, T=T, max_iter=1, fallback=None, throw=False)
    assert not bool(out.info.converged) and int(out.info.iterations) == 1
    assert "iteration limit" in out.info.reason
    with pytest.raises(ConvergenceError, match="transition path"):
        tr.solve_transition(p, jnp.full((4,), 0.05), ss0=ss0, T=T, max_iter=1, fallback=None)
    # the default fallback continues from there with exact Newton (the path Jacobian by forward mode)
    rescued = tr.solve_transition(p, jnp.full((4,), 0.05), ss0=ss0, T=T, max_iter=1, fallback_iter=6)
    assert bool(rescued.info.converged) and int(rescued.info.iterations) > 1


def test_jacobian_of_another_horizon_is_refused(model):
    p, ss0 = model
    jac = tr.sequence_jacobian(p, ss0, 10)
    with pytest.raises(ValueError, match="jacobian must be built for T"):
        tr.solve_transition(p, jnp.full((4,), 0.05), ss0=ss0, T=T, jacobian=jac)
