"""Directional derivatives of vector formulas written with SymPy matrix expressions.

A vector field such as ``s((W + a E) x + b)`` is a SymPy matrix expression in the
state ``x`` (n x 1), the parameter ``a`` and data matrices; ``Act(k, X)`` applies
the k-th derivative of the activation entrywise. The rules below differentiate
it *structurally*, so the cost does not depend on n:

    D[X + Y] = D X + D Y,      D[c A B] = (D c) A B + c (D A) B + c A (D B),
    D[X o Y] = D X o Y + X o D Y,      D[s^(k)(X)] = s^(k+1)(X) o D X,

with D the derivative along ``x -> x + t u`` (or ``a -> a + t``) at t = 0.
"""
from __future__ import annotations

from typing import Iterable

import sympy as sp
from sympy.core.symbol import Str
from sympy.matrices.expressions import (HadamardProduct, Identity, MatAdd, MatMul,
                                        MatrixExpr, MatrixSymbol, OneMatrix, ZeroMatrix)


class Act(MatrixExpr):
    """``g^(k)`` (the k-th derivative of the elementwise function named ``name``, by default
    the activation ``s``) applied entrywise to a matrix."""

    def __new__(cls, k: int, arg: MatrixExpr, name: str | Str = "s"):
        return super().__new__(cls, sp.Integer(k), arg, Str(str(name)))

    @property
    def name(self) -> str:
        return str(self.args[2])

    @property
    def order(self) -> int:
        return int(self.args[0])

    @property
    def arg(self) -> MatrixExpr:
        return self.args[1]

    @property
    def shape(self):
        return self.args[1].shape

    def _sympystr(self, printer) -> str:  # noqa: D102
        return self.name + "'" * self.order + "(" + printer._print(self.arg) + ")"

    def _latex(self, printer) -> str:
        name = self.name if len(self.name) == 1 else r"\operatorname{" + self.name.replace("_", r"\_") + "}"
        return name + "'" * self.order + r"\left(" + printer._print(self.arg) + r"\right)"


class Precomputed(MatrixSymbol):
    """A matrix of data computed exactly when the model is loaded: ``definition``, a sum of
    scalings of named data, their transposes, I and matrices of ones (``R1 - R1.T + R2``), free
    of x and of the parameter. A constant to the calculus (a MatrixSymbol named by its text);
    printed as its definition."""

    def __new__(cls, definition: MatrixExpr, *rebuilt):
        if rebuilt:     # SymPy rebuilds a node from its args: (name, rows, cols, definition)
            definition = rebuilt[-1]
        text = sp.sstr(definition)
        name = text if isinstance(definition, sp.Transpose) else f"({text})"
        return MatrixExpr.__new__(cls, Str(name), *definition.shape, definition)

    def doit(self, **hints) -> "Precomputed":
        return self

    @property
    def definition(self) -> MatrixExpr:
        return self.args[3]

    @property
    def shape(self):
        return self.args[1], self.args[2]

    def _sympystr(self, printer) -> str:
        e = self.definition
        return printer._print(e) if isinstance(e, sp.Transpose) else "(" + printer._print(e) + ")"

    def _latex(self, printer) -> str:
        e = self.definition
        return printer._print(e) if isinstance(e, sp.Transpose) else r"\left(" + printer._print(e) + r"\right)"


def is_zero(e: sp.Basic) -> bool:
    return isinstance(e, ZeroMatrix) or e == 0


def add(terms: Iterable[MatrixExpr], shape) -> MatrixExpr:
    """Sum of the nonzero terms (ZeroMatrix if none)."""
    nonzero = [t for t in terms if not is_zero(t)]
    if not nonzero:
        return ZeroMatrix(*shape)
    return nonzero[0] if len(nonzero) == 1 else MatAdd(*nonzero)


def hadamard(*factors: MatrixExpr) -> MatrixExpr:
    """Flattened entrywise product (ZeroMatrix if a factor is zero)."""
    if any(is_zero(f) for f in factors):
        return ZeroMatrix(*factors[0].shape)
    flat = [g for f in factors for g in (f.args if isinstance(f, HadamardProduct) else (f,))]
    return flat[0] if len(flat) == 1 else HadamardProduct(*flat)


