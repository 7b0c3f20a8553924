"""The ``symhopf`` command: derive, generate, prove.

Exit codes: 0 when the command ran (whatever it proved), 1 on a failed run,
2 on bad input with a one-line reason (never a traceback).
"""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from types import ModuleType
from typing import Sequence

from . import __version__
from .errors import InputError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        self.exit(2, f"symhopf: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="symhopf", description="Computer-assisted proofs of Hopf bifurcations.")
    p.add_argument("--version", action="version", version=f"symhopf {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    d = sub.add_parser("derive", help="show every derived formula")
    d.add_argument("model")
    d.add_argument("--format", choices=["text", "latex", "json"], default="text")
    g = sub.add_parser("generate", help="emit the specialised prover module")
    g.add_argument("model")
    g.add_argument("--out", default="generated")
    pr = sub.add_parser("prove", help="find and prove every Hopf point in the range")
    _prove_arguments(pr)
    return p


def _prove_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model")
    p.add_argument("--json", metavar="FILE", help="write the certificate")
    p.add_argument("--report", metavar="FILE.tex", help="write a LaTeX proof report")
    p.add_argument("--appendix", action="store_true", help="report as a \\section to \\input into a paper")
    p.add_argument("--pdf", action="store_true", help="compile the report with latexmk/pdflatex")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--range", nargs=2, metavar=("LO", "HI"), help="override the search range")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands = {"derive": _derive, "generate": _generate, "prove": lambda a: _prove(a, module=None)}
    return _guarded(commands[args.command], args)


def run_generated(module: ModuleType, argv: Sequence[str]) -> int:
    """``python generated/<name>.py MODEL``: prove with this very module."""
    p = _Parser(prog=Path(module.__file__).name, description=(module.__doc__ or "").splitlines()[0])
    _prove_arguments(p)
    return _guarded(lambda a: _prove(a, module=module), p.parse_args(argv))


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


def _prove(args: argparse.Namespace, module: ModuleType | None) -> int:
    from .api import run_prove

    return run_prove(args, module)


if __name__ == "__main__":
    sys.exit(main())
