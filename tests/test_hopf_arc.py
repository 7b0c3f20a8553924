"""Hopf pieces with Lemma H2 (proof/hopf_arc.py: ``d/dt Df`` on the arc as ``g'(t~) + S g''``, the
second-order discs) and piece_spectrum.moving_hopf_ok's derivative ball ``Ad``: exact families with
adversarial crossings, and 50-digit ground truth on a branch whose pair crosses twice."""
import mpmath as mp
import pytest
from flint import arb, arb_mat, ctx

import symhopf.proof.tube as tube
from symhopf.proof.completeness import check_branch
from symhopf.proof.hopf_arc import hopf_arc
from symhopf.proof.piece_spectrum import moving_hopf_ok
from test_proof_completeness_moving import on_branch, proved_points
from test_tube_spectral import twice

H = 1e-3
Q = [[1, 0.5, 0.25], [0, 1, 0.5], [0.375, 0, 1]]       # exact binary fractions


def _similar(M: arb_mat) -> arb_mat:
    q = arb_mat(Q)
    return q * M * q.inv()


def second_order(r0: float, r1: float, r2: float, h: float = H):
    """``Df(t~ + s) = Q diag([[r(s), -1], [1, r(s)]], -2) Q^-1``, ``r = r0 + r1 s + r2 s^2``, |s| <= h: the
    balls of Lemma H2 (A0 holding ``g(t~) + [0, h^2] g''/2``, thin A1 = ``g'(t~)``, Ad holding ``g'`` on the
    piece), exact up to python-flint's rounding at 200 bits."""
    with ctx.workprec(200):
        E = arb_mat([[1, 0, 0], [0, 1, 0], [0, 0, 0]])
        M0 = arb_mat([[r0, -1, 0], [1, r0, 0], [0, 0, -2]])
        s2 = arb(0).union(arb(h) * arb(h))
        A0 = _similar(M0 + E * (s2 * arb(r2)))
        A1 = _similar(E * arb(r1))
        Ad = _similar(E * (arb(r1) + 2 * arb(r2) * arb(0, h)))
    return A0, A1, Ad


def test_transversal_crossing_inside_is_accepted():
    A0, A1, Ad = second_order(-0.6 * H, 2.0, 0.0)          # r = 2 (s - 0.3 h)
    assert moving_hopf_ok(A0, A1, H, Ad=Ad)
    A0, A1, Ad = second_order(-0.6 * H, 2.0, 0.5)          # curved, still monotone: r' = 2 + s
    assert moving_hopf_ok(A0, A1, H, Ad=Ad)


@pytest.mark.parametrize("name, r", [
    ("two crossings 1e-9 apart", (0.2 * H * (0.2 * H + 1e-9), -(0.4 * H + 1e-9), 1.0)),
    ("tangential crossing", (0.0, 0.0, 1.0)),
    ("touches iR and turns back", (-(0.1 * H) ** 2, 0.2 * H, -1.0)),
    ("second crossing 1e-12 outside the piece", (0.0, -(H + 1e-12), 1.0)),   # r = s (s - h - 1e-12)
])
def test_non_monotone_pairs_are_refused(name, r):
    A0, A1, Ad = second_order(*r)
    assert not moving_hopf_ok(A0, A1, H, Ad=Ad), name


def test_the_derivative_ball_is_needed():
    """Two crossings 1e-9 apart off the centre: ``r'(t~) = A1`` alone excludes 0, so reading the
    second-order form's A1 as the derivative would accept the piece; Ad (holding r' on the piece) refuses."""
    c = 0.2 * H
    A0, A1, Ad = second_order(c * (c + 1e-9), -(2 * c + 1e-9), 1.0)
    assert moving_hopf_ok(A0, A1, H)          # unsound reading: A1 is g'(t~) only
    assert not moving_hopf_ok(A0, A1, H, Ad=Ad)


def test_hopf_arc_holds_the_50_digit_truth(monkeypatch):
    """On ``twice`` (x = (a, a^2/2, sin a), the pair (a^2 - 1/4) +- i in Df): at points of every Hopf piece
    tried, ``Df(z(t)) in A0 + s A1`` and ``g'(t) = diag(2a, 2a, 0)`` lies in Ad (mpmath, 50 digits); the
    check proves both crossings."""
    seen = []
    orig = tube.MovingBranchCheck._hopf_ok

    def spy(self, p, run):
        got = hopf_arc(self, p, run)
        if got is not None:
            seen.append((p, float(self._tm(p)), got))
        return orig(self, p, run)
    monkeypatch.setattr(tube.MovingBranchCheck, "_hopf_ok", spy)
    monkeypatch.setattr(tube, "HOPF_METHOD", "spectral")
    s = twice(("-1", "1"))
    res, proved = proved_points(s)
    br = [b for b in res.branches if len(on_branch(res, proved, b)) == 2][0]
    out = check_branch(s, br, on_branch(res, proved, br))
    assert out.proved, out.reason
    assert seen and all(p.k == 3 for p, _, _ in seen)        # a-chart pieces: t = a
    mp.mp.dps = 50
    for p, tm, got in seen:
        for frac in (0, 0.25, 0.5, 0.75, 1):
            a = mp.mpf(float(p.lo)) + frac * (mp.mpf(float(p.hi)) - mp.mpf(float(p.lo)))
            mu = a * a - mp.mpf(1) / 4
            Df = [[mu, -1, 0], [1, mu, 0], [0, 0, -1]]
            dD = [[2 * a, 0, 0], [0, 2 * a, 0], [0, 0, 0]]
            sv = a - mp.mpf(tm)
            for i in range(3):
                for j in range(3):
                    lo = got.A0.mid[i, j] - got.A0.rad[i, j] + sv * mp.mpf(got.A1.mid[i, j]) - abs(sv) * got.A1.rad[i, j]
                    hi = got.A0.mid[i, j] + got.A0.rad[i, j] + sv * mp.mpf(got.A1.mid[i, j]) + abs(sv) * got.A1.rad[i, j]
                    assert lo <= Df[i][j] <= hi
                    assert abs(dD[i][j] - mp.mpf(got.Ad.mid[i, j])) <= got.Ad.rad[i, j]
