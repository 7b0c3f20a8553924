"""Ball-arithmetic kernels for generated modules (python-flint arb/acb).

Every function returns a ball that contains the exact result for every point
of its input balls. Monotone elementary functions are evaluated at the
endpoints of a wide ball, which is tight where ``arb.tanh`` on a wide ball is not.

Batches: structured code (``COLUMNS = True``) also accepts the parameter as
:class:`Columns`, one ball per column, and then returns column j evaluated at
``a = values[j]`` on column j of the direction arguments. An n x 1 operand stands
for the same column in every member of the batch (``add`` and ``had`` broadcast it).
Direction arguments may be numpy ball matrices (:class:`~.npball.NBall`); ``mm``,
``had``, ``add`` and ``scale`` then compute with BLAS and a-priori rounding bounds (for n <=
``NB_ROWS`` the public methods evaluate them as python-flint matrices instead: cheaper there).

Reuse (small n, at most ``MEMO_ENTRIES`` entries): the generated code's nodes that depend on
(x, a) only (``BallBase._keep``) are kept per (x, a) (the exact balls and the working precision),
so the methods called at one point share its forward pass. Reused values are the values a fresh
evaluation computes (same balls, same precision, same code); callers get their own copies.

Cost (small n): entrywise products ``c o M`` are matrix products ``diag(c) M`` in C (``_had_diag``), not
Python loops over entries; a numpy ball direction that is exactly the identity is applied as ``Eye``.
"""
from __future__ import annotations

import functools
import threading
from typing import Callable

import numpy as np

from flint import acb, acb_mat, arb, arb_mat, ctx

from . import npball as _nb
from .npball import NBall

Mat = arb_mat | acb_mat | NBall

#: radius (relative, or absolute near 0) above which a ball counts as wide (endpoint evaluation pays off)
WIDE_BITS = 30
WIDE = 2.0 ** -WIDE_BITS
_WIDE = arb(WIDE)           # the same number as a ball (compared without converting the float each time)
_ONE = arb(1)
#: entrywise products of at most this many entries skip the exact shortcuts of ``had``
SMALL = 64
#: up to this many rows ``had`` multiplies by diagonal matrices in C (``_had_diag``) instead of entry by entry
DIAG_ROWS = 32
#: up to this many rows ``mm`` multiplies a python-flint matrix by the dense ``W + s I`` (one product
#: instead of two and a sum; no products remembered in a lazy ``W + s I`` that a frame keeps)
DENSE_ROWS = 64
#: numpy ball directions with at most this many rows are evaluated in python-flint (BallBase._apply)
NB_ROWS = 16
#: frames (values of the generated code's nodes at one (x, a), ``BallBase._keep``) kept per evaluator
FRAMES = 16
#: the frames serve arguments x with at most this many entries (small n: there the bookkeeping pays;
#: for large n it would cost memory and key time for little gain)
MEMO_ENTRIES = 64


def _monotone(method: str) -> Callable[[arb], arb]:
    kernel = getattr(arb, method)

    def fn(z):
        if type(z) is not arb:
            z = arb(z)
        if z.rel_accuracy_bits() >= WIDE_BITS or z.rad() <= _WIDE or not z.is_finite():
            return kernel(z)
        return kernel(z.lower()).union(kernel(z.upper()))
    fn.__name__ = method
    fn.__doc__ = f"Tight ball enclosure of {method} (monotone: evaluated at the end points of a wide ball)."
    return fn


tanh = _monotone("tanh")
atan = _monotone("atan")
exp = _monotone("exp")
sinh = _monotone("sinh")
asinh = _monotone("asinh")
erf = _monotone("erf")
log = _monotone("log")


def cosh(z: arb) -> arb:
    return arb(z).cosh()


def sin(z: arb) -> arb:
    return arb(z).sin()


def cos(z: arb) -> arb:
    return arb(z).cos()


def sqrt(z: arb) -> arb:
    return arb(z).sqrt()


