"""The parametrised Krawczyk test of a tube piece (proof/tube.py, Lemma P and Lemma T): containment of
50-digit equilibria and tangents at random s, and adversarial pieces it must refuse or enclose
correctly (a sharply curved arc, a float centre off the branch, two branches close together, a fold
in an a-chart). Old (box) and new (parametrised) tests must agree on completeness results."""
import itertools
from fractions import Fraction

import flint
import mpmath as mp
import numpy as np
import pytest
from flint import arb

import symhopf.proof.krawczyk_tube as krawczyk_tube
from symhopf.model import Model
from symhopf.proof.completeness import check_branch
from symhopf.proof.krawczyk_tube import Piece, Tube
from symhopf.runtime.arbtools import exact_ball, hull
from symhopf.system import System
from test_proof_completeness_moving import brusselator, neutral_saddle, on_branch, proved_points
from test_search_systems import fold_rotation

PREC = 128


def system(rhs: list[str], names=("x", "y")) -> System:
    return System.from_model(Model.ode(list(names), rhs, "a", range=["-1", "1"]))


def mp_rhs(s: System):
    """The right-hand side as one mpmath function of z = (x, a) (the model's SymPy expressions)."""
    import sympy as sp
    syms = {str(v): v for e in s.model.rhs for v in e.free_symbols}
    args = [syms.get(v, sp.Symbol(v, real=True)) for v in [*s.model.variables, s.model.parameter]]
    fns = [sp.lambdify(args, e, "mpmath") for e in s.model.rhs]
    return lambda z: [f(*z) for f in fns]


def mp_equilibrium(s: System, k: int, t: Fraction, guess: np.ndarray) -> list:
    """The equilibrium with z_k = t (50 digits, mpmath Newton from the float guess)."""
    n, F = s.n, mp_rhs(s)
    o = [j for j in range(n + 1) if j != k]
    with mp.workdps(50):
        z = [mp.mpf(0)] * (n + 1)
        z[k] = mp.mpf(t.numerator) / t.denominator

        def G(*u):
            for j, v in zip(o, u):
                z[j] = v
            return F(z)
        u = mp.findroot(G, [mp.mpf(float(guess[j])) for j in o], tol=mp.mpf(10) ** -90)
        for i, j in enumerate(o):
            z[j] = u[i] if n > 1 else u
        return list(z)


def mp_tangent(s: System, k: int, z: list) -> list:
    """u' = -J_u^-1 J_k at z (50 digits; mpmath derivatives of the right-hand side)."""
    n, F = s.n, mp_rhs(s)
    o = [j for j in range(n + 1) if j != k]
    with mp.workdps(50):
        J = mp.matrix(n, n + 1)
        for j in range(n + 1):
            col = mp.diff(lambda v: mp.matrix(F([v if q == j else z[q] for q in range(n + 1)])), z[j])
            for i in range(n):
                J[i, j] = col[i]
        Ju = mp.matrix([[J[i, j] for j in o] for i in range(n)])
        return list(mp.lu_solve(Ju, -mp.matrix([J[i, k] for i in range(n)])))


def ball_of(v) -> arb:
    return arb(mp.nstr(v, 45))


def piece_of(s: System, k: int, lo: Fraction, hi: Fraction, zc: np.ndarray):
    """Tube.piece over [lo, hi] in chart k with float centre zc; (Piece, the raw result) or (None, None)."""
    tb = Tube(s, PREC)
    with flint.ctx.workprec(PREC):
        res = tb.piece(k, hull(lo, hi), zc)
    if res is None:
        return None, None
    return Piece(k, lo, hi, 1, res[0], res[1], res[2], res[3], du=res[4], slant=res[5]), res


def check_contains_truth(s: System, p: Piece, zc: np.ndarray, rng, m: int = 8) -> None:
    """At random t in p's T (and both ends): the 50-digit equilibrium near the float arc is in the
    uniqueness region (holds), in K, and its tangent u' in du."""
    k, n = p.k, s.n
    o = [j for j in range(n + 1) if j != k]
    ts = [p.lo, p.hi] + [p.lo + (p.hi - p.lo) * Fraction(float(r)) for r in rng.random(m)]
    with flint.ctx.workprec(PREC):
        for t in ts:
            z = mp_equilibrium(s, k, t, zc)
            assert z is not None
            Z = [ball_of(v) for v in z]
            Z[k] = exact_ball(t)          # dyadic: exact
            assert p.holds(Z), (float(t), [float(v) for v in z])
            assert all(Ki.contains(Z[j]) for Ki, j in zip(p.K, o))
            if p.du is not None:
                assert all(d.contains(ball_of(v)) for d, v in zip(p.du, mp_tangent(s, k, z)))


