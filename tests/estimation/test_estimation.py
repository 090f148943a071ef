"""Correctness and robustness of jaxtrade.estimation on small models with known answers.

The fixture models are cheap closed forms, so the estimator's own logic
(transforms, Levenberg-Marquardt, Adam/L-BFGS, stages, multi-start,
checkpoints, inference) is tested exactly; the multiproduct calibration has
its own tests in tests/models/test_multiproduct_calibration.py.
"""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxtrade.errors import ConvergenceError
from jaxtrade.estimation import (
    Identity,
    MomentProblem,
    Multistart,
    Parameter,
    ParameterSpace,
    Stage,
    data_derivative,
    estimate,
    inference,
    moment_jacobian,
)
from jaxtrade.estimation import checkpoint as checkpoint_module

NAMES = ("mean", "var", "p90", "share")


def toy_moments(p):
    """Four moments of a three-parameter model: smooth, nonlinear, globally identified by the first three.

    (c = exp(p90 - a), b = var - c/2, and log(mean) = log a + var - exp(p90 - a)/2 is increasing in a.)
    """
    a, b, c = p["a"], p["b"], p["c"]
    return jnp.stack([a * jnp.exp(b), b + c / 2.0, jnp.log(c) + a, c / (1.0 + c)])


TRUE = {"a": 1.3, "b": 0.4, "c": 0.7}
SPACE = [Parameter("a", lower=0.0), Parameter("b"), Parameter("c", lower=0.0, upper=5.0)]


def data_at(theta, names=NAMES):
    m = np.asarray(toy_moments({k: jnp.asarray(v) for k, v in theta.items()}))
    return {n: float(m[NAMES.index(n)]) for n in names}


def exact_problem(**kw):
    return MomentProblem(toy_moments, data_at(TRUE), NAMES[:3], SPACE, moment_names=NAMES, **kw)


def over_problem(shift=0.0, **kw):
    data = data_at(TRUE)
    data["share"] += shift  # inconsistent with the others: a residual at the optimum
    return MomentProblem(toy_moments, data, NAMES, SPACE, moment_names=NAMES, **kw)


# ---------------------------------------------------------------------------------------- space
def test_space_round_trip_and_domains():
    space = ParameterSpace([Parameter("x"), Parameter("pos", lower=0.0), Parameter("share", 0.0, 1.0),
                            Parameter("neg", upper=-1.0), Parameter("shifted", lower=2.0)])  # fmt: skip
    theta = np.array([-3.0, 0.01, 0.999, -7.0, 2.5])
    u = space.to_unconstrained(theta)
    np.testing.assert_allclose(space.to_natural(u), theta, rtol=1e-12)
    # any u maps inside the bounds
    th = np.asarray(space.to_natural(jnp.array([50.0, -50.0, 40.0, 30.0, -30.0])))
    assert th[1] > 0 and 0 < th[2] <= 1 and th[3] < -1 and th[4] > 2
    jac = jax.jacfwd(space.to_natural)(u)
    assert np.all(np.isfinite(jac))


@pytest.mark.parametrize(
    ("values", "match"),
    [([0.0, 0.5], "pos must satisfy 0.0 < pos"), ([1.0, 1.0], "share must satisfy"), ([1.0, np.nan], "share")],
)
def test_space_check_names_the_parameter(values, match):
    space = ParameterSpace([Parameter("pos", lower=0.0), Parameter("share", 0.0, 1.0)])
    with pytest.raises(ValueError, match=match):
        space.check(values)


def test_space_rejects_bad_declarations():
    with pytest.raises(ValueError, match="unique"):
        ParameterSpace([Parameter("a"), Parameter("a")])
    with pytest.raises(ValueError, match="lower < upper"):
        ParameterSpace([Parameter("a", 1.0, 1.0)])
    with pytest.raises(ValueError, match="missing"):
        ParameterSpace([Parameter("a"), Parameter("b")]).vector({"a": 1.0})


