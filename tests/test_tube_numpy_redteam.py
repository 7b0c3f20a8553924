"""Red team of the numpy-ball Krawczyk tube (proof/krawczyk_tube.py, TUBE_ARITHMETIC = "numpy": Lemma P,
Lemma T and the box test in npball arithmetic) and of the primitives it rests on (runtime/npball.py,
``_balls``). Ground truth is independent of the prover: 50-digit mpmath branches (known in closed form, or
mpmath Newton), their tangents by 50-digit differentiation, exact Fractions for the primitives.

For every accepted piece, at both ends and sampled t: exactly one of the known equilibria lies in the
piece's uniqueness region (hull or slanted tube), it lies in K, and its tangent lies in du. Systems: two
branches 1e-2 .. 1e-8 apart (straight, curved, a pole between them: nan in the hull), a pitchfork and an
imperfect pitchfork, coordinates ~1e6, right-hand sides scaled by 1e-300 (rounding errors subnormal) and
1e300, J_u with condition ~1e12 and two branches 1e-12 apart, thin T (box test), biased leaky nets
n = 3 .. 20 (a 50-digit Newton point in K and du, and float Newton from random starts in the hull finds no
second zero in the uniqueness region). The numpy and arb arithmetics agree on which pieces they accept.

FINDINGS (fixed; the tests below were strict xfails before; none reached a false tube piece in these runs):
1. npball.nmul: the rounding term ``5 * U * ax * ay`` is evaluated left to right, ``5 U ax`` underflows to 0
   for a subnormal ``ax`` and the product with a huge ``ay`` stays 0, so an exact (radius 0) subnormal
   times an exact huge float gets radius ~1e-323 while ``fl(x y)`` errs by ~1e-26 (nprod was mended for the
   same pattern; fpbounds' Lemma 2 does not cover a product whose factor underflowed). In the tube every
   nmul has a factor with radius >= 2 u |mid| + 4 eta (a conversion or a computed ball), which covers it.
2. krawczyk_tube._mag (now _balls, which keeps the balls it reads the radii from): "``arb(0, _mag(r)_i)`` is exactly ``[-_mag(r)_i, _mag(r)_i]``" is false for every r
   tried: python-flint stores a float radius rounded up by one more 30-bit ulp even when it has 30 bits
   (``arb(0, 0.5).rad() = 0.5000000009313226``). So the numpy test proves Lemma P for ``V = [-rV, rV]`` but
   returns the slanted tube ``arb(0, rV)`` (radius rV (1 + ~2^-30)), and the box test compares ``|Kd| < r``
   but returns ``U = arb(c, r)``: the stated uniqueness regions are ~1e-9 (relative) wider than the proved
   ones (test_slanted_tube_is_the_tube_the_numpy_krawczyk_test_used, test_box_test_region_is_the_box_the_numpy
   _test_used). The gap closes (the same Krawczyk inequality on the wider set) unless ``|Kd|`` is within
   ~2^-29 of the radius; nothing checks that margin. The box test's claim holds on the wider U all the same
   (its C is evaluated on the arb U itself); the slanted tube's does not follow (C covers [-rV, rV] only).
"""
from fractions import Fraction

import flint
import mpmath as mp
import numpy as np
import pytest
from flint import arb

import symhopf.proof.krawczyk_tube as krawczyk_tube
from symhopf.proof.krawczyk_tube import Piece, Tube, _balls
from symhopf.runtime.arbtools import exact_ball, hull
from symhopf.runtime.npball import NBall, as_nball, from_interval, intersect, nadd, nmul, nprod
from test_tube_parametrised import PREC, ball_of, system
from test_tube_spectral import _leaky

F = Fraction


def _q(v) -> mp.mpf:
    v = F(v)
    return mp.mpf(v.numerator) / v.denominator


def _exact(x: float) -> Fraction:
    return Fraction(float(x))


def _in(ball: NBall, i: int, j: int, value: Fraction) -> bool:
    return abs(_exact(ball.mid[i, j]) - value) <= _exact(ball.rad[i, j])


# --------------------------------------------------------------------------- primitives: findings
def test_nmul_of_exact_subnormal_and_huge_floats_holds_the_product():
    x, y = 1.2345678901234e-310, 3.3333333333333e300
    exact = _exact(x) * _exact(y)
    assert _in(nmul(NBall(np.array([[x]]), 0.0), NBall(np.array([[y]]), 0.0)), 0, 0, exact)


