"""The Krawczyk tube pieces in numpy balls (krawczyk_tube.TUBE_ARITHMETIC = "numpy": Lemma P, Lemma T and
the box test with a-priori rounding bounds) against the python-flint reference ("arb"): the same pieces
accepted on small systems, every 50-digit equilibrium and tangent of the arc in the numpy pieces' K and du,
and the adversarial cases (two branches 1e-6 apart, a fold inside an a-chart piece, a nan or an infinite
radius in any evaluation) refused in both."""
from fractions import Fraction

import flint
import mpmath as mp
import numpy as np
import pytest
from flint import arb, arb_mat

import symhopf.proof.krawczyk_tube as krawczyk_tube
from symhopf.proof.completeness import check_branch
from symhopf.proof.krawczyk_tube import Tube
from symhopf.runtime.arbtools import exact_ball, hull
from symhopf.runtime.npball import NBall
from test_proof_completeness_moving import on_branch, proved_points
from test_tube_parametrised import PREC, ball_of, check_contains_truth, float_point, piece_of, system
from test_tube_redteam2 import _curved3, _tanh_net
from test_tube_spectral import _leaky

F = Fraction
ARITH = ("numpy", "arb")
CURVED = ["x - sin(2*a) - a**2", "y - x**2 + a"]


def _pieces(monkeypatch, s, k: int, cases):
    """{arithmetic: [piece or None for each (lo, hi, float centre)]}."""
    out = {}
    for arith in ARITH:
        monkeypatch.setattr(krawczyk_tube, "TUBE_ARITHMETIC", arith)
        out[arith] = [piece_of(s, k, lo, hi, zc)[0] for lo, hi, zc in cases]
    return out


def _rad(v: arb) -> float:
    return float(v.rad())


# --------------------------------------------------------------------------- agreement and containment
@pytest.mark.parametrize("k", [2, 0])
def test_numpy_and_arb_accept_the_same_pieces_and_numpy_pieces_hold_the_arc(monkeypatch, k):
    """The curved branch x = sin(2a) + a^2, y = x^2 - a, pieces of half widths 1e-4 .. 0.4 in the a-chart
    and the x-chart: numpy accepts every piece arb accepts (and arb every numpy one), with K and du at
    most 4x wider (both: no tangent enclosure on the widest); every 50-digit equilibrium and tangent at random t lies in the numpy piece."""
    s = system(CURVED)
    rng = np.random.default_rng(17)
    cases = []
    for a, h in [(0.1, 1e-4), (0.1, 0.05), (-0.3, 0.02), (0.2, 0.1), (0.05, 0.2), (0.1, 0.4), (0.3, 0.003)]:
        x = np.sin(2 * a) + a * a
        z = np.array([x, x * x - a, a])
        lo, hi = F(float(z[k]) - h), F(float(z[k]) + h)
        cases.append((lo, hi, float_point(s, k, float((lo + hi) / 2), z)))
    got = _pieces(monkeypatch, s, k, cases)
    both = 0
    for (lo, hi, zc), pn, pa in zip(cases, got["numpy"], got["arb"]):
        assert (pn is None) == (pa is None), (float(lo), float(hi))
        if pn is None:
            continue
        both += 1
        assert (pn.slant is None) == (pa.slant is None)
        check_contains_truth(s, pn, zc, rng, m=6)
        for Kn, Ka in zip(pn.K, pa.K):
            assert _rad(Kn) <= 4 * _rad(Ka) + 1e-300
        assert (pn.du is None) == (pa.du is None)
        for dn, da in zip(pn.du or [], pa.du or []):
            assert _rad(dn) <= 4 * _rad(da) + 1e-300
    assert both >= 5


def test_numpy_piece_is_about_as_wide_as_the_arb_piece(monkeypatch):
    """x^3 + x = 3a, y = x^2 around a = 1/2: the widest accepted a-chart piece (half width on a grid of
    ratio 1.2) in numpy balls is at least 0.8 times arb's."""
    s = system(["x**3 + x - 3*a", "y - x**2"])
    zc = float_point(s, 2, 0.5, [0.8, 0.6, 0.5])

    def widest(arith: str) -> float:
        monkeypatch.setattr(krawczyk_tube, "TUBE_ARITHMETIC", arith)
        h = 0.4
        while h > 1e-6 and piece_of(s, 2, F(0.5 - h), F(0.5 + h), zc)[0] is None:
            h /= 1.2
        return h
    assert widest("numpy") >= 0.8 * widest("arb") > 0.01


