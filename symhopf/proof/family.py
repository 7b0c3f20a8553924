"""Family proof: every Hopf point of one constant equilibrium branch from ONE verified diagonalisation.

Formulation. The branch is ``x(a) = x0`` on the range ``R = [a0, a1]`` with, verified in ball
arithmetic with ``a`` the whole range ball (as completeness.py does): ``f(x0, R) = 0`` exactly
and ``Df_a(x0, R) = c I`` exactly (``c != 0`` real). Then for every ``a`` in R

    Df(x0, a) = A0 + (a - a_r) c I,      A0 = Df(x0, a_r), a_r in R fixed,

so all Jacobians of the family share the eigenvectors of A0 and have the eigenvalues
``mu_j + (a - a_r) c`` (``mu_j`` those of A0). A pair ``mu_k, conj(mu_k)`` (Im mu_k > 0) is on
the imaginary axis exactly at ``a_k = a_r - Re(mu_k) / c`` with ``omega_k = Im mu_k``.
``A0`` is enclosed by a ball matrix (the generated ``Df``); everything below holds for every
real matrix ``A`` in that ball, in particular for ``A0``.

Approximation (floats, not trusted). ``lam, V`` from ``numpy.linalg.eig`` (of the search's
``Df(x0, a_s)``, whose eigenvectors are those of A0, its eigenvalues shifted by
``(a_r - a_s) c``), in LAPACK's real form: real eigenvalues with real vectors, pairs
``lam_k = al + i be, lam_k' = al - i be`` (be > 0, k' = k + 1) with conjugate vectors. Real
basis ``Vr``: column ``V_k`` for a real eigenvalue, ``x = Re V_k``, ``y = Im V_k`` at ``k, k'`` for a
pair. ``Lb``: block diagonal, ``[al]`` or ``[[al, be], [-be, al]]`` (so that ``A [x y] ~ [x y] Lb``).
``Yr = fl(inv(Vr))`` (entries below 2^-1000 set to 0). ``S``: block diagonal, ``[1]`` or ``[[1, 1], [i, -i]]``;
``S^{-1}`` has blocks ``[1]`` or ``1/2 [[1, -i], [1, i]]``. ``V := Vr S`` (columns ``x +- i y``),
``Y := S^{-1} Yr`` (rows ``(Yr_x -+ i Yr_y) / 2``) and ``Lam = diag(lam) = S^{-1} Lb S`` are formed
exactly in floats.

Verified bounds (float64 products with rigorous error bounds, symhopf/runtime/fpbounds.py).
The Jacobian ball ``A0 in A1 + A2 +- Ar`` (generated ``Df`` at HIPREC = 106 bits; its midpoint as
a double-double ``A1 + A2``, both float matrices, the rest and the radii in ``Ar``, rounded up:
a 53-bit Jacobian would carry radii ~u |A0| from the rounding of decimal weights, which then
dominate every disc). ``Vr Lb`` is the column scaling ``Vr_ij al_j + Vr_(i, swap_j) (+-be_j)`` (tiny
entries of the approximation are flushed to 0 first: every entry in the range of the exact float products).
``R = A1 Vr + fl(A2 Vr) - Vr Lb`` by fpbounds Lemma 4 (``A1 Vr - Vr Lb`` as the augmented product
``[A1, Vr D] [Vr; -D^-1 Lb]``, D powers of 2: one exact slice product, two float products and column
scalings, each of whose
roundings is ``2^-beta`` times that of ``fl(A1 Vr)``):
a float matrix with an entrywise error bound far below ``u |A1| |Vr|``; ``fl(A2 Vr)`` errs by Lemma 1. For every A in the
ball, ``|A Vr - Vr Lb - R| <= err_R + gamma_n |A2| |Vr| + n eta + Ar |Vr| =: D``, so ``Q := Yr (A Vr - Vr Lb)`` has
``|Q| <= |fl(Yr R)| + gamma_n |Yr| |R| + n eta + |Yr| D`` (Lemma 1) and ``F := I - Yr Vr`` has
``|F| <= |fl(I - fl(Yr Vr))| (1 + u) + gamma_n |Yr| |Vr| + n eta``. ``|Q|``, ``|F|`` below are these
float upper bounds, with three products replaced by O(n^2) bounds: for a 53-bit Jacobian (``RowRadii``,
X holding only rounding errors) ``|Yr| X <= (|Yr| 1) max_l X_l.`` (row sums times column maxima, X >= 0)
for ``X = gamma_n |R| + D`` (other ball matrices keep the product ``|Yr| X``); the row and column sums of
``|Yr| |Vr|`` (all that the norms of F need) as ``|Yr| (|Vr| 1)`` and ``(1^T |Yr|) |Vr|``; and for a
53-bit Jacobian, whose radii are ``o_i`` off the diagonal of row i and ``o_i + t_i`` on it (``RowRadii``),
``Ar |Vr| <= o (1^T |Vr|) + diag(t) |Vr|``. With ``m_d`` the size (1 or 2) of the block of index d:

1. ``delta >= ||F||_inf``, ``delta1 >= ||F||_1``, both ``< 1/2``. Then Vr is invertible,
   ``Vr^{-1} = (I - F)^{-1} Yr``, and ``G = (I - F)^{-1} - I = (I - F)^{-1} F`` has
   ``||G||_inf <= g = delta / (1 - delta)``, ``||G||_1 <= g1 = delta1 / (1 - delta1)``. Entrywise
   ``|Vr^{-1} - Yr|_{ij} = |(G Yr)_{ij}| <= g ymax_j``, ``ymax_j = max_i |Yr_ij|``.
2. ``Er := Vr^{-1} A Vr - Lb = Vr^{-1} (A Vr - Vr Lb) = (I - F)^{-1} Q = Q + G Q``. Weighted row
   sums ``sum_d m_d |Er_cd| <= sum_d m_d |Q_cd| + g max_l sum_d m_d |Q_ld| =: r_c`` (as
   ``sum_d m_d |(GQ)_cd| <= sum_l |G_cl| sum_d m_d |Q_ld|``) and column sums
   ``sum_c |Er_cd| <= (1 + g1) sum_c |Q_cd| =: k_d``.
3. ``E := V^{-1} A V - Lam = S^{-1} Er S``. For a in block K and b in block L,
   ``|E_ab| <= s_K sum_{c in K, d in L} |Er_cd|`` (``s_K`` = 1/2 for a pair, 1 otherwise; the
   entries of S have modulus 1). Row sums: ``rho_row_a <= s_K sum_{c in K} r_c``; column sums:
   ``rho_col_b <= sum_{d in L} k_d`` (``|K| s_K = 1``). ``rho = max(rho_row, rho_col)``.
   Likewise ``V^{-1} - Y = S^{-1} (Vr^{-1} - Yr)``, so ``|V^{-1} - Y|_{aj} <= g ymax_j``.
4. Entrywise: ``|(G Q)_cd| <= sum_l |G_cl| |Q_ld| <= g max_l |Q_ld|``, so ``|Er_cd| <= |Q_cd| + g max_l |Q_ld|``,
   and ``|E_ab| <= s_K sum_{c in K, d in L} |Er_cd|`` as in 3. (``E_abs``).
5. Rows of the inverse (where ``g ymax`` is too coarse): ``G = F + F G`` gives ``|G_cl| <= |F_cl| + delta g``
   (``max_m |G_ml| <= ||G||_1 <= g``), so ``|(Vr^{-1} - Yr)_cj| <= (|F_c| |Yr|)_j + delta g sum_l |Yr_lj|``.
Every float sum above, and in the per-point solves below, is rounded upward by Lemma 2
(``fpbounds.upper``); the solves' float products are bounded by Lemma 1 (``fpbounds.cmatmul``).

Gershgorin (rows or columns): every eigenvalue of A lies in a disc ``D_k = D(lam_k, rho_k)``;
a disc disjoint from all others holds exactly one eigenvalue (homotopy ``Lam + t E``).
Eigenvectors: for an isolated disc k the eigenvector of ``Lam + E`` is ``e_k + d`` with
``|d_j| <= rho_j / (|lam_k - lam_j| - rho_k)`` (from row j of ``(Lam + E) z = mu z``,
``|mu - lam_j| >= |lam_k - lam_j| - rho_k > rho_j`` and ``|z|_inf = 1`` attained at k);
the same for the left eigenvector with column sums. Then, with ``eps_k = max_j rho_j / (|lam_k - lam_j| - rho_k)``
(so ``|d_l| <= eps_k`` for l != k), row j gives the sharper ``|d_j| <= (|E_jk| + rho_j eps_k) / (|lam_k - lam_j| - rho_k)``
(``sum_l |E_jl| |z_l| <= |E_jk| + rho_j eps_k``), and column j ``|d'_j| <= (|E_kj| + rho_j eps_k) / (...)``: one
entry of E instead of a row sum (about n times smaller), which keeps l1 away from 0 at n = 4000.
So ``v_k = V e_k + V d`` is a right and
``l_k = e_k^T V^{-1} + d'^T V^{-1}`` a left eigenvector of A0, both enclosed entrywise
(3. for ``V^{-1}``). Solves: for ``z`` not an eigenvalue of ``A = A0 + s c I``,
``(zI - A)^{-1} y = V (D - E)^{-1} V^{-1} y`` with ``D = diag(z - s c - lam_j)``; with ``h = D^{-1}
V^{-1} y``, ``tau_j = rho_row_j / |D_j|``, ``tau = max tau_j < 1``: the solution ``t`` of
``(D - E) t = V^{-1} y`` satisfies ``|t_j - h_j| <= tau_j |h|_inf / (1 - tau)``.

Branch-wide facts, verified once per branch in ball arithmetic with ``a`` the range ball R:
if ``B(x0, R, U, U)`` is exactly 0 with ``U = [-1, 1]^n`` then ``B(x0, a, ., .) = 0`` for every a
in R (a bilinear form vanishing on a neighbourhood of 0 vanishes on R^n x R^n, hence on
C^n x C^n), so ``B(q, conj q) = B(q, q) = B(q, x_a) = 0`` and the two solves of l1 are not needed;
if ``f_a(x0, R)`` is exactly 0 then ``x_a = -A^{-1} f_a = 0``. Otherwise these are evaluated per
point.

Conclusion (for each pair k, Im lam_k > rho_k, disc k and its conjugate disc isolated,
the enclosure of ``a_k`` inside the exact range (Fractions), every other disc's real part
interval disjoint from disc k's): ``(x0, a_k, omega_k)`` is a Hopf point: ``f(x0, a_k) = 0``,
``+- i omega_k`` simple eigenvalues of ``Df(x0, a_k)``, every other eigenvalue has real part
``Re(mu_j - mu_k) != 0`` (its max is enclosed: every connected component of the other discs
holds an eigenvalue), ``mu' = Re <p, c q + B(q, x_a)>`` and l1 by Kuznetsov's full formula (hopf-math.md)
evaluated in ball arithmetic with the generated B, C at ``(x0, a_k)`` (a_k a ball), q, p from
the enclosed eigenvectors and the two solves above, are enclosed and exclude 0. Uniqueness:
``a_k`` is the only parameter in the range at which this eigenvalue crosses (``c != 0``), and
the crossings of different discs are distinct when their enclosures are disjoint.

Certificate (the theorem as each proved point states it, ``proof.theorem = "verified-diagonalisation"``;
every number an exact binary64 value unless marked, so the hypotheses below are exact
comparisons of the printed decimals). For the disc k of the point, with k' its conjugate disc:
``disc_centre = lam_k``, ``disc_radius = rho_k``, ``largest_disc_radius = max_j rho_j``,
``disc_separation = sigma_k <= min_{j != k} (|lam_k - lam_j| - rho_j)`` (distance from lam_k to
every other disc, conjugate included), ``real_part_separation = tau_k <= min_{j != k, k'}
(|Re lam_j - Re lam_k| - rho_j)`` (absent when n = 2), ``delta`` (both norms of ``I - Yr Vr``),
``g``, ``branch_slope = c``, ``reference_parameter = a_r``, and ``eigenvector_error_bound``
(rounded up) ``eps_k >= rho_max / (sigma_k - rho_k + rho_max)``. Hypotheses: ``delta < 1/2``,
``g >= delta / (1 - delta)``, ``rho_k < sigma_k`` (disc k, hence also k', isolated; it gives
``Im lam_k > rho_k``), ``rho_k < tau_k``. Conclusions: exactly one eigenvalue ``mu_k`` of A0 in
disc k, simple; ``a_k = a_r - Re(mu_k) / c`` lies in ``a_r - (Re lam_k + [-rho_k, rho_k]) / c``,
``omega_k = Im mu_k`` in ``Im lam_k + [-rho_k, rho_k]``; every other eigenvalue of
``Df(x0, a_k)`` has real part ``|Re(mu_j - mu_k)| >= tau_k - rho_k > 0``; the right eigenvector is
``V (e_k + d)`` with ``|d|_inf <= eps_k`` (as ``rho_j / (|lam_k - lam_j| - rho_k) <=
rho_j / (sigma_k - rho_k + rho_j) <= rho_max / (sigma_k - rho_k + rho_max)``), the left one
``(e_k + d')^T V^{-1}`` likewise, and ``|V^{-1} - Y|_ij <= g max_l |Yr_lj|``. The prover checks
the two isolation hypotheses on exactly these numbers (:func:`disc_record`).
"""
from __future__ import annotations

