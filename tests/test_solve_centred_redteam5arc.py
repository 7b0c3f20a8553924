"""Red team (issue 17 session 5, branch s5arc at 10c9ab8): ``arc_enclosure.solve_centred``, the ball solve
in residual form. Ground truth: exact rational solutions (Fractions) of ``J_u' z = -J_k'`` at every vertex
combination of the balls (n = 2, 3) and at random interior points; adversarial balls: coordinate scales
1e-150 / 1e150, subnormal right-hand sides, a preconditioner with ``e = ||I - Y J_u|| ~ 0.999`` (near
singular: the a-priori bound ``||r|| / (1 - e)`` is what makes the first ball valid, only 3 refinements
follow), wide balls (rad = 30% of mid), a huge centre ``z~`` with a tiny residual, and non-finite entries
(must give None, never a ball)."""
import itertools
from fractions import Fraction

import numpy as np
import pytest

from symhopf.proof.arc_enclosure import solve_centred
from symhopf.proof.ball_solve import solve_refined_nb
from symhopf.runtime.npball import NBall


def _solve_exact(A: list[list[Fraction]], b: list[Fraction]) -> list[Fraction] | None:
    """Gaussian elimination in Fractions: the exact solution of A z = b (None if singular)."""
    n = len(b)
    M = [row[:] + [bi] for row, bi in zip(A, b)]
    for c in range(n):
        piv = next((r for r in range(c, n) if M[r][c] != 0), None)
        if piv is None:
            return None
        M[c], M[piv] = M[piv], M[c]
        for r in range(n):
            if r != c and M[r][c] != 0:
                f = M[r][c] / M[c][c]
                M[r] = [x - f * y for x, y in zip(M[r], M[c])]
    return [M[i][n] / M[i][i] for i in range(n)]


def _contains(z: NBall, sol: list[Fraction]) -> bool:
    return all(abs(s - Fraction(float(z.mid[i, 0]))) <= Fraction(float(z.rad[i, 0])) for i, s in enumerate(sol))


def _points(Ju: NBall, Jk: NBall, rng, extra: int = 20):
    """(A, b) exact: every vertex combination (n <= 2: all; n = 3: a random 200 of them) and random points."""
    n = Ju.nrows()
    mid_u = [[Fraction(float(v)) for v in row] for row in Ju.mid]
    rad_u = [[Fraction(float(v)) for v in row] for row in Ju.rad]
    mid_k = [Fraction(float(v)) for v in Jk.mid[:, 0]]
    rad_k = [Fraction(float(v)) for v in Jk.rad[:, 0]]
    m = n * n + n
    signs = list(itertools.product((-1, 1), repeat=m)) if m <= 8 else \
        [tuple(rng.choice([-1, 1], m)) for _ in range(200)]
    signs += [tuple(Fraction(float(v)) for v in rng.uniform(-1, 1, m)) for _ in range(extra)]
    for sg in signs:
        A = [[mid_u[i][j] + sg[i * n + j] * rad_u[i][j] for j in range(n)] for i in range(n)]
        b = [-(mid_k[i] + sg[n * n + i] * rad_k[i]) for i in range(n)]
        yield A, b


def _check(Ju: NBall, Jk: NBall, Y: np.ndarray, seed: int = 0) -> NBall:
    z = solve_centred(Ju, Jk, Y)
    assert z is not None
    assert np.all(np.isfinite(z.mid)) and np.all(np.isfinite(z.rad)) and np.all(z.rad >= 0)
    rng = np.random.default_rng(seed)
    for A, b in _points(Ju, Jk, rng):
        sol = _solve_exact(A, b)
        assert sol is not None
        assert _contains(z, sol), ([float(s) for s in sol], z.mid.ravel(), z.rad.ravel())
    return z


def _mat(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, n)) + 2 * np.eye(n)


@pytest.mark.parametrize("scale_u, scale_k", [(1e-150, 1e-150), (1e150, 1e150), (1e-150, 1e150),
                                              (1e150, 1e-150), (1e-200, 1e-310), (1.0, 1e-320)])
@pytest.mark.parametrize("n", [2, 3])
def test_extreme_scales_hold_every_exact_solution(n, scale_u, scale_k):
    """Ju ~ scale_u, Jk ~ scale_k (down to subnormal right-hand sides, where the products' absolute
    rounding eta matters): every exact vertex solution lies in the ball."""
    M = _mat(n, n) * scale_u
    b = np.arange(1.0, n + 1.0)[:, None] * scale_k
    Ju = NBall(M, np.abs(M) * 1e-9)
    Jk = NBall(b, np.abs(b) * 1e-9)
    _check(Ju, Jk, np.linalg.inv(M), n)


@pytest.mark.parametrize("n", [2, 3])
def test_thin_balls_at_subnormal_scale(n):
    """Exact (radius 0) balls whose solution needs subnormal intermediate products: z ~ 1e-110,
    Ju ~ 1e-200, Ju z ~ 1e-310 (subnormal): the residual's rounding is absolute, not relative."""
    M = _mat(10 + n, n) * 1e-200
    b = np.array([[3.0], [-7.0], [5.0]][:n]) * 1e-310
    _check(NBall(M, 0.0), NBall(b, 0.0), np.linalg.inv(M), n)


