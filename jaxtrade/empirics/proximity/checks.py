"""Up-front checks of the proximity options: one ``ValueError`` naming the option and its rule.

Examples
--------
>>> check_int("min_support", 5, minimum=0)
5
>>> check_real("hs_curvature", float("nan"), minimum=0.0, strict=True)
Traceback (most recent call last):
...
ValueError: hs_curvature must be a finite number > 0, got nan
"""

from __future__ import annotations

import math
import numbers

__all__ = ["check_int", "check_real"]


def check_int(name: str, value, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as an int if it is a whole number (not a bool) within ``[minimum, maximum]``, else raise.

    An integral float (``5.0``) is accepted; NaN, inf, ``4.5``, strings and bools are not.
    """
    if minimum is not None and maximum is not None:
        rule = f"an integer in [{minimum}, {maximum}]"
    elif minimum is not None:
        rule = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    else:
        rule = "an integer"
    whole = isinstance(value, numbers.Integral) or (
        isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer()
    )
    if isinstance(value, bool) or not whole:
        raise ValueError(f"{name} must be {rule}, got {value!r}")
    out = int(value)
    if (minimum is not None and out < minimum) or (maximum is not None and out > maximum):
        raise ValueError(f"{name} must be {rule}, got {value!r}")
    return out


def check_real(
    name: str, value, *, minimum: float | None = None, maximum: float | None = None, strict: bool = False
) -> float:
    """``value`` as a float if it is a finite real number within the bounds, else raise.

    ``strict`` makes the lower bound exclusive (``> minimum``); the upper bound is inclusive.
    """
    parts = []
    if minimum is not None:
        parts.append(f"{'>' if strict else '>='} {minimum:g}")
    if maximum is not None:
        parts.append(f"<= {maximum:g}")
    rule = "a finite number" + (" " + " and ".join(parts) if parts else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be {rule}, got {value!r}")
    out = float(value)
    low_bad = minimum is not None and (out <= minimum if strict else out < minimum)
    if low_bad or (maximum is not None and out > maximum):
        raise ValueError(f"{name} must be {rule}, got {value!r}")
    return out