# ---------------------------------------------------------------------------------------- problem
def test_problem_validation_names_the_rule():
    data = data_at(TRUE)
    with pytest.raises(ValueError, match="missing"):
        MomentProblem(toy_moments, {"mean": 1.0}, NAMES[:3], SPACE, moment_names=NAMES)
    with pytest.raises(ValueError, match="finite"):
        MomentProblem(toy_moments, {**data, "var": np.nan}, NAMES[:3], SPACE, moment_names=NAMES)
    with pytest.raises(ValueError, match="cannot be identified"):
        MomentProblem(toy_moments, data, NAMES[:2], SPACE, moment_names=NAMES)
    with pytest.raises(ValueError, match="not among moment_names"):
        MomentProblem(toy_moments, data, ("mean", "var", "nope"), SPACE, moment_names=NAMES)
    with pytest.raises(ValueError, match="needs moments_cov"):
        MomentProblem(toy_moments, data, NAMES[:3], SPACE, moment_names=NAMES, weights="diagonal")
    with pytest.raises(ValueError, match="symmetric positive definite"):
        MomentProblem(toy_moments, data, NAMES[:3], SPACE, moment_names=NAMES, weights=-np.eye(3))
    with pytest.raises(ValueError, match="both estimated and fixed"):
        MomentProblem(toy_moments, data, NAMES[:3], SPACE, moment_names=NAMES, fixed={"a": 1.0})
    with pytest.raises(ValueError, match="positive semi-definite"):
        MomentProblem(toy_moments, data, NAMES[:3], SPACE, moment_names=NAMES, moments_cov=-np.eye(3))


def test_identities_checked_on_data_and_targets():
    ident = Identity(("var", "share"), total=2.0)
    data = data_at(TRUE)
    with pytest.raises(ValueError, match="var \\+ share must equal 2.0"):
        MomentProblem(toy_moments, data, NAMES[:3], SPACE, moment_names=NAMES, identities=[ident])
    consistent = {**data, "share": 2.0 - data["var"]}
    with pytest.raises(ValueError, match="target all but one"):
        MomentProblem(toy_moments, consistent, NAMES, SPACE, moment_names=NAMES, identities=[ident])
    MomentProblem(toy_moments, consistent, NAMES[:3], SPACE, moment_names=NAMES, identities=[ident])


# ---------------------------------------------------------------------------------------- solvers
@pytest.mark.parametrize("start", [{"a": 0.5, "b": -0.5, "c": 2.0}, {"a": 3.0, "b": 1.5, "c": 0.1},
                                   {"a": 1.0, "b": 0.0, "c": 1.0}])  # fmt: skip
def test_levenberg_marquardt_recovers_parameters(start):
    est = estimate(exact_problem(), start, progress=False)
    assert est.converged
    np.testing.assert_allclose(est.theta_vector, [TRUE[k] for k in "abc"], rtol=1e-9)
    assert est.loss < 1e-18
    assert set(est.moments) == set(NAMES)  # untargeted moments reported too
    assert est.moment_table()["targeted"].tolist() == [True, True, True, False]


def test_adam_lbfgs_reaches_the_same_estimate_as_lm():
    prob = over_problem(shift=0.02)
    lm = estimate(prob, {"a": 1.0, "b": 0.2, "c": 1.0}, progress=False)
    fo = estimate(prob, {"a": 1.0, "b": 0.2, "c": 1.0}, method="adam_lbfgs",
                  options={"adam_steps": 150, "learning_rate": 0.05, "lbfgs_steps": 200, "gtol": 1e-11},
                  progress=False)  # fmt: skip
    assert lm.converged and fo.converged
    np.testing.assert_allclose(fo.theta_vector, lm.theta_vector, rtol=1e-6)
    assert lm.loss > 1e-6  # over-identified with inconsistent data: a residual remains
    # first-order condition G'W r = 0 at the estimate
    inf = inference(prob, lm.theta_vector)
    r = np.array([lm.moments[n] for n in prob.targets]) - prob.data_vector
    np.testing.assert_allclose(inf.jacobian.T @ prob.weights @ r, 0.0, atol=1e-9)


