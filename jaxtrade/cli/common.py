"""What every ``jaxtrade`` command shares: exit codes, error messages, JSON output, library defaults.

Exit codes (the same for every command):

* ``0`` success;
* ``1`` a solver did not converge (:class:`~jaxtrade.errors.ConvergenceError`);
* ``2`` invalid input: parameters outside a model's domain, unreadable or
  malformed files, inconsistent options (``ValueError``, ``FileNotFoundError``).

Messages go to standard error as ``jaxtrade <command>: <message>``.
Option defaults are read from the library's function signatures
(:func:`default_of`), never retyped, so the command line and the library
cannot drift apart.
"""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from jaxtrade.errors import ConvergenceError

__all__ = ["EXIT_INVALID_INPUT", "EXIT_NOT_CONVERGED", "EXIT_OK", "default_of", "print_json", "run_guarded"]

EXIT_OK = 0
EXIT_NOT_CONVERGED = 1
EXIT_INVALID_INPUT = 2


def default_of(function: Callable, name: str) -> Any:
    """The default value of keyword ``name`` in ``function``'s signature."""
    parameter = inspect.signature(function).parameters[name]
    if parameter.default is inspect.Parameter.empty:
        raise ValueError(f"{function.__qualname__}: {name} has no default")
    return parameter.default


def run_guarded(command: str, body: Callable[[], object]) -> int:
    """Run ``body`` and map the library's errors to the exit codes of the module docstring.

    ``body`` may return an exit code (an ``int``); anything else counts as success.
    """
    try:
        code = body()
    except ConvergenceError as err:
        print(f"jaxtrade {command}: {err}", file=sys.stderr)
        return EXIT_NOT_CONVERGED
    except (ValueError, FileNotFoundError) as err:
        print(f"jaxtrade {command}: invalid input: {err}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    return code if isinstance(code, int) and not isinstance(code, bool) else EXIT_OK


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


def print_json(obj) -> None:
    """Print ``obj`` as one strict JSON object (no NaN or Infinity tokens)."""
    print(json.dumps(_plain(obj), allow_nan=False))
