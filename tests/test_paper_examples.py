"""The paper's configurations (examples/paper_*.toml): derivations and proofs, checked independently.

Derivations. The generated ball evaluators of ``symhopf.system.System`` (structured
matrix calculus, symhopf.derive) are compared to 30 digits with derivatives of the
*explicit* vector field, built component by component from the exact weights as SymPy
Rationals:

* single-layer nets with a parameter on one weight (x' = tanh((W + a E) x + b)) and a
  small 3-layer net (2 -> 3 -> 2 -> 2, non-identity E_k, non-dyadic weights): every
  partial derivative d^k f_i / dx_j ... (k <= 3) and d f_i / da by sp.diff;
* the paper's 3-layer [6, 6, 6] net: full symbolic third partials of three nested tanh
  layers swell beyond minutes in SymPy, so each component's third-order Taylor
  polynomial in (x, a) is composed layer by layer from SymPy's series of the activation
  (polynomial arithmetic at 200 bits); its coefficients are the same partials.

Proofs. n = 4 and 6: one proved Hopf point per complex pair lambda of W with
-Re(lambda) in range, its parameter, omega, mu' = 1, x* = 0 and l1 (Kuznetsov's formula
reduced by hand at x = 0: B = 0, C(q,q,qbar) = s'''(0) (Mq)^2 (M qbar)) enclose values
computed here with mpmath at 50 digits. The weight-parameter nets have Df = W + a E at
their equilibrium x* = -(W + a E)^{-1} b (there tanh' = 1, tanh'' = 0), the multilayer
net has the closed-form equilibrium x* = M1^{-1}(atanh(M2^{-1}(atanh(-M3^{-1} b3) - b2)) - b1):
the Hopf points are solved for with mpmath from det(Df - i omega I) = 0 and compared.
"""
from __future__ import annotations

import math
import random
from fractions import Fraction
from functools import lru_cache
from itertools import combinations_with_replacement
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from flint import arb, arb_mat, ctx, fmpq

import symhopf
from symhopf.certificate import exact_fraction, interval
from symhopf.model import Model
from symhopf.system import System

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DIGITS = 30
PREC = 200            # bits for the ball evaluators (~60 digits)


class T(sp.Function):
    """tanh without SymPy's automatic evaluation (slow on long arguments); T' = 1 - T^2."""

    def fdiff(self, argindex=1):
        return 1 - T(self.args[0]) ** 2


def _model(name: str) -> Model:
    return Model.from_toml(EXAMPLES / f"{name}.toml")


def _rational_matrix(arr) -> sp.Matrix:
    rows, cols = arr.shape if len(arr.shape) == 2 else (arr.shape[0], 1)
    return sp.Matrix(rows, cols, [sp.Rational(q.numerator, q.denominator) for q in arr.fractions()])


def _layers(model: Model) -> list[tuple[sp.Matrix, sp.Matrix, sp.Matrix]]:
    """(W_k, E_k, b_k) as exact SymPy matrices, in the order they act on x."""
    suffixes = model.architecture.suffixes(model.layers)
    return [tuple(_rational_matrix(model.data[k + s]) for k in "WEb") for s in suffixes]


def _field(model: Model, x: sp.Matrix, a: sp.Expr, act=T) -> sp.Matrix:
    """The explicit vector field, component by component: act((W_k + a E_k) y + b_k), layer after layer."""
    assert model.architecture.name in ("asymmetric", "multilayer")
    y = x
    for W, E, b in _layers(model):
        y = ((W + a * E) * y + b).applyfunc(act)
    return y


# ------------------------------------------------------------------ random points
def _dyadic(rng: random.Random, scale: float = 0.5) -> Fraction:
    return Fraction(rng.randint(-1024, 1024), 1024) * Fraction(scale)


def _points(n: int, count: int, seed: int, a_range: tuple[Fraction, Fraction]):
    """(x, a, u, v, w) with dyadic rational entries: exact in float64 and in balls."""
    rng = random.Random(seed)
    lo, hi = a_range
    for _ in range(count):
        x, u, v, w = ([_dyadic(rng) for _ in range(n)] for _ in range(4))
        a = lo + (hi - lo) * Fraction(rng.randint(0, 1024), 1024)
        yield x, a, u, v, w


