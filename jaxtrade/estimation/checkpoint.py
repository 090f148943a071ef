"""Checkpoints of long estimations: one JSON file in a folder, replaced atomically after every step.

A checkpoint holds a fingerprint of the problem (targets, data, parameters
and bounds, stages, method), the finished stages and the state of the
running one. :func:`jaxtrade.estimation.estimate` writes it after every
iteration, so a killed run loses at most the iteration in progress;
``resume=True`` continues from it and reaches the same estimate (the
iterations are deterministic given their state). A checkpoint written for a
different problem is refused, naming what differs.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import pathlib
import tempfile
from typing import Any

import numpy as np

__all__ = ["Checkpoint", "to_json"]

FILENAME = "checkpoint.json"


def to_json(x: Any) -> Any:
    """Arrays and numpy scalars as lists / floats, recursively (NaN and infinity kept as strings)."""
    if isinstance(x, dict):
        return {str(k): to_json(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [to_json(v) for v in x]
    if hasattr(x, "__array__") or isinstance(x, (np.generic, float, int, bool)):
        a = np.asarray(x)
        if a.ndim:
            return [to_json(v) for v in a]
        if a.dtype.kind == "f":
            v = float(a)
            return v if math.isfinite(v) else str(v)
        return a.item()
    return x


def _floats(x: Any) -> Any:
    if isinstance(x, list):
        return [_floats(v) for v in x]
    if isinstance(x, str) and x in ("nan", "inf", "-inf"):
        return float(x)
    return x


class Checkpoint:
    """The checkpoint file of an estimation in ``folder`` (created on the first save)."""

    def __init__(self, folder: str | os.PathLike, fingerprint: dict[str, Any]):
        self.folder = pathlib.Path(folder)
        self.path = self.folder / FILENAME
        self.fingerprint = to_json(fingerprint)
        self.digest = hashlib.sha256(json.dumps(self.fingerprint, sort_keys=True).encode()).hexdigest()

    def load(self) -> dict[str, Any] | None:
        """The saved state, ``None`` without a checkpoint; ``ValueError`` when it belongs to another problem."""
        if not self.path.exists():
            return None
        saved = json.loads(self.path.read_text())
        if saved.get("digest") != self.digest:
            old = saved.get("fingerprint", {})
            differ = sorted(k for k in set(old) | set(self.fingerprint) if old.get(k) != self.fingerprint.get(k))
            raise ValueError(
                f"the checkpoint in {self.folder} was written for a different estimation (differs in {differ}); "
                "use another folder or delete it to start afresh"
            )
        return _floats_tree(saved["state"])

    def save(self, state: dict[str, Any]) -> None:
        """Write ``state`` atomically (a temporary file renamed over the old checkpoint)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        payload = {"digest": self.digest, "fingerprint": self.fingerprint, "state": to_json(state)}
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".checkpoint-", suffix=".json")
        try:
            with os.fdopen(fd, "w") as fh:
                json.dump(payload, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def _floats_tree(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _floats_tree(v) for k, v in x.items()}
    return _floats(x)
