"""The checker's own ball evaluation of f(x, a) and of its derivatives, by hyper-dual jets.

Theorem (jets). Let eps_1, ..., eps_k (k <= 3) commute with eps_i^2 = 0, and let a jet be a sum
``sum_S c_S eps^S`` over the subsets S of {1..k}. For a smooth g and a jet ``y = y0 + d`` (d without
constant term, so ``d^(k+1) = 0``), ``g(y) := sum_{j<=k} g^(j)(y0) d^j / j!`` is the exact Taylor
expansion; sums and products of jets are those of polynomials modulo eps_i^2. Hence for a
composition of such operations, ``f(x + sum_i eps_i u_i, a + sum_{i in P} eps_i)`` has as coefficient
of ``eps_1 ... eps_k`` the mixed derivative ``D^k f(x, a)[u_1, ..., u_k]`` (a-directions for i in P).
Every coefficient is computed in ball arithmetic (python-flint), so its ball contains the exact
value for every (x, a) in the input balls.

Models: a general ODE is walked as the SymPy expression tree of each component; a net (a preset
or ``[rnn] formula``) as the tree of its vector formula as the model parser reads it (``x``, named
data, ``I``, ``@``, entrywise ``+ - *``, scalar coefficients in the parameter and scalar data,
elementwise functions). Matrix products stay products of ball matrices (``arb_mat``), so an n = 400
net costs a few n x n products, not n^3 scalar formulas. The coefficients of x-dependent terms are
column vectors, or a batch of n columns for the direction "I" (the result's column j is then the
derivative along e_j). The batch is sound when x enters a matrix product only in its last factor
(checked when the model is read): then every x-dependent term is a column, a product only ever
multiplies a batch from the left by an x-free matrix, and entrywise operations meet columns only.
"""
from __future__ import annotations

import functools
from fractions import Fraction

import sympy as sp
from flint import acb, acb_mat, arb, arb_mat, ctx, fmpq
from sympy.matrices.expressions import (HadamardProduct, Identity, MatAdd, MatMul, MatrixExpr,
                                        MatrixSymbol, OneMatrix, ZeroMatrix)

from ..calculus import Act  # the parser's node type of an elementwise function (no derivation is used)

Z = sp.Symbol("z", real=True)
_MATS = (arb_mat, acb_mat)
_FUNCS = {sp.exp: "exp", sp.log: "log", sp.sin: "sin", sp.cos: "cos", sp.tan: "tan", sp.tanh: "tanh",
          sp.sinh: "sinh", sp.cosh: "cosh", sp.atan: "atan", sp.erf: "erf", sp.asinh: "asinh",
          sp.atanh: "atanh", sp.asin: "asin", sp.acos: "acos"}


class Unsupported(Exception):
    """The model uses something this checker does not evaluate (the claim then fails, with this reason)."""


def ball(q: Fraction) -> arb:
    """A ball containing the rational q (exact when q is dyadic and fits the precision)."""
    return arb(fmpq(q.numerator, q.denominator))


def _had(u, v):
    """Product of two coefficients: entrywise for vectors (an n x 1 column broadcasts over a batch)."""
    if not (isinstance(u, _MATS) and isinstance(v, _MATS)):
        return u * v
    if u.ncols() < v.ncols():
        u, v = v, u
    kind = acb_mat if isinstance(u, acb_mat) or isinstance(v, acb_mat) else arb_mat
    one = v.ncols() == 1
    return kind([[u[i, j] * v[i, 0 if one else j] for j in range(u.ncols())] for i in range(u.nrows())])


class Jet:
    """``sum_S c[S] eps^S`` with S a bit mask; a missing mask is a zero coefficient."""

    __slots__ = ("c",)

    def __init__(self, c: dict):
        self.c = c

    @staticmethod
    def lift(o) -> "Jet":
        return o if isinstance(o, Jet) else Jet({0: o})

    def _combine(self, o, op) -> "Jet":
        out: dict = {}
        for s, u in self.c.items():
            for t, v in Jet.lift(o).c.items():
                if not s & t:
                    p = op(u, v)
                    out[s | t] = out[s | t] + p if s | t in out else p
        return Jet(out)

    def __add__(self, o) -> "Jet":
        out = dict(self.c)
        for k, v in Jet.lift(o).c.items():
            out[k] = out[k] + v if k in out else v
        return Jet(out)

    __radd__ = __add__

    def __neg__(self) -> "Jet":
        return Jet({k: -v for k, v in self.c.items()})

    def __sub__(self, o) -> "Jet":
        return self + (-Jet.lift(o))

    def __rsub__(self, o) -> "Jet":
        return Jet.lift(o) + (-self)

    def __mul__(self, o) -> "Jet":
        return self._combine(o, _had)

    __rmul__ = __mul__

    def matmul(self, o) -> "Jet":
        return self._combine(o, lambda u, v: u * v)