def test_nprod_and_nmul_with_a_converted_factor_hold_the_same_product():
    """The same product by nprod (mended), and by nmul when one factor is a conversion (as every nmul of the
    tube: radius >= 2 u |mid| + 4 eta)."""
    x, y = 1.2345678901234e-310, 3.3333333333333e300
    exact = _exact(x) * _exact(y)
    assert _in(nprod(NBall(np.array([[x]]), 0.0), NBall(np.array([[y]]), 0.0)), 0, 0, exact)
    with flint.ctx.workprec(PREC):
        yb = as_nball(flint.arb_mat([[arb(y)]]))
    assert _in(nmul(NBall(np.array([[x]]), 0.0), yb), 0, 0, exact)


@pytest.mark.parametrize("r", [0.5, 0.1, 1e-300, 3.0e5, 7.25e-100, 1e300])
def test_balls_are_exactly_the_intervals_of_their_radii(r):
    """krawczyk_tube._balls: each ball c +- R is exactly [c - R, c + R] (R read back from the ball, not a
    ball rebuilt from R: python-flint would round R up once more), and R >= r."""
    B, R = _balls(np.array([0.25]), np.array([r]))
    assert B is not None and _exact(R[0]) >= _exact(r)
    assert _stored(B[0].rad()) == _exact(R[0]) and _stored(B[0].mid()) == _exact(0.25)
    assert _stored(arb(0, float(R[0])).rad()) > _exact(R[0])        # why the balls are kept, not rebuilt


def _recorded_balls(monkeypatch) -> list:
    """Wrap krawczyk_tube._balls to record every radius vector it returns (the radii the numpy tests use)."""
    calls = []

    def rec(c, r):
        B, R = _balls(c, r)
        calls.append(R.copy())
        return B, R
    monkeypatch.setattr(krawczyk_tube, "_balls", rec)
    return calls


def _stored(x: arb) -> Fraction:
    man, exp = x.man_exp()
    return Fraction(int(man)) * Fraction(2) ** int(exp)


CURVED = ["x - sin(2*a) - a**2", "y - x**2 + a"]


def _curved_centre(a: float) -> np.ndarray:
    x = np.sin(2 * a) + a * a
    return Tube(system(CURVED), PREC).point(2, a, np.array([x, x * x - a, a]))


@pytest.mark.parametrize("a, h", [(0.05, 0.2), (0.1, 0.4)])
def test_slanted_tube_is_the_tube_the_numpy_krawczyk_test_used(monkeypatch, a, h):
    """The curved branch, a wide a-chart piece whose uniqueness region is the slanted tube: its V radii are
    exactly the rV of the accepted Krawczyk test (the last _balls call)."""
    calls = _recorded_balls(monkeypatch)
    p = _piece(system(CURVED), 2, F(a) - F(h), F(a) + F(h), _curved_centre(a), "numpy", monkeypatch)
    assert p is not None and p.slant is not None
    assert all(_stored(v.rad()) == _exact(r) for v, r in zip(p.slant.V, calls[-1]))


def test_box_test_region_is_the_box_the_numpy_test_used(monkeypatch):
    """Thin T (box test): U's radii are exactly the r of the accepted test. (The box test's claim survives
    the wider U: its C was evaluated on the arb box U, and ``|Y f| + |C| r < r`` gives ``|C| r < r``, so two
    zeros in U coincide; unlike the slanted tube, whose C covers ``[-rV, rV]`` only.)"""
    calls = _recorded_balls(monkeypatch)
    a, h = 0.1, 1e-12
    p = _piece(system(CURVED), 2, F(a) - F(h), F(a) + F(h), _curved_centre(a), "numpy", monkeypatch)
    assert p is not None and p.slant is None
    assert all(_stored(u.rad()) == _exact(r) for u, r in zip(p.hull, calls[-1]))


# --------------------------------------------------------------------------- primitives: random, exact
def _random_floats(rng, shape, scales):
    return rng.standard_normal(shape) * rng.choice(scales, size=shape)


SCALES = [1e-310, 1e-200, 1e-8, 1.0, 1e6, 1e150, 1e300 / 4]


