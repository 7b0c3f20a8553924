"""The plain pieces of a branch's tube as independent tasks, on several cores.

After the Hopf pieces (tube.py), what is left of each run is a list of *gaps*; each gap, split at
exact seams into parts when the branch has few gaps (``split``), is a *task*: tile it with plain
pieces (``MovingBranchCheck._march``) and link its consecutive pieces (``_link``). The parent then
links the pairs that straddle two tasks (tube.py). Soundness does not depend on the split: every
piece and every link is proved on its own, and the seams are exact rationals where one task's last
piece ends and the next one's first piece starts.

Deterministic: every task starts from the state the check had after the Hopf pieces (step control,
float eigenbasis, float point and preconditioner caches: ``_State``), so the pieces, and so every
decision and the reason of a failure, do not depend on how many processes run the tasks. The outcome
is read in task order: the first task that failed gives the reason. The budget bounds the pieces tried
by all tasks together: in one process each task counts on from the last (the check stops where the
count reaches the budget, as the march did before tasks); on several, the tasks count in a shared
total and all stop when it passes the budget, and a task stops at its next piece once an earlier task
(in task order) has failed (``_stopper``: work only, its outcome is never read). Whether the check is
proved, and why not when it fails within the budget, is the same for any number of processes; when
the budget runs out, the reason names the budget, and which of the failures counts first when a task
fails *and* the budget runs out may differ, as may the count of pieces tried by a check that failed
(on several processes: every task that ran).

With more than one worker (``parallel.run_tasks``: forked processes that inherit the check) the
pieces come back pickled: an arb ball travels as the exact (mantissa, exponent) pairs of its midpoint
and radius and is rebuilt exactly, checked (``_arb_rebuild``): the pieces' regions are uniqueness
regions, which must neither grow nor shrink on the way.
"""
from __future__ import annotations

import copy
import copyreg
import multiprocessing
from dataclasses import replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Callable, Iterator, NamedTuple

import flint
from flint import arb, arf

from ..parallel import default_workers, run_tasks
from .branch_runs import Budget, Fail, _Run
from .krawczyk_tube import Piece

if TYPE_CHECKING:
    from .tube import MovingBranchCheck

#: a branch with fewer gaps than this (and n >= SPLIT_N) has its gaps split into about this many tasks
TASKS = 8
#: parts are at least this fraction of their run's span (a narrow gap stays whole)
MIN_PART = 1e-3
#: smallest n whose gaps are split (below it a piece costs milliseconds and a branch's tube has few: the
#: step-control ramp-up at each seam costs more than the parallel work saves; leaky10 262 -> 733 pieces)
SPLIT_N = 50

#: processes when the caller names none (None: parallel.default_workers, i.e. $SYMHOPF_WORKERS or the cores;
#: the test suite sets 1, so that its spies see every call, and names 2 where it tests the tasks)
WORKERS: int | None = None
#: keep each plain piece's arc enclosure K and tangent du after its task (tests check them against
#: 50-digit values); off, a piece keeps what the check still uses (chart, interval, region): less to send
KEEP_ENCLOSURES = False


def _exact(v: arb) -> tuple[int, int] | str:
    """An exact arb (a midpoint or a radius) as its (odd mantissa, exponent), or 'nan' / '+inf' / '-inf'."""
    if v.is_finite():
        m, e = v.man_exp()
        return int(m), int(e)
    return "nan" if v.is_nan() else ("+inf" if v > 0 else "-inf")


def _arb_rebuild(mid: tuple[int, int] | str, rad: tuple[int, int] | str) -> arb:
    """The ball with exactly this midpoint and radius. Arb rounds a radius up when it sets one (arf ->
    mag, whose mantissa has 30 bits: one unit in practice), so a radius one unit below is tried first,
    then one unit below at the next finer scale (radii that are powers of two), then the radius itself;
    the ball returned is checked to be exactly the one sent (a tube piece's region is a uniqueness
    region: it must neither grow nor shrink), else ValueError."""
    if isinstance(rad, tuple) and rad[0] != 0:
        s = 30 - rad[0].bit_length()
        M, E = rad[0] << s, rad[1] - s
        tries: list = [(M - 1, E), (2 * M - 1, E - 1), (M, E)]
    else:
        tries = [None if isinstance(rad, tuple) else rad]
    for r in tries:
        y = arb(arf(mid)) if r is None else arb(arf(mid), arf(r))
        if _exact(y.mid()) == mid and _exact(y.rad()) == rad:
            return y
    raise ValueError(f"arb ball [{mid} +- {rad}] could not be rebuilt exactly")


