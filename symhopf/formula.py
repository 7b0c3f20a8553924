"""The vector formula language of ``[rnn] formula = "..."``: safe parsing, shapes, SymPy.

A formula is the right-hand side ``f(x, a)`` of ``x' = f(x, a)`` written with vectors and
matrices: ``x`` the state (n x 1), named data (matrices, vectors, scalars), the parameter,
numbers (exact: ``0.1`` is 1/10), ``@`` the matrix product, ``* / + -`` entrywise (a scalar
broadcasts), ``**`` with a constant exponent, elementwise functions by name (:data:`FUNCTIONS`,
and ``s`` when the model defines an ``activation``), ``I`` the identity (n x n, or the
square size its context needs) and ``A.T`` (or ``transpose(A)``) the transpose of a term free
of x.

Transposes are pushed down to the data by (A + B)^T = A^T + B^T, (c A)^T = c A^T,
(A B)^T = B^T A^T, (A o B)^T = A^T o B^T, g(A)^T = g(A^T), I^T = I; then every sum of scalings
of data, I and their transposes that contains a transpose and is free of x and of the
parameter becomes one :class:`~symhopf.calculus.Precomputed` matrix, computed exactly when the
model is loaded (:func:`precompute`): ``(R1 - R1.T + R2 + a*I) @ x`` is ``(D + a*I) @ x`` with
D = R1 - R1^T + R2 exact, the same structure as the asymmetric preset.

The text is read with :mod:`ast` and translated node by node; nothing is evaluated, and
only the syntax above is accepted. Shapes are inferred by unification (every dimension of the
data is a variable; ``@`` ties columns to rows, entrywise operations tie both), checked against
the data's sizes, and named symbolically (``n`` for the state, ``m1, m2, ...`` for the others)
so that the SymPy expression, the derivation and the generated code do not depend on the sizes.
"""
from __future__ import annotations

import ast
import functools
import operator
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Callable

import numpy as np
import sympy as sp
from flint import fmpq, fmpq_mat, fmpz_mat
from sympy.matrices.expressions import (HadamardPower, HadamardProduct, Identity, MatAdd, MatMul,
                                        MatPow, MatrixExpr, MatrixSymbol, OneMatrix, Transpose,
                                        ZeroMatrix)

from .calculus import Act, Precomputed, hadamard
from .errors import InputError
from .exact import ExactArray
from .parsing import check_name as check_identifier, short

#: the state dimension
N = sp.Symbol("n", integer=True, positive=True)
#: the variable of elementwise functions
Z = sp.Symbol("z", real=True)

_e = sp.exp
#: elementwise functions by name: s(z), C^infinity on R
FUNCTIONS: dict[str, sp.Expr] = {
    "tanh": sp.tanh(Z), "sigmoid": 1 / (1 + _e(-Z)), "logistic": 1 / (1 + _e(-Z)),
    "softplus": sp.log(1 + _e(Z)), "silu": Z / (1 + _e(-Z)), "swish": Z / (1 + _e(-Z)),
    "gelu": Z * (1 + sp.erf(Z / sp.sqrt(2))) / 2, "mish": Z * sp.tanh(sp.log(1 + _e(Z))),
    "atan": sp.atan(Z), "arctan": sp.atan(Z), "erf": sp.erf(Z), "exp": _e(Z), "sin": sp.sin(Z),
    "cos": sp.cos(Z), "sinh": sp.sinh(Z), "cosh": sp.cosh(Z), "asinh": sp.asinh(Z),
    "arcsinh": sp.asinh(Z),
}

#: names that are refused, with the reason (the Hopf theorem needs f of class C^3)
REFUSED: dict[str, str] = {
    "relu": "relu(z) = max(0, z) is not differentiable at z = 0",
    "relu6": "relu6 is not differentiable at z = 0 and z = 6",
    "leaky_relu": "leaky_relu is not differentiable at z = 0",
    "prelu": "prelu is not differentiable at z = 0",
    "elu": "elu is not C^2 at z = 0 (its second derivative jumps)",
    "selu": "selu is not C^1 at z = 0",
    "celu": "celu is not C^2 at z = 0 (its second derivative jumps)",
    "softsign": "softsign(z) = z/(1 + |z|) is not C^2 at z = 0 (|z|)",
    "hardtanh": "hardtanh is not differentiable at z = -1 and z = 1",
    "hardsigmoid": "hardsigmoid is not differentiable at its corners",
    "hardswish": "hardswish is not C^2 at its corners",
    "abs": "|z| is not differentiable at z = 0", "Abs": "|z| is not differentiable at z = 0",
    "sign": "sign(z) is not continuous at z = 0", "step": "a step is not continuous",
    "heaviside": "a step is not continuous", "Heaviside": "a step is not continuous",
    "max": "max is not differentiable where its arguments are equal",
    "Max": "max is not differentiable where its arguments are equal",
    "min": "min is not differentiable where its arguments are equal",
    "Min": "min is not differentiable where its arguments are equal",
    "floor": "floor is not continuous", "ceiling": "ceiling is not continuous",
    "round": "round is not continuous",
}

