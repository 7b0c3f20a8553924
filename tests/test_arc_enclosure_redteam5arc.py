"""Red team (issue 17 session 5, branch s5arc at 10c9ab8): the arc enclosures of ``ArcEnclosures`` after
``solve_centred`` replaced ball_solve's form in the tangent and Lemma A2 solves, Lemma A2's ``g'(t~)`` moved to
``_centre``'s box U, and Lemma A2 computed lazily (``SECOND_ORDER_LAZY``).

Ground truth (50 digits): the equilibrium ``z(t)`` by mpmath Newton, ``Df`` and ``D^2 f`` from SymPy's exact
derivatives (lambdified to mpmath), the tangent ``u' = -J_u^-1 J_k`` and ``u''`` (central differences of the
50-digit tangent, step 1e-15: error ~ 1e-28), ``d/dt Df(z(t))`` exactly by the chain rule. Every claimed ball is
checked: ``_centre``'s D (Df at z(t~)) and its box U (holds z(t~)), Lemma A2's u1 (u'(t~)), du (u' on the arc)
and u2 (u'' on the arc), the first-order A (``p.Amv``), A' (``p.Ap``) and the second-order form
``(A0 + [0, h^2] A2) + s A1``. Pieces: box-test pieces (no Lemma T tangent: the tangent solves are
``solve_centred``'s) and parametrised ones, in the a-chart and an x-chart, on adversarial arcs (near a fold, a
strongly curved arc, coordinates of size 1e-8 and 1e8, two branches 1e-6 apart), with Lemma A2 eager
(SECOND_ORDER_N = 0) and lazy; and the lazy form's kept state across pieces."""
from fractions import Fraction
from types import SimpleNamespace

import flint
import mpmath as mp
import numpy as np
import pytest
import sympy as sp

import symhopf.proof.arc_enclosure as arc_enclosure
import symhopf.proof.krawczyk_tube as krawczyk_tube
import symhopf.proof.tube as tube
from symhopf.runtime.npball import as_nball
from test_tube_parametrised import PREC, float_point, mp_equilibrium, piece_of, system

DPS = 50


class Truth:
    """Exact derivatives of a System's right-hand side, evaluated in mpmath."""

    def __init__(self, s):
        self.s, n = s, s.n
        syms = {str(v): v for e in s.model.rhs for v in e.free_symbols}
        args = [syms.get(v, sp.Symbol(v, real=True)) for v in [*s.model.variables, s.model.parameter]]
        F = sp.Matrix(s.model.rhs)
        J = F.jacobian(args)                         # n x (n + 1)
        self.n = n
        self.J = sp.lambdify(args, J, "mpmath")
        # d/dz_j of Df (x columns), j = 0..n: n x n matrices
        self.dJ = [sp.lambdify(args, J[:, :n].diff(v), "mpmath") for v in args]

    def jz(self, z) -> mp.matrix:
        return mp.matrix(self.J(*z))

    def df(self, z) -> mp.matrix:
        Jz = self.jz(z)
        return mp.matrix([[Jz[i, j] for j in range(self.n)] for i in range(self.n)])

    def tangent(self, k: int, z) -> list:
        """z' with z'_k = 1 (all n + 1 coordinates)."""
        n = self.n
        o = [j for j in range(n + 1) if j != k]
        Jz = self.jz(z)
        Ju = mp.matrix([[Jz[i, j] for j in o] for i in range(n)])
        u = mp.lu_solve(Ju, -mp.matrix([Jz[i, k] for i in range(n)]))
        zp = [mp.mpf(0)] * (n + 1)
        zp[k] = mp.mpf(1)
        for i, j in enumerate(o):
            zp[j] = u[i]
        return zp

    def ddf(self, k: int, z) -> mp.matrix:
        """d/dt Df(z(t)) = sum_j z'_j d/dz_j Df."""
        zp = self.tangent(k, z)
        out = mp.zeros(self.n, self.n)
        for j in range(self.n + 1):
            out += zp[j] * mp.matrix(self.dJ[j](*z))
        return out


