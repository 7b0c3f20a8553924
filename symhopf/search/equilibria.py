"""Equilibria of x' = f(x, a) at a fixed parameter value: multi-start damped Newton.

Seeds are the user's guesses first, then the centre of a box and uniform samples of it
(for RNNs with bounded activations every equilibrium lies in a computable box; for
general ODEs the caller passes a default box). Newton step ``d = -Df^{-1} f``, damped by
backtracking ``x + t d`` (t = 1, 1/2, ...) until ``|f|`` decreases. A limit is accepted
when ``|f| <= tol (1 + |x|)``, ``Df`` is numerically nonsingular (smallest singular
value above ``1e-10 |Df|``) and the Newton correction bound ``|f| / sigma_min`` is small; accepted equilibria are deduplicated. Floats only:
nothing here is trusted.
"""
from __future__ import annotations

import math
import weakref
from typing import Any, Callable, Sequence

import numpy as np

from ..runtime.floats import POINTS_MIN

Box = tuple[np.ndarray, np.ndarray]


def default_samples(n: int) -> int:
    """Number of random box samples: many in low dimension, few when a Newton solve is costly."""
    return int(max(4, min(64, 3e5 // n**2)))


def vec_norm(v: np.ndarray) -> float:
    """``np.linalg.norm`` of a real vector, computed as numpy does (``sqrt(v . v)``) without its
    per-call overhead (the Newton loops call it ~10^5 times in a small system's search)."""
    return math.sqrt(v.dot(v))


def newton_equilibrium(
    flt: Any, x0: np.ndarray, a: float, tol: float = 1e-11, max_iter: int = 60
) -> np.ndarray | None:
    """Damped Newton for f(x, a) = 0 from ``x0``; the converged point or None."""
    x = np.array(x0, dtype=float)
    fx = flt.f(x, a)
    return _newton(flt, x, fx, vec_norm(fx), a, tol, max_iter)


def _newton(flt: Any, x: np.ndarray, fx: np.ndarray, nf: float, a: float, tol: float, max_iter: int
            ) -> np.ndarray | None:
    """:func:`newton_equilibrium` from the iterate ``x`` with ``fx = f(x, a)``, ``nf = |fx|``."""
    solve, isfinite = np.linalg.solve, np.isfinite
    for _ in range(max_iter):
        nx = vec_norm(x)
        if not isfinite(fx).all() or nx > 1e8:
            return None
        if nf <= tol * (1 + nx):
            return x
        J = flt.Df(x, a)
        if isfinite(J).all() and not J.any(axis=1).all():
            # a zero row (e.g. saturated activations, s'(z) = 0 exactly): elimination keeps it zero, so
            # LAPACK meets a zero pivot and solve raises LinAlgError; answered without the O(n^3) LU
            return None
        try:
            d = solve(J, -fx)
        except np.linalg.LinAlgError:
            return None
        t = 1.0
        while True:
            xn = x + t * d
            fn = flt.f(xn, a)
            nn = vec_norm(fn)
            if nn < (1 - t / 4) * nf or t < 1e-3:
                break
            t /= 2
        if t < 1e-3 and not nn < nf:
            return None
        x, fx, nf = xn, fn, nn
    return x if nf <= 1e3 * tol * (1 + vec_norm(x)) else None


def _row_norms(A: np.ndarray) -> np.ndarray:
    return np.sqrt(np.einsum("ij,ij->i", A, A))


#: largest n at which a network model's Newton starts run as a stack (:class:`StackedPoints`): there a call of
#: the generated code costs more in Python than in arithmetic; above, the O(n^3) solves dominate
STACK_MAX_N = 64


class StackedPoints:
    """``f`` and ``Df`` of a float evaluator with matrix code (network models) at k points at once.

    The points enter the generated code as a stack ``X[:, :, None]`` of (n, 1) columns: numpy's matmul
    broadcasts every product ``M @ x`` over the leading axis, entrywise functions act per entry, data
    columns (n, 1) broadcast, so ``_f`` returns the stack of ``f(X[i], a)`` and ``_Df_apply(., I)`` the
    stack of ``Df(X[i], a)``. Code that does not broadcast so (a transpose, a reduction over the
    variables) is caught on first use: the stack is compared with ``f`` and ``Df`` at two rows (to
    rounding) and, failing that, :attr:`ok` is False (the caller goes one point at a time).
    """

    def __init__(self, flt: Any) -> None:
        self.flt = flt
        self.ok: bool | None = None          # None: not checked yet

    def f_points(self, X: np.ndarray, a: float) -> np.ndarray:
        """Rows ``f(X[i], a)``, shape (k, n)."""
        out = np.asarray(self.flt._f(X[:, :, None], float(a)))
        return np.array(np.broadcast_to(out, (len(X), self.flt.n, 1))[:, :, 0])

    def Df_points(self, X: np.ndarray, a: float) -> np.ndarray:
        """``Df(X[i], a)`` stacked, shape (k, n, n)."""
        flt = self.flt
        out = np.asarray(flt._Df_apply(X[:, :, None], float(a), flt.eye), dtype=float)
        return np.array(np.broadcast_to(out, (len(X), flt.n, flt.n)))

    def check(self, X: np.ndarray, a: float) -> bool:
        """On first use: the stacked ``f`` and ``Df`` at the last two rows of ``X`` equal ``f`` and ``Df``
        there (``rtol`` 1e-12); the verdict is kept."""
        if self.ok is None:
            P, flt = np.array(X[-2:], dtype=float), self.flt
            try:
                F, J = self.f_points(P, a), self.Df_points(P, a)
                self.ok = bool(F.shape == P.shape and J.shape == (len(P), flt.n, flt.n)
                               and np.allclose(F, [flt.f(x, a) for x in P], rtol=1e-12, atol=1e-300, equal_nan=True)
                               and np.allclose(J, [flt.Df(x, a) for x in P], rtol=1e-12, atol=1e-300, equal_nan=True))
            except (ValueError, TypeError, IndexError, AttributeError):
                self.ok = False
        return self.ok


_STACKED: "weakref.WeakKeyDictionary[Any, StackedPoints]" = weakref.WeakKeyDictionary()


def points_evaluator(flt: Any, n: int) -> Any | None:
    """What evaluates many points at once for :func:`newton_equilibria`: the evaluator itself when it
    evaluates points entrywise (``flt.pointwise``, ODE models), else (``n <= STACK_MAX_N``, an evaluator
    with generated matrix code, not marked ``stackable = False``) its :class:`StackedPoints`; None: one
    point at a time."""
    if getattr(flt, "pointwise", False):
        return flt
    if n > STACK_MAX_N or not getattr(flt, "stackable", True) or not hasattr(flt, "_f") \
            or not hasattr(flt, "_Df_apply"):
        return None
    try:
        sp = _STACKED.get(flt)
        if sp is None:
            sp = _STACKED[flt] = StackedPoints(flt)
    except TypeError:                       # not weak-referenceable: no cache, checked anew
        sp = StackedPoints(flt)
    return sp if sp.ok is not False else None


def newton_equilibria(flt: Any, X0: np.ndarray, a: float, tol: float = 1e-11, max_iter: int = 60,
                      min_batch: int | None = None) -> list[np.ndarray | None]:
    """:func:`newton_equilibrium` from every row of ``X0``, the same iteration for each, run side by side
    through :func:`points_evaluator`'s ``f_points`` / ``Df_points`` (one evaluation of the generated code
    for all the points still iterating, and one stacked solve): the evaluator's own for ODE models
    (entrywise code), a :class:`StackedPoints` for network models of small n. Once fewer than
    ``min_batch`` points iterate (default ``POINTS_MIN`` for entrywise code, 2 for stacks), each finishes
    alone. Elsewhere one by one. The limits equal those of :func:`newton_equilibrium` up to the rounding
    of the stacked products."""
    X = np.array(X0, dtype=float)
    k = len(X)
    pts = points_evaluator(flt, flt.n) if k else None
    stacked = isinstance(pts, StackedPoints)
    if min_batch is None:
        min_batch = 2 if stacked else POINTS_MIN
    if pts is None or k < min_batch or (stacked and not pts.check(X, a)):
        return [newton_equilibrium(flt, x, a, tol, max_iter) for x in X]
    F = pts.f_points(X, a)
    if not stacked and not flt.pointwise:   # its check against f failed: one by one
        return [newton_equilibrium(flt, x, a, tol, max_iter) for x in X]
    NF = _row_norms(F)
    out: list[np.ndarray | None] = [None] * k
    active = np.arange(k)
    for it in range(max_iter):
        if len(active) < min_batch:
            for i in active:
                out[i] = _newton(flt, X[i].copy(), F[i].copy(), float(NF[i]), a, tol, max_iter - it)
            return out
        NX = _row_norms(X[active])
        bad = ~np.isfinite(F[active]).all(axis=1) | (NX > 1e8)
        conv = ~bad & (NF[active] <= tol * (1 + NX))
        for i in active[conv]:
            out[i] = X[i].copy()
        active = active[~bad & ~conv]
        if not len(active):
            return out
        J = pts.Df_points(X[active], a)
        zero_row = np.isfinite(J).all(axis=(1, 2)) & ~J.any(axis=2).all(axis=1)
        active, J = active[~zero_row], J[~zero_row]
        try:
            D = np.linalg.solve(J, -F[active][:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:       # a singular one: each alone, the singular ones dropped
            D, ok = np.zeros((len(active), flt.n)), np.ones(len(active), bool)
            for j, i in enumerate(active):
                try:
                    D[j] = np.linalg.solve(J[j], -F[i])
                except np.linalg.LinAlgError:
                    ok[j] = False
            active, D = active[ok], D[ok]
        # damped step x + t d, t = 1, 1/2, ... per point (as newton_equilibrium)
        T = np.ones(len(active))
        XN, FN, NN = np.empty((len(active), flt.n)), np.empty((len(active), flt.n)), np.empty(len(active))
        pending = np.arange(len(active))
        while len(pending):
            idx = active[pending]
            xn = X[idx] + T[pending][:, None] * D[pending]
            fn = pts.f_points(xn, a)
            nn = _row_norms(fn)
            XN[pending], FN[pending], NN[pending] = xn, fn, nn
            done = (nn < (1 - T[pending] / 4) * NF[idx]) | (T[pending] < 1e-3)
            T[pending[~done]] /= 2
            pending = pending[~done]
        fail = (T < 1e-3) & ~(NN < NF[active])
        keep = ~fail
        active, XN, FN, NN = active[keep], XN[keep], FN[keep], NN[keep]
        X[active], F[active], NF[active] = XN, FN, NN
    for i in active:
        out[i] = X[i].copy() if NF[i] <= 1e3 * tol * (1 + vec_norm(X[i])) else None
    return out


def is_regular(flt: Any, x: np.ndarray, a: float) -> bool:
    """Df(x, a) numerically nonsingular (sigma_min > 1e-10 sigma_max) and x accurate: the Newton
    correction bound ``|f| / sigma_min`` is below 1e-6 (1 + |x|), the tolerance at which the search
    tells equilibria apart. Near a singular Df (a pitchfork at this parameter value) Newton stops
    at a small residual far from the equilibrium; such points are not accepted (the branches
    through them are found from the other parameter values)."""
    D = flt.Df(x, a)
    if not np.all(np.isfinite(D)):
        return False
    s = np.linalg.svd(D, compute_uv=False)
    if not s[-1] > 1e-10 * max(s[0], 1e-300):
        return False
    return bool(vec_norm(flt.f(x, a)) <= 1e-6 * (1 + vec_norm(x)) * s[-1])


def _seeds(n: int, guesses: Sequence[Sequence[float]], box: Box, samples: int, rng: np.random.Generator) -> list[np.ndarray]:
    lo, hi = (np.broadcast_to(np.asarray(v, float), (n,)) for v in box)
    out = [np.asarray(g, float) for g in guesses]
    out.append((lo + hi) / 2)
    out.extend(lo + (hi - lo) * rng.random((samples, n)))
    return out


def find_equilibria(
    flt: Any,
    n: int,
    a: float,
    box: Box,
    guesses: Sequence[Sequence[float]] = (),
    samples: int | None = None,
    seed: int = 0,
    known: Callable[[np.ndarray], bool] | None = None,
    tick: Callable[[float], None] | None = None,
    keep: Callable[[np.ndarray, int], bool] | None = None,
    regular: Callable[[np.ndarray], bool] | None = None,
) -> list[np.ndarray]:
    """All equilibria found at parameter ``a`` from guesses, box centre and ``samples`` box points.

    Returns distinct regular equilibria (two are the same when ``|x - y| <= 1e-7 (1 + |x|)``)
    for which ``known(x)`` is false and ``keep(x, k)`` (``k``: index of the seed, guesses first)
    is true. ``tick(fraction of seeds done)`` reports progress (large n). ``regular(x)``: whether
    the equilibrium is accepted (default :func:`is_regular` at ``a``).
    """
    rng = np.random.default_rng(seed)
    samples = default_samples(n) if samples is None else samples
    found: list[np.ndarray] = []
    seen: list[np.ndarray] = []
    seeds = _seeds(n, guesses, box, samples, rng)
    # side by side where the evaluator takes many points at once (else one by one below, with progress)
    pts = points_evaluator(flt, n)
    limits = newton_equilibria(flt, np.array(seeds), a) if pts is not None else None
    # a stack's limits differ from the one-by-one ones in the last bits (BLAS products of another shape): a new
    # equilibrium is taken from newton_equilibrium again, so the branches start where they did one by one
    again = isinstance(pts, StackedPoints) and bool(pts.ok)

    def rejected(x: np.ndarray | None, k: int) -> bool:
        return x is None or (keep is not None and not keep(x, k)) or \
            any(vec_norm(x - y) <= 1e-7 * (1 + vec_norm(y)) for y in seen)
    for k, s in enumerate(seeds):
        if tick is not None:
            tick(k / len(seeds))
        x = limits[k] if limits is not None else newton_equilibrium(flt, s, a)
        if rejected(x, k) or (again and rejected(x := newton_equilibrium(flt, s, a), k)):
            continue
        seen.append(x)
        if not (known is not None and known(x)) and (is_regular(flt, x, a) if regular is None else regular(x)):
            found.append(x)
    return found
