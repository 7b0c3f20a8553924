"""Enclosures of ``Df`` along a tube piece's arc (the input of the spectral Lemmas, piece_spectrum.py).

Arc enclosures. ``A = Df(z(t~)) + A' (T - t~)`` encloses ``Df`` at every point of the piece's
arc (``z(t~)`` from a thin Krawczyk test inside U; entrywise mean value theorem along the arc),
``A' = Df_a a' + B(x', I)`` over the K box with an enclosure of the arc's tangent
``z' = (x', a')`` (``z'_k = 1``, ``u' = -J_u^-1 J_k``): Lemma T (parametrised pieces), else the
Lemma over the hull box refined with ``Jz`` along the arc (``ArcEnclosures._enclose_A``). Below
SECOND_ORDER_N, on pieces with a Lemma T tangent, ``A'`` is Lemma G's (``_arc_derivative``: centred at
``z(t~)``, mean values along the arc, the tangent in Lemma T's Taylor form) instead of the box evaluation over
K, whose wrapping (absolute values through the layers of a net) set the width of small-n pieces.

Second-order arc enclosure (Lemma A2, ``ArcEnclosures._second_order``; n >= ``SECOND_ORDER_N``): the
tangent on the arc refined to ``u'(t~) + S u''`` (``u''`` from ``J_u u'' = -D^2 f[z', z']``), and
``Df`` on the arc in ``(Df(z(t~)) + [0, h^2] g''/2) + s g'(t~)`` with a thin ``g'(t~)``: the moving
discs of a plain piece that fails the first-order form are retried on this one.
The Lemma itself is ``ArcEnclosures._second_order``'s docstring. Below SECOND_ORDER_N it may be computed
lazily, for the pieces whose first-order discs fail (``SECOND_ORDER_LAZY``; off: measured not to pay, bench/README.md).
The tangent solves use ``solve_centred`` (ball_solve's Lemma in residual form, a few refinements).

Arithmetic: numpy balls with a-priori rounding bounds (runtime/npball.py; ``PIECE_ARITHMETIC = "numpy"``)
or python-flint balls at the check's precision (``"arb"``, the reference the tests compare with).
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from flint import arb, arb_mat

from ..runtime.arbtools import column, exact_ball, float_inverse, float_upper, hull, identity
from ..runtime.fpbounds import up as fp_up
from ..runtime.npball import NBall, as_nball, intersect, nmul, nprod, scalar
from .ball_solve import _contraction, _solve_refined, solve_refined_nb
from .branch_runs import _Run
from .krawczyk_tube import Piece, arb_matrix, split_nb

#: Lemma A2 (``_arc_curve``, ``_second_order``) on systems with n >= SECOND_ORDER_N: the tangent on the arc
#: refined by ``u'(t~) + S u''``; plain pieces failing the first-order moving discs tried on the second-order
#: form. Below it the extra evaluations (C, B_a, Df_aa, B) cost more than the pieces they save (measured:
#: leaky50 907 -> 448 pieces, 44 -> 35 CPU s; the 6-d multilayer demo 520 -> 439 pieces, 10.6 -> 14.7 s)
SECOND_ORDER_N = 10
#: per-piece enclosures of Df on the arc (``_enclose_A``): "numpy" (numpy balls, a-priori rounding
#: bounds; the default) or "arb" (python-flint at ``prec`` bits: the reference the tests compare with)
PIECE_ARITHMETIC = "numpy"
#: below SECOND_ORDER_N: Lemma A2 computed for the pieces whose first-order moving discs fail (off: measured
#: 479 -> 385 pieces on multilayer, 1437 -> 1254 on rgflows, but no less CPU: bench/README.md, session 5)
SECOND_ORDER_LAZY = False
TANGENT_PASSES = 2
#: Lemma G (``_arc_derivative``): ``A'`` centred at the arc's point ``z(t~)`` (mean values along the arc) instead of
#: the box evaluation over K, on pieces with a Lemma T tangent below SECOND_ORDER_N (measured: multilayer 469 -> 378
#: pieces, rgflows 1353 -> 950; bench/README.md)
ARC_DERIVATIVE = True
#: refinements of ``solve_centred`` (its residual form starts near the fixed point)
CENTRED_ITERS = 3


class ArcEnclosures:
    """Arc enclosures of a piece (a mixin of tube.MovingBranchCheck: uses its ``tube``, ``n``, ``_point``
    and keeps what Lemma A2 needs of the last piece in ``_curve``)."""

    tube: Any
    n: int
    _curve: tuple | None

    def _box(self, p: Piece) -> list[arb]:
        """An axis box (all n + 1 coordinates) holding the piece's arc (not a uniqueness box: ``p.holds``)."""
        return self.tube.full(p.k, hull(p.lo, p.hi), p.hull)

    def _kbox(self, p: Piece) -> list[arb]:
        return self.tube.full(p.k, hull(p.lo, p.hi), p.K)

    @staticmethod
    def _tm(p: Piece) -> Fraction:
        tm = Fraction(float((p.lo + p.hi) / 2))
        return tm if p.lo <= tm <= p.hi else (p.lo + p.hi) / 2

    def _enclose_A(self, p: Piece, run: _Run) -> tuple[NBall | arb_mat, NBall | arb_mat] | None:
        """(A, A') enclosing ``Df`` and its t-derivative on the piece's arc (``_enclose_A_arb``'s
        formulation), cached on the piece; numpy balls (PIECE_ARITHMETIC): ``z(t~)`` and
        ``Df(z(t~))`` from ``_centre``, the tangent ``p.du`` (Lemma T) when the piece has it, else by
        ``solve_centred`` with ``Df`` and ``f_a`` over the hull box (then TANGENT_PASSES refinements),
        intersected with the second-order tangent of Lemma A2 (``_arc_curve``: ``u1 + S u''``), ``Df_a`` and
        ``B(x', I)`` over the K box evaluated by the generated code on numpy ball directions (``Tube.apply_nb``),
        every product by npball.nprod / nmul / nadd (a-priori rounding bounds, runtime/npball.py). What
        Lemma A2's second-order form needs (``_second_order``) is kept for the last piece."""
        if p.Ap is not None:
            return p.Amv, p.Ap
        if PIECE_ARITHMETIC == "arb":
            return self._enclose_A_arb(p, run)
        n, k, ev = self.n, p.k, self.tube.ev
        tm = self._tm(p)
        I = NBall(np.eye(n), 0.0)
        if isinstance(p.D, NBall):
            Dbox, fabox = p.D, as_nball(p.fa)
        elif "Df_apply" in self.tube.flint_only:    # the evaluator converts python-flint matrices anyway
            Dbox, fabox = as_nball(p.D), as_nball(p.fa)
        else:   # evaluating the box's Df in numpy balls costs less than converting the arb matrix
            xu, au = self.tube.xa(self._box(p))
            Dbox, fabox = self.tube.apply_nb("Df_apply", xu, au, I), as_nball(p.fa)
        Ju, Jk = split_nb(k, Dbox, fabox)
        Y = float_inverse(Ju.mid)       # one float preconditioner for the centre and the tangent solves
        if Y is None:
            return None
        cen = self._centre(p, run, tm, Y)
        if cen is None:
            return None
        D0, fa0 = cen[0], cen[1]
        # p.du (Lemma T) is tight: then the passes add nothing
        du = as_nball(column(p.du)) if p.du is not None else solve_centred(Ju, Jk, Y)
        if du is None:
            return None
        passes = 0 if p.du is not None else TANGENT_PASSES
        S = scalar(hull(p.lo, p.hi) - exact_ball(tm))
        x, a = self.tube.xa(self._kbox(p))
        second = n >= SECOND_ORDER_N
        # Lemma G instead of the box evaluation over K where nothing else needs Df_a over K (no tangent passes,
        # no Lemma A2: n >= SECOND_ORDER_N has Lemma A2's form, where G measured no fewer pieces, leaky10 288 -> 286)
        centred = ARC_DERIVATIVE and not (passes or second or SECOND_ORDER_LAZY)
        Ap = self._arc_derivative(k, (cen[4], cen[5]), du, x, a, S, getattr(p.du, "taylor", None),
                                  hull(p.lo, p.hi)) if centred else None
        curve = Dfa = None
        if Ap is None:
            Dfa = self.tube.apply_nb("Df_a_apply", x, a, I)
            faa = as_nball(ev.f_aa(x, a)) if passes or second else None
            curve = self._arc_curve(k, cen, Y, Ju, du, x, a, Dfa, faa, S) if second else None
            if curve is not None:
                du = curve[2]
            du0 = du
            for it in range(passes + 1):
                xp, ap = self._tangent_xa(k, du)
                Ap = nmul(Dfa, ap) + self.tube.apply_nb("B", x, a, xp, I)
                if it == passes:
                    break
                fap = nprod(Dfa, xp) + nmul(faa, ap)
                new = solve_centred(*split_nb(k, D0 + nmul(Ap, S), fa0 + nmul(fap, S)), Y)
                if new is None:
                    break
                du = intersect(du, new)
        if curve is not None:
            self._curve = (p, cen, curve, x, a, Dfa, S)
        elif SECOND_ORDER_LAZY and not second:    # Lemma A2 computed only if the first-order discs fail
            self._curve = (p, cen, None, x, a, Dfa, S, (Y, Ju, du0, faa))
        else:
            self._curve = None
        p.A0 = D0
        p.Amv, p.Ap = D0 + nmul(Ap, S), Ap
        return p.Amv, p.Ap

    def _arc_derivative(self, k: int, box0: tuple[arb_mat, arb], du: NBall, x: arb_mat, a: arb, S: NBall,
                        taylor: tuple | None = None, T: arb | None = None) -> NBall | None:
        """Lemma G (``d/dt Df`` on the arc, centred at the arc's point). Let ``g(t) = Df(z(t))`` on the piece's
        arc, ``t = t~ + s`` (s in S), ``Z0`` a box holding ``z(t~)`` (``box0``), ``K`` a box holding the arc
        over T (``x, a``: the K box, convex) and ``DU`` a box holding the tangent ``z'(t) = (x', a')``
        (``z'_k = 1``; ``du``: its other coordinates) at every arc point. With ``Dg(z)[v] = B(z)[v_x, .] +
        v_a Df_a(z)`` (linear in v) and ``D^2 g(z)[d, v] = C(z)[d_x, v_x, .] + d_a B_a(z)[v_x, .] + v_a
        B_a(z)[d_x, .] + d_a v_a Df_aa(z)``: for every t in T, ``g'(t) = Dg(z(t))[z'(t)]`` lies in
        ``Dg(Z0)[DU] + S Q``, ``Q = C(K)[DU_x, DU_x, .] + 2 DU_a B_a(K)[DU_x, .] + DU_a^2 Df_aa(K)``.
        Proof. Fix t and v = z'(t) (in DU). Entry by entry, the mean value theorem on the segment from
        ``z(t~)`` to ``z(t)`` (both on the arc, so the segment lies in the convex K) gives
        ``Dg(z(t))[v] = Dg(z(t~))[v] + D^2 g(zeta)[z(t) - z(t~), v]`` with zeta in K, and coordinate by
        coordinate ``z(t) - z(t~) = s d``, ``d_l = z'_l(xi_l)`` in ``DU_l``. ``D^2 g`` is bilinear; its ball
        evaluation with d and v taken independently in DU (the ball evaluator's arguments are separate balls;
        ``d_a B_a[v_x] + v_a B_a[d_x]`` lies in ``DU_a B_a[DU_x] + DU_a B_a[DU_x] = 2 DU_a B_a[DU_x]``; ``d_a v_a``
        in the ball product ``DU_a DU_a``) holds ``D^2 g(zeta)[d, v]``. The box evaluation of ``Dg`` on K
        (the first-order ``A'``) varies by the evaluator's wrapping over the whole K box; here only the
        thin Z0 and the directional Q (times s) enter. With Lemma T's Taylor form (``taylor = (t0, w, E1, E0)``,
        krawczyk_tube.Tangent: ``z'(t) = w + E0' + (t - t0) E1'`` with E0' in E0, E1' in E1, their k-th coordinates
        0; T the piece's interval) the first term is ``Dg(Z0)[w + E0] + (T - t0) Dg(Z0)[E1]`` (Dg linear in v):
        the variation of the tangent along the piece enters with its signs, not as a box. None when a radius is
        not finite."""
        I = NBall(np.eye(self.n), 0.0)
        xp, ap = self._tangent_xa(k, du)
        xq = NBall(xp.mid.copy(), xp.rad.copy())        # d and v: separate balls
        x0, a0 = box0
        Dfa0 = self.tube.apply_nb("Df_a_apply", x0, a0, I)
        if taylor is None or T is None:
            first = self.tube.apply_nb("B", x0, a0, xp, I) + nmul(Dfa0, ap)
        else:
            t0, w, E1, E0 = taylor
            o = self.tube.others(k)
            v0x, v0a = self._tangent_xa(k, NBall(w[o][:, None], 0.0) + E0)
            v1x, v1a = self._tangent_xa(k, E1, 0.0)
            first = (self.tube.apply_nb("B", x0, a0, v0x, I) + nmul(Dfa0, v0a)
                     + nmul(self.tube.apply_nb("B", x0, a0, v1x, I) + nmul(Dfa0, v1a), scalar(T - arb(t0))))
        Q = (self.tube.apply_nb("C", x, a, xq, xp, I) + nmul(self.tube.apply_nb("B_a", x, a, xp, I), ap * 2.0)
             + nmul(self.tube.apply_nb("Df_aa_apply", x, a, I), nmul(ap, ap)))
        out = first + nmul(Q, S)
        return out if np.all(np.isfinite(out.rad)) and np.all(np.isfinite(out.mid)) else None

    def _tangent_xa(self, k: int, u: NBall, zk: float = 1.0) -> tuple[NBall, NBall]:
        """(x', a') of the arc's tangent from its other coordinates u' (``z'_k = zk``: 1; 0 for ``z''``)."""
        n = self.n
        z = NBall(np.insert(u.mid, k, zk, axis=0), np.insert(u.rad, k, 0.0, axis=0))
        return NBall(z.mid[:n], z.rad[:n]), NBall(z.mid[n:], z.rad[n:])

    def _arc_curve(self, k: int, cen: tuple, Y: np.ndarray, Ju: NBall, du: NBall,
                   x: arb_mat, a: arb, Dfa: NBall, faa: NBall, S: NBall) -> tuple[NBall, NBall, NBall] | None:
        """(u1, u2, du) of Lemma A2: ``u1`` holds the tangent ``u'(t~)``, ``u2`` holds ``u''`` at every arc
        point, ``du`` the tangent on the arc, ``du /\\ (u1 + S u2)`` (twice: u2 again from the new du)."""
        u1 = solve_centred(*split_nb(k, cen[0], cen[1]), Y)
        if u1 is None:
            return None
        u2 = None
        for _ in range(2):
            xp, ap = self._tangent_xa(k, du)
            q = self.tube.apply_nb("B", x, a, xp, xp) + nmul(nprod(Dfa, xp), ap * 2.0) + nmul(faa, nmul(ap, ap))
            new = solve_centred(Ju, q, Y)                     # -J_u^-1 q = u''
            if new is None:
                break
            u2 = new
            du = intersect(du, u1 + nmul(u2, S))
        return None if u2 is None else (u1, u2, du)

    def _second_order(self, p: Piece) -> tuple[NBall, NBall] | None:
        """Lemma A2 (second-order arc enclosure). Let ``g(t) = Df(z(t))`` on the piece's arc, ``t = t~ + s``,
        ``|s| <= h``, ``z' = (x', a')`` (``z'_k = 1``) and ``z'' = (x'', a'')`` (``z''_k = 0``) its first two
        derivatives. Differentiating ``f(z(t)) = 0`` twice: ``J_u u'' = -q``, ``q = D^2 f[z', z'] = B(x', x') +
        2 a' Df_a x' + a'^2 f_aa``; and ``g' = B(x', .) + a' Df_a``, ``g'' = C(x', x', .) + 2 a' B_a(x', .) +
        a'^2 Df_aa + B(x'', .) + a'' Df_a``. Let ``A0`` hold ``g(t~)`` (``_centre``), ``A1`` hold ``g'(t~)``
        (the tangent ``u1`` at ``z(t~)`` solved with ``Df, f_a`` of the thin centre box, then ``B`` and ``Df_a``
        of that box) and ``A2`` hold ``g''/2`` at every arc point (``x, a``: the K box, which holds the arc;
        ``du`` holding ``u'`` and ``u2`` holding ``u''`` on the arc, by ``_arc_curve``: ``u2`` solves ``J_u u''
        = -q`` with J_u over a box holding the arc and q over the K box, and ``u'(t~ + s) = u'(t~) + s
        u''(xi)`` entrywise (mean values), so ``u'`` on the arc lies in ``u1 + S u2``). Taylor's formula
        with Lagrange remainder, entry by entry, gives ``g(t~ + s) = A0' + s A1' + s^2 A2'(s)`` with
        ``A0' in A0``, ``A1' in A1``, ``A2'(s) in A2``: every ``Df`` on the arc is ``A0'' + s A1'`` with
        ``A0''`` in ``A0 + [0, h^2] A2`` (the setting of piece_spectrum.moving_discs_ok with a thin A1, so
        its disc radii are O(h^2) from ``A2`` alone, where the first-order form's ``h rad A'`` is O(h^2)
        with the box evaluation's overestimation of ``A'``). Returns (``A0 + [0, h^2] A2``, ``A1``) for the
        piece of the last ``_enclose_A``, or None. Lazy (``SECOND_ORDER_LAZY``, n < SECOND_ORDER_N): the
        curve (``u1``, ``u2``, ``du``) is computed here, once; ``A1`` is evaluated on ``_centre``'s box U."""
        if self._curve is None or self._curve[0] is not p:
            return None
        _, cen, curve, x, a, Dfa, S = self._curve[:7]
        k = p.k
        if curve is None:           # lazy (SECOND_ORDER_LAZY): the arc's curve of _arc_curve now
            Y, Ju, du0, faa = self._curve[7]
            if faa is None:
                faa = as_nball(self.tube.ev.f_aa(x, a))
            curve = self._arc_curve(k, cen, Y, Ju, du0, x, a, Dfa, faa, S)
            self._curve = None
            if curve is None:
                return None
        got = self._taylor_terms(k, (cen[4], cen[5]), curve, x, a, Dfa)   # U of _centre: its evaluations are kept
        if got is None:
            return None
        A1, G2 = got
        h = self._half_width(p)
        h2 = scalar(arb(0).union(arb(h) * arb(h)))             # holds s^2 for every |s| <= h
        return cen[0] + nmul(G2 * 0.5, h2), A1

    def _taylor_terms(self, k: int, box0: tuple[arb_mat, arb], curve: tuple[NBall, NBall, NBall], x: arb_mat,
                      a: arb, Dfa: NBall) -> tuple[NBall, NBall] | None:
        """``(A1, G2)`` of Lemma A2 (``_second_order``): ``A1`` holds ``g'(t~) = B(x1, .) + a1 Df_a`` over
        ``box0`` (a box holding ``z(t~)``, ``(x1, a1)`` from the tangent ``u1`` at it) and ``G2`` holds ``g'' =
        C(x', x', .) + 2 a' B_a(x', .) + a'^2 Df_aa + B(x'', .) + a'' Df_a`` over the K box ``(x, a)`` with
        the arc's ``u'`` in ``du`` and ``u''`` in ``u2`` (``curve = (u1, u2, du)`` of ``_arc_curve``); None
        when a radius is not finite."""
        u1, u2, du = curve
        I = NBall(np.eye(self.n), 0.0)
        xc, ac = box0
        xp, ap = self._tangent_xa(k, du)
        xpp, app = self._tangent_xa(k, u2, 0.0)
        x1, a1 = self._tangent_xa(k, u1)
        A1 = nmul(self.tube.apply_nb("Df_a_apply", xc, ac, I), a1) + self.tube.apply_nb("B", xc, ac, x1, I)
        G2 = (self.tube.apply_nb("C", x, a, xp, xp, I) + nmul(self.tube.apply_nb("B_a", x, a, xp, I), ap * 2.0)
              + nmul(self.tube.apply_nb("Df_aa_apply", x, a, I), nmul(ap, ap)) + self.tube.apply_nb("B", x, a, xpp, I)
              + nmul(Dfa, app))
        if not (np.all(np.isfinite(A1.rad)) and np.all(np.isfinite(G2.rad))):
            return None
        return A1, G2

    def _centre(self, p: Piece, run: _Run, tm: Fraction, Y: np.ndarray
                ) -> tuple[NBall, NBall, arb_mat, arb, arb_mat, arb] | None:
        """(Df, f_a, x, a, xU, aU): Df and f_a over a box (xU, aU: the box U below) holding the arc's point
        ``z(t~)`` (``z_k = t~ = tm``), numpy balls, and (x, a) a thinner box holding it (the Krawczyk set). Thin
        Krawczyk test (t frozen at tm): float equilibrium ``u~``, any float ``Y`` (the caller's ``mid
        J_u(piece box)^-1``), ``U = u~ + [-r, r]``; with ``E >= |I - Y J_u(U)|`` entrywise (``_contraction``,
        J_u over the box) the Krawczyk
        set lies in ``u~ +- (|Y f(u~, tm)| + E r)``; if that bound is ``< r`` entrywise, ``U`` holds exactly
        one zero, within the bound. It must lie in the piece's uniqueness region (``p.holds``: then it is
        ``z(t~)``, the one zero there for each t). Df and f_a over (tm, U) hold Df, f_a at ``z(t~)``."""
        n, k = self.n, p.k
        o = self.tube.others(k)
        uc = self._point(run, float(tm))[o]
        T = exact_ball(tm)
        x, a = self.tube.xa(self.tube.full(k, T, [arb(float(v)) for v in uc]))
        YF = nprod(NBall(Y, 0.0), as_nball(self.tube.ev.f(x, a)))
        yf = fp_up(np.abs(YF.mid[:, 0]) + YF.rad[:, 0], 1)
        eps = 1e-15 * (1 + np.abs(uc)) + 1e-300
        r = 2 * yf + eps
        I = NBall(np.eye(n), 0.0)
        for _ in range(4):
            if not np.all(np.isfinite(r)):
                return None
            U = [arb(float(c), float(ri)) for c, ri in zip(uc, r)]
            xb, ab = self.tube.xa(self.tube.full(k, T, U))
            D = self.tube.apply_nb("Df_apply", xb, ab, I)
            fa = as_nball(self.tube.ev.f_a(xb, ab))
            E = _contraction(Y, split_nb(k, D, fa)[0])
            dev = fp_up(yf + E @ r, n + 2)
            if np.all(dev < r):
                K = [arb(float(c), float(d)) for c, d in zip(uc, dev)]
                Z0 = self.tube.full(k, T, K)
                if not p.holds(Z0):
                    return None     # the thin box must lie in p's uniqueness region
                return (D, fa, *self.tube.xa(Z0), xb, ab)
            r = np.maximum(r, 1.5 * dev + eps)
        return None

    def _enclose_A_arb(self, p: Piece, run: _Run) -> tuple[arb_mat, arb_mat] | None:
        """(A, A') enclosing ``Df`` and its t-derivative on the piece's arc, A in the mean-value form
        ``Df(z(t~)) + A' (T - t~)`` (z(t~) enclosed by a thin Krawczyk test inside p's uniqueness region). The arc's
        tangent ``z'`` (``z'_k = 1``, ``u' = -J_u^-1 J_k``) is enclosed by the Lemma (refined:
        ``z <- (Y b + (I - Y D) z) /\\ z``, valid as the solutions satisfy it), first with ``Jz`` over
        the hull box (or ``p.du``, Lemma T, when the piece has it: then no passes), then
        ``TANGENT_PASSES`` times with ``Jz`` along the arc,
        ``Jz(z(t~)) + Jz' (T - t~)``, ``Jz' = [Df_a a' + B(x', I) | Df_a x' + f_aa a']`` over the K box
        with the previous tangent enclosure (entrywise mean value theorem along the arc, whose
        tangent at every point is in that enclosure); each new enclosure is intersected with the
        previous one. ``A' = Df_a a' + B(x', I)`` with the last one. Python-flint balls at ``prec``
        bits (PIECE_ARITHMETIC = "arb"): the reference for ``_enclose_A``'s numpy balls."""
        n, k, ev = self.n, p.k, self.tube.ev
        tm = self._tm(p)
        res = self.tube.krawczyk(k, exact_ball(tm), self._point(run, float(tm)))
        if res is None or not p.holds(self.tube.full(k, exact_ball(tm), res[1])):
            return None  # the thin box must hold the arc's point (uniqueness in p's region)
        D0, fa0 = arb_matrix(res[2]), arb_matrix(res[3])     # numpy balls or arb (krawczyk_tube.TUBE_ARITHMETIC)
        S = hull(p.lo, p.hi) - exact_ball(tm)
        du = p.du if p.du is not None else _solve_refined(*self.tube.split(k, arb_matrix(p.D), arb_matrix(p.fa)))
        if du is None:
            return None
        x, a = self.tube.xa(self._kbox(p))
        Dfa = ev.Df_a(x, a)
        passes = 0 if p.du is not None else TANGENT_PASSES   # p.du (Lemma T) is tight: the passes add nothing
        faa = ev.f_aa(x, a) if passes else None
        I = identity(n)
        for it in range(passes + 1):
            zp = self.tube.full(k, arb(1), du)
            xp, ap = column(zp[:n]), zp[n]
            Ap = Dfa * ap + ev.B(x, a, xp, I)
            if it == passes:
                break
            fap = Dfa * xp + faa * ap
            new = _solve_refined(*self.tube.split(k, D0 + Ap * S, fa0 + fap * S))
            if new is None:
                break
            du = [u.intersection(v) for u, v in zip(du, new)]
        p.A0 = D0
        p.Amv, p.Ap = D0 + Ap * S, Ap
        return p.Amv, p.Ap

    def _half_width(self, p: Piece) -> float:
        """Upper bound of ``|t - t~|`` on the piece (t~ = _tm(p), the mean-value centre)."""
        tm = self._tm(p)
        return max(float_upper(exact_ball(p.hi) - exact_ball(tm)), float_upper(exact_ball(tm) - exact_ball(p.lo)))