import functools
import math
import time
import weakref
from fractions import Fraction
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import flint
from flint import acb, arb, arb_mat

from ..parallel import blas_threads, default_workers
from ..runtime.arbtools import fraction, hull, in_range, interval_text, range_text
from ..runtime import npball as _nb
from ..runtime.ball import is_exact_zero
from ..runtime.npball import NBall, as_nball, column, column_dots, column_norms2, hstack, to_acb
from ..runtime.fpbounds import ETA, HUGE, TINY, U, abs1 as _abs1, cmatmul, eigen_residual, gamma, upper as _up

if TYPE_CHECKING:
    from .hopf import HopfProof

PREC = 53
HIPREC = 106
#: the bounds of the diagonalisation use BLAS threads from this dimension on
THREADED = 2000
#: the theorem a family-proved point states (``proof.theorem`` of the certificate)
THEOREM = "verified-diagonalisation"

METHOD = ("family proof on a verified constant branch (f(x0,a)=0, Df_a = c I on the range): "
          "one verified diagonalisation A0 = V (Lam + E) V^-1 (real basis; residual by one exact float slice "
          "product and two float products, inverse by an a-priori bound), Gershgorin discs of Lam + E; l1 by Kuznetsov's full "
          "formula with the generated ball B, C (all points of the branch in one batch) and solves "
          "through the diagonalisation (Neumann bound)")


# ----------------------------------------------------------------------------- diagonalisation
@dataclass
class Diagonalisation:
    """A0 = V (Lam + E) V^{-1} verified; ``rho`` disc radii (row/col max), ``rho_row`` row sums of |E|,
    ``E_abs`` an entrywise bound of |E|;
    ``delta`` bounds both norms of ``I - Yr Vr``, ``g >= delta / (1 - delta)``;
    ``component`` labels the connected components of the union of the discs."""

    ok: bool
    reason: str
    lam: np.ndarray | None = None
    V: np.ndarray | None = None
    Y: np.ndarray | None = None
    rho: np.ndarray | None = None
    rho_row: np.ndarray | None = None
    delta: float = math.inf
    g: float = math.inf
    ymax: np.ndarray | None = None
    isolated: np.ndarray | None = None
    partner: np.ndarray | None = None
    component: np.ndarray | None = None
    E_abs: np.ndarray | None = None
    time: float = 0.0
    timings: dict = field(default_factory=dict)


