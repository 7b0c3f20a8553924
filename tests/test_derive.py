"""The SymPy derivation against hand-derived formulas and against the componentwise
derivation of the same vector field (issue 3)."""
import json
import random
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from symhopf.calculus import Act, to_explicit
from symhopf.cli import main
from symhopf.derive import N, derive
from symhopf.model import Z, Model

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
RNN_FORMULAS = ["f", "Df", "f_a", "Df_a", "B", "C"]
ODE_FORMULAS = ["f", "Df", "f_a", "Df_a", "B_u", "C_uv"]


def R(*names):
    return sp.symbols(names, real=True)


def is_zero_matrix(m: sp.Matrix) -> bool:
    return all(sp.expand(e) == 0 for e in m)


# ---------------------------------------------------------------- hand-derived: ODEs
def test_brusselator_by_hand():
    d = derive(Model.from_toml(EXAMPLES / "brusselator.toml"))
    x, y, b = R("x", "y", "b")
    u1, u2 = d.symbols["u"]
    v1, v2 = d.symbols["v"]
    assert d.parameter == b and d.symbols["x"] == [x, y]
    # x' = 1 - (b + 1) x + x^2 y,  y' = b x - x^2 y   (a = 1)
    f = sp.Matrix([1 - (b + 1) * x + x**2 * y, b * x - x**2 * y])
    jac = sp.Matrix([[-(b + 1) + 2 * x * y, x**2], [b - 2 * x * y, -x**2]])
    b_u = sp.Matrix([[2 * y * u1 + 2 * x * u2, 2 * x * u1], [-2 * y * u1 - 2 * x * u2, -2 * x * u1]])
    c_uv = sp.Matrix([[2 * (u1 * v2 + u2 * v1), 2 * u1 * v1], [-2 * (u1 * v2 + u2 * v1), -2 * u1 * v1]])
    expected = {"f": f, "Df": jac, "f_a": sp.Matrix([-x, x]), "Df_a": sp.Matrix([[-1, 0], [1, 0]]),
                "B_u": b_u, "C_uv": c_uv}
    for name, want in expected.items():
        assert is_zero_matrix(d[name] - want), name
    # Hopf at b = 1 + a^2 = 2, x* = (1, 2): trace 0, det = a^2 = 1 -> w = 1
    A = d["Df"].subs({x: 1, y: 2, b: 2})
    assert A.trace() == 0 and A.det() == 1


def test_lorenz_by_hand():
    d = derive(Model.from_toml(EXAMPLES / "lorenz.toml"))
    x, y, z, rho = R("x", "y", "z", "rho")
    u1, u2, u3 = d.symbols["u"]
    jac = sp.Matrix([[-10, 10, 0], [rho - z, -1, -x], [y, x, -sp.Rational(8, 3)]])
    b_u = sp.Matrix([[0, 0, 0], [-u3, 0, -u1], [u2, u1, 0]])
    assert is_zero_matrix(d["Df"] - jac)
    assert is_zero_matrix(d["B_u"] - b_u)
    assert is_zero_matrix(d["C_uv"])
    assert is_zero_matrix(d["f_a"] - sp.Matrix([0, x, 0]))
    assert is_zero_matrix(d["Df_a"] - sp.Matrix([[0, 0, 0], [1, 0, 0], [0, 0, 0]]))
    assert d["Df"][2, 2] == -sp.Rational(8, 3)   # beta = "8/3" stays exact


# ---------------------------------------------------------------- hand-derived: 2-neuron tanh net
def _canonical(m: sp.Matrix) -> sp.Matrix:
    """tanh arguments expanded, then everything expanded: equal formulas give equal results."""
    m = m.applyfunc(lambda e: e.replace(sp.tanh, lambda arg: sp.tanh(sp.expand(arg))))
    return m.applyfunc(sp.expand)


