"""Longer tube pieces (issue 17): Lemma A2 (the second-order arc enclosure of tube.py, ``_arc_curve`` /
``_second_order``) against 50-digit mpmath values along the arc; the moving-disc Lemmas of
piece_spectrum.py on its second-order form with adversarial families (a pair crossing iR 1e-12 inside
or outside the piece's end, two crossings close together in one piece, a real pair colliding on iR, a
neutral saddle), 50-digit eigenvalues inside the claimed discs; the restricted-piece retry of
``_march`` (RESTRICT) and the second-order form agreeing with the first-order check and the
bialternate method on small systems."""
from fractions import Fraction
from types import SimpleNamespace

import flint
import mpmath as mp
import numpy as np
import pytest
from flint import arb

import symhopf.proof.arc_enclosure as arc_enclosure
import symhopf.proof.tube as tube
from symhopf.proof.piece_spectrum import _moving, moving_discs_ok, moving_hopf_ok
from symhopf.runtime.npball import NBall, nmul, scalar
from test_tube_parametrised import PREC, float_point, mp_equilibrium, mp_rhs, piece_of, system
from test_tube_spectral import _agree, _leaky, twice


# --------------------------------------------------------------------------- Lemma A2 on a real arc
def mp_jacobian(s, z: list) -> mp.matrix:
    """Df at z (50 digits, mpmath derivatives of the right-hand side; x columns only)."""
    n, F = s.n, mp_rhs(s)
    with mp.workdps(50):
        J = mp.matrix(n, n)
        for j in range(n):
            col = mp.diff(lambda v: mp.matrix(F([v if q == j else z[q] for q in range(n + 1)])), z[j])
            for i in range(n):
                J[i, j] = col[i]
        return J


def _inside(val, mid: float, rad: float) -> bool:
    return abs(val - mp.mpf(mid)) <= mp.mpf(rad) * (1 + mp.mpf(10) ** -12) + mp.mpf(10) ** -40


def _check(s, k: int, a: float, h: float, guess, rng) -> bool:
    """One piece of chart k around the float equilibrium near ``guess``: (A0 + [0, h^2] A2) + s A1 holds the
    50-digit Df(z(t~ + s)) at random s (the second-order form), A' holds d/dt Df there (5-point
    difference at 50 digits, error ~1e-30), A0 holds Df(z(t~)). False when no piece is built."""
    z = np.array(guess, float)
    lo, hi = Fraction(float(z[k]) - h), Fraction(float(z[k]) + h)
    zc = float_point(s, k, float((lo + hi) / 2), z)
    p, _ = piece_of(s, k, lo, hi, zc)
    if p is None:
        return False
    br = SimpleNamespace(x=[zc[: s.n]], a=[zc[s.n]], closed=False)
    chk = tube.MovingBranchCheck(s, br, [], (-1, 1), PREC)
    run = tube._Run(k, 1, np.array([zc - 1e-3, zc + 1e-3]), lo, hi, 1.0)
    with flint.ctx.workprec(PREC):
        enc = chk._enclose_A(p, run)
        assert enc is not None
        second = chk._second_order(p)
    if second is None:                 # Lemma A2 not applicable (a solve did not contract): nothing claimed
        return False
    A0t, A1 = second
    Ap = tube.as_nball(p.Ap)
    tm = chk._tm(p)
    ss = [Fraction(0), p.lo - tm, p.hi - tm] + [(p.lo - tm) + (p.hi - p.lo) * Fraction(float(r)) for r in rng.random(4)]
    with mp.workdps(50):
        for sv in ss:
            t = tm + sv
            zt = mp_equilibrium(s, k, t, zc)
            J = mp_jacobian(s, zt)
            sm = mp.mpf(sv.numerator) / sv.denominator
            for i in range(s.n):
                for j in range(s.n):
                    # Df_ij(t) - s A1_ij  in  A0t_ij  (the A1' of the Lemma taken at A1's midpoint +- its radius)
                    v = J[i, j] - sm * mp.mpf(float(A1.mid[i, j]))
                    assert _inside(v, float(A0t.mid[i, j]), float(A0t.rad[i, j]) + abs(float(sm)) * float(A1.rad[i, j])), \
                        (float(sv), i, j)
            # d/dt Df at t: central differences of the 50-digit arc
            d = mp.mpf(10) ** -12
            Jp = mp_jacobian(s, mp_equilibrium(s, k, t + Fraction(1, 10 ** 12), zc))
            Jm = mp_jacobian(s, mp_equilibrium(s, k, t - Fraction(1, 10 ** 12), zc))
            for i in range(s.n):
                for j in range(s.n):
                    assert _inside((Jp[i, j] - Jm[i, j]) / (2 * d), float(Ap.mid[i, j]), float(Ap.rad[i, j]) + 1e-18)
    return True