def _product_power(x: arb, k: int) -> arb:
    """x**k by repeated squaring (products only)."""
    result, base = arb(1), x
    while k:
        if k & 1:
            result = result * base
        base, k = base * base, k >> 1
    return result


def ipow(x, k: int):
    """x**k for an integer k >= 2, tight on wide balls.

    t -> t**k is monotone on each side of 0, so the enclosure is the hull of the
    end points' powers (and of 0 when k is even and the ball contains 0).
    Complex and plain numbers use products.
    """
    if type(x) is not arb:
        if not isinstance(x, arb):
            return _product_power(x, k) if isinstance(x, acb) else x ** k
    if x.rel_accuracy_bits() >= WIDE_BITS or x.rad() == 0 or not x.is_finite():
        return x * x if k == 2 else _product_power(x, k)     # narrow: the product is as tight
    lo, hi = x.lower(), x.upper()
    if k == 2:      # what _product_power(e, 2) computes, 1 * (e e), without its loop and its unused e^4
        hull = (_ONE * (lo * lo)).union(_ONE * (hi * hi))
    else:
        hull = _product_power(lo, k).union(_product_power(hi, k))
    if k % 2 == 0 and lo < 0 < hi:
        hull = hull.union(arb(0))
    return hull


def rpow(base: arb, exponent: arb) -> arb:
    """base**exponent = exp(exponent log base) for a non-integer exponent."""
    return exp(arb(exponent) * log(arb(base)))


def pi() -> arb:
    return arb.pi()


def mat(rows: int, cols: int, entries: list, cplx: bool | None = None) -> Mat:
    """A ball matrix from row-major entries (complex if any entry is, or if ``cplx``)."""
    if cplx or (cplx is None and any(isinstance(e, acb) for e in entries)):
        return acb_mat(rows, cols, entries)
    return arb_mat(rows, cols, entries)


def _diag(n: int, s) -> arb_mat:
    """The n x n matrix s I."""
    if isinstance(s, Columns):
        raise TypeError("a per-column parameter has no dense n x n form")
    m = acb_mat(n, n) if isinstance(s, acb) else arb_mat(n, n)
    for i in range(n):
        m[i, i] = s
    return m


def _widen(m: Mat, k: int) -> Mat:
    """An n x 1 column repeated k times (a product with exact ones)."""
    if isinstance(m, NBall):
        return _nb.widen(m, k)
    return m * arb_mat(1, k, [1] * k)


def add(*terms):
    """Sum; an n x 1 column is added to every column of an n x k matrix (batch broadcast).
    Lazy terms (``s I``, ``W + s I``) stay lazy under ``+``."""
    if len(terms) == 2 and isinstance(terms[0], (arb_mat, acb_mat)) and isinstance(terms[1], (arb_mat, acb_mat)) \
            and terms[0].ncols() == terms[1].ncols():
        return terms[0] + terms[1]
    if any(isinstance(t, NBall) for t in terms):
        if any(isinstance(t, (Eye, _Lazy)) for t in terms):
            raise TypeError("a numpy ball matrix plus a lazy matrix")
        out = terms[0]
        for t in terms[1:]:
            out = _nb.nadd(out, t)                  # numpy broadcasting: n x 1 + n x k
        return out
    cols = {t.ncols() for t in terms if isinstance(t, (arb_mat, acb_mat))}
    if len(cols) > 1:
        k = max(cols)
        terms = tuple(_widen(t, k) if isinstance(t, (arb_mat, acb_mat)) and t.ncols() == 1 else t
                      for t in terms)
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    return out


def is_exact_zero(m) -> bool:
    """Every entry of the ball matrix is an exact 0 (the zero matrix contains only exact zeros)."""
    if isinstance(m, NBall):
        return m.is_exact_zero()
    return isinstance(m, (arb_mat, acb_mat)) and (acb_mat if isinstance(m, acb_mat) else arb_mat)(
        m.nrows(), m.ncols()).contains(m)