def _double_floats(A: arb_mat) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(A1, A2, Ar)`` floats with every matrix of the ball A inside ``A1 + A2 +- Ar`` entrywise.

    In python-flint (C): ``B1`` = the midpoints rounded to 53 bits, ``D = mid - B1`` at 106 bits
    (a ball), ``B2`` = D's midpoints rounded to 53 bits, so ``|mid - B1 - B2| <= rad D + 2u |B2|``
    (a rounding errs by less than one ulp); the radii of A and D are bounded per row by the
    radius of ``(A - mid A) 1 + (D - mid D) 1`` (sums of balls centred at 0). Converting B1, B2
    to floats is exact except in the subnormal range (< eta/2 each).
    """
    n, k = A.nrows(), A.ncols()
    ones = arb_mat(k, 1, [1] * k)

    def floats(B: arb_mat) -> np.ndarray:
        return np.fromiter((float(e) for e in B.entries()), float, n * k).reshape(n, k)

    # in this order, at most four n x k ball matrices are alive at a time (memory at n = 4000)
    with flint.ctx.workprec(HIPREC):
        M = A.mid()
        rows = (A - M) * ones
    with flint.ctx.workprec(PREC):
        B1 = (M * arb(1)).mid()
    A1 = floats(B1)
    with flint.ctx.workprec(HIPREC):
        D = M - B1
    del M, B1
    with flint.ctx.workprec(PREC):
        B2 = (D * arb(1)).mid()
    A2 = floats(B2)
    del B2
    with flint.ctx.workprec(HIPREC):
        rows = rows + (D - D.mid()) * ones
    del D
    radrow = np.array([float(rows[i, 0].rad()) for i in range(n)])
    Ar = _up(radrow[:, None] * (1 + 4 * U) + 4 * U * np.abs(A2) + 2 * ETA, 6)
    return A1, A2, Ar


@dataclass
class RowRadii:
    """Jacobian radii of the form ``|A - A1|_ij <= o_i + [i = j] t_i`` (row i: one bound off the diagonal,
    plus ``t_i`` on it), kept as the two vectors: ``Ar |Vr|`` is then O(n^2) (:meth:`times_abs`)."""

    o: np.ndarray
    t: np.ndarray

    def dense(self) -> np.ndarray:
        """The same bound as an n x n matrix (every entry rounded up)."""
        n = len(self.o)
        out = np.repeat(self.o[:, None], n, axis=1)
        out[np.diag_indices(n)] = _up(self.o + self.t, 1)
        return out

    def times_abs(self, Va: np.ndarray) -> np.ndarray:
        """An upper bound of ``Ar Va`` (Va >= 0): ``(Ar Va)_ij <= o_i sum_l Va_lj + t_i Va_ij``."""
        n = Va.shape[0]
        return _up(self.o[:, None] * _up(Va.sum(axis=0), n)[None, :] + self.t[:, None] * Va, 3)

    def finite(self) -> bool:
        return bool(np.all(np.isfinite(self.o)) and np.all(np.isfinite(self.t)))


def _single_floats(A: arb_mat) -> tuple[np.ndarray, np.ndarray, RowRadii] | None:
    """``(A1, 0, Ar)`` with every matrix of the 53-bit ball A inside ``A1 +- Ar``, when the radii off the
    diagonal are at most a few roundings per row (``sum_{j != i} rad A_ij <= 4u max_j |A1_ij|``: exact
    binary weights, the parameter on the diagonal); else None (then :func:`_double_floats` at 106 bits).

    ``A1`` = the midpoints, checked to be exactly these floats: ``mid A`` times the exact 1 at 53 bits
    equals ``mid A`` exactly (no midpoint has more than 53 bits; in C), every float is 0 or normal
    (``|A1_ij| >= 2^-1022``: then float() of a 53-bit midpoint is exact) and every 0 is an exact 0 (not
    a midpoint that underflowed). ``Ar`` (:class:`RowRadii`): ``t_i`` the diagonal radius, ``o_i`` the
    radius of row i of ``(A - mid A - diag) 1`` (a sum of balls centred at 0 bounds the off-diagonal
    radii of the row), both rounded up. Entrywise radii keep ``Ar |Vr|`` at the size of one rounding,
    not n of them.
    """
    n, k = A.nrows(), A.ncols()
    if n != k:
        return None
    M = A.mid()
    with flint.ctx.workprec(PREC):
        if not (M * arb(1)) == M:       # (arb_mat ==: every entry equal and exact, in C)
            return None                 # a midpoint of more than 53 bits
    ents = M.entries()
    A1 = np.fromiter(map(float, ents), float, n * k).reshape(n, k)
    a = np.abs(A1)
    if not (np.all(np.isfinite(A1)) and not np.any((a > 0) & (a < 2.0 ** -1022))
            and all(ents[i].is_zero() for i in np.flatnonzero(a == 0).tolist())):
        return None                     # a midpoint float() may have rounded
    del ents
    R = A - M
    rd = np.array([float(R[i, i].rad()) for i in range(n)])
    for i in range(n):
        R[i, i] = 0
    rows = R * arb_mat(k, 1, [1] * k)
    del M, R
    roff = np.array([float(rows[i, 0].rad()) for i in range(n)])
    if not np.all(roff <= 4 * U * a.max(axis=1)):
        return None
    o = _up(roff * (1 + 4 * U) + 2 * ETA, 4)
    return A1, np.zeros((n, n)), RowRadii(o, _up(rd * (1 + 4 * U), 4))


def _data_floats(A: arb_mat, ev: Any) -> tuple[np.ndarray, np.ndarray, RowRadii] | None:
    """``(A1, 0, Ar)`` with every matrix of the ball A inside ``A1 +- Ar``, without converting A's n^2
    midpoints: when A equals, off its diagonal, an exact data matrix ``Wd`` of the ball evaluator ``ev``
    whose floats ``Wf`` the numpy ball products know (``npball._DATA``: ``System.ball`` registers the
    binary floats it converted exactly, or the products converted ``Wd`` once); else None.

    Lemma. If every off-diagonal entry of the ball ``A - Wd`` is an exact 0, then every matrix X in A has
    ``X_ij = Wd_ij`` for ``i != j`` (an arb difference is an exact 0 only when both balls are exact and
    equal). ``Wd`` exact with midpoints of at most 53 bits (checked in C: ``Wd`` times the exact 1 at
    53 bits equals ``Wd``, as in :func:`_single_floats`) and ``Wf = fl(Wd)`` entrywise (``float()`` of
    each ball's midpoint): ``|Wd_ij - Wf_ij| < eta`` (0 in the normal range, where 53 bits are a
    float). So ``A1 = Wf`` off the diagonal with ``o_i = n eta``, and ``A1_ii = fl(mid A_ii)``
    (``|mid - A1_ii| <= 2u |A1_ii| + eta``, 0 when ``A1_ii`` equals the midpoint) with
    ``t_i = rad A_ii (1 + 4u) + 2u |A1_ii| + 2 eta`` (without ``2u |A1_ii|`` when equal), rounded up.
    Cost at n = 1000: one ball subtraction and one product by 1 in C and n diagonal entries (0.1 s),
    where :func:`_single_floats` converts every midpoint (0.3 s).
    """
    n = A.nrows()
    if A.ncols() != n:
        return None
    for Wd in (v for v in vars(ev).values() if isinstance(v, arb_mat) and v.nrows() == v.ncols() == n):
        hit = _nb._DATA.get(id(Wd))
        if hit is None or hit[0] is not Wd:
            continue                    # not registered: its floats are not known without a conversion
        D = A - Wd
        for i in range(n):
            D[i, i] = 0
        if not is_exact_zero(D):
            continue
        del D
        with flint.ctx.workprec(PREC):
            if not (Wd * arb(1)) == Wd:     # (arb_mat ==: every entry equal and exact, in C)
                continue
        Wf = hit[1].mid
        if not (Wf.shape == (n, n) and Wf.dtype == float and np.all(np.isfinite(Wf))):
            continue
        A1 = np.array(Wf)
        diag = [A[i, i] for i in range(n)]
        d = np.array([float(e.mid()) for e in diag])
        r = np.array([float(e.rad()) for e in diag])       # mag values: 30 bits, exact floats
        if not (np.all(np.isfinite(d)) and np.all(np.isfinite(r))):
            return None
        rounded = np.array([e.mid() != arb(v) for e, v in zip(diag, d.tolist())])   # fl(mid) != mid
        A1[np.diag_indices(n)] = d
        t = _up(r * (1 + 4 * U) + np.where(rounded, 2 * U * np.abs(d), 0.0) + 2 * ETA, 4)
        return A1, np.zeros((n, n)), RowRadii(np.full(n, _up(n * ETA, 1)), t)
    return None


def real_form(lam: np.ndarray, V: np.ndarray):
    """(lam, Vr, sizes, partner) in the real pair form of the module docstring; None if not in it."""
    n = len(lam)
    lam = np.array(lam, dtype=complex)
    V = np.asarray(V)
    Vr = np.empty((n, n))
    sizes = np.ones(n, dtype=int)
    partner = np.arange(n)
    j = 0
    while j < n:
        if lam[j].imag == 0:
            Vr[:, j] = V[:, j].real
            j += 1
            continue
        if not (lam[j].imag > 0 and j + 1 < n and lam[j + 1] == np.conj(lam[j])):
            return None
        Vr[:, j], Vr[:, j + 1] = V[:, j].real, V[:, j].imag
        sizes[j] = sizes[j + 1] = 2
        partner[j], partner[j + 1] = j + 1, j
        j += 2
    return lam, Vr, sizes, partner


@dataclass
class _Approx:
    """The float (untrusted) part of a diagonalisation: real form, approximate inverse, exact Vr Lb."""

    lam: np.ndarray
    Vr: np.ndarray
    Yr: np.ndarray
    sizes: np.ndarray
    partner: np.ndarray
    fi: np.ndarray
    swap: np.ndarray
    coef: np.ndarray


def _approx(approx: tuple[np.ndarray, np.ndarray]) -> "_Approx | str":
    """Real form, Yr = fl(inv(Vr)), and ``Lb`` as column scalings: ``(Vr Lb)_ij = Vr_ij al_j + Vr_(i, swap_j) coef_j``
    (``swap`` exchanges the two columns of a pair, ``coef = -be, be`` on them, 0 elsewhere); or a reason."""
    rf = real_form(*approx)
    if rf is None:
        return "eigen-decomposition not in real conjugate-pair form"
    lam, Vr, sizes, partner = rf
    if not (np.all(np.isfinite(lam)) and np.all(np.isfinite(Vr))):
        return "eigen-decomposition not finite"
    # the approximation is ours to choose: flush tiny entries into the range of the exact float products
    Vr[np.abs(Vr) < TINY] = 0.0
    lam = np.where(np.abs(lam.real) < TINY, 0.0, lam.real) + 1j * lam.imag
    be = np.abs(lam.imag)
    if np.any((be > 0) & (be < TINY)) or np.abs(lam).max(initial=0.0) > HUGE or np.abs(Vr).max(initial=0.0) > HUGE:
        return "eigen-decomposition out of the exactly representable range"
    try:
        Yr = np.linalg.inv(Vr)
    except np.linalg.LinAlgError:
        return "eigenvector matrix singular"
    if not np.all(np.isfinite(Yr)):
        return "eigenvector matrix singular"
    Yr[np.abs(Yr) < 2.0 ** -1000] = 0.0     # any approximate inverse will do; this keeps Y = S^-1 Yr exact
    n = len(lam)
    fi = np.nonzero(sizes == 2)[0][::2]      # x columns of the pairs
    swap = np.arange(n)
    swap[fi], swap[fi + 1] = fi + 1, fi
    coef = np.zeros(n)
    coef[fi], coef[fi + 1] = -be[fi], be[fi]
    return _Approx(lam, Vr, Yr, sizes, partner, fi, swap, coef)


def _q_sums(A1: np.ndarray, A2: np.ndarray, Ar: np.ndarray, ap: _Approx) -> tuple[np.ndarray, ...] | str:
    """Weighted row sums ``sum_d m_d |Q_cd|``, column sums of |Q| and the entrywise bound of |Q|,
    Q = Yr (A Vr - Vr Lb), for every A in ``A1 + A2 +- Ar`` (module docstring, verified bounds); or a reason."""
    n = len(ap.lam)
    rounding_only = isinstance(Ar, RowRadii)    # a 53-bit Jacobian: radii of a few roundings per row
    tiny = (np.abs(A1) < TINY) & (A1 != 0)      # below the exact-product range: moved into the radius
    if tiny.any():
        Ar = Ar.dense() if isinstance(Ar, RowRadii) else Ar
        A1, Ar = np.where(tiny, 0.0, A1), _up(Ar + np.where(tiny, np.abs(A1), 0.0), 1)
    Va = np.abs(ap.Vr)
    two = bool(A2.any())                # A2 = 0 (a 53-bit Jacobian): no products with it
    got = eigen_residual(A1, ap.Vr, ap.lam.real, ap.coef, ap.swap, [-(A2 @ ap.Vr)] if two else [])
    if got is None:
        return "Jacobian or eigenvectors out of the range of exact float products"
    R, err = got
    A2V = _up(gamma(n) * (np.abs(A2) @ Va) + n * ETA, n + 2) if two else 0.0
    if rounding_only:
        # |Yr| X <= (row sums of |Yr|) (column maxima of X): a rank-one bound (no product), used only
        # when X holds rounding errors (~1e-17 at n = 1000, far below |Yr R|); general ball matrices
        # (tube pieces: radii that vary by entry) keep the product, or their discs would all widen.
        # Only the column maxima of X = gamma |R| + D are needed: S = the float sum of the non-negative
        # terms gamma |R|, err, A2V and Ar |Vr| (for RowRadii o_i c_j + t_i |Vr_ij|, c_j >= sum_l |Vr_lj|),
        # each through at most 6 roundings, so X_ij <= up(S_ij, 6) <= up(max_l S_lj, 6) (up is monotone)
        S = np.abs(R)
        S *= gamma(n)
        S += err
        S += A2V
        if isinstance(Ar, RowRadii):
            S += Ar.o[:, None] * _up(Va.sum(axis=0), n)[None, :]
            S += Ar.t[:, None] * Va
        else:
            S += _up(Ar @ Va, n)
        xmax = _up(S.max(axis=0), 6)
        del S
        Qa = ap.Yr @ R
        np.abs(Qa, out=Qa)
        Qa += _up(np.abs(ap.Yr).sum(axis=1), n)[:, None] * xmax[None, :]   # two roundings
    else:
        ArV = Ar.times_abs(Va) if isinstance(Ar, RowRadii) else _up(Ar @ Va, n)
        X = _up(gamma(n) * np.abs(R) + _up(err + A2V + ArV, 2), 2)
        Qa = np.abs(ap.Yr @ R) + _up(np.abs(ap.Yr) @ X, n)
    Qa = _up(Qa + n * ETA, n + 6)
    return _up(Qa @ ap.sizes.astype(float), n + 2), _up(Qa.sum(axis=0), n + 1), Qa


def _f_sums(ap: _Approx) -> tuple[float, float]:
    """Upper bounds of ``||F||_inf`` and ``||F||_1``, F = I - Yr Vr (Lemma 1)."""
    n = len(ap.lam)
    D = ap.Yr @ ap.Vr
    D[np.diag_indices(n)] -= 1.0                # -(I - Yr Vr), one rounding per diagonal entry as before
    Fa = _up(np.abs(D) * (1 + U) + n * ETA, 4)
    # the row and column sums of gamma_n |Yr| |Vr| by products with vectors: |Yr| (|Vr| 1), (1^T |Yr|) |Vr|
    Ya, Va = np.abs(ap.Yr), np.abs(ap.Vr)
    rows = _up(gamma(n) * (Ya @ _up(Va.sum(axis=1), n)), n + 1)
    cols = _up(gamma(n) * (_up(Ya.sum(axis=0), n) @ Va), n + 1)
    return (float(_up(Fa.sum(axis=1) + rows, n + 2).max()), float(_up(Fa.sum(axis=0) + cols, n + 2).max()))


def _finish(ap: _Approx, rQ: np.ndarray, cQ: np.ndarray, Qa: np.ndarray, delta: float, delta1: float) -> Diagonalisation:
    """Steps 1-3 of the module docstring from the sums of |Q|, its entrywise bound and the norms of F."""
    if not (np.all(np.isfinite(rQ)) and np.all(np.isfinite(cQ)) and math.isfinite(delta) and math.isfinite(delta1)):
        return Diagonalisation(False, "residual of the diagonalisation not finite")
    if not (delta < 0.5 and delta1 < 0.5):
        return Diagonalisation(False, "eigenvector matrix not verified invertible "
                                      f"(||I - YV|| <= {max(delta, delta1):.3g})")
    g = float(_up(delta / (1 - delta) * (1 + 4 * U), 4))
    g1 = float(_up(delta1 / (1 - delta1) * (1 + 4 * U), 4))
    r = _up(rQ + g * float(rQ.max(initial=0.0)), 4)      # weighted row sums of |Er| (step 2)
    k = _up(cQ * (1 + g1), 4)                            # column sums of |Er|
    pair = ap.sizes == 2
    fi = ap.fi
    rho_row = np.where(pair, 0.0, r)
    rho_col = np.where(pair, 0.0, k)
    # step 3: a pair (j, j+1) shares one bound for its two rows / columns
    rho_row[fi] = rho_row[fi + 1] = _up(0.5 * _up(r[fi] + r[fi + 1], 2), 2)
    rho_col[fi] = rho_col[fi + 1] = _up(k[fi] + k[fi + 1], 2)
    rho = np.maximum(rho_row, rho_col)
    Vr, Yr = ap.Vr, ap.Yr
    V = Vr.astype(complex)                               # V = Vr S exactly
    V[:, fi] = Vr[:, fi] + 1j * Vr[:, fi + 1]
    V[:, fi + 1] = Vr[:, fi] - 1j * Vr[:, fi + 1]
    Y = Yr.astype(complex)                               # Y = S^-1 Yr exactly
    Y[fi] = 0.5 * (Yr[fi] - 1j * Yr[fi + 1])
    Y[fi + 1] = 0.5 * (Yr[fi] + 1j * Yr[fi + 1])
    ymax = np.abs(Yr).max(axis=0)
    comp = _components(ap.lam, rho)
    # one delta and g for both norms (g bounds ||G||_inf; the larger one is still a bound)
    return Diagonalisation(True, "", ap.lam, V, Y, rho, rho_row, max(delta, delta1), max(g, g1), ymax,
                           _isolated(comp), ap.partner, comp, E_abs=_entry_bounds(Qa, g, fi))


def _entry_bounds(Qa: np.ndarray, g: float, fi: np.ndarray) -> np.ndarray:
    """Entrywise bound of |E| (step 4 of the module docstring): ``|Er_cd| <= |Q_cd| + g max_l |Q_ld|``
    (row c of |G| sums to at most g), then the pair blocks of ``E = S^-1 Er S``."""
    Eb = _up(Qa + g * Qa.max(axis=0)[None, :], 2)
    s = _up(Eb[:, fi] + Eb[:, fi + 1], 1)          # columns: sum over d in the block L
    Eb[:, fi] = Eb[:, fi + 1] = s
    s = _up(0.5 * (Eb[fi] + Eb[fi + 1]), 1)        # rows: s_K times the sum over c in the block K
    Eb[fi] = Eb[fi + 1] = s
    return Eb


def diagonalise(A, Ar: np.ndarray | None = None, approx: tuple[np.ndarray, np.ndarray] | None = None) -> Diagonalisation:
    """Verified diagonalisation of every real matrix in the ball ``A`` (module docstring, 1-3).

    ``A``: an ``arb_mat`` or a float matrix (with radii ``Ar``, default 0). ``approx = (lam, V)``:
    float eigenpairs to verify (else ``numpy.linalg.eig`` of the midpoint matrix).
    """
    t0 = time.perf_counter()
    if isinstance(A, arb_mat):
        A1, A2, Ar = _double_floats(A)
    else:
        A1 = np.asarray(A, float)
        A2, Ar = np.zeros_like(A1), (np.zeros_like(A1) if Ar is None else Ar)
    if not all(np.all(np.isfinite(M)) for M in (A1, A2, Ar)):
        return Diagonalisation(False, "Jacobian not finite")
    ap = _approx(np.linalg.eig(A1) if approx is None else approx)
    if isinstance(ap, str):
        return Diagonalisation(False, ap)
    q = _q_sums(A1, A2, Ar, ap)
    if isinstance(q, str):
        return Diagonalisation(False, q)
    out = _finish(ap, *q, *_f_sums(ap))
    out.time = time.perf_counter() - t0
    return out


def _dist_lower(lam: np.ndarray, lk: complex) -> np.ndarray:
    """Lower bounds of |lam_j - lk| (one subtraction and one hypot: relative error <= 3u)."""
    d = np.abs(lam - lk)
    return np.maximum(d * (1 - 4 * U) - 4 * ETA, 0.0)


def _components(lam: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Connected components of the union of the discs ``D(lam_k, rho_k)`` (a label per disc; two
    discs are joined unless they are proved disjoint). Sweep over the discs sorted by the lower end
    of their real part: a disc meeting disc k and starting after it starts before k's real part
    ends, so it is among the discs visited from k (O(n log n + overlaps)). Gershgorin: a component
    of m discs holds exactly m eigenvalues; a disc alone in its component holds exactly one."""
    n = len(lam)
    lo = lam.real - rho * (1 + 4 * U) - np.abs(lam.real) * 4 * U
    hi = lam.real + rho * (1 + 4 * U) + np.abs(lam.real) * 4 * U
    order = np.argsort(lo, kind="stable")
    ends = np.searchsorted(lo[order], hi[order], side="right")   # discs starting before each one ends
    parent = np.arange(n)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a in range(n):
        ka, later = order[a], order[a + 1:ends[a]]
        meet = later[_dist_lower(lam[later], lam[ka]) <= (rho[ka] + rho[later]) * (1 + 4 * U)]
        for kb in meet:
            parent[root(ka)] = root(int(kb))
    return np.array([root(i) for i in range(n)])


