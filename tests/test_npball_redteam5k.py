"""Red team (session 5k) on npball's new shortcuts: diagonal ball matrices multiplied in O(n^2)
(``diagonal`` / ``nmatmul``), exact zeros kept exact under ``nmul``, ``nmul`` skipping the terms of a
radius that is 0 everywhere, ``NBall * +-1`` as a sign change, radii by ``fpbounds.upper`` (no nextafter).
Ground truth: exact Fractions of the balls' end points (every vertex of a product of real balls, which
holds the extremes entrywise), never the code under test."""
import itertools
from fractions import Fraction as F

import numpy as np
import pytest
from flint import arb, arb_mat

from symhopf.runtime import npball as nb
from symhopf.runtime.npball import NBall

TINY = 5e-324
BIG = 2.0 ** 1000
ADVERSARIAL = [0.0, -0.0, TINY, -TINY, 2.0 ** -1060, 2.2250738585072014e-308, 1e-300, 1.0 / 3, -1.0, 1.0,
               1e300, -BIG, 2.0 ** 1020]


def _inside(value: F, mid: float, rad: float) -> bool:
    if not (np.isfinite(mid) and np.isfinite(rad)):
        return True                      # a non-finite ball claims nothing (callers refuse it)
    return abs(value - F(mid)) <= F(rad)


def _corners(m: float, r: float):
    return {F(m) - F(r), F(m) + F(r)} if r else {F(m)}


def _assert_entrywise_product(x: NBall, y: NBall, p: NBall) -> None:
    xm, xr = np.broadcast_arrays(x.mid, x.rad)
    ym, yr = np.broadcast_arrays(y.mid, y.rad)
    xm, xr, ym, yr = (np.broadcast_to(a, p.mid.shape) for a in (xm, xr, ym, yr))
    for idx in np.ndindex(p.mid.shape):
        for cx in _corners(float(xm[idx]), float(xr[idx])):
            for cy in _corners(float(ym[idx]), float(yr[idx])):
                assert _inside(cx * cy, float(p.mid[idx]), float(p.rad[idx])), (idx, cx, cy, p.mid[idx], p.rad[idx])


# --------------------------------------------------------------------------- nmul: exact zeros, skipped radii
@pytest.mark.parametrize("a", ADVERSARIAL)
@pytest.mark.parametrize("b", ADVERSARIAL)
def test_nmul_of_adversarial_exact_floats_holds_the_exact_product(a, b):
    """Exact (radius 0) balls at the ends of the float range: the product's ball holds the exact product
    (no radius term left out because both radii are 0 everywhere; underflow of ``5 u |a| |b|`` paid by eta)."""
    x, y = NBall(np.array([[a, 1.0]]), 0.0), NBall(np.array([[b, TINY]]), 0.0)
    with np.errstate(all="ignore"):
        p = nb.nmul(x, y)
    _assert_entrywise_product(x, y, p)


def test_nmul_tiny_nonzero_is_never_taken_for_an_exact_zero():
    """An entry 2^-1074 (or a zero midpoint with radius 2^-1074) next to exact zeros: its product with a
    huge ball must keep its radius; only midpoint 0 AND radius 0 is an exact zero."""
    x = NBall(np.array([[0.0, TINY, 0.0, -0.0]]), np.array([[0.0, 0.0, TINY, 0.0]]))
    y = NBall(np.array([[BIG, BIG, BIG, BIG]]), np.array([[BIG, 1.0, 0.0, 1.0]]))
    with np.errstate(all="ignore"):
        p = nb.nmul(x, y)
    _assert_entrywise_product(x, y, p)
    assert p.rad[0, 0] == 0 and p.rad[0, 3] == 0          # exact zeros stay exact
    assert p.rad[0, 2] >= TINY * BIG                     # 0 +- eta times BIG: not exact


def test_nmul_broadcast_column_with_exact_zeros():
    """An n x 1 column with an exact zero times an n x k matrix (broadcast): row of the zero exact 0, the
    other rows hold every vertex product."""
    c = NBall(np.array([[0.0], [TINY], [3.0]]), np.array([[0.0], [0.0], [1e-300]]))
    M = NBall(np.array([[1e308, -2.0], [1e300, 1e-10], [-1.0, 0.0]]), np.array([[1e300, 0.0], [0.0, 1.0], [0.0, 0.0]]))
    with np.errstate(all="ignore"):
        p = nb.nmul(c, M)
        q = nb.nmul(M, c)
    _assert_entrywise_product(c, M, p)
    _assert_entrywise_product(M, c, q)
    assert not np.any(p.rad[0]) and not np.any(p.mid[0])