def _covers(x: Mat, y: Mat) -> bool:
    """Every ball of y lies in the ball of x at the same place (first entry checked first)."""
    if (x.nrows(), x.ncols()) != (y.nrows(), y.ncols()):
        return False
    if isinstance(x, NBall) or isinstance(y, NBall):
        return (isinstance(x, NBall) and isinstance(y, NBall) and np.array_equal(x.mid, y.mid)
                and np.array_equal(x.rad, y.rad))
    return x[0, 0].contains(y[0, 0]) and x.contains(y)


class Columns:
    """The parameter with one ball per column (a batch of m parameter values).

    Products with an n x m matrix scale column j by ``values[j]``; an n x 1 matrix becomes the n x m
    matrix of its multiples (an exact zero column stays n x 1: it is 0 for every member). Any
    other use raises TypeError (``at_columns`` then evaluates column by column), so that nothing
    is silently broadcast wrongly: a square matrix (a coefficient matrix ``a E`` or a batch?) too.
    """

    def __init__(self, values):
        self.values = [arb(v) for v in values]
        self.m = len(self.values)
        self.row = arb_mat(1, self.m, self.values)

    @functools.cached_property
    def nrow(self) -> NBall:
        """The values as a 1 x m numpy ball row (for batches of numpy ball matrices)."""
        return _nb.as_nball(self.row)

    def _map(self, other, op):
        if isinstance(other, Columns) and other.m == self.m:
            return Columns([op(x, y) for x, y in zip(self.values, other.values)])
        if isinstance(other, (int, arb)):
            return Columns([op(x, other) for x in self.values])
        return NotImplemented

    def __mul__(self, other):
        if isinstance(other, (arb_mat, acb_mat, NBall)):
            return scale(other, self)
        if isinstance(other, Eye):
            return ScaledEye(self, other.n)
        return self._map(other, lambda x, y: x * y)

    __rmul__ = __mul__

    def __add__(self, other):
        return self._map(other, lambda x, y: x + y)

    __radd__ = __add__

    def __sub__(self, other):
        return self._map(other, lambda x, y: x - y)

    def __rsub__(self, other):
        return self._map(other, lambda x, y: y - x)

    def __neg__(self):
        return Columns([-x for x in self.values])


def scale(m: Mat, s):
    """``s m`` for a scalar s; for :class:`Columns`, column j times ``values[j]``."""
    if not isinstance(s, Columns):
        return _nb.nmul(m, _nb.scalar(s)) if isinstance(m, NBall) else m * s
    if m.ncols() == 1 and is_exact_zero(m):
        return m
    if m.ncols() != 1 and (m.ncols() != s.m or m.nrows() == m.ncols()):
        # a square matrix could be a coefficient matrix (a E) as well as a batch: refused
        raise TypeError(f"{m.nrows()} x {m.ncols()} matrix times a batch of {s.m}")
    if isinstance(m, NBall):
        return _nb.nmul(m, s.nrow)
    if m.ncols() == 1:
        return m * s.row
    k = s.m
    e = m.entries()
    v = s.values
    return mat(m.nrows(), k, [x * v[i % k] for i, x in enumerate(e)])


def _mul(a, b):
    """a * b for ball matrices; a real-by-complex product is done as two real products
    (python-flint would otherwise convert the real matrix to a complex one first); a real
    python-flint matrix times a numpy ball matrix by BLAS (npball.nmatmul)."""
    if type(a) is type(b) and (type(a) is arb_mat or type(a) is acb_mat):
        return a * b
    if isinstance(b, NBall) or isinstance(a, NBall):
        if isinstance(a, arb_mat) and isinstance(b, NBall):
            return _nb.nmatmul(a, b)
        raise TypeError("numpy ball matrices: only (real python-flint matrix) x (numpy ball matrix)")
    if isinstance(a, arb_mat) and isinstance(b, acb_mat):
        return acb_mat(a * b.real) + acb_mat(a * b.imag) * acb(0, 1)
    if isinstance(a, acb_mat) and isinstance(b, arb_mat):
        return acb_mat(a.real * b) + acb_mat(a.imag * b) * acb(0, 1)
    return a * b


