"""Rigorous location of the spectrum of a ball matrix A near a Hopf point.

Method (Gershgorin after a verified similarity). R is an approximate
eigenvector matrix of mid(A), taken as exact; R^{-1} is enclosed by a rigorous
ball inverse and M = R^{-1} A R by ball products, so M encloses R^{-1} A' R for
every real matrix A' in the ball A (in particular A* = Df(x*, a*)). Every
eigenvalue of A' lies in the union of the discs D_i = {|z - M_ii| <= sum_{j!=i}
|M_ij|} (here enclosed in complex boxes), and a union of k boxes disjoint from
the other boxes holds exactly k eigenvalues.

Conclusion when successful: exactly one eigenvalue of A* lies in the box that
meets i w (w the proved frequency, w > 0), which is isolated, so it is the simple
eigenvalue i w*; likewise -i w*; every other eigenvalue lies in boxes whose
real parts exclude 0, and the largest such real part lies in other_max_real.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce

import numpy as np
from flint import acb, acb_mat, arb, arb_mat, ctx


@dataclass
class SpectrumResult:
    """Enclosures: the +-i w boxes, the boxes of the other eigenvalues, max real part (None if n = 2)."""

    success: bool
    reason: str
    pair: list[acb] = field(default_factory=list)
    others: list[acb] = field(default_factory=list)
    other_max_real: arb | None = None


def _eigenvectors(A: arb_mat, prec: int) -> acb_mat:
    n = A.nrows()
    mid = np.array([[float(A[i, j].mid()) for j in range(n)] for i in range(n)])
    if prec <= 53:
        return acb_mat(np.linalg.eig(mid)[1].tolist())
    try:
        return acb_mat(A.mid()).eig(right=True, algorithm="approx")[1].mid()
    except (ValueError, ZeroDivisionError):
        return acb_mat(np.linalg.eig(mid)[1].tolist())


def gershgorin_boxes(A: arb_mat, prec: int) -> list[acb] | None:
    """Complex boxes, one per Gershgorin disc of R^{-1} A R; None if R^{-1} cannot be enclosed."""
    n = A.nrows()
    with ctx.workprec(prec):
        R = _eigenvectors(A, prec)
        Rinv = R.inv(nonstop=True)
        M = Rinv * acb_mat(A) * R
        boxes = []
        for i in range(n):
            rad = sum((M[i, j].abs_upper() for j in range(n) if j != i), arb(0)).upper()
            boxes.append(M[i, i] + acb(arb(0, rad), arb(0, rad)))
    if not all(b.real.is_finite() and b.imag.is_finite() for b in boxes):
        return None
    return boxes


def prove_spectrum(A: arb_mat, w: arb, prec: int) -> SpectrumResult:
    """Prove: +-i w simple and isolated, all other eigenvalues off the imaginary axis."""
    if not w > 0:
        return SpectrumResult(False, "spectrum: omega enclosure not positive")
    boxes = gershgorin_boxes(A, prec)
    if boxes is None:
        return SpectrumResult(False, "spectrum: eigenvector matrix not verified invertible (NaN)")
    pair = []
    for target in (acb(0, w), acb(0, -w)):
        hit = [i for i, b in enumerate(boxes) if b.overlaps(target)]
        if len(hit) != 1 or any(boxes[hit[0]].overlaps(b) for j, b in enumerate(boxes) if j != hit[0]):
            return SpectrumResult(False, "spectrum: eigenvalue near +-i omega not isolated")
        pair.append(hit[0])
    if pair[0] == pair[1]:
        return SpectrumResult(False, "spectrum: eigenvalue near +-i omega not isolated")
    others = [b for i, b in enumerate(boxes) if i not in pair]
    res = SpectrumResult(False, "", [boxes[i] for i in pair], others)
    if any(not (b.real < 0 or b.real > 0) for b in others):
        res.reason = "spectrum: another eigenvalue may lie on the imaginary axis"
        return res
    res.success = True
    if others:
        res.other_max_real = _max_real(others)
    return res


def _max_real(boxes: list[acb]) -> arb:
    """Enclosure of max Re(lambda) over eigenvalues in the boxes (each overlap component holds >= 1)."""
    comp = list(range(len(boxes)))

    def root(i: int) -> int:
        while comp[i] != i:
            i = comp[i]
        return i

    for i in range(len(boxes)):
        for j in range(i):
            if boxes[i].overlaps(boxes[j]):
                comp[root(i)] = root(j)
    hi = reduce(arb.max, [b.real.upper() for b in boxes])
    lows: dict[int, arb] = {}
    for i, b in enumerate(boxes):
        r, lo = root(i), b.real.lower()
        lows[r] = lo if r not in lows else lows[r].min(lo)
    return reduce(arb.max, lows.values()).union(hi)
