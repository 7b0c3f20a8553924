"""Code printers: SymPy expressions -> Python source, one printer per backend.

``ArbPrinter`` targets python-flint balls: rationals print as exact balls
(``(arb(1)/10)``, never float literals), integer powers through ``_b.ipow``
(products of the end points: python-flint gives ``arb(0,1)**2 = nan``, and a
plain product ``x*x`` of a ball around 0 is not tight), elementary functions through the tight kernels of
:mod:`symhopf.runtime.ball`. ``FloatPrinter`` targets numpy float64.

Both print the structured matrix expressions of :mod:`symhopf.calculus`
(products, sums, entrywise products, activations) one node per line, reusing
a node that occurs twice (common-subexpression elimination), so the code a
referee reads is the formula, step by step.
"""
from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions import HadamardProduct, Identity, MatAdd, MatMul, OneMatrix, ZeroMatrix
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pycode import (PythonCodePrinter, _known_functions,
                                   _known_functions_math)

from ..calculus import Act
from ..errors import InputError


class PrintError(InputError):
    """An expression the backend cannot print exactly (e.g. a float literal, a function
    without a ball kernel). An InputError: the CLI reports it in one line, exit 2."""


#: SymPy functions PythonCodePrinter would print as float math (or builtins)
_KNOWN = {*_known_functions, *_known_functions_math, "sign", "Abs", "Max", "Min", "Piecewise",
          "Heaviside", "Mod", "floor", "ceiling", "frac", "atan2", "hypot", "gamma", "loggamma",
          "erfc", "expm1", "log1p", "log2", "log10", "ln", "factorial", "fresnelc", "fresnels",
          "lowergamma", "uppergamma"}

#: SymPy function -> kernel name in symhopf.runtime.ball
BALL_FUNCTIONS = {"tanh": "tanh", "atan": "atan", "exp": "exp", "sinh": "sinh", "asinh": "asinh",
                  "erf": "erf", "log": "log", "cosh": "cosh", "sin": "sin", "cos": "cos"}


def act_function(name: str, order: int) -> str:
    """The generated name of g^(order) for the elementwise function ``name``: s0, tanh1, pow2_0."""
    return f"{name}_{order}" if name[-1].isdigit() else f"{name}{order}"


class _Structured:
    """Mixin: symbol table and one-line-per-node printing of matrix expressions."""

    backend = ""

    def begin(self, names: dict[sp.Basic, str]) -> None:
        """Start a function body; ``names`` maps symbols to the code that holds them."""
        self.names = dict(names)
        self.lines: list[str] = []
        self.memo: dict[sp.Basic, str] = {}

    def _temp(self, expr: sp.Basic, code: str) -> str:
        if expr not in self.memo:
            name = f"t{len(self.memo)}"
            self.lines.append(f"{name} = {code}")
            self.memo[expr] = name
        return self.memo[expr]

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        if expr in self.names:
            return self.names[expr]
        raise PrintError(f"symbol {expr} has no value in generated code")

    _print_MatrixSymbol = _print_Symbol

    def _print_Identity(self, expr: Identity) -> str:
        return self._print_Symbol(expr)

    _print_OneMatrix = _print_Identity

    def _print_ZeroMatrix(self, expr: ZeroMatrix) -> str:
        """A zero term inside a formula (``tanh(b - b)``): zero times the ones of its shape."""
        return f"(0 * {self._print_Symbol(OneMatrix(*expr.shape))})"

    def _print_Float(self, expr: sp.Float) -> str:
        raise PrintError(f"float literal {expr} in a formula: symhopf prints exact numbers only")

    def _print_MatMul(self, expr: MatMul) -> str:
        if expr in self.memo:
            return self.memo[expr]
        coeff, mats = expr.as_coeff_matrices()
        code = self._print(mats[-1])
        for m in reversed(mats[:-1]):  # right to left: matrix-vector products only
            code = f"{self.backend}.mm({self._print(m)}, {code})"
        if coeff != 1:   # a coefficient such as a - 1 needs parentheses: (a - 1) * x
            scalar = self._print(coeff) if coeff.is_Number else self.parenthesize(coeff, PRECEDENCE["Mul"])
            code = f"{scalar} * {code}"
        return self._temp(expr, code)

    def _print_MatAdd(self, expr: MatAdd) -> str:
        if expr in self.memo:
            return self.memo[expr]
        return self._temp(expr, " + ".join(self._print(t) for t in expr.args))

    def _print_HadamardProduct(self, expr: HadamardProduct) -> str:
        if expr in self.memo:
            return self.memo[expr]
        return self._temp(expr, f"{self.backend}.had(" + ", ".join(self._print(t) for t in expr.args) + ")")


