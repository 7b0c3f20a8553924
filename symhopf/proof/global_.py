"""Global completeness: every equilibrium with x in a box X and a in [a0, a1] lies on a proved branch.

Setting. ``X = prod [l_i, h_i]`` and ``[a0, a1]`` exact (Fractions); the branches' completeness
results (:mod:`.completeness`). A branch is *usable* when its Hopf list is proved complete: a
moving branch by a tube (its ``Gamma``, the whole connected component of
``{f = 0, a in [a0, a1]}`` through it, tube.py (2); for a branch that leaves the search box ``X``, an
arc holding the whole component ``C`` of ``{f = 0} /\\ D`` through it, tube.py "Branches that leave the
search box"), a constant branch ``x(a) = x0`` by the constant-branch shift method.

Branch and bound over ``D = X x [a0, a1]`` (exact rational boxes, bisected at exact midpoints
along the widest side relative to D; every box evaluated in ball arithmetic over an outward
enclosure, so each conclusion holds on the whole exact box). A box ``B`` is settled when

* (exclusion) some component of ``f`` excludes 0 on ``B``: the natural ball extension ``f(B)``
  or the mean-value form ``f(c) + Jz(B) (B - c)``; or the Krawczyk operator in ``x`` (``a`` a
  parameter in ``B_a``), ``K = c_x - Y (f(c) + f_a(B) (B_a - c_a)) + (I - Y Df(B)) (B_x - c_x)``
  (``Y`` any float matrix), misses ``B_x`` in some component (every zero in ``B`` lies in ``K``, by
  the mean value theorem); then ``B`` holds no equilibrium; or
* (inclusion, glued) for a chart ``k`` (a coordinate of ``z = (x, a)``) the Krawczyk test of
  krawczyk_tube.py (``Tube.krawczyk``) on ``T = B_k`` and a box ``U`` of the other coordinates that
  contains ``B``'s other sides succeeds: for each ``t`` in ``T`` exactly one zero ``u(t)`` in
  ``U``, ``t -> u(t)`` continuous (IFT: ``J_u`` nonsingular on the box), all zeros in ``K``; so the
  equilibria in ``B`` lie on the arc ``G = {(t, u(t))}``, which is connected. For ``k != a`` the
  ``a``-side of ``K`` must lie in ``[a0, a1]`` (then ``G`` is in ``{f = 0, a in [a0, a1]}``; for
  ``k = a``, ``T`` is within the range). ``G`` is glued to a usable branch:
  - tube: at an exact ``t*`` in ``B_k`` a thin Krawczyk test gives a box ``U*`` inside ``U``
    holding the unique zero ``e`` at ``t*`` (so ``e`` is on ``G``) with enclosure ``K*``; if
    ``(t*, K*)`` lies in the uniqueness region of a tube piece ``P`` (``Piece.holds``: an axis box
    or a slanted tube), ``e`` is on that tube's ``Gamma`` (the region holds only points of
    ``Gamma``); ``G`` is connected, lies in ``D`` and meets the component ``Gamma`` (or ``C``, which
    holds every point of ``Gamma`` in ``D``), so ``G`` is in ``Gamma``;
  - constant branch (``k = a`` only): ``x0`` lies in ``U``; by uniqueness ``u(t) = x0`` for all
    ``t``: ``G`` is part of the branch.

Conclusion when every box is settled: every equilibrium ``(x, a)`` with ``x`` in ``X`` and ``a`` in
``[a0, a1]`` lies on a usable branch, whose Hopf points in the range are all among its proved
points. So every Hopf point with ``x`` in ``X`` and ``a`` in ``[a0, a1]`` is listed.

Not covered (not proved, with the reason): ``n > NMAX``; a box neither excluded nor glued down
to relative width ``MIN_REL`` (a branch the search missed, a fold or pitchfork no chart
resolves, an unusable branch through the box); more than ``budget`` boxes (deterministic work).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

import flint
import numpy as np
from flint import arb

from ..errors import InputError
from ..runtime.arbtools import approximate_inverse, column, exact_bounds, hull, identity
from .completeness import METHOD as SHIFT_METHOD, CompletenessResult
from .krawczyk_tube import Tube
from .tube import Fail

#: largest dimension tried (the box count grows exponentially with n)
NMAX = 6
#: largest dimension tried when no budget is given (above it the check costs minutes and rarely settles)
DEFAULT_NMAX = 3
#: default work budget: boxes examined (the environment variable SYMHOPF_GLOBAL_BUDGET overrides it)
BUDGET = 50000
MIN_REL = 1e-9
METHOD = ("interval branch and bound over box x range: exclusion (f excludes 0), else a Krawczyk graph in a "
          "chart glued to a proved branch (tube piece or constant branch)")


@dataclass
class GlobalResult:
    """``proved``: every equilibrium with x in ``box`` and a in ``a_range`` lies on a branch whose Hopf list
    is proved complete. ``boxes``: boxes examined; ``excluded`` and ``glued`` of them settled each way."""

    proved: bool
    reason: str
    box: list[tuple[Fraction, Fraction]]
    a_range: tuple[Fraction, Fraction]
    boxes: int = 0
    excluded: int = 0
    glued: int = 0
    budget: int = BUDGET
    method: str = METHOD

    def record(self) -> dict:
        """The certificate's ``global`` record (exact box and range as strings)."""
        return {"proved": self.proved, "reason": self.reason, "method": self.method,
                "box": [[str(lo), str(hi)] for lo, hi in self.box],
                "range": [str(v) for v in self.a_range],
                "boxes": self.boxes, "excluded": self.excluded, "glued": self.glued, "budget": self.budget}


