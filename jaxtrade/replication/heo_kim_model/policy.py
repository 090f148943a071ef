"""Heo & Kim (2025), section 6: the trade-policy experiments, Tables 7-8 and Figures 8-12.

Twelve unexpected, permanent and symmetric tariff changes from the initial
steady state (weighted-average tariff 10 %): liberalization to 5 % (Table 7)
and trade war to 20 % (Table 8), each flat or targeted by eq. (35)/(36) with
psi = 0.5 and 2, in the Standard and the NPG model. Each is a perfect-foresight
transition (:func:`~jaxtrade.models.multiproduct.policy_tables`) whose welfare
is the consumption-equivalent variation (CEV) of the steady-state comparison
(SS) and with the transition (Trans), in the exact form the tables compare
(:func:`~jaxtrade.models.multiproduct.welfare`).

* :func:`policy_parameters`: the Standard and NPG parameters (calibrated, from
  the stored calibration or given records, or the paper's Table 4), with the
  words saying which were used; a missing stored calibration falls back to
  Table 4 with a note.
* :func:`run_experiments`: the twelve transitions (:class:`PolicyRun`).
* :func:`welfare_table` (Tables 7 and 8 with the Standard/NPG ratio rows),
  :func:`readings_table` (Figures 8-12: long-run values and peaks beside the
  paper's readings), :func:`solver_table`, :func:`tables_dict` (JSON);
* :func:`experiment_tables` / :func:`experiment_dict` /
  :func:`experiment_figure`: one experiment (``jaxtrade multiproduct policy``);
* :func:`write_figures`: Figures 8-12; :func:`add_section`: all of it into the
  replication report (:func:`jaxtrade.replication.heo_kim_model.run`).

Figure statistics are percent deviations from the initial steady state:
``impact`` at t = 0 (the year of the change), ``t30`` 30 years later,
``long_run`` the last period of the path (the terminal steady state) and
``peak`` the maximum over the path (the minimum for the trade war).
"""

from __future__ import annotations

import inspect
import pathlib
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from jaxtrade.models import multiproduct as mp
from jaxtrade.models.multiproduct import calibration as cal
from jaxtrade.reporting import Section, Tolerance, comparison_frame, save_figure

from . import paper
from .calibration import calibrated_params

__all__ = [
    "CEV_TOLERANCE",
    "FIGURE_TOLERANCE",
    "MODELS",
    "PARAMETER_SOURCES",
    "PATH_PANELS",
    "RATIO_TOLERANCE",
    "PolicyParameters",
    "PolicyRun",
    "add_section",
    "cev_percent",
    "experiment_dict",
    "experiment_figure",
    "experiment_tables",
    "path_statistics",
    "policy_parameters",
    "readings_table",
    "run_experiments",
    "solver_table",
    "tables_dict",
    "welfare_table",
    "write_figures",
]

#: Where the parameters come from: the calibration (stored, or records given) or the paper's Table 4 (presets)
PARAMETER_SOURCES = ("calibrated", "table4")
#: The two models of Tables 7-8, in the tables' row order ((1) and (2))
MODELS = ("standard", "npg")
MODEL_LABELS = {"standard": "Standard", "npg": "NPG"}
SCHEDULE_LABELS = {"flat": "flat", "psi0.5": "targeted psi = 0.5", "psi2": "targeted psi = 2"}
EXPERIMENT_LABELS = {
    "liberalization": "liberalization (weighted-average tariff 10 % -> 5 %)",
    "trade-war": "trade war (weighted-average tariff 10 % -> 20 %)",
}
#: The paths of Figures 9 and 12 (and 10: export scope), as :class:`~jaxtrade.models.multiproduct.Transition` names
PATH_PANELS = ("C", "D", "K", "W", "N", "avg_export_scope")
PATH_LABELS = {
    "C": "consumption C",
    "D": "output (final good D)",
    "K": "capital K",
    "W": "wage W",
    "N": "establishments N",
    "avg_export_scope": "export scope (average)",
}
STATISTIC_LABELS = {"impact": "impact (t = 0)", "t30": "t = 30", "long_run": "long run", "peak": "peak"}
FORM_LABELS = {"ss": "SS", "trans": "Trans", "ss_log": "SS, log form", "trans_log": "Trans, log form"}

