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


def _monotone(method: str, increasing: bool = True) -> Callable[[arb], arb]:
    def fn(z):
        if not isinstance(z, arb):
            return getattr(arb(z), method)()
        if z.rad() <= WIDE * (1 + abs(z.mid())) or not z.is_finite():
            return getattr(z, method)()
        lo, hi = getattr(z.lower(), method)(), getattr(z.upper(), method)()
        return lo.union(hi) if increasing else hi.union(lo)
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


def mm(a, b):
    """Matrix product; a product with the identity object itself is skipped."""
    if getattr(b, "_is_eye", False):
        return a
    return a * b


class Eye:
    """The n x n identity as an object ``mm`` can recognise (avoids an O(n^3) product)."""

    _is_eye = True

    def __init__(self, n: int):
        self.n = n
        self.mat = arb_mat(n, n, [1 if i == j else 0 for i in range(n) for j in range(n)])

    def __mul__(self, other):
        return other

    def __rmul__(self, other):
        return other * self.mat if not isinstance(other, (arb_mat, acb_mat)) else other

    def __add__(self, other):
        return self.mat + other

    __radd__ = __add__


def had(*factors: Mat) -> Mat:
    """Entrywise product; an n x 1 column multiplies every column of an n x k matrix."""
    factors = [f.mat if isinstance(f, Eye) else f for f in factors]
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


def column(values) -> Mat:
    """A column vector from a list of balls or numbers."""
    values = list(values)
    return mat(len(values), 1, values)


def dense(m):
    """An identity object as a matrix; anything else unchanged."""
    return m.mat if isinstance(m, Eye) else m


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
