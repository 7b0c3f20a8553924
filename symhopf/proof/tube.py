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

Branches that leave the search box (``box = X``, the search box, exact Fractions). When the search's
float arc stops inside the range (its continuation stops where ``|x|`` passes 1.5 times the box, e.g. a
branch running off to infinity), *the branch* is the connected component ``C``, in
``[a0, a1] x X``, of the equilibria through the branch's float points in ``X`` (the first stretch of
them, in the float arc's order, from the range end or from where the arc enters ``X``). Its ends are on
the range ends or on the box's boundary. The float arc is cut just past the face it crosses (``_cut``);
the tube then ends at a link slice *proved strictly outside* ``X``: the thin Krawczyk enclosure of the
arc's end point is strictly beyond a face ``x_j = l_j`` or ``x_j = h_j`` in some coordinate, compared
with the exact Fraction (``_exit``). Both ends can be such exits. Claim: ``C`` is contained in
``Gamma`` and every Hopf point of ``C`` is a proved point. Proof: (1)-(3) hold as above for the arc
``Gamma`` from its start to that slice (connected, covered by the pieces), except that an exit end is
not an interior point of ``Gamma``; but it lies outside ``X``. Let ``S = C /\\ Gamma``: non-empty (the
float points' arc), closed in ``C`` (``Gamma`` is compact), and open in ``C``: each point of ``S`` is in
``X``, so it is not an exit end, so it is an interior point of ``Gamma`` or a range end, with a
neighbourhood in which the equilibria with ``a`` in the range are points of ``Gamma``. ``C`` is
connected, so ``S = C``. The same holds for every component of ``{f = 0} /\\ ([a0, a1] x X)`` that meets
``Gamma`` (an excursion out of ``X`` between two float points is not seen by the cut, and the
components it separates are then all covered, each inside ``Gamma``, their Hopf points all listed).
Hence the component stays on the arc until it leaves ``X``; a later
re-entry of the same curve into ``X`` is a *different* component. The branch as recorded (its float
points, its candidates) must not hold one: a float arc that comes back into ``X`` after its first exit
is refused (``_cut``), and api._branch_record refuses the claim when a candidate of the branch that is
not proved lies in ``X`` (off the covered arc: on it, it would have been an unmatched crossing). Proved
points of the branch that do not lie on the covered arc fail the check (nothing is claimed for them), those strictly outside ``X`` (exactly, in
some coordinate) are not part of the claim and are skipped (the covered arc runs a little past the exit face,
and may leave the box between float points, so such a point can lie on it: the zero of ``g`` it makes there is then unmatched, not proved,
and the reason names the point, ``_unaccounted``). An arc end inside ``X`` where the float
continuation stopped for another reason (a fold the search fails at, Newton failure) is not covered:
not proved, with that reason. Closed branches and arcs with both ends on range ends are unaffected.
The claim is *within the search box*, and the record says which kind of end each end is.

Lemma M (mirror images, tube_mirror.py): for odd systems a branch that is the float mirror image of a
branch proved complete may reuse its tube.

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
  cover the point's two sides; there the thin test is skipped when the slice at that t of one
  piece's uniqueness region lies in the other's region (``_slice``: the slice holds that piece's
  point at t, which is then in both regions). Otherwise (a chart change, with Q's interval extended a
  little backwards) P's end must lie strictly inside Q's chart interval and Q's start
  strictly inside P's: each end point of every piece, except the arc's two ends at the
  range ends, is an interior point of Gamma, which is what the component argument in (2)
  needs.
* Ball linear solves (ball_solve.py, the Lemma): for a ball matrix ``D``, ball ``b`` and float
  ``Y`` with ``e = ||I - Y D||_inf < 1`` every matrix in ``D`` is nonsingular and ``D^-1 b`` lies in
  ``Y b + (I - Y D) [-rho, rho]^m``, ``rho = ||Y b||_inf / (1 - e)``.
* Arc enclosures (arc_enclosure.py): ``A = Df(z(t~)) + A' (T - t~)`` encloses ``Df`` on the piece's
  arc, ``A' = Df_a a' + B(x', I)`` with an enclosure of the arc's tangent. ``M = 2 A (.) I``,
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
  control (``_march``: width x ``GROW`` after a success, at most ``CAP`` times the last failed width, grown
  by ``CAP_GROW^k`` at the k-th success since; x ``SHRINK`` after a failure, halved after the next); a
  Krawczyk piece whose spectral test fails is first retried on the first ``RESTRICT`` of its interval: a
  sub-interval of a piece is a piece, so only the spectral test is redone. Each gap between Hopf pieces
  (cut at exact seams when n >= 50) is an independent task, tiled and linked inside on its own process
  (tube_tasks.py); the links between tasks are made here. Work only: the pieces are the same for any
  number of processes.
* Second-order arc enclosure (Lemma A2, arc_enclosure.py; n >= ``SECOND_ORDER_N``): the moving
  discs of a plain piece that fails the first-order form are retried on it.
* Hopf pieces, first: the second-order moving-disc Lemma (piece_spectrum.moving_hopf_ok: exactly
  one disc in the upper half plane meets iR, the others meeting iR are isolated and hold a real
  eigenvalue, ``Re mu'`` of the pair enclosed per s from the eigenvector bounds excludes 0), on the
  first-order arc enclosure and then on Lemma H2's (hopf_arc.py: the second-order form of Lemma A2 and
  ``d/dt Df`` in ``g'(t~) + (T - t~) g''``, any n), then the first-order spectral Lemma of piece_spectrum.py (one verified diagonalisation of
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
inside the range without leaving the search box; neutral saddles the spectral Lemma cannot separate (e.g. a real pair
colliding with other eigenvalues near iR); zeros of ``g`` that are not simple, tangencies and
other pieces that fail down to the minimum width; proved points without an x-enclosure or
whose a-enclosure meets a range end; checks that need more than ``budget`` Krawczyk pieces
(default ``BUDGET``: deterministic work, not time; the reason says the budget stopped it).
Cost: O(n^3) ball arithmetic per plain piece (O(m^3) BLAS, only on Hopf pieces and fallbacks);
the ball evaluations of Df, B, Df_a and the spectral Lemma dominate.
"""
from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Any, Callable, NamedTuple, Sequence

import flint
import numpy as np
from flint import arb, arb_mat

from ..runtime.arbtools import exact_ball, float_lower, float_upper, fraction, hull, number_text
from ..runtime.npball import NBall, as_nball, intersect, nprod
from .arc_enclosure import ArcEnclosures
from .ball_solve import _contracts, lemma_solve_nb
from .bialternate import _bordered_nb, bialt_float, bialt_nball
from .branch_runs import Budget, Fail, FloatRuns, _Run
from .hopf_arc import hopf_arc
from .krawczyk_tube import Piece, Tube
from .piece_spectrum import Eigenbasis, moving_discs_ok, moving_hopf_ok, piece_spectrum, spectral_ok
from .tube_tasks import Task, march_tasks, split

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
MIN_REL_WIDTH = 1e-11
#: default work budget of one branch's check: Krawczyk pieces tried (plain, Hopf and failed ones);
#: past it the check stops, not proved, with that reason (deterministic: counted in work, not time)
BUDGET = 5000
INITIAL_PIECES = 8
#: step control of the plain pieces (``_march``): width x GROW after a success, but at most CAP times the
#: last failed width (grown by CAP_GROW^k at the k-th success since); x SHRINK after a failure, x 1/2 after
#: the next
GROW = 1.3
CAP, CAP_GROW, SHRINK = 0.9, 1.003, 0.8
#: a plain piece failing its spectral test is retried on this fraction of its interval (0: not retried)
RESTRICT = 0.6
#: relative (to the run's span) width down to which the float zeros of g are bisected
ZERO_TOL = 1e-12
DELTAS = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9)


def _next_float(t: Fraction) -> Fraction:
    """The least float above t, as a Fraction."""
    v = float(t)
    while Fraction(v) <= t:
        v = float(np.nextafter(v, np.inf))
    return Fraction(v)


class MovingBranchCheck(FloatRuns, ArcEnclosures):
    def __init__(self, system: Any, branch: Any, proved: Sequence[Any], a_range: tuple[Any, Any],
                 prec: int, budget: int = BUDGET,
                 box: tuple[Sequence[Any], Sequence[Any]] | None = None, workers: int | None = None) -> None:
        self.tube = Tube(system, prec)
        #: processes for the plain pieces' tasks (tube_tasks.py; None: parallel.default_workers)
        self.workers = workers
        self.stop: Callable[[], None] | None = None   # a task's check before each piece (tube_tasks._stopper)
        self.n = system.n
        #: the search box (exact lower and upper corners) for branches that leave it (module docstring)
        self.box = None if box is None else ([fraction(v) for v in box[0]], [fraction(v) for v in box[1]])
        #: each end of the float arc: None (a range end, or a closed branch) or the face ``(j, s)``
        #: (``x_j = lo_j`` for s = -1, ``hi_j`` for s = +1) the float arc crosses there (_cut)
        self.ends: list[tuple[int, int] | None] = [None, None]
        self.exits: list[dict[str, Any] | None] = [None, None]   # proved box exits (run): a-enclosure, face
        self.outside: list[int] = []   # proved points strictly outside the box (not claimed; box exits only)
        self._outside_boxes: list[tuple[int, list[Fraction], list[Fraction]]] = []   # (label, zlo, zhi) of those
        self.branch, self.proved, self.prec = branch, list(proved), prec
        self.a0, self.a1 = fraction(a_range[0]), fraction(a_range[1])
        self.A0, self.A1 = exact_ball(self.a0), exact_ball(self.a1)
        self.n_pieces = 0   # Krawczyk pieces tried
        self.budget = budget
        self.rel_w = 0.0   # last successful plain piece width / run span (step control)
        self.rel_cap = float("inf")   # last failed plain piece width / run span, grown after successes
        self.streak = 0               # successes since the last failed plain piece
        self.saddles: list[float] = []   # a of the float neutral saddles (zeros of g with a real pair)
        self.hopf_method = HOPF_METHOD
        self._points: dict[tuple[int, float], np.ndarray] = {}
        self.basis = Eigenbasis()            # float eigenvectors carried between plain pieces
        self._curve: tuple | None = None     # the last _enclose_A's piece and what _second_order needs

    # ---- float arc -> runs
    # ---- building pieces
    def _piece(self, run: _Run, lo: Fraction, hi: Fraction,
               cover: tuple[np.ndarray, np.ndarray] | None = None) -> Piece | None:
        if self.n_pieces >= self.budget:
            raise Budget(f"budget of {self.budget} pieces exhausted (the check stopped at "
                         f"{self._cname(run.k)} ~ {float(lo):.12g}; raise it with --budget)")
        if self.stop is not None:   # tasks on several processes (tube_tasks.py)
            self.stop()
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

    def _a_of(self, p: Piece) -> tuple[float, float]:
        if p.k == self.n:
            return float(p.lo), float(p.hi)
        Ka = p.K[self.n - 1]
        return float_lower(Ka), float_upper(Ka)

    def _plain_ok(self, p: Piece, run: _Run) -> bool:
        """No eigenvalue of Df on iR \\ {0} at any point of the piece's arc: the moving-disc Lemma on the
        first-order form, then on the second-order form (Lemma A2, ``_second_order``), then the spectral
        Lemma on the mean-value enclosure A; else ``g != 0`` by ||I - Y M|| < 1
        (M = 2 A (.) I, mean-value form, then 2 Df(box) (.) I)."""
        if self.n < 2:
            return True
        enc = self._enclose_A(p, run)
        if enc is None:
            return False
        h = self._half_width(p)
        where = ((run.k, run.d, run.lo), float(self._tm(p)))
        # n >= SECOND_ORDER_N: the second-order form follows, with a fresh eigenbasis if its prediction fails
        # (measured at n = 200: the first-order form's fresh eig passed 3 times in 62)
        second_follows = self._curve is not None and self._curve[0] is p
        if moving_discs_ok(p.A0, enc[1], h, self.basis, where, fresh=not second_follows):
            return True
        second = self._second_order(p)
        if second is not None and moving_discs_ok(second[0], second[1], h, self.basis, where):
            return True
        if self.n > NMAX:
            return False
        if spectral_ok(enc[0], p.A0, enc[1], h)[0]:
            return True
        for A in (enc[0], p.D):
            got = _contracts(bialt_nball(as_nball(A)))
            if got is not None and got[2] < 1:
                return True
        return False

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
        moving discs, on the first-order arc enclosure and then on Lemma H2's (hopf_arc.py: ``d/dt Df``
        enclosed as ``g'(t~) + S g''``), then one verified diagonalisation; exactly one pair's disc meets
        iR, its real part monotone), else
        (n <= NMAX) the bordered bialternate determinant with monotone sigma. ``hopf_method``
        restricts to one of the two (tests compare them)."""
        if self.hopf_method in ("auto", "spectral"):
            enc = self._enclose_A(p, run)
            if enc is not None:
                h = self._half_width(p)
                if moving_hopf_ok(p.A0, enc[1], h):
                    return True
                h2 = hopf_arc(self, p, run)
                if h2 is not None and moving_hopf_ok(h2.A0, h2.A1, h, Ad=h2.Ad):
                    return True
                got = piece_spectrum(enc[0], enc[1] if h2 is None else intersect(as_nball(enc[1]), h2.Ad))
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
        """Sign changes of g along each run's float points, bisected (float Newton from the last point) down
        to ZERO_TOL times the run's span: enough to match them with the proved points (tolerance 1e-6 of the
        span) and to centre a Hopf piece (half width at least 1e-9 of the span). Floats only (routing)."""
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
                zg = (P[j] + P[j + 1]) / 2
                for _ in range(60):
                    tm = 0.5 * (t0 + t1)
                    if tm in (t0, t1) or abs(t1 - t0) <= ZERO_TOL * run.span:
                        break
                    z = self.tube.point(k, tm, zg)
                    if z is None:
                        break
                    zg = z
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
        Z = self._cut(Z, closed)
        runs = self._runs(Z, closed)
        # proved points -> (run, centre, enclosure in the chart)
        specials: list[tuple[int, Fraction, tuple[Fraction, Fraction] | None, int | None]] = []
        boxes: dict[int, tuple[list[Fraction], list[Fraction]]] = {}
        for i, p in enumerate(self.proved):
            alo, ahi = fraction(p.a[0]), fraction(p.a[1])
            if ahi < self.a0 or alo > self.a1:
                continue
            if not (self.a0 < alo and ahi < self.a1):
                raise Fail(f"proved Hopf point {self._label(i)} has an a-enclosure [{float(alo):.17g}, {float(ahi):.17g}] "
                           "meeting a range end")
            if p.x is None:
                raise Fail(f"proved Hopf point {self._label(i)} has no x-enclosure: cannot place it on the branch")
            zlo = [fraction(lo) for lo, _ in p.x] + [alo]
            zhi = [fraction(hi) for _, hi in p.x] + [ahi]
            if any(self.ends) and self._off_box(zlo, zhi):
                self.outside.append(self._label(i))   # strictly outside the box: not part of the claim (module docstring)
                self._outside_boxes.append((self._label(i), zlo, zhi))
                continue
            boxes[i] = (zlo, zhi)
            loc = self._locate(runs, np.array([float(v) for v in zlo]), np.array([float(v) for v in zhi]))
            if loc is None:
                raise Fail(f"proved Hopf point {self._label(i)} (a in [{float(alo):.17g}, {float(ahi):.17g}]) "
                           "does not lie on this branch" + self._cut_note())
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
                raise Fail(f"a sign change of det(2 Df (.) I) between float points of the branch (bisected in "
                           f"floats to {where}; no zero was isolated rigorously there) is not matched to a proved "
                           "Hopf point of this branch: an unproved Hopf point there is not excluded")
            alo, ahi = self._a_of(p)
            raise Fail(f"unmatched zero of det(2 Df (.) I) at a in [{alo:.17g}, {ahi:.17g}] (proved: exactly "
                       f"one zero there; a non-real pair in floats): {self._unaccounted(p, boxes)}")
        pieces_by_run: dict[int, list[Piece]] = {ri: [] for ri in range(len(runs))}
        crossing: dict[int, tuple[float, float]] = {}
        for ri, tc, enc, i in specials:
            p = self._hopf_piece(runs[ri], tc, enc, taken[ri], False, boxes[i])
            if p is None:
                alo, ahi = boxes[i][0][n], boxes[i][1][n]
                raise Fail(f"could not isolate the zero of det(2 Df (.) I) at proved Hopf point {self._label(i)} "
                           f"(a in [{float(alo):.17g}, {float(ahi):.17g}]) in a tube piece whose box holds "
                           "its enclosure" + self._cut_note())
            p.index = i
            taken[ri].append((p.lo, p.hi))
            pieces_by_run[ri].append(p)
            crossing[i] = (float_lower(exact_ball(boxes[i][0][n])), float_upper(exact_ball(boxes[i][1][n])))
        # plain pieces filling the rest of each run: independent tasks (tube_tasks.py), linked within each
        gaps = []
        for ri, run in enumerate(runs):
            cur = run.lo
            for l2, h2 in sorted(taken[ri]):
                if cur < l2:
                    gaps.append(Task(ri, cur, l2))
                cur = max(cur, h2)
            if cur < run.hi:
                gaps.append(Task(ri, cur, run.hi))
        tasks = split(runs, gaps, n)
        task_of: dict[int, int] = {}
        for ti, (task, ps) in enumerate(zip(tasks, march_tasks(self, runs, tasks, self.workers))):
            pieces_by_run[task.ri] += ps
            task_of.update((id(p), ti) for p in ps)
        # arc order and the links not made inside a task
        order: list[Piece] = []
        for ri, run in enumerate(runs):
            ps = sorted(pieces_by_run[ri], key=lambda p: p.lo)
            order += ps if run.d > 0 else ps[::-1]
        run_of = [ri for ri, run in enumerate(runs) for _ in pieces_by_run[ri]]
        pairs = list(zip(range(len(order) - 1), range(1, len(order))))
        if closed:
            pairs.append((len(order) - 1, 0))
        for i, j in pairs:
            ti = task_of.get(id(order[i]))   # a task linked its own consecutive pieces (j = i + 1), no other pair
            if ti is None or ti != task_of.get(id(order[j])) or j != i + 1:
                self._link(order[i], order[j], runs[run_of[i]], runs[run_of[j]])
        for side in (0, 1):
            if self.ends[side] is not None:
                at = 0 if side == 0 else len(order) - 1
                P = order[at]
                self.exits[side] = self._exit(P, runs[run_of[at]], P.start() if side == 0 else P.end())
        cross = [crossing[p.index] for p in order if p.kind == "hopf"]
        return order, cross

    def _off_box(self, zlo: list[Fraction], zhi: list[Fraction]) -> bool:
        """The exact box [zlo, zhi] (x then a) lies strictly outside the search box (in some coordinate)."""
        blo, bhi = self.box
        return any(h < l or lo > u for l, u, lo, h in zip(blo, bhi, zlo, zhi))

    def _unaccounted(self, p: Piece | None, boxes: dict[int, tuple[list[Fraction], list[Fraction]]]) -> str:
        """Why an unmatched zero of g (on piece p's arc, exactly one there; None: not isolated) is not
        accounted for, true also when a proved point (``boxes``: those in the box; or one skipped as strictly
        outside the search box) lies on p's arc. Such a point lying in p's uniqueness region is on p's arc (``_inside``), and a Hopf point is a zero of
        g: it *is* that zero, named as such; the within-box claim does not list it (not proved)."""
        inbox = [self._label(i) for i, (zlo, zhi) in boxes.items() if p is not None and self._inside(p, zlo, zhi)]
        if inbox:
            return (f"the one zero on this piece's arc is proved Hopf point {inbox[0]} (its enclosure lies in the "
                    "piece's region), which the float search placed apart from this float zero; not matched")
        mine = [lab for lab, zlo, zhi in self._outside_boxes if p is not None and self._inside(p, zlo, zhi)]
        if mine:
            return (f"it is proved Hopf point {mine[0]}, which lies on this piece's arc but strictly outside "
                    "the search box; the "
                    "claim within the box does not list points outside it, so this zero is not matched")
        if self.outside:
            return (f"no proved Hopf point of this branch in the search box accounts for it (proved point(s) "
                    f"{self.outside} lie strictly outside the box and were not placed on the arc)")
        return "no proved Hopf point of this branch accounts for it"

    def _label(self, i: int) -> int:
        """The number of proved point i in the caller's list (ProvedHopf.label: the certificate's index)."""
        lab = getattr(self.proved[i], "label", None)
        return i if lab is None else lab

    def _cut_note(self) -> str:
        return ("" if not any(self.ends) else " (the branch is covered up to where its float arc leaves the search "
                "box; a later re-entry into the box is another component, not covered)")

    def _exit(self, p: Piece, run: _Run, t: Fraction) -> dict[str, Any]:
        """The arc's end point (``z_k = t``, an end of piece p) lies strictly outside the search box: its
        thin Krawczyk enclosure is strictly beyond a face in some coordinate, compared with the exact
        face. Returns the a-enclosure of that point and the face; raises Fail otherwise."""
        Z0 = self._thin(p, run, t)
        blo, bhi = self.box
        for j in range(self.n):
            for s, face in ((1, bhi[j]), (-1, blo[j])):
                F = exact_ball(face)
                if (Z0[j] > F) if s > 0 else (Z0[j] < F):
                    return {"a": (float_lower(Z0[self.n]), float_upper(Z0[self.n])), "coordinate": j,
                            "side": s, "face": face}
        raise Fail(f"the tube's end at {self._cname(p.k)} = {float(t):.17g} (a ~ {float(Z0[self.n].mid()):.12g}) "
                   "is not proved to lie outside the search box; cannot cover the branch")

    def _march(self, run: _Run, glo: Fraction, ghi: Fraction, out: list[Piece]) -> None:
        """Tile [glo, ghi] with plain pieces, left to right, with step control: the width grows by
        GROW after a success, but to at most CAP times the last failed width (that cap grows by
        CAP_GROW^k at the k-th success since the failure); it shrinks by SHRINK after a failure and halves
        after further ones (relative widths and the cap carry over between gaps); a Krawczyk piece whose
        spectral test fails is first retried restricted to the first RESTRICT of its interval (same
        Krawczyk piece, a new spectral test). Work only: every accepted piece is proved on its own."""
        n = self.n
        w = min(float(ghi - glo), self.rel_w * run.span) if self.rel_w else float(ghi - glo) / INITIAL_PIECES
        cur, fails = glo, 0
        while cur < ghi:
            hi = ghi if float(ghi - cur) <= 1.25 * w else Fraction(float(cur) + w)
            if not cur < hi:   # w below cur's ulp (a gap of a few ulps): the next floats above cur
                hi = min(ghi, _next_float(cur))
            if not cur < hi:
                raise Fail("piece width below float resolution")
            p = self._piece(run, cur, hi)
            ok = p is not None and self._plain_ok(p, run)
            if not ok and p is not None and RESTRICT:
                # the Krawczyk piece restricted to [cur, hi2] is a piece (every statement for t in T holds
                # on a sub-interval): only its spectral test is redone, no new Krawczyk test
                hi2 = Fraction(float(cur) + RESTRICT * float(hi - cur))
                if cur < hi2 < hi:
                    q = replace(p, hi=hi2, A0=None, Amv=None, Ap=None)
                    if self._plain_ok(q, run):
                        self.rel_cap, self.streak = float(hi - cur) / run.span, 0   # the full width failed
                        p, hi, ok = q, hi2, True
            if ok:
                p.D = p.fa = p.A0 = p.Amv = p.Ap = None   # ball matrices no longer needed (memory: n^2 each)
                out.append(p)
                self.rel_w = float(hi - cur) / run.span
                self.streak += 1
                self.rel_cap *= CAP_GROW ** self.streak
                cur, w, fails = hi, min(GROW * float(hi - cur), CAP * self.rel_cap * run.span), 0
                continue
            self.rel_cap, self.streak = float(hi - cur) / run.span, 0
            if float(hi - cur) < MIN_REL_WIDTH * run.span:
                what = "tube (Krawczyk) failed" if p is None else \
                    "could not exclude a purely imaginary pair of Df (Hopf point)"
                zc = self.tube.point(run.k, float(cur), self._guess(run, float(cur)))
                where = f"a ~ {float(zc[n]):.12g}" if zc is not None else \
                    f"{self._cname(run.k)} ~ {float(cur):.12g}"
                sad = [s for s in self.saddles if zc is not None and abs(s - float(zc[n])) < 1e-3]
                extra = f" (a neutral saddle in floats at a ~ {sad[0]:.12g})" if sad else ""
                raise Fail(f"{what} near {where} on the branch{extra}")
            w = (SHRINK if fails == 0 else 0.5) * float(hi - cur)
            fails += 1

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

    def _slice(self, p: Piece, t: Fraction) -> list[arb]:
        """A box (all n + 1 coordinates, z_k = t) holding the slice at t of p's uniqueness region."""
        T = exact_ball(t)
        if p.slant is None:
            return self.tube.full(p.k, T, list(p.hull))
        t0, c, w, V = p.slant
        S = T - arb(t0)
        return self.tube.full(p.k, T, [arb(cj) + S * arb(wj) + v for cj, wj, v in zip(c, w, V)])

    def _link(self, P: Piece, Q: Piece, runP: _Run, runQ: _Run) -> None:
        """P's arc end is covered on both sides: by P and Q (same chart, Q starts where P ends), or
        P's end lies strictly inside Q's arc and Q's start strictly inside P's arc."""
        tiled = P.k == Q.k and P.end() == Q.start()
        if tiled and (Q.holds(self._slice(P, P.end())) or P.holds(self._slice(Q, P.end()))):
            return   # one region's slice at t lies in the other region: the point at t is in both
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
    #: proved, not closed: the arc's two ends in arc order, each {"kind": "range end", "a": exact text} or
    #: {"kind": "box exit", "a": [lo, hi], "coordinate": j, "side": +-1, "face": exact text}
    ends: tuple = ()


def _end_record(chk: MovingBranchCheck, side: int, pieces: list[Piece], names: Sequence[str]) -> dict[str, Any]:
    """One end of the proved arc (TubeResult.ends)."""
    ex = chk.exits[side]
    if ex is not None:
        j = ex["coordinate"]
        return {"kind": "box exit", "a": list(ex["a"]), "coordinate": j, "side": ex["side"],
                "variable": names[j] if j < len(names) else f"x{j + 1}", "face": str(ex["face"])}
    P = pieces[0] if side == 0 else pieces[-1]
    return {"kind": "range end", "a": str(P.start() if side == 0 else P.end())}


def within_box_text(ends: Sequence[dict[str, Any]], parameter: str) -> str:
    """``"within the search box (it leaves the box at a ~ 0.7 through the face x1 = 10)"`` for a branch
    with a box exit, else ``""``."""
    exits = [e for e in ends if e.get("kind") == "box exit"]
    if not exits:
        return ""

    def one(e: dict[str, Any]) -> str:
        return (f"{parameter} ~ {0.5 * (e['a'][0] + e['a'][1]):.6g} through the face "
                f"{e.get('variable', 'x' + str(e['coordinate'] + 1))} = {number_text(Fraction(e['face']))}")
    return f"within the search box (it leaves the box at {' and at '.join(one(e) for e in exits)})"


def check_moving_branch(system: Any, branch: Any, proved: Sequence[Any], a_range: tuple[Any, Any],
                        prec: int = 128, budget: int | None = None,
                        box: tuple[Sequence[Any], Sequence[Any]] | None = None,
                        workers: int | None = None) -> TubeResult:
    """The tube check of a branch (module docstring); at most ``budget`` pieces (default BUDGET).
    ``workers``: processes for the plain pieces (tube_tasks.py; the result does not depend on it).
    ``box``: the search box (exact lower and upper corners); a branch whose float arc stops inside
    the range is then covered up to where it leaves the box (the claim is within the box)."""
    budget = BUDGET if budget is None else int(budget)
    chk = MovingBranchCheck(system, branch, proved, a_range, prec, budget, box, workers)
    try:
        with flint.ctx.workprec(prec):
            pieces, cross = chk.run()
    except Fail as e:
        return TubeResult(False, str(e), [], chk.n_pieces, budget, isinstance(e, Budget))
    except OverflowError:       # float work (step sizes, radii estimates) beyond the float range: no claim
        return TubeResult(False, "float overflow in the tube's float estimates (values beyond 1e308 on the "
                          "branch); cannot cover the branch", [], chk.n_pieces, budget)
    n_hopf = sum(p.kind == "hopf" for p in pieces)
    charts = sorted({chk._cname(p.k) for p in pieces})
    names = list(getattr(getattr(system, "model", None), "variables", None) or [])
    ends = () if branch.closed else (_end_record(chk, 0, pieces, names), _end_record(chk, 1, pieces, names))
    where = within_box_text(ends, "a")
    off = (f"; proved point(s) {chk.outside} lie strictly outside the search box (not part of this claim)"
           if chk.outside else "")
    return TubeResult(True, f"{len(cross)} crossing(s) on the branch in the range"
                      + (f" {where}" if where else "") + ", all proved Hopf points; tube of "
                      f"{len(pieces)} pieces ({n_hopf} Hopf pieces; charts {', '.join(charts)})"
                      + (f"; neutral saddle(s) excluded at a ~ {', '.join(f'{v:.6g}' for v in chk.saddles)}"
                         if chk.saddles else "") + off, cross, chk.n_pieces, budget, tube=tuple(pieces), ends=ends)
