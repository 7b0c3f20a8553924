"""Generic helpers for python-flint balls: exact balls of rationals, hulls, outward float bounds,
exact comparison of a ball with a rational interval, and small arb_mat conversions.

Every function is rigorous: a ball it returns contains the exact value, a float bound it returns
is rounded outward, and a comparison it cannot decide says so (None) instead of guessing.
"""
from __future__ import annotations

import functools
import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from fractions import Fraction
from typing import Sequence

import numpy as np
from flint import arb, arb_mat, fmpq

Number = float | int | str | Fraction


def fraction(v: Number) -> Fraction:
    """``v`` as an exact rational (a float's binary value; a string read as an exact decimal)."""
    return v if isinstance(v, Fraction) else Fraction(v)


def exact_ball(v: Number | arb) -> arb:
    """A ball holding the exact value of ``v`` (zero radius when representable)."""
    if isinstance(v, arb):
        return v
    if isinstance(v, (float, int)) and not isinstance(v, bool):
        return arb(v)
    q = fraction(v)
    return arb(fmpq(q.numerator, q.denominator))


@functools.lru_cache(maxsize=1 << 16)
def hull(lo: Number, hi: Number) -> arb:
    """A ball holding [lo, hi] (cached: certificates repeat the same enclosures)."""
    return exact_ball(lo).union(exact_ball(hi))


def float_upper(x: arb) -> float:
    """A float >= every point of x."""
    return math.nextafter(float(x.upper()), math.inf)


def float_lower(x: arb) -> float:
    """A float <= every point of x."""
    return math.nextafter(float(x.lower()), -math.inf)


def float_bounds(x: arb) -> tuple[float, float]:
    """Outward float end points (lo, hi) of x."""
    return float_lower(x), float_upper(x)


def exact_bounds(x: arb) -> tuple[Fraction, Fraction] | None:
    """The exact rational end points of x (None when x is not finite)."""
    if not x.is_finite():
        return None
    (m, e), (r, f) = x.mid().man_exp(), x.rad().man_exp()
    mid, rad = Fraction(int(m)) * Fraction(2) ** int(e), Fraction(int(r)) * Fraction(2) ** int(f)
    return mid - rad, mid + rad


def in_range(x: arb, lo: Number, hi: Number) -> bool | None:
    """Whether the ball x lies in the exact interval [lo, hi]: True when every point of x does,
    False when no point does, None when x meets an end (undecided; also for a non-finite x)."""
    b = exact_bounds(x)
    if b is None:
        return None
    l, h = fraction(lo), fraction(hi)
    if l <= b[0] and b[1] <= h:
        return True
    if b[1] < l or b[0] > h:
        return False
    return None


def _decimal(q: Fraction, digits: int, rounding: str) -> str:
    with localcontext() as ctx:
        ctx.prec, ctx.rounding = digits, rounding
        return str(Decimal(q.numerator) / Decimal(q.denominator))


def interval_text(x: arb, digits: int = 20) -> str:
    """``[lo, hi]`` in decimal, the exact end points of x rounded outward (``digits`` digits)."""
    b = exact_bounds(x)
    if b is None:
        return "[nan]"
    return f"[{_decimal(b[0], digits, ROUND_FLOOR)}, {_decimal(b[1], digits, ROUND_CEILING)}]"


def number_text(v: Number) -> str:
    """The exact value of v: a terminating decimal when it is one, else ``p/q``."""
    q = fraction(v)
    k, d = 0, q.denominator
    while d % 10 == 0:
        d, k = d // 10, k + 1
    while d % 2 == 0 or d % 5 == 0:
        d, k = d // (2 if d % 2 == 0 else 5), k + 1
    if d != 1:
        return f"{q.numerator}/{q.denominator}"
    return format(Decimal(f"{q.numerator * 10 ** k // q.denominator}e-{k}"), "f")


def range_text(a_range: tuple[Number, Number]) -> str:
    """``[lo, hi]`` with the exact end points of a range."""
    return f"[{number_text(a_range[0])}, {number_text(a_range[1])}]"


def column(v: Sequence[arb]) -> arb_mat:
    """The column vector of the balls v."""
    return arb_mat([[e] for e in v])


def float_matrix(A: np.ndarray) -> arb_mat:
    """The float matrix A as an exact ball matrix."""
    return arb_mat([[float(e) for e in row] for row in np.atleast_2d(A)])


def midpoints(M: arb_mat) -> np.ndarray:
    """The midpoints of M as floats (rounded: an approximation, not an enclosure)."""
    return np.array([[float(e.mid()) for e in row] for row in M.tolist()])


def float_inverse(M: np.ndarray) -> np.ndarray | None:
    """A float inverse of the float matrix M (a preconditioner), or None when singular or not finite."""
    try:
        Y = np.linalg.inv(M)
    except np.linalg.LinAlgError:
        return None
    return Y if np.all(np.isfinite(Y)) else None


def approximate_inverse(M: arb_mat) -> arb_mat | None:
    """A float inverse of M's midpoints as an exact ball matrix (None when singular or not finite). Any
    matrix serves as the preconditioner Y of a Krawczyk-type test; its accuracy affects only success."""
    Y = float_inverse(midpoints(M))
    return None if Y is None else float_matrix(Y)


def identity(m: int) -> arb_mat:
    """The m x m identity ball matrix."""
    return arb_mat(np.eye(m).tolist())


def norm_inf_upper(M: arb_mat) -> float:
    """A float upper bound of the max row sum of |entries| over every matrix of the ball M (inf when an
    entry is not finite: a nan row must not be skipped, ``max(0.5, nan)`` is 0.5)."""
    best = 0.0
    for row in M.tolist():
        s = arb(0)
        for e in row:
            s += abs(e)
        if not s.is_finite():
            return math.inf
        best = max(best, float_upper(s))
    return best


def all_finite(v: Sequence[arb]) -> bool:
    return all(e.is_finite() for e in v)
