"""Ctrl-C stops a command within seconds even when the running code does not let the interrupt through."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

from tests.devices import REPO_ROOT

CHILD = textwrap.dedent(
    """
    import pathlib, sys, time
    from jaxtrade.cli.common import interrupt_watchdog
    from jaxtrade.reporting import atomic_output_dir
    out = pathlib.Path(sys.argv[1])
    with interrupt_watchdog(grace_s=1.0, label="jaxtrade test"):
        with atomic_output_dir(out) as tmp:
            (tmp / "report.md").write_text("new, unfinished")
            ready = False
            while True:  # code that swallows KeyboardInterrupt, as a native call that never returns would
                try:
                    if not ready:
                        print("ready", flush=True)  # inside the try: the parent's SIGINT may land here
                        ready = True
                    time.sleep(0.05)
                except KeyboardInterrupt:
                    pass
    """
)


def test_a_swallowed_ctrl_c_still_ends_the_command_with_130(tmp_path):
    out = tmp_path / "report"
    out.mkdir()
    (out / ".jaxtrade-output").write_text("")
    (out / "report.md").write_text("previous")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env["JAX_PLATFORMS"] = "cpu"
    # a pytest-xdist worker ignores SIGINT and a child would inherit that: give the child the terminal's default
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=str(REPO_ROOT),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
        waited = time.monotonic() - sent
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "jaxtrade test: interrupted" and "Traceback" not in stderr
    assert waited < 30  # 1 s of grace plus start-up noise on a busy machine
    assert (out / "report.md").read_text() == "previous"  # the previous output is intact
    assert [p.name for p in tmp_path.iterdir()] == ["report"]  # no unfinished temporary folder left