def _isolated(comp: np.ndarray) -> np.ndarray:
    """iso[k]: disc k is alone in its component (disjoint from every other disc)."""
    return np.bincount(comp, minlength=len(comp))[comp] == 1


def disc_arb(diag: Diagonalisation, k: int) -> acb:
    """A complex box holding the eigenvalue of disc k."""
    l, r = diag.lam[k], float(diag.rho[k])
    return acb(arb(float(l.real), r), arb(float(l.imag), r))


# ----------------------------------------------------------------------------- constant branch
@dataclass
class FamilyData:
    """Verified constant-branch data, shared by the family proof and completeness.

    ``B_zero``: ``B(x0, a, ., .) = 0`` for every a in R; ``fa_zero``: ``f_a(x0, a) = 0`` for every a in
    R (module docstring, branch-wide facts). ``R`` is a ball around the range, for the ball checks;
    ``a_range`` is the exact range (Fractions) that crossings and proved points are compared with.
    """

    ok: bool
    reason: str
    x0: np.ndarray | None = None
    c: arb | None = None
    R: arb | None = None
    a_r: arb | None = None
    diag: Diagonalisation | None = None
    c_float: float = 0.0
    a_r_float: float = 0.0
    B_zero: bool = False
    fa_zero: bool = False
    timings: dict = field(default_factory=dict)
    a_range: tuple[Fraction, Fraction] | None = None

    @functools.cached_property
    def x_balls(self) -> list[arb]:
        """x0 as exact balls, one list shared by every point of the branch."""
        return [arb(float(v)) for v in self.x0]


