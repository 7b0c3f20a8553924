"""Prove every candidate of one search: family proofs on constant branches, per-point proofs elsewhere.

``prove_all(system, search, a_range)`` returns a HopfProof per candidate, in order. Candidates on
a branch whose constant structure (f(x0, a) = 0, Df_a = c I on the range) is verified in ball
arithmetic get the family proof (one verified diagonalisation per branch,
symhopf/proof/family.py; the search's float eigen-decomposition of that branch is handed over
as the approximation to verify); all others the per-point proof (symhopf/proof/hopf.py). The
independent per-point stages run on all cores (symhopf/parallel.py); a failure there becomes
``not_proved`` with its reason.
"""
from __future__ import annotations

from typing import Any

from flint import arb

from ..parallel import default_workers, run_tasks
from . import family
from .hopf import HopfProof, prove_candidate


#: smallest batch of family points worth its own process
BATCH = 100


def prove_all(system: Any, search, a_range, workers: int | None = None) -> list:
    """A HopfProof per candidate of ``search``, in order (module docstring)."""
    cands = search.candidates
    proofs: list = [None] * len(cands)
    tasks: list[tuple] = []
    fams: dict[int, family.FamilyData] = {}
    jobs: dict[int, family.PointJob] = {}
    cores = workers or default_workers()
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
            i = by_disc[k]
            fams[i] = fd
            proofs[i] = family.finish(fd, None, None, why)
        mine_jobs = [by_disc[job.k] for job in prepared]
        for job, i in zip(prepared, mine_jobs):
            fams[i], jobs[i] = fd, job
        # one batch per core, one evaluation of the generated C per batch (family.point_batch);
        # at least BATCH points each: ball products with fewer columns are much slower per column
        size = max(BATCH, -(-len(mine_jobs) // cores))
        tasks += [("family", tuple(mine_jobs[s:s + size])) for s in range(0, len(mine_jobs), size)]
    for i in range(len(cands)):
        if proofs[i] is None and i not in jobs:
            tasks.append(("point", i))

    def run(task):
        kind, i = task
        if kind == "family":
            return family.point_batch(system, fams[i[0]], [jobs[j] for j in i])
        return pack_proof(prove_candidate(system, cands[i]))

    big = any(kind == "family" for kind, _ in tasks)     # family batches: worth a process each
    for (kind, i), res in zip(tasks, run_tasks(run, tasks, workers, min_tasks=2 if big else 4)):
        err = res.get("error") if isinstance(res, dict) else None
        if kind == "family":
            for j, r in zip(i, [None] * len(i) if err else res):
                proofs[j] = family.finish(fams[j], jobs[j], r, f"family proof failed: {err}" if err else "")
        elif err:
            proofs[i] = HopfProof("not_proved", f"proof failed: {err}")
        else:
            proofs[i] = unpack_proof(res)
    return proofs


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