def _within(x: arb, lo: Fraction, hi: Fraction) -> bool:
    b = exact_bounds(x)
    return b is not None and lo <= b[0] and b[1] <= hi


class GlobalCheck:
    def __init__(self, system: Any, branches: Sequence[Any], results: Sequence[CompletenessResult],
                 box: Sequence[tuple[Fraction, Fraction]], a_range: tuple[Fraction, Fraction], prec: int,
                 budget: int) -> None:
        self.n, self.tube = system.n, Tube(system, prec)
        self.ev, self.flt = self.tube.ev, system.flt
        self.D = [tuple(map(Fraction, b)) for b in box] + [tuple(map(Fraction, a_range))]
        self.width = [float(h - l) for l, h in self.D]
        self.pieces = [p for r in results if r.proved for p in r.tube]
        self.x0s = [np.asarray(b.x[0], float) for b, r in zip(branches, results)
                    if r.proved and r.method == SHIFT_METHOD]
        self.budget = budget
        self.boxes = self.excluded = self.glued = 0

    # ---- tests on one box
    def _balls(self, B: list[tuple[Fraction, Fraction]]) -> list[arb]:
        return [hull(lo, hi) for lo, hi in B]

    def excluded_box(self, Z: list[arb]) -> bool:
        x, a = column(Z[: self.n]), Z[self.n]
        F = self.ev.f(x, a)
        if any(not F[i, 0].contains(0) for i in range(self.n)):
            return True
        c = [arb(v.mid()) for v in Z]
        Fc = self.ev.f(column(c[: self.n]), c[self.n])
        D, fa = self.ev.Df(x, a), self.ev.f_a(x, a)
        dx = column([Z[j] - c[j] for j in range(self.n)])
        Fa = Fc + fa * (Z[self.n] - c[self.n])
        V = Fa + D * dx
        if any(not V[i, 0].contains(0) for i in range(self.n)):
            return True
        Yb = approximate_inverse(D)
        if Yb is None:
            return False
        K = column(c[: self.n]) - Yb * Fa + (identity(self.n) - Yb * D) * dx
        return any(not K[i, 0].overlaps(Z[i]) for i in range(self.n))

    def _charts(self, zc: np.ndarray, w: np.ndarray) -> list[int]:
        """Two charts: the coordinates through whose faces the float arc leaves the box of widths ``w``
        soonest (largest ``|t_k| / w_k``, ``t`` the tangent; the parameter first on ties)."""
        try:
            t = np.linalg.svd(self.tube.Jz(zc))[2][-1]
        except np.linalg.LinAlgError:
            return [self.n]
        order = sorted(range(self.n + 1), key=lambda k: (-abs(t[k]) / max(w[k], 1e-300), k != self.n))
        return order[:2]

    def glued_box(self, B: list[tuple[Fraction, Fraction]], Z: list[arb]) -> bool:
        mid = np.array([float((lo + hi) / 2) for lo, hi in B])
        for k in self._charts(mid, np.array([float(hi - lo) for lo, hi in B])):
            zc = self.tube.point(k, float(mid[k]), mid)
            if zc is None or not np.all(np.isfinite(zc)):
                continue
            o = self.tube.others(k)
            lo = np.array([float(B[i][0]) for i in range(self.n + 1)])
            hi = np.array([float(B[i][1]) for i in range(self.n + 1)])
            if np.any(np.abs(zc - mid) > (hi - lo)):   # the float arc misses the box: try smaller boxes
                continue
            lo, hi = np.nextafter(np.minimum(lo, zc), -np.inf), np.nextafter(np.maximum(hi, zc), np.inf)
            kr = self.tube.krawczyk(k, Z[k], zc, cover=(lo, hi))
            if kr is None:
                continue
            U, K, _, _ = kr
            if not all(U[j].contains(Z[i]) for j, i in enumerate(o)):
                continue
            if k != self.n and not _within(K[o.index(self.n)], *self.D[self.n]):
                continue
            if self._glue(k, B, U, zc):
                return True
        return False

    def _glue(self, k: int, B: list[tuple[Fraction, Fraction]], U: list[arb], zc: np.ndarray) -> bool:
        if k == self.n:
            for x0 in self.x0s:
                if all(U[j].contains(arb(float(v))) for j, v in enumerate(x0)):
                    return True
        if not self.pieces:
            return False
        ts = float(zc[k])
        if not B[k][0] <= Fraction(ts) <= B[k][1]:
            ts = float((B[k][0] + B[k][1]) / 2)
            if not B[k][0] <= Fraction(ts) <= B[k][1]:
                return False
        zs = self.tube.point(k, ts, zc)
        if zs is None:
            return False
        thin = self.tube.krawczyk(k, arb(ts), zs)
        if thin is None:
            return False
        Us, Ks, _, _ = thin
        if not all(Uj.contains(Usj) for Uj, Usj in zip(U, Us)):
            return False
        e = list(Ks)
        e.insert(k, arb(ts))
        return any(P.holds(e) for P in self.pieces)

    # ---- the search tree
    def _split(self, B: list[tuple[Fraction, Fraction]]) -> list[list[tuple[Fraction, Fraction]]]:
        i = max(range(self.n + 1), key=lambda j: float(B[j][1] - B[j][0]) / self.width[j])
        lo, hi = B[i]
        m = (lo + hi) / 2
        return [B[:i] + [(lo, m)] + B[i + 1:], B[:i] + [(m, hi)] + B[i + 1:]]

    def run(self) -> tuple[bool, str]:
        stack = [list(self.D)]
        while stack:
            if self.boxes >= self.budget:
                return False, f"budget of {self.budget} boxes exhausted"
            B = stack.pop()
            self.boxes += 1
            Z = self._balls(B)
            if self.excluded_box(Z):
                self.excluded += 1
                continue
            try:
                ok = self.glued_box(B, Z)
            except (Fail, ZeroDivisionError, ValueError):
                ok = False
            if ok:
                self.glued += 1
                continue
            if max(float(B[j][1] - B[j][0]) / self.width[j] for j in range(self.n + 1)) < MIN_REL:
                where = ", ".join(f"{float((lo + hi) / 2):.6g}" for lo, hi in B)
                return False, (f"a box of relative width < {MIN_REL:g} around (x, a) = ({where}) could be neither "
                               "excluded (no equilibrium) nor glued to a branch proved complete (a branch the "
                               "search missed, a singular point or a branch not proved complete may pass there, "
                               "or the bounds are too weak)")
            stack.extend(self._split(B)[::-1])
        return True, (f"every equilibrium with x in the box and a in the range lies on a branch proved complete "
                      f"({self.boxes} boxes: {self.excluded} excluded, {self.glued} glued)")


