"""Red team (red17d) on i17d's numpy-ball lemmas: npball.nprod (merged error terms), interval /
from_interval / intersect, piece_spectrum._similar_factory (entrywise |V^-1 - Y| bound), _off_axis,
ball_solve.solve_refined_nb. Every true value is computed independently (Fractions, or mpmath at 120
digits); non-finite inputs must give a refusal or a non-finite ball, never a finite wrong ball."""
from __future__ import annotations

import warnings
from fractions import Fraction as F

import mpmath
import numpy as np
import pytest

from symhopf.proof.piece_spectrum import Eigenbasis, _off_axis, _similar_factory, moving_discs_ok
from symhopf.proof.ball_solve import solve_refined_nb
from symhopf.runtime.npball import NBall, from_interval, interval, intersect, nprod

ETA = 5e-324


def _fr(z):
    return F(float(z))


def _holds_real(true: F, mid: float, rad: float) -> bool:
    if not (np.isfinite(mid) and np.isfinite(rad)):
        return True                       # a non-finite ball claims nothing
    return abs(true - F(mid)) <= F(rad)


def _exact_prod(x: np.ndarray, y: np.ndarray) -> list[list[F]]:
    n, k = x.shape
    m = y.shape[1]
    return [[sum((F(x[i, l]) * F(y[l, j]) for l in range(k)), F(0)) for j in range(m)] for i in range(n)]


def _rand_wide(rng, shape, lo_e, hi_e, zeros=0.0):
    e = rng.integers(lo_e, hi_e, size=shape)
    v = rng.uniform(-2, 2, size=shape) * np.ldexp(1.0, e)
    v[rng.random(shape) < zeros] = 0.0
    return v


# ----------------------------------------------------------------------------- nprod
@pytest.mark.parametrize("seed", range(40))
def test_nprod_wide_exponents_contains_exact_product(seed):
    """Entries 2^-500..2^500 with exact zeros, midpoint radii 0 or tiny: exact rational products."""
    rng = np.random.default_rng(seed)
    n, k, m = rng.integers(1, 6, size=3)
    x = _rand_wide(rng, (n, k), -500, 500, zeros=0.3)
    y = _rand_wide(rng, (k, m), -500, 500, zeros=0.3)
    xr = np.zeros_like(x) if seed % 2 else np.abs(x) * 2.0 ** -60
    z = nprod(NBall(x, xr), NBall(y, 0.0))
    ex = _exact_prod(x, y)               # the midpoint product is one of the balls' products
    for i in range(n):
        for j in range(m):
            assert _holds_real(ex[i][j], z.mid[i, j], z.rad[i, j])


@pytest.mark.parametrize("seed", range(10))
def test_nprod_cancellation_normal_range(seed):
    """Two nearly cancelling products (no underflow): the Lemma-1 term must hold the rounding."""
    rng = np.random.default_rng(100 + seed)
    for _ in range(200):
        a = float(rng.uniform(1, 2)) * 2.0 ** int(rng.integers(-400, 0))
        b = float(rng.uniform(1, 2)) * 2.0 ** int(rng.integers(0, 400))
        b2 = b if rng.random() < 0.5 else float(np.nextafter(b, 0))
        x = np.array([[a, a * 3]])
        y = np.array([[b * 3], [-b2]])
        z = nprod(NBall(x, 0.0), NBall(y, 0.0))
        assert _holds_real(_exact_prod(x, y)[0][0], z.mid[0, 0], z.rad[0, 0])


