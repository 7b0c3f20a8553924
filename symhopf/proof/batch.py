"""Prove every candidate of one search: family proofs on constant branches, per-point proofs elsewhere.

``prove_all(system, search, a_range)`` returns a HopfProof per candidate, in order. Candidates on
a branch whose constant structure (f(x0, a) = 0, Df_a = c I on the range) is verified in ball
arithmetic get the family proof (one verified diagonalisation per branch,
symhopf/proof/family.py; the search's float eigen-decomposition of that branch is handed over
as the approximation to verify; points whose l1 or mu' enclosure contains 0 are done once more with a
tighter left eigenvector, ``family.retry_undecided``); all others the per-point proof (symhopf/proof/hopf.py). All points
of a constant branch are one batch in this process; the independent per-point proofs run on
all cores (symhopf/parallel.py). A failure in either becomes ``not_proved`` with its reason.
"""
from __future__ import annotations

from typing import Any

from flint import arb

from ..parallel import run_tasks
from ..runtime.arbtools import in_range, interval_text, range_text
from . import family
from .hopf import HopfProof, prove_candidate


def prove_all(system: Any, search, a_range, workers: int | None = None) -> list:
    """A HopfProof per candidate of ``search``, in order (module docstring)."""
    cands = search.candidates
    proofs: list = [None] * len(cands)
    for br in search.branches:
        if not br.constant:
            continue
        mine = [i for i, c in enumerate(cands) if c.branch == br.id]
        if not mine:
            continue
        fd = family.branch_data(system, br.x[0], a_range, approx=getattr(br, "eig", None))
        if not fd.ok:
            continue
        match = family.match_candidates(fd, [cands[i] for i in mine])
        by_disc = {k: mine[j] for j, k in match.items()}
        prepared, fails = family.prepare(fd, sorted(by_disc))
        for k, why in fails.items():
            proofs[by_disc[k]] = family.finish(fd, None, None, why)
        if not prepared:
            continue
        try:        # all points of the branch in one batch (numpy ball products: one process is fastest)
            results, err = family.point_batch(system, fd, prepared), ""
            prepared, results = family.retry_undecided(system, fd, prepared, results)
        except Exception as exc:  # a failed proof, not a crash
            results, err = [None] * len(prepared), f"family proof failed: {type(exc).__name__}: {exc}"
        for job, r in zip(prepared, results):
            proofs[by_disc[job.k]] = family.finish(fd, job, r, err)
    tasks = [i for i in range(len(cands)) if proofs[i] is None]
    for i, res in zip(tasks, run_tasks(lambda i: pack_proof(prove_candidate(system, cands[i])), tasks, workers)):
        err = res.get("error") if isinstance(res, dict) else None
        proofs[i] = HopfProof("not_proved", f"proof failed: {err}") if err else in_range_or_not(unpack_proof(res), a_range)
    return proofs


def in_range_or_not(hp: HopfProof, a_range) -> HopfProof:
    """``hp``, made ``not_proved`` (with the reason) unless its parameter enclosure lies inside the
    exact range: a Hopf point proved just outside the range is not a Hopf point in the range."""
    if not hp.proved:
        return hp
    inside = in_range(hp.parameter, *a_range)
    if not inside:
        hp.status, hp.criticality = "not_proved", None
        hp.reason = (f"parameter enclosure {interval_text(hp.parameter)} "
                     + ("lies outside" if inside is False else "meets an end of")
                     + f" the range {range_text(a_range)}")
    return hp


def pack_proof(hp: HopfProof) -> dict:
    """A picklable form of a HopfProof (arb balls as exact (mid, rad) integer pairs)."""
    d = dict(hp.__dict__)
    for key in ("parameter", "omega", "first_lyapunov", "transversality", "other_eigenvalues_real_part_max"):
        d[key] = family.pack_ball(d[key])
    d["x"] = [family.pack_ball(t) for t in d["x"]]
    d["proof"] = {k: ("__arb__", family.pack_ball(v)) if isinstance(v, arb) else v for k, v in d["proof"].items()}
    return d


def unpack_proof(d: dict) -> HopfProof:
    d = dict(d)
    for key in ("parameter", "omega", "first_lyapunov", "transversality", "other_eigenvalues_real_part_max"):
        d[key] = family.unpack_ball(d[key])
    d["x"] = [family.unpack_ball(t) for t in d["x"]]
    d["proof"] = {k: family.unpack_ball(v[1]) if isinstance(v, tuple) and v and v[0] == "__arb__" else v
                  for k, v in d["proof"].items()}
    return HopfProof(**d)
