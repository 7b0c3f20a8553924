"""Moving-branch completeness by spectral arguments (proof/piece_spectrum.py, its use in proof/tube.py):
the Lemma on hand-made ball matrices, adversarial branches, and agreement with the bialternate check."""
from fractions import Fraction

import numpy as np
import pytest
from flint import arb, arb_mat

import symhopf.proof.ball_solve as ball_solve
import symhopf.proof.arc_enclosure as arc_enclosure
import symhopf.proof.tube as tube
from symhopf.model import Model
from symhopf.proof.completeness import check_branch
from symhopf.proof.piece_spectrum import piece_spectrum
from symhopf.system import System
from test_proof_completeness_moving import on_branch, proved_points


def ball(M, r=0.0) -> arb_mat:
    M = np.asarray(M, float)
    return arb_mat([[arb(float(v), r) for v in row] for row in M])


def family(mu: float, h: float, extra=()):
    """Df(t) = [[mu + t, -1], [1, mu + t]] (+) diag(extra), t in [-h, h]: the ball holding it, and
    the ball of its t-derivative."""
    n = 2 + len(extra)
    A = np.zeros((n, n))
    A[:2, :2] = [[mu, -1], [1, mu]]
    for j, e in enumerate(extra):
        A[2 + j, 2 + j] = e
    R = np.zeros((n, n))
    R[0, 0] = R[1, 1] = h
    Ap = np.zeros((n, n))
    Ap[0, 0] = Ap[1, 1] = 1
    return arb_mat([[arb(float(A[i, j]), float(R[i, j])) for j in range(n)] for i in range(n)]), ball(Ap)


def test_one_monotone_pair_is_a_hopf_piece_and_a_far_pair_is_plain():
    A, Ap = family(0.0, 1e-3, (-1.0, 2.0))
    got = piece_spectrum(A, Ap)
    assert got.ok and got.pair is not None and got.slope > 0
    assert abs(float(got.slope.mid()) - 1) < 1e-6
    far = piece_spectrum(*family(0.5, 1e-3, (-1.0,)))
    assert far.ok and far.pair is None


def test_derivative_enclosure_containing_zero_is_refused():
    A, _ = family(0.0, 1e-3, (-1.0,))
    Ap = arb_mat([[arb(0, 1), 0, 0], [0, arb(0, 1), 0], [0, 0, 0]])
    got = piece_spectrum(A, Ap)
    assert not got.ok and "monotone" in got.reason


def test_two_pairs_crossing_on_one_piece_are_refused():
    A = arb_mat([[arb(0, 1e-3), -1, 0, 0], [1, arb(0, 1e-3), 0, 0],
                 [0, 0, arb(0, 1e-3), -3], [0, 0, 3, arb(0, 1e-3)]])
    got = piece_spectrum(A, ball(np.eye(4)))
    assert not got.ok and "2 eigenvalue pairs" in got.reason


def test_discs_whose_radii_differ_touching_the_pair_are_refused():
    """A real eigenvalue near iR with a large radius meets the pair's small disc: not isolated."""
    A = arb_mat([[arb(0, 1e-3), -1, 0], [1, arb(0, 1e-3), 0], [0, 0, arb(0, 2.0)]])
    got = piece_spectrum(A, ball(np.diag([1.0, 1.0, 0.0])))
    assert not got.ok and "not isolated" in got.reason
    small = arb_mat([[arb(0, 1e-3), -1, 0], [1, arb(0, 1e-3), 0], [0, 0, arb(0, 0.5)]])
    assert piece_spectrum(small, ball(np.diag([1.0, 1.0, 0.0]))).ok


def test_near_double_eigenvalue_on_the_axis_is_refused():
    """Two pairs 1e-9 apart on iR (a near-double pair): their discs overlap, nothing is proved."""
    A = arb_mat([[arb(0, 1e-6), -1, 0, 0], [1, arb(0, 1e-6), 0, 0],
                 [0, 0, arb(0, 1e-6), -(1 + 1e-9)], [0, 0, 1 + 1e-9, arb(0, 1e-6)]])
    got = piece_spectrum(A, ball(np.eye(4)))
    assert not got.ok


# ----------------------------------------------------------------------------- branches
def twice(a_range) -> System:
    """A moving branch x = (a, a^2 / 2, sin a) whose Jacobian has the pair (a^2 - 1/4) +- i: it
    crosses iR twice, at a = -1/2 and a = 1/2; the third eigenvalue is -1."""
    y = ["(x1 - a)", "(x2 - a**2/2)", "(x3 - sin(a))"]
    mu = "(a**2 - 1/4)"
    rhs = [f"{mu}*{y[0]} - {y[1]} - {y[0]}*({y[0]}**2 + {y[1]}**2)",
           f"{y[0]} + {mu}*{y[1]} - {y[1]}*({y[0]}**2 + {y[1]}**2)",
           f"-{y[2]}"]
    return System.from_model(Model.ode(["x1", "x2", "x3"], rhs, "a", range=list(a_range)))


