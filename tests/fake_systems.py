"""Hand-written stand-ins for ``symhopf.system.System`` (API of docs/internals.md).

``SympySystem``: any small polynomial/tanh ODE given as SymPy strings; the float
evaluator uses lambdify, the ball evaluator walks the expression tree with
python-flint balls (integer powers as repeated products, never ``arb ** k``).
``NetSystem``: ``x' = tanh((W + a I) x + b)`` ("asymmetric") or
``x' = -x + (W + a I) tanh(x) + b`` ("leaky"), via the structured forms of
hopf-math.md, O(n^2) per evaluation.
"""
from __future__ import annotations

from fractions import Fraction
from types import SimpleNamespace
from typing import Sequence

import numpy as np
import sympy as sp
from flint import acb_mat, arb, arb_mat


def _model(name: str, parameter: str, n: int, rng: Sequence[float] = (0.0, 1.0)) -> SimpleNamespace:
    return SimpleNamespace(name=name, parameter=parameter, n=n,
                           range=tuple(Fraction(r) for r in rng),
                           variables=[f"x{i}" for i in range(n)], equilibrium_guesses=[])


def _mat(rows: list[list], like: Sequence) -> arb_mat | acb_mat:
    """arb_mat, or acb_mat as soon as one input is complex."""
    cplx = any(isinstance(m, acb_mat) for m in like)
    return acb_mat(rows) if cplx else arb_mat(rows)


def _lift(m, cplx: bool):
    return acb_mat(m) if cplx and isinstance(m, arb_mat) else m


# ---------------------------------------------------------------- SymPy based
def _ball_eval(e: sp.Expr, env: dict):
    if e.is_Symbol:
        return env[e]
    if e.is_Integer:
        return arb(int(e))
    if e.is_Rational:
        return arb(int(e.p)) / int(e.q)
    if e.is_Add or e.is_Mul:
        vals = [_ball_eval(t, env) for t in e.args]
        out = vals[0]
        for v in vals[1:]:
            out = out + v if e.is_Add else out * v
        return out
    if e.is_Pow and e.exp.is_Integer:
        base, k = _ball_eval(e.base, env), int(e.exp)
        out = base
        for _ in range(abs(k) - 1):
            out = out * base
        return out if k > 0 else 1 / out
    if isinstance(e, sp.tanh):
        return _ball_eval(e.args[0], env).tanh()
    raise NotImplementedError(e)


class _SympyFlt:
    def __init__(self, d: "SympySystem"):
        args = [*d.xs, d.a]
        self._f = sp.lambdify(args, d.f, "numpy")
        self._J = sp.lambdify(args, d.J, "numpy")
        self._fa = sp.lambdify(args, d.fa, "numpy")
        self._Ja = sp.lambdify(args, d.Ja, "numpy")
        self._H = sp.lambdify(args, d.H, "numpy")
        self._T = sp.lambdify(args, d.T, "numpy")

    def f(self, x, a):
        return np.array(self._f(*x, a), dtype=float).reshape(-1)

    def Df(self, x, a):
        return np.array(self._J(*x, a), dtype=float)

    def f_a(self, x, a):
        return np.array(self._fa(*x, a), dtype=float).reshape(-1)

    def Df_a(self, x, a):
        return np.array(self._Ja(*x, a), dtype=float)

    def B(self, x, a, u, v):
        return np.einsum("ijk,j,k...->i...", np.array(self._H(*x, a), dtype=float), u, v)

    def C(self, x, a, u, v, w):
        return np.einsum("ijkl,j,k,l...->i...", np.array(self._T(*x, a), dtype=float), u, v, w)


