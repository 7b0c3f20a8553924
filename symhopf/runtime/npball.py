"""Ball matrices as numpy arrays: midpoints and radii with a-priori rounding bounds (53 bits).

``NBall(mid, rad)`` is the set of matrices X with ``|X_ij - mid_ij| <= rad_ij`` (``mid`` real or
complex float64, ``rad >= 0`` bounds the modulus). The structured generated code runs on it
unchanged (``runtime.ball`` dispatches ``mm``, ``had``, ``add``, ``scale`` here): a batch of
points is evaluated with BLAS products instead of per-entry python-flint calls.

Bounds (fpbounds: u = 2^-53, eta = 2^-1074, ``abs1(z) = |Re z| + |Im z| >= |z|``; every radius is
rounded up by Lemma 2 (``upper``, the same function as ``up``: rounded to nearest, no nextafter pass, which
cost more than the rest of an n x n product's bound):
- sum: ``|fl(a + b) - (a + b)| <= u abs1(fl(a + b))`` (each part rounds once), radii add;
- product: ``|xy - zw| <= |z| r_w + r_z |w| + r_z r_w`` for ``|x - z| <= r_z``, ``|y - w| <= r_w``
  (0 when z = r_z = 0 and fl(zw) = 0: exact zeros stay exact, so ``d o I`` stays diagonal);
  ``|fl(zw) - zw| <= 5 u abs1(z) abs1(w) + 2 eta`` (each part of a complex product is one or two
  rounded products and one rounded sum, with or without FMA);
- matrix product with a real ball matrix ``A = Am +- Ar`` (inner dimension k):
  ``|A x - fl(Am xm)| <= gamma_k |Am| abs1(xm) + 2 k eta + |Am| r_x + Ar (abs1(xm) + r_x)`` (Lemma 1
  on the real and imaginary parts);
- product of two ball matrices: ``|xy - fl(xm ym)| <= err(Lemma 1) + |xm| r_y + r_x (|ym| + r_y)``;
- column sums of k terms: ``|fl(sum p) - sum p| <= gamma_k sum abs1(p)`` (Higham, recursive sum);
- real intervals: ``[lo, hi]`` with ``lo = next_down(fl(m - r))``, ``hi = next_up(fl(m + r))`` holds the
  real ball ``m +- r`` (one rounding to nearest errs by less than one ulp); back, ``m = fl((lo + hi) / 2)``
  and ``r = next_up(fl(max(m - lo, hi - m)))`` (any float m serves: r bounds both distances).
"""
from __future__ import annotations

import numpy as np
from flint import acb, acb_mat, arb, arb_mat

from .fpbounds import ETA, U, abs1, gamma, real_matmul, upper


class NBall:
    """An n x k ball matrix ``mid +- rad`` (module docstring)."""

    __slots__ = ("mid", "rad")

    def __init__(self, mid: np.ndarray, rad: np.ndarray):
        self.mid = np.asarray(mid)
        rad = np.asarray(rad, float)
        self.rad = rad if rad.shape == self.mid.shape else np.broadcast_to(rad, self.mid.shape)

    def nrows(self) -> int:
        return self.mid.shape[0]

    def ncols(self) -> int:
        return self.mid.shape[1]

    def conjugate(self) -> "NBall":
        return NBall(np.conj(self.mid), self.rad)

    def __neg__(self) -> "NBall":
        return NBall(-self.mid, self.rad)

    def __add__(self, other) -> "NBall":
        return nadd(self, other)

    __radd__ = __add__

    def __sub__(self, other) -> "NBall":
        return nadd(self, -as_nball(other))

    def __rsub__(self, other) -> "NBall":
        return nadd(as_nball(other), -self)

    def __mul__(self, other) -> "NBall":
        if isinstance(other, (int, float)) and other in (1, -1):
            return NBall(self.mid if other == 1 else -self.mid, self.rad)    # exact (a sign change)
        if isinstance(other, (int, float, arb, acb)):
            return nmul(self, scalar(other))
        return NotImplemented

    __rmul__ = __mul__

    def is_exact_zero(self) -> bool:
        return not np.any(self.mid) and not np.any(self.rad)

    def to_mat(self) -> arb_mat | acb_mat:
        """The same balls as a python-flint matrix (a complex box contains the disc)."""
        n, k = self.mid.shape
        if np.iscomplexobj(self.mid):
            return acb_mat(n, k, [acb(arb(z.real, r), arb(z.imag, r))
                                  for z, r in zip(self.mid.ravel().tolist(), self.rad.ravel().tolist())])
        return arb_mat(n, k, [arb(z, r) for z, r in zip(self.mid.ravel().tolist(), self.rad.ravel().tolist())])