class ArbPrinter(_Structured, PythonCodePrinter):
    """SymPy -> python-flint ball code (strict: anything unknown is an error).

    With ``directions`` (the symbols u, v, w), a node that depends on none of them (a function
    of x, a and the data only) is printed as ``self._keep(k, lambda: code)``: k numbers the node
    the same way in every method this printer prints, and runtime.ball.BallBase remembers its
    value per (x, a) (the forward pass that Df, f_a, B, ... at one point share).

    ``value_forms``: the (name, order) pairs whose derivative g^(k)(z) is a function of y = g(z) alone
    (:func:`value_form`, e.g. tanh' = 1 - y^2); such a node is printed as ``ball_<g^(k)>_y`` of the node
    g(z), so the kernel (tanh) runs once per point for g, g', g'', ... (the same ball operations as
    ``ball_<g^(k)>(z)``, which computes g(z) first too)."""

    backend = "_b"
    printmethod = "_arbcode"

    def __init__(self, settings: dict | None = None, directions: set[sp.Basic] | None = None,
                 value_forms: set[tuple[str, int]] | None = None):
        super().__init__({"strict": True, "fully_qualified_modules": False, **(settings or {})})
        self.directions = directions
        self.value_forms = value_forms or set()
        self.keys: dict[sp.Basic, int] = {}
        self.begin({})

    def _temp(self, expr: sp.Basic, code: str) -> str:
        if expr not in self.memo and self.directions is not None and not expr.free_symbols & self.directions:
            code = f"self._keep({self.keys.setdefault(expr, len(self.keys))}, lambda: {code})"
        return super()._temp(expr, code)

    def _print_Integer(self, expr: sp.Integer) -> str:
        return str(int(expr))

    def _print_Rational(self, expr: sp.Rational) -> str:
        return f"(arb({expr.p})/{expr.q})"

    def _print_Half(self, expr) -> str:
        return "(arb(1)/2)"

    def _print_Pi(self, expr) -> str:
        return "_b.pi()"

    def _print_Exp1(self, expr) -> str:
        return "_b.exp(arb(1))"

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        base, exp = expr.args
        if exp.is_Integer and exp != 0:
            k = abs(int(exp))
            power = self.parenthesize(base, 100) if k == 1 else f"_b.ipow({self._print(base)}, {k})"
            return power if exp > 0 else f"(1/{power})"
        if exp == sp.Rational(1, 2):
            return f"_b.sqrt({self._print(base)})"
        return f"_b.rpow({self._print(base)}, {self._print(exp)})"

    def _print_Function(self, expr: sp.Function) -> str:
        name = type(expr).__name__
        if name not in BALL_FUNCTIONS:
            raise PrintError(f"no ball kernel for {name}")
        return f"_b.{BALL_FUNCTIONS[name]}(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Act(self, expr: Act) -> str:
        if expr in self.memo:
            return self.memo[expr]
        if expr.order and (expr.name, expr.order) in self.value_forms:
            value = self._print(Act(0, expr.arg, expr.name))
            return self._temp(expr, f"_b.act_map(ball_{act_function(expr.name, expr.order)}_y, {value})")
        return self._temp(expr, f"_b.act_map(ball_{act_function(expr.name, expr.order)}, {self._print(expr.arg)})")

    def _print_MatAdd(self, expr: MatAdd) -> str:
        # _b.add: an n x 1 term is added to every column of a batch (runtime.ball.Columns)
        if expr in self.memo:
            return self.memo[expr]
        return self._temp(expr, "_b.add(" + ", ".join(self._print(t) for t in expr.args) + ")")