@pytest.mark.parametrize("arith", ARITH)
def test_box_test_encloses_the_fifty_digit_point(monkeypatch, arith):
    """The box test (thin T: one t, and T of half width 1e-12) in either arithmetic: the 50-digit
    equilibrium at t lies in K, K in U; a cover box is held by U."""
    monkeypatch.setattr(krawczyk_tube, "TUBE_ARITHMETIC", arith)
    s = system(CURVED)
    tb = Tube(s, PREC)
    for a in (-0.3, 0.1, 0.25):
        x = np.sin(2 * a) + a * a
        zc = float_point(s, 2, a, [x, x * x - a, a])
        t = F(float(zc[2]))
        cover = (zc - 1e-3, zc + 1e-3)
        for T, cov in [(exact_ball(t), None), (hull(t - F(1e-12), t + F(1e-12)), None), (exact_ball(t), cover)]:
            with flint.ctx.workprec(PREC):
                res = tb.krawczyk(2, T, zc, cover=cov)
                assert res is not None
                U, K = res[0], res[1]
                with mp.workdps(50):
                    truth = [mp.mpf(0)] * 2
                    xs = mp.findroot(lambda u: mp.sin(2 * mp.mpf(t.numerator) / t.denominator)
                                     + (mp.mpf(t.numerator) / t.denominator) ** 2 - u, mp.mpf(x))
                    truth = [xs, xs * xs - mp.mpf(t.numerator) / t.denominator]
                assert all(Ki.contains(ball_of(v)) for Ki, v in zip(K, truth))
                assert all(Ui.contains(Ki) for Ui, Ki in zip(U, K))
                if cov is not None:
                    assert all(Ui.contains(hull(float(cov[0][j]), float(cov[1][j]))) for Ui, j in zip(U, (0, 1)))


@pytest.mark.parametrize("make", [_tanh_net, _curved3])
def test_numpy_and_arb_tubes_decide_whole_branches_alike(monkeypatch, make):
    """Whole branch checks (n = 3, a tanh net and a curved polynomial system): both arithmetics prove the
    same branches complete with the same crossings; without the proved points neither does."""
    s = make()
    res, proved = proved_points(s)
    outs = {}
    for arith in ARITH:
        monkeypatch.setattr(krawczyk_tube, "TUBE_ARITHMETIC", arith)
        outs[arith] = [check_branch(s, br, on_branch(res, proved, br)) for br in res.branches]
    assert any(o.proved for o in outs["numpy"])
    for new, old in zip(outs["numpy"], outs["arb"]):
        assert new.proved == old.proved, (new.reason, old.reason)
        assert new.crossings == old.crossings
        assert new.pieces <= 1.25 * old.pieces + 4
    monkeypatch.setattr(krawczyk_tube, "TUBE_ARITHMETIC", "numpy")
    for br in res.branches:
        if on_branch(res, proved, br):
            assert not check_branch(s, br, []).proved


@pytest.mark.parametrize("n, seed", [(3, 1), (6, 3)])
def test_numpy_and_arb_tubes_agree_on_biased_nets(monkeypatch, n, seed):
    """Small biased leaky nets (structured code: the ball evaluations take numpy ball directions): the
    same answer and crossings in both arithmetics."""
    s = _leaky(n, seed)
    res, proved = proved_points(s)
    for br in res.branches:
        outs = []
        for arith in ARITH:
            monkeypatch.setattr(krawczyk_tube, "TUBE_ARITHMETIC", arith)
            outs.append(check_branch(s, br, on_branch(res, proved, br)))
        assert outs[0].proved == outs[1].proved, [o.reason for o in outs]
        assert outs[0].crossings == outs[1].crossings


# --------------------------------------------------------------------------- adversarial
@pytest.mark.parametrize("arith", ARITH)
def test_two_branches_1e6_apart_never_both_held(monkeypatch, arith):
    """Branches x = a and x = a + 1e-6 (y = x): no piece on one (any width, either float centre) holds a
    point of the other at t = lo, hi and 6 random t; each holds its own."""
    monkeypatch.setattr(krawczyk_tube, "TUBE_ARITHMETIC", arith)
    delta = F(1, 10 ** 6)
    s = system([f"(x - a)*(x - a - {delta})", "y - x"])
    rng = np.random.default_rng(5)
    accepted = 0
    for h in (1e-8, 1e-7, 1e-5, 1e-3, 1e-1):
        for x0 in (0.0, float(delta)):
            p, _ = piece_of(s, 2, F(-h), F(h), float_point(s, 2, 0.0, [x0, x0, 0.0]))
            if p is None:
                continue
            accepted += 1
            own, other = (F(0), delta) if x0 == 0 else (delta, F(0))
            with flint.ctx.workprec(PREC):
                for t in [F(-h), F(h)] + [F(float(r)) * 2 * F(h) - F(h) for r in rng.random(6)]:
                    assert not p.holds([exact_ball(t + other)] * 2 + [exact_ball(t)])
                    assert p.holds([exact_ball(t + own)] * 2 + [exact_ball(t)])
    assert accepted >= 4


