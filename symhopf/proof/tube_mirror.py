"""Lemma M: the tube of a branch's mirror image, for odd systems.

Lemma M (mirror images). If ``f(-x, a) = -f(x, a)`` identically (verified symbolically, exact:
search.symmetry.is_odd) then ``sigma(x, a) = (-x, a)`` maps equilibria to equilibria and
``Df(sigma z) = Df(z)``: ``sigma Gamma`` is covered by the pieces ``sigma P`` (uniqueness region the
image of P's), with the same spectral conclusions, and, when ``X = -X``, the same box exits mirrored.
For a branch whose float points are exactly ``-1`` times those of a branch proved complete, its proved
points are matched one to one with the Hopf pieces: a proved point whose mirrored box lies in the
uniqueness region of the Hopf piece ``P`` is on ``sigma P``'s arc, which has at most one Hopf point, so
it is the mirror of P's proved point. When every Hopf piece is matched the branch is proved complete
without a tube of its own (``mirror_moving_branch``); otherwise it gets the full check.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any, Sequence

import flint
import numpy as np
from flint import arb

from ..runtime.arbtools import exact_ball, float_lower, float_upper, fraction, hull
from ..search.symmetry import is_odd   # exact (SymPy): Lemma M
from .krawczyk_tube import Piece
from .tube import BUDGET, TubeResult, within_box_text


class MirroredPiece:
    """The piece ``sigma P`` of an odd system (Lemma M), ``sigma(x, a) = (-x, a)``: its uniqueness region is
    the image of P's (``holds``: a box Z lies in it iff ``sigma Z`` lies in P's)."""

    def __init__(self, piece: Piece, n: int) -> None:
        self.piece, self.n, self.kind = piece, n, piece.kind

    def holds(self, Z: Sequence[arb]) -> bool:
        return self.piece.holds(_sigma(Z, self.n))


def _sigma(Z: Sequence[Any], n: int) -> list[Any]:
    return [-z for z in Z[:n]] + list(Z[n:])


_ODD: dict[int, tuple[Any, bool]] = {}


def _odd(system: Any) -> bool:
    """``f(-x, a) = -f(x, a)`` identically (search.symmetry.is_odd: SymPy, exact), cached per model."""
    model = getattr(system, "model", None)
    hit = _ODD.get(id(model))
    if hit is None or hit[0] is not model:
        if len(_ODD) >= 16:
            _ODD.clear()
        hit = _ODD[id(model)] = (model, bool(is_odd(model)))
    return hit[1]


def mirror_moving_branch(system: Any, branch: Any, proved: Sequence[Any], a_range: tuple[Any, Any],
                         source_branch: Any, source: Any, box: tuple[Sequence[Any], Sequence[Any]] | None = None,
                         prec: int = 128) -> TubeResult | None:
    """Lemma M (module docstring): ``branch`` is the float mirror image ``x -> -x`` of ``source_branch``,
    whose tube check ``source`` (a TubeResult or CompletenessResult with ``tube`` and ``ends``, for the same
    system, range and box: its recorded ends are checked against them) is proved;
    then the mirrored tube proves ``branch`` complete when every proved point of ``branch`` lies, mirrored,
    in the uniqueness region of a Hopf piece of ``source`` (one point per Hopf piece). None when a
    hypothesis fails (the caller runs the full check)."""
    n = system.n
    if not source.proved or not source.tube or bool(branch.closed) != bool(source_branch.closed):
        return None
    xs, xb = np.asarray(source_branch.x, float), np.asarray(branch.x, float)
    if xs.shape != xb.shape or not np.array_equal(xb, -xs) \
            or not np.array_equal(np.asarray(branch.a, float), np.asarray(source_branch.a, float)):
        return None
    exits = [e for e in source.ends if e.get("kind") == "box exit"]
    blo = bhi = None
    if exits:
        if box is None:
            return None
        blo, bhi = [fraction(v) for v in box[0]], [fraction(v) for v in box[1]]
        if any(lo != -hi for lo, hi in zip(blo, bhi)):
            return None   # sigma maps the box onto itself only when it is symmetric
    a0, a1 = fraction(a_range[0]), fraction(a_range[1])
    for e in source.ends:   # the source was checked over this range and box
        if e.get("kind") == "range end" and Fraction(e["a"]) not in (a0, a1):
            return None
        if e.get("kind") == "box exit" and Fraction(e["face"]) != (bhi if e["side"] > 0 else blo)[e["coordinate"]]:
            return None
    if not _odd(system):
        return None
    hopf = [p for p in source.tube if p.kind == "hopf"]   # arc order
    owner: dict[int, tuple[Fraction, Fraction]] = {}
    outside = []
    with flint.ctx.workprec(prec):
        for i, q in enumerate(proved):
            alo, ahi = fraction(q.a[0]), fraction(q.a[1])
            if ahi < a0 or alo > a1:
                continue
            if not (a0 < alo and ahi < a1) or q.x is None:
                return None
            zlo = [-fraction(hi) for _, hi in q.x] + [alo]   # sigma of q's box
            zhi = [-fraction(lo) for lo, _ in q.x] + [ahi]
            hits = [j for j, P in enumerate(hopf) if P.holds([hull(l, h) for l, h in zip(zlo, zhi)])]
            if not hits and exits and any(h < l or lo > u for l, u, lo, h in zip(blo, bhi, zlo, zhi)):
                outside.append(i if q.label is None else q.label)
                continue
            if len(hits) != 1 or hits[0] in owner:
                return None
            owner[hits[0]] = (alo, ahi)
    if len(owner) != len(hopf):
        return None
    cross = [(float_lower(exact_ball(owner[j][0])), float_upper(exact_ball(owner[j][1]))) for j in range(len(hopf))]
    ends = tuple(dict(e, side=-e["side"], face=str(-Fraction(e["face"]))) if e.get("kind") == "box exit" else dict(e)
                 for e in source.ends)
    where = within_box_text(ends, "a")
    off = (f"; proved point(s) {outside} lie strictly outside the search box (not part of this claim)"
           if outside else "")
    return TubeResult(True, f"{len(cross)} crossing(s) on the branch in the range" + (f" {where}" if where else "")
                      + f", all proved Hopf points; the mirror image x -> -x of branch {source_branch.id}'s tube "
                      f"(f(-x, a) = -f(x, a), verified symbolically; Lemma M)" + off,
                      cross, 0, source.budget if source.budget is not None else BUDGET,
                      tube=tuple(MirroredPiece(p, n) for p in source.tube), ends=ends)
