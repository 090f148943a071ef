"""What every ``jaxtrade`` command shares: exit codes, error messages, JSON output, library defaults.

Exit codes (the same for every command):

* ``0`` success;
* ``1`` a solver did not converge (:class:`~jaxtrade.errors.ConvergenceError`);
* ``2`` invalid input: parameters outside a model's domain, unreadable or
  malformed files, inconsistent options, an output path that cannot be
  written (``ValueError``, ``OSError`` such as ``FileNotFoundError``,
  ``PermissionError``, ``IsADirectoryError``, ``NotADirectoryError``; argparse's
  own usage errors also exit 2);
* ``130`` interrupted (Ctrl-C, ``KeyboardInterrupt``): output folders keep
  their previous contents (:func:`~jaxtrade.reporting.atomic_output_dir`).
  Python sees a Ctrl-C only when native code returns to it (an XLA
  compilation can take minutes); :func:`interrupt_watchdog` therefore ends
  the process itself, :data:`INTERRUPT_GRACE_S` seconds after a Ctrl-C that
  has not stopped the command, removing the unfinished output folders first.

Messages go to standard error as one line ``jaxtrade <command>: <message>``,
never a Python traceback (:func:`run_guarded`). Every command's ``--help``
ends with :data:`EXIT_CODES_HELP` (:func:`add_exit_codes_epilog`).
JSON outputs (:func:`print_json`) carry ``timing``: ``compile_s`` (JAX
tracing and XLA compilation, :class:`~jaxtrade.timing.Stopwatch`), ``run_s``
(the rest) and ``total_s`` of the command so far, so the cost of a first call
and the gain of the persistent compilation cache (:mod:`jaxtrade.config`)
are visible.
Option defaults are read from the library's function signatures
(:func:`default_of`), never retyped, so the command line and the library
cannot drift apart.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import pathlib
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from jaxtrade.errors import ConvergenceError
from jaxtrade.reporting import OUTPUT_MARKER, atomic_output_dir, remove_unfinished_outputs
from jaxtrade.timing import Stopwatch

__all__ = [
    "EXIT_CODES_HELP", "EXIT_INTERRUPTED", "EXIT_INVALID_INPUT", "EXIT_NOT_CONVERGED", "EXIT_OK", "OUTPUT_FOLDER_HELP",
    "INTERRUPT_GRACE_S", "add_exit_codes_epilog", "atomic_output_dir", "default_of", "interrupt_watchdog", "moved",
    "print_json", "run_guarded",
]  # fmt: skip

EXIT_OK = 0
EXIT_NOT_CONVERGED = 1
EXIT_INVALID_INPUT = 2
EXIT_INTERRUPTED = 130

EXIT_CODES_HELP = (
    "Exit codes: 0 success; 1 a solver did not converge; 2 invalid input (bad option value, missing or "
    "malformed file, output path that cannot be written), reported in one line on stderr; 130 interrupted "
    "(Ctrl-C)."
)
"""The exit-code convention, as every command's ``--help`` states it."""

OUTPUT_FOLDER_HELP = (
    "Output folders are written atomically: into a temporary folder beside them, renamed into place at the end, "
    "so an interrupted run leaves the previous output as it was and a rerun replaces the folder as a whole (no "
    f"file of an earlier run remains). An existing folder is replaced only if it is empty or jaxtrade wrote it "
    f"(it holds a {OUTPUT_MARKER} file); otherwise the command refuses with exit code 2."
)
"""How output folders behave (:func:`~jaxtrade.reporting.atomic_output_dir`), for ``--help`` texts."""


INTERRUPT_GRACE_S = 3.0
"""Seconds a Ctrl-C may take to stop a command the normal way before :func:`interrupt_watchdog` ends it."""


