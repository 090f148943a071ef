"""The numbers Ruhl (2008) reports, in one place.

The data targets the model is calibrated to stay with the model's
calibration (:mod:`jaxtrade.models.sunk_cost.calibration`:
``TRADE_OUTPUT_TARGET``, ``ALL_DATA``, ``EXPORTER_DATA``, ``TABLE1_DATA``,
the last being the whole of Table 1) and are imported from there, not copied.
"""

from __future__ import annotations

from jaxtrade.models.sunk_cost import ALL_DATA, EXPORTER_DATA, TABLE1_DATA, TRADE_OUTPUT_TARGET

TITLE = "Ruhl (2008): the international elasticity puzzle"
SHORT = "Ruhl (2008)"

#: Table 1: sd and lag-one autocorrelation of log output (U.S. data, the targets of epsilon and lambda)
TABLE1 = TABLE1_DATA
#: Table 2 data columns (the calibration targets)
TABLE2_DATA_ALL, TABLE2_DATA_EXPORTERS, TRADE_OUTPUT = ALL_DATA, EXPORTER_DATA, TRADE_OUTPUT_TARGET

#: Table 2: the paper's model shares of the employment-size bins of all and of exporting establishments
TABLE2_MODEL_ALL = (0.645, 0.172, 0.078, 0.062, 0.029, 0.011, 0.003)
TABLE2_MODEL_EXPORTERS = (0.771, 0.182, 0.047)

#: Table 3, (entry costs, no entry costs)
TABLE3 = {
    "exports_pct": (23.39, 7.32),
    "imports_to_domestic_pct": (30.42, 9.57),
    "exporting_plants": (2.23, 0.00),
    "implied_sigma": (6.38, 2.01),
}

#: Section 6.1: mean Laspeyres Armington estimate, its mean R^2, Laspeyres-CES correlation of the import index
TIME_SERIES = {"mean_sigma": 1.21, "mean_r2": 0.56, "laspeyres_ces_corr": 0.53}

# Appendix 1, "Forecasting Function Values": PAPER_KS_COEF[object][state] = (alpha_1, alpha_2, alpha_3),
# states (H,H), (H,L), (L,H), (L,L); then SST and R^2 per object.
KS_COEF = {
    "P": ((-1.446, -0.006, -0.011), (-1.445, -0.006, -0.011), (-1.396, -0.006, -0.012), (-1.395, -0.006, -0.011)),
    "Pi": ((-2.314, 0.037, -0.008), (-2.313, 0.036, -0.006), (-2.369, 0.001, 0.000), (-2.370, 0.000, -0.001)),
    "m'": ((-1.513, 0.031, 0.184), (-1.562, 0.049, 0.140), (-0.228, 0.883, 0.004), (-0.190, 0.891, 0.016)),
    "w_f": ((0.000, -0.330, 0.330), (-0.032, -0.330, 0.331), (0.032, -0.331, 0.330), (0.000, -0.331, 0.331)),
}
KS_SST = {"P": 1.24e-4, "Pi": 3.61e-7, "m'": 0.381, "w_f": 0.128}
KS_R2 = {"P": 0.999, "Pi": 0.819, "m'": 0.999, "w_f": 0.999}

#: what the replication leaves out
LEFT_OUT = (
    "The calibration of (theta_phi, phi_bar, zeta, xi, kappa_bar) to Table 2: the paper's values are used as given and "
    "only the unreported labour endowment L is calibrated (to trade/output 0.091).",
)
