"""Shared helpers for jaxtrade benchmarks: machine description, JSON results, tables.

Every benchmark script does::

    from _machine import machine_info, print_table, write_result

and writes ``benchmarks/results/{name}.json`` containing the machine
description beside its figures. No hostname or user name is recorded.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import sys
from pathlib import Path

#: Where results go: ``benchmarks/results/`` unless ``JAXTRADE_BENCH_RESULTS`` names another folder
#: (``benchmarks/gpu_suite.sh`` uses it to keep a GPU run's files together).
RESULTS_DIR = Path(os.environ.get("JAXTRADE_BENCH_RESULTS") or Path(__file__).resolve().parent / "results")


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _cpu_count() -> int | None:
    try:
        return len(os.sched_getaffinity(0))  # cores this process may use
    except (AttributeError, OSError):
        return os.cpu_count()


def _total_ram_gib() -> float | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024**2, 2)
    except OSError:
        pass
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3, 2)
    except (ValueError, OSError, AttributeError):
        return None


def machine_info() -> dict:
    """Describe the machine and software stack (no hostname)."""
    import jax
    import jaxlib

    import jaxtrade

    devices = jax.devices()
    gpus = [d.device_kind for d in devices if d.platform == "gpu"]
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_model": _cpu_model(),
        "cpu_count": _cpu_count(),
        "ram_gib": _total_ram_gib(),
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
        "backend": jax.default_backend(),
        "devices": [f"{d.platform}:{d.device_kind}" for d in devices],
        "gpu": gpus[0] if gpus else None,
        "precision": jaxtrade.get_precision(),
        "load_avg_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "timestamp_utc": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "argv": sys.argv[1:],
    }


def _jsonable(x):
    """Convert numpy / jax scalars and arrays for json.dump."""
    if hasattr(x, "tolist"):
        return x.tolist()
    if hasattr(x, "item"):
        return x.item()
    return str(x)


def extract_package(ref: str) -> str:
    """The ``jaxtrade`` package of git commit ``ref`` in a new temporary folder (``git archive``).

    Put the folder first on ``sys.path`` (or ``PYTHONPATH``) of a subprocess to
    time the previous code beside this checkout's in the same run; the caller
    removes the folder.
    """
    import subprocess
    import tempfile

    repo = Path(__file__).resolve().parent.parent
    dest = tempfile.mkdtemp(prefix="jaxtrade_baseline_")
    archive = subprocess.run(["git", "-C", str(repo), "archive", ref, "jaxtrade"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", dest], input=archive.stdout, check=True)
    return dest


def git_commit(ref: str) -> str | None:
    """The commit hash of ``ref`` in this repository, or None."""
    import subprocess

    repo = Path(__file__).resolve().parent.parent
    proc = subprocess.run(["git", "-C", str(repo), "rev-parse", ref], capture_output=True, text=True)
    return proc.stdout.strip() or None


def write_result(name: str, payload: dict) -> Path:
    """Write ``{RESULTS_DIR}/{name}.json`` = {"machine": machine_info(), **payload}."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    with open(path, "w") as fh:
        json.dump({"machine": machine_info(), **payload}, fh, indent=2, default=_jsonable)
        fh.write("\n")
    return path


def _fmt(v) -> str:
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, float):
        if v != 0 and (abs(v) >= 1e6 or abs(v) < 1e-3):
            return f"{v:.3e}"
        return f"{v:.4g}"
    return str(v)


def print_table(rows: list[dict], columns: list[str] | None = None) -> str:
    """Print (and return) ``rows`` as a plain-text table with aligned columns."""
    if columns is None:
        columns = list(dict.fromkeys(c for r in rows for c in r))
    cells = [[_fmt(r.get(c, "")) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    text = "\n".join(lines)
    print(text)
    return text
