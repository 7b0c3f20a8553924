"""Family proof: every Hopf point of one constant equilibrium branch from ONE verified diagonalisation.

Formulation. The branch is ``x(a) = x0`` on the range ``R = [a0, a1]`` with, verified in ball
arithmetic with ``a`` the whole range ball (as completeness.py does): ``f(x0, R) = 0`` exactly
and ``Df_a(x0, R) = c I`` exactly (``c != 0`` real). Then for every ``a`` in R

    Df(x0, a) = A0 + (a - a_r) c I,      A0 = Df(x0, a_r), a_r in R fixed,

so all Jacobians of the family share the eigenvectors of A0 and have the eigenvalues
``mu_j + (a - a_r) c`` (``mu_j`` those of A0). A pair ``mu_k, conj(mu_k)`` (Im mu_k > 0) is on
the imaginary axis exactly at ``a_k = a_r - Re(mu_k) / c`` with ``omega_k = Im mu_k``.

Approximation. ``lam, V = numpy.linalg.eig(mid A0)``, ``Y = inv(V)`` (float64, used as exact
matrices). ``Lam = diag(lam)``.

Bounds (a-priori rounding error bounds; u = 2^-53, eta = 2^-1074, gamma_k = k u / (1 - k u)).
Lemma 1 (Higham, Thm 3.5, with gradual underflow): for real float matrices and inner
dimension k, in any summation order and with or without FMA,
``|fl(AB) - AB| <= gamma_k |A| |B| + k eta`` entrywise. Complex products are done as four
real products (``Re = Ar Br - Ai Bi`` ...), so with ``|z|_1 = |Re z| + |Im z| >= |z|``,
``|fl(AB) - AB| <= 2 gamma_k |A|_1 |B|_1 + 2 u |fl(AB)|_1 + 4 k eta`` (modulus, entrywise).
Lemma 2: if ``s`` is the float evaluation of a sum of k products of non-negative floats with
exact value S, then ``s >= (1 - gamma_k) S - k eta``, so ``S <= (s + k eta)(1 + 2 gamma_k)``;
``_up(s, k)`` evaluates this bound with one extra factor ``(1 + 4u)`` and a final rounding
upward (``nextafter``), so ``_up`` of a float evaluation of a non-negative expression of depth
<= k is a rigorous upper bound of its exact value. Every radius below is obtained this way.

1. ``F = I - Y V``: ``|F| <= |I - fl(YV)|_1 + err``; ``delta >= ||F||_inf``. If ``delta < 1``,
   V is invertible, ``V^{-1} = (I - F)^{-1} Y`` and entrywise
   ``|V^{-1} - Y|_{kj} <= g ymax_j`` with ``g = delta / (1 - delta)``, ``ymax_j = max_i |Y_ij|``
   (since ``V^{-1} - Y = (I - F)^{-1} F Y`` and ``||(I - F)^{-1} F||_inf <= g``).
2. ``Rm = A0 V - V Lam`` with A0 in the ball ``Am +- Ar``: ``|R| <= Rabs`` (Lemma 1 for the
   product, 3u |V|_1 |lam|_1 for the column scaling, ``Ar |V|_1`` for the ball of A0).
3. ``E = V^{-1} R`` so that ``A0 = V (Lam + E) V^{-1}``. Row sums of |E|:
   ``rho_row <= |Y|_1 r + g (ymax . r)``, r = row sums of Rabs; column sums:
   ``rho_col <= (1^T |Y|_1 + n g ymax^T) Rabs``. ``rho = max(rho_row, rho_col)``, made equal on
   the two members of a numerical conjugate pair.
Gershgorin (rows or columns): every eigenvalue of A0 lies in a disc ``D_k = D(lam_k, rho_k)``;
a disc disjoint from all others holds exactly one eigenvalue (homotopy ``Lam + t E``).
Eigenvectors: for an isolated disc k the eigenvector of ``Lam + E`` is ``e_k + d`` with
``|d_j| <= rho_j / (|lam_k - lam_j| - rho_k)`` (from row j of ``(Lam + E) z = mu z``,
``|mu - lam_j| >= |lam_k - lam_j| - rho_k > rho_j`` and ``|z|_inf = 1`` attained at k);
the same for the left eigenvector with column sums. So ``v_k = V e_k + V d`` is a right and
``l_k = e_k^T V^{-1} + d'^T V^{-1}`` a left eigenvector of A0, both enclosed entrywise
(1. for ``V^{-1}``). Solves: for ``z`` not an eigenvalue of ``A = A0 + s c I``,
``(zI - A)^{-1} y = V (D - E)^{-1} V^{-1} y`` with ``D = diag(z - s c - lam_j)``; with ``h = D^{-1}
V^{-1} y``, ``tau_j = rho_row_j / |D_j|``, ``tau = max tau_j < 1``: the solution ``t`` of
``(D - E) t = V^{-1} y`` satisfies ``|t_j - h_j| <= tau_j |h|_inf / (1 - tau)``.

Conclusion (for each pair k, Im lam_k > rho_k, disc k and its conjugate disc isolated,
``a_k`` inside the range, every other disc's real part interval disjoint from disc k's):
``(x0, a_k, omega_k)`` is a Hopf point: ``f(x0, a_k) = 0``, ``+- i omega_k`` simple eigenvalues
of ``Df(x0, a_k)``, every other eigenvalue has real part ``Re(mu_j - mu_k) != 0`` (its max is
enclosed), ``mu' = Re <p, c q + B(q, x_a)>`` and l1 by Kuznetsov's full formula (hopf-math.md)
evaluated in ball arithmetic with the generated B, C at ``(x0, a_k)`` (a_k a ball), q, p from
the enclosed eigenvectors and the two solves above, are enclosed and exclude 0. Uniqueness:
``a_k`` is the only parameter in the range at which this eigenvalue crosses (``c != 0``), and
the crossings of different discs are distinct when their enclosures are disjoint.
"""
from __future__ import annotations

