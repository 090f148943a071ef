"""What Heo & Kim (2025) report about their model (sections 3-6), in one place.

The data column of Table 5 (the calibration targets) stays with the model,
:data:`jaxtrade.models.multiproduct.TABLE5_DATA`; the parameters of Tables
3-4 are the presets :func:`~jaxtrade.models.multiproduct.standard_params`
and :func:`~jaxtrade.models.multiproduct.npg_params`.
"""

from typing import Any

from jaxtrade.models.multiproduct import TABLE5_DATA

TITLE = "Heo & Kim (2025): multiproduct exporter model (sections 3-6)"
SHORT = "Heo & Kim (2025), model"

#: Table 5, model columns (Standard and NPG); None where the paper prints "-"
TABLE5_MODEL: dict[str, dict[str, Any]] = {
    "standard": {
        "entrant_incumbent_gap": 0.10, "industry_survival": 0.89, "product_drop_rate": 0.31,
        "product_stasis_rate": 0.30, "product_add_rate": 0.39, "exporter_share": 0.32, "exporter_survival": 0.85,
        "single_product_share": 0.45, "multi_product_share": 0.55, "mpef_to_mpef": 0.69, "mpef_to_spef": 0.23,
        "mpef_to_nx": 0.08,
    },
    "npg": {
        "entrant_incumbent_gap": 0.10, "industry_survival": 0.89, "product_drop_rate": None,
        "product_stasis_rate": None, "product_add_rate": None, "exporter_share": 0.32, "exporter_survival": 0.85,
        "single_product_share": 0.45, "multi_product_share": 0.55, "mpef_to_mpef": 0.64, "mpef_to_spef": 0.29,
        "mpef_to_nx": 0.07,
    },
}  # fmt: skip
#: Table 5, data column (the same object as the model's calibration targets)
TABLE5_DATA = TABLE5_DATA

#: Table 6, model column: the EBP regression on model-generated data (firm-year and product-year FE)
TABLE6: dict[str, float] = {"coef": 0.2997, "se": 0.0534, "r2": 0.5970}

#: Section 4: export costs are about 44 % of export profits (Standard)
EXPORT_COST_SHARE: dict[str, Any] = {"standard": 0.44, "npg": None}
#: Table 3 note: gamma_E normalised so that the mass of entrants is 1 in the initial steady state
GAMMA_E = 0.26

#: Figures 4-6 are plots only; these are their readings (REFERENCE.md). Numbers are compared with
#: FIGURE_TOLERANCE, inequalities as inequalities; empty readings are shown, not compared.
FIGURE_READINGS: dict[str, dict[str, Any]] = {
    "standard": {"z_add": "> 1", "z_drop": "< 0.5", "z_hp": 1.0, "z_lp": 2.0, "survival_0": "< 0.5",
                 "survival_6": 0.85, "intensity_0": 0.10, "intensity_8": 0.17},
    "npg": {"z_add": None, "z_drop": None, "z_hp": 1.6, "z_lp": 1.8, "survival_0": None, "survival_6": None,
            "intensity_0": None, "intensity_8": None},
}  # fmt: skip