_CACHE: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()


def _scalar_identity(m: arb_mat) -> arb | None:
    """``c`` when ``m`` is exactly ``c I`` with ``c`` an exact non-zero ball, else None."""
    n = m.nrows()
    c = m[0, 0]
    if c.is_zero() or not c.is_exact():
        return None
    cI = arb_mat(n, m.ncols())
    for i in range(n):
        cI[i, i] = c
    return c if cI.contains(m) else None        # the exact matrix c I contains m: m = c I exactly


def branch_data(system: Any, x0, a_range, approx: tuple | None = None) -> FamilyData:
    """Verify the constant-branch structure and diagonalise A0 once (cached per system and range).

    ``approx = (a_s, lam, V)``: a float eigen-decomposition of ``Df(x0, a_s)`` (the search's) to be
    verified instead of computing a new one (its eigenvectors are those of every Jacobian of the
    branch; nothing in it is trusted).
    """
    lo, hi = a_range
    key = (tuple(float(v) for v in x0), str(lo), str(hi))
    cache = _CACHE.setdefault(system, {})
    if key in cache:
        return cache[key]
    out = _branch_data(system, np.asarray(x0, float), lo, hi, approx)
    out.a_range = (fraction(lo), fraction(hi))
    cache[key] = out
    return out


def _structure(system, x0: np.ndarray, R: arb) -> dict:
    """Ball checks with ``a`` the range ball R: f(x0, R) = 0, Df_a(x0, R) = c I (c exact, != 0), and
    whether B(x0, R, ., .) and f_a(x0, R) vanish identically (module docstring)."""
    n = len(x0)
    with flint.ctx.workprec(PREC):
        ev = system.ball(PREC)
        xb = arb_mat([[arb(float(v))] for v in x0])
        if not is_exact_zero(ev.f(xb, R)):
            return {"reason": "f(x0, a) is not proved identically 0 on the range"}
        c = _scalar_identity(ev.Df_a(xb, R))
        if c is None:
            return {"reason": "Df_a(x0, a) is not proved to be c I with c != 0 on the range"}
        box = arb_mat([[arb(0, 1)] for _ in range(n)])
        return {"c": c, "B_zero": is_exact_zero(ev.B(xb, R, box, box)), "fa_zero": is_exact_zero(ev.f_a(xb, R))}