#: largest decimal exponent of a number and largest constant exponent of ``**`` (keeps exact
#: arithmetic on the formula's numbers small)
MAX_EXPONENT = 1000
#: longest formula text
MAX_LENGTH = 10_000

#: names a model cannot give to its data or parameter
RESERVED = {"x", "I", "s", "transpose", *FUNCTIONS, *REFUSED}

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def check_name(name: object, what: str) -> str:
    """A data or parameter name: an identifier (not a Python reserved word), ASCII letters, digits,
    underscores; not reserved in formulas."""
    check_identifier(name, what)
    if not _NAME.match(name):
        raise InputError(f"{what}: {name!r} is not a name (ASCII letters, digits, _; not starting with a digit)")
    if name in RESERVED:
        raise InputError(f"{what}: {name!r} is reserved in formulas (x, I, s and function names)")
    return name


def names_in(text: object) -> set[str]:
    """The names a formula text mentions (to pick arrays out of a weights file); empty when the
    text is not a formula (the parser then reports why)."""
    if not isinstance(text, str) or len(text) > MAX_LENGTH:
        return set()
    try:
        return {n.id for n in ast.walk(ast.parse(text.strip(), mode="eval")) if isinstance(n, ast.Name)}
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()


def power_name(p: sp.Rational) -> str:
    """The elementwise function z**p's name: pow2, powm1, pow3_2 (3/2)."""
    num = f"m{-p.p}" if p < 0 else str(p.p)
    return f"pow{num}" if p.q == 1 else f"pow{num}_{p.q}"


@dataclass
class VectorFormula:
    """A parsed formula: the SymPy matrix expression ``expr`` (n x 1, symbolic sizes).

    ``data`` maps each data name used to its SymPy symbol (MatrixSymbol or scalar Symbol);
    ``dims`` maps each size symbol (n, m1, ...) to (data name, axis) that carries it and its
    value; ``functions`` maps each elementwise function name used to s(z); ``precomputed``
    maps the name of each :class:`Precomputed` matrix of ``expr`` to it (its exact value is
    :func:`precompute`'s).
    """

    text: str
    expr: MatrixExpr
    parameter: sp.Symbol
    x: MatrixSymbol
    data: dict[str, sp.Basic]
    dims: dict[sp.Symbol, tuple[str, int, int]]
    functions: dict[str, sp.Expr] = field(default_factory=dict)
    precomputed: dict[str, Precomputed] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.dims[N][2]


class _Dims:
    """Union-find over size variables, each class with at most one known value."""

    def __init__(self):
        self.parent: list[int] = []
        self.value: list[int | None] = []

    def new(self, value: int | None = None) -> int:
        self.parent.append(len(self.parent))
        self.value.append(value)
        return len(self.parent) - 1

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def unify(self, i: int, j: int) -> bool:
        i, j = self.find(i), self.find(j)
        if i == j:
            return True
        vi, vj = self.value[i], self.value[j]
        if vi is not None and vj is not None and vi != vj:
            return False
        self.parent[j] = i
        self.value[i] = vi if vi is not None else vj
        return True

    def show(self, i: int, state: int) -> str:
        v = self.value[self.find(i)]
        return str(v) if v is not None else ("n" if self.find(i) == self.find(state) else "?")


Shape = tuple[int, int] | None   # (rows, cols) size variables, None for a scalar


