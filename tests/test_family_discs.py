"""Gershgorin discs of the family proof with different radii: isolation, components, and the
enclosure of the other eigenvalues' largest real part (adversarial, untrusted approximations)."""
import mpmath
import numpy as np
from flint import arb, ctx
from hypothesis import given, settings, strategies as st

from test_search_systems import net, random_asymmetric
from symhopf.api import prove_all
from symhopf.proof import family
from symhopf.proof.completeness import ProvedHopf, check_branch
from symhopf.search import find_candidates


def _pair_columns(V: np.ndarray, j: int) -> None:
    """Columns j, j+1 of V: the pair vectors e_j +- i e_(j+1) (real form of the block at j)."""
    V[:, j] = V[:, j + 1] = 0
    V[j, j] = V[j, j + 1] = 1
    V[j + 1, j], V[j + 1, j + 1] = 1j, -1j


def test_components_sweep_finds_overlaps_of_discs_with_different_radii():
    # X = D(0, 1.5) and F = D(2, 1.5) overlap; Y = the pair 1.75 +- 2i (radius 0) lies between
    # their centres and starts after X ends, which stopped the old sweep (sorted by centres)
    lam = np.array([0.0, 2.0, 1.75 + 2j, 1.75 - 2j])
    rho = np.array([1.5, 1.5, 0.0, 0.0])
    comp = family._components(lam, rho)
    assert comp[0] == comp[1] and len({comp[0], comp[2], comp[3]}) == 3
    assert list(family._isolated(comp)) == [False, False, True, True]
    # a chain: discs 0-1-2 meet in turn, disc 3 is apart
    lam = np.array([0.0, 1.0, 2.0, 3.0])
    assert len(set(family._components(lam, np.array([0.6, 0.45, 0.6, 0.1])))) == 2
    assert len(set(family._components(lam, np.array([0.6, 0.6, 0.6, 0.6])))) == 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-8, 8), st.integers(-8, 8), st.integers(0, 12)), min_size=1, max_size=12))
def test_components_agree_with_all_pairs(discs):
    lam = np.array([complex(x / 4, y / 4) for x, y, _ in discs])
    rho = np.array([r / 8 for _, _, r in discs])
    n = len(lam)
    parent = list(range(n))

    def root(i):
        while parent[i] != i:
            i = parent[i]
        return i

    for i in range(n):      # the same overlap test as the sweep, on every pair
        for j in range(i):
            if family._dist_lower(lam[j:j + 1], lam[i])[0] <= (rho[i] + rho[j]) * (1 + 4 * family.U):
                parent[root(i)] = root(j)
    comp = family._components(lam, rho)
    for i in range(n):
        for j in range(n):
            assert (comp[i] == comp[j]) == (root(i) == root(j))


def _block_net():
    """Df(0, a) = W + a I; W has the pair 1 +- i sqrt(5)/2 (crossing at a = -1) and 1.75 +- 2i."""
    W = np.zeros((4, 4))
    W[:2, :2] = [[0.0, 1.5], [-1.5, 2.0]]
    W[2:, 2:] = [[1.75, 2.0], [-2.0, 1.75]]
    return W, net("asymmetric", W, (-1.2, -0.8))


def test_overlapping_discs_of_an_untrusted_approximation_block_completeness():
    W, s = _block_net()
    res = find_candidates(s)
    (br,) = res.branches
    V = np.eye(4, dtype=complex)
    _pair_columns(V, 2)
    # untrusted: the first pair claimed as two real eigenvalues 0 and 2 (discs D(0, 1.5), D(2, 1.5)
    # holding the true pair 1 +- 1.118i, which crosses the axis at a = -1, inside the range)
    fd = family.branch_data(s, br.x[0], s.model.range, approx=(0.0, np.array([0, 2, 1.75 + 2j, 1.75 - 2j]), V))
    assert fd.ok and not fd.diag.isolated[0] and not fd.diag.isolated[1]
    out = check_branch(s, br, [])
    assert not out.proved and "overlaps another disc" in out.reason


