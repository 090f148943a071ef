"""What Heo & Kim (2025) report about their model (sections 3-5), in one place.

The data column of Table 5 (the calibration targets) stays with the model,
:data:`jaxtrade.models.multiproduct.TABLE5_DATA`; the parameters of Tables
3-4 are the presets :func:`~jaxtrade.models.multiproduct.standard_params`
and :func:`~jaxtrade.models.multiproduct.npg_params`.
"""

from typing import Any

from jaxtrade.models.multiproduct import TABLE5_DATA

TITLE = "Heo & Kim (2025): multiproduct exporter model (sections 3-5)"
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

LEFT_OUT = ("Tables 7-8 and Figures 9-12 (transitions after tariff changes and their welfare): a later issue.",)
