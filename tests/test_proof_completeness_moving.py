"""Rigorous completeness on moving branches: Krawczyk tube + bialternate product (proof/tube.py)."""
from fractions import Fraction

import numpy as np

from test_search_systems import B3, W3, fold_rotation, lorenz, net
from symhopf.api import prove
from symhopf.model import Model
from symhopf.proof.hopf import prove_candidate
from symhopf.search import find_candidates
from symhopf.proof.completeness import ProvedHopf, check_branch
from symhopf.proof.bialternate import _bialt_structure, bialt_float
from symhopf.proof.tube import METHOD
from symhopf.system import System


def brusselator(a_range=(1.5, 2.5)) -> System:
    return System.from_model(Model.ode(["x", "y"], ["a - (b+1)*x + x**2*y", "b*x - x**2*y"], "b",
                                       constants={"a": 1}, range=list(a_range)))


def neutral_saddle() -> System:
    """x1 = a moves; the (x2, x3) block [[x1 - 1, 1], [2, 0]] has eigenvalues r, -r (real) at a = 1:
    a neutral saddle, no Hopf point."""
    return System.from_model(Model.ode(["x1", "x2", "x3"], ["a - x1", "(x1 - 1)*x2 + x3", "2*x2"], "a",
                                       range=["1/2", "3/2"]))


def proved_points(s):
    """Search, prove every candidate; (search result, ProvedHopf list, index list per branch)."""
    res = find_candidates(s)
    out = []
    for c in res.candidates:
        pr = prove_candidate(s, c)
        assert pr.proved, pr.reason
        rec = _record(pr)
        out.append(rec)
    return res, out


def _record(pr):
    from symhopf.certificate import PointRecord
    r = PointRecord.from_proof(pr)
    return ProvedHopf(a=tuple(r.parameter), omega=tuple(r.omega), x=[tuple(t) for t in r.x])


def on_branch(res, proved, br):
    return [p for c, p in zip(res.candidates, proved) if c.branch == br.id]



def every_branch_complete(s, res, proved) -> list:
    """check_branch on every branch with its own proved points: proved, one crossing per point."""
    outs = []
    for br in res.branches:
        mine = on_branch(res, proved, br)
        out = check_branch(s, br, mine)
        assert out.proved, out.reason
        assert len(out.crossings) == len(mine)
        outs.append(out)
    return outs


def refused_around(s, br, a_star: float) -> None:
    """Without proved points the branch is refused with an unmatched zero isolated around a_star."""
    out = check_branch(s, br, [])
    assert not out.proved and "unmatched zero" in out.reason
    lo, hi = unmatched_interval(out.reason)
    assert lo < a_star < hi


def unmatched_interval(reason: str) -> tuple[float, float]:
    """The a-interval in which an "unmatched zero ... at a in [lo, hi]" was isolated."""
    lo, hi = reason.split("a in [")[1].split("]")[0].split(", ")
    return float(lo), float(hi)

def test_bialternate_product_eigenvalues_are_pair_sums():
    rng = np.random.default_rng(1)
    for n in (2, 3, 5):
        A = rng.normal(size=(n, n))
        ev = np.linalg.eigvals(A)
        sums = [ev[i] + ev[j] for i in range(n) for j in range(i)]
        got = list(np.linalg.eigvals(bialt_float(A)))
        assert len(got) == len(sums)
        for z in sums:  # a multiset match
            k = int(np.argmin([abs(z - w) for w in got]))
            assert abs(z - got.pop(k)) < 1e-9


def bialt_ball(A):
    """Reference: ``2A (.) I`` in python-flint balls (each entry the signed sum of its terms)."""
    from flint import arb_mat
    st, m = _bialt_structure(A.nrows())
    M = arb_mat(m, m)
    for R, C, terms in st:
        sg, i, j = terms[0]
        v = A[i, j] if sg > 0 else -A[i, j]
        for sg, i, j in terms[1:]:
            v = v + A[i, j] if sg > 0 else v - A[i, j]
        M[R, C] = v
    return M


