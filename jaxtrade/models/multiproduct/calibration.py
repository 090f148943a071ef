"""Calibration of the multiproduct model by the method of moments (Heo & Kim 2025, section 4, eq. 28).

The paper chooses theta to minimise eq. (28), F = (M_data - M(theta))'(M_data - M(theta)),
over the targeted moments of Table 5 (identity weights):

* **Standard** (eq. 19): theta = (mu_E, xi, gamma, gamma_0, gamma_1,
  gamma_2, gamma_3) on seven moments: the entrant/incumbent productivity
  gap, industry survival, the product add and drop rates, the exporter
  share, exporter survival and the single-product share. Table 5 lists nine
  targeted rows; two are adding-up identities of the model (add + drop +
  stasis = 1 and single + multi = 1), so stasis and the multi-product share
  carry no information beyond the other seven: they are checked on the data
  (:data:`IDENTITIES`; inconsistent data are an error) and reported, not
  targeted. With seven moments for seven parameters the problem is exactly
  identified and F is 0 at a solution.
* **NPG** (eq. 30): the paper re-estimates only the export-cost parameters
  (gamma_0, gamma_1, gamma_2) on the exporter share, the single-product share
  and exporter survival; mu_E, xi and gamma keep the Standard values
  ("set to the same value as in the standard case ... we also fix the value
  of gamma", section 4).

Moments are exact functionals of the stationary distribution (no simulation
noise), differentiable when the taste-shock scale ``smoothing`` is positive.
At the preset scale (1e-5) they are staircases in theta; the calibration
therefore anneals the scale (:data:`SMOOTHING_PATH`, 1e-2 -> 1e-3 -> 1e-4),
warm-starting each stage from the last, and reports the moments at the
preset scale 1e-5 at the final estimate (a last ``"evaluate"`` stage). The
first stage is a warm-up; the middle one is solved exactly (F about 1e-26 at
the default grid); the last stops once every target is within
:data:`MATCH_TOL`. Derivatives for inference (the moment Jacobian, the
sensitivity matrix, identification) are taken at
:data:`INFERENCE_SMOOTHING` = 1e-3, where the moments are smooth.

:func:`calibration_problem` builds the :class:`~jaxtrade.estimation.MomentProblem`,
:func:`calibrate` runs it (Levenberg-Marquardt with the autodiff Jacobian,
optional TikTak multi-start on the sharded batch solver, checkpoints), and
:func:`stored_calibration` reads the calibrated parameters shipped with the
package (``calibrated.json``, with the command that produced them).
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
from collections.abc import Mapping, Sequence
from typing import Any

from jaxtrade.estimation import Estimate, Identity, MomentProblem, Multistart, Parameter, Stage, estimate
from jaxtrade.models.multiproduct.moments import TABLE5_DATA, TABLE5_NAMES, moment_vector
from jaxtrade.models.multiproduct.params import MultiproductParams, preset
from jaxtrade.models.multiproduct.solve import solve_equilibrium

__all__ = [
    "BOUNDS",
    "FREE",
    "IDENTITIES",
    "INFERENCE_SMOOTHING",
    "MATCH_TOL",
    "SMOOTHING_PATH",
    "TARGETS",
    "calibrate",
    "calibration_problem",
    "calibration_stages",
    "stored_calibration",
    "STORED_CALIBRATION_PATH",
    "TableFiveMoments",
]

#: Estimated parameters per preset (section 4; NPG: "we only re-estimate parameters related to the fixed cost")
FREE: dict[str, tuple[str, ...]] = {
    "standard": ("mu_E", "xi", "gamma", "gamma_0", "gamma_1", "gamma_2", "gamma_3"),
    "npg": ("gamma_0", "gamma_1", "gamma_2"),
}
#: Targeted moments per preset (Table 5 less the two adding-up identities; NPG: section 4's three)
TARGETS: dict[str, tuple[str, ...]] = {
    "standard": ("entrant_incumbent_gap", "industry_survival", "product_add_rate", "product_drop_rate",
                 "exporter_share", "exporter_survival", "single_product_share"),
    "npg": ("exporter_share", "exporter_survival", "single_product_share"),
}  # fmt: skip
#: Adding-up identities of the model, checked on the data moments
IDENTITIES = (
    Identity(("product_drop_rate", "product_stasis_rate", "product_add_rate"), 1.0, 1e-9),
    Identity(("single_product_share", "multi_product_share"), 1.0, 1e-9),
    Identity(("mpef_to_mpef", "mpef_to_spef", "mpef_to_nx"), 1.0, 1e-9),
)
#: Strict bounds of the estimated parameters (the search space; eq. 19/29 need positive values)
BOUNDS: dict[str, tuple[float, float]] = {
    "mu_E": (0.0, 1.0), "xi": (0.0, 10.0), "gamma": (0.5, 15.0), "gamma_0": (1e-6, 0.1), "gamma_1": (0.05, 15.0),
    "gamma_2": (1e-6, 0.1), "gamma_3": (0.1, 15.0),
}  # fmt: skip
#: Taste-shock scales of the annealed stages; the moments are then reported at the preset's own scale
SMOOTHING_PATH = (1e-2, 1e-3, 1e-4)
#: Taste-shock scale at which derivatives (identification, sensitivity, standard errors) are taken: the
#: smallest scale where the moments are smooth (audit: Jacobian condition number 58 at 1e-3, 2e13 at 1e-5)
INFERENCE_SMOOTHING = 1e-3
#: Tolerance of the last (staircase) stage: half a unit in the second decimal the paper prints
MATCH_TOL = 0.005

STORED_CALIBRATION_PATH = pathlib.Path(__file__).with_name("calibrated.json")


@dataclasses.dataclass(frozen=True)
class TableFiveMoments:
    """The moment function of the calibration: parameters (a dict of every array field) -> Table 5 moments.

    A frozen dataclass of the static choices (grid sizes, cost form, moment
    readings, solver tolerances), so two calibration problems on the same
    grid are equal and share their compiled kernels; every array parameter,
    estimated or fixed, arrives in the dict (changing a fixed value, e.g. the
    taste-shock scale of a stage, recompiles nothing). ``ok`` is the
    equilibrium's ``info.converged`` (the parameter rules included).
    """

    n_z: int
    n_products: int
    cost_form: Any
    moment_options: tuple = ()
    solver_options: tuple = ()

    def __call__(self, values: dict[str, Any]):
        p = MultiproductParams(**values, n_z=self.n_z, n_products=self.n_products, cost_form=self.cost_form)
        eq = solve_equilibrium(p, **{**dict(self.solver_options), "throw": False})
        return moment_vector(eq, **dict(self.moment_options)), eq.info.converged


def calibration_problem(
    name: str = "standard",
    *,
    base: MultiproductParams | None = None,
    free: Sequence[str] | None = None,
    targets: Sequence[str] | None = None,
    data: Mapping[str, float] | None = None,
    weights: Any = "identity",
    moments_cov=None,
    moment_options: Mapping[str, str] | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    solver_options: Mapping[str, Any] | None = None,
) -> MomentProblem:
    """The minimum-distance problem of eq. (28) for a preset (module docstring).

    Parameters
    ----------
    name : {"standard", "npg"}
        Which free set and targets (:data:`FREE`, :data:`TARGETS`) and, without ``base``, which preset.
    base : MultiproductParams, optional
        Parameters of everything not estimated (grid sizes, Table 3, the product
        grid; for NPG, mu_E, xi and gamma). Default: ``preset(name)``.
    free, targets : optional overrides of :data:`FREE` / :data:`TARGETS`.
    data : mapping, optional
        Data moments; default Table 5's data column (:data:`~jaxtrade.models.multiproduct.TABLE5_DATA`).
        Checked against :data:`IDENTITIES`.
    weights, moments_cov : as in :class:`~jaxtrade.estimation.MomentProblem` (eq. 28: identity).
    moment_options : keywords of :func:`~jaxtrade.models.multiproduct.moment_vector`
        (the moment definitions; defaults are the library's).
    bounds : overrides of :data:`BOUNDS`.
    solver_options : keywords of :func:`~jaxtrade.models.multiproduct.solve_equilibrium`
        (tolerances); ``throw`` is always ``False`` inside the estimation (a point where the
        equilibrium fails is infeasible, not an error).
    """
    if name not in FREE:
        raise ValueError(f"name must be one of {sorted(FREE)}, got {name!r}")
    base = preset(name) if base is None else base
    free = tuple(FREE[name] if free is None else free)
    targets = tuple(TARGETS[name] if targets is None else targets)
    fields = {f.name for f in dataclasses.fields(base)}
    unknown = [f for f in free if f not in fields]
    if unknown:
        raise ValueError(f"free parameters {unknown} are not fields of MultiproductParams")
    box = {**BOUNDS, **(bounds or {})}
    missing = [f for f in free if f not in box]
    if missing:
        raise ValueError(f"bounds must be given for the free parameters {missing}")
    moments = TableFiveMoments(
        n_z=base.n_z,
        n_products=base.n_products,
        cost_form=base.cost_form,
        moment_options=tuple(sorted((moment_options or {}).items())),
        solver_options=tuple(sorted((solver_options or {}).items())),
    )
    fixed = {f.name: getattr(base, f.name) for f in dataclasses.fields(base)
             if not f.metadata.get("static", False) and f.name not in free}  # fmt: skip
    return MomentProblem(
        moments,
        dict(TABLE5_DATA if data is None else data),
        targets,
        [Parameter(f, *box[f]) for f in free],
        fixed=fixed,
        moment_names=TABLE5_NAMES,
        weights=weights,
        moments_cov=moments_cov,
        identities=IDENTITIES,
    )


def calibration_stages(
    path: Sequence[float] = SMOOTHING_PATH,
    report: float | None = 1e-5,
    *,
    match_tol: float = MATCH_TOL,
    warmup_iterations: int = 20,
    max_iterations: int = 50,
) -> list[Stage]:
    """Annealed stages along ``path`` (largest taste-shock scale first), then an evaluation at ``report``.

    * the first scale (when ``path`` has more than one) is a warm-up: at most
      ``warmup_iterations`` steps, not required to converge;
    * the middle scales are smooth: solved exactly (max |model - data| <= 1e-10);
    * the last scale sits on the staircase of discrete choices: it stops once
      every target is within ``match_tol`` (default 0.005: half a unit in the
      last digit the paper prints) and fails if it cannot get there;
    * ``report``: the moments at the preset's own scale (1e-5), at the estimate.
    """
    path = [float(s) for s in path]
    if not path:
        raise ValueError("path must list at least one smoothing scale")
    stages = []
    for i, s in enumerate(path):
        if i == 0 and len(path) > 1:
            stages.append(Stage(f"smoothing={s:g} (warm-up)", {"smoothing": s}, "optimize",
                                {"max_iterations": warmup_iterations}, required=False))  # fmt: skip
        elif i == len(path) - 1 and len(path) > 1:
            stages.append(Stage(f"smoothing={s:g}", {"smoothing": s}, "optimize",
                                {"max_iterations": max_iterations, "tol": match_tol}))  # fmt: skip
        else:
            stages.append(Stage(f"smoothing={s:g}", {"smoothing": s}, "optimize", {"max_iterations": max_iterations}))
    if report is not None:
        stages.append(Stage(f"report at smoothing={report:g}", {"smoothing": float(report)}, "evaluate"))
    return stages


def stored_calibration(path: str | pathlib.Path | None = None) -> dict[str, Any]:
    """The calibrated parameters shipped with the package (or read from ``path``).

    A dict with one entry per preset: ``parameters`` (name -> value), the grid
    and options they were calibrated on, the moments at the estimate, and the
    ``command`` that produced them (``jaxtrade multiproduct calibrate ...``).
    """
    path = STORED_CALIBRATION_PATH if path is None else pathlib.Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no stored calibration at {path}; run `jaxtrade multiproduct calibrate`")
    return json.loads(path.read_text())


def calibrate(
    name: str = "standard",
    *,
    base: MultiproductParams | None = None,
    start: Mapping[str, float] | None = None,
    stages: Sequence[Stage] | None = None,
    multistart: Multistart | None = None,
    checkpoint: str | pathlib.Path | None = None,
    resume: bool = False,
    progress: bool | None = None,
    throw: bool = True,
    devices=None,
    **problem_options: Any,
) -> Estimate:
    """Calibrate a preset by eq. (28) (module docstring); returns the :class:`~jaxtrade.estimation.Estimate`.

    Parameters
    ----------
    name, base : as in :func:`calibration_problem` (``base`` fixes the grid and non-estimated values;
        for NPG pass the Standard estimates of mu_E, xi and gamma in it).
    start : starting values (default: the paper's Table 4 column, i.e. ``base``'s values).
    stages : default :func:`calibration_stages` (annealed smoothing, reported at 1e-5).
    multistart : optional TikTak multi-start (box in natural units) on the first stage.
    checkpoint, resume : folder for checkpoints after every iteration; continue from it.
    progress, throw, devices : as in :func:`jaxtrade.estimation.estimate`.
    **problem_options : keywords of :func:`calibration_problem`.

    Examples
    --------
    A small grid, three of the export-cost parameters, from the paper's values
    (tens of seconds: compiles the equilibrium and its Jacobian):

    >>> from jaxtrade.models.multiproduct import standard_params
    >>> base = standard_params(n_z=11, n_products=4, smoothing=1e-2)
    >>> est = calibrate("npg", base=base.replace(cost_form="npg"), stages=calibration_stages((1e-2,), report=None),
    ...                 progress=False)  # doctest: +SKIP
    >>> est.converged  # doctest: +SKIP
    True
    """
    problem = calibration_problem(name, base=base, **problem_options)
    base_p = preset(name) if base is None else base
    if start is None:
        start = {k: float(getattr(base_p, k)) for k in problem.space.names}
    return estimate(
        problem,
        start,
        stages=calibration_stages() if stages is None else stages,
        multistart=multistart,
        checkpoint=checkpoint,
        resume=resume,
        progress=progress,
        throw=throw,
        devices=devices,
        inference_fixed={"smoothing": INFERENCE_SMOOTHING},
    )
