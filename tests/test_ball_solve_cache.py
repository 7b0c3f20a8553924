"""ball_solve.solve_refined_nb keeps the last ``C = I - Y J_u`` (``_contraction_ball``: the tangent solves of
one piece share J_u and Y). A hit needs the same objects and equal contents: J_u or Y changed in place, or
equal arrays in new objects, give a C of their own; the result holds the exact solution (Fractions) in every
case."""
from fractions import Fraction as F

import numpy as np

from symhopf.proof.ball_solve import _contraction_ball, solve_refined_nb
from symhopf.runtime.npball import NBall


def _exact_solution(Dm, b):
    """``-Dm^-1 b`` in Fractions (Gauss-Jordan)."""
    n = len(b)
    M = [[F(float(Dm[i, j])) for j in range(n)] + [-F(float(b[i]))] for i in range(n)]
    for c in range(n):
        p = next(r for r in range(c, n) if M[r][c] != 0)
        M[c], M[p] = M[p], M[c]
        for r in range(n):
            if r != c and M[r][c] != 0:
                f = M[r][c] / M[c][c]
                M[r] = [x - f * y for x, y in zip(M[r], M[c])]
    return [M[i][n] / M[i][i] for i in range(n)]


def _holds(z: NBall, exact) -> bool:
    return all(abs(F(float(z.mid[i, 0])) - v) <= F(float(z.rad[i, 0])) for i, v in enumerate(exact))


def test_cached_contraction_follows_changes_in_place():
    rng = np.random.default_rng(11)
    n = 5
    Dm = rng.standard_normal((n, n)) + 4 * np.eye(n)
    Ju = NBall(Dm.copy(), np.zeros((n, n)))
    Y = np.linalg.inv(Dm)
    b = rng.standard_normal((n, 1))
    z = solve_refined_nb(Ju, NBall(b, 0.0), Y)
    assert z is not None and _holds(z, _exact_solution(Dm, b[:, 0]))
    first = _contraction_ball(Ju, Y)
    assert _contraction_ball(Ju, Y) is first                          # same objects, same contents: kept
    assert _contraction_ball(NBall(Ju.mid.copy(), Ju.rad.copy()), Y.copy()) is not first
    Ju.mid[0, 0] += 1.0                                               # J_u changed in place
    z = solve_refined_nb(Ju, NBall(b, 0.0), Y)
    assert z is not None and _holds(z, _exact_solution(Ju.mid, b[:, 0]))
    Y[1, 1] *= 1.5                                                    # Y changed in place: still a valid Y
    C, _, _ = _contraction_ball(Ju, Y)
    true_C = np.eye(n) - Y @ Ju.mid
    assert np.all(np.abs(true_C - C.mid) <= C.rad + 1e-15)