@pytest.mark.parametrize("seed", range(4))
def test_npball_products_and_sums_hold_exact_values_at_mixed_scales(seed):
    """nprod (ball x ball, exact x exact), nadd, nmul with a converted factor, intersect and from_interval on
    entries from 1e-310 to 1e299: the exact Fraction value of the product / sum of the midpoints (and of the
    corners x_m +- x_r) lies in the result."""
    rng = np.random.default_rng(seed)
    n = 3
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        for _ in range(20):
            sx, sy = [rng.choice(SCALES) for _ in range(2)]
            xm, ym = rng.standard_normal((n, n)) * sx, rng.standard_normal((n, 2)) * sy
            xr = np.abs(xm) * rng.choice([0.0, 1e-16, 1e-3], size=(n, n))
            yr = np.abs(ym) * rng.choice([0.0, 1e-16, 1e-3], size=(n, 2))
            P = nprod(NBall(xm, xr), NBall(ym, yr))
            if not (np.all(np.isfinite(P.mid)) and np.all(np.isfinite(P.rad))):
                continue
            sgn = rng.choice([-1.0, 1.0], size=(n, n))
            X = [[_exact(xm[i, j]) + int(sgn[i, j]) * _exact(xr[i, j]) for j in range(n)] for i in range(n)]
            for i in range(n):
                for j in range(2):
                    v = sum(X[i][l] * (_exact(ym[l, j]) - _exact(yr[l, j])) for l in range(n))
                    assert _in(P, i, j, v)
            S = nadd(NBall(xm[:, :2], xr[:, :2]), NBall(ym, yr))
            for i in range(n):
                for j in range(2):
                    assert _in(S, i, j, _exact(xm[i, j]) + _exact(ym[i, j]))
            with flint.ctx.workprec(PREC):
                c = as_nball(flint.arb_mat([[arb(float(ym[0, 0]))]]))
            M = nmul(NBall(xm, 0.0), c)
            for i in range(n):
                for j in range(n):
                    assert _in(M, i, j, _exact(xm[i, j]) * _exact(ym[0, 0]))
            A, B = NBall(xm, xr + np.abs(xm) * 1e-3), NBall(xm * (1 + 1e-4), np.abs(xm) * 1e-3)
            Z = intersect(A, B)
            w = from_interval(np.minimum(xm, xm * (1 + 1e-4)), np.maximum(xm, xm * (1 + 1e-4)))
            for i in range(n):
                for j in range(n):
                    mid = (_exact(xm[i, j]) + _exact(xm[i, j] * (1 + 1e-4))) / 2
                    if abs(mid - _exact(xm[i, j])) <= _exact(A.rad[i, j]) and \
                            abs(mid - _exact(B.mid[i, j])) <= _exact(B.rad[i, j]):
                        assert _in(Z, i, j, mid)
                    assert _in(w, i, j, _exact(xm[i, j])) and _in(w, i, j, _exact(xm[i, j] * (1 + 1e-4)))


# --------------------------------------------------------------------------- tube: helpers
def _piece(s, k: int, lo: Fraction, hi: Fraction, zc: np.ndarray, arith: str, monkeypatch) -> Piece | None:
    monkeypatch.setattr(krawczyk_tube, "TUBE_ARITHMETIC", arith)
    with flint.ctx.workprec(PREC):
        res = Tube(s, PREC).piece(k, hull(lo, hi), zc)
    if res is None:
        return None
    return Piece(k, lo, hi, 1, res[0], res[1], res[2], res[3], du=res[4], slant=res[5])


def _check_known_branches(p: Piece, branches, ts) -> None:
    """Piece p in chart k; ``branches``: every equilibrium as functions t -> (x, y, a) of the chart coordinate
    (50 digits, None where it does not exist). At every t: exactly one is in p's uniqueness region, it is in
    K, its tangent in du."""
    k = p.k
    o = [j for j in range(3) if j != k]
    for t in ts:
        with mp.workdps(50):
            tv = _q(t)
            zs = [b(tv) for b in branches]
        with flint.ctx.workprec(PREC):
            held = []
            for bi, z in enumerate(zs):
                if z is None:
                    continue
                Z = [ball_of(v) for v in z]
                Z[k] = exact_ball(t)
                if p.holds(Z):
                    held.append((bi, Z))
            assert len(held) == 1, (float(t), [h[0] for h in held])
            bi, Z = held[0]
            assert all(Ki.contains(Z[j]) for Ki, j in zip(p.K, o)), float(t)
            if p.du is not None:
                with mp.workdps(50):
                    tg = [mp.diff(lambda a, j=j: branches[bi](a)[j], tv) for j in o]
                assert all(d.contains(ball_of(v)) for d, v in zip(p.du, tg)), float(t)