def test_nmul_exact_zero_times_non_finite_is_not_an_exact_zero():
    """0 times an inf midpoint is nan (never a claimed exact 0); 0 times a ball with an infinite radius
    is 0 (every point of the ball is real)."""
    with np.errstate(all="ignore"):
        p = nb.nmul(NBall(np.array([[0.0, 0.0, 0.0]]), 0.0),
                    NBall(np.array([[np.inf, np.nan, 1.0]]), np.array([[0.0, 0.0, np.inf]])))
    assert np.isnan(p.mid[0, 0]) and np.isnan(p.mid[0, 1])
    assert p.mid[0, 2] == 0


def test_nmul_complex_exact_zero_and_tiny_imaginary_part():
    """Complex: 0 + 0j exact stays exact; 0 + 2^-1074 j is not a zero."""
    x = NBall(np.array([[0j, complex(0, TINY)]]), 0.0)
    y = NBall(np.array([[complex(BIG, BIG), complex(BIG, -BIG)]]), np.array([[1.0, 1.0]]))
    with np.errstate(all="ignore"):
        p = nb.nmul(x, y)
    assert p.rad[0, 0] == 0 and p.mid[0, 0] == 0
    exact = F(TINY) * F(BIG)                     # (i eta)(B - i B) = eta B + i eta B, plus i eta * radius ball
    z = p.mid[0, 1]
    dist = max(abs(exact - F(z.real)), abs(exact - F(z.imag)))
    assert dist + F(TINY) <= F(p.rad[0, 1])


@pytest.mark.parametrize("c", [1, -1, 1.0, -1.0, np.float64(-1.0), True])
def test_nball_times_unit_is_the_sign_change(c):
    x = NBall(np.array([[TINY, -BIG, 0.0]]), np.array([[0.0, 1.0, TINY]]))
    p = x * c
    assert np.array_equal(p.mid, x.mid * float(c)) and np.array_equal(p.rad, x.rad)
    q = c * x
    assert np.array_equal(q.mid, x.mid * float(c))


@pytest.mark.parametrize("c", [np.nextafter(1.0, 2.0), np.nextafter(-1.0, 0.0), 1 + 2 ** -52])
def test_nball_times_almost_unit_is_a_rounded_product(c):
    """A scalar one ulp from +-1 is not the sign change: the product's ball holds the exact product."""
    x = NBall(np.array([[1.0 / 3, -BIG, TINY]]), 0.0)
    p = x * c
    _assert_entrywise_product(x, NBall(np.array([[c]]), 0.0), p)


# --------------------------------------------------------------------------- diagonal shortcut in nmatmul
def _vertices(m: np.ndarray, r: np.ndarray, rng, count: int):
    yield [[F(v) for v in row] for row in m]
    for _ in range(count):
        s = rng.choice([-1, 1], size=m.shape)
        yield [[F(float(m[i, j])) + s[i, j] * F(float(r[i, j])) for j in range(m.shape[1])] for i in range(m.shape[0])]


def _exact_mat(rows_a, rows_b):
    n, k, m = len(rows_a), len(rows_b), len(rows_b[0])
    return [[sum((rows_a[i][l] * rows_b[l][j] for l in range(k)), F(0)) for j in range(m)] for i in range(n)]


def _assert_matmul(Am, Ar, x: NBall, p: NBall, seed=0):
    rng = np.random.default_rng(seed)
    As = list(_vertices(Am, Ar, rng, 6))
    Xs = list(_vertices(x.mid, np.broadcast_to(x.rad, x.mid.shape), rng, 6))
    for Av in As:
        for Xv in Xs:
            E = _exact_mat(Av, Xv)
            for i, j in itertools.product(range(p.mid.shape[0]), range(p.mid.shape[1])):
                assert _inside(E[i][j], float(p.mid[i, j]), float(p.rad[i, j])), (i, j)


def _arb(Am, Ar):
    return arb_mat(Am.shape[0], Am.shape[1], [arb(float(m), float(r)) for m, r in zip(Am.ravel(), Ar.ravel())])