def _arb_reduce(x: arb) -> tuple:
    return _arb_rebuild, (_exact(x.mid()), _exact(x.rad()))


copyreg.pickle(flint.arb, _arb_reduce)


class Task(NamedTuple):
    """Tile ``[lo, hi]`` of run ``ri`` (exact)."""

    ri: int
    lo: Fraction
    hi: Fraction


class _State(NamedTuple):
    """What a task starts from (the check's state after the Hopf pieces)."""

    n_pieces: int
    rel_w: float
    rel_cap: float
    streak: int
    basis: Any
    points: dict
    jacobians: dict


def _length(t: Task, runs: list[_Run]) -> float:
    """A task's length relative to its run's span (a proxy for its work)."""
    return float(t.hi - t.lo) / runs[t.ri].span


def split(runs: list[_Run], gaps: list[Task], n: int) -> list[Task]:
    """The tasks: the gaps themselves, or (``n >= SPLIT_N`` and fewer than TASKS gaps) each gap cut
    into parts of about equal length at exact seams, in proportion to its length relative to its
    run's span (a proxy for its work). Depends only on the gaps (not on the number of workers)."""
    if n < SPLIT_N or len(gaps) >= TASKS or not gaps:
        return gaps
    rel = [_length(g, runs) for g in gaps]
    total = sum(rel) or 1.0
    out: list[Task] = []
    for g, r in zip(gaps, rel):
        k = max(1, min(round(TASKS * r / total), int(r / MIN_PART)))
        inner = {Fraction(float(g.lo + (g.hi - g.lo) * j / k)) for j in range(1, k)}   # short seams
        seams = [g.lo] + sorted(t for t in inner if g.lo < t < g.hi) + [g.hi]
        out += [Task(g.ri, a, b) for a, b in zip(seams, seams[1:])]
    return out


def _state(chk: MovingBranchCheck) -> _State:
    """The check's state now (no copies: ``_restore`` copies, and a task changes only its copies)."""
    return _State(chk.n_pieces, chk.rel_w, chk.rel_cap, chk.streak, chk.basis, chk._points, chk.tube._jacobians)


def _restore(chk: MovingBranchCheck, s: _State) -> None:
    chk.n_pieces, chk.rel_w, chk.rel_cap, chk.streak = s.n_pieces, s.rel_w, s.rel_cap, s.streak
    chk.basis, chk._points, chk._curve = copy.deepcopy(s.basis), dict(s.points), None
    chk.tube._jacobians = dict(s.jacobians)


class Done(NamedTuple):
    """One task's outcome: ``pieces`` in arc order (linked to each other), Krawczyk pieces tried, and
    the failure (``kind`` "fail" or "budget", its reason) if any."""

    pieces: list[Piece]
    tried: int
    kind: str
    reason: str


def _stopper(i: int, first: Any, total: Any, budget: int) -> Callable[[], None]:
    """Task i's check before each piece when the tasks run on several processes: stop (Fail) once an
    earlier task (in task order) has failed, its outcome would not be read; count the piece in the
    branch's shared total and stop (Budget) past the budget."""
    def stop() -> None:
        if first.value < i:
            raise Fail("stopped: an earlier task of this branch failed")
        with total.get_lock():
            total.value += 1
            over = total.value > budget
        if over:
            raise Budget(f"budget of {budget} pieces exhausted (the tasks of this branch together reached it; "
                         "raise it with --budget)")
    return stop