class _SympyBall:
    def __init__(self, d: "SympySystem"):
        self.d = d

    def _env(self, x, a):
        return {**{s: x[i, 0] for i, s in enumerate(self.d.xs)}, self.d.a: arb(a)}

    def _ev(self, exprs, x, a):
        env = self._env(x, a)
        return [_ball_eval(e, env) for e in exprs]

    def f(self, x, a):
        return arb_mat([[v] for v in self._ev(self.d.f, x, a)])

    def Df(self, x, a):
        n = self.d.n
        vals = self._ev(list(self.d.J), x, a)
        return arb_mat([vals[i * n:(i + 1) * n] for i in range(n)])

    def f_a(self, x, a):
        return arb_mat([[v] for v in self._ev(self.d.fa, x, a)])

    def Df_a(self, x, a):
        n = self.d.n
        vals = self._ev(list(self.d.Ja), x, a)
        return arb_mat([vals[i * n:(i + 1) * n] for i in range(n)])

    def B(self, x, a, u, v):
        n, env = self.d.n, self._env(x, a)
        cplx = isinstance(u, acb_mat) or isinstance(v, acb_mat)
        rows = []
        for i in range(n):
            Hi = arb_mat([[_ball_eval(self.d.H[i][j][k], env) for k in range(n)] for j in range(n)])
            rows.append((_lift(u, cplx).transpose() * _lift(Hi, cplx) * _lift(v, cplx)).entries())
        return _mat(rows, [u, v])

    def C(self, x, a, u, v, w):
        n, env = self.d.n, self._env(x, a)
        cplx = any(isinstance(m, acb_mat) for m in (u, v, w))
        rows = []
        for i in range(n):
            Ti = [[0] * n for _ in range(n)]  # Ti[j][l] = sum_k T_ijkl v_k
            for j in range(n):
                for l in range(n):
                    Ti[j][l] = sum((_ball_eval(self.d.T[i][j][k][l], env) * v[k, 0] for k in range(n)),
                                   arb(0))
            Tm = _mat(Ti, [v]) if cplx else arb_mat(Ti)
            rows.append((_lift(u, cplx).transpose() * _lift(Tm, cplx) * _lift(w, cplx)).entries())
        return _mat(rows, [u, v, w])


class SympySystem:
    """A small ODE x' = f(x, a) from SymPy strings in x0, x1, ... and ``a``."""

    def __init__(self, rhs: Sequence[str], name: str = "sympy-fake", rng=(0.0, 1.0)):
        self.n = len(rhs)
        self.xs = sp.symbols(f"x0:{self.n}")
        self.a = sp.Symbol("a")
        loc = {str(s): s for s in self.xs} | {"a": self.a}
        self.f = [sp.expand(sp.sympify(r, locals=loc)) for r in rhs]
        n, X = self.n, self.xs
        self.J = sp.Matrix(n, n, lambda i, j: sp.diff(self.f[i], X[j]))
        self.fa = [sp.diff(fi, self.a) for fi in self.f]
        self.Ja = self.J.diff(self.a)
        self.H = [[[sp.diff(self.f[i], X[j], X[k]) for k in range(n)] for j in range(n)] for i in range(n)]
        self.T = [[[[sp.diff(self.H[i][j][k], X[l]) for l in range(n)] for k in range(n)] for j in range(n)]
                  for i in range(n)]
        self.model = _model(name, "a", n, rng)
        self.flt = _SympyFlt(self)
        self._ball = _SympyBall(self)

    def ball(self, prec: int) -> _SympyBall:
        return self._ball


# ---------------------------------------------------------------- tanh nets
def _s_derivs_np(y):
    t = np.tanh(y)
    s1 = 1 - t * t
    return t, s1, -2 * t * s1, s1 * (6 * t * t - 2)


def _s_derivs_ball(y: arb_mat):
    out = [[], [], [], []]
    for i in range(y.nrows()):
        t = y[i, 0].tanh()
        s1 = 1 - t * t
        for k, v in enumerate((t, s1, -2 * t * s1, s1 * (6 * t * t - 2))):
            out[k].append(v)
    return out


class _NetFlt:
    def __init__(self, net: "NetSystem"):
        self.net = net

    def _M(self, a):
        return self.net.W + a * np.eye(self.net.n)

    def f(self, x, a):
        M, b = self._M(a), self.net.b
        return np.tanh(M @ x + b) if self.net.asym else -x + M @ np.tanh(x) + b

    def Df(self, x, a):
        M = self._M(a)
        if self.net.asym:
            return _s_derivs_np(M @ x + self.net.b)[1][:, None] * M
        return -np.eye(self.net.n) + M * _s_derivs_np(x)[1][None, :]

    def f_a(self, x, a):
        if self.net.asym:
            return _s_derivs_np(self._M(a) @ x + self.net.b)[1] * x
        return np.tanh(x)

    def Df_a(self, x, a):
        M = self._M(a)
        if self.net.asym:
            _, s1, s2, _ = _s_derivs_np(M @ x + self.net.b)
            return (s2 * x)[:, None] * M + np.diag(s1)
        return np.diag(_s_derivs_np(x)[1])

    def _prod(self, x, a, k, vecs):
        """The structured B (k = 2) or C (k = 3); the last vector may be (n, m)."""
        M, last = self._M(a), vecs[-1]
        V = last.reshape(self.net.n, -1)
        if self.net.asym:
            out = _s_derivs_np(M @ x + self.net.b)[k][:, None] * (M @ V)
            for v in vecs[:-1]:
                out = out * (M @ v)[:, None]
        else:
            out = _s_derivs_np(x)[k][:, None] * V
            for v in vecs[:-1]:
                out = out * v[:, None]
            out = M @ out
        return out.reshape(last.shape)

    def B(self, x, a, u, v):
        return self._prod(x, a, 2, [u, v])

    def C(self, x, a, u, v, w):
        return self._prod(x, a, 3, [u, v, w])


