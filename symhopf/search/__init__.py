"""Float search for Hopf candidates: equilibria, branches, detection (nothing here is trusted).

``find_candidates(system, ...)`` finds equilibria at ``seed_params`` parameter values across
the range (the two ends included) from the user's guesses and samples of a box, follows
each new one as a branch over the whole range (a constant branch when ``x`` does not move
and ``Df_a`` is a multiple of ``I``, pseudo-arclength continuation otherwise), and detects
the Hopf points on every branch. Branches that exist only strictly between two seed
parameter values and meet none of them (small isolas) are not found.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..candidate import Candidate
from ..errors import InputError
from .continuation import Branch, Continuer, Fold, constant_branch
from .detect import BranchScanner, hopf_on_constant_branch
from .equilibria import Box, default_samples, find_equilibria
from .progress import ProgressFn, make_progress

__all__ = ["SearchResult", "Branch", "Fold", "find_candidates", "default_box"]

DEFAULT_HALF_WIDTH = 10.0


@dataclass
class SearchResult:
    """Candidates sorted by parameter, the branches they lie on, and any warnings; ``sought``: how
    the branches were sought (seed parameters, box, samples per seed parameter, guesses)."""

    candidates: list[Candidate]
    branches: list[Branch]
    a_range: tuple[float, float]
    warnings: list[str] = field(default_factory=list)
    sought: dict[str, Any] = field(default_factory=dict)


def default_box(system: Any, half_width: float = DEFAULT_HALF_WIDTH) -> Box:
    """``system.model.equilibrium_box()`` when available, else ``[-half_width, half_width]^n``."""
    get = getattr(getattr(system, "model", None), "equilibrium_box", None)
    box = get() if callable(get) else None
    if box is None:
        return -half_width * np.ones(system.n), half_width * np.ones(system.n)
    return np.asarray(box[0], float), np.asarray(box[1], float)


def _dedupe(cands: list[Candidate]) -> list[Candidate]:
    out: list[Candidate] = []
    for c in sorted(cands, key=lambda c: c.a):
        tol = 1e-7 * (1 + abs(c.a) + np.linalg.norm(c.x) + c.omega)
        if not any(abs(c.a - d.a) <= tol and abs(c.omega - d.omega) <= tol
                   and np.linalg.norm(c.x - d.x) <= tol for d in out):
            out.append(c)
    return out


def find_candidates(
    system: Any,
    a_range: tuple[float, float] | None = None,
    box: Box | None = None,
    guesses: Sequence[Sequence[float]] | None = None,
    progress: bool | ProgressFn | None = None,
    samples: int | None = None,
    seed_params: int = 5,
) -> SearchResult:
    """Every Hopf candidate found on the equilibrium branches of ``system`` in ``a_range``.

    Defaults: ``a_range = system.model.range``, ``box = default_box(system)``,
    ``guesses = system.model.equilibrium_guesses``; ``samples`` random box points per
    parameter value (default :func:`.equilibria.default_samples`); ``progress``: see
    :mod:`.progress`.
    """
    flt, n = system.flt, system.n
    model = getattr(system, "model", None)
    a_range = a_range if a_range is not None else getattr(model, "range", None)
    if a_range is None:
        raise InputError("no parameter range to search: give [search] range")
    a0, a1 = (float(v) for v in a_range)
    box = default_box(system) if box is None else box
    guesses = list(getattr(model, "equilibrium_guesses", None) or []) if guesses is None else list(guesses)
    report, done = make_progress(progress)
    cont = Continuer(flt, n, (a0, a1))
    branches: list[Branch] = []
    params = np.linspace(a0, a1, seed_params)
    for i, a in enumerate(params):
        report("branches", i / len(params))

        def known(x: np.ndarray, a: float = float(a)) -> bool:
            return any(cont.on_branch(b, x, a) for b in branches)

        def tick(f: float, i: int = i) -> None:
            report("branches", (i + f) / len(params))

        for x in find_equilibria(flt, n, float(a), box, guesses, samples, known=known, tick=tick):
            if known(x):
                continue
            bid = len(branches)
            branches.append(constant_branch(flt, x, (a0, a1), bid) or cont.branch(x, float(a), bid))
    scanner = BranchScanner(flt, cont)
    cands: list[Candidate] = []
    for i, br in enumerate(branches):
        report("detection", i / max(len(branches), 1))
        cands += hopf_on_constant_branch(flt, br) if br.constant else scanner.scan(br)
    report("detection", 1.0)
    done()
    sought = {"seed_parameters": [float(a) for a in params],
              "box": [np.broadcast_to(np.asarray(b, float), (n,)).tolist() for b in box],
              "samples_per_seed_parameter": default_samples(n) if samples is None else samples,
              "guesses": [[float(v) for v in g] for g in guesses]}
    return SearchResult(_dedupe(cands), branches, (a0, a1), scanner.warnings, sought)
