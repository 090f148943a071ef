"""``jaxtrade replicate``: every paper's tables and figures beside the paper's values, in one report."""

from __future__ import annotations

import pathlib

from jaxtrade.cli.common import run_guarded
from jaxtrade.replication import PAPERS, replicate

__all__ = ["add_parser"]


def add_parser(sub) -> None:
    """Add the ``replicate`` command to an argparse subparsers object."""
    p = sub.add_parser(
        "replicate",
        help="run the papers' replications and write a report (the main job)",
        description="Runs every paper (or those given with --paper) and writes OUT/report.md with its figures: a "
        "scorecard first, then each table beside the paper's values with the gap and a tolerance mark. The "
        "default settings take a few minutes on a laptop CPU; --full uses the papers' grids and sample sizes.",
    )
    p.add_argument(
        "--out", default="jaxtrade-report", help="folder for report.md and figures (default: jaxtrade-report)"
    )
    p.add_argument("--paper", action="append", dest="papers", metavar="PAPER",
                   help=f"run only this paper (repeatable; one of {', '.join(PAPERS)}); default: all")  # fmt: skip
    p.add_argument("--full", action="store_true", help="full-size settings instead of the defaults (long)")
    p.add_argument(
        "--data",
        default=None,
        help="folder with the optional data files (eu-trade-fixest.csv); default: $JAXTRADE_DATA",
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=_run)


def _run(args) -> int:
    return run_guarded(
        "replicate",
        lambda: replicate(
            pathlib.Path(args.out),
            papers=args.papers,
            full=args.full,
            data=args.data,
            progress=False if args.no_progress else None,
        ),  # fmt: skip
    )
