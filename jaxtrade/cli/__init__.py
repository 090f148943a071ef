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
import importlib
import sys

from jaxtrade import __version__
from jaxtrade.cli.common import EXIT_INTERRUPTED, add_exit_codes_epilog, interrupt_watchdog

__all__ = ["COMMANDS", "build_parser", "main"]

#: Command name -> the module that adds its parser (``add_parser``) and runs it.
COMMANDS = {
    "replicate": "jaxtrade.cli.replicate",
    "vertical": "jaxtrade.cli.vertical",
    "multiproduct": "jaxtrade.cli.multiproduct",
    "proximity": "jaxtrade.cli.proximity",
    "sunk-cost": "jaxtrade.cli.sunk_cost",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of every command, or of ``command`` alone.

    A command's module imports the models and replications it runs; building
    the parser of the one command on the command line spares a call the
    imports of the others (a second or more of a short command's time).
    """
    parser = argparse.ArgumentParser(
        prog="jaxtrade",
        description="JAX solvers for quantitative trade with heterogeneous firms. "
        "Main job: `jaxtrade replicate` writes the replication report.",
    )
    parser.add_argument("--version", action="version", version=f"jaxtrade {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in COMMANDS.items():
        if command is None or name == command:
            importlib.import_module(module).add_parser(sub)
    add_exit_codes_epilog(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (``--help`` and argparse's usage errors included)."""
    try:
        argv = sys.argv[1:] if argv is None else argv
        parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
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
