"""The whole job for a map x -> F(x, a): fixed-point branches, NS candidates, proofs, certificate.

``prove_map(model, system)`` is what ``symhopf.api.prove`` does for a model with ``map`` set
(docs/maps.md): the float search (symhopf/search/maps.py), a rigorous proof per candidate
(symhopf/proof/neimark_sacker.py), the exact range check, and a certificate whose
``hopf_points`` are NS entries (``"kind": "neimark-sacker"``). On a branch whose x is constant
and whose Jacobian is verified to be ``a M`` (the Elman net ``tanh(a W x)`` at x = 0), the family
proof of symhopf/proof/ns_family.py lists and proves every crossing in the range and may prove
the list complete; on every other branch completeness is not proved, and the branch record says so.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from .certificate import Certificate, PointRecord, embed_model
from .model import Model
from .proof.batch import in_range_or_not
from .proof import ns_family
from .proof.neimark_sacker import prove_ns
from .search import default_box
from .search.maps import find_ns

SEARCH_METHOD = ("float search, not a proof: damped Newton on F(x, a) - x from the guesses, the box centre and "
                 "random points of the box at each seed parameter; each new fixed point continued over the range; "
                 "multipliers counted along each branch")
SCOPE = ("The Neimark-Sacker points concern only the fixed-point branches listed in 'branches' (found by the "
         "search above); branches the search did not find are not covered, and on a branch found the list of "
         "Neimark-Sacker points is proved complete only where that branch's 'completeness' says proved.")
INCOMPLETE = ("not proved: symhopf has no completeness argument for a moving fixed-point branch of a map (the "
              "multipliers were only counted in float arithmetic along the branch)")


def prove_map(model: Model, system: Any) -> Certificate:
    """The certificate of the NS points found on the fixed-point branches of ``model`` in its range."""
    a_range = tuple(float(v) for v in model.range)
    search = find_ns(system, a_range, default_box(system), model.equilibrium_guesses)
    records: list[PointRecord] = []
    branches = []
    for br in search.branches:
        cands = [c for c in search.candidates if c.branch == br.id]
        family, completeness = _family(system, br, model.range)
        proofs = list(family.points) if family else []
        proofs += [in_range_or_not(prove_ns(system, c), model.range) for c in cands
                   if not (family and _matched(c, family.points))]
        mine = list(range(len(records), len(records) + len(proofs)))
        records += [PointRecord.from_ns_proof(p) for p in proofs]
        special = [{k: v for k, v in s.items() if k != "branch"} for s in search.special_points if s["branch"] == br.id]
        kind = {"kind": "constant"} if family else {}      # x0 verified a fixed point on the whole range
        branches.append({**br.summary(), **kind, "hopf_points": mine, "special_points": special,
                         "completeness": completeness})
    sought = {"method": SEARCH_METHOD, "map": True, **search.sought, "branches_found": len(search.branches),
              "scope": SCOPE}
    return Certificate(model=model.name, parameter=model.parameter, range=[Fraction(v) for v in model.range],
                       hopf_points=records, branches=branches, search=sought,
                       range_exact=[str(v) for v in model.range], embedded_model=embed_model(model))


def _family(system: Any, br: Any, a_range) -> tuple[Any, dict]:
    """The family proof (proof/ns_family.py) of a branch whose x is constant in floats, if its linear
    structure is verified; else (None, the completeness record saying why not)."""
    x = np.asarray(br.x, float)
    if np.abs(x - x[0]).max() > 1e-9 * (1 + np.abs(x[0]).max()):
        return None, {"proved": False, "reason": INCOMPLETE, "method": None}
    fam = ns_family.structure(system, np.where(np.abs(x[0]) < 1e-9, 0.0, x[0]), a_range)
    if fam.ok:
        out = ns_family.prove_branch(system, fam)
        return out, out.completeness
    return None, {"proved": False, "method": None,
                  "reason": f"not proved: the branch is constant in floats, but the family proof does not apply "
                            f"({fam.reason}); symhopf has no other completeness argument for maps"}


def _matched(c: Any, points: list) -> bool:
    """The search candidate c is one of the family's crossings (same parameter to 1e-6)."""
    return any(p.parameter is not None and abs(float(p.parameter.mid()) - c.a) <= 1e-6 * (1 + abs(c.a)) for p in points)


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
