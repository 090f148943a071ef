"""The ``jaxtrade`` command line.

``jaxtrade replicate`` is the main job: it runs every paper's replication on
embedded defaults and writes a report (markdown tables and PNG figures).
Model subcommands (``jaxtrade vertical``) solve one model for parameters
given as flags.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

import numpy as np


def _add_replicate(sub):
    p = sub.add_parser("replicate", help="run the papers' replications and write a report (the main job)")
    p.add_argument("--out", default="jaxtrade-report", help="folder for report.md and figures (default: jaxtrade-report)")
    p.add_argument("--paper", action="append", dest="papers", help="run only this paper (repeatable); default: all")
    p.add_argument("--full", action="store_true", help="full-size settings instead of the budget-friendly defaults")
    p.set_defaults(func=_cmd_replicate)


def _cmd_replicate(args) -> int:
    from jaxtrade.replication.report import replicate

    replicate(pathlib.Path(args.out), papers=args.papers, full=args.full)
    return 0


def _add_vertical(sub):
    p = sub.add_parser(
        "vertical",
        help="solve the Ara & Zhang (2020) vertical-production model and print elasticities",
        description="Countries i and j; bilateral costs are given into each destination: --tau-ji is tau^I_ji, "
        "country i's import cost of inputs from j.",
    )
    p.add_argument("--sigma", type=float, default=4.0)
    p.add_argument("--k", type=float, default=4.5, help="Pareto shape; Assumption 1: sigma-1 < k < 2(sigma-1)")
    p.add_argument("--L-i", type=float, default=1.0)
    p.add_argument("--L-j", type=float, default=1.5)
    p.add_argument("--beta", type=float, default=0.3, help="industry expenditure share")
    p.add_argument("--f-E", type=float, nargs="+", default=[1.0], help="entry cost (one value, or i j)")
    p.add_argument("--fF-dom", type=float, nargs="+", default=[1.0], help="f^F_ii (and f^F_jj)")
    p.add_argument("--fF-for", type=float, nargs="+", default=[1.5], help="f^F_ji (and f^F_ij)")
    p.add_argument("--fI-dom", type=float, nargs="+", default=[1.0], help="f^I_ii (and f^I_jj)")
    p.add_argument("--fI-for", type=float, nargs="+", default=[1.5], help="f^I_ji (and f^I_ij)")
    p.add_argument("--tau-ji", type=float, default=1.3, help="tau^I_ji, inputs from j into i")
    p.add_argument("--tau-ij", type=float, default=1.3, help="tau^I_ij, inputs from i into j")
    p.add_argument("--tauF-ji", type=float, default=1.3, help="tau^F_ji (final-goods-only case)")
    p.add_argument("--tauF-ij", type=float, default=1.3, help="tau^F_ij (final-goods-only case)")
    p.add_argument("--varphi-min", type=float, default=1.0)
    p.add_argument("--phi-min", type=float, default=1.0)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    p.set_defaults(func=_cmd_vertical)


def _pair(values):
    return values[0] if len(values) == 1 else tuple(values[:2])


def _cmd_vertical(args) -> int:
    from jaxtrade.models import vertical as v

    try:
        p = v.vertical_params(
            sigma=args.sigma, k=args.k, L=(args.L_i, args.L_j), beta=args.beta, f_E=_pair(args.f_E),
            f_F_domestic=_pair(args.fF_dom), f_F_foreign=_pair(args.fF_for),
            f_I_domestic=_pair(args.fI_dom), f_I_foreign=_pair(args.fI_for),
            tau_I=(args.tau_ji, args.tau_ij), tau_F=(args.tauF_ji, args.tauF_ij),
            varphi_min=args.varphi_min, phi_min=args.phi_min,
        )  # fmt: skip
    except ValueError as err:
        print(f"jaxtrade vertical: invalid parameters: {err}", file=sys.stderr)
        return 2
    eq = v.solve_input_trade(p)
    el = v.partial_trade_elasticities(p)
    lemmas = v.lemma_sign_table(p, hold_entry_fixed=True)
    lemmas_ge = v.lemma_sign_table(p, hold_entry_fixed=False)
    cf = el["closed_form"]
    out = {
        "zeta_I": float(el["zeta_I"]),
        "zeta_F": float(el["zeta_F"]),
        "zeta_I_closed_form": float(cf["zeta_I"]),
        "zeta_F_closed_form": float(cf["zeta_F"]),
        "xi_I": float(el["xi_I"]),
        "xi_F": float(el["xi_F"]),
        "xi_I_closed_form": float(cf["xi_I"]),
        "xi_F_closed_form": float(cf["xi_F"]),
        "margins": {
            "intensive": float(el["intensive"]),
            "importer_extensive_downstream": float(el["importer_extensive_downstream"]),
            "exporter_extensive_upstream": float(el["exporter_extensive_upstream"]),
            "exporter_extensive_final": float(el["exporter_extensive_final"]),
        },
        "zeta_I_general_equilibrium": float(el["zeta_I_general_equilibrium"]),
        "equilibrium": {name: float(val) for name, val in eq.unknowns().items()},
        "residuals": {c: float(r) for c, r in zip(v.INPUT_TRADE_CONDITIONS, np.asarray(eq.residuals))},
        "entry_masses": {"N_E": np.asarray(eq.N_E).tolist(), "M_E": np.asarray(eq.M_E).tolist()},
        "valid": bool(eq.valid),
        "solver": {"iterations": int(eq.info.iterations), "residual": float(eq.info.residual), "converged": bool(eq.info.converged)},
        "lemma_signs": lemmas,
        "lemma_signs_general_equilibrium": lemmas_ge,
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print("Ara & Zhang (2020) vertical-production model")
    print(f"  sigma = {args.sigma:g}, k = {args.k:g}; Newton: {out['solver']}")
    print("\nEquilibrium (section 2.5)")
    for (name, val), (cond, res) in zip(out["equilibrium"].items(), out["residuals"].items()):
        print(f"  {name:<16} {val:14.8g}    {cond:<8} residual {res: .2e}")
    print("\nPartial trade elasticities (Proposition 2): jaxtrade autodiff | paper closed form")
    for key in ("zeta_I", "zeta_F", "xi_I", "xi_F"):
        print(f"  {key:<7} {out[key]:12.8f} | {out[key + '_closed_form']:12.8f}")
    for key, val in out["margins"].items():
        print(f"  {key:<32} {val:12.8f} | {float(cf[key]):12.8f}")
    print(f"  zeta_I in general equilibrium (not in paper): {out['zeta_I_general_equilibrium']:.8f}")
    print("\nLemmas 1-3: sign of d/d tau^I_ji (paper | N^E fixed, A.1 | general equilibrium)")
    sym = {1: "+", -1: "-", 0: "0"}
    for r, g in zip(lemmas, lemmas_ge):
        print(f"  {r['lemma']}  {r['unknown']:<16} {sym[r['expected_sign']]} | {sym[r['numeric_sign']]} | {sym[g['numeric_sign']]}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jaxtrade",
        description="JAX solvers for quantitative trade with heterogeneous firms. "
        "Main job: `jaxtrade replicate` writes the replication report.",
    )
    from jaxtrade import __version__

    parser.add_argument("--version", action="version", version=f"jaxtrade {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_replicate(sub)
    _add_vertical(sub)
    from jaxtrade.cli_multiproduct import add_parser as _add_multiproduct
    from jaxtrade.cli_proximity import add_parser as _add_proximity
    from jaxtrade.cli_sunk_cost import add_parser as _add_sunk_cost

    _add_multiproduct(sub)
    _add_proximity(sub)
    _add_sunk_cost(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