CASES = {
    "one off-diagonal radius": (np.diag([2.0, 3.0, 5.0]), np.array([[0, 0, 0], [0, 0, 1e-20], [0, 0, 0]], float)),
    "one off-diagonal eta": (np.diag([2.0, 3.0, 5.0]) + np.array([[0, TINY, 0], [0, 0, 0], [0, 0, 0]]), np.zeros((3, 3))),
    "negative zeros off the diagonal": (np.array([[1.0, -0.0, 0.0], [-0.0, BIG, -0.0], [0.0, 0.0, TINY]]), np.zeros((3, 3))),
    "zero diagonal entry": (np.diag([0.0, 3.0, -7.0]), np.diag([0.0, 1.0, 0.0])),
    "tiny diagonal, huge data": (np.diag([TINY, 2.0 ** -1000, 1.0]), np.diag([TINY, 0.0, 2.0 ** -60])),
    "nan off the diagonal": (np.diag([1.0, 2.0, 3.0]) + np.array([[0, 0, np.nan], [0, 0, 0], [0, 0, 0]]), np.zeros((3, 3))),
}


@pytest.mark.parametrize("name", list(CASES))
def test_nmatmul_of_diagonal_looking_matrices_holds_every_vertex_product(name):
    """A diagonal x takes the O(n^2) path; a matrix that merely looks diagonal (one off-diagonal radius, an
    off-diagonal 2^-1074) must take the full product; both hold the exact product at every vertex."""
    xm, xr = CASES[name]
    Am = np.array([[BIG, -1.0, 1.0 / 3], [1e-300, 2.0 ** 20, -5.0], [7.0, 0.0, TINY]])
    Ar = np.array([[0.0, 1e-30, 0.0], [0.0, 0.0, 1.0], [2.0 ** -50, 0.0, 0.0]])
    A = _arb(Am, Ar)
    Aa = nb.as_nball(A)
    x = NBall(xm, xr)
    with np.errstate(all="ignore"):
        p = nb.nmatmul(A, x)
    if np.any(np.isnan(xm)):
        assert nb.diagonal(x) is None
        return
    off = ~np.eye(3, dtype=bool)
    assert (nb.diagonal(x) is None) == bool(np.any(xm[off]) or np.any(xr[off]))
    _assert_matmul(Aa.mid, np.asarray(Aa.rad), x, p)


def test_diagonal_path_agrees_with_the_dense_product_on_random_balls():
    """The O(n^2) product and the dense one (an off-diagonal exact zero replaced by a radius-0 ... same
    set) both hold the vertex products; the diagonal one is not wider than the dense one by more than 2x."""
    rng = np.random.default_rng(5)
    n = 5
    Am = rng.standard_normal((n, n)) * np.exp2(rng.integers(-40, 40, (n, n)))
    Ar = np.abs(rng.standard_normal((n, n))) * 1e-12
    A = _arb(Am, Ar)
    d = rng.standard_normal(n)
    x = NBall(np.diag(d), np.diag(np.abs(d) * 1e-9))
    p = nb.nmatmul(A, x)
    Aa = nb.as_nball(A)
    _assert_matmul(Aa.mid, np.asarray(Aa.rad), x, p, seed=1)
    xd = NBall(np.diag(d), np.diag(np.abs(d) * 1e-9) + np.where(np.eye(n) > 0, 0.0, 2.0 ** -1074))
    assert nb.diagonal(xd) is None
    q = nb.nmatmul(A, xd)
    assert np.all(p.rad <= 2 * q.rad + 1e-300)


def test_diagonal_shortcut_with_a_complex_diagonal():
    """A complex diagonal ball matrix (s'(x) o I times a complex direction) through nmatmul."""
    Am = np.array([[1.0, -2.0], [BIG, 1.0 / 3]])
    A = _arb(Am, np.zeros((2, 2)))
    x = NBall(np.diag([complex(1, TINY), complex(-0.0, 3)]), np.diag([0.0, 1e-20]))
    p = nb.nmatmul(A, x)
    for (i, j) in itertools.product(range(2), range(2)):
        for s in (-1, 1):
            xv = F(x.mid[j, j].real), F(x.mid[j, j].imag)
            r = F(float(x.rad[j, j])) * s
            exact = (F(Am[i, j]) * (xv[0] + r), F(Am[i, j]) * xv[1])
            z = p.mid[i, j]
            assert abs(exact[0] - F(z.real)) + abs(exact[1] - F(z.imag)) <= F(float(p.rad[i, j])) * 2  # |.|_1 <= sqrt2 |.|
            assert max(abs(exact[0] - F(z.real)), abs(exact[1] - F(z.imag))) <= F(float(p.rad[i, j]))


