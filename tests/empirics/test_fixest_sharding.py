"""Row-sharded demeaning on 4 forced host CPU devices equals single-device demeaning.

JAX fixes its device count at start-up, so the check runs in a subprocess
with ``--xla_force_host_platform_device_count=4``.
"""

from __future__ import annotations

import textwrap

from tests.devices import run_on_cpu_devices

SCRIPT = textwrap.dedent(
    """
    import numpy as np
    import jax
    from jaxtrade.empirics.fixest import demean, demean_sharded, feols
    assert len(jax.devices()) == 4, jax.devices()
    rng = np.random.default_rng(0)
    n = 10_003  # not a multiple of 4: exercises the zero-weight padding
    g1 = rng.integers(0, 500, n); g2 = rng.integers(0, 40, n); g3 = rng.integers(0, 7, n)
    x = rng.normal(size=(n, 3)); w = rng.uniform(0.5, 2.0, n)
    for weights in (None, w):
        ref = demean(x, [g1, g2, g3], weights, tol=1e-13).value
        sol = demean_sharded(x, [g1, g2, g3], weights, tol=1e-13)
        out, info = sol.value, sol.info
        assert out.shape == x.shape
        assert bool(info.converged)
        err = float(np.max(np.abs(np.asarray(out) - np.asarray(ref))))
        assert err < 1e-10, err
        assert len(out.sharding.device_set) == 4 or out.shape[0] == n
    import pandas as pd
    df = pd.DataFrame({"y": x[:, 0] + 0.5 * x[:, 1], "x1": x[:, 1], "x2": x[:, 2], "g1": g1, "g2": g2, "g3": g3})
    for fml in ("y ~ x1 + x2 | g1 + g2 + g3", "y ~ x1 + x2 | g1 + g2"):
        ref = feols(fml, df, vcov={"CRV1": "g1"}, fixef_tol=1e-13)
        res = feols(fml, df, vcov={"CRV1": "g1"}, fixef_tol=1e-13, devices=jax.devices())
        assert np.max(np.abs(res.coef().to_numpy() - ref.coef().to_numpy())) < 1e-10
        assert np.max(np.abs(res.se().to_numpy() / ref.se().to_numpy() - 1)) < 1e-8
    print("OK")
    """
)


def test_sharded_demeaning_matches_single_device():
    proc = run_on_cpu_devices(SCRIPT, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "OK" in proc.stdout