#: Tables 7-8 (CEV in percent): within 25 % of the paper's value. jaxtrade's parameters come from its own
#: calibration on its own grid choices (the paper's are unpublished), so the gaps carry both.
CEV_TOLERANCE = Tolerance(rel=0.25)
#: the (1)/(2) ratio rows of Tables 7-8: within 0.1
RATIO_TOLERANCE = Tolerance(abs=0.1)
#: figure readings (percent deviations, tariffs in percent): within max(0.5 points, 25 % of the reading)
FIGURE_TOLERANCE = Tolerance(abs=0.5, rel=0.25)
#: years shown in the path figures (as the paper's Figures 9, 10 and 12)
HORIZON = 50

FIGURE_CAPTIONS = {
    "fig8": "Figure 8: post-liberalization tariff schedules against pre-reform expenditure shares",
    "fig9": "Figure 9: trade liberalization, aggregates (% deviation from the initial steady state)",
    "fig10": "Figure 10: export product scope after trade liberalization, (a) Standard by schedule, "
    "(b) Standard vs NPG (flat)",
    "fig11": "Figure 11: trade-war tariff schedules against pre-reform expenditure shares",
    "fig12": "Figure 12: trade war, aggregates (% deviation from the initial steady state)",
}


class PolicyParameters(NamedTuple):
    """The parameters of the experiments and what they are.

    params : model name -> parameters.
    source : ``"calibrated"`` or ``"table4"`` (what was used, after any fallback).
    description : the parameters in words (origin, grid, taste-shock scale), for the output.
    note : why the requested source was not used (the fallback), else None.
    """

    params: dict[str, mp.MultiproductParams]
    source: str
    description: str
    note: str | None


class PolicyRun(NamedTuple):
    """The experiments: ``results[model][(experiment, schedule)]``, the parameters, the horizon, the run time."""

    parameters: PolicyParameters
    results: dict[str, dict[tuple[str, str], mp.PolicyResult]]
    T: int
    seconds: float


def policy_parameters(
    source: str = "calibrated",
    *,
    models: Sequence[str] = MODELS,
    records: dict[str, dict[str, Any]] | None = None,
    origin: str = "the calibration shipped with jaxtrade",
    n_z: int | None = None,
    n_products: int | None = None,
    smoothing: float | None = None,
) -> PolicyParameters:
    """The parameters of ``models`` from ``source`` (:data:`PARAMETER_SOURCES`).

    ``"calibrated"``: the calibration ``records`` (model -> record of
    :func:`~jaxtrade.replication.heo_kim_model.calibration.run_calibration`; default: the stored
    calibration, ``origin`` says which in the description), on the calibration's grid. When the stored
    calibration cannot be read, the paper's Table 4 parameters are used and ``note`` says why.
    ``"table4"``: the presets. ``n_z``, ``n_products`` and ``smoothing`` override the grid and the
    taste-shock scale (None: the parameters' own).
    """
    if source not in PARAMETER_SOURCES:
        raise ValueError(f"parameters must be one of {PARAMETER_SOURCES}, got {source!r}")
    unknown = [m for m in models if m not in mp.PRESETS]
    if unknown or not models:
        raise ValueError(f"models must be among {sorted(mp.PRESETS)}, got {list(models)}")
    overrides: dict[str, Any] = {
        k: v for k, v in (("n_z", n_z), ("n_products", n_products), ("smoothing", smoothing)) if v is not None
    }
    note = None
    if source == "calibrated" and records is None:
        try:
            stored = cal.stored_calibration()
            records = {m: stored[m] for m in models}
        except (FileNotFoundError, KeyError, ValueError) as err:
            note = f"the stored calibration is unavailable ({err!s}); the paper's Table 4 parameters are used instead"
            source = "table4"
    if source == "calibrated":
        assert records is not None
        params = {m: calibrated_params(m, records[m], **overrides) for m in models}
        description = f"calibrated parameters ({origin})"
    else:
        params = {m: mp.preset(m, **overrides) for m in models}
        description = "the paper's Table 4 parameters (the presets)"
    p = params[models[0]]
    description += f", grid n_z = {p.n_z} x {p.n_products} products, taste-shock scale {float(p.smoothing):g}"
    return PolicyParameters(params, source, description, note)


