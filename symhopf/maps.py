"""The whole job for a map x -> F(x, a): fixed-point branches, NS candidates, proofs, certificate.

``prove_map(model, system)`` is what ``symhopf.api.prove`` does for a model with ``map`` set
(docs/maps.md): the float search (symhopf/search/maps.py), a rigorous proof per candidate
(symhopf/proof/neimark_sacker.py), the exact range check, and a certificate whose
``hopf_points`` are NS entries (``"kind": "neimark-sacker"``). Completeness of the NS list is
not proved for maps; every branch record says so.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

from .certificate import Certificate, PointRecord, embed_model
from .model import Model
from .proof.batch import in_range_or_not
from .proof.neimark_sacker import prove_ns
from .search import default_box
from .search.maps import find_ns

SEARCH_METHOD = ("float search, not a proof: damped Newton on F(x, a) - x from the guesses, the box centre and "
                 "random points of the box at each seed parameter; each new fixed point continued over the range; "
                 "multipliers counted along each branch")
SCOPE = ("The Neimark-Sacker points concern only the fixed-point branches listed in 'branches' (found by the "
         "search above); branches the search did not find are not covered, and on a branch found the list of "
         "Neimark-Sacker points is not proved complete.")
INCOMPLETE = ("not proved: symhopf has no completeness argument for maps yet (the multipliers were only "
              "counted in float arithmetic along the branch)")


def prove_map(model: Model, system: Any) -> Certificate:
    """The certificate of the NS points found on the fixed-point branches of ``model`` in its range."""
    a_range = tuple(float(v) for v in model.range)
    search = find_ns(system, a_range, default_box(system), model.equilibrium_guesses)
    records = [PointRecord.from_ns_proof(in_range_or_not(prove_ns(system, c), model.range))
               for c in search.candidates]
    branches = []
    for br in search.branches:
        mine = [i for i, c in enumerate(search.candidates) if c.branch == br.id]
        special = [{k: v for k, v in s.items() if k != "branch"} for s in search.special_points if s["branch"] == br.id]
        branches.append({**br.summary(), "hopf_points": mine, "special_points": special,
                         "completeness": {"proved": False, "reason": INCOMPLETE, "method": None}})
    sought = {"method": SEARCH_METHOD, "map": True, **search.sought, "branches_found": len(search.branches),
              "scope": SCOPE}
    return Certificate(model=model.name, parameter=model.parameter, range=[Fraction(v) for v in model.range],
                       hopf_points=records, branches=branches, search=sought,
                       range_exact=[str(v) for v in model.range], embedded_model=embed_model(model))


def summary(cert: Certificate) -> str:
    """The scope, each branch (special points, completeness not proved), one line per NS point."""
    lo, hi = (float(v) for v in cert.range)
    k = len(cert.branches)
    lines = [f"{cert.model} (map): {len(cert.hopf_points)} Neimark-Sacker candidate(s) for {cert.parameter} in "
             f"[{lo:g}, {hi:g}] on the {k} fixed-point branch{'' if k == 1 else 'es'} found, "
             f"{sum(p.status == 'proved' for p in cert.hopf_points)} proved"]
    for b in cert.branches:
        sp = ", ".join(f"{s['kind']} near {cert.parameter} = {s['parameter']:.6g}" for s in b.get("special_points", []))
        lines.append(f"  branch {b['id']} ({b['kind']}): {len(b['hopf_points'])} NS point(s); "
                     f"completeness {b['completeness']['reason']}" + (f"; special points (float): {sp}" if sp else ""))
    for p in cert.hopf_points:
        crit = f" ({p.criticality}: invariant closed curve)" if p.criticality else ""
        status = "PROVED" if p.status == "proved" else f"not proved: {p.reason}"
        lines.append(f"  {cert.parameter} = {_mid(p.parameter)}  theta = {_mid(p.theta)}  d = {_mid(p.first_lyapunov)}"
                     f"{crit}  {status}")
    return "\n".join(lines)


def _mid(pair) -> str:
    if not pair:
        return "?"
    lo, hi = (Fraction(s) for s in pair)
    return f"{float((lo + hi) / 2):.12g}"