def test_numpy_ball_bialternate_and_lemma_hold_the_exact_values():
    """bialt_nball contains the 128-bit bialternate product of every matrix in the ball, and
    lemma_solve_nb the solution of the bordered system (checked at 128 bits)."""
    from flint import arb, arb_mat, ctx
    from symhopf.runtime.npball import as_nball
    from symhopf.proof.ball_solve import lemma_solve_nb
    from symhopf.proof.bialternate import bialt_nball, _bordered_nb
    rng = np.random.default_rng(2)
    with ctx.workprec(128):
        A = arb_mat([[arb(float(v), 1e-12) for v in row] for row in rng.normal(size=(5, 5))])
        Mb = bialt_ball(A)
        Mn = bialt_nball(as_nball(A))
        assert all(Mn.to_mat()[i, j].contains(Mb[i, j]) for i in range(10) for j in range(10))
        b, c = rng.normal(size=10), rng.normal(size=10)
        N = _bordered_nb(Mn, b, c)
        e = np.zeros(11)
        e[10] = 1.0
        z = lemma_solve_nb(N, e)
        assert z is not None and np.all(z.rad < 1e-6)
        Nm = N.to_mat()                              # every matrix of the ball: here its midpoint
        exact = arb_mat(Nm.tolist()).mid().solve(arb_mat([[float(t)] for t in e]))
        assert all(z.to_mat()[i, 0].contains(exact[i, 0]) for i in range(11))
    singular = _bordered_nb(bialt_nball(as_nball(arb_mat(5, 5))), np.zeros(10), np.zeros(10))
    assert lemma_solve_nb(singular, e) is None


def test_brusselator_complete_with_its_hopf_point():
    s = brusselator()
    res, proved = proved_points(s)
    assert len(res.candidates) == 1 and not res.branches[0].constant
    out = check_branch(s, res.branches[0], proved)
    assert out.proved, out.reason
    assert out.method == METHOD and "tube" in out.method and "pieces" in out.reason
    (lo, hi), = out.crossings
    assert lo <= 2 <= hi and hi - lo < 1e-12


def test_brusselator_through_prove_reports_completeness():
    m = Model.ode(["x", "y"], ["a - (b+1)*x + x**2*y", "b*x - x**2*y"], "b", constants={"a": 1},
                  range=[1.5, 2.5])
    cert = prove(m)
    (b,) = cert.branches
    assert b["completeness"]["proved"], b["completeness"]["reason"]
    assert b["completeness"]["method"] == METHOD


def test_brusselator_without_its_hopf_point_reports_unmatched_zero():
    s = brusselator()
    res, _ = proved_points(s)
    refused_around(s, res.branches[0], 2)   # the zero is isolated rigorously around b = 2


def test_lorenz_each_symmetric_branch_complete():
    s = lorenz()
    res, proved = proved_points(s)
    assert len(res.candidates) == 2
    rho = 470 / 19
    for out in every_branch_complete(s, res, proved):
        for lo, hi in out.crossings:
            assert lo <= rho <= hi
    # one symmetric branch with the other branch's point instead of its own: not proved
    b1 = res.branches[res.candidates[0].branch]
    other = on_branch(res, proved, res.branches[res.candidates[1].branch])
    assert not check_branch(s, b1, other).proved


def test_leaky_3_neuron_net_complete_on_every_branch_including_a_fold():
    s = net("leaky", W3, (-1, 1.5), B3)
    res, proved = proved_points(s)
    assert len(res.candidates) == 3
    assert any(br.folds for br in res.branches)
    every_branch_complete(s, res, proved)


def test_leaky_net_second_hopf_point_missing_is_not_proved():
    s = net("leaky", W3, (-1, 1.5), B3)
    res, proved = proved_points(s)
    br = next(b for b in res.branches if len(on_branch(res, proved, b)) == 2)
    mine = on_branch(res, proved, br)
    for given in ([mine[0]], [mine[1]]):
        out = check_branch(s, br, given)
        assert not out.proved and "unmatched zero" in out.reason


def test_fold_branch_complete_through_the_fold():
    s = fold_rotation()
    res, proved = proved_points(s)
    (br,) = res.branches
    assert len(br.folds) == 1
    out = check_branch(s, br, proved)
    assert out.proved, out.reason
    (lo, hi), = out.crossings
    assert lo <= 0.25 <= hi


