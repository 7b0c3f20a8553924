"""Rigorous existence and local uniqueness of a zero of the extended system G.

Formulation. G : R^N -> R^N (N = 3n+2, extended.py) is C^1; x̄ is the Newton
point (exact binary numbers); |.| is the sup norm on R^N and, for matrices,
the induced norm max_i sum_j |M_ij|. B_r = {x : |x - x̄| <= r} is the box
x̄ +- r componentwise.

Theorem (Newton-Kantorovich / radii polynomial). Let A be an N x N matrix and
Y, Z1, Z2 >= 0 with
    |A G(x̄)| <= Y,    |I - A DG(x̄)| <= Z1,
    sup_{x in B_r} sup_{|h|, |k| <= 1} |A D^2 G(x)[h, k]| <= Z2,
so that, by the mean value theorem, |A (DG(x) - DG(x̄))| <= Z2 r on B_r.
If p(r) = Y + (Z1 + Z2 r - 1) r < 0, G has exactly one zero in B_r.
Proof: T(x) = x - A G(x) has |DT(x)| <= Z1 + Z2 r = k < 1 on B_r, so by the mean
value inequality on the convex B_r, |T x - T y| <= k |x - y| and
|T x - x̄| <= Y + k r < r: T is a contraction of B_r, with one fixed point;
k < 1 makes A DG(x̄) and hence A invertible, so fixed points of T are zeros of G.
If moreover Z1 + Z2(R) R < 1 for R >= r (Z2(R) the same bound on B_R), T is a
contraction of B_R and the zero is unique in B_R.

Approximation. A = a midpoint inverse of DG(x̄) (float64 at 53 bits, an
approximate arb solve at higher precision), used as an exact matrix.

Bounds (all in ball arithmetic at the working precision, upper ends taken):
    Y  = |A G(x̄)|, G(x̄) enclosed in balls;
    Z1 = |I - A DG(x̄)|, DG(x̄) enclosed in balls (never a float matrix);
    Z2 = |A D2|, D2 the ball evaluation of D^2 G(x)[h, k] (extended.py) with x
         the whole box B_r and h, k the unit ball [-1, 1]^N: it encloses the
         second derivative at every x in B_r in every pair of unit directions,
         so every A D^2 G(x)[h, k] lies in the ball vector A D2.

At 53 bits and n >= NUMPY_N the same three bounds are taken from numpy ball products instead of
python-flint ones (runtime/npball.py: ``nprod`` with Lemma 1's rounding bound, ``nadd``; A as an exact
float matrix of radius 0; G, DG (``extended.DG_nball``: the same balls) and D2 converted by ``as_nball``,
which widens every radius by the rounding of its midpoint) and :func:`op_norm_upper_np` (Lemma 2 on the
row sums): every bound is again an upper bound of the same norm, so the theorem applies unchanged (at
n = 200 the arb product A DG, N = 602, cost 0.8 CPU s of the 1.4 s of this stage).

Conclusion. On success the unique zero lies in x̄ +- r (existence radius r) and
is the only zero in x̄ +- R (uniqueness radius R >= r).

Certificate (``proof.theorem = "newton-kantorovich"``): Y, Z1, Z2 rounded up and r rounded
down. The theorem holds for the printed numbers: Z2 bounds D^2 G on B_r, hence on the smaller
box of the printed radius, and p(printed r) < 0 is an exact rational inequality that
symhopf's tests re-check on every certificate they write.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from flint import arb, arb_mat, ctx

from ..runtime.fpbounds import abs1, upper
from ..runtime.npball import NBall, as_nball, nadd, nprod
from .extended import D2G_ball, DG_ball, DG_nball, G_ball

#: the theorem a per-point proof states (``proof.theorem`` of the certificate)
THEOREM = "newton-kantorovich"
#: n from which the 53-bit bounds Y, Z1, Z2 are numpy ball products (module docstring)
NUMPY_N = 16


@dataclass
class ExistenceResult:
    """Outcome of the existence test; bounds are exact upper bounds (arb), None when not computed."""

    success: bool
    reason: str
    precision_bits: int
    radius: arb | None = None
    uniqueness_radius: arb | None = None
    Y: arb | None = None
    Z1: arb | None = None
    Z2: arb | None = None
    box: list[arb] = field(default_factory=list)


def op_norm_upper(M: arb_mat) -> arb:
    """Exact upper bound of max_i sum_j |M_ij| (nan if some entry is not finite)."""
    best = arb(0)
    for i in range(M.nrows()):
        s = sum((M[i, j].abs_upper() for j in range(M.ncols())), arb(0)).upper()
        if not s.is_finite():
            return arb("nan")
        best = s if s > best else best
    return best


def op_norm_upper_np(M: NBall) -> arb:
    """Exact upper bound of max_i sum_j |M_ij| over the ball matrix M (nan if some entry is not finite):
    ``|M_ij| <= abs1(mid_ij) + rad_ij``, each row's sum of these non-negative floats (at most N + 2
    roundings on any path) bounded by Lemma 2 (``fpbounds.upper``)."""
    rows = upper(np.sum(abs1(M.mid) + M.rad, axis=1), M.ncols() + 2)
    return arb(float(np.max(rows, initial=0.0)))


class _NumpyBounds:
    """Y, Z1 and Z2 of the theorem by numpy ball products, with ``A = inv(mid DG0)`` exact (radius 0)."""

    def __init__(self, DG0: NBall):
        self.DG0 = DG0
        self.A = NBall(np.linalg.inv(self.DG0.mid), np.zeros(self.DG0.mid.shape))

    def norm_of_product(self, v: arb_mat) -> arb:
        """An upper bound of ``|A v|`` for every v in the ball vector (or matrix) v."""
        return op_norm_upper_np(nprod(self.A, as_nball(v)))

    def z1(self) -> arb:
        """An upper bound of ``|I - A DG|`` for every DG in the ball DG0."""
        N = self.DG0.mid.shape[0]
        return op_norm_upper_np(nadd(NBall(np.eye(N), np.zeros((N, N))), -nprod(self.A, self.DG0)))


def _approximate_inverse(DG: arb_mat, prec: int) -> arb_mat:
    N = DG.nrows()
    if prec <= 53:
        mid = np.array([[float(DG[i, j].mid()) for j in range(N)] for i in range(N)])
        return arb_mat(np.linalg.inv(mid).tolist())
    eye = arb_mat([[1 if i == j else 0 for j in range(N)] for i in range(N)])
    return DG.mid().solve(eye, nonstop=True, algorithm="approx").mid()


def prove_existence(system, c: np.ndarray, X: list[arb], prec: int,
                    tries: int = 8, uniqueness_steps: int = 4) -> ExistenceResult:
    """Run the theorem above around X (exact centres) at prec bits; never raises on failure."""
    ball, N = system.ball(prec), len(X)
    out = ExistenceResult(False, "", prec)
    numpy_path = prec <= 53 and system.n >= NUMPY_N
    with ctx.workprec(prec):
        DG0 = DG_nball(ball, c, X) if numpy_path else DG_ball(ball, c, X)
        try:
            if numpy_path:
                nb = _NumpyBounds(DG0)
                norm_A = nb.norm_of_product
            else:
                A = _approximate_inverse(DG0, prec)

                def norm_A(v: arb_mat) -> arb:
                    return op_norm_upper(A * v)
        except (np.linalg.LinAlgError, ZeroDivisionError, ValueError):
            out.reason = "existence: extended Jacobian numerically singular"
            return out
        out.Y = norm_A(G_ball(ball, c, X))
        if numpy_path:
            out.Z1 = nb.z1()
        else:
            eye = arb_mat([[1 if i == j else 0 for j in range(N)] for i in range(N)])
            out.Z1 = op_norm_upper(eye - A * DG0)
        if not (out.Y.is_finite() and out.Z1.is_finite()):
            out.reason = "existence: NaN/inf in Y or Z1"
            return out
        if not out.Z1 < 1:
            out.reason = f"existence: Z1 = {_f(out.Z1)} >= 1 (extended Jacobian ill-conditioned or singular)"
            return out

        def z2(r: arb) -> arb:
            box = [x + arb(0, r) for x in X]
            return norm_A(D2G_ball(ball, c, box))

        scale = max(1.0, max(abs(float(x)) for x in X))
        r = (2 * out.Y / (1 - out.Z1)).upper()
        r = max(r, arb(2.0 ** (2 - prec) * scale))
        for _ in range(tries):
            Z2 = z2(r)
            p = out.Y + (out.Z1 + Z2 * r - 1) * r
            if p < 0:
                out.success, out.radius, out.Z2 = True, r, Z2
                out.box = [x + arb(0, r) for x in X]
                break
            if not Z2.is_finite():
                out.reason = "existence: NaN/inf in the second-derivative bound Z2"
                return out
            r = (4 * r).upper()
        if not out.success:
            out.reason = f"existence: radii polynomial not negative (Y = {_f(out.Y)}, Z1 = {_f(out.Z1)})"
            return out
        out.uniqueness_radius = r
        R = r
        for _ in range(uniqueness_steps):
            R = (1000 * R).upper()
            if R > 0.1 or not out.Z1 + z2(R) * R < 1:
                break
            out.uniqueness_radius = R
    return out


def _f(x: arb) -> str:
    return f"{float(x.mid()):.3g}" if x.is_finite() else "nan"
