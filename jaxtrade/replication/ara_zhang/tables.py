"""Tables of the Ara & Zhang (2020) replication, each beside the paper's statement."""

from __future__ import annotations

import pathlib
from collections.abc import Callable

import numpy as np
import pandas as pd

from jaxtrade.empirics.fixest import feols, fepois
from jaxtrade.empirics.gravity import gravity_margins
from jaxtrade.models import vertical as v
from jaxtrade.reporting import Tolerance, comparison_frame

from . import paper

#: Proposition 2: jaxtrade's autodiff elasticities must equal the closed forms to this
ELASTICITY_TOLERANCE = Tolerance(abs=1e-8)
#: Lemmas 1-3: the signs must agree exactly (text comparison)
SIGN_TOLERANCE = Tolerance(abs=0.5)

ELASTICITY_LABELS = {
    "zeta_I": "zeta_I, -dlnR^I/dln tau^I (Prop. 2)",
    "zeta_F": "zeta_F, -dlnR^F/dln tau^F (Prop. 2)",
    "xi_I": "xi_I, -dlnR^I/dln f^I (Prop. 2)",
    "xi_F": "xi_F, -dlnR^F/dln f^F (Prop. 2)",
    "intensive": "intensive margin, sigma-1 (sec. 2.5)",
    "importer_extensive_downstream": "importer extensive, downstream (sec. 2.5)",
    "exporter_extensive_upstream": "exporter extensive, upstream (sec. 2.5)",
    "exporter_extensive_final": "exporter extensive, final goods (A.3)",
}


def elasticity_table(params_list: list[v.VerticalParams]) -> pd.DataFrame:
    """Proposition 2 (closed forms) beside the autodiff elasticities, for each parameter set."""
    rows: list[tuple] = []
    for p in params_list:
        el = v.partial_trade_elasticities(p)
        cf = el["closed_form"]
        at = f"sigma={float(p.sigma):g}, k={float(p.k):g}: "
        rows += [(at + label, float(cf[key]), float(el[key])) for key, label in ELASTICITY_LABELS.items()]
        rows.append(
            (at + "zeta_I in general equilibrium (not in the paper)", None, float(el["zeta_I_general_equilibrium"]))
        )
    return comparison_frame(
        rows, ELASTICITY_TOLERANCE, columns=("quantity", "paper (closed form)", "jaxtrade (autodiff)")
    )


def lemma_table(p: v.VerticalParams) -> pd.DataFrame:
    """Lemmas 1-3: the paper's signs beside jaxtrade's with N^E fixed (A.1); general equilibrium for reference."""
    fixed = v.lemma_sign_table(p, hold_entry_fixed=True)
    ge = {r["unknown"]: r for r in v.lemma_sign_table(p, hold_entry_fixed=False)}
    sign = {1: "+", -1: "-", 0: "0"}
    rows = [(f"{r['lemma']}: d {r['unknown']} / d tau^I_ji", sign[r["expected_sign"]], sign[r["numeric_sign"]])
            for r in fixed]  # fmt: skip
    df = comparison_frame(rows, SIGN_TOLERANCE, columns=("quantity", "paper sign", "jaxtrade, N^E fixed (A.1)"))
    df["elasticity, N^E fixed"] = [r["elasticity"] for r in fixed]
    df["jaxtrade, general eq."] = [sign[ge[r["unknown"]]["numeric_sign"]] for r in fixed]
    df["elasticity, general eq."] = [ge[r["unknown"]]["elasticity"] for r in fixed]
    return df


def equilibrium_table(eq, unknown_names, condition_names) -> pd.DataFrame:
    """The unknowns of an equilibrium and the residual of each condition."""
    un = eq.unknowns()
    return pd.DataFrame(
        [{"unknown": n, "value": float(un[n]), "condition": c, "residual": float(r)}
         for n, c, r in zip(unknown_names, condition_names, np.asarray(eq.residuals))]
    )  # fmt: skip


