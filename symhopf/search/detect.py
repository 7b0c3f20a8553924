"""Hopf detection along equilibrium branches (floats; must not miss a crossing).

General branches. At every branch point the eigenvalues of ``A = Df(x, a)`` are computed
(LAPACK returns real eigenvalues of a real matrix with imaginary part exactly 0 and
complex ones in exact conjugate pairs). On each step the eigenvalues with ``Im > 0`` are
matched greedily by distance; a matched pair whose real part changes sign is a crossing.
Real eigenvalues are never Hopf (folds, branch points, neutral saddles ``+-r`` do not
count). The step is checked for consistency and bisected along the branch (up to
``MAX_DEPTH`` times) when

* a matched pair that could have crossed (``min |Re| <= |lambda_1 - lambda_0|``) moved
  by more than half the distance to its nearest competitor, or
* the count ``N+`` of eigenvalues with ``Re >= 0`` does not balance: with ``P`` the net
  number of pair crossings, ``e = dN+ - 2 P`` must be 0 (det Df keeps its sign) or +-1
  (det changes sign: one real eigenvalue crossed 0).

A pair may also cross the axis twice within one step (two Hopf points 1e-6 apart) with its real
part of one sign at both ends. Each point therefore carries the derivatives of its eigenvalues
along the branch tangent (finite difference over ``EPS`` of arclength), and a step is bisected
(up to ``DIP_DEPTH`` times, while longer than ``MIN_DIP`` of arclength) when a matched pair keeps
the sign of its real part but could reach the axis at its speed: ``min |Re| < h max |Re'|``, ``h``
the step's length. A step with a crossing is bisected until shorter than ``LOCATE`` (arclength in
scaled coordinates), so that the interpolated crossing starts the extended Newton close by.

Each crossing is located by interpolating ``Re`` linearly, correcting onto the branch and
Newton on the extended system (:mod:`.extended`).

Constant branches (``x(a) = x0``, ``Df(x0, a) = A0 + (a - a0) c I``): the eigenvalues are
``lambda_j + (a - a0) c``, so the crossings are exactly ``a_j = a0 - Re(lambda_j) / c`` for
the eigenvalues ``lambda_j`` of ``A0`` with ``Im > 0``: one eigen-decomposition, no stepping.
It is kept on the branch (``br.eig = (a0, lambda, V)``) for the family proof to verify instead of
computing its own.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..candidate import Candidate
from .continuation import Branch, Continuer
from .extended import refine_hopf
from .matching import greedy_match

MAX_DEPTH = 10
DIP_DEPTH = 60
MIN_DIP = 1e-13
LOCATE = 1e-4
EPS = 1e-7


@dataclass
class _Pt:
    z: np.ndarray
    ev: np.ndarray
    t: np.ndarray        # unit tangent (scaled coordinates)
    dev: np.ndarray      # d ev / d arclength, aligned with ev


def _match(U0: np.ndarray, U1: np.ndarray) -> list[tuple[int, int]]:
    """Greedy nearest matching of two eigenvalue lists (closest pairs first)."""
    return list(zip(*(k.tolist() for k in greedy_match(U0, U1))))


def _n_plus(ev: np.ndarray) -> int:
    return int(np.sum(ev.real >= 0))


def _det_sign(ev: np.ndarray) -> int:
    real = ev[ev.imag == 0]
    return -1 if np.sum(real.real < 0) % 2 else 1


def step_crossings(ev0: np.ndarray, ev1: np.ndarray) -> tuple[list[tuple[complex, complex]], bool]:
    """Complex pairs whose real part changes sign between two eigenvalue sets; and whether
    the step is unambiguous (see module docstring)."""
    U0, U1 = ev0[ev0.imag > 0], ev1[ev1.imag > 0]
    crossings, ok, net = [], True, 0
    for i, j in _match(U0, U1):
        l0, l1 = U0[i], U1[j]
        move = abs(l1 - l0)
        if min(abs(l0.real), abs(l1.real)) <= move:
            gap = min(np.min(np.abs(np.delete(U1, j) - l0), initial=np.inf),
                      np.min(np.abs(np.delete(U0, i) - l1), initial=np.inf))
            ok = ok and move <= 0.5 * gap
        if (l0.real >= 0) != (l1.real >= 0):
            crossings.append((complex(l0), complex(l1)))
            net += 1 if l1.real >= 0 else -1
    e = _n_plus(ev1) - _n_plus(ev0) - 2 * net
    det_flip = _det_sign(ev0) != _det_sign(ev1)
    ok = ok and (abs(e) == 1 if det_flip else e == 0)
    return crossings, ok


def could_dip(p0: _Pt, p1: _Pt) -> bool:
    """A matched pair (Im > 0) keeps the sign of its real part over the step but could reach the
    axis at its speed (``min |Re| < h max |Re'|``): two crossings may hide in the step."""
    h = float(np.linalg.norm(p1.z - p0.z))
    i0, i1 = np.nonzero(p0.ev.imag > 0)[0], np.nonzero(p1.ev.imag > 0)[0]
    for i, j in _match(p0.ev[i0], p1.ev[i1]):
        r0, r1 = p0.ev[i0[i]].real, p1.ev[i1[j]].real
        d = max(abs(p0.dev[i0[i]].real), abs(p1.dev[i1[j]].real))
        if (r0 >= 0) == (r1 >= 0) and min(abs(r0), abs(r1)) < h * d:
            return True
    return False


class BranchScanner:
    """Finds the Hopf candidates on one branch."""

    def __init__(self, flt: Any, cont: Continuer) -> None:
        self.flt, self.cont = flt, cont
        self.warnings: list[str] = []

    def _pt(self, z: np.ndarray, t: np.ndarray, ev: np.ndarray | None = None) -> _Pt:
        ev = self.cont.eigvals(z) if ev is None else ev
        ev2 = self.cont.eigvals(z + EPS * t)
        dev = np.zeros_like(ev)
        for i, j in _match(ev, ev2):
            dev[i] = (ev2[j] - ev[i]) / EPS
        return _Pt(z, ev, t, dev)

    def _scan(self, p0: _Pt, p1: _Pt, depth: int) -> list[tuple[_Pt, complex, _Pt, complex]]:
        crossings, ok = step_crossings(p0.ev, p1.ev)
        more = not ok and depth < MAX_DEPTH
        h = float(np.linalg.norm(p1.z - p0.z))
        if not more and depth < DIP_DEPTH and h > MIN_DIP:
            more = h > LOCATE if crossings else could_dip(p0, p1)
        if more:
            zm = self.cont.point_between(p0.z, p1.z, 0.5)
            if zm is not None:
                try:
                    tm = self.cont.tangent(zm, p0.t)
                except np.linalg.LinAlgError:
                    tm = p0.t
                pm = self._pt(zm, tm)
                return self._scan(p0, pm, depth + 1) + self._scan(pm, p1, depth + 1)
        if not ok:
            a0, a1 = self.cont.xa(p0.z)[1], self.cont.xa(p1.z)[1]
            self.warnings.append(f"ambiguous eigenvalue tracking on a in [{a0:.17g}, {a1:.17g}]")
        return [(p0, l0, p1, l1) for l0, l1 in crossings]

    def _locate(self, p0: _Pt, l0: complex, p1: _Pt, l1: complex, bid: int) -> Candidate:
        th = l0.real / (l0.real - l1.real)
        z = self.cont.point_between(p0.z, p1.z, th)
        z = (1 - th) * p0.z + th * p1.z if z is None else z
        x, a = self.cont.xa(z)
        ev, V = np.linalg.eig(self.flt.Df(x, a))
        k = int(np.argmin(np.abs(ev - ((1 - th) * l0 + th * l1))))
        q = V[:, k] / np.linalg.norm(V[:, k])
        res = refine_hopf(self.flt, x, a, abs(ev[k].imag), q if ev[k].imag > 0 else q.conj())
        lo, hi = sorted((self.cont.xa(p0.z)[1], self.cont.xa(p1.z)[1]))
        slack = hi - lo + 1e-9 * (1 + abs(a))
        if res is not None and lo - slack <= res[1] <= hi + slack:
            return Candidate(res[0], res[1], res[2], res[3], bid)
        self.warnings.append(f"extended Newton did not converge near a = {a:.17g}; unrefined candidate")
        return Candidate(x, a, abs(ev[k].imag), q if ev[k].imag > 0 else q.conj(), bid)

    def scan(self, br: Branch) -> list[Candidate]:
        """All Hopf candidates on a general (continued) branch."""
        evs = br.eigvals if br.eigvals is not None else [None] * br.n_points
        pts = [self._pt(self.cont.z_of(x, a), t, ev) for x, a, t, ev in zip(br.x, br.a, br.tangents, evs)]
        found = []
        for p0, p1 in zip(pts[:-1], pts[1:]):
            found += self._scan(p0, p1, 0)
        return [self._locate(*c, br.id) for c in found]


def hopf_on_constant_branch(flt: Any, br: Branch) -> list[Candidate]:
    """Crossings ``a_j = a0 - Re(lambda_j)/c`` inside the range, ``lambda_j`` eigenvalues of Df(x0, a0)."""
    x0, (a0, a1), c = br.x[0], br.a, br.shift
    ev, V = np.linalg.eig(flt.Df(x0, a0))
    br.eig = (a0, ev, V)   # handed to the family proof as its (untrusted) approximation
    out = []
    for k in np.nonzero(ev.imag > 0)[0]:
        a = a0 - ev[k].real / c
        if min(a0, a1) <= a <= max(a0, a1):
            out.append(Candidate(x0.copy(), float(a), float(ev[k].imag), V[:, k] / np.linalg.norm(V[:, k]), br.id))
    return out
