"""``jaxtrade replicate``: every paper's tables and figures beside the paper's values, in one report."""

from __future__ import annotations

import argparse
import pathlib
import sys
import textwrap

from jaxtrade.cli.common import OUTPUT_FOLDER_HELP, run_guarded
from jaxtrade.replication import FULL_SETTINGS, PAPERS, replicate

__all__ = ["add_parser"]


def add_parser(sub) -> None:
    """Add the ``replicate`` command to an argparse subparsers object."""
    full = "\n".join(
        textwrap.fill(f"{name}: {text}.", width=100, initial_indent="  ", subsequent_indent="    ")
        for name, text in FULL_SETTINGS.items()
    )
    p = sub.add_parser(
        "replicate",
        help="run the papers' replications and write a report (the main job)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Runs every paper (or those given with --paper) and writes OUT/report.md with its figures: a\n"
        "scorecard first, then each table beside the paper's values with the gap and a tolerance mark. The\n"
        "default settings take about 5 minutes on a 2-core CPU (Ara & Zhang 2 min, Ruhl 1.5 min). Each paper's\n"
        "stages are announced on stderr (hidden by --no-progress).\n\n"
        f"--full, per paper:\n{full}\n\n" + _wrap(OUTPUT_FOLDER_HELP),
    )
    p.add_argument(
        "--out", default="jaxtrade-report", help="folder for report.md and figures (default: jaxtrade-report)"
    )
    p.add_argument("--paper", action="append", dest="papers", metavar="PAPER", choices=list(PAPERS),
                   help=f"run only this paper (repeatable; one of {', '.join(PAPERS)}); default: all")  # fmt: skip
    p.add_argument("--full", action="store_true", help="full-size settings instead of the defaults (long; see above)")
    p.add_argument(
        "--data",
        default=None,
        help="folder with the optional data files (eu-trade-fixest.csv); default: $JAXTRADE_DATA",
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar and the stage lines")
    p.set_defaults(func=_run)


def _wrap(text: str, width: int = 100) -> str:
    return textwrap.fill(text, width=width)


def _stage(line: str) -> None:
    print(f"jaxtrade replicate: {line}", file=sys.stderr, flush=True)


def _run(args) -> int:
    return run_guarded(
        "replicate",
        lambda: replicate(
            pathlib.Path(args.out),
            papers=args.papers,
            full=args.full,
            data=args.data,
            progress=False if args.no_progress else None,
            status=None if args.no_progress else _stage,
        ),  # fmt: skip
    )