def run_experiments(parameters: PolicyParameters, *, T: int | None = None, progress: bool | None = None) -> PolicyRun:
    """The twelve experiments of Tables 7-8 (six per model), solved without raising (read ``info``).

    ``T``: the horizon in years (default: :func:`~jaxtrade.models.multiproduct.policy_tables`'s).
    """
    T = _default_T() if T is None else int(T)
    t0 = time.perf_counter()
    results = mp.policy_tables(parameters.params, T=T, progress=progress, throw=False)
    return PolicyRun(parameters, results, T, time.perf_counter() - t0)


def _default_T() -> int:
    return int(inspect.signature(mp.policy_tables).parameters["T"].default)


# ---------------------------------------------------------------------------------------------- numbers
def cev_percent(result: mp.PolicyResult) -> dict[str, float]:
    """The four CEVs of one experiment in percent: ``ss``, ``trans`` (exact) and ``ss_log``, ``trans_log``."""
    w = result.welfare
    return {
        "ss": 100.0 * float(w.cev_ss),
        "trans": 100.0 * float(w.cev_trans),
        "ss_log": 100.0 * float(w.cev_ss_log),
        "trans_log": 100.0 * float(w.cev_trans_log),
    }


def path_statistics(result: mp.PolicyResult, names: Sequence[str] = PATH_PANELS) -> dict[str, dict[str, float]]:
    """Percent deviations from the initial steady state: impact, t = 30, long run and peak (module docstring)."""
    tr = result.transition
    out = {}
    for name in names:
        dev = np.asarray(tr.deviation(name), dtype=float)
        peak = float(np.min(dev)) if result.experiment == "trade-war" else float(np.max(dev))
        values = {"impact": float(dev[0]), "t30": float(dev[min(30, dev.size - 1)]), "long_run": float(dev[-1]),
                  "peak": peak}  # fmt: skip
        out[name] = {k: 0.0 if abs(v) < 1e-10 else v for k, v in values.items()}  # no -0.0000 from rounding
    return out


def _ratio(a: float, b: float) -> float:
    return a / b if b != 0 and np.isfinite(a) and np.isfinite(b) else float("nan")


def _info(result: mp.PolicyResult) -> dict[str, Any]:
    info = result.transition.info
    return {
        "iterations": int(np.asarray(info.iterations)),
        "residual": float(np.asarray(info.residual)),
        "converged": bool(np.asarray(info.converged)),
        "reason": info.reason or "converged",
    }


def _shares(result: mp.PolicyResult, p: mp.MultiproductParams) -> np.ndarray:
    return np.asarray(mp.expenditure_shares(p, result.transition.ss0), dtype=float)


# ---------------------------------------------------------------------------------------------- tables
def welfare_table(run: PolicyRun, experiment: str) -> pd.DataFrame:
    """Table 7 (``"liberalization"``) or 8 (``"trade-war"``): CEVs in percent beside the paper's, then (1)/(2)."""
    if experiment not in paper.POLICY_TABLES:
        raise ValueError(f"experiment must be one of {tuple(paper.POLICY_TABLES)}, got {experiment!r}")
    number, ref, ref_ratio = paper.POLICY_TABLES[experiment]
    models = [m for m in MODELS if m in run.results]
    cev = {m: {s: cev_percent(run.results[m][(experiment, s)]) for s in mp.SCHEDULES} for m in models}
    rows: list[tuple] = []
    for m in models:
        for s in mp.SCHEDULES:
            for j, form in enumerate(("ss", "trans")):
                label = f"({MODELS.index(m) + 1}) {MODEL_LABELS[m]}, {SCHEDULE_LABELS[s]}: {FORM_LABELS[form]}"
                rows.append((label, ref[m][s][j], cev[m][s][form]))
    if len(models) == 2:
        for s in mp.SCHEDULES:
            for j, form in enumerate(("ss", "trans")):
                ours = _ratio(cev["standard"][s][form], cev["npg"][s][form])
                rows.append((f"(1)/(2), {SCHEDULE_LABELS[s]}: {FORM_LABELS[form]}", ref_ratio[s][j], ours,
                             RATIO_TOLERANCE))  # fmt: skip
    return comparison_frame(rows, CEV_TOLERANCE, columns=("CEV (%)", f"paper (Table {number})", "jaxtrade"))


