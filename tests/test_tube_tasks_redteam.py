"""Red team of proof/tube_tasks.py (the plain pieces of a tube as independent tasks on forked workers):
exact arb transport at the edges of Arb's number formats, the reading of the tasks' outcomes (first
failure in task order, the budget counted cumulatively, dead workers, unpickling failures), and the
links of a closed branch (the wrap-around pair) and across tasks. A fake check drives ``march_tasks``
where the real one cannot be steered; the real check where it can."""
import os
from types import SimpleNamespace
import pickle
import signal
from fractions import Fraction

import flint
import pytest
from flint import arb, arf

from symhopf.proof import tube, tube_tasks
from symhopf.proof.branch_runs import Budget, Fail, _Run
from symhopf.proof.krawczyk_tube import Piece
from symhopf.proof.tube_tasks import Task, march_tasks


# ---- exact transport of arb balls
@pytest.mark.parametrize("x", [
    arb(1, arf((1, 10 ** 6))), arb(1, arf((1, -10 ** 6))),                  # huge / tiny radius exponents
    arb(0, arf((1, 2 ** 63 + 5))), arb(0, arf((1, -2 ** 63 - 5))),          # beyond a C long (fmpz exponents)
    arb(0, arf((2 ** 30 - 1, 2 ** 62))),                                     # full 30-bit mag mantissa
    arb(arf((3, 10 ** 9)), arf((1, -5))), arb(arf((1, 2 ** 64))),           # huge midpoint exponent, exact ball
    arb(arf("nan"), arf((1, -3))), arb(arf("+inf"), arf((1, -3))),          # non-finite midpoints
    arb(1, 1e-300) * arb(1, 1e-300),                                         # subnormal-scale radius
])
def test_arb_transport_is_exact_at_format_edges(x):
    y = pickle.loads(pickle.dumps(x))
    assert tube_tasks._exact(y.mid()) == tube_tasks._exact(x.mid())
    assert tube_tasks._exact(y.rad()) == tube_tasks._exact(x.rad())


def test_arb_transport_of_a_300_bit_midpoint_rebuilt_at_53_bits():
    with flint.ctx.workprec(300):
        x = arb(1) / 3
    with flint.ctx.workprec(53):
        y = pickle.loads(pickle.dumps(x))
    assert y.mid().man_exp() == x.mid().man_exp() and y.rad().man_exp() == x.rad().man_exp()


# ---- a fake check: march_tasks steered task by task
class _Fake:
    """What march_tasks uses of MovingBranchCheck. ``plan[task.lo] = (pieces, outcome)``; outcome
    "ok", "fail", "exit" (os._exit in the task), "kill" (SIGKILL of the process), "raise", "overflow"."""

    def __init__(self, plan, budget, n_pieces=0):
        self.plan, self.budget = plan, budget
        self.n_pieces, self.rel_w, self.rel_cap, self.streak = n_pieces, 0.0, float("inf"), 0
        self.basis, self._points, self._curve = None, {}, None
        self.tube, self.stop = SimpleNamespace(_jacobians={}), None
        self.linked = []

    def _tried(self):
        """One piece tried (a hook for _Counting)."""

    def _cname(self, k):
        return "a"

    def _march(self, run, glo, ghi, out):
        m, what = self.plan[glo]
        for i in range(m):
            if self.n_pieces >= self.budget:
                raise Budget(f"budget of {self.budget} pieces exhausted (in the task at {float(glo)})")
            if self.stop is not None:   # as MovingBranchCheck._piece
                self.stop()
            self.n_pieces += 1
            self._tried()
            lo, hi = glo + (ghi - glo) * i / m, glo + (ghi - glo) * (i + 1) / m
            out.append(Piece(run.k, lo, hi, run.d, [arb(arf((3, -60)), arf((2 ** 29, -80)))], []))
        if what == "fail":
            raise Fail(f"failure in the task at {float(glo)}")
        if what == "exit":
            os._exit(3)
        if what == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if what == "raise":
            raise KeyError("a defect")
        if what == "overflow":
            raise OverflowError("float range")

    def _link(self, P, Q, rp, rq):
        self.linked.append((P.lo, Q.lo))


def _tasks(widths):
    """Tasks tiling [0, sum(widths)] of one run, in order."""
    runs = [_Run(k=1, d=1, pts=None, lo=Fraction(0), hi=Fraction(sum(widths)), span=float(sum(widths)))]
    cuts = [Fraction(sum(widths[:i])) for i in range(len(widths) + 1)]
    return runs, [Task(0, a, b) for a, b in zip(cuts, cuts[1:])]


