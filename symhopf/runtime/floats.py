"""Float64 (numpy) kernels for generated modules: nothing computed here is trusted."""
from __future__ import annotations

import math

import numpy as np

#: erf on arrays (numpy has none; math.erf takes scalars only)
erf = np.vectorize(math.erf, otypes=[float])


def mm(a: np.ndarray, b) -> np.ndarray:
    """Matrix product; a product with the identity object itself is skipped."""
    if isinstance(b, Eye):
        return a
    return a @ b


class Eye:
    """The n x n identity as an object ``mm`` recognises."""

    def __init__(self, n: int):
        self.n = n
        self.mat = np.eye(n)

    def __array__(self, dtype=None, copy=None):
        return self.mat if dtype is None else self.mat.astype(dtype)

    def __mul__(self, other):
        return self.mat * other

    __rmul__ = __mul__

    def __add__(self, other):
        return self.mat + other

    __radd__ = __add__

    def __neg__(self):
        return -self.mat


def had(*factors) -> np.ndarray:
    """Entrywise product; an n x 1 column multiplies every column of an n x k matrix."""
    out = np.asarray(factors[0].mat if isinstance(factors[0], Eye) else factors[0])
    for f in factors[1:]:
        out = out * (f.mat if isinstance(f, Eye) else f)
    return out


def mat(rows: int, cols: int, entries: list) -> np.ndarray:
    """A matrix from row-major entries (complex if any entry is)."""
    dtype = complex if any(np.iscomplexobj(e) for e in entries) else float
    return np.array(entries, dtype=dtype).reshape(rows, cols)


def dense(m):
    return m.mat if isinstance(m, Eye) else m


class FloatBase:
    """Public API of a generated float evaluator: 1-D vectors in, 1-D vectors out.

    ``B(x, a, u, v)`` with ``v`` of shape (n, k) returns (n, k), column by column;
    likewise the last argument of ``C``.
    """

    n: int

    def _col(self, v) -> np.ndarray:
        return np.asarray(v).reshape(self.n, -1)

    def f(self, x, a):
        return dense(self._f(self._col(x), float(a)))[:, 0]

    def Df(self, x, a):
        return np.array(dense(self._Df_apply(self._col(x), float(a), self.eye)))

    def f_a(self, x, a):
        return dense(self._f_a(self._col(x), float(a)))[:, 0]

    def Df_a(self, x, a):
        return np.array(dense(self._Df_a_apply(self._col(x), float(a), self.eye)))

    def B(self, x, a, u, v):
        v = np.asarray(v)
        return dense(self._B(self._col(x), float(a), self._col(u), self._col(v))).reshape(v.shape)

    def C(self, x, a, u, v, w):
        w = np.asarray(w)
        return dense(self._C(self._col(x), float(a), self._col(u), self._col(v), self._col(w))).reshape(w.shape)

    def f_aa(self, x, a):
        return dense(self._f_aa(self._col(x), float(a)))[:, 0]

    def Df_aa(self, x, a):
        return np.array(dense(self._Df_aa_apply(self._col(x), float(a), self.eye)))

    def B_a(self, x, a, u, v):
        v = np.asarray(v)
        return dense(self._B_a(self._col(x), float(a), self._col(u), self._col(v))).reshape(v.shape)
