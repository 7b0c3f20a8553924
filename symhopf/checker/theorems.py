"""The checker's theorems: one Hopf point re-proved from the model alone (hopf-math.md, items 1-5).

Notation: ``<u, v> = conj(u)^T v``; ``f`` is evaluated with :class:`~symhopf.checker.jets.Field`; every
ball contains the exact value for every point of its input balls; "[lo, hi]" is a stated enclosure
of the certificate, read as exact decimals, and "b inside [lo, hi]" is decided on the exact end
points of the ball b (Fractions).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from flint import acb, acb_mat, arb, arb_mat, ctx

from .jets import Field, ball, entries

Pair = tuple[Fraction, Fraction]


class Failed(Exception):
    """A claim that does not re-verify; the message says which and why."""


def ends(b: arb) -> Pair:
    """The exact end points of a finite ball."""
    if not b.is_finite():
        raise Failed(f"non-finite enclosure {b}")
    (m, e), (r, f) = b.mid().man_exp(), b.rad().man_exp()
    mid, rad = Fraction(int(m)) * Fraction(2) ** int(e), Fraction(int(r)) * Fraction(2) ** int(f)
    return mid - rad, mid + rad


def inside(b: arb, pair: Pair | None, what: str) -> None:
    """Claim check: the checker's enclosure b (which holds the true value) lies in the stated pair."""
    if pair is None:
        raise Failed(f"{what}: no enclosure stated")
    lo, hi = ends(b)
    if not (pair[0] <= lo and hi <= pair[1]):
        raise Failed(f"{what}: stated [{float(pair[0]):.17g}, {float(pair[1]):.17g}] does not contain the "
                     f"checker's enclosure [{float(lo):.17g}, {float(hi):.17g}]")


def interval_ball(pair: Pair) -> arb:
    """A ball containing the interval [lo, hi]."""
    return ball((pair[0] + pair[1]) / 2) + ball((pair[1] - pair[0]) / 2) * arb(0, 1)


@dataclass
class Point:
    """One proved point's claims (exact stated enclosures) and its start data."""

    a: Pair
    omega: Pair
    x: list[Pair]
    l1: Pair | None
    mu: Pair | None
    other: Pair | None
    criticality: str | None
    centre: list[Fraction] | None
    phase: list[complex] | None


def critical(t: arb, map_: bool) -> tuple[arb, arb, arb, arb]:
    """``(alpha, beta, alpha', beta')``: the critical eigenvalue ``lambda(t) = alpha + i beta`` and its
    derivative in t: ``i t`` for a Hopf point (t = omega), ``e^{i t}`` for a Neimark-Sacker point (t = theta)."""
    if not map_:
        return arb(0), t, arb(0), arb(1)
    c, s = t.cos(), t.sin()
    return c, s, -s, c