import math
import time
import weakref
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import flint
from flint import acb, acb_mat, arb, arb_mat, fmpq

U = 2.0 ** -53
ETA = 2.0 ** -1074
PREC = 53

METHOD = ("family proof on a verified constant branch (f(x0,a)=0, Df_a = c I on the range): "
          "one verified diagonalisation A0 = V (Lam + E) V^-1 (a-priori float rounding bounds), "
          "Gershgorin discs of Lam + E; l1 by Kuznetsov's full formula with the generated ball B, C "
          "and solves through the diagonalisation (Neumann bound)")


def _gamma(k: int) -> float:
    g = Fraction(k) * Fraction(1, 2 ** 53) / (1 - Fraction(k) * Fraction(1, 2 ** 53))
    return math.nextafter(float(g), math.inf)


def _up(s, k: int):
    """Rigorous upper bound of the exact value of a non-negative depth-k float expression s (Lemma 2)."""
    c = math.nextafter(float((1 + 2 * Fraction(_gamma(k + 2))) * (1 + 4 * Fraction(1, 2 ** 53))), math.inf)
    return np.nextafter((np.asarray(s, dtype=float) + (k + 2) * ETA) * c, np.inf)


def _abs1(z: np.ndarray) -> np.ndarray:
    return np.abs(z.real) + np.abs(z.imag) if np.iscomplexobj(z) else np.abs(z)


