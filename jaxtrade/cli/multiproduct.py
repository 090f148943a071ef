"""``jaxtrade multiproduct solve|calibrate|policy``: the Heo & Kim (2025) multiproduct exporter model.

Defaults are the presets' (:func:`~jaxtrade.models.multiproduct.standard_params`)
and the calibration's (:mod:`jaxtrade.models.multiproduct.calibration`).

``calibrate`` runs eq. (28) for a preset (Tables 4-6), writing
``DIR/calibration.json`` and a checkpoint after every iteration to ``DIR``;
``--resume`` continues an interrupted run from that checkpoint. ``--json``
prints one JSON object: ``parameters``, ``paper_parameters``, ``moments``
(name -> ``{"model", "data", "targeted", "paper_model"}``), ``table6``
(``coef``, ``se``, ``r2``, ``nobs``), ``converged``, ``loss``, ``seconds``
and the rest of the record (:func:`~jaxtrade.replication.heo_kim_model.calibration.run_calibration`).
Exit code 1 when the calibration did not converge (the record is still written).

``policy`` runs the section-6 trade-policy experiments (eqs. 35-36) as
perfect-foresight transitions (:mod:`jaxtrade.replication.heo_kim_model.policy`):
one (``--experiment``, ``--schedule``, ``--preset``), printing the tariffs, the
CEVs (SS and Trans, exact and log, percent) beside the paper's Table 7/8 cell,
the solver's iterations and residual and the long-run and peak deviations beside
the paper's figure readings (``--figures DIR``: the paths as PNG, like Figures
9/12); or all twelve (``--tables``), printing Tables 7 and 8 beside the paper's
with the Standard/NPG ratios (``--figures DIR``: Figures 8-12). Parameters:
``--params calibrated`` (default; the stored calibration, or the paper's Table 4
with a note when it cannot be read) or ``table4``. ``--tables --json`` prints
``table7``/``table8`` (model -> schedule -> ``{"ss", "trans"}``, percent),
``max_path_residual``, ``converged``, ``parameters`` and the rest of
:func:`~jaxtrade.replication.heo_kim_model.policy.tables_dict`. Exit code 1
when a transition did not converge (everything is still printed).
"""

from __future__ import annotations

import json
import pathlib
import shlex
import sys

import pandas as pd

from jaxtrade.cli.common import (
    EXIT_NOT_CONVERGED,
    EXIT_OK,
    OUTPUT_FOLDER_HELP,
    atomic_output_dir,
    default_of,
    moved,
    print_json,
    run_guarded,
)
from jaxtrade.models import multiproduct as mp
from jaxtrade.replication.heo_kim_model import calibration, figures, policy, solve_preset, tables
from jaxtrade.replication.heo_kim_model.table6 import TABLE6_SAMPLE
from jaxtrade.reporting import DASH, check_output_dir

__all__ = ["add_parser"]