def _branch_data(system, x0: np.ndarray, lo, hi, approx) -> FamilyData:
    """The branch structure in ball arithmetic, then the Jacobian ball at the middle of the range
    with the bounds of Q and F (module docstring)."""
    t0 = time.perf_counter()
    R = hull(lo, hi)
    a_r_f = float(R.mid())
    st = _structure(system, x0, R)
    if "reason" in st:
        return FamilyData(False, st["reason"])
    if approx is not None:
        a_s, lam, V = approx
        lam = np.asarray(lam)
        c_f = float(st["c"].mid())                         # the verified slope (no float Df_a)
        approx = (lam + (a_r_f - float(a_s)) * c_f, V)    # a real shift keeps LAPACK's exact pairs
    else:
        approx = np.linalg.eig(system.flt.Df(x0, a_r_f))
    ap = _approx(approx)
    if isinstance(ap, str):
        return FamilyData(False, "diagonalisation: " + ap)
    t1 = time.perf_counter()
    xb = arb_mat([[arb(float(v))] for v in x0])
    with flint.ctx.workprec(PREC):
        ev = system.ball(PREC)
        A = ev.Df(xb, arb(a_r_f))
        got = _data_floats(A, ev) or _single_floats(A)
        del A
    if got is None:
        with flint.ctx.workprec(HIPREC):     # an evaluator of our own: its 106-bit data is freed with it
            A = system.module.BallSystem(system.model.ball_data()).Df(xb, arb(a_r_f))
        got = _double_floats(A)
        del A
    A1, A2, Ar = got
    t2 = time.perf_counter()
    tm = {"structure": t1 - t0, "jacobian": t2 - t1}
    if not (all(np.all(np.isfinite(M)) for M in (A1, A2)) and (Ar.finite() if isinstance(Ar, RowRadii)
                                                                 else np.all(np.isfinite(Ar)))):
        return FamilyData(False, "diagonalisation: Jacobian not finite", timings=tm)
    # BLAS threads pay off for the products of large n only: at n = 1000 on 2 shared cores one thread
    # took 0.33-0.58 CPU s (0.8-1.5 s wall) and two 0.52-0.65 (1.3-1.8 s wall), load 7-9
    with blas_threads(default_workers() if len(x0) >= THREADED else 1):
        q = _q_sums(A1, A2, Ar, ap)
        if isinstance(q, str):
            return FamilyData(False, "diagonalisation: " + q, timings=tm)
        diag = _finish(ap, *q, *_f_sums(ap))
    tm["bounds"] = time.perf_counter() - t2
    diag.time = tm["total"] = time.perf_counter() - t0
    diag.timings = tm
    c = st["c"]
    if not diag.ok:
        return FamilyData(False, "diagonalisation: " + diag.reason, x0, c, R, arb(a_r_f), diag, timings=tm)
    return FamilyData(True, "", x0, c, R, arb(a_r_f), diag, float(c.mid()), a_r_f, st["B_zero"], st["fa_zero"], tm)


def crossings(fd: FamilyData) -> tuple[list[tuple[arb, acb, int]], str]:
    """(a_j, lambda_j box, disc index) for every crossing in the range; or a reason.

    Every eigenvalue lies in a disc; a disc whose parameter interval misses the exact range gives
    no crossing in it. A disc whose interval meets the range must be isolated; it is then real
    (real centre: conjugation maps the disc and its one eigenvalue to themselves) or non-real
    (``|Im lam| > rho``); otherwise nothing is proved. A non-real disc's crossing interval must
    lie inside the exact range (one meeting a range end is undecided: a reason).
    """
    d = fd.diag
    out = []
    with flint.ctx.workprec(PREC):
        for j in range(len(d.lam)):
            e = disc_arb(d, j)
            aj = fd.a_r - e.real / fd.c
            inside = in_range(aj, *fd.a_range)
            if inside is False:
                continue
            if not d.isolated[j]:
                return [], f"eigenvalue disc {e.str(5)} (crossing in the range) overlaps another disc"
            if d.lam[j].imag == 0:
                continue
            if not (e.imag > 0 or e.imag < 0):
                return [], f"cannot decide whether eigenvalue {e.str(5)} is real"
            if e.imag > 0:
                if inside is None:
                    return [], (f"crossing at a in {interval_text(aj)} meets an end of the range "
                                f"{range_text(fd.a_range)}: cannot decide whether it is in the range")
                out.append((aj, e, j))
    out.sort(key=lambda t: float(t[0].mid()))
    return out, ""


# ----------------------------------------------------------------------------- per-point stage
def pack_ball(b: arb | None):
    """A picklable, exact form of a ball: (mid, rad) as (mantissa, exponent) integer pairs."""
    if b is None:
        return None
    m, r = b.mid().man_exp(), b.rad().man_exp()
    return (int(m[0]), int(m[1])), (int(r[0]), int(r[1]))


def unpack_ball(t) -> arb | None:
    return None if t is None else arb(t[0], t[1])


def _solve(d: Diagonalisation, z: acb, y: NBall) -> NBall | None:
    """Enclosure of (z I - A0)^{-1} y (y an n x 1 ball) through the diagonalisation (module
    docstring); None if tau >= 1."""
    n = len(d.lam)
    if y.is_exact_zero():
        return y
    ym, yr = y.mid[:, 0], y.rad[:, 0]
    # g1 = V^{-1} y = Y y + (V^{-1} - Y) y
    gm, ge = cmatmul(d.Y, ym)
    ya = _abs1(ym)
    gr = _up(_abs1(d.Y) @ yr + ge + d.g * float(_up(d.ymax @ (ya + yr), n)), n + 2)
    zm = complex(float(z.real.mid()), float(z.imag.mid()))          # 53-bit balls: exact
    zr = float(_up(float(z.real.rad()) * (1 + 4 * U) + float(z.imag.rad()) * (1 + 4 * U), 4))
    Dm = zm - d.lam
    Dr = _up(zr + 2 * U * _abs1(Dm), 2)
    Dlo = np.abs(Dm) * (1 - 4 * U) - Dr
    if not np.all(Dlo > 0):
        return None
    hm = gm / Dm
    hr = _up((gr + _abs1(gm) * Dr / (np.abs(Dm) * (1 - 4 * U))) / Dlo + 8 * U * _abs1(hm), 6)
    tau_j = _up(d.rho_row / Dlo, 2)
    tau = float(tau_j.max())
    if not tau < 1:
        return None
    hinf = float(_up((_abs1(hm) + hr).max(), 2))
    tr = _up(hr + tau_j * hinf / (1 - tau) * (1 + 4 * U), 4)
    xm, xe = cmatmul(d.V, hm)
    xr = _up(_abs1(d.V) @ tr + xe, n + 2)
    return NBall(xm[:, None], xr[:, None])


@dataclass
class PointJob:
    """What the per-point stage needs (small: O(n) floats)."""

    k: int
    a: Any
    omega: Any
    qm: np.ndarray
    qr: np.ndarray
    lm: np.ndarray
    lr: np.ndarray
    other_max: Any
    info: dict = field(default_factory=dict)