def scalar(c) -> NBall:
    """A number or a ball as a 1 x 1 NBall."""
    if isinstance(c, NBall):
        return c
    if isinstance(c, (int, float)) and float(c) == c:
        return NBall(np.array([[float(c)]]), np.zeros((1, 1)))
    return as_nball(acb_mat([[acb(c)]]) if isinstance(c, acb) else arb_mat([[arb(c)]]))


def as_nball(m) -> NBall:
    """An NBall holding the python-flint matrix (or number) m: midpoints rounded to floats, the
    rounding added to the radii, radii rounded up."""
    if isinstance(m, NBall):
        return m
    if not isinstance(m, (arb_mat, acb_mat)):
        return scalar(m)
    n, k = m.nrows(), m.ncols()
    ents = m.entries()
    if n * k <= _SMALL and isinstance(m, arb_mat):
        return _small_real(ents, n, k)
    if isinstance(m, acb_mat):
        mid = np.array([complex(float(e.real.mid()), float(e.imag.mid())) for e in ents]).reshape(n, k)
        rad = np.array([float(e.real.rad()) + float(e.imag.rad()) for e in ents]).reshape(n, k)
    else:
        mid = np.array([float(e) for e in ents], dtype=float).reshape(n, k)       # float(e): e's midpoint rounded
        rad = np.array([float(e.rad()) for e in ents], dtype=float).reshape(n, k)
    rad = _conversion_radius(mid, rad)
    for i in np.flatnonzero((mid == 0).ravel()):           # exact zeros stay exact
        if ents[i].is_zero():
            rad.flat[i] = 0.0
    return NBall(mid, rad)


#: real matrices with at most this many entries are converted entry by entry in Python floats (``_small_real``)
_SMALL = 64
_C1, _C2, _E4, _E8 = 1 + 4 * U, 2 * U, 4 * ETA, 8 * ETA
_F6 = float(upper(1.0, 6))      # upper's factor for depth 6: upper(1, 6) = fl(1 + 8 eta) F = F


def _small_real(ents: list, n: int, k: int) -> "NBall":
    """``as_nball`` of a small real python-flint matrix: the same floats, as the same IEEE operations in the same
    order as ``_conversion_radius`` (``upper(r (1 + 4u) + 2u |m| + 4 eta, 6) = fl(fl(. + 8 eta) F)``), one entry at a
    time (numpy's per-call cost exceeds the work for a few entries); exact zeros stay exact."""
    mid, rad = [], []
    for e in ents:
        m = float(e)
        mid.append(m)
        rad.append(0.0 if m == 0 and e.is_zero() else (float(e.rad()) * _C1 + _C2 * abs(m) + _E4 + _E8) * _F6)
    return NBall(np.array(mid, dtype=float).reshape(n, k), np.array(rad, dtype=float).reshape(n, k))


def _conversion_radius(mid: np.ndarray, rad: np.ndarray | float) -> np.ndarray:
    """Radii of :func:`as_nball`: float() rounds to nearest, |r - fl(r)| <= u r, so r <= fl(r) (1 + 2u);
    likewise the midpoint."""
    return upper(rad * (1 + 4 * U) + 2 * U * abs1(mid) + 4 * ETA, 6)


def exact_floats(values: np.ndarray) -> NBall:
    """The NBall that :func:`as_nball` gives for a ball matrix holding exactly the floats ``values``
    (radius 0): the same radii, so a registered matrix (:func:`register`) and its conversion give
    the same products, and results do not depend on the state of the cache."""
    mid = np.array(values, dtype=float)
    rad = _conversion_radius(mid, 0.0)
    rad[mid == 0] = 0.0
    return NBall(mid, rad)


def nadd(x, y) -> NBall:
    x, y = as_nball(x), as_nball(y)
    mid = x.mid + y.mid
    return NBall(mid, upper(x.rad + y.rad + U * abs1(mid), 3))


