"""``jaxtrade multiproduct solve``: the Heo & Kim (2025) multiproduct exporter model.

Defaults are the presets' (:func:`~jaxtrade.models.multiproduct.standard_params`).
"""

from __future__ import annotations

from jaxtrade.cli.common import default_of, print_json, run_guarded
from jaxtrade.models import multiproduct as mp
from jaxtrade.replication.heo_kim_model import figures, solve_preset, tables

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
