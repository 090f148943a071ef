"""Estimation driver: stages, multi-start, checkpoints and the :class:`Estimate` record.

:func:`estimate` runs a sequence of :class:`Stage` objects from a starting
point. Each stage changes some fixed inputs of the moment function (e.g. the
taste-shock scale of a discrete-choice model) and either re-estimates from
the previous stage's estimate (``kind="optimize"``, warm start) or only
evaluates the moments there (``kind="evaluate"``). Annealing a smoothing
scale from large to small this way keeps the objective smooth while the
estimate moves, the logic of generalized indirect inference (Bruins, Duffy,
Keane & Smith 2018).

The estimate is the last ``"optimize"`` stage's. Its ``info`` is that of the
first *required* optimizing stage that failed, or else of the last required
one: the estimate converged when every required stage met its tolerance
(a stage with ``required=False`` is a warm-up). Everything else (every
stage's result, the multi-start, the iteration history, inference) is kept
on the record.
"""

from __future__ import annotations

import dataclasses
import pathlib
import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal, NamedTuple, get_args

import numpy as np
import pandas as pd

from jaxtrade.errors import RESULTS, ConvergenceError, SolverInfo
from jaxtrade.estimation.checkpoint import Checkpoint
from jaxtrade.estimation.first_order import FirstOrderState, adam_lbfgs
from jaxtrade.estimation.inference import Inference, inference
from jaxtrade.estimation.least_squares import LMResult, LMState, levenberg_marquardt
from jaxtrade.estimation.multistart import MultistartResult, tiktak
from jaxtrade.estimation.problem import MomentProblem, run_info

__all__ = ["Stage", "StageResult", "Multistart", "Estimate", "estimate", "Method", "METHODS"]

Method = Literal["lm", "adam_lbfgs"]
METHODS: tuple[str, ...] = get_args(Method)


class Stage(NamedTuple):
    """One stage of an estimation.

    Attributes
    ----------
    name : label in reports and checkpoints.
    fixed : changes to ``problem.fixed`` for this stage (e.g. ``{"smoothing": 1e-3}``).
    kind : ``"optimize"`` (re-estimate, warm-started) or ``"evaluate"`` (moments at the previous estimate).
    options : options of the stage's solver (``max_iterations``, ``tol``, ...).
    required : whether the estimate fails when this stage does not converge (``False`` for a
        warm-up stage whose only job is a better start for the next).
    """

    name: str
    fixed: Mapping[str, Any] = {}
    kind: Literal["optimize", "evaluate"] = "optimize"
    options: Mapping[str, Any] = {}
    required: bool = True


class Multistart(NamedTuple):
    """TikTak options (:func:`jaxtrade.estimation.multistart.tiktak`); ``box`` in natural units."""

    box: tuple[Sequence[float], Sequence[float]]
    n_samples: int = 64
    n_local: int = 8
    seed: int = 0
    max_discoveries: int = 2
    local_iterations: int = 20


@dataclasses.dataclass
class StageResult:
    """The result of one stage."""

    name: str
    kind: str
    fixed: dict[str, float]
    theta: np.ndarray
    moments: np.ndarray
    loss: float
    info: SolverInfo
    history: list[dict[str, Any]]
    seconds: float


