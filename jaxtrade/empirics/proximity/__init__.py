"""Heo & Kim (2025) section-2 proximity empirics: panel schema, synthetic data, measures, tables.

Public API: :func:`validate_panel`, :func:`read_panel`, :func:`write_panel`,
:func:`generate_panel`, :data:`PRESETS`, :class:`ProximityOptions`,
:func:`build_proximity_table`, measures (:func:`rca_market`, :func:`cooccurrence`,
:func:`proximity_matrix`, :func:`hs_similarity`, :func:`io_cosine`) and the
tables (:func:`table1`, :func:`table2`, :func:`footnote11`, :func:`figure2`).
"""

from .measures import cooccurrence, hs_similarity, io_cosine, presence, proximity_matrix, rca_market
from .pipeline import ProximityOptions, ProximityResult, build_proximity_table
from .schema import PANEL_COLUMNS, PanelReport, read_panel, validate_panel, write_panel
from .synthetic import PRESETS, SyntheticConfig, SyntheticPanel, generate_panel, get_config

__all__ = [
    "PANEL_COLUMNS", "PRESETS", "PanelReport", "ProximityOptions", "ProximityResult", "SyntheticConfig",
    "SyntheticPanel", "build_proximity_table", "cooccurrence", "generate_panel", "get_config", "hs_similarity",
    "io_cosine", "presence", "proximity_matrix", "rca_market", "read_panel", "validate_panel", "write_panel",
]