def solver_table(run: PolicyRun) -> pd.DataFrame:
    """One row per experiment: the post-reform tariff range, the path solve's iterations, residual and status."""
    rows = []
    for m, res in run.results.items():
        for (experiment, schedule), r in res.items():
            tau = 100.0 * np.asarray(r.tau)
            info = _info(r)
            rows.append({"model": MODEL_LABELS.get(m, m), "experiment": experiment, "schedule": schedule,
                         "tariffs (%)": f"{tau.min():.2f}-{tau.max():.2f}", "iterations": info["iterations"],
                         "max abs residual": info["residual"], "converged": info["converged"],
                         "reason": info["reason"]})  # fmt: skip
    return pd.DataFrame(rows)


def _reading_rows(m: str, result: mp.PolicyResult, stats: dict[str, dict[str, float]]) -> list[tuple]:
    """(label, the paper's reading, ours) for the readings of :data:`~.paper.PATH_READINGS` of this experiment."""
    readings = paper.PATH_READINGS.get((m, result.experiment, result.schedule), {})
    return [(f"{PATH_LABELS[name]}, {STATISTIC_LABELS[stat]} ({figure})", value, stats[name][stat])
            for name in PATH_PANELS for stat in STATISTIC_LABELS
            for figure, value in [readings.get((name, stat), (None, None))] if value is not None]  # fmt: skip


def _tariff_rows(result: mp.PolicyResult) -> list[tuple]:
    """The lowest and highest post-reform tariff (%) beside :data:`~.paper.TARIFF_RANGES` (Figures 8, 11)."""
    if (result.experiment, result.schedule) not in paper.TARIFF_RANGES:
        return []
    lo, hi = paper.TARIFF_RANGES[(result.experiment, result.schedule)]
    tau = 100.0 * np.asarray(result.tau)
    figure = "Figure 8" if result.experiment == "liberalization" else "Figure 11"
    return [(f"{which} post-reform tariff, % ({figure})", value, float(ours))
            for which, value, ours in (("lowest", lo, tau.min()), ("highest", hi, tau.max()))]  # fmt: skip


def readings_table(run: PolicyRun) -> pd.DataFrame:
    """Figures 8-12: every figure reading of the paper (:data:`~.paper.PATH_READINGS`,
    :data:`~.paper.TARIFF_RANGES`) beside jaxtrade's value (percent)."""
    rows: list[tuple] = []
    for m in MODELS:
        for experiment in mp.EXPERIMENTS:
            for schedule in mp.SCHEDULES:
                if m not in run.results or (m, experiment, schedule) not in paper.PATH_READINGS:
                    continue
                r = run.results[m][(experiment, schedule)]
                prefix = f"{MODEL_LABELS[m]}, {experiment}, {SCHEDULE_LABELS[schedule]}: "
                rows += [
                    (prefix + label, value, ours) for label, value, ours in _reading_rows(m, r, path_statistics(r))
                ]
    if "standard" in run.results:
        for experiment, schedule in paper.TARIFF_RANGES:
            r = run.results["standard"][(experiment, schedule)]
            prefix = f"Standard, {experiment}, {SCHEDULE_LABELS[schedule]}: "
            rows += [(prefix + label, value, ours) for label, value, ours in _tariff_rows(r)]
    return comparison_frame(rows, FIGURE_TOLERANCE, columns=("quantity (% deviation; tariffs in %)",
                                                             "paper (figure reading)", "jaxtrade"))  # fmt: skip


