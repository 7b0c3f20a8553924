"""Lemma G (``arc_enclosure.ArcEnclosures._arc_derivative``): ``d/dt Df`` on a piece's arc centred at the arc's
point ``z(t~)``, ``Dg(U)[DU] + S (C(K)[DU_x, DU_x, .] + 2 DU_a B_a(K)[DU_x, .] + DU_a^2 Df_aa(K))``, used by
``_enclose_A`` below SECOND_ORDER_N on pieces with a Lemma T tangent; and Lemma T's tangent ``du`` with
``Y(s) Jz w`` in the order ``Y0 f1 + S (Y1 f1 + 2 Y0 f2) + 2 S2 Y1 f2 + ...`` and its Taylor form
(``krawczyk_tube.Tangent``: ``u'(t) - w_u`` in ``(t - t0) E1 + E0``), which Lemma G's first term uses.

Ground truth: mpmath at 50 digits (the equilibrium by Newton, its tangent by a 50-digit solve, ``d/dt Df`` by
central differences of the 50-digit arc, step 1e-12: error ~1e-24). Systems: a curved branch (a-chart and
x-chart), a tanh net whose parameter sits inside the activations (C, B_a, Df_aa all non-zero), a fold crossed in
the x-chart. Adversarial: the red-team cases of test_piece_spectrum_long_redteam (a crossing 1e-12 from a piece
end, two crossings in one piece, pairs on iR inside the range, a crossing next to a fold) rerun with Lemma G on,
checked to have used it; whole small nets agree with the box form (ARC_DERIVATIVE off)."""
from fractions import Fraction
from types import SimpleNamespace

import flint
import mpmath as mp
import numpy as np
import pytest

import symhopf.proof.arc_enclosure as arc_enclosure
import symhopf.proof.krawczyk_tube as krawczyk_tube
import symhopf.proof.tube as tube
from test_piece_spectrum_long import mp_jacobian
from test_tube_parametrised import (PREC, ball_of, float_point, mp_equilibrium, mp_tangent, piece_of, system)

CURVED = (["x - sin(2*a) - a**2", "y*x - x**3 + a*x"], ("x", "y"))
TANH = (["tanh(a*x + y/2 - 1/5) - x", "tanh(a*y - 7*x/10 + z/10) - y", "tanh(3*x/10 + a*z + 1/20) - z"],
        ("x", "y", "z"))
FOLD = (["x**2 - x/4 + a + y/10", "y - x*a"], ("x", "y"))   # a = x/4 - x^2 - x^2 a / 10: a fold near x = 1/8


@pytest.fixture
def spy(monkeypatch):
    """Counts the calls of Lemma G (a test using it must not pass vacuously)."""
    calls = []
    orig = arc_enclosure.ArcEnclosures._arc_derivative

    def wrapped(self, *args):
        out = orig(self, *args)
        calls.append(out is not None)
        return out
    monkeypatch.setattr(arc_enclosure, "ARC_DERIVATIVE", True)
    monkeypatch.setattr(arc_enclosure.ArcEnclosures, "_arc_derivative", wrapped)
    return calls


def _inside(v, mid: float, rad: float) -> bool:
    return abs(v - mp.mpf(mid)) <= mp.mpf(rad)


