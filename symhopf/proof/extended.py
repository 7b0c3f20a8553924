"""The extended (defining) system of a Hopf point and its Jacobian.

Unknowns X = (x, a, w, vr, vi) in R^(3n+2), v = vr + i vi; c = cr + i ci fixed:

    G(X) = ( f(x, a),                      n
             A vr + w vi,                  n   (Re of A v - i w v)
             A vi - w vr,                  n   (Im of A v - i w v)
             cr.vr + ci.vi - 1,            1   (Re <c, v> - 1, <c, v> = conj(c)^T v)
             cr.vi - ci.vr )               1   (Im <c, v>)

with A = D_x f(x, a). Its Jacobian, with B(u, I) the matrix h -> B(u, h):

    DG = [ Df        f_a        0     0      0   ]
         [ B(vr, I)  Df_a vr    vi    A      w I ]
         [ B(vi, I)  Df_a vi   -vr   -w I    A   ]
         [ 0         0          0     cr^T   ci^T]
         [ 0         0          0    -ci^T   cr^T]

Second derivative (for the Z2 bound), directions h = (hx, ha, hw, hv), k likewise,
v and hv, kv complex, everything at one point X:

    D^2 f[h, k]       = B(hx, kx) + ha Df_a kx + ka Df_a hx + ha ka f_aa
    D^2 (A v - i w v)[h, k]
                      = C(v, hx, kx) + ha D_aB(v, kx) + ka D_aB(v, hx) + ha ka D_a^2 A v
                        + B(hv, kx) + B(kv, hx) + ha Df_a kv + ka Df_a hv
                        - i (hw kv + kw hv)
    D^2 (<c, v> - 1)  = 0.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from flint import acb, acb_mat, arb, arb_mat

from ..runtime.npball import NBall, as_nball, exact_floats


@dataclass(frozen=True)
class Layout:
    """Index ranges of x, a, w, vr, vi inside X (length 3n+2)."""

    n: int

    @property
    def size(self) -> int:
        return 3 * self.n + 2

    def split(self, X):
        n = self.n
        return X[:n], X[n], X[n + 1], X[n + 2:2 * n + 2], X[2 * n + 2:]


def _col(vals) -> arb_mat:
    return arb_mat([[v] for v in vals])


def G_float(flt, c: np.ndarray, X: np.ndarray) -> np.ndarray:
    """G(X) in float64 (``flt``: a float evaluator)."""
    x, a, w, vr, vi = Layout(len(c)).split(X)
    A = flt.Df(x, a)
    cv = np.vdot(c, vr + 1j * vi)
    return np.concatenate([flt.f(x, a), A @ vr + w * vi, A @ vi - w * vr, [cv.real - 1, cv.imag]])


def DG_float(fl, c: np.ndarray, X: np.ndarray) -> np.ndarray:
    """DG(X) in float64 (``fl``: a float evaluator)."""
    n = len(c)
    x, a, w, vr, vi = Layout(n).split(X)
    I, Z = np.eye(n), np.zeros((n, n))
    A, Dfa = fl.Df(x, a), fl.Df_a(x, a)
    z = np.zeros((1, n + 2))
    return np.block([
        [A, fl.f_a(x, a)[:, None], np.zeros((n, 1)), Z, Z],
        [fl.B(x, a, vr, I), (Dfa @ vr)[:, None], vi[:, None], A, w * I],
        [fl.B(x, a, vi, I), (Dfa @ vi)[:, None], -vr[:, None], -w * I, A],
        [z, c.real[None, :], c.imag[None, :]],
        [z, -c.imag[None, :], c.real[None, :]],
    ])


def G_ball(ball, c: np.ndarray, X: list[arb]) -> arb_mat:
    """Enclosure of G over the box X (a list of 3n+2 arb). Call inside ctx.workprec."""
    x, a, w, vr, vi = Layout(len(c)).split(X)
    xm, vrm, vim = _col(x), _col(vr), _col(vi)
    A = ball.Df(xm, a)
    cr, ci = [arb(float(t)) for t in c.real], [arb(float(t)) for t in c.imag]
    re = sum((cr[j] * vr[j] + ci[j] * vi[j] for j in range(len(c))), arb(-1))
    im = sum((cr[j] * vi[j] - ci[j] * vr[j] for j in range(len(c))), arb(0))
    g = [ball.f(xm, a), A * vrm + vim * w, A * vim - vrm * w]
    return _col([m[i, 0] for m in g for i in range(m.nrows())] + [re, im])


def DG_ball(ball, c: np.ndarray, X: list[arb]) -> arb_mat:
    """Enclosure of DG(X') for every X' in the box X. Call inside ctx.workprec."""
    n = len(c)
    x, a, w, vr, vi = Layout(n).split(X)
    xm, vrm, vim = _col(x), _col(vr), _col(vi)
    I = arb_mat([[1 if i == j else 0 for j in range(n)] for i in range(n)])
    A, fa, Dfa = ball.Df(xm, a), ball.f_a(xm, a), ball.Df_a(xm, a)
    Bvr, Bvi, Dvr, Dvi = ball.B(xm, a, vrm, I), ball.B(xm, a, vim, I), Dfa * vrm, Dfa * vim
    N = 3 * n + 2
    M = [[arb(0)] * N for _ in range(N)]
    for i in range(n):
        for j in range(n):
            M[i][j] = A[i, j]
            M[n + i][j], M[2 * n + i][j] = Bvr[i, j], Bvi[i, j]
            M[n + i][n + 2 + j], M[2 * n + i][2 * n + 2 + j] = A[i, j], A[i, j]
        M[i][n] = fa[i, 0]
        M[n + i][n], M[2 * n + i][n] = Dvr[i, 0], Dvi[i, 0]
        M[n + i][n + 1], M[2 * n + i][n + 1] = vi[i], -vr[i]
        M[n + i][2 * n + 2 + i], M[2 * n + i][n + 2 + i] = w, -w
    normalisation_rows(M, c)
    return arb_mat(M)


def DG_nball(ball, c: np.ndarray, X: list[arb]):
    """``npball.as_nball(DG_ball(ball, c, X))`` (the same midpoints and radii, entry for entry) built from the
    blocks of DG: ``as_nball`` of Df, B(vr, I), B(vi, I), Df_a v, f_a, v and w, ``exact_floats`` of the
    rows of c, exact zeros elsewhere; without the N x N list of balls. Call inside ctx.workprec."""
    n = len(c)
    x, a, w, vr, vi = Layout(n).split(X)
    xm, vrm, vim = _col(x), _col(vr), _col(vi)
    I = arb_mat([[1 if i == j else 0 for j in range(n)] for i in range(n)])
    A, fa, Dfa = ball.Df(xm, a), ball.f_a(xm, a), ball.Df_a(xm, a)
    N = 3 * n + 2
    mid, rad = np.zeros((N, N)), np.zeros((N, N))

    def put(rows: slice, cols: slice, m) -> None:
        b = as_nball(m)
        mid[rows, cols], rad[rows, cols] = b.mid, b.rad
    xs, vrs, vis = slice(0, n), slice(n + 2, 2 * n + 2), slice(2 * n + 2, N)
    r1, r2 = slice(n, 2 * n), slice(2 * n, 3 * n)
    put(xs, xs, A)
    put(r1, xs, ball.B(xm, a, vrm, I))
    put(r2, xs, ball.B(xm, a, vim, I))
    put(r1, vrs, A)
    put(r2, vis, A)
    put(xs, slice(n, n + 1), fa)
    put(r1, slice(n, n + 1), Dfa * vrm)
    put(r2, slice(n, n + 1), Dfa * vim)
    put(r1, slice(n + 1, n + 2), vim)
    put(r2, slice(n + 1, n + 2), -vrm)
    wb = as_nball(arb_mat([[w]]))
    d = np.arange(n)
    mid[n + d, 2 * n + 2 + d], rad[n + d, 2 * n + 2 + d] = wb.mid[0, 0], wb.rad[0, 0]
    mid[2 * n + d, n + 2 + d], rad[2 * n + d, n + 2 + d] = -wb.mid[0, 0], wb.rad[0, 0]
    cr, ci = exact_floats(np.real(c)[None, :]), exact_floats(np.imag(c)[None, :])
    mid[3 * n, vrs], rad[3 * n, vrs] = cr.mid[0], cr.rad[0]
    mid[3 * n, vis], rad[3 * n, vis] = ci.mid[0], ci.rad[0]
    mid[3 * n + 1, vrs], rad[3 * n + 1, vrs] = -ci.mid[0], ci.rad[0]
    mid[3 * n + 1, vis], rad[3 * n + 1, vis] = cr.mid[0], cr.rad[0]
    return NBall(mid, rad)


def normalisation_rows(M: list[list[arb]], c: np.ndarray) -> None:
    """Fill the last two rows of DG (entries as lists, unknowns (x, a, w, vr, vi)): the derivatives of
    Re <c, v> and Im <c, v> in vr and vi."""
    n = len(c)
    for j in range(n):
        cr, ci = arb(float(c[j].real)), arb(float(c[j].imag))
        M[3 * n][n + 2 + j], M[3 * n][2 * n + 2 + j] = cr, ci
        M[3 * n + 1][n + 2 + j], M[3 * n + 1][2 * n + 2 + j] = -ci, cr


def D2G_ball(ball, c: np.ndarray, X: list[arb]) -> arb_mat:
    """Enclosure of {D^2 G(X')[h, k] : X' in the box X, |h|, |k| <= 1} (sup norm on R^(3n+2)).

    Every direction is the ball [-1, 1] in each real coordinate (complex v-directions:
    [-1, 1] + i[-1, 1]), so the ball evaluation of the formula above bounds the
    second derivative over the whole box uniformly in the unit directions.
    Call inside ctx.workprec.
    """
    n = len(c)
    x, a, w, vr, vi = Layout(n).split(X)
    xm = _col(x)
    v = acb_mat([[acb(vr[i], vi[i])] for i in range(n)])
    unit = arb(0, 1)
    h = arb_mat([[unit] for _ in range(n)])
    hv = acb_mat([[acb(unit, unit)] for _ in range(n)])
    Dfa, B_h = ball.Df_a(xm, a), ball.B(xm, a, h, h)
    d2f = B_h + 2 * unit * (Dfa * h) + unit * unit * ball.f_aa(xm, a)
    d2v = (ball.C(xm, a, v, h, h) + 2 * unit * ball.B_a(xm, a, v, h) + unit * unit * (ball.Df_aa(xm, a) * v)
           + 2 * ball.B(xm, a, hv, h) + 2 * unit * (Dfa * hv) - acb(0, 2) * unit * hv)
    entries = [d2f[i, 0] for i in range(n)] + [d2v[i, 0].real for i in range(n)] \
        + [d2v[i, 0].imag for i in range(n)] + [arb(0), arb(0)]
    return _col(entries)
