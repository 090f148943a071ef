"""Sharding helpers: single device in-process, four forced CPU devices in a subprocess."""

import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxtrade  # noqa: F401  (float64 by default)
from jaxtrade.numerics.sharding import batch_size, device_mesh, pad_batch, shard_batch, sharded_vmap
from tests.devices import run_on_cpu_devices


def _solve(a, b):
    return {"y": jnp.sin(a) * b, "s": jnp.sum(a**2) + b}


def test_single_device_and_padding():
    mesh = device_mesh()
    a = jnp.arange(15.0).reshape(5, 3)
    b = jnp.arange(5.0)
    out = sharded_vmap(_solve, mesh)(a, b)
    ref = jax.vmap(_solve)(a, b)
    np.testing.assert_allclose(out["y"], ref["y"])
    np.testing.assert_allclose(out["s"], ref["s"])
    padded, n = pad_batch({"a": a}, 4)
    assert n == 5 and padded["a"].shape == (8, 3)
    np.testing.assert_allclose(padded["a"][5:], jnp.broadcast_to(a[-1], (3, 3)))
    assert batch_size((a, b)) == 5
    with pytest.raises(ValueError, match="share the leading axis"):
        batch_size((a, jnp.arange(4.0)))
    # broadcast (unbatched) argument
    out = sharded_vmap(_solve, mesh, in_axes=(0, None))(a, 2.0)
    np.testing.assert_allclose(out["s"], jnp.sum(a**2, axis=1) + 2.0)
    sharded = shard_batch(a, mesh)
    np.testing.assert_allclose(sharded, a)


SCRIPT = textwrap.dedent(
    """
    import jax, jax.numpy as jnp, numpy as np
    import jaxtrade  # noqa: F401
    from jaxtrade.numerics.sharding import device_mesh, shard_batch, sharded_vmap
    from jaxtrade.numerics.fixed_point import fixed_point

    assert len(jax.devices()) == 4, jax.devices()
    mesh = device_mesh()

    def solve(a):
        return fixed_point(lambda x, a: 0.5 * jnp.cos(x) + a, jnp.zeros(3), a).value

    a = jnp.linspace(0.0, 1.0, 24).reshape(8, 3)
    sharded = shard_batch(a, mesh)
    assert len(sharded.sharding.device_set) == 4
    assert sharded.addressable_shards[0].data.shape == (2, 3)
    out = sharded_vmap(solve, mesh)(a)
    ref = jax.vmap(solve)(a)
    np.testing.assert_allclose(np.asarray(out), np.asarray(ref), atol=1e-14)
    out6 = sharded_vmap(solve, mesh)(a[:6])   # padded internally to 8, trimmed to 6
    assert out6.shape == (6, 3)
    np.testing.assert_allclose(np.asarray(out6), np.asarray(ref[:6]), atol=1e-14)
    try:
        shard_batch(a[:6], mesh)
    except ValueError as e:
        assert "not divisible" in str(e)
    else:
        raise AssertionError("expected ValueError")
    print("SHARDING_OK", len(jax.devices()))
    """
)


def test_four_cpu_devices_subprocess():
    proc = run_on_cpu_devices(SCRIPT, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SHARDING_OK 4" in proc.stdout