def budget_from_env() -> int | None:
    """The global check's budget from ``SYMHOPF_GLOBAL_BUDGET`` (boxes, >= 0), or None when it is unset.
    Raises InputError on any other value (read before the proof starts, so bad input costs nothing)."""
    text = os.environ.get("SYMHOPF_GLOBAL_BUDGET")
    if text is None:
        return None
    try:
        value = int(text.strip())
    except ValueError:
        value = -1
    if value < 0:
        raise InputError(f"SYMHOPF_GLOBAL_BUDGET: expected a number of boxes >= 0, got {text[:40]!r}")
    return value


def check_global(system: Any, branches: Sequence[Any], results: Sequence[CompletenessResult],
                 box: Sequence[tuple[Any, Any]], a_range: tuple[Any, Any], prec: int = 128,
                 budget: int | None = None) -> GlobalResult:
    """The global check (module docstring) over ``box`` x ``a_range`` (exact); at most ``budget`` boxes.
    ``budget`` None: ``SYMHOPF_GLOBAL_BUDGET`` if set, else ``BUDGET`` for ``n <= DEFAULT_NMAX`` and not
    attempted above (0: not attempted)."""
    if budget is None:
        budget = budget_from_env()
    bx = [(Fraction(lo), Fraction(hi)) for lo, hi in box]
    ar = (Fraction(a_range[0]), Fraction(a_range[1]))
    if budget is None:
        if system.n > DEFAULT_NMAX:
            return GlobalResult(False, f"global completeness not attempted by default for n > {DEFAULT_NMAX} "
                                f"(--global-budget BOXES runs it for n <= {NMAX})", bx, ar, budget=0)
        budget = BUDGET
    budget = int(budget)
    if budget == 0:
        return GlobalResult(False, "global completeness not attempted: its budget is 0 boxes", bx, ar, budget=0)
    if system.n > NMAX:
        return GlobalResult(False, f"global completeness not attempted: implemented for n <= {NMAX}", bx, ar,
                            budget=budget)
    if any(not (math.isfinite(float(lo)) and math.isfinite(float(hi)) and lo < hi) for lo, hi in bx):
        return GlobalResult(False, "global completeness not attempted: the box is not bounded", bx, ar, budget=budget)
    chk = GlobalCheck(system, branches, results, bx, ar, prec, budget)
    with flint.ctx.workprec(prec):
        ok, why = chk.run()
    return GlobalResult(ok, why, bx, ar, chk.boxes, chk.excluded, chk.glued, budget)


def _box_text(box: Sequence[Sequence[str]]) -> str:
    return " x ".join(f"[{lo}, {hi}]" for lo, hi in box)


def statement(record: dict, parameter: str) -> str:
    """One line for the summary and the report: the global statement, or why there is none."""
    lo, hi = record["range"]
    if record["proved"]:
        return (f"every Hopf point with x in {_box_text(record['box'])} and {parameter} in [{lo}, {hi}] is listed "
                f"(global completeness proved: {record['boxes']} boxes)")
    return f"no global statement (every Hopf point in a box): {record['reason']}"