def _in(val, mid: float, rad: float, slack=0) -> bool:
    return abs(val - mp.mpf(float(mid))) <= mp.mpf(float(rad)) + slack


def _mat_in(M, B, what, slack=0):
    for i in range(B.mid.shape[0]):
        for j in range(B.mid.shape[1]):
            assert _in(M[i, j], B.mid[i, j], B.rad[i, j], slack), (what, i, j, float(M[i, j]), B.mid[i, j], B.rad[i, j])


def _vec_in(v, B, what, slack=0):
    for i, x in enumerate(v):
        assert _in(x, B.mid[i, 0], B.rad[i, 0], slack), (what, i, float(x), B.mid[i, 0], B.rad[i, 0])


def _arb_holds(b, v) -> bool:
    """The arb ball b holds the mpmath value v (exact ends: b.lower(), b.upper() as man * 2^exp)."""
    lo, hi = (mp.ldexp(int(m), int(e)) for m, e in (b.lower().man_exp(), b.upper().man_exp()))
    return lo <= v <= hi


def _fr(t: Fraction):
    return mp.mpf(t.numerator) / t.denominator


def build(s, k: int, t0: float, h: float, guess):
    """(piece, check, run, float centre) for the piece [t0 - h, t0 + h] of chart k, or None."""
    lo, hi = Fraction(t0 - h), Fraction(t0 + h)
    zc = float_point(s, k, float((lo + hi) / 2), np.asarray(guess, float))
    p, _ = piece_of(s, k, lo, hi, zc)
    if p is None:
        return None
    br = SimpleNamespace(x=[zc[: s.n]], a=[zc[s.n]], closed=False)
    chk = tube.MovingBranchCheck(s, br, [], (-10 ** 9, 10 ** 9), PREC)
    run = tube._Run(k, 1, np.array([zc - 1e-3, zc + 1e-3]), lo, hi, 1.0)
    return p, chk, run, zc


def verify(s, k: int, t0: float, h: float, guess, m: int = 6, seed: int = 0) -> bool:
    """Every ball of one piece's arc enclosures against 50-digit truth; False when nothing was built."""
    got = build(s, k, t0, h, guess)
    if got is None:
        return False
    p, chk, run, zc = got
    T = Truth(s)
    n = s.n
    o = [j for j in range(n + 1) if j != k]
    with flint.ctx.workprec(PREC):
        enc = chk._enclose_A(p, run)
        if enc is None:
            return False
        kept = chk._curve
        second = chk._second_order(p)
    tm = chk._tm(p)
    rng = np.random.default_rng(seed)
    ts = [tm, p.lo, p.hi] + [p.lo + (p.hi - p.lo) * Fraction(float(r)) for r in rng.random(m)]
    with mp.workdps(DPS):
        ztm = mp_equilibrium(s, k, tm, zc)
        # _centre's D holds Df(z(t~)); p.A0 is that D
        _mat_in(T.df(ztm), as_nball(p.A0), "A0 = Df over _centre's box")
        if kept is not None:
            cen = kept[1]
            xb, ab = cen[4], cen[5]          # U (what Lemma A2's g'(t~) is evaluated on)
            for i in range(n):
                assert _arb_holds(xb[i, 0], ztm[i]), ("U holds x(t~)", i)
            assert _arb_holds(ab, ztm[n]), "U holds a(t~)"
            curve = kept[2]
            if curve is not None:
                u1, u2, du = curve
                _vec_in([T.tangent(k, ztm)[j] for j in o], u1, "u1 = u'(t~)")
        for t in ts:
            z = mp_equilibrium(s, k, t, zc)
            sv = _fr(t - tm)
            D = T.df(z)
            # first-order form A = D0 + S A' (p.Amv) and A' (p.Ap)
            _mat_in(D, as_nball(p.Amv), ("Amv", float(t)))
            _mat_in(T.ddf(k, z), as_nball(p.Ap), ("Ap", float(t)))
            if kept is not None and kept[2] is not None:
                u1, u2, du = kept[2]
                zp = T.tangent(k, z)
                _vec_in([zp[j] for j in o], du, ("du", float(t)))
                d = mp.mpf(10) ** -15
                zpp = [(a - b) / (2 * d) for a, b in zip(T.tangent(k, mp_equilibrium(s, k, t + Fraction(1, 10 ** 15), zc)),
                                                         T.tangent(k, mp_equilibrium(s, k, t - Fraction(1, 10 ** 15), zc)))]
                scale = max(abs(v) for v in zpp) + 1
                _vec_in([zpp[j] for j in o], u2, ("u2", float(t)), slack=mp.mpf(10) ** -24 * scale)
            if second is not None:
                A0t, A1 = second
                for i in range(n):
                    for j in range(n):
                        v = D[i, j] - sv * mp.mpf(float(A1.mid[i, j]))
                        assert _in(v, A0t.mid[i, j], float(A0t.rad[i, j]) + abs(float(sv)) * float(A1.rad[i, j])), \
                            ("second-order form", float(t), i, j)
    return True


