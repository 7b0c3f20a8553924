"""Spectral lemmas for the pieces of a moving branch (tube.py), O(n^3) per piece, and the
Gershgorin spectral Lemma ``spectral_ok`` (no eigenvalue on iR \\ {0}).

Three lemmas, tried in this order by tube.py: ``moving_discs_ok`` (plain piece) and
``moving_hopf_ok`` (Hopf piece), second order in the piece's half width (their docstrings), and
the first-order Hopf-piece Lemma below (``piece_spectrum``), which rests on one verified
diagonalisation of the whole piece's ball (family.diagonalise and its disc components).

Setting (tube.py). On a tube piece the arc is ``t -> z(t)``, t in T; ``A`` is a real ball matrix
holding ``Df(z(t))`` for every t in T and ``A'`` one holding ``d/dt Df(z(t))`` for every t in T
(tube.py, ``MovingBranchCheck._enclose_A``).

Lemma (Hopf piece). Let ``A0 = V (Lam + E) V^-1`` be verified for every matrix of the ball ``A``
by :func:`symhopf.proof.family.diagonalise` (Gershgorin discs ``D_j = D(lam_j, rho_j)``, rho the
larger of the row and column sums of ``|E|``; ``|V^-1 - Y|_ij <= g ymax_j``). Suppose

1. every disc meeting iR (``|Re lam_j| <= rho_j``, rounded outward) is alone in its connected
   component of the union of the discs (*isolated*);
2. among those, the real-centred ones (``Im lam_j = 0``: their one eigenvalue is real, as A is
   real and the disc is its own conjugate) are any number, and the others are exactly one
   conjugate pair ``k, k'`` with ``Im lam_k > rho_k`` (the eigenvalue ``mu(t)`` in ``D_k`` is
   non-real and simple for every t);
3. ``Re mu'(t)`` excludes 0 on T, where (``mu`` simple, ``l, r`` its left / right eigenvectors of
   ``Lam + E(t)``) ``mu' = l^T P r / (l^T r)``, ``P = V^-1 A'(t) V``. With ``r = e_k + d``,
   ``l = e_k + d'``, ``|d_j|, |d'_j| <= eps_j = rho_j / (|lam_k - lam_j| - rho_k)`` (j != k; row j of
   ``(Lam + E) r = mu r`` as in family.py), ``l^T r = 1 + d'.d`` with ``|d'.d| <= eps.eps < 1`` and
   ``l^T P r = P_kk + e``, ``|e| <= eps^T |P_{.k}| + |P_{k.}| eps + eps^T |P| eps``.

Then at every point of the arc the eigenvalues of ``Df`` on ``iR \\ {0}`` are ``mu(t)`` or its
conjugate when ``Re mu(t) = 0``, and ``Re mu`` is strictly monotone on T: the arc has at most one
Hopf point (exactly one where a proved Hopf point lies on it).

Plain form (no pair in 2.): no eigenvalue of ``Df`` on ``iR \\ {0}`` anywhere on the arc.
``P`` is enclosed as ``fl(Y A' V)`` (numpy balls, runtime/npball.py) plus
``(V^-1 - Y) A' V``, bounded per column by ``g sum_j ymax_j |(A' V)_jb|``.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from flint import acb, acb_mat, arb, arb_mat

from ..runtime.arbtools import float_inverse
from ..runtime.fpbounds import ETA, U, abs1, cmatmul, gamma, real_matmul, up
from ..runtime.npball import NBall, as_nball, nprod, to_acb
from .family import Diagonalisation, diagonalise


class SpectrumResult(NamedTuple):
    """``ok``: the Lemma's hypotheses 1-2 hold; ``pair``: the disc index k of the crossing pair
    (None: plain); ``slope``: enclosure of ``Re mu'`` (Hopf form only); ``reason`` when not ok."""

    ok: bool
    reason: str
    pair: int | None = None
    slope: arb | None = None


def _re_bounds(d: Diagonalisation) -> tuple[np.ndarray, np.ndarray]:
    """Outward float bounds of the real parts of the discs (as family._components rounds them)."""
    lo = d.lam.real - d.rho * (1 + 4 * U) - np.abs(d.lam.real) * 4 * U
    hi = d.lam.real + d.rho * (1 + 4 * U) + np.abs(d.lam.real) * 4 * U
    return lo, hi


