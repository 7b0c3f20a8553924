"""Red team (issue 17 session 5, branch s5arc at 10c9ab8): whole moving-branch checks and plain pieces with
the s5arc arc enclosures (``solve_centred`` tangents, Lemma A2's g'(t~) on _centre's box U, lazy Lemma A2),
on box-test pieces (no Lemma T tangent: every tangent solve is ``solve_centred``'s) and parametrised ones,
Lemma A2 eager (SECOND_ORDER_N = 0) or lazy, spectral Lemmas alone (NMAX = 1) or with the bialternate
fallback. Ground truth: test_piece_spectrum_long_redteam's systems (the pair ``mu(a) +- i`` exactly, the
crossings the roots of mu). A crossing 1e-12 past a piece end, two crossings 1e-9 apart, a crossing 1e-12
inside the range end, a crossing next to a fold: never accepted / never complete without the points."""
from fractions import Fraction

import flint
import numpy as np
import pytest

import symhopf.proof.arc_enclosure as arc_enclosure
import symhopf.proof.krawczyk_tube as krawczyk_tube
import symhopf.proof.tube as tube
from symhopf.proof.completeness import check_branch
from test_piece_spectrum_long_redteam import C_END, _piece_check, branch_of, folded, padded
from test_tube_parametrised import PREC


@pytest.fixture(params=[("box", "eager"), ("box", "lazy"), ("parametrised", "eager"), ("parametrised", "lazy")],
                ids=lambda p: "-".join(p))
def setting(request, monkeypatch):
    kind, mode = request.param
    monkeypatch.setattr(krawczyk_tube, "TUBE_TEST", kind)
    if mode == "eager":
        monkeypatch.setattr(arc_enclosure, "SECOND_ORDER_N", 0)
    else:
        monkeypatch.setattr(arc_enclosure, "SECOND_ORDER_N", 10)
        monkeypatch.setattr(arc_enclosure, "SECOND_ORDER_LAZY", True)
    return request.param


def _cs(c: Fraction) -> str:
    return f"{c.numerator}/{c.denominator}"


@pytest.mark.parametrize("nmax", [1, 20])
def test_plain_piece_never_holds_a_crossing_one_e_minus_12_inside(setting, monkeypatch, nmax):
    """mu = a - c: a plain piece ending on c, 1e-12 past it, starting 1e-12 before it, or holding it
    1e-12 from either end, is never accepted; true plain pieces 1e-12 off c may be (counted)."""
    monkeypatch.setattr(tube, "NMAX", nmax)
    s = padded(f"(a - {_cs(C_END)})", 3)
    e = Fraction(1, 10 ** 12)
    accepted = 0
    for w in (1e-3, 1e-6, 1e-9):
        W = Fraction(w)
        for lo, hi in [(C_END - W, C_END - e), (C_END - W, C_END), (C_END - W, C_END + e), (C_END - e, C_END + W),
                       (C_END + e, C_END + W), (C_END - e, C_END + e)]:
            a0 = float((lo + hi) / 2)
            got = _piece_check(s, s.n, lo, hi, [np.sin(a0 + j / 7) / 3 for j in range(s.n)] + [a0])
            if got is None:
                continue
            chk, run, p, _ = got
            with flint.ctx.workprec(PREC):
                ok = chk._plain_ok(p, run)
                # the lazy form a second time (its kept state dropped) and again after the cached A
                ok2 = chk._plain_ok(p, run)
            if ok or ok2:
                accepted += 1
                assert hi < C_END or lo > C_END, (setting, w, float(lo - C_END), float(hi - C_END))
    assert accepted >= 1


@pytest.mark.parametrize("nmax", [1, 20])
@pytest.mark.parametrize("mu", ["(a - 1/3)*(a - 1/3 - 10**(-9))", "(a - 1/3)",
                                "(a - 1/2 + 10**(-12))"])
def test_whole_branch_with_close_or_end_crossings_is_never_complete(setting, monkeypatch, nmax, mu):
    """Two crossings 1e-9 apart, one crossing, one 1e-12 inside the range end: without proved points the
    branch is never complete (and no crossing is claimed)."""
    monkeypatch.setattr(tube, "NMAX", nmax)
    s = padded(mu, 3)
    out = check_branch(s, branch_of(3, -0.5, 0.5), [])
    assert not out.proved and not out.crossings, (setting, out.reason)


def test_crossing_just_beyond_the_range_end_may_be_complete(setting, monkeypatch):
    """mu = a - 1/2 - 1e-12 (beyond the end): complete with no crossings is true; whatever it says, it claims
    no crossing (the tests above are not vacuous when this one completes)."""
    monkeypatch.setattr(tube, "NMAX", 1)
    s = padded("(a - 1/2 - 10**(-12))", 3)
    out = check_branch(s, branch_of(3, -0.5, 0.5), [])
    assert not out.crossings
    assert out.proved, out.reason     # true (no crossing in the range): the refusals above are not vacuous