# ------------------------------------------------------------------ reference derivatives
def _symbolic_partials(model: Model):
    """f, f_a, Df, Df_a and the tensors of second and third partials, by sp.diff, as mpmath functions.

    The weights and biases enter as symbols (substituted by their exact values, at 50+
    digits, only when evaluating): with the float64 weights of a random net written as
    Rationals the derivative expressions would carry 30-digit fractions and be slow.
    """
    n = model.n
    xs = sp.symbols(f"x1:{n + 1}")      # no assumptions: SymPy's assumption queries are slow
    a = sp.Symbol("a")
    values: dict[sp.Symbol, sp.Rational] = {}
    layers = []
    for k, (W, E, b) in enumerate(_layers(model)):
        Ws = sp.Matrix(W.rows, W.cols, lambda i, j: sp.Symbol(f"w{k}_{i}_{j}"))
        bs = sp.Matrix(b.rows, 1, lambda i, j: sp.Symbol(f"b{k}_{i}"))
        values.update({Ws[i, j]: W[i, j] for i in range(W.rows) for j in range(W.cols)})
        values.update({bs[i]: b[i] for i in range(b.rows)})
        layers.append((Ws, E, bs))
    y = sp.Matrix(xs)
    for W, E, b in layers:
        y = ((W + a * E) * y + b).applyfunc(T)
    f = y
    J = f.jacobian(xs)
    H = {(i, j, k): sp.diff(J[i, j], xs[k]) for i in range(n) for j, k in combinations_with_replacement(range(n), 2)}
    C = {(i, j, k, l): sp.diff(H[i, j, k], xs[l])
         for i in range(n) for j, k, l in combinations_with_replacement(range(n), 3)}
    exprs = {"f": list(f), "f_a": list(f.diff(a)), "Df": list(J), "Df_a": list(J.diff(a)),
             "H": list(H.values()), "C": list(C.values())}
    keys = {"H": list(H), "C": list(C)}
    flat = [e for v in exprs.values() for e in v]
    data_syms = list(values)
    fn = sp.lambdify([*xs, a, *data_syms], flat, modules=[{"T": mp.tanh}, "mpmath"], cse=True)
    data = [mp.mpf(int(values[s].p)) / int(values[s].q) for s in data_syms]
    sizes = [(k, len(v)) for k, v in exprs.items()]

    def evaluate(x, av, u, v, w):
        vals = fn(*[mp.mpf(q.numerator) / q.denominator for q in (*x, av)], *data)
        out, pos = {}, 0
        for k, m in sizes:
            out[k] = vals[pos:pos + m]
            pos += m
        D = {"f": out["f"], "f_a": out["f_a"],
             "Df": [out["Df"][i * n:(i + 1) * n] for i in range(n)],
             "Df_a": [out["Df_a"][i * n:(i + 1) * n] for i in range(n)],
             "H": {}, "C": {}}
        for name in ("H", "C"):
            for key, val in zip(keys[name], out[name]):
                i, idx = key[0], key[1:]
                for perm in _perms(idx):
                    D[name][(i, *perm)] = val
        r = lambda q: mp.mpf(q.numerator) / q.denominator  # noqa: E731
        D["B"] = [sum(D["H"][(i, j, k)] * r(u[j]) * r(v[k]) for j in range(n) for k in range(n)) for i in range(n)]
        D["C"] = [sum(D["C"][(i, j, k, l)] * r(u[j]) * r(v[k]) * r(w[l]) for j in range(n) for k in range(n)
                      for l in range(n)) for i in range(n)]
        return D

    return evaluate


def _perms(idx):
    from itertools import permutations
    return set(permutations(idx))


def _jet_mul(p: dict, q: dict, maxdeg: int) -> dict:
    """Product of two multilinear jets {bitmask of variables: coefficient}, dropping squares and degree > maxdeg."""
    out: dict[int, mp.mpf] = {}
    for m1, c1 in p.items():
        for m2, c2 in q.items():
            if m1 & m2 == 0 and bin(m1 | m2).count("1") <= maxdeg:
                out[m1 | m2] = out.get(m1 | m2, 0) + c1 * c2
    return out