@dataclasses.dataclass(repr=False)
class Estimate:
    """A minimum-distance estimate.

    Attributes
    ----------
    problem : the :class:`MomentProblem`.
    theta : dict parameter -> estimate (natural units).
    moments : dict moment -> model value at the estimate (every ``moment_names``, at the last stage's inputs).
    loss : F = r' W r at the estimate (eq. 28) at the last stage's inputs.
    info : :class:`~jaxtrade.errors.SolverInfo` deciding convergence (module docstring).
    stages : every :class:`StageResult`.
    multistart : the :class:`~jaxtrade.estimation.multistart.MultistartResult`, if one ran.
    inference : :class:`~jaxtrade.estimation.inference.Inference` at the estimate, if asked (at the inputs
        ``inference_fixed`` of :func:`estimate`, by default the last optimizing stage's).
    fixed : the fixed inputs of the last stage.
    seconds, evaluations : wall time and model evaluations (this process; a resumed run counts its own).
    """

    problem: MomentProblem
    theta: dict[str, float]
    moments: dict[str, float]
    loss: float
    info: SolverInfo
    stages: list[StageResult]
    multistart: MultistartResult | None
    inference: Inference | None
    fixed: dict[str, Any]
    seconds: float
    evaluations: int

    def __repr__(self) -> str:
        theta = ", ".join(f"{k}={v:.6g}" for k, v in self.theta.items())
        return (f"Estimate({theta}; loss={self.loss:.3g}, converged={self.converged}, stages={len(self.stages)}, "
                f"evaluations={self.evaluations}, seconds={self.seconds:.1f})")  # fmt: skip

    @property
    def converged(self) -> bool:
        """Whether every required optimization stage met its tolerance."""
        return bool(self.info.converged)

    @property
    def theta_vector(self) -> np.ndarray:
        """The estimate as a vector in ``problem.space.names`` order."""
        return np.array([self.theta[n] for n in self.problem.space.names])

    def moment_table(self) -> pd.DataFrame:
        """Every moment: data (where given), model, whether targeted, model - data."""
        rows = []
        for name in self.problem.moment_names:
            data = self.problem.data.get(name, np.nan)
            model = self.moments[name]
            rows.append((name, data, model, name in self.problem.targets, model - data))
        return pd.DataFrame(rows, columns=["moment", "data", "model", "targeted", "model - data"])

    def parameter_table(self) -> pd.DataFrame:
        """Every estimated parameter: estimate, standard error (when a moment covariance was given), bounds."""
        se = self.inference.se if self.inference is not None and self.inference.se is not None else None
        sp = self.problem.space
        return pd.DataFrame(
            {
                "parameter": sp.names,
                "estimate": [self.theta[n] for n in sp.names],
                "se": se if se is not None else [np.nan] * len(sp),
                "lower": sp.lower,
                "upper": sp.upper,
            }
        )


def _fingerprint(problem: MomentProblem, stages: Sequence[Stage], method: str, multistart, start) -> dict[str, Any]:
    return {
        "targets": list(problem.targets),
        "data": [problem.data[t] for t in problem.targets],
        "weights": problem.weights,
        "parameters": [list(p) for p in problem.space.parameters],
        "fixed": {k: np.asarray(v) for k, v in sorted(problem.fixed.items())},
        "stages": [
            [s.name, {k: float(v) for k, v in s.fixed.items()}, s.kind, dict(s.options), s.required] for s in stages
        ],
        "method": method,
        "multistart": None if multistart is None else [list(map(list, multistart.box)), *multistart[1:]],
        "start": start,
    }


def _stage_result(problem: MomentProblem, stage: Stage, res: LMResult, seconds: float) -> StageResult:
    return StageResult(
        name=stage.name,
        kind=stage.kind,
        fixed={k: float(v) for k, v in stage.fixed.items()},
        theta=problem.natural(res.u),
        moments=np.asarray(res.moments),
        loss=float(res.loss),
        info=res.info,
        history=res.history,
        seconds=seconds,
    )


def _restore_stage(d: dict[str, Any]) -> StageResult:
    result = getattr(RESULTS, d["result"])
    info = run_info(d["iterations"], d["residual"], result)
    return StageResult(d["name"], d["kind"], d["fixed"], np.asarray(d["theta"]), np.asarray(d["moments"]),
                       d["loss"], info, d["history"], d["seconds"])  # fmt: skip


def _stage_json(s: StageResult) -> dict[str, Any]:
    result = next(k for k in ("successful", "max_iterations", "stalled", "inner_failed", "nonfinite")
                  if s.info.result == getattr(RESULTS, k))  # fmt: skip
    return {"name": s.name, "kind": s.kind, "fixed": s.fixed, "theta": s.theta, "moments": s.moments,
            "loss": s.loss, "iterations": int(s.info.iterations), "residual": float(s.info.residual),
            "result": result, "history": s.history, "seconds": s.seconds}  # fmt: skip


