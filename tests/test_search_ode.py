"""Search on general ODEs: Lorenz, a fold followed through, equilibria and step tests."""
import numpy as np

from test_search_systems import fold_rotation, lorenz
from symhopf.search import find_candidates
from symhopf.search.detect import step_crossings
from symhopf.search.equilibria import find_equilibria


def test_lorenz_two_symmetric_hopf_points():
    s = lorenz()
    res = find_candidates(s)
    assert len(res.candidates) == 2
    rho = 470 / 19
    c1, c2 = res.candidates
    for c in res.candidates:
        assert abs(c.a - rho) < 1e-10
        x = np.sqrt(8 / 3 * (rho - 1))
        assert abs(abs(c.x[0]) - x) < 1e-9 and abs(c.x[2] - (rho - 1)) < 1e-9
        assert c.omega > 0
        A = s.flt.Df(c.x, c.a)
        assert np.linalg.norm(A @ c.q - 1j * c.omega * c.q) < 1e-9
    assert np.allclose(c1.x[:2], -c2.x[:2]) and c1.branch != c2.branch
    # three branches (origin and the two symmetric ones), each over the whole range
    assert len(res.branches) == 3
    assert all(b.a_interval == (20.0, 30.0) for b in res.branches)


def test_lorenz_origin_branch_has_no_hopf():
    res = find_candidates(lorenz(rho_range=("1/2", "5/6")))  # only the origin, before the pitchfork
    assert res.candidates == [] and len(res.branches) == 1


def test_fold_is_followed_and_hopf_on_upper_part_found():
    res = find_candidates(fold_rotation())
    assert len(res.branches) == 1  # the two seeds u = +-1 at a = 1 are one branch
    br = res.branches[0]
    assert len(br.folds) == 1 and abs(br.folds[0].a) < 1e-6 and abs(br.folds[0].x[0]) < 1e-3
    assert np.isclose(br.a[0], 1.0) and np.isclose(br.a[-1], 1.0)
    assert {round(br.x[0][0]), round(br.x[-1][0])} == {-1, 1}
    assert len(res.candidates) == 1
    c = res.candidates[0]
    assert abs(c.a - 0.25) < 1e-12 and np.allclose(c.x, [0.5, 0, 0], atol=1e-12) and abs(c.omega - 1) < 1e-12


def test_equilibria_guesses_and_dedupe():
    s = lorenz()
    box = (-20 * np.ones(3), 40 * np.ones(3))
    eq = find_equilibria(s.flt, 3, 25.0, box, guesses=[[8, 8, 24], [8.1, 7.9, 24.2]], samples=30)
    assert len(eq) == 3
    assert np.allclose(eq[0], [np.sqrt(8 / 3 * 24), np.sqrt(8 / 3 * 24), 24])


def test_step_crossings_ignores_real_eigenvalues_and_flags_ambiguity():
    # a complex pair crossing: one crossing, consistent
    cr, ok = step_crossings(np.array([-0.1 + 1j, -0.1 - 1j, -2]), np.array([0.1 + 1j, 0.1 - 1j, -2]))
    assert ok and len(cr) == 1
    # real eigenvalue through 0 (fold) and a neutral saddle +-r: no Hopf, consistent
    cr, ok = step_crossings(np.array([-0.1, -1.0, 1.0]), np.array([0.1, -1.0, 1.0]))
    assert ok and cr == []
    # two pairs crossing in opposite directions, far apart: both found
    e0 = np.array([-0.1 + 1j, -0.1 - 1j, 0.1 + 3j, 0.1 - 3j])
    e1 = np.array([0.1 + 1j, 0.1 - 1j, -0.1 + 3j, -0.1 - 3j])
    cr, ok = step_crossings(e0, e1)
    assert ok and len(cr) == 2
    # eigenvalues that moved further than their separation: ambiguous
    e0 = np.array([-0.05 + 1j, -0.05 - 1j, 0.05 + 1.1j, 0.05 - 1.1j])
    e1 = np.array([0.05 + 1j, 0.05 - 1j, -0.05 + 1.1j, -0.05 - 1.1j])
    assert not step_crossings(e0, e1)[1]


def test_progress_callback_and_stderr_bar(capsys):
    seen = []
    find_candidates(fold_rotation(), progress=lambda stage, frac: seen.append((stage, frac)))
    assert {s for s, _ in seen} == {"branches", "detection"} and seen[-1] == ("detection", 1.0)
    find_candidates(fold_rotation(), progress=True)
    assert "symhopf search" in capsys.readouterr().err
    find_candidates(fold_rotation())
    assert capsys.readouterr().err == ""


def test_steps_grow_to_ds_max_on_a_straight_branch():
    """u' = a - u, v' = -v on a in [-1, 1]: the branch u = a is a straight line of length sqrt(5) in
    scaled coordinates (u, (a + 1)/2); Newton converges in <= 3 iterations, so the steps grow from
    0.01 to ds_max = 0.2 (about 20 points; steps of 0.01-0.015 would need more than 150)."""
    from symhopf.model import Model
    from symhopf.search.continuation import Continuer
    from symhopf.system import System
    s = System.from_model(Model.ode(["u", "v"], ["a - u", "-v"], "a", range=[-1, 1]))
    br = Continuer(s.flt, 2, (-1.0, 1.0)).branch(np.array([0.0, 0.0]), 0.0, 0)
    assert br.a_interval == (-1.0, 1.0) and np.allclose(br.x[:, 0], br.a) and 12 <= br.n_points <= 30


def test_eigenvalues_kept_by_the_continuation_give_the_same_candidates():
    """The detection reuses the continuation's eigenvalues; recomputing them finds the same crossings."""
    import dataclasses

    from symhopf.search.continuation import Continuer
    from symhopf.search.detect import BranchScanner
    s = fold_rotation()
    cont = Continuer(s.flt, 3, (-0.5, 1.0))
    br = cont.branch(np.array([0.5, 0.0, 0.0]), 0.25, 0)
    assert br.eigvals is not None and sum(e is not None for e in br.eigvals) >= br.n_points - 2
    kept = BranchScanner(s.flt, cont).scan(br)
    fresh = BranchScanner(s.flt, cont).scan(dataclasses.replace(br, eigvals=None))
    assert len(kept) == len(fresh) == 1 and abs(kept[0].a - fresh[0].a) < 1e-13
    assert abs(kept[0].a - 0.25) < 1e-12