def point_batch(system, fd: FamilyData, jobs: list[PointJob]) -> list[dict]:
    """Ball-arithmetic l1 and mu' for the pairs of ``jobs``; one picklable dict per job.

    All m points in one evaluation of the generated C (and B) with the parameter as a batch
    (one value per column, ``BallBase.at_columns``) on numpy ball matrices (runtime.npball:
    BLAS products with a-priori rounding bounds). With the enclosed right and left
    eigenvectors ``v``, ``l`` (any scaling), ``nu = |v|``, ``sigma = l^T v``: ``q = v / nu`` and
    ``u = conj(p) = l nu / sigma`` (``<q, q> = u^T q = 1``), so by multilinearity
    ``l1 = Re(l^T C(v, v, conj v) - 2 l^T B(v, h11) + l^T B(conj v, h20)) / (2 omega sigma nu^2)`` with
    ``h11 = A^{-1} B(v, conj v)``, ``h20 = (2 i omega - A)^{-1} B(v, v)``, and
    ``mu' = Re(l^T (c v + B(v, x_a))) / sigma``: the scalings are scalar divisions at the end.
    """
    t0 = time.perf_counter()
    d = fd.diag
    m = len(jobs)
    res = [{"k": j.k, "l1": None, "mu": None, "reason": ""} for j in jobs]
    with flint.ctx.workprec(PREC):
        ev = system.ball(PREC)
        a = [unpack_ball(j.a) for j in jobs]
        w = [unpack_ball(j.omega) for j in jobs]
        xb = arb_mat([[arb(float(v))] for v in fd.x0])
        V = NBall(np.stack([j.qm for j in jobs], axis=1), np.stack([j.qr for j in jobs], axis=1))
        L = NBall(np.stack([j.lm for j in jobs], axis=1), np.stack([j.lr for j in jobs], axis=1))
        Vb = V.conjugate()

        def dots(X) -> list[acb]:
            mid, rad = column_dots(L, as_nball(X))
            return [to_acb(z, r) for z, r in zip(mid, rad)]

        n2m, n2r = column_norms2(V)
        nu2 = [arb(float(z), float(r)) for z, r in zip(n2m, n2r)]
        sigma = dots(V)
        total = dots(ev.at_columns("C", xb, a, V, V, Vb))
        fail: dict[int, str] = {}

        def solves(Y, zs: list[acb], why: str) -> NBall:
            cols = []
            for j, z in enumerate(zs):
                x = _solve(d, z, column(Y, j))
                if x is None:
                    fail.setdefault(j, why)
                    x = NBall(np.zeros((Y.nrows(), 1), complex), 0.0)
                cols.append(x)
            return hstack(cols)

        shifts = [(aj - fd.a_r) * fd.c for aj in a]     # A = A0 + shift I at a_j
        if not fd.B_zero:       # otherwise B(x0, a, ., .) = 0: both B-terms of l1 and B(q, x_a) vanish
            why = "family: solve through the diagonalisation failed (Neumann bound >= 1)"
            # (0 I - A)^{-1} B(v, conj v) = -h11;  h20 = (2 i w I - A)^{-1} B(v, v)
            mh11 = solves(as_nball(ev.at_columns("B", xb, a, V, Vb)), [acb(-s) for s in shifts], why)
            h20 = solves(as_nball(ev.at_columns("B", xb, a, V, V)), [acb(-s, 2 * wj) for s, wj in zip(shifts, w)], why)
            t2 = dots(ev.at_columns("B", xb, a, V, mh11))      # = -l^T B(v, h11)
            t3 = dots(ev.at_columns("B", xb, a, Vb, h20))
            total = [t + 2 * x + y for t, x, y in zip(total, t2, t3)]
        mu_num = [s * acb(fd.c) for s in sigma]        # l^T (c v) = c sigma
        if not (fd.B_zero or fd.fa_zero):
            fa = as_nball(ev.at_columns("f_a", xb, a))
            xa = solves(fa, [acb(-s) for s in shifts], "family: solve for x_a failed")   # (0 I - A)^{-1} f_a = x_a
            mu_num = [s + t for s, t in zip(mu_num, dots(ev.at_columns("B", xb, a, V, xa)))]
        for j, r in enumerate(res):
            if j in fail:
                r["reason"] = fail[j]
                continue
            if not (sigma[j].real.is_finite() and abs(sigma[j]) > 0 and nu2[j] > 0):
                r["reason"] = "family: <p, q> not enclosed away from 0"
                continue
            l1 = (total[j] / (sigma[j] * nu2[j])).real / (2 * w[j])
            mu = (mu_num[j] / sigma[j]).real
            r["l1"], r["mu"] = pack_ball(l1), pack_ball(mu)
            if not (l1.is_finite() and mu.is_finite()):
                r["reason"] = "lyapunov: NaN in l1 or mu'"
            elif not (l1 < 0 or l1 > 0):
                r["reason"] = "l1 enclosure contains 0"
            elif not (mu < 0 or mu > 0):
                r["reason"] = "transversality mu' enclosure contains 0"
    dt = (time.perf_counter() - t0) / max(m, 1)
    for r in res:
        r["time"] = dt
    return res