def aggregates_table(eq: v.InputTradeEquilibrium) -> pd.DataFrame:
    """Derived objects of the input-trade equilibrium, by country."""
    rows = []
    for n, name in enumerate(("i", "j")):
        m = 1 - n
        rows.append(
            {
                "country": name,
                "N^E (15, 20)": float(eq.N_E[n]),
                "M^E (20)": float(eq.M_E[n]),
                "lambda^I_nn (16)": float(eq.lambda_I_dom[n]),
                "Lambda^I_mn": float(eq.Lambda_I[n]),
                "Lambda~^F_mn": float(eq.Lambda_F_tilde[n]),
                "Gamma_n (18)": float(eq.Gamma[n]),
                "Gamma~_n (4)": float(eq.Gamma_tilde[n]),
                "input imports R^I_mn": float(eq.R_I_flow[m, n]),
                "exporting firms": float(eq.firms_I[m, n]),
                "importing firms": float(eq.importers_F[n]),
                "outside-good labour": float(eq.L_outside[n]),
            }
        )
    return pd.DataFrame(rows)


def simulated_gravity_table(p: v.VerticalParams, full: bool = False) -> tuple[pd.DataFrame, int]:
    """Eq. (29) on a panel simulated from the model: ln Z ~ ln(1 + tariff) | country-year + product-year.

    Returns the table and the number of simulated cells excluded because their
    draws leave the model's Pareto/selection regime (``outside_regime="drop"``;
    the log-normal shifters put a few of the 24,000 cells of the ``full`` panel
    there, e.g. one with seed 2020).
    """
    # full: 60 x 40 x 5 cells; default 25 x 20 x 4
    config = (v.PanelConfig(n_products=60, n_countries=40, years=5, outside_regime="drop") if full
              else v.PanelConfig(outside_regime="drop"))  # fmt: skip
    panel = v.simulate_panel(p, None, 2020, config)
    n_outside = int(sum(panel.attrs["cells_outside_regime"].values()))
    panel["ln_tariff"] = np.log1p(panel["tariff"])
    truth = {"I": float(panel.attrs["zeta_I"]), "F": float(panel.attrs["zeta_F"])}
    rows = []
    for goods in ("I", "F"):
        sub = panel[(panel["goods"] == goods) & (panel["M"] > 0)]
        res, _ = gravity_margins(sub, "ln_tariff", "country^year + product^year", vcov={"CRV1": "product"})
        for z, r in res.items():
            rows.append(
                {
                    "goods": goods,
                    "dependent": f"ln {z}",
                    "paper Table 6 (China customs)": paper.TABLE6_TARIFF[(goods, z)],
                    "jaxtrade, simulated panel": float(r.coef()["ln_tariff"]),
                    "s.e. (cluster product)": float(r.se()["ln_tariff"]),
                    "model's true value": -truth[goods] if z != "rbar" else 0.0,
                    "N": int(r.nobs),
                }
            )
    return pd.DataFrame(rows), n_outside


def eu_gravity_table(path: pathlib.Path) -> pd.DataFrame:
    """Eq. (25)-style distance elasticity on EU-15 flows, OLS and PPML, product clusters as in the paper."""
    data = pd.read_csv(path)
    specs: list[tuple[str, Callable, str]] = [
        ("OLS log(Euros) ~ log(dist), FE product + destination", feols,
         "log(Euros) ~ log(dist_km) | Product + Destination"),
        ("OLS, FE product + destination + origin", feols, "log(Euros) ~ log(dist_km) | Product + Destination + Origin"),
        ("PPML Euros ~ log(dist), FE product + destination + origin", fepois,
         "Euros ~ log(dist_km) | Product + Destination + Origin"),
    ]  # fmt: skip
    rows = []
    for label, fn, fml in specs:
        r = fn(fml, data, vcov={"CRV1": "Product"})
        rows.append(
            {
                "specification": label,
                "paper Table 3 col. 1 (China, ln dist)": paper.TABLE3_DISTANCE,
                "jaxtrade, EU-15 2007 (ln dist)": float(r.coef()["log(dist_km)"]),
                "s.e. (cluster product)": float(r.se()["log(dist_km)"]),
                "N": int(r.nobs),
            }
        )
    return pd.DataFrame(rows)
