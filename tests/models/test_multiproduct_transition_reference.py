"""jaxtrade's multiproduct transition (sequence-space quasi-Newton, fake-news Jacobian) against an independent
NumPy reference (``benchmarks/reference/multiproduct_transition_numpy.py``: its own steady states on top of the
stationary NumPy reference and a stacked Newton method with a central finite-difference Jacobian)."""

from __future__ import annotations

import numpy as np
import pytest

from jaxtrade.models.multiproduct import solve_equilibrium, standard_params
from jaxtrade.models.multiproduct.transition import solve_transition
from tests.models.numpy_reference import reference_module

pytestmark = pytest.mark.slow  # the first jaxtrade solve compiles the path solver (~25 s on a small CPU)

T = 40
TOL = 1e-6
CASES = {"flat_5pct": [0.05, 0.05, 0.05, 0.05], "non_flat": [0.02, 0.04, 0.08, 0.12]}


@pytest.fixture(scope="module")
def setup():
    p = standard_params(n_z=15, n_products=4, smoothing=1e-3)
    ref = reference_module("multiproduct_transition_numpy")
    return p, ref, ref.stationary_reference().params_to_dict(p), solve_equilibrium(p)


@pytest.mark.parametrize("case", list(CASES))
def test_transition_agrees_with_numpy_reference(setup, case):
    p, ref, q0, ss0 = setup
    tau = np.asarray(CASES[case])
    r = ref.solve_transition(q0, tau, T, tol=1e-11)
    tr = solve_transition(p, tau, ss0=ss0, T=T, tol=1e-11)
    assert r["converged"] and r["max_residual"] < 1e-11, r["history"]
    assert bool(tr.info.converged), tr.info

    # the same steady states at both ends
    for name in ("A", "W", "C", "K", "N_E"):
        assert float(getattr(tr.ss0, name)) == pytest.approx(r["ss0"][name], rel=1e-8), name
        assert float(getattr(tr.ss1, name)) == pytest.approx(r["ss1"][name], rel=1e-8), name

    # unknowns (log A, log d, N_E, log K_{t+1}): O(1), absolute (relative in levels for the logs)
    U = np.asarray(tr.unknowns)
    assert U.shape == r["unknowns"].shape == (4, T)
    np.testing.assert_allclose(U, r["unknowns"], rtol=0, atol=TOL)

    # aggregate paths
    for name in ("C", "K", "W", "R", "D", "N", "avg_export_scope"):
        np.testing.assert_allclose(np.asarray(tr.paths[name]), r[name], rtol=TOL, atol=0, err_msg=name)

    # jaxtrade's solution satisfies the reference's equations
    res, _ = ref.residual(q0, r["tau"], U, r["ss0"], r["ss1"])
    assert np.max(np.abs(res)) < 1e-8

    # welfare along the two paths (the reference's exact CEV)
    beta, sigma = float(p.beta), float(p.sigma)
    cev_jt = ref.cev(np.asarray(tr.paths["C"]), float(tr.ss0.C), float(tr.ss1.C), beta, sigma, T)
    cev_ref = ref.cev(r["C"], r["ss0"]["C"], r["ss1"]["C"], beta, sigma, T)
    assert cev_jt == pytest.approx(cev_ref, abs=1e-8)


def test_reference_cev_helper():
    ref = reference_module("multiproduct_transition_numpy")
    beta, sigma, C0 = 0.95, 2.0, 1.3
    assert ref.cev(np.full(10, C0), C0, C0, beta, sigma, 10) == pytest.approx(0.0, abs=1e-14)
    # a uniform 3 % increase at every date is a CEV of exactly 3 %, at sigma = 2 and in the log limit
    assert ref.cev(np.full(10, 1.03 * C0), C0, 1.03 * C0, beta, sigma, 10) == pytest.approx(0.03, rel=1e-12)
    assert ref.cev(np.full(10, 1.03 * C0), C0, 1.03 * C0, beta, 1.0, 10) == pytest.approx(0.03, rel=1e-12)
