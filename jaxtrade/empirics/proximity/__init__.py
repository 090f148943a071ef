"""Heo & Kim (2025) section-2 proximity empirics: panel schema, synthetic data, measures, the table, Tables 1-2.

* :mod:`.schema`: the firm-product-destination-year panel, its validation
  and parquet/CSV input-output;
* :mod:`.synthetic`: simulated panels with a planted proximity effect;
* :mod:`.measures`: RCA (eq. 1), phi (eq. 2), HSP (section 2.2), IOP (eq. 5)
  and the basket kernel of EBP (eq. 3);
* :mod:`.pipeline`: :func:`build_proximity_table`, the stages from a panel
  to the regression-ready firm-candidate-destination-year table;
* :mod:`.tables`: Table 1, Table 2 (eqs. 4 and 6), footnote 11, Figure 2.

The paper's reported values and the tables beside them are in
:mod:`jaxtrade.replication.heo_kim_empirics`.

Examples
--------
>>> from jaxtrade.empirics.proximity import generate_panel, validate_panel
>>> panel, report = validate_panel(generate_panel("tiny", n_firms=60, seed=1).panel)
>>> report.hs_digits, report.years
(6, (2000, 2001, 2002, 2003))

:func:`build_proximity_table` then gives the regression table (see its example).
"""

from jaxtrade.empirics.proximity.measures import cooccurrence as cooccurrence
from jaxtrade.empirics.proximity.measures import hs_similarity as hs_similarity
from jaxtrade.empirics.proximity.measures import io_cosine as io_cosine
from jaxtrade.empirics.proximity.measures import presence as presence
from jaxtrade.empirics.proximity.measures import proximity_matrix as proximity_matrix
from jaxtrade.empirics.proximity.measures import rca_market as rca_market
from jaxtrade.empirics.proximity.pipeline import STAGES as STAGES
from jaxtrade.empirics.proximity.pipeline import NoCandidatesWarning as NoCandidatesWarning
from jaxtrade.empirics.proximity.pipeline import ProximityOptions as ProximityOptions
from jaxtrade.empirics.proximity.pipeline import ProximityResult as ProximityResult
from jaxtrade.empirics.proximity.pipeline import build_proximity_table as build_proximity_table
from jaxtrade.empirics.proximity.schema import PANEL_COLUMNS as PANEL_COLUMNS
from jaxtrade.empirics.proximity.schema import PanelReport as PanelReport
from jaxtrade.empirics.proximity.schema import read_panel as read_panel
from jaxtrade.empirics.proximity.schema import validate_panel as validate_panel
from jaxtrade.empirics.proximity.schema import write_panel as write_panel
from jaxtrade.empirics.proximity.synthetic import PRESETS as PRESETS
from jaxtrade.empirics.proximity.synthetic import SyntheticConfig as SyntheticConfig
from jaxtrade.empirics.proximity.synthetic import SyntheticPanel as SyntheticPanel
from jaxtrade.empirics.proximity.synthetic import generate_panel as generate_panel
from jaxtrade.empirics.proximity.synthetic import get_config as get_config
from jaxtrade.empirics.proximity.tables import CLUSTER as CLUSTER
from jaxtrade.empirics.proximity.tables import FIXED_EFFECTS as FIXED_EFFECTS
from jaxtrade.empirics.proximity.tables import TABLE2_SPECS as TABLE2_SPECS
from jaxtrade.empirics.proximity.tables import figure2 as figure2
from jaxtrade.empirics.proximity.tables import figure2_data as figure2_data
from jaxtrade.empirics.proximity.tables import footnote11 as footnote11
from jaxtrade.empirics.proximity.tables import table1 as table1
from jaxtrade.empirics.proximity.tables import table2 as table2
from jaxtrade.empirics.proximity.tables import with_outcome as with_outcome

__all__ = [
    "CLUSTER", "FIXED_EFFECTS", "TABLE2_SPECS", "figure2", "figure2_data", "footnote11", "table1", "table2", "with_outcome",
    "PANEL_COLUMNS", "PRESETS", "STAGES", "NoCandidatesWarning", "PanelReport", "ProximityOptions", "ProximityResult", "SyntheticConfig",
    "SyntheticPanel", "build_proximity_table", "cooccurrence", "generate_panel", "get_config", "hs_similarity",
    "io_cosine", "presence", "proximity_matrix", "rca_market", "read_panel", "validate_panel", "write_panel",
]  # fmt: skip
