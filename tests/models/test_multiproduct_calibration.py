"""Calibration of the multiproduct model (jaxtrade.models.multiproduct.calibrate) on small grids.

Recovery of known parameters, the autodiff Jacobian against finite differences
along the smoothing path, the sensitivity matrix against re-estimation, and
the checks on data and parameters. The full-size calibration (101 x 10) is in
benchmarks/bench_calibration.py and the stored calibration it produced.
"""

from __future__ import annotations

import numpy as np
import pytest

from jaxtrade.estimation import Stage, data_derivative, estimate, moment_jacobian
from jaxtrade.models import multiproduct as mp
from jaxtrade.models.multiproduct import calibration as cal

SMALL = dict(n_z=11, n_products=4)


def small_base(smoothing=1e-2, name="standard"):
    return mp.preset(name, smoothing=smoothing, **SMALL)


def synthetic_data(problem, theta, smoothing):
    """Model moments at ``theta`` as data (they satisfy the model's identities exactly)."""
    m, ok = problem.evaluate(problem.space.to_unconstrained(theta), problem.with_fixed(smoothing=smoothing))
    assert bool(ok)
    return dict(zip(mp.TABLE5_NAMES, np.asarray(m).tolist()))


# On the small grid (4 products) the sunk cost is paid almost only on one-step moves, so gamma_2 and
# gamma_3 enter nearly through gamma_2 * step**gamma_3 (smallest singular value of the 7 x 7 Jacobian
# about 4e-4 there): the recovery test fixes gamma_3 and drops one of the two churning rates
# (section 4: gamma and gamma_3 "are jointly disciplined by product churning rates").
FREE = ("mu_E", "xi", "gamma", "gamma_0", "gamma_1", "gamma_2")
TARGETS = ("entrant_incumbent_gap", "industry_survival", "product_add_rate", "exporter_share", "exporter_survival",
           "single_product_share")  # fmt: skip


@pytest.fixture(scope="module")
def recovery():
    base = small_base()
    prob0 = cal.calibration_problem("standard", base=base, free=FREE, targets=TARGETS)
    truth = np.array([0.12, 2.3, 3.4, 0.0035, 2.1, 0.0028])
    data = synthetic_data(prob0, truth, 1e-2)
    prob = prob0.with_data(data)
    perturbed = truth * (1.0 + 0.1 * np.array([1, -1, 1, -1, 1, -1]))  # 10 % off in every direction
    start = dict(zip(prob.space.names, perturbed.tolist()))
    est = estimate(prob, start, stages=[Stage("smooth", {"smoothing": 1e-2}, options={"tol": 1e-12})],
                   progress=False)  # fmt: skip
    return prob, truth, est


def test_recovers_known_parameters_at_the_smooth_scale(recovery):
    prob, truth, est = recovery
    assert est.converged
    np.testing.assert_allclose(est.theta_vector, truth, rtol=1e-6)
    assert est.loss < 1e-20
    # untargeted moments and the identities come along
    assert abs(est.moments["single_product_share"] + est.moments["multi_product_share"] - 1.0) < 1e-12


def test_sensitivity_is_the_derivative_of_the_estimator(recovery):
    prob, truth, est = recovery
    implicit = data_derivative(prob, est.theta_vector, second_order=False)
    np.testing.assert_allclose(implicit, -est.inference.sensitivity, rtol=1e-8, atol=1e-10)
    # re-estimate with the exporter share moved by +-h: the finite difference of the estimator
    j = prob.targets.index("exporter_share")
    h = 1e-4
    thetas = []
    for sign in (1, -1):
        data = dict(prob.data)
        data["exporter_share"] += sign * h
        e = estimate(prob.with_data(data), est.theta, stages=[Stage("smooth", {"smoothing": 1e-2}, options={"tol": 1e-13})],
                     compute_inference=False, progress=False)  # fmt: skip
        thetas.append(e.theta_vector)
    fd = (thetas[0] - thetas[1]) / (2 * h)
    np.testing.assert_allclose(implicit[:, j], fd, rtol=2e-4, atol=1e-6)


@pytest.fixture(scope="module")
def standard_small():
    return cal.calibration_problem("standard", base=small_base())


@pytest.mark.parametrize(("smoothing", "rtol"), [(1e-2, 1e-6), (1e-3, 1e-5), (1e-4, 1e-4), (1e-5, 1e-3)])
def test_autodiff_jacobian_matches_central_differences_along_the_smoothing_path(standard_small, smoothing, rtol):
    base = small_base(smoothing)
    prob = standard_small
    theta = np.array([float(getattr(base, k)) for k in prob.space.names])
    fixed = prob.with_fixed(smoothing=smoothing)
    _, jac = moment_jacobian(prob, theta, fixed)
    # a step small against the taste-shock scale: the smoothed model's own derivative
    step = 1e-3 * smoothing
    fd = np.empty_like(jac)
    for i in range(theta.size):
        h = step * abs(theta[i])
        up, dn = theta.copy(), theta.copy()
        up[i] += h
        dn[i] -= h
        mu, _ = prob.evaluate(prob.space.to_unconstrained(up), fixed)
        md, _ = prob.evaluate(prob.space.to_unconstrained(dn), fixed)
        fd[:, i] = (np.asarray(mu) - np.asarray(md)) / (2 * h)
    scale = np.abs(jac * theta).max()
    err = np.abs((jac - fd) * theta).max() / scale
    assert err < rtol, f"autodiff vs central differences at smoothing {smoothing}: {err:.2e}"


def test_inconsistent_data_and_bad_starts_name_the_problem():
    base = small_base()
    data = dict(mp.TABLE5_DATA)
    data["multi_product_share"] = 0.60  # 0.45 + 0.60 != 1
    with pytest.raises(ValueError, match="single_product_share \\+ multi_product_share must equal 1.0"):
        cal.calibration_problem("standard", base=base, data=data)
    with pytest.raises(ValueError, match="target all but one"):
        cal.calibration_problem("standard", base=base,
                                targets=cal.TARGETS["standard"] + ("multi_product_share",))  # fmt: skip
    with pytest.raises(ValueError, match="xi must satisfy"):
        cal.calibrate("standard", base=base, start={**{k: float(getattr(base, k)) for k in cal.FREE["standard"]},
                                                    "xi": -1.0}, progress=False)  # fmt: skip
    with pytest.raises(ValueError, match="name must be one of"):
        cal.calibration_problem("nope")


def test_calibration_stages_anneal_and_report_at_the_preset_scale():
    stages = cal.calibration_stages()
    assert [s.fixed["smoothing"] for s in stages] == [1e-2, 1e-3, 1e-4, 1e-5]
    assert [s.kind for s in stages] == ["optimize", "optimize", "optimize", "evaluate"]
    assert not stages[0].required and stages[1].required and stages[2].options["tol"] == cal.MATCH_TOL


def test_stored_calibration_matches_the_targets():
    stored = cal.stored_calibration()
    for name in ("standard", "npg"):
        rec = stored[name]
        assert rec["converged"] and rec["command"].startswith("jaxtrade multiproduct calibrate")
        for k in cal.TARGETS[name]:
            m = rec["moments"][k]
            assert abs(m["model"] - m["data"]) <= 0.01, (name, k, m)
    assert stored["npg"]["fixed_parameters"] == {
        k: stored["standard"]["parameters"][k] for k in ("mu_E", "xi", "gamma")
    }