def _cells(run: PolicyRun, experiment: str, forms: Sequence[str]) -> dict[str, dict[str, dict[str, float]]]:
    return {m: {s: {f.removesuffix("_log"): cev_percent(res[(experiment, s)])[f] for f in forms} for s in mp.SCHEDULES}
            for m, res in run.results.items()}  # fmt: skip


def _grid(p: mp.MultiproductParams) -> dict[str, Any]:
    return {"n_z": p.n_z, "n_products": p.n_products, "smoothing": float(p.smoothing)}


def tables_dict(run: PolicyRun) -> dict[str, Any]:
    """Tables 7-8 as JSON: ``table7``/``table8`` (model -> schedule -> ``{"ss", "trans"}``, exact CEV in
    percent), their log forms (``table7_log``, ...), the (1)/(2) ratios, the paper's values, one entry per
    experiment (tariffs, solver info), ``max_path_residual``, ``converged`` and the parameters used."""
    pp = run.parameters
    out: dict[str, Any] = {
        "parameters": pp.source,
        "parameters_description": pp.description,
        "parameters_note": pp.note,
        "T": run.T,
        "grid": _grid(next(iter(pp.params.values()))),
    }
    ref: dict[str, Any] = {}
    for experiment, (number, table, ratio) in paper.POLICY_TABLES.items():
        key = f"table{number}"
        out[key] = _cells(run, experiment, ("ss", "trans"))
        out[f"{key}_log"] = _cells(run, experiment, ("ss_log", "trans_log"))
        if all(m in run.results for m in MODELS):
            out[f"{key}_ratio"] = {s: {f: _ratio(out[key]["standard"][s][f], out[key]["npg"][s][f])
                                       for f in ("ss", "trans")} for s in mp.SCHEDULES}  # fmt: skip
        ref[key] = {m: {s: {"ss": v[0], "trans": v[1]} for s, v in table[m].items()} for m in MODELS}
        ref[f"{key}_ratio"] = {s: {"ss": v[0], "trans": v[1]} for s, v in ratio.items()}
    out["paper"] = ref
    experiments = []
    for m, res in run.results.items():
        for (experiment, schedule), r in res.items():
            experiments.append({"model": m, "experiment": experiment, "schedule": schedule,
                                "tariffs": np.asarray(r.tau).tolist(), **_info(r)})  # fmt: skip
    out["experiments"] = experiments
    out["max_path_residual"] = max(e["residual"] for e in experiments)
    out["converged"] = all(e["converged"] for e in experiments)
    out["seconds"] = run.seconds
    return out


# ---------------------------------------------------------------------------------------------- one experiment
def experiment_tables(result: mp.PolicyResult, model: str, p: mp.MultiproductParams) -> dict[str, pd.DataFrame]:
    """One experiment: ``tariffs`` by product, ``welfare`` (the four CEVs beside the paper's Table 7/8 cell),
    ``paths`` (impact, t = 30, long run and peak of :data:`PATH_PANELS`, percent deviations) and
    ``readings`` (the paper's figure readings for this experiment beside ours; may have no rows)."""
    number, ref, _ = paper.POLICY_TABLES[result.experiment]
    cell = ref.get(model, {}).get(result.schedule, (None, None))
    cev = cev_percent(result)
    welfare = comparison_frame(
        [(f"{FORM_LABELS[f]} (Table {number})", cell[j] if j < 2 else None, cev[f])
         for j, f in enumerate(("ss", "trans", "ss_log", "trans_log"))],
        CEV_TOLERANCE, columns=("CEV (%)", f"paper (Table {number})", "jaxtrade"),
    )  # fmt: skip
    stats = path_statistics(result)
    paths = pd.DataFrame([{"path": PATH_LABELS[name], **{STATISTIC_LABELS[k]: v for k, v in stats[name].items()}}
                          for name in PATH_PANELS])  # fmt: skip
    rows = _reading_rows(model, result, stats)
    if model == "standard":
        rows += _tariff_rows(result)
    readings = comparison_frame(rows, FIGURE_TOLERANCE, columns=("quantity (% deviation; tariffs in %)",
                                                                 "paper (figure reading)", "jaxtrade"))  # fmt: skip
    tariffs = pd.DataFrame({
        "product k": np.arange(1, p.n_products + 1),
        "expenditure share s_k (%)": 100.0 * _shares(result, p),
        "tariff before (%)": 100.0 * np.asarray(p.tau),
        "tariff after (%)": 100.0 * np.asarray(result.tau),
    })  # fmt: skip
    return {"tariffs": tariffs, "welfare": welfare, "paths": paths, "readings": readings}