@pytest.fixture(autouse=True)
def _second_order_always(monkeypatch):
    """Lemma A2 on every system (tube.py uses it from n = SECOND_ORDER_N on)."""
    monkeypatch.setattr(arc_enclosure, "SECOND_ORDER_N", 0)


@pytest.mark.parametrize("k", [2, 0])
def test_second_order_arc_enclosure_holds_fifty_digit_jacobians(k):
    """Lemma A2 on a curved branch (x = sin(2a) + a^2, y = x^2 - a, Df depending on x): wide pieces in
    the a-chart and the x-chart."""
    s = system(["x - sin(2*a) - a**2", "y*x - x**3 + a*x"])
    rng = np.random.default_rng(5)
    built = 0
    for a, h in [(0.3, 0.02), (0.5, 0.01), (0.7, 0.02), (0.1, 0.01)]:
        x = np.sin(2 * a) + a * a
        built += _check(s, k, a, h, [x, x * x - a, a], rng)
    assert built >= 2


def test_second_order_form_is_tighter_than_the_first_order_one():
    """Df on the arc: the second-order form's radii are O(h^2) with a thin A1; its largest radius is
    below h times the first-order A' radius plus the h^2 term's size (a wide piece of the curved arc)."""
    s = system(["x - sin(2*a) - a**2", "y*x - x**3 + a*x"])
    a, h = 0.5, 0.01
    x = np.sin(2 * a) + a * a
    z = np.array([x, x * x - a, a])
    lo, hi = Fraction(a - h), Fraction(a + h)
    zc = float_point(s, 2, a, z)
    p, _ = piece_of(s, 2, lo, hi, zc)
    assert p is not None
    chk = tube.MovingBranchCheck(s, SimpleNamespace(x=[zc[:2]], a=[zc[2]], closed=False), [], (-1, 1), PREC)
    run = tube._Run(2, 1, np.array([zc - 1e-3, zc + 1e-3]), lo, hi, 1.0)
    with flint.ctx.workprec(PREC):
        chk._enclose_A(p, run)
        A0t, A1 = chk._second_order(p)
    assert A1.rad.max() < 1e-10
    assert A0t.rad.max() < h * tube.as_nball(p.Ap).rad.max() + h * h * 10


# --------------------------------------------------------------------------- adversarial families
def _family(alpha: tuple[float, float, float], omega: float = 1.0, extra=(-1.0, 2.0), seed: int = 3):
    """Df(s) = V (block [[al(s), -omega], [omega, al(s)]] (+) diag(extra)) V^-1 with al(s) = c0 + c1 s + c2 s^2:
    (A0, A1, A2) exactly (float V with small entries; products in floats: exact test data, Df(s) = A0 + s
    A1 + s^2 A2 as defined), and the mpmath eigenvalues of Df(s)."""
    n = 2 + len(extra)
    rng = np.random.default_rng(seed)
    V = np.eye(n) + np.round(0.2 * rng.standard_normal((n, n)), 3)
    Vi = np.linalg.inv(V)
    c0, c1, c2 = alpha
    mats = []
    for c, om, ex in ((c0, omega, extra), (c1, 0.0, [0.0] * len(extra)), (c2, 0.0, [0.0] * len(extra))):
        D = np.zeros((n, n))
        D[:2, :2] = [[c, -om], [om, c]]
        D[2:, 2:] = np.diag(ex)
        mats.append(V @ D @ Vi)

    def eig(sv: float):
        with mp.workdps(50):
            M = mp.matrix([[mp.mpf(float(mats[0][i, j])) + sv * mp.mpf(float(mats[1][i, j]))
                            + sv ** 2 * mp.mpf(float(mats[2][i, j])) for j in range(n)] for i in range(n)])
            return mp.eig(M, left=False, right=False)
    return mats, eig


