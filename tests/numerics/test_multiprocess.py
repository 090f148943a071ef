"""Two local processes under JAX's multi-controller runtime (``jax.distributed``), each with two forced CPU devices.

Every process runs the same script with the same inputs; the mesh spans the
four devices of both processes. Checked: :func:`sharded_vmap`, the
row-sharded demeaning and ``feols(..., devices=jax.devices())``, and the
sharded multiproduct equilibrium batch (every member's equilibrium
conditions recomputed) give on every process what one process gives alone.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap

import pytest

from tests.devices import REPO_ROOT

WORKER = textwrap.dedent(
    """
    import json, sys
    import jax
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(coordinator_address=sys.argv[1], num_processes=2, process_id=int(sys.argv[2]))
    import numpy as np, pandas as pd, jax.numpy as jnp
    from jaxtrade.numerics import sharded_vmap
    from jaxtrade.empirics.fixest import demean, demean_sharded, feols
    from jaxtrade.models import multiproduct as mp
    out = {"process": jax.process_index(), "devices": len(jax.devices()), "local": len(jax.local_devices())}
    out["vmap"] = np.asarray(sharded_vmap(lambda x: jnp.sin(x) ** 2)(np.arange(7.0))).tolist()
    rng = np.random.default_rng(0)
    n = 2_001
    g1, g2 = rng.integers(0, 60, n), rng.integers(0, 9, n)
    x = rng.normal(size=(n, 2))
    ref = np.asarray(demean(x, [g1, g2], tol=1e-13).value)
    out["demean_err"] = float(np.max(np.abs(np.asarray(demean_sharded(x, [g1, g2], tol=1e-13).value) - ref)))
    df = pd.DataFrame({"y": x[:, 0] + 0.3 * x[:, 1], "x1": x[:, 1], "g1": g1, "g2": g2})
    one = feols("y ~ x1 | g1 + g2", df, vcov={"CRV1": "g1"}, fixef_tol=1e-13)
    spread = feols("y ~ x1 | g1 + g2", df, vcov={"CRV1": "g1"}, fixef_tol=1e-13, devices=jax.devices())
    out["feols_coef_err"] = float(np.max(np.abs(spread.coef().to_numpy() - one.coef().to_numpy())))
    out["feols_se_rel"] = float(np.max(np.abs(spread.se().to_numpy() / one.se().to_numpy() - 1)))
    p = mp.standard_params(n_z=7, n_products=3)
    batch = [p, p.replace(xi=2.4), p.replace(mu_E=p.mu_E * 0.9), p.replace(xi=2.2)]
    eq = mp.solve_equilibrium_batch(batch, method="map")
    out["batch_W"] = np.asarray(eq.W).tolist()
    out["batch_converged"] = np.asarray(eq.info.converged).tolist()
    # every member's equilibrium conditions recomputed (the equilibrium is unique: holding them is being it)
    out["batch_max_residual"] = max(float(np.max(np.abs(np.asarray(eq.residuals[k])))) for k in mp.RESIDUAL_NAMES[:7])
    print("RESULT " + json.dumps(out))
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_give_what_one_gives():
    env = dict(os.environ)
    env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2").strip()
    env["JAX_PLATFORMS"] = "cpu"
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    address = f"localhost:{_free_port()}"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, address, str(i)],
            env=env,
            cwd=str(REPO_ROOT),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for i in range(2)
    ]
    results = []
    try:
        for proc in procs:
            stdout, stderr = proc.communicate(timeout=600)
            assert proc.returncode == 0, stderr[-3000:]
            results.append(json.loads(next(ln for ln in stdout.splitlines() if ln.startswith("RESULT "))[7:]))
    finally:
        for proc in procs:
            proc.kill()
    assert sorted(r["process"] for r in results) == [0, 1]
    for r in results:
        assert r["devices"] == 4 and r["local"] == 2
        assert r["vmap"] == results[0]["vmap"] and len(r["vmap"]) == 7
        assert r["demean_err"] < 1e-10
        assert r["feols_coef_err"] < 1e-10 and r["feols_se_rel"] < 1e-8
        assert r["batch_converged"] == [True] * 4
        assert r["batch_W"] == results[0]["batch_W"] and len(set(r["batch_W"])) == 4
        assert r["batch_max_residual"] < 1e-10