def float_point(s: System, k: int, t: float, guess) -> np.ndarray:
    z = Tube(s, PREC).point(k, t, np.asarray(guess, float))
    assert z is not None
    return z


# --------------------------------------------------------------------------- containment
@pytest.mark.parametrize("k", [2, 0])
def test_fifty_digit_equilibria_and_tangents_in_the_parametrised_piece(k):
    """A curved branch (x = sin(2a) + a^2, y = x^2 - a): wide pieces in the a-chart (k = 2) and the
    x-chart (k = 0, x increasing in a here); every 50-digit equilibrium at random t is in the slanted
    tube and in K, its tangent in du."""
    s = system(["x - sin(2*a) - a**2", "y - x**2 + a"])
    rng = np.random.default_rng(7)
    accepted = slanted = 0
    for a, h in [(0.1, 0.05), (-0.3, 0.02), (0.2, 0.1), (0.05, 0.2), (0.1, 0.4)]:
        x = np.sin(2 * a) + a * a
        z = np.array([x, x * x - a, a])
        lo, hi = Fraction(float(z[k]) - h), Fraction(float(z[k]) + h)
        p, _ = piece_of(s, k, lo, hi, float_point(s, k, float((lo + hi) / 2), z))
        if p is None:
            continue
        accepted += 1
        slanted += p.slant is not None
        check_contains_truth(s, p, z, rng)
    assert accepted >= 4 and (slanted >= 1 or k == 0)   # wide pieces, uniqueness only in the slanted tube


def test_parametrised_piece_is_wider_than_the_box_test(monkeypatch):
    """x^3 + x = 3a, y = x^2 around a = 1/2: the box test's width is capped by the O(h) variation of
    J_u over its box; the parametrised test's terms are O(h^2): it accepts a wider piece."""
    s = system(["x**3 + x - 3*a", "y - x**2"])
    zc = float_point(s, 2, 0.5, [0.8, 0.6, 0.5])

    def widest(method: str) -> float:
        monkeypatch.setattr(krawczyk_tube, "TUBE_TEST", method)
        h = 0.4
        while h > 1e-6 and piece_of(s, 2, Fraction(0.5 - h), Fraction(0.5 + h), zc)[0] is None:
            h /= 1.5
        return h
    assert widest("parametrised") >= 1.5 * widest("box") > 0.01


# --------------------------------------------------------------------------- adversarial
def other_branch_excluded(p: Piece, t: Fraction, z_other: list) -> None:
    with flint.ctx.workprec(PREC):
        Z = [ball_of(v) for v in z_other]
        Z[p.k] = exact_ball(t)
        assert not p.holds(Z)


@pytest.mark.parametrize("eps", [1e-1, 1e-2, 1e-3, 1e-4])
def test_sharply_curved_arc_is_refused_or_enclosed(eps):
    """Branches x = a^2 / eps (curvature 2 / eps) and x = a^2 / eps + 1/20, y = -x: at every width a piece
    on the first is either refused or its uniqueness region holds the true arc (50 digits) at random
    s and never the other branch's point; the same with the float centre moved off the branch."""
    q = Fraction(eps)
    s = system([f"(x - a**2/({q}))*(x - a**2/({q}) - 1/20)", "y + x"])
    rng = np.random.default_rng(3)
    accepted = refused = 0
    for r, c, shift in itertools.product((0.01, 0.03, 0.06, 0.1, 0.2, 1, 0.5 / eps ** 0.5), (0, 1, 2), (0.0, 0.3, -0.2)):
        h = r * eps ** 0.5
        c *= h
        true = np.array([c * c / eps, -c * c / eps, c])
        zc = true + np.array([shift * min(1.0, h * h / eps), 0.0, 0.0])
        p, _ = piece_of(s, 2, Fraction(c - h), Fraction(c + h), zc)
        if p is None:
            refused += 1
            continue
        accepted += 1
        check_contains_truth(s, p, true, rng, m=3)
        for t in [p.lo, p.hi, Fraction(c)]:
            x2 = Fraction(t * t) / q + Fraction(1, 20)
            other_branch_excluded(p, t, [mp.mpf(x2.numerator) / x2.denominator, -mp.mpf(x2.numerator) / x2.denominator, 0])
    assert accepted >= 6 and refused >= 6