class _Parser:
    """Two passes over the syntax tree: infer shapes, then build the SymPy expression."""

    def __init__(self, text: str, parameter: str, shapes: dict[str, tuple[int, ...]],
                 functions: dict[str, sp.Expr], what: str):
        self.text, self.what = text, what
        self.parameter = parameter
        self.functions = functions
        self.dims = _Dims()
        self.one = self.dims.new(1)
        self.state = self.dims.new()
        self.data_shape: dict[str, Shape] = {}
        for name, shape in shapes.items():
            if len(shape) == 0:
                self.data_shape[name] = None
            elif len(shape) == 1:
                self.data_shape[name] = (self.dims.new(shape[0]), self.one)
            else:
                self.data_shape[name] = (self.dims.new(shape[0]), self.dims.new(shape[1]))
        self.shape: dict[int, Shape] = {}     # id(node) -> shape
        self.used: list[str] = []
        self.eyes: list[int] = []
        self.used_functions: dict[str, sp.Expr] = {}

    # ------------------------------------------------------------ errors
    def term(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.text, node) or type(node).__name__

    def fail(self, node: ast.AST, message: str) -> None:
        raise InputError(f"{self.what}: {message} in {self.term(node)!r}")

    def show(self, shape: Shape) -> str:
        if shape is None:
            return "a scalar"
        return f"{self.dims.show(shape[0], self.state)} x {self.dims.show(shape[1], self.state)}"

    # ------------------------------------------------------------ pass 1: shapes
    def infer(self, node: ast.AST) -> Shape:
        shape = self._infer(node)
        self.shape[id(node)] = shape
        return shape

    def _same(self, node: ast.AST, left: ast.AST, right: ast.AST, ls: Shape, rs: Shape, op: str) -> Shape:
        if ls is None or rs is None:
            return rs if ls is None else ls
        if not (self.dims.unify(ls[0], rs[0]) and self.dims.unify(ls[1], rs[1])):
            self.fail(node, f"shapes do not match for '{op}': {self.term(left)} is {self.show(ls)}, "
                            f"{self.term(right)} is {self.show(rs)}")
        return ls

    def _infer(self, node: ast.AST) -> Shape:
        if isinstance(node, ast.Name):
            if node.id == "x":
                return (self.state, self.one)
            if node.id == "I":
                d = self.dims.new()
                self.eyes.append(d)
                return (d, d)
            if node.id == self.parameter:
                return None
            if node.id in self.data_shape:
                if node.id not in self.used:
                    self.used.append(node.id)
                return self.data_shape[node.id]
            if node.id in self.functions or node.id in FUNCTIONS or node.id in REFUSED or node.id in ("s", "transpose"):
                self.fail(node, f"{node.id} is a function: write {node.id}(...)")
            self.fail(node, f"unknown name {node.id!r} (not x, I, the parameter or a data name)")
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                self.fail(node, f"unsupported constant {node.value!r}")
            return None
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return self.infer(node.operand)
        if isinstance(node, ast.BinOp):
            ls, rs = self.infer(node.left), self.infer(node.right)
            op = node.op
            if isinstance(op, ast.MatMult):
                if ls is None or rs is None:
                    self.fail(node, "'@' needs a matrix or vector on both sides (use * for a scalar)")
                if not self.dims.unify(ls[1], rs[0]):
                    self.fail(node, f"'@' needs as many columns on the left as rows on the right: "
                                    f"{self.term(node.left)} is {self.show(ls)}, "
                                    f"{self.term(node.right)} is {self.show(rs)}")
                return (ls[0], rs[1])
            if isinstance(op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
                sym = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}[type(op)]
                return self._same(node, node.left, node.right, ls, rs, sym)
            if isinstance(op, ast.Pow):
                if rs is not None:
                    self.fail(node, "the exponent of '**' must be a scalar")
                if ls is not None and self._constant(node.right) is None:
                    self.fail(node, "an entrywise power needs a constant exponent")
                return ls
            self.fail(node, f"unsupported operator {type(op).__name__}")
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name == "transpose":
                if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
                    self.fail(node, "transpose(...) takes exactly one argument")
                return self._transposed(node, node.args[0])
            if name in REFUSED:
                self.fail(node, f"{name} is not C^3: {REFUSED[name]}; the Hopf theorem needs a C^3 vector field")
            if name not in self.functions and name not in FUNCTIONS:
                if name == "s":
                    self.fail(node, "s(...) needs an activation: set [rnn] activation = \"...\"")
                known = ", ".join(sorted({*FUNCTIONS, *self.functions}))
                self.fail(node, f"unknown function {name or self.term(node.func)!r} (known: {known})")
            if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
                self.fail(node, f"{name}(...) takes exactly one argument")
            return self.infer(node.args[0])
        if isinstance(node, ast.Attribute):
            if node.attr != "T":
                self.fail(node, f"attribute .{short(node.attr)} is not part of the formula language "
                                "(the only one is .T, the transpose)")
            return self._transposed(node, node.value)
        self.fail(node, f"unsupported syntax ({type(node).__name__})")

    def _transposed(self, node: ast.AST, value: ast.AST) -> Shape:
        """The shape of ``value.T``: ``value`` a matrix or vector free of x (k x m gives m x k)."""
        if any(isinstance(t, ast.Name) and t.id == "x" for t in ast.walk(value)):
            self.fail(node, "a transpose of a term with x has no meaning (x is a column, the language "
                            "has no row vectors); transpose the matrix instead, e.g. W.T @ x")
        shape = self.infer(value)
        if shape is None:
            self.fail(node, "a transpose needs a matrix or a vector, not a scalar")
        return (shape[1], shape[0])

    def _constant(self, node: ast.AST) -> sp.Rational | None:
        """The value of a constant scalar subtree (numbers only), else None."""
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = self._constant(node.operand)
            return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
            lv, rv = self._constant(node.left), self._constant(node.right)
            if lv is None or rv is None:
                return None
            if isinstance(node.op, ast.Div):
                return lv / rv if rv != 0 else None
            return lv + rv if isinstance(node.op, ast.Add) else lv - rv if isinstance(node.op, ast.Sub) else lv * rv
        return None

    def number(self, node: ast.Constant) -> sp.Rational:
        """The exact number written (``0.1`` is 1/10, from the text, not the binary float)."""
        if isinstance(node.value, int):
            return sp.Integer(node.value)
        try:
            d = Decimal(self.term(node).replace("_", ""))
        except (InvalidOperation, ValueError):
            self.fail(node, "not a finite number")
        if not d.is_finite() or abs(d.adjusted()) > MAX_EXPONENT:
            self.fail(node, f"number out of range (decimal exponent beyond +-{MAX_EXPONENT})")
        q = Fraction(d)
        return sp.Rational(q.numerator, q.denominator)

    # ------------------------------------------------------------ pass 2: SymPy
    def transpose(self, node: ast.AST, e: sp.Basic) -> sp.Basic:
        """e^T pushed down to the data (module docstring): a transpose is left on data only."""
        def t(e: sp.Basic) -> sp.Basic:
            if isinstance(e, Transpose):
                return e.arg
            if isinstance(e, MatrixSymbol):
                return Transpose(e)
            if isinstance(e, Identity):
                return e
            if isinstance(e, (OneMatrix, ZeroMatrix)):
                return type(e)(e.shape[1], e.shape[0])
            if isinstance(e, MatAdd):
                return functools.reduce(operator.add, [t(u) for u in e.args])
            if isinstance(e, MatMul):
                c, mats = e.as_coeff_matrices()
                return c * functools.reduce(operator.mul, [t(m) for m in reversed(mats)])
            if isinstance(e, HadamardProduct):
                return hadamard(*[t(u) for u in e.args])
            if isinstance(e, (MatPow, HadamardPower)):
                return e.func(t(e.args[0]), e.args[1])
            if isinstance(e, Act):
                return Act(e.order, t(e.arg), e.name)
            self.fail(node, f"cannot transpose {type(e).__name__}")
        return t(e)

    def build(self, node: ast.AST, sizes: dict[int, sp.Basic], a: sp.Symbol, x: MatrixSymbol,
              data: dict[str, sp.Basic]) -> sp.Basic:
        shape = self.shape[id(node)]

        def go(child):
            return self.build(child, sizes, a, x, data)

        def size(var: int) -> sp.Basic:
            return sizes[self.dims.find(var)]

        if isinstance(node, ast.Name):
            if node.id == "x":
                return x
            if node.id == "I":
                return Identity(size(shape[0]))
            if node.id == self.parameter:
                return a
            return data[node.id]
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.UnaryOp):
            v = go(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.Attribute):
            return self.transpose(node, go(node.value))
        if isinstance(node, ast.Call):
            name = node.func.id
            if name == "transpose":
                return self.transpose(node, go(node.args[0]))
            g = self.functions.get(name, FUNCTIONS.get(name))
            arg = go(node.args[0])
            if shape is None:
                return g.xreplace({Z: arg})
            self.used_functions[name] = g
            return Act(0, arg, name)
        left, right = go(node.left), go(node.right)
        ls, rs = self.shape[id(node.left)], self.shape[id(node.right)]
        op = node.op
        if isinstance(op, ast.MatMult):
            return left * right
        if isinstance(op, ast.Pow):
            if right.is_Number and abs(right) > MAX_EXPONENT and (left.is_Number or ls is not None):
                self.fail(node, f"exponent beyond +-{MAX_EXPONENT}")
            if shape is None:
                return left ** right
            p = sp.Rational(right)
            if p == 1:
                return left
            name = power_name(p)
            self.used_functions[name] = Z ** p
            return Act(0, left, name)
        ones = None if shape is None else OneMatrix(size(shape[0]), size(shape[1]))
        if isinstance(op, (ast.Add, ast.Sub)):
            if isinstance(op, ast.Sub):
                right = -right
            if shape is None:
                return left + right
            left = left * ones if ls is None else left
            right = right * ones if rs is None else right
            terms = [t for t in (left, right) if t != 0]
            return terms[0] if len(terms) == 1 else left + right
        if isinstance(op, ast.Mult):
            if ls is None or rs is None:
                return left * right
            return hadamard(left, right)
        # division
        if rs is None:
            if right == 0:
                self.fail(node, "division by zero")
            return left * (1 / right) if ls is None else (1 / right) * left
        self.used_functions[power_name(sp.Integer(-1))] = 1 / Z
        recip = Act(0, right, power_name(sp.Integer(-1)))
        return left * recip if ls is None else hadamard(left, recip)