def _family(kind: str, d: Fraction):
    """(system, branches) of a family with two branches d apart (or a pitchfork); the branches are called in
    mp.workdps(50), where ``dd()`` is d to 50 digits."""
    def dd() -> mp.mpf:
        return _q(d)
    if kind == "close":
        return (system([f"(x - a)*(x - a - {d})", "y - x"]),
                [lambda a: [a, a, a], lambda a: [a + dd(), a + dd(), a]])
    if kind == "curved":
        return (system([f"(x - sin(a))*(x - sin(a) - {d})", "y - x**2"]),
                [lambda a: [mp.sin(a), mp.sin(a) ** 2, a], lambda a: [mp.sin(a) + dd(), (mp.sin(a) + dd()) ** 2, a]])
    if kind == "pole":        # the pole x = a + d/2 between the branches: nan in the hull
        return (system([f"(x - a)*(x - a - {d})/(x - a - {d / 2})", "y - x"]),
                [lambda a: [a, a, a], lambda a: [a + dd(), a + dd(), a]])
    if kind == "pitchfork":
        return (system(["x*(a - x**2)", "y - x"]),
                [lambda a: [0 * a, 0 * a, a], lambda a: [mp.sqrt(a), mp.sqrt(a), a] if a > 0 else None,
                 lambda a: [-mp.sqrt(a), -mp.sqrt(a), a] if a > 0 else None])
    if kind == "big":         # coordinates ~1e6 (ulp 1e-10)
        return (system([f"(x - 1000000 - a)*(x - 1000000 - a - {d})", "y - x"]),
                [lambda a: [a + 10 ** 6, a + 10 ** 6, a], lambda a: [a + 10 ** 6 + dd(), a + 10 ** 6 + dd(), a]])
    if kind == "sub":         # rhs scaled by 1e-300: J_u ~ 1e-300 d, rounding errors subnormal
        sc = F(1, 10 ** 300)
        return (system([f"{sc}*(x - a)*(x - a - {d})", f"{sc}*(y - x)"]),
                [lambda a: [a, a, a], lambda a: [a + dd(), a + dd(), a]])
    if kind == "huge":        # one equation scaled by 1e300, the other by 1e-300
        return (system([f"{10 ** 300}*(x - a)*(x - a - {d})", f"(y - x)/{10 ** 300}"]),
                [lambda a: [a, a, a], lambda a: [a + dd(), a + dd(), a]])
    if kind == "ill":         # J_u = [[1, 1], [1, 1 + d]] at the branches: cond ~ 4/d; branches d apart
        return (system(["(x - a) + (y - a)", f"(x - a) + (1 + {d})*(y - a) + (x - a)**2"]),
                [lambda a: [a, a, a], lambda a: [a + dd(), a - dd(), a]])
    raise ValueError(kind)


def _attack(monkeypatch, kind: str, seed: int, count: int, hexp=(-9.0, -0.5), dexp=(2, 9)) -> int:
    """``count`` random a-chart pieces on the family (random separation, width, centre, float centre on or
    between the branches); every accepted one checked by _check_known_branches. Returns the number accepted."""
    rng = np.random.default_rng(seed)
    accepted = 0
    for _ in range(count):
        d = F(1, 10 ** int(rng.integers(*dexp)))
        s, branches = _family(kind, d)
        h = float(10.0 ** rng.uniform(*hexp))
        c = float(rng.uniform(-0.5, 0.5)) if rng.random() < 0.6 else float(rng.choice([0.0, float(d), float(d) / 2]))
        lo, hi = F(c) - F(h), F(c) + F(h)
        with mp.workdps(30):
            cands = [z for z in (b(_q(c)) for b in branches) if z is not None]
        zc = np.array([float(v) for v in cands[rng.integers(len(cands))]])
        zc[:2] += float(rng.choice([0, 1, -1])) * float(d) * float(rng.choice([0.1, 0.49, 0.51]))
        with np.errstate(all="ignore"):
            p = _piece(s, 2, lo, hi, zc, "numpy", monkeypatch)
        if p is None:
            continue
        accepted += 1
        ts = [lo, hi, F(c)] + [lo + (hi - lo) * F(float(r)) for r in rng.random(3)]
        _check_known_branches(p, branches, ts)
    return accepted


