"""Heo & Kim (2025) Tables 4-6 from a calibration: run one, store it, read it back, tabulate it.

:func:`run_calibration` calibrates a preset (Standard first; NPG takes mu_E,
xi and gamma from a Standard calibration, as the paper does), solves the
model at the estimate, runs Table 6's regression on a simulated panel and
returns one JSON-ready record (also written to ``out/calibration.json``;
checkpoints go to ``out/checkpoint.json``). The package ships such records
for both presets (:func:`jaxtrade.models.multiproduct.calibration.stored_calibration`),
produced by the command they carry; the default replication reads them, the
``--full`` one recomputes them.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import pathlib
import platform
import time
from typing import Any

import jax
import numpy as np
import pandas as pd

import jaxtrade
from jaxtrade.estimation import Multistart
from jaxtrade.models import multiproduct as mp
from jaxtrade.models.multiproduct import calibration as cal
from jaxtrade.reporting import Tolerance, comparison_frame

from . import paper
from .table6 import model_ebp_regression

__all__ = [
    "TARGET_TOLERANCE",
    "TABLE6_TOLERANCE",
    "calibrated_params",
    "identification_table",
    "sensitivity_table",
    "run_calibration",
    "table4",
    "table5_calibrated",
    "table6",
]

#: The issue's acceptance rule: every targeted moment within 0.01 of the data
TARGET_TOLERANCE = Tolerance(abs=0.01)
#: Table 6: within one of the paper's standard errors (0.0534)
TABLE6_TOLERANCE = Tolerance(abs=0.0534)


def _base(name: str, n_z: int, n_products: int, standard: dict[str, Any] | None) -> mp.MultiproductParams:
    base = mp.preset(name, n_z=n_z, n_products=n_products)
    if name == "npg":
        if standard is None:
            standard = cal.stored_calibration()["standard"]
        shared = {k: standard["parameters"][k] for k in ("mu_E", "xi", "gamma")}
        base = base.replace(**shared)
    return base


def calibrated_params(name: str, record: dict[str, Any] | None = None, **overrides: Any) -> mp.MultiproductParams:
    """The preset's parameters at a calibration record (default: the stored one), on its grid.

    ``overrides`` go to :func:`~jaxtrade.models.multiproduct.preset` (e.g. ``n_z``, ``n_products``,
    ``smoothing``: another grid than the calibration's); the calibrated values are set on top.
    """
    record = cal.stored_calibration()[name] if record is None else record
    grid = record["grid"]
    p = mp.preset(name, **{"n_z": grid["n_z"], "n_products": grid["n_products"], **overrides})
    values = {**record.get("fixed_parameters", {}), **record["parameters"]}
    return p.replace(**values)


def run_calibration(
    name: str,
    out: str | pathlib.Path | None = None,
    *,
    resume: bool = False,
    n_z: int | None = None,
    n_products: int | None = None,
    standard: dict[str, Any] | None = None,
    multistart: int = 0,
    table6_sample: dict[str, int] | None = None,
    progress: bool | None = None,
    throw: bool = True,
    command: str | None = None,
) -> dict[str, Any]:
    """Calibrate preset ``name`` and build its Tables 4-6 record (module docstring).

    Parameters
    ----------
    name : {"standard", "npg"}
    out : folder for ``calibration.json`` and checkpoints (None: nothing written).
    resume : continue from ``out``'s checkpoint.
    n_z, n_products : grid (default: the preset's).
    standard : for NPG, the Standard record whose mu_E, xi, gamma are kept (default: the stored one).
    multistart : TikTak with this many Sobol points around the start (0: none).
    table6_sample : overrides of :data:`~jaxtrade.replication.heo_kim_model.table6.TABLE6_SAMPLE`.
    """
    defaults = inspect.signature(mp.standard_params).parameters
    n_z = int(defaults["n_z"].default if n_z is None else n_z)
    n_products = int(defaults["n_products"].default if n_products is None else n_products)
    base = _base(name, n_z, n_products, standard)
    out_dir = None if out is None else pathlib.Path(out)
    ms = None
    if multistart:
        free = cal.FREE[name]
        start = np.array([float(getattr(base, k)) for k in free])
        lo = np.array([cal.BOUNDS[k][0] for k in free])
        hi = np.array([cal.BOUNDS[k][1] for k in free])
        box = (np.maximum(start * 0.6, lo + 1e-3 * (hi - lo)), np.minimum(start * 1.4, hi - 1e-3 * (hi - lo)))
        ms = Multistart(box=(box[0].tolist(), box[1].tolist()), n_samples=int(multistart), n_local=4)
    t0 = time.perf_counter()
    est = cal.calibrate(name, base=base, multistart=ms, checkpoint=out_dir, resume=resume, progress=progress,
                        throw=throw)  # fmt: skip
    p = base.replace(**est.theta)
    eq = mp.solve_equilibrium(p)
    t6 = model_ebp_regression(p, eq, **(table6_sample or {}))
    free = cal.FREE[name]
    paper_p = mp.preset(name)
    inf = est.inference
    record = {
        "preset": name,
        "parameters": est.theta,
        "paper_parameters": {k: float(getattr(paper_p, k)) for k in free},
        "fixed_parameters": {k: float(getattr(base, k)) for k in ("mu_E", "xi", "gamma") if k not in free},
        "moments": {
            k: {
                "model": est.moments[k],
                "data": float(mp.TABLE5_DATA[k]),
                "targeted": k in cal.TARGETS[name],
                "paper_model": paper.TABLE5_MODEL[name][k],
            }
            for k in mp.TABLE5_NAMES
        },  # fmt: skip
        "table6": t6,
        "converged": est.converged,
        "loss": est.loss,
        "seconds": time.perf_counter() - t0,
        "evaluations": est.evaluations,
        "stages": [
            {
                "name": s.name,
                "kind": s.kind,
                "smoothing": s.fixed.get("smoothing"),
                "result": s.info.reason or "converged",
                "iterations": int(s.info.iterations),
                "max_abs_residual": float(s.info.residual),
                "loss": s.loss,
                "seconds": s.seconds,
            }
            for s in est.stages
        ],  # fmt: skip
        "grid": {
            "n_z": n_z,
            "n_products": n_products,
            "omega_lo": float(base.omega_lo),
            "omega_hi": float(base.omega_hi),
            "smoothing_reported": float(base.smoothing),
        },  # fmt: skip
        "targets": list(cal.TARGETS[name]),
        "identification": None
        if inf is None
        else {
            "parameters": list(free),
            "targets": list(cal.TARGETS[name]),
            "jacobian": inf.jacobian.tolist(),
            "elasticities": inf.elasticities.tolist(),
            "sensitivity": inf.sensitivity.tolist(),
            "singular_values": inf.singular_values.tolist(),
            "condition_number": inf.condition_number,
        },  # fmt: skip
        "command": command or f"jaxtrade multiproduct calibrate --preset {name} --out DIR",
        "jaxtrade_version": jaxtrade.__version__,
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip() + f", {jax.default_backend()}",
    }
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "calibration.json").write_text(json.dumps(record, indent=1, allow_nan=False, default=float))
    return record


def table4(record: dict[str, Any]) -> pd.DataFrame:
    """Table 4: the paper's estimates beside ours (not compared: they depend on the paper's unpublished
    grid choices; the targets are what the calibration must match)."""
    rows = [(k, record["paper_parameters"][k], record["parameters"][k]) for k in record["paper_parameters"]]
    rows += [(f"{k} (fixed at Standard)", None, v) for k, v in record.get("fixed_parameters", {}).items()]
    return comparison_frame(rows, None, columns=("parameter", "paper (Table 4)", "jaxtrade"))


def table5_calibrated(record: dict[str, Any]) -> pd.DataFrame:
    """Table 5 at the calibration: data, the paper's model, ours; targeted rows compared with the data."""
    rows = []
    targeted = {k for k in mp.TABLE5_NAMES if record["moments"][k]["targeted"]}
    implied = {k for ident in cal.IDENTITIES for k in ident.names
               if k not in targeted and all(o in targeted for o in ident.names if o != k)}  # fmt: skip
    for k in mp.TABLE5_NAMES:
        m = record["moments"][k]
        suffix = " (targeted)" if k in targeted else " (adding-up identity)" if k in implied else ""
        label = mp.TABLE5_LABELS[k] + suffix
        rows.append((label, m["data"], m["model"], TARGET_TOLERANCE if m["targeted"] else None))
    df = comparison_frame(rows, None, columns=("moment", "data (Table 5)", "jaxtrade"))
    df.insert(2, "paper model (Table 5)", [record["moments"][k]["paper_model"] for k in mp.TABLE5_NAMES])
    return df


def table6(record: dict[str, Any]) -> pd.DataFrame:
    """Table 6: the model-based EBP regression beside the paper's model column (reported for Standard only)."""
    t6 = record["table6"]
    ref = paper.TABLE6 if record["preset"] == "standard" else {"coef": None, "se": None, "r2": None}
    rows = [("EBP coefficient", ref["coef"], t6["coef"], TABLE6_TOLERANCE),
            ("standard error", ref["se"], t6["se"], None),
            ("R2", ref["r2"], t6["r2"], None),
            ("observations", None, t6["nobs"], None)]  # fmt: skip
    return comparison_frame(rows, None, columns=("quantity", "paper model (Table 6)", "jaxtrade"))


def _matrix(record: dict[str, Any], key: str, rows: str, columns: str, index_name: str) -> pd.DataFrame:
    ident = record["identification"]
    if ident is None:
        return pd.DataFrame()
    df = pd.DataFrame(ident[key], index=ident[rows], columns=ident[columns])
    df.index.name = index_name
    return df.reset_index()


def sensitivity_table(record: dict[str, Any]) -> pd.DataFrame:
    """Andrews-Gentzkow-Shapiro sensitivity Lambda = -(G'WG)^-1 G'W: rows parameters, columns targets.

    Entry (p, m): the first-order change of the estimate of p per unit change of data moment m.
    """
    return _matrix(record, "sensitivity", "parameters", "targets", "parameter")


def identification_table(record: dict[str, Any]) -> pd.DataFrame:
    """Elasticities d log m / d log theta at the estimate (rows: targets; columns: parameters)."""
    return _matrix(record, "elasticities", "targets", "parameters", "d log moment / d log parameter")