def mm(a, b):
    """Matrix product; a product with the identity object itself is skipped.

    ``s I`` and ``W + s I`` (lazy, from ``a * Eye`` and ``a * Eye + W``) are applied without
    forming the n x n ball matrix: ``(W + s I) x = W x + s x`` (the same balls up to rounding:
    each is a valid enclosure).
    """
    if getattr(b, "_is_eye", False):
        return a
    if isinstance(a, ScaledEye):
        return scale(dense(b), a.s)
    if isinstance(b, ScaledEye) and not isinstance(b.s, Columns):
        return dense(a) * b.s
    if isinstance(a, Shifted):
        b = dense(b)
        if a.W.nrows() <= DENSE_ROWS and isinstance(b, (arb_mat, acb_mat)) and not isinstance(a.s, Columns):
            return _mul(a.mat, b)           # small n: one product with the dense W + s I is cheaper
        return add(a.product(b), scale(b, a.s))
    if isinstance(b, Shifted) and not isinstance(b.s, Columns):
        a = dense(a)
        return _mul(a, b.W) + a * b.s
    return _mul(dense(a), dense(b))


class Eye:
    """The n x n identity as an object ``mm`` can recognise (avoids an O(n^3) product)."""

    _is_eye = True

    def __init__(self, n: int):
        self.n = n
        self.mat = _diag(n, 1)

    def __mul__(self, other):
        return other

    def __rmul__(self, other):
        if isinstance(other, (arb_mat, acb_mat)):
            return other
        return ScaledEye(other, self.n)

    def __add__(self, other):
        return self.mat + other

    __radd__ = __add__


class _Lazy:
    """A matrix kept in factored form; any operation other than ``mm`` uses the dense ``.mat``."""

    _cache = None

    @property
    def mat(self):
        if self._cache is None:
            self._cache = self._dense()
        return self._cache

    def __add__(self, other):
        return self.mat + dense(other)

    def __radd__(self, other):
        return dense(other) + self.mat

    def __sub__(self, other):
        return self.mat - dense(other)

    def __rsub__(self, other):
        return dense(other) - self.mat

    def __neg__(self):
        return -self.mat

    def __mul__(self, other):
        return self.mat * dense(other)

    def __rmul__(self, other):
        return dense(other) * self.mat

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.mat, name)


class ScaledEye(_Lazy):
    """``s I`` (n x n) from ``s * Eye``; ``s I + W`` stays lazy as :class:`Shifted`."""

    def __init__(self, s, n: int):
        self.s, self.n = s, n

    def _dense(self):
        return _diag(self.n, self.s)

    def __add__(self, other):
        if isinstance(other, (arb_mat, acb_mat)) and other.nrows() == other.ncols() == self.n:
            return Shifted(other, self.s)
        return _Lazy.__add__(self, other)

    __radd__ = __add__

    def __mul__(self, other):
        if isinstance(other, (arb_mat, acb_mat)):
            return scale(other, self.s)
        return ScaledEye(self.s * other, self.n)

    __rmul__ = __mul__


class Shifted(_Lazy):
    """``W + s I`` kept as (W, s): products cost one product with W.

    ``W b`` is remembered per argument: a second product with the same ``b``, or (W real) with
    a ``b'`` inside ``conj(b)``, reuses it (``W conj(z) = conj(W z)`` for every point of the balls).
    Both python-flint and numpy ball matrices: for a real W' in the ball W and z' in b' (a disc or
    box about conj of b's midpoint, no wider than b's), conj(z') lies in b, so ``W' conj(z')`` lies
    in the enclosure of ``W b`` and ``W' z'`` in its conjugate (the point batch's ``W conj(V)``).
    """

    def __init__(self, W, s):
        self.W, self.s = W, s
        self._products: list[tuple[Mat, Mat]] = []

    def _dense(self):
        return self.W + _diag(self.W.nrows(), self.s)

    def product(self, b: Mat) -> Mat:
        for arg, out in self._products:
            if arg is b:
                return out
        for arg, out in self._products:
            if (isinstance(self.W, arb_mat) and isinstance(b, (acb_mat, NBall)) and type(arg) is type(b)
                    and _covers(arg.conjugate(), b)):
                self._products.append((b, out.conjugate()))
                return self._products[-1][1]
        out = _mul(self.W, b)
        self._products.append((b, out))
        return out


