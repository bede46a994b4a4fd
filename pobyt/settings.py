"""Numeric settings from environment variables, read the same way everywhere.

An unset or empty variable means the default; anything else must be a valid number, otherwise a
``ValueError`` naming the variable stops the start-up (a typo in a limit must not silently become
"no limit").
"""

from __future__ import annotations

import os
from typing import Mapping, Optional


def _raw(variable: str, environ: Optional[Mapping[str, str]]) -> str:
    return ((os.environ if environ is None else environ).get(variable) or "").strip()


def whole_number(variable: str, default: int, minimum: int = 0, environ: Optional[Mapping[str, str]] = None) -> int:
    """Returns the whole number in ``variable``, or ``default`` when it is unset or empty.

    Args:
        variable: The environment variable's name.
        default: The value when the variable is unset or empty.
        minimum: The smallest value allowed.
        environ: The variables to read (default: the process environment).

    Raises:
        ValueError: when the value is not a whole number of at least ``minimum``.
    """
    raw = _raw(variable, environ)
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < minimum:
        raise ValueError(f"{variable} must be a whole number of at least {minimum}, not {raw!r}")
    return int(raw)


def positive_number(variable: str, default: float, environ: Optional[Mapping[str, str]] = None) -> float:
    """Returns the positive number (e.g. seconds) in ``variable``, or ``default`` when it is unset or empty.

    Raises:
        ValueError: when the value is not a number greater than 0.
    """
    raw = _raw(variable, environ)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value > 0:  # also refuses NaN
        raise ValueError(f"{variable} must be a number greater than 0, not {raw!r}")
    return value
