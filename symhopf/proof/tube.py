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

* Krawczyk tube, box test (thin ``T``; ``TUBE_TEST = "box"``). Centre ``z~`` (float
  equilibrium, ``z~_k`` = float midpoint of T), ``Y ~ J_u(z~)^-1``, ``U = u~ + [-r, r]``; with
  ``Z = (T at k, U)``: ``K = u~ - Y f(u~, T) + (I - Y J_u(Z)) (U - u~)``. If ``K`` is in the
  interior of ``U`` then for every ``t`` in ``T`` the map has exactly one zero in ``U``, it lies
  in ``K``, and every ``J_u`` in ``J_u(Z)`` is nonsingular (Krawczyk's theorem with ``t``
  frozen: ``K(U, t)`` is a subset of ``K``). ``r`` comes from the float tangent and epsilon
  inflation; K is then tightened by ``K <- K(K) /\\ K`` with the same ``J_u(Z)``. ``I - Y J_u(Z)``
  is O(h) (h the half width of T), which caps h near ``1 / (4 |Y| |D^2 f| |w|)``.
* Krawczyk tube, parametrised test (wide ``T``). Lemma P. Let ``t~`` be a float in T, ``s = t - t~``
  in ``S = T - t~``, ``|s| <= h``; ``z~`` a float point with ``z~_k = t~``, ``w`` a float vector with
  ``w_k = 1`` (the float tangent ``w_u = -J_u(z~)^-1 J_k(z~)``), ``u_c(s) = u~ + s w_u`` and
  ``U(s) = u_c(s) + V``, ``V = [-rho, rho]`` (balls). Let ``H`` be a box holding every
  ``z~ + s w + v`` (s in S, v in V_H, V_H containing V; here ``H = (T, u~ + S w_u + V_H)``), ``Y0, Y1, Gm``
  any float matrices and ``Y(s) = Y0 + s Y1``. With the balls
  ``F0 = f(z~)``, ``J0 = J_u(z~)``, ``f1 = Jz(z~) w``, ``G = D J_u(H)[w]``, ``f2 = D^2 f(H)[w, w] / 2``
  (``= D Jz(H)[w] w / 2``), ``W = D J_u(H)[V_H]`` (all from ``B``, ``Df_a``, ``f_aa``: ``D Jz[v] =
  [B(v_x, .) + v_a Df_a | Df_a v_x + v_a f_aa]``), ``S2 = [0, h^2]``, ``S3 = S2 S``:
  ``C = (I - Y0 J0) - (Y0 Gm + Y1 J0) S - Y1 Gm S2 - (Y0 + Y1 S) ((G - Gm) S + W)``,
  ``Kd = -(Y0 F0 + (Y0 f1 + Y1 F0) S + (Y0 f2 + Y1 f1) S2 + Y1 f2 S3) + C V``.
  If ``Kd`` lies in the interior of ``V`` then for every t in T exactly one zero of
  ``f(t, .)`` lies in ``U(s)``, it lies in ``u_c(s) + Kd``, and every ``J_u`` on ``U(s)`` is
  nonsingular.
  Proof. Fix s. For ``z = z~ + s w + v`` (v in V, v_k = 0), entrywise mean values on the segment
  from z~ (in H, convex) give ``J_u(z) = J0' + s Gm + s (G' - Gm) + W'`` with ``J0'`` in J0, ``G'``
  in G, ``W'`` in W; expanding ``I - Y(s) J_u(z)`` term by term (each s replaced by S or
  ``s^2`` by S2 only enlarges) shows it lies in C. Taylor's formula with integral remainder,
  ``f(z~ + s w) = f(z~) + s Jz(z~) w + s^2 int_0^1 (1 - r) D^2 f(z~ + r s w)[w, w] dr``, puts
  ``f(u_c(s), t)`` in ``F0 + s f1 + s^2 f2`` (the weight 1 - r >= 0 integrates to 1/2), so
  ``Y(s) f(u_c(s), t)`` lies in the bracket. Hence Krawczyk's operator of ``f(t, .)`` on ``U(s)``
  with centre ``u_c(s)`` and preconditioner ``Y(s)`` lies in ``u_c(s) + Kd``, inside the interior
  of ``U(s)``: Krawczyk's theorem. With ``Y1 = -Y0 Gm Y0``, ``Gm ~ D J_u(z~)[w]`` the s-term
  ``-(Y0 Gm + Y1 J0) = -Y0 Gm (I - Y0 J0)`` is at rounding level and ``G - Gm`` is O(h), so ``C`` is
  O(h^2 + rho) and ``Kd`` O(h^2) (constants from the second and third derivatives), where the box
  test's ``I - Y J_u(Z)`` is O(h). Consequences used: the zeros over T form the graph of a C^1 map
  (IFT; the zero is in the interior of ``U(s)``); the *uniqueness region* of the piece is the
  slanted tube ``{u - u~ - s w_u in V}`` (``Slant``); when moreover ``||I - Y0 J_u(T, U)||_inf < 1``
  on the axis hull ``U = u~ + S w_u + V_H`` (joined with a box to cover), every ``J_u`` there is
  nonsingular, so two zeros in ``U`` at one t coincide (row-wise mean values on their segment):
  ``U`` itself is then the uniqueness region (``Tube.krawczyk`` requires it: global_.py). ``K``
  = ``u~ + S w_u + Kd`` (tightened by ``Kd <- (-Y f + C Kd) /\\ Kd``) holds the arc.
  Lemma T (tangent). At every arc point ``u' = w_u + e`` with ``J_u e = -Jz w`` and ``Jz(z) w`` in
  ``f1 + 2 S f2 + W_full w`` (the same mean values); ``e = -Y(s) Jz w + (I - Y(s) J_u) e``, so with
  ``c = ||C||_inf < 1``: ``|e| <= ||Y(s) Jz w|| / (1 - c)`` (the Lemma below), then
  ``e <- (-Y Jz w + C e) /\\ e``. ``Piece.du`` holds ``w_u + e``.
