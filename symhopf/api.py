"""The whole job for one model: search the equilibrium branches and their Hopf candidates, prove each, certify.

``prove(model)`` returns a :class:`~symhopf.certificate.Certificate`; the CLI's
``symhopf prove`` (and every generated module run as a script) goes through
:func:`run_prove`.
"""
from __future__ import annotations

import argparse
import sys
from fractions import Fraction
from pathlib import Path
from types import ModuleType

from .certificate import Certificate, PointRecord
from .errors import InputError
from .model import Model
from .parallel import blas_threads
from .proof.batch import prove_all  # noqa: F401  (re-exported: symhopf.api.prove_all)
from .search import find_candidates
from .proof.completeness import ProvedHopf, check_branch
from .proof.global_ import check_global, statement as global_statement
from .system import System


#: how the float search seeks equilibrium branches (the certificate's ``search.method``)
SEARCH_METHOD = ("float search, not a proof: damped Newton from the guesses, the box centre and random points "
                 "of the box at each seed parameter; each new equilibrium continued over the range")
#: what every statement of a certificate is about (the certificate's ``search.scope``)
SCOPE = ("The Hopf points, and each branch's completeness result, concern only the equilibrium branches "
         "listed in 'branches' (found by the search above); branches the search did not find are not covered, "
         "so the Hopf points listed need not be all Hopf points of the system in the range.")


def prove(model: Model | str | Path, *, module: ModuleType | None = None, progress: bool = False,
          a_range: tuple[Fraction, Fraction] | None = None, system: System | None = None,
          budget: int | None = None) -> Certificate:
    """Find the Hopf candidates of ``model`` on the equilibrium branches its float search finds in the
    search range, and try to prove each.

    Candidates that fail are kept as ``not_proved`` with the reason, never dropped. The certificate
    records how the branches were sought (``search``) and keeps the exact range (``range`` holds
    Fractions; JSON has floats).
    ``system``: the model's loaded System, if the caller has one (else it is built here).
    ``budget``: work budget of each branch's tube check in pieces (default ``proof.tube.BUDGET``).
    """
    if not isinstance(model, Model):
        model = Model.from_toml(model)
    if a_range is not None:
        model.search.range = a_range
    if model.range is None:
        raise InputError(f"model {model.name}: no parameter range (set [search] range = [lo, hi])")
    if system is None:
        system = System.from_model(model, module)
    with blas_threads(1):   # the float stages are faster on one BLAS thread (parallel.blas_threads)
        search = find_candidates(system, a_range=tuple(float(v) for v in model.range), progress=progress)
        proofs = prove_all(system, search, model.range)
        records = [PointRecord.from_proof(p) for p in proofs]
        results: list = []
        branches = [_branch_record(system, model, br, search.candidates, records, budget, results)
                    for br in search.branches]
        box = [(Fraction(lo), Fraction(hi)) for lo, hi in zip(*search.sought["box"])]
        glob = check_global(system, search.branches, results, box, model.range).record()
    sought = {"method": SEARCH_METHOD, **search.sought, "branches_found": len(search.branches), "scope": SCOPE}
    return Certificate(model=model.name, parameter=model.parameter, range=[Fraction(v) for v in model.range],
                       hopf_points=records, branches=branches, search=sought, global_completeness=glob)


def _branch_record(system: System, model: Model, branch, candidates, records: list[PointRecord],
                   budget: int | None = None, results: list | None = None) -> dict:
    """The branch, its Hopf points (indices into hopf_points) and whether the list is proved complete
    (with the work a tube check used: pieces tried, its budget, and whether the budget stopped it)."""
    mine = [i for i, c in enumerate(candidates) if c.branch == branch.id]
    proved = [ProvedHopf(a=tuple(records[i].parameter), omega=tuple(records[i].omega), x=records[i].x)
              for i in mine if records[i].status == "proved"]
    result = check_branch(system, branch, proved, a_range=model.range, budget=budget)
    if results is not None:
        results.append(result)
    completeness = {"proved": result.proved, "reason": result.reason, "method": result.method}
    if result.budget is not None:
        completeness.update(pieces=result.pieces, budget=result.budget, budget_exhausted=result.budget_exhausted)
    return {**branch.summary(), "hopf_points": mine, "completeness": completeness}


