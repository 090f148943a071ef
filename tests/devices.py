"""Run a script in a fresh interpreter with several forced CPU devices (multi-device tests without a GPU)."""

import os
import pathlib
import subprocess
import sys

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]


def run_on_cpu_devices(script: str, n_devices: int = 4, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -c script`` with ``--xla_force_host_platform_device_count=n_devices`` on the CPU platform.

    XLA reads the flag when jax first initializes, so it must be a new process.
    Returns the completed process (stdout and stderr captured as text).
    """
    env = dict(os.environ)
    env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + f" --xla_force_host_platform_device_count={n_devices}").strip()
    env["JAX_PLATFORMS"] = "cpu"
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=str(REPO_ROOT))  # fmt: skip