def _outcome(chk, runs, tasks, workers):
    try:
        got = march_tasks(chk, runs, tasks, workers)
    except OverflowError:
        return "overflow", "", chk.n_pieces
    except Budget as e:
        return "budget", str(e), chk.n_pieces
    except Fail as e:
        return "fail", str(e), chk.n_pieces
    return "ok", [[(p.lo, p.hi) for p in ps] for ps in got], chk.n_pieces


@pytest.mark.parametrize("workers", [1, 2])
def test_first_failure_in_task_order_even_when_a_later_task_finishes_first(workers):
    """Task 1 is the longest (handed out first, finishes first): the reason is still task 0's. The pieces
    counted: those tried up to the failure in one process, by every task that ran on several."""
    runs, tasks = _tasks([1, 9, 1])
    plan = {Fraction(0): (2, "fail"), Fraction(1): (3, "fail"), Fraction(10): (1, "ok")}
    kind, reason, used = _outcome(_Fake(plan, 100), runs, tasks, workers)
    assert (kind, reason) == ("fail", "failure in the task at 0.0")
    assert used == 2 if workers == 1 else 2 <= used <= 6


@pytest.mark.parametrize("workers", [1, 2])
def test_pieces_come_back_in_task_order_with_exact_balls(workers):
    runs, tasks = _tasks([1, 9, 1, 2])
    plan = {t.lo: (i + 1, "ok") for i, t in enumerate(tasks)}
    chk = _Fake(plan, 100)
    got = march_tasks(chk, runs, tasks, workers)
    assert [len(ps) for ps in got] == [1, 2, 3, 4] and chk.n_pieces == 10
    for ps, t in zip(got, tasks):
        assert ps[0].lo == t.lo and ps[-1].hi == t.hi
        assert all(P.hi == Q.lo for P, Q in zip(ps, ps[1:]))
        ref = arb(arf((3, -60)), arf((2 ** 29, -80)))   # the ball _march made (radius rounded up by Arb)
        assert all((tube_tasks._exact(p.hull[0].mid()), tube_tasks._exact(p.hull[0].rad()))
                   == (tube_tasks._exact(ref.mid()), tube_tasks._exact(ref.rad())) for p in ps)


@pytest.mark.parametrize("workers", [1, 2])
def test_budget_exactly_at_the_limit_passes_one_past_it_does_not(workers):
    runs, tasks = _tasks([1, 1, 1])
    plan = {t.lo: (3, "ok") for t in tasks}
    assert _outcome(_Fake(plan, 10, n_pieces=1), runs, tasks, workers)[0] == "ok"
    kind, reason, used = _outcome(_Fake(plan, 9, n_pieces=1), runs, tasks, workers)
    assert kind == "budget" and used == 9 and reason.startswith("budget of 9 pieces exhausted")   # stopped at it


@pytest.mark.parametrize("workers", [1, 2])
def test_budget_exhausted_inside_one_task_only(workers):
    runs, tasks = _tasks([1, 1])
    plan = {Fraction(0): (2, "ok"), Fraction(1): (50, "ok")}
    kind, reason, used = _outcome(_Fake(plan, 20), runs, tasks, workers)
    assert kind == "budget" and used == 20 and reason.startswith("budget of 20 pieces exhausted")


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failure_found_only_past_the_budget_is_reported_as_the_budget(workers):
    runs, tasks = _tasks([1, 1])
    plan = {Fraction(0): (3, "ok"), Fraction(1): (4, "fail")}   # alone 4 <= 5; 3 + 4 = 7 > 5
    kind, reason, used = _outcome(_Fake(plan, 5), runs, tasks, workers)
    assert kind == "budget", (kind, reason, used)


@pytest.mark.parametrize("what", ["exit", "kill", "raise"])
def test_a_dead_worker_or_a_defect_in_a_task_is_not_proved_with_a_reason(what):
    runs, tasks = _tasks([1, 1, 1])
    plan = {Fraction(0): (1, "ok"), Fraction(1): (1, what), Fraction(2): (1, "ok")}
    kind, reason, _ = _outcome(_Fake(plan, 100), runs, tasks, 2)
    assert kind == "fail" and reason.startswith("internal error in the tube's march")


def test_a_genuine_failure_earlier_in_task_order_than_a_defect_is_the_reason():
    runs, tasks = _tasks([1, 1])
    plan = {Fraction(0): (1, "fail"), Fraction(1): (1, "raise")}
    for w in (1, 2):
        assert _outcome(_Fake(plan, 100), runs, tasks, w)[:2] == ("fail", "failure in the task at 0.0")