def _jet_add(p: dict, q: dict, scale=1) -> dict:
    out = dict(p)
    for m, c in q.items():
        out[m] = out.get(m, 0) + scale * c
    return out


def _jet_field(model: Model, x0, a0, directions, a_var: int | None, maxdeg: int):
    """Each component of the explicit field at x0 + sum_k t_k directions[k], a0 + t_a, as a multilinear jet.

    The coefficient of t_{k1} ... t_{kj} (distinct k) is the mixed partial d^j / dt_{k1} ... dt_{kj} at 0,
    i.e. D^j f(x0, a0)[directions...] (with d/da for t_a); squares t_k^2 never feed those
    coefficients, so dropping them is exact. Layer by layer: z = (W + a E) y + b
    componentwise, then s(z) = sum_k s^(k)(c)/k! (z - c)^k with c the constant term and
    s^(k) derived by SymPy.
    """
    z = sp.Symbol("z")
    act = [sp.lambdify(z, sp.diff(sp.tanh(z), z, k), "mpmath") for k in range(maxdeg + 1)]
    n = model.n
    y = [{0: mp.mpf(x0[j].numerator) / x0[j].denominator} for j in range(n)]
    for j in range(n):
        for k, d in enumerate(directions):
            if d[j] != 0:
                y[j][1 << k] = mp.mpf(d[j].numerator) / d[j].denominator
    av = {0: mp.mpf(a0.numerator) / a0.denominator}
    if a_var is not None:
        av[1 << a_var] = mp.mpf(1)
    for W, E, b in _layers(model):
        zs = []
        for i in range(W.rows):
            zi = {0: mp.mpf(int(b[i].p)) / int(b[i].q)}
            for j in range(W.cols):
                if W[i, j] == 0 and E[i, j] == 0:
                    continue
                coef = _jet_add({0: mp.mpf(int(W[i, j].p)) / int(W[i, j].q)}, av, mp.mpf(int(E[i, j].p)) / int(E[i, j].q))
                zi = _jet_add(zi, _jet_mul(coef, y[j], maxdeg))
            zs.append(zi)
        y = []
        for zi in zs:
            c = zi.get(0, mp.mpf(0))
            d = {m: v for m, v in zi.items() if m != 0}
            out, dk = {}, {0: mp.mpf(1)}
            for k in range(maxdeg + 1):
                out = _jet_add(out, dk, act[k](c) / math.factorial(k))
                dk = _jet_mul(dk, d, maxdeg)
            y.append(out)
    return y


def _taylor_partials(model: Model):
    """Reference values from multilinear Taylor jets of each component (:func:`_jet_field`).

    Returns a function of (x, a, u, v, w) giving f, f_a, Df, Df_a and B(u, v), C(u, v, w).
    """
    n = model.n

    def evaluate(x, a, u, v, w):
        # directions u, v, w and the parameter: f, B(u,v), C(u,v,w), f_a
        jets = _jet_field(model, x, a, [u, v, w], a_var=3, maxdeg=3)
        U, V, Wd, A = 1, 2, 4, 8
        # unit directions and the parameter: the full Df and Df_a
        unit = [[Fraction(int(i == j)) for i in range(n)] for j in range(n)]
        cols = _jet_field(model, x, a, unit, a_var=n, maxdeg=2)
        return {"f": [j.get(0, 0) for j in jets], "f_a": [j.get(A, 0) for j in jets],
                "B": [j.get(U | V, 0) for j in jets], "C": [j.get(U | V | Wd, 0) for j in jets],
                "Df": [[cols[i].get(1 << j, 0) for j in range(n)] for i in range(n)],
                "Df_a": [[cols[i].get((1 << j) | (1 << n), 0) for j in range(n)] for i in range(n)]}

    return evaluate


# ------------------------------------------------------------------ comparison with the generated code
def _col(values) -> arb_mat:
    return arb_mat([[arb(fmpq(q.numerator, q.denominator))] for q in values])


def _mpf(x: arb) -> mp.mpf:
    q = exact_fraction(x.mid())
    return mp.mpf(q.numerator) / q.denominator


