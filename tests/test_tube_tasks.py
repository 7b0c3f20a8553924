"""The plain pieces as independent tasks on several processes (proof/tube_tasks.py): arb balls survive
pickling (never lose a point), the seams tile each gap exactly, and the result (pieces, reason, budget)
does not depend on the number of workers; every adjacent pair of pieces is linked exactly once."""
import pickle
from fractions import Fraction

import flint
import pytest
from flint import arb, arf
from hypothesis import given, settings, strategies as st

from test_proof_completeness_moving import on_branch, proved_points
from test_search_systems import B3, W3, fold_rotation, net
from symhopf.proof import tube, tube_tasks
from symhopf.proof.branch_runs import _Run
from symhopf.proof.tube import check_moving_branch
from symhopf.proof.tube_tasks import Task, split


@settings(max_examples=200, deadline=None)
@given(st.integers(-10**40, 10**40), st.integers(-300, 300), st.integers(0, 10**12), st.integers(-400, 50),
       st.sampled_from([53, 128, 300]))
def test_arb_pickle_rebuilds_exactly_the_same_ball(m, e, r, re, prec):
    """Midpoint and radius exactly (a tube piece's region is a uniqueness region: it must not grow)."""
    with flint.ctx.workprec(prec):
        x = arb(arf((m, e)), arf((r, re))) if r else arb(arf((m, e)))
        x = x * 3 if r % 3 else x     # radii with a full 30-bit mantissa too
    with flint.ctx.workprec(53):   # rebuilt at another precision: the same ball
        y = pickle.loads(pickle.dumps(x))
    assert y.mid().man_exp() == x.mid().man_exp()
    assert y.rad().man_exp() == x.rad().man_exp()
    assert y.contains(x) and x.contains(y)


def test_arb_pickle_of_non_finite_balls():
    for x in (arb("nan"), arb(1, arf("inf")), arb("+inf"), arb("-inf")):
        y = pickle.loads(pickle.dumps(x))
        assert (y.is_nan(), y.mid().is_finite(), y.rad().is_finite()) == (x.is_nan(), x.mid().is_finite(),
                                                                          x.rad().is_finite())
        assert tube_tasks._exact(y.mid()) == tube_tasks._exact(x.mid())


@pytest.mark.parametrize("rad", [(1, -40), (1, 0), (2 ** 29 + 1, -3), (2 ** 30 - 1, -70), (0, 0)])
def test_arb_pickle_of_power_of_two_and_edge_radii(rad):
    y = tube_tasks._arb_rebuild((-7, -3), rad)
    assert y.mid().man_exp() == (-7, -3) and tube_tasks._exact(y.rad()) == rad


def test_arb_rebuild_refuses_a_ball_it_cannot_make_exactly():
    with pytest.raises(ValueError):
        tube_tasks._arb_rebuild((1, 0), (2 ** 40 + 1, -80))   # a radius no 30-bit mag holds


def _runs(spans):
    return [_Run(k=0, d=1, pts=None, lo=Fraction(0), hi=Fraction(1), span=s) for s in spans]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.fractions(-5, 5), st.fractions(Fraction(1, 10**15), 3), st.integers(0, 1)),
                min_size=1, max_size=9))
def test_split_tiles_every_gap_exactly_at_increasing_seams(gs):
    runs = _runs([1.0, 7.0])
    gaps = [Task(ri, lo, lo + w) for lo, w, ri in gs]
    tasks = split(runs, gaps, tube_tasks.SPLIT_N)
    assert split(runs, gaps, tube_tasks.SPLIT_N - 1) == gaps   # small n: the gaps themselves
    if len(gaps) >= tube_tasks.TASKS:
        assert tasks == gaps
    it = iter(tasks)
    for g in gaps:   # each gap, in order, is tiled by consecutive tasks sharing exact end points
        t = next(it)
        assert (t.ri, t.lo) == (g.ri, g.lo)
        while t.hi != g.hi:
            u = next(it)
            assert u.ri == g.ri and u.lo == t.hi and t.lo < t.hi
            t = u
        assert t.lo < t.hi
    assert next(it, None) is None


def _leaky3():
    s = net("leaky", W3, (-1, 1.5), B3)
    res, proved = proved_points(s)
    return s, res, proved


def _shape(out):
    return (out.proved, out.reason, out.crossings, out.pieces, out.exhausted,
            [(p.k, p.lo, p.hi, p.kind) for p in out.tube])