CURVED = (["x - sin(2*a) - a**2", "y*x - x**3 + a*x"], lambda a: [np.sin(2 * a) + a * a, (np.sin(2 * a) + a * a) ** 2 - a, a])
FOLD = (["x**2 + a - 1/100", "y*(1 + x) - a*x"],
        lambda a: [np.sqrt(0.01 - a), a * np.sqrt(0.01 - a) / (1 + np.sqrt(0.01 - a)), a])
WIGGLE = (["x - sin(40*a)/40", "y - x*y**3/3 - sin(x + a)"], None)
TINY = (["x - sin(3*a)/10**8", "y + 10**8*x*y - x"], lambda a: [np.sin(3 * a) / 1e8, (np.sin(3 * a) / 1e8) / (1 + np.sin(3 * a)), a])
HUGE = (["x - 10**8*sin(3*a)", "y - x**2/10**8 - a*x"],
        lambda a: [1e8 * np.sin(3 * a), 1e8 * np.sin(3 * a) ** 2 + a * 1e8 * np.sin(3 * a), a])
CLOSE = (["(x - sin(a))*(x - sin(a) - 1/10**6)", "y - x*a"], lambda a: [np.sin(a), a * np.sin(a), a])


def _wiggle_guess(a: float) -> list:
    x = np.sin(40 * a) / 40
    y = float(mp.findroot(lambda y: y - x * y ** 3 / 3 - mp.sin(x + a), np.sin(x + a)))
    return [x, y, a]


@pytest.fixture(params=["eager", "lazy"])
def mode(request, monkeypatch):
    """Lemma A2 on every system (eager: SECOND_ORDER_N = 0) or lazily below SECOND_ORDER_N = 10."""
    if request.param == "eager":
        monkeypatch.setattr(arc_enclosure, "SECOND_ORDER_N", 0)
    else:
        monkeypatch.setattr(arc_enclosure, "SECOND_ORDER_N", 10)
        monkeypatch.setattr(arc_enclosure, "SECOND_ORDER_LAZY", True)
    return request.param


@pytest.fixture(params=["box", "parametrised"])
def piece_test(request, monkeypatch):
    """Box-test pieces have no Lemma T tangent (p.du None): the tangent is solve_centred's."""
    monkeypatch.setattr(krawczyk_tube, "TUBE_TEST", request.param)
    return request.param


def _run_cases(sysdef, cases, k_list=(2, 0)):
    rhs, guess = sysdef
    s = system(rhs)
    built = 0
    for k in k_list:
        for a, h in cases:
            g = guess(a) if guess is not None else _wiggle_guess(a)
            t0 = a if k == 2 else g[k]
            built += verify(s, k, t0, h, g, seed=len(cases) + k)
    return built


