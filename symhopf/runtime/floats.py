"""Float64 (numpy) kernels for generated modules: nothing computed here is trusted."""
from __future__ import annotations

import math

import numpy as np

#: erf on arrays (numpy has none; math.erf takes scalars only)
erf = np.vectorize(math.erf, otypes=[float])


def mm(a: np.ndarray, b) -> np.ndarray:
    """Matrix product; a product with the identity object itself is skipped, ``s I`` and ``W + s I``
    (from ``s * Eye`` and ``s * Eye + W``) are applied as ``s b`` and ``W b + s b``."""
    if type(a) is Shifted and type(b) is np.ndarray:        # the common case first (W + s I) b
        return a.W @ b + a.s * b
    if isinstance(b, Eye):
        return a
    if isinstance(a, ScaledEye):
        return a.s * dense(b)
    if isinstance(a, Shifted):
        b = dense(b)
        return a.W @ b + a.s * b
    return dense(a) @ dense(b)


class Eye:
    """The n x n identity as an object ``mm`` recognises."""

    def __init__(self, n: int):
        self.n = n
        self.mat = np.eye(n)

    def __array__(self, dtype=None, copy=None):
        return self.mat if dtype is None else self.mat.astype(dtype)

    def __mul__(self, other):
        if type(other) is float or isinstance(other, (int, float, np.floating, np.integer)):
            return ScaledEye(other, self.n)
        return self.mat * other

    __rmul__ = __mul__

    def __add__(self, other):
        return self.mat + dense(other)

    __radd__ = __add__

    def __neg__(self):
        return -self.mat


class _Lazy:
    """A matrix kept in factored form; every operation but ``mm`` (and ``+`` of :class:`ScaledEye`) uses
    the dense array (``__array__``)."""

    def __array__(self, dtype=None, copy=None):
        m = self.dense()
        return m if dtype is None else m.astype(dtype)

    def __add__(self, other):
        return self.dense() + dense(other)

    def __radd__(self, other):
        return dense(other) + self.dense()

    def __sub__(self, other):
        return self.dense() - dense(other)

    def __rsub__(self, other):
        return dense(other) - self.dense()

    def __mul__(self, other):
        return self.dense() * dense(other)

    __rmul__ = __mul__

    def __neg__(self):
        return -self.dense()


class ScaledEye(_Lazy):
    """``s I`` (n x n) from ``s * Eye``; ``s I + W`` (W square) stays lazy as :class:`Shifted`."""

    def __init__(self, s, n: int):
        self.s, self.n = s, n

    def dense(self) -> np.ndarray:
        return self.s * np.eye(self.n)

    def __add__(self, other):
        if isinstance(other, np.ndarray) and other.shape == (self.n, self.n):
            return Shifted(other, self.s)
        return _Lazy.__add__(self, other)

    __radd__ = __add__


class Shifted(_Lazy):
    """``W + s I``: products cost one product with W (no n x n sum); its dense form is built once."""

    def __init__(self, W: np.ndarray, s):
        self.W, self.s = W, s
        self._dense: np.ndarray | None = None

    def dense(self) -> np.ndarray:
        if self._dense is None:
            self._dense = np.array(self.W, dtype=np.result_type(self.W, self.s))
            self._dense[np.diag_indices(self.W.shape[0])] += self.s
        return self._dense


def had(*factors) -> np.ndarray:
    """Entrywise product; an n x 1 column multiplies every column of an n x k matrix. Columns times one
    ``W + s I`` (a Jacobian) as ``c W`` plus ``c s`` on the diagonal: one n x n pass."""
    shifted = [f for f in factors if isinstance(f, Shifted)]
    if len(shifted) == 1 and all(isinstance(f, np.ndarray) and f.ndim == 2 and f.shape[1] == 1
                                 for f in factors if f is not shifted[0]):
        S = shifted[0]
        col = None
        for f in factors:
            if f is not S:
                col = f if col is None else col * f
        if col is None:
            return np.array(S.dense())
        out = col * S.W
        out.flat[::S.W.shape[0] + 1] += col[:, 0] * S.s         # the diagonal (a strided view)
        return out
    out = np.asarray(dense(factors[0]))
    for f in factors[1:]:
        out = out * dense(f)
    return out