# --------------------------------------------------------------------------- tube: attacks that hold
@pytest.mark.parametrize("kind, seed, least", [("close", 1, 4), ("curved", 2, 4), ("pole", 3, 2), ("pitchfork", 4, 4)])
def test_random_pieces_near_close_branches_and_pitchforks_hold_exactly_one(monkeypatch, kind, seed, least):
    """Branches 1e-2 .. 1e-8 apart (straight, curved, with a pole between), a pitchfork: 20 random pieces of
    half widths 1e-9 .. 0.3 (both tests); every accepted piece holds exactly one branch point, in K, tangent
    in du."""
    assert _attack(monkeypatch, kind, seed, 20) >= least


@pytest.mark.parametrize("kind, seed", [("big", 5), ("sub", 6), ("huge", 7)])
def test_random_pieces_at_huge_and_tiny_scales_hold_exactly_one(monkeypatch, kind, seed):
    """Coordinates ~1e6, right-hand sides ~1e-300 (subnormal rounding errors) and 1e300: as above."""
    assert _attack(monkeypatch, kind, seed, 20) >= 1


def test_ill_conditioned_ju_with_branches_1e12_apart(monkeypatch):
    """cond(J_u) ~ 4 / d with the second branch d = 1e-2 .. 1e-12 away: as above."""
    assert _attack(monkeypatch, "ill", 8, 25, dexp=(2, 13)) >= 2


def test_thin_pieces_box_test_near_close_branches(monkeypatch):
    """Half widths 1e-13 .. 1e-10 (the box test), branches 1e-2 .. 1e-8 apart, float centres between them."""
    assert _attack(monkeypatch, "close", 9, 20, hexp=(-13.0, -10.0)) >= 4


@pytest.mark.parametrize("kind, least", [("close", 3), ("pole", 1), ("pitchfork", 3), ("ill", 1)])
def test_numpy_and_arb_accept_the_same_pieces_and_the_same_uniqueness_regions(monkeypatch, kind, least):
    """The same random inputs in both arithmetics: the same pieces accepted, and the axis hull (rather than
    the slanted tube) the uniqueness region in both or in neither."""
    rng = np.random.default_rng(11)
    both = 0
    for _ in range(15):
        d = F(1, 10 ** int(rng.integers(2, 9)))
        s, branches = _family(kind, d)
        h, c = float(10.0 ** rng.uniform(-9, -0.5)), float(rng.uniform(-0.5, 0.5))
        with mp.workdps(30):
            cands = [z for z in (b(_q(c)) for b in branches) if z is not None]
        zc = np.array([float(v) for v in cands[rng.integers(len(cands))]])
        with np.errstate(all="ignore"):
            pn, pa = (_piece(s, 2, F(c) - F(h), F(c) + F(h), zc, arith, monkeypatch) for arith in ("numpy", "arb"))
        assert (pn is None) == (pa is None), (kind, float(d), c, h)
        if pn is not None:
            both += 1
            assert (pn.slant is None) == (pa.slant is None)
    assert both >= least


