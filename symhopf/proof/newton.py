"""Numerical (non-rigorous) stage: Newton on the extended system from a Candidate.

The phase/scale condition <c, v> = 1 (real and imaginary parts) uses the fixed
vector c = q / |q| (q the candidate's eigenvector, rotated so that its largest
entry is real); with it DG is invertible at a simple pair +-iw with mu' != 0.
Float64 Newton first, until a step is below 4e-16 (1 + |X|) or, once below 1e-12 (1 + |X|), fails to
halve the step before it (rounding noise: further steps do not improve X; a candidate from the search
is usually there from the first step); for prec > 53 a few more Newton steps on midpoints of the
ball evaluator at prec bits (quadratic convergence doubles the digits per step).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from flint import arb, ctx

from ..candidate import Candidate
from .extended import DG_ball, DG_float, G_ball, G_float, Layout


@dataclass
class NewtonResult:
    """Approximate zero X (exact binary midpoints, 3n+2 entries) of G for the vector c."""

    converged: bool
    X: list[arb]
    c: np.ndarray
    residual: float
    reason: str = ""


def phase_vector(q: np.ndarray) -> np.ndarray:
    """c = q / |q| rotated so that its largest-modulus entry is real positive."""
    q = np.asarray(q, dtype=complex)
    k = int(np.argmax(np.abs(q)))
    return q / np.linalg.norm(q) * (abs(q[k]) / q[k])


def newton(system, cand: Candidate, prec: int = 53, maxiter: int = 50) -> NewtonResult:
    """Newton from cand; converged means a float residual |G|_inf < 1e-9 (scaled) and small steps."""
    c = phase_vector(cand.q)
    X = np.concatenate([np.asarray(cand.x, float), [cand.a, cand.omega], c.real, c.imag])
    step = np.inf
    try:
        for _ in range(maxiter):
            dX = np.linalg.solve(DG_float(system.flt, c, X), G_float(system.flt, c, X))
            X = X - dX
            step, prev = np.max(np.abs(dX)), step
            if not np.all(np.isfinite(X)):
                break
            scale = 1 + np.max(np.abs(X))
            if step <= 4e-16 * scale or (step <= 1e-12 * scale and step > prev / 2):
                break
    except np.linalg.LinAlgError:
        return NewtonResult(False, [arb(float(t)) for t in np.nan_to_num(X)], c, math.inf,
                            "Newton: extended Jacobian singular")
    res = float(np.max(np.abs(G_float(system.flt, c, X)))) if np.all(np.isfinite(X)) else math.inf
    scale = 1 + float(np.max(np.abs(X))) if np.all(np.isfinite(X)) else 1.0
    Xb = [arb(float(t)) for t in np.nan_to_num(X)]
    if not res < 1e-9 * scale or step > 1e-8 * scale:
        return NewtonResult(False, Xb, c, res, f"Newton did not converge (residual {res:.3g})")
    if prec > 53:
        Xb = _refine(system, c, Xb, prec)
    return NewtonResult(True, Xb, c, res)


def _refine(system, c: np.ndarray, X: list[arb], prec: int) -> list[arb]:
    """Newton steps on ball midpoints at prec bits (not rigorous; only improves the centre)."""
    ball = system.ball(prec)
    with ctx.workprec(prec):
        for _ in range(2 + math.ceil(math.log2(prec / 53))):
            G = G_ball(ball, c, X).mid()
            dX = DG_ball(ball, c, X).mid().solve(G, nonstop=True, algorithm="approx")
            new = [(X[i] - dX[i, 0]).mid() for i in range(Layout(len(c)).size)]
            if not all(v.is_finite() for v in new):
                break
            X = new
    return X
