"""Ball-arithmetic kernels for generated modules (python-flint arb/acb).

Every function returns a ball that contains the exact result for every point
of its input balls. Monotone elementary functions are evaluated at the
endpoints of a wide ball, which is tight where ``arb.tanh`` on a wide ball is not.
"""
from __future__ import annotations

from typing import Callable

from flint import acb, acb_mat, arb, arb_mat

Mat = arb_mat | acb_mat

#: relative radius above which a ball counts as wide (endpoint evaluation pays off)
WIDE = 2.0 ** -30


def _monotone(method: str) -> Callable[[arb], arb]:
    def fn(z):
        if not isinstance(z, arb):
            return getattr(arb(z), method)()
        if z.rad() <= WIDE * (1 + abs(z.mid())) or not z.is_finite():
            return getattr(z, method)()
        lo, hi = getattr(z.lower(), method)(), getattr(z.upper(), method)()
        return lo.union(hi)
    fn.__name__ = method
    fn.__doc__ = f"Tight ball enclosure of {method} (monotone: evaluated at the endpoints)."
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
    if not isinstance(x, arb):
        return _product_power(x, k) if isinstance(x, acb) else x ** k
    if x.rad() == 0 or not x.is_finite():
        return _product_power(x, k)
    lo, hi = x.lower(), x.upper()
    hull = _product_power(lo, k).union(_product_power(hi, k))
    if k % 2 == 0 and lo < 0 < hi:
        hull = hull.union(arb(0))
    return hull


def rpow(base: arb, exponent: arb) -> arb:
    """base**exponent = exp(exponent log base) for a non-integer exponent."""
    return exp(arb(exponent) * log(arb(base)))


def pi() -> arb:
    return arb.pi()


def mat(rows: int, cols: int, entries: list) -> Mat:
    """A ball matrix from row-major entries (complex if any entry is)."""
    if any(isinstance(e, acb) for e in entries):
        return acb_mat(rows, cols, entries)
    return arb_mat(rows, cols, entries)


def _diag(n: int, s) -> arb_mat:
    """The n x n matrix s I."""
    return arb_mat(n, n, [s if i == j else 0 for i in range(n) for j in range(n)])


def _mul(a, b):
    """a * b for ball matrices; a real-by-complex product is done as two real products
    (python-flint would otherwise convert the real matrix to a complex one first)."""
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
        return dense(b) * a.s
    if isinstance(b, ScaledEye):
        return dense(a) * b.s
    if isinstance(a, Shifted):
        b = dense(b)
        return _mul(a.W, b) + b * a.s
    if isinstance(b, Shifted):
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
            return other * self.s
        return ScaledEye(self.s * other, self.n)

    __rmul__ = __mul__


class Shifted(_Lazy):
    """``W + s I`` kept as (W, s): products cost one product with W."""

    def __init__(self, W, s):
        self.W, self.s = W, s

    def _dense(self):
        return self.W + _diag(self.W.nrows(), self.s)


def had(*factors: Mat) -> Mat:
    """Entrywise product; an n x 1 column multiplies every column of an n x k matrix."""
    factors = [dense(f) for f in factors]
    rows = factors[0].nrows()
    cols = max(f.ncols() for f in factors)
    out = [1] * (rows * cols)
    for f in factors:
        e = f.entries()
        if f.ncols() == cols:
            out = [o * x for o, x in zip(out, e)]
        else:
            out = [out[i * cols + j] * e[i] for i in range(rows) for j in range(cols)]
    return mat(rows, cols, out)


def act_map(fn: Callable[[arb], arb], x: arb_mat) -> arb_mat:
    """``fn`` applied to every entry of a real ball matrix."""
    return arb_mat(x.nrows(), x.ncols(), [fn(e) for e in x.entries()])


def dense(m):
    """An identity (or lazy) object as a matrix; anything else unchanged."""
    return m.mat if isinstance(m, (Eye, _Lazy)) else m


class BallBase:
    """Public API of a generated ball evaluator (docs/internals.md).

    Subclasses define ``_f, _Df_apply, _f_a, _Df_a_apply, _B, _C`` on column
    matrices; ``x`` and ``a`` may be wide balls (the results then enclose the
    range). Build and call inside ``flint.ctx.workprec(prec)``.
    """

    n: int

    def f(self, x: arb_mat, a: arb) -> arb_mat:
        return dense(self._f(x, arb(a)))

    def Df(self, x: arb_mat, a: arb) -> arb_mat:
        return dense(self._Df_apply(x, arb(a), self.eye))

    def f_a(self, x: arb_mat, a: arb) -> arb_mat:
        return dense(self._f_a(x, arb(a)))

    def Df_a(self, x: arb_mat, a: arb) -> arb_mat:
        return dense(self._Df_a_apply(x, arb(a), self.eye))

    def B(self, x: arb_mat, a: arb, u: Mat, v: Mat) -> Mat:
        return dense(self._B(x, arb(a), u, v))

    def C(self, x: arb_mat, a: arb, u: Mat, v: Mat, w: Mat) -> Mat:
        return dense(self._C(x, arb(a), u, v, w))

    def f_aa(self, x: arb_mat, a: arb) -> arb_mat:
        return dense(self._f_aa(x, arb(a)))

    def Df_aa(self, x: arb_mat, a: arb) -> arb_mat:
        return dense(self._Df_aa_apply(x, arb(a), self.eye))

    def B_a(self, x: arb_mat, a: arb, u: Mat, v: Mat) -> Mat:
        """d/da B(u, v); ``v`` may be n x k."""
        return dense(self._B_a(x, arb(a), u, v))
