"""Parsing user formulas into SymPy, with smoothness checks (one-line errors)."""
from __future__ import annotations

import sympy as sp
from sympy.parsing.sympy_parser import (convert_xor, parse_expr,
                                        standard_transformations)

from .errors import InputError

#: SymPy classes whose presence makes a formula non-smooth (not C^3 everywhere).
NON_SMOOTH = (sp.Abs, sp.sign, sp.Max, sp.Min, sp.Heaviside, sp.Piecewise, sp.floor,
              sp.ceiling, sp.frac, sp.DiracDelta, sp.re, sp.im, sp.arg, sp.Mod)

_TRANSFORMS = standard_transformations + (convert_xor,)


def parse_formula(text: str, names: dict[str, sp.Basic], what: str) -> sp.Expr:
    """Parse ``text``; every free symbol must be one of ``names``; real and smooth."""
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{what}: expected a non-empty formula string")
    try:
        expr = parse_expr(text, local_dict=dict(names), transformations=_TRANSFORMS)
    except Exception as exc:  # SymPy raises many types for bad syntax
        raise InputError(f"{what}: cannot parse {text!r} ({type(exc).__name__})") from None
    if not isinstance(expr, sp.Expr):
        raise InputError(f"{what}: {text!r} is not a scalar expression")
    unknown = sorted(str(s) for s in expr.free_symbols if s not in set(names.values()))
    if unknown:
        raise InputError(f"{what}: unknown symbol(s) {', '.join(unknown)} in {text!r}")
    undefined = sorted({str(f.func) for f in expr.atoms(sp.core.function.AppliedUndef)})
    if undefined:
        raise InputError(f"{what}: unknown function(s) {', '.join(undefined)} in {text!r}")
    check_smooth(expr, what)
    if expr.has(sp.I, sp.zoo, sp.nan, sp.oo):
        raise InputError(f"{what}: {text!r} is not a finite real expression")
    return expr


def check_smooth(expr: sp.Expr, what: str) -> None:
    """Reject functions that are not C^3 (Abs, Max, Piecewise, ...)."""
    bad = sorted({type(a).__name__ for a in expr.atoms(*NON_SMOOTH)} |
                 {type(a).__name__ for a in expr.atoms(sp.Function) if isinstance(a, NON_SMOOTH)})
    if bad:
        raise InputError(f"{what}: not C^3 (contains {', '.join(bad)})")