* Links. For consecutive pieces P, Q (arc order) a thin Krawczyk test (T = {t}) encloses an
  equilibrium; lying in P's uniqueness region it is P's end point; it must lie in Q's region, so
  it is on Q's arc too (uniqueness in each region, ``Piece.holds``). Same chart and Q starting exactly where P ends: the two arcs
  cover the point's two sides. Otherwise (a chart change, with Q's interval extended a
  little backwards) P's end must lie strictly inside Q's chart interval and Q's start
  strictly inside P's: each end point of every piece, except the arc's two ends at the
  range ends, is an interior point of Gamma, which is what the component argument in (2)
  needs.
* Ball linear solves (Lemma). For a ball matrix ``D``, ball right-hand side ``b`` and float
  ``Y``: if ``e = ||I - Y D||_inf < 1`` then every matrix in ``D`` is nonsingular and
  ``D^-1 b`` lies in ``Y b + (I - Y D) [-rho, rho]^m``, ``rho = ||Y b||_inf / (1 - e)``
  (from ``z = Y b + (I - Y D) z``).
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

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any, NamedTuple, Sequence

import flint
import numpy as np
from flint import acb_mat, arb, arb_mat

from ..runtime.ball import dense
from ..runtime.arbtools import (all_finite, approximate_inverse, column, exact_ball, exact_bounds, float_inverse,
                               float_lower, float_matrix, float_upper, fraction, hull, identity, norm_inf_upper)
from ..runtime.fpbounds import ETA, U, abs1, gamma, up as fp_up
from ..runtime.npball import NBall, as_nball, intersect, nmul, nprod, scalar, to_acb
from .piece_spectrum import Eigenbasis, moving_discs_ok, moving_hopf_ok, piece_spectrum, touching_isolated

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
#: Krawczyk test of a tube piece: "parametrised" (centre line and preconditioner moving with t) or
#: "box" (one axis box, one preconditioner: the earlier test, kept for thin T and for comparison)
TUBE_TEST = "parametrised"
#: half widths of T at most THIN (1 + |t~|) go to the box test (cheaper, and as good there)
THIN = 1e-10
#: radii of the parametrised test's hull: HULL times the first tube radii (room for epsilon inflation)
HULL = 2.5
#: first tube radii: RHO0 times the float estimate of |Y f| per coordinate plus RHO1 times its largest
#: (C couples the coordinates); with HULL, about 1.1 hull evaluations per piece (RG-flow, multilayer)
RHO0, RHO1 = 4.0, 1.0
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


# --------------------------------------------------------------------------- spectral lemma
def _offs(B: NBall) -> np.ndarray:
    """Upper bounds of the off-diagonal row sums of |B| over the ball B."""
    T = abs1(B.mid) + B.rad
    np.fill_diagonal(T, 0.0)
    return fp_up(T.sum(axis=1), T.shape[1] + 2)


def _discs(B: NBall) -> tuple[list[complex], list[float]]:
    """Row Gershgorin discs (float centre, upward-rounded radius) of every matrix in the ball B."""
    rs = fp_up(np.diag(B.rad) + _offs(B), 2)
    return [complex(c) for c in np.diag(B.mid)], [float(r) for r in rs]


def _moving_off_axis(B0: NBall, B1: NBall, p: int, h: float, off0: np.ndarray, off1: np.ndarray) -> bool:
    """Disc p of ``B0 + s B1`` has real part of one sign for every ``s`` in [-h, h] (the Lemma's
    parametrised form): ``Re(B0_pp + s B1_pp) -+ (R0 + R1 |s|)`` is concave in s, so its extreme over
    [-h, h] is at s = +-h (R0, R1: off-diagonal row sums of |B0|, |B1|)."""
    rad = arb(float(off0[p])) + arb(float(off1[p])) * arb(h)
    c0, c1 = to_acb(B0.mid[p, p], B0.rad[p, p]), to_acb(B1.mid[p, p], B1.rad[p, p])
    vals = [(c0 + c1 * arb(sg * h)).real for sg in (-1.0, 1.0)]
    return all(v > rad for v in vals) or all(v < -rad for v in vals)


