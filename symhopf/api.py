"""The whole job for one model: search the equilibrium branches and their Hopf candidates, prove each, certify.

``prove(model)`` returns a :class:`~symhopf.certificate.Certificate`; the CLI's
``symhopf prove`` (and every generated module run as a script) goes through
:func:`run_prove`.
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Iterator

import numpy as np

from .certificate import Certificate, PointRecord, model_snapshot
from .errors import InputError
from .model import PRACTICAL_NEURONS, Model, size_note
from .parallel import blas_threads
from .proof.batch import prove_all  # noqa: F401  (re-exported: symhopf.api.prove_all)
from .search import find_candidates
from .search.progress import make_progress
from .proof.completeness import ProvedHopf, check_branch
from .proof.tube import within_box_text
from .special import equilibrium_sides, special_points, text_table, to_csv
from .proof.global_ import budget_from_env, check_global, statement as global_statement
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
          budget: int | None = None, global_budget: int | None = None) -> Certificate:
    """Find the Hopf candidates of ``model`` on the equilibrium branches its float search finds in the
    search range, and try to prove each.

    Candidates that fail are kept as ``not_proved`` with the reason, never dropped. The certificate
    records how the branches were sought (``search``) and keeps the exact range (``range`` holds
    Fractions; JSON has floats).
    ``system``: the model's loaded System, if the caller has one (else it is built here).
    ``budget``: work budget of each branch's tube check in pieces (default ``proof.tube.BUDGET``).
    ``global_budget``: boxes for the global completeness check (proof.global_; default
    ``$SYMHOPF_GLOBAL_BUDGET``, else ``proof.global_.BUDGET`` for n <= 3 and not attempted above; 0: not
    attempted).
    """
    if not isinstance(model, Model):
        model = Model.from_toml(model)
    if a_range is not None:
        model.search.range = a_range
    if model.range is None:
        raise InputError(f"model {model.name}: no parameter range (set [search] range = [lo, hi])")
    global_budget = budget_from_env() if global_budget is None else int(global_budget)   # None: the default
    if system is None:
        system = System.from_model(model, module)
    if model.map:   # Neimark-Sacker points of a map (docs/maps.md)
        from .maps import prove_map
        with blas_threads(1):
            return prove_map(model, system)
    report, done = make_progress(progress)
    with blas_threads(1):   # the float stages are faster on one BLAS thread (parallel.blas_threads)
        search = find_candidates(system, a_range=tuple(float(v) for v in model.range), progress=report)
        report(f"proofs ({len(search.candidates)})", 0.0)
        proofs = prove_all(system, search, model.range)
        records = [PointRecord.from_proof(p) for p in proofs]
        results: list = []
        branches = []
        box = [(Fraction(lo), Fraction(hi)) for lo, hi in zip(*search.sought["box"])]
        for i, br in enumerate(search.branches):
            report(f"completeness ({len(search.branches)})", i / len(search.branches))
            branches.append(_branch_record(system, model, br, search.candidates, records, budget, results, box,
                                           list(zip(search.branches[:i], results))))
        report("global completeness", 0.0)
        glob = check_global(system, search.branches, results, box, model.range, budget=global_budget).record()
    done()
    sought = {"method": SEARCH_METHOD, **search.sought, "branches_found": len(search.branches), "scope": SCOPE}
    return Certificate(model=model.name, parameter=model.parameter, range=[Fraction(v) for v in model.range],
                       hopf_points=records, branches=branches, search=sought,
                       range_exact=[str(v) for v in model.range], embed_from=model_snapshot(model),
                       global_completeness=glob)


def _branch_record(system: System, model: Model, branch, candidates, records: list[PointRecord],
                   budget: int | None = None, results: list | None = None,
                   box: list[tuple[Fraction, Fraction]] | None = None, earlier: list | None = None) -> dict:
    """The branch, its Hopf points (indices into hopf_points) and whether the list is proved complete
    (with the work a tube check used: pieces tried, its budget, and whether the budget stopped it).
    ``box``: the search box; a moving branch that leaves it is proved complete within it (``ends`` says
    which end is a range end and which a box exit; ``within_box`` holds the box then). ``earlier``: the
    branches checked before, with their results (a mirror image reuses a tube: proof/tube.py, Lemma M)."""
    mine = [i for i, c in enumerate(candidates) if c.branch == branch.id]
    proved = [ProvedHopf(a=tuple(records[i].parameter), omega=tuple(records[i].omega), x=records[i].x, label=i)
              for i in mine if records[i].status == "proved"]
    corners = None if box is None else ([lo for lo, _ in box], [hi for _, hi in box])
    result = check_branch(system, branch, proved, a_range=model.range, budget=budget, box=corners,
                          earlier=earlier or ())
    stray = _stray_candidates(result, mine, candidates, records, box)
    if stray:
        result = replace(result, proved=False, reason=(
            f"candidate(s) {stray} of this branch, not proved, lie in or at the search box off the stretch the "
            f"tube covered (the branch leaves the box and its float arc holds more of it); {result.reason}"))
    if results is not None:
        results.append(result)
    completeness = {"proved": result.proved, "reason": result.reason, "method": result.method,
                    "rests_on": {"proved_hopf_points": [i for i in mine if records[i].status == "proved"],
                                 "range": [str(v) for v in model.range],
                                 "checked_by_verify": "consistency of the branch record only"}}
    if result.budget is not None:
        completeness.update(pieces=result.pieces, budget=result.budget, budget_exhausted=result.budget_exhausted)
    if result.ends:
        completeness["ends"] = [dict(e) for e in result.ends]
        if any(e["kind"] == "box exit" for e in result.ends):
            completeness["within_box"] = [[str(lo), str(hi)] for lo, hi in box]
    return {**branch.summary(), "hopf_points": mine, "completeness": completeness}


def _stray_candidates(result, mine: list[int], candidates, records: list[PointRecord],
                      box: list[tuple[Fraction, Fraction]] | None) -> list[int]:
    """Candidates that would make a box-exit claim false: on a branch proved complete up to a box exit,
    a Hopf point in the box that is not proved must lie off the covered stretch (on it, the tube would
    have met its crossing unmatched). The claim is about the component through the covered stretch only,
    so any such candidate in the box (or within 1e-6 of its width of a face: float positions) is listed."""
    if not (result.proved and box and any(e.get("kind") == "box exit" for e in result.ends or ())):
        return []
    lo = np.array([float(v[0]) for v in box])
    hi = np.array([float(v[1]) for v in box])
    pad = 1e-6 * (hi - lo)
    return [i for i in mine if records[i].status != "proved"
            and bool(np.all((candidates[i].x >= lo - pad) & (candidates[i].x <= hi + pad)))]


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
    if cert.search.get("map"):
        from .maps import summary as map_summary
        return map_summary(cert)
    lo, hi = (exact_text(v) for v in cert.range)
    lines = [f"{cert.model}: {len(cert.hopf_points)} Hopf candidate(s) for {cert.parameter} in "
             f"[{lo}, {hi}] {branches_found(len(cert.branches))}, "
             f"{sum(p.status == 'proved' for p in cert.hopf_points)} proved"]
    if cert.search:
        lines.append("  " + search_scope(cert.search, cert.parameter))
    if cert.global_completeness:
        lines.append("  " + global_statement(cert.global_completeness, cert.parameter))
    for b in cert.branches:
        c = b["completeness"]
        proved = sum(cert.hopf_points[i].status == "proved" for i in b["hopf_points"])
        others = len(b["hopf_points"]) - proved
        lines.append(f"  branch {b['id']} ({b['kind']}): {proved} proved Hopf point(s)"
                     + (f", {others} candidate(s) not proved" if others else "") + "; "
                     + (f"list of proved Hopf points proved complete for this branch in the range{_within(c, cert)}"
                        if c["proved"] else f"completeness not proved: {c['reason']}"))
    for p in cert.hopf_points:
        par = _mid(p.parameter)
        om = _mid(p.omega)
        l1 = _mid(p.first_lyapunov)
        crit = f" ({p.criticality})" if p.criticality else ""
        if p.status == "proved":
            below, above = equilibrium_sides(p)
            crit += f"; equilibrium {below} below, {above} above"
        status = "PROVED" if p.status == "proved" else f"not proved: {p.reason}"
        t = f"{p.time_seconds:.2f}s" if p.time_seconds is not None else "-"
        lines.append(f"  {cert.parameter} = {par}  omega = {om}  l1 = {l1}{crit}  {status}  [{t}]")
    return "\n".join(lines)


def _within(completeness: dict, cert: Certificate) -> str:
    """``", within the search box (it leaves the box at ...)"`` for a branch proved complete up to box exits."""
    if "within_box" not in completeness:
        return ""
    return ", " + within_box_text(completeness.get("ends", []), cert.parameter)


def exact_text(v: Fraction | float | str) -> str:
    """A range end point exactly: its decimal expansion when finite (1999999999/1000000000 ->
    1.999999999), else p/q; a float (a certificate read from JSON) by its shortest repr."""
    if isinstance(v, float):
        return repr(v)
    q = Fraction(v)
    den = q.denominator
    for f in (2, 5):
        while den % f == 0:
            den //= f
    if den != 1:
        return f"{q.numerator}/{q.denominator}"
    k = q.denominator.bit_length()                 # 10^k / denominator is an integer
    with localcontext() as ctx:
        ctx.prec = len(str(abs(q.numerator))) + 2 * k + 2
        text = format(Decimal(q.numerator * 10 ** k // q.denominator).scaleb(-k), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _mid(pair: list[str] | None) -> str:
    if not pair:
        return "?"
    lo, hi = (Fraction(s) for s in pair)
    return f"{float((lo + hi) / 2):.12g}"


def run_prove(args: argparse.Namespace, module: ModuleType | None) -> int:
    """``symhopf prove`` / ``python generated/<name>.py``: summary, certificate, report."""
    _check_outputs(args)
    model = Model.from_toml(args.model)
    if module is not None and getattr(module, "STRUCTURE_HASH", None) != model.structure_hash(module.SYMHOPF_VERSION):
        raise InputError(f"{args.model}: this module proves another architecture "
                         f"(structure {module.STRUCTURE_HASH}); use `symhopf prove`")
    a_range = None
    if args.range:
        from .exact import to_fraction
        a_range = tuple(to_fraction(v, "--range") for v in args.range)
        if not a_range[0] < a_range[1]:
            raise InputError(f"--range: empty or reversed range [{float(a_range[0]):.17g}, {float(a_range[1]):.17g}]")
    if model.n > PRACTICAL_NEURONS and not args.quiet:
        print(f"symhopf: note: {size_note(model.n)}", file=sys.stderr)
    note = model.equilibrium_box_note()
    if note:
        print(f"note: {note}", file=sys.stderr)
    if args.budget is not None and args.budget < 1:
        raise InputError(f"--budget: expected a positive number of pieces, got {args.budget}")
    if args.global_budget is not None and args.global_budget < 0:
        raise InputError(f"--global-budget: expected a number of boxes >= 0, got {args.global_budget}")
    component = _component(args, model)
    system = System.from_model(model, module)
    to_stdout = args.json == "-"
    out = sys.stderr if to_stdout else sys.stdout
    with library_warnings() as floating:
        cert = prove(model, progress=not args.quiet and sys.stderr.isatty(), a_range=a_range, system=system,
                     budget=args.budget, global_budget=args.global_budget)
        print(summary(cert), file=out)
        if floating:   # numpy's overflow / invalid value: the float search met non-finite values
            print(f"  note: numpy met non-finite values ({'; '.join(sorted(floating))[:120]}); "
                  "the float search may miss candidates where f overflows", file=out)
        rows = [] if model.map else special_points(cert)   # maps: the NS summary above lists its points
        if rows:
            print(text_table(rows, cert.parameter), file=out)
        if to_stdout:
            sys.stdout.write(cert.to_json() + "\n")
        elif args.json:
            Path(args.json).write_text(cert.to_json() + "\n")
        if args.csv:
            Path(args.csv).write_text(to_csv(rows), encoding="utf-8")
            print(f"csv: {args.csv}", file=out)
        if args.report:
            from .report import compile_pdf
            path = _write_report(args, model, cert, system, component, args.json if not to_stdout else None)
            print(f"report: {path}", file=out)
            if args.pdf:
                ok, message = compile_pdf(path)
                print(f"pdf: {message}" if ok else f"pdf not built: {message}", file=out)
    return 1 if args.strict and not all_proved(cert) else 0


def _write_report(args: argparse.Namespace, model: Model, cert: Certificate, system: System,
                  component: int | None, cert_file: str | None) -> Path:
    """``--report``: the Neimark-Sacker report of a map, else the Hopf report with the run's provenance
    (``cert_file``: the certificate written by ``--json``, for the ``symhopf verify`` command)."""
    if model.map:
        from .report_maps import write_map_report
        return write_map_report(cert, model, args.report, appendix=args.appendix, certificate_file=cert_file)
    from .derive import derive
    from .provenance import provenance
    from .report import write_report
    prov = provenance(args.model, getattr(args, "command_line", None), cert_file)
    return write_report(cert, model, derive(model), args.report, appendix=args.appendix, system=system,
                        style=args.report_style, provenance=prov, component=component, certificate_file=cert_file)


def _component(args: argparse.Namespace, model: Model) -> int | None:
    """``--diagram-component K`` as a 0-based index (checked against the model's dimension)."""
    k = getattr(args, "diagram_component", None)
    if k is None:
        return None
    if not 1 <= k <= model.n:
        raise InputError(f"--diagram-component: expected 1..{model.n}, got {k}")
    return k - 1


def all_proved(cert: Certificate) -> bool:
    """Every candidate proved and every branch's list of Hopf points proved complete (``--strict``)."""
    return (all(p.status == "proved" for p in cert.hopf_points)
            and all(b.get("completeness", {}).get("proved") for b in cert.branches))


@contextmanager
def library_warnings() -> Iterator[set[str]]:
    """Silence numpy/SymPy warnings; yields the set of distinct RuntimeWarning texts
    (numpy's overflow, invalid value) met meanwhile, for one line of the summary."""
    seen: set[str] = set()

    def record(message, category, *args, **kwargs) -> None:
        if issubclass(category, RuntimeWarning) and len(seen) < 20:
            seen.add(str(message))

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = record
        yield seen


def _check_outputs(args: argparse.Namespace) -> None:
    """Before any work: the options fit together and every output file can be written."""
    for flag in ("pdf", "appendix"):
        if getattr(args, flag) and not args.report:
            raise InputError(f"--{flag} needs --report FILE.tex")
    for flag in ("json", "report", "csv"):
        path = getattr(args, flag, None)
        if path and path != "-":
            check_output_file(Path(path), f"--{flag}")


def check_output_file(path: Path, what: str) -> None:
    """``path`` can be created or overwritten: its directory exists and it is not a directory."""
    if path.is_dir():
        raise InputError(f"{what} {path}: is a directory; give a file name")
    parent = path.parent
    if not parent.is_dir():
        raise InputError(f"{what} {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise InputError(f"{what} {path}: not writable")
