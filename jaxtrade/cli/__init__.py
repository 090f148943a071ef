"""The ``jaxtrade`` command line: one module per command.

``jaxtrade replicate`` is the main job: it runs every paper's replication on
embedded defaults and writes a report (markdown tables and PNG figures).
The model commands (``vertical``, ``multiproduct``, ``sunk-cost``) solve one
model for parameters given as options; ``proximity`` runs the section-2
pipeline of Heo & Kim (2025) on a panel file or a synthetic panel.
Exit codes (0 success, 1 not converged, 2 invalid input, 130 interrupted),
one-line error messages, atomic output folders and option defaults follow
:mod:`jaxtrade.cli.common`; every command's ``--help`` states the exit codes.
"""

from __future__ import annotations

import argparse
import sys

from jaxtrade import __version__
from jaxtrade.cli import multiproduct, proximity, replicate, sunk_cost, vertical
from jaxtrade.cli.common import EXIT_INTERRUPTED, add_exit_codes_epilog, interrupt_watchdog

__all__ = ["build_parser", "main"]

COMMANDS = (replicate, vertical, multiproduct, proximity, sunk_cost)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog="jaxtrade",
        description="JAX solvers for quantitative trade with heterogeneous firms. "
        "Main job: `jaxtrade replicate` writes the replication report.",
    )
    parser.add_argument("--version", action="version", version=f"jaxtrade {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    add_exit_codes_epilog(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (``--help`` and argparse's usage errors included)."""
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as done:  # --help, --version (0) and usage errors (2)
            return done.code if isinstance(done.code, int) else (0 if done.code is None else 2)
        if not getattr(args, "func", None):
            parser.print_help()
            return 0
        with interrupt_watchdog():
            return args.func(args)
    except KeyboardInterrupt:  # outside a command's own guard (parsing, imports)
        print("jaxtrade: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
