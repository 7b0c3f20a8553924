"""The float arc of a moving branch, cut into runs of one chart each (floats only: the tube proves).

A *chart* is a coordinate ``k`` of ``z = (x, a)`` (``k = n``: the parameter); a *run* is a stretch of the
branch's float points along which ``z_k`` moves monotonically, with the chart interval ``[lo, hi]`` to cover
(exact range ends at the arc's ends). A branch whose float arc stops inside the range is cut to its first
stretch in the search box (``_cut``; the claim that makes this sound is in tube.py's docstring). Nothing
here is a proof: the runs only say where the Krawczyk pieces (tube.py) are tried.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np


class Fail(Exception):
    """Completeness not proved; the message is the reason."""


class Budget(Fail):
    """The work budget stopped the check (not proved; the message says so)."""


@dataclass
class _Run:
    k: int
    d: int
    pts: np.ndarray       # float points of the arc in this run, in arc order
    lo: Fraction          # chart interval covered (exact ends at the range ends)
    hi: Fraction
    span: float           # scale of coordinate k


class FloatRuns:
    """Float arc -> runs (a mixin of tube.MovingBranchCheck: uses its ``tube``, ``n``, ``branch``,
    ``a0``, ``a1``, ``box``, ``ends`` and ``_points``)."""

    tube: Any
    n: int
    branch: Any
    a0: Fraction
    a1: Fraction
    box: tuple[list[Fraction], list[Fraction]] | None
    ends: list[tuple[int, int] | None]
    _points: dict[tuple[int, float], np.ndarray]

    def _arc(self) -> tuple[np.ndarray, bool]:
        Z = np.column_stack([np.asarray(self.branch.x, float), np.asarray(self.branch.a, float)])
        keep = [0] + [i for i in range(1, len(Z)) if np.linalg.norm(Z[i] - Z[i - 1]) > 0]
        Z = Z[keep]
        closed = bool(self.branch.closed)
        if closed and len(Z) > 2 and np.allclose(Z[0], Z[-1], rtol=0, atol=1e-12 * (1 + np.abs(Z).max())):
            Z = Z[:-1]
        if len(Z) < 2:
            raise Fail("branch has fewer than two points")
        return Z, closed

    def _at_range_end(self, z: np.ndarray) -> Fraction | None:
        """The exact range end at the float point ``z`` (an end of the float arc), else None."""
        a, L = float(z[self.n]), float(self.a1 - self.a0)
        return next((e for e in (self.a0, self.a1) if abs(a - float(e)) <= 1e-9 * L), None)

    def _cut(self, Z: np.ndarray, closed: bool) -> np.ndarray:
        """The part of the float arc to cover (in arc order). Unchanged when the arc is closed or both its
        ends are at range ends. Else (an end where the float continuation stopped inside the range, e.g.
        past 1.5 times the box), with ``self.box``: oriented to start at its range end if it has one, the
        arc is cut to its first stretch in the box: from its start, or from just before the box where it
        enters it, to just past the face it crosses when it first leaves the box. A float arc that comes
        back into the box after that fails: the branch record (its points, its candidates) holds both
        stretches, and the claim would cover only the first. ``self.ends`` records the faces of the cuts. Floats only: the tube then proves
        each cut end's slice strictly outside the box (``_exit``), or fails."""
        if closed:
            return Z
        stop = [self._at_range_end(Z[0]) is None, self._at_range_end(Z[-1]) is None]
        if not any(stop):
            return Z
        if self.box is None:
            self._range_end(Z[-1] if stop[1] else Z[0])   # raises: the arc stops inside the range
        if stop[0] and not stop[1]:
            Z, stop = Z[::-1], [False, True]   # start at the range end
        n = self.n
        blo, bhi = (np.array([float(v) for v in c]) for c in self.box)
        inside = np.all((Z[:, :n] >= blo) & (Z[:, :n] <= bhi), axis=1)
        first = np.nonzero(inside)[0]
        if not len(first):
            raise Fail("the search's float branch stops inside the range and has no point in the search box; "
                       "cannot cover the branch")
        i = int(first[0])
        if stop[0] and i == 0:
            self._range_end(Z[0])   # raises: the float arc stops inside the box
        out = np.nonzero(~inside[i:])[0]
        j = i + int(out[0]) if len(out) else None
        if stop[1] and j is None:
            self._range_end(Z[-1])  # raises: the float arc stops inside the box
        if j is not None and inside[j:].any():
            back = Z[j + int(np.nonzero(inside[j:])[0][0])]
            raise Fail(f"the search's float branch leaves the search box and comes back into it (at a ~ "
                       f"{float(back[n]):.12g}): only its first stretch in the box could be covered, and the "
                       "branch as recorded has both; cannot cover the branch")
        head, tail = [Z[0]], [Z[-1]]
        if i > 0:
            z, self.ends[0] = self._crossing(Z[i], Z[i - 1], blo, bhi)
            head = [z]
        if j is not None:
            z, self.ends[1] = self._crossing(Z[j - 1], Z[j], blo, bhi)
            tail = [z]
        return np.array(head + list(Z[i if i > 0 else 1: j if j is not None else len(Z) - 1]) + tail)

    def _crossing(self, zin: np.ndarray, zout: np.ndarray, blo: np.ndarray,
                  bhi: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
        """Float equilibrium on the branch between ``zin`` (in the box) and ``zout`` (outside) just past
        the face that ``zout`` violates most (relative to the box width): ``(z, (j, s))``."""
        n = self.n
        w = np.maximum(bhi - blo, 1e-300)
        viol = np.maximum((zout[:n] - bhi) / w, (blo - zout[:n]) / w)
        j = int(np.argmax(viol))
        s = 1 if zout[j] > bhi[j] else -1
        face = bhi[j] if s > 0 else blo[j]
        t = face + s * min(1e-6 * w[j], 0.5 * abs(zout[j] - face))
        th = (t - zin[j]) / (zout[j] - zin[j])
        guess = (1 - th) * zin + th * zout
        z = self.tube.point(j, float(t), guess)
        if z is None or not np.linalg.norm(z - guess) <= np.linalg.norm(zout - zin):
            raise Fail(f"float Newton failed where the branch leaves the search box (x{j} = {t:.17g})")
        return z, (j, s)

    def _runs(self, Z: np.ndarray, closed: bool) -> list[_Run]:
        n = self.n
        L = float(self.a1 - self.a0)
        span = np.ptp(Z, axis=0) + 1e-9 * (1 + np.abs(Z).max(axis=0))
        flat = np.ptp(Z, axis=0) <= 1e-9 * (1 + np.abs(Z).max(axis=0))   # constant up to float noise: no chart
        flat[n] = False
        span[n] = L
        pts = np.vstack([Z, Z[:1]]) if closed else Z
        nseg = len(pts) - 1
        tang = self._oriented_tangents(pts, span)
        charts = []
        for i in range(nseg):
            if not closed and ((i == 0 and self.ends[0] is None) or (i == nseg - 1 and self.ends[1] is None)):
                charts.append(n)  # the arc's ends at range ends are a-charts
                continue
            d = (pts[i + 1] - pts[i]) / span
            # a coordinate that moves the same way at both ends and along the chord, as fast as possible
            good = np.where((np.sign(tang[i]) == np.sign(tang[i + 1])) & (np.sign(tang[i]) == np.sign(d)),
                            np.minimum(np.abs(tang[i]), np.abs(tang[i + 1])), 0.0)
            good[flat] = 0.0
            charts.append(n if good[n] >= 0.5 * good.max() else int(np.argmax(good)))
        runs: list[_Run] = []
        i = 0
        while i < nseg:
            k = charts[i]
            dk = np.sign(pts[i + 1][k] - pts[i][k])
            j = i
            while j + 1 < nseg and charts[j + 1] == k and np.sign(pts[j + 2][k] - pts[j + 1][k]) == dk:
                j += 1
            if dk == 0:
                raise Fail("branch points do not move in the chosen chart")
            rp = pts[i: j + 2]
            t_s, t_e = Fraction(float(rp[0][k])), Fraction(float(rp[-1][k]))
            eta = Fraction(1e-8 * span[k] + 1e-12 * abs(float(t_s)))
            if not closed and i == 0:   # an arc end: the exact range end, or the float point past the box
                t_s = self._range_end(rp[0]) if self.ends[0] is None else t_s
            else:
                t_s = t_s - int(dk) * eta
            if not closed and j + 1 == nseg and self.ends[1] is None:
                t_e = self._range_end(rp[-1])
            lo, hi = (t_s, t_e) if dk > 0 else (t_e, t_s)
            if not lo < hi:
                raise Fail("branch too short to cover")
            runs.append(_Run(k, int(dk), rp, lo, hi, float(span[k])))
            i = j + 1
        return runs

    def _oriented_tangents(self, pts: np.ndarray, span: np.ndarray) -> np.ndarray:
        """Float unit tangents (coordinates z / span) at the points ``pts``, each oriented along the arc: with
        the chord to the next point, the last one with the chord from the point before it."""
        tang = np.array([self._tangent(z, span) for z in pts])
        for i in range(len(pts)):
            j = min(i, len(pts) - 2)
            if tang[i] @ ((pts[j + 1] - pts[j]) / span) < 0:
                tang[i] = -tang[i]
        return tang

    def _tangent(self, z: np.ndarray, span: np.ndarray) -> np.ndarray:
        """Float unit tangent of the branch at z in the coordinates z / span."""
        t = np.linalg.svd(self.tube.Jz(z) * span)[2][-1]
        return t

    def _range_end(self, z: np.ndarray) -> Fraction:
        """The exact range end at the float end point ``z`` of a branch that is not closed."""
        e = self._at_range_end(z)
        if e is not None:
            return e
        a = float(z[self.n])
        big = float(np.abs(z[: self.n]).max())
        raise Fail(f"the search's float branch stops inside the range (at a = {a:.17g}, |x|_inf = {big:.6g}: "
                   "the continuation stops where |x| passes 1.5 times the search box, or where it fails); "
                   "cannot cover the whole branch")

    def _guess(self, run: _Run, t: float) -> np.ndarray:
        P, k = run.pts, run.k
        ts = P[:, k] * run.d
        j = int(np.clip(np.searchsorted(ts, t * run.d) - 1, 0, len(P) - 2))
        th = 0.0 if ts[j + 1] == ts[j] else (t * run.d - ts[j]) / (ts[j + 1] - ts[j])
        return (1 - th) * P[j] + th * P[j + 1]

    def _point(self, run: _Run, t: float) -> np.ndarray:
        """Float equilibrium of the run at z_k = t. The last few are kept (a piece's centre is asked for
        by _piece and again by _enclose_A) and warm-start Newton (``_warm``)."""
        key = (id(run), t)
        z = self._points.get(key)
        if z is None:
            z = self.tube.point(run.k, t, self._warm(run, t))
            if z is None:
                raise Fail(f"float Newton failed on the branch at chart {self._cname(run.k)} = {t:.17g}")
            if len(self._points) >= 16:
                del self._points[next(iter(self._points))]   # the oldest
            self._points[key] = z
        return z.copy()

    def _warm(self, run: _Run, t: float) -> np.ndarray:
        """Newton's start at z_k = t: the interpolation of the run's float points (``_guess``), shifted by
        its error at the nearest kept point ``z(t1)`` of the run when ``t1`` is nearer to t than the run's
        float points are to each other there (floats only: the march asks for nearby points in turn)."""
        g = self._guess(run, t)
        near = [(abs(t1 - t), t1) for r, t1 in self._points if r == id(run)]
        if not near:
            return g
        dist, t1 = min(near)
        ts = run.pts[:, run.k]
        j = int(np.argmin(np.abs(ts - t)))
        gap = max(abs(ts[j] - ts[j - 1]) if j > 0 else 0.0, abs(ts[j + 1] - ts[j]) if j + 1 < len(ts) else 0.0)
        if not dist < 0.5 * gap:
            return g
        return g + (self._points[(id(run), t1)] - self._guess(run, t1))

    def _cname(self, k: int) -> str:
        return "a" if k == self.n else f"x{k}"