def estimate(
    problem: MomentProblem,
    start: Mapping[str, float] | Sequence[float],
    *,
    stages: Sequence[Stage] | None = None,
    method: Method = "lm",
    options: Mapping[str, Any] | None = None,
    multistart: Multistart | None = None,
    checkpoint: str | pathlib.Path | None = None,
    resume: bool = False,
    compute_inference: bool = True,
    inference_fixed: Mapping[str, Any] | None = None,
    devices=None,
    progress: bool | None = None,
    throw: bool = True,
) -> Estimate:
    """Estimate ``problem``'s parameters from ``start`` (module docstring).

    Parameters
    ----------
    problem : MomentProblem
    start : dict or vector
        Starting values of the estimated parameters (strictly inside their bounds).
    stages : sequence of Stage, optional
        Default: one ``"optimize"`` stage with ``problem.fixed``.
    method : {"lm", "adam_lbfgs"}
        Levenberg-Marquardt with the autodiff Jacobian (:mod:`.least_squares`),
        or Adam then L-BFGS (:mod:`.first_order`).
    options : mapping, optional
        Solver options for every stage (a stage's own ``options`` override them).
    multistart : Multistart, optional
        Run TikTak (:mod:`.multistart`) with the first stage's inputs and start
        the stages from its best point instead of ``start``.
    checkpoint : folder, optional
        Write the state after every iteration (:mod:`.checkpoint`).
    resume : bool
        Continue from the checkpoint in ``checkpoint`` (if there is one).
    compute_inference : bool
        Jacobian, sensitivity and identification at the estimate (standard
        errors too when ``problem.moments_cov`` is given).
    inference_fixed : mapping, optional
        Changes to ``problem.fixed`` for the inference (default: the last
        optimizing stage's inputs). A model with discrete choices smoothed by a
        taste-shock scale should take its derivatives where they are smooth.
    devices : devices for the multi-start's batched evaluations (default: all).
    progress : progress bars (``None``: on when standard error is a terminal).
    throw : bool
        Raise :class:`~jaxtrade.errors.ConvergenceError` when the last
        optimization stage did not converge (``False``: read ``est.info``).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    stages = list(stages) if stages is not None else [Stage("estimate")]
    if not stages or all(s.kind != "optimize" or not s.required for s in stages):
        raise ValueError('stages must contain at least one required stage of kind "optimize"')
    for s in stages:
        if s.kind not in ("optimize", "evaluate"):
            raise ValueError(f'stage {s.name!r}: kind must be "optimize" or "evaluate", got {s.kind!r}')
        problem.with_fixed(**s.fixed)  # unknown names fail here, before any solve
    if resume and checkpoint is None:
        raise ValueError("resume=True needs a checkpoint folder")
    theta0 = problem.space.check(start)
    u = np.asarray(problem.space.to_unconstrained(theta0))
    ckpt = (
        None
        if checkpoint is None
        else Checkpoint(checkpoint, _fingerprint(problem, stages, method, multistart, theta0))
    )
    saved = (ckpt.load() if resume and ckpt is not None else None) or {}
    done: list[StageResult] = [_restore_stage(d) for d in saved.get("stages", [])]
    state: dict[str, Any] = {"stages": [_stage_json(s) for s in done], "running": saved.get("running"),
                             "multistart": saved.get("multistart")}  # fmt: skip
    t0 = time.perf_counter()
    evaluations = 0

    def save():
        if ckpt is not None:
            ckpt.save(state)

    def run_stage(stage: Stage, u_start, fixed, resume_state=None, on_iteration=None, desc=None) -> LMResult:
        opts = {**(options or {}), **stage.options}
        desc = desc or f"stage {stage.name}"
        if method == "lm":
            lm_state = None if resume_state is None else LMState(np.asarray(resume_state["u"]), *resume_state["rest"])
            return levenberg_marquardt(problem, u_start, fixed, state=lm_state, on_iteration=on_iteration,
                                       progress=progress, desc=desc, throw=False, **opts)  # fmt: skip
        fo_state = None
        if resume_state is not None:
            leaves = resume_state["opt_leaves"]
            fo_state = FirstOrderState(np.asarray(resume_state["u"]), resume_state["phase"], resume_state["step"],
                                       None if leaves is None else [np.asarray(x) for x in leaves],
                                       resume_state["learning_rate"], resume_state["evaluations"])  # fmt: skip
        return adam_lbfgs(problem, u_start, fixed, state=fo_state, on_iteration=on_iteration, progress=progress,
                          desc=desc, throw=False, **opts)  # fmt: skip

    def remember(kind_state):
        if isinstance(kind_state, LMState):
            return {"u": kind_state.u, "rest": list(kind_state[1:])}
        return kind_state._asdict()

    ms_result = None
    if multistart is not None and not done:
        first = stages[0]
        fixed0 = problem.with_fixed(**first.fixed)
        ms_state = state["multistart"] or {}
        local_runs: dict[str, Any] = ms_state.get("local", {})

        def local(u_start, run):
            st = Stage(
                first.name, first.fixed, "optimize", {**first.options, "max_iterations": multistart.local_iterations}
            )
            key = str(run)

            def on_iteration(s, record):
                local_runs[key] = remember(s)
                ms_state["local"] = local_runs
                state["multistart"] = ms_state
                save()

            resume_state = local_runs.get(key)
            return run_stage(st, u_start, fixed0, resume_state, on_iteration, desc=f"multi-start run {run + 1}")

        def on_progress(s):
            ms_state.update(s)
            state["multistart"] = ms_state
            save()

        ms_result, ms_runs = tiktak(
            problem, fixed0, local, box=(np.asarray(multistart.box[0]), np.asarray(multistart.box[1])),
            n_samples=multistart.n_samples, n_local=multistart.n_local, seed=multistart.seed,
            max_discoveries=multistart.max_discoveries, devices=devices, state=ms_state, on_progress=on_progress,
            progress=progress,
        )  # fmt: skip
        evaluations += multistart.n_samples + sum(int(r.state.evaluations) for r in ms_runs)
        u = np.asarray(ms_result.ends[ms_result.best])
    if done:
        optimized = [s for s in done if s.kind == "optimize"]
        u = np.asarray(problem.space.to_unconstrained(optimized[-1].theta if optimized else done[-1].theta))

    for i, stage in enumerate(stages):
        if i < len(done):
            continue
        fixed = problem.with_fixed(**stage.fixed)
        t_stage = time.perf_counter()
        if stage.kind == "evaluate":
            m, ok = (np.asarray(x) for x in problem.evaluate(u, fixed))  # moments only: no Jacobian is used
            evaluations += 1
            r = m[problem.target_index] - problem.data_vector
            info = run_info(0, float(np.max(np.abs(r))), RESULTS.successful if bool(ok) else RESULTS.inner_failed)
            no_jacobian = np.full((m.size, u.size), np.nan)
            res = LMResult(u, m, no_jacobian, problem.loss(m), info, LMState(u, 0.0, 0.0, 0, 1), [])
        else:
            running = state["running"] if state["running"] and state["running"]["stage"] == i else None

            def on_iteration(s, record, i=i):
                state["running"] = {"stage": i, "solver": remember(s)}
                save()

            res = run_stage(stage, u, fixed, None if running is None else running["solver"], on_iteration)
            evaluations += int(res.state.evaluations)
            u = np.asarray(res.u)
        done.append(_stage_result(problem, stage, res, time.perf_counter() - t_stage))
        state["stages"].append(_stage_json(done[-1]))
        state["running"] = None
        save()

    last = done[-1]
    last_opt = [s for s in done if s.kind == "optimize"][-1]
    required = [d for d, s in zip(done, stages) if s.kind == "optimize" and s.required]
    failed = [d for d in required if not bool(d.info.converged)]
    deciding = failed[0] if failed else required[-1]
    fixed = problem.with_fixed(**stages[-1].fixed)
    theta = last_opt.theta
    inf = None
    if compute_inference:
        last_opt_stage = [s for s in stages if s.kind == "optimize"][-1]
        inf_fixed = problem.with_fixed(**(last_opt_stage.fixed if inference_fixed is None else inference_fixed))
        try:
            inf = inference(problem, theta, inf_fixed)
        except ValueError:
            inf = None  # the model cannot be solved at the estimate: reported through info
    est = Estimate(
        problem=problem,
        theta={n: float(v) for n, v in zip(problem.space.names, theta)},
        moments={n: float(v) for n, v in zip(problem.moment_names, last.moments)},
        loss=float(last.loss),
        info=deciding.info,
        stages=done,
        multistart=ms_result,
        inference=inf,
        fixed={k: np.asarray(v) for k, v in fixed.items()},
        seconds=time.perf_counter() - t0,
        evaluations=evaluations,
    )
    if throw and not est.converged:
        raise ConvergenceError(
            f"minimum-distance estimation, stage {deciding.name!r}",
            iterations=int(deciding.info.iterations),
            residual=float(deciding.info.residual),
            extra=f"theta={est.theta}, loss={deciding.loss:.3e} (read est.info with throw=False)",
            reason=deciding.info.reason,
        )
    return est
