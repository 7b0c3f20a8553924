"""Ball linear solves: enclosures of ``D'^-1 b`` for every matrix ``D'`` of a ball matrix.

Ball linear solves (Lemma). For a ball matrix ``D``, ball right-hand side ``b`` and float
``Y``: if ``e = ||I - Y D||_inf < 1`` then every matrix in ``D`` is nonsingular and
``D^-1 b`` lies in ``Y b + (I - Y D) [-rho, rho]^m``, ``rho = ||Y b||_inf / (1 - e)``
(from ``z = Y b + (I - Y D) z``).
Refinement: every solution satisfies ``z = Y b + (I - Y D') z``, so ``z <- (Y b + (I - Y D) z) /\\ z``
keeps it. python-flint (``_solve_refined``, the reference) and numpy balls (runtime/npball.py, a-priori
rounding bounds: ``solve_refined_nb``, ``lemma_solve_nb``).
"""
from __future__ import annotations

import numpy as np
from flint import arb, arb_mat

from ..runtime.arbtools import approximate_inverse, column, float_inverse, float_upper, identity, norm_inf_upper
from ..runtime.fpbounds import ETA, U, gamma, up as fp_up
from ..runtime.npball import NBall, intersect, nprod


def _solve_refined(Ju: arb_mat, Jk: arb_mat, iters: int = 12) -> list[arb] | None:
    """Enclosure of ``-Ju^-1 Jk`` (a column) for every matrix in the balls: the Lemma, then
    ``z <- (Y b + (I - Y D) z) /\\ z`` (every solution satisfies ``z = Y b + (I - Y D) z``)."""
    n = Ju.nrows()
    Yb = approximate_inverse(Ju)
    if Yb is None:
        return None
    E = identity(n) - Yb * Ju
    e = norm_inf_upper(E)
    if not e < 1:
        return None
    b = Yb * (-Jk)
    rho = float_upper(max((abs(b[i, 0]) for i in range(n)), key=float_upper) / (arb(1) - arb(e))) if n else 0.0
    z0 = b + E * column([arb(0, rho)] * n)            # the Lemma
    z = [z0[i, 0] for i in range(n)]
    for _ in range(iters):
        zn = b + E * column(z)
        z = [zi.intersection(zn[i, 0]) for i, zi in enumerate(z)]
    return z


def _rho(bmax: float, e: float) -> float:
    """An upper bound of ``bmax / (1 - e)`` (0 <= e < 1; each rounding errs by at most u)."""
    return float(np.nextafter(bmax / ((1 - e) * (1 - 4 * U)) * (1 + 4 * U), np.inf))


def solve_refined_nb(Ju: NBall, Jk: NBall, Y: np.ndarray | None = None, iters: int = 12) -> NBall | None:
    """``_solve_refined`` in numpy balls: an n x 1 ball holding ``-J_u^-1 J_k`` for every matrix of
    the balls. With a float ``Y`` (default ``inv(mid J_u)``; any Y serves), ``C = I - Y J_u`` (a ball:
    nprod), ``E = |mid C| + rad C >= |I - Y J_u'|`` and ``e = ||E||_inf < 1``, every solution z satisfies
    ``z = b + C z``, ``b = -Y J_k``, so ``||z|| <= ||b|| / (1 - e)`` (the Lemma) and z lies in
    ``b + E [-rho, rho]``; then ``z <- (b + C z) /\\ z`` (npball.intersect) while some radius shrinks by 1%."""
    Y = float_inverse(Ju.mid) if Y is None else Y
    if Y is None or not np.all(np.isfinite(Y)):
        return None
    C, E, e = _contraction_ball(Ju, Y)
    if not e < 1:
        return None
    return fixed_point_nb(nprod(NBall(Y, 0.0), -Jk), C, E, e, iters)


def _contraction_ball(Ju: NBall, Y: np.ndarray) -> tuple[NBall, np.ndarray, float]:
    """``(C, E, e)`` of solve_refined_nb for ``C = I - Y J_u`` (a ball: nprod) and contraction_bound's E, e.
    The last one is kept: the tangent solves of one piece (arc_enclosure: ``du``, then ``u''`` twice) share
    ``J_u`` and ``Y``; a hit needs the same objects *and* equal contents (against copies: an array changed in
    place gets a new C)."""
    hit = _LAST.get("C")
    if (hit is not None and hit[0] is Ju and hit[1] is Y and np.array_equal(hit[2], Ju.mid)
            and np.array_equal(hit[3], Ju.rad) and np.array_equal(hit[4], Y)):
        return hit[5]
    n = Ju.nrows()
    C = NBall(np.eye(n), 0.0) - nprod(NBall(Y, 0.0), Ju)
    got = (C, *contraction_bound(C))
    _LAST["C"] = (Ju, Y, np.array(Ju.mid), np.array(Ju.rad), np.array(Y), got)
    return got