def classify(d: Diagonalisation) -> SpectrumResult:
    """Hypotheses 1-2 of the Lemma on a verified diagonalisation of the piece's ball ``A``."""
    lo, hi = _re_bounds(d)
    touch = np.nonzero((lo <= 0) & (hi >= 0))[0]
    pairs = []
    for j in touch:
        j = int(j)
        if not d.isolated[j]:
            return SpectrumResult(False, f"an eigenvalue disc meeting iR (centre {d.lam[j]:.6g}) is not isolated")
        if d.lam[j].imag == 0:
            continue
        if not abs(d.lam[j].imag) - d.rho[j] * (1 + 4 * U) - 4 * U * abs(d.lam[j].imag) > 0:
            return SpectrumResult(False, f"cannot decide whether the eigenvalue in the disc at {d.lam[j]:.6g} is real")
        if d.lam[j].imag > 0:
            pairs.append(j)
    if len(pairs) > 1:
        return SpectrumResult(False, f"{len(pairs)} eigenvalue pairs may cross iR on the piece")
    return SpectrumResult(True, "", pairs[0] if pairs else None)


def _eps(d: Diagonalisation, k: int) -> np.ndarray | None:
    """Upper bounds eps_j of the eigenvector components j != k (eps_k = 0), or None if not isolated."""
    sep = np.abs(d.lam - d.lam[k])
    # two rounded subtractions: each errs by at most u times its operands' size
    dist = sep * (1 - 4 * U) - 4 * ETA - d.rho[k] * (1 + 4 * U) - 4 * U * (sep + d.rho[k])
    dist[k] = np.inf
    if not np.all(dist > d.rho):
        return None
    return up(d.rho / dist, 2)


def slope(d: Diagonalisation, k: int, Ap: NBall | arb_mat) -> arb | None:
    """Enclosure of ``Re mu'(t)`` for every t (hypothesis 3), or None."""
    eps = _eps(d, k)
    if eps is None:
        return None
    n = len(d.lam)
    X = nprod(as_nball(Ap), NBall(d.V, 0.0))                       # A' V
    P = nprod(NBall(d.Y, 0.0), X)                                  # fl(Y A' V) with its error
    colerr = up(d.g * (d.ymax @ (abs1(X.mid) + X.rad)), n + 2)     # (V^-1 - Y) A' V, per column
    Pa = up(abs1(P.mid) + P.rad + colerr[None, :], 3)
    ee = float(up(eps @ eps, n + 1))
    if not ee < 1:
        return None
    err = up(eps @ Pa[:, k] + Pa[k, :] @ eps + eps @ (Pa @ eps), 2 * n + 4)
    pkk = P.mid[k, k]
    rad = float(up(float(err) + P.rad[k, k] + colerr[k], 3))
    num = acb(arb(float(pkk.real), rad), arb(float(pkk.imag), rad))
    den = acb(arb(1, ee))
    return (num / den).real


def piece_spectrum(A: NBall | arb_mat, Ap: NBall | arb_mat | None) -> SpectrumResult:
    """The Lemma on one piece: ``A`` holds Df on the arc, ``Ap`` its t-derivative (Hopf form);
    ``ok`` and ``pair`` None: plain; ``ok`` with a pair: ``slope`` excludes 0 (monotone)."""
    Ab = as_nball(A)        # entrywise radii (diagonalise on an arb_mat spreads each row's radii)
    d = diagonalise(Ab.mid, Ab.rad)
    if not d.ok:
        return SpectrumResult(False, "diagonalisation: " + d.reason)
    got = classify(d)
    if not got.ok or got.pair is None or Ap is None:
        return got
    s = slope(d, got.pair, Ap)
    if s is None or not (s > 0 or s < 0):
        return SpectrumResult(False, "real part of the crossing eigenvalue not proved monotone", got.pair, s)
    return SpectrumResult(True, "", got.pair, s)


# ----------------------------------------------------------------------------- plain pieces, 2nd order
def _similar_factory(V: np.ndarray):
    """``(X1, ..., Xm) -> (V^-1 X1 V, ..., V^-1 Xm V)`` for ball matrices X (numpy balls), with ``V^-1 = Y +
    (V^-1 - Y)``: with ``F = I - Y V``, ``|F| <= Fa`` entrywise and ``||F||_inf <= delta < 1/2``, ``V^-1 - Y =
    ((I - F)^-1 - I) Y = F Y + F (I - F)^-1 F Y``, so ``|V^-1 - Y| <= FY + g2 1 ymax^T`` entrywise (``FY >=
    Fa |Y|``, ``g2 = delta^2 / (1 - delta)`` bounds ``||F (I - F)^-1 F||_inf``, ``ymax_j = max_i |Y_ij|``); this
    is never larger than the row bound ``g ymax_j``, ``g = delta / (1 - delta)`` (``Fa |Y| <= delta ymax``).
    The term ``(V^-1 - Y) X V`` is bounded by that times ``|X V|``. The m matrices share one product
    ``[X1; ...; Xm] V`` (``T``, npball.nprod) and one ``Y [T1, ..., Tm]`` whose radius is one product
    ``|Y| (2 gamma_2k |mid T| + rad T)`` (Lemma 1 of fpbounds with the factor ``2 gamma_2k`` on the right:
    the same exact sum as npball.nprod's, plus ``|Y| rad T``; ``|Y| = |Re Y| + |Im Y|`` is one more rounding
    level). None when V is not verified invertible. The last V's factory is kept (``V`` compared by
    identity, Eigenbasis.predict returning the stored array itself at the stored t, and by content against a
    copy: a V changed in place gets a new factory, red team r5h)."""
    hit = _FACTORY.get("V")
    if hit is not None and hit[0] is V and np.array_equal(hit[2], V):
        return hit[1]
    similar = _make_similar(V)
    _FACTORY["V"] = (V, similar, np.array(V))
    return similar