def test_curved_arc(mode, piece_test):
    assert _run_cases(CURVED, [(0.3, 0.02), (0.7, 0.01), (0.1, 0.003)]) >= 2


def test_near_a_fold(mode, piece_test):
    """x^2 = 1/100 - a: the a-chart near the fold a = 1/100 (dx/da = -1/(2x) up to ~ -50, curvature ~ 1e4)
    and the x-chart across the fold."""
    built = _run_cases(FOLD, [(0.0096, 0.0001), (0.0098, 0.00002), (0.0099, 0.000005)], k_list=(2,))
    built += _run_cases(FOLD, [(0.00999, 0.00001)], k_list=(0,))
    assert built >= 1


def test_strongly_curved_wiggle(mode, piece_test):
    assert _run_cases(WIGGLE, [(0.2, 0.005), (0.03, 0.002), (0.5, 0.01)]) >= 1


@pytest.mark.parametrize("which", ["tiny", "huge"])
def test_tiny_and_huge_coordinates(mode, piece_test, which):
    sysdef = TINY if which == "tiny" else HUGE
    built = _run_cases(sysdef, [(0.2, 0.01), (0.4, 0.002)], k_list=(2,))
    built += _run_cases(sysdef, [(0.2, 0.01 * (1e-8 if which == "tiny" else 1e8))], k_list=(0,))
    assert built >= 1


def test_two_branches_one_e_minus_6_apart(mode, piece_test):
    """x = sin a and x = sin a + 1e-6: J_u is ~ +-1e-6 on the branches (near-singular preconditioned solves)."""
    built = _run_cases(CLOSE, [(0.3, 1e-4), (0.3, 1e-7), (0.5, 1e-8)], k_list=(2,))
    assert built >= 1


def _second_holds(s, k: int, p, chk, zc, second, seed: int = 1) -> None:
    """The second-order form of p holds the 50-digit Df on p's arc (random s and both ends)."""
    T = Truth(s)
    tm = chk._tm(p)
    rng = np.random.default_rng(seed)
    A0t, A1 = second
    with mp.workdps(DPS):
        for t in [p.lo, p.hi, tm] + [p.lo + (p.hi - p.lo) * Fraction(float(r)) for r in rng.random(4)]:
            D = T.df(mp_equilibrium(s, k, t, zc))
            sv = _fr(t - tm)
            for i in range(s.n):
                for j in range(s.n):
                    v = D[i, j] - sv * mp.mpf(float(A1.mid[i, j]))
                    assert _in(v, A0t.mid[i, j], float(A0t.rad[i, j]) + abs(float(sv)) * float(A1.rad[i, j])), \
                        ("second-order form", float(t), i, j)


@pytest.mark.parametrize("lazy", [True, False])
def test_kept_state_never_serves_another_piece(monkeypatch, lazy):
    """One check, two pieces of the curved arc (different arcs, same chart): enclose p1, p2, then p1 again
    (cached A: _enclose_A returns early and keeps p2's state). _second_order(p1) is None or holds p1's
    50-digit Df; _second_order(p2) holds p2's; a RESTRICT-style copy of p2 (dataclasses.replace) is not p2."""
    from dataclasses import replace
    monkeypatch.setattr(arc_enclosure, "SECOND_ORDER_N", 10 if lazy else 0)
    monkeypatch.setattr(arc_enclosure, "SECOND_ORDER_LAZY", lazy)
    rhs, guess = CURVED
    s = system(rhs)
    b1, b2 = build(s, 2, 0.3, 0.01, guess(0.3)), build(s, 2, 0.7, 0.01, guess(0.7))
    assert b1 is not None and b2 is not None
    (p1, chk, run1, zc1), (p2, _, run2, zc2) = b1, b2
    with flint.ctx.workprec(PREC):
        assert chk._enclose_A(p1, run1) is not None
        assert chk._enclose_A(p2, run2) is not None
        assert chk._enclose_A(p1, run1) is not None          # cached: the kept state is still p2's
        s1 = chk._second_order(p1)
        q2 = replace(p2, hi=p2.lo + (p2.hi - p2.lo) * Fraction(3, 5), A0=None, Amv=None, Ap=None)
        assert chk._second_order(q2) is None
        s2 = chk._second_order(p2)
    if s1 is not None:
        _second_holds(s, 2, p1, chk, zc1, s1)
    assert s2 is not None
    _second_holds(s, 2, p2, chk, zc2, s2)
    # the restricted copy, enclosed on its own: its own second-order form holds its arc
    with flint.ctx.workprec(PREC):
        assert chk._enclose_A(q2, run2) is not None
        s3 = chk._second_order(q2)
    assert s3 is not None
    _second_holds(s, 2, q2, chk, zc2, s3)