def krawczyk(F: Field, p, map_: bool = False) -> tuple[list[arb], arb, arb]:
    """Existence and local uniqueness of a zero of the extended system; returns its x, a, t balls.

    Formulation. ``X = (x, a, t, vr, vi)`` in R^(3n+2), ``A = D_x f(x, a)``, ``lambda(t) = alpha + i beta``
    the critical eigenvalue (:func:`critical`: ``i omega`` for an ODE, ``e^{i theta}`` for a map),
    ``c`` the certificate's phase vector, and ``G(X) = (g, Re(A v - lambda v), Im(A v - lambda v),
    Re <c, v> - 1, Im <c, v>)`` with ``g = f(x, a)`` for an ODE and ``g = F(x, a) - x`` for a map.
    A zero is an equilibrium (fixed point) whose Jacobian has the eigenvalue (multiplier) lambda(t),
    with eigenvector v != 0 (as <c, v> = 1).

    Approximation. ``z`` = the certificate's Newton centre (exact binary midpoints), the box
    ``X = z +- rho`` (every coordinate), rho = twice the largest distance from z to an end of a
    stated x, a or t enclosure (so X holds them); ``Y`` = float64 inverse of the midpoint of DG(X).

    Bounds. ``K = z - Y G(z) + (I - Y DG(X)) (X - z)`` in ball arithmetic, DG(X) the ball Jacobian
    (blocks ``[Df - e I, f_a, 0, 0, 0; B(vr, .), Df_a vr, -alpha' vr + beta' vi, A - alpha I, beta I;
    B(vi, .), Df_a vi, -beta' vr - alpha' vi, -beta I, A - alpha I; 0, 0, 0, cr^T, ci^T;
    0, 0, 0, -ci^T, cr^T]``, e = 0 for an ODE, 1 for a map) over the whole box.

    Conclusion (Krawczyk; Neumaier, Interval Methods for Systems of Equations, Thm 5.1.7). If
    ``K`` lies in the interior of ``X``, then G has exactly one zero X* in X and X* lies in K. If
    moreover K's x, a, t components lie in the stated enclosures (which lie in X), the stated
    enclosures hold the point, unique in X.
    """
    n = F.n
    t_pair, t_name = (p.theta, "theta") if map_ else (p.omega, "omega")
    if p.centre is None or p.phase is None or len(p.centre) != 3 * n + 2 or len(p.phase) != n:
        raise Failed("no start data (Newton centre and phase vector) for the Krawczyk test")
    rho = 2 * max(max(z - lo, hi - z) for (lo, hi), z in zip([*p.x, p.a, t_pair], p.centre))
    if rho <= 0:
        raise Failed("every stated enclosure is a point: no box for the Krawczyk test")
    z = [ball(t).mid() for t in p.centre]        # exact points
    X = [t + ball(rho) * arb(0, 1) for t in z]
    cr, ci = [arb(c.real) for c in p.phase], [arb(c.imag) for c in p.phase]
    DG = _dG(F, X, cr, ci, map_)
    Y = arb_mat(np.linalg.inv(np.array([[float(DG[i, j].mid()) for j in range(3 * n + 2)]
                                        for i in range(3 * n + 2)])).tolist())
    I = arb_mat([[int(i == j) for j in range(3 * n + 2)] for i in range(3 * n + 2)])
    zc = arb_mat([[t] for t in z])
    K = zc - Y * _G(F, z, cr, ci, map_) + (I - Y * DG) * arb_mat([[t - u] for t, u in zip(X, z)])
    r = ball(rho)
    for i in range(3 * n + 2):
        if not (K[i, 0] - z[i]).abs_upper() < r:
            raise Failed(f"Krawczyk test fails: K(X) is not inside X (coordinate {i})")
    for i, pair in enumerate(p.x):
        inside(K[i, 0], pair, f"x[{i}]")
    inside(K[n, 0], p.a, "parameter")
    inside(K[n + 1, 0], t_pair, t_name)
    return [K[i, 0] for i in range(n)], K[n, 0], K[n + 1, 0]


def _G(F: Field, X: list, cr: list, ci: list, map_: bool) -> arb_mat:
    n = F.n
    x, a, t, vr, vi = X[:n], X[n], X[n + 1], X[n + 2:2 * n + 2], X[2 * n + 2:]
    al, be, _, _ = critical(t, map_)
    f, Avr, Avi = F.D(x, a, []), F.D(x, a, [vr]), F.D(x, a, [vi])
    rows = [*(f[i] - x[i] if map_ else f[i] for i in range(n)),
            *(Avr[i] - al * vr[i] + be * vi[i] for i in range(n)), *(Avi[i] - be * vr[i] - al * vi[i] for i in range(n)),
            sum((cr[j] * vr[j] + ci[j] * vi[j] for j in range(n)), arb(-1)),
            sum((cr[j] * vi[j] - ci[j] * vr[j] for j in range(n)), arb(0))]
    return arb_mat([[t] for t in rows])