@pytest.mark.parametrize("split_n, keep", [(10, True), (1, True), (1, False)])   # 1: gaps split into TASKS parts
def test_the_result_does_not_depend_on_the_number_of_workers(monkeypatch, split_n, keep):
    """Same pieces, reason, crossings; by default (keep False) the plain pieces come back without K and du,
    the Hopf pieces (made before the tasks) with them."""
    monkeypatch.setattr(tube_tasks, "SPLIT_N", split_n)
    monkeypatch.setattr(tube_tasks, "KEEP_ENCLOSURES", keep)
    s, res, proved = _leaky3()
    for br in res.branches:
        mine = on_branch(res, proved, br)
        one, two = (_shape(check_moving_branch(s, br, mine, s.model.range, workers=w)) for w in (1, 2))
        assert one[0], one[1]
        assert one == two
        for p in check_moving_branch(s, br, mine, s.model.range, workers=2).tube:
            assert (p.du is None and p.K == []) == (p.kind == "plain" and not keep)
    # a fold (chart change): still one result
    f = fold_rotation()
    fres, fproved = proved_points(f)
    (br,) = fres.branches
    assert _shape(check_moving_branch(f, br, fproved, f.model.range, workers=1)) == \
        _shape(check_moving_branch(f, br, fproved, f.model.range, workers=2))


def test_budget_is_counted_over_all_tasks(monkeypatch):
    """Each task alone stays under the budget, their sum does not: not proved, the budget named, never more
    pieces tried than the budget, with one worker and with two (where the check stopped may differ)."""
    monkeypatch.setattr(tube_tasks, "SPLIT_N", 1)
    s, res, proved = _leaky3()
    br = max(res.branches, key=lambda b: len(on_branch(res, proved, b)))
    mine = on_branch(res, proved, br)
    full = check_moving_branch(s, br, mine, s.model.range, workers=1)
    assert full.proved
    outs = [check_moving_branch(s, br, mine, s.model.range, budget=full.pieces - 1, workers=w) for w in (1, 2)]
    for out in outs:
        assert not out.proved and out.exhausted and out.reason.startswith(f"budget of {full.pieces - 1} pieces")
        assert out.pieces <= full.pieces - 1


def test_an_exception_inside_a_task_is_not_proved_with_its_name(monkeypatch):
    monkeypatch.setattr(tube_tasks, "SPLIT_N", 1)
    s, res, proved = _leaky3()
    br = res.branches[0]
    mine = on_branch(res, proved, br)
    march = tube.MovingBranchCheck._march

    def broken(self, run, glo, ghi, out):
        if glo != run.lo:
            raise ZeroDivisionError("a bug in one task")
        march(self, run, glo, ghi, out)
    monkeypatch.setattr(tube.MovingBranchCheck, "_march", broken)
    for w in (1, 2):
        out = check_moving_branch(s, br, mine, s.model.range, workers=w)
        assert not out.proved
        assert out.reason.startswith("internal error in the tube's march: ZeroDivisionError: a bug in one task")


def _isola():
    """x^2 + (a - 1/4)^2 = 9/400: one closed branch, Hopf points at a = 1/4 +- sqrt(1/50)."""
    from symhopf.model import Model
    from symhopf.system import System
    s = System.from_model(Model.ode(["x", "y", "z"], ["9/400 - (a-1/4)**2 - x**2", "y*(x - 1/20) - z - y*(y**2 + z**2)",
                                                      "z*(x - 1/20) + y - z*(y**2 + z**2)"], "a", range=["-1", "1"]))
    res, proved = proved_points(s)
    assert len(res.branches) == 1 and res.branches[0].closed
    return s, res, proved


@pytest.mark.parametrize("make", [_leaky3, _isola])
def test_every_adjacent_pair_of_pieces_is_linked_exactly_once(monkeypatch, make):
    """Links inside a task (in the task) and across tasks (in the parent) together: each pair of
    consecutive pieces in arc order once (the closing pair of a closed branch too), no other pair."""
    monkeypatch.setattr(tube_tasks, "SPLIT_N", 1)
    s, res, proved = make()
    seen = []
    link = tube.MovingBranchCheck._link

    def spy(self, P, Q, rp, rq):
        seen.append(((P.k, P.lo, P.hi), (Q.k, Q.lo, Q.hi)))
        return link(self, P, Q, rp, rq)
    monkeypatch.setattr(tube.MovingBranchCheck, "_link", spy)
    for br in res.branches:
        seen.clear()
        out = check_moving_branch(s, br, on_branch(res, proved, br), s.model.range, workers=1)
        assert out.proved, out.reason
        keys = [(p.k, p.lo, p.hi) for p in out.tube]
        pairs = list(zip(keys, keys[1:])) + ([(keys[-1], keys[0])] if br.closed else [])
        assert sorted(seen) == sorted(pairs)