# ----------------------------------------------------------------------------- batch stage
def eigenvector_radii(d: Diagonalisation, G: np.ndarray, tight_left: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Radii of the right eigenvectors ``V (e_k + dv)`` about ``V[:, k]`` and of the left ones
    ``(e_k + dl)^T V^-1`` about ``Y[k, :]`` for the isolated discs ``G`` (module docstring,
    eigenvectors; ``tight_left``: row k of ``V^-1 - Y`` by :func:`_inverse_rows`)."""
    n = len(d.lam)
    lam, rho = d.lam, d.rho
    # eps_k = max_j rho_j / dist_kj, then
    # |d_j| <= (|E_jk| + rho_j eps_k) / dist_kj, |d'_j| <= (|E_kj| + rho_j eps_k) / dist_kj, dist_kk = inf
    dist = np.abs(lam[G][:, None] - lam[None, :]) * (1 - 4 * U) - 4 * ETA - rho[G][:, None] * (1 + 4 * U)
    dist[np.arange(len(G)), G] = np.inf
    eps = _quotient(rho[None, :], dist, rho, 2).max(axis=1)
    second = rho[None, :] * eps[:, None]
    Dk = _quotient(d.E_abs[:, G].T + second, dist, rho, 3)
    Dl = _quotient(d.E_abs[G, :] + second, dist, rho, 3)
    Va, Ya = _abs1(d.V), _abs1(d.Y)
    qrad = _up(Dk @ Va.T, n)                         # |V d|_i <= sum_j |V_ij| |d_j|
    gY = _up(d.g * d.ymax, 2)
    if tight_left:      # |l - Y_k| <= |d'|^T |Y| + H_k + (sum |d'|) g ymax
        lrad = _up(Dl @ Ya + _inverse_rows(d, G) + gY[None, :] * _up(Dl.sum(axis=1), n)[:, None], n + 4)
    else:               # ... <= |d'|^T |Y| + (1 + sum |d'|) g ymax
        lrad = _up(Dl @ Ya + gY[None, :] * (1 + _up(Dl.sum(axis=1), n))[:, None] * (1 + 4 * U) + gY[None, :], n + 4)
    return qrad, lrad


def prepare(fd: FamilyData, targets: list[int], tight_left: bool = False) -> tuple[list[PointJob], dict[int, str]]:
    """Spectral part for the discs ``targets`` (Im lam > 0): enclosures, checks, eigenvector bounds.
    ``tight_left``: bound row k of ``V^-1 - Y`` by the rows of F (:func:`_inverse_rows`, O(n^2) per
    target) instead of ``g ymax`` (for points whose l1 or mu' the first pass left undecided)."""
    d = fd.diag
    n = len(d.lam)
    fails: dict[int, str] = {}
    jobs: list[PointJob] = []
    good = []
    lam, rho = d.lam, d.rho
    lo_re = lam.real - rho * (1 + 4 * U) - np.abs(lam.real) * 4 * U
    hi_re = lam.real + rho * (1 + 4 * U) + np.abs(lam.real) * 4 * U
    for k in targets:
        kp = int(d.partner[k])
        if not (d.isolated[k] and d.isolated[kp]) or kp == k:
            fails[k] = "spectrum: eigenvalue disc of the pair not isolated"
            continue
        if not lam[k].imag - rho[k] * (1 + 4 * U) - 4 * U * abs(lam[k].imag) > 0:
            fails[k] = "spectrum: omega enclosure not positive"
            continue
        others = np.ones(n, bool)
        others[[k, kp]] = False
        clash = others & (hi_re >= lo_re[k]) & (lo_re <= hi_re[k])
        if clash.any():
            fails[k] = "spectrum: another eigenvalue may lie on the imaginary axis (equal real parts)"
            continue
        good.append(k)
    if not good:
        return jobs, fails
    G = np.array(good)
    qrad, lrad = eigenvector_radii(d, G, tight_left)
    other = _OtherMax(d)
    with flint.ctx.workprec(PREC):
        for i, k in enumerate(good):
            e = disc_arb(d, k)
            a = fd.a_r - e.real / fd.c
            inside = in_range(a, *fd.a_range)
            if not inside:
                fails[k] = (f"family: parameter enclosure {interval_text(a)} "
                            + ("lies outside" if inside is False else "meets an end of")
                            + f" the range {range_text(fd.a_range)}")
                continue
            other_max = other.enclosure(k, e.real)
            rec = disc_record(fd, k)
            if isinstance(rec, str):
                fails[k] = rec
                continue
            lm = d.Y[k, :]
            jobs.append(PointJob(k, pack_ball(a), pack_ball(e.imag), d.V[:, k].copy(), qrad[i].copy(),
                                 lm.copy(), lrad[i].copy(), other_max, rec))
    return jobs, fails


def _real_basis(d: Diagonalisation) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(Vr, Yr, fi)`` back from ``V = Vr S``, ``Y = S^-1 Yr`` (exact: ``Vr_f = Re V_f``,
    ``Vr_(f+1) = Im V_f``, ``Yr_f = 2 Re Y_f``, ``Yr_(f+1) = -2 Im Y_f`` for a pair f, f + 1)."""
    n = len(d.lam)
    fi = np.nonzero(d.partner > np.arange(n))[0]
    Vr = d.V.real.copy()
    Vr[:, fi + 1] = d.V[:, fi].imag
    Yr = d.Y.real.copy()
    Yr[fi] = 2 * d.Y[fi].real
    Yr[fi + 1] = -2 * d.Y[fi].imag
    return Vr, Yr, fi


def _inverse_rows(d: Diagonalisation, G: np.ndarray) -> np.ndarray:
    """``H[i] >= |V^-1 - Y|`` row ``G[i]`` entrywise (module docstring, step 5): for the rows c of the
    real block K of ``G[i]``, ``|G_cl| <= |F_cl| + delta g`` (``G = F + F G``; row sums of |F| <= delta,
    column sums of |G| <= g), so ``|(G Yr)_cj| <= (|F_c| |Yr|)_j + delta g sum_l |Yr_lj|``; then
    ``|(S^-1 G Yr)_kj| <= s_K sum_{c in K} |(G Yr)_cj|``. ``|F_c|`` as in :func:`_f_sums`, O(n^2) per row."""
    n = len(d.lam)
    Vr, Yr, fi = _real_basis(d)
    pair = d.partner != np.arange(n)
    first = np.where(pair[G], np.minimum(G, d.partner[G]), G)      # the first row of each target's block
    rows = np.concatenate([first, first[pair[G]] + 1])
    Ya = np.abs(Yr)
    eye = (rows[:, None] == np.arange(n)[None, :]).astype(float)
    Fa = _up(np.abs(eye - Yr[rows] @ Vr) * (1 + U) + gamma(n) * (Ya[rows] @ np.abs(Vr)) + n * ETA, n + 4)
    GY = _up(Fa @ Ya + (d.delta * d.g) * _up(Ya.sum(axis=0), n), n + 4)
    H = GY[:len(G)].copy()
    two = pair[G]
    H[two] = _up(0.5 * (H[two] + GY[len(G):]), 2)
    return H


def _quotient(num: np.ndarray, dist: np.ndarray, rho: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of ``num / dist`` (depth-k float numerator over a float lower bound of a positive
    distance). Where the lower bound is not positive: 0 when ``rho_j = 0`` (row and column j of E
    vanish, so ``d_j = d'_j = 0``), else HUGE (the bound is lost, never wrong)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        q = _up(num / dist, k)
    return np.where(dist > 0, q, np.where(rho[None, :] == 0, 0.0, HUGE))


#: first-pass reasons that a tighter left eigenvector may settle
UNDECIDED = ("l1 enclosure contains 0", "transversality mu' enclosure contains 0")


def retry_undecided(system, fd: FamilyData, jobs: list[PointJob], results: list[dict]) -> tuple[list, list]:
    """``(jobs, results)`` with the points whose l1 or mu' enclosure contains 0 done again with the
    rows of ``V^-1`` bounded one by one (``prepare(..., tight_left=True)``); both passes are proofs,
    the second only tighter."""
    again = [i for i, r in enumerate(results) if r["reason"] in UNDECIDED]
    if not again:
        return jobs, results
    redo, _ = prepare(fd, [jobs[i].k for i in again], tight_left=True)
    by_k = dict(zip((j.k for j in redo), zip(redo, point_batch(system, fd, redo))))
    jobs, results = list(jobs), list(results)
    for i in again:
        if jobs[i].k in by_k:
            jobs[i], results[i] = by_k[jobs[i].k]
    return jobs, results


class _OtherMax:
    """Enclosures of ``max Re(mu_j) - Re(mu_k)`` over the eigenvalues other than the pair of disc k.

    Upper end: the largest right end of the other discs. Lower end: each connected component of the
    other discs holds at least one eigenvalue (Gershgorin; the pair's isolated discs are components
    of their own), whose real part is at least the component's smallest left end: the largest of
    these over the components. End points are rounded outward (one float operation, then one ulp).
    """

    def __init__(self, d: Diagonalisation) -> None:
        left = np.nextafter(d.lam.real - d.rho, -np.inf)
        right = np.nextafter(d.lam.real + d.rho, np.inf)
        comp_left = np.full(len(left), np.inf)
        np.minimum.at(comp_left, d.component, left)
        comps = np.unique(d.component)
        self.left = sorted(((float(comp_left[c]), int(c)) for c in comps), reverse=True)[:3]
        self.right = sorted(((float(r), j) for j, r in enumerate(right)), reverse=True)[:3]
        self.d = d

    def enclosure(self, k: int, re_k: arb) -> tuple | None:
        """Packed ball, or None when the pair is the whole spectrum."""
        pair = {k, int(self.d.partner[k])}
        if len(pair) == len(self.d.lam):
            return None
        skip = {int(self.d.component[j]) for j in pair}
        lo = next(v for v, c in self.left if c not in skip)
        hi = next(v for v, j in self.right if j not in pair)
        return pack_ball((arb(lo) - re_k.upper()).union(arb(hi) - re_k.lower()))


# ----------------------------------------------------------------------------- driver
def match_candidates(fd: FamilyData, cands: list) -> dict[int, int]:
    """candidate index -> disc index (Im lam > 0) of the crossing nearest to it; one-to-one or dropped."""
    d = fd.diag
    up = np.nonzero(d.lam.imag > 0)[0]
    if len(up) == 0:
        return {}
    out: dict[int, int] = {}
    used: dict[int, int] = {}
    for i, c in enumerate(cands):
        ev = d.lam[up] + (c.a - fd.a_r_float) * fd.c_float
        j = int(np.argmin(np.abs(ev - 1j * c.omega)))
        if abs(ev[j] - 1j * c.omega) > 1e-6 * (1 + abs(c.omega)):
            continue
        k = int(up[j])
        if k in used:
            out.pop(used[k], None)
            continue
        used[k] = i
        out[i] = k
    return out


def disc_record(fd: FamilyData, k: int) -> dict[str, Any] | str:
    """The numbers of the certificate's theorem for disc k (module docstring, Certificate), or why
    they do not satisfy its isolation hypotheses ``rho_k < sigma_k``, ``rho_k < tau_k``.

    Floats are exact binary64 values (compared exactly); sigma_k, tau_k are lower bounds formed in
    floats: ``|z| >= fl|z| (1 - 4u) - 4 eta`` for the modulus of a float difference (one rounding
    each for the difference and the hypot), then one subtraction ``s - rho_j``, rounded down by the
    factor ``1 -+ 4u``. ``eps_k`` is an arb upper bound (exact floats in, rounded outward).
    """
    d = fd.diag
    lam, rho = d.lam, d.rho
    n = len(lam)

    def lower(s: np.ndarray) -> float:
        s = s.min(initial=math.inf)
        return float(s * (1 - 4 * U) if s > 0 else s * (1 + 4 * U))

    rk = float(rho[k])
    others = np.arange(n) != k
    sigma = lower(_dist_lower(lam[others], lam[k]) - rho[others])
    others[int(d.partner[k])] = False
    tau = lower(np.maximum(np.abs(lam.real[others] - lam.real[k]) * (1 - 4 * U) - 4 * ETA, 0.0)
                - rho[others]) if others.any() else None
    if not rk < sigma:
        return "spectrum: eigenvalue disc of the pair not isolated (disc radius >= disc separation)"
    if tau is not None and not rk < tau:
        return "spectrum: another eigenvalue may lie on the imaginary axis (real-part separation <= disc radius)"
    rmax = float(rho.max())
    with flint.ctx.workprec(PREC):
        eps = arb(rmax) / (arb(sigma) - arb(rk) + arb(rmax))
    return {"disc_centre": (float(lam[k].real), float(lam[k].imag)), "disc_radius": rk,
            "largest_disc_radius": rmax, "disc_separation": sigma, "real_part_separation": tau,
            "delta": float(d.delta), "g": float(d.g), "eigenvector_error_bound": eps.upper(),
            "branch_slope": fd.c, "reference_parameter": fd.a_r}


def finish(fd: FamilyData, job: PointJob | None, res: dict | None, reason: str = "") -> "HopfProof":
    """The HopfProof record of one family point (its ``proof`` holds :func:`disc_record`)."""
    from .hopf import HopfProof
    info = {"method": METHOD, "theorem": THEOREM, "precision_bits": PREC}
    if job is None:
        return HopfProof("not_proved", reason, proof=info)
    info.update(job.info)
    out = HopfProof("not_proved", reason, unpack_ball(job.a), unpack_ball(job.omega), fd.x_balls, proof=info)
    out.other_eigenvalues_real_part_max = unpack_ball(job.other_max)
    if res is None:
        return out
    out.first_lyapunov, out.transversality = unpack_ball(res["l1"]), unpack_ball(res["mu"])
    out.time = res.get("time", 0.0)
    if res["reason"]:
        out.reason = res["reason"]
        return out
    out.status, out.reason = "proved", ""
    out.criticality = "supercritical" if out.first_lyapunov < 0 else "subcritical"
    return out
