"""Parsing user formulas into SymPy, with smoothness checks (one-line errors)."""
from __future__ import annotations

import ast
import builtins

import sympy as sp
from sympy.parsing.sympy_parser import (convert_xor, parse_expr, rationalize,
                                        standard_transformations)

from .errors import InputError

#: SymPy classes whose presence makes a formula non-smooth (not C^3 everywhere).
NON_SMOOTH = (sp.Abs, sp.sign, sp.Max, sp.Min, sp.Heaviside, sp.Piecewise, sp.floor,
              sp.ceiling, sp.frac, sp.DiracDelta, sp.re, sp.im, sp.arg, sp.Mod)

#: ``rationalize`` (after ``auto_number``): a decimal 0.1 in a formula is 1/10, never a Float
_TRANSFORMS = standard_transformations + (convert_xor, rationalize)

#: Python syntax a formula may use; parse_expr evaluates its input, so nothing else gets there
_SYNTAX = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Constant, ast.Load,
           ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.BitXor, ast.USub, ast.UAdd, ast.Mod,
           ast.FloorDiv)
_SYMPY_NAMES: dict = {}
exec("from sympy import *", _SYMPY_NAMES)  # what parse_expr's names resolve to
_HELPERS = (sp.sqrt, sp.cbrt, sp.root, abs)  # abs(z) -> Abs(z), then rejected as not C^3


def check_syntax(text: str, what: str) -> None:
    """Only arithmetic, numbers, names and calls of SymPy functions (no attributes, strings,
    lambdas, builtins): parse_expr runs ``eval`` on the text."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise InputError(f"{what}: cannot parse {text!r} (SyntaxError)") from None
    for node in ast.walk(tree):
        if not isinstance(node, _SYNTAX):
            raise InputError(f"{what}: unsupported syntax ({type(node).__name__}) in {text!r}")
        if isinstance(node, ast.Constant) and (isinstance(node.value, bool) or not isinstance(node.value, (int, float))):
            raise InputError(f"{what}: unsupported constant {node.value!r} in {text!r}")
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise InputError(f"{what}: unsupported name {node.id!r} in {text!r}")
        if isinstance(node, ast.Call):
            if node.keywords or not isinstance(node.func, ast.Name):
                raise InputError(f"{what}: unsupported call in {text!r}")
            obj = _SYMPY_NAMES.get(node.func.id, vars(builtins).get(node.func.id))
            if obj is not None and obj not in _HELPERS and not (isinstance(obj, type) and issubclass(obj, sp.Basic)):
                raise InputError(f"{what}: {node.func.id}(...) is not a mathematical function")


def parse_formula(text: str, names: dict[str, sp.Basic], what: str) -> sp.Expr:
    """Parse ``text``; every free symbol must be one of ``names``; real and smooth."""
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{what}: expected a non-empty formula string")
    check_syntax(text, what)
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