def _close(ball: arb, ref, what: str) -> None:
    ref = mp.mpf(ref)
    tol = mp.mpf(10) ** -DIGITS * (1 + abs(ref))
    assert float(ball.rad()) < tol, f"{what}: ball too wide ({ball})"
    assert abs(_mpf(ball) - ref) <= tol, f"{what}: generated {ball} vs componentwise reference {mp.nstr(ref, 35)}"


def _compare(system: System, ref_fn, points) -> int:
    n = system.n
    ball = system.ball(PREC)
    checked = 0
    for x, a, u, v, w in points:
        R = ref_fn(x, a, u, v, w)
        B_ref, C_ref = R["B"], R["C"]
        Dfu_ref = [sum(R["Df"][i][j] * u[j] for j in range(n)) for i in range(n)]
        with ctx.workprec(PREC):
            X, A = _col(x), arb(fmpq(a.numerator, a.denominator))
            U, V, W = _col(u), _col(v), _col(w)
            got = {"f": ball.f(X, A), "f_a": ball.f_a(X, A), "Df": ball.Df(X, A), "Df_a": ball.Df_a(X, A),
                   "B": ball.B(X, A, U, V), "C": ball.C(X, A, U, V, W)}
            for i in range(n):
                _close(got["f"][i, 0], R["f"][i], f"f[{i}]")
                _close(got["f_a"][i, 0], R["f_a"][i], f"f_a[{i}]")
                _close(got["B"][i, 0], B_ref[i], f"B[{i}]")
                _close(got["C"][i, 0], C_ref[i], f"C[{i}]")
                for j in range(n):
                    _close(got["Df"][i, j], R["Df"][i][j], f"Df[{i},{j}]")
                    _close(got["Df_a"][i, j], R["Df_a"][i][j], f"Df_a[{i},{j}]")
        # the float evaluator: same values to double precision
        xf, uf, vf, wf = (np.array([float(q) for q in t]) for t in (x, u, v, w))
        flt = system.flt
        ref = {"f": R["f"], "f_a": R["f_a"], "Dfu": Dfu_ref, "B": B_ref, "C": C_ref}
        got_f = {"f": flt.f(xf, float(a)), "f_a": flt.f_a(xf, float(a)), "Dfu": flt.Df(xf, float(a)) @ uf,
                 "B": flt.B(xf, float(a), uf, vf), "C": flt.C(xf, float(a), uf, vf, wf)}
        for key, val in got_f.items():
            r = np.array([float(t) for t in ref[key]])
            assert np.allclose(np.real(val), r, rtol=1e-11, atol=1e-12 * (1 + np.max(np.abs(r)))), key
        checked += 1
    return checked


SMALL_MULTILAYER = {
    "name": "small-multilayer",
    "rnn": {
        "architecture": "multilayer", "activation": "tanh", "parameter": "a",
        "layers": [
            {"weights": [["3/7", "-1/3"], ["5/4", "2/9"], ["-7/10", "1/6"]],
             "parameter_direction": [[1, 0], [0, "1/2"], ["1/3", 1]], "bias": ["1/10", "-1/5", "3/10"]},
            {"weights": [["2/3", "-1", "1/5"], ["-3/4", "1/2", "5/6"]],
             "parameter_direction": [[0, 1, 0], [-1, 0, 0]], "bias": ["-1/7", "1/9"]},
            {"weights": [["1/2", "-4/3"], ["6/5", "1/4"]], "bias": ["1/8", "-3/11"]},
        ],
    },
    "search": {"range": [-1, 1]},
}


def test_small_multilayer_against_componentwise_partials():
    model = Model.from_dict(SMALL_MULTILAYER)
    assert model.dims == [2, 3, 2, 2]
    assert _compare(System.from_model(model), _symbolic_partials(model), _points(2, 3, 1, (-1, 1))) == 3


@pytest.mark.parametrize("name", ["paper_weight_diagonal", "paper_weight_antisymmetric"])
def test_weight_parameter_against_componentwise_partials(name):
    model = _model(name)
    assert not model.direction_is_identity("")
    assert _compare(System.from_model(model), _symbolic_partials(model), _points(6, 2, 2, model.range)) == 2


