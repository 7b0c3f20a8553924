"""The whole job for one model: search every candidate, prove each, certify.

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
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Iterator

from .certificate import Certificate, PointRecord
from .errors import InputError
from .model import PRACTICAL_NEURONS, Model, size_note
from .parallel import blas_threads
from .proof.batch import prove_all  # noqa: F401  (re-exported: symhopf.api.prove_all)
from .search import find_candidates
from .search.completeness import ProvedHopf, check_branch
from .system import System


def prove(model: Model | str | Path, *, module: ModuleType | None = None, progress: bool = False,
          a_range: tuple[Fraction, Fraction] | None = None, system: System | None = None) -> Certificate:
    """Find every Hopf candidate of ``model`` in its search range and try to prove each.

    Candidates that fail are kept as ``not_proved`` with the reason, never dropped.
    ``system``: the model's loaded System, if the caller has one (else it is built here).
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
        branches = [_branch_record(system, model, br, search.candidates, records) for br in search.branches]
    return Certificate(model=model.name, parameter=model.parameter,
                       range=[float(v) for v in model.range], hopf_points=records, branches=branches)


def _branch_record(system: System, model: Model, branch, candidates, records: list[PointRecord]) -> dict:
    """The branch, its Hopf points (indices into hopf_points) and whether the list is proved complete."""
    mine = [i for i, c in enumerate(candidates) if c.branch == branch.id]
    proved = [ProvedHopf(a=tuple(records[i].parameter), omega=tuple(records[i].omega), x=records[i].x)
              for i in mine if records[i].status == "proved"]
    result = check_branch(system, branch, proved, a_range=model.range)
    return {**branch.summary(), "hopf_points": mine,
            "completeness": {"proved": result.proved, "reason": result.reason, "method": result.method}}


def summary(cert: Certificate) -> str:
    """One line per Hopf point: parameter, frequency, l1 and criticality, status, time."""
    lines = [f"{cert.model}: {len(cert.hopf_points)} Hopf candidate(s) for {cert.parameter} in "
             f"[{cert.range[0]:g}, {cert.range[1]:g}], "
             f"{sum(p.status == 'proved' for p in cert.hopf_points)} proved"]
    for b in cert.branches:
        c = b["completeness"]
        lines.append(f"  branch {b['id']} ({b['kind']}): {len(b['hopf_points'])} Hopf point(s); "
                     + ("list proved complete" if c["proved"] else f"completeness not proved: {c['reason']}"))
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
    system = System.from_model(model, module)
    with library_warnings() as floating:
        cert = prove(model, progress=not args.quiet and sys.stderr.isatty(), a_range=a_range, system=system)
    print(summary(cert))
    if floating:   # numpy's overflow / invalid value: the float search met non-finite values
        print(f"  note: numpy met non-finite values ({'; '.join(sorted(floating))[:120]}); "
              "the float search may miss candidates where f overflows")
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
    return 0


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
    for flag in ("json", "report"):
        path = getattr(args, flag)
        if path:
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
