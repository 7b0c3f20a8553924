"""Pseudo-arclength continuation of equilibrium branches of x' = f(x, a) over [a0, a1].

Work in scaled coordinates ``z = (x, s)``, ``s = (a - a0) / (a1 - a0)``, so that the
range is ``s in [0, 1]`` whatever its width. The branch is the curve ``H(z) = f(x, a) = 0``
with Jacobian ``J = [Df | (a1 - a0) f_a]`` (n x (n+1)); its unit tangent ``t`` spans
``ker J``. One step: predictor ``z + ds t``, corrector Newton on
``H(z) = 0, t . (z - z_pred) = 0`` (bordered matrix ``[J; t^T]``). The step ``ds`` halves
on corrector failure, on a tangent turn above ``max_angle`` or on a corrector jump larger
than ``ds``, on an eigenvalue movement ``max |lambda_i(z1) - lambda_i(z0)|`` (greedy nearest
matching) above ``max_move`` times the spectral radius (so that the detection's eigenvalue
tracking sees every crossing: ``y' = -x + sin(a) y - y^3`` on [-100, 100] turns its pair 32
times; the movement test only halves ``ds`` down to ``ds_eig_min``: at a fold the spectral radius
tends to 0 and a relative test would stall), and grows by 3/2, up to ``ds_max``, after an easy step (at most ``grow_iters`` corrector
iterations: 3, a Newton step, the quadratic one and the one that confirms it; the detection bisects
the steps wherever its own checks ask for it, so the branch points need not be dense). A fold is a sign change
of the tangent's s-component. Tracing stops on leaving [0, 1] (the end point is put on the
boundary by Newton at fixed a), on closing a loop, or when ``|x|_inf`` passes ``x_limit`` (the search sets it to 1.5 times the
extent of the box where it keeps equilibria: the branch has left the region searched).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .equilibria import vec_norm, newton_equilibrium
from .matching import greedy_match


_UNSET = object()   # a chord's Newton limit not computed yet (None: Newton failed)


@dataclass
class Fold:
    """Approximate fold point: the branch turns back in a here."""

    x: np.ndarray
    a: float


@dataclass
class Branch:
    """An equilibrium branch over the search range (floats, not trusted).

    ``x[k], a[k]`` are points on the branch in order of arclength, ``tangents[k]`` the unit
    tangents in scaled coordinates ``(x, (a - a0)/(a1 - a0))``. ``shift`` is set for a
    constant branch: ``x(a) = x[0]`` for all a in the range and ``Df_a(x, a) = shift * I``,
    so that ``Df(x, a) = Df(x, a') + (a - a') shift I``. ``eigvals[k]``: the eigenvalues of
    ``Df(x[k], a[k])`` the continuation computed (None where it did not), for the detection.
    """

    id: int
    x: np.ndarray
    a: np.ndarray
    tangents: np.ndarray
    folds: list[Fold] = field(default_factory=list)
    closed: bool = False
    shift: float | None = None
    eigvals: list[np.ndarray | None] | None = field(default=None, repr=False)

    @property
    def n_points(self) -> int:
        return len(self.a)

    @property
    def a_interval(self) -> tuple[float, float]:
        return float(self.a.min()), float(self.a.max())

    @property
    def constant(self) -> bool:
        return self.shift is not None

    def summary(self) -> dict[str, Any]:
        """id, number of points, a-interval covered, folds (a values), kind."""
        return {
            "id": self.id,
            "n_points": self.n_points,
            "a_interval": self.a_interval,
            "folds": [f.a for f in self.folds],
            "kind": "constant" if self.constant else ("closed" if self.closed else "curve"),
        }


class Continuer:
    """Pseudo-arclength continuation for one system over the range ``[a0, a1]``."""

    def __init__(self, flt: Any, n: int, a_range: tuple[float, float], ds0: float = 0.01,
                 ds_min: float = 1e-9, ds_max: float = 0.2, max_angle: float = 0.3,
                 max_steps: int = 20000, max_move: float = 0.15, x_limit: float = 1e6,
                 ds_eig_min: float = 1e-6, grow_iters: int = 3) -> None:
        self.flt, self.n = flt, n
        self.a0, self.a1 = a_range
        self.L = self.a1 - self.a0
        self.ds0, self.ds_min, self.ds_max = ds0, ds_min, ds_max
        self.max_angle, self.max_steps, self.max_move = max_angle, max_steps, max_move
        self.x_limit, self.ds_eig_min, self.grow_iters = x_limit, ds_eig_min, grow_iters
        self._chord_cache: dict[tuple[int, float], tuple[Branch, list[list]]] = {}   # on_branch's (_chords)
        self._last_J: tuple[bytes, np.ndarray] | None = None     # J's last (z, value): eigvals reuses its Df

    # --- coordinates -------------------------------------------------------------
    def z_of(self, x: np.ndarray, a: float) -> np.ndarray:
        return np.append(x, (a - self.a0) / self.L)

    def a_of(self, s: float) -> float:
        """``a0 + (a1 - a0) s``, exactly a0 at s = 0 and a1 at s = 1 (the sum may round off a1)."""
        return self.a1 if s == 1 else self.a0 if s == 0 else self.a0 + self.L * float(s)

    def xa(self, z: np.ndarray) -> tuple[np.ndarray, float]:
        return z[: self.n], self.a_of(z[self.n])

    def H(self, z: np.ndarray) -> np.ndarray:
        return self.flt.f(*self.xa(z))

    def J(self, z: np.ndarray) -> np.ndarray:
        x, a = self.xa(z)
        J = np.hstack([self.flt.Df(x, a), self.L * self.flt.f_a(x, a)[:, None]])
        self._last_J = (z.tobytes(), J)
        return J

    # --- building blocks -----------------------------------------------------------
    def tangent(self, z: np.ndarray, prev: np.ndarray | None = None) -> np.ndarray:
        """Unit tangent at z, oriented along ``prev`` (or towards increasing a)."""
        J = self.J(z)
        if prev is None:
            t = np.linalg.svd(J)[2][-1]
            return t if t[-1] >= 0 else -t
        rhs = np.zeros(self.n + 1)
        rhs[-1] = 1.0
        t = np.linalg.solve(np.vstack([J, prev]), rhs)
        return t / vec_norm(t)

    def correct(self, zp: np.ndarray, d: np.ndarray, tol: float = 1e-11,
                max_iter: int = 10) -> tuple[np.ndarray, int] | None:
        """Newton on H(z) = 0, d . (z - zp) = 0 from zp; (z, iterations) or None."""
        z = zp.copy()
        for it in range(1, max_iter + 1):
            r = np.append(self.H(z), d @ (z - zp))
            try:
                dz = np.linalg.solve(np.vstack([self.J(z), d]), -r)
            except np.linalg.LinAlgError:
                return None
            if not np.all(np.isfinite(dz)):
                return None
            z = z + dz
            if vec_norm(dz) <= tol * (1 + vec_norm(z)):
                return z, it
        return None

    def point_between(self, z0: np.ndarray, z1: np.ndarray, theta: float) -> np.ndarray | None:
        """The branch point on the hyperplane through (1-theta) z0 + theta z1 normal to z1 - z0."""
        d = z1 - z0
        nd = vec_norm(d)
        if nd == 0:
            return z0.copy()
        res = self.correct((1 - theta) * z0 + theta * z1, d / nd)
        return None if res is None else res[0]

    def eigvals(self, z: np.ndarray) -> np.ndarray:
        """Eigenvalues of Df at z; Df is the first n columns of the last :meth:`J` when that was at this very
        z (the tangent at a new branch point computes it just before)."""
        last = self._last_J
        D = last[1][:, : self.n] if last is not None and last[0] == z.tobytes() else self.flt.Df(*self.xa(z))
        return np.linalg.eigvals(D)

    def eig_move_ok(self, ev0: np.ndarray, ev1: np.ndarray) -> bool:
        """The eigenvalues moved by at most ``max_move`` times the spectral radius."""
        if not (np.all(np.isfinite(ev0)) and np.all(np.isfinite(ev1))):
            return False
        scale = max(float(np.abs(ev0).max(initial=0)), float(np.abs(ev1).max(initial=0)), 1e-300)
        return eig_movement(ev0, ev1) <= self.max_move * scale

    def _safe_tangent(self, z: np.ndarray, prev: np.ndarray) -> np.ndarray:
        try:
            return self.tangent(z, prev)
        except np.linalg.LinAlgError:
            return prev

    def _boundary_point(self, z0: np.ndarray, z1: np.ndarray) -> np.ndarray:
        """Branch point at s = 0 or 1 between z0 (inside) and z1 (outside)."""
        sb = 0.0 if z1[-1] < 0 else 1.0
        th = (sb - z0[-1]) / (z1[-1] - z0[-1])
        x0 = (1 - th) * z0[: self.n] + th * z1[: self.n]
        x = newton_equilibrium(self.flt, x0, self.a_of(sb))
        return np.append(x if x is not None else x0, sb)

    # --- tracing -------------------------------------------------------------------
    def trace(self, z0: np.ndarray, t0: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray], bool,
                                                             list[np.ndarray | None]]:
        """Follow the branch from z0 along t0 until it leaves the range; (points, tangents, closed,
        eigenvalues of Df at the points or None)."""
        zs, ts = [z0], [t0]
        z, t, ds = z0, t0, self.ds0
        ev = self.eigvals(z0)
        evs: list[np.ndarray | None] = [ev]
        for _ in range(self.max_steps):
            zp = z + ds * t
            res = self.correct(zp, t)
            ok = res is not None and vec_norm(res[0] - zp) <= ds
            if ok:
                zn, iters = res
                try:
                    tn = self.tangent(zn, t)
                except np.linalg.LinAlgError:
                    ok = False
                else:
                    ok = np.arccos(np.clip(t @ tn, -1, 1)) <= self.max_angle
            if ok and 0 <= zn[-1] <= 1:
                evn = self.eigvals(zn)
                ok = ds <= self.ds_eig_min or self.eig_move_ok(ev, evn)
            if not ok:
                ds /= 2
                if ds < self.ds_min:
                    break
                continue
            if zn[-1] < 0 or zn[-1] > 1:
                zb = self._boundary_point(z, zn)
                if vec_norm(zb - z) > 1e-12:
                    zs.append(zb)
                    ts.append(self._safe_tangent(zb, t))
                    evs.append(None)
                return zs, ts, False, evs
            if len(zs) > 3 and vec_norm(zn - z0) < ds and tn @ t0 > 0:
                zs.append(z0)
                ts.append(t0)
                evs.append(evs[0])
                return zs, ts, True, evs
            zs.append(zn)
            ts.append(tn)
            evs.append(evn)
            if np.abs(zn[: self.n]).max() > self.x_limit:
                break
            z, t, ev = zn, tn, evn
            if iters <= self.grow_iters:
                ds = min(1.5 * ds, self.ds_max)
        return zs, ts, False, evs

    def branch(self, x: np.ndarray, a: float, bid: int) -> Branch:
        """The whole branch through the equilibrium (x, a): both directions, joined, folds located."""
        z0 = self.z_of(x, a)
        t0 = self.tangent(z0)
        fz, ft, closed, fe = self.trace(z0, t0)
        if closed:
            zs, ts, evs = fz, ft, fe
        else:
            bz, bt, _, be = self.trace(z0, -t0)
            zs = bz[::-1] + fz[1:]
            ts = [-t for t in bt[::-1]] + ft[1:]
            evs = be[::-1] + fe[1:]
        Z, T = np.array(zs), np.array(ts)
        folds = []
        for k in np.nonzero(np.sign(T[:-1, -1]) * np.sign(T[1:, -1]) < 0)[0]:
            th = T[k, -1] / (T[k, -1] - T[k + 1, -1])
            zf = self.point_between(Z[k], Z[k + 1], th)
            zf = (1 - th) * Z[k] + th * Z[k + 1] if zf is None else zf
            folds.append(Fold(*self.xa(zf)))
        return Branch(bid, Z[:, : self.n], np.array([self.a_of(s) for s in Z[:, -1]]), T, folds, closed,
                      eigvals=evs)

    def on_branch(self, br: Branch, x: np.ndarray, a: float, tol: float = 1e-6) -> bool:
        """Is the equilibrium (x, a) on branch ``br``? (Newton at fixed a from the branch's chords.)"""
        scale = tol * (1 + vec_norm(x))
        if br.constant:
            return bool(vec_norm(x - br.x[0]) <= scale)
        for chord in self._chords(br, a):
            if vec_norm(chord[0] - x) <= scale:
                return True
            if chord[1] is _UNSET:
                chord[1] = newton_equilibrium(self.flt, chord[0], a)
            if chord[1] is not None and vec_norm(chord[1] - x) <= scale:
                return True
        return False

    def _chords(self, br: Branch, a: float) -> list[list]:
        """``[xi, limit]`` for each chord of ``br`` that meets ``a``: ``xi`` its point at ``a``, ``limit``
        ``newton_equilibrium`` at ``a`` from ``xi`` once computed (``_UNSET`` before). Cached: the search
        asks about many equilibria at one parameter value, and neither depends on the equilibrium asked
        about (the branch is kept with its chords, so that its id is not reused)."""
        key = (id(br), float(a))
        hit = self._chord_cache.get(key)
        if hit is None or hit[0] is not br:
            A, chords = br.a, []
            for k in np.nonzero((A[:-1] - a) * (A[1:] - a) <= 0)[0]:
                th = 0.0 if A[k + 1] == A[k] else (a - A[k]) / (A[k + 1] - A[k])
                chords.append([(1 - th) * br.x[k] + th * br.x[k + 1], _UNSET])
            hit = self._chord_cache[key] = (br, chords)
        return hit[1]


def eig_movement(ev0: np.ndarray, ev1: np.ndarray) -> float:
    """Largest distance between greedily matched eigenvalues of two points (closest pairs first)."""
    i, j = greedy_match(ev0, ev1)
    return float(np.abs(ev0[i] - ev1[j]).max(initial=0.0))


def constant_branch(flt: Any, x0: np.ndarray, a_range: tuple[float, float], bid: int,
                    checks: int = 5, rtol: float = 1e-10) -> Branch | None:
    """Branch ``x(a) = x0`` with ``Df(x0, a) = Df(x0, a0) + (a - a0) c I``, if numerically so.

    Checked at ``checks`` parameter values across the range: ``f(x0, a) ~ 0``,
    ``Df_a(x0, a) ~ c I`` with one constant ``c != 0`` and ``Df(x0, a) - Df(x0, a0) ~ (a - a0) c I``.
    (A float test only; ``completeness.py`` proves the structure in ball arithmetic.)
    """
    a0, a1 = a_range
    n = len(x0)
    diag = np.diag_indices(n)
    D0 = flt.Df(x0, a0)
    D0max = np.abs(D0).max()
    c = None
    for a in np.linspace(a0, a1, checks):
        Da = flt.Df_a(x0, a)
        c = float(np.mean(np.diag(Da))) if c is None else c
        scale = rtol * (1 + D0max + abs(c) * abs(a1 - a0))
        if c == 0 or np.linalg.norm(flt.f(x0, a)) > 1e3 * rtol * (1 + np.linalg.norm(x0)):
            return None
        Da = np.array(Da, dtype=float)                  # a copy: the evaluator's array is not ours
        Da[diag] -= c                                   # Da - c I
        if np.abs(Da).max() > scale:
            return None
        if a == a0:
            continue                                    # Df(x0, a0) - D0 = 0
        Dd = flt.Df(x0, a) - D0
        Dd[diag] -= (a - a0) * c                        # Df(x0, a) - D0 - (a - a0) c I
        if np.abs(Dd).max() > scale:
            return None
    T = np.zeros((2, n + 1))
    T[:, -1] = 1.0
    return Branch(bid, np.array([x0, x0]), np.array([a0, a1], float), T, shift=c)
