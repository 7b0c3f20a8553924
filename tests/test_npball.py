"""Numpy ball matrices (symhopf.runtime.npball): every result holds the exact value for points
of the input balls (checked at 400 bits, where these float computations are exact)."""
from __future__ import annotations

import numpy as np
from flint import acb, acb_mat, arb, arb_mat, ctx
from hypothesis import given, settings, strategies as st

from symhopf.runtime.npball import (NBall, as_nball, column_dots, column_norms2, diagonal, nadd, nmatmul, nmul, nprod)

HYP = settings(max_examples=40, deadline=None)
HI = 400


@st.composite
def nball(draw, rows, cols, cplx=True):
    """A ball matrix and a point in it (radii from 0 to ~1e-3 relative; moderate exponents)."""
    def arr():
        v = draw(st.lists(st.floats(-1, 1), min_size=rows * cols, max_size=rows * cols))
        e = draw(st.lists(st.integers(-20, 20), min_size=rows * cols, max_size=rows * cols))
        return np.array([x * 2.0 ** k for x, k in zip(v, e)]).reshape(rows, cols)
    mid = arr() + 1j * arr() if cplx else arr()
    rad = np.abs(arr()) * 1e-3
    t = np.array(draw(st.lists(st.floats(-1, 1), min_size=rows * cols, max_size=rows * cols))).reshape(rows, cols)
    point = mid + 0.5 * t * rad * (1 + 1j if cplx else 1) / 1.5      # |point - mid| <= rad
    return NBall(mid, rad), point


def exact(M: np.ndarray):
    """The float matrix as exact python-flint balls at HI bits."""
    n, k = M.shape
    if np.iscomplexobj(M):
        return acb_mat(n, k, [acb(float(z.real), float(z.imag)) for z in M.ravel()])
    return arb_mat(n, k, [arb(float(z)) for z in M.ravel()])


def holds(ball: NBall, value) -> bool:
    """Every entry of the HI-bit value lies in the disc of the ball."""
    n, k = ball.mid.shape
    for i in range(n):
        for j in range(k):
            z = value[i, j] if not isinstance(value, (arb, acb)) else value
            d = acb(z) - acb(complex(ball.mid[i, j]))
            if not abs(d) <= arb(float(ball.rad[i, j])):
                return False
    return True


@HYP
@given(x=nball(3, 4), y=nball(3, 4))
def test_sum_and_product_hold_the_exact_values(x, y):
    (X, xp), (Y, yp) = x, y
    with ctx.workprec(HI):
        ex, ey = exact(xp), exact(yp)
        assert holds(nadd(X, Y), ex + ey)
        prod = acb_mat(3, 4, [ex[i, j] * ey[i, j] for i in range(3) for j in range(4)])
        assert holds(nmul(X, Y), prod)


@HYP
@given(x=nball(3, 1, cplx=False), y=nball(3, 4))
def test_a_column_broadcasts_over_the_columns(x, y):
    (X, xp), (Y, yp) = x, y
    with ctx.workprec(HI):
        ex, ey = exact(xp), exact(yp)
        prod = acb_mat(3, 4, [ex[i, 0] * ey[i, j] for i in range(3) for j in range(4)])
        assert holds(nmul(X, Y), prod)


@HYP
@given(A=nball(4, 5, cplx=False), x=nball(5, 3))
def test_matrix_product_with_a_ball_matrix(A, x):
    (An, Ap), (X, xp) = A, x
    with ctx.workprec(53):
        Aball = An.to_mat()                        # the python-flint ball holding An
    with ctx.workprec(HI):
        assert holds(nmatmul(Aball, X), acb_mat(exact(Ap)) * exact(xp))


@HYP
@given(l=nball(6, 3), x=nball(6, 3))
def test_column_dots_and_norms(l, x):
    (L, lp), (X, xp) = l, x
    mid, rad = column_dots(L, X)
    nm, nr = column_norms2(X)
    with ctx.workprec(HI):
        el, ex = exact(lp), exact(xp)
        for j in range(3):
            dot = sum((el[i, j] * ex[i, j] for i in range(6)), acb(0))
            assert abs(dot - acb(complex(mid[j]))) <= arb(float(rad[j]))
            nrm = sum((abs(ex[i, j]) ** 2 for i in range(6)), arb(0))
            assert abs(nrm - arb(float(nm[j]))) <= arb(float(nr[j]))


