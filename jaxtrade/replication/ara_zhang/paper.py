"""What Ara & Zhang (2020) report, in one place.

The model part of the paper reports no numbers: its results are closed
forms (Proposition 2, computed by
:func:`jaxtrade.models.vertical.closed_form_elasticities`) and signs
(Lemmas 1-3, :data:`jaxtrade.models.vertical.LEMMA_SIGNS`). The numbers
below are the gravity estimates of section 3 on China's customs data, printed
beside jaxtrade's runs on other data for reference.
"""

TITLE = "Ara & Zhang (2020): margins of intermediate goods trade"
SHORT = "Ara & Zhang (2020)"

#: Table 6, columns 1-6 (eq. 29, non-adjusted tariffs): coefficient of ln tariff_pct, by goods type and margin
TABLE6_TARIFF = {("I", "R"): -0.164, ("I", "M"): -0.071, ("I", "rbar"): -0.088,
                 ("F", "R"): -0.096, ("F", "M"): -0.061, ("F", "rbar"): -0.035}  # fmt: skip

#: Table 3, column 1: coefficient of ln dist_c on ln R_pct (eq. 25)
TABLE3_DISTANCE = -0.757

#: what the replication cannot reproduce, and why
LEFT_OUT = (
    "Tables 3-7 on China's customs data (confidential): the specifications (25) and (29) run instead on a panel "
    "simulated from the model and on EU-15 flows, printed for reference, not as targets.",
)
