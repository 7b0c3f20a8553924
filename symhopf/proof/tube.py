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
some coordinate) are not part of the claim and are skipped. An arc end inside ``X`` where the float
continuation stopped for another reason (a fold the search fails at, Newton failure) is not covered:
not proved, with that reason. Closed branches and arcs with both ends on range ends are unaffected.
The claim is *within the search box*, and the record says which kind of end each end is.

Lemma M (mirror images). If ``f(-x, a) = -f(x, a)`` identically (verified symbolically, exact:
search.symmetry.is_odd) then ``sigma(x, a) = (-x, a)`` maps equilibria to equilibria and
``Df(sigma z) = Df(z)``: ``sigma Gamma`` is covered by the pieces ``sigma P`` (uniqueness region the
image of P's), with the same spectral conclusions, and, when ``X = -X``, the same box exits mirrored.
For a branch whose float points are exactly ``-1`` times those of a branch proved complete, its proved
points are matched one to one with the Hopf pieces: a proved point whose mirrored box lies in the
uniqueness region of the Hopf piece ``P`` is on ``sigma P``'s arc, which has at most one Hopf point, so
it is the mirror of P's proved point. When every Hopf piece is matched the branch is proved complete
without a tube of its own (``mirror_moving_branch``); otherwise it gets the full check.

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
  control (``_march``: width x ``GROW`` after a success, at most ``CAP`` times the last failed width, grown
  by ``CAP_GROW^k`` at the k-th success since; x ``SHRINK`` after a failure, halved after the next); a
  Krawczyk piece whose spectral test fails is first retried on the first ``RESTRICT`` of its interval: a
  sub-interval of a piece is a piece, so only the spectral test is redone.
* Second-order arc enclosure (Lemma A2, ``MovingBranchCheck._second_order``; n >= ``SECOND_ORDER_N``): the
  tangent on the arc refined to ``u'(t~) + S u''`` (``u''`` from ``J_u u'' = -D^2 f[z', z']``), and
  ``Df`` on the arc in ``(Df(z(t~)) + [0, h^2] g''/2) + s g'(t~)`` with a thin ``g'(t~)``: the moving
  discs of a plain piece that fails the first-order form are retried on this one.
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
inside the range without leaving the search box; neutral saddles the spectral Lemma cannot separate (e.g. a real pair
colliding with other eigenvalues near iR); zeros of ``g`` that are not simple, tangencies and
other pieces that fail down to the minimum width; proved points without an x-enclosure or
whose a-enclosure meets a range end; checks that need more than ``budget`` Krawczyk pieces
(default ``BUDGET``: deterministic work, not time; the reason says the budget stopped it).
Cost: O(n^3) ball arithmetic per plain piece (O(m^3) BLAS, only on Hopf pieces and fallbacks);
the ball evaluations of Df, B, Df_a and the spectral Lemma dominate.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, NamedTuple, Sequence

import flint
import numpy as np
from flint import arb, arb_mat

from ..runtime.arbtools import column, exact_ball, float_inverse, float_lower, float_upper, fraction, hull, identity
from ..runtime.fpbounds import up as fp_up
from ..runtime.npball import NBall, as_nball, intersect, nmul, nprod, scalar
from ..search.symmetry import is_odd   # exact (SymPy): Lemma M
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
#: Lemma A2 (``_arc_curve``, ``_second_order``) on systems with n >= SECOND_ORDER_N: the tangent on the arc
#: refined by ``u'(t~) + S u''``; plain pieces failing the first-order moving discs tried on the second-order
#: form. Below it the extra evaluations (C, B_a, Df_aa, B) cost more than the pieces they save (measured:
#: leaky50 907 -> 448 pieces, 44 -> 35 CPU s; the 6-d multilayer demo 520 -> 439 pieces, 10.6 -> 14.7 s)
SECOND_ORDER_N = 10
#: per-piece enclosures of Df on the arc (``_enclose_A``): "numpy" (numpy balls, a-priori rounding
#: bounds; the default) or "arb" (python-flint at ``prec`` bits: the reference the tests compare with)
PIECE_ARITHMETIC = "numpy"
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
                 prec: int, budget: int = BUDGET,
                 box: tuple[Sequence[Any], Sequence[Any]] | None = None) -> None:
        self.tube = Tube(system, prec)
        self.n = system.n
        #: the search box (exact lower and upper corners) for branches that leave it (module docstring)
        self.box = None if box is None else ([fraction(v) for v in box[0]], [fraction(v) for v in box[1]])
        #: each end of the float arc: None (a range end, or a closed branch) or the face ``(j, s)``
        #: (``x_j = lo_j`` for s = -1, ``hi_j`` for s = +1) the float arc crosses there (_cut)
        self.ends: list[tuple[int, int] | None] = [None, None]
        self.exits: list[dict[str, Any] | None] = [None, None]   # proved box exits (run): a-enclosure, face
        self.outside: list[int] = []   # proved points strictly outside the box (not claimed; box exits only)
        self.branch, self.proved, self.prec = branch, list(proved), prec
        self.a0, self.a1 = fraction(a_range[0]), fraction(a_range[1])
        self.A0, self.A1 = exact_ball(self.a0), exact_ball(self.a1)
        self.n_pieces = 0   # Krawczyk pieces tried
        self.budget = budget
        self.n_saddle_pieces = 0
        self.rel_w = 0.0   # last successful plain piece width / run span (step control)
        self.rel_cap = float("inf")   # last failed plain piece width / run span, grown after successes
        self.streak = 0               # successes since the last failed plain piece
        self.saddles: list[float] = []   # a of the float neutral saddles (zeros of g with a real pair)
        self.hopf_method = HOPF_METHOD
        self._points: dict[tuple[int, float], np.ndarray] = {}
        self.basis = Eigenbasis()            # float eigenvectors carried between plain pieces
        self._curve: tuple | None = None     # the last _enclose_A's piece and what _second_order needs

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

    def _at_range_end(self, z: np.ndarray) -> Fraction | None:
        """The exact range end at the float point ``z`` (an end of the float arc), else None."""
        a, L = float(z[self.n]), float(self.a1 - self.a0)
        return next((e for e in (self.a0, self.a1) if abs(a - float(e)) <= 1e-9 * L), None)

    def _cut(self, Z: np.ndarray, closed: bool) -> np.ndarray:
        """The part of the float arc to cover (in arc order). Unchanged when the arc is closed or both its
        ends are at range ends. Else (an end where the float continuation stopped inside the range, e.g.
        past 1.5 times the box), with ``self.box``: oriented to start at its range end if it has one, the
        arc is cut to its first stretch in the box: from its start, or from just before the box where it
        enters it, to just past the face it crosses when it first leaves the box. A float arc that comes
        back into the box after that fails: the branch record (its points, its candidates) holds both
        stretches, and the claim would cover only the first. ``self.ends`` records the faces of the cuts. Floats only: the tube then proves
        each cut end's slice strictly outside the box (``_exit``), or fails."""
        if closed:
            return Z
        stop = [self._at_range_end(Z[0]) is None, self._at_range_end(Z[-1]) is None]
        if not any(stop):
            return Z
        if self.box is None:
            self._range_end(Z[-1] if stop[1] else Z[0])   # raises: the arc stops inside the range
        if stop[0] and not stop[1]:
            Z, stop = Z[::-1], [False, True]   # start at the range end
        n = self.n
        blo, bhi = (np.array([float(v) for v in c]) for c in self.box)
        inside = np.all((Z[:, :n] >= blo) & (Z[:, :n] <= bhi), axis=1)
        first = np.nonzero(inside)[0]
        if not len(first):
            raise Fail("the search's float branch stops inside the range and has no point in the search box; "
                       "cannot cover the branch")
        i = int(first[0])
        if stop[0] and i == 0:
            self._range_end(Z[0])   # raises: the float arc stops inside the box
        out = np.nonzero(~inside[i:])[0]
        j = i + int(out[0]) if len(out) else None
        if stop[1] and j is None:
            self._range_end(Z[-1])  # raises: the float arc stops inside the box
        if j is not None and inside[j:].any():
            back = Z[j + int(np.nonzero(inside[j:])[0][0])]
            raise Fail(f"the search's float branch leaves the search box and comes back into it (at a ~ "
                       f"{float(back[n]):.12g}): only its first stretch in the box could be covered, and the "
                       "branch as recorded has both; cannot cover the branch")
        head, tail = [Z[0]], [Z[-1]]
        if i > 0:
            z, self.ends[0] = self._crossing(Z[i], Z[i - 1], blo, bhi)
            head = [z]
        if j is not None:
            z, self.ends[1] = self._crossing(Z[j - 1], Z[j], blo, bhi)
            tail = [z]
        return np.array(head + list(Z[i if i > 0 else 1: j if j is not None else len(Z) - 1]) + tail)

    def _crossing(self, zin: np.ndarray, zout: np.ndarray, blo: np.ndarray,
                  bhi: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
        """Float equilibrium on the branch between ``zin`` (in the box) and ``zout`` (outside) just past
        the face that ``zout`` violates most (relative to the box width): ``(z, (j, s))``."""
        n = self.n
        w = np.maximum(bhi - blo, 1e-300)
        viol = np.maximum((zout[:n] - bhi) / w, (blo - zout[:n]) / w)
        j = int(np.argmax(viol))
        s = 1 if zout[j] > bhi[j] else -1
        face = bhi[j] if s > 0 else blo[j]
        t = face + s * min(1e-6 * w[j], 0.5 * abs(zout[j] - face))
        th = (t - zin[j]) / (zout[j] - zin[j])
        guess = (1 - th) * zin + th * zout
        z = self.tube.point(j, float(t), guess)
        if z is None or not np.linalg.norm(z - guess) <= np.linalg.norm(zout - zin):
            raise Fail(f"float Newton failed where the branch leaves the search box (x{j} = {t:.17g})")
        return z, (j, s)

    def _runs(self, Z: np.ndarray, closed: bool) -> list[_Run]:
        n = self.n
        L = float(self.a1 - self.a0)
        span = np.ptp(Z, axis=0) + 1e-9 * (1 + np.abs(Z).max(axis=0))
        flat = np.ptp(Z, axis=0) <= 1e-9 * (1 + np.abs(Z).max(axis=0))   # constant up to float noise: no chart
        flat[n] = False
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
            if not closed and ((i == 0 and self.ends[0] is None) or (i == nseg - 1 and self.ends[1] is None)):
                charts.append(n)  # the arc's ends at range ends are a-charts
                continue
            d = (pts[i + 1] - pts[i]) / span
            # a coordinate that moves the same way at both ends and along the chord, as fast as possible
            good = np.where((np.sign(tang[i]) == np.sign(tang[i + 1])) & (np.sign(tang[i]) == np.sign(d)),
                            np.minimum(np.abs(tang[i]), np.abs(tang[i + 1])), 0.0)
            good[flat] = 0.0
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
            if not closed and i == 0:   # an arc end: the exact range end, or the float point past the box
                t_s = self._range_end(rp[0]) if self.ends[0] is None else t_s
            else:
                t_s = t_s - int(dk) * eta
            if not closed and j + 1 == nseg and self.ends[1] is None:
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
        e = self._at_range_end(z)
        if e is not None:
            return e
        a = float(z[self.n])
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
        ``solve_refined_nb`` with ``Df`` and ``f_a`` over the hull box (then TANGENT_PASSES refinements),
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
        du = as_nball(column(p.du)) if p.du is not None else solve_refined_nb(Ju, Jk, Y)
        if du is None:
            return None
        passes = 0 if p.du is not None else TANGENT_PASSES
        S = scalar(hull(p.lo, p.hi) - exact_ball(tm))
        x, a = self.tube.xa(self._kbox(p))
        Dfa = self.tube.apply_nb("Df_a_apply", x, a, I)
        second = n >= SECOND_ORDER_N
        faa = as_nball(ev.f_aa(x, a)) if passes or second else None
        curve = self._arc_curve(k, cen, Y, Ju, du, x, a, Dfa, faa, S) if second else None
        if curve is not None:
            du = curve[2]
        for it in range(passes + 1):
            xp, ap = self._tangent_xa(k, du)
            Ap = nmul(Dfa, ap) + self.tube.apply_nb("B", x, a, xp, I)
            if it == passes:
                break
            fap = nprod(Dfa, xp) + nmul(faa, ap)
            new = solve_refined_nb(*split_nb(k, D0 + nmul(Ap, S), fa0 + nmul(fap, S)), Y)
            if new is None:
                break
            du = intersect(du, new)
        self._curve = None if curve is None else (p, cen, curve, x, a, Dfa, S, Ap)
        p.A0 = D0
        p.Amv, p.Ap = D0 + nmul(Ap, S), Ap
        return p.Amv, p.Ap

    def _tangent_xa(self, k: int, u: NBall, zk: float = 1.0) -> tuple[NBall, NBall]:
        """(x', a') of the arc's tangent from its other coordinates u' (``z'_k = zk``: 1; 0 for ``z''``)."""
        n = self.n
        z = NBall(np.insert(u.mid, k, zk, axis=0), np.insert(u.rad, k, 0.0, axis=0))
        return NBall(z.mid[:n], z.rad[:n]), NBall(z.mid[n:], z.rad[n:])

    def _arc_curve(self, k: int, cen: tuple[NBall, NBall, arb_mat, arb], Y: np.ndarray, Ju: NBall, du: NBall,
                   x: arb_mat, a: arb, Dfa: NBall, faa: NBall, S: NBall) -> tuple[NBall, NBall, NBall] | None:
        """(u1, u2, du) of Lemma A2: ``u1`` holds the tangent ``u'(t~)``, ``u2`` holds ``u''`` at every arc
        point, ``du`` the tangent on the arc, ``du /\\ (u1 + S u2)`` (twice: u2 again from the new du)."""
        u1 = solve_refined_nb(*split_nb(k, cen[0], cen[1]), Y)
        if u1 is None:
            return None
        u2 = None
        for _ in range(2):
            xp, ap = self._tangent_xa(k, du)
            q = self.tube.apply_nb("B", x, a, xp, xp) + nmul(nprod(Dfa, xp), ap * 2.0) + nmul(faa, nmul(ap, ap))
            new = solve_refined_nb(Ju, q, Y)                  # -J_u^-1 q = u''
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
        piece of the last ``_enclose_A``, or None."""
        if self._curve is None or self._curve[0] is not p:
            return None
        _, cen, (u1, u2, du), x, a, Dfa, S, _ = self._curve
        n, k = self.n, p.k
        I = NBall(np.eye(n), 0.0)
        xc, ac = cen[2], cen[3]
        xp, ap = self._tangent_xa(k, du)
        xpp, app = self._tangent_xa(k, u2, 0.0)
        x1, a1 = self._tangent_xa(k, u1)
        A1 = nmul(self.tube.apply_nb("Df_a_apply", xc, ac, I), a1) + self.tube.apply_nb("B", xc, ac, x1, I)
        G2 = (self.tube.apply_nb("C", x, a, xp, xp, I) + nmul(self.tube.apply_nb("B_a", x, a, xp, I), ap * 2.0)
              + nmul(as_nball(self.tube.ev.Df_aa(x, a)), nmul(ap, ap)) + self.tube.apply_nb("B", x, a, xpp, I)
              + nmul(Dfa, app))
        if not (np.all(np.isfinite(A1.rad)) and np.all(np.isfinite(G2.rad))):
            return None
        h = self._half_width(p)
        h2 = scalar(arb(0).union(arb(h) * arb(h)))             # holds s^2 for every |s| <= h
        return cen[0] + nmul(G2 * 0.5, h2), A1

    def _centre(self, p: Piece, run: _Run, tm: Fraction, Y: np.ndarray) -> tuple[NBall, NBall, arb_mat, arb] | None:
        """(Df, f_a, x, a): Df and f_a over a box holding the arc's point ``z(t~)`` (``z_k = t~ = tm``), numpy
        balls, and (x, a) a thinner box holding it (the Krawczyk set below). Thin
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
                return (D, fa, *self.tube.xa(Z0))
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
        if moving_discs_ok(p.A0, enc[1], h, self.basis, where):
            return True
        second = self._second_order(p)
        if second is not None and moving_discs_ok(second[0], second[1], h, self.basis, where):
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
                raise Fail(f"could not isolate the zero of det(2 Df (.) I) at proved Hopf point {self._label(i)} "
                           f"(a in [{float(alo):.17g}, {float(ahi):.17g}]) in a tube piece whose box holds "
                           "its enclosure" + self._cut_note())
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
                f"{e.get('variable', 'x' + str(e['coordinate'] + 1))} = {float(Fraction(e['face'])):.6g}")
    return f"within the search box (it leaves the box at {' and at '.join(one(e) for e in exits)})"


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


def check_moving_branch(system: Any, branch: Any, proved: Sequence[Any], a_range: tuple[Any, Any],
                        prec: int = 128, budget: int | None = None,
                        box: tuple[Sequence[Any], Sequence[Any]] | None = None) -> TubeResult:
    """The tube check of a branch (module docstring); at most ``budget`` pieces (default BUDGET).
    ``box``: the search box (exact lower and upper corners); a branch whose float arc stops inside
    the range is then covered up to where it leaves the box (the claim is within the box)."""
    budget = BUDGET if budget is None else int(budget)
    chk = MovingBranchCheck(system, branch, proved, a_range, prec, budget, box)
    try:
        with flint.ctx.workprec(prec):
            pieces, cross = chk.run()
    except Fail as e:
        return TubeResult(False, str(e), [], chk.n_pieces, budget, isinstance(e, Budget))
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