@pytest.mark.parametrize("arith", ARITH)
@pytest.mark.parametrize("h", [1e-1, 1e-3, 1e-6])
def test_fold_inside_an_a_chart_piece_is_refused(monkeypatch, arith, h):
    """x^2 = a (fold at a = 0), y = x: no a-chart piece over [-h, h] or [0, h] whatever the float centre;
    the x-chart piece through the fold holds the 50-digit arc."""
    monkeypatch.setattr(krawczyk_tube, "TUBE_ARITHMETIC", arith)
    s = system(["x**2 - a", "y - x"])
    for x0 in (np.sqrt(h / 2), np.sqrt(h), 1e-3, 0.0, -np.sqrt(h)):
        zc = np.array([x0, x0, x0 * x0])
        assert piece_of(s, 2, F(-h), F(h), zc)[0] is None
        assert piece_of(s, 2, F(0), F(h), zc)[0] is None
    p, _ = piece_of(s, 0, F(-h), F(h), np.zeros(3))
    assert p is not None
    check_contains_truth(s, p, np.zeros(3), np.random.default_rng(2))


def _poison(value, how: str):
    """The evaluation ``value`` with entry (0, 0) made nan (``how = "nan"``) or of infinite radius."""
    bad = float("nan") if how == "nan" else 0.0
    if isinstance(value, NBall):
        mid, rad = value.mid.copy(), np.array(value.rad, dtype=float)
        if how == "nan":
            mid[0, 0] = bad
        else:
            rad[0, 0] = np.inf
        return NBall(mid, rad)
    M = arb_mat(value)
    M[0, 0] = arb(bad) if how == "nan" else arb(0, float("inf")) + M[0, 0]
    return M


class _Poisoned:
    """A ball evaluator whose method ``name`` returns poisoned values (``calls`` counts them; every other
    method passed on)."""

    def __init__(self, ev, name: str, how: str):
        self._ev, self._name, self._how, self.calls = ev, name, how, 0

    def __getattr__(self, attr):
        fn = getattr(self._ev, attr)
        if attr != self._name:
            return fn

        def poisoned(*args):
            out = fn(*args)
            self.calls += 1
            return _poison(out, self._how)
        return poisoned


#: the evaluators each arithmetic calls (numpy: the numpy-ball entry points where they exist)
EVALUATORS = {"numpy": ["f", "Df_apply", "f_a", "Df_a_apply", "B", "f_aa"],
              "arb": ["f", "Df", "f_a", "Df_a", "B", "f_aa"]}


@pytest.mark.parametrize("arith", ARITH)
@pytest.mark.parametrize("how", ["nan", "inf"])
@pytest.mark.parametrize("which", range(6))
@pytest.mark.parametrize("net", [False, True])
def test_nan_or_infinite_evaluation_is_never_accepted(monkeypatch, arith, how, which, net):
    """One evaluator (f, Df, f_a, Df_a, B or f_aa, the entry point the arithmetic calls) returns an entry
    nan or of infinite radius: a wide a-chart piece (parametrised test) is refused, and a thin one (box
    test) too when the poison is in f or Df (with one t the box test needs no other evaluation), in either
    arithmetic, on generated code without and with numpy ball directions (a formula system, a biased net).
    The same pieces unpoisoned are accepted, and the poisoned evaluator is called."""
    monkeypatch.setattr(krawczyk_tube, "TUBE_ARITHMETIC", arith)
    name = EVALUATORS[arith][which]
    s = _leaky(3, 1) if net else system(CURVED)
    n = s.n
    a = float(sum(F(v) for v in s.model.range) / 2) if net else 0.1
    guess = np.zeros(n + 1) if net else np.array([np.sin(0.2) + 0.01, 0.0, 0.0])
    zc = float_point(s, n, a, guess)
    tb = Tube(s, PREC)
    T = hull(F(a) - F(1, 10 ** 4), F(a) + F(1, 10 ** 4))
    thin = exact_ball(F(a))
    with flint.ctx.workprec(PREC):
        assert tb.piece(n, T, zc) is not None and tb.krawczyk(n, thin, zc) is not None
        tb.ev = bad = _Poisoned(tb.ev, name, how)
        tb.flint_only = set()
        assert tb.piece(n, T, zc) is None
        assert bad.calls > 0
        if name in ("f", "Df_apply", "Df"):
            assert tb.krawczyk(n, thin, zc) is None