def test_two_neuron_tanh_net_by_hand():
    model = Model.rnn("asymmetric", weights=[[0, 1], [-1, 0]], bias=[1, 2], parameter="a")
    d = derive(model)
    a = d.parameter
    w11, w12, w21, w22, b1, b2, x1, x2 = R("w11", "w12", "w21", "w22", "b1", "b2", "x1", "x2")
    us, vs, ws = (sp.Matrix(R(f"{c}1", f"{c}2")) for c in "uvw")
    W, b, x = sp.Matrix([[w11, w12], [w21, w22]]), sp.Matrix([b1, b2]), sp.Matrix([x1, x2])
    s = d.symbols
    values = {s["x"]: x, s["u"]: us, s["v"]: vs, s["w"]: ws, s["W"]: W, s["b"]: b, N: 2}
    # hand-derived: M = W + a I, y = M x + b, s = tanh
    M = W + a * sp.eye(2)
    y = M * x + b
    t = y.applyfunc(sp.tanh)
    s1 = t.applyfunc(lambda q: 1 - q**2)
    s2 = t.applyfunc(lambda q: -2 * q * (1 - q**2))
    s3 = t.applyfunc(lambda q: -2 * (1 - q**2) * (1 - 3 * q**2))
    had = sp.Matrix.multiply_elementwise
    expected = {
        "f": t,
        "Df": sp.diag(*s1) * M * us,                                       # diag(s'(y)) M u
        "f_a": had(s1, x),                                                 # s'(y) o (I x)
        "Df_a": had(had(s2, x), M * us) + had(s1, us),
        "B": had(had(s2, M * us), M * vs),                                 # s''(y) o Mu o Mv
        "C": had(had(had(s3, M * us), M * vs), M * ws),                    # s'''(y) o Mu o Mv o Mw
    }
    for name, want in expected.items():
        got = to_explicit(d[name], values, model.activation, Z)
        assert _canonical(got - want) == sp.zeros(2, 1), name
    # the structure is the hand-written one, not an expanded sum
    for name, order in (("f", 0), ("Df", 1), ("B", 2), ("C", 3)):
        assert {act.order for act in d[name].atoms(Act)} == {order}, name
    for k, want in enumerate([sp.tanh(Z), 1 - sp.tanh(Z)**2, -2 * sp.tanh(Z) * (1 - sp.tanh(Z)**2),
                              -2 * (1 - sp.tanh(Z)**2) * (1 - 3 * sp.tanh(Z)**2)]):
        assert sp.expand(d.activation_derivatives[k] - want) == 0


# ---------------------------------------------------------------- structured vs componentwise
def rat(rng: random.Random, lo=-2, hi=2, den=16) -> sp.Rational:
    return sp.Rational(rng.randint(lo * den, hi * den), den)


def rmat(rng, rows, cols):
    return [[str(rat(rng)) for _ in range(cols)] for _ in range(rows)]


def rvec(rng, n):
    return [str(rat(rng)) for _ in range(n)]


def exact(arr) -> sp.Matrix:
    shape = arr.shape if len(arr.shape) == 2 else (arr.shape[0], 1)
    return sp.Matrix(*shape, [sp.Rational(q.numerator, q.denominator) for q in arr.fractions()])


def componentwise(model: Model, a: sp.Symbol, xs: list) -> sp.Matrix:
    """The vector field written out entry by entry (independent of symhopf.derive)."""
    act = lambda m: m.applyfunc(lambda e: model.activation.xreplace({Z: e}))  # noqa: E731
    x = sp.Matrix(xs)
    D = {k: exact(v) for k, v in model.data.items()}
    if model.architecture.name == "asymmetric":
        return act((D["W"] + a * D["E"]) * x + D["b"])
    if model.architecture.name == "leaky":
        return -x + (D["W"] + a * D["E"]) * act(x) + D["b"]
    for k in range(1, model.layers + 1):
        x = act((D[f"W{k}"] + a * D[f"E{k}"]) * x + D[f"b{k}"])
    return x


def check_structured_vs_componentwise(model: Model, seed: int, swap: dict | None = None):
    rng = random.Random(seed)
    n = model.n
    d = derive(model)
    a = d.parameter
    xs = sp.symbols(f"x1:{n + 1}", real=True)
    # random rational points, as 50-digit Floats: SymPy then evaluates as it goes
    F = lambda q: sp.Float(q, 50)  # noqa: E731
    x0 = sp.Matrix([F(rat(rng, -1, 1)) for _ in range(n)])
    a0 = F(rat(rng, -1, 1))
    u, v, w = (sp.Matrix([F(rat(rng)) for _ in range(n)]) for _ in range(3))
    # componentwise: SymPy differentiates the explicit f along x0 + t1 u + t2 v + t3 w
    # (D^k f[u, v, w] = d^k/dt1 dt2 dt3 at t = 0, as the multilinear forms are defined)
    t1, t2, t3 = sp.symbols("t1:4", real=True)
    f = componentwise(model, a, list(xs))
    g = f.xreplace(dict(zip(xs, x0 + t1 * u + t2 * v + t3 * w)))

    def d_at_0(e, *ts):   # d/dt_i then t_i = 0, one at a time (keeps expressions small)
        for t in ts:
            e = e.diff(t).xreplace({t: 0} if t != a else {})
        return e.xreplace({t1: 0, t2: 0, t3: 0, a: a0})

    ga = g.xreplace({a: a0})
    ref = {"f": d_at_0(ga), "Df": d_at_0(ga, t1), "f_a": d_at_0(g, a), "Df_a": d_at_0(g, t1, a),
           "B": d_at_0(ga, t1, t2), "C": d_at_0(ga, t1, t2, t3)}
    # structured: the derivation's matrix expressions, made explicit
    s = d.symbols
    values = {s["x"]: x0, s["u"]: u, s["v"]: v, s["w"]: w, a: a0, N: n}
    for name, sym in s.items():
        if name[0] in "WbE" and isinstance(sym, sp.MatrixSymbol):
            m = exact(model.data[name])
            values[sym] = m
            values.update({dim: size for dim, size in zip(sym.shape, m.shape) if isinstance(dim, sp.Symbol)})
    for name in RNN_FORMULAS:
        got = to_explicit(d[(swap or {}).get(name, name)], values, model.activation, Z).evalf(40)
        want = ref[name].evalf(40)
        assert got.shape == want.shape == (n, 1), name
        err = max(abs(g - h) for g, h in zip(got, want))
        assert err < sp.Float("1e-30"), (name, err)
        assert not got.free_symbols, name