def _dG(F: Field, X: list, cr: list, ci: list, map_: bool) -> arb_mat:
    n, N = F.n, 3 * F.n + 2
    x, a, t, vr, vi = X[:n], X[n], X[n + 1], X[n + 2:2 * n + 2], X[2 * n + 2:]
    al, be, dal, dbe = critical(t, map_)
    A, fa = F.D(x, a, ["I"]), F.D(x, a, ["a"])
    Br, Bi, Dr, Di = F.D(x, a, [vr, "I"]), F.D(x, a, [vi, "I"]), F.D(x, a, ["a", vr]), F.D(x, a, ["a", vi])
    M = [[arb(0)] * N for _ in range(N)]
    for i in range(n):
        for j in range(n):
            M[i][j], M[n + i][j], M[2 * n + i][j] = A[i, j] - int(map_ and i == j), Br[i, j], Bi[i, j]
            M[n + i][n + 2 + j] = M[2 * n + i][2 * n + 2 + j] = A[i, j] - (al if i == j else 0)
        M[i][n], M[n + i][n], M[2 * n + i][n] = fa[i], Dr[i], Di[i]
        M[n + i][n + 1], M[2 * n + i][n + 1] = -dal * vr[i] + dbe * vi[i], -dbe * vr[i] - dal * vi[i]
        M[n + i][2 * n + 2 + i], M[2 * n + i][n + 2 + i] = be, -be
    for j in range(n):
        M[3 * n][n + 2 + j], M[3 * n][2 * n + 2 + j] = cr[j], ci[j]
        M[3 * n + 1][n + 2 + j], M[3 * n + 1][2 * n + 2 + j] = -ci[j], cr[j]
    return arb_mat(M)


def _cmat(M: np.ndarray) -> acb_mat:
    return acb_mat([[acb(float(z.real), float(z.imag)) for z in row] for row in M])


def _ub(b) -> arb:
    """An exact upper bound of |b| (b an arb or acb ball). Bounds stay in arb (no float underflow)."""
    return abs(b).upper()


def _bound(M) -> list[list[arb]]:
    """Exact upper bounds of |M_ij|."""
    return [[_ub(M[i, j]) for j in range(M.ncols())] for i in range(M.nrows())]


def _sum(v) -> arb:
    return sum(v, arb(0)).upper()


def _max(v) -> arb:
    """The largest upper end (exact arbs compare exactly)."""
    return max((t.upper() for t in v), default=arb(0))


@dataclass
class Eigen:
    """A certified diagonalisation of every matrix A' of a ball matrix A (see :func:`diagonalise`).
    Every bound is an exact arb upper bound (never a float: at the scale 1e-300 floats underflow)."""

    E: list          # eigenvalue j of A' lies in the box E[j] (disc D_j)
    V: acb_mat       # V1
    W: acb_mat       # W1, with V1^{-1} = (I + G) W1
    r: list          # disc radii r_j
    g: arb           # ||G||_inf (it bounds every entry of G)
    wcol: list       # column sums of |W1|

    def right(self, k: int) -> list:
        """A right eigenvector V1 (e_k + d) of A' for eigenvalue k, |d_j| <= r_j / (|c_j - c_k| - r_j - r_k)."""
        return entries(self.V * self._z(k))

    def left(self, k: int) -> list:
        """A left eigenvector (e_k + d)^T V1^{-1} = (e_k + d)^T (I + G) W1 of A' (row)."""
        z = self._z(k)
        y = acb_mat([[z[j, 0] for j in range(z.nrows())]]) * self.W
        norm1 = _sum(_ub(z[j, 0]) for j in range(z.nrows()))
        return [y[0, j] + _disc(norm1 * self.g * self.wcol[j]) for j in range(y.ncols())]

    def _z(self, k: int) -> acb_mat:
        ck = self.E[k].mid()
        col = []
        for j, e in enumerate(self.E):
            gap = abs(e.mid() - ck) - self.r[j] - self.r[k]
            if j != k and not gap > 0:
                raise Failed("the eigenvalue discs of Df are not separated enough for an eigenvector bound")
            col.append(acb(1) if j == k else _disc(self.r[j] / gap))
        return acb_mat([[t] for t in col])

    def solve(self, z: acb, y: list, shift) -> list:
        """``(z I - A' - shift I)^{-1} y``: with u = V1^{-1} y, h_j = u_j / (z - shift - T_jj) and
        tau_j = r_j / |z - shift - T_jj| (tau = max < 1), the solution t of (z - shift - T) t = u has
        |t_j - h_j| <= tau_j |h|_inf / (1 - tau) (row j: Delta_j t_j = u_j + sum_l T_jl t_l)."""
        if all(acb(t).is_zero() for t in y):
            return [acb(0)] * len(y)
        w = self.W * acb_mat([[t] for t in y])
        wn = _max(_ub(w[i, 0]) for i in range(w.nrows()))
        u = [w[i, 0] + _disc(self.g * wn) for i in range(w.nrows())]
        den = [z - shift - e for e in self.E]
        tau = [(self.r[j] / abs(den[j])).upper() for j in range(len(den))]
        tmax = _max(tau)
        if not (tmax.is_finite() and tmax < 1):
            raise Failed("a solve through the eigen-decomposition is not contracting")
        h = [u[j] / den[j] for j in range(len(u))]
        hn = _max(_ub(t) for t in h)
        t = [h[j] + _disc(tau[j] * hn / (1 - tmax)) for j in range(len(h))]
        return entries(self.V * acb_mat([[v] for v in t]))


