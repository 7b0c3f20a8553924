"""Krawczyk tube pieces around an equilibrium branch: for every ``t`` in a chart interval ``T`` exactly
one equilibrium in a region, enclosed, with ``J_u`` nonsingular (the pieces tube.py chains into arcs).

Notation (as tube.py). ``z = (x, a)`` in R^(n+1); ``Jz(z) = [Df | f_a]`` (n x (n+1)). A *chart* is a
coordinate ``k`` of ``z`` (``k = n``: the parameter ``a``); ``u`` denotes the other n coordinates and
``J_u`` the columns of ``Jz`` other than ``k``. Ball arithmetic at ``prec`` bits; ``Y`` always a float
approximate inverse.

Krawczyk tube, box test (thin ``T``; ``TUBE_TEST = "box"``). Centre ``z~`` (float
equilibrium, ``z~_k`` = float midpoint of T), ``Y ~ J_u(z~)^-1``, ``U = u~ + [-r, r]``; with
``Z = (T at k, U)``: ``K = u~ - Y f(u~, T) + (I - Y J_u(Z)) (U - u~)``. If ``K`` is in the
interior of ``U`` then for every ``t`` in ``T`` the map has exactly one zero in ``U``, it lies
in ``K``, and every ``J_u`` in ``J_u(Z)`` is nonsingular (Krawczyk's theorem with ``t``
frozen: ``K(U, t)`` is a subset of ``K``). ``Y f(u~, T)`` is enclosed in centred form, ``Y f(u~, t~) + (Y
J_k(Z)) (T - t~)``, with Z widened to ``(T u t~, U)`` (mean values from the float t~; a superset keeps every
statement). ``r`` comes from the float tangent, the Newton residual ``|Y f(u~, t~)|`` and epsilon
inflation; K is then tightened by ``K <- K(K) /\\ K`` with the same ``J_u(Z)``. ``I - Y J_u(Z)``
is O(h) (h the half width of T), which caps h near ``1 / (4 |Y| |D^2 f| |w|)``.

Krawczyk tube, parametrised test (wide ``T``). Lemma P. Let ``t~`` be a float in T, ``s = t - t~``
in ``S = T - t~``, ``|s| <= h``; ``z~`` a float point with ``z~_k = t~``, ``w`` a float vector with
``w_k = 1`` (the float tangent ``w_u = -Y0 J_k``, Y0 and J_k from ``Tube._float_jacobian``), ``u_c(s) = u~ + s w_u`` and
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
of ``U(s)``: Krawczyk's theorem. With ``Y1 = -Y0 Gm Y0``, ``Gm ~ D J_u(z~)[w]`` (a forward difference) the s-term
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
``e <- (-Y Jz w + C e) /\\ e``. ``Piece.du`` holds ``w_u + e``. ``Y(s) Jz w`` is enclosed as ``b0 + S b1``,
``b1 = Y1 f1 + 2 Y0 f2``, ``b0 = Y0 f1 + 2 S2 Y1 f2 + Y(s) W_full w`` (the products with the ball f2 taken before
the multiplication by S keep the signs of ``Y0 f2``), and ``Piece.du`` (a ``Tangent``) keeps the Taylor form
``u'(t) - w_u in (t - t~) (-b1) + (-b0 + C e)``.

Arithmetic (``TUBE_ARITHMETIC``). The statements above hold for any enclosures of the balls they name.
"numpy" (the default from n >= NUMPY_N): every n x n matrix is a numpy ball (runtime/npball.py: midpoint, radius); the ball
evaluations take numpy ball directions (``Tube.apply_nb``: ``Df = Df_apply(I)``, ``Df_a_apply(I)``,
``B(v, I)``; the generated code multiplies by BLAS) and every sum and product carries the a-priori
rounding bounds of fpbounds (Lemma 1: ``|fl(A B) - A B| <= gamma_k |A| |B| + k eta``; Lemma 2: a
non-negative float expression rounded up by ``up``) through npball.nadd / nmul / nprod; a test
``|Kd| < rho`` compares Lemma 2's upper bound of ``|mid| + rad`` with rho. The boxes ``V``, ``V_H`` and
``U`` are built as arb balls first and their radii read back (``_balls``: python-flint rounds a float
radius up to 30 bits, by at least one unit), so the arb balls of the slanted tube and of the box test are
exactly the sets the Lemma used (and the hull's hold them); ``K``, ``Kd`` and ``du`` leave as arb balls holding
the numpy balls (midpoint exact, radius rounded up). O(n^3) BLAS per piece instead of O(n^3) python-flint
products. "arb": python-flint balls at ``prec`` bits (the reference the tests compare with).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NamedTuple, Sequence

import numpy as np
from flint import arb, arb_mat

from ..runtime.arbtools import (all_finite, column, exact_bounds, float_inverse, float_lower,
                               float_upper, hull, identity, norm_inf_upper)
from ..runtime.ball import dense
from ..runtime.fpbounds import up as fp_up
from ..runtime.npball import NBall, as_nball, hstack, intersect, nmul, nprod, scalar
from .ball_solve import contraction_bound, contraction_times, fixed_point_nb
from .bialternate import bialt_float

#: Krawczyk test of a tube piece: "parametrised" (centre line and preconditioner moving with t) or
#: "box" (one axis box, one preconditioner: the earlier test, kept for thin T and for comparison)
TUBE_TEST = "parametrised"
#: arithmetic of the tests: "numpy" (numpy balls, a-priori rounding bounds: runtime/npball.py), "arb"
#: (python-flint balls at ``prec`` bits: the reference the tests compare with) or "auto" (the default:
#: numpy from n >= NUMPY_N, where its BLAS products win; below, numpy's per-call overhead costs more:
#: RG-flow, n = 4, 13.5 s with arb against 19.9 s with numpy)
TUBE_ARITHMETIC = "auto"
NUMPY_N = 16
#: half widths of T at most THIN (1 + |t~|) go to the box test (cheaper, and as good there)
THIN = 1e-10
#: radii of the parametrised test's hull: HULL times the first tube radii (room for epsilon inflation)
HULL = 2.5
#: first tube radii: RHO0 times the float estimate of |Y f| per coordinate plus RHO1 times its largest
#: (C couples the coordinates); with HULL, about 1.1 hull evaluations per piece (RG-flow, multilayer)
RHO0, RHO1 = 4.0, 1.0
#: Tube.point: Newton steps until a step is below CHORD (1 + |z|), then chord steps (one Jacobian)
CHORD = 1e-7
#: relative step of the forward difference that estimates ``D Jz(z~)[w]`` (the parametrised test's Gm)
FD_STEP = 1.5e-8


class Slant(NamedTuple):
    """The region ``{(t, u) : u - c - (t - t0) w in V}`` (other coordinates, in order; t0, c, w floats)."""

    t0: float
    c: list[float]
    w: list[float]
    V: list[arb]


class Tangent(list):
    """Lemma T's enclosure of the tangent ``u'`` (other coordinates) at every arc point of a piece (a list of balls)
    and its Taylor form ``taylor = (t0, w, E1, E0)``: ``u'(t) - w_u`` lies in ``(t - t0) E1 + E0`` for every arc point
    (t0 and ``w``, with ``w_k = 1``, floats; E1, E0 n x 1 numpy balls of the other coordinates). Lemma T: ``e(s) =
    -b(s) + C(s) e(s)`` with ``b(s) = b0(s) + s b1(s)``, ``b0(s) in b0 = Y0 f1 + 2 S2 Y1 f2 + Y(s) D Jz(H)[V] w``,
    ``b1(s) in b1 = Y1 f1 + 2 Y0 f2``, ``C(s)`` in C and ``e(s)`` in e, so ``e(s)`` lies in ``s (-b1) + (-b0 + C e)``."""

    taylor: tuple[float, np.ndarray, NBall, NBall]

    def __init__(self, balls: Sequence[arb], taylor: tuple[float, np.ndarray, NBall, NBall]) -> None:
        super().__init__(balls)
        self.taylor = taylor


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
    D: NBall | arb_mat | None = None    # Df over the box (T at k, hull): numpy balls when the numpy test made it
    fa: NBall | arb_mat | None = None   # f_a over the box
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
        self.eye = NBall(np.eye(self.n), 0.0)
        self.flint_only: set[str] = set()   # evaluators that take no numpy ball directions (apply_nb)
        self._jacobians: dict[tuple[int, bytes], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}   # point's last
        self._select: dict[int, tuple[arb_mat, arb_mat, arb_mat]] = {}     # split's 0/1 matrices per chart

    # ---- floats
    def Jz(self, z: np.ndarray) -> np.ndarray:
        x, a = z[: self.n], float(z[self.n])
        return np.hstack([self.flt.Df(x, a), self.flt.f_a(x, a)[:, None]])

    def others(self, k: int) -> list[int]:
        return [i for i in range(self.n + 1) if i != k]

    def point(self, k: int, t: float, guess: np.ndarray, tol: float = 1e-13) -> np.ndarray | None:
        """Float equilibrium with ``z_k = t`` from ``guess``: Newton steps, then chord steps (the last
        Jacobian kept) once a step is below CHORD (1 + |z|) and while each step is at most half the
        one before; stops when a step is below ``tol (1 + |z|)``. The last Jacobian, the point it was
        evaluated at and its inverse are remembered for the tests' float preconditioners (``_float_jacobian``)."""
        n, o = self.n, self.others(k)
        z = np.array(guess, float)
        z[k] = t
        J = Y = None
        last = np.inf
        for _ in range(30):
            F = self.flt.f(z[:n], float(z[n]))
            if not np.all(np.isfinite(F)):
                return None
            if Y is None:
                zj, J = z.copy(), self.Jz(z)
                Y = float_inverse(J[:, o])
                if Y is None:
                    return None
            du = -(Y @ F)
            z[o] += du
            step, scale = float(np.linalg.norm(du)), 1 + float(np.linalg.norm(z))
            if not np.isfinite(step):
                return None
            if step <= tol * scale:
                self._remember(k, z, zj, J, Y)
                return z
            if step > CHORD * scale or step > 0.5 * last:
                Y = None                     # a Newton step next
            last = step
        F = self.flt.f(z[:n], float(z[n]))
        return z if np.linalg.norm(F) <= 1e-9 * (1 + np.linalg.norm(z)) else None

    def _remember(self, k: int, z: np.ndarray, zj: np.ndarray, J: np.ndarray, Y: np.ndarray) -> None:
        if len(self._jacobians) >= 16:
            self._jacobians.clear()
        self._jacobians[(k, z.tobytes())] = (zj, J, Y)

    def _float_jacobian(self, k: int, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """``(zj, Jz(zj), J_u(zj)^-1)`` (floats; the inverse None when singular or not finite) with zj near z:
        the one ``point`` remembered when it returned z in chart k (zj within CHORD (1 + |z|) of z), else
        ``zj = z``. Floats only: the tests take any float preconditioner, its accuracy affects only success."""
        hit = self._jacobians.get((k, np.asarray(z, float).tobytes()))
        if hit is not None:
            return hit
        J = self.Jz(z)
        return np.array(z, float), J, float_inverse(J[:, self.others(k)])

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
        """(J_u, J_k) from ``Df`` and ``f_a`` (the columns of ``Jz`` other than k, and column k): products
        with 0/1 matrices (every entry one entry of D or fa plus exact zeros: a ball containing that entry, as
        every ball product contains the exact one; python-flint may move the midpoint of a ball much wider
        than its midpoint, within a radius grown by less than 2^-20 relative; a nan spoils its row)."""
        if k == self.n:
            return D, fa
        sel = self._select.get(k)
        if sel is None:
            n, o = self.n, self.others(k)
            P = arb_mat([[1 if j == o[c] else 0 for c in range(n)] for j in range(n)])
            E = arb_mat([[1 if c == n - 1 else 0 for c in range(n)]])
            sel = self._select[k] = (P, E, arb_mat([[1 if j == k else 0] for j in range(n)]))
        P, E, ek = sel
        return D * P + fa * E, D * ek

    def krawczyk(self, k: int, T: arb, zc: np.ndarray, tries: int = 8,
                 cover: tuple[np.ndarray, np.ndarray] | None = None
                 ) -> tuple[list[arb], list[arb], NBall | arb_mat, NBall | arb_mat] | None:
        """(U, K, Df(box), f_a(box)), ``box`` holding (T at k, U) (numpy balls, or arb with TUBE_ARITHMETIC = "arb"), or None: for every ``t`` in ``T`` exactly one
        zero ``(t, u)`` with ``u`` in ``U``, it lies in ``K`` (a subset of U), and every ``J_u`` in
        ``J_u(box)`` is nonsingular. ``cover``: float bounds (lo, hi) of all n + 1 coordinates of a box
        that U must hold (a proved point's enclosure, a box of the global check). A wide ``T`` goes to
        the parametrised test (``_moving_krawczyk``, module docstring), a thin one (and every one when
        ``TUBE_TEST == "box"``) to the box test (``_box_krawczyk``); the two state the same. With ``cover``
        and a wide T the box test is tried first (the global check's boxes: fat, not thin tubes)."""
        box, moving = self._tests()
        if _parametrised(T):
            if cover is not None:   # a fat box to hold (the global check's): the box test first, as before
                res = box(k, T, zc, tries, cover)
                if res is not None:
                    return res
            res = moving(k, T, zc, tries, cover, False)
            return None if res is None else res[:4]
        return box(k, T, zc, tries, cover)

    def piece(self, k: int, T: arb, zc: np.ndarray, tries: int = 8,
              cover: tuple[np.ndarray, np.ndarray] | None = None
              ) -> tuple[list[arb], list[arb], NBall | arb_mat, NBall | arb_mat, list[arb] | None, Slant | None] | None:
        """A tube piece: ``krawczyk``'s (U, K, Df(box), f_a(box)), an enclosure of the arc's tangent ``u'``
        (other coordinates, ``z'_k = 1``) at every point of the arc over T (None from the box test) and
        the uniqueness region: U when the last item is None, else that slanted tube (U then only
        holds the arc). ``cover`` (a proved point's box) then lies in the slanted tube."""
        box, moving = self._tests()
        if _parametrised(T):
            return moving(k, T, zc, tries, cover, True)
        res = box(k, T, zc, tries, cover)
        return None if res is None else (*res, None, None)

    def _tests(self):
        """(box test, parametrised test) in the arithmetic TUBE_ARITHMETIC selects."""
        if TUBE_ARITHMETIC == "arb" or (TUBE_ARITHMETIC == "auto" and self.n < NUMPY_N):
            return self._box_krawczyk_arb, self._moving_krawczyk_arb
        return self._box_krawczyk_nb, self._moving_krawczyk_nb

    def _dJz(self, x: arb_mat, a: arb, Dfa: arb_mat, faa: arb_mat, v: Sequence[arb]) -> tuple[arb_mat, arb_mat]:
        """``D Jz[v]`` over the box (x, a) for every v in the balls ``v`` (all n + 1 coordinates), as
        (n x n part, column of a): ``B(v_x, .) + v_a Df_a``, ``Df_a v_x + v_a f_aa`` (bilinear in v)."""
        vx, va = column(v[: self.n]), v[self.n]
        return self.ev.B(x, a, vx, identity(self.n)) + Dfa * va, Dfa * vx + faa * va

    def _centre_line(self, k: int, T: arb, zc: np.ndarray
                     ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                arb, float, arb] | None:
        """Floats of the parametrised test (module docstring) and the balls of s:
        ``(t~, z~, w, Gm, Y0, Y1, f2~, S, h, S2)`` with t~ the float midpoint of T, ``Y0 ~ J_u(z~)^-1`` (from
        ``_float_jacobian``), ``Gm ~ D Jz(z~)[w]`` (a forward difference of float Jacobians),
        ``Y1 = -Y0 Gm Y0``, ``f2~ = D Jz(z~)[w] w / 2`` (estimates), ``S = T - t~``, a float ``h >= |S|`` and
        ``S2 = [0, h^2]`` (holds s^2 for every s in S); None when not finite."""
        n, o = self.n, self.others(k)
        tt = float(T.mid())
        z0 = np.array(zc, float)
        z0[k] = tt
        zj, Jzc, Y0 = self._float_jacobian(k, zc)
        if Y0 is None:
            return None
        w = np.zeros(n + 1)
        w[k] = 1.0
        w[o] = -Y0 @ Jzc[:, k]
        # Gm ~ D Jz(zj)[w] by a forward difference (one float Jacobian; any float Gm serves Lemma P)
        with np.errstate(all="ignore"):
            d = FD_STEP * (1 + float(np.abs(zj).max())) / float(np.abs(w).max())
            Gf = (self.Jz(zj + d * w) - Jzc) / d
            Y1 = -Y0 @ Gf[:, o] @ Y0
            f2f = 0.5 * (Gf @ w)
        if not (np.all(np.isfinite(Y0)) and np.all(np.isfinite(Y1)) and np.all(np.isfinite(f2f))):
            return None
        S = T - arb(tt)
        h = float_upper(abs(S))
        return tt, z0, w, Gf, Y0, Y1, f2f, S, h, arb(0).union(arb(float_upper(arb(h) * arb(h))))

    def _first_radii(self, k: int, z0: np.ndarray, w: np.ndarray, Y0: np.ndarray, Y1: np.ndarray,
                     f2f: np.ndarray, h: float, cover: tuple[np.ndarray, np.ndarray] | None,
                     psize: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(first tube radii rho, epsilon) of the parametrised test: RHO0 times the float estimate of
        ``|Y f|`` per coordinate (``psize``: sizes of ``|P0| + |P1| h + |P2| h^2``) plus RHO1 times its largest;
        with ``cover`` (slanted pieces) at least the cover box's distance from the centre line
        ``|z_o - u~ - (z_k - t~) w_u|`` (ball arithmetic, enlarged by 1e-6: the cover then lies in the tube)."""
        o = self.others(k)
        eps = 1e-14 * (1 + np.abs(z0[o])) + 1e-300
        with np.errstate(over="ignore", invalid="ignore"):    # beyond the float range: inf radii, the test fails
            hh = np.float64(h)
            est = np.abs(Y0 @ f2f) * hh * hh + np.abs(Y1 @ f2f) * hh ** 3 + psize
        rho = RHO0 * est + RHO1 * est.max() + eps
        if cover is not None:
            Sc = hull(float(cover[0][k]), float(cover[1][k])) - arb(float(z0[k]))
            dev = [float_upper(abs(hull(float(cover[0][j]), float(cover[1][j])) - arb(float(z0[j])) - Sc * arb(float(w[j]))))
                   for j in o]
            rho = np.maximum(rho, np.array(dev) * (1 + 1e-6) + eps)
        return rho, eps

    def _moving_krawczyk_arb(self, k: int, T: arb, zc: np.ndarray, tries: int,
                         cover: tuple[np.ndarray, np.ndarray] | None, slanted: bool
                         ) -> tuple[list[arb], list[arb], arb_mat, arb_mat, list[arb] | None, Slant | None] | None:
        """The parametrised Krawczyk test (module docstring, "Krawczyk tube"): centre line
        ``z~ + s w``, tube ``u~ + s w_u + V``, preconditioner ``Y0 + s Y1``. ``U`` is the tube's hull
        (joined with ``cover``); it is the uniqueness region when ``J_u`` is proved regular on (T, U);
        else, if ``slanted``, the slanted tube is (then ``cover`` must lie in it), else None."""
        n, o, ev = self.n, self.others(k), self.ev
        line = self._centre_line(k, T, zc)
        if line is None:
            return None
        tt, z0, w, Gf, Y0, Y1, f2f, S, h, S2 = line
        tb = arb(tt)
        S3 = S2 * S
        ub = [arb(float(v)) for v in z0[o]]
        wb = [arb(float(v)) for v in w]
        wo = [wb[j] for j in o]
        x0, a0 = self.xa(self.full(k, tb, ub))
        F0 = ev.f(x0, a0)
        J0, Jk0 = self.split(k, ev.Df(x0, a0), ev.f_a(x0, a0))
        Y0b, Y1b, Gm = arb_mat(Y0.tolist()), arb_mat(Y1.tolist()), arb_mat(Gf[:, o].tolist())   # exact floats
        f1 = J0 * column(wo) + Jk0                                   # Jz(z~) w: rounding level
        P0, P1, P2 = Y0b * F0, Y0b * f1 + Y1b * F0, Y1b * f1
        I = identity(n)
        E0 = I - Y0b * J0
        C1 = -(Y0b * Gm + Y1b * J0)                                   # cancels to rounding (Y1 = -Y0 G Y0)
        C2 = -(Y1b * Gm)
        Ys = Y0b + Y1b * S
        rho, eps = self._first_radii(k, z0, w, Y0, Y1, f2f, h, cover if slanted else None,
                                     np.array([float_upper(abs(P0[i, 0]) + abs(P1[i, 0]) * arb(h) + abs(P2[i, 0]) * S2)
                                               for i in range(n)]))
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
            Y0f2, Y1f2 = Y0b * f2, Y1b * f2
            mYF = -(P0 + P1 * S + (Y0f2 + P2) * S2 + Y1f2 * S3)
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
                    # Y(s) Jz w in Lemma T's order: Y0 f1 + S (Y1 f1 + 2 Y0 f2) + 2 S2 Y1 f2 + Y(s) D Jz(H)[V] w
                    wx, wa = column(wb[:n]), wb[n]
                    b1 = P2 + Y0f2 * 2
                    b0 = Y0b * f1 + (Y1f2 * 2) * S2 + Ys * ((DJVl * c) * column(wb[:n]) + (DJVr * c) * wb[n])
                    got = self._tangent_tube_arb(k, wb, C, b0 + b1 * S)
                    du = None if got is None else Tangent(got[0], (tt, w, as_nball(-b1), as_nball(-b0 + C * column(got[1]))))
                    return U, K, D, fa, du, slant
                dev = np.array([float_upper(abs(kd)) for kd in Kd])
                with np.errstate(over="ignore"):
                    rho = np.maximum(rho, 1.5 * dev + eps)      # epsilon inflation
            else:
                return None
        return None

    def _tangent_tube_arb(self, k: int, wb: list[arb], C: arb_mat, b: arb_mat) -> tuple[list[arb], list[arb]] | None:
        """Enclosure of the tangent ``u' = w_u + e`` at every arc point of a parametrised piece (module
        docstring, Lemma T): ``J_u e = -Jz w``, ``b`` a ball holding ``Y(s) Jz(z) w`` for every arc point,
        solved by the Lemma with the contraction C; (``w_u + e``, e) or None when ``||C|| < 1`` is not proved."""
        n = self.n
        c = norm_inf_upper(C)
        if not c < 1:
            return None
        if not all_finite([b[i, 0] for i in range(n)]):
            return None                 # (a nan would be skipped by max below)
        eps = max((float_upper(abs(b[i, 0])) for i in range(n)), default=0.0)
        eps = float_upper(arb(eps) / (1 - arb(c)))
        e = [-b[i, 0] + arb(0, eps) * arb(c) for i in range(n)]       # -Y r + C [-eps, eps] (rows: |C| <= c)
        for _ in range(4):
            en = -b + C * column(e)
            e = [ei.intersection(en[i, 0]) for i, ei in enumerate(e)]
        wo = [wb[j] for j in self.others(k)]
        return [wj + ei for wj, ei in zip(wo, e)], e

    def _box_krawczyk_arb(self, k: int, T: arb, zc: np.ndarray, tries: int,
                      cover: tuple[np.ndarray, np.ndarray] | None
                      ) -> tuple[list[arb], list[arb], arb_mat, arb_mat] | None:
        """The box test (module docstring): one ball Jacobian per try; K is then tightened by
        ``K <- K(K) /\\ K`` with the same Jacobian (valid: every zero in U lies in K, and K(X) holds the
        zeros in X); with ``cover`` U's radii start at least that large, whatever the tangent says.
        ``f(u~, T)`` in centred form with ``J_k`` over the try's box ``(T u t~, U)`` (it holds the segments from
        (t~, u~) to (t, u~); Df, f_a are returned over it); the first radii at least twice ``|Y f(u~, t~)|``
        (the Newton residual)."""
        n, o = self.n, self.others(k)
        uc = zc[o]
        _, Jzc, Y = self._float_jacobian(k, zc)
        if Y is None:
            return None
        Yb = arb_mat(Y.tolist())
        ucb = [arb(float(v)) for v in uc]
        uccol = column(ucb)
        tm = arb(float(T.mid()))
        Tk = T.union(tm)      # the mean values run from t~ (a float: outside a T thinner than its ulp) to t
        x, a = self.xa(self.full(k, tm, ucb))
        YF0 = Yb * self.ev.f(x, a)
        h = max(float_upper(T) - float(T.mid()), float(T.mid()) - float_lower(T), 0.0)
        tang = np.abs(Y @ Jzc[:, k])
        eps = 1e-14 * (1 + np.abs(uc)) + 1e-300
        res = np.array([float_upper(abs(YF0[i, 0])) for i in range(n)])
        with np.errstate(over="ignore", invalid="ignore"):
            r = np.maximum(2.0 * tang * h + 0.05 * float(tang.max()) * h, 2.0 * res) + eps
        if cover is not None:
            r = np.maximum(r, np.nextafter(np.maximum(cover[1][o] - uc, uc - cover[0][o]), np.inf) * (1 + 1e-6))
        I = identity(n)
        for _ in range(tries):
            if not np.all(np.isfinite(r)):
                return None
            U = [arb(float(c), float(ri)) for c, ri in zip(uc, r)]
            xb, ab = self.xa(self.full(k, Tk, U))
            D, fa = self.ev.Df(xb, ab), self.ev.f_a(xb, ab)
            Ju, Jk = self.split(k, D, fa)
            # Y f(u~, t) for t in T: Y f(u~, t~) + (Y J_k(T u t~, U)) (T - t~) (mean values; u~ lies in U)
            base = uccol - (YF0 + (Yb * Jk) * (T - tm) if h > 0 else YF0)
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
        return None

    # ---- numpy balls (TUBE_ARITHMETIC = "numpy")
    def apply_nb(self, name: str, x: arb_mat, a: arb, *dirs: NBall) -> NBall:
        """``ev.name(x, a, *dirs)`` as a numpy ball: the generated code on numpy ball directions
        (structured code: BLAS products, runtime/ball.py), else (code that needs python-flint
        matrices) on the same balls as python-flint matrices, converted (npball.as_nball)."""
        if name not in self.flint_only:
            try:
                out = getattr(self.ev, name)(x, a, *dirs)
            except (TypeError, AttributeError):
                out = None
            if isinstance(out, NBall):
                return out
            self.flint_only.add(name)
        return as_nball(dense(getattr(self.ev, name)(x, a, *(d.to_mat() for d in dirs))))

    def _dJz_nb(self, x: arb_mat, a: arb, Dfa: NBall, faa: NBall, v: NBall) -> tuple[NBall, NBall]:
        """``_dJz`` in numpy balls, v an (n + 1) x 1 ball: ``B(v_x, .) + v_a Df_a``, ``Df_a v_x + v_a f_aa``
        (npball.nprod / nmul / nadd: a-priori rounding bounds, fpbounds Lemmas 1 and 2)."""
        n = self.n
        vx, va = NBall(v.mid[:n], v.rad[:n]), NBall(v.mid[n:], v.rad[n:])
        return self.apply_nb("B", x, a, vx, self.eye) + nmul(Dfa, va), nprod(Dfa, vx) + nmul(faa, va)

    @np.errstate(over="ignore", invalid="ignore")   # inf / nan are caught by the finiteness tests
    def _moving_krawczyk_nb(self, k: int, T: arb, zc: np.ndarray, tries: int,
                            cover: tuple[np.ndarray, np.ndarray] | None, slanted: bool
                            ) -> tuple[list[arb], list[arb], NBall, NBall, list[arb] | None, Slant | None] | None:
        """``_moving_krawczyk_arb`` (Lemma P, module docstring) with every matrix in numpy balls: the
        ball evaluations ``Df``, ``Df_a``, ``B(v, I)`` on numpy ball directions (``apply_nb``), the
        products by npball.nprod / nmul / nadd (fpbounds Lemma 1 for ``fl(X Y)``, Lemma 2 for every
        radius), the norm ``||I - Y0 J_u(T, U)||`` by ball_solve.contraction_times (Lemma 1, then Lemma 2).
        ``V = [-rho, rho]`` and ``V_H`` built as arb balls with their radii read back (``_balls``), so the slanted
        tube's ``V`` is exactly the set the Lemma used and the hull's balls are those of the test; ``K``, ``du`` and ``Kd``
        leave as arb balls holding the numpy balls (``_ball``). Returns ``Df``, ``f_a`` over (T, U) as
        numpy balls."""
        n, o, ev, I = self.n, self.others(k), self.ev, self.eye
        line = self._centre_line(k, T, zc)
        if line is None:
            return None
        tt, z0, w, Gf, Y0, Y1, f2f, S, h, S2 = line
        tb = arb(tt)
        Sn, S2n, S3n = scalar(S), scalar(S2), scalar(S2 * S)
        ub = [arb(float(v)) for v in z0[o]]
        wo = w[o]
        wob = [arb(float(v)) for v in wo]
        x0, a0 = self.xa(self.full(k, tb, ub))
        F0 = as_nball(ev.f(x0, a0))
        J0, Jk0 = split_nb(k, self.apply_nb("Df_apply", x0, a0, I), as_nball(ev.f_a(x0, a0)))
        Y0b, Y1b, Gm = NBall(Y0, 0.0), NBall(Y1, 0.0), NBall(Gf[:, o], 0.0)
        wx, wa = NBall(w[:n, None], 0.0), scalar(float(w[n]))
        f1 = nprod(J0, NBall(wo[:, None], 0.0)) + Jk0                 # Jz(z~) w: rounding level
        # Y0 and Y1 stacked: one product per block (nprod bounds each entry by itself, whatever the order BLAS sums in)
        Yst = NBall(np.vstack([Y0, Y1]), 0.0)
        A, YG = nprod(Yst, hstack([J0, F0, f1])), nprod(Yst, Gm)     # Gm exact: no radius product
        Y0J0, P0, Y0f1 = _sub(A, 0, n, 0, n), _sub(A, 0, n, n, n + 1), _sub(A, 0, n, n + 1, n + 2)
        Y1J0, Y1F0, P2 = _sub(A, n, 2 * n, 0, n), _sub(A, n, 2 * n, n, n + 1), _sub(A, n, 2 * n, n + 1, n + 2)
        Y0Gm, Y1Gm = _sub(YG, 0, n, 0, n), _sub(YG, n, 2 * n, 0, n)
        P1 = Y0f1 + Y1F0
        E0 = I - Y0J0
        C1 = -(Y0Gm + Y1J0)                                          # cancels to rounding (Y1 = -Y0 G Y0)
        C2 = -Y1Gm
        Ys = Y0b + nmul(Y1b, Sn)
        rho, eps = self._first_radii(k, z0, w, Y0, Y1, f2f, h, cover if slanted else None,
                                     _size(P0) + _size(P1) * h + _size(P2) * (h * h))
        for _ in range(3):                   # hull rebuilds (rho outgrew the hull's radii)
            rhoH = HULL * rho
            if not np.all(np.isfinite(rhoH)):
                return None
            VH, rhoH = _balls(np.zeros(len(rhoH)), rhoH)
            if VH is None:
                return None
            Ut = [u + S * wj + v for u, wj, v in zip(ub, wob, VH)]
            xH, aH = self.xa(self.full(k, T, Ut))
            Dfa, faa = self.apply_nb("Df_a_apply", xH, aH, I), as_nball(ev.f_aa(xH, aH))
            Gl, Gr = self._dJz_nb(xH, aH, Dfa, faa, NBall(w[:, None], 0.0))      # D Jz(H)[w]
            f2 = nmul(nprod(Gl, wx) + nmul(Gr, wa), scalar(0.5))                 # D^2 f(H)[w, w] / 2
            Gu = split_nb(k, Gl, Gr)[0]
            DJVl, DJVr = self._dJz_nb(xH, aH, Dfa, faa, NBall(np.zeros((n + 1, 1)), np.insert(rhoH, k, 0.0)[:, None]))
            DJV = split_nb(k, DJVl, DJVr)[0]                                     # D J_u(H)[v], v in V_H
            U = Ut
            if cover is not None:
                U = [u.union(hull(float(cover[0][j]), float(cover[1][j]))) for u, j in zip(Ut, o)]
            # Jz over the whole axis box (T, U): regularity must hold on all of U (as the arb test)
            xU, aU = self.xa(self.full(k, T, U))
            D, fa = self.apply_nb("Df_apply", xU, aU, I), as_nball(ev.f_a(xU, aU))
            regular = float(contraction_times(Y0, split_nb(k, D, fa)[0], np.ones(n)).max(initial=0.0)) < 1
            if not (regular or slanted):
                return None                  # J_u not proved regular on the box: no uniqueness in U
            Cb = E0 + nmul(C1, Sn) + nmul(C2, S2n)
            GS = nmul(Gu - Gm, Sn)
            Y0f2, Y1f2 = nprod(Y0b, f2), nprod(Y1b, f2)
            mYF = -(P0 + nmul(P1, Sn) + nmul(Y0f2 + P2, S2n) + nmul(Y1f2, S3n))
            for _ in range(tries):
                Vb, rV = _balls(np.zeros(len(rho)), rho)
                if Vb is None or not np.all(rV <= rhoH):
                    break
                # V in c V_H (c >= rV / rhoH: the quotient rounded up), so D Jz(H)[v] lies in c D Jz(H)[V_H]
                c = scalar(float(np.nextafter(rV / rhoH, np.inf).max()))
                C = Cb - nprod(Ys, GS + nmul(DJV, c))    # Ys (A + B) is inside Ys A + Ys B (npball)
                Kd = mYF + nprod(C, NBall(np.zeros((n, 1)), rV[:, None]))
                dev = fp_up(np.abs(Kd.mid[:, 0]) + Kd.rad[:, 0], 1)      # Lemma 2: >= |Kd| entrywise
                if not np.all(np.isfinite(dev)):
                    return None
                if np.all(dev < rV):         # Kd in the interior of V
                    for _ in range(2):       # every zero of the slice lies in u_c(s) + (-Y f + C Kd)
                        Kd = intersect(Kd, mYF + nprod(C, Kd))
                    K = [(u + S * wj + _ball(Kd, i)).intersection(Ui) for i, (u, wj, Ui) in enumerate(zip(ub, wob, U))]
                    slant = None if regular else Slant(tt, [float(v) for v in z0[o]], [float(v) for v in wo],
                                                       Vb)
                    # Y(s) Jz w in Lemma T's order: Y0 f1 + S (Y1 f1 + 2 Y0 f2) + 2 S2 Y1 f2 + Y(s) D Jz(H)[V] w
                    b1 = P2 + nmul(Y0f2, scalar(2.0))
                    b0 = (Y0f1 + nmul(nmul(Y1f2, scalar(2.0)), S2n)
                          + nprod(Ys, nprod(nmul(DJVl, c), wx) + nmul(nmul(DJVr, c), wa)))
                    got = self._tangent_tube_nb(k, w, C, b0 + nmul(b1, Sn))
                    du = None if got is None else Tangent(got[0], (tt, w, -b1, -b0 + nprod(C, got[1])))
                    return U, K, D, fa, du, slant
                rho = np.maximum(rho, 1.5 * dev + eps)      # epsilon inflation
            else:
                return None
        return None

    @np.errstate(over="ignore", invalid="ignore")   # inf / nan are caught by the finiteness tests
    def _tangent_tube_nb(self, k: int, w: np.ndarray, C: NBall, b: NBall) -> tuple[list[arb], NBall] | None:
        """``_tangent_tube_arb`` (Lemma T) in numpy balls: ``e = -Y(s) Jz w + (I - Y(s) J_u) e`` with
        ``Y(s) Jz w`` in ``b``, ``I - Y(s) J_u`` in C, ``||C||_inf <= c < 1`` (ball_solve.contraction_bound:
        fpbounds Lemma 2), solved by ball_solve.fixed_point_nb (the Lemma, then refinement); (``w_u + e``, e)."""
        E, c = contraction_bound(C)
        if not c < 1:
            return None
        e = fixed_point_nb(-b, C, E, c, 4)
        if e is None:
            return None
        return [arb(float(wj)) + _ball(e, i) for i, wj in enumerate(w[self.others(k)])], e

    @np.errstate(over="ignore", invalid="ignore")   # inf / nan are caught by the finiteness tests
    def _box_krawczyk_nb(self, k: int, T: arb, zc: np.ndarray, tries: int,
                         cover: tuple[np.ndarray, np.ndarray] | None
                         ) -> tuple[list[arb], list[arb], NBall, NBall] | None:
        """``_box_krawczyk_arb`` in numpy balls: ``U = u~ + [-r, r]`` (U built as arb balls, r read back:
        ``_balls``, so U is exactly that box), ``Kd = -Y f(u~, T) + (I - Y J_u(T, U)) [-r, r]`` by npball
        products (fpbounds Lemmas 1, 2), accepted when ``|Kd| < r`` entrywise (Lemma 2 bound of
        ``|mid| + rad``: K in the interior of U), then ``Kd <- (-Y f + C Kd) /\\ Kd``. ``f(u~, T)`` in centred
        form with ``J_k`` over (T, U) and the first radii as in ``_box_krawczyk_arb``. Returns ``Df``, ``f_a``
        over (T, U) as numpy balls."""
        n, o, ev, I = self.n, self.others(k), self.ev, self.eye
        uc = zc[o]
        _, Jzc, Y = self._float_jacobian(k, zc)
        if Y is None:
            return None
        Yb = NBall(Y, 0.0)
        ucb = [arb(float(v)) for v in uc]
        tm = arb(float(T.mid()))
        Tk = T.union(tm)      # the mean values run from t~ (a float: outside a T thinner than its ulp) to t
        x, a = self.xa(self.full(k, tm, ucb))
        YF0 = nprod(Yb, as_nball(ev.f(x, a)))
        h = max(float_upper(T) - float(T.mid()), float(T.mid()) - float_lower(T), 0.0)
        tang = np.abs(Y @ Jzc[:, k])
        eps = 1e-14 * (1 + np.abs(uc)) + 1e-300
        r = np.maximum(2.0 * tang * h + 0.05 * float(tang.max()) * h, 2.0 * _size(YF0)) + eps
        if cover is not None:
            r = np.maximum(r, np.nextafter(np.maximum(cover[1][o] - uc, uc - cover[0][o]), np.inf) * (1 + 1e-6))
        for _ in range(tries):
            if not np.all(np.isfinite(r)):
                return None
            U, r = _balls(uc, r)
            if U is None:
                return None
            xb, ab = self.xa(self.full(k, Tk, U))
            D, fa = self.apply_nb("Df_apply", xb, ab, I), as_nball(ev.f_a(xb, ab))
            Ju, Jk = split_nb(k, D, fa)
            # Y f(u~, t) for t in T: Y f(u~, t~) + (Y J_k(T u t~, U)) (T - t~) (mean values; u~ lies in U)
            YF = YF0 + nmul(nprod(Yb, Jk), scalar(T - tm)) if h > 0 else YF0
            C = I - nprod(Yb, Ju)
            Kd = -YF + nprod(C, NBall(np.zeros((n, 1)), r[:, None]))
            dev = fp_up(np.abs(Kd.mid[:, 0]) + Kd.rad[:, 0], 1)          # Lemma 2: >= |Kd| entrywise
            if not np.all(np.isfinite(dev)):
                return None
            if np.all(dev < r):
                for _ in range(3):
                    Kd = intersect(Kd, -YF + nprod(C, Kd))
                return U, [c + _ball(Kd, i) for i, c in enumerate(ucb)], D, fa
            r = np.maximum(r, 1.5 * dev + eps)  # epsilon inflation
        return None


def _sub(X: NBall, r0: int, r1: int, c0: int, c1: int) -> NBall:
    """Rows [r0, r1), columns [c0, c1) of X."""
    return NBall(X.mid[r0:r1, c0:c1], X.rad[r0:r1, c0:c1])


def arb_matrix(M: NBall | arb_mat) -> arb_mat:
    """A python-flint matrix holding the ball matrix M (a piece's D / fa in either arithmetic)."""
    return M.to_mat() if isinstance(M, NBall) else M


def _balls(c: np.ndarray, r: np.ndarray) -> tuple[list[arb] | None, np.ndarray]:
    """The arb balls ``c_i +- r_i`` and their radii ``R_i >= r_i`` as python-flint stores them (a float radius
    is rounded up to 30 bits, always by at least one unit: a ball rebuilt from ``R_i`` would be wider, so
    the caller keeps these balls). Each ball is exactly ``[c_i - R_i, c_i + R_i]`` (c_i exact floats; R_i
    read back exactly: a 30-bit mantissa, a normal float). (None, r) when a stored radius is not a
    normal float or not >= r_i. c, r finite, r non-negative."""
    B = [arb(float(ci), float(ri)) for ci, ri in zip(c, r)]
    R = np.array([float(b.rad()) for b in B])
    if not (np.all(R >= r) and np.all(R >= np.finfo(float).tiny) and np.all(np.isfinite(R))):
        return None, r
    return B, R


def _ball(X: NBall, i: int) -> arb:
    """The arb ball holding the real numpy ball ``X[i, 0]`` (midpoint exact, radius rounded up)."""
    return arb(float(X.mid[i, 0]), float(X.rad[i, 0]))


def _size(X: NBall) -> np.ndarray:
    """``|mid| + rad`` of an n x 1 ball (a float estimate: sizes tube radii, proves nothing)."""
    return np.abs(X.mid[:, 0]) + X.rad[:, 0]


# --------------------------------------------------------------------------- the checker


def split_nb(k: int, D: NBall, fa: NBall) -> tuple[NBall, NBall]:
    """(J_u, J_k) in numpy balls: the columns of ``Jz = [Df | f_a]`` other than k, and column k."""
    if k == D.ncols():
        return D, fa
    mid, rad = np.hstack([D.mid, fa.mid]), np.hstack([D.rad, fa.rad])
    o = [j for j in range(mid.shape[1]) if j != k]
    return NBall(mid[:, o], rad[:, o]), NBall(mid[:, k:k + 1], rad[:, k:k + 1])