_FACTORY: dict[str, tuple] = {}


def _make_similar(V: np.ndarray):
    n = V.shape[0]
    Y = float_inverse(V)
    if Y is None or not np.all(np.isfinite(V)):
        return None
    P, err = cmatmul(Y, V)
    Fa = up(abs1(np.eye(n) - P) * (1 + 2 * U) + err, 3)
    delta = float(up(Fa.sum(axis=1), n + 1).max())
    if not delta < 0.5:
        return None
    g2 = float(up(delta * delta / (1 - delta) * (1 + 4 * U), 5))
    Ya = abs1(Y)
    ymax = Ya.max(axis=0)
    FY = up(Fa @ Ya, n + 2)
    Vb = NBall(V, 0.0)
    c2 = 2 * gamma(2 * n)

    def similar(*Xs) -> list[NBall]:
        Xs = [as_nball(X) for X in Xs]
        m = len(Xs)
        T = nprod(NBall(np.concatenate([X.mid for X in Xs]), np.concatenate([X.rad for X in Xs])), Vb)
        Tm, Tr = np.hstack(np.split(T.mid, m)), np.hstack(np.split(T.rad, m))     # n x (m n): [T1, ..., Tm]
        Bm = real_matmul(Y, Tm)
        Tma = abs1(Tm)
        rad = Ya @ up(c2 * Tma + Tr, 3) + 2 * U * abs1(Bm) + 4 * n * ETA
        Ta = up(Tma + Tr, 1)
        rad = up(up(rad, 2 * n + 10) + up(FY @ Ta, n + 2) + g2 * (ymax @ Ta)[None, :], 2 * n + 8)
        return [NBall(b, r) for b, r in zip(np.split(Bm, m, axis=1), np.split(rad, m, axis=1))]
    return similar


def _absb(B: NBall) -> np.ndarray:
    return up(abs1(B.mid) + B.rad, 1)


def _offdiag(B: NBall) -> NBall:
    mid, rad = B.mid.copy(), B.rad.copy()
    np.fill_diagonal(mid, 0)
    np.fill_diagonal(rad, 0)
    return NBall(mid, rad)


class RealBasis(NamedTuple):
    """A real float basis ``W`` standing for the complex ``V = W Q``: ``Q`` is block diagonal, 1 at a real
    column, ``[[1, 1], [i, -i]]`` at the pair of columns ``(j, j + 1)`` for j in ``J`` (so ``V_j = W_j + i
    W_(j+1)``, ``V_(j+1) = W_j - i W_(j+1)``: an eigenvector matrix of a real matrix is of this form with ``W``
    the real and imaginary parts of one eigenvector of each conjugate pair). ``Q`` is known exactly and
    ``Q^-1`` has blocks ``[[1, -i], [1, i]] / 2``; V is invertible iff W is, and ``V^-1 A V = Q^-1 (W^-1 A W) Q``:
    the n^3 products are real (``_eigen_form`` applies Q in O(n^2))."""

    W: np.ndarray
    J: np.ndarray


def _real_form(V: np.ndarray | RealBasis | None) -> RealBasis | None:
    """``V`` as a :class:`RealBasis`: a real matrix has no pairs; a complex one needs each column real or,
    with the next one, an exactly conjugate pair (numpy's ``eig`` of a real matrix builds them so); else None
    (a basis of another form is not used: the caller's test then fails or takes a fresh eigenbasis)."""
    if V is None or isinstance(V, RealBasis):
        return V
    V = np.asarray(V)
    if not np.iscomplexobj(V):
        return RealBasis(V, np.zeros(0, dtype=int))
    cplx = np.any(V.imag != 0, axis=0)
    J, j, n = [], 0, V.shape[1]
    while j < n:
        if not cplx[j]:
            j += 1
        elif j + 1 < n and np.array_equal(V[:, j + 1], np.conj(V[:, j])):
            J.append(j)
            j += 2
        else:
            return None
    Jn = np.array(J, dtype=int)
    W = np.array(V.real)
    W[:, Jn + 1] = V[:, Jn].imag
    return RealBasis(W, Jn)


