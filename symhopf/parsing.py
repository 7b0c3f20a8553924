"""Parsing user formulas into SymPy, with smoothness checks (one-line errors).

A formula is data, never code: its text is parsed by :func:`ast.parse` and the
tree is translated node by node into SymPy (nothing is ``eval``-ed). Numbers are
the exact rationals of their literals (``0.1`` is 1/10), user names map to the
caller's symbols whatever they are called (``Integer``, ``E`` or ``N`` included),
and every size (length, nesting, magnitude of numbers, exponents) is bounded, so
no formula can run code, hang or exhaust memory.
"""
from __future__ import annotations

import ast
import builtins
import keyword
import unicodedata
from decimal import Decimal, InvalidOperation
from fractions import Fraction

import sympy as sp

from .errors import InputError

#: SymPy classes whose presence makes a formula non-smooth (not C^3 everywhere).
NON_SMOOTH = (sp.Abs, sp.sign, sp.Max, sp.Min, sp.Heaviside, sp.Piecewise, sp.floor,
              sp.ceiling, sp.frac, sp.DiracDelta, sp.re, sp.im, sp.arg, sp.Mod)

#: the functions a formula may call (the non-smooth ones only to be refused as not C^3)
FUNCTIONS = {name: getattr(sp, name) for name in (
    "exp", "log", "sqrt", "cbrt", "sin", "cos", "tan", "cot", "sec", "csc", "sinh", "cosh",
    "tanh", "coth", "sech", "csch", "asin", "acos", "atan", "acot", "asinh", "acosh", "atanh",
    "erf", "erfc", "Abs", "sign", "Max", "Min", "Heaviside", "floor", "ceiling", "frac", "re",
    "im", "arg", "Mod", "DiracDelta")}
FUNCTIONS.update(ln=sp.log, abs=sp.Abs)

#: names of constants a formula may use (unless a user name shadows them)
CONSTANTS = {"pi": sp.pi, "E": sp.E}

MAX_LENGTH = 10_000     #: characters in one formula
MAX_DEPTH = 100         #: nesting levels (a long sum or product counts as one level)
MAX_CALLS = 10          #: functions nested in functions (each level multiplies the derivatives' size)
MAX_EXPONENT = 100      #: |k| in x**k for a non-numeric base
MAX_BITS = 10_000       #: bits of an integer power of a number
#: a number's magnitude (in a formula, a range, a constant, a weight): 0 or in [1/LIMIT, LIMIT]
LIMIT = Fraction(10) ** 300


def show(text: str, width: int = 40) -> str:
    """A short repr of user text for a one-line message."""
    r = repr(text)
    return r if len(r) <= width else f"{r[:width - 4]}...{r[-1]} ({len(text)} characters)"


def short(name: str, width: int = 30) -> str:
    """A name as is, cut to ``width`` characters for a one-line message."""
    return name if len(name) <= width else name[:width - 3] + "..."


def is_name(value: object) -> bool:
    """A Python identifier that is not a reserved word."""
    return isinstance(value, str) and value.isidentifier() and not keyword.iskeyword(value)


def check_name(value: object, what: str) -> str:
    """``value`` if it can name a variable, parameter or constant, else a one-line InputError."""
    if isinstance(value, str) and keyword.iskeyword(value):
        raise InputError(f"{what}: {value!r} is a reserved word; choose another name")
    if not is_name(value):
        shown = show(value) if isinstance(value, str) else type(value).__name__
        raise InputError(f"{what}: expected a name (letters, digits, _), got {shown}")
    if unicodedata.normalize("NFKC", value) != value:   # a formula's parser reads it so
        raise InputError(f"{what}: write {show(value, 24)} as {show(unicodedata.normalize('NFKC', value), 24)}")
    return value


def check_magnitude(q: Fraction, what: str, literal: object = None) -> Fraction:
    """``q`` if it is 0 or its magnitude lies in [1e-300, 1e300] (float64 holds it)."""
    if q != 0 and not 1 / LIMIT <= abs(q) <= LIMIT:
        raise InputError(f"{what}: number {show(str(literal if literal is not None else q), 24)} "
                         "out of range (magnitude must be 0 or between 1e-300 and 1e300)")
    return q


