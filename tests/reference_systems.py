"""Test systems: real generated Systems with their formulas kept for independent references.

``SympySystem``: a small ODE given as SymPy strings in x0, x1, ... and ``a``;
``NetSystem``: ``x' = tanh((W + a I) x + b)`` ("asymmetric") or
``x' = -x + (W + a I) tanh(x) + b`` ("leaky"). ``mp_field`` rebuilds f and Df
in mpmath from the SymPy strings or the weights, sharing no code with symhopf's
derivation or generated modules.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import sympy as sp

from symhopf.codegen import load_module
from symhopf.model import Model
from symhopf.system import System


def _range(rng) -> list:
    return [str(v) for v in rng]


class SympySystem(System):
    """A small ODE x' = f(x, a) from SymPy strings in x0, x1, ... and ``a``: the real
    generated System, plus the SymPy f and Jacobian for the independent mpmath references."""

    def __init__(self, rhs: Sequence[str], name: str = "sympy-ode", rng=(0.0, 1.0)):
        n = len(rhs)
        model = Model.ode([f"x{i}" for i in range(n)], list(rhs), "a", name=name, range=_range(rng))
        super().__init__(model, load_module(model))
        self.xs = sp.symbols(f"x0:{n}", real=True)
        self.a = sp.Symbol("a", real=True)
        loc = {str(s): s for s in self.xs} | {"a": self.a}
        self.f = [sp.expand(sp.sympify(r, locals=loc)) for r in rhs]
        self.J = sp.Matrix(n, n, lambda i, j: sp.diff(self.f[i], self.xs[j]))


class NetSystem(System):
    """tanh RNN (parameter direction I), asymmetric or leaky: the real generated System,
    plus its weights for the independent mpmath references."""

    def __init__(self, W, b=None, architecture: str = "asymmetric", name: str = "net"):
        self.W = np.asarray(W, dtype=float)
        n = self.W.shape[0]
        self.b = np.zeros(n) if b is None else np.asarray(b, dtype=float)
        self.asym = architecture == "asymmetric"
        model = Model.rnn(architecture, weights=self.W, bias=self.b, parameter="alpha", name=name,
                          range=["-1", "1"])
        super().__init__(model, load_module(model))


# ------------------------------------------- mpmath definitions (for references)
def mp_field(system):
    """(f, Df) as mpmath functions of (list of mp numbers, a): only f and its Jacobian."""
    import mpmath as mp

    if isinstance(system, SympySystem):
        args = [*system.xs, system.a]
        f_mp = sp.lambdify(args, system.f, "mpmath")
        J_mp = sp.lambdify(args, system.J, "mpmath")
        return (lambda x, a: mp.matrix(f_mp(*x, a)), lambda x, a: mp.matrix(J_mp(*x, a)))
    n = system.n
    W = [[mp.mpf(float(t)) for t in row] for row in system.W]
    b = [mp.mpf(float(t)) for t in system.b]

    def M(a):
        return [[W[i][j] + (a if i == j else 0) for j in range(n)] for i in range(n)]

    def f(x, a):
        Ma = M(a)
        if system.asym:
            return mp.matrix([mp.tanh(mp.fsum(Ma[i][j] * x[j] for j in range(n)) + b[i]) for i in range(n)])
        t = [mp.tanh(v) for v in x]
        return mp.matrix([-x[i] + mp.fsum(Ma[i][j] * t[j] for j in range(n)) + b[i] for i in range(n)])

    def Df(x, a):
        Ma = M(a)
        if system.asym:
            s1 = [mp.sech(mp.fsum(Ma[i][j] * x[j] for j in range(n)) + b[i]) ** 2 for i in range(n)]
            return mp.matrix([[s1[i] * Ma[i][j] for j in range(n)] for i in range(n)])
        s1 = [mp.sech(v) ** 2 for v in x]
        return mp.matrix([[Ma[i][j] * s1[j] - (1 if i == j else 0) for j in range(n)] for i in range(n)])

    return f, Df
