"""Arc enclosures at small n (issue 17, session 5): ``arc_enclosure.solve_centred`` (the ball solve in
residual form) against 50-digit solutions and a singular ball; Lemma A2 computed lazily below
SECOND_ORDER_N (``SECOND_ORDER_LAZY``: only for pieces whose first-order moving discs fail) against 50-digit
Jacobians along a curved arc; the lazy check agreeing with the first-order check and the bialternate
method on whole branches; and the adversarial cases of test_piece_spectrum_long_redteam (a crossing 1e-12
from a piece end, two crossings in one piece, pairs on iR inside the range, a crossing next to a fold) rerun
with the lazy form, none of which may be accepted."""
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest

import symhopf.proof.arc_enclosure as arc_enclosure
from symhopf.proof.arc_enclosure import solve_centred
from symhopf.proof.ball_solve import solve_refined_nb
from symhopf.runtime.npball import NBall


def _balls(seed: int, n: int, cond: float, r: float) -> tuple[NBall, NBall]:
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.standard_normal((n, n)))[0]
    Ju = Q @ np.diag(np.geomspace(1.0, 1.0 / cond, n)) @ Q.T + 0.1 * rng.standard_normal((n, n)) / cond
    Jk = rng.standard_normal((n, 1))
    return NBall(Ju, r * np.abs(Ju) + r * 1e-3), NBall(Jk, r * np.abs(Jk))


def _inside(v, mid: float, rad: float) -> bool:
    return abs(v - mp.mpf(mid)) <= mp.mpf(rad)


@pytest.mark.parametrize("seed, n, cond, r", [(1, 4, 3.0, 1e-3), (2, 6, 20.0, 1e-5), (3, 3, 2.0, 0.05), (4, 5, 1.0, 0.0)])
def test_solve_centred_holds_fifty_digit_solutions(seed, n, cond, r):
    """Matrices at corners and random points of the balls: the 50-digit ``-J_u^-1 J_k`` lies in the
    enclosure; it is never much wider than ball_solve's form (same preconditioner)."""
    Ju, Jk = _balls(seed, n, cond, r)
    Y = np.linalg.inv(Ju.mid)
    z = solve_centred(Ju, Jk, Y)
    ref = solve_refined_nb(Ju, Jk, Y)
    assert z is not None and ref is not None
    assert np.all(z.rad <= 1.5 * ref.rad + 1e-300)
    rng = np.random.default_rng(seed + 10)
    with mp.workdps(50):
        for _ in range(12):
            su, sk = rng.choice([-1.0, 1.0], Ju.mid.shape), rng.choice([-1.0, 1.0], Jk.mid.shape)
            if rng.random() < 0.5:
                su, sk = rng.uniform(-1, 1, Ju.mid.shape), rng.uniform(-1, 1, Jk.mid.shape)
            A = mp.matrix([[mp.mpf(float(Ju.mid[i, j])) + mp.mpf(float(su[i, j])) * mp.mpf(float(Ju.rad[i, j]))
                            for j in range(n)] for i in range(n)])
            b = mp.matrix([mp.mpf(float(Jk.mid[i, 0])) + mp.mpf(float(sk[i, 0])) * mp.mpf(float(Jk.rad[i, 0]))
                           for i in range(n)])
            sol = -mp.lu_solve(A, b)
            for i in range(n):
                assert _inside(sol[i], float(z.mid[i, 0]), float(z.rad[i, 0])), (i, float(sol[i]))


def test_solve_centred_refuses_a_ball_holding_a_singular_matrix():
    """J_u = [[1, 1], [1, 1 +- 0.1]] holds the singular [[1, 1], [1, 1]]: no enclosure (e < 1 fails)."""
    Ju = NBall(np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([[0.0, 0.0], [0.0, 0.1]]))
    Jk = NBall(np.array([[1.0], [0.0]]), 0.0)
    Y = np.linalg.inv(np.array([[1.0, 1.0], [1.0, 1.05]]))
    assert solve_centred(Ju, Jk, Y) is None
    assert solve_centred(Ju, Jk, np.full((2, 2), np.nan)) is None


@pytest.fixture
def lazy(monkeypatch):
    """Lemma A2 computed lazily on every system below SECOND_ORDER_N (default 10)."""
    monkeypatch.setattr(arc_enclosure, "SECOND_ORDER_LAZY", True)
    monkeypatch.setattr(arc_enclosure, "SECOND_ORDER_N", 10)


