"""The on-disk cache of traced programs (jaxtrade.program_cache).

Correctness: a stored program computes what the function computes, and is
used again without tracing, in this process and in a new one. Robustness:
transformations, unhashable or unexportable calls and damaged entries fall
back to the function itself; the key changes with everything that shapes a
trace.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxtrade.program_cache as pc
from jaxtrade.errors import solver_info
from jaxtrade.models import vertical as v

TRACES: list[str] = []


class Box(eqx.Module):
    """A parameter pytree with a static field, as the models' parameters have."""

    a: jax.Array
    b: jax.Array
    label: str = eqx.field(static=True, default="box")


@pc.cached_program
@eqx.filter_jit
def _toy(box: Box, scale: float, power: int):
    TRACES.append(box.label)  # runs only while tracing
    out = {"y": scale * box.a**power + jnp.sin(box.b), "tag": box.label, "n": power}
    return out, solver_info(jnp.asarray(power), jnp.max(jnp.abs(out["y"])) * 0.0, 1e-12)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A private program folder and an empty in-process table."""
    monkeypatch.setattr(pc, "program_cache_dir", lambda: tmp_path)
    monkeypatch.setattr(pc, "_loaded", {})
    monkeypatch.setattr(pc, "_unexportable", set())
    TRACES.clear()
    return tmp_path


def _box(n=3):
    return Box(jnp.arange(1.0, n + 1.0), jnp.linspace(0.0, 1.0, n))


def _plain(box, scale, power):
    return _toy.__wrapped__(box, scale, power)


def test_a_stored_program_computes_what_the_function_computes_and_is_not_traced_again(cache, monkeypatch):
    box = _box(5)  # a shape no other test uses: JAX's in-process caches have not seen it
    (out, info) = _toy(box, 2.0, 3)
    assert TRACES == ["box"] and len(list(cache.glob("*.jaxprogram"))) == 1
    (ref, ref_info) = _plain(box, 2.0, 3)
    np.testing.assert_allclose(out["y"], ref["y"], rtol=1e-15, atol=0)
    assert out["tag"] == "box" and out["n"] == 3  # static outputs come back as they were
    assert bool(info.converged) and info.result == ref_info.result  # an equinox enumeration survives the round trip

    monkeypatch.setattr(pc, "_loaded", {})  # as a new process: only the file is left
    TRACES.clear()
    (again, _) = _toy(box, 2.0, 3)
    assert TRACES == []
    np.testing.assert_array_equal(again["y"], out["y"])
    (other, _) = _toy(Box(box.a + 1.0, box.b), 2.0, 3)  # new values, same shapes: the same program
    assert TRACES == []
    np.testing.assert_allclose(other["y"], _plain(Box(box.a + 1.0, box.b), 2.0, 3)[0]["y"], rtol=1e-15)


def test_the_key_follows_shapes_dtypes_static_values_settings_and_source(monkeypatch):
    box = _box()
    key = pc.program_key(_toy, (box, 2.0, 3), {})
    assert key == pc.program_key(_toy, (Box(box.a * 5, box.b), 2.0, 3), {})
    changed = [
        pc.program_key(_toy, (Box(jnp.arange(4.0), box.b), 2.0, 3), {}),  # shape
        pc.program_key(_toy, (Box(box.a.astype(jnp.float32), box.b), 2.0, 3), {}),  # dtype
        pc.program_key(_toy, (box, 2.5, 3), {}),  # a static float
        pc.program_key(_toy, (Box(box.a, box.b, label="other"), 2.0, 3), {}),  # a static field
        pc.program_key(_toy, (box, 2.0), {"power": 3}),  # the same value passed another way
    ]
    assert key not in changed and len(set(changed)) == len(changed)
    monkeypatch.setenv("EQX_ON_ERROR", "nan")
    assert pc.program_key(_toy, (box, 2.0, 3), {}) != key
    monkeypatch.delenv("EQX_ON_ERROR")
    monkeypatch.setattr(pc, "_source_fingerprint", lambda: "edited")
    assert pc.program_key(_toy, (box, 2.0, 3), {}) != key


def test_calls_that_must_not_be_cached_get_no_key():
    box = _box()
    assert pc.program_key(_toy, (box, object(), 3), {}) is None  # a repr with an address is not a value
    seen = []
    jax.vmap(lambda a: seen.append(pc.program_key(_toy, (Box(a, a), 2.0, 3), {})) or a)(jnp.ones((2, 3)))
    assert seen == [None]


def test_transformations_go_through_the_function_itself(cache):
    box = _box()
    grad = jax.grad(lambda a: _toy(Box(a, box.b), 2.0, 3)[0]["y"].sum())(box.a)
    np.testing.assert_allclose(grad, 6.0 * box.a**2, rtol=1e-14)
    batch = jax.vmap(lambda a: _toy(Box(a, box.b), 2.0, 3)[0]["y"])(jnp.stack([box.a, 2 * box.a]))
    np.testing.assert_allclose(batch[1], 2.0 * (2 * box.a) ** 3 + jnp.sin(box.b), rtol=1e-14)
    with jax.disable_jit():
        _toy(box, 2.0, 3)
    assert list(cache.glob("*.jaxprogram")) == []  # none of these stored a program


def test_a_damaged_entry_is_dropped_and_the_program_traced_again(cache, monkeypatch, caplog):
    box = _box()
    _toy(box, 2.0, 3)
    (entry,) = cache.glob("*.jaxprogram")
    entry.write_bytes(b"not a program")
    monkeypatch.setattr(pc, "_loaded", {})
    TRACES.clear()
    with caplog.at_level("WARNING", logger="jaxtrade.program_cache"):
        (out, _) = _toy(box, 2.0, 3)
    assert "dropping unreadable entry" in caplog.text
    np.testing.assert_allclose(out["y"], _plain(box, 2.0, 3)[0]["y"], rtol=1e-15)
    assert entry.read_bytes() != b"not a program"  # stored afresh


def test_a_program_that_cannot_be_exported_runs_as_it_is(cache):
    @pc.cached_program
    @jax.jit
    def with_callback(x):
        jax.debug.callback(lambda y: None, x)  # host callbacks cannot be serialized
        return 2.0 * x

    np.testing.assert_array_equal(with_callback(jnp.arange(3.0)), [0.0, 2.0, 4.0])
    np.testing.assert_array_equal(with_callback(jnp.arange(3.0)), [0.0, 2.0, 4.0])
    assert list(cache.glob("*.jaxprogram")) == [] and len(pc._unexportable) == 1


def test_the_folder_is_kept_under_its_limit(tmp_path):
    for i in range(5):
        (tmp_path / f"{i}{pc._SUFFIX}").write_bytes(b"x" * 100)
        os.utime(tmp_path / f"{i}{pc._SUFFIX}", (i, i))
    pc._evict(tmp_path, limit=250)
    assert sorted(p.name for p in tmp_path.glob(f"*{pc._SUFFIX}")) == [f"3{pc._SUFFIX}", f"4{pc._SUFFIX}"]


def test_switches(monkeypatch):
    monkeypatch.setenv("JAXTRADE_PROGRAM_CACHE", "off")
    assert pc.program_cache_dir() is None
    monkeypatch.delenv("JAXTRADE_PROGRAM_CACHE")
    monkeypatch.setattr(pc, "compilation_cache_dir", lambda: None)  # JAXTRADE_CACHE_DIR=off turns both off
    assert pc.program_cache_dir() is None


_SECOND_PROCESS = textwrap.dedent(
    """
    import json, sys
    from jax import monitoring
    traces = []
    monitoring.register_event_duration_secs_listener(
        lambda event, duration, **kw: traces.append(kw.get("fun_name"))
        if event == "/jax/core/compile/jaxpr_trace_duration" else None)
    from jaxtrade.models import vertical as v
    eq = v.solve_input_trade(v.vertical_params(sigma=float(sys.argv[1])))
    print(json.dumps({"unknowns": [float(x) for x in eq.unknown_vector()],
                      "solver_traced": "_solve_input_trade_jit" in traces}))
    """
)


def test_a_new_process_reads_the_program_instead_of_tracing_it(tmp_path):
    env = {**os.environ, "JAXTRADE_CACHE_DIR": str(tmp_path), "JAX_PLATFORMS": "cpu"}
    env.pop("JAXTRADE_PROGRAM_CACHE", None)

    def run(sigma):
        done = subprocess.run([sys.executable, "-c", _SECOND_PROCESS, str(sigma)], env=env, capture_output=True,
                              text=True, check=True, timeout=600)  # fmt: skip
        return json.loads(done.stdout.strip().splitlines()[-1])

    first, second = run(4.0), run(4.0)
    assert first["solver_traced"] and not second["solver_traced"]
    assert second["unknowns"] == first["unknowns"]
    other = run(3.5)  # other values, same shapes: the stored program, and its own answer
    assert not other["solver_traced"]
    ref = v.solve_input_trade(v.vertical_params(sigma=3.5)).unknown_vector()
    np.testing.assert_allclose(other["unknowns"], ref, rtol=1e-12)
    assert len(list((tmp_path / "jaxtrade-programs").glob("*.jaxprogram"))) == 1
