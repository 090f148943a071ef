"""Shared pytest setup for the test suite and the doctests (pytest reads it for both ``tests`` and ``jaxtrade``).

The whole suite runs in one process on small CI machines and JAX keeps every
compiled program alive in its caches. After a test module, when the process
holds more than ``RSS_LIMIT_GIB`` of memory, the caches are cleared (programs a
later module needs are compiled again); below it they are kept, so modules
share compiled programs.
"""

import gc
import os

import jax
import pytest

RSS_LIMIT_GIB = 3.0


def _rss_gib() -> float:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024**3
    except (OSError, ValueError, IndexError):
        return float("inf")  # unknown: clear


@pytest.fixture(autouse=True, scope="module")
def _release_compiled_programs():
    yield
    if _rss_gib() > RSS_LIMIT_GIB:
        jax.clear_caches()
        gc.collect()
