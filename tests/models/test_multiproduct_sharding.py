"""Batched GE solves of the multiproduct model sharded over 4 forced host CPU devices.

JAX fixes its device count at start-up, so the sharded check runs in a
subprocess with ``--xla_force_host_platform_device_count=4``: a batch of 8
parameter vectors (n_z=21, N=5) solved by
:func:`jaxtrade.models.multiproduct.solve_equilibrium_batch` must equal
the 8 per-vector unsharded solves to 1e-10 and be laid out over 4 devices,
with both per-device layouts (``method="vmap"`` and ``"map"``).
"""

from __future__ import annotations

import textwrap

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxtrade.errors import ConvergenceError
from jaxtrade.models.multiproduct import (
    resolve_batch_method,
    solve_equilibrium_batch,
    stack_params,
    standard_params,
    unstack_params,
)
from tests.devices import run_on_cpu_devices

SCRIPT = textwrap.dedent(
    """
    import numpy as np
    import jax
    from jaxtrade.models.multiproduct import standard_params, solve_equilibrium, solve_equilibrium_batch
    assert len(jax.devices()) == 4, jax.devices()
    rng = np.random.default_rng(0)
    u = lambda: 1.0 + 0.1 * rng.uniform(-1, 1)
    ps = [standard_params(n_z=21, n_products=5, mu_E=0.11 * u(), xi=2.19 * u(), gamma=3.65 * u(),
                          gamma_0=0.003 * u(), gamma_1=2.23 * u(), gamma_2=0.003 * u(), gamma_3=4.85 * u())
          for _ in range(8)]
    eq = solve_equilibrium_batch(ps, method="vmap")
    keys = ("W", "R", "D", "c", "A", "K", "M", "C", "N_E", "gamma_E", "N", "T", "v", "prob", "mu")
    for k in keys + ("info.converged",):
        leaf = eq.info.converged if k == "info.converged" else getattr(eq, k)
        assert leaf.shape[0] == 8, (k, leaf.shape)
        assert len(leaf.sharding.device_set) == 4, (k, leaf.sharding)
        assert leaf.sharding.spec[0] == "batch", (k, leaf.sharding)
        # each device holds its own 2 members
        assert sorted(s.data.shape[0] for s in leaf.addressable_shards) == [2, 2, 2, 2], k
    assert bool(np.all(np.asarray(eq.info.converged)))
    worst = 0.0
    for i, p in enumerate(ps):
        ref = solve_equilibrium(p, throw=False)
        assert bool(ref.info.converged)
        assert len(ref.W.sharding.device_set) == 1
        for k in keys:
            a, b = np.asarray(getattr(eq, k))[i], np.asarray(getattr(ref, k))
            worst = max(worst, float(np.max(np.abs(a - b))))
        for k in ref.residuals:
            assert abs(float(np.asarray(eq.residuals[k])[i]) - float(ref.residuals[k])) < 1e-10, k
        assert int(np.asarray(eq.info.iterations)[i]) == int(ref.info.iterations)
    assert worst < 1e-10, worst
    # the members differ, so the comparison is not trivially the same solve 8 times
    assert float(np.ptp(np.asarray(eq.A))) > 1e-3
    # lax.map layout per device: same members, same results, same sharding
    eqm = solve_equilibrium_batch(ps, method="map")
    assert len(eqm.W.sharding.device_set) == 4 and bool(np.all(np.asarray(eqm.info.converged)))
    for k in keys:
        assert float(np.max(np.abs(np.asarray(getattr(eqm, k)) - np.asarray(getattr(eq, k))))) < 1e-10, k
    # 6 members: not a multiple of 4 -> error, or padding (same compiled shape 8) and trimming
    try:
        solve_equilibrium_batch(ps[:6])
    except ValueError as e:
        assert "multiple of the 4 devices" in str(e)
    else:
        raise AssertionError("expected ValueError for a batch of 6 on 4 devices")
    eq6 = solve_equilibrium_batch(ps[:6], pad=True)  # method "auto": lax.map on these CPU devices
    assert eq6.W.shape == (6,)
    assert float(np.max(np.abs(np.asarray(eq6.A) - np.asarray(eq.A)[:6]))) < 1e-10
    print("OK", worst)
    """
)


def test_sharded_batch_matches_per_vector_solves():
    proc = run_on_cpu_devices(SCRIPT, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "OK" in proc.stdout


def test_stack_params_checks_static_fields_and_domain():
    a = standard_params(n_z=21, n_products=5)
    b = standard_params(n_z=21, n_products=5, xi=2.5)
    batch = stack_params([a, b])
    assert batch.tau.shape == (2, 5) and batch.xi.shape == (2,)
    back = unstack_params(batch)
    assert float(back[1].xi) == 2.5 and float(back[0].xi) == float(a.xi)
    with pytest.raises(ValueError, match="n_z, n_products, cost_form"):
        stack_params([a, standard_params(n_z=23, n_products=5)])
    with pytest.raises(ValueError, match="at least one"):
        stack_params([])
    bad = stack_params([a, b])
    bad = eqx.tree_at(lambda q: q.gamma, bad, jnp.asarray([3.65, -1.0]))
    with pytest.raises(ValueError, match="gamma > 0"):
        solve_equilibrium_batch(bad)
    with pytest.raises(ValueError, match="entry must be one of"):
        solve_equilibrium_batch([a, b], entry="free")
    with pytest.raises(ValueError, match="method must be one of"):
        solve_equilibrium_batch([a, b], method="scan")
    with pytest.raises(ValueError, match="map_batch_size must be"):
        solve_equilibrium_batch([a, b], method="map", map_batch_size=0)
    cpu = jax.devices("cpu")
    assert [resolve_batch_method(m, cpu) for m in ("auto", "vmap", "map")] == ["map", "vmap", "map"]
    np.testing.assert_array_equal(np.asarray(batch.gamma_0), [float(a.gamma_0)] * 2)


def test_batch_throw_flags_each_member():
    """throw=False: one flag per member (a member outside the domain fails alone); throw=True raises."""
    a = standard_params(n_z=21, n_products=5)
    batch = stack_params([a, a.replace(xi=2.5)])
    batch = eqx.tree_at(lambda q: q.gamma_E, batch, jnp.asarray([0.26, -0.1]))  # unused by entry="normalize"
    one = jax.devices()[:1]
    with pytest.raises(ValueError, match="gamma_E must satisfy gamma_E > 0"):
        solve_equilibrium_batch(batch, devices=one, method="map")
    eq = solve_equilibrium_batch(batch, devices=one, validate=False, throw=False)  # "auto": lax.map on a CPU
    assert np.asarray(eq.info.converged).tolist() == [True, False]
    assert np.asarray(eq.root_info.converged).tolist() == [True, True]
    assert eq.info.reason[0] == "" and "valid domain" in eq.info.reason[1]
    with pytest.raises(ConvergenceError, match="valid domain"):
        solve_equilibrium_batch(batch, devices=one, method="map", validate=False)