def _eigen_form(C: NBall, J: np.ndarray) -> NBall:
    """``Q^-1 C Q`` (RealBasis) for every matrix of the real ball C, O(n^2). Midpoint: the rows of ``Q^-1
    mid C`` are halves of rows of mid C (exact, up to eta where subnormal), then each part of a column of the
    ``Q`` product is one rounded sum: error at most ``u |part| + 2 eta`` per part. Radius ``|Q^-1| rad C
    |Q|`` (``|Q^-1 E Q| <= |Q^-1| |E| |Q|`` entrywise for ``|E| <= rad C``)."""
    K = J + 1
    cm, cr = C.mid, C.rad
    Mr, Mi = np.array(cm, dtype=float), np.zeros(cm.shape)
    Mr[J], Mr[K] = 0.5 * cm[J], 0.5 * cm[J]
    Mi[J], Mi[K] = -0.5 * cm[K], 0.5 * cm[K]
    Br, Bi = Mr.copy(), Mi.copy()
    Br[:, J], Bi[:, J] = Mr[:, J] - Mi[:, K], Mi[:, J] + Mr[:, K]
    Br[:, K], Bi[:, K] = Mr[:, J] + Mi[:, K], Mi[:, J] - Mr[:, K]
    R = np.array(cr, dtype=float)
    R[J] = R[K] = 0.5 * (cr[J] + cr[K])
    R2 = R.copy()
    R2[:, J] = R2[:, K] = R[:, J] + R[:, K]
    mid = np.empty(cm.shape, dtype=complex)
    mid.real, mid.imag = Br, Bi
    return NBall(mid, up(R2 + U * (np.abs(Br) + np.abs(Bi)) + 4 * ETA, 6))


def _conjugated(X: np.ndarray, J: np.ndarray) -> np.ndarray:
    """``Re(Q X Q^-1)`` (floats only: Eigenbasis's prediction)."""
    K = J + 1
    Z = np.array(X, dtype=complex)
    Z[J], Z[K] = X[J] + X[K], 1j * (X[J] - X[K])
    Y = Z.copy()
    Y[:, J], Y[:, K] = 0.5 * (Z[:, J] + Z[:, K]), 0.5j * (Z[:, K] - Z[:, J])
    return Y.real


class _Moving(NamedTuple):
    """The discs of moving_discs_ok's Lemma: static centres ``m`` / radii ``R`` (all s), row and
    column radii ``rho``, ``rhoc`` of ``S^-1 F``, ``off`` (moving disc proved off iR for all s), the
    balls ``B1``, the correction ``X``, ``gG >= ||S^-1 - I||_inf``, the basis (``V = W Q``) and ``X0``, the
    float first-order correction of the basis towards the eigenvectors of mid A0 (``V (I + X0)``)."""

    m: np.ndarray
    R: np.ndarray
    rho: np.ndarray
    rhoc: np.ndarray
    off: np.ndarray
    B1: NBall
    X: np.ndarray
    gG: float
    h: float
    basis: RealBasis
    X0: np.ndarray


class Eigenbasis:
    """The float eigenvector basis of the last piece (a :class:`RealBasis`) and its first-order correction
    ``X`` (``_moving``), to predict the next piece's basis without an eigendecomposition: ``V(t) ~ V (I + (t -
    t0) X)`` (first-order perturbation of the eigenvectors along the arc), i.e. ``W(t) ~ W + (t - t0) W Re(Q X
    Q^-1)``, and each prediction also takes the last piece's correction ``X0`` towards the eigenvectors at
    ``t0`` (``V (I + X0 + (t - t0) X)``: one Newton-like step, so a basis carried over many pieces does not
    drift from the eigenvectors and a fresh ``eig`` is needed less often). Only a float preconditioner: the
    Lemmas hold for any invertible V (``_similar_factory`` verifies it), so a poor prediction can only make a
    test fail, and the caller then retries with a fresh ``eig``."""

    def __init__(self) -> None:
        self.key: tuple | None = None
        self.t0 = 0.0
        self.V: RealBasis | None = None
        self.X: np.ndarray | None = None
        self.X0: np.ndarray | None = None
        self.fresh = False                   # V is an eigenvector basis computed at t0 (not a prediction)

    def predict(self, key: tuple, t: float) -> RealBasis | None:
        """The basis predicted at ``t`` (same chart ``key``), or None."""
        if key != self.key or self.V is None:
            return None
        if t == self.t0:
            return self.V           # the stored basis itself: _similar_factory reuses its preconditioner
        W, J = self.V
        Z = (t - self.t0) * self.X if self.X0 is None else self.X0 + (t - self.t0) * self.X
        W = W + W @ _conjugated(Z, J)
        return RealBasis(W, J) if np.all(np.isfinite(W)) else None

    def store(self, key: tuple, t: float, V: np.ndarray | RealBasis, X: np.ndarray, fresh: bool = False,
              X0: np.ndarray | None = None) -> None:
        """Store a basis (a RealBasis, or a complex V of its form: ``_real_form``; another V stores none)."""
        self.key, self.t0, self.V, self.X, self.fresh, self.X0 = key, t, _real_form(V), X, fresh, X0