def test_nprod_complex_wide():
    rng = np.random.default_rng(7)
    for _ in range(30):
        n, k = 3, 4
        xr, xi = _rand_wide(rng, (n, k), -300, 300, 0.2), _rand_wide(rng, (n, k), -300, 300, 0.2)
        yr, yi = _rand_wide(rng, (k, n), -300, 300, 0.2), _rand_wide(rng, (k, n), -300, 300, 0.2)
        z = nprod(NBall(xr + 1j * xi, 0.0), NBall(yr + 1j * yi, 0.0))
        for i in range(n):
            for j in range(n):
                re = sum(F(xr[i, l]) * F(yr[l, j]) - F(xi[i, l]) * F(yi[l, j]) for l in range(k))
                im = sum(F(xr[i, l]) * F(yi[l, j]) + F(xi[i, l]) * F(yr[l, j]) for l in range(k))
                d2 = (re - F(z.mid[i, j].real)) ** 2 + (im - F(z.mid[i, j].imag)) ** 2
                assert d2 <= F(z.rad[i, j]) ** 2


@pytest.mark.parametrize("expo", [60, 990])
def test_nprod_subnormal_times_huge_cancellation(expo):
    """Red team: the merged factor (2 gamma_2k |xm|_1 + r_x) was formed in floats before the product with
    |ym|_1; for a subnormal xm entry 2 gamma |xm| underflowed to 0, the Lemma-1 term gamma |xm| |ym| was
    lost for |ym| >= 2^60, and a cancelling sum missed its exact value (about half of 400 cases).
    The factor is now rounded up first, as in nmatmul."""
    a = 3 * ETA
    rng = np.random.default_rng(0)
    bad = 0
    for t in range(400):
        y1 = float(rng.uniform(1, 2)) * 2.0 ** expo
        y2 = y1 if t % 2 == 0 else float(np.nextafter(y1, 0))
        x, y = np.array([[a, a]]), np.array([[y1], [-y2]])
        z = nprod(NBall(x, 0.0), NBall(y, 0.0))
        bad += not _holds_real(_exact_prod(x, y)[0][0], z.mid[0, 0], z.rad[0, 0])
    assert bad == 0


def test_nprod_subnormal_times_moderate_is_fine():
    """Subnormals times moderate numbers: the additive eta terms cover underflow."""
    rng = np.random.default_rng(3)
    for _ in range(300):
        x = rng.integers(-50, 50, size=(2, 3)) * ETA
        y = rng.uniform(-4, 4, size=(3, 2))
        z = nprod(NBall(x, 0.0), NBall(y, 0.0))
        ex = _exact_prod(x, y)
        for i in range(2):
            for j in range(2):
                assert _holds_real(ex[i][j], z.mid[i, j], z.rad[i, j])