def test_conversion_holds_every_ball_and_round_trips():
    with ctx.workprec(106):
        m = acb_mat([[acb(arb("0.1", 1e-20), arb("-1/3")), acb(arb(2) ** -600, 0)],
                     [acb(arb("1e-300"), arb("7")), acb(arb(0), arb(0, 1e-9))]])
        nb = as_nball(m)
        back = nb.to_mat()
        assert all(back[i, j].contains(m[i, j]) for i in range(2) for j in range(2))
    z = as_nball(arb_mat(2, 1))
    assert z.is_exact_zero() and not as_nball(arb_mat([[arb(0, 1e-30)], [0]])).is_exact_zero()


@HYP
@given(x=nball(3, 4), y=nball(4, 2))
def test_product_of_two_ball_matrices(x, y):
    (X, xp), (Y, yp) = x, y
    with ctx.workprec(HI):
        assert holds(nprod(X, Y), exact(xp) * exact(yp))


@st.composite
def wide_nball(draw, rows, cols, cplx):
    """Entries from 2^-540 to 2^500 (products underflow to subnormals or reach 2^1000), radii 0 or
    relative up to 2^-10: the a-priori bounds' eta and gamma terms are both exercised."""
    def arr():
        v = draw(st.lists(st.floats(-1, 1), min_size=rows * cols, max_size=rows * cols))
        e = draw(st.lists(st.integers(-540, 500), min_size=rows * cols, max_size=rows * cols))
        return np.array([x * 2.0 ** k for x, k in zip(v, e)]).reshape(rows, cols)
    mid = arr() + 1j * arr() if cplx else arr()
    rad = np.abs(mid) * draw(st.sampled_from([0.0, 2.0 ** -40, 2.0 ** -10]))
    t = np.array(draw(st.lists(st.floats(-1, 1), min_size=rows * cols, max_size=rows * cols))).reshape(rows, cols)
    return NBall(mid, rad), mid + 0.5 * t * rad


@HYP
@given(x=wide_nball(3, 5, False), y=wide_nball(5, 2, True), z=wide_nball(5, 2, False))
def test_product_with_tiny_and_huge_entries_holds_the_exact_value(x, y, z):
    (X, xp), (Y, yp), (Z, zp) = x, y, z
    with ctx.workprec(2200):                      # exact for these exponents
        for B, bp in ((Y, yp), (Z, zp)):
            P = nprod(X, B)
            assert holds(P, acb_mat(exact(xp)) * acb_mat(exact(bp)))


@HYP
@given(x=nball(4, 3, cplx=False), lo=st.floats(-1, 1), w=st.floats(0, 1e-3))
def test_intervals_round_trip_and_intersect(x, lo, w):
    from symhopf.runtime.npball import from_interval, interval, intersect
    X, xp = x
    a, b = interval(X)
    assert np.all(a <= xp) and np.all(xp <= b)
    back = from_interval(a, b)
    with ctx.workprec(HI):
        assert holds(back, exact(xp))
        mid = xp + w * lo                          # |mid - xp| <= w + half an ulp of mid: r rounded up
        other = NBall(mid, np.nextafter(w + 2 * np.spacing(np.abs(mid)), np.inf))   # holds xp as well
        assert holds(intersect(X, other), exact(xp))


@st.composite
def diagonal_nball(draw, n, cplx):
    """A diagonal ball matrix (off the diagonal exact zeros) with wide exponents, and a point in it."""
    v = draw(st.lists(st.floats(-1, 1), min_size=n, max_size=n))
    e = draw(st.lists(st.integers(-540, 500), min_size=n, max_size=n))
    d = np.array([x * 2.0 ** k for x, k in zip(v, e)])
    d = d + 1j * d[::-1] if cplx else d
    r = np.abs(d) * draw(st.sampled_from([0.0, 2.0 ** -40, 2.0 ** -10]))
    t = np.array(draw(st.lists(st.floats(-1, 1), min_size=n, max_size=n)))
    return NBall(np.diag(d), np.diag(r)), np.diag(d + 0.5 * t * r)


@HYP
@given(A=wide_nball(5, 5, False), x=diagonal_nball(5, False), y=diagonal_nball(5, True))
def test_product_with_a_diagonal_ball_matrix_holds_the_exact_value(A, x, y):
    """nmatmul's diagonal shortcut (A_ij x_jj by nmul) against the exact product, real and complex x."""
    (An, Ap), (X, xp), (Y, yp) = A, x, y
    assert diagonal(X) is not None and diagonal(Y) is not None
    with ctx.workprec(53):
        Aball = An.to_mat()
    with ctx.workprec(2200):
        for B, bp in ((X, xp), (Y, yp)):
            P = nmatmul(Aball, B)
            assert holds(P, acb_mat(exact(Ap)) * acb_mat(exact(bp)))
            assert np.all(P.rad[P.mid == 0] >= 0)