def test_a_ball_not_rebuilt_in_the_parent_is_not_proved(monkeypatch):
    """_arb_rebuild raising in the parent (where the results are unpickled): no claim, no hang."""
    def refuse(mid, rad):
        raise ValueError("not exact")
    monkeypatch.setattr(tube_tasks, "_arb_rebuild", refuse)
    runs, tasks = _tasks([1, 1])
    plan = {t.lo: (1, "ok") for t in tasks}
    kind, reason, _ = _outcome(_Fake(plan, 100), runs, tasks, 2)
    assert kind == "fail" and reason.startswith("internal error in the tube's march")


# ---- the real check: a closed branch (no Hopf point: every piece plain, the wrap-around pair between tasks)
def _isola():
    """x' = 9/400 - (a - 1/4)^2 - x^2, (y, z) a stable focus: a closed branch (two folds), no Hopf point."""
    from symhopf.model import Model
    from symhopf.search import find_candidates
    from symhopf.system import System
    s = System.from_model(Model.ode(variables=["x", "y", "z"], rhs=["9/400 - (a-1/4)**2 - x**2", "-y - z", "-z + y"],
                                    parameter="a", range=["-1", "1"]))
    (br,) = find_candidates(s).branches
    assert br.closed
    return s, br


def _key(p):
    return p.k, p.lo, p.hi


@pytest.mark.parametrize("split_n", [10, 1])
def test_closed_branch_same_tube_for_any_workers_and_every_pair_linked(monkeypatch, split_n):
    monkeypatch.setattr(tube_tasks, "SPLIT_N", split_n)
    s, br = _isola()
    seen = []
    link = tube.MovingBranchCheck._link

    def spy(self, P, Q, rp, rq):
        seen.append((_key(P), _key(Q)))
        return link(self, P, Q, rp, rq)
    monkeypatch.setattr(tube.MovingBranchCheck, "_link", spy)
    one = tube.check_moving_branch(s, br, [], s.model.range, workers=1)
    two = tube.check_moving_branch(s, br, [], s.model.range, workers=2)
    assert one.proved, one.reason
    shape = [(p.k, p.lo, p.hi, p.kind, [(h.mid().man_exp(), h.rad().man_exp()) for h in p.hull]) for p in one.tube]
    assert shape == [(p.k, p.lo, p.hi, p.kind, [(h.mid().man_exp(), h.rad().man_exp()) for h in p.hull])
                     for p in two.tube]
    assert (one.reason, one.pieces) == (two.reason, two.pieces)
    keys = [_key(p) for p in one.tube]
    assert len({k for k, _, _ in keys}) == 2        # two charts: runs of a and x
    pairs = list(zip(keys, keys[1:])) + [(keys[-1], keys[0])]
    assert sorted(seen[:len(pairs)]) == sorted(pairs)   # workers=1: every link made in this process


@pytest.mark.parametrize("workers", [1, 2])
def test_closed_branch_a_failing_link_anywhere_is_not_proved(monkeypatch, workers):
    """The wrap-around pair, a chart change and a pair inside a task: a link that fails there must fail
    the check (a pair never linked would be a false "complete")."""
    monkeypatch.setattr(tube_tasks, "SPLIT_N", 1)
    s, br = _isola()
    ref = tube.check_moving_branch(s, br, [], s.model.range, workers=1)
    assert ref.proved, ref.reason
    keys = [_key(p) for p in ref.tube]
    change = next(i for i in range(len(keys) - 1) if keys[i][0] != keys[i + 1][0])
    link = tube.MovingBranchCheck._link
    for i, j in ((len(keys) - 1, 0), (change, change + 1), (1, 2)):
        bad = (keys[i], keys[j])

        def broken(self, P, Q, rp, rq, bad=bad):
            if (_key(P), _key(Q)) == bad:
                raise Fail("the attacked link")
            return link(self, P, Q, rp, rq)
        monkeypatch.setattr(tube.MovingBranchCheck, "_link", broken)
        out = tube.check_moving_branch(s, br, [], s.model.range, workers=workers)
        assert not out.proved and out.reason == "the attacked link", (i, j, out.reason)