def test_nprod_nonfinite_never_finite_wrong():
    """Overflowing or nan/inf inputs: the ball is non-finite (never a finite ball missing the value)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = [(np.array([[1e308, 1e308, -1e308]]), np.ones((3, 1))),
                 (np.array([[np.nan, 1.0]]), np.ones((2, 1))),
                 (np.array([[np.inf, 1.0]]), np.array([[0.0], [1.0]])),
                 (np.array([[1e200, 1.0]]), np.array([[1e200], [1.0]]))]
        for x, y in cases:
            z = nprod(NBall(x, 0.0), NBall(y, 0.0))
            assert not (np.isfinite(z.mid[0, 0]) and np.isfinite(z.rad[0, 0]))


# ----------------------------------------------------------------------------- intervals
def test_interval_roundtrip_and_intersect_extremes():
    rng = np.random.default_rng(11)
    vals = [0.0, ETA, 3 * ETA, -ETA, 2.0 ** -1022, 1e308, -1e308, 1.0, 2.0 ** 500, 2.0 ** -500]
    for m in vals:
        for r in [0.0, ETA, abs(m) * 2.0 ** -52, abs(m), 1e-300]:
            x = NBall(np.array([[m]]), np.array([[r]]))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                lo, hi = interval(x)
            assert lo[0, 0] == -np.inf or F(lo[0, 0]) <= F(m) - F(r)
            assert hi[0, 0] == np.inf or F(hi[0, 0]) >= F(m) + F(r)
            if not (np.isfinite(lo[0, 0]) and np.isfinite(hi[0, 0])):
                continue
            b = from_interval(lo, hi)
            if np.isfinite(b.mid[0, 0]) and np.isfinite(b.rad[0, 0]):
                for p in (lo[0, 0], hi[0, 0]):
                    assert abs(F(p) - F(b.mid[0, 0])) <= F(b.rad[0, 0])
    for _ in range(500):
        p = float(rng.uniform(-1, 1)) * 2.0 ** int(rng.integers(-1074, 1000))
        r1, r2 = (float(rng.uniform(0, 1)) * abs(p) * 2.0 ** int(rng.integers(-60, 1)) for _ in range(2))
        s1, s2 = rng.uniform(-1, 1, size=2)
        x = NBall(np.array([[p + s1 * r1]]), np.array([[r1]]))
        y = NBall(np.array([[p + s2 * r2]]), np.array([[r2]]))
        for ball in (x, y):
            if not _holds_real(F(p), ball.mid[0, 0], ball.rad[0, 0]):
                break                                  # float rounding of p + s r moved p out: skip
        else:
            z = intersect(x, y)
            assert _holds_real(F(p), z.mid[0, 0], z.rad[0, 0])


def test_from_interval_subnormal_halving():
    for lo, hi in [(ETA, ETA), (3 * ETA, 3 * ETA), (-3 * ETA, ETA), (ETA, 7 * ETA), (-1e308, 1e308)]:
        b = from_interval(np.array([[lo]]), np.array([[hi]]))
        for p in (lo, hi):
            assert abs(F(p) - F(b.mid[0, 0])) <= F(b.rad[0, 0])


# ----------------------------------------------------------------------------- _similar_factory
def _mp_similar(X, V):
    mpmath.mp.dps = 120
    Vm = mpmath.matrix(V.tolist())
    return mpmath.inverse(Vm) * mpmath.matrix(X.tolist()) * Vm


@pytest.mark.parametrize("cond_exp", [2, 6, 10, 12, 14])
@pytest.mark.parametrize("cplx", [False, True])
def test_similar_factory_ill_conditioned(cond_exp, cplx):
    rng = np.random.default_rng(cond_exp + 50 * cplx)
    n = 5
    for _ in range(3):
        Q1, _r = np.linalg.qr(rng.normal(size=(n, n)))
        Q2, _r = np.linalg.qr(rng.normal(size=(n, n)))
        V = Q1 @ np.diag(np.logspace(0, -cond_exp, n)) @ Q2
        if cplx:
            V = V + 1j * (Q2 @ np.diag(np.logspace(0, -cond_exp, n)) @ Q1) * 0.5
        X = _rand_wide(rng, (n, n), -20, 20, zeros=0.2)
        sim = _similar_factory(V)
        if sim is None:
            continue                                   # refusal is allowed
        B = sim(NBall(X, 0.0))[0]
        T = _mp_similar(X, V)
        for i in range(n):
            for j in range(n):
                if np.isfinite(B.rad[i, j]):
                    assert abs(T[i, j] - mpmath.mpc(complex(B.mid[i, j]))) <= B.rad[i, j]


def test_similar_factory_wide_entries():
    """V with entries spanning 2^-200..2^200 (diagonal scaling keeps it well conditioned after scaling)."""
    rng = np.random.default_rng(5)
    n = 4
    for _ in range(10):
        Dg = np.diag(np.ldexp(1.0, rng.integers(-200, 200, size=n)))
        V = Dg @ (np.eye(n) + 0.3 * rng.normal(size=(n, n)))
        X = _rand_wide(rng, (n, n), -200, 200, 0.3)
        sim = _similar_factory(V)
        if sim is None:
            continue
        B = sim(NBall(X, 0.0))[0]
        T = _mp_similar(X, V)
        for i in range(n):
            for j in range(n):
                if np.isfinite(B.rad[i, j]) and np.isfinite(B.mid[i, j]):
                    assert abs(T[i, j] - mpmath.mpf(float(B.mid[i, j]))) <= B.rad[i, j]


def test_similar_factory_refuses_nonfinite_and_singular():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _similar_factory(np.array([[1.0, np.nan], [0.0, 1.0]])) is None
        assert _similar_factory(np.array([[1.0, np.inf], [0.0, 1.0]])) is None
        assert _similar_factory(np.array([[1.0, 1.0], [1.0, 1.0]])) is None
        assert _similar_factory(np.array([[1.0, 1.0], [1.0, 1.0 + 2.0 ** -52]])) is None


# ----------------------------------------------------------------------------- _off_axis
def test_off_axis_claims_are_true():
    """A disc claimed off iR: the exact real part of its centre +- (rad0 + h rad1 + rho) keeps a sign at s = +-h."""
    rng = np.random.default_rng(9)
    claims = 0
    for _ in range(400):
        n = 6
        a = _rand_wide(rng, (n,), -30, 30, 0.2)
        b = _rand_wide(rng, (n,), -30, 30, 0.2)
        # near-cancelling ends: a = h b (1 + tiny)
        h = float(2.0 ** int(rng.integers(-10, 3)))
        a[:3] = h * b[:3] * (1 + rng.choice([-1, 1], 3) * 2.0 ** -int(rng.integers(40, 53)))
        r0 = np.abs(a) * 2.0 ** -60 * rng.integers(0, 2, n)
        r1 = np.abs(b) * 2.0 ** -60 * rng.integers(0, 2, n)
        rho = np.abs(a) * 2.0 ** -55 * rng.integers(0, 2, n)
        B0 = NBall(np.diag(a + 0j), np.diag(r0))
        B1 = NBall(np.diag(b + 0j), np.diag(r1))
        off = _off_axis(B0, B1, h, rho)
        for p in np.flatnonzero(off):
            claims += 1
            w = F(r0[p]) + F(h) * F(r1[p]) + F(rho[p])
            ends = [F(a[p]) + s * F(h) * F(b[p]) for s in (-1, 1)]
            assert all(e > w for e in ends) or all(e < -w for e in ends)
    assert claims > 0


def test_off_axis_nan_never_claimed():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        B0 = NBall(np.diag([np.nan, 1.0, np.inf]) + 0j, 0.0)
        B1 = NBall(np.diag([1.0, np.nan, 0.0]) + 0j, 0.0)
        off = _off_axis(B0, B1, 0.5, np.zeros(3))
        assert not off[0] and not off[1] and not off[2]


# ----------------------------------------------------------------------------- solve_refined_nb
def _mp_solve(Ju, Jk):
    mpmath.mp.dps = 120
    return -(mpmath.lu_solve(mpmath.matrix(Ju.tolist()), mpmath.matrix(Jk.tolist())))


@pytest.mark.parametrize("cond_exp", [0, 4, 8, 11, 13, 15])
def test_solve_refined_ill_conditioned(cond_exp):
    rng = np.random.default_rng(20 + cond_exp)
    n = 6
    for trial in range(4):
        Q1, _r = np.linalg.qr(rng.normal(size=(n, n)))
        Q2, _r = np.linalg.qr(rng.normal(size=(n, n)))
        Ju = Q1 @ np.diag(np.logspace(0, -cond_exp, n)) @ Q2 * 2.0 ** int(rng.integers(-300, 300))
        Jk = _rand_wide(rng, (n, 1), -300, 300, 0.3)
        rad = 0.0 if trial % 2 == 0 else np.abs(Ju) * 2.0 ** -70
        z = solve_refined_nb(NBall(Ju, rad), NBall(Jk, 0.0))
        if z is None:
            continue
        t = _mp_solve(Ju, Jk)          # the midpoint system is one of the balls' systems
        for i in range(n):
            if np.isfinite(z.rad[i, 0]):
                assert abs(t[i] - mpmath.mpf(float(z.mid[i, 0]))) <= z.rad[i, 0]


def test_solve_refined_large_n():
    """n = 300: gamma_n terms and the refinement loop."""
    rng = np.random.default_rng(1)
    n = 300
    Ju = np.eye(n) * 4 + rng.normal(size=(n, n)) / np.sqrt(n)
    Jk = rng.normal(size=(n, 1))
    z = solve_refined_nb(NBall(Ju, 0.0), NBall(Jk, 0.0))
    assert z is not None
    mpmath.mp.dps = 40                    # residual check in exact rationals on the midpoint system
    zt = np.linalg.solve(Ju, -Jk)
    # exact residual r = Ju zt + Jk; true z = zt - Ju^-1 r with |Ju^-1 r| <= ||Ju^-1|| |r|
    r = [sum(F(Ju[i, j]) * F(zt[j, 0]) for j in range(n)) + F(Jk[i, 0]) for i in range(n)]
    rmax = max(abs(v) for v in r)
    inv_norm = F(float(np.linalg.norm(np.linalg.inv(Ju), np.inf))) * 2     # generous
    for i in range(n):
        d = abs(F(zt[i, 0]) - F(z.mid[i, 0]))
        assert d + inv_norm * rmax <= F(z.rad[i, 0])


def test_solve_refined_subnormal_and_zero_columns():
    """Tiny right sides (subnormal) and exact zeros next to tiny entries."""
    rng = np.random.default_rng(2)
    n = 4
    for _ in range(20):
        Ju = np.eye(n) + 0.2 * rng.normal(size=(n, n))
        Ju[0, 1] = 0.0
        Ju[1, 0] = ETA * 7
        Jk = rng.integers(-5, 6, size=(n, 1)) * ETA
        z = solve_refined_nb(NBall(Ju, 0.0), NBall(Jk, 0.0))
        assert z is not None
        t = _mp_solve(Ju, Jk)
        for i in range(n):
            assert abs(t[i] - mpmath.mpf(float(z.mid[i, 0]))) <= z.rad[i, 0]


def test_solve_refined_refuses_nonfinite():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        I2 = np.eye(2)
        assert solve_refined_nb(NBall(np.array([[1.0, np.nan], [0, 1]]), 0.0), NBall(np.ones((2, 1)), 0.0)) is None
        assert solve_refined_nb(NBall(np.array([[1.0, np.inf], [0, 1]]), 0.0), NBall(np.ones((2, 1)), 0.0)) is None
        assert solve_refined_nb(NBall(I2, np.array([[np.nan, 0], [0, 0]])), NBall(np.ones((2, 1)), 0.0)) is None
        assert solve_refined_nb(NBall(I2, 0.0), NBall(np.array([[np.nan], [1.0]]), 0.0)) is None
        assert solve_refined_nb(NBall(I2, 0.0), NBall(np.array([[np.inf], [1.0]]), 0.0)) is None
        assert solve_refined_nb(NBall(I2, 0.0), NBall(np.ones((2, 1)), np.array([[np.inf], [0]]))) is None
        assert solve_refined_nb(NBall(np.ones((2, 2)), 0.0), NBall(np.ones((2, 1)), 0.0)) is None


# ----------------------------------------------------------------------------- more nprod, bases
@pytest.mark.parametrize("cplx", [False, True])
def test_nprod_ball_vertices(cplx):
    """Points of both balls (corners mid +- rad, real and imaginary shifts): the exact product lies in the result."""
    rng = np.random.default_rng(30 + cplx)
    for _ in range(40):
        n, k, m = 2, 3, 2
        xm = _rand_wide(rng, (n, k), -100, 100, 0.3) + (1j * _rand_wide(rng, (n, k), -100, 100, 0.3) if cplx else 0)
        ym = _rand_wide(rng, (k, m), -100, 100, 0.3) + (1j * _rand_wide(rng, (k, m), -100, 100, 0.3) if cplx else 0)
        xr = np.abs(xm) * 2.0 ** -int(rng.integers(1, 50)) * rng.integers(0, 2, (n, k))
        yr = np.abs(ym) * 2.0 ** -int(rng.integers(1, 50)) * rng.integers(0, 2, (k, m))
        z = nprod(NBall(xm, xr), NBall(ym, yr))
        for _v in range(4):
            sx = rng.choice([-1, 1], (n, k)) * (1j if cplx and rng.random() < 0.5 else 1)
            sy = rng.choice([-1, 1], (k, m)) * (1j if cplx and rng.random() < 0.5 else 1)
            # exact points: mid + r * s (s a unit, exact in rationals)
            def pt(mid, r, sg, i, j):
                u = complex(sg[i, j])
                return (F(complex(mid[i, j]).real) + F(r[i, j]) * F(u.real),
                        F(complex(mid[i, j]).imag) + F(r[i, j]) * F(u.imag))
            for i in range(n):
                for j in range(m):
                    re, im = F(0), F(0)
                    for l in range(k):
                        a, b = pt(xm, xr, sx, i, l), pt(ym, yr, sy, l, j)
                        re += a[0] * b[0] - a[1] * b[1]
                        im += a[0] * b[1] + a[1] * b[0]
                    zc = complex(z.mid[i, j])
                    assert (re - F(zc.real)) ** 2 + (im - F(zc.imag)) ** 2 <= F(z.rad[i, j]) ** 2


def test_similar_factory_n40_complex():
    rng = np.random.default_rng(41)
    n = 40
    A = rng.normal(size=(n, n))
    _w, V = np.linalg.eig(A)
    X = rng.normal(size=(n, n))
    sim = _similar_factory(V)
    assert sim is not None
    B = sim(NBall(X, np.abs(X) * 2.0 ** -40))[0]
    mpmath.mp.dps = 60
    T = _mp_similar(X, V)
    for i in range(0, n, 3):
        for j in range(0, n, 3):
            assert abs(T[i, j] - mpmath.mpc(complex(B.mid[i, j]))) <= B.rad[i, j]


@pytest.mark.parametrize("n, cplx", [(3, False), (12, True), (40, True)])
def test_similar_factory_stacked_pair_holds_points_of_both_balls(n, cplx):
    """``sim(X0, X1)`` (one stacked product) holds ``V^-1 X' V`` at 60 digits for points X' of either ball
    (corners and random points), and the cached factory (same V object) gives the same enclosures as a fresh one."""
    rng = np.random.default_rng(n)
    V = np.linalg.eig(rng.normal(size=(n, n)))[1] if cplx else np.eye(n) + 0.3 * rng.normal(size=(n, n))
    X0, X1 = rng.normal(size=(n, n)), 1e3 * rng.normal(size=(n, n))
    R0, R1 = np.abs(X0) * 2.0 ** -30, np.full((n, n), 1e-6)
    sim = _similar_factory(V)
    assert sim is not None and _similar_factory(V) is sim
    B0, B1 = sim(NBall(X0, R0), NBall(X1, R1))
    C0, C1 = _similar_factory(V.copy())(NBall(X0, R0), NBall(X1, R1))
    assert np.array_equal(B0.mid, C0.mid) and np.array_equal(B1.rad, C1.rad)
    mpmath.mp.dps = 60
    for X, R, B in ((X0, R0, B0), (X1, R1, B1)):
        for k in range(3):
            P = X + R * (np.sign(rng.normal(size=(n, n))) if k else rng.uniform(-1, 1, size=(n, n)))
            T = _mp_similar(P, V)
            for i in range(0, n, max(1, n // 6)):
                for j in range(0, n, max(1, n // 6)):
                    assert abs(T[i, j] - mpmath.mpc(complex(B.mid[i, j]))) <= B.rad[i, j]


@pytest.mark.parametrize("Vbad", ["identity", "near_singular", "rotated"])
def test_stale_eigenbasis_never_accepts_imaginary_axis(Vbad):
    """A predicted basis from an unrelated piece: A0 has eigenvalues +-i (on iR): never accepted."""
    A0 = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, -2.0]])
    A1 = np.zeros((3, 3))
    V = {"identity": np.eye(3), "near_singular": np.array([[1, 1, 0], [1, 1 + 1e-13, 0], [0, 0, 1.0]]),
         "rotated": np.linalg.eig(A0 + 0.3 * np.ones((3, 3)))[1]}[Vbad]
    basis = Eigenbasis()
    basis.store(("c",), 0.0, V.astype(complex), np.zeros((3, 3), complex))
    for h in (0.0, 1e-6, 0.1):
        assert not moving_discs_ok(NBall(A0, 1e-9), NBall(A1, 0.0), h, basis, (("c",), 0.01))
    # and a piece crossing iR: Re eigenvalues -0.01 + s, s in [-h, h]
    A0s = np.array([[-0.01, 1.0], [-1.0, -0.01]])
    A1s = np.eye(2)
    basis.store(("c",), 0.0, np.eye(2, dtype=complex), np.zeros((2, 2), complex))
    assert not moving_discs_ok(NBall(A0s, 0.0), NBall(A1s, 0.0), 0.02, basis, (("c",), 0.0))


def test_nmatmul_same_input_is_sound():
    """The nprod counterexample's input through nmatmul (rounds the factor up before |A| @): contained."""
    from flint import arb_mat
    from symhopf.runtime.npball import nmatmul
    a = 3 * ETA
    rng = np.random.default_rng(0)
    for t in range(200):
        y1 = float(rng.uniform(1, 2)) * 2.0 ** 990
        y2 = y1 if t % 2 == 0 else float(np.nextafter(y1, 0))
        A = arb_mat([[y1, -y2]])
        z = nmatmul(A, NBall(np.array([[a], [a]]), 0.0))
        assert _holds_real(F(a) * (F(y1) - F(y2)), z.mid[0, 0], z.rad[0, 0])