@pytest.mark.parametrize("k", [2, 0])
def test_lazy_second_order_holds_fifty_digit_jacobians(lazy, k):
    """The lazy Lemma A2 (n = 2 < SECOND_ORDER_N): ``(A0 + [0, h^2] A2) + s A1`` holds the 50-digit
    ``Df(z(t~ + s))`` on wide pieces of a curved arc, in the a-chart and the x-chart (test_piece_spectrum_long's
    check); the first-order A' holds d/dt Df."""
    from test_piece_spectrum_long import _check
    from test_tube_parametrised import system
    s = system(["x - sin(2*a) - a**2", "y*x - x**3 + a*x"])
    rng = np.random.default_rng(7)
    built = 0
    for a, h in [(0.3, 0.02), (0.5, 0.01), (0.7, 0.02)]:
        x = np.sin(2 * a) + a * a
        built += _check(s, k, a, h, [x, x * x - a, a], rng)
    assert built >= 2


def test_lazy_second_order_is_used_only_for_the_last_piece(lazy):
    """What the lazy form keeps belongs to the last ``_enclose_A``: another piece gets None (no stale arc)."""
    import flint
    from types import SimpleNamespace
    import symhopf.proof.tube as tube
    from test_tube_parametrised import PREC, float_point, piece_of, system
    s = system(["x - sin(2*a) - a**2", "y*x - x**3 + a*x"])
    ps = []
    for a in (0.3, 0.5):
        x = np.sin(2 * a) + a * a
        zc = float_point(s, 2, a, np.array([x, x * x - a, a]))
        p, _ = piece_of(s, 2, Fraction(a - 0.01), Fraction(a + 0.01), zc)
        assert p is not None
        ps.append((p, tube._Run(2, 1, np.array([zc - 1e-3, zc + 1e-3]), p.lo, p.hi, 1.0)))
    chk = tube.MovingBranchCheck(s, SimpleNamespace(x=[zc[:2]], a=[zc[2]], closed=False), [], (-1, 1), PREC)
    with flint.ctx.workprec(PREC):
        for p, run in ps:
            assert chk._enclose_A(p, run) is not None
        assert chk._second_order(ps[0][0]) is None
        assert chk._second_order(ps[1][0]) is not None
        assert chk._second_order(ps[1][0]) is None      # computed once, then dropped


@pytest.mark.parametrize("n, seed", [(3, 1), (6, 3)])
def test_lazy_second_order_agrees_with_the_first_order_check(monkeypatch, n, seed):
    """Small biased nets: lazy Lemma A2, the first-order check alone, and the bialternate Hopf pieces
    (with the lazy form): the same answer and crossings."""
    from test_tube_spectral import _agree, _leaky
    s = _leaky(n, seed)
    _agree(monkeypatch, s, "SECOND_ORDER_LAZY", (True, False))
    monkeypatch.setattr(arc_enclosure, "SECOND_ORDER_LAZY", True)
    _agree(monkeypatch, s, "HOPF_METHOD", ("spectral", "bialternate"))


def test_lazy_pair_crossing_twice_still_needs_both_points(lazy):
    from test_piece_spectrum_long import test_pair_crossing_twice_still_needs_both_points as run
    run()


@pytest.mark.parametrize("nmax", [1, 20])
def test_lazy_crossing_one_e_minus_12_from_a_piece_end(lazy, monkeypatch, nmax):
    """A plain piece ending on the crossing, 1e-12 past it, or starting 1e-12 before it is never accepted
    with the lazy form (n = 3, SECOND_ORDER_N = 10); some true plain pieces are."""
    from test_piece_spectrum_long_redteam import test_crossing_one_e_minus_12_from_a_piece_end as run
    run(monkeypatch, 3, 10, nmax)


@pytest.mark.parametrize("w", [1e-3, 1e-6])
def test_lazy_two_crossings_in_one_piece_are_refused(lazy, monkeypatch, w):
    from test_piece_spectrum_long_redteam import test_hopf_piece_holding_two_crossings_is_refused as run
    run(monkeypatch, 4, 10, w)


@pytest.mark.parametrize("case", ["touch", "two_1e-10", "curv_1e4", "end_inside"])
def test_lazy_pair_on_the_axis_inside_the_range_is_never_complete(lazy, monkeypatch, case):
    from test_piece_spectrum_long_redteam import test_pair_on_the_axis_inside_the_range_is_never_complete as run
    run(monkeypatch, case, 3, 10)


@pytest.mark.parametrize("mu", ["(x0 - 1/1000)", "((x0 - 1/1000)**2 - 10**(-14))"])
def test_lazy_crossing_next_to_a_fold_is_never_complete(lazy, monkeypatch, mu):
    from test_piece_spectrum_long_redteam import test_crossing_next_to_or_on_a_fold_is_never_complete_without_its_point as run
    run(monkeypatch, 3, 10, mu)