def spectral_ok(A: NBall | arb_mat, A0: NBall | arb_mat | None = None, A1: NBall | arb_mat | None = None,
                h: float = 0.0) -> tuple[bool, int]:
    """Lemma (no eigenvalue on iR \\ {0}). Let ``A`` be a real ball matrix, ``V`` a float (complex)
    eigenvector matrix of its midpoint and ``B = V^-1 A V`` (ball inverse: V is proved nonsingular,
    so every matrix in A is similar to one in B). Let ``D_p`` be the Gershgorin discs (rows, or else
    columns) of B, centre ``c_p``, radius ``R_p`` (the ball radii included). Call ``D_p``
    *touching* when ``|Re c_p| <= R_p``; replace each touching disc by the real-centred disc
    ``F_p = {|z - Re c_p| <= R_p + |Im c_p|}`` (a superset), and let ``F_q = D_q`` otherwise. If every
    touching ``F_p`` is disjoint from all ``F_q`` (q != p), then no matrix in A has an eigenvalue in
    ``iR \\ {0}``.

    Proof. Fix a matrix in A, similar to some B' in B; B''s Gershgorin discs lie in the ``F``. The
    eigenvalues lie in the union of the discs; those in a non-touching disc have real part != 0.
    For touching p, B''s disc p is disjoint from its other discs, so (Gershgorin's counting theorem)
    it holds exactly one eigenvalue lambda and ``F_p`` holds no other. A is real, so conj(lambda) is
    an eigenvalue, in ``conj(F_p) = F_p``: conj(lambda) = lambda, lambda is real. So an eigenvalue on
    iR is real, i.e. 0.

    Parametrised form: when every matrix of interest is ``A0 + s A1`` for some s in [-h, h] (a
    mean-value enclosure along the arc, ``A`` containing all of them), a disc is also non-touching
    when ``_moving_off_axis`` holds for ``V^-1 A0 V``, ``V^-1 A1 V`` (the disc of each matrix
    ``V^-1 (A0 + s A1) V`` stays on one side of iR; its radius is at most ``R0 + R1 |s|``).

    Returns (proved, number of touching discs). A touching disc is a real eigenvalue that the test
    could not keep off iR: a neutral saddle (real pair r, -r: ``det(2 Df (.) I) = 0``) passes."""
    Am = as_nball(A if A0 is None else A0).mid
    try:
        ev, V = np.linalg.eig(Am)
    except np.linalg.LinAlgError:
        return False, 0
    if not np.all(np.isfinite(V)):
        return False, 0
    Vb = acb_mat([[complex(v) for v in row] for row in V])
    try:
        Vi = as_nball(Vb.inv())
    except (ZeroDivisionError, ValueError):
        return False, 0
    Vn = NBall(V, 0.0)

    def similar(X: NBall | arb_mat) -> NBall:        # V^-1 X V for every matrix of the ball X
        return nprod(Vi, nprod(as_nball(X), Vn))

    def tp(X: NBall) -> NBall:
        return NBall(X.mid.T, X.rad.T)

    B = similar(A)
    Bs = None if A0 is None else (similar(A0), similar(A1))
    for tr in (False, True):
        Bt = tp(B) if tr else B
        cs, rs = _discs(Bt)
        if not all(math.isfinite(r) for r in rs):
            continue
        touch = [abs(c.real) <= r for c, r in zip(cs, rs)]
        if Bs is not None and any(touch):
            B0, B1 = (tp(Bs[0]), tp(Bs[1])) if tr else Bs
            off0, off1 = _offs(B0), _offs(B1)
            touch = [t and not _moving_off_axis(B0, B1, p, h, off0, off1) for p, t in enumerate(touch)]
        if touching_isolated(cs, rs, touch):
            return True, sum(touch)
    return False, 0


def _solve_refined(Ju: arb_mat, Jk: arb_mat, iters: int = 12) -> list[arb] | None:
    """Enclosure of ``-Ju^-1 Jk`` (a column) for every matrix in the balls: the Lemma, then
    ``z <- (Y b + (I - Y D) z) /\\ z`` (every solution satisfies ``z = Y b + (I - Y D) z``)."""
    n = Ju.nrows()
    Yb = approximate_inverse(Ju)
    if Yb is None:
        return None
    E = identity(n) - Yb * Ju
    e = norm_inf_upper(E)
    if not e < 1:
        return None
    b = Yb * (-Jk)
    rho = float_upper(max((abs(b[i, 0]) for i in range(n)), key=float_upper) / (arb(1) - arb(e))) if n else 0.0
    z0 = b + E * column([arb(0, rho)] * n)            # the Lemma
    z = [z0[i, 0] for i in range(n)]
    for _ in range(iters):
        zn = b + E * column(z)
        z = [zi.intersection(zn[i, 0]) for i, zi in enumerate(z)]
    return z


def _rho(bmax: float, e: float) -> float:
    """An upper bound of ``bmax / (1 - e)`` (0 <= e < 1; each rounding errs by at most u)."""
    return float(np.nextafter(bmax / ((1 - e) * (1 - 4 * U)) * (1 + 4 * U), np.inf))


def split_nb(k: int, D: NBall, fa: NBall) -> tuple[NBall, NBall]:
    """(J_u, J_k) in numpy balls: the columns of ``Jz = [Df | f_a]`` other than k, and column k."""
    mid, rad = np.hstack([D.mid, fa.mid]), np.hstack([D.rad, fa.rad])
    o = [j for j in range(mid.shape[1]) if j != k]
    return NBall(mid[:, o], rad[:, o]), NBall(mid[:, k:k + 1], rad[:, k:k + 1])