# --------------------------------------------------------------------------- nprod / nadd at the float range ends
@pytest.mark.parametrize("scale", [2.0 ** -1070, 2.0 ** -540, 1.0, 2.0 ** 500])
def test_nprod_and_nadd_hold_vertex_products_across_the_range(scale):
    rng = np.random.default_rng(int(np.log2(scale)) + 2000)
    xm = rng.standard_normal((3, 4)) * scale
    xm[0, 1] = 0.0
    xr = np.abs(rng.standard_normal((3, 4))) * scale * 2.0 ** -30
    xr[0, 1] = 0.0
    ym = rng.standard_normal((4, 2)) * np.array([[1.0], [2.0 ** -40], [1.0], [3.0]])
    yr = np.zeros((4, 2))
    x, y = NBall(xm, xr), NBall(ym, yr)
    with np.errstate(all="ignore"):
        p = nb.nprod(x, y)
        s = nb.nadd(x, NBall(-xm, xr))
    rng2 = np.random.default_rng(9)
    for Xv in _vertices(xm, xr, rng2, 8):
        E = _exact_mat(Xv, [[F(v) for v in row] for row in ym])
        for i, j in itertools.product(range(3), range(2)):
            assert _inside(E[i][j], float(p.mid[i, j]), float(p.rad[i, j]))
    assert np.all(s.rad >= 2 * xr)


@pytest.mark.parametrize("big", [2.0 ** 1000, 1e300, 2.0 ** 60, 1.0])
def test_products_with_total_cancellation_hold_the_exact_value(big):
    """Rows that cancel to 0, or to 2^-1074, in nprod and nmatmul (dense and diagonal): the ball holds the
    exact value (Lemma 1's gamma_k |A| |B| term is what pays; a midpoint 0 is not an exact zero)."""
    Am = np.array([[big, -big, TINY], [big, big * (1 + 2.0 ** -52), -big], [1.0 / 3, -1.0 / 3, 0.0]])
    xm = np.array([[1.0, 0.0, 0.0], [1.0, -0.0, 0.0], [1.0, 0.0, 1.0]])
    with np.errstate(all="ignore"):
        for x in (NBall(xm, 0.0), NBall(np.eye(3) * np.array([1.0, 1.0, 2.0 ** -60]), 0.0)):
            p = nb.nprod(NBall(Am, 0.0), x)
            q = nb.nmatmul(_arb(Am, np.zeros((3, 3))), x)
            E = _exact_mat([[F(v) for v in row] for row in Am], [[F(v) for v in row] for row in x.mid])
            for r in (p, q):
                for i, j in itertools.product(range(3), range(3)):
                    assert _inside(E[i][j], float(r.mid[i, j]), float(r.rad[i, j])), (i, j)


def test_as_nball_of_values_below_and_above_the_float_range():
    """python-flint balls 2^-1100 (exact and with a radius), +-0 with a radius 2^-1075, 1/3 at 300 bits,
    2^1024 - 2^970 (rounds to inf): an enclosure (or a non-finite ball), never an exact zero for a
    nonzero ball."""
    from flint import ctx
    with ctx.workprec(300):
        t = arb(2) ** -1100
        vals = [t, -t, arb(0, t), arb(t, t), arb(0, arb(2) ** -1075), arb(1) / 3, arb(2) ** 1024 - arb(2) ** 970,
                arb(1, t), arb(0), arb(2) ** 1024 - arb(2) ** 970 - arb(2) ** 960,   # rounds down to the largest float
                -(arb(2) ** 1024 - arb(2) ** 970 - arb(2) ** 960)]
        b = nb.as_nball(arb_mat(1, len(vals), vals))
        for j, v in enumerate(vals):
            m, r = float(b.mid[0, j]), float(b.rad[0, j])
            if not (np.isfinite(m) and np.isfinite(r)):
                continue
            assert arb(m, r).contains(v), j
            assert r > 0 or v.is_zero(), j