def test_neutral_saddle_is_excluded_rigorously():
    """The zero of det(2A (.) I) at a = 1 is a real pair +-r: the spectral Lemma (isolated,
    real-centred Gershgorin discs) proves no eigenvalue on iR \\ {0} there, so the empty list is
    complete."""
    from symhopf.proof.piece_spectrum import spectral_ok
    s = neutral_saddle()
    res, proved = proved_points(s)
    assert res.candidates == []  # no Hopf point: the zero of det(2A (.) I) is a real pair +-r
    (br,) = res.branches
    out = check_branch(s, br, [])
    assert out.proved, out.reason
    assert out.crossings == []
    # the Lemma itself: a real pair +-r passes, a pair +-i w (or a disc touching iR) does not
    from flint import arb, arb_mat
    saddle = arb_mat([[arb(-1, 1e-3), 0, 0], [0, arb(0, 1e-3), 1], [0, 2, 0]])
    assert spectral_ok(saddle)[0]
    near_zero = arb_mat([[arb(0, 1e-3), 0], [0, -1]])  # a real eigenvalue near 0: isolated, real
    assert spectral_ok(near_zero) == (True, 1)
    centre = arb_mat([[-1, 0, 0], [0, arb(0, 1e-3), -2], [0, 2, 0]])  # +-2i (up to the ball)
    assert not spectral_ok(centre)[0]


def saddle_and_hopf() -> System:
    """x1 = a moves; (x2, x3): neutral saddle at a = 1; (x4, x5): supercritical Hopf at a = 0.8."""
    return System.from_model(Model.ode(
        ["x1", "x2", "x3", "x4", "x5"],
        ["a - x1", "(x1 - 1)*x2 + x3", "2*x2",
         "(x1 - 4/5)*x4 - x5 - x4*(x4**2 + x5**2)", "x4 + (x1 - 4/5)*x5 - x5*(x4**2 + x5**2)"],
        "a", range=["1/2", "3/2"]))


def test_neutral_saddle_passes_but_a_missing_hopf_point_is_refused():
    s = saddle_and_hopf()
    res, proved = proved_points(s)
    assert len(res.candidates) == 1 and abs(res.candidates[0].a - 0.8) < 1e-9
    (br,) = res.branches
    out = check_branch(s, br, proved)
    assert out.proved, out.reason
    (lo, hi), = out.crossings
    assert lo <= 0.8 <= hi
    refused_around(s, br, 0.8)  # the Hopf point at a = 0.8 is not in the list: refused


def test_proved_point_not_on_the_branch_or_without_x_is_not_matched():
    s = brusselator()
    res, proved = proved_points(s)
    br = res.branches[0]
    p = proved[0]
    moved = ProvedHopf(p.a, p.omega, [(Fraction(lo) + 1, Fraction(hi) + 1) for lo, hi in p.x])
    assert not check_branch(s, br, [moved]).proved
    out = check_branch(s, br, [ProvedHopf(p.a, p.omega)])
    assert not out.proved and "x-enclosure" in out.reason


def test_above_nmax_the_spectral_arguments_alone_decide(monkeypatch):
    """n > NMAX: no bialternate product (neither g's float zeros nor the bordered determinant nor
    ||I - Y M|| < 1); the spectral Lemmas alone prove the branch (here NMAX lowered to 2, n = 3)."""
    import symhopf.proof.krawczyk_tube as krawczyk_tube
    import symhopf.proof.tube as tube
    from test_tube_spectral import twice
    s = twice(("-1", "1"))
    res, proved = proved_points(s)
    monkeypatch.setattr(tube, "NMAX", 2)
    monkeypatch.setattr(tube, "bialt_float", None)      # any use of the bialternate product fails
    monkeypatch.setattr(tube, "bialt_nball", None)
    monkeypatch.setattr(krawczyk_tube, "bialt_float", None)
    for br in res.branches:
        out = check_branch(s, br, on_branch(res, proved, br))
        assert out.proved, out.reason
    monkeypatch.setattr(tube, "HOPF_METHOD", "bialternate")
    hopf = [br for br in res.branches if on_branch(res, proved, br)]
    assert hopf and not any(check_branch(s, br, on_branch(res, proved, br)).proved for br in hopf)


def test_range_exact_ends_and_branch_without_hopf():
    s = brusselator(("1/3", "3/2"))  # no Hopf point (b* = 2), non-dyadic range end
    res, proved = proved_points(s)
    assert res.candidates == []
    out = check_branch(s, res.branches[0], [])
    assert out.proved and out.crossings == []