def decimal_fraction(d: Decimal, what: str, literal: object = None) -> Fraction:
    """The exact value of a finite Decimal, refused before conversion when out of range
    (``Fraction(Decimal('1e-99999999'))`` would build a 10^8-digit integer)."""
    if not d.is_finite():
        raise InputError(f"{what}: non-finite value {d}")
    if d != 0 and not -301 <= d.adjusted() <= 300:
        raise InputError(f"{what}: number {show(str(literal if literal is not None else d), 24)} "
                         "out of range (magnitude must be 0 or between 1e-300 and 1e300)")
    return check_magnitude(Fraction(d), what, literal if literal is not None else d)


def parse_formula(text: str, names: dict[str, sp.Basic], what: str) -> sp.Expr:
    """Parse ``text``; every free symbol must be one of ``names``; real and smooth."""
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{what}: expected a non-empty formula string")
    if len(text) > MAX_LENGTH:
        raise InputError(f"{what}: formula too long ({len(text)} characters, at most {MAX_LENGTH})")
    if "#" in text:
        raise InputError(f"{what}: comments (#) are not allowed in a formula")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise InputError(f"{what}: cannot parse {show(text)} ({exc.msg})") from None
    except (ValueError, RecursionError, MemoryError):   # null bytes, a parser stack overflow
        raise InputError(f"{what}: cannot parse {show(text)} (too deeply nested or malformed)") from None
    if _depth(tree.body) > MAX_DEPTH:
        raise InputError(f"{what}: formula nested too deeply (more than {MAX_DEPTH} levels)")
    expr = _Translator(text.strip(), names, what).visit(tree.body)
    if not isinstance(expr, sp.Expr):
        raise InputError(f"{what}: {show(text)} is not a scalar expression")
    check_smooth(expr, what)
    if expr.has(sp.I, sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise InputError(f"{what}: {show(text)} is not a finite real expression")
    for q in expr.atoms(sp.Rational):
        check_magnitude(Fraction(int(q.p), int(q.q)), what)
    return expr


def _chain(node: ast.AST) -> list[ast.AST]:
    """The operands of a left-nested chain ``t1 + t2 - t3 ...`` (or of ``*`` and ``/``)."""
    family = (ast.Add, ast.Sub) if isinstance(node.op, (ast.Add, ast.Sub)) else (ast.Mult, ast.Div)
    right = []
    while isinstance(node, ast.BinOp) and isinstance(node.op, family):
        right.append(node)
        node = node.left
    return [node, *reversed(right)]


def _depth(root: ast.AST) -> int:
    """Nesting depth, without recursion; a chain of + - (or * /) is one level."""
    deepest, stack = 0, [(root, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        if d > MAX_DEPTH:
            break
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
            first, *ops = _chain(node)
            children = [first, *(op.right for op in ops)]
        else:
            children = list(ast.iter_child_nodes(node))
        stack.extend((c, d + 1) for c in children)
    return deepest


class _Translator:
    """``ast`` expression -> SymPy, accepting arithmetic, numbers, names and allowed calls."""

    def __init__(self, text: str, names: dict[str, sp.Basic], what: str):
        self.text, self.names, self.what = text, names, what
        self.calls = 0   # function calls open around the node being visited
        # a one-line formula's UTF-8 bytes (column offsets count bytes): ``ast.get_source_segment`` splits
        # the whole text into lines for every number, quadratic in the formula's length
        self._line = text.encode() if "\n" not in text and "\r" not in text else None

    def fail(self, reason: str) -> InputError:
        return InputError(f"{self.what}: {reason} in {show(self.text)}")

    def visit(self, node: ast.AST) -> sp.Basic:
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is None:
            return self.unsupported(node)
        return method(node)

    def unsupported(self, node: ast.AST) -> sp.Basic:
        raise self.fail(f"unsupported syntax ({type(node).__name__})")

    def visit_BinOp(self, node: ast.BinOp) -> sp.Basic:
        op = type(node.op)
        if op in (ast.Add, ast.Sub, ast.Mult, ast.Div):
            first, *rest = _chain(node)
            terms = [self.visit(first)]
            for link in rest:
                value = self.visit(link.right)
                if isinstance(link.op, ast.Sub):
                    value = -value
                elif isinstance(link.op, ast.Div):
                    value = sp.Pow(value, -1)
                terms.append(value)
            return (sp.Add if op in (ast.Add, ast.Sub) else sp.Mul)(*terms)
        left, right = self.visit(node.left), self.visit(node.right)
        if op in (ast.Pow, ast.BitXor):     # x^2 means x**2
            return self.power(left, right)
        if op is ast.Mod:
            return sp.Mod(left, right)
        if op is ast.FloorDiv:
            return sp.floor(left / right)
        return self.unsupported(node.op)

    def power(self, base: sp.Basic, exp: sp.Basic) -> sp.Basic:
        if isinstance(exp, sp.Rational):
            if not exp.is_Integer and max(abs(exp.p), exp.q) > 1000:
                raise self.fail(f"exponent {show(str(exp), 24)} too large")
            if isinstance(base, sp.Rational):
                bits = abs(int(exp)) * max(int(base.p).bit_length(), int(base.q).bit_length())
                if bits > MAX_BITS:
                    raise self.fail("number too large")
            elif abs(exp) > MAX_EXPONENT:
                raise self.fail(f"exponent {show(str(exp), 24)} too large (at most {MAX_EXPONENT})")
        return sp.Pow(base, exp)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> sp.Basic:
        value = self.visit(node.operand)
        if isinstance(node.op, ast.USub):
            return -value
        if isinstance(node.op, ast.UAdd):
            return value
        return self.unsupported(node.op)

    def visit_Constant(self, node: ast.Constant) -> sp.Basic:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(f"unsupported constant {show(repr(value), 24)}")
        literal = self.source(node) or repr(value)
        try:
            q = decimal_fraction(Decimal(literal), self.what, literal) if isinstance(value, float) \
                else check_magnitude(Fraction(value), self.what, literal)
        except InvalidOperation:
            raise self.fail(f"unsupported number {show(literal, 24)}") from None
        return sp.Rational(q.numerator, q.denominator)

    def source(self, node: ast.expr) -> str | None:
        """``ast.get_source_segment(self.text, node)``."""
        if self._line is not None and node.lineno == node.end_lineno == 1:
            return self._line[node.col_offset:node.end_col_offset].decode()
        return ast.get_source_segment(self.text, node)

    def visit_Name(self, node: ast.Name) -> sp.Basic:
        if node.id in self.names:
            return self.names[node.id]
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        raise self.fail(f"unknown symbol(s) {short(node.id)}")

    def visit_Call(self, node: ast.Call) -> sp.Basic:
        if node.keywords or not isinstance(node.func, ast.Name) or \
                any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail("unsupported call")
        name = node.func.id
        shown = short(name)
        if name in self.names:
            raise self.fail(f"{shown} is a name of the model, not a function")
        if name not in FUNCTIONS:
            if name in vars(builtins) or name in vars(sp):
                raise self.fail(f"{shown}(...) is not a mathematical function symhopf supports")
            raise self.fail(f"unknown function(s) {shown}")
        self.calls += 1
        if self.calls > MAX_CALLS:
            raise self.fail(f"functions nested more than {MAX_CALLS} deep")
        args = [self.visit(a) for a in node.args]
        self.calls -= 1
        try:
            return FUNCTIONS[name](*args)
        except (TypeError, ValueError):
            raise self.fail(f"wrong arguments to {name}") from None


def check_smooth(expr: sp.Expr, what: str) -> None:
    """Reject functions that are not C^3 (Abs, Max, Piecewise, ...)."""
    bad = sorted({type(a).__name__ for a in expr.atoms(*NON_SMOOTH)} |
                 {type(a).__name__ for a in expr.atoms(sp.Function) if isinstance(a, NON_SMOOTH)})
    if bad:
        raise InputError(f"{what}: not C^3 (contains {', '.join(bad)})")