def test_infeasible_region_is_avoided():
    def moments(p):
        m = toy_moments(p)
        return m, p["b"] < 0.9  # the "model" cannot be solved for b >= 0.9

    prob = MomentProblem(moments, data_at(TRUE), NAMES[:3], SPACE, moment_names=NAMES)
    est = estimate(prob, {"a": 0.5, "b": 0.8, "c": 3.0}, progress=False)
    assert est.converged
    np.testing.assert_allclose(est.theta_vector, [1.3, 0.4, 0.7], rtol=1e-8)
    with pytest.raises(ConvergenceError, match="did not converge"):
        estimate(prob, {"a": 0.5, "b": 1.0, "c": 3.0}, progress=False)  # infeasible start
    bad = estimate(prob, {"a": 0.5, "b": 1.0, "c": 3.0}, progress=False, throw=False)
    assert not bad.converged and "inner solve" in bad.info.reason


# ---------------------------------------------------------------------------------------- stages
def smoothed_moments(p):
    """Moments through a softplus with a smoothing scale (the shape of a taste-shock model)."""
    s = p["smoothing"]
    kink = s * jax.nn.softplus((p["b"] - 0.2) / s)
    return jnp.stack([p["a"] * jnp.exp(kink), p["a"] ** 2 + p["c"], jnp.log(p["a"]) + p["b"] * p["c"], p["c"]])


def test_annealed_stages_warm_start_and_evaluate():
    truth = {"a": 1.3, "b": 0.4, "c": 0.7, "smoothing": 1e-4}
    m = np.asarray(smoothed_moments({k: jnp.asarray(v) for k, v in truth.items()}))
    prob = MomentProblem(smoothed_moments, dict(zip(NAMES, m.tolist())), NAMES[:3], SPACE, moment_names=NAMES,
                         fixed={"smoothing": 1e-1})  # fmt: skip
    stages = [Stage("s=1e-1", {"smoothing": 1e-1}), Stage("s=1e-2", {"smoothing": 1e-2}),
              Stage("s=1e-4", {"smoothing": 1e-4}), Stage("report", {"smoothing": 1e-5}, kind="evaluate")]  # fmt: skip
    est = estimate(prob, {"a": 1.0, "b": 0.1, "c": 1.0}, stages=stages, progress=False)
    assert [s.name for s in est.stages] == ["s=1e-1", "s=1e-2", "s=1e-4", "report"]
    assert all(bool(s.info.converged) for s in est.stages)
    np.testing.assert_allclose(est.theta_vector, [1.3, 0.4, 0.7], rtol=1e-8)
    assert float(est.fixed["smoothing"]) == 1e-5  # moments reported at the last stage's inputs
    assert abs(est.moments["mean"] - m[0]) < 1e-8
    with pytest.raises(ValueError, match="fixed has no entries"):
        estimate(prob, {"a": 1.0, "b": 0.1, "c": 1.0}, stages=[Stage("x", {"nope": 1.0})], progress=False)


# ---------------------------------------------------------------------------------------- inference
def test_autodiff_jacobian_matches_central_differences():
    prob = exact_problem()
    theta = np.array([1.1, 0.3, 0.9])
    _, jac = moment_jacobian(prob, theta)
    h = 1e-6
    fd = np.stack([(np.asarray(toy_moments(dict(zip("abc", theta + h * e)))) -
                    np.asarray(toy_moments(dict(zip("abc", theta - h * e))))) / (2 * h) for e in np.eye(3)], axis=1)  # fmt: skip
    np.testing.assert_allclose(jac, fd, rtol=1e-7, atol=1e-9)