def solve_refined_nb(Ju: NBall, Jk: NBall, Y: np.ndarray | None = None, iters: int = 12) -> NBall | None:
    """``_solve_refined`` in numpy balls: an n x 1 ball holding ``-J_u^-1 J_k`` for every matrix of
    the balls. With a float ``Y`` (default ``inv(mid J_u)``; any Y serves), ``C = I - Y J_u`` (a ball:
    nprod), ``E = |mid C| + rad C >= |I - Y J_u'|`` and ``e = ||E||_inf < 1``, every solution z satisfies
    ``z = b + C z``, ``b = -Y J_k``, so ``||z|| <= ||b|| / (1 - e)`` (the Lemma) and z lies in
    ``b + E [-rho, rho]``; then ``z <- (b + C z) /\\ z`` (npball.intersect) while some radius shrinks by 1%."""
    n = Ju.nrows()
    Y = float_inverse(Ju.mid) if Y is None else Y
    if Y is None or not np.all(np.isfinite(Y)):
        return None
    Yb = NBall(Y, 0.0)
    C = NBall(np.eye(n), 0.0) - nprod(Yb, Ju)
    E = fp_up(np.abs(C.mid) + C.rad, 1)
    e = float(fp_up(E.sum(axis=1), n + 1).max(initial=0.0))
    if not e < 1:
        return None
    b = nprod(Yb, -Jk)
    if not (np.all(np.isfinite(b.mid)) and np.all(np.isfinite(b.rad))):
        return None
    rho = _rho(float(fp_up(np.abs(b.mid) + b.rad, 1).max(initial=0.0)), e)
    z = NBall(b.mid, fp_up(b.rad + rho * E.sum(axis=1)[:, None], n + 3))
    for _ in range(iters):
        zn = intersect(z, b + nprod(C, z))
        done = bool(np.all(zn.rad >= 0.99 * z.rad))      # less than 1% tighter anywhere: stop
        z = zn
        if done:
            break
    return z


# --------------------------------------------------------------------------- bialternate
@lru_cache(maxsize=None)
def _bialt_structure(n: int) -> tuple[tuple[tuple[int, int, tuple[tuple[int, int, int], ...]], ...], int]:
    """Nonzero entries of 2A (.) I: (row, col, ((sign, i, j), ...)) meaning sum sign * A[i, j]."""
    pairs = [(p, q) for p in range(n) for q in range(p)]
    out = []
    for R, (p, q) in enumerate(pairs):
        for C, (r, s) in enumerate(pairs):
            terms = []
            if s == q:
                terms.append((1, p, r))
            if s == p:
                terms.append((-1, q, r))
            if r == p:
                terms.append((1, q, s))
            if r == q:
                terms.append((-1, p, s))
            if terms:
                out.append((R, C, tuple(terms)))
    return tuple(out), len(pairs)


@lru_cache(maxsize=None)
def _bialt_index(n: int) -> tuple[np.ndarray, ...]:
    """Rows, columns, signs and A-indices of the terms of 2A (.) I, as flat arrays."""
    st, m = _bialt_structure(n)
    flat = [(r, c, sg, i, j) for r, c, terms in st for sg, i, j in terms]
    R, C, S, I, J = np.array(flat, dtype=int).reshape(-1, 5).T   # n = 1: no terms, 0 x 0
    return R, C, S, I, J, m


def bialt_float(A: np.ndarray) -> np.ndarray:
    R, C, S, I, J, m = _bialt_index(A.shape[0])
    M = np.zeros((m, m), dtype=A.dtype)
    np.add.at(M, (R, C), S * A[I, J])
    return M


def bialt_nball(A: NBall) -> NBall:
    """``2A (.) I`` for every matrix of the ball A (numpy balls): each entry is a signed sum of at
    most four entries of A, so its rounding errs by at most gamma_4 times their moduli' sum."""
    R, C, S, I, J, m = _bialt_index(A.nrows())
    mid, rad, ab = np.zeros((m, m)), np.zeros((m, m)), np.zeros((m, m))
    np.add.at(mid, (R, C), S * A.mid[I, J])
    np.add.at(rad, (R, C), A.rad[I, J])
    np.add.at(ab, (R, C), np.abs(A.mid[I, J]))
    return NBall(mid, fp_up(rad + gamma(4) * ab, 8))


def _contraction(Y: np.ndarray, D: NBall) -> np.ndarray:
    """Entrywise upper bound of ``|I - Y D'|`` for every matrix D' in the ball D (float Y; fpbounds
    Lemma 1 for ``fl(Y mid D)``, one more rounding for the subtraction)."""
    k = D.mid.shape[0]
    Ya = np.abs(Y)
    E = np.eye(k) - Y @ D.mid
    return fp_up(np.abs(E) * (1 + U) + gamma(k) * (Ya @ np.abs(D.mid)) + k * ETA + Ya @ D.rad, k + 6)


def _contracts(D: NBall) -> tuple[np.ndarray, np.ndarray, float] | None:
    """``(Y, |I - Y D| bound, its inf-norm bound)`` with ``Y = inv(mid D)``, or None if not finite."""
    Y = float_inverse(D.mid)
    if Y is None:
        return None
    E = _contraction(Y, D)
    return Y, E, float(fp_up(E.sum(axis=1), E.shape[1] + 1).max())


def lemma_solve_nb(D: NBall, b: np.ndarray) -> NBall | None:
    """Enclosure of ``D'^-1 b`` (b an exact float vector) for every matrix D' in the ball D: the
    Lemma (module docstring) in numpy balls; None when ``||I - Y D|| < 1`` is not proved."""
    got = _contracts(D)
    if got is None or not got[2] < 1:
        return None
    Y, E, e = got
    k = len(b)
    yb = Y @ b
    yerr = fp_up(gamma(k) * (np.abs(Y) @ np.abs(b)) + k * ETA, k + 2)
    rho = _rho(float(fp_up(np.abs(yb) + yerr, 1).max()), e)
    return NBall(yb[:, None], fp_up(yerr + rho * E.sum(axis=1), k + 2)[:, None])