def _arc_check(s, k: int, lo: Fraction, hi: Fraction, guess, rng, m: int = 10) -> bool:
    """One piece of chart k over [lo, hi]: its Lemma T tangent holds the 50-digit tangent, ``A'`` (Lemma G) holds
    the 50-digit ``d/dt Df`` and ``A = A0 + S A'`` holds ``Df`` at both ends and m random t. False: no piece."""
    zc = float_point(s, k, float((lo + hi) / 2), guess)
    p, _ = piece_of(s, k, lo, hi, zc)
    if p is None or p.du is None:
        return False
    n = s.n
    o = [j for j in range(n + 1) if j != k]
    chk = tube.MovingBranchCheck(s, SimpleNamespace(x=[zc[:n]], a=[zc[n]], closed=False), [], (-1, 1), PREC)
    run = tube._Run(k, 1, np.array([zc - 1e-3, zc + 1e-3]), lo, hi, 1.0)
    with flint.ctx.workprec(PREC):
        assert chk._enclose_A(p, run) is not None
    Ap, A = tube.as_nball(p.Ap), tube.as_nball(p.Amv)
    ts = [p.lo, p.hi] + [p.lo + (p.hi - p.lo) * Fraction(float(r)) for r in rng.random(m)]
    d = Fraction(1, 10 ** 12)
    with mp.workdps(50):
        for t in ts:
            z = mp_equilibrium(s, k, t, zc)
            tan = mp_tangent(s, k, z)
            with flint.ctx.workprec(PREC):
                assert all(dj.contains(ball_of(v)) for dj, v in zip(p.du, tan)), float(t)
            # Lemma T's Taylor form: u'(t) - w_u in (t - t0) E1 + E0
            t0, w, E1, E0 = p.du.taylor
            sm = mp.mpf(t.numerator) / t.denominator - mp.mpf(t0)
            for i, j in enumerate(o):
                v = tan[i] - mp.mpf(float(w[j])) - sm * mp.mpf(float(E1.mid[i, 0]))
                assert _inside(v, float(E0.mid[i, 0]), float(E0.rad[i, 0]) + abs(float(sm)) * float(E1.rad[i, 0])), \
                    (float(t), i)
            J = mp_jacobian(s, z)
            Jp, Jm = mp_jacobian(s, mp_equilibrium(s, k, t + d, zc)), mp_jacobian(s, mp_equilibrium(s, k, t - d, zc))
            for i in range(n):
                for j in range(n):
                    g1 = (Jp[i, j] - Jm[i, j]) / (2 * mp.mpf(d.numerator) / d.denominator)
                    assert _inside(g1, float(Ap.mid[i, j]), float(Ap.rad[i, j]) + 1e-18), (float(t), i, j)
                    assert _inside(J[i, j], float(A.mid[i, j]), float(A.rad[i, j])), (float(t), i, j)
    return True


@pytest.mark.parametrize("arith", ["arb", "numpy"])
@pytest.mark.parametrize("case, k, centres, h", [
    (CURVED, 2, [0.3, 0.5, 0.7], 0.02), (CURVED, 0, [0.3, 0.7], 0.01),
    (TANH, 3, [0.4, 0.6, 0.8], 0.02), (TANH, 1, [0.5], 0.005)])
def test_lemma_g_holds_fifty_digit_derivatives(spy, monkeypatch, arith, case, k, centres, h):
    """Wide pieces (chart a and an x-chart) of a curved branch and of a tanh net with the parameter inside
    the activations: Lemma G's ``A'`` holds ``d/dt Df`` of the 50-digit arc at every t tried, the tangent of
    Lemma T (both arithmetics) the 50-digit tangent."""
    monkeypatch.setattr(krawczyk_tube, "TUBE_ARITHMETIC", arith)
    rhs, names = case
    s = system(rhs, names)
    rng = np.random.default_rng(11)
    built = 0
    for a in centres:
        if case is CURVED:
            x = np.sin(2 * a) + a * a
            guess = [x, x * x - a, a]
        else:
            guess = [0.0] * s.n + [a]
            guess = list(tube.Tube(s, PREC).point(s.n, a, np.array(guess)))
        t = guess[k]
        built += _arc_check(s, k, Fraction(t - h), Fraction(t + h), guess, rng)
    assert built >= 1 and spy and all(spy)


def test_lemma_g_across_a_fold(spy):
    """The fold of ``x^2 - x/4 + a + y/10 = 0, y = x a`` (da/dx = 0 near x = 1/8) crossed by x-chart pieces,
    the fold inside the piece and at its end: A' and A hold the 50-digit values (a' changes sign on the piece)."""
    s = system(*FOLD)
    rng = np.random.default_rng(3)

    def guess(x):
        a = (x / 4 - x * x) / (1 + x * x / 10)
        return [x, x * a, a]
    xf = 0.125
    built = 0
    for lo, hi in [(xf - 0.01, xf + 0.01), (xf - 0.02, xf), (xf - 0.003, xf + 0.005)]:
        built += _arc_check(s, 0, Fraction(lo), Fraction(hi), guess((lo + hi) / 2), rng)
    assert built >= 2 and len(spy) >= 2 and all(spy)


