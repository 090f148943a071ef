"""Warnings of :mod:`jaxtrade.empirics.fixest` that point at the user's call.

A warning raised deep inside ``feols``/``fepois`` (singletons, separation,
collinearity, a repeated fixed effect, zero weights) should name the line
of the user's code that called the library, not an internal frame. The
depth varies (``fepois`` adds frames to ``feols``'s, a list comprehension
is a frame on Python 3.11 but not on 3.12), so :func:`warn_user` counts the
frames inside the ``jaxtrade`` package instead of hard-coding a
``stacklevel``.
"""

from __future__ import annotations

import os
import sys
import warnings
from types import FrameType

__all__ = ["user_stacklevel", "warn_user"]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _inside_package(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_PACKAGE_DIR + os.sep)


def user_stacklevel() -> int:
    """The ``stacklevel`` of the first frame outside the ``jaxtrade`` package.

    Counted from the function calling :func:`user_stacklevel`: the value to
    pass to a ``warnings.warn`` called there.
    """
    frame: FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and _inside_package(frame.f_code.co_filename):
        frame = frame.f_back
        level += 1
    return level


def warn_user(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` with the stack level of the user's call into ``jaxtrade``."""
    warnings.warn(message, category, stacklevel=user_stacklevel())