def _shape(f) -> tuple[int, int]:
    if isinstance(f, (Eye, ScaledEye)):
        return f.n, f.n
    if isinstance(f, Shifted):
        return f.W.nrows(), f.W.ncols()
    return f.nrows(), f.ncols()


def _is_complex(f) -> bool:
    if isinstance(f, Eye):
        return False
    if isinstance(f, ScaledEye):
        return isinstance(f.s, acb)
    if isinstance(f, Shifted):
        return isinstance(f.W, acb_mat) or isinstance(f.s, acb)
    if isinstance(f, NBall):
        return np.iscomplexobj(f.mid)
    return isinstance(f, acb_mat)


def had(*factors: Mat) -> Mat:
    """Entrywise product; an n x 1 column multiplies every column of an n x k matrix.

    Exact shortcuts: an exactly zero column factor gives the zero matrix (0 times any real
    number is 0), exactly-one columns are skipped, and an identity factor (``I`` or ``s I``)
    makes the product diagonal, so only its diagonal is computed.
    """
    for f in factors:
        if type(f) is not arb_mat and type(f) is not acb_mat:
            break
    else:
        rows, cols = factors[0].nrows(), max(f.ncols() for f in factors)
        if rows <= DIAG_ROWS:
            return _had_diag(factors, rows, cols)
        if rows * cols <= SMALL:
            return _had_entries(factors, rows, cols)
    if any(isinstance(getattr(f, "s", None), Columns) for f in factors):
        raise TypeError("entrywise product with a batch of s I")
    numpy = any(isinstance(f, NBall) for f in factors)
    if numpy and any(isinstance(f, (Eye, _Lazy)) for f in factors):
        raise TypeError("entrywise product of a numpy ball matrix and a lazy matrix")
    rows = _shape(factors[0])[0]
    cols = max(_shape(f)[1] for f in factors)
    cplx = any(_is_complex(f) for f in factors)
    if any(_shape(f)[1] == 1 and is_exact_zero(f) for f in factors):
        if numpy:
            return NBall(np.zeros((rows, cols), complex if cplx else float), 0.0)
        return acb_mat(rows, cols) if cplx else arb_mat(rows, cols)
    if numpy:
        out = factors[0]
        for f in factors[1:]:
            out = _nb.nmul(out, f)                  # numpy broadcasting: n x 1 times n x k
        return out
    ones = arb_mat(rows, 1, [1] * rows)
    factors = [f for f in factors if not (isinstance(f, arb_mat) and f.ncols() == 1 and f == ones)]
    if not factors:
        return _widen(ones, cols)
    if len(factors) == 1 and _shape(factors[0])[1] == cols:
        return dense(factors[0])
    if cols == rows and any(isinstance(f, (Eye, ScaledEye)) for f in factors):
        out = acb_mat(rows, cols) if cplx else arb_mat(rows, cols)
        for i in range(rows):
            d = 1
            for f in factors:
                if isinstance(f, Eye):
                    continue
                d = d * (f.s if isinstance(f, ScaledEye) else dense(f)[i, 0 if _shape(f)[1] == 1 else i])
            out[i, i] = d
        return out
    if rows <= DIAG_ROWS:
        return _had_diag([dense(f) for f in factors], rows, cols)
    return _had_entries([dense(f) for f in factors], rows, cols)


def _diag_of(c: Mat) -> Mat:
    """The n x n matrix with the n x 1 column c on its diagonal and exact zeros elsewhere."""
    n = c.nrows()
    D = acb_mat(n, n) if isinstance(c, acb_mat) else arb_mat(n, n)
    for i, e in enumerate(c.entries()):
        D[i, i] = e
    return D