@contextlib.contextmanager
def interrupt_watchdog(grace_s: float = INTERRUPT_GRACE_S, *, label: str = "jaxtrade"):
    """Make Ctrl-C stop the block within ``grace_s`` seconds, even inside native code.

    A Ctrl-C raises ``KeyboardInterrupt`` as usual (so ``run_guarded`` prints
    one line and returns 130, output folders are cleaned up). But Python runs
    its signal handler only between bytecodes: inside a long XLA compilation
    or a C loop the interrupt waits, and library code may swallow it. Here the
    signal also wakes a watcher thread (``signal.set_wakeup_fd``, written by
    the C-level handler at once); if the block has not ended ``grace_s``
    seconds later, the watcher removes the unfinished output folders
    (:func:`~jaxtrade.reporting.remove_unfinished_outputs`), prints
    ``<label>: interrupted`` and ends the process with exit code 130. Outside
    the main thread, or where wakeup fds are unavailable, it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    try:
        previous = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    except (ValueError, OSError):  # pragma: no cover - platform without wakeup fds
        os.close(read_fd)
        os.close(write_fd)
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            try:
                data = os.read(read_fd, 64)
            except OSError:
                return
            if not data:
                return
            if signal.SIGINT in data and not done.wait(grace_s):
                remove_unfinished_outputs()
                print(f"{label}: interrupted", file=sys.stderr, flush=True)
                os._exit(EXIT_INTERRUPTED)

    watcher = threading.Thread(target=watch, name="jaxtrade-interrupt-watchdog", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        signal.set_wakeup_fd(previous)
        os.close(write_fd)  # the watcher's read returns b"" and it ends
        watcher.join(timeout=1.0)
        os.close(read_fd)


def add_exit_codes_epilog(parser: argparse.ArgumentParser) -> None:
    """Append :data:`EXIT_CODES_HELP` to the epilog of ``parser`` and of every sub-command below it."""
    if EXIT_CODES_HELP not in (parser.epilog or ""):
        parser.epilog = f"{parser.epilog}\n\n{EXIT_CODES_HELP}" if parser.epilog else EXIT_CODES_HELP
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                add_exit_codes_epilog(child)


def moved(paths, tmp: pathlib.Path, final: str | pathlib.Path) -> list[pathlib.Path]:
    """Paths written under the temporary folder ``tmp`` of :func:`atomic_output_dir`, at their final place."""
    final = pathlib.Path(final)
    return [final / pathlib.Path(p).relative_to(tmp) for p in paths]


def default_of(function: Callable, name: str) -> Any:
    """The default value of keyword ``name`` in ``function``'s signature."""
    parameter = inspect.signature(function).parameters[name]
    if parameter.default is inspect.Parameter.empty:
        raise ValueError(f"{function.__qualname__}: {name} has no default")
    return parameter.default


def run_guarded(command: str, body: Callable[[], object]) -> int:
    """Run ``body`` and map the library's errors to the exit codes of the module docstring.

    ``body`` may return an exit code (an ``int``); anything else counts as success.
    Each error is reported as one line on standard error, without a traceback.
    """
    try:
        with Stopwatch() as clock:
            _CLOCKS.append(clock)
            try:
                code = body()
            finally:
                _CLOCKS.pop()
    except KeyboardInterrupt:
        print(f"jaxtrade {command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ConvergenceError as err:
        print(f"jaxtrade {command}: {_one_line(err)}", file=sys.stderr)
        return EXIT_NOT_CONVERGED
    except ValueError as err:
        print(f"jaxtrade {command}: invalid input: {_one_line(err)}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    except OSError as err:  # missing input file, unwritable or misplaced output (PermissionError, IsADirectoryError..)
        print(f"jaxtrade {command}: {_os_error(err)}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    return code if isinstance(code, int) and not isinstance(code, bool) else EXIT_OK


def _one_line(err: BaseException) -> str:
    """The message of ``err`` on one line."""
    return " ".join(str(err).split()) or type(err).__name__


def _os_error(err: OSError) -> str:
    """``err`` as ``<what>: <path>`` (e.g. ``cannot write: permission denied: /x``)."""
    if err.strerror and err.filename is not None:
        where = f"{err.filename}" + (f" -> {err.filename2}" if err.filename2 is not None else "")
        kind = "no such file or folder" if isinstance(err, FileNotFoundError) else err.strerror.lower()
        return f"{kind}: {where}"
    return _one_line(err)


def _plain(value):
    """Arrays, NumPy scalars and non-finite floats as strict-JSON values (NaN/inf -> null)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return _plain(np.asarray(value).tolist())
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


_CLOCKS: list[Stopwatch] = []  # the clock of the command running in run_guarded


def print_json(obj) -> None:
    """Print ``obj`` as one strict JSON object (no NaN or Infinity tokens).

    Inside :func:`run_guarded`, a dict gets ``timing`` (compile, run and total
    seconds of the command up to this point) unless it has one already.
    """
    if _CLOCKS and isinstance(obj, dict) and "timing" not in obj:
        obj = {**obj, "timing": _CLOCKS[-1].so_far()}
    print(json.dumps(_plain(obj), allow_nan=False))