def solve_centred(Ju: NBall, Jk: NBall, Y: np.ndarray, iters: int = CENTRED_ITERS) -> NBall | None:
    """An n x 1 ball holding ``-J_u'^-1 J_k'`` for every ``J_u'`` in ``Ju``, ``J_k'`` in ``Jk``: the Lemma of
    ball_solve.py in residual form. Lemma. Let ``z~ = -Y mid Jk`` (any float vector). For every solution z,
    ``d = z - z~ = -J_u'^-1 (J_k' + J_u' z~)``, and ``J_k' + J_u' z~`` lies in the ball ``Jk + Ju z~``; so d
    lies in ``solve_refined_nb(Ju, Jk + Ju z~, Y)`` (ball_solve's Lemma, then ``d <- (r + C d) /\\ d``) and
    z in ``z~ + d``. ball_solve's form starts from ``||Y Jk|| / (1 - e)`` (the solution's size: many
    refinements), this one from the residual's size: ``iters`` (3) refinements reach about the same
    tightness. None when ``||I - Y Ju|| < 1`` is not proved or a ball is not finite."""
    zt = -(Y @ Jk.mid)
    if not np.all(np.isfinite(zt)):
        return None
    zb = NBall(zt, 0.0)
    d = solve_refined_nb(Ju, Jk + nprod(Ju, zb), Y, iters)
    return None if d is None else zb + d