def experiment_dict(result: mp.PolicyResult, model: str, p: mp.MultiproductParams, parameters: PolicyParameters
                    ) -> dict[str, Any]:  # fmt: skip
    """One experiment as JSON: tariffs, CEVs (percent) with the paper's cell, path statistics, solver info."""
    number, ref, _ = paper.POLICY_TABLES[result.experiment]
    cell = ref.get(model, {}).get(result.schedule)
    s = _shares(result, p)
    tr = result.transition
    return {
        "experiment": result.experiment,
        "schedule": result.schedule,
        "preset": model,
        "parameters": parameters.source,
        "parameters_description": parameters.description,
        "parameters_note": parameters.note,
        "T": tr.T,
        "grid": _grid(p),
        "tariffs": {
            "before": np.asarray(p.tau).tolist(),
            "after": np.asarray(result.tau).tolist(),
            "expenditure_shares": s.tolist(),
            "weighted_average_before": float(s @ np.asarray(p.tau)),
            "weighted_average_after": float(s @ np.asarray(result.tau)),
        },
        "cev": cev_percent(result),
        "paper": {"table": number, "ss": cell[0] if cell else None, "trans": cell[1] if cell else None},
        "paths": path_statistics(result),
        "paper_readings": {
            f"{name}/{stat}": {"figure": fig, "value": value}
            for (name, stat), (fig, value) in paper.PATH_READINGS.get(
                (model, result.experiment, result.schedule), {}
            ).items()
        },  # fmt: skip
        "solver": _info(result),
        "accounting": {k: float(np.asarray(v)) for k, v in tr.accounting.items()},
        "converged": _info(result)["converged"],
    }


# ---------------------------------------------------------------------------------------------- figures
def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


_STYLES = (("tab:blue", "-"), ("tab:orange", "--"), ("tab:green", ":"), ("tab:red", "-."))


def _paths_figure(curves: dict[str, mp.Transition], path: pathlib.Path, title: str, horizon: int = HORIZON,
                  names: Sequence[str] = PATH_PANELS) -> pathlib.Path:  # fmt: skip
    """Panels of percent deviations from the initial steady state, t = 0..horizon, one line per curve."""
    plt = _pyplot()
    cols = 3
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.2 * rows), squeeze=False)
    for ax, name in zip(axes.ravel(), names):
        for (label, tr), (color, ls) in zip(curves.items(), _STYLES):
            dev = np.asarray(tr.deviation(name))[: horizon + 1]
            ax.plot(np.arange(dev.size), dev, color=color, ls=ls, label=label)
        ax.axhline(0.0, color="grey", lw=0.8)
        ax.set_title(PATH_LABELS.get(name, name), fontsize=10)
        ax.set_xlabel("years after the change")
        ax.set_ylabel("% deviation")
    for ax in axes.ravel()[len(names) :]:
        ax.set_visible(False)
    axes.ravel()[0].legend(fontsize=8)
    fig.suptitle(title)
    return save_figure(fig, path)