@pytest.mark.parametrize("kind", ["box", "parametrised"])
def test_default_settings_at_n_12(monkeypatch, kind):
    """n = 12 >= SECOND_ORDER_N (defaults: Lemma A2 eager, numpy balls): the moving branch x_j = sin(a + j/7)/3
    of test_piece_spectrum_long_redteam.padded, a-chart pieces of width 2e-2 and 2e-4 and an x-chart piece."""
    from test_piece_spectrum_long_redteam import padded
    monkeypatch.setattr(krawczyk_tube, "TUBE_TEST", kind)
    n = 12
    s = padded("(a - 1/3)", n)
    g = lambda a: [np.sin(a + j / 7) / 3 for j in range(n)] + [a]
    built = sum(verify(s, n, a, h, g(a), m=3) for a, h in [(0.1, 0.01), (0.3, 1e-4)])
    built += verify(s, 5, g(0.2)[5], 0.002, g(0.2), m=3)
    assert built >= 2


@pytest.mark.parametrize("h", [1e-7, 1e-8])
@pytest.mark.parametrize("shift", [1e-6, 5e-7, -1e-6, 0.0])
def test_centre_on_the_other_branch_is_never_used(monkeypatch, piece_test, h, shift):
    """x0 = sin a and x0 = sin a + 1e-6 (Df_00 = -1e-6 and +1e-6: the branches are told apart by A0): a piece
    of the first branch whose float centre (``_point``) is moved by ``shift`` in x0 (onto the other branch,
    or between them; 0: the control, whose enclosures are checked). ``_centre``'s thin Krawczyk box U then holds the other branch's point (or none): its
    Krawczyk set must fail ``p.holds`` (None), else everything must hold the first branch's 50-digit truth."""
    monkeypatch.setattr(arc_enclosure, "SECOND_ORDER_N", 0)
    rhs, guess = CLOSE
    s = system(rhs)
    a0 = 0.5
    got = build(s, 2, a0, h, guess(a0))
    if got is None:
        pytest.skip("no Krawczyk piece")
    p, chk, run, zc = got
    orig = chk._point

    def moved(r, t):
        z = orig(r, t)
        z[0] += shift
        return z
    monkeypatch.setattr(chk, "_point", moved)
    with flint.ctx.workprec(PREC):
        enc = chk._enclose_A(p, run)
        second = chk._second_order(p) if enc is not None else None
    if enc is None:
        return
    T = Truth(s)
    tm = chk._tm(p)
    with mp.workdps(DPS):
        for t in (tm, p.lo, p.hi):
            z = mp_equilibrium(s, 2, t, zc)
            assert abs(z[0] - mp.sin(z[2])) < mp.mpf(10) ** -9        # the first branch
            D = T.df(z)
            if t == tm:
                _mat_in(D, as_nball(p.A0), "A0")
            _mat_in(D, as_nball(p.Amv), ("Amv", float(t)))
    if second is not None:
        _second_holds(s, 2, p, chk, zc, second)
