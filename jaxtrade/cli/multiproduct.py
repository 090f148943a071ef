"""``jaxtrade multiproduct solve|calibrate``: the Heo & Kim (2025) multiproduct exporter model.

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
"""

from __future__ import annotations

import json
import pathlib
import shlex
import sys

from jaxtrade.cli.common import EXIT_NOT_CONVERGED, EXIT_OK, default_of, print_json, run_guarded
from jaxtrade.models import multiproduct as mp
from jaxtrade.replication.heo_kim_model import calibration, figures, solve_preset, tables
from jaxtrade.replication.heo_kim_model.table6 import TABLE6_SAMPLE

__all__ = ["add_parser"]


def add_parser(sub) -> None:
    """Add ``multiproduct`` (with the ``solve`` sub-subcommand) to an argparse subparsers object."""
    p = sub.add_parser("multiproduct", help="Heo & Kim (2025) multiproduct exporter model")
    msub = p.add_subparsers(dest="multiproduct_command")
    s = msub.add_parser("solve", help="solve the stationary equilibrium and print Table 5 beside the paper")
    s.add_argument("--preset", choices=sorted(mp.PRESETS), default="standard")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.add_argument("--figures", metavar="DIR", default=None, help="write Figures 3-7 as PNG into DIR")
    s.add_argument("--n-z", type=int, default=default_of(mp.standard_params, "n_z"), help="productivity grid points")
    s.add_argument("--n-products", type=int, default=default_of(mp.standard_params, "n_products"),
                   help="number of products N")  # fmt: skip
    s.add_argument("--smoothing", type=float, default=None, help="taste-shock scale (0 = hard max; default: preset's)")
    s.set_defaults(func=lambda args: run_guarded("multiproduct solve", lambda: _solve(args)))
    c = msub.add_parser("calibrate", help="calibrate a preset by eq. (28): Tables 4-6 beside the paper")
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
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def _solve(args) -> None:
    overrides = dict(n_z=args.n_z, n_products=args.n_products)
    if args.smoothing is not None:
        overrides["smoothing"] = args.smoothing
    p, eq = solve_preset(args.preset, **overrides)
    summary = tables.summary_dict(args.preset, p, eq)
    if args.figures:
        summary["figures"] = [str(x) for x in figures.write_figures(p, eq, args.figures, args.preset)]
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
