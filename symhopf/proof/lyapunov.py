"""Enclosures of q, p, the first Lyapunov coefficient l1 and mu' on a proved box.

Input: a box (x, a, w, vr, vi) known to contain the Hopf point (x*, a*, w*) with
A* v* = i w* v*, A* = Df(x*, a*). Everything below is evaluated in ball
arithmetic over the whole box, so each enclosure contains the value at the
true point (Kuznetsov's normalisation, <u, v> = conj(u)^T v):

    q = v / |v|                        A q = i w q, <q, q> = 1
    u = conj(p) from the bordered system
        [A^T - i w I   conj(q)] [u]   [0]
        [q^T           0      ] [s] = [1]
    (nonsingular for a simple eigenvalue: the left null vector of A^T - i w I is
    q and q^T conj(q) = 1, so s = 0, A^T p = -i w p and <p, q> = u^T q = 1);
    h11 = A^{-1} B(q, conj q),  h20 = (2 i w I - A)^{-1} B(q, q)   (verified solves)
    l1  = Re(<p, C(q,q,conj q)> - 2 <p, B(q, h11)> + <p, B(conj q, h20)>) / (2 w)
    mu' = Re <p, (D_a A) q + B(q, x_a)>,   x_a = -A^{-1} f_a.

l1 is independent of the phase of q (p rotates with it). NaN anywhere, or an
enclosure of l1 or mu' containing 0, is "not proved".

At 53 bits and n >= NUMPY_N the four verified solves (the bordered system, h11, h20, x_a) are numpy
ball solves (:func:`_solve_nb`: ball_solve's Lemma with Y = fl(D^-1), ``C = I - Y D`` by npball's
rounding bounds, ``e = ||C|| < 1``, every solution of ``D' z = r'`` in ``Y r + C [-rho, rho]``, real or
complex) instead of python-flint ones; the evaluations of B, C, f_a, Df_a and the inner products stay
in python-flint.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from flint import acb, acb_mat, arb, arb_mat, ctx

from ..runtime.arbtools import float_inverse
from ..runtime.fpbounds import up
from ..runtime.npball import NBall, as_nball, nprod, to_acb
from .ball_solve import contraction_bound, fixed_point_nb

#: n from which the 53-bit verified solves are numpy ball solves (module docstring)
NUMPY_N = 16


@dataclass
class LyapunovResult:
    """Enclosures of l1 and mu' (None when a solve failed), q and p, and the outcome."""

    success: bool
    reason: str
    l1: arb | None = None
    mu_prime: arb | None = None
    q: acb_mat | None = None
    p: acb_mat | None = None


def _finite(m: acb_mat) -> bool:
    return all(z.real.is_finite() and z.imag.is_finite() for z in m.entries())


def _dot(u: acb_mat, z: acb_mat) -> acb:
    """u^T z for column vectors (so <p, z> with u = conj p)."""
    return (u.transpose() * z)[0, 0]


def eigenvectors(A: arb_mat, w: arb, v: acb_mat) -> tuple[acb_mat, acb_mat] | None:
    """(q, p) normalised as above, or None if the bordered system is not verified nonsingular."""
    n = A.nrows()
    norm = sum((v[j, 0].real * v[j, 0].real + v[j, 0].imag * v[j, 0].imag for j in range(n)), arb(0)).sqrt()
    q = v * (1 / acb(norm))
    iw = acb(0, w)
    K = acb_mat(n + 1, n + 1)
    for i in range(n):
        for j in range(n):
            K[i, j] = A[j, i] - (iw if i == j else 0)
        K[i, n], K[n, i] = q[i, 0].conjugate(), q[i, 0]
    rhs = acb_mat([[0]] * n + [[1]])
    sol = K.solve(rhs, nonstop=True)
    if not (_finite(q) and _finite(sol)):
        return None
    return q, acb_mat([[sol[i, 0].conjugate()] for i in range(n)])


def _solve_nb(D: NBall, r: NBall) -> NBall | None:
    """A ball (n x 1) holding ``D'^-1 r'`` for every D' in D and r' in r (real or complex), or None when
    ``||I - Y D|| < 1`` is not proved (module docstring; ball_solve.fixed_point_nb without refinement, whose
    intersection is for real balls)."""
    n = D.nrows()
    Y = float_inverse(D.mid)
    if Y is None:
        return None
    Yb = NBall(Y, np.zeros(Y.shape))
    C = NBall(np.eye(n), np.zeros((n, n))) - nprod(Yb, D)
    E, e = contraction_bound(C)
    if not e < 1:
        return None
    return fixed_point_nb(nprod(Yb, r), C, E, e, 0)


def _acb_col(z: NBall) -> acb_mat:
    return acb_mat([[to_acb(m, r)] for m, r in zip(z.mid[:, 0], z.rad[:, 0])])