def branches_found(k: int) -> str:
    """``"on the k branches found"`` (``"on the 1 branch found"``)."""
    return f"on the {k} branch{'' if k == 1 else 'es'} found"


def search_scope(sought: dict, parameter: str) -> str:
    """One line: how the branches were sought, and that branches the search missed are not covered."""
    m, s, g = (len(sought.get("seed_parameters", [])), sought.get("samples_per_seed_parameter", "?"),
               len(sought.get("guesses", [])))
    return (f"branches sought by a float search (not a proof) at {m} values of {parameter}, from {g} guess(es), "
            f"the box centre and {s} random box points each; branches it missed are not covered")


def summary(cert: Certificate) -> str:
    """The scope (the branches found and how they were sought), each branch's completeness, and one
    line per Hopf point: parameter, frequency, l1 and criticality, status, time."""
    lo, hi = (float(v) for v in cert.range)
    lines = [f"{cert.model}: {len(cert.hopf_points)} Hopf candidate(s) for {cert.parameter} in "
             f"[{lo:g}, {hi:g}] {branches_found(len(cert.branches))}, "
             f"{sum(p.status == 'proved' for p in cert.hopf_points)} proved"]
    if cert.search:
        lines.append("  " + search_scope(cert.search, cert.parameter))
    if cert.global_completeness:
        lines.append("  " + global_statement(cert.global_completeness, cert.parameter))
    for b in cert.branches:
        c = b["completeness"]
        lines.append(f"  branch {b['id']} ({b['kind']}): {len(b['hopf_points'])} Hopf point(s); "
                     + ("list proved complete for this branch" if c["proved"]
                        else f"completeness not proved: {c['reason']}"))
    for p in cert.hopf_points:
        par = _mid(p.parameter)
        om = _mid(p.omega)
        l1 = _mid(p.first_lyapunov)
        crit = f" ({p.criticality})" if p.criticality else ""
        status = "PROVED" if p.status == "proved" else f"not proved: {p.reason}"
        t = f"{p.time_seconds:.2f}s" if p.time_seconds is not None else "-"
        lines.append(f"  {cert.parameter} = {par}  omega = {om}  l1 = {l1}{crit}  {status}  [{t}]")
    return "\n".join(lines)


def _mid(pair: list[str] | None) -> str:
    if not pair:
        return "?"
    lo, hi = (Fraction(s) for s in pair)
    return f"{float((lo + hi) / 2):.12g}"


def run_prove(args: argparse.Namespace, module: ModuleType | None) -> int:
    """``symhopf prove`` / ``python generated/<name>.py``: summary, certificate, report."""
    model = Model.from_toml(args.model)
    if module is not None and getattr(module, "STRUCTURE_HASH", None) != model.structure_hash(module.SYMHOPF_VERSION):
        raise InputError(f"{args.model}: this module proves another architecture "
                         f"(structure {module.STRUCTURE_HASH}); use `symhopf prove`")
    a_range = None
    if args.range:
        from .exact import to_fraction
        a_range = tuple(to_fraction(v, "--range") for v in args.range)
        if not a_range[0] < a_range[1]:
            raise InputError(f"--range: empty or reversed range [{a_range[0]}, {a_range[1]}]")
    system = System.from_model(model, module)
    if args.budget is not None and args.budget < 1:
        raise InputError(f"--budget: expected a positive number of pieces, got {args.budget}")
    cert = prove(model, progress=not args.quiet and sys.stderr.isatty(), a_range=a_range, system=system,
                 budget=args.budget)
    print(summary(cert))
    if args.json:
        Path(args.json).write_text(cert.to_json() + "\n")
    if args.report:
        from .derive import derive
        from .report import compile_pdf, write_report
        path = write_report(cert, model, derive(model), args.report, appendix=args.appendix,
                            system=system)
        print(f"report: {path}")
        if args.pdf:
            ok, message = compile_pdf(path)
            print(f"pdf: {message}" if ok else f"pdf not built: {message}")
    elif args.pdf:
        print("pdf not built: --pdf needs --report FILE.tex")
    return 0
