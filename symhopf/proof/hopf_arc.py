"""Second-order enclosures of ``Df`` and of its t-derivative on a Hopf piece's arc (tube.py ``_hopf_ok``).

Why (measured on the RG-flow model, bench/README.md "Issue 17, session 5: Hopf pieces"): the first-order
``A' = Df_a a' + B(x', I)`` over the K box with the tangent enclosure of the whole piece is ~100 times
wider than the true variation of ``d/dt Df`` over the piece, and ``Re mu'`` of the crossing pair cannot be
proved of one sign until the piece is ~100 times narrower than the transversality allows.

Lemma H2 (derivative on the arc, second order). In the setting of Lemma A2 (arc_enclosure.py,
``ArcEnclosures._second_order``): ``g(t) = Df(z(t))``, ``t = t~ + s``, ``|s| <= h``; ``A1`` holds
``g'(t~)`` (tangent ``u1`` at the thin centre box ``z(t~)``) and ``G2`` holds ``g''`` at every arc point
(K box, tangent ``du`` and ``u2`` holding ``u'`` and ``u''`` on the arc). Then ``g'(t~ + s) = g'(t~) + s
g''(xi)`` entry by entry (mean value theorem, xi between t~ and t~ + s on the arc), so ``Ad = A1 + S G2``
(``S`` the ball ``T - t~``) holds ``g'(t)`` for every t in T; and Lemma A2 gives every ``g(t~ + s) =
A0' + s A1'`` with ``A0'`` in ``A0 + [0, h^2] G2 / 2``. These are the inputs of
piece_spectrum.moving_hopf_ok's derivative-ball form (its docstring) and a second enclosure of ``A'``
for piece_spectrum.piece_spectrum (intersected with the first-order one: both hold ``g'`` on the arc).

The code reuses arc_enclosure's pieces (``_centre``, ``_arc_curve``, ``_tangent_xa``); ``G2`` is
``_taylor_terms`` of ``_second_order`` (which returns only ``A0 + [0, h^2] G2 / 2``), evaluated here for
pieces of any n.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from flint import arb

from ..runtime.arbtools import column, exact_ball, float_inverse, hull
from ..runtime.npball import NBall, as_nball, intersect, nmul, scalar
from .ball_solve import solve_refined_nb
from .branch_runs import _Run
from .krawczyk_tube import Piece, split_nb


#: calls of arc_enclosure's ``_arc_curve`` (two refinements of ``u''`` and the tangent each)
CURVE_PASSES = 3


class HopfArc(NamedTuple):
    """Lemma H2's balls: ``A0`` (holds ``A0'``: ``Df = A0' + s A1'`` on the arc), thin ``A1`` (``g'(t~)``),
    ``Ad`` (``g'`` at every arc point)."""

    A0: NBall
    A1: NBall
    Ad: NBall


def hopf_arc(chk: Any, p: Piece, run: _Run) -> HopfArc | None:
    """Lemma H2 on the piece ``p`` of ``chk`` (a tube.MovingBranchCheck, after its ``_enclose_A(p, run)``),
    or None when an enclosure fails. ``J_u`` on the arc (the solves for ``u'`` and ``u''``): ``Df`` over the
    hull box intersected with the first-order arc form ``p.Amv`` (both hold ``Df`` at every arc point)."""
    n, k, tube = chk.n, p.k, chk.tube
    I = NBall(np.eye(n), 0.0)
    xu, au = tube.xa(chk._box(p))        # Df over the hull box, /\ the first-order arc form: both hold Df on the arc
    D = tube.apply_nb("Df_apply", xu, au, I)
    if p.Amv is not None:
        D = intersect(D, as_nball(p.Amv))
    Ju, Jk = split_nb(k, D, as_nball(p.fa))
    Y = float_inverse(Ju.mid)
    if Y is None:
        return None
    tm = chk._tm(p)
    cen = chk._centre(p, run, tm, Y)
    if cen is None:
        return None
    du = as_nball(column(p.du)) if p.du is not None else solve_refined_nb(Ju, Jk, Y)
    if du is None:
        return None
    S = scalar(hull(p.lo, p.hi) - exact_ball(tm))
    x, a = tube.xa(chk._kbox(p))
    Dfa = tube.apply_nb("Df_a_apply", x, a, I)
    faa = as_nball(tube.ev.f_aa(x, a))
    curve = None
    for _ in range(CURVE_PASSES):      # each pass intersects: the tangent enclosure only shrinks
        got = chk._arc_curve(k, cen, Y, Ju, du, x, a, Dfa, faa, S)
        if got is None:
            break
        curve, du = got, got[2]
    if curve is None:
        return None
    got = chk._taylor_terms(k, (cen[2], cen[3]), curve, x, a, Dfa)
    if got is None:
        return None
    A1, G2 = got
    h = chk._half_width(p)
    h2 = scalar(arb(0).union(arb(h) * arb(h)))             # holds s^2 for every |s| <= h
    return HopfArc(cen[0] + nmul(G2 * 0.5, h2), A1, A1 + nmul(G2, S))