def test_sensitivity_equals_implicit_derivative_under_exact_identification():
    prob = exact_problem()
    est = estimate(prob, {"a": 1.0, "b": 0.2, "c": 1.0}, progress=False)
    implicit = data_derivative(prob, est.theta_vector)
    np.testing.assert_allclose(implicit, -est.inference.sensitivity, rtol=1e-8, atol=1e-10)
    # and it is the derivative of the estimator: re-estimate with a perturbed data moment
    h = 1e-5
    for j, name in enumerate(prob.targets):
        up = MomentProblem(toy_moments, {**prob.data, name: prob.data[name] + h}, NAMES[:3], SPACE, moment_names=NAMES)
        dn = MomentProblem(toy_moments, {**prob.data, name: prob.data[name] - h}, NAMES[:3], SPACE, moment_names=NAMES)
        start = est.theta
        tight = {"tol": 1e-13}
        fd = (estimate(up, start, options=tight, progress=False).theta_vector
              - estimate(dn, start, options=tight, progress=False).theta_vector) / (2 * h)  # fmt: skip
        np.testing.assert_allclose(implicit[:, j], fd, rtol=1e-5, atol=1e-7)


def test_implicit_derivative_with_a_residual_matches_re_estimation():
    prob = over_problem(shift=0.05)
    est = estimate(prob, {"a": 1.0, "b": 0.2, "c": 1.0}, options={"gtol": 1e-14}, progress=False)
    implicit = data_derivative(prob, est.theta_vector)
    h = 1e-5
    j = NAMES.index("var")
    data_up, data_dn = dict(prob.data), dict(prob.data)
    data_up["var"] += h
    data_dn["var"] -= h
    fd = (estimate(MomentProblem(toy_moments, data_up, NAMES, SPACE, moment_names=NAMES), est.theta,
                   options={"gtol": 1e-14}, progress=False).theta_vector
          - estimate(MomentProblem(toy_moments, data_dn, NAMES, SPACE, moment_names=NAMES), est.theta,
                     options={"gtol": 1e-14}, progress=False).theta_vector) / (2 * h)  # fmt: skip
    np.testing.assert_allclose(implicit[:, j], fd, rtol=1e-5, atol=1e-7)
    # the AGS matrix is the Gauss-Newton approximation: close, not equal, when r != 0
    gn = data_derivative(prob, est.theta_vector, second_order=False)
    np.testing.assert_allclose(gn, -est.inference.sensitivity, rtol=1e-8, atol=1e-10)
    assert np.max(np.abs(gn - implicit)) > 1e-6


def test_weights_do_not_matter_under_exact_identification():
    cov = np.diag([0.01, 0.02, 0.03]) + 0.001
    rng = np.random.default_rng(0)
    q = rng.normal(size=(3, 3))
    spd = q @ q.T + 3 * np.eye(3)
    ests = [estimate(exact_problem(weights=w, moments_cov=cov), {"a": 1.0, "b": 0.2, "c": 1.0}, progress=False)
            for w in ("identity", "diagonal", spd)]  # fmt: skip
    for e in ests[1:]:
        np.testing.assert_allclose(e.theta_vector, ests[0].theta_vector, rtol=1e-9)
        np.testing.assert_allclose(e.inference.se, ests[0].inference.se, rtol=1e-7)
    g = ests[0].inference.jacobian
    np.testing.assert_allclose(ests[0].inference.cov, np.linalg.inv(g) @ cov @ np.linalg.inv(g).T, rtol=1e-7)
    assert ests[0].parameter_table()["se"].notna().all()


def test_identification_diagnostics():
    prob = exact_problem()
    inf = inference(prob, [1.3, 0.4, 0.7])
    assert inf.singular_values.shape == (3,) and inf.condition_number >= 1
    assert inf.se is None and inf.cov is None  # no moment covariance: no standard errors
    # elasticity of the mean to a is 1 (m = a e^b)
    assert abs(inf.elasticities[0, 0] - 1.0) < 1e-12


# ---------------------------------------------------------------------------------------- multistart
def two_minima(p):
    x = p["x"]
    return jnp.stack([(x**2 - 1.0) * (x - 0.2), x * p["y"], p["y"]])


