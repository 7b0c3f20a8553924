"""Rigorous completeness of the Hopf list on a moving equilibrium branch: Krawczyk tube + bialternate.

Notation. ``z = (x, a)`` in R^(n+1); ``f(z) = f(x, a)``; ``Jz(z) = [Df | f_a]`` (n x (n+1)).
A *chart* is a coordinate ``k`` of ``z`` (``k = n``: the parameter ``a``); ``u`` denotes the
other n coordinates and ``J_u`` the columns of ``Jz`` other than ``k``. For an n x n matrix
``A``, ``2A (.) I`` is its bialternate product (dimension ``m = n(n-1)/2``, basis
``e_p ^ e_q``, p > q), the restriction of ``A (x) I + I (x) A`` to antisymmetric tensors:

    (2A (.) I)[(p,q),(r,s)] = [s=q] a_pr - [s=p] a_qr + [r=p] a_qs - [r=q] a_ps,

whose eigenvalues are ``lambda_i + lambda_j`` (i < j). ``g(z) = det(2 Df(z) (.) I)``.

Formulation (what is proved when ``proved`` is True). A *piece* is a chart ``k``, an
interval ``T = [t0, t1]`` (exact rationals) and a region ``R`` of the other coordinates over
``T``: a box ``U``, or a slanted tube ``{(t, u) : u - c - (t - t~) w_u in V}`` (``Piece.holds``).
Let ``Gamma`` be the union over the pieces of ``{z : z_k in T, (z_k, u) in R, f(z) = 0}``. Then

1. each piece's set is the graph of one C^1 map ``t -> u(t)`` on ``T`` (exactly one
   equilibrium in ``R`` for each ``t``, in the interior of ``R``'s slice), with ``Jz`` of full
   rank on it;
2. consecutive pieces share a point, so ``Gamma`` is a connected arc (a closed curve for a
   closed branch) and, when the arc is not closed, its two ends are at ``a = a0`` or
   ``a = a1`` exactly (the end pieces are a-charts whose ``T`` ends at the exact range end);
   all of ``Gamma`` has ``a`` in the range. By (1) and the implicit function theorem each
   point of ``Gamma`` has a neighbourhood in which the equilibria with ``a`` in the range
   are points of ``Gamma``: ``Gamma`` is the whole connected component of
   ``{f = 0, a in [a0, a1]}`` through the branch's float points;
3. every point of ``Gamma`` where ``Df`` has an eigenvalue ``i w``, ``w != 0`` (a Hopf point)
   is one of the given proved Hopf points: on *plain* pieces no eigenvalue of ``Df`` lies on
   ``iR \\ {0}`` (spectral Lemma, below; neutral saddles ``+-r`` pass) or else ``g != 0``; each
   *Hopf* piece contains one proved point (its whole (x, a) enclosure lies in the piece's region, so
   by (1) the point is on ``Gamma``) and ``g`` has at most one zero on the piece's arc (a pair
   ``+-i w`` zeroes ``g``).

Conclusion: the proved Hopf points are *all* the Hopf points of the branch (the component
``Gamma``) in the range; ``crossings`` are the proved points' a-enclosures, in arc order.

Bounds (ball arithmetic at ``prec`` bits; ``Y`` always a float approximate inverse; the
per-piece enclosures of ``Df`` on the arc (``_enclose_A``: centre test, tangent solves, ``A``, ``A'``)
and the bialternate matrices, of dimension m = n(n-1)/2, in numpy balls: runtime/npball.py, whose
a-priori rounding bounds replace ball arithmetic there).

* Krawczyk tube pieces (krawczyk_tube.py: the box test for thin ``T``, the parametrised test
  Lemma P and the tangent Lemma T for wide ``T``): for every t in T exactly one equilibrium in the
  piece's uniqueness region (``Piece.holds``), enclosed in ``K``, ``J_u`` nonsingular there, and an
  enclosure ``Piece.du`` of the tangent.
* Links. For consecutive pieces P, Q (arc order) a thin Krawczyk test (T = {t}) encloses an
  equilibrium; lying in P's uniqueness region it is P's end point; it must lie in Q's region, so
  it is on Q's arc too (uniqueness in each region, ``Piece.holds``). Same chart and Q starting exactly where P ends: the two arcs
  cover the point's two sides. Otherwise (a chart change, with Q's interval extended a
  little backwards) P's end must lie strictly inside Q's chart interval and Q's start
  strictly inside P's: each end point of every piece, except the arc's two ends at the
  range ends, is an interior point of Gamma, which is what the component argument in (2)
  needs.
* Ball linear solves (ball_solve.py, the Lemma): for a ball matrix ``D``, ball ``b`` and float
  ``Y`` with ``e = ||I - Y D||_inf < 1`` every matrix in ``D`` is nonsingular and ``D^-1 b`` lies in
  ``Y b + (I - Y D) [-rho, rho]^m``, ``rho = ||Y b||_inf / (1 - e)``.
* Arc enclosures. ``A = Df(z(t~)) + A' (T - t~)`` encloses ``Df`` at every point of the piece's
  arc (``z(t~)`` from a thin Krawczyk test inside U; entrywise mean value theorem along the arc),
  ``A' = Df_a a' + B(x', I)`` over the K box with an enclosure of the arc's tangent
  ``z' = (x', a')`` (``z'_k = 1``, ``u' = -J_u^-1 J_k``): Lemma T (parametrised pieces), else the
  Lemma over the hull box refined with ``Jz`` along the arc (``MovingBranchCheck._enclose_A``). ``M = 2 A (.) I``,
  ``M' = 2 A' (.) I`` (the bialternate product is linear).
* Plain pieces, first: the second-order moving-disc Lemma (piece_spectrum.moving_discs_ok: discs
  of ``S^-1 V^-1 (A0 + s A') V S``, ``S = I + s X`` the first-order eigenvector correction, centres
  moving with s, radii second order in the piece's half width; O(n^3) in numpy balls). Then
  (n <= NMAX) the spectral Lemma (``spectral_ok``: Gershgorin discs of ``V^-1 A V``, ``V`` a
  float eigenvector matrix; a disc meeting iR must be isolated and real-centred, so its one
  eigenvalue is real; the parametrised form ``A(z(t~)) + s A'`` uses the sign of the moving
  centre's real part) proves that no ``Df`` on the arc has an eigenvalue on ``iR \\ {0}``; else
  ``||I - Y M||_inf < 1`` (mean-value M, then ``2 Df(box) (.) I``) proves ``g != 0``.
  The Krawczyk term ``Y f(u~, T)`` is taken in centred form
  ``Y f(u~, t~) + (Y J_k(u~, T)) (T - t~)``. Plain pieces tile each run left to right with step
  control (width x ``GROW`` after a success, halved after a failure).
* Hopf pieces, first: the second-order moving-disc Lemma (piece_spectrum.moving_hopf_ok: exactly
  one disc in the upper half plane meets iR, the others meeting iR are isolated and hold a real
  eigenvalue, ``Re mu'`` of the pair enclosed per s from the eigenvector bounds excludes 0), then
  the first-order spectral Lemma of piece_spectrum.py (one verified diagonalisation of
  the ball ``A`` holding Df on the arc, family.diagonalise; exactly one conjugate pair's disc meets
  iR, every other disc meeting iR is isolated and real-centred, and ``Re mu'`` of the pair, from
  ``A'`` and the eigenvector bounds, excludes 0: at most one Hopf point on the arc). Then
  (n <= NMAX; ``HOPF_METHOD`` may restrict to one of the two):
* Hopf pieces (bordered determinant). ``b, c`` float left/right singular vectors of the
  smallest singular value of ``M`` at the centre, ``N = [[M, b], [c^T, 0]]``. If ``N`` is
  nonsingular on the piece (Lemma) then ``det M = sigma det N`` with
  ``sigma = e^T N^-1 e`` (Cramer), so the zeros of ``g`` are the zeros of ``sigma``, and
  ``d sigma / dt = -w^T M' v`` where ``(v, .) = N^-1 e``, ``(w, .) = N^-T e`` (Lemma) and
  ``M' = 2 A' (.) I``, ``A' = Df_a a' + B(x', I)``, the arc's tangent ``z' = (x', a')``
  having ``z'_k = 1`` and ``u' = -J_u^-1 J_k`` (Lemma). ``d sigma / dt`` excluding 0 makes
  ``sigma`` strictly monotone: at most one zero of ``g`` on the piece's arc.
* A float zero of ``g`` (sign change along the branch points) that no proved point accounts
  for: if its float eigenvalue pair with the smallest ``|lambda_i + lambda_j|`` is real (a neutral
  saddle) it is left to the plain pieces, whose spectral Lemma must then prove it Hopf-free (a
  routing decision only: nothing is accepted on the float classification). Otherwise it gets
  the bordered test plus ``sigma`` of opposite signs at the piece's ends: a rigorously isolated
  *unmatched zero*, reported (never proved complete).

For n > NMAX the bialternate product is not formed at all: no float zeros of g are sought (an
unmatched crossing then fails the plain pieces next to it, not proved), plain and Hopf pieces
rest on the spectral Lemmas alone.

Not covered (reported as not proved, with the reason): branches that end
inside the range; neutral saddles the spectral Lemma cannot separate (e.g. a real pair
colliding with other eigenvalues near iR); zeros of ``g`` that are not simple, tangencies and
other pieces that fail down to the minimum width; proved points without an x-enclosure or
whose a-enclosure meets a range end; checks that need more than ``budget`` Krawczyk pieces
(default ``BUDGET``: deterministic work, not time; the reason says the budget stopped it).
Cost: O(n^3) ball arithmetic per plain piece (O(m^3) BLAS, only on Hopf pieces and fallbacks);
the ball evaluations of Df, B, Df_a and the spectral Lemma dominate.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NamedTuple, Sequence

import flint
import numpy as np
from flint import arb, arb_mat

from ..runtime.ball import dense
from ..runtime.arbtools import column, exact_ball, float_inverse, float_lower, float_upper, fraction, hull, identity
from ..runtime.fpbounds import up as fp_up
from ..runtime.npball import NBall, as_nball, intersect, nmul, nprod, scalar
from .ball_solve import _contraction, _contracts, _solve_refined, lemma_solve_nb, solve_refined_nb
from .bialternate import _bordered_nb, bialt_float, bialt_nball
from .krawczyk_tube import Piece, Tube, arb_matrix, split_nb
from .piece_spectrum import Eigenbasis, moving_discs_ok, moving_hopf_ok, piece_spectrum, spectral_ok

#: largest n for which the bialternate product (n(n-1)/2 rows) is used as a fallback and for the
#: float zeros of g; above it only the O(n^3) spectral Lemmas (piece_spectrum.py)
NMAX = 20
METHOD = ("tube + bialternate: Krawczyk tube around the branch (parameter or coordinate charts, "
          "folds included); no eigenvalue of Df on iR \\ {0} on plain pieces (Gershgorin discs in a "
          "verified eigenbasis; neutral saddles pass), else det(2 Df (.) I) != 0 by ||I - Y M|| < 1; "
          "bordered determinant with monotone sigma on each Hopf piece")
#: Hopf pieces: "auto" (spectral Lemma, then the bordered determinant for n <= NMAX), "spectral"
#: or "bialternate" (one of the two only: the tests check that they agree)
HOPF_METHOD = "auto"
#: per-piece enclosures of Df on the arc (``_enclose_A``): "numpy" (numpy balls, a-priori rounding
#: bounds; the default) or "arb" (python-flint at ``prec`` bits: the reference the tests compare with)
PIECE_ARITHMETIC = "numpy"
MIN_REL_WIDTH = 1e-11
#: default work budget of one branch's check: Krawczyk pieces tried (plain, Hopf and failed ones);
#: past it the check stops, not proved, with that reason (deterministic: counted in work, not time)
BUDGET = 5000
INITIAL_PIECES = 8
GROW = 1.3
TANGENT_PASSES = 2
DELTAS = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9)


class Fail(Exception):
    """Completeness not proved; the message is the reason."""


class Budget(Fail):
    """The work budget stopped the check (not proved; the message says so)."""


@dataclass
class _Run:
    k: int
    d: int
    pts: np.ndarray       # float points of the arc in this run, in arc order
    lo: Fraction          # chart interval covered (exact ends at the range ends)
    hi: Fraction
    span: float           # scale of coordinate k


class MovingBranchCheck:
    def __init__(self, system: Any, branch: Any, proved: Sequence[Any], a_range: tuple[Any, Any],
                 prec: int, budget: int = BUDGET) -> None:
        self.tube = Tube(system, prec)
        self.n = system.n
        self.branch, self.proved, self.prec = branch, list(proved), prec
        self.a0, self.a1 = fraction(a_range[0]), fraction(a_range[1])
        self.A0, self.A1 = exact_ball(self.a0), exact_ball(self.a1)
        self.n_pieces = 0   # Krawczyk pieces tried
        self.budget = budget
        self.n_saddle_pieces = 0
        self.rel_w = 0.0   # last successful plain piece width / run span (step control)
        self.saddles: list[float] = []   # a of the float neutral saddles (zeros of g with a real pair)
        self.hopf_method = HOPF_METHOD
        self._points: dict[tuple[int, float], np.ndarray] = {}
        self._flint_only: set[str] = set()   # evaluators that take no numpy ball directions (_apply_nb)
        self.basis = Eigenbasis()            # float eigenvectors carried between plain pieces

    # ---- float arc -> runs
    def _arc(self) -> tuple[np.ndarray, bool]:
        Z = np.column_stack([np.asarray(self.branch.x, float), np.asarray(self.branch.a, float)])
        keep = [0] + [i for i in range(1, len(Z)) if np.linalg.norm(Z[i] - Z[i - 1]) > 0]
        Z = Z[keep]
        closed = bool(self.branch.closed)
        if closed and len(Z) > 2 and np.allclose(Z[0], Z[-1], rtol=0, atol=1e-12 * (1 + np.abs(Z).max())):
            Z = Z[:-1]
        if len(Z) < 2:
            raise Fail("branch has fewer than two points")
        return Z, closed

    def _runs(self, Z: np.ndarray, closed: bool) -> list[_Run]:
        n = self.n
        L = float(self.a1 - self.a0)
        span = np.ptp(Z, axis=0) + 1e-9 * (1 + np.abs(Z).max(axis=0))
        span[n] = L
        pts = np.vstack([Z, Z[:1]]) if closed else Z
        nseg = len(pts) - 1
        tang = np.array([self._tangent(z, span) for z in pts])
        for i in range(len(pts)):  # orient along the arc
            d = (pts[min(i + 1, len(pts) - 1)] - pts[max(i + 1, 1) - 1]) / span
            if tang[i] @ d < 0:
                tang[i] = -tang[i]
        charts = []
        for i in range(nseg):
            if not closed and i in (0, nseg - 1):
                charts.append(n)  # the arc's ends are a-charts
                continue
            d = (pts[i + 1] - pts[i]) / span
            # a coordinate that moves the same way at both ends and along the chord, as fast as possible
            good = np.where((np.sign(tang[i]) == np.sign(tang[i + 1])) & (np.sign(tang[i]) == np.sign(d)),
                            np.minimum(np.abs(tang[i]), np.abs(tang[i + 1])), 0.0)
            charts.append(n if good[n] >= 0.5 * good.max() else int(np.argmax(good)))
        runs: list[_Run] = []
        i = 0
        while i < nseg:
            k = charts[i]
            dk = np.sign(pts[i + 1][k] - pts[i][k])
            j = i
            while j + 1 < nseg and charts[j + 1] == k and np.sign(pts[j + 2][k] - pts[j + 1][k]) == dk:
                j += 1
            if dk == 0:
                raise Fail("branch points do not move in the chosen chart")
            rp = pts[i: j + 2]
            t_s, t_e = Fraction(float(rp[0][k])), Fraction(float(rp[-1][k]))
            eta = Fraction(1e-8 * span[k] + 1e-12 * abs(float(t_s)))
            if not closed and i == 0:
                t_s = self._range_end(rp[0])
            else:
                t_s = t_s - int(dk) * eta
            if not closed and j + 1 == nseg:
                t_e = self._range_end(rp[-1])
            lo, hi = (t_s, t_e) if dk > 0 else (t_e, t_s)
            if not lo < hi:
                raise Fail("branch too short to cover")
            runs.append(_Run(k, int(dk), rp, lo, hi, float(span[k])))
            i = j + 1
        return runs

    def _tangent(self, z: np.ndarray, span: np.ndarray) -> np.ndarray:
        """Float unit tangent of the branch at z in the coordinates z / span."""
        t = np.linalg.svd(self.tube.Jz(z) * span)[2][-1]
        return t

    def _range_end(self, z: np.ndarray) -> Fraction:
        """The exact range end at the float end point ``z`` of a branch that is not closed."""
        a = float(z[self.n])
        L = float(self.a1 - self.a0)
        for e in (self.a0, self.a1):
            if abs(a - float(e)) <= 1e-9 * L:
                return e
        big = float(np.abs(z[: self.n]).max())
        raise Fail(f"the search's float branch stops inside the range (at a = {a:.17g}, |x|_inf = {big:.6g}: "
                   "the continuation stops where |x| passes 1.5 times the search box, or where it fails); "
                   "cannot cover the whole branch")

    def _guess(self, run: _Run, t: float) -> np.ndarray:
        P, k = run.pts, run.k
        ts = P[:, k] * run.d
        j = int(np.clip(np.searchsorted(ts, t * run.d) - 1, 0, len(P) - 2))
        th = 0.0 if ts[j + 1] == ts[j] else (t * run.d - ts[j]) / (ts[j + 1] - ts[j])
        return (1 - th) * P[j] + th * P[j + 1]

    def _point(self, run: _Run, t: float) -> np.ndarray:
        """Float equilibrium of the run at z_k = t (the last few are kept: a piece's centre is asked for
        by _piece and again by _enclose_A)."""
        key = (id(run), t)
        z = self._points.get(key)
        if z is None:
            z = self.tube.point(run.k, t, self._guess(run, t))
            if z is None:
                raise Fail(f"float Newton failed on the branch at chart {self._cname(run.k)} = {t:.17g}")
            if len(self._points) >= 16:
                self._points.clear()
            self._points[key] = z
        return z.copy()

    def _cname(self, k: int) -> str:
        return "a" if k == self.n else f"x{k}"

    # ---- building pieces
    def _piece(self, run: _Run, lo: Fraction, hi: Fraction,
               cover: tuple[np.ndarray, np.ndarray] | None = None) -> Piece | None:
        if self.n_pieces >= self.budget:
            raise Budget(f"budget of {self.budget} pieces exhausted (the check stopped at "
                         f"{self._cname(run.k)} ~ {float(lo):.12g}; raise it with --budget)")
        self.n_pieces += 1
        tc = float((lo + hi) / 2)
        zc = self._point(run, tc)
        res = self.tube.piece(run.k, hull(lo, hi), zc, cover=cover)
        if res is None:
            return None
        p = Piece(run.k, lo, hi, run.d, res[0], res[1], res[2], res[3], du=res[4], slant=res[5])
        if run.k == self.n and not (self.a0 <= lo and hi <= self.a1):
            return None
        if run.k != self.n:  # the arc must stay in the range (a is the last of the other coordinates)
            Ka = p.K[self.n - 1]
            if not (Ka > self.A0 and Ka < self.A1):
                return None
        return p

    def _box(self, p: Piece) -> list[arb]:
        """An axis box (all n + 1 coordinates) holding the piece's arc (not a uniqueness box: ``p.holds``)."""
        return self.tube.full(p.k, hull(p.lo, p.hi), p.hull)

    def _kbox(self, p: Piece) -> list[arb]:
        return self.tube.full(p.k, hull(p.lo, p.hi), p.K)

    def _a_of(self, p: Piece) -> tuple[float, float]:
        if p.k == self.n:
            return float(p.lo), float(p.hi)
        Ka = p.K[self.n - 1]
        return float_lower(Ka), float_upper(Ka)

    @staticmethod
    def _tm(p: Piece) -> Fraction:
        tm = Fraction(float((p.lo + p.hi) / 2))
        return tm if p.lo <= tm <= p.hi else (p.lo + p.hi) / 2

    def _enclose_A(self, p: Piece, run: _Run) -> tuple[NBall | arb_mat, NBall | arb_mat] | None:
        """(A, A') enclosing ``Df`` and its t-derivative on the piece's arc (``_enclose_A_arb``'s
        formulation), cached on the piece; numpy balls (PIECE_ARITHMETIC): ``z(t~)`` and
        ``Df(z(t~))`` from ``_centre``, the tangent ``p.du`` (Lemma T) when the piece has it, else by
        ``solve_refined_nb`` with ``Df`` and ``f_a`` over the hull box (then TANGENT_PASSES refinements), ``Df_a`` and ``B(x', I)`` over the K box
        evaluated by the generated code on numpy ball directions (``_apply_nb``), every product by
        npball.nprod / nmul / nadd (a-priori rounding bounds, runtime/npball.py)."""
        if p.Ap is not None:
            return p.Amv, p.Ap
        if PIECE_ARITHMETIC == "arb":
            return self._enclose_A_arb(p, run)
        n, k, ev = self.n, p.k, self.tube.ev
        tm = self._tm(p)
        I = NBall(np.eye(n), 0.0)
        if isinstance(p.D, NBall):
            Dbox, fabox = p.D, as_nball(p.fa)
        else:   # evaluating the box's Df in numpy balls costs less than converting the arb matrix
            xu, au = self.tube.xa(self._box(p))
            Dbox, fabox = self._apply_nb("Df_apply", xu, au, I), as_nball(p.fa)
        Ju, Jk = split_nb(k, Dbox, fabox)
        Y = float_inverse(Ju.mid)       # one float preconditioner for the centre and the tangent solves
        if Y is None:
            return None
        cen = self._centre(p, run, tm, Y)
        if cen is None:
            return None
        D0, fa0 = cen
        # p.du (Lemma T) is tight: then the passes add nothing
        du = as_nball(column(p.du)) if p.du is not None else solve_refined_nb(Ju, Jk, Y)
        if du is None:
            return None
        passes = 0 if p.du is not None else TANGENT_PASSES
        S = scalar(hull(p.lo, p.hi) - exact_ball(tm))
        x, a = self.tube.xa(self._kbox(p))
        Dfa = self._apply_nb("Df_a_apply", x, a, I)
        faa = as_nball(ev.f_aa(x, a)) if passes else None
        for it in range(passes + 1):
            zp = NBall(np.insert(du.mid, k, 1.0, axis=0), np.insert(du.rad, k, 0.0, axis=0))
            xp, ap = NBall(zp.mid[:n], zp.rad[:n]), NBall(zp.mid[n:], zp.rad[n:])
            Ap = nmul(Dfa, ap) + self._apply_nb("B", x, a, xp, I)
            if it == passes:
                break
            fap = nprod(Dfa, xp) + nmul(faa, ap)
            new = solve_refined_nb(*split_nb(k, D0 + nmul(Ap, S), fa0 + nmul(fap, S)), Y)
            if new is None:
                break
            du = intersect(du, new)
        p.A0 = D0
        p.Amv, p.Ap = D0 + nmul(Ap, S), Ap
        return p.Amv, p.Ap

    def _apply_nb(self, name: str, x: arb_mat, a: arb, *dirs: NBall) -> NBall:
        """``ev.name(x, a, *dirs)`` as a numpy ball: the generated code on numpy ball directions
        (structured code: BLAS products, runtime/ball.py), else (code that needs python-flint
        matrices) on the same balls as python-flint matrices, converted (npball.as_nball)."""
        ev = self.tube.ev
        if name not in self._flint_only:
            try:
                out = getattr(ev, name)(x, a, *dirs)
            except (TypeError, AttributeError):
                out = None
            if isinstance(out, NBall):
                return out
            self._flint_only.add(name)
        return as_nball(dense(getattr(ev, name)(x, a, *(d.to_mat() for d in dirs))))

    def _centre(self, p: Piece, run: _Run, tm: Fraction, Y: np.ndarray) -> tuple[NBall, NBall] | None:
        """(Df, f_a) over a box holding the arc's point ``z(t~)`` (``z_k = t~ = tm``), numpy balls. Thin
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
            D = self._apply_nb("Df_apply", xb, ab, I)
            fa = as_nball(self.tube.ev.f_a(xb, ab))
            E = _contraction(Y, split_nb(k, D, fa)[0])
            dev = fp_up(yf + E @ r, n + 2)
            if np.all(dev < r):
                K = [arb(float(c), float(d)) for c, d in zip(uc, dev)]
                if not p.holds(self.tube.full(k, T, K)):
                    return None     # the thin box must lie in p's uniqueness region
                return D, fa
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
        D0, fa0 = arb_matrix(res[2]), arb_matrix(res[3])     # numpy balls unless krawczyk_tube.TUBE_ARITHMETIC = "arb"
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

    def _plain_ok(self, p: Piece, run: _Run) -> bool:
        """No eigenvalue of Df on iR \\ {0} at any point of the piece's arc: the spectral Lemma on
        Df over the box, then on the mean-value enclosure A; else ``g != 0`` by ||I - Y M|| < 1
        (M = 2 A (.) I, mean-value form, then 2 Df(box) (.) I)."""
        if self.n < 2:
            return True
        enc = self._enclose_A(p, run)
        if enc is None:
            return False
        h = self._half_width(p)
        if moving_discs_ok(p.A0, enc[1], h, self.basis, ((run.k, run.d, run.lo), float(self._tm(p)))):
            return True
        if self.n > NMAX:
            return False
        ok, nsad = spectral_ok(enc[0], p.A0, enc[1], h)
        if ok:
            self.n_saddle_pieces += nsad > 0
            return True
        for A in (enc[0], p.D):
            got = _contracts(bialt_nball(as_nball(A)))
            if got is not None and got[2] < 1:
                return True
        return False

    def _half_width(self, p: Piece) -> float:
        """Upper bound of ``|t - t~|`` on the piece (t~ = _tm(p), the mean-value centre)."""
        tm = self._tm(p)
        return max(float_upper(exact_ball(p.hi) - exact_ball(tm)), float_upper(exact_ball(tm) - exact_ball(p.lo)))

    def _bordered(self, p: Piece, run: _Run) -> tuple[arb_mat, np.ndarray, np.ndarray, arb] | None:
        """(N ball, b, c, d sigma/dt enclosure) on the piece, or None."""
        n = self.n
        enc = self._enclose_A(p, run)
        if enc is None:
            return None
        M, Mp = bialt_nball(as_nball(enc[0])), bialt_nball(as_nball(enc[1]))
        zc = self._point(run, float((p.lo + p.hi) / 2))
        Mc = bialt_float(self.tube.flt.Df(zc[:n], float(zc[n])))
        Us, _, Vt = np.linalg.svd(Mc)
        b, c = Us[:, -1], Vt[-1]
        N = _bordered_nb(M, b, c)
        m = M.nrows()
        e = np.zeros(m + 1)
        e[m] = 1.0
        vz = lemma_solve_nb(N, e)
        wz = lemma_solve_nb(NBall(N.mid.T, N.rad.T), e)
        if vz is None or wz is None:
            return None
        v = NBall(vz.mid[:m], vz.rad[:m])
        w = NBall(wz.mid[:m].T, wz.rad[:m].T)
        ds = nprod(w, nprod(Mp, v))
        return N, b, c, -arb(float(ds.mid[0, 0]), float(ds.rad[0, 0]))

    def _sigma_at(self, p: Piece, run: _Run, t: Fraction, b: np.ndarray, c: np.ndarray) -> arb | None:
        """sigma at the arc's point with z_k = t (the thin box must lie in p's uniqueness box)."""
        try:
            Z0 = self._thin(p, run, t)
        except Fail:
            return None
        x, a = self.tube.xa(Z0)
        N = _bordered_nb(bialt_nball(as_nball(self.tube.ev.Df(x, a))), b, c)
        e = np.zeros(N.nrows())
        e[-1] = 1.0
        s = lemma_solve_nb(N, e)
        return None if s is None else arb(float(s.mid[-1, 0]), float(s.rad[-1, 0]))

    def _hopf_piece(self, run: _Run, tc: Fraction, enc: tuple[Fraction, Fraction] | None,
                    taken: list[tuple[Fraction, Fraction]], unmatched: bool,
                    box: tuple[list[Fraction], list[Fraction]] | None = None) -> Piece | None:
        """A piece around ``tc`` on which g has at most one zero (exactly one when unmatched); with a
        proved point's ``box`` (all n + 1 coordinates), one whose tube box holds it."""
        cover = None if box is None else (np.array([float_lower(exact_ball(v)) for v in box[0]]),
                                          np.array([float_upper(exact_ball(v)) for v in box[1]]))
        for rel in DELTAS:
            delta = Fraction(rel * run.span)
            if enc is not None:
                delta = max(delta, Fraction(4) * (enc[1] - enc[0]))
            lo, hi = max(tc - delta, run.lo), min(tc + delta, run.hi)
            lo, hi = Fraction(float(lo)) if lo != run.lo else lo, Fraction(float(hi)) if hi != run.hi else hi
            if enc is not None and not (lo <= enc[0] and enc[1] <= hi):
                continue
            if any(lo <= h2 and l2 <= hi for l2, h2 in taken):
                continue
            if not lo < hi:
                continue
            p = self._piece(run, lo, hi, cover)
            if p is None or (box is not None and not self._inside(p, *box)):
                continue
            if not unmatched:
                if not self._hopf_ok(p, run):
                    continue
                p.kind = "hopf"
                return p
            bd = self._bordered(p, run)
            if bd is None or not (bd[3] > 0 or bd[3] < 0):
                continue
            if unmatched:
                s0, s1 = self._sigma_at(p, run, lo, bd[1], bd[2]), self._sigma_at(p, run, hi, bd[1], bd[2])
                if s0 is None or s1 is None or not ((s0 > 0 and s1 < 0) or (s0 < 0 and s1 > 0)):
                    continue
            p.kind = "unmatched" if unmatched else "hopf"
            return p
        return None

    def _hopf_ok(self, p: Piece, run: _Run) -> bool:
        """At most one Hopf point on the piece's arc: the spectral Lemmas (piece_spectrum.py: second-order
        moving discs, then one verified diagonalisation; exactly one pair's disc meets iR, its real
        part monotone), else
        (n <= NMAX) the bordered bialternate determinant with monotone sigma. ``hopf_method``
        restricts to one of the two (tests compare them)."""
        if self.hopf_method in ("auto", "spectral"):
            enc = self._enclose_A(p, run)
            if enc is not None:
                if moving_hopf_ok(p.A0, enc[1], self._half_width(p)):
                    return True
                got = piece_spectrum(enc[0], enc[1])
                if got.ok and got.pair is not None:
                    return True
        if self.hopf_method in ("auto", "bialternate") and self.n <= NMAX:
            bd = self._bordered(p, run)
            return bd is not None and bool(bd[3] > 0 or bd[3] < 0)
        return False

    def _float_saddle(self, z: np.ndarray) -> bool:
        """Floats only (it merely routes the zero to the plain pieces): the pair of eigenvalues with
        the smallest |lambda_i + lambda_j| is real."""
        ev = np.linalg.eigvals(self.tube.flt.Df(z[: self.n], float(z[self.n])))
        scale = 1e-7 * (1 + np.abs(ev).max())
        best = min(((abs(ev[i] + ev[j]), i, j) for i in range(len(ev)) for j in range(i)), default=None)
        return best is not None and abs(ev[best[1]].imag) <= scale and abs(ev[best[2]].imag) <= scale

    # ---- zeros of g along the float points
    def _float_zeros(self, runs: list[_Run]) -> list[tuple[int, float]]:
        out = []
        for ri, run in enumerate(runs):
            P, k = run.pts, run.k
            gv = [self.tube.g(z) for z in P]
            for j in range(len(P) - 1):
                if gv[j] == 0:
                    out.append((ri, float(P[j][k])))
                    continue
                if gv[j] * gv[j + 1] >= 0:
                    continue
                t0, t1, g0 = float(P[j][k]), float(P[j + 1][k]), gv[j]
                for _ in range(60):
                    tm = 0.5 * (t0 + t1)
                    if tm in (t0, t1):
                        break
                    z = self.tube.point(k, tm, (P[j] + P[j + 1]) / 2)
                    if z is None:
                        break
                    gm = self.tube.g(z)
                    if gm == 0:
                        t0 = t1 = tm
                        break
                    if (gm > 0) == (g0 > 0):
                        t0, g0 = tm, gm
                    else:
                        t1 = tm
                out.append((ri, 0.5 * (t0 + t1)))
        return out

    # ---- proved points on the arc
    def _locate(self, runs: list[_Run], lo: np.ndarray, hi: np.ndarray) -> tuple[int, int] | None:
        """(run index, nearest point index) for the float midpoint of a proved point's box."""
        zc = 0.5 * (lo + hi)
        best = None
        for ri, run in enumerate(runs):
            if not (float(run.lo) <= zc[run.k] <= float(run.hi)):
                continue
            dist = np.linalg.norm((run.pts - zc) / (np.ptp(run.pts, axis=0) + 1 + np.abs(zc)), axis=1)
            j = int(np.argmin(dist))
            if best is None or dist[j] < best[0]:
                best = (dist[j], ri, j)
        return None if best is None else (best[1], best[2])

    def _inside(self, p: Piece, zlo: list[Fraction], zhi: list[Fraction]) -> bool:
        """The exact box [zlo, zhi] lies in p's uniqueness region."""
        return p.lo <= zlo[p.k] and zhi[p.k] <= p.hi and p.holds([hull(l, h) for l, h in zip(zlo, zhi)])

    # ---- main
    def run(self) -> tuple[list[Piece], list[tuple[float, float]]]:
        n = self.n
        Z, closed = self._arc()
        runs = self._runs(Z, closed)
        # proved points -> (run, centre, enclosure in the chart)
        specials: list[tuple[int, Fraction, tuple[Fraction, Fraction] | None, int | None]] = []
        boxes: dict[int, tuple[list[Fraction], list[Fraction]]] = {}
        for i, p in enumerate(self.proved):
            alo, ahi = fraction(p.a[0]), fraction(p.a[1])
            if ahi < self.a0 or alo > self.a1:
                continue
            if not (self.a0 < alo and ahi < self.a1):
                raise Fail(f"proved Hopf point {i} has an a-enclosure [{float(alo):.17g}, {float(ahi):.17g}] "
                           "meeting a range end")
            if p.x is None:
                raise Fail(f"proved Hopf point {i} has no x-enclosure: cannot place it on the branch")
            zlo = [fraction(lo) for lo, _ in p.x] + [alo]
            zhi = [fraction(hi) for _, hi in p.x] + [ahi]
            boxes[i] = (zlo, zhi)
            loc = self._locate(runs, np.array([float(v) for v in zlo]), np.array([float(v) for v in zhi]))
            if loc is None:
                raise Fail(f"proved Hopf point {i} (a in [{float(alo):.17g}, {float(ahi):.17g}]) "
                           "does not lie on this branch")
            ri = loc[0]
            k = runs[ri].k
            specials.append((ri, (zlo[k] + zhi[k]) / 2, (zlo[k], zhi[k]), i))
        # float zeros of g not accounted for by a proved point; neutral saddles (a real pair r, -r in
        # floats) are left to the plain pieces, whose spectral Lemma keeps Df off iR \\ {0} rigorously
        unmatched = []
        # n > NMAX: no float zeros of g (dimension n(n-1)/2); an unmatched crossing fails the plain pieces
        for ri, t in (self._float_zeros(runs) if n <= NMAX else []):
            run = runs[ri]
            near = [s for s in specials if s[0] == ri and abs(float(s[1]) - t)
                    <= max(1e-6 * run.span, 10 * float(s[2][1] - s[2][0]))]
            if near:
                continue
            z = self.tube.point(run.k, t, self._guess(run, t))
            if z is not None and self._float_saddle(z):
                self.saddles.append(float(z[n]))
                continue
            unmatched.append((ri, Fraction(t)))
        taken: dict[int, list[tuple[Fraction, Fraction]]] = {ri: [] for ri in range(len(runs))}
        for ri, t in unmatched:
            run = runs[ri]
            p = self._hopf_piece(run, t, None, taken[ri], True)
            z = self.tube.point(run.k, float(t), self._guess(run, float(t)))
            where = f"a = {float(z[n]):.12g}" if z is not None else f"{self._cname(run.k)} = {float(t):.12g}"
            if p is None:
                raise Fail(f"unmatched zero of det(2 Df (.) I) near {where} (located in floats, not "
                           "isolated rigorously): no proved Hopf point of this branch accounts for it")
            alo, ahi = self._a_of(p)
            raise Fail(f"unmatched zero of det(2 Df (.) I) at a in [{alo:.17g}, {ahi:.17g}] (proved: exactly "
                       "one zero there; a non-real pair in floats): no proved Hopf point of this branch "
                       "accounts for it")
        pieces_by_run: dict[int, list[Piece]] = {ri: [] for ri in range(len(runs))}
        crossing: dict[int, tuple[float, float]] = {}
        for ri, tc, enc, i in specials:
            p = self._hopf_piece(runs[ri], tc, enc, taken[ri], False, boxes[i])
            if p is None:
                alo, ahi = boxes[i][0][n], boxes[i][1][n]
                raise Fail(f"could not isolate the zero of det(2 Df (.) I) at proved Hopf point {i} "
                           f"(a in [{float(alo):.17g}, {float(ahi):.17g}]) in a tube piece whose box holds "
                           "its enclosure")
            p.index = i
            taken[ri].append((p.lo, p.hi))
            pieces_by_run[ri].append(p)
            crossing[i] = (float_lower(exact_ball(boxes[i][0][n])), float_upper(exact_ball(boxes[i][1][n])))
        # plain pieces filling the rest of each run
        for ri, run in enumerate(runs):
            cuts = sorted(taken[ri])
            gaps, cur = [], run.lo
            for l2, h2 in cuts:
                if cur < l2:
                    gaps.append((cur, l2))
                cur = max(cur, h2)
            if cur < run.hi:
                gaps.append((cur, run.hi))
            for glo, ghi in gaps:
                self._march(run, glo, ghi, pieces_by_run[ri])
        # arc order and links
        order: list[Piece] = []
        for ri, run in enumerate(runs):
            ps = sorted(pieces_by_run[ri], key=lambda p: p.lo)
            order += ps if run.d > 0 else ps[::-1]
        run_of = [ri for ri, run in enumerate(runs) for _ in pieces_by_run[ri]]
        pairs = list(zip(range(len(order) - 1), range(1, len(order))))
        if closed:
            pairs.append((len(order) - 1, 0))
        for i, j in pairs:
            self._link(order[i], order[j], runs[run_of[i]], runs[run_of[j]])
        cross = [crossing[p.index] for p in order if p.kind == "hopf"]
        return order, cross

    def _march(self, run: _Run, glo: Fraction, ghi: Fraction, out: list[Piece]) -> None:
        """Tile [glo, ghi] with plain pieces, left to right, with step control: the width grows by
        GROW after a success and halves after a failure (relative widths carry over between gaps)."""
        n = self.n
        w = min(float(ghi - glo), self.rel_w * run.span) if self.rel_w else float(ghi - glo) / INITIAL_PIECES
        cur = glo
        while cur < ghi:
            hi = ghi if float(ghi - cur) <= 1.25 * w else Fraction(float(cur) + w)
            if not cur < hi:
                raise Fail("piece width below float resolution")
            p = self._piece(run, cur, hi)
            ok = p is not None and self._plain_ok(p, run)
            if ok:
                p.D = p.fa = p.A0 = p.Amv = p.Ap = None   # ball matrices no longer needed (memory: n^2 each)
                out.append(p)
                self.rel_w = float(hi - cur) / run.span
                cur, w = hi, GROW * float(hi - cur)
                continue
            if float(hi - cur) < MIN_REL_WIDTH * run.span:
                what = "tube (Krawczyk) failed" if p is None else \
                    "could not exclude a purely imaginary pair of Df (Hopf point)"
                zc = self.tube.point(run.k, float(cur), self._guess(run, float(cur)))
                where = f"a ~ {float(zc[n]):.12g}" if zc is not None else \
                    f"{self._cname(run.k)} ~ {float(cur):.12g}"
                sad = [s for s in self.saddles if zc is not None and abs(s - float(zc[n])) < 1e-3]
                extra = f" (a neutral saddle in floats at a ~ {sad[0]:.12g})" if sad else ""
                raise Fail(f"{what} near {where} on the branch{extra}")
            w = 0.5 * float(hi - cur)

    def _thin(self, p: Piece, run: _Run, t: Fraction) -> list[arb]:
        """Box (all n+1 coordinates) holding the equilibrium with z_k = t in p's box (thin Krawczyk)."""
        res = self.tube.krawczyk(p.k, exact_ball(t), self._point(run, float(t)))
        if res is None:
            raise Fail(f"link between tube pieces failed at {self._cname(p.k)} = {float(t):.17g}")
        Z0 = self.tube.full(p.k, exact_ball(t), res[1])
        if not p.holds(Z0):
            raise Fail(f"tube pieces do not overlap at {self._cname(p.k)} = {float(t):.17g}")
        return Z0

    def _on(self, Z0: list[arb], p: Piece, strict: bool) -> bool:
        """Z0 inside p's uniqueness region; ``strict``: its chart coordinate strictly inside (p.lo, p.hi)."""
        k = p.k
        if strict and not (Z0[k] > exact_ball(p.lo) and Z0[k] < exact_ball(p.hi)):
            return False
        return p.holds(Z0)

    def _link(self, P: Piece, Q: Piece, runP: _Run, runQ: _Run) -> None:
        """P's arc end is covered on both sides: by P and Q (same chart, Q starts where P ends), or
        P's end lies strictly inside Q's arc and Q's start strictly inside P's arc."""
        tiled = P.k == Q.k and P.end() == Q.start()
        Z0 = self._thin(P, runP, P.end())
        ok = self._on(Z0, Q, strict=not tiled)
        if ok and not tiled:
            ok = self._on(self._thin(Q, runQ, Q.start()), P, strict=True)
        if not ok:
            raise Fail(f"tube pieces do not overlap at {self._cname(P.k)} = {float(P.end()):.17g}")


