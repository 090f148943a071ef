"""Progress bars and elapsed time for long runs (tqdm).

Every long run in jaxtrade reports progress the same way:

* :func:`progress_bar` for loops with a count (Krusell-Smith iterations,
  replication sections, calibration steps): a ``tqdm`` bar on standard
  error showing elapsed time, with the loop's own diagnostics in the postfix;
* :class:`Stages` for pipelines of named stages (the proximity build): each
  stage is timed (``stages.seconds``) and advances one bar.

Bars are shown when standard error is a terminal, hidden otherwise (logs,
CI, notebooks run headless). ``JAXTRADE_PROGRESS=1`` forces them on,
``JAXTRADE_PROGRESS=0`` off; a ``progress=`` argument of the long-running
function overrides both.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator

from tqdm.auto import tqdm

__all__ = ["Stages", "progress_bar", "progress_enabled"]


def progress_enabled(progress: bool | None = None) -> bool:
    """Whether to draw bars: the argument if given, else ``JAXTRADE_PROGRESS``, else whether stderr is a terminal."""
    if progress is not None:
        return bool(progress)
    env = os.environ.get("JAXTRADE_PROGRESS", "").strip().lower()
    if env in ("0", "false", "no", "off"):
        return False
    if env in ("1", "true", "yes", "on"):
        return True
    return sys.stderr.isatty()


def progress_bar(total: int | None = None, desc: str = "", *, unit: str = "it", progress: bool | None = None) -> tqdm:
    """A tqdm bar (elapsed time included) or a disabled one; use as a context manager.

    Examples
    --------
    >>> with progress_bar(3, "demo", progress=False) as bar:  # hidden: progress=False
    ...     for _ in range(3):
    ...         bar.update()
    >>> bar.disable
    True
    """
    return tqdm(total=total, desc=desc, unit=unit, disable=not progress_enabled(progress), leave=False,
                dynamic_ncols=True, file=sys.stderr)  # fmt: skip


class Stages:
    """Timed, named stages of a pipeline with one progress bar.

    Examples
    --------
    >>> stages = Stages(["read", "build"], "pipeline", progress=False)
    >>> with stages.stage("read"):
    ...     pass
    >>> sorted(stages.seconds)
    ['read']
    >>> stages.close()
    """

    def __init__(self, names: list[str], desc: str = "", *, progress: bool | None = None):
        self.seconds: dict[str, float] = {}
        self._bar = progress_bar(len(names), desc, unit="stage", progress=progress)

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as stage ``name`` and advance the bar when it ends."""
        self._bar.set_postfix_str(name)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start
            self._bar.update()

    def close(self) -> None:
        """Close the bar."""
        self._bar.close()