def _second_form(mats, h: float) -> tuple[NBall, NBall]:
    """(A0 + [0, h^2] A2, A1): the second-order form of Lemma A2 for the family."""
    h2 = scalar(arb(0).union(arb(h) * arb(h)))
    return NBall(mats[0], 0.0) + nmul(NBall(mats[2], 0.0), h2), NBall(mats[1], 0.0)


def _on_axis(eig, h: float, m: int = 400) -> bool:
    """Some eigenvalue of Df(s), s on a grid of [-h, h] or at the ends, is (to 1e-30) on iR \\ {0}."""
    for sv in np.linspace(-h, h, m):
        for ev in eig(mp.mpf(float(sv))):
            if abs(mp.re(ev)) < mp.mpf(10) ** -30 and abs(mp.im(ev)) > mp.mpf(10) ** -20:
                return True
    return False


@pytest.mark.parametrize("sign", [-1, 1])
def test_pair_crossing_just_inside_or_outside_the_piece_end(sign):
    """al(s) = (s - s*) (1 + s): the pair crosses at s* = h + sign 1e-12. Inside (sign -1): neither
    plain Lemma accepts; outside: an acceptance must be true (no eigenvalue on iR on [-h, h])."""
    h = 1e-3
    st = h + sign * 1e-12
    mats, eig = _family((-st, 1 - st, 1.0))
    A0t, A1 = _second_form(mats, h)
    got = moving_discs_ok(A0t, A1, h)
    if sign < 0:
        assert not got
        assert not moving_discs_ok(NBall(mats[0], 0.0), NBall(mats[1], 0.0) + nmul(NBall(mats[2], 0.0),
                                                                                  scalar(arb(0, 2 * h))), h)
    elif got:
        assert not _on_axis(eig, h)


def test_two_crossings_close_together_in_one_piece():
    """al(s) = (s - 1e-4)(s + 1e-4): two crossings 2e-4 apart inside [-h, h]: not plain, not a Hopf
    piece (Re mu' changes sign), on the second-order and on the first-order form."""
    h = 1e-3
    mats, _ = _family((-1e-8, 0.0, 1.0))
    A0t, A1 = _second_form(mats, h)
    assert not moving_discs_ok(A0t, A1, h)
    Ad = NBall(mats[1], 0.0) + nmul(NBall(mats[2], 0.0), scalar(arb(0, 2 * h)))   # d/ds Df on [-h, h]
    assert not moving_hopf_ok(NBall(mats[0], 0.0), Ad, h)
    assert not moving_discs_ok(NBall(mats[0], 0.0), Ad, h)


def test_one_crossing_with_curvature_is_a_hopf_piece():
    """al(s) = s + s^2 (one crossing at 0, Re mu' = 1 + 2s > 0 on [-h, h]): a Hopf piece, not plain."""
    h = 1e-2
    mats, _ = _family((0.0, 1.0, 1.0))
    Ad = NBall(mats[1], 0.0) + nmul(NBall(mats[2], 0.0), scalar(arb(0, 2 * h)))
    assert moving_hopf_ok(NBall(mats[0], 0.0), Ad, h)
    assert not moving_discs_ok(*_second_form(mats, h), h)


