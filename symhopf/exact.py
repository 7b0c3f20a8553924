"""Exact numeric data: weights and constants as the user wrote them.

A model file's decimal ``0.1`` means 1/10. Arrays keep a float64 copy for the
numerical stages and, when some entry is not a binary float, the exact
Fractions for the rigorous stages.
"""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any, Iterable

import numpy as np
from flint import arb_mat, fmpq, fmpq_mat

from .errors import InputError
from .parsing import check_magnitude, decimal_fraction, show


def to_fraction(value: Any, what: str) -> Fraction:
    """The exact rational a user wrote (Decimal, int, float, 'p/q' string); its magnitude
    must be 0 or in [1e-300, 1e300] (what float64 holds)."""
    if isinstance(value, bool):
        raise InputError(f"{what}: expected a number, got {value!r}")
    if isinstance(value, (int, np.integer)):
        return check_magnitude(Fraction(int(value)), what)
    if isinstance(value, Fraction):
        return check_magnitude(value, what)
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            raise InputError(f"{what}: non-finite value {value}")
        return check_magnitude(Fraction(float(value)), what, value)
    if isinstance(value, Decimal):
        return decimal_fraction(value, what)
    if isinstance(value, str):
        text = value.strip()
        try:
            if "/" in text:
                p, q = (Fraction(decimal_fraction(Decimal(t), what, text)) for t in text.split("/", 1))
                return check_magnitude(p / q, what, text)
            return decimal_fraction(Decimal(text), what, text)
        except InputError:
            raise
        except (ValueError, ArithmeticError):
            raise InputError(f"{what}: not a number: {show(value, 40)}") from None
    raise InputError(f"{what}: expected a number, got {type(value).__name__}")


class ExactArray:
    """A real vector or matrix known exactly.

    ``values`` is the float64 array; ``exact`` is None when every entry is
    exactly that binary float, else an object array of Fractions.
    """

    def __init__(self, values: np.ndarray, exact: np.ndarray | None = None):
        self.values = values
        self._exact = exact
        self._fmpq: fmpq_mat | None = None
        self._lazy = False      # from_fmpq: the Fractions of ``exact`` are made when asked for

    @property
    def exact(self) -> np.ndarray | None:
        if self._lazy:
            self._exact = np.empty(self.values.size, dtype=object)
            self._exact[:] = [Fraction(int(q.p), int(q.q)) for q in self._fmpq.entries()]
            self._exact, self._lazy = self._exact.reshape(self.values.shape), False
        return self._exact

    def __getstate__(self) -> dict:
        """Picklable (python-flint matrices are not): the Fractions, the rational matrix rebuilt
        when next needed."""
        exact = self.exact
        return {**self.__dict__, "_exact": exact, "_lazy": False, "_fmpq": None}

    @classmethod
    def from_fmpq(cls, mat: fmpq_mat, shape: tuple[int, ...]) -> "ExactArray":
        """An exact rational matrix (e.g. computed from data; a vector as a column), of the given
        shape; ``values`` holds a float64 near each entry, ``exact`` is None when that float is the
        entry (checked exactly)."""
        entries = mat.entries()
        try:
            values = np.array([float(q) for q in entries], dtype=np.float64).reshape(shape)
        except OverflowError:
            values = np.array(np.inf)
        if not np.all(np.isfinite(values)):
            raise InputError("a matrix computed from the data has entries beyond the float range")
        out = cls(values)
        out._fmpq = mat
        out._lazy = any(fmpq(*v.as_integer_ratio()) != q for v, q in zip(values.ravel().tolist(), entries))
        return out

    @classmethod
    def from_nested(cls, rows: Any, what: str) -> "ExactArray":
        """From nested lists of numbers (TOML Decimals, ints, 'p/q' strings)."""
        arr = np.asarray(rows, dtype=object)
        if arr.dtype != object or arr.ndim not in (1, 2) or arr.size == 0:
            raise InputError(f"{what}: expected a non-empty vector or matrix of numbers")
        flat = [to_fraction(v, what) for v in arr.ravel()]
        exact = np.empty(len(flat), dtype=object)
        exact[:] = flat
        values = np.array([float(q) for q in flat], dtype=np.float64).reshape(arr.shape)
        if all(Fraction(float(q)) == q for q in flat):
            return cls(values)
        return cls(values, exact.reshape(arr.shape))

    @classmethod
    def from_float(cls, arr: Any, what: str) -> "ExactArray":
        """From a numeric array (an .npz file, a random draw): float64 entries are exact binary values;
        integer and extended-precision entries are kept exactly (as Fractions) when float64 does not
        hold them (e.g. the integer 2^53 + 1)."""
        try:
            src = np.asarray(arr)
            values = np.array(src, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError(f"{what}: not a numeric array") from None
        if values.ndim not in (1, 2) or values.size == 0:
            raise InputError(f"{what}: expected a non-empty vector or matrix")
        if not np.all(np.isfinite(values)):
            raise InputError(f"{what}: contains NaN or infinite entries")
        if src.dtype.kind in "iu" or (src.dtype.kind == "f" and src.dtype.itemsize > 8):
            exact = [Fraction(int(v)) if src.dtype.kind in "iu" else Fraction(*v.as_integer_ratio())
                     for v in src.ravel()]
            if any(Fraction(float(q)) != q for q in exact):
                out = np.empty(len(exact), dtype=object)
                out[:] = exact
                return cls(values, out.reshape(values.shape))
        return cls(values)

    @classmethod
    def from_scalar(cls, q: Fraction) -> "ExactArray":
        """A scalar (shape ()), exact."""
        values = np.array(float(q))
        if Fraction(float(q)) == q:
            return cls(values)
        exact = np.empty((), dtype=object)
        exact[()] = q
        return cls(values, exact)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.values.shape

    def fractions(self) -> Iterable[Fraction]:
        """Entries in row-major order as exact Fractions."""
        if self.exact is not None:
            return self.exact.ravel()
        return (Fraction(float(v)) for v in self.values.ravel())

    def to_arb_mat(self) -> arb_mat:
        """Ball matrix (a vector becomes a column) at the current working precision.

        Binary floats convert exactly; other rationals become balls containing them.
        """
        rows, cols = (self.shape[0], 1) if len(self.shape) == 1 else self.shape or (1, 1)
        if not self._lazy and self._exact is None:
            return arb_mat(rows, cols, self.values.ravel().tolist())
        return arb_mat(self.to_fmpq_mat())      # built once; each precision then converts in C

    def to_fmpq_mat(self) -> fmpq_mat:
        """The exact rational matrix (a vector becomes a column), built once."""
        if self._fmpq is None:
            rows, cols = (self.shape[0], 1) if len(self.shape) == 1 else self.shape or (1, 1)
            qs = [fmpq(q.numerator, q.denominator) for q in self.exact.ravel()] if self.exact is not None \
                else [fmpq(*v.as_integer_ratio()) for v in self.values.ravel().tolist()]
            self._fmpq = fmpq_mat(rows, cols, qs)
        return self._fmpq

    def is_identity(self) -> bool:
        return len(self.shape) == 2 and self.exact is None and np.array_equal(self.values, np.eye(self.shape[0]))