def _one(chk: MovingBranchCheck, runs: list[_Run], s: _State, task: Task, i: int = 0,
         shared: tuple[Any, Any] | None = None) -> Done:
    """Task ``i`` from state ``s``; ``shared``: the lowest index of a failed task so far and the
    branch's count of pieces, shared by the processes (``_stopper``)."""
    _restore(chk, s)
    chk.stop = None if shared is None else _stopper(i, shared[0], shared[1], chk.budget)
    run = runs[task.ri]
    out: list[Piece] = []
    try:
        chk._march(run, task.lo, task.hi, out)
        order = sorted(out, key=lambda p: p.lo)
        if run.d < 0:
            order.reverse()
        for P, Q in zip(order, order[1:]):
            chk._link(P, Q, run, run)
    except Fail as e:
        if shared is not None:
            with shared[0].get_lock():
                shared[0].value = min(shared[0].value, i)
        return Done([], chk.n_pieces - s.n_pieces, "budget" if isinstance(e, Budget) else "fail", str(e))
    except OverflowError:
        return Done([], chk.n_pieces - s.n_pieces, "overflow", "")
    finally:
        chk.stop = None
    if not KEEP_ENCLOSURES:   # what the check uses of a plain piece from here on: chart, interval, region
        order = [replace(p, K=[], du=None) for p in order]
    return Done(order, chk.n_pieces - s.n_pieces, "", "")


def _guarded(chk: MovingBranchCheck, runs: list[_Run], s: _State, task: Task, i: int = 0,
             shared: tuple[Any, Any] | None = None) -> Done | dict:
    """``_one``, an unexpected exception (a defect) turned into ``{"error": ...}`` as parallel.run_tasks
    does in its workers: the same outcome in one process and in several."""
    try:
        return _one(chk, runs, s, task, i, shared)
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def march_tasks(chk: MovingBranchCheck, runs: list[_Run], tasks: list[Task],
                workers: int | None = None) -> list[list[Piece]]:
    """Every task's pieces (arc order, linked within the task), in task order; raises Fail / Budget
    and OverflowError (module docstring) as the sequential march would. ``workers``: processes
    (default: the machine's)."""
    s = _state(chk)
    used, out = s.n_pieces, []
    workers = workers if workers is not None else WORKERS if WORKERS is not None else default_workers()
    if workers > 1 and len(tasks) > 1:
        # longest first: the pool hands tasks out in this order (balance); read back in task order
        order = sorted(range(len(tasks)), key=lambda i: -_length(tasks[i], runs))
        try:
            ctx = multiprocessing.get_context("fork")   # shared with the forked workers
            shared = (ctx.Value("l", len(tasks)), ctx.Value("l", s.n_pieces))
        except ValueError:   # no fork here: run_tasks runs the tasks in this process
            shared = None
        try:
            got = run_tasks(lambda i: _guarded(chk, runs, s, tasks[i], i, shared), order, workers, min_tasks=2)
        except Exception as exc:   # a result not rebuilt exactly (_arb_rebuild), a failed pool: no claim
            raise Fail(f"internal error in the tube's march: {type(exc).__name__}: {exc}") from None
        res: dict[int, Any] = dict(zip(order, got))
        done: Iterator[Done | dict] = (res[i] for i in range(len(tasks)))
        # the pieces tried: by every task (a failure read in task order may come before tasks that ran)
        tried: int | None = s.n_pieces + sum(d.tried for d in got if isinstance(d, Done))
    else:   # one process: the tasks in order, each counting on from the last (the budget stops it there)
        done = (_guarded(chk, runs, s._replace(n_pieces=used), t) for t in tasks)
        tried = None
    for task, d in zip(tasks, done):
        if isinstance(d, dict):   # an exception other than Fail in the task, or a dead worker: no claim
            chk.n_pieces = used if tried is None else tried
            raise Fail(f"internal error in the tube's march: {d.get('error')}")
        used += d.tried
        chk.n_pieces = used if tried is None else tried
        if d.kind == "overflow":
            raise OverflowError
        if d.kind == "budget":
            raise Budget(d.reason)
        if d.kind == "fail":
            raise Fail(d.reason)
        out.append(d.pieces)
    _restore(chk, s._replace(n_pieces=used))
    return out