def cmatmul(A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """fl(A B) by real products and an entrywise bound of the modulus of its error (Lemma 1)."""
    k = A.shape[1] if A.ndim == 2 else A.shape[0]
    Ar, Ai = (A.real, A.imag) if np.iscomplexobj(A) else (A, None)
    Br, Bi = (B.real, B.imag) if np.iscomplexobj(B) else (B, None)
    re = Ar @ Br
    im = None
    if Ai is not None and Bi is not None:
        re = re - Ai @ Bi
    if Bi is not None:
        im = Ar @ Bi
    if Ai is not None:
        im = Ai @ Br if im is None else im + Ai @ Br
    mid = re if im is None else re + 1j * im
    T = _abs1(A) @ _abs1(B)
    err = _up(2 * _gamma(2 * k) * T + 2 * U * _abs1(mid) + 4 * k * ETA, 2 * k)
    return mid, err


# ----------------------------------------------------------------------------- diagonalisation
@dataclass
class Diagonalisation:
    """A0 = V (Lam + E) V^{-1} verified; ``rho`` disc radii (row/col max), ``rho_row`` row sums of |E|."""

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
    time: float = 0.0


def diagonalise(Am: np.ndarray, Ar: np.ndarray | None) -> Diagonalisation:
    """Verified diagonalisation of every real matrix in the ball ``Am +- Ar`` (module docstring, 1-3)."""
    t0 = time.perf_counter()
    n = Am.shape[0]
    if not (np.all(np.isfinite(Am)) and (Ar is None or np.all(np.isfinite(Ar)))):
        return Diagonalisation(False, "Jacobian not finite")
    lam, V = np.linalg.eig(Am)
    try:
        Y = np.linalg.inv(V)
    except np.linalg.LinAlgError:
        return Diagonalisation(False, "eigenvector matrix singular")
    YV, eYV = cmatmul(Y, V)
    Fm = -YV
    Fm[np.diag_indices(n)] += 1
    f = _up(_up(_abs1(Fm) * (1 + 2 * U) + eYV, 2).sum(axis=1), n)
    delta = float(f.max())
    if not delta < 0.5:
        return Diagonalisation(False, f"eigenvector matrix not verified invertible (||I - YV|| <= {delta:.3g})")
    g = float(_up(delta / (1 - delta) * (1 + 4 * U), 4))
    AV, eAV = cmatmul(Am, V)
    VL = V * lam[None, :]
    Rm = AV - VL
    Va = _abs1(V)
    extra = 0.0 if Ar is None else Ar @ Va
    Rabs = _up(_abs1(Rm) * (1 + 2 * U) + eAV + 3 * U * Va * _abs1(lam)[None, :] + extra, n + 4)
    r = _up(Rabs.sum(axis=1), n)
    Ya = _abs1(Y)
    ymax = Ya.max(axis=0)
    rho_row = _up(Ya @ r + g * float(_up(ymax @ r, n)), n + 2)
    rho_col = _up((Ya.sum(axis=0) + n * g * ymax) @ Rabs, 2 * n + 2)
    rho = np.maximum(rho_row, rho_col)
    # partner: the numerical conjugate (LAPACK returns exact conjugate pairs)
    partner = np.arange(n)
    for k in np.nonzero(lam.imag != 0)[0]:
        j = int(np.argmin(np.abs(lam - np.conj(lam[k]))))
        partner[k] = j
    rho = np.maximum(rho, rho[partner])
    iso = _isolated(lam, rho)
    return Diagonalisation(True, "", lam, V, Y, rho, rho_row, delta, g, ymax, iso, partner,
                           time.perf_counter() - t0)


def _dist_lower(lam: np.ndarray, lk: complex) -> np.ndarray:
    """Lower bounds of |lam_j - lk| (one subtraction and one hypot: relative error <= 3u)."""
    d = np.abs(lam - lk)
    return np.maximum(d * (1 - 4 * U) - 4 * ETA, 0.0)


def _isolated(lam: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """iso[k]: disc k is disjoint from every other disc (sorted sweep on real parts, O(n log n + overlaps))."""
    n = len(lam)
    order = np.argsort(lam.real)
    lo = lam.real[order] - rho[order] * (1 + 4 * U) - np.abs(lam.real[order]) * 4 * U
    hi = lam.real[order] + rho[order] * (1 + 4 * U) + np.abs(lam.real[order]) * 4 * U
    iso = np.ones(n, bool)
    for a in range(n):
        b = a + 1
        ka = order[a]
        while b < n and lo[b] <= hi[a]:
            kb = order[b]
            if _dist_lower(lam[kb:kb + 1], lam[ka])[0] <= (rho[ka] + rho[kb]) * (1 + 4 * U):
                iso[ka] = iso[kb] = False
            b += 1
    return iso


def disc_arb(diag: Diagonalisation, k: int) -> acb:
    """A complex box holding the eigenvalue of disc k."""
    l, r = diag.lam[k], float(diag.rho[k])
    return acb(arb(float(l.real), r), arb(float(l.imag), r))


# ----------------------------------------------------------------------------- constant branch
@dataclass
class FamilyData:
    """Verified constant-branch data, shared by the family proof and completeness."""

    ok: bool
    reason: str
    x0: np.ndarray | None = None
    c: arb | None = None
    R: arb | None = None
    a_r: arb | None = None
    diag: Diagonalisation | None = None
    c_float: float = 0.0
    a_r_float: float = 0.0


_CACHE: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()


def _arb(v) -> arb:
    if isinstance(v, Fraction):
        return arb(fmpq(v.numerator, v.denominator))
    if isinstance(v, str):
        f = Fraction(v)
        return arb(fmpq(f.numerator, f.denominator))
    return arb(float(v)) if isinstance(v, float) else arb(int(v)) if isinstance(v, int) else arb(v)


def _scalar_identity(m: arb_mat) -> arb | None:
    c = m[0, 0]
    n = m.nrows()
    for i, e in enumerate(m.entries()):
        if not e.is_exact():
            return None
        if i % (n + 1) == 0:
            if not e == c:
                return None
        elif not e.is_zero():
            return None
    return None if c.is_zero() else c


def _to_numpy(m: arb_mat) -> tuple[np.ndarray, np.ndarray]:
    """Float midpoints and radii (upper bounds) of an arb_mat at 53 bits (midpoints then exact)."""
    n, k = m.nrows(), m.ncols()
    ents = m.entries()
    mid = np.array([float(e.mid()) for e in ents]).reshape(n, k)
    rad = np.array([float(e.rad()) for e in ents]).reshape(n, k)
    return mid, _up(rad, 1)


def branch_data(system: Any, x0, a_range) -> FamilyData:
    """Verify the constant-branch structure and diagonalise A0 once (cached per system and range)."""
    lo, hi = a_range
    key = (tuple(float(v) for v in x0), str(lo), str(hi))
    cache = _CACHE.setdefault(system, {})
    if key in cache:
        return cache[key]
    out = _branch_data(system, np.asarray(x0, float), lo, hi)
    cache[key] = out
    return out


def _branch_data(system, x0: np.ndarray, lo, hi) -> FamilyData:
    with flint.ctx.workprec(PREC):
        ev = system.ball(PREC)
        R = _arb(lo).union(_arb(hi))
        xb = arb_mat([[arb(float(v))] for v in x0])
        fx = ev.f(xb, R)
        if not all(e.is_exact() and e.is_zero() for e in fx.entries()):
            return FamilyData(False, "f(x0, a) is not proved identically 0 on the range")
        c = _scalar_identity(ev.Df_a(xb, R))
        if c is None:
            return FamilyData(False, "Df_a(x0, a) is not proved to be c I with c != 0 on the range")
        a_r_f = float(R.mid())
        a_r = arb(a_r_f)
        A = ev.Df(xb, a_r)
    Am, Ar = _to_numpy(A)
    diag = diagonalise(Am, Ar if Ar.any() else None)
    if not diag.ok:
        return FamilyData(False, "diagonalisation: " + diag.reason, x0, c, R, a_r, diag)
    return FamilyData(True, "", x0, c, R, a_r, diag, float(c.mid()), a_r_f)


def crossings(fd: FamilyData) -> tuple[list[tuple[arb, acb, int]], str]:
    """(a_j, lambda_j box, disc index) for every crossing meeting the range; or a reason.

    Every eigenvalue lies in a disc; a disc whose parameter interval misses the range gives no
    crossing in it. A disc whose interval meets the range must be isolated; it is then real
    (real centre: conjugation maps the disc and its one eigenvalue to themselves) or non-real
    (``|Im lam| > rho``); otherwise nothing is proved.
    """
    d = fd.diag
    out = []
    with flint.ctx.workprec(PREC):
        for j in range(len(d.lam)):
            e = disc_arb(d, j)
            aj = fd.a_r - e.real / fd.c
            if not aj.overlaps(fd.R):
                continue
            if not d.isolated[j]:
                return [], f"eigenvalue disc {e.str(5)} (crossing in the range) overlaps another disc"
            if d.lam[j].imag == 0:
                continue
            if not (e.imag > 0 or e.imag < 0):
                return [], f"cannot decide whether eigenvalue {e.str(5)} is real"
            if e.imag > 0:
                out.append((aj, e, j))
    out.sort(key=lambda t: float(t[0].mid()))
    return out, ""


# ----------------------------------------------------------------------------- per-point stage
def _pack(b: arb | None):
    if b is None:
        return None
    m, r = b.mid().man_exp(), b.rad().man_exp()
    return (int(m[0]), int(m[1])), (int(r[0]), int(r[1]))


def _unpack(t) -> arb | None:
    return None if t is None else arb(t[0], t[1])


def _acb_vec(mid: np.ndarray, rad: np.ndarray) -> acb_mat:
    return acb_mat([[acb(arb(float(m.real), float(r)), arb(float(m.imag), float(r)))]
                    for m, r in zip(mid, rad)])


def _np_vec(v: acb_mat) -> tuple[np.ndarray, np.ndarray]:
    ents = v.entries()
    mid = np.array([complex(float(e.real.mid()), float(e.imag.mid())) for e in ents])
    rad = np.array([float(e.real.rad()) + float(e.imag.rad()) for e in ents])
    # midpoints of 53-bit balls are floats exactly; the sum of two radii rounds: _up
    return mid, _up(rad, 2)


def _is_zero(v: acb_mat) -> bool:
    return all(e.real.is_zero() and e.real.is_exact() and e.imag.is_zero() and e.imag.is_exact()
               for e in v.entries())


def _solve(d: Diagonalisation, z: acb, y: acb_mat) -> acb_mat | None:
    """Enclosure of (z I - A0)^{-1} y through the diagonalisation (module docstring); None if tau >= 1."""
    n = len(d.lam)
    if _is_zero(y):
        return acb_mat(n, 1)
    ym, yr = _np_vec(y)
    # g1 = V^{-1} y = Y y + (V^{-1} - Y) y
    gm, ge = cmatmul(d.Y, ym)
    ya = _abs1(ym)
    gr = _up(_abs1(d.Y) @ yr + ge + d.g * float(_up(d.ymax @ (ya + yr), n)), n + 2)
    zm = complex(float(z.real.mid()), float(z.imag.mid()))
    zr = float(_up(float(z.real.rad()) + float(z.imag.rad()), 2))
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
    return _acb_vec(xm, xr)


def _dot(u: acb_mat, z: acb_mat) -> acb:
    return (u.transpose() * z)[0, 0]


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


def point_stage(system, fd: FamilyData, job: PointJob) -> dict:
    """Ball-arithmetic q, p, l1 and mu' for one pair; returns a picklable dict."""
    t0 = time.perf_counter()
    d = fd.diag
    n = len(d.lam)
    res = {"k": job.k, "l1": None, "mu": None, "reason": ""}
    with flint.ctx.workprec(PREC):
        ev = system.ball(PREC)
        a, w = _unpack(job.a), _unpack(job.omega)
        xb = arb_mat([[arb(float(v))] for v in fd.x0])
        v = _acb_vec(job.qm, job.qr)
        ell = _acb_vec(job.lm, job.lr)
        nv = sum((e.real * e.real + e.imag * e.imag for e in v.entries()), arb(0)).sqrt()
        q = v * (1 / acb(nv))
        s = _dot(ell, q)
        if not (s.real.is_finite() and (abs(s) > 0)):
            res["reason"] = "family: <p, q> not enclosed away from 0"
            return res
        u = ell * (1 / s)            # u = conj(p): u^T q = 1
        qb = q.conjugate()
        shift = (a - fd.a_r) * fd.c  # A = A0 + shift I at a*
        Cv = ev.C(xb, a, q, q, qb)
        B1 = ev.B(xb, a, q, acb_mat([[qb[i, 0], q[i, 0]] for i in range(n)]))
        b11 = acb_mat([[B1[i, 0]] for i in range(n)])
        b20 = acb_mat([[B1[i, 1]] for i in range(n)])
        # h11 = A^{-1} B(q, qb) = -(0 I - A)^{-1} b11 ; h20 = (2 i w I - A)^{-1} B(q, q)
        h11 = _solve(d, acb(-shift), b11)          # (0 I - A)^{-1} b11 = -A^{-1} b11
        h20 = _solve(d, acb(-shift, 2 * w), b20)   # (2 i w I - A)^{-1} b20
        if h11 is None or h20 is None:
            res["reason"] = "family: solve through the diagonalisation failed (Neumann bound >= 1)"
            return res
        h11 = -h11
        t2 = acb_mat(n, 1) if _is_zero(h11) else ev.B(xb, a, q, h11)
        t3 = acb_mat(n, 1) if _is_zero(h20) else ev.B(xb, a, qb, h20)
        total = _dot(u, Cv) - 2 * _dot(u, t2) + _dot(u, t3)
        l1 = total.real / (2 * w)
        # mu' = Re <p, Df_a q + B(q, x_a)>, Df_a = c I verified on the range, x_a = -A^{-1} f_a
        fa = acb_mat(ev.f_a(xb, a))
        xa = _solve(d, acb(-shift), fa)          # (0 I - A)^{-1} f_a = -A^{-1} f_a
        if xa is None:
            res["reason"] = "family: solve for x_a failed"
            return res
        tb = acb_mat(n, 1) if _is_zero(xa) else ev.B(xb, a, q, xa)
        mu = _dot(u, q * acb(fd.c) + tb).real
        res["l1"], res["mu"] = _pack(l1), _pack(mu)
        if not (l1.is_finite() and mu.is_finite()):
            res["reason"] = "lyapunov: NaN in l1 or mu'"
        elif not (l1 < 0 or l1 > 0):
            res["reason"] = "l1 enclosure contains 0"
        elif not (mu < 0 or mu > 0):
            res["reason"] = "transversality mu' enclosure contains 0"
    res["time"] = time.perf_counter() - t0
    return res


# ----------------------------------------------------------------------------- batch stage
def prepare(fd: FamilyData, targets: list[int]) -> tuple[list[PointJob], dict[int, str]]:
    """Spectral part for the discs ``targets`` (Im lam > 0): enclosures, checks, eigenvector bounds."""
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
    # eigenvector error bounds: Dk[i, j] = rho_j / (|lam_k - lam_j| - rho_k), j != k
    dist = np.abs(lam[G][:, None] - lam[None, :]) * (1 - 4 * U) - 4 * ETA - rho[G][:, None] * (1 + 4 * U)
    dist[np.arange(len(G)), G] = np.inf
    Dk = _up(rho[None, :] / dist, 2)
    Va, Ya = _abs1(d.V), _abs1(d.Y)
    qrad = _up(Dk @ Va.T, n)                         # |V d|_i <= sum_j |V_ij| Dk_j
    gY = _up(d.g * d.ymax, 2)
    lrad = _up(Dk @ Ya + gY[None, :] * (1 + _up(Dk.sum(axis=1), n))[:, None] * (1 + 4 * U) + gY[None, :], n + 4)
    with flint.ctx.workprec(PREC):
        for i, k in enumerate(good):
            e = disc_arb(d, k)
            a = fd.a_r - e.real / fd.c
            if not (a > fd.R.lower() and a < fd.R.upper()):
                fails[k] = "family: parameter enclosure meets a range end"
                continue
            others = np.ones(n, bool)
            others[[k, int(d.partner[k])]] = False
            other_max = None
            if others.any():
                jl = int(np.argmax(np.where(others, lam.real - rho, -np.inf)))
                jh = int(np.argmax(np.where(others, lam.real + rho, -np.inf)))
                lo_ = arb(float(lam[jl].real)) - arb(float(rho[jl])) - (e.real.upper())
                hi_ = arb(float(lam[jh].real)) + arb(float(rho[jh])) - (e.real.lower())
                hi_ = hi_ + abs(hi_) * arb(2.0 ** -48) + arb(2.0 ** -1000)  # float argmax slack
                other_max = _pack(lo_.union(hi_))
            lm = d.Y[k, :]
            jobs.append(PointJob(k, _pack(a), _pack(e.imag), d.V[:, k].copy(), qrad[i].copy(),
                                 lm.copy(), lrad[i].copy(), other_max,
                                 {"radius": float(rho[k]), "Y": float(rho[k]), "Z1": float(d.delta),
                                  "Z2": float(Dk[i].max())}))
    return jobs, fails


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


def finish(fd: FamilyData, job: PointJob | None, res: dict | None, reason: str = "") -> "HopfProof":
    """The HopfProof record of one family point."""
    from .hopf import HopfProof
    info = {"method": METHOD, "precision_bits": PREC}
    if job is None:
        return HopfProof("not_proved", reason, proof=info)
    for key in ("radius", "Y", "Z1", "Z2"):
        info[key] = arb(job.info[key])
    x = [arb(float(v)) for v in fd.x0]
    out = HopfProof("not_proved", reason, _unpack(job.a), _unpack(job.omega), x, proof=info)
    out.other_eigenvalues_real_part_max = _unpack(job.other_max)
    if res is None:
        return out
    out.first_lyapunov, out.transversality = _unpack(res["l1"]), _unpack(res["mu"])
    out.time = res.get("time", 0.0)
    if res["reason"]:
        out.reason = res["reason"]
        return out
    out.status, out.reason = "proved", ""
    out.criticality = "supercritical" if out.first_lyapunov < 0 else "subcritical"
    return out