@pytest.mark.parametrize("k", [300, 1000])
def test_nprod_long_inner_dimension(k):
    """gamma_2k with long cancelling sums and wide exponents (no subnormals)."""
    rng = np.random.default_rng(k)
    for _ in range(5):
        x = _rand_wide(rng, (1, k), -200, 200, 0.1)
        y = _rand_wide(rng, (k, 1), -200, 200, 0.1)
        y[-1, 0] = 0.0
        s = _exact_prod(x, y)[0][0]
        # make the exact sum cancel: last term cancels the float sum of the others
        x[0, -1], y[-1, 0] = 1.0, -float(s)
        z = nprod(NBall(x, 0.0), NBall(y, 0.0))
        assert _holds_real(_exact_prod(x, y)[0][0], z.mid[0, 0], z.rad[0, 0])


@pytest.mark.parametrize("seed", range(6))
def test_solve_refined_holds_corner_systems(seed):
    """Ju, Jk with radii: the exact solution of corner systems (mid +- rad) lies in the ball."""
    rng = np.random.default_rng(60 + seed)
    n = 5
    Q1, _r = np.linalg.qr(rng.normal(size=(n, n)))
    Q2, _r = np.linalg.qr(rng.normal(size=(n, n)))
    Ju = Q1 @ np.diag(np.logspace(0, -3 - seed, n)) @ Q2
    Jk = rng.normal(size=(n, 1))
    ru = np.abs(Ju) * 2.0 ** -(30 + 4 * seed)
    rk = np.abs(Jk) * 2.0 ** -30
    z = solve_refined_nb(NBall(Ju, ru), NBall(Jk, rk))
    if z is None:
        return
    mpmath.mp.dps = 120
    for _ in range(6):
        su, sk = rng.choice([-1, 1], (n, n)), rng.choice([-1, 1], (n, 1))
        A = mpmath.matrix(n, n)
        bvec = mpmath.matrix(n, 1)
        for i in range(n):
            for j in range(n):
                A[i, j] = mpmath.mpf(Ju[i, j]) + su[i, j] * mpmath.mpf(ru[i, j])
            bvec[i] = mpmath.mpf(Jk[i, 0]) + sk[i, 0] * mpmath.mpf(rk[i, 0])
        t = -mpmath.lu_solve(A, bvec)
        for i in range(n):
            assert abs(t[i] - mpmath.mpf(float(z.mid[i, 0]))) <= z.rad[i, 0]