def _disc(rad: arb) -> acb:
    """A box holding the complex disc |z| <= rad (rad an arb; its upper end is used)."""
    b = arb(0, 1) * rad.upper()
    return acb(b, b)


def diagonalise(A: arb_mat) -> Eigen:
    """Every eigenvalue of every real matrix A' in the ball A, simple, in its own disc.

    Approximation. ``V, Vi ~ V^-1`` from numpy; ``W0 = Vi + Vi (I - V Vi)`` (a Newton step for the
    inverse); ``T0 = W0 A V``; ``X_ij = T0_ij / (T0_jj - T0_ii)`` (i != j, floats); ``V1 = V (I + X)``
    (one step of eigenvector refinement: the off-diagonal of V1^-1 A V1 is second order),
    ``W1 = W + W (I - V1 W)`` with ``W = (I - X) W0``; all exact at the working precision. Above 138 bits
    the step is repeated on ``T = W1 A V1`` (each squares the off-diagonal: 53 * 2^steps >= prec - 32 bits).
    Bounds (every one an exact arb upper bound). ``P = W1 V1``, ``Q = W1 A V1`` (balls, for every A').
    ``delta = ||I - P||_inf``, ``delta1 = ||I - P||_1``, both < 1/2: V1 is invertible, ``V1^{-1} = (I + G) W1``
    with ``||G||_inf <= g = delta / (1 - delta)``, ``||G||_1 <= g1`` likewise. ``T := V1^{-1} A' V1 = Q + G Q``;
    the row sums of |GQ| are <= ``g ||Q||_inf``, its column sums <= ``g1 ||Q||_1``. With ``c_j = mid Q_jj``:
    ``r_j = rad Q_jj + max(row, column off-diagonal sum of |Q| at j) + 2 max(g ||Q||_inf, g1 ||Q||_1)``
    bounds ``|T_jj - c_j|`` and both off-diagonal sums of T at j.
    Conclusion (Gershgorin, rows; with T(t) = diag T + t offdiag T for the count): if the discs
    ``D_j = D(c_j, r_j)`` are pairwise disjoint (``|c_i - c_j| > r_i + r_j`` decided in arb),
    each holds exactly one eigenvalue of A', so all are simple. Eigenvectors: for T z = lambda_k z,
    |z|_inf at index m gives lambda_k in D_m, so m = k; with z_k = 1, row j gives
    ``|z_j| <= r_j / (|c_j - c_k| - r_j - r_k)``; the same by columns for the left eigenvector.
    """
    n = A.nrows()
    try:
        _, V = np.linalg.eig(np.array([[float(A[i, j].mid()) for j in range(n)] for i in range(n)]))
        Vi = np.linalg.inv(V)
    except np.linalg.LinAlgError:
        raise Failed("no numerical eigen-decomposition of Df") from None
    Ac, V0, W0 = acb_mat(A), _cmat(V), _cmat(Vi)
    I = acb_mat([[int(i == j) for j in range(n)] for i in range(n)])
    W0 = (W0 + W0 * (I - V0 * W0)).mid()
    T0 = W0 * (Ac * V0)
    T0 = np.array([[complex(T0[i, j].mid()) for j in range(n)] for i in range(n)])
    d = np.diag(T0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        X = T0 / (d[None, :] - d[:, None])
    np.fill_diagonal(X, 0)
    if not np.all(np.isfinite(X)):
        raise Failed("the eigenvalues of Df are not separated (numerically)")
    Xc = _cmat(X)
    V1, W1 = (V0 + V0 * Xc).mid(), (W0 - Xc * W0).mid()
    W1 = (W1 + W1 * (I - V1 * W1)).mid()
    bits = 106
    while bits < ctx.prec - 32:
        bits *= 2
        T = (W1 * (Ac * V1)).mid()
        X = [[T[i, j] / (T[j, j] - T[i, i]) if i != j else acb(0) for j in range(n)] for i in range(n)]
        if not all(t.is_finite() for row in X for t in row):
            raise Failed("the eigenvalues of Df are not separated (numerically)")
        Xc = acb_mat(X).mid()
        V1, W1 = (V1 + V1 * Xc).mid(), (W1 - Xc * W1).mid()
        W1 = (W1 + W1 * (I - V1 * W1)).mid()
    Q = W1 * (Ac * V1)
    IP = _bound(I - W1 * V1)
    delta = _max(_sum(row) for row in IP)
    delta1 = _max(_sum(IP[i][j] for i in range(n)) for j in range(n))
    if not (delta < 0.5 and delta1 < 0.5):
        raise Failed("the approximate eigenvectors are not invertible (||I - W1 V1|| >= 1/2)")
    g, g1 = (delta / (1 - delta)).upper(), (delta1 / (1 - delta1)).upper()
    Qb = _bound(Q)
    rows = [_sum(Qb[j][l] for l in range(n) if l != j) for j in range(n)]
    cols = [_sum(Qb[l][j] for l in range(n) if l != j) for j in range(n)]
    Qinf = _max(rows[j] + Qb[j][j] for j in range(n))
    Q1 = _max(cols[j] + Qb[j][j] for j in range(n))
    eta = (2 * _max([g * Qinf, g1 * Q1])).upper()
    c = [acb(Q[j, j].mid()) for j in range(n)]
    r = [(Q[j, j].real.rad() + Q[j, j].imag.rad() + _max([rows[j], cols[j]]) + eta).upper() for j in range(n)]
    if not all(t.is_finite() for t in r):
        raise Failed("the eigenvalue disc radii of Df are not finite")
    for i in range(n):
        for j in range(i + 1, n):
            if not abs(c[i] - c[j]) > r[i] + r[j]:
                raise Failed("the eigenvalue discs of Df are not disjoint")
    E = [c[j] + _disc(r[j]) for j in range(n)]
    return Eigen(E, V1, W1, r, g, [_sum(col) for col in zip(*_bound(W1))])


def pair_index(E: list, w: arb, other_than: int | None = None) -> int:
    """The unique j with E_j meeting i w (resp. -i w for other_than); Failed if none or several."""
    hits = [j for j, e in enumerate(E) if j != other_than and e.overlaps(acb(0, w if other_than is None else -w))]
    if len(hits) != 1:
        raise Failed(f"{len(hits)} eigenvalue disc(s) meet {'+' if other_than is None else '-'}i omega (need 1)")
    return hits[0]


def spectrum(E: list, k: int, kk: int, shift: arb, p: Point) -> None:
    """Items 2-3. Theorem: with every eigenvalue of A* in its own disc E_j + shift (diagonalise),
    +- i w* in the discs k, kk (and in no other disc), the pair is simple; if Re(E_j + shift)
    excludes 0 for every other j, no other eigenvalue lies on the imaginary axis (0 included), and
    their largest real part lies in [max_j lo_j, max_j hi_j] of those real parts."""
    others = [E[j].real + shift for j in range(len(E)) if j not in (k, kk)]
    for r in others:
        if not (r > 0 or r < 0):
            raise Failed("an eigenvalue other than +-i omega may lie on the imaginary axis")
    if not others and p.other is not None:
        raise Failed("other eigenvalues' largest real part stated, but Df has no other eigenvalue (state null)")
    if others:
        lo, hi = max(ends(r)[0] for r in others), max(ends(r)[1] for r in others)
        if p.other is not None and not (p.other[0] <= lo and hi <= p.other[1]):
            raise Failed(f"other eigenvalues' largest real part: stated [{float(p.other[0]):.17g}, "
                         f"{float(p.other[1]):.17g}] does not contain [{float(lo):.17g}, {float(hi):.17g}]")


def eigenvectors(eig: Eigen, k: int):
    """``(q, conj q, <p, .>)`` for eigenvalue k of ``eig``'s matrix A*: with r, l its right and left
    eigenvectors, q = r / |r| (``<q, q> = 1``) and conj(p)^T = l / (l q) (``<p, q> = 1``, p an eigenvector of
    A*^T for the conjugate eigenvalue); ``<p, y> = conj(p)^T y``. Balls holding these for A*."""
    r = eig.right(k)
    norm = sum((t.real * t.real + t.imag * t.imag for t in r), arb(0)).sqrt()
    q = [t / norm for t in r]
    lrow = eig.left(k)
    gamma = sum((lrow[j] * q[j] for j in range(len(q))), acb(0))
    pb = [t / gamma for t in lrow]
    return q, [t.conjugate() for t in q], lambda y: sum((pb[j] * y[j] for j in range(len(y))), acb(0))


def sign(b: arb, pair: Pair | None, what: str) -> int:
    """Claim check: b (the checker's enclosure) lies in the stated pair, and the stated pair excludes 0
    (so the sign it states is the true one); returns that sign."""
    inside(b, pair, what)
    if not (pair[0] > 0 or pair[1] < 0):
        raise Failed(f"{what}: stated [{float(pair[0]):.17g}, {float(pair[1]):.17g}] does not exclude 0")
    return 1 if pair[0] > 0 else -1


def coefficients(F: Field, x: list, a: arb, w: arb, eig: Eigen, k: int, shift, p: Point) -> None:
    """Items 4-5: mu' and l1 (hopf-math.md) in the stated enclosures, which exclude 0 (:func:`sign`).

    Formulation. With r, l the right and left eigenvectors of eigenvalue k (``eig``, whose matrix
    is A* - shift I): q = r / |r| (so A q = i w q, <q, q> = 1), conj(p)^T = l / (l q) (so
    A^T p = -i w p, <p, q> = 1). ``solve(z, y)`` = ``eig.solve(z, y, shift)`` encloses ``(z I - A*)^{-1} y``.
    Bounds. ``x_a = -A^{-1} f_a``; ``mu' = Re <p, D_aA q + B(q, x_a)>``;
    ``l1 = Re(<p, C(q,q,qbar)> - 2 <p, B(q, A^{-1} B(q,qbar))> + <p, B(qbar, (2iwI - A)^{-1} B(q,q))>) / (2w)``,
    B, C the jets' second and third derivatives at the balls (x, a), which hold (x*, a*).
    Conclusion. Both are continuous functions of (A*, q, p, x*, a*, w*) evaluated in ball
    arithmetic over balls holding these, so the true values lie in the computed balls.
    """
    q, qb, dot = eigenvectors(eig, k)

    def solve(z: acb, y: list) -> list:
        return eig.solve(z, y, shift)

    fa = F.D(x, a, ["a"])
    xa = [arb(0)] * F.n if all(t.is_zero() for t in fa) else solve(acb(0), fa)   # -A^{-1} f_a
    mu = dot([s + t for s, t in zip(F.D(x, a, ["a", q]), F.D(x, a, [q, xa]))]).real
    h1 = solve(acb(0), F.D(x, a, [q, qb]))            # (0 I - A)^{-1} y = -A^{-1} y
    h2 = solve(acb(0, 2 * w), F.D(x, a, [q, q]))
    l1 = (dot(F.D(x, a, [q, q, qb])) + 2 * dot(F.D(x, a, [q, h1])) + dot(F.D(x, a, [qb, h2]))).real / (2 * w)
    sign(mu, p.mu, "transversality mu'")
    if p.criticality != ("supercritical" if sign(l1, p.l1, "first Lyapunov coefficient l1") < 0 else "subcritical"):
        raise Failed(f"criticality stated {p.criticality!r}, but l1 is {'negative' if l1 < 0 else 'positive'}")


def prove_point(F: Field, p: Point) -> str:
    """A point of a curve branch: Krawczyk, then spectrum and coefficients at the proved box."""
    x, a, w = krawczyk(F, p)
    if not w > 0:
        raise Failed("omega > 0 not established")
    A = F.D(x, a, ["I"])
    eig = diagonalise(A)
    k = pair_index(eig.E, w)
    spectrum(eig.E, k, pair_index(eig.E, w, other_than=k), arb(0), p)
    coefficients(F, x, a, w, eig, k, arb(0), p)
    return "Krawczyk box, verified eigen-decomposition, l1 and mu'"


def prove_family(F: Field, x0: list[Fraction], a_range: Pair, points: list[Point]) -> list[str | Exception]:
    """Points of one constant branch x(a) = x0 from ONE diagonalisation.

    Formulation. If ``f(x0, R) = 0`` and ``Df_a(x0, R) = c I`` (c != 0), both exactly for the range
    ball R, then x0 is an equilibrium for every a in the range and
    ``Df(x0, a) = A0 + (a - a_r) c I`` with ``A0 = Df(x0, a_r)`` (fundamental theorem of calculus):
    the same eigenvectors, eigenvalues ``lambda_j + (a - a_r) c``.
    Bounds. ``diagonalise(A0)``: discs E_j. For the stated point pick the unique k whose
    ``a_k = a_r - Re(E_k) / c`` meets the stated parameter enclosure and Im E_k the stated omega.
    Conclusion. ``a* = a_r - Re(lambda_k)/c`` lies in a_k, ``w* = Im(lambda_k)`` in Im E_k; at a* the
    eigenvalues are ``lambda_j - Re(lambda_k)`` (spectrum with shift -Re E_k). As A(a) is invertible
    near a*, the equilibria near (x0, a*) are x0 only (implicit function theorem) and eigenvalue k
    crosses the axis once (real part linear in a, slope c): the Hopf point is locally unique.
    """
    n = F.n
    xb = [ball(t) for t in x0]
    if not all(t.is_exact() for t in xb):
        raise Failed("the stated equilibrium is not a binary number")
    R_ball = interval_ball(a_range)
    if not all(t.is_zero() for t in F.D(xb, R_ball, [])):
        raise Failed("f(x0, a) = 0 on the whole range is not established exactly")
    Da = F.D(xb, R_ball, ["a", "I"])
    c = Da[0, 0]
    if not (c.is_exact() and not c.is_zero() and all(
            (Da[i, j] - (c if i == j else 0)).is_zero() for i in range(n) for j in range(n))):
        raise Failed("Df_a(x0, a) = c I on the range is not established exactly")
    a_r = ball((a_range[0] + a_range[1]) / 2).mid()
    A0 = F.D(xb, a_r, ["I"])
    eig = diagonalise(A0)
    E = eig.E
    out: list[str | Exception] = []
    for p in points:
        try:
            a_b, w_b = interval_ball(p.a), interval_ball(p.omega)
            ks = [j for j, e in enumerate(E) if (a_r - e.real / c).overlaps(a_b) and e.imag.overlaps(w_b)]
            if len(ks) != 1:
                raise Failed(f"{len(ks)} eigenvalue(s) of the branch match the stated point (need 1)")
            k = ks[0]
            a, w = a_r - E[k].real / c, E[k].imag
            inside(a, p.a, "parameter")
            inside(w, p.omega, "omega")
            if not w > 0:
                raise Failed("omega > 0 not established")
            kk = [j for j, e in enumerate(E) if j != k and e.overlaps(E[k].conjugate())]
            if len(kk) != 1:
                raise Failed("the conjugate eigenvalue is not isolated")
            shift = (a - a_r) * c
            spectrum(E, k, kk[0], -E[k].real, p)
            coefficients(F, xb, a, w, eig, k, shift, p)
            out.append("constant branch: one verified eigen-decomposition, eigenvalue shift, l1 and mu'")
        except Exception as exc:  # noqa: BLE001  (a failed claim, reported with its reason)
            out.append(exc)
    return out