def _schedule_figure(run: PolicyRun, experiment: str, path: pathlib.Path, model: str = "standard") -> pathlib.Path:
    plt = _pyplot()
    p = run.parameters.params[model]
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for schedule, (color, ls) in zip(mp.SCHEDULES, _STYLES):
        r = run.results[model][(experiment, schedule)]
        s = 100.0 * _shares(r, p)
        order = np.argsort(s)
        ax.plot(s[order], 100.0 * np.asarray(r.tau)[order], color=color, ls=ls, marker="o", ms=3,
                label=SCHEDULE_LABELS[schedule])  # fmt: skip
    ax.axhline(100.0 * float(np.asarray(p.tau).mean()), color="grey", lw=0.8, ls=":", label="before (10 %)")
    ax.set_xlabel("pre-reform expenditure share s_k (%)")
    ax.set_ylabel("post-reform tariff (%)")
    ax.legend(fontsize=8)
    number = 8 if experiment == "liberalization" else 11
    ax.set_title(f"Figure {number}: {experiment} tariff schedules ({MODEL_LABELS[model]})", fontsize=10)
    return save_figure(fig, path)


def write_figures(run: PolicyRun, out_dir: str | pathlib.Path) -> dict[str, pathlib.Path]:
    """Figures 8-12 as PNG in ``out_dir`` (keys ``fig8``..``fig12``; :data:`FIGURE_CAPTIONS`).

    8 and 11: the tariff schedules against the expenditure shares (Standard); 9 and 12: the aggregates
    of :data:`PATH_PANELS` for the flat and the psi = 2 schedule (Standard); 10: the export scope, (a)
    Standard under the three schedules, (b) Standard vs NPG (flat liberalization).
    """
    out_dir = pathlib.Path(out_dir)
    out: dict[str, pathlib.Path] = {}
    if "standard" not in run.results:
        return out
    std = run.results["standard"]
    tag = f"({run.parameters.source} parameters)"
    out["fig8"] = _schedule_figure(
        run, "liberalization", out_dir / "multiproduct_policy_fig8_liberalization_tariffs.png"
    )
    out["fig9"] = _paths_figure(
        {SCHEDULE_LABELS[s]: std[("liberalization", s)].transition for s in ("flat", "psi2")},
        out_dir / "multiproduct_policy_fig9_liberalization_aggregates.png",
        f"Figure 9: trade liberalization, Standard {tag}",
    )  # fmt: skip
    plt = _pyplot()
    panels = 2 if "npg" in run.results else 1
    fig, axes = plt.subplots(1, panels, figsize=(5 * panels, 3.6), squeeze=False)
    ax = axes[0, 0]
    for schedule, (color, ls) in zip(mp.SCHEDULES, _STYLES):
        dev = np.asarray(std[("liberalization", schedule)].transition.deviation("avg_export_scope"))[: HORIZON + 1]
        ax.plot(np.arange(dev.size), dev, color=color, ls=ls, label=SCHEDULE_LABELS[schedule])
    ax.set_title("(a) Standard under different tariff schedules", fontsize=10)
    if panels == 2:
        ax = axes[0, 1]
        for m, (color, ls) in zip(MODELS, _STYLES):
            tr = run.results[m][("liberalization", "flat")].transition
            dev = np.asarray(tr.deviation("avg_export_scope"))[: HORIZON + 1]
            ax.plot(np.arange(dev.size), dev, color=color, ls=ls, label=MODEL_LABELS[m])
        ax.set_title("(b) Standard vs NPG (flat)", fontsize=10)
    for ax in axes.ravel():
        ax.axhline(0.0, color="grey", lw=0.8)
        ax.set_xlabel("years after the change")
        ax.set_ylabel("% deviation of the average export scope")
        ax.legend(fontsize=8)
    fig.suptitle(f"Figure 10: export product scope after trade liberalization {tag}")
    out["fig10"] = save_figure(fig, out_dir / "multiproduct_policy_fig10_export_scope.png")
    out["fig11"] = _schedule_figure(run, "trade-war", out_dir / "multiproduct_policy_fig11_trade_war_tariffs.png")
    out["fig12"] = _paths_figure(
        {SCHEDULE_LABELS[s]: std[("trade-war", s)].transition for s in ("flat", "psi2")},
        out_dir / "multiproduct_policy_fig12_trade_war_aggregates.png",
        f"Figure 12: trade war, Standard {tag}",
    )
    return out