def test_lemma_g_is_used_only_with_a_lemma_t_tangent_below_second_order_n(spy, monkeypatch):
    """At n >= SECOND_ORDER_N (Lemma A2's form) and on pieces without a Lemma T tangent (the tangent passes run
    on the K box's ``Df_a``) the box form is kept: Lemma G is not called."""
    s = system(*CURVED)
    a = 0.5
    x = np.sin(2 * a) + a * a
    zc = float_point(s, 2, a, [x, x * x - a, a])
    p, _ = piece_of(s, 2, Fraction(a - 0.01), Fraction(a + 0.01), zc)
    assert p is not None and p.du is not None
    run = tube._Run(2, 1, np.array([zc - 1e-3, zc + 1e-3]), p.lo, p.hi, 1.0)
    chk = tube.MovingBranchCheck(s, SimpleNamespace(x=[zc[:2]], a=[zc[2]], closed=False), [], (-1, 1), PREC)
    from dataclasses import replace
    with flint.ctx.workprec(PREC):
        assert chk._enclose_A(replace(p, du=None), run) is not None
        assert not spy
        monkeypatch.setattr(arc_enclosure, "SECOND_ORDER_N", 2)
        assert chk._enclose_A(replace(p), run) is not None
        assert not spy
        monkeypatch.setattr(arc_enclosure, "SECOND_ORDER_N", 10)
        assert chk._enclose_A(replace(p), run) is not None
        assert spy == [True]


@pytest.mark.parametrize("n, seed", [(3, 1), (6, 3)])
def test_lemma_g_agrees_with_the_box_form_on_whole_branches(monkeypatch, n, seed):
    """Small biased nets: every branch's check with Lemma G and with the box form of ``A'``: the same answer
    and crossings (and the bialternate Hopf pieces agree with the spectral ones with Lemma G on)."""
    from test_tube_spectral import _agree, _leaky
    s = _leaky(n, seed)
    _agree(monkeypatch, s, "ARC_DERIVATIVE", (True, False))
    monkeypatch.setattr(arc_enclosure, "ARC_DERIVATIVE", True)
    _agree(monkeypatch, s, "HOPF_METHOD", ("spectral", "bialternate"))


@pytest.mark.parametrize("nmax", [1, 20])
def test_lemma_g_crossing_one_e_minus_12_from_a_piece_end(spy, monkeypatch, nmax):
    """A plain piece ending on the crossing, 1e-12 past it, or starting 1e-12 before it is never accepted with
    Lemma G (n = 3); some true plain pieces are."""
    from test_piece_spectrum_long_redteam import test_crossing_one_e_minus_12_from_a_piece_end as run
    run(monkeypatch, 3, 10, nmax)
    assert spy


@pytest.mark.parametrize("w", [1e-3, 1e-6])
def test_lemma_g_two_crossings_in_one_piece_are_refused(spy, monkeypatch, w):
    from test_piece_spectrum_long_redteam import test_hopf_piece_holding_two_crossings_is_refused as run
    run(monkeypatch, 4, 10, w)
    assert spy


@pytest.mark.parametrize("case", ["touch", "two_1e-10", "curv_1e4", "end_inside"])
def test_lemma_g_pair_on_the_axis_inside_the_range_is_never_complete(spy, monkeypatch, case):
    from test_piece_spectrum_long_redteam import test_pair_on_the_axis_inside_the_range_is_never_complete as run
    run(monkeypatch, case, 3, 10)
    assert spy


@pytest.mark.parametrize("mu", ["(x0 - 1/1000)", "((x0 - 1/1000)**2 - 10**(-14))"])
def test_lemma_g_crossing_next_to_a_fold_is_never_complete(spy, monkeypatch, mu):
    from test_piece_spectrum_long_redteam import test_crossing_next_to_or_on_a_fold_is_never_complete_without_its_point as run
    run(monkeypatch, 3, 10, mu)
    assert spy