def test_real_check_a_failure_past_the_budget_is_the_budget(monkeypatch):
    """leaky3, its gaps split: task 1 fails after its march (an injected Fail); the budget is one piece short
    of tasks 0 and 1 together (each alone within it). The sequential march stopped at the budget first."""
    from test_proof_completeness_moving import on_branch
    from test_tube_tasks import _leaky3
    monkeypatch.setattr(tube_tasks, "SPLIT_N", 1)
    s, res, proved = _leaky3()
    br = res.branches[0]
    mine = on_branch(res, proved, br)
    march, used = tube.MovingBranchCheck._march, []

    def count(self, run, glo, ghi, out):
        n0 = self.n_pieces
        march(self, run, glo, ghi, out)
        used.append((n0, self.n_pieces - n0))
    monkeypatch.setattr(tube.MovingBranchCheck, "_march", count)
    assert tube.check_moving_branch(s, br, mine, s.model.range, workers=1).proved
    (s0, t0), (_, t1) = used[:2]
    budget = s0 + t0 + t1 - 1
    calls = []

    def late_fail(self, run, glo, ghi, out):
        calls.append(glo)
        march(self, run, glo, ghi, out)
        if len(calls) == 2:
            raise Fail("a failure in the second task")
    monkeypatch.setattr(tube.MovingBranchCheck, "_march", late_fail)
    out = tube.check_moving_branch(s, br, mine, s.model.range, budget=budget, workers=1)
    assert not out.proved
    assert out.exhausted and out.pieces <= budget + 1, (out.reason, out.pieces, budget)


def test_every_cache_a_task_reads_starts_the_same_in_any_process(monkeypatch):
    from test_proof_completeness_moving import on_branch
    from test_tube_tasks import _leaky3
    monkeypatch.setattr(tube_tasks, "SPLIT_N", 1)
    s, res, proved = _leaky3()
    br = res.branches[0]
    seen = []
    restore = tube_tasks._restore

    def spy(chk, st):   # every task starts here (and march_tasks ends here: the last call)
        restore(chk, st)
        seen.append(sorted(chk.tube._jacobians))
    monkeypatch.setattr(tube_tasks, "_restore", spy)
    chk = tube.MovingBranchCheck(s, br, on_branch(res, proved, br), s.model.range, 128, workers=1)
    with flint.ctx.workprec(128):
        chk.run()
    starts = seen[:-1]
    assert len(starts) >= 2
    assert all(v == starts[0] for v in starts)   # one process: each task must start as the first did


class _Counting(_Fake):
    """_Fake that appends one line per piece tried to a file (every process)."""

    def __init__(self, plan, budget, path):
        super().__init__(plan, budget)
        self.path = path

    def _tried(self):
        with open(self.path, "a") as fh:
            fh.write("x\n")


@pytest.mark.parametrize("first", ["fail", "ok"])
def test_work_stops_once_the_outcome_is_decided(tmp_path, first):
    """Eight tasks of 30 pieces, budget 40: one process tries 30 + (30 or 0) and stops; two processes may
    run a task or two more while the outcome is read, not all eight."""
    runs, tasks = _tasks([1] * 8)
    plan = {t.lo: (30, "ok") for t in tasks}
    plan[Fraction(0)] = (30, first)
    tried = {}
    for w in (1, 2):
        path = tmp_path / f"tried{w}"
        path.write_text("")
        out = _outcome(_Counting(plan, 40, path), runs, tasks, w)
        tried[w] = len(path.read_text().splitlines())
        assert out[0] == ("fail" if first == "fail" else "budget")
    assert tried[1] == (30 if first == "fail" else 40)       # one process: stops at the failure / the budget
    assert tried[2] <= (30 + 2 * 30 if first == "fail" else 40), tried   # two: the shared count stops at 40


_NESTED = {}


def _check_in_pool_worker(workers):
    s, br, mine = _NESTED["case"]
    out = tube.check_moving_branch(s, br, mine, s.model.range, workers=workers)
    return out.proved, out.reason


def test_nested_in_a_daemonic_worker_the_result_is_the_same():
    import multiprocessing as mp
    from test_proof_completeness_moving import on_branch
    from test_tube_tasks import _leaky3
    s, res, proved = _leaky3()
    br = res.branches[0]
    _NESTED["case"] = (s, br, on_branch(res, proved, br))
    with mp.get_context("fork").Pool(1) as pool:
        one = pool.apply(_check_in_pool_worker, (1,))
        two = pool.apply(_check_in_pool_worker, (2,))
    assert one[0], one[1]
    assert two == one


