"""jaxtrade.config (precision, persistent compilation cache) and jaxtrade.timing (compile vs run time)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp

from jaxtrade import config
from jaxtrade.timing import Stopwatch, union_length

_PROBE = textwrap.dedent(
    """
    import json, jax, jax.numpy as jnp
    from jax import monitoring
    hits = []
    monitoring.register_event_listener(lambda e, **k: hits.append(e) if e.endswith("cache_hits") else None)
    from jaxtrade import config
    f = jax.jit(lambda x: jnp.cumsum(jnp.sin(x) ** 3) @ jnp.cos(x))
    f(jnp.arange(17.0)).block_until_ready()
    print(json.dumps({"dir": config.compilation_cache_dir(), "hits": len(hits)}))
    """
)


def _probe(cache_env: str) -> dict:
    import json

    env = {**os.environ, "JAXTRADE_CACHE_DIR": cache_env, "JAX_PLATFORMS": "cpu"}
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_second_process_reads_the_compiled_program_from_the_cache(tmp_path):
    folder = str(tmp_path / "xla")
    first = _probe(folder)
    assert first["dir"] == folder and first["hits"] == 0
    assert any(name.endswith("-cache") for name in os.listdir(folder))
    second = _probe(folder)
    assert second["hits"] >= 1


def test_default_folder_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("JAXTRADE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert config.default_cache_dir() == os.path.join(str(tmp_path), "jaxtrade", "xla")
    for off in ("off", "0", "none", "False"):
        monkeypatch.setenv("JAXTRADE_CACHE_DIR", off)
        assert config.default_cache_dir() is None
        assert config.enable_compilation_cache() is None  # nothing turned on, nothing changed


def testunion_length_counts_nested_spans_once():
    assert union_length([(0.0, 2.0), (0.5, 1.0), (3.0, 4.0), (3.5, 5.0)]) == 4.0
    assert union_length([]) == 0.0


def test_stopwatch_separates_compilation_from_running():
    f = jax.jit(lambda x: jnp.linalg.qr(x + 0.123456789)[0].sum())
    x = jnp.eye(7)
    with Stopwatch() as outer:
        with Stopwatch() as first:
            f(x).block_until_ready()
    with Stopwatch() as second:
        f(x).block_until_ready()
    assert first.compile_s > 0.0 and outer.compile_s >= first.compile_s
    assert second.compile_s == 0.0
    assert abs(first.compile_s + first.run_s - first.total_s) < 1e-9
    assert set(first.as_dict()) == {"total_s", "compile_s", "run_s"}
