"""ball_solve.solve_refined_nb keeps the last ``C = I - Y J_u`` (``_contraction_ball``: the tangent solves of
one piece share J_u and Y). A hit needs the same objects and equal contents: J_u or Y changed in place, or
equal arrays in new objects, give a C of their own; the result holds the exact solution (Fractions) in every
case."""
from fractions import Fraction as F

import numpy as np

from symhopf.proof.ball_solve import _contraction_ball, solve_refined_nb
from symhopf.runtime.npball import NBall
from test_solve_centred_redteam5arc import _contains, _solve_exact


def _exact_solution(Dm, b):
    """``-Dm^-1 b`` in Fractions."""
    return _solve_exact([[F(float(v)) for v in row] for row in Dm], [-F(float(v)) for v in b])


def test_cached_contraction_follows_changes_in_place():
    rng = np.random.default_rng(11)
    n = 5
    Dm = rng.standard_normal((n, n)) + 4 * np.eye(n)
    Ju = NBall(Dm.copy(), np.zeros((n, n)))
    Y = np.linalg.inv(Dm)
    b = rng.standard_normal((n, 1))
    z = solve_refined_nb(Ju, NBall(b, 0.0), Y)
    assert z is not None and _contains(z, _exact_solution(Dm, b[:, 0]))
    first = _contraction_ball(Ju, Y)
    assert _contraction_ball(Ju, Y) is first                          # same objects, same contents: kept
    assert _contraction_ball(NBall(Ju.mid.copy(), Ju.rad.copy()), Y.copy()) is not first
    Ju.mid[0, 0] += 1.0                                               # J_u changed in place
    z = solve_refined_nb(Ju, NBall(b, 0.0), Y)
    assert z is not None and _contains(z, _exact_solution(Ju.mid, b[:, 0]))
    Y[1, 1] *= 1.5                                                    # Y changed in place: still a valid Y
    C, _, _ = _contraction_ball(Ju, Y)
    true_C = np.eye(n) - Y @ Ju.mid
    assert np.all(np.abs(true_C - C.mid) <= C.rad + 1e-15)