class TubeResult(NamedTuple):
    """Outcome of one branch's tube check: ``pieces`` Krawczyk pieces were tried (the work counted
    against ``budget``); ``exhausted``: the budget stopped the check."""

    proved: bool
    reason: str
    crossings: list[tuple[float, float]]
    pieces: int
    budget: int
    exhausted: bool = False
    tube: tuple = ()          # the proved tube's pieces (Piece), for the global check (global_.py)


def check_moving_branch(system: Any, branch: Any, proved: Sequence[Any], a_range: tuple[Any, Any],
                        prec: int = 128, budget: int | None = None) -> TubeResult:
    """The tube check of a branch (module docstring); at most ``budget`` pieces (default BUDGET)."""
    budget = BUDGET if budget is None else int(budget)
    chk = MovingBranchCheck(system, branch, proved, a_range, prec, budget)
    try:
        with flint.ctx.workprec(prec):
            pieces, cross = chk.run()
    except Fail as e:
        return TubeResult(False, str(e), [], chk.n_pieces, budget, isinstance(e, Budget))
    n_hopf = sum(p.kind == "hopf" for p in pieces)
    charts = sorted({chk._cname(p.k) for p in pieces})
    return TubeResult(True, f"{len(cross)} crossing(s) on the branch in the range, all proved Hopf points; tube of "
                      f"{len(pieces)} pieces ({n_hopf} Hopf pieces; charts {', '.join(charts)})"
                      + (f"; neutral saddle(s) excluded at a ~ {', '.join(f'{v:.6g}' for v in chk.saddles)}"
                         if chk.saddles else ""), cross, chk.n_pieces, budget, tube=tuple(pieces))