def entries(u) -> list:
    """The entries of a column (a scalar: itself, as a one-element list)."""
    return [u[i, 0] for i in range(u.nrows())] if isinstance(u, _MATS) else [u]


@functools.lru_cache(maxsize=256)
def _derivative(template: sp.Expr, j: int) -> sp.Expr:
    return sp.diff(template, Z, j)


def apply(template: sp.Expr, y: Jet) -> Jet:
    """g(y) for g = template(z), entrywise on vectors: sum_j g^(j)(y0) d^j / j! (module theorem)."""
    y0 = y.c.get(0, arb(0))
    d = Jet({k: v for k, v in y.c.items() if k})
    order = bin(functools.reduce(lambda s, t: s | t, d.c, 0)).count("1")
    out, power, fact = None, Jet({0: arb(1)}), 1
    for j in range(order + 1):
        vals = [_plain(_derivative(template, j), t) for t in entries(y0)]
        g = type(y0)([[v] for v in vals]) if isinstance(y0, _MATS) else vals[0]
        term = power * Jet({0: g * arb(fmpq(1, fact))})
        out = term if out is None else out + term
        power, fact = power * d, fact * (j + 1)
    return out


_PLAIN: dict = {}


def _plain(e: sp.Expr, t):
    """e(z = t) for a ball t (arb or acb); real balls are remembered by (e, precision, mid, radius)."""
    key = (e, ctx.prec, t.mid().man_exp(), t.rad().man_exp()) if isinstance(t, arb) else None
    if key in _PLAIN:
        return _PLAIN[key]
    value = evaluate(e, {Z: Jet({0: t})}).c.get(0, arb(0))
    if key is not None:
        if len(_PLAIN) > 1 << 16:
            _PLAIN.clear()
        _PLAIN[key] = value
    return value


def evaluate(e: sp.Expr, env: dict) -> Jet:
    """A SymPy expression over jets (``env``: symbol -> Jet)."""
    if e in env:
        return env[e]
    if e.is_Rational:
        return Jet({0: ball(Fraction(int(e.p), int(e.q)))})
    if e is sp.pi:
        return Jet({0: arb.pi()})
    if e is sp.E:
        return Jet({0: arb(1).exp()})
    if isinstance(e, sp.Add):
        return functools.reduce(lambda s, t: s + t, (evaluate(t, env) for t in e.args))
    if isinstance(e, sp.Mul):
        return functools.reduce(lambda s, t: s * t, (evaluate(t, env) for t in e.args))
    if isinstance(e, sp.Pow) and e.exp.is_Integer and e.exp != 0:
        base = evaluate(e.base, env)
        out = functools.reduce(lambda s, t: s * t, [base] * abs(int(e.exp)))
        return out if e.exp > 0 else _function(1 / Z, out)
    if isinstance(e, sp.Pow):
        return _function(Z ** e.exp, evaluate(e.base, env))
    if isinstance(e, sp.Function) and len(e.args) == 1:
        return _function(e.func(Z), evaluate(e.args[0], env))
    raise Unsupported(f"cannot evaluate {type(e).__name__} ({e})")


def _function(template: sp.Expr, y: Jet) -> Jet:
    if any(y.c):            # a jet with eps terms: the Taylor rule
        return apply(template, y)
    t = y.c.get(0, arb(0))
    if template == 1 / Z:
        return Jet({0: 1 / t})
    if isinstance(template, sp.Pow):
        ex = template.exp
        return Jet({0: t.sqrt() if ex == sp.Rational(1, 2) else (ball(Fraction(int(ex.p), int(ex.q))) * t.log()).exp()}) \
            if ex.is_Rational else _unsupported(template)
    name = _FUNCS.get(template.func)
    if name is None or not hasattr(t, name):
        _unsupported(template)
    return Jet({0: getattr(t, name)()})


def _unsupported(template):
    raise Unsupported(f"function {template} is not evaluated by the checker")


