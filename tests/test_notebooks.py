"""Every notebook in notebooks/ runs end to end at small settings (``JAXTRADE_SMALL=1``).

The code cells of each notebook are executed in order as one script in a
fresh Python process (no Jupyter kernel needed), with matplotlib's
non-interactive backend, in a temporary folder.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def notebook_script(path: pathlib.Path) -> str:
    """The notebook's code cells, in order, as one script."""
    cells = json.loads(path.read_text())["cells"]
    return "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def test_there_is_a_notebook_per_paper():
    names = {p.stem for p in NOTEBOOKS}
    assert {"vertical_quickstart", "multiproduct", "proximity", "sunk_cost"} <= names


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path):
    script = tmp_path / f"{path.stem}.py"
    script.write_text(notebook_script(path))
    env = {**os.environ, "JAXTRADE_SMALL": "1", "MPLBACKEND": "Agg", "JAXTRADE_PROGRESS": "0"}
    root = str(pathlib.Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=900)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
