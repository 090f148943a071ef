"""``jaxtrade multiproduct solve``: the Heo & Kim (2025) multiproduct exporter model.

Wire into ``jaxtrade/cli.py`` with ``add_parser(sub)`` inside ``build_parser``.
"""

from __future__ import annotations

import json
import sys


def add_parser(sub):
    """Add ``multiproduct`` (with the ``solve`` sub-subcommand) to an argparse subparsers object."""
    p = sub.add_parser("multiproduct", help="Heo & Kim (2025) multiproduct exporter model")
    msub = p.add_subparsers(dest="multiproduct_command")
    s = msub.add_parser("solve", help="solve the stationary equilibrium and print Table 5")
    s.add_argument("--preset", choices=("standard", "npg"), default="standard")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.add_argument("--figures", metavar="DIR", default=None, help="write figures as PNG into DIR")
    s.add_argument("--n-z", type=int, default=101, help="productivity grid points")
    s.add_argument("--n-products", type=int, default=10, help="number of products N")
    s.add_argument("--smoothing", type=float, default=None, help="taste-shock scale (0 = hard max)")
    s.set_defaults(func=_cmd_solve)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])
    return p


def _cmd_solve(args) -> int:
    from jaxtrade.errors import ConvergenceError
    from jaxtrade.models.multiproduct.report import solve_preset, summary_dict, table5_frame, write_figures

    kwargs = dict(n_z=args.n_z, n_products=args.n_products)
    if args.smoothing is not None:
        kwargs["smoothing"] = args.smoothing
    try:
        p, eq = solve_preset(args.preset, **kwargs)
    except ValueError as err:
        print(f"jaxtrade multiproduct: invalid parameters: {err}", file=sys.stderr)
        return 2
    except ConvergenceError as err:
        print(f"jaxtrade multiproduct: {err}", file=sys.stderr)
        return 1
    summary = summary_dict(args.preset, p, eq)
    if args.figures:
        summary["figures"] = [str(x) for x in write_figures(p, eq, args.figures, args.preset)]
    if args.json:
        print(json.dumps(summary))
        return 0
    print(f"Heo & Kim (2025) multiproduct model, preset {args.preset}: stationary equilibrium")
    print(table5_frame(args.preset, eq).to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print("prices:", ", ".join(f"{k}={v:.6g}" for k, v in summary["prices"].items()))
    print("quantities:", ", ".join(f"{k}={v:.6g}" for k, v in summary["quantities"].items()))
    print("residuals (max abs):", f"{max(abs(v) for v in summary['residuals'].values()):.2e}")
    for f in summary.get("figures", []):
        print("figure:", f)
    return 0