@pytest.mark.parametrize("shrink", [0.5, 0.1, 1e-3])
def test_near_singular_contraction_e_close_to_one(shrink):
    """A poor preconditioner Y = shrink inv(mid Ju) makes C = I - Y Ju ~ (1 - shrink) I: e ~ 0.999 at
    shrink 1e-3. Three refinements barely move the a-priori ball ||r|| / (1 - e): it must still hold
    every vertex solution (and never be None only because it is wide)."""
    M = np.array([[2.0, 1.0], [1.0, 3.0]])
    Ju = NBall(M, 1e-6)
    Jk = NBall(np.array([[1.0], [-2.0]]), 1e-6)
    _check(Ju, Jk, shrink * np.linalg.inv(M))


def test_wrong_preconditioner_far_from_the_inverse():
    """Y a rotation of inv(mid Ju) (still e < 1 at a small angle, e > 1 at a large one): hold or None."""
    M = np.array([[4.0, 1.0, 0.0], [0.5, 3.0, 1.0], [0.0, 1.0, 5.0]])
    Ju = NBall(M, 0.01 * np.abs(M))
    Jk = NBall(np.array([[1.0], [2.0], [-1.0]]), 0.01)
    for ang in (0.05, 0.3, 1.2):
        c, s = np.cos(ang), np.sin(ang)
        R = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])
        Y = R @ np.linalg.inv(M)
        z = solve_centred(Ju, Jk, Y)
        if z is None:
            continue
        rng = np.random.default_rng(3)
        for A, b in _points(Ju, Jk, rng):
            assert _contains(z, _solve_exact(A, b)), ang


@pytest.mark.parametrize("rel", [0.05, 0.3])
def test_wide_balls_hold_every_vertex_solution(rel):
    """Balls of relative radius up to 30% (diagonally dominant mid: still e < 1)."""
    M = np.array([[10.0, 1.0], [-2.0, 8.0]])
    Ju = NBall(M, rel * np.abs(M))
    Jk = NBall(np.array([[3.0], [1.0]]), rel * np.array([[3.0], [1.0]]))
    _check(Ju, Jk, np.linalg.inv(M))
    ref = solve_refined_nb(Ju, Jk, np.linalg.inv(M))
    assert ref is not None


def test_huge_centre_tiny_residual():
    """z~ = -Y mid Jk ~ 1e12 with Jk's radius 1e-3: the residual ball r = -Y (Jk + Ju z~) carries the
    cancellation error of Ju z~ (~ 1e12 u): the ball must still hold the exact solutions."""
    M = np.array([[1.0, 1e-3], [2e-3, 1.0]]) * 1e-6
    Ju = NBall(M, 1e-20)
    Jk = NBall(np.array([[1e6], [-3e6]]), 1e-3)
    _check(Ju, Jk, np.linalg.inv(M))


def test_non_identity_correlation_between_r_and_c():
    """r' and C' use the same J_u': the Lemma treats them independently (a superset). A Ju ball whose
    vertices give very different solutions: all vertex solutions inside."""
    M = np.array([[1.0, 0.9], [0.9, 1.0]])
    Ju = NBall(M, 0.02)
    Jk = NBall(np.array([[1.0], [1.0]]), 0.0)
    _check(Ju, Jk, np.linalg.inv(M))


@pytest.mark.parametrize("where", ["Ju.mid", "Ju.rad", "Jk.mid", "Jk.rad", "Y"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_inputs_give_none(where, bad):
    parts = {"Ju.mid": np.array([[2.0, 1.0], [1.0, 3.0]]), "Ju.rad": np.full((2, 2), 1e-9),
             "Jk.mid": np.array([[1.0], [2.0]]), "Jk.rad": np.full((2, 1), 1e-9)}
    parts["Y"] = np.linalg.inv(parts["Ju.mid"])
    if where.endswith("rad") and bad == -np.inf:
        bad = np.inf
    parts[where][0, 0] = bad
    z = solve_centred(NBall(parts["Ju.mid"], parts["Ju.rad"]), NBall(parts["Jk.mid"], parts["Jk.rad"]), parts["Y"])
    assert z is None


@pytest.mark.parametrize("big", [1e300, 1e308])
def test_overflowing_residual_gives_none_or_holds(big):
    """Jk ~ 1e300 and Ju ~ 1: z~ ~ 1e300, Ju z~ may overflow to inf: None, or a finite ball holding it."""
    M = np.array([[2.0, 1.0], [1.0, 3.0]])
    Ju = NBall(M, 1e-9)
    Jk = NBall(np.array([[big], [-big]]), 0.0)
    z = solve_centred(Ju, Jk, np.linalg.inv(M))
    if z is None:
        return
    assert np.all(np.isfinite(z.mid)) and np.all(np.isfinite(z.rad))
    for A, b in _points(Ju, Jk, np.random.default_rng(0)):
        assert _contains(z, _solve_exact(A, b))