def nmul(x, y) -> NBall:
    """Entrywise product (numpy broadcasting: an n x 1 column multiplies every column). A product with an
    exact zero (midpoint 0, radius 0) whose midpoint comes out 0 is an exact zero (radius 0): every point
    of the other ball is a real number, its product with 0 is 0, and ``fl(0 w) = 0`` exactly (a non-finite
    ``w`` gives a nan midpoint, which keeps its radius); so ``s'(x) o I`` stays diagonal (:func:`diagonal`)."""
    x, y = as_nball(x), as_nball(y)
    ax, ay = abs1(x.mid), abs1(y.mid)
    mid = x.mid * y.mid
    s = 5 * U * (ax * ay)                       # ax ay first: 5 U ax may underflow
    xr, yr = x.rad.any(), y.rad.any()           # a radius that is 0 everywhere: its terms are 0 (or nan with an
    if yr:                                      # inf midpoint, whose 5 U ax ay is inf: not finite either way)
        s = s + ax * y.rad
    if xr:
        s = s + x.rad * ay
    if xr and yr:
        s = s + x.rad * y.rad
    rad = upper(s + 2 * ETA, 8)
    zero = _exact_zeros(x) | _exact_zeros(y)
    if zero is not False:
        rad = np.where(zero & (mid == 0), 0.0, rad)
    return NBall(mid, rad)


def _exact_zeros(x: NBall) -> np.ndarray | bool:
    """Where x is an exact zero (midpoint and radius 0); False when nowhere (the usual case, one pass)."""
    if np.all(x.rad) or np.all(x.mid):
        return False
    z = (x.mid == 0) & (x.rad == 0)
    return z if z.any() else False


_DATA: dict[int, tuple] = {}
#: matrices kept in _DATA (the oldest is dropped first: a system's W and b, registered together, stay)
DATA_ENTRIES = 16


def _keep(A: arb_mat, value: NBall) -> None:
    while len(_DATA) >= DATA_ENTRIES:
        del _DATA[next(iter(_DATA))]
    _DATA[id(A)] = (A, value)        # the reference keeps id(A) from being reused


def _data(A: arb_mat) -> NBall:
    """A (constant data) matrix as an NBall, converted once per matrix object."""
    hit = _DATA.get(id(A))
    if hit is None or hit[0] is not A:
        hit = (A, as_nball(A))
        _keep(A, hit[1])
    return hit[1]


def register(A: arb_mat, value: NBall) -> None:
    """Let ``value`` stand for the data matrix A in products (instead of converting A entry by entry).
    The caller vouches that ``value`` is what :func:`as_nball` gives for A: e.g. A built from binary
    floats, which it holds exactly, and ``value = exact_floats(those floats)`` (``System.ball``)."""
    _keep(A, value)


def diagonal(x: NBall) -> NBall | None:
    """The diagonal of the square ball matrix x as a 1 x n row, when every entry off the diagonal is an
    exact 0 (midpoint 0, radius 0; a nan counts as nonzero); else None."""
    mid, rad = x.mid, x.rad
    if mid.ndim != 2 or mid.shape[0] != mid.shape[1] or mid.shape[0] < 2:
        return None
    d, dr = np.diagonal(mid), np.diagonal(rad)
    if np.count_nonzero(mid) != np.count_nonzero(d) or np.count_nonzero(rad) != np.count_nonzero(dr):
        return None
    return NBall(d[None, :], dr[None, :])


def nmatmul(A: arb_mat, x: NBall) -> NBall:
    """``A x`` for a real ball matrix A (module docstring). A diagonal x (:func:`diagonal`, e.g. ``s'(x) o I``)
    gives ``(A x)_ij = A_ij x_jj``: column j of A times one ball, by :func:`nmul` (O(n^2), not O(n^3))."""
    a = _data(A)
    k = a.mid.shape[1]
    d = diagonal(x) if k == x.mid.shape[0] else None
    if d is not None:
        return nmul(a, d)
    if np.iscomplexobj(x.mid):
        m = x.mid.shape[1]
        both = a.mid @ np.concatenate([x.mid.real, x.mid.imag], axis=1)
        mid = both[:, :m] + 1j * both[:, m:]
    else:
        mid = a.mid @ x.mid
    ax = abs1(x.mid)
    rad = np.abs(a.mid) @ upper(gamma(k) * ax + x.rad, 2)
    if np.any(a.rad):
        rad = rad + a.rad @ upper(ax + x.rad, 1)
    return NBall(mid, upper(rad + 2 * k * ETA, 2 * k + 6))


