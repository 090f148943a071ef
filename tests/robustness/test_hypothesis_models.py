"""Hypothesis-drawn bad parameters for the models' parameter factories (issue 15).

Any single field set to NaN, +-inf, zero, a negative number or an absurd
magnitude gives either a valid parameter set or a ``ValueError`` that names
the field; never another exception, never a silent NaN inside a
"validated" object.
"""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jaxtrade.models import multiproduct as mp
from jaxtrade.models import sunk_cost as sc
from jaxtrade.models import vertical as v

BAD = st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -1.0, -1e-300, 1e300, 1e-300])

VERTICAL_FIELDS = ["beta", "sigma", "k", "varphi_min", "phi_min", "f_E", "f_F_domestic", "f_F_foreign",
                   "f_I_domestic", "f_I_foreign", "tau_I", "tau_F"]  # fmt: skip
RUHL_FIELDS = ["tau", "rho", "beta", "delta", "gamma", "epsilon", "lam", "theta_phi", "phi_bar", "zeta", "xi",
               "kappa_bar", "L", "omega"]  # fmt: skip
MULTIPRODUCT_FIELDS = ["sigma", "epsilon", "beta", "delta", "gamma_E", "rho_z", "sigma_e", "alpha_k", "alpha_m",
                       "mu_E", "xi", "gamma", "smoothing"]  # fmt: skip


def _finite_floats(params) -> bool:
    leaves = [np.asarray(x) for x in jax.tree_util.tree_leaves(params)]
    return all(np.all(np.isfinite(x)) for x in leaves if x.dtype.kind == "f")


PROHIBITIVE = {"tau_I", "tau_F"}  # vertical model: tau = inf is the no-trade limit (Proposition 1(ii) uses tau_I = inf)


def _check(build, field: str, bad: float = math.nan):
    # the vertical factory stores f_F_domestic / f_F_foreign in one matrix f_F: the error names that field
    names = {field, field.removesuffix("_domestic").removesuffix("_foreign")}
    try:
        params = build()
    except ValueError as err:
        assert any(name in str(err) for name in names), f"{field}: {err}"
        return
    if field in PROHIBITIVE and bad == math.inf:
        tau = np.asarray(getattr(params, field))  # bilateral: the limit it means off the diagonal, 1 on it
        assert np.all(np.isposinf(tau[~np.eye(2, dtype=bool)])) and np.all(np.diag(tau) == 1.0), field
        return
    # accepted: then every float in it is finite (no NaN smuggled into a validated object)
    assert _finite_floats(params), f"{field} accepted a non-finite value"


@settings(max_examples=40, deadline=None)
@given(field=st.sampled_from(VERTICAL_FIELDS), bad=BAD)
def test_vertical_params_reject_or_accept_cleanly(field, bad):
    _check(lambda: v.vertical_params(**{field: bad}), field, bad)


@settings(max_examples=40, deadline=None)
@given(field=st.sampled_from(RUHL_FIELDS), bad=BAD)
def test_ruhl_params_reject_or_accept_cleanly(field, bad):
    _check(lambda: sc.ruhl_params(n_phi=10, n_kappa=10, **{field: bad}), field, bad)


@settings(max_examples=40, deadline=None)
@given(field=st.sampled_from(MULTIPRODUCT_FIELDS), bad=BAD)
def test_multiproduct_params_reject_or_accept_cleanly(field, bad):
    base = mp.standard_params(n_z=7, n_products=3)
    _check(lambda: base.replace(**{field: bad}), field, bad)


BAD_VALUES = [math.nan, math.inf, -math.inf, 0.0, -1.0, -1e-300, 1e300, 1e-300]


def test_every_field_and_bad_value_of_the_vertical_and_ruhl_factories():
    """The exhaustive grid behind the drawn tests (cheap: no solve), so no case depends on the draw."""
    for field in VERTICAL_FIELDS:
        for bad in BAD_VALUES:
            _check(lambda field=field, bad=bad: v.vertical_params(**{field: bad}), field, bad)
    for field in RUHL_FIELDS:
        for bad in BAD_VALUES:
            _check(lambda field=field, bad=bad: sc.ruhl_params(n_phi=10, n_kappa=10, **{field: bad}), field, bad)


@pytest.mark.parametrize("n", [0, -3, 2.5])
def test_grid_sizes_are_checked(n):
    with pytest.raises((ValueError, TypeError), match="n_z|n_products|grid|int"):
        mp.standard_params(n_z=n, n_products=3)
