"""``jaxtrade sunk-cost``: Ruhl (2008) steady states, the stochastic solve and the time-series experiment.

Wire into ``jaxtrade/cli.py``'s ``build_parser()`` with
``from jaxtrade.cli_sunk_cost import add_parser as _add_sunk_cost; _add_sunk_cost(sub)``.
"""

from __future__ import annotations

import json
import sys


def _common(p):
    p.add_argument("--n-phi", type=int, default=200, help="productivity grid size (paper: 200)")
    p.add_argument("--n-kappa", type=int, default=200, help="entry-cost grid size (paper: 200)")
    p.add_argument("--tau", type=float, default=0.05)
    p.add_argument("--calibrate-labor", action="store_true",
                   help="re-calibrate L to trade/output 0.091 on this grid (the default L is calibrated on 200 x 200)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")


def _forecast_loop_options(parser) -> None:
    """Options of the forecasting-rule loop shared by ``krusell-smith`` and ``time-series``."""
    parser.add_argument("--rule", choices=("loglinear", "constant"), default="loglinear",
                        help="forecasting rules: Appendix 1's log-linear rules in (log m, log m*) or state constants")
    parser.add_argument("--export-rule", choices=("lottery", "discrete"), default="lottery",
                        help="loglinear only: cell lottery (default, continuous) or the grid point's decision")
    parser.add_argument("--n-m", type=int, default=5, help="loglinear only: moment-grid points per dimension")
    parser.add_argument("--n-x", type=int, default=1500, help="loglinear only: points of the kappa/phi^(sigma-1) grid")
    parser.add_argument("--damping", type=float, default=None,
                        help="update weight on the new coefficients (default 0.2 loglinear, 0.1 constant)")
    parser.add_argument("--max-outer", type=int, default=400)
    parser.add_argument("--entry-cost-units", choices=("labor", "effective_labor", "consumption", "composite"),
                        default="labor", help="loglinear only: units of kappa (the paper's text: labour; "
                        "effective_labor = kappa/z units of labour; see docs/models/sunk_cost.md)")


def _simulated_economies_options(parser) -> None:
    """Section 6.1's simulation sizes (250 economies x 300 periods, 50 dropped) and the forecasting loop's options."""
    parser.add_argument("--economies", type=int, default=250)
    parser.add_argument("--periods", type=int, default=300)
    parser.add_argument("--drop", type=int, default=50)
    parser.add_argument("--ks-periods", type=int, default=3000, help="periods of the forecasting-rule simulation")
    parser.add_argument("--ks-burn", type=int, default=500)
    _forecast_loop_options(parser)


def add_parser(sub) -> None:
    """Add ``sunk-cost`` with subcommands steady-state, krusell-smith, time-series."""
    top = sub.add_parser("sunk-cost", help="Ruhl (2008) export entry costs and the elasticity puzzle")
    ss = top.add_subparsers(dest="sunk_cost_command")
    a = ss.add_parser("steady-state", help="Table 3: remove the tariff, with and without entry costs")
    _common(a)
    a.set_defaults(func=_cmd_steady_state)
    b = ss.add_parser("krusell-smith", help="solve the stochastic model (forecasting-rule loop, Appendix 1)")
    _common(b)
    b.add_argument("--periods", type=int, default=3000)
    b.add_argument("--burn", type=int, default=500)
    _forecast_loop_options(b)
    b.set_defaults(func=_cmd_ks)
    c = ss.add_parser("time-series", help="section 6.1: Armington regressions on simulated economies")
    _common(c)
    _simulated_economies_options(c)
    c.set_defaults(func=_cmd_ts)
    _add_business_cycle(ss)
    top.set_defaults(func=lambda args: (top.print_help(), 0)[1])


def _params(args):
    from jaxtrade.models import sunk_cost as sc

    p = sc.ruhl_params(n_phi=args.n_phi, n_kappa=args.n_kappa, tau=args.tau,
                       entry_cost_units=getattr(args, "entry_cost_units", "labor"))
    if args.calibrate_labor:
        p = sc.calibrate_labor(p, tol=1e-8)
    return p


def _emit(obj, args, lines):
    if args.json:
        print(json.dumps(obj))
    else:
        print("\n".join(lines))