def _jordan_family(beta: float, gamma: tuple[float, float], extra=(-1.0,)):
    """Df(s) = [[beta, 1], [g(s), beta]] (+) diag(extra), g(s) = g0 + g1 s: eigenvalues beta +- sqrt(g(s)), a
    real pair colliding at g = 0 and leaving as a complex pair."""
    n = 2 + len(extra)
    A0, A1 = np.zeros((n, n)), np.zeros((n, n))
    A0[:2, :2] = [[beta, 1], [gamma[0], beta]]
    A1[1, 0] = gamma[1]
    A0[2:, 2:] = np.diag(extra)
    return A0, A1


def test_real_pair_colliding_on_the_axis_is_refused():
    """beta = 0, g(s) = s - 5e-4: the real pair +-sqrt(g) collides at 0 and leaves as +-i sqrt(-g) on iR
    (s < 5e-4, inside the piece): not plain."""
    h = 1e-3
    A0, A1 = _jordan_family(0.0, (-5e-4, 1.0))
    assert not moving_discs_ok(NBall(A0, 0.0), NBall(A1, 0.0), h)
    assert not moving_hopf_ok(NBall(A0, 0.0), NBall(A1, 0.0), h)


def test_neutral_saddle_moving_is_plain():
    """g(s) = 1/4 + s: a real pair +-sqrt(g) (a neutral saddle, det(2 Df (.) I) = 0) all along the piece:
    plain (no eigenvalue on iR \\ {0})."""
    h = 1e-2
    A0, A1 = _jordan_family(0.0, (0.25, 1.0))
    assert moving_discs_ok(NBall(A0, 0.0), NBall(A1, 0.0), h)


def test_fifty_digit_eigenvalues_lie_in_the_moving_discs():
    """The discs of the second-order form (centre ``B0_pp + s B1_pp``, radius rho_p plus the balls'
    radii) hold every 50-digit eigenvalue of Df(s) along the piece."""
    h = 2e-2
    mats, eig = _family((0.3, 1.0, -2.0), omega=1.5, extra=(-1.0, 2.0, 0.5))
    A0t, A1 = _second_form(mats, h)
    mv = _moving(A0t, A1, h)
    assert mv is not None
    b1 = np.diag(mv.B1.mid)
    for sv in np.linspace(-h, h, 21):
        cs = mv.m + sv * b1
        rs = mv.R - h * np.abs(b1)         # rho + rad B0_pp + h rad B1_pp: the moving disc's radius
        for ev in eig(mp.mpf(float(sv))):
            assert any(abs(ev - mp.mpc(complex(c))) <= mp.mpf(float(r)) for c, r in zip(cs, rs)), (sv, ev)


# --------------------------------------------------------------------------- whole branches
@pytest.mark.parametrize("n, seed", [(3, 1), (6, 3)])
def test_second_order_and_restriction_agree_with_the_first_order_check(monkeypatch, n, seed):
    """Small biased nets: the check with Lemma A2 and the restricted-piece retry, without them, and with the
    bialternate Hopf pieces: the same answer and crossings."""
    s = _leaky(n, seed)
    _agree(monkeypatch, s, "SECOND_ORDER_N", (0, 10 ** 9))
    monkeypatch.setattr(arc_enclosure, "SECOND_ORDER_N", 0)
    _agree(monkeypatch, s, "RESTRICT", (0.6, 0.0))
    _agree(monkeypatch, s, "HOPF_METHOD", ("spectral", "bialternate"))


def test_pair_crossing_twice_still_needs_both_points():
    """A pair crossing iR twice on one branch: with the longer pieces a missing point is never complete."""
    from test_proof_completeness_moving import on_branch, proved_points
    from symhopf.proof.completeness import check_branch
    s = twice(("-1", "1"))
    res, proved = proved_points(s)
    br = [b for b in res.branches if len(on_branch(res, proved, b)) == 2][0]
    mine = on_branch(res, proved, br)
    out = check_branch(s, br, mine)
    assert out.proved and len(out.crossings) == 2
    for keep in ([mine[0]], [mine[1]], []):
        assert not check_branch(s, br, keep).proved
