"""``jaxtrade proximity``: the Heo & Kim (2025) section-2 pipeline from the command line.

``jaxtrade proximity build (--input PATH | --synthetic PRESET) --out DIR``
writes the regression-ready table; ``jaxtrade proximity tables DIR`` writes
Tables 1-2, footnote 11 and Figure 2 beside the paper's values. Option
defaults are :class:`~jaxtrade.empirics.proximity.ProximityOptions`'s.
"""

from __future__ import annotations

import dataclasses
import typing

from jaxtrade.cli.common import OUTPUT_FOLDER_HELP, run_guarded
from jaxtrade.empirics.literals import RcaThreshold, Support
from jaxtrade.empirics.proximity import PRESETS, ProximityOptions
from jaxtrade.replication.heo_kim_empirics.pipeline import build_to_dir, tables_from_dir

__all__ = ["add_parser"]

_DEFAULTS = {f.name: f.default for f in dataclasses.fields(ProximityOptions)}


def add_parser(sub) -> None:
    """Add the ``proximity`` command (``build``, ``tables``) to ``sub``."""
    p = sub.add_parser("proximity", help="Heo & Kim (2025) proximity empirics: EBP table, Tables 1-2, Figure 2")
    psub = p.add_subparsers(dest="proximity_command", metavar="STEP")
    b = psub.add_parser("build", help="build the firm-candidate-destination-year table (EBP, EBP^w, HSP, IOP)",
                        description="Builds the regression-ready table into --out (proximity_table.parquet, "
                        "build.json; for --synthetic also panel.parquet, inputs.parquet). " + OUTPUT_FOLDER_HELP
                        + " Rebuilding into a folder replaces it, tables of an earlier build included.")  # fmt: skip
    src = b.add_mutually_exclusive_group(required=True)
    src.add_argument("--input", help="panel: parquet file, parquet folder partitioned by destination/year, or CSV")
    src.add_argument("--synthetic", choices=sorted(PRESETS), help="simulate a panel with this preset")
    b.add_argument("--out", required=True, help="output folder")
    b.add_argument("--inputs", help="product x input matrix (parquet/CSV, first column product code) for IOP")
    b.add_argument("--seed", type=int, default=None, help="seed of the synthetic panel")
    b.add_argument("--strength", type=float, default=None, help="planted proximity effect of the synthetic panel")
    b.add_argument("--rca", choices=typing.get_args(RcaThreshold), default=_DEFAULTS["rca_threshold"],
                   help="presence: RCA > 1 (gt, paper) or >= 1 (ge)")  # fmt: skip
    b.add_argument("--min-support", type=int, default=_DEFAULTS["min_support"],
                   help="firms a product needs for proximity (Figure 1: 5)")  # fmt: skip
    b.add_argument("--support", choices=typing.get_args(Support), default=_DEFAULTS["support"],
                   help="firms counted for --min-support: exporters of the product (X > 0, paper) "
                        "or those with RCA presence in it")  # fmt: skip
    b.add_argument("--no-leave-one-out", action="store_true", help="use the full-sample phi for every firm")
    b.add_argument(
        "--hs-digits", type=int, default=_DEFAULTS["hs_digits"], help="HSP digit level (default: the panel's)"
    )
    b.add_argument(
        "--hs-curvature", type=float, default=_DEFAULTS["hs_curvature"], help="HSP curvature n (footnote 9: 5)"
    )
    b.add_argument("--aggregate-duplicates", action="store_true", help="sum rows sharing a key (count reported)")
    b.add_argument("--no-progress", action="store_true", help="hide the progress bar of the build stages")
    b.set_defaults(func=lambda args: run_guarded("proximity build", lambda: _build(args)))
    t = psub.add_parser("tables", help="Tables 1-2, footnote 11 and Figure 2 from a built folder",
                        description="Writes table1.csv, table2.csv, footnote11.csv, figure2.png and tables.md into "
                        "DIR (a folder written by `jaxtrade proximity build`), each table beside the paper's values. "
                        "The five files are written into a temporary folder and moved into place when all are "
                        "written, so an interrupted run leaves the previous ones.")  # fmt: skip
    t.add_argument("dir", help="folder written by `jaxtrade proximity build`")
    t.add_argument("--seed", type=int, default=0, help="seed of the footnote-11 placebo shuffle")
    t.set_defaults(func=lambda args: run_guarded("proximity tables", lambda: tables_from_dir(args.dir, seed=args.seed)))
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def _build(args) -> None:
    opts = ProximityOptions(
        rca_threshold=args.rca, min_support=args.min_support, support=args.support,
        leave_one_out=not args.no_leave_one_out, hs_digits=args.hs_digits, hs_curvature=args.hs_curvature,
    )  # fmt: skip
    overrides = {k: v for k, v in (("seed", args.seed), ("strength", args.strength)) if v is not None}
    if overrides and args.synthetic is None:
        raise ValueError("--seed and --strength apply to --synthetic panels only")
    build_to_dir(
        args.out, input_path=args.input, inputs_path=args.inputs, synthetic=args.synthetic,
        synthetic_overrides=overrides, options=opts, aggregate_duplicates=args.aggregate_duplicates,
        progress=False if args.no_progress else None,
    )  # fmt: skip