_LAST: dict[str, tuple] = {}


def fixed_point_nb(b: NBall, C: NBall, E: np.ndarray, e: float, iters: int) -> NBall | None:
    """An n x 1 ball holding every solution z of ``z = b' + C' z`` (b' in b, C' in C), given
    ``E >= |C'|`` entrywise (float matrix) and ``e >= ||E||_inf``, ``e < 1``: ``|z| <= ||b|| / (1 - e) = rho``
    (the Lemma) puts z in ``b + E [-rho, rho]``; then ``z <- (b + C z) /\\ z`` (npball.intersect, valid as
    every solution satisfies it) at most ``iters`` times, while some radius shrinks by 1%. None when b is
    not finite."""
    n = b.nrows()
    if not (np.all(np.isfinite(b.mid)) and np.all(np.isfinite(b.rad))):
        return None
    rho = _rho(float(fp_up(np.abs(b.mid) + b.rad, 1).max(initial=0.0)), e)
    z = NBall(b.mid, fp_up(b.rad + rho * E.sum(axis=1)[:, None], n + 3))
    for _ in range(iters):
        zn = intersect(z, b + nprod(C, z))
        done = bool(np.all(zn.rad >= 0.99 * z.rad))      # less than 1% tighter anywhere: stop
        z = zn
        if done:
            break
    return z


def contraction_bound(C: NBall) -> tuple[np.ndarray, float]:
    """``(E, e)``: ``E = |mid C| + rad C`` rounded up (``>= |C'|`` for every C' in C) and ``e >= ||E||_inf``
    (fpbounds Lemma 2); e is nan or inf when an entry is not finite (then ``e < 1`` fails)."""
    E = fp_up(np.abs(C.mid) + C.rad, 1)
    return E, float(fp_up(E.sum(axis=1), E.shape[1] + 1).max(initial=0.0))


def _contraction(Y: np.ndarray, D: NBall) -> np.ndarray:
    """Entrywise upper bound of ``|I - Y D'|`` for every matrix D' in the ball D (float Y; fpbounds
    Lemma 1 for ``fl(Y mid D)``, one more rounding for the subtraction: ``|I - fl(Y mid D)| <= |E| (1 + 2u)``,
    E its float value; ``1 + u`` is not a float)."""
    k = D.mid.shape[0]
    Ya = np.abs(Y)
    E = np.eye(k) - Y @ D.mid
    return fp_up(np.abs(E) * (1 + 2 * U) + gamma(k) * (Ya @ np.abs(D.mid)) + k * ETA + Ya @ D.rad, k + 6)


def contraction_times(Y: np.ndarray, D: NBall, r: np.ndarray) -> np.ndarray:
    """An upper bound of ``|I - Y D'| r`` for every matrix D' in the ball D (float Y, r >= 0 a float vector):
    ``_contraction``'s entrywise bound times r, regrouped as ``|E| r (1 + 2u) + gamma_k |Y| (|mid D| r) + k eta
    sum(r) + |Y| (rad D r)`` (non-negative terms: the same exact value), so one n^3 product, ``fl(Y mid D)``,
    instead of three; Lemma 2 for the float evaluation (depth <= 2k + 6). nan when an entry is nan."""
    k = D.mid.shape[0]
    Ya = np.abs(Y)
    E = np.eye(k) - Y @ D.mid
    return fp_up(np.abs(E) @ r * (1 + 2 * U) + gamma(k) * (Ya @ (np.abs(D.mid) @ r)) + k * ETA * r.sum()
                 + Ya @ (D.rad @ r), 2 * k + 8)


def _contracts(D: NBall) -> tuple[np.ndarray, np.ndarray, float] | None:
    """``(Y, |I - Y D| bound, its inf-norm bound)`` with ``Y = inv(mid D)``, or None if not finite."""
    Y = float_inverse(D.mid)
    if Y is None:
        return None
    E = _contraction(Y, D)
    return Y, E, float(fp_up(E.sum(axis=1), E.shape[1] + 1).max())


def lemma_solve_nb(D: NBall, b: np.ndarray) -> NBall | None:
    """Enclosure of ``D'^-1 b`` (b an exact float vector) for every matrix D' in the ball D: the
    Lemma (module docstring) in numpy balls; None when ``||I - Y D|| < 1`` is not proved."""
    got = _contracts(D)
    if got is None or not got[2] < 1:
        return None
    Y, E, e = got
    k = len(b)
    yb = Y @ b
    yerr = fp_up(gamma(k) * (np.abs(Y) @ np.abs(b)) + k * ETA, k + 2)
    rho = _rho(float(fp_up(np.abs(yb) + yerr, 1).max()), e)
    return NBall(yb[:, None], fp_up(yerr + rho * E.sum(axis=1), k + 2)[:, None])