@pytest.mark.parametrize("seed", [12, 13])
def test_x_chart_pieces_near_two_close_folds_hold_exactly_one(monkeypatch, seed):
    """x-chart pieces (k = 0) on (a - x^2)(a - x^2 - d) = 0, y = x (two folds d = 1e-2 .. 1e-8 apart, the
    branches graphs a = x^2 + {0, d} over x) and on (a - x^3 - x)(a - x^3 - x - d) = 0, y = sin x, centred on
    either branch with the float centre's a moved by 0.49 d towards the other: as above."""
    rng = np.random.default_rng(seed)
    accepted = 0
    for _ in range(40):
        d = F(1, 10 ** int(rng.integers(2, 9)))
        if rng.random() < 0.5:
            s = system([f"(a - x**2)*(a - x**2 - {d})", "y - x"])
            branches = [lambda x: [x, x, x * x], lambda x, d=d: [x, x, x * x + _q(d)]]
        else:
            s = system([f"(a - x**3 - x)*(a - x**3 - x - {d})", "y - sin(x)"])
            branches = [lambda x: [x, mp.sin(x), x ** 3 + x], lambda x, d=d: [x, mp.sin(x), x ** 3 + x + _q(d)]]
        h = float(10.0 ** rng.uniform(-9, -0.5))
        c = float(rng.uniform(-0.5, 0.5)) if rng.random() < 0.6 else float(rng.choice([0.0, 1e-9, -1e-5]))
        lo, hi = F(c) - F(h), F(c) + F(h)
        with mp.workdps(30):
            zc = np.array([float(v) for v in branches[int(rng.integers(2))](_q(c))])
        zc[2] += float(rng.choice([0, 1, -1])) * float(d) * 0.49
        p = _piece(s, 0, lo, hi, zc, "numpy", monkeypatch)
        if p is None:
            continue
        accepted += 1
        _check_known_branches(p, branches, [lo, hi, F(c)] + [lo + (hi - lo) * F(float(r)) for r in rng.random(3)])
    assert accepted >= 3


@pytest.mark.parametrize("n, seed", [(4, 21), (6, 22)])
def test_mixed_n_dimensional_close_branches_hold_exactly_one(monkeypatch, n, seed):
    """n = 4, 6: u = R x (R rational, well conditioned), g_1 = (u_1 - a)(u_1 - a - d), g_i = u_i - c_i sin a -
    e u_1^2, f = L g (L rational): two branches d = 1e-2 .. 1e-8 apart, every coordinate coupled (full n x n
    products in every npball step). Random a-chart pieces, float centres on a branch (or moved 0.3 d off it):
    exactly one branch point in the uniqueness region, in K, tangent in du (50 digits)."""
    rng = np.random.default_rng(seed)
    names = tuple(f"v{i}" for i in range(n))
    accepted = 0
    for _ in range(2):
        d = F(1, 10 ** int(rng.integers(2, 9)))
        R = [[F(int(rng.integers(-4, 5)), 4) + 2 * (i == j) for j in range(n)] for i in range(n)]
        L = [[F(int(rng.integers(-3, 4)), 3) + 3 * (i == j) for j in range(n)] for i in range(n)]
        c = [F(int(rng.integers(-5, 6)), 3) for _ in range(n)]
        e = F(int(rng.integers(-3, 4)), 2)
        u = [" + ".join(f"({R[i][j]})*{names[j]}" for j in range(n)) for i in range(n)]
        g = [f"(({u[0]}) - a)*(({u[0]}) - a - {d})"] + [f"({u[i]}) - ({c[i]})*sin(a) - ({e})*({u[0]})**2"
                                                           for i in range(1, n)]
        s = system([" + ".join(f"({L[i][j]})*({g[j]})" for j in range(n)) for i in range(n)], names=names)

        def branch(off: int, R=R, c=c, e=e, d=d):
            def b(a):
                u1 = a + off * _q(d)
                x = mp.matrix([[_q(v) for v in row] for row in R]) ** -1 * mp.matrix(
                    [u1] + [_q(c[i]) * mp.sin(a) + _q(e) * u1 ** 2 for i in range(1, n)])
                return [x[i] for i in range(n)] + [a]
            return b
        branches = [branch(0), branch(1)]
        for _ in range(6):
            h, cc = float(10.0 ** rng.uniform(-9, -0.5)), float(rng.uniform(-0.5, 0.5))
            lo, hi = F(cc) - F(h), F(cc) + F(h)
            with mp.workdps(30):
                zc = np.array([float(v) for v in branches[int(rng.integers(2))](_q(cc))])
            zc[:n] += rng.standard_normal(n) * float(d) * 0.3 * float(rng.integers(2))
            p = _piece(s, n, lo, hi, zc, "numpy", monkeypatch)
            if p is None:
                continue
            accepted += 1
            for t in (lo, hi, F(cc)):
                with mp.workdps(50):
                    zs = [b(_q(t)) for b in branches]
                with flint.ctx.workprec(PREC):
                    held = []
                    for bi, z in enumerate(zs):
                        Z = [ball_of(v) for v in z[:n]] + [exact_ball(t)]
                        if p.holds(Z):
                            held.append((bi, Z))
                    assert len(held) == 1, (float(t), [hb[0] for hb in held])
                    bi, Z = held[0]
                    assert all(Ki.contains(Zi) for Ki, Zi in zip(p.K, Z[:n]))
                    if p.du is not None:
                        with mp.workdps(50):
                            tg = [mp.diff(lambda a, j=j: branches[bi](a)[j], _q(t)) for j in range(n)]
                        assert all(dv.contains(ball_of(v)) for dv, v in zip(p.du, tg))
    assert accepted >= 2