def _had_diag(factors: list, rows: int, cols: int) -> Mat:
    """Entrywise product of python-flint matrices (n x 1 columns broadcast over n x cols) by matrix
    products in C: ``c o M = diag(c) M`` (entry (i, k) is ``c_i M_ik`` plus terms ``0 M_jk``, exact zeros;
    a non-finite ``M_jk`` may make the entry nan, never a finite wrong ball). Full factors beyond the
    first are multiplied entry by entry. For small n (``DIAG_ROWS``) the n^2 cols products in C cost
    less than the n cols products in Python."""
    cs = [f for f in factors if f.ncols() == 1]
    full = [f for f in factors if f.ncols() != 1]
    if not full:
        full = [cs.pop()]
    base = full[0] if len(full) == 1 else _had_entries(full, rows, cols)
    if not cs:
        return base
    c = cs[0]
    for f in cs[1:]:
        c = _mul(_diag_of(f), c)
    return _mul(_diag_of(c), base)


def _had_entries(factors: list, rows: int, cols: int) -> Mat:
    """Entrywise product, entry by entry: the n x 1 factors of an n x cols product first (n
    products each), then their product times every column."""
    out = c = None
    for f in factors:
        e = f.entries()
        if f.ncols() == cols:
            out = e if out is None else [o * x for o, x in zip(out, e)]
        else:
            c = e if c is None else [o * x for o, x in zip(c, e)]
    if c is not None:
        out = [out[k] * c[k // cols] for k in range(rows * cols)]
    return mat(rows, cols, out, any(isinstance(f, acb_mat) for f in factors))


class _ArbKey:
    """The exact content of a python-flint ball matrix and a ball (midpoints and radii, shape) and the
    working precision as a dict key. Equal iff ``ctx.prec`` and the shapes are equal and each ball of one
    contains the other's ball at the same place (mutual containment of balls is equality of the sets;
    a bounded set ``[m - r, m + r]`` determines m and r, so the same balls give the same values of any
    computation on them; balls of infinite radius are all the whole line, whatever their midpoints, and
    any computation on them encloses the same set); hashed by the float of the first midpoint (cheap; equal keys have
    equal hashes). Holds its own copy of the matrix (the caller's may change later)."""

    __slots__ = ("prec", "x", "a", "hash")

    def __init__(self, x: arb_mat, a: arb):
        self.prec, self.x, self.a = ctx.prec, arb_mat(x), a
        self.hash = hash((self.prec, x.nrows(), x.ncols(), float(x[0, 0]), float(a)))

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other) -> bool:
        return (isinstance(other, _ArbKey) and self.prec == other.prec and self.x.nrows() == other.x.nrows()
                and self.x.ncols() == other.x.ncols() and _same_balls(self.a, other.a)
                and self.x.contains(other.x) and other.x.contains(self.x))


def _same_balls(u: arb, v: arb) -> bool:
    """u and v are the same ball (nan: never)."""
    return u.contains(v) and v.contains(u)


def act_map(fn: Callable[[arb], arb], x: Mat) -> Mat:
    """``fn`` applied to every entry of a real ball matrix (an NBall gives an NBall): every entry is
    ``fn`` of the python-flint ball holding that entry (an NBall's ``mid +- rad`` converted exactly,
    the result back by npball.as_nball: each a valid enclosure). Reuse within a call at one (x, a) is
    the frame's (``BallBase._keep``)."""
    m = x.to_mat() if isinstance(x, NBall) else x
    out = arb_mat(m.nrows(), m.ncols(), [fn(e) for e in m.entries()])
    return _nb.as_nball(out) if isinstance(x, NBall) else out


def dense(m):
    """An identity (or lazy) object as a matrix; anything else unchanged."""
    return m.mat if isinstance(m, (Eye, _Lazy)) else m


def _param(a):
    return a if isinstance(a, Columns) else arb(a)


def _column(m: Mat, j: int) -> Mat:
    if m.ncols() == 1:
        return m
    return mat(m.nrows(), 1, [m[i, j] for i in range(m.nrows())])


class BallBase:
    """Public API of a generated ball evaluator (docs/internals.md).

    Subclasses define ``_f, _Df_apply, _f_a, _Df_a_apply, _B, _C`` on column
    matrices; ``x`` and ``a`` may be wide balls (the results then enclose the
    range). Build and call inside ``flint.ctx.workprec(prec)``.
    """

    n: int

    #: the structured code accepts a :class:`Columns` parameter (batches); see ``at_columns``
    COLUMNS = False

    def at_columns(self, name: str, x: arb_mat, values: list, *args: Mat) -> Mat:
        """Column j of the result is ``name(x, values[j], *(column j of args))`` (an n x 1
        argument is the same for every j): one evaluation with :class:`Columns` when the
        generated code supports it, else one evaluation per column."""
        m = len(values)
        if self.COLUMNS:
            try:
                out = dense(getattr(self, name)(x, Columns(values), *args))
            except TypeError:
                out = None
            if out is not None:
                return _widen(out, m) if out.ncols() == 1 and m > 1 else out
        args = tuple(A.to_mat() if isinstance(A, NBall) else A for A in args)
        cols = [dense(getattr(self, name)(x, arb(v), *(_column(A, j) for A in args))) for j, v in enumerate(values)]
        return mat(cols[0].nrows(), m, [c[i, 0] for i in range(cols[0].nrows()) for c in cols])

    #: generated code that prints ``self._keep`` (structured ball code): frames are kept per (x, a)
    FRAMES = False
    _frame: dict | None = None

    def _keep(self, k: int, thunk: Callable[[], Mat]) -> Mat:
        """Node k of the generated code, a function of (x, a) and the data only: computed once per
        frame (the current call's (x, a), see ``_apply``), else (no frame) computed."""
        frame = self._frame
        if frame is None:
            return thunk()
        out = frame.get(k)
        if out is None:
            out = frame[k] = thunk()
        return out

    def _guard(self) -> threading.RLock:
        """The evaluator's lock: ``self._frame`` belongs to one call, so two threads sharing an evaluator
        take turns (re-entrant: a public call inside another, on the same thread, ends the outer frame)."""
        lock = self.__dict__.get("_lock")
        return lock if lock is not None else self.__dict__.setdefault("_lock", threading.RLock())

    def _frame_of(self, x, a) -> dict | None:
        """The frame of (x, a): the nodes computed so far at the same balls (midpoints and radii of x
        and a, exact) and the same ``ctx.prec``: the same values. None for a batch or complex x, a."""
        if not (self.FRAMES and isinstance(x, arb_mat) and isinstance(a, arb)
                and x.nrows() * x.ncols() <= MEMO_ENTRIES):
            return None
        frames = self.__dict__.setdefault("_frames", {})
        key = _ArbKey(x, a)
        frame = frames.get(key)
        if frame is None:
            if len(frames) >= FRAMES:
                del frames[next(iter(frames))]          # the oldest
            frame = frames[key] = {}
        return frame

    def _apply(self, method: Callable, x: arb_mat, a, *dirs: Mat) -> Mat:
        """``method(x, a, *dirs)`` in the frame of (x, a) (``_keep``); the result is the caller's own
        (a copy where it is a kept node or part of a lazy one). Numpy ball directions with at most
        ``NB_ROWS`` rows are evaluated as python-flint matrices (the same balls, ``NBall.to_mat``)
        and the result converted back (``npball.as_nball``): for small n python-flint's products
        cost less than numpy's per-call overhead, and they are as tight or tighter."""
        a = _param(a)
        small = any(isinstance(d, NBall) and d.nrows() <= NB_ROWS for d in dirs)
        if dirs and (small or not any(isinstance(d, NBall) for d in dirs)) and _is_identity(dirs[-1]) \
                and isinstance(getattr(self, "eye", None), Eye) and self.eye.n == dirs[-1].nrows():
            dirs = dirs[:-1] + (self.eye,)      # the identity as ``Eye`` (mm skips it, had keeps the diagonal)
        if small:
            dirs = tuple(d.to_mat() if isinstance(d, NBall) else d for d in dirs)
        with self._guard():                # one call at a time per evaluator: the frame is per call
            frame = self._frame = self._frame_of(x, a)
            try:
                out = method(x, a, *dirs)
            finally:
                self._frame = None
                for v in frame.values() if frame is not None else ():
                    if isinstance(v, Shifted):
                        v._products.clear()     # products with this call's directions (kept by identity) end here
        if isinstance(out, (Eye, _Lazy)) or (frame is not None and any(out is v for v in frame.values())):
            out = _copy(dense(out))
        out = dense(out)
        return _nb.as_nball(out) if small and not isinstance(out, NBall) else out

    def f(self, x: arb_mat, a: arb) -> arb_mat:
        return self._apply(self._f, x, a)

    def Df(self, x: arb_mat, a: arb) -> arb_mat:
        return self._apply(self._Df_apply, x, a, self.eye)

    def f_a(self, x: arb_mat, a: arb) -> arb_mat:
        return self._apply(self._f_a, x, a)

    def Df_a(self, x: arb_mat, a: arb) -> arb_mat:
        return self._apply(self._Df_a_apply, x, a, self.eye)

    def Df_apply(self, x: arb_mat, a: arb, u: Mat) -> Mat:
        """``D_x f(x, a) u``; u may be a numpy ball matrix (then the result is one too)."""
        return self._apply(self._Df_apply, x, a, u)

    def Df_a_apply(self, x: arb_mat, a: arb, u: Mat) -> Mat:
        """``(d/da D_x f(x, a)) u``; u may be a numpy ball matrix."""
        return self._apply(self._Df_a_apply, x, a, u)

    def B(self, x: arb_mat, a: arb, u: Mat, v: Mat) -> Mat:
        return self._apply(self._B, x, a, u, v)

    def C(self, x: arb_mat, a: arb, u: Mat, v: Mat, w: Mat) -> Mat:
        return self._apply(self._C, x, a, u, v, w)

    def f_aa(self, x: arb_mat, a: arb) -> arb_mat:
        return self._apply(self._f_aa, x, a)

    def Df_aa(self, x: arb_mat, a: arb) -> arb_mat:
        return self._apply(self._Df_aa_apply, x, a, self.eye)

    def Df_aa_apply(self, x: arb_mat, a: arb, u: Mat) -> Mat:
        """``(d^2/da^2 D_x f(x, a)) u``; u may be a numpy ball matrix."""
        return self._apply(self._Df_aa_apply, x, a, u)

    def B_a(self, x: arb_mat, a: arb, u: Mat, v: Mat) -> Mat:
        """d/da B(u, v); ``v`` may be n x k."""
        return self._apply(self._B_a, x, a, u, v)


def _is_identity(d) -> bool:
    """d is a square ball matrix equal to the identity: every entry exact (radius 0), 1 on the diagonal and
    0 elsewhere (python-flint ``==`` is certain equality)."""
    if isinstance(d, NBall):
        n = d.mid.shape[0]
        return (d.mid.shape == (n, n) and n <= NB_ROWS and not d.rad.any()
                and bool((d.mid == _EYES[n]).all()))
    return isinstance(d, (arb_mat, acb_mat)) and d.nrows() == d.ncols() and d == _diag(d.nrows(), 1)


#: the n x n identity as a float array, n <= NB_ROWS (``_is_identity``)
_EYES = [np.eye(n) for n in range(NB_ROWS + 1)]


def _copy(m: Mat) -> Mat:
    """A copy the caller may change (python-flint matrices are mutable; numpy arrays too)."""
    if isinstance(m, NBall):
        return NBall(m.mid.copy(), np.array(m.rad))
    return type(m)(m) if isinstance(m, (arb_mat, acb_mat)) else m