def _off_axis(B0: NBall, B1: NBall, h: float, rho: np.ndarray) -> np.ndarray:
    """Disc p (centre ``B0_pp + s B1_pp``, radius rho_p) has real part > 0 for all s in [-h, h], or < 0
    for all: the centre's real part is linear in s, so s = -h and s = h decide. At each, ``v =
    fl(Re m0 + fl(s Re m1))`` (m the midpoints) errs by at most ``3 u (|Re m0| + h |Re m1|) + 2 eta``;
    the balls add ``r0 + h r1``: ``|v| > up(that + rho_p)`` with one sign at both ends decides."""
    a, b = np.diag(B0.mid).real, np.diag(B1.mid).real
    bound = up(3 * U * (np.abs(a) + h * np.abs(b)) + 2 * ETA + np.diag(B0.rad) + h * np.diag(B1.rad) + rho, 8)
    lo, hi = a + (-h) * b, a + h * b
    return ((lo > bound) & (hi > bound)) | ((lo < -bound) & (hi < -bound))


def _moving(A0: NBall | arb_mat, A1: NBall | arb_mat, h: float,
            V: np.ndarray | RealBasis | None = None) -> _Moving | None:
    """The discs of moving_discs_ok's Lemma in the float basis V (a RealBasis, or a complex V of that form;
    default: eigenvectors of mid A0). ``V^-1 A V = Q^-1 (W^-1 A W) Q``: real products, then ``_eigen_form``.
    The F terms by the bounds of moving_discs_ok's docstring (``_f_bounds``)."""
    A0, A1 = as_nball(A0), as_nball(A1)
    Am = A0.mid
    if not np.all(np.isfinite(Am)):
        return None
    if V is None:
        try:
            _, V = np.linalg.eig(Am)
        except np.linalg.LinAlgError:
            return None
    rb = _real_form(V)
    if rb is None:
        return None
    similar = _similar_factory(rb.W)
    if similar is None:
        return None
    B0, B1 = (_eigen_form(C, rb.J) for C in similar(A0, A1))
    c = np.diag(B0.mid)
    gap = c[None, :] - c[:, None]
    scale = np.abs(c).max(initial=0.0) + 1e-300
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        X = np.where(np.abs(gap) > 1e-8 * scale, B1.mid / gap, 0)
        X0 = np.where(np.abs(gap) > 1e-8 * scale, B0.mid / gap, 0)
    np.fill_diagonal(X, 0)
    if not np.all(np.isfinite(X)):
        return None
    np.fill_diagonal(X0, 0)
    if not (np.all(np.isfinite(X0)) and float(abs1(X0).sum(axis=1).max()) < 0.5):
        X0 = np.zeros_like(X0)        # floats only (the next piece's predicted basis)
    Xa = abs1(X)
    n = len(c)
    q = float(up(h * float(up(Xa.sum(axis=1), n + 1).max()), 2))
    q1 = float(up(h * float(up(Xa.sum(axis=0), n + 1).max()), 2))
    if not (q < 0.5 and q1 < 0.5):
        X, Xa, q, q1 = np.zeros_like(X), np.zeros_like(Xa), 0.0, 0.0
    F0, F1, F2 = _f_bounds(B0, B1, X, Xa, gap)
    Fa = up(F0 + h * F1 + (h * h) * F2, 6)
    r = up(Fa.sum(axis=1), n + 1)
    gG = float(up(q / (1 - q) * (1 + 4 * U), 4)) if q else 0.0
    rho = up(r + gG * float(r.max()), 2)
    rhoc = up(Fa.sum(axis=0) / (1 - q1) * (1 + 4 * U), n + 3) if q1 else up(Fa.sum(axis=0), n + 1)
    if not (np.all(np.isfinite(rho)) and np.all(np.isfinite(rhoc))):
        return None
    off = _off_axis(B0, B1, h, rho)
    d0, d1 = np.diag(B0.rad), abs1(np.diag(B1.mid)) + np.diag(B1.rad)
    R = up(rho + d0 + h * d1, 3)
    if not (np.all(np.isfinite(c)) and np.all(np.isfinite(R))):   # every later test needs finite discs
        return None
    return _Moving(c.astype(complex), R, rho, rhoc, off, B1, X, gG, h, rb, X0)


