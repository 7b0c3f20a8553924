"""Float Newton on the extended (defining) system of a Hopf point (hopf-math.md).

Unknowns ``(x, a, w, v_r, v_i)`` (3n + 2 reals), equations

    f(x, a) = 0,   A v_r + w v_i = 0,   A v_i - w v_r = 0,   <c, v> = 1 (real and imag),

with ``A = Df(x, a)``, ``v = v_r + i v_i`` and ``<c, v> = conj(c)^T v``: the same G and DG
as the prover's (symhopf/proof/extended.py), here only in floats.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..proof.extended import DG_float, G_float


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
        try:
            du = np.linalg.solve(DG_float(flt, c, u), -G_float(flt, c, u))
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
