"""Odd symmetry ``f(-x, a) = -f(x, a)``, verified symbolically (SymPy), so the search mirrors branches.

General ODEs: every right-hand side ``e`` (constants substituted) satisfies
``expand(e(-x) + e(x)) == 0`` (SymPy evaluates ``sin(-y)`` to ``-sin(y)`` and so on; an expression
SymPy cannot reduce to 0 counts as not odd). RNNs: the architectures ``s(M x + b)``,
``-x + M s(x) + b`` and their layered forms are compositions of linear maps and the elementwise
activation, hence odd when every bias is exactly 0 and ``expand(s(-z) + s(z)) == 0``.
If ``x(a)`` is an equilibrium branch of an odd system, so is ``-x(a)``, with the same
eigenvalues: mirroring a branch finds its mirror Hopf points. (A search aid only: the mirrored
branches are proved like any other.)
"""
from __future__ import annotations

from typing import Any

import sympy as sp

#: RNN architectures built from linear maps and the elementwise activation only
LINEAR_ACTIVATION_ARCHITECTURES = {"asymmetric", "leaky", "multilayer"}


def _odd(expr: sp.Expr, symbols: list[sp.Symbol]) -> bool:
    """``expand(e(-x) + e(x)) == 0`` (exact; no numeric shortcut: evaluating the sum at a point can overflow
    or run for minutes on towers of exponentials, red team r5m)."""
    return sp.expand(expr.xreplace({s: -s for s in symbols}) + expr) == 0


def is_odd(model: Any) -> bool:
    """``f(-x, a) = -f(x, a)`` for all x and a, verified symbolically; False when not proved."""
    if model is None:
        return False
    if getattr(model, "kind", None) == "ode":
        xs = [sp.Symbol(v, real=True) for v in model.variables]
        consts = {sp.Symbol(k, real=True): sp.Rational(q.numerator, q.denominator)
                  for k, q in model.constants.items()}
        return all(_odd(e.xreplace(consts), xs) for e in model.rhs)
    if getattr(model, "kind", None) == "rnn":
        arch = getattr(model.architecture, "name", None)
        if arch not in LINEAR_ACTIVATION_ARCHITECTURES or model.activation is None:
            return False
        biases = [v for k, v in model.data.items() if k.startswith("b")]
        if not all(all(q == 0 for q in b.fractions()) for b in biases):
            return False
        z = sorted(model.activation.free_symbols, key=str)
        return len(z) <= 1 and _odd(model.activation, z)
    return False