# Every function PythonCodePrinter knows (math.*, abs, sign, Max, ...) goes through
# _print_Function: a ball kernel or a PrintError, never a bare float-math call.
for _name in {*BALL_FUNCTIONS, *(k[len("_print_"):] for k in dir(PythonCodePrinter)
                                 if k.startswith("_print_") and k[len("_print_"):] in _KNOWN)}:
    setattr(ArbPrinter, f"_print_{_name}", ArbPrinter._print_Function)


class FloatPrinter(_Structured, NumPyPrinter):
    """SymPy -> numpy float64 code (for the numerical search only)."""

    backend = "_fl"
    printmethod = "_floatcode"

    def __init__(self, settings: dict | None = None):
        super().__init__({"strict": True, "fully_qualified_modules": True, **(settings or {})})
        self.begin({})

    def _print_Rational(self, expr: sp.Rational) -> str:
        return f"({expr.p}/{expr.q})"

    def _print_Act(self, expr: Act) -> str:
        if expr in self.memo:
            return self.memo[expr]
        return self._temp(expr, f"float_{act_function(expr.name, expr.order)}({self._print(expr.arg)})")

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        # NumPyPrinter turns a negative integer exponent into a Float (z**(-2.0)),
        # which the strict _print_Float rejects: print 1/(z**2) instead.
        if expr.exp.is_Integer and expr.exp < 0:
            base = expr.base if expr.exp == -1 else sp.Pow(expr.base, -expr.exp, evaluate=False)
            return f"(1/({self._print(base)}))"
        return super()._print_Pow(expr, rational=rational)

    def _print_erf(self, expr) -> str:  # math.erf does not take arrays
        return f"_fl.erf({self._print(expr.args[0])})"


def value_form(g: sp.Expr, derivative: sp.Expr, z: sp.Symbol, y: sp.Symbol) -> sp.Expr | None:
    """``derivative`` (a derivative of g) as an expression in y = g(z) alone, if it is one (tanh'(z) = 1 - y**2,
    tanh''(z) = 2 y (y**2 - 1)): the substitution leaves no z and gives back ``derivative`` identically.
    None otherwise (sigmoid' as SymPy writes it, z**2, or g(z) = z itself)."""
    if g == z or not g.has(z):
        return None
    form = derivative.subs(g, y)
    if z in form.free_symbols or y not in form.free_symbols:
        return None
    return form if sp.simplify(form.subs(y, g) - derivative) == 0 else None


def print_matrix_expr(printer: _Structured, expr: sp.Basic, names: dict[sp.Basic, str], like: str) -> list[str]:
    """Body lines computing a structured matrix expression, one node per line.

    An identically zero expression returns ``0 * like`` (the argument whose shape it has).
    """
    if isinstance(expr, ZeroMatrix):
        return [f"return 0 * {like}"]
    printer.begin(names)
    result = printer._print(expr)
    return printer.lines + [f"return {result}"]


def print_entries(printer: _Structured, entries: list[sp.Expr], names: dict[sp.Basic, str]) -> tuple[list[str], list[str]]:
    """Lines naming common subexpressions of ``entries``, and the code of each entry."""
    replacements, reduced = sp.cse(entries, symbols=sp.numbered_symbols("c"))
    printer.begin({**names, **{sym: str(sym) for sym, _ in replacements}})
    lines = [f"{sym} = {printer._print(val)}" for sym, val in replacements]
    return lines, [printer._print(e) for e in reduced]


def print_scalar_function(printer: _Structured, expr: sp.Expr, arg: sp.Symbol, argname: str = "z") -> list[str]:
    """Body lines of a scalar function of one variable, with common subexpressions named."""
    lines, (code,) = print_entries(printer, [expr], {arg: argname})
    return lines + [f"return {code}"]