def test_off_branch_centre_never_gives_a_tube_missing_the_arc():
    """Random float centres off the branch by 1e-8 .. 1e-1 and random widths: every accepted piece
    holds the 50-digit arc and its tangent."""
    s = system(["x - sin(2*a) - a**2", "y - x**2 + a"])
    rng = np.random.default_rng(11)
    for _ in range(12):
        a = float(rng.uniform(-0.5, 0.5))
        true = float_point(s, 2, a, [np.sin(2 * a) + a * a, 0.0, a])
        off = 10.0 ** rng.uniform(-8, -1) * rng.normal(size=3)
        off[2] = 0.0
        h = 10.0 ** rng.uniform(-4, -0.5)
        p, _ = piece_of(s, 2, Fraction(a - h), Fraction(a + h), true + off)
        if p is not None:
            check_contains_truth(s, p, true, rng, m=4)


@pytest.mark.parametrize("delta", [1e-2, 1e-4, 1e-6])
def test_two_branches_close_together_uniqueness_not_claimed_for_both(delta):
    """Branches x = a and x = a + delta (y = x): a piece on one must not hold the other's points."""
    s = system([f"(x - a)*(x - a - {Fraction(delta)})", "y - x"])
    rng = np.random.default_rng(5)
    slanted = 0
    for h in (1e-3, 1e-2, 1e-1, 0.5):
        for x0 in (0.0, delta):
            zc = float_point(s, 2, 0.0, [x0, x0, 0.0])
            p, _ = piece_of(s, 2, Fraction(-h), Fraction(h), zc)
            if p is None:
                continue
            slanted += p.slant is not None
            other = delta - x0
            with flint.ctx.workprec(PREC):
                for t in [Fraction(-h), Fraction(h)] + [Fraction(float(r)) * 2 * Fraction(h) - Fraction(h)
                                                        for r in rng.random(6)]:
                    tb = arb(t.numerator) / t.denominator
                    d = arb(other) if other == 0 else arb(str(Fraction(delta))) if other > 0 else -arb(str(Fraction(delta)))
                    assert not p.holds([tb + d, tb + d, tb])       # the other branch's point
                    assert p.holds([tb + (arb(0) if x0 == 0 else arb(str(Fraction(delta))))] * 2 + [tb])
    assert slanted >= 4       # the hull (which holds both branches) is never the uniqueness region


@pytest.mark.parametrize("h", [1e-1, 1e-2, 1e-4, 1e-8])
def test_fold_inside_an_a_chart_piece_is_refused(h):
    """x^2 = a (fold at a = 0): no a-chart piece over [-h, h] (for a < 0 there is no equilibrium),
    whatever the float centre; in the x-chart the piece through the fold is fine."""
    s = system(["x**2 - a", "y - x"])
    for x0 in (np.sqrt(h / 2), np.sqrt(h), 1e-3, 0.0):
        zc = np.array([x0, x0, x0 * x0])
        p, _ = piece_of(s, 2, Fraction(-h), Fraction(h), zc)
        assert p is None
        p, _ = piece_of(s, 2, Fraction(0), Fraction(h), zc)    # touching the fold at an end: refused too
        assert p is None
    rng = np.random.default_rng(2)
    zc = np.array([0.0, 0.0, 0.0])
    p, _ = piece_of(s, 0, Fraction(-h), Fraction(h), zc)
    assert p is not None
    check_contains_truth(s, p, zc, rng)


# --------------------------------------------------------------------------- old vs new
@pytest.mark.parametrize("make", [brusselator, fold_rotation, neutral_saddle])
def test_box_and_parametrised_tests_agree_on_completeness(make, monkeypatch):
    s = make()
    res, proved = proved_points(s)
    outs = {}
    for method in ("box", "parametrised"):
        monkeypatch.setattr(krawczyk_tube, "TUBE_TEST", method)
        outs[method] = [check_branch(s, br, on_branch(res, proved, br)) for br in res.branches]
    for old, new in zip(outs["box"], outs["parametrised"]):
        assert old.proved and new.proved, (old.reason, new.reason)
        assert len(old.crossings) == len(new.crossings)
        assert new.pieces <= old.pieces
    if res.candidates:      # without the proved points both refuse the branch
        for method in ("box", "parametrised"):
            monkeypatch.setattr(krawczyk_tube, "TUBE_TEST", method)
            assert not any(check_branch(s, br, []).proved for br in res.branches if on_branch(res, proved, br))
