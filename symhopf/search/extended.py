"""Float Newton on the extended (defining) system of a Hopf point (hopf-math.md).

Unknowns ``(x, a, w, v_r, v_i)`` (3n + 2 reals), equations

    f(x, a) = 0,   A v_r + w v_i = 0,   A v_i - w v_r = 0,   <c, v> = 1 (real and imag),

with ``A = Df(x, a)``, ``v = v_r + i v_i`` and ``<c, v> = conj(c)^T v``. The Jacobian uses
``d(A u)/dx h = B(u, h)``, i.e. the matrix ``B(x, a, u, I)``, and ``d(A u)/da = Df_a u``.
"""
from __future__ import annotations

from typing import Any

import numpy as np


def _residual(flt: Any, x, a, w, vr, vi, c) -> np.ndarray:
    A = flt.Df(x, a)
    cv = np.vdot(c, vr + 1j * vi)
    return np.concatenate([flt.f(x, a), A @ vr + w * vi, A @ vi - w * vr, [cv.real - 1, cv.imag]])


def _jacobian(flt: Any, x, a, w, vr, vi, c) -> np.ndarray:
    n = len(x)
    A, Aa, I = flt.Df(x, a), flt.Df_a(x, a), np.eye(n)
    Z = np.zeros((n, n))
    z1 = np.zeros((1, n))
    top = np.hstack([A, flt.f_a(x, a)[:, None], np.zeros((n, 1)), Z, Z])
    mid1 = np.hstack([flt.B(x, a, vr, I), (Aa @ vr)[:, None], vi[:, None], A, w * I])
    mid2 = np.hstack([flt.B(x, a, vi, I), (Aa @ vi)[:, None], -vr[:, None], -w * I, A])
    n1 = np.hstack([z1, [[0.0, 0.0]], c.real[None, :], c.imag[None, :]])
    n2 = np.hstack([z1, [[0.0, 0.0]], -c.imag[None, :], c.real[None, :]])
    return np.vstack([top, mid1, mid2, n1, n2])


def refine_hopf(flt: Any, x: np.ndarray, a: float, w: float, q: np.ndarray,
                tol: float = 1e-12, max_iter: int = 12
                ) -> tuple[np.ndarray, float, float, np.ndarray] | None:
    """Newton from (x, a, w, q) with ``c = q / |q|^2``; the converged (x, a, w, v) or None.

    Returns ``v`` scaled to unit norm; None when Newton does not converge or ``w <= 0``.
    """
    n = len(x)
    c = q / np.vdot(q, q).real
    u = np.concatenate([x, [a, w], q.real, q.imag])
    for _ in range(max_iter):
        parts = (u[:n], u[n], u[n + 1], u[n + 2: 2 * n + 2], u[2 * n + 2:])
        try:
            du = np.linalg.solve(_jacobian(flt, *parts, c), -_residual(flt, *parts, c))
        except np.linalg.LinAlgError:
            return None
        if not np.all(np.isfinite(du)):
            return None
        u = u + du
        if np.linalg.norm(du) <= tol * (1 + np.linalg.norm(u)):
            v = u[n + 2: 2 * n + 2] + 1j * u[2 * n + 2:]
            if u[n + 1] <= 0:
                return None
            return u[:n], float(u[n]), float(u[n + 1]), v / np.linalg.norm(v)
    return None
