"""Shared pytest setup for the test suite and the doctests (pytest reads it for both ``tests`` and ``jaxtrade``).

The whole suite runs in one process on small CI machines; JAX keeps every compiled
program alive in its caches. Clearing them after each test module bounds the
process's memory (programs are recompiled where a later module needs them).
"""

import gc

import jax
import pytest


@pytest.fixture(autouse=True, scope="module")
def _release_compiled_programs():
    yield
    jax.clear_caches()
    gc.collect()