def test_tiktak_finds_the_global_minimum():
    data = {"m0": 0.0, "m1": 0.5, "m2": 0.5}  # roots x = -1, 0.2, 1 ... only x = 1 gives x*y = 0.5
    prob = MomentProblem(two_minima, data, ("m0", "m1", "m2"), [Parameter("x", -3.0, 3.0), Parameter("y", -3.0, 3.0)])
    ms = Multistart(box=([-2.5, -2.5], [2.5, 2.5]), n_samples=32, n_local=6, local_iterations=50)
    est = estimate(prob, {"x": -1.0, "y": 0.5}, multistart=ms, progress=False)
    assert est.converged and est.multistart is not None
    np.testing.assert_allclose(est.theta_vector, [1.0, 0.5], atol=1e-8)
    assert est.multistart.losses.shape == (32,) and est.multistart.infeasible == 0
    with pytest.raises(ValueError, match="strictly inside"):
        estimate(prob, {"x": 0.0, "y": 0.0}, multistart=ms._replace(box=([-3.0, -2.0], [2.0, 2.0])), progress=False)


# ---------------------------------------------------------------------------------------- checkpoints
class _Killed(Exception):
    pass


@pytest.mark.parametrize("method", ["lm", "adam_lbfgs"])
def test_resume_after_interruption_reaches_the_same_estimate(tmp_path, monkeypatch, method):
    prob = over_problem(shift=0.01)
    start = {"a": 0.6, "b": -0.3, "c": 2.5}
    stages = [Stage("first", options={"max_iterations": 3} if method == "lm" else {"adam_steps": 5, "lbfgs_steps": 3}),
              Stage("second")]  # fmt: skip
    opts = {} if method == "lm" else {"adam_steps": 20, "lbfgs_steps": 60, "gtol": 1e-11}
    full = estimate(prob, start, stages=stages, method=method, options=opts, progress=False, throw=False)
    saves = {"n": 0}
    real_save = checkpoint_module.Checkpoint.save

    def killing_save(self, state):
        real_save(self, state)
        saves["n"] += 1
        if saves["n"] == 6:
            raise _Killed  # the process dies right after a checkpoint was written

    monkeypatch.setattr(checkpoint_module.Checkpoint, "save", killing_save)
    with pytest.raises(_Killed):
        estimate(prob, start, stages=stages, method=method, options=opts, checkpoint=tmp_path, progress=False)
    monkeypatch.setattr(checkpoint_module.Checkpoint, "save", real_save)
    saved = json.loads((tmp_path / "checkpoint.json").read_text())
    assert saved["state"]["stages"] or saved["state"]["running"]
    resumed = estimate(prob, start, stages=stages, method=method, options=opts, checkpoint=tmp_path, resume=True,
                       progress=False, throw=False)  # fmt: skip
    np.testing.assert_array_equal(resumed.theta_vector, full.theta_vector)
    assert [s.name for s in resumed.stages] == ["first", "second"]
    # a checkpoint of another problem is refused, naming what differs
    other = over_problem(shift=0.02)
    with pytest.raises(ValueError, match="different estimation.*data"):
        estimate(other, start, stages=stages, method=method, options=opts, checkpoint=tmp_path, resume=True,
                 progress=False)  # fmt: skip


def test_evaluate_batch_shards_over_forced_cpu_devices():
    from tests.devices import run_on_cpu_devices

    script = """
import jax, jax.numpy as jnp, numpy as np
import jaxtrade
from jaxtrade.estimation import MomentProblem, Parameter
def moments(p):
    return jnp.stack([p["a"] * jnp.exp(p["b"]), p["a"] ** 2 * p["b"]])
prob = MomentProblem(moments, {"m0": 1.0, "m1": 0.5}, ("m0", "m1"), [Parameter("a", lower=0.0), Parameter("b")])
us = jnp.stack([jnp.linspace(-1, 1, 7), jnp.linspace(0, 2, 7)], axis=1)
ref = np.stack([np.asarray(prob.evaluate(u, prob.fixed)[0]) for u in us])
assert len(jax.devices()) == 4
for method in ("map", "vmap"):
    m, ok = prob.evaluate_batch(us, prob.fixed, method=method)
    assert ok.all()
    np.testing.assert_allclose(m, ref, rtol=1e-14)
print("OK")
"""
    out = run_on_cpu_devices(script, n_devices=4)
    assert out.returncode == 0, out.stderr
    assert "OK" in out.stdout
