"""String options of the empirics layer: ``Literal`` aliases and their one checker.

Every string option of :mod:`jaxtrade.empirics.fixest` and
:mod:`jaxtrade.empirics.proximity` is declared here as a ``Literal`` alias
(as pyfixest's ``internals/literals.py``) and checked by
:func:`check_literal`, whose message names the option and lists the choices.

Examples
--------
>>> check_literal("fixef_rm", "none", FixefRm)
'none'
>>> check_literal("fixef_rm", "perfect", FixefRm)
Traceback (most recent call last):
...
ValueError: fixef_rm must be 'none' or 'singleton', got 'perfect'
"""

from __future__ import annotations

from typing import Any, Literal, get_args

__all__ = [
    "DemeanMethod",
    "EtableType",
    "FixefRm",
    "GDf",
    "KFixef",
    "RcaThreshold",
    "Support",
    "check_literal",
]

FixefRm = Literal["none", "singleton"]
"""Singleton handling of ``feols``/``fepois``: keep them, or drop them iteratively (pyfixest's default)."""

DemeanMethod = Literal["auto", "two_way", "alternating"]
"""Demeaning algorithm: coefficient-space for two fixed effects, row-space alternating projections, or auto."""

EtableType = Literal["df", "md"]
"""Output of ``etable``: a pandas DataFrame or a markdown string."""

KFixef = Literal["none", "nonnested", "full"]
"""``ssc`` option ``k_fixef``: which fixed-effect levels count in the small-sample parameter count."""

GDf = Literal["min", "conventional"]
"""``ssc`` option ``G_df``: the number of clusters used by every term of a multi-way clustered vcov."""

RcaThreshold = Literal["gt", "ge"]
"""RCA presence rule of Heo & Kim (2025), eq. (2): ``"gt"`` RCA > 1 (the paper), ``"ge"`` RCA >= 1."""

Support = Literal["presence", "exporters"]
"""Support count of the proximity rule (Figure 1's note): firms with RCA presence, or all exporters (the paper)."""


def _choices_text(choices: tuple[Any, ...]) -> str:
    quoted = [repr(c) for c in choices]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def check_literal(name: str, value, alias) -> Any:
    """Return ``value`` if it is one of the choices of the ``Literal`` ``alias``, else raise.

    Parameters
    ----------
    name : str
        The option as the message names it (e.g. ``"fixef_rm"``, ``"ssc k_fixef"``).
    value :
        The value given.
    alias :
        A ``typing.Literal`` alias of this module.

    Raises
    ------
    ValueError
        ``"<name> must be 'a', 'b' or 'c', got <value>"``.
    """
    choices = get_args(alias)
    if value not in choices:
        raise ValueError(f"{name} must be {_choices_text(choices)}, got {value!r}")
    return value
