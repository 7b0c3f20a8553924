"""Rigorous completeness of the Hopf list on one equilibrium branch (ball arithmetic).

Method ``constant-branch shift`` (the branch ``x(a) = x0`` does not move), with the ball
evaluator of the system at ``prec`` bits and ``R`` a ball containing the range [a0, a1]:

1. ``f(x0, R)`` is exactly 0 (every entry an exact zero ball): ``f(x0, a) = 0`` for every
   a in the range, so ``x0`` is an equilibrium on the whole range.
2. ``Df_a(x0, R)`` is exactly ``c I`` (exact off-diagonal zeros, one exact ``c != 0`` on the
   diagonal): then ``Df(x0, a) = A + (a - a_r) c I`` on the range, ``A = Df(x0, a_r)``,
   ``a_r`` = midpoint of R.
3. The verified diagonalisation of the family proof (symhopf/proof/family.py, shared: computed
   once per branch) puts every eigenvalue of ``A`` in a Gershgorin disc ``E_j``; discs whose
   crossing parameter meets the exact range [a0, a1] (Fractions) must be isolated (disjoint
   from every other disc), each then holds exactly one eigenvalue ``lambda_j`` (discs whose
   crossing interval misses the exact range hold no crossing in it). The eigenvalues of
   ``Df(x0, a)`` are ``lambda_j + (a - a_r) c``; as ``c`` is real, a pair is on the imaginary
   axis iff ``Im lambda_j != 0`` and ``a = a_j := a_r - Re(lambda_j) / c``. ``lambda_j`` is
   proved real when ``E_j`` is real-centred (then ``conj(E_j) = E_j`` holds ``conj(lambda_j)``),
   proved non-real when ``Im E_j`` excludes 0; otherwise nothing is proved.
4. The enclosures of ``a_j`` (``Im lambda_j > 0``) that meet the exact range must lie inside it
   (one meeting a range end is undecided: not proved); they are the crossings. They must be
   pairwise disjoint and match the given proved Hopf points one to one (each crossing meets
   the a-enclosure, and the omega-enclosure when given, of exactly one proved point, and each
   proved point meets exactly one crossing).

Conclusion (when proved): the branch has exactly as many Hopf parameters in the range as
there are crossings. If the given proved points lie on this branch (their x-enclosures,
when given, are checked to contain x0), a proved point at ``a*`` is some ``a_j`` and, by the
one-to-one matching, different points are different crossings: so the proved points are
*all* the Hopf points of the branch in the range.

Moving branches, and constant branches whose structure (1-3) is not proved, go to :mod:`.tube`
(method ``tube + bialternate``: Krawczyk tube around the branch, bialternate-product determinant
excluded piece by piece, bordered determinant at each proved Hopf point); its docstring states
that theorem.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import flint
import numpy as np
from flint import arb

from ..runtime.arbtools import Number, float_bounds, hull
from ..search.continuation import Branch
from .family import branch_data, crossings
from .tube import METHOD as TUBE_METHOD, check_moving_branch
from .tube_mirror import mirror_moving_branch

METHOD = ("constant-branch shift: f(x0, a) = 0, Df_a(x0, a) = c I on the range; eigenvalues of Df(x0, a_r) "
          "in the isolated Gershgorin discs of the family proof's verified diagonalisation")


@dataclass
class ProvedHopf:
    """Enclosures of a proved Hopf point: ``a`` and optionally ``omega`` as (lo, hi), ``x`` as [(lo, hi)]."""

    a: tuple[Number, Number]
    omega: tuple[Number, Number] | None = None
    x: Sequence[tuple[Number, Number]] | None = None
    #: the point's number in the caller's list (the certificate's index), for the reasons; None: its position
    label: int | None = None


@dataclass
class CompletenessResult:
    """``proved``: no Hopf point on the branch in the range besides the given proved ones.

    ``crossings``: outward-rounded float enclosures (lo, hi) of every parameter in the range
    at which the branch has a purely imaginary pair (only when steps 1-3 succeeded).
    Tube checks only: ``pieces`` tried out of the work ``budget``; ``budget_exhausted`` when the
    budget stopped the check.
    """

    proved: bool
    reason: str
    method: str
    crossings: list[tuple[float, float]] = field(default_factory=list)
    pieces: int | None = None
    budget: int | None = None
    budget_exhausted: bool = False
    tube: tuple = ()   # a proved tube's pieces (tube.Piece), for the global check (global_.py)
    #: a proved tube's two ends (tube.TubeResult.ends): range ends or box exits (then the claim is
    #: within the search box)
    ends: tuple = ()


def _not(reason: str, crossings: list[tuple[float, float]] | None = None) -> CompletenessResult:
    return CompletenessResult(False, reason, METHOD, crossings or [])


def _matches(aj: arb, e: Any, p: ProvedHopf, x_ok: dict, xb: list[arb]) -> bool:
    """The crossing (aj, e) may be the proved point p (its a, omega and x enclosures meet)."""
    if not aj.overlaps(hull(*p.a)):
        return False
    if p.omega is not None and not e.imag.overlaps(hull(*p.omega)):
        return False
    if p.x is None:
        return True
    key = id(p.x)            # the points of one branch often share one x list: checked once
    if key not in x_ok:      # (p.x is alive during the check, so its id is not reused)
        x_ok[key] = all(hull(lo, hi).contains(xi) for (lo, hi), xi in zip(p.x, xb))
    return x_ok[key]


def _meeting(lo: np.ndarray, hi: np.ndarray, l: float, h: float) -> np.ndarray:
    """Indices whose outward float bounds [lo, hi] meet [l, h]: a superset of the overlapping balls."""
    return np.nonzero((lo <= h) & (hi >= l))[0]


def _tube(system: Any, branch: Branch, proved: Sequence[ProvedHopf], a_range: tuple[Number, Number],
          prec: int, budget: int | None, box: tuple[Sequence[Number], Sequence[Number]] | None) -> CompletenessResult:
    t = check_moving_branch(system, branch, proved, a_range, prec, budget, box)
    return CompletenessResult(t.proved, t.reason, TUBE_METHOD, t.crossings, t.pieces, t.budget, t.exhausted, t.tube,
                              t.ends)


def check_branch(system: Any, branch: Branch, proved: Sequence[ProvedHopf],
                 a_range: tuple[Number, Number] | None = None, prec: int = 128,
                 budget: int | None = None,
                 box: tuple[Sequence[Number], Sequence[Number]] | None = None,
                 earlier: Sequence[tuple[Branch, CompletenessResult]] = ()) -> CompletenessResult:
    """Prove that the proved Hopf points are all the Hopf points of ``branch`` in the range.

    ``budget``: at most this many tube pieces (tube.BUDGET by default) for a tube check. ``box``: the
    search box (exact corners): a moving branch whose float arc stops inside the range is then proved
    complete within the box, up to where it leaves it (tube.py), when the tube can show that.
    ``earlier``: branches already checked (same system, range and box), with their results: a moving
    branch that is the mirror image ``x -> -x`` of a proved one (odd systems) reuses its tube (tube.py,
    Lemma M)."""
    lo, hi = a_range if a_range is not None else system.model.range
    if not branch.constant:  # moving branch: Krawczyk tube + bialternate product (tube.py)
        for b, r in earlier:
            if r.method == TUBE_METHOD and r.proved and not b.constant:
                t = mirror_moving_branch(system, branch, proved, (lo, hi), b, r, box, prec)
                if t is not None:
                    return CompletenessResult(True, t.reason, TUBE_METHOD, t.crossings, t.pieces, t.budget,
                                              False, t.tube, t.ends)
        return _tube(system, branch, proved, (lo, hi), prec, budget, box)
    x0 = [float(v) for v in branch.x[0]]
    fd = branch_data(system, x0, (lo, hi))
    if not fd.ok:   # e.g. Df_a = c I only in floats (c ~ 1e-16): the tube needs no structure
        out = _tube(system, branch, proved, (lo, hi), prec, budget, box)
        if not out.proved:
            out.reason = f"constant branch: {fd.reason}; tube: {out.reason}"
        return out
    cross3, why = crossings(fd)
    if why:
        return _not(why)
    cross = [(aj, e) for aj, e, _ in cross3]
    with flint.ctx.workprec(prec):
        bounds = [float_bounds(aj) for aj, _ in cross]
        lo, hi = np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds])
        for i, (l, h) in enumerate(bounds):
            if any(cross[i][0].overlaps(cross[k][0]) for k in _meeting(lo[:i], hi[:i], l, h)):
                return _not("two crossing enclosures overlap", bounds)
        pb = [float_bounds(hull(*p.a)) for p in proved]
        plo, phi = np.array([b[0] for b in pb]), np.array([b[1] for b in pb])
        x_ok: dict = {}
        xb = [arb(v) for v in x0]
        hits = [[int(k) for k in _meeting(plo, phi, l, h) if _matches(aj, e, proved[k], x_ok, xb)]
                for (aj, e), (l, h) in zip(cross, bounds)]
    for h, b in zip(hits, bounds):
        if len(h) != 1:
            what = "no proved Hopf point" if not h else "several proved Hopf points"
            return _not(f"crossing at a in [{b[0]:.17g}, {b[1]:.17g}] matches {what}", bounds)
    used = [h[0] for h in hits]
    if len(set(used)) != len(used):
        return _not("one proved Hopf point matches several crossings", bounds)
    for k in sorted(set(range(len(proved))) - set(used)):
        label = k if proved[k].label is None else proved[k].label
        return _not(f"proved Hopf point {label} (a in [{pb[k][0]:.17g}, {pb[k][1]:.17g}]) matches no crossing "
                    "of this branch in the range", bounds)
    return CompletenessResult(True, f"{len(cross)} crossing(s) on the range, all proved Hopf points", METHOD, bounds)