def add_parser(sub) -> None:
    """Add ``multiproduct`` (with ``solve``, ``calibrate`` and ``policy``) to an argparse subparsers object."""
    p = sub.add_parser("multiproduct", help="Heo & Kim (2025) multiproduct exporter model")
    msub = p.add_subparsers(dest="multiproduct_command")
    s = msub.add_parser("solve", help="solve the stationary equilibrium and print Table 5 beside the paper",
                        description="Solves a preset's stationary equilibrium and prints Table 5 beside the paper. "
                        + OUTPUT_FOLDER_HELP)  # fmt: skip
    s.add_argument("--preset", choices=sorted(mp.PRESETS), default="standard")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.add_argument("--figures", metavar="DIR", default=None, help="write Figures 3-7 as PNG into DIR")
    s.add_argument("--n-z", type=int, default=default_of(mp.standard_params, "n_z"), help="productivity grid points")
    s.add_argument("--n-products", type=int, default=default_of(mp.standard_params, "n_products"),
                   help="number of products N")  # fmt: skip
    s.add_argument("--smoothing", type=float, default=None, help="taste-shock scale (0 = hard max; default: preset's)")
    s.set_defaults(func=lambda args: run_guarded("multiproduct solve", lambda: _solve(args)))
    c = msub.add_parser("calibrate", help="calibrate a preset by eq. (28): Tables 4-6 beside the paper",
                        description="Calibrates a preset by eq. (28) and prints Tables 4-6 beside the paper. Unlike "
                        "the other output folders, --out DIR is written in place: it keeps a checkpoint after every "
                        "iteration, so that an interrupted run can continue with --resume.")  # fmt: skip
    c.add_argument("--preset", choices=sorted(mp.PRESETS), default="standard")
    c.add_argument("--out", metavar="DIR", required=True, help="folder for calibration.json and checkpoints")
    c.add_argument("--resume", action="store_true", help="continue from the checkpoint in DIR")
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.add_argument("--n-z", type=int, default=default_of(mp.standard_params, "n_z"), help="productivity grid points")
    c.add_argument("--n-products", type=int, default=default_of(mp.standard_params, "n_products"),
                   help="number of products N")  # fmt: skip
    c.add_argument("--standard-from", metavar="FILE", default=None,
                   help="NPG only: calibration.json of a Standard run whose mu_E, xi, gamma are kept "
                        "(default: the calibration shipped with jaxtrade)")  # fmt: skip
    c.add_argument("--multistart", type=int, default=default_of(calibration.run_calibration, "multistart"),
                   help="TikTak multi-start with this many Sobol points (0: start from Table 4)")  # fmt: skip
    c.add_argument("--table6-firms", type=int, default=TABLE6_SAMPLE["n_firms"],
                   help="firm slots of the simulated panel for Table 6")  # fmt: skip
    c.add_argument("--no-progress", action="store_true", help="hide progress bars")
    c.set_defaults(func=lambda args: run_guarded("multiproduct calibrate", lambda: _calibrate(args)))
    y = msub.add_parser(
        "policy",
        help="section-6 tariff experiments: transition and welfare beside the paper (Tables 7-8, Figures 8-12)",
        description="One experiment (--experiment, --schedule, --preset), or all twelve of Tables 7-8 (--tables). "
        + OUTPUT_FOLDER_HELP,
    )
    y.add_argument("--tables", action="store_true",
                   help="run all twelve experiments (Standard and NPG) and print Tables 7 and 8 beside the paper")  # fmt: skip
    y.add_argument("--experiment", choices=list(mp.EXPERIMENTS), default=None,
                   help="liberalization (10 %% -> 5 %%) or trade-war (10 %% -> 20 %%); required without --tables")  # fmt: skip
    y.add_argument("--schedule", choices=list(mp.SCHEDULES), default=None,
                   help="flat, or targeted by eq. (35)/(36) with psi = 0.5 or 2 (default: flat)")  # fmt: skip
    y.add_argument("--preset", choices=sorted(mp.PRESETS), default=None, help="model (default: standard)")
    y.add_argument("--params", choices=policy.PARAMETER_SOURCES, default="calibrated",
                   help="calibrated: the stored calibration (default; Table 4 with a note if unavailable); "
                        "table4: the paper's Table 4 parameters")  # fmt: skip
    y.add_argument("--T", type=int, default=default_of(mp.policy_experiment, "T"),
                   help="transition horizon in years (the terminal steady state after it)")  # fmt: skip
    y.add_argument("--json", action="store_true", help="print one JSON object")
    y.add_argument("--figures", metavar="DIR", default=None,
                   help="write the paths figure (one experiment) or Figures 8-12 (--tables) as PNG into DIR")  # fmt: skip
    y.add_argument("--n-z", type=int, default=None, help="productivity grid points (default: the parameters' grid)")
    y.add_argument("--n-products", type=int, default=None, help="number of products N (default: the parameters')")
    y.add_argument("--smoothing", type=float, default=None, help="taste-shock scale (default: the parameters')")
    y.add_argument("--no-progress", action="store_true", help="hide progress bars")
    y.set_defaults(func=lambda args: run_guarded("multiproduct policy", lambda: _policy(args)))
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def _solve(args) -> None:
    if args.figures is not None:
        check_output_dir(args.figures, what="--figures")
    overrides = dict(n_z=args.n_z, n_products=args.n_products)
    if args.smoothing is not None:
        overrides["smoothing"] = args.smoothing
    p, eq = solve_preset(args.preset, **overrides)
    summary = tables.summary_dict(args.preset, p, eq)
    if args.figures:
        with atomic_output_dir(args.figures, what="--figures") as tmp:
            written = figures.write_figures(p, eq, tmp, args.preset)
        summary["figures"] = [str(x) for x in moved(written, tmp, args.figures)]
    if args.json:
        print_json(summary)
        return
    print(f"Heo & Kim (2025) multiproduct model, preset {args.preset}: stationary equilibrium")
    print(tables.table5(args.preset, eq).to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print("prices:", ", ".join(f"{k}={v:.6g}" for k, v in summary["prices"].items()))
    print("quantities:", ", ".join(f"{k}={v:.6g}" for k, v in summary["quantities"].items()))
    print("residuals (max abs):", f"{max(abs(v) for v in summary['residuals'].values()):.2e}")
    for f in summary.get("figures", []):
        print("figure:", f)


def _calibrate(args) -> int:
    standard = None
    if args.standard_from is not None:
        if args.preset != "npg":
            raise ValueError("--standard-from applies to --preset npg only")
        path = pathlib.Path(args.standard_from)
        if not path.exists():
            raise FileNotFoundError(f"--standard-from: no file {path}")
        standard = json.loads(path.read_text())
    record = calibration.run_calibration(
        args.preset, args.out, resume=args.resume, n_z=args.n_z, n_products=args.n_products, standard=standard,
        multistart=args.multistart, table6_sample={"n_firms": args.table6_firms},
        progress=False if args.no_progress else None, throw=False,
        command="jaxtrade " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
    )  # fmt: skip
    if args.json:
        print_json(record)
    else:
        fmt = lambda v: f"{v:.4f}"  # noqa: E731
        print(f"Heo & Kim (2025) multiproduct model, preset {args.preset}: calibration by eq. (28)")
        print("Table 4:")
        print(calibration.table4(record).to_string(index=False, float_format=fmt))
        print("Table 5:")
        print(calibration.table5_calibrated(record).to_string(index=False, float_format=fmt))
        print("Table 6 (model-based EBP regression):")
        print(calibration.table6(record).to_string(index=False, float_format=fmt))
        print(f"converged={record['converged']}, loss={record['loss']:.3e}, seconds={record['seconds']:.1f}, "
              f"written to {pathlib.Path(args.out) / 'calibration.json'}")  # fmt: skip
    return EXIT_OK if record["converged"] else EXIT_NOT_CONVERGED


def _policy(args) -> int:
    chosen = [f"--{k}" for k in ("experiment", "schedule", "preset") if getattr(args, k) is not None]
    if args.tables and chosen:
        raise ValueError(f"{', '.join(chosen)} choose one experiment; --tables runs all twelve (drop one or the other)")
    if not args.tables and args.experiment is None:
        raise ValueError(f"give --experiment ({' or '.join(mp.EXPERIMENTS)}) for one experiment, or --tables for all")
    if args.T < 2:
        raise ValueError(f"--T must be >= 2 (years of the transition), got {args.T}")
    if args.figures is not None:
        check_output_dir(args.figures, what="--figures")
    models = policy.MODELS if args.tables else (args.preset or "standard",)
    pp = policy.policy_parameters(args.params, models=models, n_z=args.n_z, n_products=args.n_products,
                                  smoothing=args.smoothing)  # fmt: skip
    if pp.note:
        print(f"jaxtrade multiproduct policy: note: {pp.note}", file=sys.stderr)
    if args.tables:
        return _policy_tables(args, pp)
    return _policy_one(args, pp, models[0])


def _policy_one(args, pp: policy.PolicyParameters, model: str) -> int:
    p = pp.params[model]
    schedule = args.schedule or "flat"
    result = mp.policy_experiment(p, args.experiment, schedule, T=args.T, progress=False if args.no_progress else None,
                                  throw=False)  # fmt: skip
    out = policy.experiment_dict(result, model, p, pp)
    if args.figures:
        with atomic_output_dir(args.figures, what="--figures") as tmp:
            written = [policy.experiment_figure(result, model, tmp, pp.source)]
        out["figures"] = [str(x) for x in moved(written, tmp, args.figures)]
    if args.json:
        print_json(out)
    else:
        fmt = lambda v: f"{v:.4f}"  # noqa: E731
        tabs = policy.experiment_tables(result, model, p)
        print(f"Heo & Kim (2025) multiproduct model, preset {model}: {policy.EXPERIMENT_LABELS[args.experiment]}, "
              f"{policy.SCHEDULE_LABELS[schedule]} schedule, transition of T = {args.T} years")  # fmt: skip
        print(f"parameters: {pp.description}" + (f" (note: {pp.note})" if pp.note else ""))
        t = out["tariffs"]
        print(f"tariffs by product (expenditure-weighted average {100 * t['weighted_average_before']:.2f} % -> "
              f"{100 * t['weighted_average_after']:.2f} %):")  # fmt: skip
        print(tabs["tariffs"].to_string(index=False, float_format=lambda v: f"{v:.2f}"))
        print(f"Welfare (consumption-equivalent variation, %) beside the paper's Table {out['paper']['table']}:")
        print(_frame(tabs["welfare"], fmt))
        peak = "minimum" if args.experiment == "trade-war" else "maximum"
        print(f"Paths (% deviation from the initial steady state; long run: the last period; peak: the {peak}):")
        print(_frame(tabs["paths"], fmt))
        if len(tabs["readings"]):
            print("Beside the paper's figure readings:")
            print(_frame(tabs["readings"], fmt))
        sv = out["solver"]
        print(f"solver: iterations={sv['iterations']}, residual={sv['residual']:.2e}, converged={sv['converged']}"
              + ("" if sv["converged"] else f" ({sv['reason']})"))  # fmt: skip
        for f in out.get("figures", []):
            print("figure:", f)
    return EXIT_OK if out["converged"] else EXIT_NOT_CONVERGED


def _policy_tables(args, pp: policy.PolicyParameters) -> int:
    run = policy.run_experiments(pp, T=args.T, progress=False if args.no_progress else None)
    out = policy.tables_dict(run)
    if args.figures:
        with atomic_output_dir(args.figures, what="--figures") as tmp:
            written = list(policy.write_figures(run, tmp).values())
        out["figures"] = [str(x) for x in moved(written, tmp, args.figures)]
    if args.json:
        print_json(out)
    else:
        fmt = lambda v: f"{v:.3f}"  # noqa: E731
        print(f"Heo & Kim (2025) multiproduct model, section 6: twelve trade-policy experiments, transitions of "
              f"T = {run.T} years")  # fmt: skip
        print(f"parameters: {pp.description}" + (f" (note: {pp.note})" if pp.note else ""))
        print(f"Table 7: welfare gains from trade liberalization (10 % -> 5 %), CEV in percent "
              f"(tolerance: {policy.CEV_TOLERANCE.describe()}; ratios {policy.RATIO_TOLERANCE.describe()}):")  # fmt: skip
        print(_frame(policy.welfare_table(run, "liberalization"), fmt))
        print("Table 8: welfare losses from trade wars (10 % -> 20 %), CEV in percent:")
        print(_frame(policy.welfare_table(run, "trade-war"), fmt))
        print(f"transitions: {len(out['experiments'])} solved in {run.seconds:.1f} s, converged={out['converged']}, "
              f"max path residual {out['max_path_residual']:.2e}")  # fmt: skip
        for e in out["experiments"]:
            if not e["converged"]:
                print(f"  not converged: {e['model']} {e['experiment']} {e['schedule']}: {e['reason']} "
                      f"(residual {e['residual']:.2e})")  # fmt: skip
        for f in out.get("figures", []):
            print("figure:", f)
    return EXIT_OK if out["converged"] else EXIT_NOT_CONVERGED


def _frame(df: pd.DataFrame, fmt) -> str:
    """A comparison table as text; a dash where the paper gives no value."""
    return df.map(lambda v: DASH if v is None else v).to_string(index=False, float_format=fmt, na_rep=DASH)