@pytest.mark.parametrize("mu", ["(x0 - 1/1000)", "((x0 - 1/1000)**2 - 10**(-14))"])
def test_crossing_next_to_a_fold_is_never_complete(setting, monkeypatch, mu):
    """a = x0^2 (fold at a = 0): the pair crosses at x0 = 1e-3 or twice 2e-7 apart (x-chart pieces near
    the fold): never complete without proved points."""
    from symhopf.search import find_candidates
    s = folded(3, mu)
    res = find_candidates(s)
    assert res.branches
    monkeypatch.setattr(tube, "NMAX", 1)
    for b in res.branches:
        out = check_branch(s, b, [])
        assert not out.proved and not out.crossings, (setting, out.reason)


@pytest.mark.parametrize("target", ["C", "B_a", "B", "Df_a_apply", "Df_apply"])
@pytest.mark.parametrize("where, value", [("mid", np.nan), ("rad", np.nan), ("mid", np.inf), ("rad", np.inf)])
def test_non_finite_evaluations_never_accept_a_piece_holding_a_crossing(setting, monkeypatch, target, where, value):
    """A nan / inf entry injected into one generated evaluation (C and B_a feed Lemma A2 only; B, Df_a, Df
    both forms) on a piece of width 1e-4 holding the crossing of mu = a - c: never accepted as plain."""
    monkeypatch.setattr(tube, "NMAX", 1)
    s = padded(f"(a - {_cs(C_END)})", 3)
    W = Fraction(1, 10 ** 4)
    a0 = float(C_END)
    got = _piece_check(s, s.n, C_END - W / 2, C_END + W / 2, [np.sin(a0 + j / 7) / 3 for j in range(s.n)] + [a0])
    assert got is not None
    chk, run, p, _ = got
    orig = chk.tube.apply_nb

    def inject(name, *args):
        r = orig(name, *args)
        if name != target:
            return r
        mid, rad = r.mid.copy(), np.array(np.broadcast_to(r.rad, r.mid.shape), float)
        (mid if where == "mid" else rad)[0, 0] = value
        return tube.NBall(mid, rad)
    monkeypatch.setattr(chk.tube, "apply_nb", inject)
    with flint.ctx.workprec(PREC), np.errstate(all="ignore"):
        assert not chk._plain_ok(p, run)


def _close_branches(mu: str):
    """x0 = sin a (d = 0) and x0 = sin a + 1e-6 (d = 1), d = 10^6 (x0 - sin a); the pair mu(a, d) +- i on
    (x1, x2) = 0; a third eigenvalue +-1e-6 (real, never on iR \\ {0}); a in [-1/2, 1/2]."""
    from symhopf.model import Model
    from symhopf.system import System
    d = "(10**6*(x0 - sin(a)))"
    m = mu.replace("d", d)
    rhs = ["(x0 - sin(a))*(x0 - sin(a) - 1/10**6)", f"({m})*x1 - x2 - x1*(x1**2 + x2**2)",
           f"x1 + ({m})*x2 - x2*(x1**2 + x2**2)"]
    return System.from_model(Model.ode(["x0", "x1", "x2"], rhs, "a", range=["-1/2", "1/2"]))


C3 = Fraction(1, 3)
W3 = Fraction(1, 3 * 10 ** 5)


def _branch(off: float):
    """The float branch x0 = sin a + off on [1/3 - 3.3e-6, 1/3 + 3.3e-6] (J_u ~ 1e-6 forces pieces ~1e-7 wide:
    a narrow range keeps the check to a few hundred pieces)."""
    from symhopf.search.continuation import Branch
    a = np.linspace(float(C3 - W3), float(C3 + W3), 41)
    x = np.array([[np.sin(t) + off, 0.0, 0.0] for t in a])
    dz = np.gradient(np.column_stack([x, (a - a[0]) / (a[-1] - a[0])]), axis=0)
    return Branch(id=0, x=x, a=a, tangents=dz / np.linalg.norm(dz, axis=1)[:, None])


@pytest.mark.parametrize("which", ["near", "far"])
def test_branches_one_e_minus_6_apart_crossing_on_one_only(setting, monkeypatch, which):
    """Two branches 1e-6 apart, the pair crossing iR at a = 1/3 on one of them only: the check of the crossing
    branch is never complete without its point; the other one's may be (true: mu = -1/2 there); a in
    [1/3 - 3.3e-6, 1/3 + 3.3e-6], budget 400 pieces (exhausted: not complete)."""
    monkeypatch.setattr(tube, "NMAX", 1)
    mu = "d*(a - 1/3) + (1 - d)*(-1/2)" if which == "far" else "(1 - d)*(a - 1/3) + d*(-1/2)"
    s = _close_branches(mu)
    crossing_off = 1e-6 if which == "far" else 0.0
    rng = (C3 - W3, C3 + W3)
    out = check_branch(s, _branch(crossing_off), [], a_range=rng, budget=400)
    assert not out.proved and not out.crossings, (setting, out.reason)
    other = check_branch(s, _branch(1e-6 - crossing_off), [], a_range=rng, budget=400)
    assert not other.crossings
