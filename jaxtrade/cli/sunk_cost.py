"""``jaxtrade sunk-cost``: Ruhl (2008) steady states, the stochastic solve, the time-series experiment, Table 1.

Every option's default is the library's (read from the signatures of
:func:`~jaxtrade.models.sunk_cost.ruhl_params`,
:func:`~jaxtrade.models.sunk_cost.solve_stochastic`,
:class:`~jaxtrade.models.sunk_cost.KSOptions`,
:func:`~jaxtrade.models.sunk_cost.time_series_experiment` and
:func:`~jaxtrade.models.sunk_cost.output_moments`); ``--damping`` defaults
to the chosen rule's (:data:`~jaxtrade.models.sunk_cost.DEFAULT_DAMPING`).
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

import numpy as np

from jaxtrade.cli.common import default_of, print_json, run_guarded
from jaxtrade.models import sunk_cost as sc
from jaxtrade.replication.ruhl import paper, tables
from jaxtrade.reporting import DASH

__all__ = ["add_parser", "params_from_args"]

_KS = {f.name: f.default for f in dataclasses.fields(sc.KSOptions)}


def _common(p) -> None:
    p.add_argument("--n-phi", type=int, default=default_of(sc.ruhl_params, "n_phi"), help="productivity grid size")
    p.add_argument("--n-kappa", type=int, default=default_of(sc.ruhl_params, "n_kappa"), help="entry-cost grid size")
    p.add_argument("--tau", type=float, default=default_of(sc.ruhl_params, "tau"))
    p.add_argument(
        "--calibrate-labor",
        action="store_true",
        help="re-calibrate L to trade/output 0.091 on this grid (the default L is calibrated on 200 x 200)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")


def _forecast_loop_options(parser) -> None:
    """Options of the forecasting-rule loop shared by ``krusell-smith``, ``time-series`` and ``business-cycle``."""
    parser.add_argument(
        "--rule",
        choices=typing.get_args(sc.ForecastRule),
        default=default_of(sc.solve_stochastic, "rule"),
        help="forecasting rules: Appendix 1's log-linear rules in (log m, log m*) or state constants",
    )
    parser.add_argument(
        "--export-rule",
        choices=typing.get_args(sc.ExportRule),
        default=_KS["export_rule"],
        help="loglinear only: cell lottery (continuous) or the grid point's decision",
    )
    parser.add_argument("--n-m", type=int, default=_KS["n_m"], help="loglinear only: moment-grid points per dimension")
    parser.add_argument(
        "--n-x", type=int, default=_KS["n_x"], help="loglinear only: points of the kappa/phi^(sigma-1) grid"
    )
    parser.add_argument(
        "--damping",
        type=float,
        default=None,
        help="update weight on the new coefficients (default: the rule's, "
        + ", ".join(f"{k} {v}" for k, v in sc.DEFAULT_DAMPING.items())
        + ")",
    )
    parser.add_argument("--max-outer", type=int, default=default_of(sc.solve_stochastic, "max_outer"))
    parser.add_argument("--entry-cost-units", choices=typing.get_args(sc.EntryCostUnits),
                        default=default_of(sc.ruhl_params, "entry_cost_units"),
                        help="loglinear only: units of kappa (the paper's text: labour; "
                             "effective_labor = kappa/z units of labour; see docs/models/sunk_cost.md)")  # fmt: skip


def _simulated_economies_options(parser) -> None:
    """Section 6.1's simulation sizes and the forecasting loop's options."""
    parser.add_argument("--economies", type=int, default=default_of(sc.time_series_experiment, "n_economies"))
    parser.add_argument("--periods", type=int, default=default_of(sc.time_series_experiment, "T"))
    parser.add_argument("--drop", type=int, default=default_of(sc.time_series_experiment, "burn"))
    parser.add_argument("--ks-periods", type=int, default=default_of(sc.solve_stochastic, "T"),
                        help="periods of the forecasting-rule simulation")  # fmt: skip
    parser.add_argument("--ks-burn", type=int, default=default_of(sc.solve_stochastic, "burn"))
    _forecast_loop_options(parser)


def add_parser(sub) -> None:
    """Add ``sunk-cost`` with subcommands steady-state, krusell-smith, time-series, business-cycle."""
    top = sub.add_parser("sunk-cost", help="Ruhl (2008) export entry costs and the elasticity puzzle")
    ss = top.add_subparsers(dest="sunk_cost_command")
    a = ss.add_parser("steady-state", help="Table 3: remove the tariff, with and without entry costs")
    _common(a)
    a.set_defaults(func=lambda args: run_guarded("sunk-cost steady-state", lambda: _steady_state(args)))
    b = ss.add_parser("krusell-smith", help="solve the stochastic model (forecasting-rule loop, Appendix 1)")
    _common(b)
    b.add_argument("--periods", type=int, default=default_of(sc.solve_stochastic, "T"))
    b.add_argument("--burn", type=int, default=default_of(sc.solve_stochastic, "burn"))
    _forecast_loop_options(b)
    b.set_defaults(func=lambda args: run_guarded("sunk-cost krusell-smith", lambda: _krusell_smith(args)))
    c = ss.add_parser("time-series", help="section 6.1: Armington regressions on simulated economies")
    _common(c)
    _simulated_economies_options(c)
    c.set_defaults(func=lambda args: run_guarded("sunk-cost time-series", lambda: _time_series(args)))
    d = ss.add_parser("business-cycle", help="Table 1: sd and autocorrelation of log output on simulated economies")
    _common(d)
    _simulated_economies_options(d)
    d.add_argument(
        "--measure", choices=typing.get_args(sc.OutputMeasure), default=default_of(sc.output_moments, "measure")
    )
    d.add_argument("--detrend", choices=typing.get_args(sc.Detrend), default=default_of(sc.output_moments, "detrend"))
    d.set_defaults(func=lambda args: run_guarded("sunk-cost business-cycle", lambda: _business_cycle(args)))
    top.set_defaults(func=lambda args: (top.print_help(), 0)[1])


def params_from_args(args) -> sc.SunkCostParams:
    """The parameters the options describe (with L re-calibrated on the grid when asked)."""
    p = sc.ruhl_params(
        n_phi=args.n_phi,
        n_kappa=args.n_kappa,
        tau=args.tau,
        entry_cost_units=getattr(args, "entry_cost_units", default_of(sc.ruhl_params, "entry_cost_units")),
    )
    if args.calibrate_labor:
        p = sc.calibrate_labor(p, tol=1e-8)
    return p


def _paper_note(args) -> str:
    """Empty when the paper's values belong to this run's experiment; else why none are shown.

    Ruhl's tables are for the calibrated tariff (``ruhl_params``' default); grid sizes and the labour
    re-calibration are numerical choices and keep the experiment.
    """
    paper_tau = default_of(sc.ruhl_params, "tau")
    if float(args.tau) != float(paper_tau):
        return f"no paper values: the paper's experiment has tau = {paper_tau}, this run tau = {args.tau}"
    return ""


def _emit(obj, args, lines) -> None:
    if args.json:
        print_json(obj)
    else:
        print("\n".join(lines))


def _steady_state(args) -> None:
    p = params_from_args(args)
    t = sc.table3(p)
    keys = ("exports_pct", "imports_to_domestic_pct", "exporting_plants_pp", "implied_sigma", "implied_sigma_log",
            "trade_output_before", "exporter_share_before")  # fmt: skip
    out: dict[str, Any] = {m: {k: t[m][k] for k in keys} for m in ("entry_costs", "no_entry_costs")}
    out["L"] = float(p.L)
    note = _paper_note(args)
    out["paper"] = None if note else paper.TABLE3
    lines = [f"{'Table 3':28s} {'entry costs':>12s} {'paper':>8s} {'no entry':>10s} {'paper':>8s}"]
    paper_key = {"exports_pct": "exports_pct", "imports_to_domestic_pct": "imports_to_domestic_pct",
                 "exporting_plants_pp": "exporting_plants", "implied_sigma": "implied_sigma"}  # fmt: skip
    if note:
        out["paper_note"] = note
    for k in keys:
        pp = (DASH, DASH) if note else paper.TABLE3.get(paper_key.get(k, ""), ("", ""))
        lines.append(f"{k:28s} {out['entry_costs'][k]:12.4f} {str(pp[0]):>8s} {out['no_entry_costs'][k]:10.4f} "
                     f"{str(pp[1]):>8s}")  # fmt: skip
    if note:
        lines.append(note)
    _emit(out, args, lines)


def _solve(args):
    p = params_from_args(args)
    T, burn = (
        (args.periods, args.burn) if args.sunk_cost_command == "krusell-smith" else (args.ks_periods, args.ks_burn)
    )
    options = dict(T=T, burn=burn, damping=args.damping, max_outer=args.max_outer, rule=args.rule)
    if args.rule == "loglinear":
        options.update(export_rule=args.export_rule, n_m=args.n_m, n_x=args.n_x)
    return p, sc.solve_stochastic(p, **options)


def _krusell_smith(args) -> None:
    p, sol = _solve(args)
    out: dict[str, Any] = {
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
        return
    ks = sol.ks
    note = _paper_note(args)

    def theirs(value, fmt: str) -> str:
        return f"{DASH:>9s}" if note else format(value, fmt)

    pc, pr2, psst = np.asarray(ks.paper_coef), np.asarray(ks.paper_r2), np.asarray(ks.paper_sst)
    objects = list(sc.KS_PAPER_OBJECTS)
    out.update(
        objects=list(sc.KS_OBJECTS), coefficients=np.asarray(ks.coef).tolist(), r2=np.asarray(ks.r2).tolist(),
        paper_objects=objects, paper_object_coefficients=pc.tolist(), paper_object_r2=pr2.tolist(),
        paper_object_sst=psst.tolist(),
        paper=None if note else {"coefficients": paper.KS_COEF, "r2": paper.KS_R2, "sst": paper.KS_SST},
        moment_grid=np.asarray(ks.nodes).tolist(), grid_coverage=float(ks.coverage),
        log_m_mean=np.asarray(ks.log_m_mean).tolist(), log_m_std=np.asarray(ks.log_m_std).tolist(),
    )  # fmt: skip
    lines.append("Appendix 1 table: per-state OLS of the simulated home log P, log Pi, log m', log w_f on "
                 "(1, log m, log m*)")  # fmt: skip
    lines.append(f"{'':14s}" + "".join(f"{o:>19s}" for o in objects))
    lines.append(f"{'':14s}" + "".join(f"{'ours':>10s}{'paper':>9s}" for _ in objects))
    for s, name in enumerate(sc.STATE_NAMES):
        for a in range(3):
            lines.append(
                f"a{a + 1} {name:10s}"
                + "".join(f"{pc[k, s, a]:10.3f}{theirs(paper.KS_COEF[o][s][a], '9.3f')}" for k, o in enumerate(objects))
            )
    lines.append(
        f"{'SST':14s}" + "".join(f"{psst[k]:10.1e}{theirs(paper.KS_SST[o], '9.1e')}" for k, o in enumerate(objects))
    )
    lines.append(
        f"{'R2':14s}" + "".join(f"{pr2[k]:10.3f}{theirs(paper.KS_R2[o], '9.3f')}" for k, o in enumerate(objects))
    )
    if note:
        out["paper_note"] = note
        lines.append(note)
    lines.append(
        "the firms' own rules (own-wage units): R2 "
        + ", ".join(f"{o} {r:.4f}" for o, r in zip(sc.KS_OBJECTS, out["r2"], strict=True))
    )
    _emit(out, args, lines)


def _time_series(args) -> None:
    p, sol = _solve(args)
    r = sc.time_series_experiment(p, sol, n_economies=args.economies, T=args.periods, burn=args.drop)
    out: dict[str, Any] = {
        k: r[k] for k in ("mean_sigma", "mean_r2", "mean_alpha", "mean_corr", "mean_sigma_ces", "corr_example")
    }
    out["rule"] = sol.rule
    note = _paper_note(args)
    out["paper"] = None if note else paper.TIME_SERIES
    lines = [f"forecasting rules: {sol.rule}"] + [
        f"{k:16s} {v:.4f}" for k, v in out.items() if k not in ("paper", "rule")
    ]
    pt = paper.TIME_SERIES
    if note:
        out["paper_note"] = note
        lines.append(note)
    else:
        lines.append(f"paper (section 6.1): mean sigma {pt['mean_sigma']}, mean R2 {pt['mean_r2']}, "
                     f"Laspeyres-CES correlation {pt['laspeyres_ces_corr']}")  # fmt: skip
    _emit(out, args, lines)


def _business_cycle(args) -> None:
    p, sol = _solve(args)
    m = sc.output_moments(p, sol, n_economies=args.economies, T=args.periods, burn=args.drop, measure=args.measure,
                          detrend=args.detrend)  # fmt: skip
    out: dict[str, Any] = {k: m[k] for k in ("mean_sd", "mean_autocorr", "se_sd", "se_autocorr", "measure", "detrend", "n_economies",
                             "periods")}  # fmt: skip
    out["frozen"] = {k: m["frozen"][k] for k in ("sd", "autocorr")}
    # Table 1's paper values are data moments (targets), comparable at any tariff
    out["productivity"], out["paper"], out["rule"] = m["productivity"], paper.TABLE1, sol.rule
    _emit(out, args, [tables.table1(p, m).to_string(index=False)])
