"""The ``symhopf`` command: derive, generate, prove, verify, sweep.

Exit codes: 0 when the command ran (whatever it proved), 1 on a failed run (with ``prove
--strict``, also when a candidate or a branch's completeness is not proved; ``verify``: a claim
that does not re-verify), 2 on bad input with a one-line reason (never a traceback).
"""
from __future__ import annotations

import argparse
import sys
import textwrap
import warnings
from pathlib import Path
from types import ModuleType
from typing import Sequence

from . import __version__
from .errors import InputError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        self.exit(2, f"symhopf: error: {message}\n")


EXAMPLES = """examples:
  symhopf prove examples/lorenz.toml
  symhopf prove examples/paper_n50.toml --json n50.json --report n50.tex --pdf
  symhopf prove examples/brusselator.toml --json - --quiet | python -m json.tool
  symhopf prove examples/paper_n6.toml --csv points.csv --strict
  symhopf derive examples/brusselator.toml --format latex
  python -m symhopf --help
"""
_RAW = argparse.RawDescriptionHelpFormatter


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="symhopf", formatter_class=_RAW, epilog=EXAMPLES,
                description=textwrap.fill("Computer-assisted proofs of Hopf bifurcations: SymPy derives the "
                                          "formulas, ball arithmetic proves each Hopf point found, and a JSON "
                                          "certificate and a LaTeX appendix state what was proved.", 78))
    p.add_argument("--version", action="version", version=f"symhopf {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    d = sub.add_parser("derive", help="show every formula SymPy derives for the model",
                       description="Print every formula the proofs use, derived by SymPy from the model file.")
    d.add_argument("model", help="the model file (TOML)")
    d.add_argument("--format", choices=["text", "latex", "json"], default="text",
                   help="plain text (default), LaTeX (an align* environment) or JSON")
    g = sub.add_parser("generate", help="write the model's specialised prover module",
                       description="Write the generated prover module of the model's architecture.")
    g.add_argument("model", help="the model file (TOML)")
    g.add_argument("--out", default="generated", help="directory to write the module into (default: generated)")
    pr = sub.add_parser("prove", help="find Hopf candidates on the equilibrium branches found and prove each",
                        formatter_class=_RAW, epilog=EXAMPLES,
                        description=textwrap.fill(
                            "Search the equilibrium branches in the parameter range for Hopf candidates, try "
                            "to prove each one, print a summary and the special points, and write the "
                            "certificate, the CSV table and the LaTeX report on request.", 78))
    _prove_arguments(pr)
    v = sub.add_parser("verify", help="re-check a certificate independently (exit 0 all hold, 1 a claim fails)")
    v.add_argument("certificate", metavar="CERT.json")
    _sweep_arguments(sub.add_parser("sweep", help="prove many models (in this process or on Dask)"))
    return p


def _sweep_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", nargs="*", help="model files, globs, directories; or templates with --seeds/--n/--weights")
    p.add_argument("--out", required=True, metavar="DIR", help="certificates DIR/<stem>.json, tables, figure")
    p.add_argument("--workers", type=int, metavar="N", help="local worker processes (1: no Dask; default: cores)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on the Dask cluster of this scheduler")
    p.add_argument("--seeds", metavar="A:B", help="template seeds A..B-1 ([rnn] random.seed)")
    p.add_argument("--n", metavar="N1,N2", help="template sizes ([rnn] random.n)")
    p.add_argument("--weights", metavar="DIR", help="one item per weights file (*.npz) in DIR, with the template")
    p.add_argument("--summary", action="store_true", help="print the aggregates of DIR's tables (no MODEL: prove nothing)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _prove_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="the model file (TOML)")
    p.add_argument("--json", metavar="FILE", help="write the JSON certificate to FILE ('-': to standard "
                                                   "output, the summary then goes to standard error)")
    p.add_argument("--csv", metavar="FILE", help="write the special-point table (H, LP, GH candidates) as CSV")
    p.add_argument("--report", metavar="FILE.tex", help="write the LaTeX proof report to FILE.tex")
    p.add_argument("--report-style", choices=["compact", "full"], default="compact",
                   help="compact (default): one theorem over a table of all points, for papers; "
                        "full: one theorem per point with its equilibrium")
    p.add_argument("--diagram-component", type=int, metavar="K",
                   help="plot the K-th state component (1-based) in the report's bifurcation diagram "
                        "instead of the norm |x|")
    p.add_argument("--appendix", action="store_true",
                   help="write the report as a \\section to \\input into a paper (no preamble)")
    p.add_argument("--pdf", action="store_true", help="compile the report with latexmk (or pdflatex)")
    p.add_argument("--quiet", action="store_true", help="no progress bars and no library warnings")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 when a candidate or a branch's completeness is not proved")
    p.add_argument("--range", nargs=2, metavar=("LO", "HI"),
                   help="search this parameter range instead of the model's (exact decimals)")
    p.add_argument("--budget", type=int, metavar="PIECES",
                   help="work budget of each branch's completeness check, in tube pieces tried "
                        "(the certificate records the budget and the pieces used)")
    p.add_argument("--global-budget", type=int, metavar="BOXES",
                   help="work budget of the global completeness check (n <= 6), in boxes; 0 skips it "
                        "(default: $SYMHOPF_GLOBAL_BUDGET, else 50000 for n <= 3 and not run for n > 3)")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    args.command_line = ["symhopf", *argv]
    commands = {"derive": _derive, "generate": _generate, "prove": lambda a: _prove(a, module=None),
                "verify": _verify, "sweep": _sweep}
    return _guarded(commands[args.command], args)


def run_generated(module: ModuleType, argv: Sequence[str]) -> int:
    """``python generated/<name>.py MODEL``: prove with this very module."""
    p = _Parser(prog=Path(module.__file__).name, description=(module.__doc__ or "").splitlines()[0],
                formatter_class=_RAW, epilog=EXAMPLES)
    _prove_arguments(p)
    args = p.parse_args(argv)
    args.command_line = ["python", Path(module.__file__).name, *argv]
    return _guarded(lambda a: _prove(a, module=module), args)


def _guarded(command, args: argparse.Namespace) -> int:
    """Bad input: one line on stderr, exit 2. A closed stdout (``| head``) ends quietly.
    Library warnings never reach the terminal raw (``prove`` summarises the numeric ones)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return command(args)
    except InputError as exc:
        print(f"symhopf: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        sys.stderr.close()
        return 0


def _derive(args: argparse.Namespace) -> int:
    from .derive import derive
    from .model import Model

    d = derive(Model.from_toml(args.model))
    text = {"text": d.to_text, "latex": d.to_latex, "json": d.to_json}[args.format]()
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def _generate(args: argparse.Namespace) -> int:
    from .codegen import generate
    from .model import Model

    path = generate(Model.from_toml(args.model), args.out)
    print(path)
    return 0


def _verify(args: argparse.Namespace) -> int:
    from .checker import main as verify_main   # the independent checker: no prover module is loaded

    return verify_main(args.certificate)


def _prove(args: argparse.Namespace, module: ModuleType | None) -> int:
    from .api import run_prove

    return run_prove(args, module)


def _sweep(args: argparse.Namespace) -> int:
    from .sweep_run import sweep
    from .sweep_table import read_tables, summary

    if args.model:
        sweep(args.model, args.out, seeds=args.seeds, n=args.n, weights=args.weights, workers=args.workers,
              scheduler=args.scheduler, progress=not args.quiet and sys.stderr.isatty())
    elif not args.summary:
        raise InputError("sweep: give MODEL files (or --summary to print DIR's aggregates)")
    print(summary(*read_tables(args.out), out=args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