def nprod(x: NBall, y: NBall) -> NBall:
    """Matrix product of two ball matrices (real or complex), inner dimension k: ``fl(xm ym)`` with
    fpbounds.cmatmul's Lemma-1 error ``2 gamma_2k |xm|_1 |ym|_1 + 2 u |fl|_1 + 4 k eta``, plus
    ``|xm| r_y + r_x (|ym| + r_y)``; both terms with the factor |ym|_1 in one product
    ``(2 gamma_2k |xm|_1 + r_x) |ym|_1`` (non-negative terms regrouped: the same exact sum, bounded
    by Lemma 2), the factor rounded up first (as in :func:`nmatmul`: ``2 gamma |xm|`` may underflow
    to 0 for a subnormal ``xm``, and Lemma 2's additive eta does not survive the multiplication by a
    large ``|ym|``), and the r_y term only when y has a nonzero radius."""
    k = x.mid.shape[1]
    mid = real_matmul(x.mid, y.mid)
    ax = abs1(x.mid)
    rad = upper(2 * gamma(2 * k) * ax + x.rad, 2) @ abs1(y.mid) + 2 * U * abs1(mid) + 4 * k * ETA
    if np.any(y.rad):
        rad = rad + (ax + x.rad) @ y.rad
    return NBall(mid, upper(rad, 2 * k + 10))


def column_dots(L: NBall, X: NBall) -> tuple[np.ndarray, np.ndarray]:
    """``sum_i L_ij X_ij`` for every column j: midpoints and radii."""
    p = nmul(L, X)
    k = p.mid.shape[0]
    mid = p.mid.sum(axis=0)
    return mid, upper(p.rad.sum(axis=0) + gamma(k) * abs1(p.mid).sum(axis=0), 2 * k + 4)


def column_norms2(X: NBall) -> tuple[np.ndarray, np.ndarray]:
    """``sum_i |X_ij|^2`` for every column j: for ``|x - z| <= r``, ``|x|^2 - |z|^2`` lies in
    ``[-2|z| r, 2|z| r + r^2]``; ``|z|^2 = Re^2 + Im^2`` is rounded at most three times."""
    z, r = X.mid, X.rad
    p = z.real * z.real + z.imag * z.imag if np.iscomplexobj(z) else z * z
    k = z.shape[0]
    mid = p.sum(axis=0)
    return mid, upper(gamma(k + 3) * p.sum(axis=0) + (2 * abs1(z) * r + r * r).sum(axis=0), 2 * k + 6)


def widen(x: NBall, k: int) -> NBall:
    """An n x 1 NBall repeated k times."""
    return NBall(np.repeat(x.mid, k, axis=1), np.repeat(x.rad, k, axis=1))


def hstack(cols: list[NBall]) -> NBall:
    return NBall(np.concatenate([c.mid for c in cols], axis=1), np.concatenate([c.rad for c in cols], axis=1))


def column(x: NBall, j: int) -> NBall:
    return NBall(x.mid[:, j:j + 1], x.rad[:, j:j + 1])


def interval(x: NBall) -> tuple[np.ndarray, np.ndarray]:
    """Float end points ``lo <= hi`` of the real ball matrix x (module docstring)."""
    return np.nextafter(x.mid - x.rad, -np.inf), np.nextafter(x.mid + x.rad, np.inf)


def from_interval(lo: np.ndarray, hi: np.ndarray) -> NBall:
    """The real ball matrix holding ``[lo, hi]`` entrywise (module docstring)."""
    mid = 0.5 * lo + 0.5 * hi                     # halves first: no overflow
    return NBall(mid, np.nextafter(np.maximum(mid - lo, hi - mid), np.inf))


def intersect(x: NBall, y: NBall) -> NBall:
    """A real ball matrix holding the intersection of x and y (x where they do not meet: the
    caller intersects enclosures of one point, which always meet)."""
    (xl, xh), (yl, yh) = interval(x), interval(y)
    lo, hi = np.maximum(xl, yl), np.minimum(xh, yh)
    if not np.all(lo <= hi):
        return x
    return from_interval(lo, hi)


def to_acb(mid: complex, rad: float) -> acb:
    """The complex box holding the disc ``mid +- rad``."""
    return acb(arb(float(np.real(mid)), float(rad)), arb(float(np.imag(mid)), float(rad)))