@pytest.mark.parametrize("method", ["spectral", "bialternate"])
def test_pair_crossing_twice_needs_both_points(monkeypatch, method):
    monkeypatch.setattr(tube, "HOPF_METHOD", method)
    s = twice(("-1", "1"))
    res, proved = proved_points(s)
    assert sorted(round(c.a, 6) for c in res.candidates) == [-0.5, 0.5]
    br = [b for b in res.branches if len(on_branch(res, proved, b)) == 2]
    assert len(br) == 1
    mine = on_branch(res, proved, br[0])
    out = check_branch(s, br[0], mine)
    assert out.proved, out.reason
    assert len(out.crossings) == 2 and out.crossings[0][1] < -0.49 and out.crossings[1][0] > 0.49
    for keep in ([mine[0]], [mine[1]], []):      # a missing point is never "complete"
        assert not check_branch(s, br[0], keep).proved


def test_crossing_just_inside_the_range_end_is_not_complete():
    """Range end 1e-19 beyond the crossing at a = 1/2 (exact decimals): the list is never proved
    complete without a proved point at 1/2; with the end 1e-19 before it, only a = -1/2 counts."""
    for hi, inside in (("0.5000000000000000001", True), ("0.4999999999999999999", False)):
        s = twice(("-1", hi))
        res, proved = proved_points(s)
        for b in res.branches:
            mine = on_branch(res, proved, b)
            out = check_branch(s, b, mine)
            if out.proved:
                assert not inside or any(p.a[1] >= Fraction(1, 2) for p in mine)
                assert all(float(p.a[0]) < 0 for p in mine) or inside


def _leaky(n: int, seed: int, width: float = 0.1) -> System:
    rng = np.random.default_rng(seed)
    W = 2.0 * rng.standard_normal((n, n)) / np.sqrt(n)
    b = 0.1 * rng.standard_normal(n)
    a0 = 1 - float(np.linalg.eigvals(W).real.max())
    return System.from_model(Model.rnn("leaky", weights=W, bias=b, parameter="alpha",
                                       range=[round(a0 - width, 3), round(a0 + width, 3)]))


def _agree(monkeypatch, s: System, switch: str, values: tuple) -> int:
    """Every branch's check under each value of the tube switch: the same answer and crossings; the
    number of crossings."""
    res, proved = proved_points(s)
    seen = 0
    for b in res.branches:
        mine = on_branch(res, proved, b)
        outs = []
        for v in values:
            monkeypatch.setattr(arc_enclosure if hasattr(arc_enclosure, switch) else tube, switch, v)
            outs.append(check_branch(s, b, mine))
        assert len({o.proved for o in outs}) == 1, [o.reason for o in outs]
        assert all(o.crossings == outs[0].crossings for o in outs)
        seen += len(outs[0].crossings)
    return seen


@pytest.mark.parametrize("n, seed, hopf", [(3, 1, 1), (5, 80, 0), (6, 3, 1)])
def test_spectral_and_bialternate_hopf_pieces_agree(monkeypatch, n, seed, hopf):
    """On small biased nets both Hopf-piece arguments give the same answer and the same crossings
    (``hopf`` crossings in all: the n = 5 net has none, its plain pieces are compared)."""
    assert _agree(monkeypatch, _leaky(n, seed), "HOPF_METHOD", ("spectral", "bialternate")) == hopf


def test_second_order_moving_discs_plain_and_hopf():
    """moving_discs_ok / moving_hopf_ok on Df(t) = A0 + t A1, t in [-h, h]."""
    from symhopf.proof.piece_spectrum import moving_discs_ok, moving_hopf_ok
    h = 1e-3
    A0 = ball([[0, -1, 0], [1, 0, 0], [0, 0, -1]])
    A1 = ball([[1, 0.3, 0], [0, 1, 0.2], [0.1, 0, 0]])
    assert moving_hopf_ok(A0, A1, h) and not moving_discs_ok(A0, A1, h)
    far = ball([[0.5, -1, 0], [1, 0.5, 0], [0, 0, -1]])
    assert moving_discs_ok(far, A1, h) and not moving_hopf_ok(far, A1, h)
    flat = arb_mat([[arb(0, 1), 0, 0], [0, arb(0, 1), 0], [0, 0, 0]])       # Re mu' may vanish
    assert not moving_hopf_ok(A0, flat, h)
    two = ball([[0, -1, 0, 0], [1, 0, 0, 0], [0, 0, 0, -3], [0, 0, 3, 0]])
    assert not moving_hopf_ok(two, ball(np.eye(4)), h) and not moving_discs_ok(two, ball(np.eye(4)), h)
    near_double = ball([[0, -1, 0, 0], [1, 0, 0, 0], [0, 0, 0, -(1 + 1e-9)], [0, 0, 1 + 1e-9, 0]])
    assert not moving_hopf_ok(near_double, ball(np.eye(4)), h)
    saddle = ball([[0, -1, 0], [1, 0, 0], [0, 0, 0]])     # a real eigenvalue 0 next to the pair
    assert moving_hopf_ok(saddle, ball(np.diag([1.0, 1.0, 1.0])), h)