def _bordered_nb(M: NBall, b: np.ndarray, c: np.ndarray) -> NBall:
    """``N = [[M, b], [c^T, 0]]`` (b, c exact floats)."""
    m = M.nrows()
    mid = np.zeros((m + 1, m + 1))
    rad = np.zeros((m + 1, m + 1))
    mid[:m, :m], rad[:m, :m] = M.mid, M.rad
    mid[:m, m], mid[m, :m] = b, c
    return NBall(mid, rad)


def bialt_ball(A: arb_mat) -> arb_mat:
    st, m = _bialt_structure(A.nrows())
    M = arb_mat(m, m)
    for R, C, terms in st:
        sg, i, j = terms[0]
        v = A[i, j] if sg > 0 else -A[i, j]
        for sg, i, j in terms[1:]:
            v = v + A[i, j] if sg > 0 else v - A[i, j]
        M[R, C] = v
    return M


# --------------------------------------------------------------------------- pieces
class Slant(NamedTuple):
    """The region ``{(t, u) : u - c - (t - t0) w in V}`` (other coordinates, in order; t0, c, w floats)."""

    t0: float
    c: list[float]
    w: list[float]
    V: list[arb]


@dataclass
class Piece:
    """Chart ``k``, ``T = [lo, hi]``, arc direction ``d`` (+1: t increases along the arc); ``hull`` an
    axis box holding the arc over T and ``K`` the enclosure of the arc (other coordinates, in order).
    The uniqueness region (for each t in T exactly one equilibrium in it, the arc's point): ``hull``
    when ``slant`` is None, else the slanted tube ``slant`` (test membership with ``holds``)."""

    k: int
    lo: Fraction
    hi: Fraction
    d: int
    hull: list[arb]
    K: list[arb]
    D: arb_mat | None = None    # Df over the box (T at k, hull)
    fa: arb_mat | None = None   # f_a over the box
    kind: str = "plain"
    index: int | None = None
    Amv: NBall | arb_mat | None = None  # cached (_enclose_A)
    A0: NBall | arb_mat | None = None
    Ap: NBall | arb_mat | None = None
    du: list[arb] | None = None  # u' (other coordinates, z'_k = 1) at every arc point, or None (Tube.piece)
    slant: Slant | None = None

    def holds(self, Z: Sequence[arb]) -> bool:
        """Every point of the box Z (all n + 1 coordinates) lies in the piece's uniqueness region
        (z_k in [lo, hi] and the other coordinates in ``hull``, or in the slanted tube): an equilibrium
        in Z is then the arc's point at its z_k."""
        k = self.k
        b = exact_bounds(Z[k])
        if b is None or not (self.lo <= b[0] and b[1] <= self.hi):
            return False
        o = [j for j in range(len(Z)) if j != k]
        if self.slant is None:
            return all(h.contains(Z[j]) for h, j in zip(self.hull, o))
        t0, c, w, V = self.slant
        S = Z[k] - arb(t0)
        return all(v.contains(Z[j] - arb(cj) - S * arb(wj)) for v, cj, wj, j in zip(V, c, w, o))

    def end(self) -> Fraction:
        return self.hi if self.d > 0 else self.lo

    def start(self) -> Fraction:
        return self.lo if self.d > 0 else self.hi


@dataclass
class _Run:
    k: int
    d: int
    pts: np.ndarray       # float points of the arc in this run, in arc order
    lo: Fraction          # chart interval covered (exact ends at the range ends)
    hi: Fraction
    span: float           # scale of coordinate k


def _parametrised(T: arb) -> bool:
    """Whether a piece over T takes the parametrised test: TUBE_TEST allows it and T is wider than THIN."""
    tt = float(T.mid())
    h = max(float_upper(T) - tt, tt - float_lower(T), 0.0)
    return TUBE_TEST == "parametrised" and h > THIN * (1 + abs(tt))