@pytest.mark.parametrize("workers", [1, 2])
def test_overflow_in_a_later_task_after_a_failure_and_before_one(workers):
    """OverflowError is an outcome in task order like the others: after an earlier failure, that failure;
    before a later one, the overflow (tube.check_moving_branch: not proved, float overflow)."""
    runs, tasks = _tasks([1, 3, 1])
    plan = {Fraction(0): (1, "fail"), Fraction(1): (2, "overflow"), Fraction(4): (1, "fail")}
    assert _outcome(_Fake(plan, 100), runs, tasks, workers)[:2] == ("fail", "failure in the task at 0.0")
    plan[Fraction(0)] = (1, "ok")
    kind, reason, used = _outcome(_Fake(plan, 100), runs, tasks, workers)
    assert (kind, reason) == ("overflow", "") and (used == 3 if workers == 1 else 3 <= used <= 4)


def test_a_bad_symhopf_workers_is_an_input_error_not_a_traceback(monkeypatch):
    from symhopf.errors import InputError
    monkeypatch.setenv("SYMHOPF_WORKERS", "abc")
    monkeypatch.setattr(tube_tasks, "WORKERS", None)   # the default, as outside the test suite
    runs, tasks = _tasks([1, 1])
    plan = {t.lo: (1, "ok") for t in tasks}
    with pytest.raises(InputError):
        march_tasks(_Fake(plan, 100), runs, tasks, None)


def test_a_task_of_a_few_ulps_is_covered(monkeypatch):
    import math
    from test_proof_completeness_moving import on_branch
    from test_tube_tasks import _leaky3
    s, res, proved = _leaky3()
    br = res.branches[0]
    mine = on_branch(res, proved, br)
    real = tube_tasks.split

    def with_a_lone_tiny_gap(runs, gaps, n):
        """The real tasks, the first one's middle 20 ulps as 8 tasks of 2-3 ulps (split itself leaves so
        narrow a gap whole: MIN_PART)."""
        out = real(runs, gaps, n)
        t = out[0]
        m = float((t.lo + t.hi) / 2)
        a, b = Fraction(m), Fraction(m + 20 * math.ulp(m))
        assert real(runs, [Task(t.ri, a, b)], tube_tasks.SPLIT_N) == [Task(t.ri, a, b)]
        cuts = [a] + [Fraction(m + j * math.ulp(m)) for j in (2, 5, 7, 10, 12, 15, 17)] + [b]
        tiny = [Task(t.ri, u, v) for u, v in zip(cuts, cuts[1:])]
        return [Task(t.ri, t.lo, a)] + tiny + [Task(t.ri, b, t.hi)] + out[1:]
    monkeypatch.setattr(tube, "split", with_a_lone_tiny_gap)
    out = tube.check_moving_branch(s, br, mine, s.model.range, workers=1)
    assert out.proved, out.reason


@pytest.mark.parametrize("workers", [1, 2])
def test_seams_exactly_on_the_runs_float_points(monkeypatch, workers):
    """Every gap cut at every float point of its run strictly inside it (seams on the float arc's own
    points, tasks of very different lengths): proved, the same crossings. Not at a run's first and last
    float points: there the run overlaps its neighbour by eta (branch_runs._runs) and the link across the
    chart change needs the first piece to reach past that point (a seam there fails that link: not proved,
    no claim; split cuts that close only in a gap narrower than about TASKS eta: see the few-ulps test)."""
    from test_proof_completeness_moving import on_branch
    from test_tube_tasks import _leaky3
    s, res, proved = _leaky3()
    br = res.branches[0]
    mine = on_branch(res, proved, br)
    ref = tube.check_moving_branch(s, br, mine, s.model.range, workers=1)
    assert ref.proved, ref.reason
    cut = []

    def at_points(runs, gaps, n):
        out = []
        for g in gaps:
            ts = sorted({Fraction(float(v)) for v in runs[g.ri].pts[1:-1, runs[g.ri].k]})
            seams = [g.lo] + [t for t in ts if g.lo < t < g.hi] + [g.hi]
            out += [Task(g.ri, a, b) for a, b in zip(seams, seams[1:])]
        cut.append(len(out) - len(gaps))
        return out
    monkeypatch.setattr(tube, "split", at_points)
    out = tube.check_moving_branch(s, br, mine, s.model.range, workers=workers)
    assert cut[0] > 0 and out.proved, out.reason
    assert [(p.k, p.kind) for p in out.tube if p.kind == "hopf"] == [(p.k, p.kind) for p in ref.tube if p.kind == "hopf"]
    assert out.crossings == ref.crossings