def _mp_leaky(s, t: Fraction, guess: np.ndarray):
    """The 50-digit equilibrium of x' = -x + (W + a I) tanh(x) + b at a = t near the float guess, and its
    tangent x' = -J_x^-1 tanh(x)."""
    n, m = s.n, s.model
    with mp.workdps(50):
        Wq = list(m.data["W"].fractions())
        W = mp.matrix([[_q(Wq[i * n + j]) for j in range(n)] for i in range(n)])
        b = mp.matrix([_q(v) for v in m.data["b"].fractions()])
        a = _q(t)
        M = W + a * mp.eye(n)
        x = mp.matrix([mp.mpf(float(v)) for v in guess[:n]])
        for _ in range(8):
            th = mp.matrix([mp.tanh(v) for v in x])
            J = -mp.eye(n) + M * mp.diag([1 - v * v for v in th])
            x = x - mp.lu_solve(J, -x + M * th + b)
        th = mp.matrix([mp.tanh(v) for v in x])
        assert mp.norm(-x + M * th + b) < mp.mpf(10) ** -40
        J = -mp.eye(n) + M * mp.diag([1 - v * v for v in th])
        return list(x), list(mp.lu_solve(J, -th))


@pytest.mark.parametrize("n, seed, count", [(3, 2, 6), (5, 7, 4), (20, 5, 2)])
def test_leaky_net_pieces_hold_the_fifty_digit_arc_and_no_second_zero(monkeypatch, n, seed, count):
    """Biased leaky nets: a-chart pieces of random half width 1e-6 .. 1e-2 at random a of the range; at both
    ends and one inner t the 50-digit equilibrium (Newton from the float arc) is in the uniqueness region,
    in K, its tangent in du; float Newton from 10 random points of the hull finds no other zero there."""
    s = _leaky(n, seed)
    rng = np.random.default_rng(seed)
    lo0, hi0 = s.model.range
    tb = Tube(s, PREC)
    accepted = 0
    for _ in range(count):
        a = float(lo0 + (hi0 - lo0) * F(float(rng.random())))
        z0 = tb.point(n, a, np.zeros(n + 1))
        if z0 is None:
            continue
        h = float(10.0 ** rng.uniform(-6, -2))
        lo, hi = F(a) - F(h), F(a) + F(h)
        p = _piece(s, n, lo, hi, z0, "numpy", monkeypatch)
        if p is None:
            continue
        accepted += 1
        box_lo = np.array([float(v.lower()) for v in p.hull])
        box_hi = np.array([float(v.upper()) for v in p.hull])
        for t in (lo, hi, lo + (hi - lo) * F(float(rng.random()))):
            zf = tb.point(n, float(t), z0)
            assert zf is not None
            x, tg = _mp_leaky(s, t, zf)
            with flint.ctx.workprec(PREC):
                Z = [ball_of(v) for v in x] + [exact_ball(t)]
                assert p.holds(Z) and all(Ki.contains(Zi) for Ki, Zi in zip(p.K, Z[:n]))
                if p.du is not None:
                    assert all(d.contains(ball_of(v)) for d, v in zip(p.du, tg))
                for _ in range(10):
                    g = np.append(box_lo + (box_hi - box_lo) * rng.random(n), float(t))
                    zr = tb.point(n, float(t), g)
                    if zr is not None and np.max(np.abs(zr[:n] - zf[:n])) > 1e-9:
                        assert not p.holds([arb(float(v)) for v in zr[:n]] + [exact_ball(t)])
    assert accepted >= 1
