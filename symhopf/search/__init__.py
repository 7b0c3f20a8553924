"""Float search for Hopf candidates: equilibria, branches, detection (nothing here is trusted).

``find_candidates(system, ...)`` finds equilibria at ``seed_params`` parameter values across
the range (the two ends included; by default :func:`default_seed_params`) from the user's
guesses and seeded (deterministic) samples of a box, keeps those in the box (the model's
a-priori box or ``[search] box``) or, for the default box of a general ODE, in that box widened
by twice its width on each side (:func:`accept_box`): Newton limits outside, e.g. where a
sigmoid underflows, are not equilibria the search vouches for; equilibria reached from the
user's guesses are kept wherever they are. It follows each new one
as a branch over the whole range (a constant branch when ``x`` does not move and ``Df_a`` is a
multiple of ``I``, pseudo-arclength continuation otherwise), mirrors every branch when the
system is odd (:mod:`.symmetry`), and detects the Hopf points on every branch. Branches that
exist only strictly between two seed parameter values and meet none of them (isolas narrower
than the seed spacing) are not found.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..candidate import Candidate
from ..errors import InputError
from ..parallel import blas_threads
from .continuation import Branch, Continuer, Fold, constant_branch
from .detect import BranchScanner, hopf_on_constant_branch
from .equilibria import Box, default_samples, find_equilibria, is_regular
from .progress import ProgressFn, make_progress
from .symmetry import is_odd

__all__ = ["SearchResult", "Branch", "Fold", "find_candidates", "default_box"]

DEFAULT_HALF_WIDTH = 10.0
#: the search stops seeking new branches past this many (a warning says so): a periodic activation
#: such as sin has a lattice of equilibrium branches, and following them all is not a search
MAX_BRANCHES = 60


@dataclass
class SearchResult:
    """Candidates sorted by parameter, the branches they lie on, and any warnings; ``sought``: how
    the branches were sought (seed parameters, box, samples per seed parameter, guesses). ``sought["box"]``
    (``[lo, hi]``, each a list per variable) is exact: the user's ``[search] box`` as 'p/q' strings of the
    numbers written (the search itself seeds their nearest floats), else the floats of the box used."""

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


def default_seed_params(n: int) -> int:
    """Parameter values at which equilibria are sought: many for small systems, few when each
    multi-start Newton is costly."""
    return 33 if n <= 8 else 17 if n <= 50 else 5


def accept_box(box: Box, widen: bool) -> Box:
    """Where found equilibria are kept: the box, or (``widen``) the box widened by twice its
    width on each side."""
    lo, hi = box
    return (lo - 2 * (hi - lo), hi + 2 * (hi - lo)) if widen else (lo, hi)


def in_box(x: np.ndarray, box: Box) -> bool:
    return bool(np.all(x >= box[0]) and np.all(x <= box[1]))


def _dedupe(cands: list[Candidate]) -> list[Candidate]:
    """Candidates sorted by a, each dropped if one kept before it is within the tolerance in a, omega and x.
    ``out`` is sorted by a, so only its tail with ``d.a >= c.a - tol`` can match (scanned backwards)."""
    out: list[Candidate] = []
    for c in sorted(cands, key=lambda c: c.a):
        tol = 1e-7 * (1 + abs(c.a) + np.linalg.norm(c.x) + c.omega)
        dup = False
        for d in reversed(out):
            if c.a - d.a > tol:
                break
            if abs(c.a - d.a) <= tol and abs(c.omega - d.omega) <= tol and np.linalg.norm(c.x - d.x) <= tol:
                dup = True
                break
        if not dup:
            out.append(c)
    return out


@blas_threads(1)
def find_candidates(
    system: Any,
    a_range: tuple[float, float] | None = None,
    box: Box | None = None,
    guesses: Sequence[Sequence[float]] | None = None,
    progress: bool | ProgressFn | None = None,
    samples: int | None = None,
    seed_params: int | None = None,
) -> SearchResult:
    """Every Hopf candidate found on the equilibrium branches of ``system`` in ``a_range``.

    Defaults: ``a_range = system.model.range``, ``box = default_box(system)``,
    ``guesses = system.model.equilibrium_guesses``; ``samples`` random box points per
    parameter value (default :func:`.equilibria.default_samples`), at ``seed_params`` parameter
    values (default :func:`default_seed_params`); ``progress``: see :mod:`.progress`. Runs on one
    BLAS thread (:func:`..parallel.blas_threads`): numpy's eig and solves of a few hundred unknowns
    are fastest there, and OpenBLAS's spinning threads on a loaded machine slowed the bench's
    n = 100-200 setup searches (called outside ``prove``) many times over.
    """
    flt, n = system.flt, system.n
    model = getattr(system, "model", None)
    a_range = a_range if a_range is not None else getattr(model, "range", None)
    if a_range is None:
        raise InputError("no parameter range to search: give [search] range")
    a0, a1 = (float(v) for v in a_range)
    widen = box is None and getattr(model, "equilibrium_box", lambda: None)() is None
    # the user's [search] box as written (exact): recorded, and what the completeness claims compare with
    exact = getattr(model, "search_box_exact", lambda: None)() if box is None else None
    box = default_box(system) if box is None else box
    box = tuple(np.broadcast_to(np.asarray(b, float), (n,)) for b in box)
    seed_params = default_seed_params(n) if seed_params is None else seed_params
    odd = is_odd(model)
    accept = accept_box(box, widen)
    guesses = list(getattr(model, "equilibrium_guesses", None) or []) if guesses is None else list(guesses)
    report, done = make_progress(progress)
    cont = Continuer(flt, n, (a0, a1), x_limit=1.5 * max(float(np.abs(accept[0]).max()), float(np.abs(accept[1]).max()), 1.0))
    branches: list[Branch] = []
    params = np.linspace(a0, a1, seed_params)
    constant: dict[bytes, Branch | None] = {}

    def constant_at(y: np.ndarray) -> Branch | None:
        """``constant_branch`` of y (id set by the caller), computed once per point."""
        key = y.tobytes()
        if key not in constant:
            constant[key] = constant_branch(flt, y, (a0, a1), -1)
        return constant[key]

    def regular(x: np.ndarray, a: float) -> bool:
        # a constant branch is taken as found without the SVD test of is_regular: it is not continued
        # (no Newton solves along it), so a singular Df at this seed parameter does not matter to it
        return constant_at(x) is not None or is_regular(flt, x, a)
    for i, a in enumerate(params):
        report("branches", i / len(params))

        def known(x: np.ndarray, a: float = float(a)) -> bool:
            return any(cont.on_branch(b, x, a) for b in branches)

        def tick(f: float, i: int = i) -> None:
            report("branches", (i + f) / len(params))

        for x in find_equilibria(flt, n, float(a), box, guesses, samples, seed=i, known=known, tick=tick,
                                 keep=lambda x, k: k < len(guesses) or in_box(x, accept),
                                 regular=lambda x, a=float(a): regular(x, a)):
            for y in ([x, -x] if odd else [x]):
                if known(y) or len(branches) >= MAX_BRANCHES:
                    continue
                bid = len(branches)
                br = constant_at(y)
                if br is not None:
                    br = dataclasses.replace(br, id=bid)
                branches.append(br or cont.branch(y, float(a), bid))
    scanner = BranchScanner(flt, cont)
    if len(branches) >= MAX_BRANCHES:
        scanner.warnings.append(f"the search stopped seeking branches after {MAX_BRANCHES} (MAX_BRANCHES): "
                                "more may exist")
    cands: list[Candidate] = []
    for i, br in enumerate(branches):
        report("detection", i / max(len(branches), 1))
        cands += hopf_on_constant_branch(flt, br) if br.constant else scanner.scan(br)
        br.eigvals = None                               # the detection's alone: not kept for the proofs
    report("detection", 1.0)
    done()
    sought = {"seed_parameters": [float(a) for a in params],
              "box": [[str(v) for v in side] for side in exact] if exact is not None
              else [np.broadcast_to(np.asarray(b, float), (n,)).tolist() for b in box],
              "samples_per_seed_parameter": default_samples(n) if samples is None else samples,
              "guesses": [[float(v) for v in g] for g in guesses],
              "accept_box": [b.tolist() for b in accept],
              "seeding": "deterministic: numpy default_rng(k) samples of the box at the k-th seed parameter; "
                         "equilibria outside accept_box rejected (those from guesses kept)",
              "odd_symmetry_mirrored": odd,
              "branch_cap_reached": len(branches) >= MAX_BRANCHES,
              "step_control": "continuation steps limited by eigenvalue movement; steps bisected where a pair "
                              "could cross the imaginary axis twice"}
    return SearchResult(_dedupe(cands), branches, (a0, a1), scanner.warnings, sought)