def _cmd_steady_state(args) -> int:
    from jaxtrade.errors import ConvergenceError
    from jaxtrade.models import sunk_cost as sc

    try:
        p = _params(args)
        t = sc.table3(p)
    except (ValueError, ConvergenceError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    keys = ("exports_pct", "imports_to_domestic_pct", "exporting_plants_pp", "implied_sigma", "implied_sigma_log",
            "trade_output_before", "exporter_share_before")  # fmt: skip
    out = {m: {k: t[m][k] for k in keys} for m in ("entry_costs", "no_entry_costs")}
    out["L"] = float(p.L)
    out["paper"] = sc.PAPER_TABLE3
    lines = [f"{'Table 3':28s} {'entry costs':>12s} {'paper':>8s} {'no entry':>10s} {'paper':>8s}"]
    paper_key = {"exports_pct": "exports_pct", "imports_to_domestic_pct": "imports_to_domestic_pct",
                 "exporting_plants_pp": "exporting_plants", "implied_sigma": "implied_sigma"}  # fmt: skip
    for k in keys:
        pp = sc.PAPER_TABLE3.get(paper_key.get(k, ""), ("", ""))
        lines.append(f"{k:28s} {out['entry_costs'][k]:12.4f} {str(pp[0]):>8s} {out['no_entry_costs'][k]:10.4f} {str(pp[1]):>8s}")
    _emit(out, args, lines)
    return 0


def _solve(args):
    from jaxtrade.models import sunk_cost as sc

    p = _params(args)
    if args.sunk_cost_command == "krusell-smith":
        T, burn = args.periods, args.burn
    else:
        T, burn = args.ks_periods, args.ks_burn
    if args.rule == "constant":
        damping = 0.1 if args.damping is None else args.damping
        return p, sc.solve_stochastic(p, T=T, burn=burn, damping=damping, max_outer=args.max_outer, rule="constant")
    damping = 0.2 if args.damping is None else args.damping
    return p, sc.solve_stochastic(p, T=T, burn=burn, damping=damping, max_outer=args.max_outer, rule="loglinear",
                                  export_rule=args.export_rule, n_m=args.n_m, n_x=args.n_x)  # fmt: skip


def _cmd_ks(args) -> int:
    import numpy as np

    from jaxtrade.errors import ConvergenceError
    from jaxtrade.models import sunk_cost as sc

    try:
        p, sol = _solve(args)
    except (ValueError, ConvergenceError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    out = {
        "rule": sol.rule, "states": list(sc.STATE_NAMES),
        "log_a_d": np.asarray(sol.log_a_d).tolist(), "log_a_x": np.asarray(sol.log_a_x).tolist(),
        "log_Y": np.asarray(sol.log_Y).tolist(), "iterations": int(sol.info.iterations),
        "residual": float(sol.info.residual), "converged": bool(sol.info.converged),
    }  # fmt: skip
    lines = [f"forecasting loop ({sol.rule} rules): {out['iterations']} iterations, residual {out['residual']:.2e}"]
    if sol.rule == "constant":
        out["export_share_by_state"] = np.asarray(sol.policy.export.mean(axis=(1, 2))).tolist()
        for s, name in enumerate(sc.STATE_NAMES):
            lines.append(f"{name}: log a_x home {out['log_a_x'][s][0]:.5f} foreign {out['log_a_x'][s][1]:.5f}")
        _emit(out, args, lines)
        return 0
    ks = sol.ks
    pc, pr2, psst = np.asarray(ks.paper_coef), np.asarray(ks.paper_r2), np.asarray(ks.paper_sst)
    out["objects"] = list(sc.KS_OBJECTS)
    out["coefficients"] = np.asarray(ks.coef).tolist()
    out["r2"] = np.asarray(ks.r2).tolist()
    out["paper_objects"] = list(sc.KS_PAPER_OBJECTS)
    out["paper_object_coefficients"] = pc.tolist()
    out["paper_object_r2"] = pr2.tolist()
    out["paper_object_sst"] = psst.tolist()
    out["paper"] = {"coefficients": sc.PAPER_KS_COEF, "r2": sc.PAPER_KS_R2, "sst": sc.PAPER_KS_SST}
    out["moment_grid"] = np.asarray(ks.nodes).tolist()
    out["grid_coverage"] = float(ks.coverage)
    out["log_m_mean"], out["log_m_std"] = np.asarray(ks.log_m_mean).tolist(), np.asarray(ks.log_m_std).tolist()
    lines.append("Appendix 1 table: per-state OLS of the simulated home log P, log Pi, log m', log w_f on (1, log m, log m*)")
    lines.append(f"{'':14s}" + "".join(f"{o:>19s}" for o in sc.KS_PAPER_OBJECTS))
    lines.append(f"{'':14s}" + "".join(f"{'ours':>10s}{'paper':>9s}" for _ in sc.KS_PAPER_OBJECTS))
    for s, name in enumerate(sc.STATE_NAMES):
        for a in range(3):
            row = f"a{a + 1} {name:10s}"
            for k, o in enumerate(sc.KS_PAPER_OBJECTS):
                row += f"{pc[k, s, a]:10.3f}{sc.PAPER_KS_COEF[o][s][a]:9.3f}"
            lines.append(row)
    lines.append(f"{'SST':14s}" + "".join(f"{psst[k]:10.1e}{sc.PAPER_KS_SST[o]:9.1e}" for k, o in enumerate(sc.KS_PAPER_OBJECTS)))
    lines.append(f"{'R2':14s}" + "".join(f"{pr2[k]:10.3f}{sc.PAPER_KS_R2[o]:9.3f}" for k, o in enumerate(sc.KS_PAPER_OBJECTS)))
    lines.append("the firms' own rules (own-wage units): R2 " + ", ".join(f"{o} {r:.4f}" for o, r in zip(sc.KS_OBJECTS, out["r2"])))
    _emit(out, args, lines)
    return 0


def _cmd_ts(args) -> int:
    from jaxtrade.errors import ConvergenceError
    from jaxtrade.models import sunk_cost as sc

    try:
        p, sol = _solve(args)
        r = sc.time_series_experiment(p, sol, n_economies=args.economies, T=args.periods, burn=args.drop)
    except (ValueError, ConvergenceError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    out = {k: r[k] for k in ("mean_sigma", "mean_r2", "mean_alpha", "mean_corr", "mean_sigma_ces", "corr_example")}
    out["rule"] = sol.rule
    out["paper"] = sc.PAPER_TIME_SERIES
    lines = [f"{k:16s} {v:.4f}" for k, v in out.items() if k not in ("paper", "rule")]
    lines.insert(0, f"forecasting rules: {sol.rule}")
    pt = sc.PAPER_TIME_SERIES
    lines.append(f"paper (section 6.1): mean sigma {pt['mean_sigma']}, mean R2 {pt['mean_r2']}, "
                 f"Laspeyres-CES correlation {pt['laspeyres_ces_corr']}")
    _emit(out, args, lines)
    return 0


def _add_business_cycle(ss):
    d = ss.add_parser("business-cycle", help="Table 1: sd and autocorrelation of log output on simulated economies")
    _common(d)
    _simulated_economies_options(d)
    d.add_argument("--measure", choices=["income", "composite"], default="income")
    d.add_argument("--detrend", choices=["linear", "mean"], default="linear")
    d.set_defaults(func=_cmd_bc)


def _cmd_bc(args) -> int:
    from jaxtrade.errors import ConvergenceError
    from jaxtrade.models.sunk_cost import business_cycle as bc

    try:
        p, sol = _solve(args)
        m = bc.output_moments(p, sol, n_economies=args.economies, T=args.periods, burn=args.drop,
                              measure=args.measure, detrend=args.detrend)
    except (ValueError, ConvergenceError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    out = {k: m[k] for k in ("mean_sd", "mean_autocorr", "se_sd", "se_autocorr", "measure", "detrend", "n_economies", "periods")}
    out["frozen"] = {k: m["frozen"][k] for k in ("sd", "autocorr")}
    out["productivity"], out["paper"], out["rule"] = m["productivity"], bc.PAPER_TABLE1, sol.rule
    _emit(out, args, [bc.table1(p, moments=m).to_string(index=False)])
    return 0