class _NetBall:
    def __init__(self, net: "NetSystem"):
        self.net = net
        self.W = arb_mat(net.W.tolist())
        self.b = arb_mat([[float(v)] for v in net.b])

    def _M(self, a):
        M = arb_mat(self.W)
        for i in range(self.net.n):
            M[i, i] += a
        return M

    def _y(self, x, a):
        return self._M(a) * x + self.b

    def f(self, x, a):
        if self.net.asym:
            return arb_mat([[v] for v in _s_derivs_ball(self._y(x, a))[0]])
        return -x + self._M(a) * arb_mat([[v] for v in _s_derivs_ball(x)[0]]) + self.b

    def Df(self, x, a):
        n, M = self.net.n, self._M(a)
        if self.net.asym:
            s1 = _s_derivs_ball(self._y(x, a))[1]
            return arb_mat([[s1[i] * M[i, j] for j in range(n)] for i in range(n)])
        s1 = _s_derivs_ball(x)[1]
        return arb_mat([[M[i, j] * s1[j] - (1 if i == j else 0) for j in range(n)] for i in range(n)])

    def f_a(self, x, a):
        if self.net.asym:
            s1 = _s_derivs_ball(self._y(x, a))[1]
            return arb_mat([[s1[i] * x[i, 0]] for i in range(self.net.n)])
        return arb_mat([[v] for v in _s_derivs_ball(x)[0]])

    def Df_a(self, x, a):
        n, M = self.net.n, self._M(a)
        if self.net.asym:
            _, s1, s2, _ = _s_derivs_ball(self._y(x, a))
            return arb_mat([[s2[i] * x[i, 0] * M[i, j] + (s1[i] if i == j else 0) for j in range(n)]
                            for i in range(n)])
        s1 = _s_derivs_ball(x)[1]
        return arb_mat([[s1[i] if i == j else 0 for j in range(n)] for i in range(n)])

    def _prod(self, x, a, k, vecs):
        n, M = self.net.n, self._M(a)
        cplx = any(isinstance(v, acb_mat) for v in vecs)
        Mc = _lift(M, cplx)
        kcols = vecs[-1].ncols()
        if self.net.asym:
            s = _s_derivs_ball(self._y(x, a))[k]
            Ms = [Mc * _lift(v, cplx) for v in vecs]
            return _mat([[s[i] * _rowprod(Ms, i, c) for c in range(kcols)] for i in range(n)], vecs)
        s = _s_derivs_ball(x)[k]
        inner = _mat([[s[i] * _rowprod(vecs, i, c) for c in range(kcols)] for i in range(n)], vecs)
        return Mc * inner

    def B(self, x, a, u, v):
        return self._prod(x, a, 2, [u, v])

    def C(self, x, a, u, v, w):
        return self._prod(x, a, 3, [u, v, w])


def _rowprod(mats, i, c):
    """prod_m mats[m][i, col], the last matrix indexed at column c, the others at column 0."""
    out = mats[-1][i, c]
    for m in mats[:-1]:
        out = out * m[i, 0]
    return out


class NetSystem:
    """tanh RNN with parameter direction I: asymmetric or leaky architecture."""

    def __init__(self, W, b=None, architecture: str = "asymmetric", name: str = "net-fake"):
        self.W = np.asarray(W, dtype=float)
        self.n = self.W.shape[0]
        self.b = np.zeros(self.n) if b is None else np.asarray(b, dtype=float)
        self.asym = architecture == "asymmetric"
        self.model = _model(name, "alpha", self.n)
        self.flt = _NetFlt(self)
        self._ball = _NetBall(self)

    def ball(self, prec: int) -> _NetBall:
        return self._ball


# ------------------------------------------- mpmath definitions (for references)
def mp_field(system):
    """(f, Df) as mpmath functions of (list of mp numbers, a): only f and its Jacobian."""
    import mpmath as mp

    if isinstance(system, SympySystem):
        args = [*system.xs, system.a]
        f = sp.lambdify(args, system.f, "mpmath")
        J = sp.lambdify(args, system.J, "mpmath")
        return (lambda x, a: mp.matrix(f(*x, a)), lambda x, a: mp.matrix(J(*x, a)))
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
