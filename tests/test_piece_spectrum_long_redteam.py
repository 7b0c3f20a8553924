"""Red team (issue 17, branch i17j at b851a7e): Lemma A2 (tube.py ``_arc_curve`` / ``_second_order``), the
restricted-piece retry of ``_march`` (RESTRICT) and the moving-disc plain / Hopf pieces on moving branches
with a pair touching or crossing iR close to a piece or range end, two crossings close together, a strongly
curved arc; at n = 12 (Lemma A2 active: SECOND_ORDER_N = 10) and at n = 3 with SECOND_ORDER_N lowered to 0.

Ground truth: the systems are built so that on the branch ``Df`` has the pair ``mu(a) +- i`` (the branch
moves: ``x_j = sin(a + j/7)/3``) and real eigenvalues ``-(1 + j/10)``; the crossings are the roots of
``mu`` (exact) and are checked with 50-digit mpmath eigenvalues of the 50-digit Jacobian on the arc; the
arc enclosures are checked at 50-digit equilibria (mpmath Newton) of the restricted pieces."""
from dataclasses import replace
from fractions import Fraction
from types import SimpleNamespace

import flint
import mpmath as mp
import numpy as np
import pytest

import symhopf.proof.tube as tube
from symhopf.model import Model
from symhopf.proof.completeness import check_branch
from symhopf.search.continuation import Branch
from symhopf.system import System
from test_piece_spectrum_long import _inside, mp_jacobian
from test_tube_parametrised import PREC, float_point, mp_equilibrium, piece_of, system


# --------------------------------------------------------------------------- moving branches, pair mu(a) +- i
def padded(mu: str, n: int, a_range=("-1/2", "1/2")) -> System:
    """y_j = x_j - sin(a + j/7)/3; (y0, y1) the normal form with the pair mu(a) +- i, y_j (j >= 2) stable
    and coupled to y_{j-1}: on the branch y = 0, Df = blocks [[mu, -1], [1, mu]] and a lower triangle with
    diagonal -(1 + j/10)."""
    names = [f"x{j}" for j in range(n)]
    y = [f"(x{j} - sin(a + {j}/7)/3)" for j in range(n)]
    rhs = [f"{mu}*{y[0]} - {y[1]} - {y[0]}*({y[0]}**2 + {y[1]}**2)",
           f"{y[0]} + {mu}*{y[1]} - {y[1]}*({y[0]}**2 + {y[1]}**2)"]
    rhs += [f"-(1 + {j}/10)*{y[j]} + (1/10)*{y[j - 1]}" for j in range(2, n)]
    return System.from_model(Model.ode(names, rhs, "a", range=list(a_range)))


def branch_of(n: int, lo: float, hi: float, m: int = 41) -> Branch:
    """The float branch (exact formula) with unit tangents in the scaled coordinates."""
    a = np.linspace(lo, hi, m)
    x = np.array([[np.sin(t + j / 7) / 3 for j in range(n)] for t in a])
    dz = np.gradient(np.column_stack([x, (a - lo) / (hi - lo)]), axis=0)
    return Branch(id=0, x=x, a=a, tangents=dz / np.linalg.norm(dz, axis=1)[:, None])


def pair_real_parts(s: System, av: mp.mpf) -> list:
    """Real parts of the non-real eigenvalues of the 50-digit Df on the arc at a = av (mpmath eig)."""
    with mp.workdps(50):
        z = [mp.sin(av + mp.mpf(j) / 7) / 3 for j in range(s.n)] + [av]
        ev = mp.eig(mp_jacobian(s, z), left=False, right=False)
        return [mp.re(e) for e in ev if abs(mp.im(e)) > mp.mpf(10) ** -10]


# (mu, a-points where the pair is on iR (exact), what)
CASES = {
    "touch": ("(a - 1/3)**2", [Fraction(1, 3)], "pair touching iR tangentially at a = 1/3"),
    "two_1e-10": ("((a - 1/3)**2 - 10**(-20))", [Fraction(1, 3) - Fraction(1, 10 ** 10), Fraction(1, 3) + Fraction(1, 10 ** 10)], "two crossings 2e-10 apart"),
    "two_2e-6": ("((a - 1/3)**2 - 10**(-12))", [Fraction(1, 3) - Fraction(1, 10 ** 6), Fraction(1, 3) + Fraction(1, 10 ** 6)], "two crossings 2e-6 apart"),
    "curv_1e4": ("(10**4*(a - 1/3)**2 - 10**(-16))", [Fraction(1, 3) - Fraction(1, 10 ** 10), Fraction(1, 3) + Fraction(1, 10 ** 10)],
                 "second derivative 2e4, crossings 2e-10 apart"),
    "end_inside": ("(a - 1/2 + 10**(-12))", [Fraction(1, 2) - Fraction(1, 10 ** 12)], "one crossing 1e-12 inside the range end"),
}


def _mp(v: Fraction) -> mp.mpf:
    return mp.mpf(v.numerator) / v.denominator


def _truth(s: System, zeros: list) -> None:
    """The pair is on iR at each given a (|Re| < 1e-25; mpmath eig of the 50-digit Jacobian: ~1e-34) and off it 1e-3 away from them."""
    with mp.workdps(50):
        for z0 in zeros:
            assert min(abs(r) for r in pair_real_parts(s, _mp(z0))) < mp.mpf(10) ** -25
        assert all(abs(r) > mp.mpf(10) ** -8 for r in pair_real_parts(s, mp.mpf(1) / 3 - mp.mpf(10) ** -3))


@pytest.mark.parametrize("n, second", [(3, 0), (12, 10)])
@pytest.mark.parametrize("case", list(CASES))
def test_pair_on_the_axis_inside_the_range_is_never_complete(monkeypatch, case, n, second):
    """A pair on iR inside the range (a tangential touch, two crossings close together, a strongly curved
    Re mu, a crossing 1e-12 inside the range end): without proved points the branch is never complete."""
    if n == 12 and case in ("two_2e-6", "end_inside"):
        pytest.skip("covered at n = 3; keep the n = 12 runs few (seconds each)")
    monkeypatch.setattr(tube, "SECOND_ORDER_N", second)
    mu, zeros, _ = CASES[case]
    s = padded(mu, n)
    if n == 3:
        _truth(s, zeros)
    out = check_branch(s, branch_of(n, -0.5, 0.5), [])
    assert not out.proved and not out.crossings, out.reason


@pytest.mark.parametrize("n, second", [(3, 0), (12, 10)])
def test_crossing_just_beyond_the_range_end_and_a_grazing_pair(monkeypatch, n, second):
    """mu = a - 1/2 - 1e-12 (the crossing 1e-12 beyond the range end): complete with no crossing is true;
    mu = (a - 1/3)^2 + 1e-20 (the pair grazes iR, never on it): an acceptance is true (50-digit check)."""
    monkeypatch.setattr(tube, "SECOND_ORDER_N", second)
    s = padded("(a - 1/2 - 10**(-12))", n)
    out = check_branch(s, branch_of(n, -0.5, 0.5), [])
    with mp.workdps(50):
        assert min(pair_real_parts(s, mp.mpf(1) / 2)) < 0
    assert out.proved and not out.crossings, out.reason
    if n == 3:
        s = padded("((a - 1/3)**2 + 10**(-20))", n)
        out = check_branch(s, branch_of(n, -0.5, 0.5), [])
        with mp.workdps(50):
            assert min(pair_real_parts(s, mp.mpf(1) / 3)) > 0     # 1e-20 exactly: never on iR
        assert not out.crossings