def test_diagonal_needs_exact_zeros_off_the_diagonal():
    n = 4
    assert diagonal(NBall(np.eye(n), 0.0)) is not None
    mid = np.eye(n)
    rad = np.zeros((n, n))
    rad[0, 1] = 2.0 ** -1074                           # a subnormal radius off the diagonal: not diagonal
    assert diagonal(NBall(mid, rad)) is None
    mid2 = np.eye(n)
    mid2[2, 3] = np.nan                                # nan off the diagonal: not diagonal
    assert diagonal(NBall(mid2, 0.0)) is None
    assert diagonal(NBall(np.eye(n)[:, :3], 0.0)) is None


def test_exact_zeros_stay_exact_and_non_finite_factors_do_not():
    """0 (exact) times a ball is an exact 0; times inf or nan the midpoint is nan: never a finite wrong ball."""
    d = NBall(np.array([[0.0], [2.0], [0.0]]), np.array([[0.0], [1e-20], [1e-30]]))
    Y = NBall(np.array([[np.inf, 1.0], [3.0, -1.0], [5.0, 0.0]]), np.array([[0.0, 0.0], [0.5, 0.0], [0.0, 0.0]]))
    P = nmul(d, Y)
    assert np.isnan(P.mid[0, 0])                       # 0 * inf: nan, not a finite 0
    assert P.mid[0, 1] == 0 and P.rad[0, 1] == 0       # exact 0 times a finite ball
    assert P.rad[2, 0] > 0 and P.rad[2, 1] == 0        # 0 +- 1e-30 is not an exact zero (times 5); Y's 0 is
    with ctx.workprec(HI):
        assert holds(NBall(P.mid[1:2], P.rad[1:2]), arb_mat([[arb(2) * 3, arb(-2)]]))
        assert holds(NBall(P.mid[1:2], P.rad[1:2]), arb_mat([[(arb(2) + arb(1e-20)) * (3 - arb(0.5)), -2 - arb(1e-20)]]))
        assert holds(NBall(P.mid[2:], P.rad[2:]), arb_mat([[arb(1e-30) * 5, 0]]))
    Q = nmul(NBall(np.array([[np.nan]]), 0.0), NBall(np.array([[0.0]]), 0.0))
    assert np.isnan(Q.mid[0, 0])


def test_small_real_conversion_is_the_array_conversion():
    """as_nball of a real matrix of at most 64 entries (converted entry by entry in Python floats) gives the
    floats of the array formula (_conversion_radius, exact zeros kept exact) bit for bit, at 53 and 128 bits,
    with zeros, -0, nan, inf, overflowing and subnormal midpoints and radii; and each ball holds the entry."""
    from symhopf.runtime import npball as nb
    rng = np.random.default_rng(3)
    specials = [arb(0), arb(0, 1e-300), arb("nan"), arb("inf"), arb(-0.0), arb(1e308) * 10, arb(5e-324),
                arb(0, 5e-324), arb(1) / 3, arb(1e-310, 1e-320)]
    for prec in (53, 128):
        with ctx.workprec(prec):
            for _ in range(400):
                n, k = (int(v) for v in rng.integers(1, 9, 2))
                ents = [specials[rng.integers(len(specials))] if rng.integers(0, 4) == 0 else
                        arb(float(rng.standard_normal() * 10.0 ** rng.integers(-300, 300)),
                            float(abs(rng.standard_normal()) * 10.0 ** rng.integers(-320, 10))) / 3
                        for _ in range(n * k)]
                m = arb_mat(n, k, ents)
                with np.errstate(all="ignore"):
                    mid = np.array([float(e) for e in ents]).reshape(n, k)
                    rad = nb._conversion_radius(mid, np.array([float(e.rad()) for e in ents]).reshape(n, k))
                for i in np.flatnonzero((mid == 0).ravel()):
                    if ents[i].is_zero():
                        rad.flat[i] = 0.0
                got = as_nball(m)
                assert n * k <= nb._SMALL
                for want, have in ((mid, got.mid), (rad, got.rad)):
                    assert np.array_equal(want, have, equal_nan=True) and np.array_equal(np.signbit(want), np.signbit(have))
                for e, c, r in zip(ents, got.mid.ravel(), got.rad.ravel()):
                    if np.isfinite(c) and np.isfinite(r):
                        assert arb(float(c), float(r)).contains(e)
