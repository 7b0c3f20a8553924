"""Rigorous location of the spectrum of a ball matrix A near a Hopf point.

Method (Gershgorin after a verified similarity). R is an approximate
eigenvector matrix of mid(A), taken as exact; R^{-1} is enclosed by a rigorous
ball inverse and M = R^{-1} A R by ball products, so M encloses R^{-1} A' R for
every real matrix A' in the ball A (in particular A* = Df(x*, a*)). Every
eigenvalue of A' lies in the union of the discs D_i = {|z - M_ii| <= sum_{j!=i}
|M_ij|} (here enclosed in complex boxes), and a union of k boxes disjoint from
the other boxes holds exactly k eigenvalues.

At 53 bits and n >= NUMPY_N the same discs come from numpy ball products (runtime/npball.py):
Y = fl(R^{-1}) and E = I - Y R (a ball product); if |E| < 1 (max row sum), then R^{-1} = (I - E)^{-1} Y,
and every entry of R^{-1} - Y = (I - E)^{-1} E Y has modulus at most |E| |Y| / (1 - |E|) (an entry is at
most the max row sum), so R^{-1} lies in the ball Y +- delta entrywise; M = (Y +- delta) (A R) then
encloses R^{-1} A' R as above (nprod: Lemma 1's rounding bound), and box i is centred at the midpoint of
M_ii with half side rad(M_ii) + sum_{j != i} (|mid M_ij| + rad M_ij) (Lemma 2), so it holds the disc.

Conclusion when successful: exactly one eigenvalue of A* lies in the box that
meets i w (w the proved frequency, w > 0), which is isolated, so it is the simple
eigenvalue i w*; likewise -i w*; every other eigenvalue lies in boxes whose
real parts exclude 0, and the largest such real part lies in other_max_real.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import math
from fractions import Fraction
from functools import reduce

import numpy as np
from flint import acb, acb_mat, arb, arb_mat, ctx

from ..runtime.fpbounds import abs1, upper
from ..runtime.npball import NBall, as_nball, nadd, nprod

#: n from which the 53-bit discs come from numpy ball products (module docstring)
NUMPY_N = 16


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


def _row_sums_upper(mid: np.ndarray, rad: np.ndarray) -> np.ndarray:
    """Upper bounds of the row sums of |mid| + rad (Lemma 2 on the non-negative float sums)."""
    return upper(np.sum(abs1(mid) + rad, axis=1), mid.shape[1] + 2)


def _gershgorin_np(A: arb_mat) -> list[acb] | None:
    """The boxes of :func:`gershgorin_boxes` at 53 bits by numpy ball products (module docstring)."""
    n = A.nrows()
    An = as_nball(A)
    R = np.linalg.eig(An.mid)[1]
    Y = np.linalg.inv(R)
    zero = np.zeros((n, n))
    E = nadd(NBall(np.eye(n), zero), -nprod(NBall(Y, zero), NBall(R, zero)))
    e = float(np.max(_row_sums_upper(E.mid, E.rad)))
    y = float(np.max(_row_sums_upper(Y, zero)))
    if not (math.isfinite(e) and math.isfinite(y) and e < 1):
        return None
    delta = math.nextafter(float(Fraction(e) * Fraction(y) / (1 - Fraction(e))), math.inf)
    M = nprod(NBall(Y, np.full((n, n), delta)), nprod(An, NBall(R, zero)))
    off = abs1(M.mid) + M.rad
    off[np.diag_indices(n)] = M.rad.diagonal()
    rho = upper(np.sum(off, axis=1), n + 2)
    d = M.mid.diagonal()
    if not (np.all(np.isfinite(rho)) and np.all(np.isfinite(d))):
        return None
    return [acb(arb(float(z.real), float(r)), arb(float(z.imag), float(r))) for z, r in zip(d, rho)]


def gershgorin_boxes(A: arb_mat, prec: int) -> list[acb] | None:
    """Complex boxes, one per Gershgorin disc of R^{-1} A R; None if R^{-1} cannot be enclosed."""
    n = A.nrows()
    if prec <= 53 and n >= NUMPY_N:
        try:
            return _gershgorin_np(A)
        except np.linalg.LinAlgError:
            return None
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