def _f_bounds(B0: NBall, B1: NBall, X: np.ndarray, Xa: np.ndarray, gap: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Entrywise bounds ``F0 >= |B0' - D0'|``, ``F1 >= |(B1' - D1') + B0' X - X D0'|``, ``F2 >= |B1' X - X D1'|``
    for every ``B0'`` in B0, ``B1'`` in B1 (D' their diagonals, X zero-diagonal, ``gap = fl(c_q - c_p)``, c =
    diag mid B0, ``Xa = |X|``). With ``B' = D' + E'``: ``(B0' X - X D0')_pq = (B0'_pp - B0'_qq) X_pq + (E0'
    X)_pq``, and ``B0'_pp = c_p + delta_p``, ``|delta_p| <= rad B0_pp``, ``E1'_pq = m_pq + eps_pq`` (m = mid
    B1, ``|eps_pq| <= rad B1_pq``), so for p != q ``F1_pq = (m_pq - (c_q - c_p) X_pq) + eps_pq + (delta_p -
    delta_q) X_pq + (E0' X)_pq``; its first term is bounded from floats: ``r = fl(m - fl(gap X))`` gives ``|m
    - (c_q - c_p) X| <= |r|_1 (1 + u) + 5 u |gap|_1 |X|_1 + 2 eta + u |gap|_1 |X|`` (complex product, sum,
    and ``|gap - (c_q - c_p)| <= u |gap|_1``); on the diagonal only ``(E0' X)_pp``. Likewise ``F2_pq =
    (B1'_pp - B1'_qq) X_pq + (E1' X)_pq``. ``|E0' X| <= |E0| |X|`` with ``|E0| = |mid| + rad`` off the diagonal
    (one real product; the first-order correction's cancellation is kept in ``r``); ``|E1' X|`` by ``_times_x``
    (the product's own cancellation kept: measured at n = 200, ``|E1| |X|`` made the radii up to 20 % wider)."""
    n = B0.mid.shape[0]
    E0, E1 = _absb(_offdiag(B0)), _absb(_offdiag(B1))
    r0, r1 = np.diag(B0.rad), np.diag(B1.rad)
    res = abs1(B1.mid - gap * X) * (1 + U) + 6 * U * abs1(gap) * Xa + 2 * ETA + B1.rad
    np.fill_diagonal(res, 0.0)
    F1 = up(res + (r0[:, None] + r0[None, :]) * Xa + E0 @ Xa, n + 8)
    d1 = np.diag(B1.mid)
    dd = abs1(d1[:, None] - d1[None, :]) * (1 + U) + r1[:, None] + r1[None, :]
    F2 = up(dd * Xa + _times_x(B1, X, Xa), n + 8)
    return E0, F1, F2


def _times_x(B: NBall, X: np.ndarray, Xa: np.ndarray) -> np.ndarray:
    """An entrywise bound of ``|E' X|`` for every E' in the off-diagonal part E of the ball B: ``|fl(mid E X)|_1``
    plus its rounding error (fpbounds.cmatmul's Lemma 1: ``2 gamma_2k |mid E|_1 |X|_1 + 2 u |fl|_1 + 4 k
    eta``) and ``rad E |X|`` (the sum's cancellation kept, unlike ``|E| |X|``)."""
    Em, Er = _offdiag(B).mid, _offdiag(B).rad
    k = Em.shape[1]
    P = real_matmul(Em, X)
    Pa = abs1(P)
    return up(Pa * (1 + 2 * U) + up(2 * gamma(2 * k) * abs1(Em) + Er, 3) @ Xa + 4 * k * ETA, 2 * k + 8)


def moving_discs_ok(A0: NBall | arb_mat, A1: NBall | arb_mat, h: float, basis: Eigenbasis | None = None,
                    where: tuple[tuple, float] = ((), 0.0), fresh: bool = True) -> bool:
    """Lemma (plain piece, second order). Every ``Df`` on the arc is ``A0' + s A1'`` for some
    ``A0'`` in ``A0``, ``A1'`` in ``A1`` and s in [-h, h] (mean-value form, tube.py). With ``V`` any
    invertible float matrix (an eigenvector matrix of mid A0, or one predicted from the last piece) and
    ``B(s) = V^-1 (A0' + s A1') V = B0 + s B1`` (balls), ``X`` any float matrix with zero diagonal (here ``X_pq = mid B1_pq / (c_q - c_p)``, c = diag mid B0: the
    first-order eigenvector correction), ``S = I + s X`` (``q = h ||X||_inf < 1/2``), ``D(s) = diag(B0
    + s B1)``: ``S^-1 B(s) S = D(s) + S^-1 F(s)``, ``F(s) = (B0 - D0) + s ((B1 - D1) + B0 X - X D0) +
    s^2 (B1 X - X D1)``, and ``||S^-1 - I||_inf <= q / (1 - q)``. So every eigenvalue lies in a disc
    centred ``B0_pp + s B1_pp`` of radius ``rho_p = r_p + q / (1 - q) max_l r_l``, r the row sums of
    ``|B0 - D0| + h |(B1 - D1) + B0 X - X D0| + h^2 |B1 X - X D1|`` (second order in h: the first
    order term of F is only the balls' radii). A disc whose centre's real part exceeds rho_p in
    modulus at s = -h and s = h with one sign (it is linear in s) holds no eigenvalue on iR;
    the others (static discs: centre mid B0_pp, radius rho_p + rad B0_pp + h |B1_pp|) must be
    isolated and are then replaced by real-centred supersets as in ``tube.spectral_ok`` (their one
    eigenvalue is real). Then no ``Df`` on the arc has an eigenvalue on ``iR \\ {0}``.

    Computed with ``V = W Q`` (:class:`RealBasis`: W real, Q exact and sparse), so ``V^-1 A V = Q^-1 (W^-1 A
    W) Q`` costs real n^3 products; ``|F1|``, ``|F2|`` are bounded without complex products (``_f_bounds``).

    ``basis`` / ``where`` (chart key, t~): V predicted from the previous piece first (``Eigenbasis``),
    then a fresh eigendecomposition (``_in_basis``)."""
    return _in_basis(lambda mv: touching_isolated(list(mv.m), [float(r) for r in mv.R], list(~mv.off)),
                     A0, A1, h, basis, where, fresh)


def moving_hopf_ok(A0: NBall | arb_mat, A1: NBall | arb_mat, h: float, basis: Eigenbasis | None = None,
                   where: tuple[tuple, float] = ((), 0.0), Ad: NBall | arb_mat | None = None) -> bool:
    """Lemma (Hopf piece, second order), in the setting of moving_discs_ok. Suppose the static discs
    not proved off iR are: ones meeting the real axis, isolated as there (one real eigenvalue
    each), and ones in the open lower or upper half plane, exactly one (p) in the upper; ``gap`` below
    makes p isolated. Then for every s
    disc p holds one eigenvalue ``mu(s)``, simple, and every eigenvalue ``i w`` (w > 0) of a ``Df``
    on the arc is ``mu(s)``. Eigenvectors of ``C(s) = S^-1 B(s) S`` (fixed s): the right one is
    ``e_p + d``, ``|d_j| <= eps_j = rho_j / gap_j``, the left one ``e_p + d'``, ``|d'_j| <= epsc_j =
    rhoc_j / gap_j`` (rows / columns of ``(mu - C_jj) r_j = sum_{i != j} C_ji r_i``), where ``gap_j =
    |m_p - m_j| - R_p - R_j`` bounds ``|mu - C_jj|`` below (C_jj lies in the static disc j) and must
    exceed rho_j and rhoc_j. ``mu' = l^T M r / (l^T r)`` with ``M = S^-1 B'(s) S``, ``B' = V^-1 A'
    V`` in B1; with ``W = |B1| (I + h |X|)`` (bounds ``|B' S|``), ``|M_ik| <= (1 + gG) max_j W_jk``,
    ``|M_pp - B'_pp| <= gG max_j W_jp + h (|B1| |X|)_pp``, so ``l^T M r`` lies in ``B1_pp`` plus a
    disc of radius ``|M_pp - B'_pp| + |epsc|_1 mc_p + (1 + |epsc|_1) sum_k eps_k mx_k`` and
    ``l^T r`` in ``1 +- epsc.eps``. ``Re mu'`` excluding 0 on [-h, h]: at most one Hopf point.
    ``basis``, ``where``: as in moving_discs_ok.

    Derivative ball ``Ad`` (second-order form, hopf_arc.py): when every ``Df`` on the arc is ``A0'(s) + s
    A1'`` with ``A0'(s)`` in ``A0`` depending on s (Lemma A2), ``d/dt Df`` need not lie in ``A1``; if ``Ad``
    holds ``d/dt Df`` at every arc point, the above holds with ``B1`` replaced by ``V^-1 Ad V`` in the slope
    (discs and eigenvector bounds are taken pointwise, at each s, and use only that ``Df`` at that s lies
    in the discs; ``|B' S| <= |V^-1 Ad V| (I + h |X|)`` for every ``B'`` in ``V^-1 Ad V``)."""
    return _in_basis(lambda mv: _hopf_discs(mv, Ad), A0, A1, h, basis, where)


def _in_basis(test, A0: NBall | arb_mat, A1: NBall | arb_mat, h: float, basis: Eigenbasis | None,
              where: tuple[tuple, float], fresh: bool = True) -> bool:
    """``test`` on the Lemma's discs in the basis predicted by ``basis``, else in a fresh eigenbasis of
    mid A0 (not when the stored basis is one computed at this t, nor with ``fresh`` False when there is a
    prediction: tube._plain_ok's first-order form when the second-order form follows); the last basis used
    (and its correction X) is stored for the next piece. Which bases are tried decides only success, never
    soundness."""
    guess = basis.predict(*where) if basis is not None else None
    # the stored V already an eigenbasis computed at this t (the first-order form's retry, tube._plain_ok):
    # a second eig, of the second-order form's (nearly equal) midpoint, would give the same basis
    again = fresh and guess is not None and not (basis.fresh and where[1] == basis.t0)
    for V in ((guess, None) if again else (guess,)):
        mv = _moving(A0, A1, h, V)
        if mv is None:
            continue
        if basis is not None:
            basis.store(where[0], where[1], mv.basis, mv.X, fresh=V is None, X0=mv.X0)
        if test(mv):
            return True
    return False


def _hopf_discs(mv: _Moving, Ad: NBall | arb_mat | None = None) -> bool:
    """moving_hopf_ok's test on the discs (its docstring); ``Ad``: its derivative ball, else ``A1``."""
    n = len(mv.m)
    touch = ~mv.off
    im_lo = mv.m.imag - mv.R * (1 + 4 * U)
    im_hi = mv.m.imag + mv.R * (1 + 4 * U)
    upper = touch & (im_lo > 0)
    real = touch & ~upper & ~(im_hi < 0)      # meeting the real axis: one real eigenvalue each
    if int(upper.sum()) != 1:
        return False
    p = int(np.nonzero(upper)[0][0])
    if not touching_isolated(list(mv.m), [float(r) for r in mv.R], list(real)):
        return False
    sep = np.abs(mv.m - mv.m[p])
    # three rounded subtractions: each errs by at most u times its operands' size
    gap = sep * (1 - 4 * U) - 4 * ETA - mv.R[p] * (1 + 4 * U) - mv.R * (1 + 4 * U) - 8 * U * (sep + mv.R[p] + mv.R)
    gap[p] = np.inf
    if not (np.all(gap > mv.rho) and np.all(gap > mv.rhoc)):
        return False
    eps = up(mv.rho / gap, 2)
    epsc = up(mv.rhoc / gap, 2)
    eps[p] = epsc[p] = 0.0
    if Ad is None:
        Bd = mv.B1
    else:
        similar = _similar_factory(mv.basis.W)
        if similar is None:
            return False
        Bd = _eigen_form(similar(Ad)[0], mv.basis.J)
    Ba = _absb(Bd)
    Xa = abs1(mv.X)
    W = up(Ba + mv.h * (Ba @ Xa), n + 3)
    wmax = W.max(axis=0)                           # max_j W_jk for every k
    k1 = 1 + mv.gG
    mc = k1 * wmax[p]
    mx = k1 * wmax
    e1 = float(up(epsc.sum(), n + 1))
    dpp = up(mv.gG * wmax[p] + mv.h * float(Ba[p] @ Xa[:, p]), n + 3)
    tail = float(up(eps @ mx, n + 4))
    err = float(up(float(dpp) + e1 * mc + (1 + e1) * tail, 16))
    ee = float(up(epsc @ eps, n + 1))
    if not (np.isfinite(err) and ee < 1):
        return False
    b = Bd.mid[p, p]
    rad = float(up(err + Bd.rad[p, p], 2))
    num = acb(arb(float(np.real(b)), rad), arb(float(np.imag(b)), rad))
    sl = (num / acb(arb(1, ee))).real
    return bool(sl > 0 or sl < 0)


def touching_isolated(cs: list[complex], rs: list[float], touch: list[bool]) -> bool:
    """Each touching disc ``D(c_p, r_p)``, replaced by the real-centred ``{|z - Re c_p| <= r_p +
    |Im c_p|}``, is disjoint from every other disc (tube.spectral_ok's Lemma)."""
    idx = [p for p, t in enumerate(touch) if t]
    if not idx:
        return True
    if not all(np.isfinite(c.real) and np.isfinite(c.imag) for c in cs) or not np.all(np.isfinite(np.array(rs, float))):
        return False   # a non-finite disc would pass the float prefilter below unseen
    fc = [complex(c.real, 0.0) if t else c for c, t in zip(cs, touch)]
    fr = [(arb(r) + abs(arb(c.imag))).upper() if t else r for c, r, t in zip(cs, rs, touch)]
    fc_re, fc_im = np.array([c.real for c in fc]), np.array([c.imag for c in fc])
    for p in idx:
        # float prefilter: only discs whose float distance is not clearly larger are decided in balls
        dist = np.hypot(fc_re - fc_re[p], fc_im - fc_im[p])
        near = np.nonzero(dist <= 2 * (np.array(fr, float) + float(fr[p])) + 1e-300)[0]
        for q in near:
            if q != p and not abs(acb(fc[p].real, fc[p].imag) - acb(fc[q].real, fc[q].imag)) > \
                    arb(fr[p]) + arb(fr[q]):
                return False
    return True


def _offs(B: NBall) -> np.ndarray:
    """Upper bounds of the off-diagonal row sums of |B| over the ball B."""
    T = abs1(B.mid) + B.rad
    np.fill_diagonal(T, 0.0)
    return up(T.sum(axis=1), T.shape[1] + 2)


def _discs(B: NBall) -> tuple[list[complex], list[float]]:
    """Row Gershgorin discs (float centre, upward-rounded radius) of every matrix in the ball B."""
    rs = up(np.diag(B.rad) + _offs(B), 2)
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