def _shifted(An: NBall, s: arb, sign: int) -> NBall:
    """The ball matrix ``sign A + i s I`` (An holds A, real; s real): midpoints exact (a real and an imaginary
    part, no rounding), radii ``rad A + rad s`` on the diagonal, rounded up."""
    sn = as_nball(arb_mat([[s]]))
    n = An.nrows()
    eye = np.eye(n)
    return NBall(sign * An.mid + 1j * float(sn.mid[0, 0]) * eye, up(An.rad + float(sn.rad[0, 0]) * eye, 2))


def _eigenvectors_np(A: NBall, w: arb, q: acb_mat) -> acb_mat | None:
    """``u = conj(p)`` of :func:`eigenvectors` from the bordered system by :func:`_solve_nb` (q given)."""
    n = A.nrows()
    T = _shifted(NBall(A.mid.T, A.rad.T), -w, 1)            # A^T - i w I
    qn = as_nball(q)
    K = NBall(np.zeros((n + 1, n + 1), complex), np.zeros((n + 1, n + 1)))
    K.mid[:n, :n], K.rad[:n, :n] = T.mid, T.rad
    K.mid[:n, n], K.rad[:n, n] = np.conj(qn.mid[:, 0]), qn.rad[:, 0]
    K.mid[n, :n], K.rad[n, :n] = qn.mid[:, 0], qn.rad[:, 0]
    rhs = np.zeros((n + 1, 1))
    rhs[n, 0] = 1.0
    sol = _solve_nb(K, NBall(rhs, np.zeros((n + 1, 1))))
    if sol is None:
        return None
    return _acb_col(NBall(sol.mid[:n], sol.rad[:n]))


def lyapunov(system, box: list[arb], prec: int) -> LyapunovResult:
    """l1 and mu' enclosures over the proved box (3n+2 balls) at prec bits."""
    n = system.n
    ball = system.ball(prec)
    with ctx.workprec(prec):
        x = arb_mat([[t] for t in box[:n]])
        a, w = box[n], box[n + 1]
        v = acb_mat([[acb(box[n + 2 + j], box[2 * n + 2 + j])] for j in range(n)])
        A = ball.Df(x, a)
        if prec <= 53 and n >= NUMPY_N:
            An = as_nball(A)
            norm = sum((v[j, 0].real * v[j, 0].real + v[j, 0].imag * v[j, 0].imag for j in range(n)), arb(0)).sqrt()
            q = v * (1 / acb(norm))
            u = _eigenvectors_np(An, w, q) if _finite(q) else None
            if u is None or not _finite(u):
                return LyapunovResult(False, "lyapunov: eigenvectors q, p not enclosed (NaN)")
            p, qb = u.conjugate(), q.conjugate()
            sols = (_solve_nb(An, as_nball(ball.B(x, a, q, qb))),
                    _solve_nb(_shifted(An, 2 * w, -1), as_nball(ball.B(x, a, q, q))),
                    _solve_nb(An, as_nball(ball.f_a(x, a))))
            if any(z is None for z in sols):
                return LyapunovResult(False, "lyapunov: verified solve failed (NaN)", q=q, p=p)
            h11, h20, xa = _acb_col(sols[0]), _acb_col(sols[1]), -_acb_col(sols[2])
        else:
            qp = eigenvectors(A, w, v)
            if qp is None:
                return LyapunovResult(False, "lyapunov: eigenvectors q, p not enclosed (NaN)")
            q, p = qp
            u, qb = p.conjugate(), q.conjugate()
            Ac = acb_mat(A)
            I2w = acb_mat(n, n)
            for i in range(n):
                I2w[i, i] = acb(0, 2 * w)
            h11 = Ac.solve(ball.B(x, a, q, qb), nonstop=True)
            h20 = (I2w - Ac).solve(ball.B(x, a, q, q), nonstop=True)
            xa = -A.solve(ball.f_a(x, a), nonstop=True)
        if not (_finite(h11) and _finite(h20) and _finite(acb_mat(xa))):
            return LyapunovResult(False, "lyapunov: verified solve failed (NaN)", q=q, p=p)
        total = (_dot(u, ball.C(x, a, q, q, qb)) - 2 * _dot(u, ball.B(x, a, q, h11))
                 + _dot(u, ball.B(x, a, qb, h20)))
        l1 = total.real / (2 * w)
        mu = _dot(u, acb_mat(ball.Df_a(x, a)) * q + ball.B(x, a, q, acb_mat(xa))).real
    res = LyapunovResult(False, "", l1, mu, q, p)
    if not (l1.is_finite() and mu.is_finite()):
        res.reason = "lyapunov: NaN in l1 or mu'"
    elif not (l1 < 0 or l1 > 0):
        res.reason = "l1 enclosure contains 0"
    elif not (mu < 0 or mu > 0):
        res.reason = "transversality mu' enclosure contains 0"
    else:
        res.success = True
    return res