class Field:
    """``f(x, a)`` of one model, evaluated by jets: ``D(x, a, dirs)`` is ``D^k f(x, a)[dirs]``.

    x: list of n balls; a: a ball; dirs: up to 3 directions, each "a" (the parameter), "I" (all
    unit vectors e_j at once: the result is then an n x n matrix) or a list of n balls.
    Returns a list of n balls, or a matrix for "I".
    """

    def __init__(self, model):
        self.model, self.n, self._balls = model, model.n, {}
        if model.kind == "ode":
            syms = {str(s): s for e in model.rhs for s in e.free_symbols}
            self.x_syms = [syms.get(v, sp.Symbol(v, real=True)) for v in model.variables]
            self.a_sym = syms.get(model.parameter, sp.Symbol(model.parameter, real=True))
            self.consts = {syms[k]: v for k, v in model.constants.items() if k in syms}
        elif model.kind == "rnn" and model.formula is not None:
            vf = self.vf = model.formula
            self.funcs = {k: g.xreplace({s: Z for s in g.free_symbols}) for k, g in vf.functions.items()}
            self.scalars = {s: name for name, s in vf.data.items() if not isinstance(s, MatrixExpr)}
            for t in sp.preorder_traversal(vf.expr):
                if isinstance(t, MatMul) and any(m.has(vf.x) for m in t.as_coeff_matrices()[1][:-1]):
                    raise Unsupported(f"the product {t} has x in a factor other than the last")
        else:
            raise Unsupported(f"model kind {model.kind!r} is not evaluated by the checker")

    def D(self, x: list, a, dirs: list):
        bits = {i: 1 << i for i in range(len(dirs))}
        top = (1 << len(dirs)) - 1
        if self.model.kind == "ode" and "I" in dirs:
            cols = [self.D(x, a, [[arb(int(i == j)) for i in range(self.n)] if d == "I" else d for d in dirs])
                    for j in range(self.n)]
            kind = acb_mat if any(isinstance(v, acb) for c in cols for v in c) else arb_mat
            return kind([[cols[j][i] for j in range(self.n)] for i in range(self.n)])
        aj = Jet({0: a, **{bits[i]: arb(1) for i, d in enumerate(dirs) if isinstance(d, str) and d == "a"}})
        if self.model.kind == "ode":
            env = {s: Jet({0: ball(v)}) for s, v in self.consts.items()}
            env[self.a_sym] = aj
            for j, s in enumerate(self.x_syms):
                env[s] = Jet({0: x[j], **{bits[i]: d[j] for i, d in enumerate(dirs) if not isinstance(d, str)}})
            return [evaluate(e, env).c.get(top, arb(0)) for e in self.model.rhs]
        xj = Jet({0: _column(x), **{bits[i]: _column(d) if d != "I" else arb_mat([[int(i == j) for j in range(self.n)] for i in range(self.n)])
                                    for i, d in enumerate(dirs) if not (isinstance(d, str) and d == "a")}})
        env = {self.vf.parameter: aj, **{s: Jet({0: self._ball(k)[0, 0]}) for s, k in self.scalars.items()}}
        out = self._net(self.vf.expr, xj, env)
        if top not in out.c:
            return arb_mat(self.n, self.n) if "I" in dirs else [arb(0)] * self.n
        return out.c[top] if "I" in dirs else entries(out.c[top])

    def _ball(self, name: str) -> arb_mat:
        """The exact data (or a Precomputed matrix such as R1 - R1.T, exact from the model parser)
        as a ball matrix at the working precision (converted once per precision)."""
        key = (name, ctx.prec)
        if key not in self._balls:
            self._balls[key] = (self.model.data.get(name) or self.model.derived[name]).to_arb_mat()
        return self._balls[key]

    def _constant(self, e: MatrixExpr) -> arb_mat:
        """I, the matrix of ones or zero, at its size (the data fix every symbolic size)."""
        r, c = (int(t) if t.is_Integer else self.vf.dims[t][2] for t in e.shape)
        key = (type(e).__name__, r, c)
        if key not in self._balls:
            self._balls[key] = arb_mat([[int(isinstance(e, OneMatrix) or (isinstance(e, Identity) and i == j))
                                         for j in range(c)] for i in range(r)])
        return self._balls[key]

    def _net(self, e, xj: Jet, env: dict) -> Jet:
        """The formula's value as a jet: products of ball matrices, entrywise products, functions."""
        if e == self.vf.x:
            return xj
        if isinstance(e, MatrixSymbol):
            return Jet({0: self._ball(e.name)})
        if isinstance(e, (Identity, OneMatrix, ZeroMatrix)):
            return Jet({0: self._constant(e)})
        if isinstance(e, MatAdd):
            return functools.reduce(lambda s, t: s + t, (self._net(t, xj, env) for t in e.args))
        if isinstance(e, HadamardProduct):
            return functools.reduce(lambda s, t: s * t, (self._net(t, xj, env) for t in e.args))
        if isinstance(e, MatMul):
            c, mats = e.as_coeff_matrices()
            out = functools.reduce(lambda s, t: s.matmul(t), (self._net(t, xj, env) for t in mats))
            return out if c == 1 else evaluate(c, env) * out
        if isinstance(e, Act) and e.order == 0 and e.name in self.funcs:
            return apply(self.funcs[e.name], self._net(e.arg, xj, env))
        raise Unsupported(f"formula term {type(e).__name__} ({e}) is not evaluated by the checker")


def _column(v: list):
    kind = acb_mat if any(isinstance(t, acb) for t in v) else arb_mat
    return kind([[t] for t in v])
