"""An enclosure of the certificate as an object: ``[lo, hi]`` decimal strings with float views.

:class:`Enclosure` *is* the certificate's list ``[lo, hi]`` of two exact decimal strings (so the JSON
format and ``pair[0]`` stay as they were) and adds ``.lo`` / ``.hi`` (floats rounded outward:
``lo <= exact lo`` and ``hi >= exact hi``, so ``[.lo, .hi]`` is still an enclosure), ``.mid``
(the float nearest the exact midpoint), ``.lo_exact`` / ``.hi_exact`` (the decimal strings) and
``.fractions()`` (the exact end points) and ``.contains(x)`` (exact membership).
"""
from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Any, Sequence


def _down(q: Fraction) -> float:
    x = float(q)
    return math.nextafter(x, -math.inf) if Fraction(x) > q else x


def _up(q: Fraction) -> float:
    x = float(q)
    return math.nextafter(x, math.inf) if Fraction(x) < q else x


class Enclosure(list):
    """``[lo, hi]`` (two decimal strings) with ``.lo``, ``.hi``, ``.mid`` floats (module docstring)."""

    def __init__(self, pair: Sequence[str]) -> None:
        if len(pair) != 2:
            raise ValueError(f"an enclosure is [lo, hi], got {pair!r}")
        super().__init__(str(v) for v in pair)

    def fractions(self) -> tuple[Fraction, Fraction]:
        """The exact end points."""
        return Fraction(Decimal(self[0])), Fraction(Decimal(self[1]))

    @property
    def lo_exact(self) -> str:
        return self[0]

    @property
    def hi_exact(self) -> str:
        return self[1]

    @property
    def lo(self) -> float:
        """The exact lower end rounded down to a float."""
        return _down(self.fractions()[0])

    @property
    def hi(self) -> float:
        """The exact upper end rounded up to a float."""
        return _up(self.fractions()[1])

    @property
    def mid(self) -> float:
        """The float nearest the exact midpoint."""
        lo, hi = self.fractions()
        return float((lo + hi) / 2)

    @property
    def width(self) -> float:
        """The exact width rounded up to a float."""
        lo, hi = self.fractions()
        return _up(hi - lo)

    def contains(self, value: Any) -> bool:
        """Whether a number (float, int, Fraction, Decimal or decimal string) lies in the enclosure exactly."""
        if isinstance(value, str):
            value = Decimal(value)
        q = Fraction(value)
        lo, hi = self.fractions()
        return lo <= q <= hi

    def __repr__(self) -> str:
        return f"Enclosure([{self[0]!r}, {self[1]!r}])"


def wrap(value: Any) -> Any:
    """An enclosure (a ``[lo, hi]`` pair of strings) as :class:`Enclosure`; anything else unchanged."""
    if isinstance(value, list) and not isinstance(value, Enclosure) and len(value) == 2 \
            and all(isinstance(v, str) for v in value):
        return Enclosure(value)
    return value