def test_a_proved_point_must_meet_a_crossing():
    W = random_asymmetric(4, 3)
    ev = np.linalg.eigvals(W)
    s = net("asymmetric", W, (float(-ev.real.max() - 0.3), float(-ev.real.min() + 0.3)))
    res = find_candidates(s)
    proofs = prove_all(s, res, s.model.range, workers=1)
    from symhopf.certificate import PointRecord
    recs = [PointRecord.from_proof(p) for p in proofs]
    good = [ProvedHopf(tuple(r.parameter), tuple(r.omega), r.x) for r in recs]
    assert check_branch(s, res.branches[0], good).proved
    lo, hi = (float(v) for v in s.model.range)
    stray = ProvedHopf((str(lo + 1e-3), str(lo + 2e-3)))          # meets no crossing
    assert all(not (float(g.a[0]) <= lo + 2e-3 and lo + 1e-3 <= float(g.a[1])) for g in good)
    out = check_branch(s, res.branches[0], good + [stray])
    assert not out.proved and f"proved Hopf point {len(good)}" in out.reason and "matches no crossing" in out.reason


def _true_other_max(W: np.ndarray, a_star) -> mpmath.mpf:
    """max Re over the eigenvalues of W + a* I other than the pair on the axis (50 digits)."""
    mpmath.mp.dps = 50
    ev = mpmath.eig(mpmath.matrix(W.tolist()), left=False, right=False)
    shifted = sorted((e + a_star for e in ev), key=lambda z: abs(mpmath.re(z)))
    return max(mpmath.re(z) for z in shifted[2:])


def _check_other_max(W: np.ndarray, proofs) -> int:
    mpmath.mp.dps = 50
    ev = mpmath.eig(mpmath.matrix(W.tolist()), left=False, right=False)
    checked = 0
    for lam in ev:
        if mpmath.im(lam) <= 0:
            continue
        a_star = -mpmath.re(lam)
        hit = [p for p in proofs if p.parameter is not None and p.parameter.contains(arb(mpmath.nstr(a_star, 40)))]
        if not hit or hit[0].other_eigenvalues_real_part_max is None:
            continue
        with ctx.workprec(200):
            assert hit[0].other_eigenvalues_real_part_max.contains(arb(mpmath.nstr(_true_other_max(W, a_star), 45)))
        checked += 1
    return checked


def test_other_eigenvalues_max_holds_the_50_digit_value_with_a_small_disc_holding_none():
    # W: the pair 20 +- i (crossing at a = -20) and a 3 x 3 block whose eigenvalues -1.647 +- 0.39i,
    # -3.807 lie in the big discs D(-3, 10), D(-3.1, 10); the small disc D(-1, 0.4) meets them but
    # holds none. The old lower end max(centre - radius) = -1.4 was above the true -1.647.
    W = np.zeros((5, 5))
    W[:3, :3] = [[-1.0, 0.4, 0.0], [0.0, -3.0, 10.0], [-0.4, 0.0, -3.1]]
    W[3:, 3:] = [[20.0, 1.0], [-1.0, 20.0]]
    s = net("asymmetric", W, (-21, -19))
    res = find_candidates(s)
    (br,) = res.branches
    V = np.eye(5, dtype=complex)
    _pair_columns(V, 3)
    fd = family.branch_data(s, br.x[0], s.model.range, approx=(0.0, np.array([-1, -3, -3.1, 20 + 1j, 20 - 1j]), V))
    assert fd.ok and len(set(fd.diag.component[:3])) == 1
    proofs = prove_all(s, res, s.model.range, workers=1)
    assert _check_other_max(W, proofs) == 1


def test_other_eigenvalues_max_holds_the_50_digit_value_on_random_nets():
    for n, seed in [(6, 5), (8, 3)]:
        W = random_asymmetric(n, seed)
        ev = np.linalg.eigvals(W)
        s = net("asymmetric", W, (float(-ev.real.max() - 0.3), float(-ev.real.min() + 0.3)))
        proofs = prove_all(s, find_candidates(s), s.model.range, workers=1)
        assert _check_other_max(W, proofs) == sum(ev.imag > 0)
