"""`make demo`: re-run the configurations of Kuehn & Queirolo (arXiv 2202.05073), rigorously.

Proves the Hopf points found in range of the asymmetric tanh nets n = 4, 6, 20, 50, the 3-layer
[6, 6, 6] net and the two n = 6 nets with the parameter on one weight (n = 400 is a
benchmark: `symhopf prove examples/paper_n400.toml`). Prints a table, writes one
certificate per configuration to out/<config>.json (each re-checked by the independent
`symhopf verify`) and, when the report module is
available, one combined LaTeX report out/demo_report.tex (each configuration's proof
appendix is out/report_<config>.tex, \\input by the combined file).

    python examples/demo.py [--out DIR] [--pdf] [--only paper_n4 ...]

MATLAB's randn streams cannot be reproduced, so the random weights come from numpy's
default_rng (see the comment at the top of each examples/paper_*.toml).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import symhopf
from symhopf.api import summary
from symhopf.model import Model

HERE = Path(__file__).resolve().parent

#: (model file stem, what it mirrors in the paper)
CONFIGS = [
    ("paper_n4", "AsymmetricRNN n = 4"),
    ("paper_n6", "AsymmetricRNN n = 6"),
    ("paper_n20", "AsymmetricRNN n = 20"),
    ("paper_n50", "AsymmetricRNN n = 50"),
    ("paper_multilayer", "3-layer [6,6,6] net"),
    ("paper_weight_diagonal", "n = 6, a on W_66"),
    ("paper_weight_antisymmetric", "n = 6, a on W_43 = -W_34"),
]


def run_one(stem: str) -> tuple[Model, object, float]:
    model = Model.from_toml(HERE / f"{stem}.toml")
    t0 = time.perf_counter()
    cert = symhopf.prove(model)
    return model, cert, time.perf_counter() - t0


def counts(cert) -> dict[str, int]:
    pts = cert.hopf_points
    return {"found": len(pts),
            "proved": sum(p.status == "proved" for p in pts),
            "super": sum(p.criticality == "supercritical" for p in pts if p.status == "proved"),
            "sub": sum(p.criticality == "subcritical" for p in pts if p.status == "proved")}


def complete(cert) -> str:
    """'yes' when the list of Hopf points of every branch found was proved complete (certificate 'branches')."""
    branches = getattr(cert, "branches", None) or []
    if not branches:
        return "-"
    return "yes" if all(b.get("completeness", {}).get("proved") for b in branches) else "no"


def table(rows: list[tuple[str, str, dict[str, int], float]]) -> str:
    head = (f"{'config':<28} {'paper experiment':<26} {'found':>5} {'proved':>6} {'super':>5} {'sub':>4} "
            f"{'complete':>8} {'time':>8}")
    lines = [head, "-" * len(head)]
    for stem, what, c, t in rows:
        lines.append(f"{stem:<28} {what:<26} {c['found']:>5} {c['proved']:>6} {c['super']:>5} {c['sub']:>4} "
                     f"{c['complete']:>8} {t:>7.2f}s")
    tot = {k: sum(r[2][k] for r in rows) for k in ("found", "proved", "super", "sub")}
    lines.append("-" * len(head))
    lines.append(f"{'total':<28} {'':<26} {tot['found']:>5} {tot['proved']:>6} {tot['super']:>5} {tot['sub']:>4} "
                 f"{'':>8} {sum(r[3] for r in rows):>7.2f}s")
    return "\n".join(lines)


def write_reports(results: list[tuple[str, str, Model, object]], out: Path, pdf: bool) -> str:
    """One appendix per configuration, \\input by out/demo_report.tex; returns a status line."""
    try:
        from symhopf.report import APPENDIX_PACKAGES, compile_pdf, write_report
    except ImportError as exc:
        return f"report: not written (symhopf.report is not available: {exc}); certificates are in {out}/"
    from symhopf.derive import derive
    from symhopf.system import System

    from symhopf.report import stated

    parts, shared = [], {}
    try:
        for stem, what, model, cert in results:
            # next to demo_report.tex, so the appendices' figure paths resolve when \input there;
            # compact, and each theorem stated once: later appendices refer to the first that states it
            write_report(cert, model, derive(model), out / f"report_{stem}.tex", appendix=True,
                         system=System.from_model(model), style="compact", shared=shared,
                         certificate_file=str(out / f"{stem}.json"))
            shared = stated(cert, shared)
            parts.append(f"% {what}\n\\input{{report_{stem}.tex}}\n\\clearpage\n")
    except Exception as exc:  # the report module is new: say what failed, never fake a report
        return f"report: not written (write_report failed: {type(exc).__name__}: {exc}); certificates are in {out}/"
    doc = (
        "\\documentclass[11pt]{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{lmodern}\n"
        "\\usepackage[margin=2.5cm]{geometry}\n"
        f"\\usepackage{{{APPENDIX_PACKAGES}}}\n"
        "\\usepackage[hidelinks]{hyperref}  % a clickable table of contents\n"
        "\\title{symhopf: the configurations of Kuehn \\& Queirolo (arXiv 2202.05073), proved}\n"
        "\\date{}\n\\begin{document}\n\\maketitle\n\\tableofcontents\n\n" + "\n".join(parts) +
        "\n\\end{document}\n")
    tex = out / "demo_report.tex"
    tex.write_text(doc, encoding="utf-8")
    line = f"report: {tex} (\\input's {len(parts)} appendices {out}/report_<config>.tex)"
    if pdf:
        ok, msg = compile_pdf(tex)
        line += f"; pdf: {msg}" if ok else f"; pdf not compiled: {msg}"
    return line


def verify_all(out: Path, stems: list[str]) -> tuple[str, bool]:
    """Re-check every certificate written with the independent checker (``symhopf verify``)."""
    bad, unchecked = [], 0
    t0 = time.perf_counter()
    for stem in stems:
        verdict = symhopf.verify(out / f"{stem}.json")
        bad += [f"{stem}: {why}" for why in verdict.failures]
        unchecked += len(verdict.unchecked)
    head = (f"verified: {len(stems) - len({b.split(':')[0] for b in bad})}/{len(stems)} certificates: every "
            f"checked claim re-proved by `symhopf verify` ({time.perf_counter() - t0:.1f}s; claims not "
            f"re-checked: {unchecked})")
    return "\n".join([head, *(f"  FAILED {b}" for b in bad)]), not bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="out", help="output directory (default: out)")
    ap.add_argument("--pdf", action="store_true", help="also compile out/demo_report.tex")
    ap.add_argument("--only", nargs="+", metavar="CONFIG", help="run only these configurations")
    ap.add_argument("--verbose", action="store_true", help="print every Hopf point")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    configs = [c for c in CONFIGS if not args.only or c[0] in args.only]
    t_all = time.perf_counter()
    rows, results = [], []
    for stem, what in configs:
        print(f"proving {stem} ...", flush=True)
        model, cert, t = run_one(stem)
        (out / f"{stem}.json").write_text(cert.to_json() + "\n")
        rows.append((stem, what, {**counts(cert), "complete": complete(cert)}, t))
        results.append((stem, what, model, cert))
        if args.verbose:
            print(summary(cert))
    print()
    print(table(rows))
    print("complete: on each equilibrium branch the search found, the list of Hopf points in range was proved "
          "complete (see 'branches' and 'search' in the certificate; branches not found are not covered)")
    print(f"certificates: {out}/<config>.json")
    print(write_reports(results, out, args.pdf))
    line, verified = verify_all(out, [r[0] for r in rows])
    print(line)
    print(f"wall time: {time.perf_counter() - t_all:.1f}s")
    unproved = sum(r[2]["found"] - r[2]["proved"] for r in rows)
    if unproved:
        print(f"{unproved} candidate(s) not proved: see the 'reason' fields in the certificates")
    return 0 if verified else 1


if __name__ == "__main__":
    sys.exit(main())