#: Table 7 (liberalization: the weighted-average tariff from 10 % to 5 %) and Table 8 (trade war: to 20 %):
#: welfare gains as consumption-equivalent variations in percent, (steady-state comparison, with the
#: transition), by model and tariff schedule (flat; eq. 35/36 with psi = 0.5 and 2)
TABLE7: dict[str, dict[str, tuple[float, float]]] = {
    "standard": {"flat": (1.00, 1.28), "psi0.5": (1.10, 1.43), "psi2": (1.35, 1.76)},
    "npg": {"flat": (0.84, 1.04), "psi0.5": (0.95, 1.21), "psi2": (1.20, 1.55)},
}
TABLE8: dict[str, dict[str, tuple[float, float]]] = {
    "standard": {"flat": (-2.32, -2.59), "psi0.5": (-3.05, -3.29), "psi2": (-4.26, -4.33)},
    "npg": {"flat": (-1.95, -2.05), "psi0.5": (-2.67, -2.74), "psi2": (-4.21, -4.09)},
}
#: The ratio rows of Tables 7-8: Standard / NPG, (SS, Trans), as the paper prints them
TABLE7_RATIO: dict[str, tuple[float, float]] = {"flat": (1.19, 1.23), "psi0.5": (1.16, 1.18), "psi2": (1.13, 1.14)}
TABLE8_RATIO: dict[str, tuple[float, float]] = {"flat": (1.19, 1.26), "psi0.5": (1.14, 1.20), "psi2": (1.01, 1.06)}
#: experiment -> (its table's number, the CEVs, the ratio row)
POLICY_TABLES: dict[str, tuple[int, dict, dict]] = {
    "liberalization": (7, TABLE7, TABLE7_RATIO),
    "trade-war": (8, TABLE8, TABLE8_RATIO),
}

#: Figures 9, 10 and 12 are plots only; these are their readings, in percent deviation from the initial
#: steady state. (model, experiment, schedule) -> {(path, statistic): (figure, reading)}; paths are
#: those of :class:`~jaxtrade.models.multiproduct.Transition` (``D`` final output, ``N`` establishments,
#: ``avg_export_scope`` the average export scope); statistics: ``"long_run"`` the terminal steady state
#: (last period), ``"t30"`` 30 years after the change, ``"peak"`` the maximum over the path (the minimum
#: for the trade war). Inequalities are checked as such.
PATH_READINGS: dict[tuple[str, str, str], dict[tuple[str, str], tuple[str, Any]]] = {
    ("standard", "liberalization", "flat"): {
        ("C", "long_run"): ("Figure 9", 1.0), ("D", "long_run"): ("Figure 9", 1.8),
        ("K", "t30"): ("Figure 9", 2.5), ("W", "long_run"): ("Figure 9", "> 2"),
        ("C", "peak"): ("Figure 9", 1.9), ("D", "peak"): ("Figure 9", 4.0), ("W", "peak"): ("Figure 9", 3.0),
        ("N", "long_run"): ("Figure 9", -3.0), ("avg_export_scope", "long_run"): ("Figure 10a", 27.0),
    },
    ("standard", "liberalization", "psi0.5"): {("avg_export_scope", "long_run"): ("Figure 10a", 35.0)},
    ("standard", "liberalization", "psi2"): {("avg_export_scope", "long_run"): ("Figure 10a", 45.0)},
    ("npg", "liberalization", "flat"): {("avg_export_scope", "long_run"): ("Figure 10b", 25.0)},
    ("standard", "trade-war", "flat"): {
        ("C", "long_run"): ("Figure 12", -2.5), ("D", "long_run"): ("Figure 12", -2.0),
        ("K", "long_run"): ("Figure 12", -3.0), ("W", "long_run"): ("Figure 12", -2.5),
        ("N", "long_run"): ("Figure 12", 6.0),
    },
    ("standard", "trade-war", "psi2"): {
        ("D", "peak"): ("Figure 12", -10.0), ("D", "long_run"): ("Figure 12", -4.0),
    },
}  # fmt: skip
#: Figures 8 and 11 (text of section 6): the range of the post-reform tariffs in percent, (lowest, highest),
#: for expenditure shares from 6 % to 18 %; the flat schedules are 5 % and 20 % everywhere
TARIFF_RANGES: dict[tuple[str, str], tuple[Any, Any]] = {
    ("liberalization", "psi0.5"): (4.0, 6.0),
    ("liberalization", "psi2"): (1.0, "> 10.5"),
    ("trade-war", "psi0.5"): (15.0, 25.0),
    ("trade-war", "psi2"): (5.0, 45.0),
}

LEFT_OUT: tuple[str, ...] = (
    "The Supplementary Appendix's sensitivity analysis of the welfare gains (section 6.1): the appendix is not "
    "available.",
)