def asym(n, rng, bias=True, direction=False, activation="tanh"):
    return Model.rnn("asymmetric", weights=rmat(rng, n, n), bias=rvec(rng, n) if bias else None,
                     parameter_direction=rmat(rng, n, n) if direction else None, activation=activation)


CASES = {
    "asymmetric n=2": lambda rng: asym(2, rng, bias=False),
    "asymmetric n=3 bias": lambda rng: asym(3, rng),
    "asymmetric n=3 atan": lambda rng: asym(3, rng, activation="atan(z)"),
    "asymmetric n=3 direction": lambda rng: asym(3, rng, direction=True),
    "leaky n=2 algebraic": lambda rng: Model.rnn("leaky", weights=rmat(rng, 2, 2), bias=rvec(rng, 2),
                                                 activation="z/sqrt(1 + z**2)"),
    "leaky n=3 direction": lambda rng: Model.rnn("leaky", weights=rmat(rng, 3, 3), bias=rvec(rng, 3),
                                                 parameter_direction=rmat(rng, 3, 3)),
    "multilayer 2 layers, rectangular": lambda rng: Model.rnn("multilayer", layers=[
        {"weights": rmat(rng, 3, 2), "bias": rvec(rng, 3), "parameter_direction": rmat(rng, 3, 2)},
        {"weights": rmat(rng, 2, 3), "bias": rvec(rng, 2), "parameter_direction": rmat(rng, 2, 3)}]),
    "multilayer 3 layers": lambda rng: Model.rnn("multilayer", layers=[
        {"weights": rmat(rng, 2, 2), "bias": rvec(rng, 2)},
        {"weights": rmat(rng, 3, 2), "bias": rvec(rng, 3), "parameter_direction": rmat(rng, 3, 2)},
        {"weights": rmat(rng, 2, 3), "parameter_direction": rmat(rng, 2, 3)}]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_structured_forms_match_componentwise(case):
    rng = random.Random(case)
    model = CASES[case](rng)
    check_structured_vs_componentwise(model, seed=rng.randint(0, 10**6))


def test_comparison_detects_a_wrong_formula():
    """The check above is able to fail: compare B against the componentwise Df."""
    model = asym(2, random.Random(5))
    with pytest.raises(AssertionError):
        check_structured_vs_componentwise(model, seed=1, swap={"B": "Df"})


def test_derivation_does_not_grow_with_n():
    small = Model.rnn("leaky", weights=np.eye(2), bias=np.ones(2))
    rng = np.random.default_rng(0)
    big = Model.rnn("leaky", weights=rng.standard_normal((200, 200)), bias=rng.standard_normal(200))
    d_big = derive(big)
    d_small = derive(small)
    for name in RNN_FORMULAS:
        assert d_big[name] == d_small[name]   # the same formula: n is a symbol (timings live in bench/)


# ---------------------------------------------------------------- views
@pytest.mark.parametrize("example, names", [("leaky3_bias.toml", RNN_FORMULAS), ("lorenz.toml", ODE_FORMULAS)])
def test_views(example, names, capsys):
    d = derive(Model.from_toml(EXAMPLES / example))
    text = d.to_text()
    for name in names:
        assert f"\n{name} = " in text
    assert "l1 = Re(" in text and "kuznetsov" in text

    latex = d.to_latex()
    assert latex.startswith("\\begin{align*}") and latex.rstrip().endswith("\\end{align*}")
    assert latex.count("{") == latex.count("}") and latex.count("\\left") == latex.count("\\right")
    assert "\\ell_1" in latex

    doc = json.loads(d.to_json())
    assert [f["name"] for f in doc["formulas"]][:len(names)] == names
    assert doc["parameter"] == d.model.parameter and doc["n"] == d.model.n
    assert all(f["text"] and f["latex"] for f in doc["formulas"])

    html = d._repr_latex_()
    assert html.startswith("$$") and html.endswith("$$") and "\\begin{aligned}" in html

    for fmt, check in (("json", json.loads), ("latex", lambda s: s.index("\\begin{align*}")),
                       ("text", lambda s: s.index("f = "))):
        assert main(["derive", str(EXAMPLES / example), "--format", fmt]) == 0
        check(capsys.readouterr().out)


def test_rnn_view_shows_activation_derivatives():
    d = derive(Model.from_toml(EXAMPLES / "asymmetric4.toml"))
    text = d.to_text()
    assert "s(z) = tanh(z)" in text and "s'''(z) = " in text
    assert " o " in text   # entrywise products are shown as such, not expanded