def experiment_figure(result: mp.PolicyResult, model: str, out_dir: str | pathlib.Path,
                      source: str = "calibrated") -> pathlib.Path:  # fmt: skip
    """The paths of one experiment (:data:`PATH_PANELS`, first :data:`HORIZON` years), as Figures 9/12."""
    number = 9 if result.experiment == "liberalization" else 12
    name = f"multiproduct_{model}_{result.experiment}_{result.schedule}_paths.png"
    title = (f"{result.experiment}, {SCHEDULE_LABELS[result.schedule]}, {MODEL_LABELS.get(model, model)} "
             f"({source} parameters), as Figure {number}")  # fmt: skip
    return _paths_figure({SCHEDULE_LABELS[result.schedule]: result.transition}, pathlib.Path(out_dir) / name, title)


# ---------------------------------------------------------------------------------------------- report
def add_section(
    sec: Section,
    out_dir: str | pathlib.Path,
    records: dict[str, dict[str, Any]] | None = None,
    *,
    origin: str = "the calibration shipped with jaxtrade",
    T: int | None = None,
    n_z: int | None = None,
    n_products: int | None = None,
    smoothing: float | None = None,
    progress: bool | None = False,
) -> PolicyRun:
    """Tables 7-8, the figure readings, the solver diagnostics and Figures 8-12 into ``sec``.

    ``records``: the calibrations to use (default: the stored ones; ``origin`` names them); the grid and
    horizon options are for quick runs (default: the calibration's grid, T of the library).
    """
    pp = policy_parameters("calibrated", records=records, origin=origin, n_z=n_z, n_products=n_products,
                           smoothing=smoothing)  # fmt: skip
    run = run_experiments(pp, T=T, progress=progress)
    info = tables_dict(run)
    sec.add_text(
        f"Section 6, trade-policy experiments with {pp.description}"
        + (f" ({pp.note})" if pp.note else "")
        + f": twelve unexpected, permanent, symmetric tariff changes, each a perfect-foresight transition of "
        f"T = {run.T} years solved in sequence space (fake-news Jacobian by autodiff, Broyden), then the "
        f"terminal steady state; {len(info['experiments'])} transitions in {run.seconds:.0f} s, all converged: "
        f"{info['converged']} (max path residual {info['max_path_residual']:.1e}). Welfare is the exact "
        "consumption-equivalent variation: SS = C_ss1 / C_ss0 - 1, Trans = (W1 / W0)^(1/(1-sigma)) - 1 with W1 the "
        "lifetime utility along the transition (log forms in `jaxtrade multiproduct policy --tables --json`)."
    )
    note = ("jaxtrade's parameters come from its own calibration on its own grid choices (the paper's are "
            "unpublished), so the gaps carry both; the (1)/(2) ratio rows are compared within 0.1.")  # fmt: skip
    sec.add_comparison("Table 7: welfare gains from trade liberalization (CEV, %), Standard and NPG",
                       welfare_table(run, "liberalization"), CEV_TOLERANCE, note=note)  # fmt: skip
    sec.add_comparison("Table 8: welfare losses from trade wars (CEV, %), Standard and NPG",
                       welfare_table(run, "trade-war"), CEV_TOLERANCE, note=note)  # fmt: skip
    sec.add_comparison(
        "Figures 8-12: long-run values and peaks (% deviation from the initial steady state) and tariff ranges "
        "beside the paper's readings",
        readings_table(run), FIGURE_TOLERANCE,
        note="Long run: the last period of the path (the terminal steady state); t = 30: 30 years after the "
             "change; peak: the maximum over the path (the minimum for the trade war). Readings from plots and "
             "the text of section 6 are approximate. The tariff ranges depend on the expenditure shares, which "
             "span 6-18 % in the paper.",
    )  # fmt: skip
    sec.add_table("Transitions: tariffs and path solves", solver_table(run),
                  note="Max abs residual: the largest of the 4 T equilibrium conditions (free entry, labour market, "
                       "capital Euler equation, firm discount factor) at the solution.")  # fmt: skip
    for key, path in write_figures(run, out_dir).items():
        sec.add_figure(f"{FIGURE_CAPTIONS[key]} ({pp.source} parameters)", path)
    return run