@pytest.mark.parametrize("n, seed", [(3, 1), (5, 80), (6, 3)])
def test_numpy_and_arb_piece_enclosures_agree(monkeypatch, n, seed):
    """The per-piece enclosures in numpy balls (tube.PIECE_ARITHMETIC = "numpy") and in python-flint
    balls ("arb") decide every branch of small biased nets alike: proved or not, the same crossings."""
    _agree(monkeypatch, _leaky(n, seed), "PIECE_ARITHMETIC", ("numpy", "arb"))


def test_numpy_pieces_on_code_without_numpy_directions(monkeypatch):
    """A general ODE's generated code (per-entry formulas) takes no numpy ball directions: the tube
    falls back to python-flint evaluations converted to numpy balls, and still needs both crossings."""
    s = twice(("-1", "1"))
    res, proved = proved_points(s)
    br = [b for b in res.branches if len(on_branch(res, proved, b)) == 2][0]
    mine = on_branch(res, proved, br)
    for arith in ("numpy", "arb"):
        monkeypatch.setattr(arc_enclosure, "PIECE_ARITHMETIC", arith)
        assert check_branch(s, br, mine).proved
        assert not check_branch(s, br, mine[:1]).proved


def _random_system(n: int, seed: int, scale: float):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n)) + 4 * np.eye(n)
    rows = scale ** rng.integers(-1, 2, n)                 # rows of very different sizes
    Jm, Jr = M * rows[:, None], np.abs(M * rows[:, None]) * 1e-9
    km = rng.standard_normal(n) * rows
    return Jm, Jr, km


@pytest.mark.parametrize("seed, scale", [(1, 1.0), (2, 2.0 ** 200), (3, 2.0 ** -300), (4, 1e3)])
def test_numpy_tangent_solve_holds_the_exact_solutions(seed, scale):
    """solve_refined_nb holds ``-J_u^-1 J_k`` for matrices of the balls (their midpoint and corners,
    solved at 400 bits), like the arb reference ``_solve_refined``, and is not wider than 4x it."""
    from flint import ctx
    from symhopf.runtime.npball import NBall
    n = 6
    Jm, Jr, km = _random_system(n, seed, scale)
    kr = np.abs(km) * 1e-9
    got = ball_solve.solve_refined_nb(NBall(Jm, Jr), NBall(km[:, None], kr[:, None]))
    assert got is not None
    with ctx.workprec(128):
        Jb = arb_mat([[arb(float(Jm[i, j]), float(Jr[i, j])) for j in range(n)] for i in range(n)])
        ref = ball_solve._solve_refined(Jb, arb_mat([[arb(float(km[i]), float(kr[i]))] for i in range(n)]))
    rng = np.random.default_rng(seed)
    with ctx.workprec(400):
        for sg in [0.0] + [rng.choice([-1.0, 1.0], (n, n + 1)) for _ in range(4)]:
            J = Jm + sg * Jr if np.ndim(sg) == 0 else Jm + sg[:, :n] * Jr
            k = km + (0 if np.ndim(sg) == 0 else sg[:, n] * kr)
            z = -(arb_mat(J.tolist()).solve(arb_mat(k[:, None].tolist())))
            for i in range(n):
                assert abs(z[i, 0] - arb(float(got.mid[i, 0]))) <= arb(float(got.rad[i, 0]))
                assert ref[i].contains(z[i, 0])
    for i in range(n):
        assert got.rad[i, 0] <= 4 * float(ref[i].rad()) + 1e-300


@pytest.mark.parametrize("cond", [1.0, 1e4, 1e8])
def test_similarity_transform_holds_the_exact_product(cond):
    """piece_spectrum._similar_factory: ``V^-1 X V`` (V complex, ill-conditioned up to 1e8, its float
    inverse only approximate) holds the 300-bit value for matrices of the ball X."""
    from flint import acb, acb_mat, ctx
    from symhopf.proof.piece_spectrum import _similar_factory
    from symhopf.runtime.npball import NBall
    rng = np.random.default_rng(int(np.log10(cond)) + 3)
    n = 7
    Q = np.linalg.qr(rng.standard_normal((n, n)))[0]
    V = (Q * np.logspace(0, -np.log10(cond), n)[None, :]) @ np.linalg.qr(rng.standard_normal((n, n)))[0]
    V = V + 1j * 1e-3 * rng.standard_normal((n, n))
    Xm, Xr = rng.standard_normal((n, n)), np.abs(rng.standard_normal((n, n))) * 1e-6
    similar = _similar_factory(V)
    assert similar is not None
    B = similar(NBall(Xm, Xr))[0]
    with ctx.workprec(300):
        Vx = acb_mat([[acb(complex(v)) for v in row] for row in V])
        for sg in (0.0, 1.0, -1.0):
            Xp = Xm + sg * Xr * rng.choice([-1, 1], (n, n))
            exact = Vx.inv() * acb_mat([[acb(float(v)) for v in row] for row in Xp]) * Vx
            for i in range(n):
                for j in range(n):
                    assert abs(exact[i, j] - acb(complex(B.mid[i, j]))) <= arb(float(B.rad[i, j]))
