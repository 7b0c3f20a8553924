"""Float search for Neimark–Sacker candidates of a map x -> F(x, a) (nothing here is trusted).

Fixed points are the zeros of G(x, a) = F(x, a) - x: the equilibrium search and the
continuation of this package run unchanged on :class:`FixedPoints` (G's float evaluator). Along
each branch the multipliers (eigenvalues of D_x F) are counted at every continuation point:
a change in the number of complex multipliers (Im > 0) outside the unit circle is an NS
candidate, located by bisection on the branch; a change in the number of real multipliers
above 1 (below -1) is a fold (flip) special point, recorded, not proved.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from .continuation import Branch, Continuer
from .equilibria import default_samples, find_equilibria


class FixedPoints:
    """Float evaluator of G(x, a) = F(x, a) - x; the derivatives other than Df are F's."""

    #: G has no evaluation at many points at once (F's ``f_points`` or generated code would be F's, not G's)
    pointwise = False
    stackable = False

    def __init__(self, flt: Any) -> None:
        self.F = flt

    def f(self, x, a):
        return self.F.f(x, a) - x

    def Df(self, x, a):
        return self.F.Df(x, a) - np.eye(len(x))

    def __getattr__(self, name: str):
        return getattr(self.F, name)


@dataclass
class NSCandidate:
    """Approximate NS point: F(x, a) ~ x, D_x F q ~ e^{i theta} q, 0 < theta < pi."""

    x: np.ndarray
    a: float
    theta: float
    q: np.ndarray
    branch: int = -1


@dataclass
class MapSearch:
    """NS candidates (sorted by parameter), the fixed-point branches, their fold/flip special points
    ({"branch", "kind", "parameter"}), and how the branches were sought."""

    candidates: list[NSCandidate]
    branches: list[Branch]
    special_points: list[dict] = field(default_factory=list)
    sought: dict[str, Any] = field(default_factory=dict)


def _counts(mults: np.ndarray, tol: float = 1e-9) -> tuple[int, int, int]:
    """(complex pairs outside the circle, real multipliers > 1, real multipliers < -1)."""
    cplx = mults.imag > tol
    real = np.abs(mults.imag) <= tol
    return (int(np.sum(cplx & (np.abs(mults) > 1))), int(np.sum(real & (mults.real > 1))),
            int(np.sum(real & (mults.real < -1))))


def find_ns(system: Any, a_range: tuple[float, float], box: tuple[np.ndarray, np.ndarray],
            guesses: Sequence[Sequence[float]] = (), samples: int | None = None, seed_params: int = 5) -> MapSearch:
    """Fixed-point branches found from ``seed_params`` parameter values and their NS candidates."""
    flt, n = system.flt, system.n
    G = FixedPoints(flt)
    a0, a1 = (float(v) for v in a_range)
    # dense steps (at most 0.05, grown after <= 2 corrector iterations): the NS detection counts
    # multipliers at the branch points and has no check for two crossings within one step
    cont = Continuer(G, n, (a0, a1), ds_max=0.05, grow_iters=2)
    branches: list[Branch] = []
    params = np.linspace(a0, a1, seed_params)
    for a in params:
        def known(x: np.ndarray, a: float = float(a)) -> bool:
            return any(cont.on_branch(b, x, a) for b in branches)

        for x in find_equilibria(G, n, float(a), box, guesses, samples, known=known):
            if not known(x):    # a branch traced from an earlier point of this list may hold it
                branches.append(cont.branch(x, float(a), len(branches)))
    cands, special = [], []
    for br in branches:
        c, s = _scan(flt, cont, br)
        cands += c
        special += s
    sought = {"seed_parameters": [float(a) for a in params], "box": [np.asarray(b, float).tolist() for b in box],
              "samples_per_seed_parameter": default_samples(n) if samples is None else samples, "guesses": [[float(v) for v in g] for g in guesses]}
    return MapSearch(sorted(cands, key=lambda c: c.a), branches, special, sought)


def _scan(flt: Any, cont: Continuer, br: Branch) -> tuple[list[NSCandidate], list[dict]]:
    def counts(z: np.ndarray) -> tuple[int, int, int]:
        return _counts(np.linalg.eigvals(flt.Df(*cont.xa(z))))

    Z = [cont.z_of(x, a) for x, a in zip(br.x, br.a)]
    cs = [counts(z) for z in Z]
    cands, special = [], []
    for k in range(len(Z) - 1):
        for which, kind in ((0, "neimark-sacker"), (1, "fold"), (2, "flip")):
            for z in _crossings(cont, counts, which, Z[k], Z[k + 1], cs[k][which], cs[k + 1][which]):
                x, a = cont.xa(z)
                if kind != "neimark-sacker":
                    special.append({"branch": br.id, "kind": kind, "parameter": float(a)})
                    continue
                w, V = np.linalg.eig(flt.Df(x, a))
                j = int(np.argmin(np.where(w.imag > 1e-9, np.abs(np.abs(w) - 1), np.inf)))
                if w[j].imag > 1e-9 and abs(abs(w[j]) - 1) < 1e-6:
                    cands.append(NSCandidate(x, float(a), float(np.angle(w[j])), V[:, j], br.id))
    return cands, special


def _crossings(cont: Continuer, counts, which: int, z0: np.ndarray, z1: np.ndarray, c0: int, c1: int,
               depth: int = 50) -> list[np.ndarray]:
    """Branch points between z0 and z1 where count ``which`` changes (c0 at z0, c1 at z1): recursive
    bisection on the chord, both halves followed, so several crossings in one step are all found
    (unless they cancel in a half)."""
    if c0 == c1:
        return []
    zm = cont.point_between(z0, z1, 0.5)
    if depth == 0 or zm is None:
        return [z1]
    cm = counts(zm)[which]
    return (_crossings(cont, counts, which, z0, zm, c0, cm, depth - 1)
            + _crossings(cont, counts, which, zm, z1, cm, c1, depth - 1))