def test_paper_multilayer_against_componentwise_taylor():
    model = _model("paper_multilayer")
    assert model.dims == [6, 6, 6, 6]
    assert _compare(System.from_model(model), _taylor_partials(model), _points(6, 2, 3, model.range)) == 2


def test_taylor_and_symbolic_partials_agree():
    """The two reference methods agree with each other (small net, 40 digits)."""
    model = Model.from_dict(SMALL_MULTILAYER)
    sym, tay = _symbolic_partials(model), _taylor_partials(model)
    x, a = [Fraction(1, 3), Fraction(-2, 5)], Fraction(1, 4)
    u, v, w = [Fraction(1, 2), Fraction(-3, 4)], [Fraction(5, 7), Fraction(1, 9)], [Fraction(-1, 3), Fraction(2)]
    S, Tq = sym(x, a, u, v, w), tay(x, a, u, v, w)
    for key in ("f", "f_a", "B", "C"):
        assert all(abs(s - t) < 1e-40 for s, t in zip(S[key], Tq[key])), key
    for key in ("Df", "Df_a"):
        assert all(abs(s - t) < 1e-40 for rs, rt in zip(S[key], Tq[key]) for s, t in zip(rs, rt)), key


# ------------------------------------------------------------------ proofs
mp.mp.dps = 50


def _contains(pair, value, what: str) -> None:
    lo, hi = interval(pair)
    v = Fraction(mp.nstr(value, 48)) if isinstance(value, mp.mpf) else Fraction(value)
    assert lo <= v <= hi, f"{what}: {mp.nstr(value, 25)} not in [{pair[0]}, {pair[1]}]"


def _mp_exact(m: sp.Matrix) -> mp.matrix:
    return mp.matrix([[mp.mpf(int(t.p)) / int(t.q) for t in m.row(i)] for i in range(m.rows)])


def _mp_matrix(arr: np.ndarray) -> mp.matrix:
    return mp.matrix([[mp.mpf(float(v)) for v in row] for row in arr])


def _eig_pair(A: mp.matrix, target: complex):
    """lambda, q, p for the eigenvalue of A nearest target: A q = lambda q, A^T p = conj(lambda) p,
    <q,q> = 1, <p,q> = 1 (<u,v> = conj(u)^T v)."""
    n = A.rows
    ev, R = mp.eig(A)
    k = min(range(n), key=lambda i: abs(ev[i] - target))
    lam, q = ev[k], R[:, k]
    q = q / mp.sqrt(sum(abs(t) ** 2 for t in q))
    evT, RT = mp.eig(A.T)
    kT = min(range(n), key=lambda i: abs(evT[i] - mp.conj(lam)))
    p = RT[:, kT]
    pq = sum(mp.conj(p[i]) * q[i] for i in range(n))
    p = p / mp.conj(pq)
    return lam, q, p


def _tanh_l1(M: mp.matrix, omega, q, p):
    """l1 for tanh at a point with M x* + b = 0: B = 0, C(q,q,qbar)_i = -2 (Mq)_i^2 conj(Mq)_i."""
    n = M.rows
    Mq = M * q
    Cqqq = [-2 * Mq[i] ** 2 * mp.conj(Mq[i]) for i in range(n)]
    return mp.re(sum(mp.conj(p[i]) * Cqqq[i] for i in range(n))) / (2 * omega)


@lru_cache(maxsize=None)
def _certificate(name: str):
    return symhopf.prove(_model(name))


@pytest.mark.parametrize("name", ["paper_n4", "paper_n6"])
def test_asymmetric_random_all_hopf_points_proved(name):
    model = _model(name)
    cert = _certificate(name)
    W = _mp_matrix(model.data["W"].values)
    ev, _ = mp.eig(W)
    lo, hi = (mp.mpf(q.numerator) / q.denominator for q in model.range)
    pairs = sorted((lam for lam in ev if mp.im(lam) > 0 and lo < -mp.re(lam) < hi), key=lambda l: -mp.re(l))
    assert len(pairs) >= 1
    assert len(cert.hopf_points) == len(pairs)
    assert all(p.status == "proved" for p in cert.hopf_points)
    n = model.n
    for p, lam in zip(cert.hopf_points, pairs):
        a_star = -mp.re(lam)
        _contains(p.parameter, a_star, "alpha*")
        _contains(p.omega, mp.im(lam), "omega")
        _contains(p.transversality, 1, "mu'")
        for xi in p.x:
            _contains(xi, 0, "x*")
        M = W + a_star * mp.eye(n)
        _, q, pv = _eig_pair(M, 1j * mp.im(lam))
        l1 = _tanh_l1(M, mp.im(lam), q, pv)
        _contains(p.first_lyapunov, l1, "l1")
        assert p.criticality == ("supercritical" if l1 < 0 else "subcritical")