def mat(rows: int, cols: int, entries: list) -> np.ndarray:
    """A matrix from row-major entries (complex if any entry is). numpy infers float64 or complex128
    from scalar entries (Python or numpy numbers); any other inferred type (all integers, bool, object)
    is converted as before, one ``iscomplexobj`` per entry (the generic path costs ~10x per call)."""
    try:
        out = np.array(entries)
    except ValueError:                      # scalars and vectors of points (FloatBase.f_points): broadcast
        out = np.array(np.broadcast_arrays(*entries))
    if out.dtype != np.float64 and out.dtype != np.complex128:
        dtype = complex if any(np.iscomplexobj(e) for e in entries) else float
        out = np.array(out if out.ndim > 1 else entries, dtype=dtype)
    return out.reshape(rows, cols, *out.shape[1:])


def dense(m):
    """The identity or a lazy matrix as an array; anything else unchanged."""
    if isinstance(m, Eye):
        return m.mat
    return m.dense() if isinstance(m, _Lazy) else m


#: fewest points :meth:`FloatBase.f_points` evaluates at once (measured on a 4-variable polynomial ODE:
#: at 16 points one evaluation costs half of 16 scalar ones, at 4 points twice as much)
POINTS_MIN = 10


class FloatBase:
    """Public API of a generated float evaluator: 1-D vectors in, 1-D vectors out.

    ``B(x, a, u, v)`` with ``v`` of shape (n, k) returns (n, k), column by column;
    likewise the last argument of ``C``.
    """

    n: int
    #: the generated code evaluates entrywise from the unpacked variables (the ODE template: ``x0, x1, ...
    #: = x[:, 0]``, then scalar formulas), so that a (n, 1, k) array evaluates k points at once
    #: (:meth:`f_points`); set by ``System`` for ODE models, cleared if a check against ``f`` fails
    pointwise: bool = False

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

    def f_points(self, X: np.ndarray, a) -> np.ndarray:
        """Rows ``f(X[i], a)`` (X of shape (k, n)): one evaluation of the generated code when
        :attr:`pointwise` and there are at least ``POINTS_MIN`` rows (below, the per-call cost of
        numpy on short vectors exceeds that of the scalar code row by row), else ``f`` per row."""
        X = np.asarray(X, dtype=float)
        if self.pointwise and len(X) >= POINTS_MIN and self._points_agree(X, a):
            return self._at_points(self._f, X, a, 1)[:, :, 0]
        return np.array([self.f(x, a) for x in X]).reshape(X.shape)

    def Df_points(self, X: np.ndarray, a) -> np.ndarray:
        """``Df(X[i], a)`` stacked (k, n, n), as :meth:`f_points`."""
        X = np.asarray(X, dtype=float)
        if self.pointwise and len(X) >= POINTS_MIN and self._points_agree(X, a):
            return self._at_points(lambda x, a: self._Df_apply(x, a, self.eye), X, a, self.n)
        return np.array([self.Df(x, a) for x in X]).reshape(len(X), self.n, self.n)

    def _at_points(self, method, X: np.ndarray, a, cols: int) -> np.ndarray:
        """``method`` at the k points ``X`` (rows), as (k, n, cols)."""
        out = np.asarray(dense(method(X.T[:, None, :], float(a))))
        if out.ndim == 2:                       # every entry constant
            out = np.repeat(out[:, :, None], len(X), axis=2)
        return np.ascontiguousarray(out.reshape(self.n, cols, len(X)).transpose(2, 0, 1))

    def _points_agree(self, X: np.ndarray, a) -> bool:
        """On first use: the evaluation at points equals ``f`` and ``Df`` point by point at the first two
        rows of ``X`` (to rounding), else :attr:`pointwise` is cleared (and the rows are done one by one)."""
        if getattr(self, "_points_checked", False):
            return self.pointwise
        self._points_checked = True
        try:
            P = X[:2]
            ok = np.allclose(self._at_points(self._f, P, a, 1)[:, :, 0], [self.f(x, a) for x in P],
                             rtol=1e-12, atol=1e-300, equal_nan=True) and \
                np.allclose(self._at_points(lambda x, a: self._Df_apply(x, a, self.eye), P, a, self.n),
                            [self.Df(x, a) for x in P], rtol=1e-12, atol=1e-300, equal_nan=True)
        except (ValueError, TypeError, IndexError):
            ok = False
        self.pointwise = bool(ok)
        return self.pointwise
