"""``jaxtrade vertical``: the Ara & Zhang (2020) vertical-production model for parameters given as options."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from jaxtrade.cli.common import default_of, print_json, run_guarded
from jaxtrade.models import vertical as v

__all__ = ["add_parser"]


def _default(name):
    return default_of(v.vertical_params, name)


def add_parser(sub) -> None:
    """Add the ``vertical`` command to an argparse subparsers object (defaults: :func:`vertical_params`)."""
    p = sub.add_parser(
        "vertical",
        help="solve the Ara & Zhang (2020) vertical-production model and print elasticities",
        description="Countries i and j; bilateral costs are given into each destination: --tau-ji is tau^I_ji, "
        "country i's import cost of inputs from j. Defaults are jaxtrade.models.vertical.vertical_params's.",
    )
    L = _default("L")
    p.add_argument("--sigma", type=float, default=_default("sigma"))
    p.add_argument(
        "--k", type=float, default=_default("k"), help="Pareto shape; Assumption 1: sigma-1 < k < 2(sigma-1)"
    )
    p.add_argument("--L-i", type=float, default=L[0])
    p.add_argument("--L-j", type=float, default=L[1])
    p.add_argument("--beta", type=float, default=_default("beta"), help="industry expenditure share")
    p.add_argument("--f-E", type=float, nargs="+", default=[_default("f_E")], help="entry cost (one value, or i j)")
    p.add_argument("--fF-dom", type=float, nargs="+", default=[_default("f_F_domestic")], help="f^F_ii (and f^F_jj)")
    p.add_argument("--fF-for", type=float, nargs="+", default=[_default("f_F_foreign")], help="f^F_ji (and f^F_ij)")
    p.add_argument("--fI-dom", type=float, nargs="+", default=[_default("f_I_domestic")], help="f^I_ii (and f^I_jj)")
    p.add_argument("--fI-for", type=float, nargs="+", default=[_default("f_I_foreign")], help="f^I_ji (and f^I_ij)")
    p.add_argument("--tau-ji", type=float, default=_default("tau_I"), help="tau^I_ji, inputs from j into i")
    p.add_argument("--tau-ij", type=float, default=_default("tau_I"), help="tau^I_ij, inputs from i into j")
    p.add_argument("--tauF-ji", type=float, default=_default("tau_F"), help="tau^F_ji (final-goods-only case)")
    p.add_argument("--tauF-ij", type=float, default=_default("tau_F"), help="tau^F_ij (final-goods-only case)")
    p.add_argument("--varphi-min", type=float, default=_default("varphi_min"))
    p.add_argument("--phi-min", type=float, default=_default("phi_min"))
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    p.set_defaults(func=lambda args: run_guarded("vertical", lambda: _solve_and_print(args)))


def _pair(values):
    return values[0] if len(values) == 1 else tuple(values[:2])


def _solve_and_print(args) -> None:
    p = v.vertical_params(
        sigma=args.sigma, k=args.k, L=(args.L_i, args.L_j), beta=args.beta, f_E=_pair(args.f_E),
        f_F_domestic=_pair(args.fF_dom), f_F_foreign=_pair(args.fF_for),
        f_I_domestic=_pair(args.fI_dom), f_I_foreign=_pair(args.fI_for),
        tau_I=(args.tau_ji, args.tau_ij), tau_F=(args.tauF_ji, args.tauF_ij),
        varphi_min=args.varphi_min, phi_min=args.phi_min,
    )  # fmt: skip
    # Four independent programs, run side by side: reading them from the caches (most of a warm call's
    # time) then overlaps. Results are taken in order, so the first failure raised is the sequential one.
    with ThreadPoolExecutor(max_workers=4) as pool:
        eq_job = pool.submit(v.solve_input_trade, p)
        el_job = pool.submit(v.partial_trade_elasticities, p)
        lemmas_job = pool.submit(v.lemma_sign_table, p, hold_entry_fixed=True)
        lemmas_ge_job = pool.submit(v.lemma_sign_table, p, hold_entry_fixed=False)
    eq, el, lemmas, lemmas_ge = eq_job.result(), el_job.result(), lemmas_job.result(), lemmas_ge_job.result()
    cf = el["closed_form"]
    margins = ("intensive", "importer_extensive_downstream", "exporter_extensive_upstream", "exporter_extensive_final")
    out: dict[str, Any] = {
        **{key: float(el[key]) for key in ("zeta_I", "zeta_F", "xi_I", "xi_F")},
        **{f"{key}_closed_form": float(cf[key]) for key in ("zeta_I", "zeta_F", "xi_I", "xi_F")},
        "margins": {key: float(el[key]) for key in margins},
        "zeta_I_general_equilibrium": float(el["zeta_I_general_equilibrium"]),
        "equilibrium": {name: float(val) for name, val in eq.unknowns().items()},
        "residuals": {c: float(r) for c, r in zip(v.INPUT_TRADE_CONDITIONS, np.asarray(eq.residuals), strict=True)},
        "entry_masses": {"N_E": np.asarray(eq.N_E).tolist(), "M_E": np.asarray(eq.M_E).tolist()},
        "valid": bool(eq.valid),
        "solver": {"iterations": int(eq.info.iterations), "residual": float(eq.info.residual),
                   "converged": bool(eq.info.converged)},
        "lemma_signs": lemmas,
        "lemma_signs_general_equilibrium": lemmas_ge,
    }  # fmt: skip
    if args.json:
        print_json(out)
        return
    print("Ara & Zhang (2020) vertical-production model")
    print(f"  sigma = {args.sigma:g}, k = {args.k:g}; Newton: {out['solver']}")
    print("\nEquilibrium (section 2.5)")
    for (name, val), (cond, res) in zip(out["equilibrium"].items(), out["residuals"].items(), strict=True):
        print(f"  {name:<16} {val:14.8g}    {cond:<8} residual {res: .2e}")
    print("\nPartial trade elasticities (Proposition 2): jaxtrade autodiff | paper closed form")
    for key in ("zeta_I", "zeta_F", "xi_I", "xi_F"):
        print(f"  {key:<7} {out[key]:12.8f} | {out[key + '_closed_form']:12.8f}")
    for key, val in out["margins"].items():
        print(f"  {key:<32} {val:12.8f} | {float(cf[key]):12.8f}")
    print(f"  zeta_I in general equilibrium (not in paper): {out['zeta_I_general_equilibrium']:.8f}")
    print("\nLemmas 1-3: sign of d/d tau^I_ji (paper | N^E fixed, A.1 | general equilibrium)")
    sym = {1: "+", -1: "-", 0: "0"}
    for r, g in zip(lemmas, lemmas_ge, strict=True):
        print(f"  {r['lemma']}  {r['unknown']:<16} {sym[r['expected_sign']]} | {sym[r['numeric_sign']]} | "
              f"{sym[g['numeric_sign']]}")  # fmt: skip
