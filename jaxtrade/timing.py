"""Compile time and run time, measured apart.

A first call of a jaxtrade solver spends most of its time turning Python into
an XLA program (tracing, lowering) and compiling it; later calls only run
it. :class:`Stopwatch` separates the two for any block of code by listening
to JAX's own compilation events (``jax.monitoring``): *compile* is the wall
time during which JAX was tracing, lowering or compiling (the union of those
intervals, so nested traces are not counted twice), *run* is the rest.
The command line's ``--json`` outputs and the replication report print both.

Example
-------
>>> import jax.numpy as jnp, jax
>>> from jaxtrade.timing import Stopwatch
>>> with Stopwatch() as clock:
...     _ = jax.jit(lambda x: jnp.sin(x) * 2.0)(jnp.arange(3.0)).block_until_ready()
>>> sorted(clock.as_dict())
['compile_s', 'run_s', 'total_s']
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from jax import monitoring

__all__ = ["COMPILE_EVENTS", "Stopwatch", "union_length"]

#: JAX's events for the stages that a persistent cache or a warm process avoids.
COMPILE_EVENTS = (
    "/jax/core/compile/jaxpr_trace_duration",
    "/jax/core/compile/jaxpr_to_mlir_module_duration",
    "/jax/core/compile/backend_compile_duration",
)

_active: list[Stopwatch] = []
_lock = threading.Lock()


def _on_span(event: str, start_time: float, end_time: float, **kwargs: str | int) -> None:
    if event not in COMPILE_EVENTS:
        return
    with _lock:
        for clock in _active:
            clock._spans.append((start_time, end_time, event))


monitoring.register_event_time_span_listener(_on_span)


def union_length(spans: list[tuple[float, float]]) -> float:
    """Total length of the union of intervals."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(spans):
        if end <= reach:
            continue
        total += end - max(start, reach)
        reach = end
    return total


@dataclass
class Stopwatch:
    """Wall time of a ``with`` block split into JAX compilation and the rest.

    Attributes (after the block): ``total_s``, ``compile_s`` (tracing,
    lowering and XLA compilation, including reads of the persistent
    compilation cache) and ``run_s = total_s - compile_s``. Blocks may be
    nested; each clock sees every compilation inside its block.
    """

    total_s: float = 0.0
    compile_s: float = 0.0
    _spans: list[tuple[float, float, str]] = field(default_factory=list, repr=False)  # (start, end, JAX event)
    _start: float = field(default=0.0, repr=False)

    @property
    def run_s(self) -> float:
        return max(self.total_s - self.compile_s, 0.0)

    def __enter__(self) -> Stopwatch:
        self._spans = []
        with _lock:
            _active.append(self)
        self._start = time.time()
        return self

    def __exit__(self, *exc: object) -> None:
        end = time.time()
        with _lock:
            _active.remove(self)
        self.total_s, self.compile_s = self._measure(end)

    def _measure(self, end: float) -> tuple[float, float]:
        """Total and compile seconds from the block's start to ``end`` (spans clipped to that window)."""
        with _lock:
            inside = [(max(s, self._start), min(e, end)) for s, e, _ in self._spans if e > self._start and s < end]
        total = end - self._start
        return total, min(union_length(inside), total)

    def so_far(self) -> dict[str, float]:
        """:meth:`as_dict` of the block up to now, while it is still running."""
        total, compile_s = self._measure(time.time())
        return _rounded(total, compile_s)

    def stages(self) -> dict[str, float]:
        """Seconds spent tracing to jaxprs, lowering to XLA and compiling (or reading the persistent cache).

        Each stage is the union of its own intervals; the stages overlap (a
        trace may lower and compile an inner program), so they need not sum
        to ``compile_s``.
        """
        names = dict(zip(COMPILE_EVENTS, ("trace_s", "lower_s", "xla_compile_s"), strict=True))
        return {
            label: round(union_length([(s, e) for s, e, ev in self._spans if ev == event]), 3)
            for event, label in names.items()
        }

    def as_dict(self) -> dict[str, float]:
        """``{"total_s", "compile_s", "run_s"}`` rounded to milliseconds."""
        return _rounded(self.total_s, self.compile_s)


def _rounded(total_s: float, compile_s: float) -> dict[str, float]:
    return {
        "total_s": round(total_s, 3),
        "compile_s": round(compile_s, 3),
        "run_s": round(max(total_s - compile_s, 0.0), 3),
    }