class Tube:
    """Float and ball evaluations in charts of ``z = (x, a)``."""

    def __init__(self, system: Any, prec: int) -> None:
        self.flt, self.n, self.prec = system.flt, system.n, prec
        self.ev = system.ball(prec)

    # ---- floats
    def Jz(self, z: np.ndarray) -> np.ndarray:
        x, a = z[: self.n], float(z[self.n])
        return np.hstack([self.flt.Df(x, a), self.flt.f_a(x, a)[:, None]])

    def others(self, k: int) -> list[int]:
        return [i for i in range(self.n + 1) if i != k]

    def point(self, k: int, t: float, guess: np.ndarray, tol: float = 1e-13) -> np.ndarray | None:
        """Float equilibrium with ``z_k = t`` by Newton from ``guess``."""
        o = self.others(k)
        z = np.array(guess, float)
        z[k] = t
        for _ in range(30):
            F = self.flt.f(z[: self.n], float(z[self.n]))
            if not np.all(np.isfinite(F)):
                return None
            try:
                du = np.linalg.solve(self.Jz(z)[:, o], -F)
            except np.linalg.LinAlgError:
                return None
            z[o] += du
            if np.linalg.norm(du) <= tol * (1 + np.linalg.norm(z)):
                return z
        F = self.flt.f(z[: self.n], float(z[self.n]))
        return z if np.linalg.norm(F) <= 1e-9 * (1 + np.linalg.norm(z)) else None

    def g(self, z: np.ndarray) -> float:
        return float(np.linalg.det(bialt_float(self.flt.Df(z[: self.n], float(z[self.n])))))

    # ---- balls
    def full(self, k: int, T: arb, U: Sequence[arb]) -> list[arb]:
        v = list(U)
        v.insert(k, T)
        return v

    def xa(self, Z: Sequence[arb]) -> tuple[arb_mat, arb]:
        return column(Z[: self.n]), Z[self.n]

    def split(self, k: int, D: arb_mat, fa: arb_mat) -> tuple[arb_mat, arb_mat]:
        """(J_u, J_k) from ``Df`` and ``f_a`` (the columns of ``Jz`` other than k, and column k)."""
        n = self.n
        if k == n:
            return D, fa
        full = [[D[i, j] for j in range(n)] + [fa[i, 0]] for i in range(n)]
        o = self.others(k)
        return arb_mat([[row[j] for j in o] for row in full]), arb_mat([[row[k]] for row in full])

    def krawczyk(self, k: int, T: arb, zc: np.ndarray, tries: int = 8,
                 cover: tuple[np.ndarray, np.ndarray] | None = None
                 ) -> tuple[list[arb], list[arb], arb_mat, arb_mat] | None:
        """(U, K, Df(box), f_a(box)), ``box`` = (T at k, U), or None: for every ``t`` in ``T`` exactly one
        zero ``(t, u)`` with ``u`` in ``U``, it lies in ``K`` (a subset of U), and every ``J_u`` in
        ``J_u(box)`` is nonsingular. ``cover``: float bounds (lo, hi) of all n + 1 coordinates of a box
        that U must hold (a proved point's enclosure, a box of the global check). A wide ``T`` goes to
        the parametrised test (``_moving_krawczyk``, module docstring), a thin one (and every one when
        ``TUBE_TEST == "box"``) to the box test (``_box_krawczyk``); the two state the same. With ``cover``
        and a wide T the box test is tried first (the global check's boxes: fat, not thin tubes)."""
        if _parametrised(T):
            if cover is not None:   # a fat box to hold (the global check's): the box test first, as before
                res = self._box_krawczyk(k, T, zc, tries, cover)
                if res is not None:
                    return res
            res = self._moving_krawczyk(k, T, zc, tries, cover, False)
            return None if res is None else res[:4]
        return self._box_krawczyk(k, T, zc, tries, cover)

    def piece(self, k: int, T: arb, zc: np.ndarray, tries: int = 8,
              cover: tuple[np.ndarray, np.ndarray] | None = None
              ) -> tuple[list[arb], list[arb], arb_mat, arb_mat, list[arb] | None, Slant | None] | None:
        """A tube piece: ``krawczyk``'s (U, K, Df(box), f_a(box)), an enclosure of the arc's tangent ``u'``
        (other coordinates, ``z'_k = 1``) at every point of the arc over T (None from the box test) and
        the uniqueness region: U when the last item is None, else that slanted tube (U then only
        holds the arc). ``cover`` (a proved point's box) then lies in the slanted tube."""
        if _parametrised(T):
            return self._moving_krawczyk(k, T, zc, tries, cover, True)
        res = self._box_krawczyk(k, T, zc, tries, cover)
        return None if res is None else (*res, None, None)

    def _dJz_float(self, z: np.ndarray, v: np.ndarray) -> np.ndarray:
        """``D Jz(z)[v]`` in floats (n x (n+1)): ``[B(v_x, .) + v_a Df_a | Df_a v_x + v_a f_aa]``."""
        n, x, a = self.n, z[: self.n], float(z[self.n])
        Dfa = self.flt.Df_a(x, a)
        left = self.flt.B(x, a, v[:n], np.eye(n)) + v[n] * Dfa
        return np.hstack([left, (Dfa @ v[:n] + v[n] * self.flt.f_aa(x, a))[:, None]])

    def _dJz(self, x: arb_mat, a: arb, Dfa: arb_mat, faa: arb_mat, v: Sequence[arb]) -> tuple[arb_mat, arb_mat]:
        """``D Jz[v]`` over the box (x, a) for every v in the balls ``v`` (all n + 1 coordinates), as
        (n x n part, column of a): ``B(v_x, .) + v_a Df_a``, ``Df_a v_x + v_a f_aa`` (bilinear in v)."""
        vx, va = column(v[: self.n]), v[self.n]
        return self.ev.B(x, a, vx, identity(self.n)) + Dfa * va, Dfa * vx + faa * va

    def _moving_krawczyk(self, k: int, T: arb, zc: np.ndarray, tries: int,
                         cover: tuple[np.ndarray, np.ndarray] | None, slanted: bool
                         ) -> tuple[list[arb], list[arb], arb_mat, arb_mat, list[arb] | None, Slant | None] | None:
        """The parametrised Krawczyk test (module docstring, "Krawczyk tube"): centre line
        ``z~ + s w``, tube ``u~ + s w_u + V``, preconditioner ``Y0 + s Y1``. ``U`` is the tube's hull
        (joined with ``cover``); it is the uniqueness region when ``J_u`` is proved regular on (T, U);
        else, if ``slanted``, the slanted tube is (then ``cover`` must lie in it), else None."""
        n, o, ev = self.n, self.others(k), self.ev
        tt = float(T.mid())
        z0 = np.array(zc, float)
        z0[k] = tt
        Jzc = self.Jz(z0)
        Y0 = float_inverse(Jzc[:, o])
        if Y0 is None:
            return None
        w = np.zeros(n + 1)
        w[k] = 1.0
        w[o] = -Y0 @ Jzc[:, k]
        Gf = self._dJz_float(z0, w)
        Y1 = -Y0 @ Gf[:, o] @ Y0
        f2f = 0.5 * (Gf @ w)
        if not (np.all(np.isfinite(Y0)) and np.all(np.isfinite(Y1)) and np.all(np.isfinite(f2f))):
            return None
        tb = arb(tt)
        S = T - tb
        h = float_upper(abs(S))
        S2 = arb(0).union(arb(float_upper(arb(h) * arb(h))))      # holds s^2 for every s in S
        S3 = S2 * S
        ub = [arb(float(v)) for v in z0[o]]
        wb = [arb(float(v)) for v in w]
        wo = [wb[j] for j in o]
        x0, a0 = self.xa(self.full(k, tb, ub))
        F0 = ev.f(x0, a0)
        J0, Jk0 = self.split(k, ev.Df(x0, a0), ev.f_a(x0, a0))
        Y0b, Y1b = float_matrix(Y0), float_matrix(Y1)
        Gm = float_matrix(Gf[:, o])
        f1 = J0 * column(wo) + Jk0                                   # Jz(z~) w: rounding level
        P0, P1, P2 = Y0b * F0, Y0b * f1 + Y1b * F0, Y1b * f1
        I = identity(n)
        E0 = I - Y0b * J0
        C1 = -(Y0b * Gm + Y1b * J0)                                   # cancels to rounding (Y1 = -Y0 G Y0)
        C2 = -(Y1b * Gm)
        Ys = Y0b + Y1b * S
        uabs = np.abs(z0[o])
        eps = 1e-14 * (1 + uabs) + 1e-300
        est = (np.abs(Y0 @ f2f) * h * h + np.abs(Y1 @ f2f) * h ** 3
               + np.array([float_upper(abs(P0[i, 0]) + abs(P1[i, 0]) * arb(h) + abs(P2[i, 0]) * S2)
                           for i in range(n)]))
        rho = RHO0 * est + RHO1 * est.max() + eps
        if slanted and cover is not None:   # the cover box inside the tube: |z_o - u~ - (z_k - t~) w_u| < rho
            Sc = hull(float(cover[0][k]), float(cover[1][k])) - tb
            dev = [float_upper(abs(hull(float(cover[0][j]), float(cover[1][j])) - u - Sc * wj))
                   for j, u, wj in zip(o, ub, wo)]
            rho = np.maximum(rho, np.array(dev) * (1 + 1e-6) + eps)
        for _ in range(3):                   # hull rebuilds (rho outgrew the hull's radii)
            rhoH = HULL * rho
            if not np.all(np.isfinite(rhoH)):
                return None
            VH = [arb(0, float(r)) for r in rhoH]
            Ut = [u + S * wj + v for u, wj, v in zip(ub, wo, VH)]
            xH, aH = self.xa(self.full(k, T, Ut))
            Dfa, faa = ev.Df_a(xH, aH), ev.f_aa(xH, aH)
            Gl, Gr = self._dJz(xH, aH, Dfa, faa, wb)                 # D Jz(H)[w]
            f2 = (Gl * column(wb[:n]) + Gr * wb[n]) * arb(0.5)       # D^2 f(H)[w, w] / 2
            Gu = self.split(k, Gl, Gr)[0]
            Vfull = list(VH)
            Vfull.insert(k, arb(0))
            DJVl, DJVr = self._dJz(xH, aH, Dfa, faa, Vfull)            # D Jz(H)[v], v in V_H
            DJV = self.split(k, DJVl, DJVr)[0]
            U = Ut
            if cover is not None:
                U = [u.union(hull(float(cover[0][j]), float(cover[1][j]))) for u, j in zip(Ut, o)]
            # Jz over the whole axis box (T, U), not the mean value form Df(z~) + D Jz(H)[s w + v]:
            # that holds on the slanted tube only, and regularity must hold on all of U
            xU, aU = self.xa(self.full(k, T, U))
            D, fa = ev.Df(xU, aU), ev.f_a(xU, aU)
            regular = norm_inf_upper(I - Y0b * self.split(k, D, fa)[0]) < 1
            if not (regular or slanted):
                return None                  # J_u not proved regular on the box: no uniqueness in U
            Cb = E0 + C1 * S + C2 * S2 - Ys * ((Gu - Gm) * S)
            mYF = -(P0 + P1 * S + (Y0b * f2 + P2) * S2 + (Y1b * f2) * S3)
            for _ in range(tries):
                V = [arb(0, float(r)) for r in rho]
                if not all(vh.contains(v) for vh, v in zip(VH, V)):
                    break
                # V in c V_H, so D Jz(H)[v] (linear in v, V_H symmetric) lies in c D Jz(H)[V_H]
                c = arb(max(float_upper(arb(v.rad()) / arb(vh.rad())) for v, vh in zip(V, VH)))
                C = Cb - Ys * (DJV * c)
                Kc = mYF + C * column(V)
                Kd = [Kc[i, 0] for i in range(n)]
                if not all_finite(Kd):
                    return None
                if all(v.contains_interior(kd) for v, kd in zip(V, Kd)):
                    for _ in range(2):       # every zero of the slice lies in u_c(s) + (-Y f + C Kd)
                        K2 = mYF + C * column(Kd)
                        Kd = [kd.intersection(K2[i, 0]) for i, kd in enumerate(Kd)]
                    K = [(u + S * wj + kd).intersection(Ui) for u, wj, kd, Ui in zip(ub, wo, Kd, U)]
                    slant = None if regular else Slant(tt, [float(v) for v in z0[o]], [float(v) for v in w[o]], V)
                    return U, K, D, fa, self._tangent_tube(k, S, wb, Ys, C, f1, f2, DJVl * c, DJVr * c), slant
                dev = np.array([float_upper(abs(kd)) for kd in Kd])
                with np.errstate(over="ignore"):
                    rho = np.maximum(rho, 1.5 * dev + eps)      # epsilon inflation
            else:
                return None
        return None

    def _tangent_tube(self, k: int, S: arb, wb: list[arb], Ys: arb_mat, C: arb_mat, f1: arb_mat, f2: arb_mat,
                      Vl: arb_mat, Vr: arb_mat) -> list[arb] | None:
        """Enclosure of the tangent ``u' = w_u + e`` at every arc point of a parametrised piece (module
        docstring, Lemma T): ``J_u e = -Jz w``, ``Jz w`` in ``f1 + 2 s f2 + D Jz(H)[V] w``, solved by
        the Lemma with ``Y(s)`` and the contraction C; None when ``||C|| < 1`` is not proved. ``Vl, Vr``:
        ``D Jz(H)[v]`` for v in V (both parts)."""
        n = self.n
        c = norm_inf_upper(C)
        if not c < 1:
            return None
        wx, wa = column(wb[: n]), wb[n]
        b = Ys * (f1 + f2 * (S * 2) + Vl * wx + Vr * wa)            # Y(s) Jz(z) w
        if not all_finite([b[i, 0] for i in range(n)]):
            return None                 # (a nan would be skipped by max below)
        eps = max((float_upper(abs(b[i, 0])) for i in range(n)), default=0.0)
        eps = float_upper(arb(eps) / (1 - arb(c)))
        e = [-b[i, 0] + arb(0, eps) * arb(c) for i in range(n)]       # -Y r + C [-eps, eps] (rows: |C| <= c)
        for _ in range(4):
            en = -b + C * column(e)
            e = [ei.intersection(en[i, 0]) for i, ei in enumerate(e)]
        wo = [wb[j] for j in self.others(k)]
        return [wj + ei for wj, ei in zip(wo, e)]

    def _box_krawczyk(self, k: int, T: arb, zc: np.ndarray, tries: int,
                      cover: tuple[np.ndarray, np.ndarray] | None
                      ) -> tuple[list[arb], list[arb], arb_mat, arb_mat] | None:
        """The box test (module docstring): one ball Jacobian per try; K is then tightened by
        ``K <- K(K) /\\ K`` with the same Jacobian (valid: every zero in U lies in K, and K(X) holds the
        zeros in X); with ``cover`` U's radii start at least that large, whatever the tangent says."""
        n, o = self.n, self.others(k)
        uc = zc[o]
        Jzc = self.Jz(zc)
        Y = float_inverse(Jzc[:, o])
        if Y is None:
            return None
        Yb = float_matrix(Y)
        ucb = [arb(float(v)) for v in uc]
        uccol = column(ucb)
        tm = arb(float(T.mid()))
        x, a = self.xa(self.full(k, tm, ucb))
        YF = Yb * self.ev.f(x, a)
        h = max(float_upper(T) - float(T.mid()), float(T.mid()) - float_lower(T), 0.0)
        if h > 0:
            # centred form of Y f(u~, T): Y f(u~, t~) + (Y J_k(u~, T)) (T - t~)
            xt, at = self.xa(self.full(k, T, ucb))
            if k == n:
                Jk = self.ev.f_a(xt, at)
            else:
                Dt = self.ev.Df(xt, at)
                Jk = column([Dt[i, k] for i in range(n)])
            YF = YF + (Yb * Jk) * (T - tm)
        tang = np.abs(Y @ Jzc[:, k])
        eps = 1e-14 * (1 + np.abs(uc)) + 1e-300
        r = 2.0 * tang * h + 0.05 * float(tang.max()) * h + eps
        if cover is not None:
            r = np.maximum(r, np.nextafter(np.maximum(cover[1][o] - uc, uc - cover[0][o]), np.inf) * (1 + 1e-6))
        I = identity(n)
        base = uccol - YF
        for _ in range(tries):
            U = [arb(float(c), float(ri)) for c, ri in zip(uc, r)]
            xb, ab = self.xa(self.full(k, T, U))
            D, fa = self.ev.Df(xb, ab), self.ev.f_a(xb, ab)
            Ju, _ = self.split(k, D, fa)
            C = I - Yb * Ju
            Kc = base + C * column([arb(0, float(ri)) for ri in r])
            K = [Kc[i, 0] for i in range(n)]
            if not all_finite(K):
                return None
            if all(Ui.contains_interior(Ki) for Ui, Ki in zip(U, K)):
                for _ in range(3):
                    K2c = base + C * column([Ki - c for Ki, c in zip(K, ucb)])
                    K = [Ki.intersection(K2c[i, 0]) for i, Ki in enumerate(K)]
                return U, K, D, fa
            dev = np.array([float_upper(abs(Ki - c)) for Ki, c in zip(K, ucb)])
            with np.errstate(over="ignore"):
                r = np.maximum(r, 1.5 * dev + eps)  # epsilon inflation
            if not np.all(np.isfinite(r)):
                return None
        return None


# --------------------------------------------------------------------------- the checker
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
        D0, fa0 = res[2], res[3]
        S = hull(p.lo, p.hi) - exact_ball(tm)
        du = p.du if p.du is not None else _solve_refined(*self.tube.split(k, p.D, p.fa))
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