def parse_vector_formula(text: object, parameter: str, shapes: dict[str, tuple[int, ...]],
                         functions: dict[str, sp.Expr] | None = None,
                         what: str = "[rnn] formula") -> VectorFormula:
    """Parse ``text`` (see the module docstring); ``shapes`` gives each data name's array shape
    (``()`` for a scalar), ``functions`` the model's own elementwise functions (``s``)."""
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{what}: expected a non-empty formula string")
    text = text.strip()
    if len(text) > MAX_LENGTH:
        raise InputError(f"{what}: formula longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError):
        raise InputError(f"{what}: cannot parse {text!r} (not a formula)") from None
    except RecursionError:
        raise InputError(f"{what}: formula nested too deeply") from None
    p = _Parser(text, parameter, shapes, dict(functions or {}), what)
    try:
        result = p.infer(tree.body)
    except RecursionError:
        raise InputError(f"{what}: formula nested too deeply") from None
    if result is None:
        raise InputError(f"{what}: {text!r} is a scalar; the vector field must be a vector like x")
    if not (p.dims.unify(result[0], p.state) and p.dims.unify(result[1], p.one)):
        raise InputError(f"{what}: the formula is {p.show(result)}, but x' must have the shape of x "
                         f"({p.dims.show(p.state, p.state)} x 1)")
    # name the sizes: n for the state, 1 for columns of vectors, m1, m2, ... in order of appearance
    sizes: dict[int, sp.Basic] = {p.dims.find(p.state): N, p.dims.find(p.one): sp.Integer(1)}
    carriers: dict[sp.Symbol, tuple[str, int, int]] = {}
    for name in p.used:
        shape = p.data_shape[name]
        for axis, var in enumerate(shape or ()):
            root = p.dims.find(var)
            if root not in sizes:
                sizes[root] = sp.Symbol(f"m{sum(1 for s in sizes.values() if s.is_Symbol and s != N) + 1}",
                                        integer=True, positive=True)
            sym = sizes[root]
            if isinstance(sym, sp.Symbol) and sym not in carriers:
                carriers[sym] = (name, axis, p.dims.value[root])
    if N not in carriers:
        raise InputError(f"{what}: the size n of x is not fixed by the data (no data array is tied to x)")
    for var in p.eyes:
        if p.dims.find(var) not in sizes:
            raise InputError(f"{what}: the size of I cannot be told from the data")
    a = sp.Symbol(parameter, real=True)
    x = MatrixSymbol("x", N, 1)
    data: dict[str, sp.Basic] = {}
    for name in p.used:
        shape = p.data_shape[name]
        data[name] = sp.Symbol(name, real=True) if shape is None else \
            MatrixSymbol(name, sizes[p.dims.find(shape[0])], sizes[p.dims.find(shape[1])])
    try:
        expr = _plain(p.build(tree.body, sizes, a, x, data), p.used_functions, what)
        precomputed: dict[str, Precomputed] = {}
        expr = _fold(expr, a, precomputed)
    except RecursionError:
        raise InputError(f"{what}: formula nested too deeply") from None
    if not x in expr.atoms(MatrixSymbol):
        raise InputError(f"{what}: the formula does not depend on x")
    if any(e.has(sp.zoo, sp.nan, sp.oo, sp.I) for e in _scalars(expr)):
        raise InputError(f"{what}: {text!r} has a scalar that is not a finite real number")
    return VectorFormula(text, expr, a, x, data, carriers, p.used_functions, precomputed)


#: the matrix expressions the calculus, the printers and to_explicit know (a Transpose of data
#: only until :func:`_fold` makes it Precomputed)
_STRUCTURED = (MatrixSymbol, Identity, OneMatrix, ZeroMatrix, MatAdd, MatMul, HadamardProduct, Act,
               Transpose)


def _plain(e: sp.Basic, functions: dict[str, sp.Expr], what: str) -> sp.Basic:
    """Undo the canonical forms SymPy's operators introduce that the calculus does not know:
    ``A**k`` (matrix power) becomes ``A @ ... @ A``, ``X^{o k}`` (entrywise power) ``powk(X)``.
    Any other kind of matrix expression is refused."""
    if isinstance(e, MatrixExpr) and not isinstance(e, (*_STRUCTURED, MatPow, HadamardPower)):
        raise InputError(f"{what}: unsupported matrix expression {type(e).__name__}")
    if not e.args or isinstance(e, (MatrixSymbol, Identity, OneMatrix, ZeroMatrix)):
        return e
    args = [_plain(t, functions, what) for t in e.args]
    if isinstance(e, MatPow) and e.exp.is_Integer and e.exp > 0:
        return MatMul(*[args[0]] * int(e.exp))
    if isinstance(e, HadamardPower) and e.exp.is_Rational:
        name = power_name(sp.Rational(e.exp))
        functions[name] = Z ** e.exp
        return Act(0, args[0], name)
    if isinstance(e, (MatPow, HadamardPower)):
        raise InputError(f"{what}: unsupported power {e}")
    return e if all(t is u for t, u in zip(args, e.args)) else e.func(*args)


def _constant_data(e: sp.Basic, a: sp.Symbol) -> bool:
    """``e`` is a sum of scalings of data, I, matrices of ones and transposes of data, with
    coefficients rational in numbers and scalar data (free of x and of the parameter ``a``)."""
    if isinstance(e, Transpose):
        return isinstance(e.arg, MatrixSymbol) and e.arg.name != "x"
    if isinstance(e, (Identity, OneMatrix, ZeroMatrix)):
        return True
    if isinstance(e, MatrixSymbol):
        return e.name != "x" and not isinstance(e, Precomputed)
    if isinstance(e, MatAdd):
        return all(_constant_data(t, a) for t in e.args)
    if isinstance(e, MatMul):
        c, mats = e.as_coeff_matrices()
        return len(mats) == 1 and _constant_data(mats[0], a) and not c.has(a) and all(
            isinstance(u, (sp.Add, sp.Mul, sp.Rational, sp.Symbol)) or
            (isinstance(u, sp.Pow) and u.exp.is_Integer) for u in sp.preorder_traversal(c))
    return False


def _fold(e: sp.Basic, a: sp.Symbol, out: dict[str, Precomputed]) -> sp.Basic:
    """``e`` with each largest constant-data sum (:func:`_constant_data`) that holds a transpose
    made one Precomputed matrix (a sum's constant terms together, a number factor kept outside);
    every Transpose is then inside a Precomputed. ``out`` collects them by name."""
    if not e.has(Transpose):
        return e

    def pre(d: sp.Basic) -> Precomputed:
        p = Precomputed(d)
        out.setdefault(p.name, p)
        return p

    if _constant_data(e, a):
        if isinstance(e, MatMul):
            c, (m,) = e.as_coeff_matrices()
            if c.is_Number:
                return c * pre(m)
        return pre(e)
    if isinstance(e, MatAdd):
        const = [t for t in e.args if _constant_data(t, a)]
        rest = [_fold(t, a, out) for t in e.args if not _constant_data(t, a)]
        if any(t.has(Transpose) for t in const):
            const = [_fold(MatAdd(*const).doit(deep=False) if len(const) > 1 else const[0], a, out)]
        # in SymPy's order, not canonicalised: that would make P @ P of folded factors a MatPow
        terms = sorted([*const, *rest], key=sp.default_sort_key)
        return MatAdd(*terms) if len(terms) > 1 else terms[0]
    if isinstance(e, MatrixSymbol):
        return e
    return e.func(*[_fold(t, a, out) for t in e.args])


def check_scalars(vf: VectorFormula, data: dict[str, ExactArray], what: str = "[rnn] formula") -> None:
    """Every scalar factor of the formula is finite with the scalar data put in (``W / c`` with
    c = 0 is refused here, not met as a division by zero in the generated code)."""
    scalars = {sym: sp.Rational(next(iter(data[name].fractions())))
               for name, sym in vf.data.items() if not isinstance(sym, MatrixExpr)}
    if not scalars:
        return
    for c in _scalars(vf.expr):
        c = sp.sympify(c)
        zero_divisor = any(isinstance(t, sp.Pow) and t.exp.is_negative and t.base.xreplace(scalars) == 0
                           for t in sp.preorder_traversal(c))
        if zero_divisor or c.xreplace(scalars).has(sp.zoo, sp.nan, sp.oo, -sp.oo, sp.I):
            raise InputError(f"{what}: the factor {sp.sstr(c)} is not a finite real number with the data "
                             f"({', '.join(f'{k} = {v}' for k, v in scalars.items() if c.has(k))})")


def precompute(vf: VectorFormula, data: dict[str, ExactArray], what: str = "[rnn] formula"
               ) -> dict[str, ExactArray]:
    """The exact value of each Precomputed matrix of ``vf`` from the exact ``data`` (rational
    matrices of python-flint: exact sums, scalings and transposes in C)."""
    scalars = {sym: sp.Rational(next(iter(data[name].fractions())))
               for name, sym in vf.data.items() if not isinstance(sym, MatrixExpr)}

    def size(d: sp.Basic) -> int:
        return int(d) if d.is_Integer else vf.dims[d][2]

    def value(e: sp.Basic) -> fmpq_mat:
        if isinstance(e, Transpose):
            return value(e.arg).transpose()
        if isinstance(e, MatrixSymbol):
            return data[e.name].to_fmpq_mat()
        rows, cols = (size(d) for d in e.shape)
        if isinstance(e, Identity):
            return fmpq_mat(fmpz_mat(rows, cols, [int(i == j) for i in range(rows) for j in range(cols)]))
        if isinstance(e, (OneMatrix, ZeroMatrix)):
            return fmpq_mat(rows, cols, [int(isinstance(e, OneMatrix))] * (rows * cols))
        if isinstance(e, MatAdd):
            return functools.reduce(operator.add, [value(t) for t in e.args])
        c, (m,) = e.as_coeff_matrices()
        c = sp.sympify(c).xreplace(scalars)
        if not c.is_Rational:
            raise InputError(f"{what}: the factor {sp.sstr(c)} of {sp.sstr(e)} is not a finite number")
        return value(m) * fmpq(int(c.p), int(c.q))

    out = {}
    for name, p in vf.precomputed.items():
        rows, cols = (size(d) for d in p.shape)
        try:
            out[name] = ExactArray.from_fmpq(value(p.definition), (rows, cols))
        except InputError:
            raise InputError(f"{what}: {name} has entries beyond the float range") from None
    return out


def _scalars(expr: sp.Basic) -> list[sp.Expr]:
    """The scalar coefficients of a matrix expression."""
    return [c for m in sp.preorder_traversal(expr) if isinstance(m, sp.MatMul)
            for c in [m.as_coeff_matrices()[0]]]


# ---------------------------------------------------------------- a-priori equilibrium box (floats)
def equilibrium_radius(vf: VectorFormula, data: dict, a_range: list[float],
                       sup: "Callable[[sp.Expr], float | None]") -> np.ndarray | None:
    """Radii r with |x_i| <= r_i for every equilibrium and every a in the range, when the formula
    reads ``f = c (L(a) x + R(x, a))`` with scalars c != 0, |L(a)| >= l > 0 and R bounded in x
    (bounded elementwise functions, ``sup`` giving sup|g|): then ``x = -R / L``, |x| <= sup|R| / l.
    None when the formula is not of that form. Float arithmetic, scalars sampled on the range:
    a seed box for the float search (which trusts nothing), not a proof.
    """
    a = vf.parameter
    grid = np.linspace(a_range[0], a_range[1], 257)
    scalars = {s: float(data[str(s)]) for s in vf.data.values() if isinstance(s, sp.Symbol)}

    def coeff_values(c: sp.Expr) -> np.ndarray | None:
        c = sp.sympify(c).xreplace(scalars)
        if c.free_symbols - {a}:
            return None
        try:
            vals = np.broadcast_to(np.asarray(sp.lambdify(a, c, "numpy")(grid), dtype=float), grid.shape)
        except (TypeError, ValueError):
            return None
        return vals if np.all(np.isfinite(vals)) else None

    def abs_coeff(c: sp.Expr) -> float | None:
        if c == a:
            return max(abs(a_range[0]), abs(a_range[1]))
        if not sp.sympify(c).free_symbols:
            return abs(float(c))
        vals = coeff_values(c)
        return None if vals is None else float(np.max(np.abs(vals))) * (1 + 1e-6)

    def size(d: sp.Basic) -> int:
        return 1 if d == 1 else vf.dims[d][2]

    def absmat(e: sp.Basic):
        if isinstance(e, MatrixSymbol) and e != vf.x:
            arr = np.abs(np.asarray(data[e.name], float))
            return arr.reshape(-1) if e.shape[1] == 1 else arr
        if isinstance(e, Identity):
            return np.eye(size(e.shape[0]))
        if isinstance(e, OneMatrix):
            return 1.0
        if isinstance(e, (sp.MatAdd, sp.HadamardProduct)):   # |sum| <= sum |.|, |prod| = prod |.|
            parts = [absmat(t) for t in e.args]
            if any(p is None for p in parts):
                return None
            return functools.reduce(operator.add if isinstance(e, sp.MatAdd) else operator.mul, parts)
        if isinstance(e, sp.MatMul):
            c, mats = e.as_coeff_matrices()
            k = abs_coeff(c)
            parts = [absmat(m) for m in mats]
            if k is None or any(p is None for p in parts):
                return None
            out = parts[-1]
            for p in reversed(parts[:-1]):
                if isinstance(p, np.ndarray) and p.ndim == 2 and p.shape[0] == p.shape[1] and \
                        np.array_equal(p, np.eye(p.shape[0])):
                    continue
                out = p.sum(axis=1) * out if not isinstance(out, np.ndarray) else p @ out
            return out if k == 1 else k * out
        if isinstance(e, Act) and e.order == 0:
            return sup(vf.functions[e.name])
        return None

    def value(e: sp.Basic, a0: float):
        """The float value of an expression free of x at a = a0 (None if not supported)."""
        if isinstance(e, MatrixSymbol):
            arr = np.asarray(data[e.name], float)
            return arr.reshape(-1) if e.shape[1] == 1 else arr
        if isinstance(e, (Identity, OneMatrix)):
            return np.eye(size(e.shape[0])) if isinstance(e, Identity) else 1.0
        if isinstance(e, Act) and e.order == 0:
            arg = value(e.arg, a0)
            return None if arg is None else sp.lambdify(Z, vf.functions[e.name], "numpy")(arg)
        parts = [value(t, a0) for t in (e.as_coeff_matrices()[1] if isinstance(e, sp.MatMul) else e.args)]
        if any(p is None for p in parts):
            return None
        if isinstance(e, sp.MatMul):
            return float(sp.sympify(e.as_coeff_matrices()[0]).xreplace({**scalars, a: a0})) * \
                functools.reduce(operator.matmul, parts)
        if isinstance(e, (sp.MatAdd, sp.HadamardProduct)):
            return functools.reduce(operator.add if isinstance(e, sp.MatAdd) else operator.mul, parts)
        return None

    def never_zero(e: sp.Basic) -> bool:
        """A factor free of x with no zero entry (sampled over the range)."""
        if vf.x in e.atoms(MatrixSymbol):
            return False
        vals = [value(e, a0) for a0 in grid[::32]]
        return all(v is not None and np.all(np.isfinite(v)) and np.all(v != 0) for v in vals)

    expr = vf.expr
    if isinstance(expr, sp.MatMul):           # c (...): the same equilibria when c != 0
        c, mats = expr.as_coeff_matrices()
        vals = coeff_values(c)
        if len(mats) != 1 or vals is None or not (np.all(vals > 0) or np.all(vals < 0)):
            return None
        expr = mats[0]
    if isinstance(expr, sp.HadamardProduct):  # p o q with p != 0 (e.g. 1/tau): the zeros of q
        rest = [t for t in expr.args if not never_zero(t)]
        if len(rest) != 1:
            return None
        expr = rest[0]
    terms = expr.args if isinstance(expr, sp.MatAdd) else (expr,)
    linear, rest = [], []
    for t in terms:
        if t == vf.x:
            linear.append(sp.Integer(1))
        elif isinstance(t, sp.MatMul) and t.as_coeff_matrices()[1] == [vf.x]:
            linear.append(t.as_coeff_matrices()[0])
        else:
            rest.append(t)
    if not linear or not rest:
        return None
    vals = coeff_values(sp.Add(*linear))
    if vals is None or not (np.all(vals > 0) or np.all(vals < 0)):
        return None
    lmin = float(np.min(np.abs(vals)))
    bound = absmat(sp.MatAdd(*rest) if len(rest) > 1 else rest[0])
    if bound is None:
        return None
    radius = np.broadcast_to(np.asarray(bound, float).reshape(-1), (vf.n,)).copy()
    return radius if lmin == 1 else radius / lmin * (1 + 1e-9)