@pytest.mark.parametrize("name", ["paper_weight_diagonal", "paper_weight_antisymmetric"])
def test_weight_parameter_proofs(name):
    model = _model(name)
    cert = _certificate(name)
    proved = [p for p in cert.hopf_points if p.status == "proved"]
    assert proved
    W = _mp_matrix(model.data["W"].values)
    _, E, b = (_mp_exact(m) for m in _layers(model)[0])
    n = model.n
    for p in proved:
        a0 = float((interval(p.parameter)[0] + interval(p.parameter)[1]) / 2)
        w0 = float((interval(p.omega)[0] + interval(p.omega)[1]) / 2)

        def eqs(a, w):
            d = mp.det(W + a * E - 1j * w * mp.eye(n))
            return [mp.re(d), mp.im(d)]

        a_star, w_star = mp.findroot(eqs, (mp.mpf(a0), mp.mpf(w0)))
        _contains(p.parameter, a_star, "alpha*")
        _contains(p.omega, w_star, "omega")
        M = W + a_star * E
        x_star = -mp.lu_solve(M, b)
        for xi, v in zip(p.x, x_star):
            _contains(xi, v, "x*")
        assert max(abs(v) for v in x_star) > 1e-3       # the bias moved the equilibrium off 0
        _, q, pv = _eig_pair(M, 1j * w_star)
        _contains(p.first_lyapunov, _tanh_l1(M, w_star, q, pv), "l1")
        mu = mp.re(sum(mp.conj(pv[i]) * (E * q)[i] for i in range(n)))   # D_a Df = E, B = 0
        _contains(p.transversality, mu, "mu'")


def _multilayer_equilibrium(Ms, bs, n):
    """x* with tanh(M3 tanh(M2 tanh(M1 x + b1) + b2) + b3) = 0, solving layer by layer."""
    y = -mp.lu_solve(Ms[2], bs[2])
    for k in (1, 0):
        y = mp.lu_solve(Ms[k], mp.matrix([mp.atanh(t) for t in y]) - bs[k])
    return y


def _multilayer_jacobian(Ms, bs, x, n):
    J, y = mp.eye(n), x
    for M, b in zip(Ms, bs):
        z = M * y + b
        J = mp.diag([1 - mp.tanh(t) ** 2 for t in z]) * M * J
        y = mp.matrix([mp.tanh(t) for t in z])
    return J


def test_multilayer_proofs():
    model = _model("paper_multilayer")
    cert = _certificate("paper_multilayer")
    proved = [p for p in cert.hopf_points if p.status == "proved"]
    assert proved
    n = model.n
    layers = [tuple(_mp_exact(m) for m in layer) for layer in _layers(model)]

    def mats(a):
        return [W + a * E for W, E, _ in layers], [b for _, _, b in layers]

    for p in proved:
        a0 = float((interval(p.parameter)[0] + interval(p.parameter)[1]) / 2)
        w0 = float((interval(p.omega)[0] + interval(p.omega)[1]) / 2)

        def eqs(a, w):
            Ms, bs = mats(a)
            J = _multilayer_jacobian(Ms, bs, _multilayer_equilibrium(Ms, bs, n), n)
            d = mp.det(J - 1j * w * mp.eye(n))
            return [mp.re(d), mp.im(d)]

        a_star, w_star = mp.findroot(eqs, (mp.mpf(a0), mp.mpf(w0)))
        _contains(p.parameter, a_star, "alpha*")
        _contains(p.omega, w_star, "omega")
        Ms, bs = mats(a_star)
        for xi, v in zip(p.x, _multilayer_equilibrium(Ms, bs, n)):
            _contains(xi, v, "x*")