def mul(coeff: sp.Expr, mats: list[MatrixExpr]) -> MatrixExpr:
    """``coeff * mats[0] * mats[1] ...`` without unit coefficients or identity factors."""
    mats = [m for m in mats if not isinstance(m, Identity)] or mats[:1]
    if coeff == 1:
        return mats[0] if len(mats) == 1 else MatMul(*mats)
    return MatMul(coeff, *mats)


def derivative(e: MatrixExpr, wrt: sp.Basic, direction: sp.Basic) -> MatrixExpr:
    """D e along ``wrt -> wrt + t*direction`` (``wrt`` a MatrixSymbol or a scalar Symbol)."""
    if e == wrt:
        return direction
    if isinstance(e, (MatrixSymbol, Identity, ZeroMatrix, OneMatrix)):
        return ZeroMatrix(*e.shape)
    if isinstance(e, MatAdd):
        return add((derivative(t, wrt, direction) for t in e.args), e.shape)
    if isinstance(e, MatMul):
        coeff, mats = e.as_coeff_matrices()
        terms = []
        if isinstance(wrt, sp.Symbol):
            dc = sp.diff(coeff, wrt) * direction
            if dc != 0:
                terms.append(mul(dc, mats))
        for i, m in enumerate(mats):
            dm = derivative(m, wrt, direction)
            if not is_zero(dm):
                terms.append(mul(coeff, [*mats[:i], dm, *mats[i + 1:]]))
        return add(terms, e.shape)
    if isinstance(e, HadamardProduct):
        terms = []
        for i, factor in enumerate(e.args):
            df = derivative(factor, wrt, direction)
            if not is_zero(df):
                terms.append(hadamard(*e.args[:i], df, *e.args[i + 1:]))
        return add(terms, e.shape)
    if isinstance(e, Act):
        return hadamard(Act(e.order + 1, e.arg, e.name), derivative(e.arg, wrt, direction))
    raise TypeError(f"cannot differentiate {type(e).__name__}: {e}")


def max_act_order(e: sp.Basic, name: str | None = None) -> int:
    """Highest derivative of an elementwise function (of ``name`` if given) in ``e`` (-1 if none)."""
    return max((a.order for a in e.atoms(Act) if name is None or a.name == name), default=-1)


def to_explicit(e: sp.Basic, values: dict, activation: sp.Expr | dict[str, sp.Expr],
                z: sp.Symbol) -> sp.Matrix:
    """The explicit SymPy Matrix of a structured expression (for checks and small n).

    ``values`` maps each MatrixSymbol to an explicit matrix, each symbolic
    dimension (e.g. ``n``) to an integer, and scalar symbols (the parameter)
    to values; ``Act(k, X, name)`` becomes the k-th derivative of the function
    ``activation[name]`` (an expression in ``z``; a single expression is ``s``)
    applied entrywise, a HadamardProduct the entrywise product. Symbols
    without a value stay symbolic.
    """
    functions = activation if isinstance(activation, dict) else {"s": activation}
    scalars = {k: v for k, v in values.items() if isinstance(k, sp.Symbol)}

    def dim(d) -> int:
        return int(sp.sympify(d).xreplace(scalars))

    def go(e):
        if e in values:
            return sp.Matrix(values[e])
        if isinstance(e, Precomputed):
            return go(e.definition)
        if isinstance(e, sp.Transpose):
            return go(e.arg).T
        if isinstance(e, Identity):
            return sp.eye(dim(e.shape[0]))
        if isinstance(e, ZeroMatrix):
            return sp.zeros(dim(e.shape[0]), dim(e.shape[1]))
        if isinstance(e, OneMatrix):
            return sp.ones(dim(e.shape[0]), dim(e.shape[1]))
        if isinstance(e, MatrixSymbol):
            raise KeyError(f"no value for {e}")
        if isinstance(e, MatAdd):
            terms = [go(t) for t in e.args]
            return sum(terms[1:], terms[0])
        if isinstance(e, MatMul):
            coeff, mats = e.as_coeff_matrices()
            out = go(mats[0])
            for m in mats[1:]:
                out = out * go(m)
            return sp.sympify(coeff).xreplace(scalars) * out
        if isinstance(e, HadamardProduct):
            out = go(e.args[0])
            for f in e.args[1:]:
                out = out.multiply_elementwise(go(f))
            return out
        if isinstance(e, Act):
            dk = sp.diff(functions[e.name], z, e.order)
            return go(e.arg).applyfunc(lambda t: dk.xreplace({z: t}))
        raise TypeError(f"cannot make {type(e).__name__} explicit: {e}")

    return go(e)
